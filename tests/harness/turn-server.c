/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "turn-server.h"

#include <signal.h>
#include <string.h>

#include "test-daemon.h"
#include "worker-certificate.h"
#include "test-process.h"

#define START_ATTEMPTS 5
#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define RETRANSMIT_MS 250
/* Relay ports come from below the kernel's ephemeral range (32768 and
 * up), so that no client socket of another test lands in a capture
 * filter on them by chance. */
#define RELAY_RANGE_LOW 20000
#define RELAY_RANGE_HIGH 32000
#define RELAY_RANGE_SIZE 64

GSocket *
test_udp_socket_new (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);

  g_assert_no_error (error);
  g_socket_bind (socket, any_port, FALSE, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&socket);
}

static guint16
local_port (GSocket *socket)
{
  g_autoptr (GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  return address ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)) : 0;
}

/* A port that is free for both UDP and TCP right now (coturn listens on
 * both). Another process may still take it before coturn does; the
 * caller retries then. */
static guint16
pick_listening_port (void)
{
  g_autoptr (GSocket) udp = test_udp_socket_new ();
  g_autoptr (GSocket) tcp = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = NULL;
  guint16 port = local_port (udp);

  tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                      NULL);
  address = g_inet_socket_address_new (loopback, port);
  if (tcp == NULL || !g_socket_bind (tcp, address, FALSE, NULL))
    return 0;
  return port;
}

TestStunMessage *
test_turn_server_transact (TestTurnServer *turn, GSocket *socket, GBytes *request,
                           guint timeout_ms)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) server = g_inet_socket_address_new (loopback, turn->port);
  gint64 deadline = test_deadline (timeout_ms);
  gsize request_len = 0;
  const guint8 *request_data = g_bytes_get_data (request, &request_len);

  while (g_get_monotonic_time () < deadline)
    {
      gint64 resend_at = g_get_monotonic_time () + RETRANSMIT_MS * 1000;

      g_socket_send_to (socket, server, (const char *) request_data, request_len, NULL,
                        NULL);
      while (g_get_monotonic_time () < MIN (resend_at, deadline))
        {
          guint8 buffer[2048];
          gssize received;
          g_autoptr (TestStunMessage) msg = NULL;
          gint64 wait_us = MIN (resend_at, deadline) - g_get_monotonic_time ();

          if (wait_us <= 0
              || !g_socket_condition_timed_wait (socket, G_IO_IN, wait_us, NULL, NULL))
            break;
          received
              = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, NULL);
          if (received <= 0)
            continue;
          msg = test_stun_message_parse (buffer, (gsize) received);
          if (msg != NULL
              && memcmp (msg->transaction_id, request_data + 8,
                         sizeof msg->transaction_id)
                     == 0)
            return g_steal_pointer (&msg);
        }
    }
  return NULL;
}

/* The certificate and its key in one PEM file, which coturn takes for
 * both cert= and pkey=. */
static char *
tls_config (TestTurnServer *turn)
{
  g_autofree char *path = g_build_filename (turn->dir, "turn-tls.pem", NULL);
  g_autofree char *pem = NULL;
  g_autoptr (GError) error = NULL;

  if (turn->tls_port == 0)
    return g_strdup ("no-tls\n");
  pem = convoke_worker_certificate_generate (&error);
  g_assert_no_error (error);
  g_file_set_contents (path, pem, -1, &error);
  g_assert_no_error (error);
  return g_strdup_printf ("tls-listening-port=%u\ncert=%s\npkey=%s\n", turn->tls_port,
                          path, path);
}

static void
write_config (TestTurnServer *turn)
{
  g_autofree char *path = g_build_filename (turn->dir, "turnserver.conf", NULL);
  g_autofree char *tls = tls_config (turn);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  text = g_strdup_printf ("%s"
                          "listening-ip=127.0.0.1\n"
                          "relay-ip=127.0.0.1\n"
                          "listening-port=%u\n"
                          "min-port=%u\n"
                          "max-port=%u\n"
                          "use-auth-secret\n"
                          "static-auth-secret=%s\n"
                          "realm=" TEST_TURN_REALM "\n"
                          "fingerprint\n"
                          "no-dtls\n"
                          "no-cli\n"
                          "allow-loopback-peers\n"
                          "log-file=stdout\n"
                          "simple-log\n"
                          /* usage reports are only printed in verbose mode */
                          "verbose\n"
                          "userdb=%s/turndb\n"
                          "pidfile=%s/turnserver.pid\n"
                          "%s",
                          tls, turn->port, turn->relay_min, turn->relay_max, turn->secret,
                          turn->dir, turn->dir,
                          turn->extra_config != NULL ? turn->extra_config : "");
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static gboolean
process_running (TestTurnServer *turn)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return g_subprocess_get_identifier (turn->process) != NULL;
}

