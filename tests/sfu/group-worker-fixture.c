/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-worker-fixture.h"

#include <errno.h>
#include <glib-unix.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *
group_test_module_dir (void)
{
  return g_getenv ("GROUP_TEST_MODULE_DIR");
}

static void
on_message (ConvokeControlChannel *channel, JsonObject *message, gpointer user_data)
{
  GroupWorker *w = user_data;

  g_ptr_array_add (w->messages, json_object_ref (message));
}

static void
on_closed (ConvokeControlChannel *channel, GError *error, gpointer user_data)
{
  ((GroupWorker *) user_data)->closed = TRUE;
}

static void
on_output_line (const char *line, const GError *error, gpointer user_data)
{
  GroupWorker *w = user_data;

  if (line != NULL)
    {
      g_string_append_printf (w->output, "%s\n", line);
      g_test_message ("worker: %s", line);
    }
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GroupWorker *w = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  w->exited = TRUE;
}

void
group_become_nobody (gpointer user_data)
{
  if (setgroups (0, NULL) != 0 || setgid (NOBODY) != 0 || setuid (NOBODY) != 0)
    _exit (126);
}

GroupWorker *
group_worker_start_program (const char *program, const char *module_dir,
                            const char *const *argv_extra, const char *pem,
                            const char *registry_dir)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  GroupWorker *w = g_new0 (GroupWorker, 1);
  int pair[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_take_fd (launcher, pair[1], 3);
  if (registry_dir != NULL)
    {
      g_autofree char *registry = g_build_filename (registry_dir, "registry.bin", NULL);

      g_subprocess_launcher_setenv (launcher, "GST_REGISTRY", registry, TRUE);
    }

  g_ptr_array_add (argv, (char *) (program != NULL ? program : g_getenv ("CONVOKE_WORKER")));
  /* A pooled worker names no room. */
  if (argv_extra == NULL || argv_extra[0] == NULL || !g_str_equal (argv_extra[0], "--pooled"))
    {
      g_ptr_array_add (argv, "--room-sid");
      g_ptr_array_add (argv, GROUP_TEST_ROOM_SID);
    }
  g_ptr_array_add (argv, "--module");
  g_ptr_array_add (argv, "grouptest");
  g_ptr_array_add (argv, "--module-dir");
  g_ptr_array_add (argv, (char *) (module_dir != NULL ? module_dir : group_test_module_dir ()));
  g_ptr_array_add (argv, "--control-fd");
  g_ptr_array_add (argv, "3");
  /* As convoked does: a root worker switches user once it has started. */
  if (geteuid () == 0)
    for (const char *const *arg = GROUP_WORKER_USER_ARGS; *arg != NULL; arg++)
      g_ptr_array_add (argv, (char *) *arg);
  if (pem != NULL)
    {
      int pipe_fds[2];

      g_assert_true (g_unix_open_pipe (pipe_fds, FD_CLOEXEC, NULL));
      g_assert_cmpint (write (pipe_fds[1], pem, strlen (pem)), ==, (gssize) strlen (pem));
      close (pipe_fds[1]);
      g_subprocess_launcher_take_fd (launcher, pipe_fds[0], 4);
      g_ptr_array_add (argv, "--certificate-fd");
      g_ptr_array_add (argv, "4");
    }
  for (const char *const *arg = argv_extra; arg != NULL && *arg != NULL; arg++)
    g_ptr_array_add (argv, (char *) *arg);
  g_ptr_array_add (argv, NULL);

  w->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                             &error);
  g_assert_no_error (error);
  w->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  w->output = g_string_new (NULL);
  w->stdout_reader = convoke_line_reader_new (g_subprocess_get_stdout_pipe (w->process),
                                              65536, on_output_line, w);
  w->stderr_reader = convoke_line_reader_new (g_subprocess_get_stderr_pipe (w->process),
                                              65536, on_output_line, w);
  g_subprocess_wait_async (w->process, NULL, on_exited, w);

  w->raw_fd = dup (pair[0]);
  w->channel = convoke_control_channel_new_from_fd (pair[0], "worker", &error);
  g_assert_no_error (error);
  g_signal_connect (w->channel, "message", G_CALLBACK (on_message), w);
  g_signal_connect (w->channel, "closed", G_CALLBACK (on_closed), w);
  convoke_control_channel_start (w->channel);
  return w;
}

GroupWorker *
group_worker_start_full (const char *const *argv_extra, const char *pem,
                         const char *registry_dir)
{
  return group_worker_start_program (NULL, NULL, argv_extra, pem, registry_dir);
}

GroupWorker *
group_worker_start (const char *const *argv_extra, const char *pem)
{
  return group_worker_start_full (argv_extra, pem, NULL);
}

