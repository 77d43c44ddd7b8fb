/* ConvokeClientSession: a participant in a Convoke room.
 *
 * The session speaks the signaling protocol of docs/signaling.md over a
 * WebSocket and runs the WebRTC peer connections (webrtcbin) that the
 * room's topology asks for: one per remote participant in "mesh" rooms,
 * one to the media server in "sfu" rooms.
 *
 * It owns no media source or sink. The caller gives it a bin to work in
 * (usually its pipeline, which the caller sets to PLAYING), the RTP
 * sources to publish (add_track) and receives one pad of RTP per remote
 * track ("track-added"), which it links to whatever it wants; a pad left
 * unlinked is sent to a fakesink.
 *
 * Every signal is emitted on the main context that was the thread default
 * when the session was created.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "convoke-remote-track.h"

G_BEGIN_DECLS

typedef enum
{
  CONVOKE_CLIENT_SESSION_STATE_IDLE,       /* not connected yet */
  CONVOKE_CLIENT_SESSION_STATE_CONNECTING, /* WebSocket handshake, then join */
  CONVOKE_CLIENT_SESSION_STATE_JOINED,
  CONVOKE_CLIENT_SESSION_STATE_CLOSED, /* left, refused, kicked or lost */
} ConvokeClientSessionState;

#define CONVOKE_TYPE_CLIENT_SESSION_STATE (convoke_client_session_state_get_type ())
GType convoke_client_session_state_get_type (void);

#define CONVOKE_TYPE_CLIENT_SESSION (convoke_client_session_get_type ())
G_DECLARE_FINAL_TYPE (ConvokeClientSession, convoke_client_session, CONVOKE,
                      CLIENT_SESSION, GObject)

/* Signals:
 *   "joined"                   ()
 *       the server accepted the join; the getters below are now valid.
 *   "participant-connected"    (const char *sid, const char *identity)
 *       a remote participant that is in the room (at join) or joined it.
 *   "participant-disconnected" (const char *sid, const char *identity)
 *   "track-added"              (ConvokeRemoteTrack *track)
 *       link the track's pad in the handler; it is blocked until then.
 *   "track-removed"            (ConvokeRemoteTrack *track)
 *   "data-message"             (const char *participant_sid, const char *label,
 *                               GBytes *data, gboolean binary)
 *       a message on a remote participant's data track @label (its
 *       channel's label: the track's msid in `track-published`).
 *   "warning"                  (GError *error)
 *       something failed that does not end the session: an error message
 *       from the server that is not fatal, or one peer connection failing.
 *   "error"                    (GError *error)
 *       the session is over: the join was refused, the participant was
 *       removed, the room ended with an error or the connection was lost.
 *       CONVOKE_ERROR, code = the Twilio code (53105, 53216, …).
 *   "closed"                   ()
 *       the signaling connection is gone; always the last signal, after
 *       "error" when there was one.
 *
 * Properties:
 *   "bin"              (GstBin, construct-only) where webrtcbins go
 *   "trickle"          (gboolean, default TRUE) FALSE: candidates only
 *                      inside the SDP, never in `candidate` messages
 *   "relay-only"       (gboolean) ICE uses TURN relays only
 *   "latency"          (guint, ms, default 200) each webrtcbin's jitter
 *                      buffer: long enough for a retransmission (NACK
 *                      delay + round trip + jitter); 400 on an 80 ms link
 *   "local-addresses"  (GStrv) gather ICE candidates on these addresses
 *                      only (e.g. {"127.0.0.1"}); NULL: every interface
 *   "client-name"      (string) sent as `client` in `join`
 *   "state"            (ConvokeClientSessionState, read-only)
 */

#define CONVOKE_CLIENT_DEFAULT_LATENCY_MS 200
/* The largest data track message, in bytes (Twilio's limit, and what
 * group rooms forward). */
#define CONVOKE_CLIENT_MAX_DATA_MESSAGE 16384

ConvokeClientSession *convoke_client_session_new (GstBin *bin);

/* Publishes a data track named @name (also its data channels' label):
 * reliable and ordered. Only before connect(). */
gboolean convoke_client_session_add_data_track (ConvokeClientSession *self,
                                                const char *name, GError **error);
/* Sends one message on our data track @name to everyone it reaches now.
 * FALSE (53300) when no channel of it is open yet, or @data is over
 * 16384 bytes. */
gboolean convoke_client_session_send_data (ConvokeClientSession *self, const char *name,
                                           GBytes *data, gboolean binary, GError **error);

/* Publishes what @source produces on its "src" pad: RTP with @caps
 * (application/x-rtp with media, encoding-name, payload and clock-rate).
 * @kind is "audio" or "video". The session adds @source to its bin. Only
 * before connect(). */
gboolean convoke_client_session_add_track (ConvokeClientSession *self, const char *name,
                                           const char *kind, GstElement *source,
                                           GstCaps *caps, GError **error);
/* Same, for a pad of an element that is already in the session's bin. */
gboolean convoke_client_session_add_track_pad (ConvokeClientSession *self,
                                               const char *name, const char *kind,
                                               GstPad *pad, GstCaps *caps,
                                               GError **error);

/* Starts joining. @url is the daemon's base URL (http://host:port or
 * https://…, signaling at /v1/Signaling below it) or a ws:// / wss:// URL
 * used as is. @room may be NULL when the token's grant names the room.
 * Returns FALSE only for a malformed URL; everything later is reported
 * with "joined" or "error". */
gboolean convoke_client_session_connect (ConvokeClientSession *self, const char *url,
                                         const char *token, const char *room,
                                         GError **error);

/* Sends `leave` and closes every peer connection; "closed" follows. */
void convoke_client_session_leave (ConvokeClientSession *self);

ConvokeClientSessionState convoke_client_session_get_state (ConvokeClientSession *self);
/* Valid once joined. */
const char *convoke_client_session_get_participant_sid (ConvokeClientSession *self);
const char *convoke_client_session_get_identity (ConvokeClientSession *self);
const char *convoke_client_session_get_room_sid (ConvokeClientSession *self);
const char *convoke_client_session_get_room_name (ConvokeClientSession *self);
/* "mesh" or "sfu" */
const char *convoke_client_session_get_topology (ConvokeClientSession *self);
/* g_get_monotonic_time() when "joined" was emitted; 0 before. */
gint64 convoke_client_session_get_join_time (ConvokeClientSession *self);

G_END_DECLS
