/* Cluster mode (docs/cluster.md): several convoked nodes share one
 * service through Redis. This node writes its heartbeat and load, and a
 * record of each of its rooms; it places new rooms on the least-loaded
 * live node, claims unique names atomically, and marks the rooms of a
 * dead node failed.
 *
 * Redis holds (every key under "convoke:"):
 *   nodes                 SET of node ids
 *   node:ID               JSON of the node (id, url, region, load), with
 *                         a TTL of [cluster] heartbeat-ttl: its absence
 *                         is the node's death
 *   node-rooms:ID         SET of the sids of the node's rooms in progress
 *   rooms                 ZSET of room sids by creation time (µs)
 *   room:SID              JSON record of the room: {"node", "node_url",
 *                         "room": REST resource, "callback": {…}}; ended
 *                         rooms expire after ENDED_ROOM_TTL
 *   name:UNIQUE-NAME      the sid of the room in progress of that name
 *   session:ID            the node of a Twilio SDK session (for `sync`)
 *   reaping:ID            which node is marking dead node ID's rooms
 *
 * Threads: main loop only. Nothing here blocks: every Redis exchange is
 * asynchronous, and while Redis is unreachable the node keeps serving its
 * rooms; only what needs the shared state (placing a new room, a room on
 * another node) fails, with 20503.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "daemon.h"

G_BEGIN_DECLS

/* How long an ended room's record stays listable by the other nodes. */
#define CONVOKE_CLUSTER_ENDED_ROOM_TTL (24 * 3600)
/* The header a node adds to what it forwards to another node: the
 * receiver serves the request itself instead of routing it again. */
#define CONVOKE_CLUSTER_FORWARDED_HEADER "X-Convoke-Forwarded-By"

typedef struct _ConvokeCluster ConvokeCluster;

/* NULL when [cluster] redis is not set. Starts connecting at once. */
ConvokeCluster *convoke_cluster_new (ConvokeDaemon *daemon);
void convoke_cluster_free (ConvokeCluster *self);

const char *convoke_cluster_get_node_id (ConvokeCluster *self);
/* Redis is reachable. */
gboolean convoke_cluster_is_connected (ConvokeCluster *self);
/* The GError (CONVOKE_ERROR 20503) for "Redis is unreachable". */
GError *convoke_cluster_unavailable_error (ConvokeCluster *self);

/* Where a room is, or goes. */
typedef struct
{
  char *node_id;
  char *node_url;  /* the node's base URL: REST and signaling */
  gboolean local;  /* it is this node */
  char *room_sid;  /* the room's sid; NULL for a room yet to be created */
} ConvokeClusterRoute;

void convoke_cluster_route_free (ConvokeClusterRoute *route);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeClusterRoute, convoke_cluster_route_free)

/* The node of the room in progress @sid_or_name; without one and with
 * @place, the node a new room of that name goes to (the least-loaded live
 * node, of [cluster] placement-region if set). Errors (CONVOKE_ERROR):
 * 20503 Redis unreachable, 53106 no room (and not @place), 53119 the
 * room's node is down and its rooms not yet marked failed. */
void convoke_cluster_route_async (ConvokeCluster *self, const char *sid_or_name,
                                  gboolean place, GAsyncReadyCallback callback,
                                  gpointer user_data);
ConvokeClusterRoute *convoke_cluster_route_finish (ConvokeCluster *self,
                                                   GAsyncResult *result, GError **error);

/* The HTTP session for what this node sends to other nodes (forwarded
 * REST requests, proxied signaling). */
struct _SoupSession *convoke_cluster_get_http_session (ConvokeCluster *self);

/* Completes once Redis has applied everything this node sent before
 * (a room just created here is then listed by every node). FALSE when
 * Redis is away; nothing is lost for it, the reconnection rewrites. */
void convoke_cluster_sync_async (ConvokeCluster *self, GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean convoke_cluster_sync_finish (ConvokeCluster *self, GAsyncResult *result);

/* Gives @name up, if the room @sid still holds it (a creation that
 * failed after its claim). */
void convoke_cluster_release_name (ConvokeCluster *self, const char *name, const char *sid);

/* Claims @name for the room @sid that this node is about to create.
 * Errors: 53113 another room in progress has the name, 20503. */
void convoke_cluster_claim_async (ConvokeCluster *self, const char *name, const char *sid,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean convoke_cluster_claim_finish (ConvokeCluster *self, GAsyncResult *result,
                                       GError **error);

/* Every room record in Redis, newest first: a GPtrArray of JsonObject*
 * (owned by the array), or NULL with 20503. */
void convoke_cluster_list_rooms_async (ConvokeCluster *self, GAsyncReadyCallback callback,
                                       gpointer user_data);
GPtrArray *convoke_cluster_list_rooms_finish (ConvokeCluster *self, GAsyncResult *result,
                                              GError **error);

/* The record of one room by sid or unique name (in progress first), or
 * NULL with 20404/20503. */
void convoke_cluster_get_room_async (ConvokeCluster *self, const char *sid_or_name,
                                     GAsyncReadyCallback callback, gpointer user_data);
JsonObject *convoke_cluster_get_room_finish (ConvokeCluster *self, GAsyncResult *result,
                                             GError **error);

/* Every live node's JSON (id, url, region, rooms, participants, workers,
 * cpu, started), ordered by id. */
void convoke_cluster_list_nodes_async (ConvokeCluster *self, GAsyncReadyCallback callback,
                                       gpointer user_data);
GPtrArray *convoke_cluster_list_nodes_finish (ConvokeCluster *self, GAsyncResult *result,
                                              GError **error);

/* Twilio SDK sessions: the node that holds session @id, so that a `sync`
 * reaching another node finds it. */
void convoke_cluster_note_session (ConvokeCluster *self, const char *id);
void convoke_cluster_forget_session (ConvokeCluster *self, const char *id);
void convoke_cluster_route_session_async (ConvokeCluster *self, const char *id,
                                          GAsyncReadyCallback callback, gpointer user_data);
/* Same result as convoke_cluster_route_finish(). */

G_END_DECLS
