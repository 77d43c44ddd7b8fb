/* convokectl's HTTP side against a scripted server: what a real daemon
 * rarely does (several pages, a reverse-proxy path prefix, errors without
 * a Twilio body, hostile text) but a client must still handle.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libsoup/soup.h>
#include <string.h>

#include "ctl-run.h"

#define KEY "SKfeedfeedfeedfeedfeedfeedfeedfeed"
#define SECRET "proxy-secret"
#define PREFIX "/convoke"

typedef struct
{
  SoupServer *server;
  char *url;                /* http://127.0.0.1:PORT/convoke */
  GPtrArray *requests;      /* "METHOD PATH?QUERY" */
  GPtrArray *authorization; /* Authorization header of each request */
} FakeServer;

static void
reply_json (SoupServerMessage *msg, guint status, const char *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json,
                                    strlen (json));
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
        gpointer user_data)
{
  FakeServer *f = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *auth = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Authorization");
  const char *page_token = query ? g_hash_table_lookup (query, "PageToken") : NULL;

  g_ptr_array_add (f->requests,
                   g_strdup_printf ("%s %s?%s", soup_server_message_get_method (msg),
                                    path,
                                    g_uri_get_query (uri) ? g_uri_get_query (uri) : ""));
  g_ptr_array_add (f->authorization, g_strdup (auth ? auth : ""));

  if (g_str_equal (path, PREFIX "/v1/Rooms") && page_token == NULL)
    /* The server spells its own address differently (as behind a proxy):
     * convokectl must keep using its own URL and take only the query. */
    reply_json (msg, 200,
                "{\"rooms\":[{\"sid\":\"RM00000000000000000000000000000001\","
                "\"unique_name\":\"first\",\"type\":\"go\",\"status\":\"completed\","
                "\"max_participants\":2}],"
                "\"meta\":{\"next_page_url\":\"http://internal.invalid:7880/v1/"
                "Rooms?PageSize=1&Page=1&PageToken=PT1\"}}");
  else if (g_str_equal (path, PREFIX "/v1/Rooms") && g_str_equal (page_token, "PT1"))
    reply_json (msg, 200,
                "{\"rooms\":[{\"sid\":\"RM00000000000000000000000000000002\","
                "\"unique_name\":\"evil\\u001b[2J\\nname\",\"type\":\"go\","
                "\"status\":\"completed\",\"max_participants\":2}],"
                "\"meta\":{\"next_page_url\":null}}");
  else if (g_str_equal (path, PREFIX "/v1/Rooms/gateway"))
    {
      soup_server_message_set_status (msg, 502, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC,
                                        "<h1>Bad Gateway</h1>", 20);
    }
  else if (g_str_equal (path, PREFIX "/v1/Rooms/garbled"))
    reply_json (msg, 200, "{\"sid\": \"RM");
  else if (g_str_equal (path, PREFIX "/v1/Rooms/array"))
    reply_json (msg, 200, "[1, 2, 3]");
  else
    reply_json (msg, 404,
                "{\"code\":20404,\"message\":\"The requested resource was not found\","
                "\"more_info\":\"https://www.twilio.com/docs/errors/20404\","
                "\"status\":404}");
}

static FakeServer *
fake_server_start (void)
{
  FakeServer *f = g_new0 (FakeServer, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSList) uris = NULL;
  g_autofree char *base = NULL;

  f->server = soup_server_new (NULL, NULL);
  f->requests = g_ptr_array_new_with_free_func (g_free);
  f->authorization = g_ptr_array_new_with_free_func (g_free);
  soup_server_add_handler (f->server, NULL, handle, f, NULL);
  soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  g_assert_nonnull (uris);
  base = g_uri_to_string (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify)g_uri_unref);
  /* "http://127.0.0.1:PORT/" plus the prefix, with a trailing slash that
   * convokectl must not double. */
  f->url = g_strconcat (base, PREFIX + 1, "/", NULL);
  return f;
}

