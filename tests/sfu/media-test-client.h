/* In-process harness for the group room's media path: the worker side of
 * the group module (linked in, not loaded) driven by a fake
 * ConvokeWorkerApi, and webrtcbin clients that publish a 320x240 VP8
 * test pattern and Opus, and count what they decode per publisher.
 *
 * Everything runs in one process on the default main context; clients
 * gather on 127.0.0.1 only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <convoke/topology.h>

G_BEGIN_DECLS

typedef struct _MediaRoom MediaRoom;
typedef struct _MediaClient MediaClient;

typedef enum
{
  MEDIA_CLIENT_ANSWERS = 0,     /* answers the server's offers (the protocol's default) */
  MEDIA_CLIENT_OFFERS = 1 << 0, /* sends its own offer to publish, as browsers do */
  MEDIA_CLIENT_NO_TRICKLE = 1 << 1, /* candidates only inside its SDP */
  MEDIA_CLIENT_H264 = 1 << 2,       /* H.264 (openh264) instead of VP8 */
  /* Puts RFC 6464 audio levels in its audio (rtphdrextclientaudiolevel,
   * from a level element's GstAudioLevelMeta) and joins with the
   * dominant-speaker and network-quality flags. */
  MEDIA_CLIENT_AUDIO_LEVELS = 1 << 3,
  MEDIA_CLIENT_SILENT = 1 << 4, /* its audio is digital silence */
} MediaClientFlags;

/* @options: NULL-terminated KEY, VALUE pairs for worker_get_option(). */
MediaRoom *media_room_new (const char *const *options);
void media_room_free (MediaRoom *room);
/* Runs worker_setup() with @options and tears it down again; FALSE with
 * @error when set-up refused them. */
gboolean media_room_try_setup (const char *const *options, GError **error);

/* Sends a raw command body to the worker, as the daemon would. */
void media_room_command (MediaRoom *room, JsonObject *command);
/* The speakers of the worker's dominant-speaker events so far, in order
 * (char*, "" for none). */
GPtrArray *media_room_get_speakers (MediaRoom *room);
/* The latest network quality level of @sid the worker reported, -1: none. */
int media_room_quality_level (MediaRoom *room, const char *sid);
/* Error events the worker sent so far (JsonObject*). */
GPtrArray *media_room_get_errors (MediaRoom *room);
/* The last local-description SDP the worker sent @sid. */
const char *media_room_last_description (MediaRoom *room, const char *sid);
/* How many track-started events named @sid as publisher. */
guint media_room_tracks_started (MediaRoom *room, const char *sid);
/* What the latest subscribed-tracks event said @sid receives, as sorted
 * "PUBLISHER/kind" items joined with ";"; NULL before the first one. */
const char *media_room_subscriptions (MediaRoom *room, const char *sid);
GstElement *media_room_get_router (MediaRoom *room);

MediaClient *media_client_new (MediaRoom *room, const char *sid, MediaClientFlags flags);
/* Sends add-participant; the client answers or offers from then on. */
void media_client_join (MediaClient *client);
/* Sends remove-participant and stops the client. */
void media_client_leave (MediaClient *client);
const char *media_client_get_sid (MediaClient *client);
/* The client's pipeline (transfer none). */
GstElement *media_client_get_pipeline (MediaClient *client);
/* Decoded video frames and audio buffers from @publisher so far. */
guint media_client_video_frames (MediaClient *client, const char *publisher);
guint media_client_audio_buffers (MediaClient *client, const char *publisher);
/* Monotonic µs of the worker's `connected` event (0: not yet) and of the
 * first decoded frame from @publisher (0: none yet). */
gint64 media_client_connected_time (MediaClient *client);
gint64 media_client_first_frame_time (MediaClient *client, const char *publisher);
/* Asks the client's RTP session to NACK (RFC 4585 generic NACK) @count
 * video packets of @publisher that it has already received: the sequence
 * numbers from @back to @back + @count - 1 before the newest one. Returns
 * how many requests were made (0 before the first video packet). */
guint media_client_nack_received_video (MediaClient *client, const char *publisher,
                                        guint back, guint count);

/* The SHA-256 fingerprint ("AB:CD:…") of the certificate the server
 * presented in this client's DTLS handshake. */
char *media_client_server_fingerprint (MediaClient *client);
/* The a=fingerprint value of an SDP text, without the hash name. */
char *media_sdp_fingerprint (const char *sdp);

/* Spins the default main context until @cond is TRUE or @timeout_ms (a
 * deadline: a base figure, scaled by test_deadline). */
gboolean media_wait_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms);

G_END_DECLS
