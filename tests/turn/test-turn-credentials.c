/* TURN credentials: POST /v1/Tokens (Twilio's Network Traversal Service
 * shape) and what a real coturn makes of the credentials Convoke hands
 * out: the daemon's are accepted, expired and forged ones are refused.
 *
 * The TURN side is spoken by hand (stun-message.c): Allocate, the 401
 * with REALM and NONCE, then Allocate with USERNAME, REALM, NONCE and a
 * MESSAGE-INTEGRITY keyed with MD5(username:realm:password).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libsoup/soup.h>
#include <string.h>

#include "test-daemon.h"
#include "turn-server.h"

#define DAEMON_TURN_SECRET "turn-shared-secret-for-tests"
#define TOKEN_CONFIG                                                                     \
  "[media]\n"                                                                            \
  "stun-server=stun:127.0.0.1:3478\n"                                                    \
  "[turn]\n"                                                                             \
  "urls=turn:127.0.0.1:3478?transport=udp;turns:127.0.0.1:5349?transport=tcp\n"          \
  "secret=" DAEMON_TURN_SECRET "\n"                                                      \
  "ttl=600\n"
#define TRANSACT_TIMEOUT_MS 3000

static char *
turn_password (const char *secret, const char *username)
{
  g_autoptr (GHmac) hmac
      = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  guint8 digest[20];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) username, -1);
  g_hmac_get_digest (hmac, digest, &len);
  return g_base64_encode (digest, len);
}

static JsonObject *
post_token (TestDaemon *d, const char *ttl)
{
  const char *form[] = { "Ttl", ttl, NULL };
  g_autoptr (JsonNode) json = NULL;
  guint status
      = test_http (d, "POST", "/v1/Tokens", TRUE, ttl ? form : NULL, &json, NULL);

  g_assert_cmpuint (status, ==, 201);
  g_assert_nonnull (json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json));
  return json_object_ref (json_node_get_object (json));
}

/* "Thu, 26 Nov 2026 04:58:42 +0000", within a minute of now. */
static void
assert_rfc2822_now (const char *text)
{
  g_autoptr (GDateTime) parsed = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  g_assert_true (
      g_regex_match_simple ("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d "
                            "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                            "\\d{4} \\d\\d:\\d\\d:\\d\\d \\+0000$",
                            text, 0, 0));
  parsed = soup_date_time_new_from_http_string (text);
  g_assert_nonnull (parsed);
  g_assert_cmpint (ABS (g_date_time_difference (now, parsed)), <,
                   60 * G_TIME_SPAN_SECOND);
}

/* "<expiry>:<32 hex>", the expiry @ttl seconds from now. */
static void
assert_username (const char *username, gint64 ttl)
{
  g_auto (GStrv) parts = g_strsplit (username, ":", 2);
  gint64 expiry = g_ascii_strtoll (parts[0], NULL, 10);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  g_assert_cmpint (expiry, >=, now + ttl - 5);
  g_assert_cmpint (expiry, <=, now + ttl + 5);
  g_assert_cmpuint (strlen (parts[1]), ==, 32);
  g_assert_true (g_regex_match_simple ("^[0-9a-f]{32}$", parts[1], 0, 0));
}

static void
assert_ice_server (JsonObject *server, const char *url, const char *username,
                   const char *credential)
{
  g_assert_cmpstr (json_object_get_string_member (server, "url"), ==, url);
  g_assert_cmpstr (json_object_get_string_member (server, "urls"), ==, url);
  if (username == NULL)
    {
      g_assert_false (json_object_has_member (server, "username"));
      g_assert_false (json_object_has_member (server, "credential"));
      return;
    }
  g_assert_cmpstr (json_object_get_string_member (server, "username"), ==, username);
  g_assert_cmpstr (json_object_get_string_member (server, "credential"), ==, credential);
}

static void
test_token_shape (void)
{
  TestDaemon *d = test_daemon_start (TOKEN_CONFIG, NULL);
  g_autoptr (JsonObject) token = post_token (d, NULL);
  g_autoptr (JsonObject) short_token = post_token (d, "60");
  const char *username = json_object_get_string_member (token, "username");
  const char *password = json_object_get_string_member (token, "password");
  g_autofree char *expected_password = turn_password (DAEMON_TURN_SECRET, username);
  JsonArray *servers = json_object_get_array_member (token, "ice_servers");

  g_assert_cmpstr (json_object_get_string_member (token, "account_sid"), ==,
                   TEST_ACCOUNT_SID);
  assert_rfc2822_now (json_object_get_string_member (token, "date_created"));
  assert_rfc2822_now (json_object_get_string_member (token, "date_updated"));
  /* A string in Twilio's responses; the default is [turn] ttl. */
  g_assert_cmpstr (json_object_get_string_member (token, "ttl"), ==, "600");
  assert_username (username, 600);
  g_assert_cmpstr (password, ==, expected_password);

  g_assert_cmpuint (json_array_get_length (servers), ==, 3);
  assert_ice_server (json_array_get_object_element (servers, 0), "stun:127.0.0.1:3478",
                     NULL, NULL);
  assert_ice_server (json_array_get_object_element (servers, 1),
                     "turn:127.0.0.1:3478?transport=udp", username, password);
  assert_ice_server (json_array_get_object_element (servers, 2),
                     "turns:127.0.0.1:5349?transport=tcp", username, password);

  /* Ttl shortens the credentials; every token is new. */
  g_assert_cmpstr (json_object_get_string_member (short_token, "ttl"), ==, "60");
  assert_username (json_object_get_string_member (short_token, "username"), 60);
  g_assert_cmpstr (json_object_get_string_member (short_token, "username"), !=, username);

  test_daemon_stop (d);
}

