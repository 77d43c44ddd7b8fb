/* Media through coturn: convoke-client --relay-only against a real
 * convoked whose [turn] points at a real coturn on loopback.
 *
 * Each case judges the clients by their --stats-json files and output,
 * and coturn by its own log: the allocations it granted, the requests it
 * refused and the bytes it relayed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "client-runner.h"
#include "turn-server.h"

/* Deadlines (the *_TIMEOUT_MS) are base figures for an idle 2-core
 * machine; the harness's waits scale them (test-time.h). */
#define MEDIA_TIMEOUT_MS 30000
#define WANT_VIDEO_FRAMES 30
#define WANT_AUDIO_BUFFERS 10
/* coturn reports a session's counters after 4096 packets (counted once
 * on each side of the relay); at the clients' 320x240 video and Opus
 * audio that takes 15 to 20 s. */
#define USAGE_TIMEOUT_MS 60000
/* ICE checks and the DTLS handshake take a few kB; 30 frames of video
 * and a second of audio take more than this. */
#define WANT_RELAYED_BYTES 20000
#define FAILURE_TIMEOUT_MS 30000

static const char *const relay_only[] = { "--relay-only", NULL };

static TestDaemon *
start_daemon (TestTurnServer *turn, const char *secret, const char *default_type)
{
  g_autofree char *turn_config = test_turn_server_daemon_config (turn, secret);
  g_autofree char *config = g_strdup_printf ("%s"
                                             "[rooms]\n"
                                             "default-type=%s\n"
                                             "auto-create=true\n",
                                             turn_config, default_type);

  return test_client_daemon_start (config);
}

typedef struct
{
  TestTurnServer *turn;
  const char *identity;
} UsageWait;

static gboolean
usage_reported (gpointer data)
{
  UsageWait *wait = data;
  TurnUserUsage usage;

  test_turn_server_usage (wait->turn, wait->identity, &usage);
  return usage.reports > 0;
}

/* Waits for coturn's first usage report on @identity's allocation and
 * checks that it relayed media both ways: from the client into the relay
 * and on to the peer, and from the peer back to the client. */
static void
assert_relayed (TestTurnServer *turn, const char *identity)
{
  UsageWait wait = { turn, identity };
  TurnUserUsage usage;

  if (!test_wait_until (usage_reported, &wait, USAGE_TIMEOUT_MS))
    {
      g_autofree char *log = test_turn_server_log (turn);

      g_test_message ("coturn log:\n%s", log);
      g_error ("coturn reported no traffic for %s within %u ms", identity,
               test_scaled_ms (USAGE_TIMEOUT_MS));
    }
  test_turn_server_usage (turn, identity, &usage);
  g_test_message ("coturn, %s: %u allocation(s); client rb=%" G_GUINT64_FORMAT
                  " sb=%" G_GUINT64_FORMAT "; peer rb=%" G_GUINT64_FORMAT
                  " sb=%" G_GUINT64_FORMAT,
                  identity, usage.allocations, usage.client.rb, usage.client.sb,
                  usage.peer.rb, usage.peer.sb);
  g_assert_cmpuint (usage.allocations, >=, 1);
  g_assert_cmpuint (usage.client.rb, >=, WANT_RELAYED_BYTES);
  g_assert_cmpuint (usage.peer.sb, >=, WANT_RELAYED_BYTES);
  g_assert_cmpuint (usage.peer.rb, >=, WANT_RELAYED_BYTES);
  g_assert_cmpuint (usage.client.sb, >=, WANT_RELAYED_BYTES);
}

/* Two relay-only clients in a peer-to-peer room: every packet between
 * them goes client → coturn → coturn → client. */
static void
test_peer_to_peer (void)
{
  TestTurnServer *turn = test_turn_server_start ();
  TestDaemon *d = start_daemon (turn, NULL, "peer-to-peer");
  TestClient *clients[3] = { NULL };

  clients[0] = test_client_start (d, "alice", "relayed", relay_only);
  clients[1] = test_client_start (d, "bob", "relayed", relay_only);
  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));
  assert_relayed (turn, "alice");
  assert_relayed (turn, "bob");

  g_assert_cmpint (test_client_stop (clients[0]), ==, 0);
  g_assert_cmpint (test_client_stop (clients[1]), ==, 0);
  test_daemon_stop (d);
  test_turn_server_stop (turn);
}

