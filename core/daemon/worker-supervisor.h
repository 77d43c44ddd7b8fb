/* Spawns and watches one convoke-room-worker per room that needs one
 * (docs/worker-protocol.md).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "room-registry.h"
#include "worker-fork-server.h"

G_BEGIN_DECLS

/* ConvokeWorkerHandle is declared in room-registry.h, whose rooms hold one. */

/* Starts the worker of @room cold (room->worker is set): forked by
 * @fork_server when it is ready (it may be NULL), else executed. Events
 * from the worker go to the room module's worker_event(); its death to
 * worker_lost() and then convoke_room_registry_end_room (…, FAILED, …). */
ConvokeWorkerHandle *convoke_worker_spawn (ConvokeRoomRegistry *registry, ConvokeRoom *room,
                                           ConvokeWorkerForkServer *fork_server,
                                           GError **error);

/* What happens to a pooled worker that has no room yet. */
typedef enum
{
  CONVOKE_WORKER_POOL_WAITING, /* set up, waiting for convoke_worker_assign() */
  CONVOKE_WORKER_POOL_EXITED,  /* gone (killed, crashed, or stopped) */
} ConvokeWorkerPoolEvent;

typedef void (*ConvokeWorkerPoolFunc) (ConvokeWorkerHandle *worker,
                                       ConvokeWorkerPoolEvent event, gpointer user_data);

/* Starts a worker of @module for no room yet (docs/worker-protocol.md,
 * "Pooled workers"). @func hears of it until it is assigned; the caller
 * owns the returned reference, and gives it up with convoke_worker_stop()
 * or to the room it assigns the worker to. */
ConvokeWorkerHandle *convoke_worker_spawn_pooled (ConvokeRoomRegistry *registry,
                                                  const ConvokeLoadedModule *module,
                                                  ConvokeWorkerForkServer *fork_server,
                                                  ConvokeWorkerPoolFunc func,
                                                  gpointer user_data, GError **error);
/* TRUE for a pooled worker that sent `waiting` and has no room. */
gboolean convoke_worker_is_waiting (ConvokeWorkerHandle *worker);
/* TRUE once it sent `waiting`, even after it exited. */
gboolean convoke_worker_has_waited (ConvokeWorkerHandle *worker);
GPid convoke_worker_get_pid (ConvokeWorkerHandle *worker);
const ConvokeLoadedModule *convoke_worker_get_module (ConvokeWorkerHandle *worker);
/* Hands a waiting pooled worker to @room for the rest of its life: sends
 * `assign` with the room's options (and its TURN credentials). The pool
 * function is not called again; the reference becomes the room's
 * (room->worker). */
gboolean convoke_worker_assign (ConvokeWorkerHandle *worker, ConvokeRoom *room,
                                GError **error);
gboolean convoke_worker_send (ConvokeWorkerHandle *worker, JsonObject *message,
                              GError **error);
/* Asks the worker to finish (SIGTERM after a grace period) and forgets it. */
void convoke_worker_stop (ConvokeWorkerHandle *worker);
/* Worker processes serving a room (pooled ones waiting are not counted). */
guint convoke_worker_count_running (void);

/* The live pipeline graph of the room, for GET /v1/Rooms/{Sid}/Pipeline:
 * @format is "dot" (Graphviz) or "text" (NULL: "dot"). Errors
 * (CONVOKE_ERROR): 21200 unknown format, 53119 the worker is not running,
 * 20500 no answer within 5 s. The handle may be stopped meanwhile. */
void convoke_worker_dump_pipeline_async (ConvokeWorkerHandle *worker, const char *format,
                                         GAsyncReadyCallback callback, gpointer user_data);
/* The graph text; free it with g_free(). */
char *convoke_worker_dump_pipeline_finish (ConvokeWorkerHandle *worker, GAsyncResult *result,
                                           GError **error);

/* Runs the default main context until every worker has exited or
 * @timeout_ms passed; for the daemon's exit, after every room ended, so
 * that workers finish cleanly instead of being killed with the daemon. */
void convoke_worker_wait_all (guint timeout_ms);

G_END_DECLS