static gboolean
answers_binding (TestTurnServer *turn)
{
  g_autoptr (GSocket) socket = test_udp_socket_new ();
  gint64 deadline = test_deadline (READY_TIMEOUT_MS);

  while (g_get_monotonic_time () < deadline && process_running (turn))
    {
      g_autoptr (GBytes) request
          = test_stun_builder_end (test_stun_builder_new (STUN_BINDING_REQUEST));
      g_autoptr (TestStunMessage) response
          = test_turn_server_transact (turn, socket, request, 500);

      if (response != NULL && response->type == STUN_BINDING_SUCCESS)
        return TRUE;
    }
  return FALSE;
}

static gboolean
try_start (TestTurnServer *turn, const char *program, gboolean tls)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *config = g_build_filename (turn->dir, "turnserver.conf", NULL);
  g_autoptr (GError) error = NULL;
  guint base;

  turn->port = pick_listening_port ();
  turn->tls_port = tls ? pick_listening_port () : 0;
  if (turn->port == 0 || (tls && (turn->tls_port == 0 || turn->tls_port == turn->port)))
    return FALSE;
  base = g_random_int_range (RELAY_RANGE_LOW, RELAY_RANGE_HIGH - RELAY_RANGE_SIZE);
  turn->relay_min = (guint16) base;
  turn->relay_max = (guint16) (base + RELAY_RANGE_SIZE - 1);
  write_config (turn);

  g_subprocess_launcher_set_stdout_file_path (launcher, turn->log_path);
  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent, NULL, NULL);
  turn->process
      = g_subprocess_launcher_spawn (launcher, &error, program, "-c", config, NULL);
  g_assert_no_error (error);
  if (answers_binding (turn))
    {
      g_test_message ("coturn (pid %s) on 127.0.0.1:%u, relay ports %u-%u, log %s",
                      g_subprocess_get_identifier (turn->process), turn->port,
                      turn->relay_min, turn->relay_max, turn->log_path);
      return TRUE;
    }
  {
    g_autofree char *log = test_turn_server_log (turn);

    g_test_message ("coturn on port %u did not answer:\n%s", turn->port, log);
  }
  g_subprocess_force_exit (turn->process);
  g_subprocess_wait (turn->process, NULL, NULL);
  g_clear_object (&turn->process);
  return FALSE;
}

gboolean
test_turn_server_available (void)
{
  g_autofree char *program = g_find_program_in_path ("turnserver");

  return program != NULL;
}

static TestTurnServer *
start (gboolean tls, const char *extra_config)
{
  TestTurnServer *turn = g_new0 (TestTurnServer, 1);
  g_autofree char *program = g_find_program_in_path ("turnserver");

  turn->extra_config = g_strdup (extra_config);

  if (program == NULL)
    g_error ("coturn's turnserver is not on PATH: install the coturn package "
             "(listed in .ci/test-deps)");
  turn->dir = test_mkdtemp ();
  turn->log_path = g_build_filename (turn->dir, "turnserver.log", NULL);
  turn->secret = g_uuid_string_random ();
  for (int attempt = 0; attempt < START_ATTEMPTS; attempt++)
    if (try_start (turn, program, tls))
      return turn;
  g_error ("coturn did not start after %d attempts (see the messages above)",
           START_ATTEMPTS);
}

TestTurnServer *
test_turn_server_start (void)
{
  return start (FALSE, NULL);
}

TestTurnServer *
test_turn_server_start_with (gboolean tls, const char *extra_config)
{
  return start (tls, extra_config);
}

TestTurnServer *
test_turn_server_start_tls (void)
{
  return start (TRUE, NULL);
}

static gboolean
process_gone (gpointer data)
{
  return g_subprocess_get_identifier (G_SUBPROCESS (data)) == NULL;
}

void
test_turn_server_stop (TestTurnServer *turn)
{
  if (turn == NULL)
    return;
  if (turn->process != NULL)
    {
      g_subprocess_send_signal (turn->process, SIGTERM);
      if (!test_wait_until (process_gone, turn->process, STOP_TIMEOUT_MS))
        g_subprocess_force_exit (turn->process);
      g_subprocess_wait (turn->process, NULL, NULL);
      g_clear_object (&turn->process);
    }
  test_rm_rf (turn->dir);
  g_free (turn->dir);
  g_free (turn->log_path);
  g_free (turn->secret);
  g_free (turn->extra_config);
  g_free (turn);
}

