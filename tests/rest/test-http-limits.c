/* The HTTP listener under connections that never finish their request,
 * over raw TCP: header and body timeouts, refusals that go out before the
 * body, the cap on unauthenticated connections, and accepting again after
 * the daemon ran out of file descriptors.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "test-daemon.h"

#define HEADER_TIMEOUT 2
#define BODY_TIMEOUT 2
#define WAIT_MS test_scaled_ms (20000)

/* NULL when the connection is not made within @timeout_s seconds (the
 * daemon's backlog is full). */
static GSocket *
try_connect (TestDaemon *d, guint timeout_s)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  const char *port = strrchr (d->base_url, ':') + 1;
  g_autoptr (GSocketConnection) conn = NULL;
  GSocket *socket;

  g_socket_client_set_timeout (client, timeout_s);
  conn = g_socket_client_connect_to_host (
      client, "127.0.0.1", (guint16)g_ascii_strtoull (port, NULL, 10), NULL, &error);
  if (conn == NULL)
    return NULL;
  /* A socket of its own: the GSocketConnection closes its socket when it
   * goes, and this one is closed when the last reference goes. */
  socket = g_socket_new_from_fd (dup (g_socket_get_fd (g_socket_connection_get_socket (conn))),
                                 &error);
  g_assert_no_error (error);
  return socket;
}

static GSocket *
raw_connect (TestDaemon *d)
{
  GSocket *socket = try_connect (d, 10);

  g_assert_nonnull (socket);
  return socket;
}

static void
raw_send (GSocket *socket, const char *text)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_socket_send (socket, text, strlen (text), NULL, &error), ==,
                   (gssize)strlen (text));
  g_assert_no_error (error);
}

static GString *read_answer (GSocket *socket, guint timeout_ms, gboolean *closed_out);

/* Waits until the server closes @socket (reads and drops whatever comes
 * first). Returns the seconds it took, or -1 after @timeout_ms. */
