/* One participant that joined through Twilio's SDK protocol (RSP v2 over
 * TCMP, docs/twilio-video-sdk.md): a translator between the room model
 * and the SDK's state messages.
 *
 * The room model speaks the native protocol's messages (docs/signaling.md)
 * to a participant through its ConvokeParticipantTransport; a session is
 * that transport for an SDK client. It turns what the room sends
 * (participant-connected, track-published, offer, candidate, …) into RSP
 * state (`participants`, `published`, `subscribed`, `peer_connections`,
 * each under a revision that only grows), and what the client sends
 * (`connect`, `update`) into the room's own calls: tracks are added with
 * convoke_participant_add_track(), descriptions and candidates go to the
 * room's topology module as native `offer`/`answer`/`candidate`. So a
 * participant that joins through either protocol is the same object in
 * the same room, and modules never know which protocol a client speaks.
 *
 * A session outlives its socket: when the socket drops, the participant
 * stays in the room for the session timeout, and a new socket resumes
 * the session with `sync` (convoke_rsp_session_attach()).
 *
 * Main loop only. The session keeps a reference on its participant and
 * its current connection.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "room-registry.h"
#include "signaling-connection.h"

G_BEGIN_DECLS

/* Seconds a session waits for `sync` after its socket dropped; the SDK
 * reads it from `connected` (options.session_timeout). */
#define CONVOKE_RSP_SESSION_TIMEOUT 30

typedef struct _ConvokeRspSession ConvokeRspSession;

/* Called once when the session ends for good (the participant left):
 * the owner drops it from its table. */
typedef void (*ConvokeRspSessionEnded) (ConvokeRspSession *session, gpointer user_data);

/* The transport to join the room with, with the session as its data. */
const ConvokeParticipantTransport *convoke_rsp_session_transport (void);

ConvokeRspSession *convoke_rsp_session_new (ConvokeRoomRegistry *registry,
                                            ConvokeRspSessionEnded ended,
                                            gpointer user_data);
ConvokeRspSession *convoke_rsp_session_ref (ConvokeRspSession *session);
void convoke_rsp_session_unref (ConvokeRspSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeRspSession, convoke_rsp_session_unref)

/* Reads `media_signaling` of a `connect` (@body): call before the
 * session joins, whose opt-in flags it sets (rsp-media-signaling.c). */
void convoke_rsp_session_read_media_signaling (ConvokeRspSession *session, JsonObject *body);

/* "SE" + 32 hex digits: what the client echoes in every message. */
const char *convoke_rsp_session_get_id (ConvokeRspSession *session);
ConvokeParticipant *convoke_rsp_session_get_participant (ConvokeRspSession *session);
ConvokeSignalingConnection *convoke_rsp_session_get_connection (ConvokeRspSession *session);

/* After convoke_room_registry_join() admitted the participant (with this
 * session as its transport): sends `connected` on @conn, then applies the
 * `connect` message @body (its tracks and peer connections). FALSE with
 * @error (a Twilio code) when @body is malformed; the caller closes. */
gboolean convoke_rsp_session_start (ConvokeRspSession *session,
                                    ConvokeParticipant *participant,
                                    ConvokeSignalingConnection *conn, JsonObject *body,
                                    GError **error);
/* A new socket resumed the session (`sync` @body): sends `synced` with the
 * whole state on @conn and applies @body. The old socket, if any, is
 * closed. */
gboolean convoke_rsp_session_attach (ConvokeRspSession *session,
                                     ConvokeSignalingConnection *conn, JsonObject *body,
                                     GError **error);
/* @conn (the session's socket) dropped without `disconnect`: the
 * participant stays for CONVOKE_RSP_SESSION_TIMEOUT seconds. */
void convoke_rsp_session_detach (ConvokeRspSession *session,
                                 ConvokeSignalingConnection *conn);
/* An `update` from the client. FALSE with @error (a Twilio code) when it
 * breaks the protocol (a revision that went back, an unknown peer
 * connection, over 64 ICE candidates in a list…); the caller then ends the
 * session. */
gboolean convoke_rsp_session_update (ConvokeRspSession *session, JsonObject *body,
                                     GError **error);
/* Sends `subscribed` when what the client receives changed (the front end
 * calls it on the registry's "subscriptions-changed"). */
void convoke_rsp_session_refresh_subscribed (ConvokeRspSession *self);
/* The participant leaves (client `disconnect`, a protocol error, the
 * daemon stopping). Idempotent. */
void convoke_rsp_session_leave (ConvokeRspSession *session);

G_END_DECLS
