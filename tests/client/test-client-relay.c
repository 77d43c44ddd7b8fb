/* convoke-client --relay-only through a real coturn on 127.0.0.1, with the
 * TURN credentials convoked hands out in `joined`.
 *
 * Skipped when coturn (turnserver) is not installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "client-runner.h"
#include "turn-server.h"

/* No media may flow for this long when relaying is impossible: an
 * observation window, not scaled (test_watch_for). */
#define NO_MEDIA_WAIT_MS 6000

/* Prints coturn's log (which identities authenticated, what it refused)
 * into the test's output before stopping it. */
static void
coturn_stop (TestTurnServer *turn)
{
  g_autofree char *log = test_turn_server_log (turn);

  g_test_message ("turnserver log:\n%s", log);
  test_turn_server_stop (turn);
}

/* Rooms of every type are mesh rooms; @secret: NULL for coturn's own. */
static char *
daemon_config (TestTurnServer *turn, const char *secret)
{
  g_autofree char *turn_config = test_turn_server_daemon_config (turn, secret);

  return g_strconcat ("[rooms]\n"
                      "default-type=peer-to-peer\n"
                      "auto-create=true\n"
                      "[type:group]\n"
                      "module=mesh\n"
                      "[type:group-small]\n"
                      "module=mesh\n",
                      turn_config, NULL);
}

/* Two relay-only clients exchange media, and coturn saw both identities
 * authenticate: the credentials of `joined` reached it intact. */
static void
test_relay_only (void)
{
  TestTurnServer *turn;
  g_autofree char *config = NULL;
  TestDaemon *d;
  const char *relay_only[] = { "--relay-only", NULL };
  TestClient *clients[3] = { NULL };
  g_autofree char *log = NULL;

  if (!test_turn_server_available ())
    {
      g_test_skip ("coturn (turnserver) is not installed");
      return;
    }
  turn = test_turn_server_start ();
  config = daemon_config (turn, NULL);
  d = test_client_daemon_start (config);
  clients[0] = test_client_start (d, "alice", "relayed", relay_only);
  clients[1] = test_client_start (d, "bob", "relayed", relay_only);
  g_assert_true (test_clients_wait_all_receive (clients, 30, 10, 30000));

  log = test_turn_server_log (turn);
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
  TestTurnServer *turn;
  g_autofree char *config = NULL;
  TestDaemon *d;
  const char *relay_only[] = { "--relay-only", NULL };
  TestClient *clients[3] = { NULL };

  if (!test_turn_server_available ())
    {
      g_test_skip ("coturn (turnserver) is not installed");
      return;
    }
  turn = test_turn_server_start ();
  config = daemon_config (turn, "not-the-turn-secret");
  d = test_client_daemon_start (config);
  clients[0] = test_client_start (d, "alice", "unrelayed", relay_only);
  clients[1] = test_client_start (d, "bob", "unrelayed", relay_only);
  g_assert_false (test_watch_for (any_media, clients, NO_MEDIA_WAIT_MS));
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
