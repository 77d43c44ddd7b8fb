/* The worker's sandbox (docs/security.md): an unprivileged user without
 * capabilities, no_new_privs, Landlock around the files it may write and
 * a seccomp allow-list. It is put in place in two steps, because the
 * worker needs its privileges to start (GStreamer's registry and plugins
 * may live where only the daemon's user can read) but must have shed them
 * before the first participant's packet arrives.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct _ConvokeWorkerSandbox ConvokeWorkerSandbox;

/* @switch_user: become @uid/@gid (we were started as root). Without it
 * the worker keeps the daemon's user, which must not be root. */
ConvokeWorkerSandbox *convoke_worker_sandbox_new (const char *room_sid,
                                                  gboolean switch_user, uid_t uid,
                                                  gid_t gid);
void convoke_worker_sandbox_free (ConvokeWorkerSandbox *sandbox);
/* A pooled worker learns its room after the sandbox's first steps; the
 * sid only names the room in messages. */
void convoke_worker_sandbox_set_room_sid (ConvokeWorkerSandbox *sandbox,
                                          const char *room_sid);
/* No seccomp filter at convoke_worker_sandbox_lock(): the worker's
 * --without-seccomp, for valgrind, which cannot run under one. The other
 * layers stay. Says so on stderr, which the daemon logs. */
void convoke_worker_sandbox_leave_out_seccomp (ConvokeWorkerSandbox *sandbox);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeWorkerSandbox, convoke_worker_sandbox_free)

/* Step 1, before gst_init(), while the process has a single thread
 * (Landlock binds only the calling thread and those it starts later).
 * Opens the room's recording directory and public key (worker options
 * `recording-dir`, `recording-public-key`) while the daemon's user can
 * still reach them, and points the options at the open descriptors
 * (/proc/self/fd/N) so that the worker's user reaches them later whatever
 * the directories above them allow. Sets PR_SET_NO_NEW_PRIVS and confines
 * every file write to the recording directory, GST_DEBUG_DUMP_DOT_DIR
 * when set, and the GStreamer registry's directory. */
gboolean convoke_worker_sandbox_confine_early (ConvokeWorkerSandbox *sandbox,
                                               GHashTable *options, GError **error);

/* Step 1b, after gst_init(): clears the ambient and bounding capability
 * sets and stacks a second Landlock layer without the registry. */
gboolean convoke_worker_sandbox_confine_files (ConvokeWorkerSandbox *sandbox,
                                               GError **error);

/* Step 2, once the pipeline is built and before any participant's media:
 * switches user (verified), drops every capability (verified) and
 * installs the seccomp filter on every thread. */
gboolean convoke_worker_sandbox_lock (ConvokeWorkerSandbox *sandbox, GError **error);

/* Whether Landlock confines the worker's file writes (FALSE when the
 * kernel lacks it: the user's permissions are then the only limit). */
gboolean convoke_worker_sandbox_has_landlock (ConvokeWorkerSandbox *sandbox);

/* The process's threads (/proc/self/status), -1 when unreadable: Landlock
 * and fork() each need the process to have one. */
int convoke_worker_count_threads (void);

/* worker-seccomp.c: the system call filter. With @allow_file_writes
 * (a recording room, confined by Landlock) open() may create and write
 * files; otherwise opening a file for writing is refused. */
gboolean convoke_worker_seccomp_install (const char *room_sid, gboolean allow_file_writes,
                                         GError **error);

G_END_DECLS
