/* The worker's sandbox (docs/security.md), checked on live workers: its
 * user, capabilities, no_new_privs and seccomp mode in /proc/PID/status;
 * each forbidden call refused, logged, and fatal to that worker only; the
 * calls a worker needs still allowed; a worker run from a directory its
 * user cannot enter; a recording worker's writes kept to its room's
 * directory.
 *
 * The "grouptest" module makes the calls (its `try` command), as code
 * running inside a compromised worker would.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "group-proc-checks.h"
#include "group-worker-fixture.h"

#define TRY_CALL "{\"type\":\"module\",\"body\":{\"cmd\":\"try\",\"call\":\"%s\",\"path\":\"%s\"}}"

static pid_t
worker_pid (GroupWorker *w)
{
  return atoi (g_subprocess_get_identifier (w->process));
}

/* The value of @field ("Uid", "CapEff", …) in /proc/@pid/status. */
static char *
proc_status_field (pid_t pid, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *contents = NULL;
  g_autofree char *key = g_strdup_printf ("\n%s:", field);
  const char *line;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  line = strstr (contents, key);
  g_assert_nonnull (line);
  line += strlen (key);
  return g_strstrip (g_strndup (line, strcspn (line, "\n")));
}

static gboolean
tried_or_exited (gpointer data)
{
  GroupWorkerWait *wait = data;

  return group_worker_wait_cond (wait) || wait->w->exited;
}

/* Makes the worker try @call; returns the `tried` event's body, or NULL
 * when the worker died instead. */
static JsonObject *
try_call (GroupWorker *w, const char *call, const char *path)
{
  g_autofree char *request = g_strdup_printf (TRY_CALL, call, path);
  GroupWorkerWait wait = { w, "module", "tried", w->messages->len, NULL };

  group_worker_send (w, request);
  group_spin_until (tried_or_exited, &wait, GROUP_TEST_TIMEOUT_MS);
  g_assert_true (wait.found != NULL || w->exited);
  /* An answer sent just before exiting may still be on its way: a short
   * window after the exit, not a deadline, so not scaled (a call that
   * kills the worker would wait out a scaled one every time). */
  if (wait.found == NULL)
    test_watch_for (group_worker_wait_cond, &wait, 200);
  return wait.found != NULL ? json_object_get_object_member (wait.found, "body") : NULL;
}

static void
assert_status_sandboxed (pid_t pid)
{
  g_autofree char *uid = proc_status_field (pid, "Uid");
  g_autofree char *gid = proc_status_field (pid, "Gid");
  g_autofree char *groups = proc_status_field (pid, "Groups");
  const char *caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
  g_autofree char *no_new_privs = proc_status_field (pid, "NoNewPrivs");
  g_autofree char *seccomp = proc_status_field (pid, "Seccomp");

  g_test_message ("Uid %s, Gid %s, Groups “%s”", uid, gid, groups);
  if (geteuid () == 0)
    {
      g_assert_cmpstr (uid, ==, "65534\t65534\t65534\t65534");
      g_assert_cmpstr (gid, ==, "65534\t65534\t65534\t65534");
      g_assert_cmpstr (groups, ==, "");
    }
  else
    g_assert_false (g_str_has_prefix (uid, "0\t"));
  for (guint i = 0; i < G_N_ELEMENTS (caps); i++)
    {
      g_autofree char *value = proc_status_field (pid, caps[i]);

      /* Only root had a bounding set to drop. */
      if (geteuid () != 0 && g_str_equal (caps[i], "CapBnd"))
        continue;
      g_assert_cmpstr (value, ==, "0000000000000000");
    }
  g_assert_cmpstr (no_new_privs, ==, "1");
  g_assert_cmpstr (seccomp, ==, "2"); /* a filter */
}

/* A pooled worker waits before the sandbox's last step and takes it
 * after `assign`, before `ready`: its room's worker is as confined as a
 * cold one. */
static void
test_pooled_proc_status (void)
{
  const char *extra[] = { "--pooled", "RM--------------------------------", NULL };
  GroupWorker *w = group_worker_start (extra, NULL);

  group_worker_wait_message (w, "waiting", NULL);
  group_worker_send (w, "{\"type\":\"assign\",\"room-sid\":\"" GROUP_TEST_ROOM_SID "\","
                        "\"options\":{}}");
  group_worker_wait_message (w, "ready", NULL);
  assert_status_sandboxed (worker_pid (w));
  group_worker_send (w, "{\"type\":\"module\",\"body\":{\"cmd\":\"echo\"}}");
  group_worker_wait_event (w, "echo");
  group_worker_send (w, "{\"type\":\"shutdown\"}");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
  group_worker_free (w);
}

