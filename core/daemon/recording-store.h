/* The daemon's recordings (docs/recording.md): one ConvokeRecording per
 * recorded track of a group room, fed by the recording-started,
 * recording-completed and recording-failed events of the room's worker,
 * kept in memory and beside each file as RT….json so that they outlive a
 * restart, and served by the REST API (rest-recordings.c).
 *
 * Only the main loop touches it. The worker never names a path: the store
 * builds every file name from the configured [recording] dir, the room's
 * sid and the recording's sid, so a worker cannot make the daemon serve or
 * delete anything else.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "room-registry.h"

G_BEGIN_DECLS

typedef enum
{
  CONVOKE_RECORDING_PROCESSING,
  CONVOKE_RECORDING_COMPLETED,
  CONVOKE_RECORDING_DELETED,
  CONVOKE_RECORDING_FAILED,
} ConvokeRecordingStatus;

typedef struct
{
  char *sid; /* RT + 32 hex */
  char *room_sid;
  char *participant_sid;
  char *source_sid; /* the track's MT sid; NULL until the track is known */
  char *track_name; /* NULL: the source sid is used */
  char *type;       /* "audio" or "video" */
  char *codec;      /* Twilio's spelling: "OPUS", "VP8", "H264" */
  char *container;  /* "mka" or "mkv" */
  gboolean encrypted;
  char *path; /* the file */
  ConvokeRecordingStatus status;
  char *failure; /* why it failed, or NULL */
  GDateTime *date_created;
  GDateTime *date_updated;
  gint64 duration_ms; /* -1 until it ends */
  gint64 size;        /* bytes on disk when it ended; -1 until then */
  gint64 offset_ms;   /* Unix time of its first media, in ms */
} ConvokeRecording;

#define CONVOKE_TYPE_RECORDING_STORE (convoke_recording_store_get_type ())
G_DECLARE_FINAL_TYPE (ConvokeRecordingStore, convoke_recording_store, CONVOKE,
                      RECORDING_STORE, GObject)

/* Signal "recording-changed" (ConvokeRecording *recording, const char *event):
 * @event is the status callback event, "recording-started",
 * "recording-completed" or "recording-failed". */

/* The store of @registry, made (and the recordings of earlier runs read
 * from [recording] dir) on first use. */
ConvokeRecordingStore *convoke_recording_store_get (ConvokeRoomRegistry *registry);

/* For the worker supervisor: the options that make @room's worker record
 * (recording-dir, recording-public-key) when the room records, added to
 * @options (static keys, allocated values). Creates the room's directory. */
void convoke_recording_add_worker_options (ConvokeRoom *room, GHashTable *options);
/* For the worker supervisor: TRUE when @body (a module event of @room's
 * worker) was a recording event, which the store took. */
gboolean convoke_recording_take_worker_event (ConvokeRoom *room, JsonObject *body);
/* For the worker supervisor: @room's worker can report nothing more (its
 * control socket reached its end, or was closed); what it was still
 * recording failed. */
void convoke_recording_worker_gone (ConvokeRoom *room);

/* Newest first. Every filter may be NULL; @grouping_sid matches the room
 * or the participant. */
GPtrArray *convoke_recording_store_list (ConvokeRecordingStore *self,
                                         const char *room_sid, const char *status,
                                         const char *source_sid, const char *grouping_sid,
                                         const char *type, GDateTime *created_after,
                                         GDateTime *created_before);
ConvokeRecording *convoke_recording_store_lookup (ConvokeRecordingStore *self,
                                                  const char *sid);
/* Removes the file; the recording stays, with status deleted. Refused
 * (CONVOKE_ERROR 21200) while it is being recorded. */
gboolean convoke_recording_store_delete (ConvokeRecordingStore *self,
                                         ConvokeRecording *recording, GError **error);

const char *convoke_recording_status_to_string (ConvokeRecordingStatus status);
/* Seconds, rounded, at least 1 for any media; -1 when unknown. */
gint64 convoke_recording_duration_seconds (ConvokeRecording *recording);
/* The file's size now (it grows while processing); -1 when there is none. */
gint64 convoke_recording_current_size (ConvokeRecording *recording);

/* Adds the recording's parameters to a status callback's @params (static
 * names, allocated values); @base_url starts RecordingUri and MediaUri. */
void convoke_recording_add_callback_params (ConvokeRecording *recording,
                                            GHashTable *params, const char *base_url);

G_END_DECLS
