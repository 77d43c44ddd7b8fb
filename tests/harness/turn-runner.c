/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "turn-runner.h"

#include <signal.h>
#include <string.h>

#include "test-daemon.h"
#include "test-process.h"

#define DEFAULT_TURNSERVER "/usr/bin/turnserver"
#define TURN_SECRET "convoke-test-turn-secret"
#define START_TIMEOUT_MS 15000
#define STOP_TIMEOUT_MS 5000
/* coturn prints this once its relay threads run. */
#define READY_LINE "Total General servers"

const char *
test_turn_path (void)
{
  const char *env = g_getenv ("TURNSERVER");

  return env != NULL && *env != '\0' ? env : DEFAULT_TURNSERVER;
}

gboolean
test_turn_available (void)
{
  return g_file_test (test_turn_path (), G_FILE_TEST_IS_EXECUTABLE);
}

static gboolean
turn_ready (gpointer data)
{
  TestTurnServer *turn = data;
  g_autofree char *log = NULL;

  if (g_subprocess_get_identifier (turn->process) == NULL)
    return TRUE; /* exited: stop waiting */
  return g_file_get_contents (turn->log_path, &log, NULL, NULL)
         && strstr (log, READY_LINE) != NULL;
}

TestTurnServer *
test_turn_start (void)
{
  TestTurnServer *turn = g_new0 (TestTurnServer, 1);
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GError) error = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *config = NULL;
  g_autofree char *log = NULL;

  turn->dir = test_mkdtemp ();
  turn->log_path = g_build_filename (turn->dir, "turnserver.log", NULL);
  /* coturn takes a fixed port; ask the kernel for one that is free now. */
  turn->port = test_free_udp_port ();
  turn->secret = g_strdup (TURN_SECRET);
  config_path = g_build_filename (turn->dir, "turnserver.conf", NULL);
  /* allow-loopback-peers: both ends of every relayed flow are on
   * 127.0.0.1 here, which coturn otherwise forbids (403). */
  config = g_strdup_printf ("listening-ip=127.0.0.1\n"
                            "relay-ip=127.0.0.1\n"
                            "listening-port=%u\n"
                            "use-auth-secret\n"
                            "static-auth-secret=%s\n"
                            "realm=convoke.test\n"
                            "fingerprint\n"
                            "no-tls\n"
                            "no-dtls\n"
                            "no-cli\n"
                            "allow-loopback-peers\n"
                            "log-file=stdout\n"
                            "simple-log\n"
                            "verbose\n"
                            "userdb=%s/turndb\n"
                            "pidfile=%s/turnserver.pid\n",
                            turn->port, turn->secret, turn->dir, turn->dir);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);

  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, turn->log_path);
  turn->process = g_subprocess_launcher_spawn (launcher, &error, test_turn_path (), "-c",
                                               config_path, NULL);
  g_assert_no_error (error);
  test_kill_with_test (
      (GPid) g_ascii_strtoll (g_subprocess_get_identifier (turn->process), NULL, 10));

  test_wait_until (turn_ready, turn, START_TIMEOUT_MS);
  g_file_get_contents (turn->log_path, &log, NULL, NULL);
  if (log == NULL || strstr (log, READY_LINE) == NULL
      || g_subprocess_get_identifier (turn->process) == NULL)
    {
      g_autofree char *message
          = g_strdup_printf ("coturn (%s) did not start within %d ms; its output:\n%s",
                             test_turn_path (), START_TIMEOUT_MS, log ? log : "(none)");

      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, message);
    }
  g_test_message ("coturn on 127.0.0.1:%u (pid %s)", turn->port,
                  g_subprocess_get_identifier (turn->process));
  return turn;
}

static gboolean
turn_exited (gpointer data)
{
  return g_subprocess_get_identifier (G_SUBPROCESS (data)) == NULL;
}

void
test_turn_stop (TestTurnServer *turn)
{
  if (turn == NULL)
    return;
  if (g_subprocess_get_identifier (turn->process) != NULL)
    {
      g_subprocess_send_signal (turn->process, SIGTERM);
      if (!test_wait_until (turn_exited, turn->process, STOP_TIMEOUT_MS))
        g_subprocess_force_exit (turn->process);
    }
  g_subprocess_wait (turn->process, NULL, NULL);
  g_clear_object (&turn->process);
  test_rm_rf (turn->dir);
  g_free (turn->dir);
  g_free (turn->log_path);
  g_free (turn->secret);
  g_free (turn);
}

char *
test_turn_log (TestTurnServer *turn)
{
  char *log = NULL;

  g_file_get_contents (turn->log_path, &log, NULL, NULL);
  return log != NULL ? log : g_strdup ("");
}

char *
test_turn_config (TestTurnServer *turn)
{
  return g_strdup_printf ("[turn]\n"
                          "urls=turn:127.0.0.1:%u?transport=udp\n"
                          "secret=%s\n",
                          turn->port, turn->secret);
}
