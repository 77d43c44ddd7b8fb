/* The worker's fork server: `convoke-room-worker --fork-server`, started
 * by convoked once per module with a worker half. It loads what every
 * worker of that module loads, once, then forks a worker per request of
 * the daemon instead of the daemon executing one (docs/worker-protocol.md,
 * "The fork server").
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs the fork server of the command line @argc/@argv (whose first
 * argument is --fork-server). Returns the fork server's exit status when
 * the daemon is done with it. In each forked worker it returns -1 instead,
 * with *@worker_argc and *@worker_argv set to the worker's command line as
 * the daemon sent it: main() goes on as a worker started with it. */
int convoke_worker_fork_server_run (int argc, char **argv, int *worker_argc,
                                    char ***worker_argv);

/* In a forked worker: copies now the pages it still shares with the fork
 * server copy-on-write, as it would on its first write to each. A pooled
 * worker does this while it waits, so that its room does not wait for the
 * copies. Returns how many pages it copied. */
guint convoke_worker_fork_server_unshare_pages (void);

G_END_DECLS