char *
test_turn_server_daemon_config (TestTurnServer *turn, const char *secret)
{
  g_autofree char *url
      = turn->tls_port != 0
            ? g_strdup_printf ("turns:127.0.0.1:%u?transport=tcp", turn->tls_port)
            : g_strdup_printf ("turn:127.0.0.1:%u?transport=udp", turn->port);

  return g_strdup_printf ("[turn]\n"
                          "urls=%s\n"
                          "secret=%s\n"
                          "ttl=600\n",
                          url, secret ? secret : turn->secret);
}

char *
test_turn_server_log (TestTurnServer *turn)
{
  char *text = NULL;

  if (!g_file_get_contents (turn->log_path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static guint64
match_u64 (GMatchInfo *match, int group)
{
  g_autofree char *text = g_match_info_fetch (match, group);

  return g_ascii_strtoull (text, NULL, 10);
}

GStrv
test_turn_server_allocated_usernames (TestTurnServer *turn, const char *identity)
{
  g_autofree char *log = test_turn_server_log (turn);
  g_autofree char *user = g_regex_escape_string (identity, -1);
  g_autofree char *pattern = g_strdup_printf (
      "user <(\\d+:%s)>: incoming packet ALLOCATE processed, success", user);
  g_autoptr (GRegex) allocated = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr (GHashTable) seen
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_nonnull (allocated);
  g_regex_match (allocated, log, 0, &match);
  for (; g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      char *name = g_match_info_fetch (match, 1);

      if (g_hash_table_add (seen, name))
        g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}

void
test_turn_server_usage (TestTurnServer *turn, const char *identity, TurnUserUsage *usage)
{
  g_autofree char *log = test_turn_server_log (turn);
  g_autofree char *user = g_regex_escape_string (identity, -1);
  g_autofree char *allocated_pattern = NULL;
  g_autofree char *refused_pattern = NULL;
  g_autofree char *usage_pattern = NULL;
  g_autoptr (GRegex) allocated = NULL;
  g_autoptr (GRegex) refused = NULL;
  g_autoptr (GRegex) counters = NULL;
  g_autoptr (GRegex) closed = NULL;
  g_autofree char *closed_pattern = NULL;
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);

  memset (usage, 0, sizeof *usage);
  allocated_pattern = g_strdup_printf (
      "user <\\d+:%s>: incoming packet ALLOCATE processed, success", user);
  refused_pattern = g_strdup_printf (
      "user <\\d+:%s>: incoming packet \\S+ processed, error (401|438)", user);
  usage_pattern = g_strdup_printf ("session \\d+: (peer )?usage: realm=<[^>]*>, "
                                   "username=<\\d+:%s>, rp=(\\d+), rb=(\\d+), sp=(\\d+), "
                                   "sb=(\\d+)",
                                   user);
  closed_pattern = g_strdup_printf (
      "closed \\(2nd stage\\), user <\\d+:%s> .* local [^ ]+:(\\d+), remote", user);
  closed = g_regex_new (closed_pattern, 0, 0, NULL);
  g_assert_nonnull (closed);
  allocated = g_regex_new (allocated_pattern, 0, 0, NULL);
  refused = g_regex_new (refused_pattern, 0, 0, NULL);
  counters = g_regex_new (usage_pattern, 0, 0, NULL);
  g_assert_nonnull (allocated);
  g_assert_nonnull (refused);
  g_assert_nonnull (counters);

  for (char **line = lines; *line != NULL; line++)
    {
      g_autoptr (GMatchInfo) match = NULL;
      g_autoptr (GMatchInfo) closed_match = NULL;

      if (g_regex_match (allocated, *line, 0, NULL))
        usage->allocations++;
      else if (g_regex_match (refused, *line, 0, NULL))
        usage->refusals++;
      else if (g_regex_match (counters, *line, 0, &match))
        {
          g_autofree char *peer = g_match_info_fetch (match, 1);
          TurnCounters *c
              = (peer != NULL && *peer != '\0') ? &usage->peer : &usage->client;

          c->rp += match_u64 (match, 2);
          c->rb += match_u64 (match, 3);
          c->sp += match_u64 (match, 4);
          c->sb += match_u64 (match, 5);
          if (c == &usage->client)
            usage->reports++;
        }
      else if (g_regex_match (closed, *line, 0, &closed_match))
        usage->closed_local_port = (guint16) match_u64 (closed_match, 1);
    }
}