/* The same over TLS: the daemon hands out only a turns: URL, so the
 * clients reach coturn over TLS/TCP (and cannot fall back to UDP). */
static void
test_peer_to_peer_tls (void)
{
  TestTurnServer *turn = test_turn_server_start_tls ();
  TestDaemon *d = start_daemon (turn, NULL, "peer-to-peer");
  TestClient *clients[3] = { NULL };
  const char *const identities[] = { "alice", "bob" };

  clients[0] = test_client_start (d, "alice", "relayed-tls", relay_only);
  clients[1] = test_client_start (d, "bob", "relayed-tls", relay_only);
  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));
  /* A TCP session ends, with its final report, when its client leaves. */
  g_assert_cmpint (test_client_stop (clients[0]), ==, 0);
  g_assert_cmpint (test_client_stop (clients[1]), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (identities); i++)
    {
      TurnUserUsage usage;

      assert_relayed (turn, identities[i]);
      test_turn_server_usage (turn, identities[i], &usage);
      g_assert_cmpuint (usage.closed_local_port, ==, turn->tls_port);
    }

  test_daemon_stop (d);
  test_turn_server_stop (turn);
}

/* Only the room's worker, a child of convoked, needs Convoke's own
 * GStreamer plugin. The clients started after this run without it: its
 * copy of libconvoke-client next to convoke-client's own is an ODR
 * violation to ASan. They get a registry of their own (tests/turn/
 * meson.build), so the shared one is not rescanned either. */
static void
clients_without_convoke_plugin (void)
{
  g_autofree char *registry
      = g_build_filename (test_program ("CONVOKE_BUILD_ROOT"), "tests", "turn",
                          "gst-registry-no-convoke.bin", NULL);

  g_setenv ("GST_PLUGIN_PATH", "", TRUE);
  g_setenv ("GST_REGISTRY", registry, TRUE);
}

/* A group room: carol can only reach the room's media worker through the
 * relay; alice and bob reach it directly. */
static void
test_group_receiver (void)
{
  TestTurnServer *turn = test_turn_server_start ();
  TestDaemon *d = start_daemon (turn, NULL, "group");
  TestClient *alice = NULL;
  TestClient *bob = NULL;
  TestClient *carol = NULL;
  TestClient *clients[4] = { NULL };
  const char *const senders[] = { "alice", "bob", NULL };

  clients_without_convoke_plugin ();
  clients[0] = alice = test_client_start (d, "alice", "group-relayed", NULL);
  clients[1] = bob = test_client_start (d, "bob", "group-relayed", NULL);
  clients[2] = carol = test_client_start (d, "carol", "group-relayed", relay_only);

  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));
  g_assert_true (
      test_client_receives_from (carol, senders, WANT_VIDEO_FRAMES, WANT_AUDIO_BUFFERS));
  assert_relayed (turn, "carol");

  g_assert_cmpint (test_client_stop (carol), ==, 0);
  g_assert_cmpint (test_client_stop (bob), ==, 0);
  g_assert_cmpint (test_client_stop (alice), ==, 0);
  test_daemon_stop (d);
  test_turn_server_stop (turn);
}

typedef struct
{
  TestTurnServer *turn;
  const char *needle;
} LogWait;

static gboolean
log_contains (gpointer data)
{
  LogWait *wait = data;
  g_autofree char *log = test_turn_server_log (wait->turn);

  return strstr (log, wait->needle) != NULL;
}

static gboolean
worker_session_closed (gpointer data)
{
  UsageWait *wait = data;
  TurnUserUsage usage;

  test_turn_server_usage (wait->turn, wait->identity, &usage);
  return usage.closed_local_port != 0;
}

/* [media] worker-turn: the room's worker allocates a relay of its own,
 * as a server behind a NAT that clients cannot reach must. The worker's
 * host candidates are on 127.0.0.2, which coturn refuses as a peer
 * (denied-peer-ip), and the clients are relay-only: the only path left is
 * client → the client's allocation → the worker's allocation → worker. */
