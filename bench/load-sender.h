/* Replays the clip for every load publisher in real time, on one thread
 * of its own: each published track sends one clip frame per frame period
 * with its own SSRC, sequence numbers and timestamps (random starts, as a
 * real sender's), looping the clip. A PLI makes the next video frame the
 * clip's next key frame.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/app/gstappsrc.h>

#include "load-clip.h"

G_BEGIN_DECLS

typedef struct _LoadSender LoadSender;
typedef struct _LoadStream LoadStream; /* owned by the sender */

typedef struct
{
  guint64 packets;
  guint64 bytes;
  guint64 keyframe_jumps; /* PLIs answered with a key frame */
  gint64 first_send_us;   /* g_get_monotonic_time () of the first packet; 0: none */
} LoadStreamStats;

/* Starts the thread. @clip must outlive the sender. */
LoadSender *load_sender_new (const LoadClip *clip);
/* Stops the thread, then frees every stream. */
void load_sender_free (LoadSender *sender);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadSender, load_sender_free)

/* Starts sending the @kind track into @appsrc (caps application/x-rtp) with
 * payload type @pt from the next frame period on, at a random phase. */
LoadStream *load_sender_add_stream (LoadSender *sender, LoadKind kind, GstAppSrc *appsrc,
                                    guint32 ssrc, guint8 pt);
/* Stops a stream (its stats stay readable until the sender is freed). */
void load_sender_stop_stream (LoadSender *sender, LoadStream *stream);

/* From any thread: the next video frame will be a key frame (at most one
 * jump per 200 ms, as a real encoder would merge requests). */
void load_stream_request_keyframe (LoadStream *stream);
guint32 load_stream_get_ssrc (LoadStream *stream);
LoadKind load_stream_get_kind (LoadStream *stream);

void load_sender_get_stats (LoadSender *sender, LoadStream *stream,
                            LoadStreamStats *stats);
/* The clip every stream replays. */
const LoadClip *load_sender_get_clip (LoadSender *sender);

G_END_DECLS
