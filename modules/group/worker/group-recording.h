/* Recording in group rooms, worker side (docs/recording.md).
 *
 * When the daemon passes the worker option recording-dir (and, to encrypt,
 * recording-public-key), every audio and video stream a participant
 * publishes is written, as it arrives at the router, to its own file in
 * that directory by a `convokerecorder` in a pipeline of its own. The
 * daemon hears of each file through the events recording-started,
 * recording-completed and recording-failed.
 *
 * Without recording-dir nothing here runs and the worker opens no file.
 *
 * Main thread only, except where a comment says otherwise. Every function
 * takes NULL for @self (a room that does not record), so that the group
 * worker's hooks are single lines.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "group-media-room.h"

G_BEGIN_DECLS

typedef struct _GroupRecording GroupRecording;

/* NULL when the room does not record. */
GroupRecording *group_recording_new (GroupMediaRoom *room);
/* The router's stream-started / stream-ended notices: a stream starts or
 * stops being recorded. */
void group_recording_stream_changed (GroupRecording *self, const char *participant,
                                     guint ssrc, const char *kind, gboolean started);
/* Before the participant's router pads go: its recordings are finished. */
void group_recording_participant_left (GroupRecording *self, const char *participant);
/* Finishes every recording, waiting (a bounded time) for each file to be
 * complete, reports them, and frees @self. */
void group_recording_free (GroupRecording *self);

G_END_DECLS
