/* The settings convokesrc and convokesink join with: what they accept,
 * what they refuse (and how they say so), and the tokens they mint.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/gst.h>
#include <string.h>

#include "access-token.h"
#include "config-file.h"
#include "gstconvokeelement-settings.h"
#include "twilio-error.h"

#define KEY "SK00000000000000000000000000000001"
#define SECRET "test-secret-0123456789abcdef"

static GstConvokeRun *
run_with (const char *url, const char *ice_servers, GError **error)
{
  GstConvokeSettings settings = {
    .url = (char *) url,
    .room = (char *) "standup",
    .token = (char *) "a.b.c",
    .ice_servers = (char *) ice_servers,
  };

  return gst_convoke_run_new (&settings, error);
}

static void
assert_refused (const char *url, const char *ice_servers, const char *named)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstConvokeRun) run = run_with (url, ice_servers, &error);

  g_assert_null (run);
  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  if (strstr (error->message, named) == NULL)
    g_error ("“%s” does not name “%s”", error->message, named);
}

static void
test_urls (void)
{
  const char *const good[]
      = { "http://127.0.0.1:7880", "https://video.example.org",
          "ws://127.0.0.1:7880/v1/Signaling", "wss://proxy.example.org/convoke", NULL };

  for (guint i = 0; good[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GstConvokeRun) run = run_with (good[i], NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (run->url, ==, good[i]);
      g_assert_cmpstr (run->room, ==, "standup");
      g_assert_cmpstr (run->token, ==, "a.b.c");
    }
  assert_refused ("ftp://127.0.0.1:7880", NULL, "“ftp://127.0.0.1:7880”");
  assert_refused ("http://", NULL, "“http://”");
  assert_refused ("127.0.0.1:7880", NULL, "“127.0.0.1:7880”");
  assert_refused ("not a url at all", NULL, "“not a url at all”");
  assert_refused (NULL, NULL, "url");
}

static void
test_local_addresses (void)
{
  const struct
  {
    const char *url;
    const char *address; /* NULL: every interface */
  } cases[] = {
    { "http://127.0.0.1:7880", "127.0.0.1" },  { "http://localhost:7880", "127.0.0.1" },
    { "ws://[::1]:7880/v1/Signaling", "::1" }, { "https://video.example.org", NULL },
    { "http://192.0.2.10:7880", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GstConvokeRun) run = run_with (cases[i].url, NULL, &error);

      g_assert_no_error (error);
      if (cases[i].address == NULL)
        g_assert_null (run->local_addresses);
      else
        {
          g_assert_cmpuint (g_strv_length (run->local_addresses), ==, 1);
          g_assert_cmpstr (run->local_addresses[0], ==, cases[i].address);
        }
    }
}

static void
test_ice_servers (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstConvokeRun) run = run_with (
      "http://127.0.0.1:7880",
      " stun:stun.example.org:3478 ,, turn://user:pass%2Cword@turn.example.org:3478"
      "?transport=udp, stun://second.example.org:3478,turns://u:p@turn.example.org:5349",
      &error);

  g_assert_no_error (error);
  /* webrtcbin takes one STUN server: the first. */
  g_assert_cmpstr (run->stun_server, ==, "stun://stun.example.org:3478");
  g_assert_cmpuint (g_strv_length (run->turn_servers), ==, 2);
  g_assert_cmpstr (run->turn_servers[0], ==,
                   "turn://user:pass%2Cword@turn.example.org:3478?transport=udp");
  g_assert_cmpstr (run->turn_servers[1], ==, "turns://u:p@turn.example.org:5349");
  g_clear_pointer (&run, gst_convoke_run_free);

  run = run_with ("http://127.0.0.1:7880", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (run->stun_server);
  g_assert_nonnull (run->turn_servers);
  g_assert_cmpuint (g_strv_length (run->turn_servers), ==, 0);

  /* TURN without credentials is of no use; other schemes are not ICE. */
  assert_refused ("http://127.0.0.1:7880", "turn://turn.example.org:3478",
                  "“turn://turn.example.org:3478”");
  assert_refused ("http://127.0.0.1:7880", "stun:ok.example.org, http://x.example.org",
                  "“http://x.example.org”");
  assert_refused ("http://127.0.0.1:7880", "stun://", "“stun://”");
  assert_refused ("http://127.0.0.1:7880", "turn:", "“turn:”");
}

/* The account sid the server uses when its config sets none. */
static char *
server_account_sid (const char *api_key)
{
  g_autofree char *text
      = g_strdup_printf ("[auth]\napi-key=%s\napi-secret=%s\n", api_key, SECRET);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config = convoke_config_load_data (text, -1, "test", &error);

  g_assert_no_error (error);
  return g_strdup (config->account_sid);
}

static void
test_minted_tokens (void)
{
  GstConvokeSettings settings = {
    .url = (char *) "http://127.0.0.1:7880",
    .room = (char *) "standup",
    .identity = (char *) "alice",
    .api_key = (char *) KEY,
    .api_secret = (char *) SECRET,
  };
  g_autofree char *expected_account = server_account_sid (KEY);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstConvokeRun) run = gst_convoke_run_new (&settings, &error);
  g_autoptr (ConvokeAccessToken) token = NULL;

  g_assert_no_error (error);
  token = convoke_access_token_verify (run->token, KEY, SECRET, "standup", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token->identity, ==, "alice");
  g_assert_cmpstr (token->room, ==, "standup");
  g_assert_cmpstr (token->subject, ==, expected_account);
  g_clear_pointer (&token, convoke_access_token_free);
  g_clear_pointer (&run, gst_convoke_run_free);

  /* A token the other room cannot take, an explicit account. */
  settings.account_sid = (char *) "AC0123456789abcdef0123456789abcdef";
  run = gst_convoke_run_new (&settings, &error);
  g_assert_no_error (error);
  token = convoke_access_token_verify (run->token, KEY, SECRET, "other", 0, &error);
  g_assert_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_GRANTS_INVALID);
  g_assert_null (token);
  g_clear_error (&error);
  token = convoke_access_token_verify (run->token, KEY, SECRET, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token->subject, ==, "AC0123456789abcdef0123456789abcdef");
  g_clear_pointer (&run, gst_convoke_run_free);

  /* A given token wins; nothing is minted. */
  settings.token = (char *) "given.token.here";
  run = gst_convoke_run_new (&settings, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (run->token, ==, "given.token.here");
}

static void
test_missing_credentials (void)
{
  GstConvokeSettings settings = {
    .url = (char *) "http://127.0.0.1:7880",
    .identity = (char *) "alice",
    .api_key = (char *) KEY,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GstConvokeRun) run = gst_convoke_run_new (&settings, &error);

  g_assert_null (run);
  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  g_assert_nonnull (strstr (error->message, "identity “alice”"));
  g_assert_nonnull (strstr (error->message, "api-secret not set"));
  g_clear_error (&error);

  /* An empty token is no token. */
  settings.token = (char *) "";
  settings.identity = NULL;
  settings.api_secret = (char *) SECRET;
  run = gst_convoke_run_new (&settings, &error);
  g_assert_null (run);
  g_assert_nonnull (strstr (error->message, "Set token, or identity"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);

  g_test_add_func ("/plugin/settings/urls", test_urls);
  g_test_add_func ("/plugin/settings/local-addresses", test_local_addresses);
  g_test_add_func ("/plugin/settings/ice-servers", test_ice_servers);
  g_test_add_func ("/plugin/settings/minted-tokens", test_minted_tokens);
  g_test_add_func ("/plugin/settings/missing-credentials", test_missing_credentials);
  return g_test_run ();
}