static double
wait_closed (GSocket *socket, guint timeout_ms)
{
  gint64 start = g_get_monotonic_time ();
  gboolean closed;
  g_autoptr (GString) ignored = read_answer (socket, timeout_ms, &closed);

  return closed ? (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC : -1;
}

static gboolean
still_open (GSocket *socket)
{
  char c;
  g_autoptr (GError) error = NULL;

  g_socket_set_blocking (socket, FALSE);
  return g_socket_receive (socket, &c, 1, NULL, &error) < 0
         && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
}

static guint
healthz (TestDaemon *d)
{
  return test_http (d, "GET", "/healthz", FALSE, NULL, NULL, NULL);
}

static TestDaemon *
start_daemon (const char *server_extra)
{
  g_autofree char *config = g_strdup_printf ("[server]\n"
                                             "header-timeout=%d\n"
                                             "body-timeout=%d\n"
                                             "%s",
                                             HEADER_TIMEOUT, BODY_TIMEOUT,
                                             server_extra ? server_extra : "");

  return test_daemon_start (config, NULL);
}

static void
test_header_timeout (void)
{
  TestDaemon *d = start_daemon (NULL);
  g_autoptr (GSocket) half = raw_connect (d);
  g_autoptr (GSocket) idle = raw_connect (d);
  double took;

  raw_send (half, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  took = wait_closed (half, WAIT_MS);
  g_test_message ("half-sent request closed after %.2f s", took);
  g_assert_cmpfloat (took, >=, HEADER_TIMEOUT - 0.5);
  g_assert_cmpfloat (took, <=, HEADER_TIMEOUT + 5);
  /* A connection that sends nothing at all goes the same way. */
  g_assert_cmpfloat (wait_closed (idle, WAIT_MS), >=, 0);
  g_assert_cmpuint (healthz (d), ==, 200);
  test_daemon_stop (d);
}

static void
test_body_timeout (void)
{
  TestDaemon *d = start_daemon (NULL);
  g_autoptr (GSocket) slow = raw_connect (d);
  g_autofree char *credentials = g_base64_encode (
      (const guchar *)TEST_API_KEY ":" TEST_API_SECRET,
      strlen (TEST_API_KEY ":" TEST_API_SECRET));
  g_autofree char *request = g_strdup_printf (
      "POST /v1/Rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
      "UniqueName",
      credentials);
  double took;

  raw_send (slow, request);
  took = wait_closed (slow, WAIT_MS);
  g_test_message ("body that never came closed after %.2f s", took);
  g_assert_cmpfloat (took, >=, BODY_TIMEOUT - 0.5);
  g_assert_cmpfloat (took, <=, BODY_TIMEOUT + 5);
  g_assert_cmpuint (healthz (d), ==, 200);
  test_daemon_stop (d);
}

/* With room for 5, the sixth unauthenticated connection closes the
 * oldest; an authenticated request does not count. */
static void
test_unauthenticated_cap (void)
{
  TestDaemon *d = start_daemon ("max-unauthenticated-connections=5\n"
                                "header-timeout=60\n");
  GSocket *held[5];
  g_autoptr (GSocket) newest = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      held[i] = raw_connect (d);
      raw_send (held[i], "GET /healthz HTTP/1.1\r\n");
    }
  /* Let the daemon accept them in this order. */
  g_usleep (200 * 1000);
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    g_assert_true (still_open (held[i]));

  newest = raw_connect (d);
  g_assert_cmpfloat (wait_closed (held[0], test_scaled_ms (5000)), >=, 0);
  g_assert_true (still_open (held[1]));
  g_assert_true (still_open (newest));

  /* A REST request (authenticated, on a connection of its own) works
   * while the others are held. */
  g_assert_cmpuint (test_http (d, "GET", "/v1/Rooms", TRUE, NULL, NULL, NULL), ==, 200);
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    g_object_unref (held[i]);
  test_daemon_stop (d);
}

/* Everything the server sends on @socket until it closes, or until
 * @timeout_ms passed (*closed_out then FALSE). */
static GString *
read_answer (GSocket *socket, guint timeout_ms, gboolean *closed_out)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  GString *answer = g_string_new (NULL);

  *closed_out = FALSE;
  g_socket_set_blocking (socket, FALSE);
  while (g_get_monotonic_time () < deadline)
    {
      char buffer[4096];
      g_autoptr (GError) error = NULL;
      gssize n;

      g_socket_condition_timed_wait (socket, G_IO_IN | G_IO_HUP, 50000, NULL, NULL);
      n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);
      if (n > 0)
        g_string_append_len (answer, buffer, n);
      else if (n == 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          *closed_out = TRUE;
          break;
        }
    }
  return answer;
}

/* Sends as much of @size bytes as the socket takes without blocking. */
static gsize
send_what_fits (GSocket *socket, gsize size)
{
  g_autofree char *filler = g_malloc (size);
  gsize sent = 0;

  memset (filler, 'x', size);
  g_socket_set_blocking (socket, FALSE);
  while (sent < size)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_send (socket, filler + sent, size - sent, NULL, &error);

      if (n <= 0)
        break;
      sent += n;
    }
  return sent;
}

typedef struct
{
  const char *name;
  gboolean authenticated;
  const char *framing; /* the request's body headers */
  gsize body_bytes;    /* sent right after the headers */
  guint status;
  const char *code; /* the Twilio error code in the JSON body */
} EarlyCase;

/* A refusal decided from the headers (or an over-limit chunk) goes out at
 * once: the daemon neither reads nor waits for a body it will not use.
 * With body-timeout at 60 s, only an early answer arrives within the
 * wait; before, each of these got nothing until the body timed out. */
