/* The generic side of convoke-room-worker: hosts one topology module's
 * worker callbacks around one GstPipeline and speaks the control
 * protocol of docs/worker-protocol.md with the daemon.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <convoke/topology.h>

G_BEGIN_DECLS

typedef struct
{
  const char *room_sid; /* NULL: pooled, the room comes in `assign` */
  /* The pooled placeholder in the process's own argv memory, rewritten
   * with the room sid once assigned (what ps shows); may be NULL. */
  char *title_slot;
  const char *module_name;
  const char *module_dir;
  int control_fd;
  int certificate_fd; /* -1: generate one */
  char **options;     /* KEY=VALUE, may be NULL */
  gint64 started_us;  /* g_get_monotonic_time() at the start of main() */
  gboolean switch_user; /* become uid/gid (started as root) */
  gboolean without_seccomp; /* --without-seccomp: profiling under valgrind */
  uid_t uid;
  gid_t gid;
} ConvokeWorkerConfig;

/* Runs the worker until it is told to stop, and returns the process exit
 * status (0 clean, 1 failed). */
int convoke_worker_run (const ConvokeWorkerConfig *config);

/* For the fork server (worker-fork-server.c): does, once and before any
 * fork, what every worker of @module_name does before its room: gst_init(),
 * libsrtp2 with OpenSSL's ciphers, opening the module and its warm-up
 * (loading its plugins). A worker forked afterwards finds them done and
 * skips them in convoke_worker_run(). Starts no thread. */
gboolean convoke_worker_preload (const char *module_name, const char *module_dir,
                                 GError **error);

G_END_DECLS