static void
assert_rest_error (TestDaemon *d, const char *method, const char *ttl, guint want_status,
                   int want_code, const char *want_in_message)
{
  const char *form[] = { "Ttl", ttl, NULL };
  g_autoptr (JsonNode) json = NULL;
  guint status
      = test_http (d, method, "/v1/Tokens", TRUE, ttl ? form : NULL, &json, NULL);
  JsonObject *body;

  g_assert_cmpuint (status, ==, want_status);
  g_assert_nonnull (json);
  body = json_node_get_object (json);
  g_assert_cmpint (json_object_get_int_member (body, "code"), ==, want_code);
  g_assert_cmpint (json_object_get_int_member (body, "status"), ==, want_status);
  g_assert_nonnull (
      strstr (json_object_get_string_member (body, "message"), want_in_message));
}

static void
test_token_errors (void)
{
  TestDaemon *d = test_daemon_start (TOKEN_CONFIG, NULL);
  g_autofree char *url = g_strconcat (d->base_url, "/v1/Tokens", NULL);
  g_autoptr (SoupMessage) get = soup_message_new ("GET", url);
  g_autofree char *auth = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) json = NULL;

  assert_rest_error (d, "POST", "0", 400, 21200, "Ttl 0");
  assert_rest_error (d, "POST", "86401", 400, 21200, "Ttl 86401");
  assert_rest_error (d, "POST", "ten", 400, 21200, "Ttl");
  assert_rest_error (d, "DELETE", NULL, 405, 20004, "POST");

  /* 405 names the one method there is. */
  {
    g_autofree char *pair = g_strdup_printf ("%s:%s", TEST_API_KEY, TEST_API_SECRET);
    g_autofree char *b64 = g_base64_encode ((const guchar *) pair, strlen (pair));

    auth = g_strconcat ("Basic ", b64, NULL);
  }
  soup_message_headers_replace (soup_message_get_request_headers (get), "Authorization",
                                auth);
  body = soup_session_send_and_read (d->session, get, NULL, NULL);
  g_assert_cmpuint (soup_message_get_status (get), ==, 405);
  g_assert_cmpstr (
      soup_message_headers_get_one (soup_message_get_response_headers (get), "Allow"), ==,
      "POST");

  /* Tokens are not stored: nothing to fetch. */
  g_assert_cmpuint (test_http (d, "GET", "/v1/Tokens/anything", TRUE, NULL, NULL, NULL),
                    ==, 404);
  /* Basic auth like the rest of the API. */
  g_assert_cmpuint (test_http (d, "POST", "/v1/Tokens", FALSE, NULL, &json, NULL), ==,
                    401);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "code"), ==,
                   20003);
  g_assert_cmpuint (test_http_full (d, "POST", "/v1/Tokens", TEST_API_KEY, "wrong-secret",
                                    NULL, NULL, NULL, NULL),
                    ==, 401);
  test_daemon_stop (d);
}

/* Without [turn] there is nothing to sign: STUN servers only, and the
 * credential members are null. */
static void
test_token_without_turn (void)
{
  TestDaemon *d = test_daemon_start ("[media]\nstun-server=stun:127.0.0.1:3478\n", NULL);
  g_autoptr (JsonObject) token = post_token (d, NULL);
  JsonArray *servers = json_object_get_array_member (token, "ice_servers");

  g_assert_true (json_object_get_null_member (token, "username"));
  g_assert_true (json_object_get_null_member (token, "password"));
  g_assert_cmpstr (json_object_get_string_member (token, "ttl"), ==, "3600");
  g_assert_cmpuint (json_array_get_length (servers), ==, 1);
  assert_ice_server (json_array_get_object_element (servers, 0), "stun:127.0.0.1:3478",
                     NULL, NULL);
  test_daemon_stop (d);
}

/* TURN by hand */