static void
fake_server_stop (FakeServer *f)
{
  soup_server_disconnect (f->server);
  g_object_unref (f->server);
  g_ptr_array_unref (f->requests);
  g_ptr_array_unref (f->authorization);
  g_free (f->url);
  g_free (f);
}

static CtlResult *
run_against (FakeServer *f, const char *const *argv)
{
  const char *const env[]
      = { "CONVOKE_URL", f->url, "CONVOKE_API_KEY", KEY, "CONVOKE_API_SECRET",
          SECRET,        NULL };

  g_ptr_array_set_size (f->requests, 0);
  g_ptr_array_set_size (f->authorization, 0);
  return ctl_run_env (env, argv);
}

static void
test_pages_prefix_and_auth (void)
{
  FakeServer *f = fake_server_start ();
  g_autoptr (CtlResult) list = run_against (
      f, (const char *const[]){ "rooms", "list", "--status", "completed", NULL });
  g_autofree char *expected_auth = NULL;
  g_autofree char *pair = g_strdup_printf ("%s:%s", KEY, SECRET);
  g_autofree char *b64 = g_base64_encode ((const guchar *)pair, strlen (pair));
  g_autofree char *evil_row = NULL;

  g_assert_cmpint (list->status, ==, 0);
  assert_contains (list->out, "RM00000000000000000000000000000001");
  assert_contains (list->out, "RM00000000000000000000000000000002");

  /* Both pages asked of our server, under the prefix, with the filters
   * first and the server's page token second. */
  g_assert_cmpuint (f->requests->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->requests, 0), ==,
                   "GET " PREFIX "/v1/Rooms?PageSize=1000&Status=completed");
  g_assert_cmpstr (g_ptr_array_index (f->requests, 1), ==,
                   "GET " PREFIX "/v1/Rooms?PageSize=1&Page=1&PageToken=PT1");

  /* Basic credentials on every request, without waiting for a 401. */
  expected_auth = g_strconcat ("Basic ", b64, NULL);
  for (guint i = 0; i < f->authorization->len; i++)
    g_assert_cmpstr (g_ptr_array_index (f->authorization, i), ==, expected_auth);

  /* Completed rooms cost no participant count request, and the escape
   * sequence and newline from the server are neutralised. */
  evil_row = table_line (list->out, "RM00000000000000000000000000000002");
  assert_contains (evil_row, "evil?[2J?name");
  assert_not_contains (list->out, "\033");
  assert_contains (evil_row, "0/2");

  fake_server_stop (f);
}

static void
test_bad_answers (void)
{
  FakeServer *f = fake_server_start ();
  g_autoptr (CtlResult) gateway
      = run_against (f, (const char *const[]){ "rooms", "show", "gateway", NULL });
  g_autoptr (CtlResult) garbled
      = run_against (f, (const char *const[]){ "rooms", "show", "garbled", NULL });
  g_autoptr (CtlResult) array
      = run_against (f, (const char *const[]){ "rooms", "show", "array", NULL });
  g_autoptr (CtlResult) missing
      = run_against (f, (const char *const[]){ "rooms", "show", "nowhere", NULL });

  g_assert_cmpint (gateway->status, ==, 1);
  g_assert_cmpstr (
      gateway->err, ==,
      "convokectl: GET /v1/Rooms/gateway: the server answered 502 Bad Gateway\n");
  g_assert_cmpint (garbled->status, ==, 1);
  assert_contains (garbled->err,
                   "GET /v1/Rooms/garbled: the server's answer is not JSON");
  g_assert_cmpint (array->status, ==, 1);
  assert_contains (array->err, "not a JSON object");

  g_assert_cmpint (missing->status, ==, 1);
  g_assert_cmpstr (missing->err, ==,
                   "convokectl: The requested resource was not found (20404)\n");

  fake_server_stop (f);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/convokectl-http/pages-prefix-auth", test_pages_prefix_and_auth);
  g_test_add_func ("/convokectl-http/bad-answers", test_bad_answers);

  return g_test_run ();
}