static void
test_proc_status (void)
{
  GroupWorker *w = group_worker_start (NULL, NULL);

  group_worker_wait_message (w, "ready", NULL);
  assert_status_sandboxed (worker_pid (w));
  /* Still working: commands reach the module and come back. */
  group_worker_send (w, "{\"type\":\"module\",\"body\":{\"cmd\":\"echo\"}}");
  group_worker_wait_event (w, "echo");
  group_worker_send (w, "{\"type\":\"shutdown\"}");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
  group_worker_free (w);
}

/* Each forbidden call: refused (it never returns to the module), logged
 * with its name, and the worker dies of SIGSYS. */
static void
test_forbidden (gconstpointer data)
{
  const char *call = data;
  g_autofree char *dir = g_dir_make_tmp ("group-sandbox-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "written", NULL);
  GroupWorker *w = group_worker_start (NULL, NULL);
  const char *name = g_str_has_prefix (call, "socket") ? "socket"
                     : g_str_equal (call, "open-write")  ? "openat"
                     : g_str_equal (call, "fork")        ? "clone"
                                                         : call;
  g_autofree char *logged = g_strdup_printf ("the sandbox refused system call");
  g_autofree char *named = g_strdup_printf ("(%s", name);

  g_assert_cmpint (g_chmod (dir, 0777), ==, 0); /* only the sandbox may refuse */
  group_worker_wait_message (w, "ready", NULL);
  g_assert_null (try_call (w, call, path));
  g_assert_cmpint (group_worker_wait_exit (w), ==, -1);
  g_assert_true (g_subprocess_get_if_signaled (w->process));
  g_assert_cmpint (g_subprocess_get_term_sig (w->process), ==, SIGSYS);
  group_worker_wait_output (w, logged);
  group_worker_wait_output (w, named);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  group_worker_free (w);
  g_rmdir (dir);
}

/* What a worker needs keeps working under the filter. */
static void
test_allowed (void)
{
  const char *calls[] = { "socket-udp", "socket-tcp6", "socket-unix",
                          "socket-netlink-route", "open-read" };
  GroupWorker *w = group_worker_start (NULL, NULL);

  group_worker_wait_message (w, "ready", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      JsonObject *tried = try_call (w, calls[i], "/etc/hostname");

      g_assert_nonnull (tried);
      g_test_message ("%s: %" G_GINT64_FORMAT " (errno %" G_GINT64_FORMAT ")", calls[i],
                      json_object_get_int_member (tried, "result"),
                      json_object_get_int_member (tried, "errno"));
      g_assert_cmpint (json_object_get_int_member (tried, "result"), >=, 0);
    }
  /* Signals to another process, even the daemon: refused as well. */
  g_assert_null (try_call (w, "kill-parent", ""));
  g_assert_cmpint (g_subprocess_get_term_sig (w->process), ==, SIGSYS);
  group_worker_free (w);
}

static void
copy_file (const char *from, const char *dir)
{
  g_autofree char *name = g_path_get_basename (from);
  g_autofree char *to = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (from, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (to, contents, length, NULL));
  g_assert_cmpint (g_chmod (to, 0700), ==, 0);
}

/* A build tree that the worker's user cannot enter (a clone in /root, a
 * mktemp -d folder): the worker still starts, since it switches user
 * itself after exec. Switching before exec, as a child setup would, fails
 * there: the kernel refuses nobody the path. */
static void
test_private_build_tree (void)
{
  g_autofree char *dir = g_dir_make_tmp ("group-sandbox-XXXXXX", NULL);
  g_autofree char *program = g_build_filename (dir, "convoke-room-worker", NULL);
  g_autofree char *module = g_build_filename (group_test_module_dir (),
                                              "libconvoke-topology-grouptest.so", NULL);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) before_exec = NULL;
  g_autoptr (GError) error = NULL;
  struct stat st;
  GroupWorker *w;

  if (geteuid () != 0)
    {
      g_test_skip ("needs root, to switch user");
      return;
    }
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  copy_file (g_getenv ("CONVOKE_WORKER"), dir);
  copy_file (module, dir);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, group_become_nobody, NULL, NULL);
  before_exec = g_subprocess_launcher_spawn (launcher, &error, program, "--help", NULL);
  g_assert_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_ACCES);
  g_test_message ("switching user before exec: %s", error->message);

  w = group_worker_start_program (program, dir, NULL, NULL, NULL);
  group_worker_wait_message (w, "ready", NULL);
  assert_status_sandboxed (worker_pid (w));
  group_worker_send (w, "{\"type\":\"shutdown\"}");
  g_assert_cmpint (group_worker_wait_exit (w), ==, 0);
  group_worker_free (w);
  g_unlink (program);
  {
    g_autofree char *copied = g_build_filename (dir, "libconvoke-topology-grouptest.so",
                                                NULL);

    g_unlink (copied);
  }
  g_rmdir (dir);
}