typedef struct
{
  char *realm;
  char *nonce;
} TurnChallenge;

static GBytes *
allocate_request (const char *username, const TurnChallenge *challenge,
                  const char *password)
{
  TestStunBuilder *b = test_stun_builder_new (TURN_ALLOCATE_REQUEST);
  const guint8 udp[4] = { 17, 0, 0, 0 };

  test_stun_builder_add (b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof udp);
  if (username != NULL)
    {
      guint8 key[16];

      test_stun_builder_add_string (b, STUN_ATTR_USERNAME, username);
      test_stun_builder_add_string (b, STUN_ATTR_REALM, challenge->realm);
      test_stun_builder_add_string (b, STUN_ATTR_NONCE, challenge->nonce);
      test_stun_long_term_key (username, challenge->realm, password, key);
      test_stun_builder_add_integrity (b, key, sizeof key);
    }
  return test_stun_builder_end (b);
}

/* An unauthenticated Allocate: coturn answers 401 with its realm and a
 * nonce to sign with. */
static TurnChallenge
get_challenge (TestTurnServer *turn, GSocket *socket)
{
  g_autoptr (GBytes) request = allocate_request (NULL, NULL, NULL);
  g_autoptr (TestStunMessage) response
      = test_turn_server_transact (turn, socket, request, TRANSACT_TIMEOUT_MS);
  TurnChallenge challenge;

  g_assert_nonnull (response);
  g_assert_cmphex (response->type, ==, TURN_ALLOCATE_ERROR);
  g_assert_cmpuint (test_stun_message_get_error_code (response, NULL), ==, 401);
  challenge.realm = test_stun_message_get_string (response, STUN_ATTR_REALM);
  challenge.nonce = test_stun_message_get_string (response, STUN_ATTR_NONCE);
  g_assert_cmpstr (challenge.realm, ==, TEST_TURN_REALM);
  g_assert_nonnull (challenge.nonce);
  return challenge;
}

static void
challenge_clear (TurnChallenge *challenge)
{
  g_free (challenge->realm);
  g_free (challenge->nonce);
}

/* Allocates with the long-term credential mechanism from a fresh socket
 * (coturn keeps one allocation per 5-tuple). Returns the response. */
static TestStunMessage *
allocate (TestTurnServer *turn, const char *username, const char *password)
{
  g_autoptr (GSocket) socket = test_udp_socket_new ();
  TurnChallenge challenge = get_challenge (turn, socket);
  g_autoptr (GBytes) request = allocate_request (username, &challenge, password);
  TestStunMessage *response
      = test_turn_server_transact (turn, socket, request, TRANSACT_TIMEOUT_MS);

  g_assert_nonnull (response);
  if (response->type == TURN_ALLOCATE_SUCCESS)
    {
      guint8 key[16];

      /* coturn signs its answer with the same key: it derived the same
       * password from the shared secret. */
      test_stun_long_term_key (username, challenge.realm, password, key);
      g_assert_true (test_stun_message_check_integrity (response, key, sizeof key));
    }
  challenge_clear (&challenge);
  return response;
}

static void
assert_refused (TestTurnServer *turn, const char *username, const char *password)
{
  g_autoptr (TestStunMessage) response = allocate (turn, username, password);
  g_autofree char *reason = NULL;
  guint code = test_stun_message_get_error_code (response, &reason);

  g_test_message ("%s: %u %s", username, code, reason ? reason : "");
  g_assert_cmphex (response->type, ==, TURN_ALLOCATE_ERROR);
  /* 401: bad credentials; 438 (stale nonce) is how coturn may turn away
   * a nonce tied to an expired user name. */
  g_assert_true (code == 401 || code == 438);
}

static void
test_coturn_accepts_daemon_credentials (void)
{
  TestTurnServer *turn = test_turn_server_start ();
  g_autofree char *config = test_turn_server_daemon_config (turn, NULL);
  TestDaemon *d = test_daemon_start (config, NULL);
  g_autoptr (JsonObject) token = post_token (d, NULL);
  const char *username = json_object_get_string_member (token, "username");
  const char *password = json_object_get_string_member (token, "password");
  g_autoptr (TestStunMessage) response = allocate (turn, username, password);
  g_autoptr (GInetSocketAddress) relayed
      = test_stun_message_get_xor_address (response, STUN_ATTR_XOR_RELAYED_ADDRESS);
  g_autofree char *relayed_host = NULL;

  g_assert_cmphex (response->type, ==, TURN_ALLOCATE_SUCCESS);
  g_assert_nonnull (relayed);
  relayed_host = g_inet_address_to_string (g_inet_socket_address_get_address (relayed));
  g_assert_cmpstr (relayed_host, ==, "127.0.0.1");
  g_assert_cmpuint (g_inet_socket_address_get_port (relayed), >=, turn->relay_min);
  g_assert_cmpuint (g_inet_socket_address_get_port (relayed), <=, turn->relay_max);
  g_assert_nonnull (test_stun_message_find (response, STUN_ATTR_LIFETIME, NULL));

  test_daemon_stop (d);
  test_turn_server_stop (turn);
}

