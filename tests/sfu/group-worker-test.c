/* convoke-room-worker on its own: the control protocol of
 * docs/worker-protocol.md, the process hardening, and every way it ends.
 * The worker hosts the "grouptest" module (group-test-module.c), so no
 * media and no daemon are involved.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control-channel.h"
#include "group-worker-fixture.h"
#include "group-proc-checks.h"
#include "worker-certificate.h"

#define ROOM_SID GROUP_TEST_ROOM_SID
#define TIMEOUT_MS GROUP_TEST_TIMEOUT_MS
#define POOLED_PLACEHOLDER "RM--------------------------------"

static void
test_ready_echo_shutdown (void)
{
  const char *extra[]
      = { "--option", "colour=blue=ish", "--option", "x=1", "--option", "x=2", NULL };
  GroupWorker *w = group_worker_start (extra, NULL);
  JsonObject *ready, *certificate, *timings, *echo;
  const char *pem;

  /* Without --certificate-fd the worker makes one and tells the daemon,
   * before `ready`. */
  certificate = group_worker_wait_message (w, "certificate", NULL);
  pem = json_object_get_string_member (certificate, "pem");
  g_assert_true (g_str_has_prefix (pem, "-----BEGIN CERTIFICATE-----"));
  g_assert_nonnull (strstr (pem, "PRIVATE KEY-----"));
  g_assert_true (convoke_worker_certificate_validate (pem, NULL));

  ready = group_worker_wait_message (w, "ready", NULL);
  g_assert_cmpint (json_object_get_int_member (ready, "pid"), ==,
                   atoi (g_subprocess_get_identifier (w->process)));
  g_assert_cmpstr (json_object_get_string_member (ready, "module"), ==, "grouptest");
  timings = json_object_get_object_member (ready, "timings");
  g_assert_true (json_object_has_member (timings, "gst_init"));
  g_assert_true (json_object_has_member (timings, "playing"));
  g_test_message ("start-up: gst_init %" G_GINT64_FORMAT
                  " ms, certificate %" G_GINT64_FORMAT " ms, playing %" G_GINT64_FORMAT
                  " ms",
                  json_object_get_int_member (timings, "gst_init"),
                  json_object_get_int_member (timings, "certificate"),
                  json_object_get_int_member (timings, "playing"));

  group_worker_send (w, "{\"type\":\"module\",\"body\":{\"cmd\":\"echo\",\"n\":42}}");
  echo = group_worker_wait_event (w, "echo");
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (echo, "body"), "n"), ==,
      42);

  g_assert_cmpstr (group_worker_ask_option (w, "colour"), ==, "blue=ish");
  g_assert_cmpstr (group_worker_ask_option (w, "x"), ==, "2");
  g_assert_null (group_worker_ask_option (w, "absent"));
  g_assert_cmpstr (group_worker_ask_option (w, "certificate"), ==, pem);

  group_worker_send (w, "{\"type\":\"shutdown\"}");
  group_worker_wait_event (w, "teardown");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
  g_assert_cmpuint (group_worker_count_messages (w, "failed"), ==, 0);
  group_worker_free (w);
}

/* Whether /proc/@pid/cmdline holds @arg. */
static gboolean
cmdline_has (GroupWorker *w, const char *arg)
{
  g_autofree char *path
      = g_strdup_printf ("/proc/%s/cmdline", g_subprocess_get_identifier (w->process));
  g_autofree char *cmdline = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &cmdline, &length, NULL));
  for (const char *p = cmdline; p < cmdline + length; p += strlen (p) + 1)
    if (g_str_equal (p, arg))
      return TRUE;
  return FALSE;
}

static guint
message_index (GroupWorker *w, const char *type, const char *event)
{
  for (guint i = 0; i < w->messages->len; i++)
    {
      JsonObject *message = g_ptr_array_index (w->messages, i);
      JsonObject *body;

      if (g_strcmp0 (json_object_get_string_member (message, "type"), type) != 0)
        continue;
      if (event == NULL)
        return i;
      body = json_object_get_object_member (message, "body");
      if (g_strcmp0 (json_object_get_string_member (body, "event"), event) == 0)
        return i;
    }
  g_assert_not_reached ();
}

