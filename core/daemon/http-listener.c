/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-daemon"

#include "http-listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>

#include "i18n.h"

/* How often deadlines are looked at, and how long accepting pauses after
 * an error such as EMFILE before it tries again. */
#define SWEEP_INTERVAL_MS 250
#define ACCEPT_RETRY_MS 100
/* Connections taken per wakeup, so one busy listener cannot starve the
 * rest of the main loop. */
#define ACCEPT_BATCH 64
#define EVICTION_LOG_INTERVAL_USEC (10 * G_USEC_PER_SEC)
/* After an answer sent before the request's body (see
 * convoke_http_listener_answer_before_body()), the connection reads and
 * drops what the client is still sending, for at most this long and this
 * much, before it closes: closing a socket with unread data makes the
 * kernel send a reset, which can destroy the answer before the client
 * read it (the "lingering close" of RFC 9112, section 9.6). */
#define LINGER_SECONDS 2
#define LINGER_MAX_BYTES (256 * 1024)

struct _ConvokeHttpListener
{
  ConvokeDaemon *daemon; /* not owned: it owns us */
  SoupServer *server;
  GSocket *socket;
  GSource *accept_source;
  guint retry_source;
  guint sweep_source;
  guint refused_accepts; /* since accepting last worked */
  gint64 last_eviction_log;
  GHashTable *clients;    /* GSocketAddress* (remote, as given to libsoup) → client */
  GQueue unauthenticated; /* ConvokeHttpClient*, oldest first */
  gulong server_handlers[3];
};

struct _ConvokeHttpClient
{
  ConvokeHttpListener *listener; /* NULL once the connection is gone */
  GSocketConnection *conn;       /* weak */
  GSocket *socket;
  GSocketAddress *remote;
  GList link; /* in listener->unauthenticated while not authenticated */
  gboolean authenticated;
  gint64 deadline; /* monotonic µs; 0: none */
  const char *waiting_for; /* "headers", "body" or "lingering close", for the log */
};

ConvokeHttpClient *
convoke_http_client_ref (ConvokeHttpClient *client)
{
  return g_rc_box_acquire (client);
}

static void
client_clear (gpointer data)
{
  ConvokeHttpClient *client = data;

  g_clear_object (&client->socket);
  g_clear_object (&client->remote);
}

void
convoke_http_client_unref (ConvokeHttpClient *client)
{
  if (client != NULL)
    g_rc_box_release_full (client, client_clear);
}

static void
forget_unauthenticated (ConvokeHttpClient *client)
{
  if (client->listener != NULL && !client->authenticated)
    g_queue_unlink (&client->listener->unauthenticated, &client->link);
  client->authenticated = TRUE;
}

void
convoke_http_client_set_authenticated (ConvokeHttpClient *client)
{
  g_return_if_fail (client != NULL);
  forget_unauthenticated (client);
}

void
convoke_http_client_clear_deadline (ConvokeHttpClient *client)
{
  g_return_if_fail (client != NULL);
  client->deadline = 0;
}

/* The socket is closed for both directions: libsoup (or whoever has the
 * stream) reads the end of the stream and lets the connection go. */
static void
shut_down (ConvokeHttpClient *client)
{
  client->deadline = 0;
  if (client->socket != NULL && !g_socket_is_closed (client->socket))
    g_socket_shutdown (client->socket, TRUE, TRUE, NULL);
}

static void
on_connection_gone (gpointer data, GObject *where_the_object_was)
{
  ConvokeHttpClient *client = data;
  ConvokeHttpListener *self = client->listener;

  client->conn = NULL;
  if (self == NULL)
    return;
  forget_unauthenticated (client);
  client->listener = NULL;
  g_hash_table_remove (self->clients, client->remote);
}

/* ---- deadlines ------------------------------------------------------------ */

static gboolean
sweep (gpointer data)
{
  ConvokeHttpListener *self = data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ConvokeHttpClient *client = value;

      if (client->deadline != 0 && now >= client->deadline)
        {
          g_autofree char *peer
              = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (client->remote));

          g_debug ("http: closing %s: its request %s took too long", peer,
                   client->waiting_for);
          shut_down (client);
        }
    }
  if (g_hash_table_size (self->clients) > 0)
    return G_SOURCE_CONTINUE;
  self->sweep_source = 0;
  return G_SOURCE_REMOVE;
}

static void
set_deadline (ConvokeHttpListener *self, ConvokeHttpClient *client, guint seconds,
              const char *waiting_for)
{
  client->deadline = g_get_monotonic_time () + (gint64)seconds * G_USEC_PER_SEC;
  client->waiting_for = waiting_for;
  if (self->sweep_source == 0)
    self->sweep_source = g_timeout_add (SWEEP_INTERVAL_MS, sweep, self);
}