static void
test_coturn_refuses_bad_credentials (void)
{
  TestTurnServer *turn = test_turn_server_start ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *expired = g_strdup_printf ("%" G_GINT64_FORMAT ":alice", now - 60);
  g_autofree char *expired_password = turn_password (turn->secret, expired);
  g_autofree char *valid = g_strdup_printf ("%" G_GINT64_FORMAT ":alice", now + 600);
  g_autofree char *valid_password = turn_password (turn->secret, valid);
  g_autofree char *forged_password = turn_password ("not-the-shared-secret", valid);
  g_autofree char *extended = g_strdup_printf ("%" G_GINT64_FORMAT ":alice", now + 86400);
  TurnUserUsage usage;

  /* The control: the same scheme with the right secret works. */
  {
    g_autoptr (TestStunMessage) response = allocate (turn, valid, valid_password);
    g_assert_cmphex (response->type, ==, TURN_ALLOCATE_SUCCESS);
  }
  /* Correctly signed, but its expiry is in the past. */
  assert_refused (turn, expired, expired_password);
  /* Signed with another secret. */
  assert_refused (turn, valid, forged_password);
  /* A later expiry than the one that was signed. */
  assert_refused (turn, extended, valid_password);

  test_turn_server_usage (turn, "alice", &usage);
  g_assert_cmpuint (usage.allocations, ==, 1);
  g_assert_cmpuint (usage.refusals, >=, 3);
  test_turn_server_stop (turn);
}

/* coturn checks a user name's expiry when it first authenticates a
 * 5-tuple, then keeps the key: an allocation outlives its credentials,
 * and only new allocations need fresh ones (docs/turn.md, "ttl"). */
static void
test_coturn_expiry_applies_to_new_allocations (void)
{
  TestTurnServer *turn = test_turn_server_start ();
  gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + 2;
  g_autofree char *username = g_strdup_printf ("%" G_GINT64_FORMAT ":alice", expiry);
  g_autofree char *password = turn_password (turn->secret, username);
  g_autoptr (GSocket) socket = test_udp_socket_new ();
  TurnChallenge challenge = get_challenge (turn, socket);
  g_autoptr (GBytes) request = allocate_request (username, &challenge, password);
  g_autoptr (TestStunMessage) allocated = NULL;
  g_autoptr (TestStunMessage) refreshed = NULL;
  TestStunBuilder *refresh;
  guint8 key[16];

  allocated = test_turn_server_transact (turn, socket, request, TRANSACT_TIMEOUT_MS);
  g_assert_nonnull (allocated);
  g_assert_cmphex (allocated->type, ==, TURN_ALLOCATE_SUCCESS);

  while (g_get_real_time () / G_USEC_PER_SEC <= expiry + 1)
    g_usleep (200 * 1000);

  /* The allocation goes on … */
  refresh = test_stun_builder_new (TURN_REFRESH_REQUEST);
  test_stun_builder_add_string (refresh, STUN_ATTR_USERNAME, username);
  test_stun_builder_add_string (refresh, STUN_ATTR_REALM, challenge.realm);
  test_stun_builder_add_string (refresh, STUN_ATTR_NONCE, challenge.nonce);
  test_stun_long_term_key (username, challenge.realm, password, key);
  test_stun_builder_add_integrity (refresh, key, sizeof key);
  g_clear_pointer (&request, g_bytes_unref);
  request = test_stun_builder_end (refresh);
  refreshed = test_turn_server_transact (turn, socket, request, TRANSACT_TIMEOUT_MS);
  g_assert_nonnull (refreshed);
  g_assert_cmphex (refreshed->type, ==, TURN_REFRESH_SUCCESS);
  /* … but the same credentials no longer make a new one. */
  assert_refused (turn, username, password);

  challenge_clear (&challenge);
  test_turn_server_stop (turn);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/turn/tokens/shape", test_token_shape);
  g_test_add_func ("/turn/tokens/errors", test_token_errors);
  g_test_add_func ("/turn/tokens/without-turn", test_token_without_turn);
  g_test_add_func ("/turn/coturn/accepts-daemon-credentials",
                   test_coturn_accepts_daemon_credentials);
  g_test_add_func ("/turn/coturn/refuses-bad-credentials",
                   test_coturn_refuses_bad_credentials);
  g_test_add_func ("/turn/coturn/expiry-applies-to-new-allocations",
                   test_coturn_expiry_applies_to_new_allocations);
  return g_test_run ();
}
