/* Spawns and watches one convoke-room-worker per room that needs one
 * (docs/worker-protocol.md).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon.h"

G_BEGIN_DECLS

typedef struct _ConvokeWorkerHandle ConvokeWorkerHandle;

/* Starts the worker of @room (room->worker is set). Events from the worker
 * go to the room module's worker_event(); its death to worker_lost() and
 * then convoke_room_registry_end_room (…, FAILED, …). */
ConvokeWorkerHandle *convoke_worker_spawn (ConvokeRoomRegistry *registry, ConvokeRoom *room,
                                           GError **error);
gboolean convoke_worker_send (ConvokeWorkerHandle *worker, JsonObject *message,
                              GError **error);
/* Asks the worker to finish (SIGTERM after a grace period) and forgets it. */
void convoke_worker_stop (ConvokeWorkerHandle *worker);
GPid convoke_worker_get_pid (ConvokeWorkerHandle *worker);
guint convoke_worker_count_running (void);

G_END_DECLS
