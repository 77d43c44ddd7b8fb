/* What the kernel says about the server processes: CPU time (utime +
 * stime from /proc/PID/stat, which includes threads that already ended)
 * and memory (/proc/PID/status, /proc/PID/smaps_rollup).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* utime + stime in seconds; FALSE when the process is gone. */
gboolean load_proc_cpu_seconds (pid_t pid, double *seconds);
/* The same, split into user and kernel time. */
gboolean load_proc_cpu_times (pid_t pid, double *user, double *system);
/* A "VmHWM"/"VmRSS"-style field of /proc/PID/status in KiB; 0 when absent. */
guint64 load_proc_status_kib (pid_t pid, const char *field);
/* A field of /proc/PID/smaps_rollup ("Pss", "Private_Dirty", …) in KiB;
 * 0 when absent. RSS counts every shared library page a process maps;
 * what it costs the machine on its own is its private pages (USS,
 * Private_Clean + Private_Dirty), and its fair share of the shared ones
 * is in PSS. */
guint64 load_proc_smaps_kib (pid_t pid, const char *field);
/* Private_Clean + Private_Dirty. */
guint64 load_proc_private_kib (pid_t pid);
/* The RSS of each mapping of /proc/PID/smaps in KiB, summed by path (a
 * shared library's text, data and relocations together; "[heap]",
 * "[stack]"; "(anonymous)" for mappings without a name): path → KiB as
 * GUINT_TO_POINTER. Empty when the process is gone. */
GHashTable *load_proc_rss_by_mapping (pid_t pid);
/* Children of @parent whose command line holds @needle (NULL: any). */
GArray *load_proc_children (pid_t parent, const char *needle);

G_END_DECLS
