/* One client's signaling WebSocket: framing, limits and liveness.
 *
 * The connection turns text frames into JSON objects with a `type`, and
 * enforces everything docs/signaling.md promises per connection before a
 * message reaches the protocol logic in signaling-server.c: the size
 * limit, the token-bucket rate limit, the join deadline and the keepalive
 * silence timeout. Malformed frames are answered with `error` 53004 and
 * never get further.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "room-registry.h"

G_BEGIN_DECLS

/* The subprotocol a client must offer (or offer none). */
#define CONVOKE_SIGNALING_PROTOCOL "convoke-signaling-1"

typedef struct
{
  /* bytes; 0: 65536 */
  guint max_message_size;
  /* sustained rate; bursts may reach twice this; 0: no limit */
  guint max_messages_per_second;
  /* seconds; 0: no pings and no silence timeout */
  guint keepalive_interval;
} ConvokeSignalingLimits;

/* Words an error for a protocol other than the native one (TCMP's
 * `bad`, RSP's `error`): returns a new object to send as it is. */
typedef JsonObject *(*ConvokeSignalingErrorBuilder) (int code, const char *message);

#define CONVOKE_TYPE_SIGNALING_CONNECTION (convoke_signaling_connection_get_type ())
G_DECLARE_FINAL_TYPE (ConvokeSignalingConnection, convoke_signaling_connection, CONVOKE,
                      SIGNALING_CONNECTION, GObject)

/* Signals (main loop):
 *   "message"      (JsonObject *message, const char *type, JsonNode *id)
 *                  a JSON object with a string `type` that passed every
 *                  limit; @id is the client's `id` (string or integer) or
 *                  NULL. All three are borrowed for the emission only.
 *   "error-sent"   (int code)  an `error` message went out (for metrics)
 *   "disconnected" ()          emitted once, as soon as the connection is
 *                  closing or closed for any reason; nothing more is sent
 *                  or delivered after it.
 */

/* Takes a reference on @ws. The connection keeps itself alive until the
 * WebSocket is closed. @peer names the client in log messages. */
ConvokeSignalingConnection *
convoke_signaling_connection_new (SoupWebsocketConnection *ws,
                                  const ConvokeSignalingLimits *limits, const char *peer);

const char *convoke_signaling_connection_get_peer (ConvokeSignalingConnection *self);
/* The keepalive interval the connection runs with, in seconds. */
guint
convoke_signaling_connection_get_keepalive_interval (ConvokeSignalingConnection *self);

/* The participant this connection joined as (a reference is kept), or
 * NULL before `join`. Setting it ends the join deadline. */
void convoke_signaling_connection_set_participant (ConvokeSignalingConnection *self,
                                                   ConvokeParticipant *participant);
ConvokeParticipant *
convoke_signaling_connection_get_participant (ConvokeSignalingConnection *self);

/* The `reuse_mlines` flag from `join` (default FALSE). */
void convoke_signaling_connection_set_reuses_mlines (ConvokeSignalingConnection *self,
                                                     gboolean reuse);
gboolean convoke_signaling_connection_get_reuses_mlines (ConvokeSignalingConnection *self);

/* The opt-in flags of `join` (convoke_signaling_join_flags), default
 * FALSE. */
void convoke_signaling_connection_set_join_flag (ConvokeSignalingConnection *self,
                                                 const char *feature, gboolean value);
gboolean convoke_signaling_connection_get_join_flag (ConvokeSignalingConnection *self,
                                                     const char *feature);

/* The `trickle` flag from `join` (default TRUE). */
void convoke_signaling_connection_set_trickle (ConvokeSignalingConnection *self,
                                               gboolean trickle);
gboolean convoke_signaling_connection_get_trickle (ConvokeSignalingConnection *self);

/* Sends @message as one text frame; with @id set, as its `id` member
 * (@message is not modified). Does nothing once disconnected. */
void convoke_signaling_connection_send (ConvokeSignalingConnection *self,
                                        JsonObject *message, JsonNode *id);
/* Like _send(), but ahead of anything held (see _hold()). */
void convoke_signaling_connection_send_first (ConvokeSignalingConnection *self,
                                              JsonObject *message, JsonNode *id);
/* Sends {"type":"error","id":@id,"code":@code,"message":@message}. */
void convoke_signaling_connection_send_error (ConvokeSignalingConnection *self,
                                              JsonNode *id, int code,
                                              const char *message);
/* Sends the error, then closes the socket with @close_code. */
void convoke_signaling_connection_fail (ConvokeSignalingConnection *self, JsonNode *id,
                                        int code, const char *message,
                                        gushort close_code);
/* Closes the socket with @close_code and no error (leave, shutdown). */
void convoke_signaling_connection_close (ConvokeSignalingConnection *self,
                                         gushort close_code);

/* For a front end that speaks another protocol over the same limits
 * (tcmp-front-end.h): @first_message (static) names what the join
 * deadline waits for in its error text, @error_builder words every error
 * the connection and _send_error() send (the `id` is then dropped), and
 * with @invalid_is_fatal a malformed frame (not JSON, not an object, no
 * `type`, binary) also closes the connection. Call right after _new(). */
void convoke_signaling_connection_set_dialect (ConvokeSignalingConnection *self,
                                               const char *first_message,
                                               ConvokeSignalingErrorBuilder error_builder,
                                               gboolean invalid_is_fatal);
/* Ends the join deadline without a participant (a front end that keeps
 * its participants elsewhere). */
void convoke_signaling_connection_stop_join_deadline (ConvokeSignalingConnection *self);

/* While held, sent messages are queued, and go out in order on release.
 * Used during `join` so that nothing a module sends from its join
 * callbacks reaches the client before `joined`. */
void convoke_signaling_connection_hold (ConvokeSignalingConnection *self);
void convoke_signaling_connection_release (ConvokeSignalingConnection *self);

/* Cluster mode (cluster-proxy.h). While paused (nested), the frames
 * that pass the limits are queued; on the last resume they are handled
 * in order. */
void convoke_signaling_connection_pause_input (ConvokeSignalingConnection *self);
void convoke_signaling_connection_resume_input (ConvokeSignalingConnection *self);

/* Relays every later frame (text that passed the limits, unparsed) to
 * @relay instead of emitting "message"; the join deadline ends. */
typedef void (*ConvokeSignalingRelayFunc) (ConvokeSignalingConnection *self, GBytes *text,
                                           gpointer user_data);
void convoke_signaling_connection_set_relay (ConvokeSignalingConnection *self,
                                             ConvokeSignalingRelayFunc relay,
                                             gpointer user_data);
/* The socket was opened by another node relaying its client
 * (CONVOKE_CLUSTER_FORWARDED_HEADER): it is served here, never relayed
 * again. */
void convoke_signaling_connection_set_forwarded (ConvokeSignalingConnection *self,
                                                 gboolean forwarded);
gboolean convoke_signaling_connection_get_forwarded (ConvokeSignalingConnection *self);
/* Sends @text as it is (a frame relayed from another node). */
void convoke_signaling_connection_send_text (ConvokeSignalingConnection *self,
                                             const char *text);

G_END_DECLS