ConvokeHttpClient *
convoke_http_listener_lookup (ConvokeHttpListener *self, SoupServerMessage *msg)
{
  GSocketAddress *remote;

  g_return_val_if_fail (self != NULL, NULL);
  /* libsoup hands back the very address object it was given at accept. */
  remote = soup_server_message_get_remote_address (msg);
  return remote != NULL ? g_hash_table_lookup (self->clients, remote) : NULL;
}

static gboolean
request_has_body (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      return soup_message_headers_get_content_length (headers) != 0;
    case SOUP_ENCODING_NONE:
      return FALSE;
    default:
      return TRUE;
    }
}

static void
on_got_headers (SoupServerMessage *msg, ConvokeHttpListener *self)
{
  ConvokeHttpClient *client = convoke_http_listener_lookup (self, msg);

  if (client == NULL || client->deadline == 0)
    return;
  if (request_has_body (msg))
    set_deadline (self, client, convoke_daemon_get_config (self->daemon)->body_timeout,
                  "body");
  else
    client->deadline = 0;
}

static void
on_got_body (SoupServerMessage *msg, ConvokeHttpListener *self)
{
  ConvokeHttpClient *client = convoke_http_listener_lookup (self, msg);

  if (client != NULL)
    client->deadline = 0;
}

static void
on_request_started (SoupServer *server, SoupServerMessage *msg, ConvokeHttpListener *self)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), self);
  g_signal_connect (msg, "got-body", G_CALLBACK (on_got_body), self);
}

/* An answer is out: a kept-alive connection has header-timeout to send
 * its next request. */
static void
on_request_done (SoupServer *server, SoupServerMessage *msg, ConvokeHttpListener *self)
{
  ConvokeHttpClient *client = convoke_http_listener_lookup (self, msg);

  g_signal_handlers_disconnect_by_data (msg, self);
  if (client != NULL && client->conn != NULL)
    set_deadline (self, client, convoke_daemon_get_config (self->daemon)->header_timeout,
                  "headers");
}

/* ---- answering before the body -------------------------------------------- */

typedef struct
{
  ConvokeHttpClient *client;
  SoupServerMessage *msg;
  GIOStream *stream; /* once stolen from libsoup */
  GBytes *answer;
  gsize discarded;
  char buffer[4096];
} EarlyAnswer;

static void
early_answer_free (EarlyAnswer *early)
{
  if (early->stream != NULL)
    g_io_stream_close (early->stream, NULL, NULL);
  g_clear_object (&early->stream);
  g_clear_pointer (&early->answer, g_bytes_unref);
  g_clear_object (&early->msg);
  g_clear_pointer (&early->client, convoke_http_client_unref);
  g_free (early);
}

/* The status line, headers and body @msg holds, as HTTP/1.1 bytes, with
 * "Connection: close" (the rest of the request is never parsed). */
static GBytes *
serialize_answer (SoupServerMessage *msg)
{
  guint status = soup_server_message_get_status (msg);
  const char *reason = soup_server_message_get_reason_phrase (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr (GBytes) body
      = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);
  GString *text = g_string_new (NULL);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_string_append_printf (text, "HTTP/1.1 %u %s\r\n", status,
                          reason != NULL ? reason : soup_status_get_phrase (status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strcasecmp (name, "Content-Length") == 0
          || g_ascii_strcasecmp (name, "Connection") == 0
          || g_ascii_strcasecmp (name, "Transfer-Encoding") == 0
          || g_ascii_strcasecmp (name, "Date") == 0)
        continue;
      g_string_append_printf (text, "%s: %s\r\n", name, value);
    }
  g_string_append_printf (text,
                          "Date: %s\r\nConnection: close\r\nContent-Length: %" G_GSIZE_FORMAT
                          "\r\n\r\n",
                          date, g_bytes_get_size (body));
  g_string_append_len (text, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return g_string_free_to_bytes (text);
}

static void discard_more (EarlyAnswer *early);

static void
on_discarded (GObject *source, GAsyncResult *result, gpointer data)
{
  EarlyAnswer *early = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  /* End of stream, an error, or the linger deadline's shutdown: done. */
  if (n <= 0 || (early->discarded += n) >= LINGER_MAX_BYTES)
    {
      early_answer_free (early);
      return;
    }
  discard_more (early);
}

static void
discard_more (EarlyAnswer *early)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (early->stream), early->buffer,
                             sizeof early->buffer, G_PRIORITY_DEFAULT, NULL, on_discarded,
                             early);
}