/* A pooled worker (docs/worker-protocol.md, "Pooled workers"): `waiting`
 * without a room, `assign` brings the room and its options, messages sent
 * before `ready` wait for it, and the room is its for good. */
static void
test_pooled_assign (void)
{
  const char *extra[] = { "--pooled", POOLED_PLACEHOLDER, NULL };
  GroupWorker *w = group_worker_start (extra, NULL);
  JsonObject *waiting;

  waiting = group_worker_wait_message (w, "waiting", NULL);
  g_assert_cmpint (json_object_get_int_member (waiting, "pid"), ==,
                   atoi (g_subprocess_get_identifier (w->process)));
  g_assert_true (
      json_object_has_member (json_object_get_object_member (waiting, "timings"), "waiting"));
  g_assert_true (cmdline_has (w, POOLED_PLACEHOLDER));
  g_assert_cmpuint (group_worker_count_messages (w, "ready"), ==, 0);

  /* Held until the pipeline plays. */
  group_worker_send (w, "{\"type\":\"module\",\"body\":{\"cmd\":\"echo\",\"n\":7}}");
  group_worker_send (w, "{\"type\":\"assign\",\"room-sid\":\"" ROOM_SID "\","
                        "\"options\":{\"colour\":\"red\"}}");
  group_worker_wait_event (w, "echo");
  g_assert_cmpuint (message_index (w, "ready", NULL), <, message_index (w, "module", "echo"));
  g_assert_cmpstr (group_worker_ask_option (w, "colour"), ==, "red");
  /* ps names the room now, as a cold worker's command line does. */
  g_assert_true (cmdline_has (w, ROOM_SID));
  g_assert_false (cmdline_has (w, POOLED_PLACEHOLDER));

  /* One room per life. */
  group_worker_send (w, "{\"type\":\"assign\",\"room-sid\":"
                        "\"RMffffffffffffffffffffffffffffffff\",\"options\":{}}");
  group_worker_wait_output (w, "“assign” to a worker that has a room already");
  g_assert_false (cmdline_has (w, "RMffffffffffffffffffffffffffffffff"));

  group_worker_send (w, "{\"type\":\"shutdown\"}");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
  g_assert_cmpuint (group_worker_count_messages (w, "failed"), ==, 0);
  group_worker_free (w);
}

/* What a pooled worker refuses in `assign`, and `shutdown` while it waits. */
static void
test_pooled_refusals (void)
{
  const char *extra[] = { "--pooled", POOLED_PLACEHOLDER, NULL };
  const char *const bad[] = {
    /* its sandbox was set up without the room's directory */
    "{\"type\":\"assign\",\"room-sid\":\"" ROOM_SID "\","
    "\"options\":{\"recording-dir\":\"/tmp\"}}",
    "{\"type\":\"assign\",\"room-sid\":\"RMnothex\",\"options\":{}}",
    "{\"type\":\"assign\",\"room-sid\":\"" ROOM_SID "\",\"options\":{\"x\":1}}",
  };
  const char *const reasons[]
      = { "cannot take option “recording-dir”", "needs a room sid", "“x” in “assign”" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      GroupWorker *w = group_worker_start (extra, NULL);
      JsonObject *failed;

      group_worker_wait_message (w, "waiting", NULL);
      group_worker_send (w, bad[i]);
      failed = group_worker_wait_message (w, "failed", NULL);
      g_test_message ("%s", json_object_get_string_member (failed, "reason"));
      g_assert_nonnull (strstr (json_object_get_string_member (failed, "reason"), reasons[i]));
      g_assert_cmpint (group_worker_wait_exit (w), ==, 1);
      g_assert_cmpuint (group_worker_count_messages (w, "ready"), ==, 0);
      group_worker_free (w);
    }

  {
    GroupWorker *w = group_worker_start (extra, NULL);

    group_worker_wait_message (w, "waiting", NULL);
    group_worker_send (w, "{\"type\":\"shutdown\"}");
    g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
    g_assert_cmpuint (group_worker_count_messages (w, "failed"), ==, 0);
    group_worker_free (w);
  }
}

