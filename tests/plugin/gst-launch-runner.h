/* Test helper: the real gst-launch-1.0 and gst-inspect-1.0 as child
 * processes, with their output in files that the test reads while they
 * run.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-daemon.h"

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  char *dir; /* stdout, stderr */
  char *stdout_path;
  char *stderr_path;
} GstLaunch;

/* Sets up what every child needs (a registry of the tests' own, the
 * sanitizer runtimes in a sanitizer build); call once after
 * g_test_init(). */
void gst_launch_init (void);

/* Starts gst-launch-1.0 with -v -m (property changes and bus messages on
 * stdout) and @pipeline, split on spaces; the child dies with the test. */
GstLaunch *gst_launch_start (const char *pipeline);
/* Sends SIGINT (gst-launch-1.0 then stops its pipeline and exits), waits
 * up to 20 s (then kills it), frees. Returns the exit status, or -1 when
 * it did not exit by itself. */
int gst_launch_stop (GstLaunch *launch);
/* Every @timeout_ms here is a deadline, a base figure that test_wait_until
 * scales (test-time.h). */

/* Waits up to @timeout_ms for the process to exit by itself; returns its
 * exit status, or -1 when it is still running or died of a signal. */
int gst_launch_wait_exit (GstLaunch *launch, guint timeout_ms);
gboolean gst_launch_running (GstLaunch *launch);

char *gst_launch_stdout (GstLaunch *launch);
char *gst_launch_stderr (GstLaunch *launch);
/* Buffers the fakesink named @sink has received so far, as its
 * last-message lines in the -v output say. */
guint gst_launch_count_buffers (GstLaunch *launch, const char *sink);
/* Spins until @sink has received @count buffers or @timeout_ms passes;
 * returns the last count. */
guint gst_launch_wait_buffers (GstLaunch *launch, const char *sink, guint count,
                               guint timeout_ms);
/* Spins until stdout contains @text or @timeout_ms passes. */
gboolean gst_launch_wait_output (GstLaunch *launch, const char *text, guint timeout_ms);

/* Runs gst-inspect-1.0 with @args (NULL-terminated) to completion;
 * returns its standard output and sets *@status. */
char *gst_inspect (const char *const *args, int *status);

G_END_DECLS
