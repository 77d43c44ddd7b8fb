/* The daemon's side of the workers' fork server ([media] worker-fork-server):
 * one `convoke-room-worker --fork-server` per module with a worker half,
 * which forks workers on request instead of the daemon executing them
 * (docs/worker-protocol.md, "The fork server"; the worker's side is
 * core/worker/worker-fork-server.c).
 *
 * Main thread only. The worker pool owns the fork servers and hands one to
 * each worker it starts; the supervisor falls back to exec whenever the
 * fork server is not ready (starting, dead, restarting) or refuses.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "module-loader.h"
#include "room-registry.h"

G_BEGIN_DECLS

typedef struct _ConvokeWorkerForkServer ConvokeWorkerForkServer;

/* Starts the fork server of @module with @registry's config (the worker
 * program and environment of convoke_worker_spawn()). Makes the daemon a
 * child subreaper (PR_SET_CHILD_SUBREAPER), so that the workers it forks
 * are the daemon's children. Restarts it, with a backoff, when it exits. */
ConvokeWorkerForkServer *convoke_worker_fork_server_new (ConvokeRoomRegistry *registry,
                                                         const ConvokeLoadedModule *module);
/* Closes its socket (it exits on that) and frees it; the workers it forked
 * are not affected. */
void convoke_worker_fork_server_free (ConvokeWorkerForkServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeWorkerForkServer, convoke_worker_fork_server_free)

const ConvokeLoadedModule *
convoke_worker_fork_server_get_module (ConvokeWorkerForkServer *server);
/* Called (main thread) when the fork server becomes ready, or exits while
 * starting. */
typedef void (*ConvokeWorkerForkServerFunc) (ConvokeWorkerForkServer *server,
                                            gpointer user_data);
void convoke_worker_fork_server_set_notify (ConvokeWorkerForkServer *server,
                                            ConvokeWorkerForkServerFunc func,
                                            gpointer user_data);
/* TRUE while its process runs but has not said `ready` yet. */
gboolean convoke_worker_fork_server_is_starting (ConvokeWorkerForkServer *server);
/* TRUE once it said `ready` and until it exits. */
gboolean convoke_worker_fork_server_is_ready (ConvokeWorkerForkServer *server);
/* The longest command line a worker it forks can have (bytes, with the
 * NUL after each argument): ps shows it in place of the fork server's. */
gsize convoke_worker_fork_server_max_command_line (void);

/* Forks a worker running @argv (as exec would), with @fds as its control
 * socket, stdout, stderr and, when @n_fds is 4, certificate pipe. The
 * descriptors stay the caller's. Returns the worker's pid, a child of the
 * daemon, or 0 with @error. Waits for the answer, at most a second. */
GPid convoke_worker_fork_server_spawn (ConvokeWorkerForkServer *server,
                                       const char *const *argv, const int *fds,
                                       guint n_fds, GError **error);
/* Workers forked since the daemon started, over all fork servers. */
guint64 convoke_worker_fork_server_count_forked (void);

G_END_DECLS