/* `set-options` (docs/worker-protocol.md): how the daemon hands a worker
 * fresh TURN credentials while it runs. */
static void
test_set_options (void)
{
  const char *extra[] = { "--option", "turn-username=1:worker-old", NULL };
  GroupWorker *w = group_worker_start (extra, NULL);
  const char *pem;

  group_worker_wait_message (w, "ready", NULL);
  pem = json_object_get_string_member (group_worker_wait_message (w, "certificate", NULL),
                                       "pem");
  g_assert_cmpstr (group_worker_ask_option (w, "turn-username"), ==, "1:worker-old");

  /* A string sets a key, null removes one, and the next read sees both. */
  group_worker_send (w, "{\"type\":\"set-options\",\"options\":{"
                        "\"turn-username\":\"2:worker-new\",\"turn-password\":\"pw\"}}");
  g_assert_cmpstr (group_worker_ask_option (w, "turn-username"), ==, "2:worker-new");
  g_assert_cmpstr (group_worker_ask_option (w, "turn-password"), ==, "pw");
  group_worker_send (w, "{\"type\":\"set-options\",\"options\":{"
                        "\"turn-password\":null}}");
  g_assert_null (group_worker_ask_option (w, "turn-password"));
  g_assert_cmpstr (group_worker_ask_option (w, "turn-username"), ==, "2:worker-new");

  /* What is not a string or null is ignored, the certificate cannot be
   * replaced, and a message without options changes nothing. */
  group_worker_send (w, "{\"type\":\"set-options\",\"options\":{"
                        "\"turn-username\":3,\"certificate\":\"forged\"}}");
  group_worker_wait_output (w, "option “turn-username” in “set-options” is neither");
  group_worker_wait_output (w, "option “certificate” cannot be set at run time");
  group_worker_send (w, "{\"type\":\"set-options\",\"options\":[1]}");
  group_worker_wait_output (w, "a “set-options” control message without an object");
  g_assert_cmpstr (group_worker_ask_option (w, "turn-username"), ==, "2:worker-new");
  g_assert_cmpstr (group_worker_ask_option (w, "certificate"), ==, pem);

  group_worker_send (w, "{\"type\":\"shutdown\"}");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
  g_assert_cmpuint (group_worker_count_messages (w, "failed"), ==, 0);
  group_worker_free (w);
}

static void
test_certificate_fd (void)
{
  g_autofree char *pem = convoke_worker_certificate_generate (NULL);
  GroupWorker *w = group_worker_start (NULL, pem);

  group_worker_wait_message (w, "ready", NULL);
  g_assert_cmpuint (group_worker_count_messages (w, "certificate"), ==, 0);
  g_assert_cmpstr (group_worker_ask_option (w, "certificate"), ==, pem);
  group_worker_free (w);

  /* A certificate whose key is missing is refused: the worker says why. */
  {
    g_autofree char *cert_only
        = g_strndup (pem, strstr (pem, "-----BEGIN PRIVATE") - pem);
    JsonObject *failed;

    w = group_worker_start (NULL, cert_only);
    failed = group_worker_wait_message (w, "failed", NULL);
    g_assert_nonnull (
        strstr (json_object_get_string_member (failed, "reason"), "private key"));
    g_assert_cmpint (group_worker_wait_exit (w), ==, 1);
    g_assert_cmpuint (group_worker_count_messages (w, "ready"), ==, 0);
    group_worker_free (w);
  }
}

