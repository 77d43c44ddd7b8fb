/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gst-launch-runner.h"
#include "test-process.h"

#include <signal.h>
#include <string.h>

#define STOP_TIMEOUT_MS 20000

void
gst_launch_init (void)
{
  g_autofree char *registry
      = g_build_filename (test_program ("CONVOKE_BUILD_ROOT"), "tests", "plugin",
                          "plugin-gst-registry.bin", NULL);

  /* Our own registry, so that other build trees' plugins never stand in
   * for this one's; scanned in the process that needs it (see below). */
  g_setenv ("GST_REGISTRY", registry, TRUE);
  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
}

/* In a sanitizer build libgstconvoke.so needs the sanitizer runtimes,
 * which the uninstrumented gst-launch-1.0 does not load. */
static void
setup_environment (GSubprocessLauncher *launcher)
{
#ifdef TEST_CHILD_PRELOAD
  g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", TEST_CHILD_PRELOAD, TRUE);
#endif
  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent, NULL, NULL);
}

GstLaunch *
gst_launch_start (const char *pipeline)
{
  GstLaunch *launch = g_new0 (GstLaunch, 1);
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_auto (GStrv) words = g_strsplit (pipeline, " ", -1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  launch->dir = test_mkdtemp ();
  launch->stdout_path = g_build_filename (launch->dir, "stdout", NULL);
  launch->stderr_path = g_build_filename (launch->dir, "stderr", NULL);
  g_ptr_array_add (argv, (char *) GST_LAUNCH_PROGRAM);
  g_ptr_array_add (argv, "-v");
  g_ptr_array_add (argv, "-m");
  for (char **word = words; *word != NULL; word++)
    if (**word != '\0')
      g_ptr_array_add (argv, *word);
  g_ptr_array_add (argv, NULL);

  g_test_message ("gst-launch-1.0 %s", pipeline);
  setup_environment (launcher);
  g_subprocess_launcher_set_stdout_file_path (launcher, launch->stdout_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, launch->stderr_path);
  launch->process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return launch;
}

gboolean
gst_launch_running (GstLaunch *launch)
{
  return g_subprocess_get_identifier (launch->process) != NULL;
}

static gboolean
exited (gpointer data)
{
  return !gst_launch_running (data);
}

int
gst_launch_wait_exit (GstLaunch *launch, guint timeout_ms)
{
  if (!test_wait_until (exited, launch, timeout_ms))
    return -1;
  if (!g_subprocess_get_if_exited (launch->process))
    return -1;
  return g_subprocess_get_exit_status (launch->process);
}

static void
gst_launch_free (GstLaunch *launch)
{
  g_autofree char *err = gst_launch_stderr (launch);

  /* What it said goes to the test log, for whoever reads a failure. */
  if (err != NULL && *err != '\0')
    g_test_message ("gst-launch-1.0 stderr:\n%s", err);
  g_clear_object (&launch->process);
  test_rm_rf (launch->dir);
  g_free (launch->dir);
  g_free (launch->stdout_path);
  g_free (launch->stderr_path);
  g_free (launch);
}

int
gst_launch_stop (GstLaunch *launch)
{
  int status;

  if (gst_launch_running (launch))
    g_subprocess_send_signal (launch->process, SIGINT);
  status = gst_launch_wait_exit (launch, STOP_TIMEOUT_MS);
  if (gst_launch_running (launch))
    {
      g_subprocess_force_exit (launch->process);
      g_subprocess_wait (launch->process, NULL, NULL);
    }
  gst_launch_free (launch);
  return status;
}

static char *
read_file (const char *path)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

char *
gst_launch_stdout (GstLaunch *launch)
{
  return read_file (launch->stdout_path);
}

char *
gst_launch_stderr (GstLaunch *launch)
{
  return read_file (launch->stderr_path);
}

guint
gst_launch_count_buffers (GstLaunch *launch, const char *sink)
{
  g_autofree char *out = gst_launch_stdout (launch);
  g_autofree char *needle
      = g_strdup_printf ("GstFakeSink:%s: last-message = chain ", sink);
  guint count = 0;

  for (const char *p = strstr (out, needle); p != NULL; p = strstr (p + 1, needle))
    count++;
  return count;
}

typedef struct
{
  GstLaunch *launch;
  const char *sink;
  guint count;
} WantBuffers;

static gboolean
has_buffers (gpointer data)
{
  WantBuffers *want = data;

  return gst_launch_count_buffers (want->launch, want->sink) >= want->count
         || !gst_launch_running (want->launch);
}

guint
gst_launch_wait_buffers (GstLaunch *launch, const char *sink, guint count,
                         guint timeout_ms)
{
  WantBuffers want = { launch, sink, count };

  test_wait_until (has_buffers, &want, timeout_ms);
  return gst_launch_count_buffers (launch, sink);
}

typedef struct
{
  GstLaunch *launch;
  const char *text;
} WantOutput;

static gboolean
has_output (gpointer data)
{
  WantOutput *want = data;
  g_autofree char *out = gst_launch_stdout (want->launch);

  return strstr (out, want->text) != NULL || !gst_launch_running (want->launch);
}

gboolean
gst_launch_wait_output (GstLaunch *launch, const char *text, guint timeout_ms)
{
  WantOutput want = { launch, text };
  g_autofree char *out = NULL;

  test_wait_until (has_output, &want, timeout_ms);
  out = gst_launch_stdout (launch);
  return strstr (out, text) != NULL;
}

char *
gst_inspect (const char *const *args, int *status)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  char *out = NULL;

  g_ptr_array_add (argv, (char *) GST_INSPECT_PROGRAM);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  setup_environment (launcher);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                          &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                 : -1;
  return out;
}