static void
test_group_worker_relay (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  TestTurnServer *turn = test_turn_server_start_with (tls, "denied-peer-ip=127.0.0.2\n");
  g_autofree char *turn_config = test_turn_server_daemon_config (turn, NULL);
  g_autofree char *config = NULL;
  g_autofree char *sid = NULL;
  g_autofree char *worker_identity = NULL;
  g_auto (GStrv) usernames = NULL;
  TestDaemon *d;
  TestClient *alice, *bob, *carol;
  TestClient *clients[4] = { NULL };
  const char *const senders[] = { "alice", "bob", NULL };
  /* coturn's words when a client's relay asks for a permission to the
   * worker's host address. */
  LogWait forbidden = { turn, "A peer IP 127.0.0.2 denied" };

  config = g_strdup_printf ("%s"
                            "[media]\n"
                            "worker-turn=true\n"
                            "[type:group]\n"
                            "ice-addresses=127.0.0.2\n"
                            "[rooms]\n"
                            "default-type=group\n"
                            "auto-create=true\n",
                            turn_config);
  /* Fresh credentials every 2 s instead of every ttl/2 (300 s), so that a
   * later join shows the worker using renewed ones. */
  g_setenv ("CONVOKE_WORKER_TURN_REFRESH_MS", "2000", TRUE);
  d = test_client_daemon_start (config);
  g_unsetenv ("CONVOKE_WORKER_TURN_REFRESH_MS");

  clients_without_convoke_plugin ();
  clients[0] = alice = test_client_start (d, "alice", "worker-relayed", relay_only);
  clients[1] = bob = test_client_start (d, "bob", "worker-relayed", relay_only);
  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));

  /* The direct path really is closed: the clients' relays were refused
   * a permission for the worker's host address. */
  g_assert_true (test_wait_until (log_contains, &forbidden, 5000));
  sid = test_daemon_room_string (d, "worker-relayed", "sid");
  worker_identity = g_strconcat ("worker-", sid, NULL);
  assert_relayed (turn, worker_identity);

  /* Joins after a refresh allocate with the renewed credentials. A pause
   * for the daemon's own 2 s timer, not a deadline: not scaled. */
  g_usleep (3 * G_USEC_PER_SEC);
  clients[2] = carol = test_client_start (d, "carol", "worker-relayed", relay_only);
  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));
  g_assert_true (
      test_client_receives_from (carol, senders, WANT_VIDEO_FRAMES, WANT_AUDIO_BUFFERS));
  usernames = test_turn_server_allocated_usernames (turn, worker_identity);
  for (guint i = 0; usernames[i] != NULL; i++)
    g_test_message ("worker allocation %u: %s", i, usernames[i]);
  g_assert_cmpuint (g_strv_length (usernames), >=, 2);

  g_assert_cmpint (test_client_stop (carol), ==, 0);
  g_assert_cmpint (test_client_stop (bob), ==, 0);
  g_assert_cmpint (test_client_stop (alice), ==, 0);
  test_daemon_stop (d);
  if (tls)
    {
      UsageWait wait = { turn, worker_identity };
      TurnUserUsage usage;

      /* The worker's TCP sessions end, with a last line naming coturn's
       * port, when the worker exits with its room. */
      g_assert_true (test_wait_until (worker_session_closed, &wait, 5000));
      test_turn_server_usage (turn, worker_identity, &usage);
      g_assert_cmpuint (usage.closed_local_port, ==, turn->tls_port);
    }
  test_turn_server_stop (turn);
}

typedef struct
{
  TestClient *client;
  TestTurnServer *turn;
} FailureWait;

static gboolean
client_reported_ice_failure (gpointer data)
{
  FailureWait *wait = data;
  g_autofree char *err = test_client_stderr (wait->client);

  /* docs/convoke-client.md: a failed ICE/DTLS connection to one peer is a
   * warning with Twilio's 53405 (media connection failed). */
  return strstr (err, "(53405)") != NULL;
}

/* docs/convoke-client.md: the stats file lists the warnings too. */
static gboolean
stats_carry_ice_failure (gpointer data)
{
  FailureWait *wait = data;
  g_autoptr (JsonObject) stats = test_client_stats (wait->client);
  JsonArray *warnings;

  if (stats == NULL || !json_object_has_member (stats, "warnings"))
    return FALSE;
  warnings = json_object_get_array_member (stats, "warnings");
  for (guint i = 0; i < json_array_get_length (warnings); i++)
    if (json_object_get_int_member (json_array_get_object_element (warnings, i), "code")
        == 53405)
      return TRUE;
  return FALSE;
}