static void
on_answer_written (GObject *source, GAsyncResult *result, gpointer data)
{
  EarlyAnswer *early = data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL)
      || early->client->socket == NULL)
    {
      early_answer_free (early);
      return;
    }
  /* The client sees the end of the answer; what it still sends is
   * drained, never parsed, until LINGER_SECONDS pass. */
  g_socket_shutdown (early->client->socket, FALSE, TRUE, NULL);
  if (early->client->listener != NULL)
    set_deadline (early->client->listener, early->client, LINGER_SECONDS, "lingering close");
  discard_more (early);
}

static gboolean
answer_now (gpointer data)
{
  EarlyAnswer *early = data;

  /* The whole body came with the headers, and libsoup answered as usual. */
  if (g_object_get_data (G_OBJECT (early->msg), "convoke-http-finished") != NULL)
    {
      early_answer_free (early);
      return G_SOURCE_REMOVE;
    }
  early->answer = serialize_answer (early->msg);
  /* libsoup forgets the message and the connection from here on. */
  early->stream = soup_server_message_steal_connection (early->msg);
  if (early->stream == NULL)
    {
      early_answer_free (early);
      return G_SOURCE_REMOVE;
    }
  g_output_stream_write_all_async (g_io_stream_get_output_stream (early->stream),
                                   g_bytes_get_data (early->answer, NULL),
                                   g_bytes_get_size (early->answer), G_PRIORITY_DEFAULT,
                                   NULL, on_answer_written, early);
  return G_SOURCE_REMOVE;
}

static void
on_finished_early (SoupServerMessage *msg, gpointer data)
{
  g_object_set_data (G_OBJECT (msg), "convoke-http-finished", GINT_TO_POINTER (TRUE));
}

void
convoke_http_listener_answer_before_body (ConvokeHttpListener *self, SoupServerMessage *msg)
{
  ConvokeHttpClient *client;
  EarlyAnswer *early;

  g_return_if_fail (self != NULL);
  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));

  client = convoke_http_listener_lookup (self, msg);
  if (client == NULL || client->conn == NULL || !request_has_body (msg)
      || g_object_get_data (G_OBJECT (msg), "convoke-http-early") != NULL)
    return;
  g_object_set_data (G_OBJECT (msg), "convoke-http-early", GINT_TO_POINTER (TRUE));
  /* Inside a libsoup signal the connection cannot be taken over; paused,
   * libsoup reads no further, and the main loop comes back here. */
  soup_server_message_pause (msg);
  client->deadline = 0;
  early = g_new0 (EarlyAnswer, 1);
  early->client = convoke_http_client_ref (client);
  early->msg = g_object_ref (msg);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished_early), NULL);
  g_idle_add (answer_now, early);
}

/* ---- accepting ------------------------------------------------------------ */

static void
make_room (ConvokeHttpListener *self, guint limit)
{
  while (self->unauthenticated.length >= limit)
    {
      ConvokeHttpClient *oldest = g_queue_peek_head (&self->unauthenticated);
      gint64 now = g_get_monotonic_time ();

      if (now - self->last_eviction_log >= EVICTION_LOG_INTERVAL_USEC)
        {
          self->last_eviction_log = now;
          g_message (_ ("%u connections have not authenticated yet ([server] "
                        "max-unauthenticated-connections); closing the oldest to make "
                        "room"),
                     limit);
        }
      /* It stops counting now; its socket goes when libsoup sees the end. */
      forget_unauthenticated (oldest);
      shut_down (oldest);
    }
}

static void
admit (ConvokeHttpListener *self, GSocket *socket)
{
  ConvokeConfig *config = convoke_daemon_get_config (self->daemon);
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  ConvokeHttpClient *client;

  local = g_socket_get_local_address (socket, NULL);
  remote = g_socket_get_remote_address (socket, NULL);
  if (local == NULL || remote == NULL)
    {
      /* The peer is already gone. */
      g_socket_close (socket, NULL);
      return;
    }
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  make_room (self, config->max_unauthenticated_connections);

  conn = g_socket_connection_factory_create_connection (socket);
  client = g_rc_box_new0 (ConvokeHttpClient);
  client->listener = self;
  client->conn = conn;
  client->socket = g_object_ref (socket);
  client->remote = g_object_ref (remote);
  client->link.data = client;
  g_queue_push_tail_link (&self->unauthenticated, &client->link);
  g_object_weak_ref (G_OBJECT (conn), on_connection_gone, client);
  g_hash_table_insert (self->clients, remote, client);
  set_deadline (self, client, config->header_timeout, "headers");

  soup_server_accept_iostream (self->server, G_IO_STREAM (conn), local, remote, NULL);
}