static gboolean
have_landlock (void)
{
  return syscall (SYS_landlock_create_ruleset, NULL, 0, 1 /* VERSION */) >= 1;
}

/* A recording worker writes in its room's directory, which the daemon
 * made 0700 inside a directory the worker's user cannot enter, and
 * nowhere else. */
static void
test_recording_dir (void)
{
  g_autofree char *base = g_dir_make_tmp ("group-sandbox-XXXXXX", NULL);
  g_autofree char *room_dir = g_build_filename (base, GROUP_TEST_ROOM_SID, NULL);
  g_autofree char *outside = g_dir_make_tmp ("group-sandbox-outside-XXXXXX", NULL);
  g_autofree char *escaped = g_build_filename (outside, "escaped", NULL);
  g_autofree char *beside = g_build_filename (base, "beside", NULL);
  g_autofree char *key = g_build_filename (base, "key.pem", NULL);
  g_autofree char *dir_option = g_strdup_printf ("recording-dir=%s", room_dir);
  g_autofree char *key_option = g_strdup_printf ("recording-public-key=%s", key);
  const char *extra[] = { "--option", dir_option, "--option", key_option, NULL };
  g_autofree char *inside = NULL;
  g_autofree char *written = g_build_filename (room_dir, "RT1.mka", NULL);
  g_autofree char *contents = NULL;
  JsonObject *tried;
  const char *dir_seen, *key_seen;
  GroupWorker *w;
  struct stat st;

  if (!have_landlock ())
    {
      g_test_skip ("this kernel has no Landlock");
      return;
    }
  g_assert_cmpint (g_mkdir (room_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (key, "-----BEGIN PUBLIC KEY-----\n", -1, NULL));
  g_assert_cmpint (g_chmod (key, 0600), ==, 0);
  g_assert_cmpint (g_chmod (outside, 0777), ==, 0); /* only Landlock may refuse */

  w = group_worker_start (extra, NULL);
  group_worker_wait_message (w, "ready", NULL);
  assert_status_sandboxed (worker_pid (w));

  /* The module sees paths that lead to the descriptors opened before the
   * switch. */
  dir_seen = group_worker_ask_option (w, "recording-dir");
  g_assert_true (g_str_has_prefix (dir_seen, "/proc/self/fd/"));
  inside = g_build_filename (dir_seen, "RT1.mka", NULL);
  tried = try_call (w, "open-write", inside);
  g_assert_nonnull (tried);
  g_assert_cmpint (json_object_get_int_member (tried, "errno"), ==, 0);
  g_assert_true (g_file_get_contents (written, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "convoke\n");
  if (geteuid () == 0)
    {
      g_assert_cmpint (g_stat (written, &st), ==, 0);
      g_assert_cmpint (st.st_uid, ==, NOBODY);
    }

  key_seen = group_worker_ask_option (w, "recording-public-key");
  g_assert_true (g_str_has_prefix (key_seen, "/proc/self/fd/"));
  tried = try_call (w, "open-read", key_seen);
  g_assert_cmpint (json_object_get_int_member (tried, "result"), >=, 0);

  /* Anywhere else: refused by Landlock, and the worker goes on. */
  tried = try_call (w, "open-write", escaped);
  g_assert_nonnull (tried);
  g_assert_cmpint (json_object_get_int_member (tried, "errno"), ==, EACCES);
  g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
  tried = try_call (w, "open-write", beside);
  g_assert_cmpint (json_object_get_int_member (tried, "result"), <, 0);
  g_assert_false (g_file_test (beside, G_FILE_TEST_EXISTS));
  /* And exec stays forbidden. */
  g_assert_null (try_call (w, "execve", ""));
  g_assert_cmpint (g_subprocess_get_term_sig (w->process), ==, SIGSYS);
  group_worker_free (w);

  g_unlink (written);
  g_unlink (key);
  g_rmdir (room_dir);
  g_rmdir (base);
  g_rmdir (outside);
}

int
main (int argc, char **argv)
{
  static const char *const forbidden[]
      = { "execve",     "ptrace",     "fork",
          "socket-packet", "socket-raw", "socket-netlink-uevent", "open-write" };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/group/sandbox/proc-status", test_proc_status);
  g_test_add_func ("/group/sandbox/pooled-proc-status", test_pooled_proc_status);
  for (guint i = 0; i < G_N_ELEMENTS (forbidden); i++)
    {
      g_autofree char *name = g_strdup_printf ("/group/sandbox/forbidden/%s", forbidden[i]);

      g_test_add_data_func (name, forbidden[i], test_forbidden);
    }
  g_test_add_func ("/group/sandbox/allowed", test_allowed);
  g_test_add_func ("/group/sandbox/private-build-tree", test_private_build_tree);
  g_test_add_func ("/group/sandbox/recording-dir", test_recording_dir);
  return g_test_run ();
}