static void
test_isolation (void)
{
  g_autofree char *registry_dir = g_dir_make_tmp ("group-worker-XXXXXX", NULL);
  GroupWorker *w = group_worker_start_full (NULL, NULL, registry_dir);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) control = NULL;
  g_autoptr (GPtrArray) writable = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *core_limit = NULL;
  uid_t uid = geteuid () == 0 ? NOBODY : geteuid ();
  gid_t gid = geteuid () == 0 ? NOBODY : getegid ();
  pid_t pid;

  group_worker_wait_message (w, "ready", NULL);
  pid = atoi (g_subprocess_get_identifier (w->process));

  /* The probe must be able to tell: an ordinary process of the same user
   * is open to it, the worker is not. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  if (geteuid () == 0)
    g_subprocess_launcher_set_child_setup (launcher, group_become_nobody, NULL, NULL);
  control = g_subprocess_launcher_spawn (launcher, &error, "sleep", "30", NULL);
  g_assert_no_error (error);
  g_assert_true (group_proc_environ_readable_as (
      atoi (g_subprocess_get_identifier (control)), uid, gid));
  g_subprocess_force_exit (control);
  g_assert_false (group_proc_environ_readable_as (pid, uid, gid));

  core_limit = group_proc_core_limit (pid);
  g_assert_cmpstr (core_limit, ==, "0");

  writable = group_proc_writable_files (pid, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < writable->len; i++)
    g_test_message ("open for writing: %s", (char *) g_ptr_array_index (writable, i));
  g_assert_cmpuint (writable->len, ==, 0);

  group_worker_free (w);
  {
    g_autofree char *registry = g_build_filename (registry_dir, "registry.bin", NULL);

    g_unlink (registry);
    g_rmdir (registry_dir);
  }
}

/* The worker's parent dies without closing the control socket (we keep
 * the other end): only PR_SET_PDEATHSIG can end it. */
static void
test_parent_death (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) shell = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  gint64 deadline;
  pid_t worker_pid;
  int pair[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_take_fd (launcher, pair[1], 3);
  shell = g_subprocess_launcher_spawn (
      launcher, &error, "/bin/sh", "-c", "\"$@\" 2>/dev/null & echo $!; exec sleep 60",
      "sh", g_getenv ("CONVOKE_WORKER"), "--room-sid", ROOM_SID, "--module", "grouptest",
      "--module-dir", group_test_module_dir (), "--control-fd", "3", "--uid", "65534",
      "--gid", "65534", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (shell));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  worker_pid = atoi (line);
  g_assert_cmpint (worker_pid, >, 0);

  /* Until the worker is ready: its sandbox is locked then, the user
   * switched, which clears the parent-death signal unless the worker
   * arms it again (it once outlived its parent under the sanitizers,
   * killed between the two). */
  {
    g_autoptr (GString) received = g_string_new (NULL);

    while (strstr (received->str, "\"ready\"") == NULL)
      {
        char buffer[4096];
        gssize got = recv (pair[0], buffer, sizeof buffer, 0);

        g_assert_cmpint (got, >, 0);
        g_string_append_len (received, buffer, got);
      }
  }
  g_assert_true (group_proc_alive (worker_pid));

  g_subprocess_send_signal (shell, SIGKILL);
  g_subprocess_wait (shell, NULL, NULL);

  deadline = test_deadline (5000);
  while (group_proc_alive (worker_pid) && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_false (group_proc_alive (worker_pid));
  close (pair[0]);
}

static void
test_fail_paths (void)
{
  GroupWorker *w = group_worker_start (NULL, NULL);
  JsonObject *failed;

  group_worker_wait_message (w, "ready", NULL);
  group_worker_send (
      w, "{\"type\":\"module\",\"body\":{\"cmd\":\"fail\",\"reason\":\"disk on fire\"}}");
  failed = group_worker_wait_message (w, "failed", NULL);
  g_assert_cmpstr (json_object_get_string_member (failed, "reason"), ==, "disk on fire");
  group_worker_wait_event (w, "teardown");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 1);
  group_worker_free (w);

  /* worker_fail() from a streaming thread is marshalled, not lost. */
  w = group_worker_start (NULL, NULL);
  group_worker_wait_message (w, "ready", NULL);
  group_worker_send (w, "{\"type\":\"module\",\"body\":{\"cmd\":\"thread-event\"}}");
  group_worker_wait_event (w, "from-thread");
  group_worker_send (
      w, "{\"type\":\"module\",\"body\":{\"cmd\":\"thread-fail\",\"reason\":\"t\"}}");
  failed = group_worker_wait_message (w, "failed", NULL);
  g_assert_cmpstr (json_object_get_string_member (failed, "reason"), ==, "t");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 1);
  group_worker_free (w);

  /* The module refusing to set up. */
  {
    const char *extra[] = { "--option", "setup=refuse", NULL };

    w = group_worker_start (extra, NULL);
    failed = group_worker_wait_message (w, "failed", NULL);
    g_assert_nonnull (
        strstr (json_object_get_string_member (failed, "reason"), "grouptest refuses"));
    g_assert_cmpint (group_worker_wait_exit (w), ==, 1);
    group_worker_free (w);
  }

  /* A module that does not exist. */
  {
    const char *argv[] = { g_getenv ("CONVOKE_WORKER"),
                           "--room-sid",
                           ROOM_SID,
                           "--module",
                           "nosuchmodule",
                           "--module-dir",
                           group_test_module_dir (),
                           "--control-fd",
                           "3",
                           "--uid",
                           "65534",
                           "--gid",
                           "65534",
                           NULL };
    g_autoptr (GSubprocessLauncher) launcher
        = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    g_autoptr (GSubprocess) process = NULL;
    g_autoptr (GError) error = NULL;
    int pair[2];
    char buffer[4096] = "";
    gssize got;

    g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
    g_subprocess_launcher_take_fd (launcher, pair[1], 3);
    process = g_subprocess_launcher_spawnv (launcher, argv, &error);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_wait (process, NULL, NULL));
    g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
    got = recv (pair[0], buffer, sizeof buffer - 1, MSG_DONTWAIT);
    g_assert_cmpint (got, >, 0);
    /* certificate first, then failed naming the module file. */
    g_assert_nonnull (strstr (buffer, "\"type\":\"failed\""));
    g_assert_nonnull (strstr (buffer, "libconvoke-topology-nosuchmodule.so"));
    close (pair[0]);
  }
}

