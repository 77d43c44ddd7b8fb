/* The daemon's static serving of the web client at "/" (no browser).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "test-daemon.h"

typedef struct
{
  guint status;
  SoupMessageHeaders *headers;
  GBytes *body;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_clear_pointer (&reply->body, g_bytes_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

static void
request (TestDaemon *d, const char *method, const char *path, Reply *reply)
{
  g_autofree char *url = g_strconcat (d->base_url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (msg);
  /* A redirect is something to check, not to follow. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  reply->body = soup_session_send_and_read (d->session, msg, NULL, &error);
  g_assert_no_error (error);
  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
}

static const char *
header (Reply *reply, const char *name)
{
  return soup_message_headers_get_one (reply->headers, name);
}

static gboolean
body_contains (Reply *reply, const char *needle)
{
  gsize size;
  const char *data = g_bytes_get_data (reply->body, &size);

  return data != NULL && g_strstr_len (data, size, needle) != NULL;
}

/* The request line goes out exactly as written: libsoup's client would
 * normalise dot segments before they ever reached the server. */
static char *
raw_get (TestDaemon *d, const char *raw_path)
{
  g_autoptr (GUri) uri = g_uri_parse (d->base_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *req = NULL;
  g_autoptr (GByteArray) response = g_byte_array_new ();
  guint8 buffer[4096];
  gssize n;

  conn = g_socket_client_connect_to_host (client, g_uri_get_host (uri),
                                          (guint16) g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  req = g_strdup_printf (
      "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", raw_path);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), req,
                             strlen (req), NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)),
                                   buffer, sizeof buffer, NULL, &error))
         > 0)
    g_byte_array_append (response, buffer, (guint) n);
  g_assert_no_error (error);
  g_byte_array_append (response, (const guint8 *) "", 1);
  return g_strdup ((const char *) response->data);
}

static void
assert_same_as_source (Reply *reply, const char *name)
{
  g_autofree char *path
      = g_build_filename (g_getenv ("CONVOKE_SOURCE_ROOT"), "data", "web", name, NULL);
  g_autofree char *expected = NULL;
  gsize expected_size, size;
  const char *data = g_bytes_get_data (reply->body, &size);
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &expected, &expected_size, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (data, size, expected, expected_size);
}

static void
test_bundled_client (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);
  static const struct
  {
    const char *path, *file, *type;
  } files[] = {
    { "/", "index.html", "text/html; charset=utf-8" },
    { "/index.html", "index.html", "text/html; charset=utf-8" },
    { "/convoke.js", "convoke.js", "text/javascript; charset=utf-8" },
    { "/convoke-data.js", "convoke-data.js", "text/javascript; charset=utf-8" },
    { "/demo.js", "demo.js", "text/javascript; charset=utf-8" },
    { "/demo.css", "demo.css", "text/css; charset=utf-8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_auto (Reply) reply = { 0 };

      request (d, "GET", files[i].path, &reply);
      g_assert_cmpuint (reply.status, ==, 200);
      g_assert_cmpstr (header (&reply, "Content-Type"), ==, files[i].type);
      g_assert_cmpstr (header (&reply, "X-Content-Type-Options"), ==, "nosniff");
      g_assert_cmpstr (header (&reply, "Cache-Control"), ==, "no-cache");
      g_assert_nonnull (
          strstr (header (&reply, "Content-Security-Policy"), "default-src 'self'"));
      assert_same_as_source (&reply, files[i].file);
    }

  {
    g_auto (Reply) reply = { 0 };
    g_autofree char *path = g_build_filename (g_getenv ("CONVOKE_SOURCE_ROOT"), "data",
                                              "web", "convoke.js", NULL);
    GStatBuf st;
    g_autofree char *length = NULL;

    g_assert_cmpint (g_stat (path, &st), ==, 0);
    length = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) st.st_size);
    request (d, "HEAD", "/convoke.js", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_cmpstr (header (&reply, "Content-Length"), ==, length);
    g_assert_cmpuint (g_bytes_get_size (reply.body), ==, 0);
  }

  /* The REST API and health endpoints keep their own handlers. */
  {
    g_auto (Reply) reply = { 0 };

    request (d, "GET", "/healthz", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_true (body_contains (&reply, "\"status\""));
  }
  test_daemon_stop (d);
}

