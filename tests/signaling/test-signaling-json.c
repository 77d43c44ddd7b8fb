/* Hostile JSON from clients that have not joined: messages whose nesting
 * hides from a depth count that tokenizes differently from json-glib
 * (single-quoted strings, comments), and access tokens nested deep. The
 * daemon must answer 53004 (or refuse the token) and live on, with two
 * joined participants none the wiser.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "signaling-test-client.h"

#define WAIT_MS 20000
/* Large enough that a 200000-level message fits: the plain build's 8 MiB
 * stack does not survive json-glib recursing that deep. */
#define MAX_MESSAGE_SIZE (1 << 20)
#define DEEP 200000

static TestDaemon *daemon_;
static SigClient *witness_x;
static SigClient *witness_y;

static const char *config_text = "[rooms]\n"
                                 "default-type=peer-to-peer\n"
                                 "[signaling]\n"
                                 "max-message-size=1048576\n"
                                 "max-messages-per-second=1000\n";

static char *
nest (const char *before, guint depth, const char *after)
{
  GString *s = g_string_new (before);

  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  g_string_append (s, after);
  g_assert_cmpuint (s->len, <=, MAX_MESSAGE_SIZE);
  return g_string_free (s, FALSE);
}

static void
assert_daemon_unharmed (void)
{
  g_assert_true (test_daemon_alive (daemon_));
  sig_client_check_relay (witness_x, witness_y, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
  g_assert_false (witness_x->closed);
  g_assert_false (witness_y->closed);
}

/* @text from a client that has not joined gets 53004, and the client may
 * still talk afterwards. */
static void
expect_invalid (const char *text, const char *in_message)
{
  SigClient *c = sig_client_connect (daemon_);
  g_autoptr (JsonObject) error = NULL;

  sig_client_send_text (c, text);
  error = sig_client_expect_error (c, 53004, WAIT_MS);
  if (in_message != NULL)
    g_assert_nonnull (
        strstr (json_object_get_string_member (error, "message"), in_message));
  sig_client_sync (c);
  g_assert_false (c->closed);
  sig_client_free (c);
  assert_daemon_unharmed ();
}

/* The issue's reproducer: a '"' inside single-quoted strings made every
 * bracket between them look like string content. */
static void
test_single_quotes_hide_nesting (void)
{
  g_autofree char *text = nest ("{'type':'ping','x':'\"','y':", DEEP, ",'z':'\"'}");

  expect_invalid (text, NULL);
}

static void
test_comments_hide_nesting (void)
{
  g_autofree char *text
      = nest ("{\"type\":\"ping\",\"x\":1 /* \" */,\"y\":", DEEP, " /* \" */}");

  expect_invalid (text, NULL);
}

static void
test_plain_nesting (void)
{
  g_autofree char *array = nest ("", DEEP, "");
  g_autofree char *member = nest ("{\"type\":\"ping\",\"y\":", DEEP, "}");
  g_autoptr (GString) objects = g_string_new (NULL);

  expect_invalid (array, "32");
  expect_invalid (member, "32");
  for (guint i = 0; i < DEEP / 8; i++)
    g_string_append (objects, "{\"a\":");
  g_string_append (objects, "1");
  for (guint i = 0; i < DEEP / 8; i++)
    g_string_append_c (objects, '}');
  expect_invalid (objects->str, "32");
}

/* What json-glib would take but JSON is not: refused, whatever it holds. */
static void
test_lenient_syntax_refused (void)
{
  expect_invalid ("{'type':'ping'}", NULL);
  expect_invalid ("{\"type\":\"ping\" /* comment */}", NULL);
  expect_invalid ("{\"type\":\"ping\",\"n\":01}", NULL);
}

/* Exactly the documented depth is fine; one more is not. */
static void
test_depth_limit_exact (void)
{
  SigClient *c = sig_client_connect (daemon_);
  g_autofree char *ok = nest ("{\"type\":\"ping\",\"id\":\"deep\",\"y\":", 31, "}");
  g_autofree char *deep = nest ("{\"type\":\"ping\",\"y\":", 32, "}");
  g_autoptr (JsonObject) pong = NULL;

  sig_client_send_text (c, ok);
  pong = sig_client_wait_for (c, "pong", WAIT_MS);
  g_assert_nonnull (pong);
  g_assert_cmpstr (json_object_get_string_member (pong, "id"), ==, "deep");
  sig_client_free (c);
  expect_invalid (deep, "32");
}

static char *
base64url (const char *text)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *)text, strlen (text));
  GString *s = g_string_new (NULL);

  for (const char *p = b64; *p && *p != '='; p++)
    g_string_append_c (s, *p == '+' ? '-' : *p == '/' ? '_' : *p);
  return g_string_free (s, FALSE);
}

/* The token's header and payload are parsed before the signature is
 * checked, so anyone can make the daemon parse them. */
static void
test_deep_token (void)
{
  g_autofree char *deep = nest ("", 6000, "");
  g_autofree char *header = base64url ("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
  g_autofree char *payload = base64url (deep);
  g_autofree char *deep_header_token = g_strdup_printf ("%s.e30.c2ln", payload);
  g_autofree char *deep_payload_token = g_strdup_printf ("%s.%s.c2ln", header, payload);
  const char *tokens[] = { deep_header_token, deep_payload_token };

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      SigClient *c = sig_client_connect (daemon_);

      sig_client_sendf (c, "{\"type\":\"join\",\"token\":\"%s\"}", tokens[i]);
      json_object_unref (sig_client_expect_error (c, 20101, WAIT_MS));
      sig_client_expect_close (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, WAIT_MS);
      sig_client_free (c);
      assert_daemon_unharmed ();
    }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  daemon_ = test_daemon_start (config_text, NULL);
  witness_x = sig_client_new_joined (daemon_, "witness-x", "json");
  witness_y = sig_client_new_joined (daemon_, "witness-y", "json");

  g_test_add_func ("/signaling/json/single-quotes-hide-nesting",
                   test_single_quotes_hide_nesting);
  g_test_add_func ("/signaling/json/comments-hide-nesting", test_comments_hide_nesting);
  g_test_add_func ("/signaling/json/plain-nesting", test_plain_nesting);
  g_test_add_func ("/signaling/json/lenient-syntax-refused", test_lenient_syntax_refused);
  g_test_add_func ("/signaling/json/depth-limit-exact", test_depth_limit_exact);
  g_test_add_func ("/signaling/json/deep-token", test_deep_token);

  status = g_test_run ();
  sig_client_free (witness_y);
  sig_client_free (witness_x);
  test_daemon_stop (daemon_);
  return status;
}
