/* The worker supervisor's handle, shared by its files: worker-supervisor.c
 * (the process and its control channel) and worker-dump.c (pipeline
 * dumps over REST).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "control-channel.h"
#include "worker-supervisor.h"

G_BEGIN_DECLS

struct _ConvokeWorkerHandle
{
  grefcount ref; /* the room's, the process watch's, timers', dumps' */
  ConvokeRoomRegistry *registry;
  ConvokeRoom *room; /* NULL: pooled, until convoke_worker_assign() */
  const ConvokeLoadedModule *module;
  char *label; /* "worker RM… (pid N)" for logs */
  GSubprocess *process; /* NULL when forked by the fork server */
  GPid pid;             /* the daemon's child either way */
  gboolean forked;
  int wait_status; /* once it exited: waitpid()'s */
  ConvokeControlChannel *channel;
  ConvokeLineReader *stdout_reader;
  ConvokeLineReader *stderr_reader;
  gboolean running;
  gboolean ready;
  gboolean waiting; /* pooled: sent `waiting` */
  ConvokeWorkerPoolFunc pool_func; /* pooled and unassigned only */
  gpointer pool_data;
  gboolean stop_requested;
  char *failure_reason; /* from a `failed` message */
  guint escalation_source;
  int escalation_step;
  guint orphan_source;
  guint ready_source;
  guint turn_source;  /* next fresh TURN credentials ([media] worker-turn) */
  gboolean turn_sent; /* the worker holds TURN options */
  gint64 next_dump_id;
  GHashTable *dumps; /* id (gint64*) → GTask* */
};

ConvokeWorkerHandle *convoke_worker_ref (ConvokeWorkerHandle *worker);
void convoke_worker_unref (ConvokeWorkerHandle *worker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeWorkerHandle, convoke_worker_unref)

/* worker-spawn.c: starts @worker's process (worker->registry, ->module
 * and ->room are set): forked by @fork_server when it is ready (may be
 * NULL), else executed. Sets worker->pid and ->process or ->forked, and
 * returns the daemon's end of the control socket and the worker's stdout
 * and stderr. */
gboolean convoke_worker_start_process (ConvokeWorkerHandle *worker,
                                       ConvokeWorkerForkServer *fork_server,
                                       int *control_fd, GInputStream **stdout_stream,
                                       GInputStream **stderr_stream, GError **error);

/* worker-dump.c: a `pipeline` answer from the worker, and failing every
 * dump still waiting once the worker exited. */
void convoke_worker_take_pipeline (ConvokeWorkerHandle *worker, JsonObject *message);
void convoke_worker_fail_dumps (ConvokeWorkerHandle *worker);

G_END_DECLS
