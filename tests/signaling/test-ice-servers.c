/* ICE server entries and TURN REST API credentials, without a daemon.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config-file.h"
#include "ice-servers.h"

#define AUTH                                                                             \
  "[auth]\n"                                                                             \
  "api-key=SK00000000000000000000000000000001\n"                                         \
  "api-secret=test-secret-0123456789abcdef\n"                                            \
  "account-sid=AC00000000000000000000000000000001\n"

static ConvokeConfig *
load (const char *extra)
{
  g_autofree char *text = g_strconcat (AUTH, extra, NULL);
  g_autoptr (GError) error = NULL;
  ConvokeConfig *config = convoke_config_load_data (text, -1, "test", &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static void
test_password_vector (void)
{
  /* python3: base64(hmac.new(b"north", b"1700000000:alice", sha1).digest()) */
  g_autofree char *password = convoke_turn_password ("north", "1700000000:alice");

  g_assert_cmpstr (password, ==, "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
}

static void
test_stun_and_turn (void)
{
  g_autoptr (ConvokeConfig) config = load (
      "[media]\nstun-server=stun:stun.example.org:3478\n"
      "[turn]\nurls=turn:127.0.0.1:3478?transport=udp;turns:turn.example.org:5349\n"
      "secret=turn-test-secret\nttl=600\n");
  g_autoptr (JsonNode) node = convoke_ice_servers_for (config, "bob", 1700000000);
  JsonArray *servers = json_node_get_array (node);
  JsonObject *stun, *turn;
  JsonArray *urls;

  g_assert_cmpuint (json_array_get_length (servers), ==, 2);
  stun = json_array_get_object_element (servers, 0);
  urls = json_object_get_array_member (stun, "urls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (urls, 0), ==,
                   "stun:stun.example.org:3478");
  g_assert_cmpuint (json_object_get_size (stun), ==, 1);

  turn = json_array_get_object_element (servers, 1);
  urls = json_object_get_array_member (turn, "urls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (urls, 0), ==,
                   "turn:127.0.0.1:3478?transport=udp");
  g_assert_cmpstr (json_array_get_string_element (urls, 1), ==,
                   "turns:turn.example.org:5349");
  g_assert_cmpstr (json_object_get_string_member (turn, "username"), ==,
                   "1700000600:bob");
  /* python3: base64(hmac.new(b"turn-test-secret", b"1700000600:bob", sha1).digest()) */
  g_assert_cmpstr (json_object_get_string_member (turn, "credential"), ==,
                   "WjWIH+HC/KvikkvLPqhRHhd7iT4=");
}

static void
test_identity_with_colon (void)
{
  g_autoptr (ConvokeConfig) config
      = load ("[turn]\nurls=turn:127.0.0.1:3478\nsecret=s\nttl=60\n");
  g_autoptr (JsonNode) node = convoke_ice_servers_for (config, "a:b ü", 100);
  JsonObject *turn = json_array_get_object_element (json_node_get_array (node), 0);
  g_autofree char *expected = convoke_turn_password ("s", "160:a:b ü");

  /* coturn reads the expiry up to the first colon; the rest is opaque. */
  g_assert_cmpstr (json_object_get_string_member (turn, "username"), ==, "160:a:b ü");
  g_assert_cmpstr (json_object_get_string_member (turn, "credential"), ==, expected);
}

static void
test_none_configured (void)
{
  g_autoptr (ConvokeConfig) config = load ("");
  g_autoptr (JsonNode) node = convoke_ice_servers_for (config, "carol", 1700000000);

  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ice-servers/password-vector", test_password_vector);
  g_test_add_func ("/ice-servers/stun-and-turn", test_stun_and_turn);
  g_test_add_func ("/ice-servers/identity-with-colon", test_identity_with_colon);
  g_test_add_func ("/ice-servers/none-configured", test_none_configured);
  return g_test_run ();
}