static void
test_bad_command_lines (void)
{
  const char *const cases[][14] = {
    { "--room-sid", "RMnothex", "--module", "grouptest", "--module-dir", "/",
      "--control-fd", "3", NULL },
    { "--room-sid", ROOM_SID, "--module", "../x", "--module-dir", "/", "--control-fd",
      "3", NULL },
    { "--room-sid", ROOM_SID, "--module", "grouptest", "--module-dir", "/nonexistent",
      "--control-fd", "3", NULL },
    { "--room-sid", ROOM_SID, "--module", "grouptest", "--module-dir", "/", NULL },
    { "--frobnicate", NULL },
    /* half a user, and root */
    { "--room-sid", ROOM_SID, "--module", "grouptest", "--module-dir", "/",
      "--control-fd", "3", "--uid", "65534", NULL },
    { "--room-sid", ROOM_SID, "--module", "grouptest", "--module-dir", "/",
      "--control-fd", "3", "--uid", "0", "--gid", "0", NULL },
    /* a pooled worker has no room yet */
    { "--pooled", POOLED_PLACEHOLDER, "--room-sid", ROOM_SID, "--module", "grouptest",
      "--module-dir", "/", "--control-fd", "3", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GPtrArray) argv = g_ptr_array_new ();
      g_autoptr (GSubprocess) process = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *err_text = NULL;

      g_ptr_array_add (argv, (char *) g_getenv ("CONVOKE_WORKER"));
      for (guint j = 0; cases[i][j] != NULL; j++)
        g_ptr_array_add (argv, (char *) cases[i][j]);
      g_ptr_array_add (argv, NULL);
      process = g_subprocess_newv ((const char *const *) argv->pdata,
                                   G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
      g_assert_no_error (error);
      g_assert_true (
          g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err_text, &error));
      g_assert_no_error (error);
      g_test_message ("case %u: %s", i, err_text);
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
      g_assert_true (g_str_has_prefix (err_text, "convoke-room-worker: "));
    }
}