static gboolean
coturn_refused (gpointer data)
{
  FailureWait *wait = data;
  TurnUserUsage usage;

  test_turn_server_usage (wait->turn, wait->client->identity, &usage);
  return usage.refusals > 0;
}

/* Not fatal, so that one run shows every way the client falls short and
 * still stops its processes in order. */
static void
expect_ice_failure_report (TestClient *client, FailureWait *wait)
{
  g_autofree char *err = NULL;

  if (test_wait_until (client_reported_ice_failure, wait, FAILURE_TIMEOUT_MS))
    {
      /* The stats file is rewritten every 0.5 s. */
      if (!test_wait_until (stats_carry_ice_failure, wait, 3000))
        g_test_fail_printf ("convoke-client %s printed its failed media connection "
                            "(53405) but its stats file has no such warning",
                            client->identity);
      return;
    }
  err = test_client_stderr (client);
  g_test_message ("convoke-client %s stderr:\n%s", client->identity, err);
  g_test_fail_printf ("convoke-client %s --relay-only, whose TURN server refused its "
                      "credentials, reported no failed media connection (53405) within "
                      "%u ms",
                      client->identity, test_scaled_ms (FAILURE_TIMEOUT_MS));
}

static void
expect_clean_stop (TestClient *client)
{
  g_autofree char *identity = g_strdup (client->identity);
  int status = test_client_stop (client);

  if (status != 0)
    g_test_fail_printf ("convoke-client %s did not leave cleanly on SIGTERM "
                        "(exit status %d; -1: it had to be killed)",
                        identity, status);
}

/* The daemon hands out credentials signed with a secret coturn does not
 * know: coturn refuses every Allocate, no relay candidate exists, and a
 * relay-only client must say that its media connection failed instead of
 * waiting silently. */
static void
test_refused_credentials (void)
{
  TestTurnServer *turn = test_turn_server_start ();
  TestDaemon *d = start_daemon (turn, "a-secret-coturn-does-not-know", "peer-to-peer");
  TestClient *alice = test_client_start (d, "alice", "refused", relay_only);
  TestClient *bob = test_client_start (d, "bob", "refused", relay_only);
  FailureWait alice_wait = { alice, turn };
  FailureWait bob_wait = { bob, turn };
  TurnUserUsage usage;

  g_assert_true (test_wait_until (coturn_refused, &alice_wait, FAILURE_TIMEOUT_MS));
  g_assert_true (test_wait_until (coturn_refused, &bob_wait, FAILURE_TIMEOUT_MS));
  test_turn_server_usage (turn, "alice", &usage);
  g_assert_cmpuint (usage.allocations, ==, 0);
  test_turn_server_usage (turn, "bob", &usage);
  g_assert_cmpuint (usage.allocations, ==, 0);

  expect_ice_failure_report (alice, &alice_wait);
  expect_ice_failure_report (bob, &bob_wait);
  g_assert_cmpint (test_client_frames_from (alice, "bob", "video"), <=, 0);
  g_assert_cmpint (test_client_frames_from (bob, "alice", "video"), <=, 0);

  expect_clean_stop (alice);
  expect_clean_stop (bob);
  test_daemon_stop (d);
  test_turn_server_stop (turn);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/turn/relay/peer-to-peer", test_peer_to_peer);
  g_test_add_func ("/turn/relay/peer-to-peer-tls", test_peer_to_peer_tls);
  g_test_add_func ("/turn/relay/group-receiver", test_group_receiver);
  g_test_add_data_func ("/turn/relay/group-worker", GINT_TO_POINTER (FALSE),
                        test_group_worker_relay);
  /* turns: only, so the worker's agent must reach coturn over TLS. */
  g_test_add_data_func ("/turn/relay/group-worker-tls", GINT_TO_POINTER (TRUE),
                        test_group_worker_relay);
  g_test_add_func ("/turn/relay/refused-credentials", test_refused_credentials);
  return g_test_run ();
}
