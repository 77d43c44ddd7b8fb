/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fuzz-daemon.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config-file.h"
#include "fuzz-common.h"

/* The module of the group room types: mesh, or for fuzz-tcmp the
 * stand-in SFU of tests/fuzz/modules/fuzzsfu.c. Neither starts a worker. */
#ifndef FUZZ_GROUP_MODULE
#define FUZZ_GROUP_MODULE "mesh"
#endif

/* Every built-in type redefined on a module without worker processes.
 * Status callbacks are filtered out by the REST target itself. */
static const char fuzz_config[]
    = "[server]\n"
      "listen=127.0.0.1:0\n"
      "max-body-size=65536\n"
      "[auth]\n"
      "api-key=" FUZZ_API_KEY "\n"
      "api-secret=" FUZZ_API_SECRET "\n"
      "account-sid=" FUZZ_ACCOUNT_SID "\n"
      "[rooms]\n"
      "default-type=group\n"
      "auto-create=true\n"
      "[signaling]\n"
      "max-messages-per-second=1000\n"
      "keepalive-interval=60\n"
      "[type:group]\n"
      "module=" FUZZ_GROUP_MODULE "\n"
      "[type:group-small]\n"
      "module=" FUZZ_GROUP_MODULE "\n"
      "max-participants=4\n"
      "[type:webinar]\n"
      "module=" FUZZ_GROUP_MODULE "\n"
      "max-participants=3\n"
      "[room:standup]\n"
      "type=go\n"
      "[room:p2p]\n"
      "type=peer-to-peer\n";

static ConvokeConfig *fuzz_config_loaded;
static ConvokeDaemon *daemon_instance;

ConvokeDaemon *
fuzz_daemon_get (void)
{
  g_autoptr (GError) error = NULL;

  if (daemon_instance != NULL)
    return daemon_instance;
  if (fuzz_config_loaded == NULL)
    {
      fuzz_config_loaded
          = convoke_config_load_data (fuzz_config, -1, "<fuzz config>", &error);
      if (fuzz_config_loaded == NULL)
        g_error ("fuzz config: %s", error->message);
    }
  daemon_instance = convoke_daemon_new (fuzz_config_loaded, NULL, FUZZ_MODULE_DIR);
  if (!convoke_daemon_start (daemon_instance, &error))
    g_error ("cannot start the daemon: %s", error->message);
  return daemon_instance;
}

#define MAX_RECEIVED (1024 * 1024)

struct _FuzzClient
{
  int fd;
  GByteArray *outgoing;
  gsize sent;
  gboolean shutdown_wanted;
  gboolean shut;
  gboolean eof;
  GByteArray *received;
};

