/* The peer connections of one RSP session (rsp-session.h): the SDK's
 * descriptions and cumulative ICE lists on one side, the room's native
 * `offer`/`answer`/`candidate` messages on the other.
 *
 * Rules kept here, each because the SDK fails silently without it:
 *
 * - Revisions. A client answers with its offer's revision and offers with
 *   its last revision + 1; it ignores an offer whose revision is not above
 *   its last stable one, and an answer whose revision is not its pending
 *   offer's. Between two SDK clients (mesh rooms) a description is relayed
 *   with its own id and revision, so both ends always agree.
 * - Glare. SDK clients always give way: a client that gets an offer while
 *   its own is pending rolls back, answers, and offers again. The session
 *   therefore lets the first offer of a crossing pair through and drops
 *   the other one: with a media server (which gives way to client offers)
 *   and with another SDK client alike. The daemon runs both ends on one
 *   main loop, so "first" is well defined.
 * - ICE. Lists are cumulative per ufrag, under a revision that only
 *   grows; the SDK applies the tail it has not seen. Candidates the room
 *   sends are gathered into such lists. Lists the client sends are turned
 *   into one native `candidate` per entry not sent before: the SDK starts
 *   its own list afresh after each local description, keeping the ufrag,
 *   so the server cannot count on the tail.
 * - The offer an SDK client sends in `connect` is the room's peer
 *   connection in rooms with a media server. In mesh rooms it has no peer
 *   and is closed; each pair of participants gets its own id instead,
 *   offered by the newcomer after a `create-offer`.
 *
 * Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "rsp-session.h"

G_BEGIN_DECLS

typedef struct
{
  char *id;
  /* "server" with a media server, else the peer's participant sid. */
  char *remote;
  /* The last description revision either side used on it. */
  gint64 revision;
  /* The client's offer went to the room; no answer yet. */
  gboolean client_offer_pending;
  /* An offer went to the client; no answer yet. */
  char *offer_to_client;
  /* The last description sent to the client, for `synced`: the client
   * ignores it unless it still waits for it (rsp-peer-connection.c). */
  char *last_type;
  gint64 last_revision;
  char *last_sdp;
  /* At least one offer/answer exchange completed. */
  gboolean negotiated;
  /* The ufrag of the last description the client got. */
  char *remote_ufrag;

  /* client → room: the candidates of the client's current ufrag that
   * went to the room (the SDK starts its list again after every local
   * description, without a new ufrag, so a shorter list under a higher
   * revision is a new list, not an error) */
  char *in_ufrag;
  GHashTable *in_seen;
  gint64 in_revision;
  gboolean in_complete;

  /* room → client: the list sent so far */
  char *out_ufrag;
  JsonArray *out_candidates;
  gint64 out_revision;
  gboolean out_complete;
} RspPeerConnection;

void rsp_peer_connection_free (RspPeerConnection *pc);

/* The client's `peer_connections` (connect, update, sync). FALSE with
 * @error (a Twilio code) on a protocol violation. */
gboolean convoke_rsp_session_apply_peer_connections (ConvokeRspSession *self,
                                                     JsonArray *peer_connections,
                                                     GError **error);
/* A native `offer`/`answer`/`candidate` the room sent to the client. */
void convoke_rsp_session_relay_from_room (ConvokeRspSession *self, JsonObject *message,
                                          const char *type);
/* After `connected`: in mesh rooms, one `create-offer` per participant
 * already there (the newcomer offers, as in the native protocol). */
void convoke_rsp_session_connect_peers (ConvokeRspSession *self);
/* The peer connection to @remote_sid (mesh), or NULL. */
RspPeerConnection *convoke_rsp_session_find_remote_pc (ConvokeRspSession *self,
                                                       const char *remote_sid);
/* @remote_sid left: the client closes its peer connection to it. */
void convoke_rsp_session_close_remote_pc (ConvokeRspSession *self, const char *remote_sid);
/* For `synced`: every peer connection kept, with the offer and the
 * candidates the client may have missed while its socket was down. */
JsonArray *convoke_rsp_session_describe_peer_connections (ConvokeRspSession *self);

/* The room refused a description the client sent (an `error` with
 * @code): the peer connection stops waiting for its answer. */
void convoke_rsp_session_description_refused (ConvokeRspSession *self, int code);
void convoke_rsp_session_room_error (ConvokeRspSession *self, JsonObject *message);

/* What a media server's @sdp sends: for each m-section that is not
 * refused and sends (sendonly, sendrecv) with a media-level a=msid, its
 * stream id then its track id (strings, owned by the array), in order.
 * NULL when @sdp is NULL. */
GPtrArray *convoke_rsp_sdp_forwarded (const char *sdp);

G_END_DECLS