static void
test_refusals (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);
  const char *missing[] = { "/nope",    "/web/convoke.js", "/convoke.conf",
                            "/.hidden", "/sub/",           "/convoke.js/" };

  for (guint i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      g_auto (Reply) reply = { 0 };
      g_autofree char *quoted = g_strdup_printf ("“%s”", missing[i]);

      request (d, "GET", missing[i], &reply);
      g_assert_cmpuint (reply.status, ==, 404);
      g_assert_cmpstr (header (&reply, "Content-Type"), ==, "text/plain; charset=utf-8");
      g_assert_true (body_contains (&reply, quoted));
    }

  {
    g_auto (Reply) reply = { 0 };

    request (d, "POST", "/", &reply);
    g_assert_cmpuint (reply.status, ==, 405);
    g_assert_cmpstr (header (&reply, "Allow"), ==, "GET, HEAD");
    g_assert_true (body_contains (&reply, "POST"));
  }

  /* Dot segments, plain or encoded, never leave the served files; the
   * embedded config sits next to them in the resource. */
  {
    const char *sneaky[]
        = { "/../convoke.conf",       "/%2e%2e/convoke.conf", "/web/..%2fconvoke.conf",
            "/%2E%2E%2Fconvoke.conf", "//index.html",         "/..\\convoke.conf" };

    for (guint i = 0; i < G_N_ELEMENTS (sneaky); i++)
      {
        g_autofree char *response = raw_get (d, sneaky[i]);

        g_test_message ("GET %s -> %.*s", sneaky[i], (int) strcspn (response, "\r"),
                        response);
        g_assert_false (g_str_has_prefix (response, "HTTP/1.1 200"));
        g_assert_null (strstr (response, "[server]"));
      }
  }
  g_assert_true (test_daemon_alive (d));
  test_daemon_stop (d);
}

static void
write_file (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_mkdir_with_parents (parent, 0755);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static gboolean
bundled_again (gpointer data)
{
  TestDaemon *d = data;
  g_auto (Reply) reply = { 0 };

  request (d, "GET", "/", &reply);
  return reply.status == 200 && body_contains (&reply, "demo.js");
}

static void
test_web_root (void)
{
  g_autofree char *tmp = test_mkdtemp ();
  g_autofree char *root = g_build_filename (tmp, "www", NULL);
  g_autofree char *config = NULL;
  TestDaemon *d;

  write_file (root, "index.html", "<p>our own page</p>\n");
  write_file (root, "app.js", "export const x = 1;\n");
  write_file (root, "sub/index.html", "<p>sub page</p>\n");
  write_file (root, ".secret", "hidden\n");
  write_file (tmp, "outside.txt", "outside the root\n");
  {
    /* Sparse: over the 64 MiB limit without using the disk. */
    g_autofree char *huge = g_build_filename (root, "huge.bin", NULL);
    int fd = g_open (huge, O_WRONLY | O_CREAT, 0644);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, 65 * 1024 * 1024), ==, 0);
    close (fd);
  }
  config = g_strdup_printf ("[server]\nweb-root=%s\n", root);
  d = test_daemon_start (config, NULL);

  {
    g_auto (Reply) reply = { 0 };

    request (d, "GET", "/", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_true (body_contains (&reply, "our own page"));
    g_assert_cmpstr (header (&reply, "Content-Type"), ==, "text/html; charset=utf-8");
    /* The operator's pages get no policy of ours. */
    g_assert_null (header (&reply, "Content-Security-Policy"));
  }
  {
    g_auto (Reply) reply = { 0 };

    request (d, "GET", "/app.js", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_cmpstr (header (&reply, "Content-Type"), ==,
                     "text/javascript; charset=utf-8");
  }
  {
    g_auto (Reply) reply = { 0 };

    request (d, "GET", "/sub", &reply);
    g_assert_cmpuint (reply.status, ==, 301);
    g_assert_true (g_str_has_suffix (header (&reply, "Location"), "/sub/"));
  }
  {
    g_auto (Reply) reply = { 0 };

    request (d, "GET", "/sub/", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_true (body_contains (&reply, "sub page"));
  }
  /* web-root replaces the bundled client entirely. */
  {
    g_auto (Reply) reply = { 0 };

    request (d, "GET", "/convoke.js", &reply);
    g_assert_cmpuint (reply.status, ==, 404);
  }
  {
    g_auto (Reply) reply = { 0 };

    request (d, "GET", "/.secret", &reply);
    g_assert_cmpuint (reply.status, ==, 404);
  }
  {
    g_auto (Reply) reply = { 0 };

    request (d, "GET", "/huge.bin", &reply);
    g_assert_cmpuint (reply.status, ==, 500);
    g_assert_true (body_contains (&reply, "“/huge.bin” is too large"));
  }
  {
    g_autofree char *plain = raw_get (d, "/../outside.txt");
    g_autofree char *encoded = raw_get (d, "/%2e%2e/outside.txt");

    g_assert_null (strstr (plain, "outside the root"));
    g_assert_null (strstr (encoded, "outside the root"));
  }

  /* Read per request: a reload without web-root brings the bundled
   * client back without a restart. */
  test_daemon_rewrite_config (d, NULL);
  test_daemon_reload (d);
  g_assert_true (test_wait_until (bundled_again, d, 10000));

  test_daemon_stop (d);
  test_rm_rf (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/web-client/bundled", test_bundled_client);
  g_test_add_func ("/web-client/refusals", test_refusals);
  g_test_add_func ("/web-client/web-root", test_web_root);
  return g_test_run ();
}