static void
test_refused_before_body (void)
{
  static const EarlyCase cases[] = {
    { "unauthenticated, body pending", FALSE, "Content-Length: 500\r\n", 10, 401, "20003" },
    { "claims 100 MB, sends none", TRUE, "Content-Length: 100000000\r\n", 0, 413, "21617" },
    { "claims 100 MB, keeps sending", TRUE, "Content-Length: 100000000\r\n", 1 << 20, 413,
      "21617" },
    { "chunk over the limit", TRUE, "Transfer-Encoding: chunked\r\n\r\nfa0\r\n", 4000,
      413, "21617" },
    { "negative Content-Length", TRUE, "Content-Length: -5\r\n", 10, 400, "21200" },
  };
  TestDaemon *d = start_daemon ("body-timeout=60\nmax-body-size=2048\n");
  g_autofree char *credentials = g_base64_encode (
      (const guchar *)TEST_API_KEY ":" TEST_API_SECRET,
      strlen (TEST_API_KEY ":" TEST_API_SECRET));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const EarlyCase *c = &cases[i];
      g_autoptr (GSocket) socket = raw_connect (d);
      g_autofree char *auth = c->authenticated
                                  ? g_strdup_printf ("Authorization: Basic %s\r\n", credentials)
                                  : g_strdup ("");
      /* A chunked request's framing ends the headers itself. */
      g_autofree char *request = g_strdup_printf (
          "POST /v1/Rooms HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
          "Content-Type: application/x-www-form-urlencoded\r\n%s%s",
          auth, c->framing, strstr (c->framing, "chunked") ? "" : "\r\n");
      g_autofree char *want_status = g_strdup_printf ("HTTP/1.1 %u ", c->status);
      g_autofree char *want_code = g_strdup_printf ("\"code\":%s", c->code);
      g_autoptr (GString) answer = NULL;
      gint64 start = g_get_monotonic_time ();
      gsize sent = 0;
      gboolean closed;

      raw_send (socket, request);
      if (c->body_bytes > 0)
        sent = send_what_fits (socket, c->body_bytes);
      answer = read_answer (socket, test_scaled_ms (10000), &closed);
      g_test_message ("%s: %" G_GSIZE_FORMAT " body bytes sent; %s after %.2f s: %.40s",
                      c->name, sent, closed ? "closed" : "still open",
                      (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC, answer->str);
      g_assert_true (g_str_has_prefix (answer->str, want_status));
      g_assert_nonnull (strstr (answer->str, "Connection: close"));
      g_assert_nonnull (strstr (answer->str, want_code));
      /* After a short lingering close, the daemon hangs up. */
      g_assert_true (closed);
    }
  g_assert_cmpuint (healthz (d), ==, 200);
  test_daemon_stop (d);
}

static guint
count_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", (int)pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

typedef struct
{
  GPid pid;
  guint limit;
} FdWait;

static gboolean
fds_exhausted (gpointer data)
{
  FdWait *w = data;

  return count_fds (w->pid) >= w->limit - 1;
}

/* The reproducer, scaled down: with a low RLIMIT_NOFILE, half-sent
 * requests use up every descriptor; once they are gone the daemon must
 * serve again (libsoup's own listener stopped for good). */
static void
test_fd_exhaustion (void)
{
  TestDaemon *d = start_daemon ("header-timeout=3600\n"
                                "max-unauthenticated-connections=1000000\n");
  struct rlimit low = { 64, 64 };
  FdWait wait = { d->pid, 64 };
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);
  guint status;

  g_assert_cmpint (prlimit (d->pid, RLIMIT_NOFILE, &low, NULL), ==, 0);
  /* Half-sent requests until the daemon has no descriptor left, then a
   * few more that wait in the listen backlog. */
  for (guint i = 0; i < 100 && !fds_exhausted (&wait); i++)
    {
      GSocket *socket = raw_connect (d);

      raw_send (socket, "GET /healthz HTTP/1.1\r\n");
      g_ptr_array_add (sockets, socket);
      test_wait_until (fds_exhausted, &wait, 20);
    }
  g_assert_true (fds_exhausted (&wait));
  for (guint i = 0; i < 5; i++)
    {
      GSocket *socket = try_connect (d, 2);

      if (socket != NULL)
        g_ptr_array_add (sockets, socket);
    }
  g_test_message ("daemon holds %u descriptors (limit %u), %u connections made",
                  count_fds (d->pid), wait.limit, sockets->len);

  g_ptr_array_unref (sockets);
  status = healthz (d);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (test_daemon_alive (d));
  test_daemon_stop (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/http/limits/header-timeout", test_header_timeout);
  g_test_add_func ("/http/limits/body-timeout", test_body_timeout);
  g_test_add_func ("/http/limits/refused-before-body", test_refused_before_body);
  g_test_add_func ("/http/limits/unauthenticated-cap", test_unauthenticated_cap);
  g_test_add_func ("/http/limits/fd-exhaustion", test_fd_exhaustion);
  return g_test_run ();
}