static gboolean
group_worker_exited_cond (gpointer data)
{
  return ((GroupWorker *) data)->exited;
}

void
group_spin_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = test_deadline (timeout_ms);

  while (!cond (data) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (2000), TRUE);
}

/* Waits for the process to end and returns its exit status (-1 when it was
 * killed by a signal). */
int
group_worker_wait_exit (GroupWorker *w)
{
  group_spin_until (group_worker_exited_cond, w, GROUP_TEST_TIMEOUT_MS);
  g_assert_true (w->exited);
  if (!g_subprocess_get_if_exited (w->process))
    return -1;
  return g_subprocess_get_exit_status (w->process);
}

void
group_worker_free (GroupWorker *w)
{
  if (!w->exited)
    {
      g_subprocess_force_exit (w->process);
      group_spin_until (group_worker_exited_cond, w, GROUP_TEST_TIMEOUT_MS);
    }
  g_clear_pointer (&w->stdout_reader, convoke_line_reader_free);
  g_clear_pointer (&w->stderr_reader, convoke_line_reader_free);
  g_signal_handlers_disconnect_by_data (w->channel, w);
  convoke_control_channel_close (w->channel);
  g_clear_object (&w->channel);
  g_clear_object (&w->process);
  if (w->raw_fd >= 0)
    close (w->raw_fd);
  g_ptr_array_unref (w->messages);
  g_string_free (w->output, TRUE);
  g_free (w);
}

void
group_worker_send (GroupWorker *w, const char *json)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  g_assert_true (convoke_control_channel_send (w->channel, json_node_get_object (node)));
}

gboolean
group_worker_wait_cond (gpointer data)
{
  GroupWorkerWait *wait = data;

  for (guint i = wait->from; i < wait->w->messages->len; i++)
    {
      JsonObject *m = g_ptr_array_index (wait->w->messages, i);
      JsonObject *body;

      if (g_strcmp0 (json_object_get_string_member (m, "type"), wait->type) != 0)
        continue;
      if (wait->event != NULL)
        {
          body = json_object_get_object_member (m, "body");
          if (body == NULL
              || g_strcmp0 (
                     json_object_get_string_member_with_default (body, "event", NULL),
                     wait->event)
                     != 0)
            continue;
        }
      wait->found = m;
      wait->from = i + 1;
      return TRUE;
    }
  return FALSE;
}

JsonObject *
group_worker_wait_message (GroupWorker *w, const char *type, const char *event)
{
  GroupWorkerWait wait = { w, type, event, 0, NULL };

  group_spin_until (group_worker_wait_cond, &wait, GROUP_TEST_TIMEOUT_MS);
  if (wait.found == NULL)
    g_error ("no “%s”%s%s message from the worker; output:\n%s", type, event ? " " : "",
             event ? event : "", w->output->str);
  return wait.found;
}

JsonObject *
group_worker_wait_event (GroupWorker *w, const char *event)
{
  return json_object_get_object_member (group_worker_wait_message (w, "module", event),
                                        "body");
}

typedef struct
{
  GroupWorker *w;
  const char *text;
} OutputWait;

static gboolean
output_cond (gpointer data)
{
  OutputWait *wait = data;

  return strstr (wait->w->output->str, wait->text) != NULL;
}

void
group_worker_wait_output (GroupWorker *w, const char *text)
{
  OutputWait wait = { w, text };

  group_spin_until (output_cond, &wait, GROUP_TEST_TIMEOUT_MS);
  if (!output_cond (&wait))
    g_error ("the worker never logged “%s”; output:\n%s", text, w->output->str);
}

guint
group_worker_count_messages (GroupWorker *w, const char *type)
{
  guint n = 0;

  for (guint i = 0; i < w->messages->len; i++)
    if (g_strcmp0 (
            json_object_get_string_member (g_ptr_array_index (w->messages, i), "type"),
            type)
        == 0)
      n++;
  return n;
}

const char *
group_worker_ask_option (GroupWorker *w, const char *key)
{
  g_autofree char *request = g_strdup_printf (
      "{\"type\":\"module\",\"body\":{\"cmd\":\"option\",\"key\":\"%s\"}}", key);
  guint from = w->messages->len;
  GroupWorkerWait wait = { w, "module", "option", from, NULL };

  group_worker_send (w, request);
  group_spin_until (group_worker_wait_cond, &wait, GROUP_TEST_TIMEOUT_MS);
  g_assert_nonnull (wait.found);
  return json_object_get_string_member_with_default (
      json_object_get_object_member (wait.found, "body"), "value", NULL);
}
