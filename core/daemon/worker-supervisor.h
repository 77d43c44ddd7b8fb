/* Spawns and watches one convoke-room-worker per room that needs one
 * (docs/worker-protocol.md).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "room-registry.h"

G_BEGIN_DECLS

/* ConvokeWorkerHandle is declared in room-registry.h, whose rooms hold one. */

/* Starts the worker of @room (room->worker is set). Events from the worker
 * go to the room module's worker_event(); its death to worker_lost() and
 * then convoke_room_registry_end_room (…, FAILED, …). */
ConvokeWorkerHandle *convoke_worker_spawn (ConvokeRoomRegistry *registry, ConvokeRoom *room,
                                           GError **error);
gboolean convoke_worker_send (ConvokeWorkerHandle *worker, JsonObject *message,
                              GError **error);
/* Asks the worker to finish (SIGTERM after a grace period) and forgets it. */
void convoke_worker_stop (ConvokeWorkerHandle *worker);
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
