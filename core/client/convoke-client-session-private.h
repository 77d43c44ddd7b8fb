/* Internal: ConvokeClientSession's state, shared by the session object
 * (convoke-client-session.c: peers, tracks, participants, signals) and its
 * signaling (convoke-client-signaling.c: the WebSocket and the protocol's
 * messages).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "convoke-client-topology.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (convoke_client_debug);

typedef struct
{
  char *name;
  char *kind;
  GstElement *tee;
  GstCaps *caps;
} ConvokeLocalTrack;

typedef struct
{
  ConvokeRemoteTrack *track;
  ConvokePeer *peer; /* weak: tracks are removed before their peer closes */
} ConvokeRemoteTrackEntry;

struct _ConvokeClientSession
{
  GObject parent_instance;

  GMainContext *context; /* the thread default at creation: signals and timers */
  GstBin *bin;
  gboolean trickle;
  gboolean relay_only;
  guint latency_ms;
  char **local_addresses;
  char *client_name;
  ConvokeClientSessionState state;

  SoupSession *soup;
  SoupWebsocketConnection *connection;
  GCancellable *cancellable;
  guint join_timeout_id;
  guint keepalive_id;
  guint leave_timeout_id;
  gboolean leaving;
  GError *last_error; /* the last non-fatal error the server sent */

  char *participant_sid;
  char *identity;
  char *room_sid;
  char *room_name;
  const ConvokeClientTopology *topology;
  gint64 join_time;
  ConvokePeerConfig
      peer_config; /* trickle, relay and addresses, + ICE servers of `joined` */

  GPtrArray *local_tracks;  /* ConvokeLocalTrack* */
  GPtrArray *data_tracks;   /* char*: our data tracks' names, also their labels */
  GHashTable *participants; /* sid → ConvokeRemoteParticipant* */
  GHashTable *peers;        /* remote id → ConvokePeer* */
  GPtrArray *remote_tracks; /* ConvokeRemoteTrackEntry* */
};

/* convoke-client-session.c */

/* Ends the session once: closes the peers, emits "error" when @error is
 * set, closes the socket and emits "closed". */
void convoke_client_session_finish (ConvokeClientSession *self, const GError *error);
void convoke_client_session_fail (ConvokeClientSession *self, int code,
                                  const char *message);
void convoke_client_session_warn_literal (ConvokeClientSession *self, int code,
                                          const char *message);
void convoke_client_session_close_all_peers (ConvokeClientSession *self);
/* Sets the JOINED state and emits "joined". */
void convoke_client_session_mark_joined (ConvokeClientSession *self);
/* Records a remote participant and emits "participant-connected"; NULL
 * when @sid is ours or already known. */
ConvokeRemoteParticipant *
convoke_client_session_add_participant (ConvokeClientSession *self, const char *sid,
                                        const char *identity, gboolean trickle);
/* Lets the topology clean up, forgets the participant and emits
 * "participant-disconnected". */
void convoke_client_session_remove_participant (ConvokeClientSession *self,
                                                const char *sid);

void convoke_client_session_emit_data_message (ConvokeClientSession *self,
                                               const char *publisher, const char *label,
                                               GBytes *data, gboolean binary);

/* convoke-client-data.c */

/* Opens a channel of each of our data tracks on the new @peer and follows
 * the messages on its remote ones. */
gboolean convoke_client_session_attach_data (ConvokeClientSession *self, ConvokePeer *peer,
                                             GError **error);
/* Sends an offer on @peer when it has data channels of ours but its
 * remote description has no data m-line (sfu: the server's offers have
 * one only once the room has data for us). */
void convoke_client_session_offer_data_if_needed (ConvokeClientSession *self,
                                                  ConvokePeer *peer);

/* convoke-client-signaling.c */

/* The WebSocket URL for a base URL given to connect(); NULL with @error
 * when @url is not an http(s) or ws(s) URL with a host. */
char *convoke_client_signaling_uri (const char *url, GError **error);
/* Opens the WebSocket to @uri and sends `join`. */
void convoke_client_signaling_open (ConvokeClientSession *self, const char *uri,
                                    const char *token, const char *room);
void convoke_client_signaling_send (ConvokeClientSession *self, JsonObject *message);
/* A new {"type": @type, "to": @to} (no "to" when @to is NULL). */
JsonObject *convoke_client_signaling_message_new (const char *type, const char *to);

G_END_DECLS