static gboolean
tick_done (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* Runs what is ready, without waiting; bounded, in case something keeps
 * rescheduling itself. */
static void
drain_main_context (void)
{
  for (guint i = 0; i < 10000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

FuzzClient *
fuzz_client_connect (void)
{
  ConvokeDaemon *daemon = fuzz_daemon_get ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new (loopback, 7880);
  g_autoptr (GSocketAddress) remote = g_inet_socket_address_new (loopback, 50000);
  FuzzClient *client;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    abort ();
  socket = g_socket_new_from_fd (fds[0], &error);
  if (socket == NULL)
    g_error ("%s", error->message);
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  if (!soup_server_accept_iostream (convoke_daemon_get_server (daemon), stream, local,
                                    remote, &error))
    g_error ("soup_server_accept_iostream: %s", error->message);

  client = g_new0 (FuzzClient, 1);
  client->fd = fds[1];
  client->outgoing = g_byte_array_new ();
  client->received = g_byte_array_new ();
  return client;
}

void
fuzz_client_free (FuzzClient *client)
{
  if (client == NULL)
    return;
  close (client->fd);
  /* Let the server side see the close and drop the connection. */
  drain_main_context ();
  g_byte_array_unref (client->outgoing);
  g_byte_array_unref (client->received);
  g_free (client);
}

void
fuzz_client_log (FuzzClient *client)
{
  if (g_getenv ("FUZZ_VERBOSE") == NULL)
    return;
  /* Binary-safe: WebSocket frames hold NUL bytes. */
  fputs (">>> sent:\n", stderr);
  fwrite (client->outgoing->data, 1, client->outgoing->len, stderr);
  fputs ("\n<<< received:\n", stderr);
  fwrite (client->received->data, 1, client->received->len, stderr);
  fputs ("\n", stderr);
}

GByteArray *
fuzz_client_received (FuzzClient *client)
{
  return client->received;
}

void
fuzz_client_send (FuzzClient *client, const void *data, gsize length)
{
  g_byte_array_append (client->outgoing, data, length);
}

void
fuzz_client_shutdown (FuzzClient *client)
{
  client->shutdown_wanted = TRUE;
}

/* Writes what the socket takes and reads what is there; never blocks.
 * Returns whether anything moved. */
static gboolean
client_step (FuzzClient *client)
{
  guint8 buffer[16384];
  ssize_t n;
  gboolean moved = FALSE;

  while (client->sent < client->outgoing->len)
    {
      n = send (client->fd, client->outgoing->data + client->sent,
                client->outgoing->len - client->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n <= 0)
        break;
      client->sent += n;
      moved = TRUE;
    }
  if (client->sent == client->outgoing->len && client->shutdown_wanted && !client->shut)
    {
      shutdown (client->fd, SHUT_WR);
      client->shut = TRUE;
      moved = TRUE;
    }
  while (!client->eof)
    {
      n = recv (client->fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0)
        {
          if (client->received->len < MAX_RECEIVED)
            g_byte_array_append (client->received, buffer, n);
          moved = TRUE;
          continue;
        }
      if (n == 0 || (errno != EAGAIN && errno != EINTR))
        {
          client->eof = TRUE;
          moved = TRUE;
        }
      break;
    }
  return moved;
}

static gboolean
client_got (FuzzClient *client, const char *needle)
{
  if (needle == NULL)
    return client->eof;
  return client->received->len > 0
         && memmem (client->received->data, client->received->len, needle,
                    strlen (needle))
                != NULL;
}

gboolean
fuzz_client_wait (FuzzClient *client, const char *needle, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      GSource *tick;

      client_step (client);
      if (client_got (client, needle))
        return TRUE;
      if (client->eof || g_get_monotonic_time () > deadline)
        return FALSE;
      /* Blocks until the daemon has something to do, or 1 ms: the client
       * side is a plain fd that the main loop does not watch. */
      tick = g_timeout_source_new (1);
      g_source_set_callback (tick, tick_done, NULL, NULL);
      g_source_attach (tick, NULL);
      g_main_context_iteration (NULL, TRUE);
      g_source_destroy (tick);
      g_source_unref (tick);
    }
}

void
fuzz_clients_settle (FuzzClient **clients, guint n_clients, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean moved;

  do
    {
      moved = FALSE;
      for (guint i = 0; i < n_clients; i++)
        if (clients[i] != NULL && client_step (clients[i]))
          moved = TRUE;
      /* Bounded, in case something keeps rescheduling itself. */
      for (guint i = 0; i < 10000 && g_main_context_iteration (NULL, FALSE); i++)
        moved = TRUE;
    }
  while (moved && g_get_monotonic_time () < deadline);
}

void
fuzz_client_send_frame (FuzzClient *client, guint8 opcode, const void *payload,
                        gsize length)
{
  guint8 header[14];
  gsize n = 0;

  header[n++] = 0x80 | opcode;
  if (length < 126)
    header[n++] = 0x80 | (guint8) length;
  else if (length < 65536)
    {
      header[n++] = 0x80 | 126;
      header[n++] = (guint8) (length >> 8);
      header[n++] = (guint8) length;
    }
  else
    {
      header[n++] = 0x80 | 127;
      for (int shift = 56; shift >= 0; shift -= 8)
        header[n++] = (guint8) ((guint64) length >> shift);
    }
  memset (header + n, 0, 4);
  n += 4;
  fuzz_client_send (client, header, n);
  fuzz_client_send (client, payload, length);
}

gboolean
fuzz_next_server_frame (const guint8 *data, gsize length, gsize *offset, guint8 *opcode,
                        const guint8 **payload, gsize *payload_length)
{
  gsize at = *offset;
  guint64 size;
  gsize header = 2;

  if (at + 2 > length)
    return FALSE;
  if (data[at + 1] & 0x80)
    abort (); /* servers never mask */
  size = data[at + 1] & 0x7f;
  if (size == 126)
    {
      if (at + 4 > length)
        return FALSE;
      size = (data[at + 2] << 8) | data[at + 3];
      header = 4;
    }
  else if (size == 127)
    {
      if (at + 10 > length)
        return FALSE;
      size = 0;
      for (guint i = 0; i < 8; i++)
        size = (size << 8) | data[at + 2 + i];
      header = 10;
    }
  if (size > length - at - header)
    return FALSE;
  *opcode = data[at] & 0x0f;
  *payload = data + at + header;
  *payload_length = size;
  *offset = at + header + size;
  return TRUE;
}

GByteArray *
fuzz_daemon_exchange (const char *request, gsize length, guint timeout_ms)
{
  g_autoptr (FuzzClient) client = fuzz_client_connect ();

  fuzz_client_send (client, request, length);
  fuzz_client_shutdown (client);
  fuzz_client_wait (client, NULL, timeout_ms);
  fuzz_client_log (client);
  return g_byte_array_ref (client->received);
}

void
fuzz_daemon_reset (void)
{
  if (daemon_instance == NULL)
    return;
  /* A new daemon for every input: the registry keeps ended rooms for
   * good, which would make each input slower than the one before, and
   * libFuzzer's leak check could not tell them from leaks. */
  convoke_daemon_stop (daemon_instance);
  g_clear_object (&daemon_instance);
  drain_main_context ();
}

guint
fuzz_http_status (GByteArray *response)
{
  guint64 status = 0;
  char code[4] = { 0 };

  if (response->len < 12 || memcmp (response->data, "HTTP/1.1 ", 9) != 0)
    return 0;
  memcpy (code, response->data + 9, 3);
  if (!g_ascii_string_to_unsigned (code, 10, 100, 599, &status, NULL))
    return 0;
  return (guint) status;
}
