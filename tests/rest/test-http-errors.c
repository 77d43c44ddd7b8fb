/* Malformed HTTP gets Twilio's JSON error body, never a bare libsoup
 * answer, and numbers are plain digits: requests written by hand over raw
 * TCP, so that nothing on the client side cleans them up first.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "test-daemon.h"

/* A deadline, as a base figure: scaled (test_deadline). */
#define WAIT_MS 10000

static TestDaemon *daemon_;

/* Sends @request on a fresh connection; returns everything the server
 * sent until it closed or went quiet for a second. */
static char *
raw_exchange (const char *request)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  const char *port = strrchr (daemon_->base_url, ':') + 1;
  g_autoptr (GSocketConnection) conn = g_socket_client_connect_to_host (
      client, "127.0.0.1", (guint16)g_ascii_strtoull (port, NULL, 10), NULL, &error);
  GSocket *socket;
  GString *answer = g_string_new (NULL);
  gint64 deadline = test_deadline (WAIT_MS);

  g_assert_no_error (error);
  socket = g_socket_connection_get_socket (conn);
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, &error), ==,
                   (gssize)strlen (request));
  g_socket_set_blocking (socket, FALSE);
  while (g_get_monotonic_time () < deadline)
    {
      char buffer[4096];
      gssize n;
      g_autoptr (GError) read_error = NULL;

      if (!g_socket_condition_timed_wait (socket, G_IO_IN, G_USEC_PER_SEC, NULL, NULL)
          && answer->len > 0)
        break;
      n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &read_error);
      if (n == 0 || (n < 0 && !g_error_matches (read_error, G_IO_ERROR,
                                                G_IO_ERROR_WOULD_BLOCK)))
        break;
      if (n > 0)
        g_string_append_len (answer, buffer, n);
    }
  return g_string_free (answer, FALSE);
}

/* Asserts that @answer is @status with a Twilio error body of @code whose
 * message holds @in_message (may be NULL). */
static void
assert_twilio_error (const char *answer, guint status, int code, const char *in_message)
{
  g_autofree char *status_text = g_strdup_printf (" %u ", status);
  const char *body = strstr (answer, "\r\n\r\n");
  g_autoptr (JsonNode) json = NULL;
  JsonObject *object;

  g_test_message ("answer: %s", answer);
  /* A request line that cannot be parsed is answered as HTTP/1.0. */
  g_assert_true (g_str_has_prefix (answer, "HTTP/1."));
  g_assert_true (strncmp (answer + strlen ("HTTP/1.x"), status_text, strlen (status_text))
                 == 0);
  g_assert_nonnull (strstr (answer, "Content-Type: application/json"));
  g_assert_nonnull (body);
  json = json_from_string (body + 4, NULL);
  g_assert_nonnull (json);
  object = json_node_get_object (json);
  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, code);
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, status);
  if (in_message != NULL)
    g_assert_nonnull (strstr (json_object_get_string_member (object, "message"), in_message));
}

static char *
authorization (void)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *)TEST_API_KEY ":" TEST_API_SECRET,
                                          strlen (TEST_API_KEY ":" TEST_API_SECRET));

  return g_strdup_printf ("Authorization: Basic %s\r\n", b64);
}

static void
test_bad_path_escapes (void)
{
  static const char *const paths[]
      = { "/v1/Rooms/%zz", "/v1/Rooms/a%2", "/v1/Rooms/%00", "/healthz%", "/v1/Rooms/%00x" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *request
          = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", paths[i]);
      g_autofree char *answer = raw_exchange (request);

      assert_twilio_error (answer, 400, 21200, NULL);
    }
  /* A request line that is not HTTP at all. */
  {
    g_autofree char *answer = raw_exchange ("GARBAGE\r\n\r\n");

    assert_twilio_error (answer, 400, 21200, NULL);
  }
}

static void
test_negative_content_length (void)
{
  g_autofree char *auth = authorization ();
  g_autofree char *request = g_strdup_printf (
      "POST /v1/Rooms HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: -5\r\n\r\n", auth);
  g_autofree char *answer = raw_exchange (request);

  assert_twilio_error (answer, 400, 21200, "Content-Length");
}

static void
test_plus_sign_integer (void)
{
  static const char *const values[] = { "+5", " 5", "5 ", "0x5" };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      const char *form[]
          = { "UniqueName", "plus-sign", "MaxParticipants", values[i], NULL };
      g_autoptr (JsonNode) json = NULL;

      g_assert_cmpuint (test_http (daemon_, "POST", "/v1/Rooms", TRUE, form, &json, NULL),
                        ==, 400);
      g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "code"), ==,
                       53107);
      g_assert_nonnull (
          strstr (json_object_get_string_member (json_node_get_object (json), "message"),
                  "MaxParticipants"));
    }
  g_assert_cmpuint (test_http (daemon_, "GET", "/v1/Rooms?PageSize=%2B5", TRUE, NULL,
                               NULL, NULL),
                    ==, 400);
}

static void
test_page_token_not_a_sid (void)
{
  static const char *const tokens[] = { "PAxyz", "PBxyz", "PA%20", "PARM123" };

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autofree char *path = g_strdup_printf ("/v1/Rooms?PageToken=%s", tokens[i]);
      g_autoptr (JsonNode) json = NULL;

      g_assert_cmpuint (test_http (daemon_, "GET", path, TRUE, NULL, &json, NULL), ==,
                        400);
      g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "code"), ==,
                       21200);
    }
  /* A well-formed token for an item no longer listed still pages. */
  g_assert_cmpuint (test_http (daemon_, "GET",
                               "/v1/Rooms?PageToken=PARM0123456789abcdef0123456789abcdef",
                               TRUE, NULL, NULL, NULL),
                    ==, 200);
}

/* docs/configuration.md: 1024 to 1073741824, no value turns it off. */
static void
test_max_body_size_zero_refused (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "zero.conf", NULL);
  const char *argv[] = { test_program ("CONVOKED"), "--check-config", path, NULL };
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;

  g_assert_true (g_file_set_contents (path, "[server]\nmax-body-size=0\n", -1, NULL));
  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                         | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_false (g_subprocess_get_successful (process));
  g_assert_nonnull (strstr (err, "[server] max-body-size"));
  g_assert_nonnull (strstr (err, "1024"));
  test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  daemon_ = test_daemon_start ("[rooms]\ndefault-type=peer-to-peer\n", NULL);

  g_test_add_func ("/http/errors/bad-path-escapes", test_bad_path_escapes);
  g_test_add_func ("/http/errors/negative-content-length", test_negative_content_length);
  g_test_add_func ("/http/errors/plus-sign-integer", test_plus_sign_integer);
  g_test_add_func ("/http/errors/page-token-not-a-sid", test_page_token_not_a_sid);
  g_test_add_func ("/http/errors/max-body-size-zero-refused",
                   test_max_body_size_zero_refused);

  status = g_test_run ();
  test_daemon_stop (daemon_);
  return status;
}
