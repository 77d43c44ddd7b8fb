/* Private to the RSP session (rsp-session.c: lifecycle, the transport,
 * the client's tracks; rsp-state.c: the room as the client is told it;
 * rsp-peer-connection.c: descriptions and ICE). Not an API.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "rsp-peer-connection.h"

G_BEGIN_DECLS

struct _ConvokeRspSession
{
  gatomicrefcount ref;
  char *id;
  ConvokeRoomRegistry *registry;
  ConvokeRspSessionEnded ended;
  gpointer ended_data;
  gboolean over;

  ConvokeParticipant *participant;  /* owned; NULL before start */
  ConvokeSignalingConnection *conn; /* owned; NULL while detached */
  guint detached_source;

  /* Nothing reaches the client before `connected`/`synced`. */
  gboolean state_sent;

  /* Remote participants as this client knows them: sid → revision. */
  GHashTable *remote_revisions;
  /* The client's tracks: its own id → our MT sid (the track keeps the
   * client's id too, ConvokeTrack.client_id). */
  GHashTable *track_sids;
  gint64 participant_revision; /* the client's, last applied */
  guint published_revision;
  guint subscribed_revision;
  char *subscribed_key; /* what the last `subscribed` listed */

  /* id → RspPeerConnection */
  GHashTable *peer_connections;
  /* ids closed for good: never reused, their messages ignored */
  GHashTable *closed_ids;

  /* What `connect.media_signaling` asked for (rsp-media-signaling.c). */
  gboolean msp_active_speaker;
  gboolean msp_network_quality;
  /* The room's latest `dominant-speaker` and `network-quality` for this
   * client that came while it joined, before the session started. */
  JsonObject *msp_held_speaker;
  JsonObject *msp_held_quality;
};

/* rsp-media-signaling.c */
/* The opt-in flags the session joins with ("dominant_speaker", "network_quality"). */
gboolean convoke_rsp_session_get_msp_flag (ConvokeRspSession *self, const char *feature);
/* `media_signaling` for `connected`/`synced`, or NULL (nothing granted). */
JsonObject *convoke_rsp_session_describe_media_signaling (ConvokeRspSession *self);
/* The room's native `dominant-speaker` or `network-quality` message, as
 * MSP on the client's data channel. Before the session has started (the
 * module catches a newcomer up while it joins) the latest of each waits
 * for convoke_rsp_session_msp_started(). */
void convoke_rsp_session_msp_from_room (ConvokeRspSession *self, JsonObject *message);
void convoke_rsp_session_msp_started (ConvokeRspSession *self);
/* Drops what waits. */
void convoke_rsp_session_msp_clear (ConvokeRspSession *self);

/* Accessors and helpers of rsp-session.c. */
void convoke_rsp_session_send_body (ConvokeRspSession *self, JsonObject *body);
gboolean convoke_rsp_session_is_mesh (ConvokeRspSession *self);
ConvokeRoomRegistry *convoke_rsp_session_get_registry (ConvokeRspSession *self);
GHashTable *convoke_rsp_session_get_peer_connections (ConvokeRspSession *self);
GHashTable *convoke_rsp_session_get_closed_ids (ConvokeRspSession *self);
JsonObject *convoke_rsp_session_new_body (ConvokeRspSession *self, const char *type);
gboolean convoke_rsp_session_after_connect (ConvokeRspSession *self, JsonObject *body,
                                            GError **error);
/* Sets @error (CONVOKE_ERROR, @code) and returns FALSE. */
gboolean convoke_rsp_fail (GError **error, int code, const char *format, ...)
    G_GNUC_PRINTF (3, 4);
/* A non-negative integer member, or -1. */
gint64 convoke_rsp_get_count (JsonObject *object, const char *name);


/* The member @name of @object when it is an object, else NULL. */
static inline JsonObject *
convoke_rsp_json_object (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                       : NULL;
}

/* Sends an `update` holding one member (@value is taken). */
void convoke_rsp_session_send_update (ConvokeRspSession *self, const char *member,
                                      JsonNode *value);
/* rsp-state.c */
JsonNode *convoke_rsp_session_describe_published (ConvokeRspSession *self);
/* `connected` or `synced`: the whole state, as the client must know it. */
JsonObject *convoke_rsp_session_build_state (ConvokeRspSession *self, const char *type);
/* A participant-connected/-disconnected or track-… message of the room:
 * the remote participant's new state under a higher revision. */
void convoke_rsp_session_remote_changed (ConvokeRspSession *self, JsonObject *message);

G_END_DECLS