static void
test_endings (void)
{
  GroupWorker *w;

  /* SIGTERM: a clean exit, teardown first. */
  w = group_worker_start (NULL, NULL);
  group_worker_wait_message (w, "ready", NULL);
  g_subprocess_send_signal (w->process, SIGTERM);
  group_worker_wait_event (w, "teardown");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
  group_worker_free (w);

  /* The daemon's end of the socket closing. */
  w = group_worker_start (NULL, NULL);
  group_worker_wait_message (w, "ready", NULL);
  convoke_control_channel_close (w->channel);
  close (w->raw_fd); /* the last descriptor of our end */
  w->raw_fd = -1;
  g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
  group_worker_free (w);

  /* Commands sent before `ready` wait and run after it, in order. */
  w = group_worker_start (NULL, NULL);
  group_worker_send (w, "{\"type\":\"module\",\"body\":{\"cmd\":\"echo\",\"n\":1}}");
  group_worker_send (w, "{\"type\":\"shutdown\"}");
  group_worker_wait_event (w, "echo");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
  group_worker_free (w);
}

static void
test_dump_pipeline (void)
{
  GroupWorker *w = group_worker_start (NULL, NULL);
  JsonObject *reply;
  const char *data;
  guint from;

  group_worker_wait_message (w, "ready", NULL);

  group_worker_send (w, "{\"type\":\"dump-pipeline\",\"id\":7,\"format\":\"dot\"}");
  reply = group_worker_wait_message (w, "pipeline", NULL);
  g_assert_cmpint (json_object_get_int_member (reply, "id"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (reply, "format"), ==, "dot");
  data = json_object_get_string_member (reply, "data");
  g_assert_true (g_str_has_prefix (data, "digraph"));
  g_assert_nonnull (strstr (data, ROOM_SID));
  g_assert_nonnull (strstr (data, "audiotestsrc"));

  from = w->messages->len;
  group_worker_send (w, "{\"type\":\"dump-pipeline\",\"id\":8,\"format\":\"text\"}");
  {
    GroupWorkerWait wait = { w, "pipeline", NULL, from, NULL };

    group_spin_until (group_worker_wait_cond, &wait, TIMEOUT_MS);
    g_assert_nonnull (wait.found);
    reply = wait.found;
  }
  g_assert_cmpint (json_object_get_int_member (reply, "id"), ==, 8);
  data = json_object_get_string_member (reply, "data");
  g_test_message ("%s", data);
  g_assert_true (g_str_has_prefix (data, "GstPipeline " ROOM_SID " [PLAYING]\n"));
  g_assert_nonnull (strstr (data, "\n  GstBin testbin [PLAYING]\n"));
  g_assert_nonnull (strstr (data, "\n    GstFakeSink sink [PLAYING]\n"));
  g_assert_nonnull (strstr (data, "      sink sink <- audiotestsrc"));
  g_assert_nonnull (strstr (data, "audio/x-raw"));

  from = w->messages->len;
  group_worker_send (w, "{\"type\":\"dump-pipeline\",\"id\":9,\"format\":\"svg\"}");
  {
    GroupWorkerWait wait = { w, "pipeline", NULL, from, NULL };

    group_spin_until (group_worker_wait_cond, &wait, TIMEOUT_MS);
    g_assert_nonnull (wait.found);
    g_assert_cmpint (json_object_get_int_member (wait.found, "id"), ==, 9);
    g_assert_nonnull (
        strstr (json_object_get_string_member (wait.found, "error"), "svg"));
    g_assert_false (json_object_has_member (wait.found, "data"));
  }
  group_worker_free (w);
}

/* Negotiated SRTP caps carry the session key; neither dump may show it. */
static void
test_dump_redacts_keys (void)
{
  const char *extra[]
      = { "--option",
          "elements=audiotestsrc is-live=true samplesperbuffer=4800 ! capssetter "
          "join=false replace=true "
          "caps=\"application/x-srtp,srtp-key=(buffer)00112233445566778899aabbccddeeff,"
          "srtp-cipher=aes-128-icm\" ! fakesink name=sink",
          NULL };
  GroupWorker *w = group_worker_start (extra, NULL);
  const char *formats[] = { "text", "dot" };

  group_worker_wait_message (w, "ready", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      const char *data = NULL;

      /* The caps reach the pads with the first buffer, a moment after
       * PLAYING. */
      for (guint attempt = 0; attempt < 100; attempt++)
        {
          g_autofree char *request = g_strdup_printf (
              "{\"type\":\"dump-pipeline\",\"id\":%u,\"format\":\"%s\"}", i, formats[i]);
          GroupWorkerWait wait = { w, "pipeline", NULL, w->messages->len, NULL };

          group_worker_send (w, request);
          group_spin_until (group_worker_wait_cond, &wait, TIMEOUT_MS);
          g_assert_nonnull (wait.found);
          data = json_object_get_string_member (wait.found, "data");
          if (strstr (data, "aes-128-icm") != NULL)
            break;
          g_usleep (20000);
        }
      g_test_message ("%s", data);
      g_assert_nonnull (strstr (data, "aes-128-icm")); /* the caps are there… */
      g_assert_null (strstr (data, "00112233"));       /* …but not the key */
      g_assert_null (strstr (data, "112233445566"));
      g_assert_nonnull (strstr (data, "redacted"));
    }
  group_worker_free (w);
}

static void
raw_write (GroupWorker *w, const char *data, gsize length)
{
  /* The fd is non-blocking (GSocket made it so). */
  while (length > 0)
    {
      gssize done = write (w->raw_fd, data, length);

      if (done < 0)
        {
          g_assert_true (errno == EAGAIN || errno == EINTR);
          g_usleep (1000);
          continue;
        }
      data += done;
      length -= done;
    }
}

/* Garbage from the daemon is dropped line by line; the worker keeps
 * serving. */
static void
test_garbage_lines (void)
{
  GroupWorker *w = group_worker_start (NULL, NULL);
  const char *lines = "not json\n[1,2]\n{\"no\":\"type\"}\n{\"type\":\"module\"}\n"
                      "{\"type\":\"module\",\"body\":5}\n{\"type\":\"bogus\"}\n\n";
  gsize huge_length = CONVOKE_CONTROL_MAX_LINE + 4096;
  g_autofree char *huge = g_malloc (huge_length);
  JsonObject *echo;

  group_worker_wait_message (w, "ready", NULL);
  raw_write (w, lines, strlen (lines));
  memset (huge, 'x', huge_length - 1);
  huge[huge_length - 1] = '\n';
  raw_write (w, huge, huge_length);

  group_worker_send (w, "{\"type\":\"module\",\"body\":{\"cmd\":\"echo\",\"n\":3}}");
  echo = group_worker_wait_event (w, "echo");
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (echo, "body"), "n"), ==,
      3);
  g_assert_false (w->exited);
  /* stderr is read apart from the control socket and may lag behind. */
  group_worker_wait_output (w, "not JSON");
  group_worker_wait_output (w, "bogus");
  group_worker_wait_output (w, "was dropped");
  group_worker_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/group/worker/ready-echo-shutdown", test_ready_echo_shutdown);
  g_test_add_func ("/group/worker/set-options", test_set_options);
  g_test_add_func ("/group/worker/pooled-assign", test_pooled_assign);
  g_test_add_func ("/group/worker/pooled-refusals", test_pooled_refusals);
  g_test_add_func ("/group/worker/certificate-fd", test_certificate_fd);
  g_test_add_func ("/group/worker/isolation", test_isolation);
  g_test_add_func ("/group/worker/parent-death", test_parent_death);
  g_test_add_func ("/group/worker/fail-paths", test_fail_paths);
  g_test_add_func ("/group/worker/bad-command-lines", test_bad_command_lines);
  g_test_add_func ("/group/worker/endings", test_endings);
  g_test_add_func ("/group/worker/dump-pipeline", test_dump_pipeline);
  g_test_add_func ("/group/worker/dump-redacts-keys", test_dump_redacts_keys);
  g_test_add_func ("/group/worker/garbage-lines", test_garbage_lines);
  return g_test_run ();
}
