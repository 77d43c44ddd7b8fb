/* The warm worker pool ([media] worker-pool): media workers started ahead
 * of their rooms, GStreamer initialised, certificate and module loaded,
 * waiting for `assign` (docs/worker-protocol.md, "Pooled workers"). A
 * pooled worker serves exactly one room and is never reused, so a room's
 * isolation is that of a cold worker.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "module-loader.h"
#include "worker-supervisor.h"

G_BEGIN_DECLS

typedef struct _ConvokeWorkerPool ConvokeWorkerPool;

/* Starts filling the pool from @registry's config: [media] worker-pool
 * workers for each module with a worker half that a room type uses. */
ConvokeWorkerPool *convoke_worker_pool_new (ConvokeRoomRegistry *registry,
                                            ConvokeModuleSet *modules);
/* Stops the workers still waiting (convoke_worker_wait_all() then waits
 * for them) and frees the pool. */
void convoke_worker_pool_free (ConvokeWorkerPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeWorkerPool, convoke_worker_pool_free)

/* Stops the waiting workers and starts no more: the daemon is exiting. */
void convoke_worker_pool_stop (ConvokeWorkerPool *pool);
/* After a reload: a new size, new modules; waiting workers started for
 * another [media] worker-user are replaced. */
void convoke_worker_pool_reconfigure (ConvokeWorkerPool *pool);

/* The worker of a new @room: a waiting pooled one when there is one and
 * the room does not record (a recording worker's sandbox is built around
 * its directory from the start), else a cold start. @pool may be NULL
 * (cold starts only). */
ConvokeWorkerHandle *convoke_worker_pool_start_room (ConvokeWorkerPool *pool,
                                                     ConvokeRoomRegistry *registry,
                                                     ConvokeRoom *room, GError **error);

typedef struct
{
  guint size;     /* the target, per module with a worker half */
  guint ready;    /* waiting for a room */
  guint starting; /* started, not waiting yet */
  guint64 hits;   /* rooms that got a pooled worker */
  guint64 cold;   /* rooms whose worker started cold */
  guint64 forked; /* workers (pooled or cold) forked by a fork server */
  guint fork_servers_ready; /* fork servers ready to fork, one per module at most */
} ConvokeWorkerPoolStats;

void convoke_worker_pool_get_stats (ConvokeWorkerPool *pool, ConvokeWorkerPoolStats *stats);

G_END_DECLS
