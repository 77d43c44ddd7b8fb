/* convoke-client --relay-only through a real coturn on 127.0.0.1, with the
 * TURN credentials convoked hands out in `joined`.
 *
 * Skipped when coturn (turnserver) is not installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <sys/prctl.h>

#include "client-runner.h"

#define TURN_SECRET "relay-test-secret"
#define TURN_REALM "convoke.test"
/* No media may flow for this long when relaying is impossible. */
#define NO_MEDIA_WAIT_MS 6000

typedef struct
{
  GSubprocess *process;
  char *dir;
  char *log_path;
  guint16 port;
} Coturn;

static guint16
free_udp_port (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static Coturn *
coturn_start (void)
{
  Coturn *turn = g_new0 (Coturn, 1);
  g_autofree char *config_path = NULL;
  g_autofree char *config = NULL;
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError) error = NULL;
  guint16 relay_base;

  turn->dir = test_mkdtemp ();
  turn->port = free_udp_port ();
  relay_base = free_udp_port ();
  turn->log_path = g_build_filename (turn->dir, "turnserver.log", NULL);
  config_path = g_build_filename (turn->dir, "turnserver.conf", NULL);
  /* allow-loopback-peers: both clients relay from and to 127.0.0.1, which
   * coturn refuses (403) without it. For tests only. */
  config = g_strdup_printf ("listening-ip=127.0.0.1\n"
                            "relay-ip=127.0.0.1\n"
                            "listening-port=%u\n"
                            "min-port=%u\n"
                            "max-port=%u\n"
                            "use-auth-secret\n"
                            "static-auth-secret=" TURN_SECRET "\n"
                            "realm=" TURN_REALM "\n"
                            "fingerprint\n"
                            "no-tls\n"
                            "no-dtls\n"
                            "no-tcp\n"
                            "no-cli\n"
                            "allow-loopback-peers\n"
                            "log-file=stdout\n"
                            "simple-log\n"
                            "verbose\n"
                            "userdb=%s/turndb\n"
                            "pidfile=%s/turnserver.pid\n",
                            turn->port, relay_base, MIN (relay_base + 50, 65535),
                            turn->dir, turn->dir);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);

  /* In the foreground (no -o); never -n, which ignores the config file. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, turn->log_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, turn->log_path);
  turn->process = g_subprocess_launcher_spawn (launcher, &error, "turnserver", "-c",
                                               config_path, NULL);
  g_assert_no_error (error);
  test_kill_with_test (
      (GPid) g_ascii_strtoll (g_subprocess_get_identifier (turn->process), NULL, 10));
  /* It needs a moment to bind; a client that came earlier would just
   * retry its allocation, but the test should not depend on that. */
  g_usleep (500 * 1000);
  return turn;
}

static char *
coturn_log (Coturn *turn)
{
  char *log = NULL;

  g_file_get_contents (turn->log_path, &log, NULL, NULL);
  return log ? log : g_strdup ("");
}

static void
coturn_stop (Coturn *turn)
{
  g_autofree char *log = coturn_log (turn);

  g_test_message ("turnserver log:\n%s", log);
  g_subprocess_force_exit (turn->process);
  g_subprocess_wait (turn->process, NULL, NULL);
  g_object_unref (turn->process);
  test_rm_rf (turn->dir);
  g_free (turn->dir);
  g_free (turn->log_path);
  g_free (turn);
}

static char *
daemon_config (guint16 turn_port, const char *secret)
{
  return g_strdup_printf ("[rooms]\n"
                          "default-type=peer-to-peer\n"
                          "auto-create=true\n"
                          "[type:group]\n"
                          "module=mesh\n"
                          "[type:group-small]\n"
                          "module=mesh\n"
                          "[turn]\n"
                          "urls=turn:127.0.0.1:%u?transport=udp\n"
                          "secret=%s\n",
                          turn_port, secret);
}

/* Two relay-only clients exchange media, and coturn saw both identities
 * authenticate: the credentials of `joined` reached it intact. */
static void
test_relay_only (void)
{
  Coturn *turn;
  g_autofree char *config = NULL;
  TestDaemon *d;
  const char *relay_only[] = { "--relay-only", NULL };
  TestClient *clients[3] = { NULL };
  g_autofree char *log = NULL;

  if (g_find_program_in_path ("turnserver") == NULL)
    {
      g_test_skip ("coturn (turnserver) is not installed");
      return;
    }
  turn = coturn_start ();
  config = daemon_config (turn->port, TURN_SECRET);
  d = test_client_daemon_start (config);
  clients[0] = test_client_start (d, "alice", "relayed", relay_only);
  clients[1] = test_client_start (d, "bob", "relayed", relay_only);
  g_assert_true (test_clients_wait_all_receive (clients, 30, 10, 30000));

  log = coturn_log (turn);
  g_assert_nonnull (strstr (log, ":alice>"));
  g_assert_nonnull (strstr (log, ":bob>"));
  g_assert_cmpint (test_client_stop (clients[0]), ==, 0);
  g_assert_cmpint (test_client_stop (clients[1]), ==, 0);
  test_daemon_stop (d);
  coturn_stop (turn);
}

static gboolean
any_media (gpointer data)
{
  TestClient **clients = data;

  return test_client_frames_from (clients[0], "bob", "audio") > 0
         || test_client_frames_from (clients[1], "alice", "audio") > 0;
}

/* With credentials coturn refuses, relay-only clients get no media: the
 * option really keeps the host candidates out. */
static void
test_relay_only_refused (void)
{
  Coturn *turn;
  g_autofree char *config = NULL;
  TestDaemon *d;
  const char *relay_only[] = { "--relay-only", NULL };
  TestClient *clients[3] = { NULL };

  if (g_find_program_in_path ("turnserver") == NULL)
    {
      g_test_skip ("coturn (turnserver) is not installed");
      return;
    }
  turn = coturn_start ();
  config = daemon_config (turn->port, "not-the-turn-secret");
  d = test_client_daemon_start (config);
  clients[0] = test_client_start (d, "alice", "unrelayed", relay_only);
  clients[1] = test_client_start (d, "bob", "unrelayed", relay_only);
  g_assert_false (test_wait_until (any_media, clients, NO_MEDIA_WAIT_MS));
  /* Failing media is not a session error: both still leave cleanly. */
  g_assert_cmpint (test_client_stop (clients[0]), ==, 0);
  g_assert_cmpint (test_client_stop (clients[1]), ==, 0);
  test_daemon_stop (d);
  coturn_stop (turn);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/relay/relay-only", test_relay_only);
  g_test_add_func ("/client/relay/refused-credentials", test_relay_only_refused);
  return g_test_run ();
}