static gboolean on_incoming (GSocket *socket, GIOCondition condition, gpointer data);

static void
watch_socket (ConvokeHttpListener *self)
{
  self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_incoming), self, NULL);
  g_source_attach (self->accept_source, g_main_context_get_thread_default ());
}

static gboolean
retry_accept (gpointer data)
{
  ConvokeHttpListener *self = data;

  self->retry_source = 0;
  watch_socket (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket *socket, GIOCondition condition, gpointer data)
{
  ConvokeHttpListener *self = data;

  for (int i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) accepted = g_socket_accept (self->socket, NULL, &error);

      if (accepted != NULL)
        {
          if (self->refused_accepts > 0)
            {
              g_message (_ ("Accepting connections again, after %u failed attempts"),
                         self->refused_accepts);
              self->refused_accepts = 0;
            }
          admit (self, accepted);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        continue; /* the peer left before it was accepted */

      /* Out of file descriptors (or memory): the connection waits in the
       * backlog. Pause instead of spinning, and try again until it works. */
      if (self->refused_accepts++ == 0)
        g_warning (_ ("Cannot accept connections: %s. Retrying every %d ms until "
                      "resources are free; see LimitNOFILE and [server] "
                      "max-unauthenticated-connections"),
                   error->message, ACCEPT_RETRY_MS);
      self->accept_source = NULL;
      self->retry_source = g_timeout_add (ACCEPT_RETRY_MS, retry_accept, self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

ConvokeHttpListener *
convoke_http_listener_new (ConvokeDaemon *daemon, SoupServer *server,
                           GSocketAddress *address, GError **error)
{
  ConvokeHttpListener *self;
  g_autoptr (GMainContext) dormant = g_main_context_new ();
  GSList *sockets;
  gboolean listening;

  g_return_val_if_fail (CONVOKE_IS_DAEMON (daemon), NULL);
  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);

  /* libsoup binds and keeps the listening socket (so keep-alive, its URIs
   * and soup_server_disconnect() work as usual), but its accept source
   * goes to a context nobody runs: the accepting is done here. */
  g_main_context_push_thread_default (dormant);
  listening = soup_server_listen (server, address, 0, error);
  g_main_context_pop_thread_default (dormant);
  if (!listening)
    return NULL;
  /* The dormant context must outlive libsoup's source in it. */
  g_object_set_data_full (G_OBJECT (server), "convoke-dormant-accept-context",
                          g_steal_pointer (&dormant),
                          (GDestroyNotify)g_main_context_unref);

  sockets = soup_server_get_listeners (server);
  g_return_val_if_fail (sockets != NULL, NULL);

  self = g_new0 (ConvokeHttpListener, 1);
  self->daemon = daemon;
  self->server = g_object_ref (server);
  self->socket = g_object_ref (sockets->data);
  g_slist_free (sockets);
  g_socket_set_blocking (self->socket, FALSE);
  self->clients = g_hash_table_new_full (NULL, NULL, NULL,
                                         (GDestroyNotify)convoke_http_client_unref);
  g_queue_init (&self->unauthenticated);
  self->server_handlers[0] = g_signal_connect (server, "request-started",
                                               G_CALLBACK (on_request_started), self);
  self->server_handlers[1] = g_signal_connect (server, "request-finished",
                                               G_CALLBACK (on_request_done), self);
  self->server_handlers[2] = g_signal_connect (server, "request-aborted",
                                               G_CALLBACK (on_request_done), self);
  watch_socket (self);
  return self;
}

void
convoke_http_listener_free (ConvokeHttpListener *self)
{
  GHashTableIter iter;
  gpointer value;

  if (self == NULL)
    return;
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_source_unref (self->accept_source);
    }
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_handle_id (&self->sweep_source, g_source_remove);
  for (guint i = 0; i < G_N_ELEMENTS (self->server_handlers); i++)
    g_clear_signal_handler (&self->server_handlers[i], self->server);

  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ConvokeHttpClient *client = value;

      if (client->conn != NULL)
        g_object_weak_unref (G_OBJECT (client->conn), on_connection_gone, client);
      client->conn = NULL;
      client->listener = NULL;
    }
  g_hash_table_destroy (self->clients);
  g_object_unref (self->socket);
  g_object_unref (self->server);
  g_free (self);
}

void
convoke_http_raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  /* Only the soft limit: the hard one is the administrator's (systemd's
   * LimitNOFILE). GLib polls with poll(), so no FD_SETSIZE applies. */
  g_debug ("raising the file descriptor limit from %llu to %llu",
           (unsigned long long)limit.rlim_cur, (unsigned long long)limit.rlim_max);
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_debug ("could not raise the file descriptor limit");
}
