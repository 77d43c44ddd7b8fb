/* Checks on a live process through /proc, shared by the group-room tests:
 * the isolation properties docs/group-rooms.md promises for workers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Whether a process running as @uid/@gid, with no capabilities, may open
 * /proc/@pid/environ. For a target that runs as that same unprivileged
 * user the kernel refuses exactly when the target is not dumpable
 * (PR_SET_DUMPABLE 0). The probe runs in a forked child, which switches to
 * @uid/@gid first when we are root. (A root target cannot be probed this
 * way: a prober without CAP_SYS_PTRACE is refused by commoncap whatever
 * the target's dumpable flag.) */
gboolean group_proc_environ_readable_as (pid_t pid, uid_t uid, gid_t gid);

/* The soft limit on the line "Max core file size" of /proc/@pid/limits, as
 * text ("0", "unlimited"), or NULL when unreadable. */
char *group_proc_core_limit (pid_t pid);

/* Every fd of @pid that refers to a path (a regular file, a device, a
 * memfd; not a pipe, socket or anon inode) opened for writing, as
 * "FD -> TARGET (flags 0NNN)" strings. NULL with @error when /proc/@pid/fd
 * cannot be listed. */
GPtrArray *group_proc_writable_files (pid_t pid, GError **error);

/* The parent pid from /proc/@pid/stat, or 0 when the process is gone. */
pid_t group_proc_parent (pid_t pid);

/* Every pid whose parent is @parent and whose comm starts with @comm_prefix. */
GArray *group_proc_children (pid_t parent, const char *comm_prefix);

/* The comm of a convoke-room-worker process: the kernel cuts it at 15
 * characters. */
#define GROUP_WORKER_COMM "convoke-room-wo"

/* The pid of the convoke-room-worker child of @daemon that serves the room
 * @room_sid (it is on the worker's command line), or 0. */
pid_t group_proc_find_worker (pid_t daemon, const char *room_sid);

/* Whether /proc/@pid exists and is not a zombie. */
gboolean group_proc_alive (pid_t pid);

G_END_DECLS
