/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-signaling.h"

#include "test-daemon.h"

struct _FakeSignaling
{
  SoupServer *server;
  char *url;
  char *protocols;
  SoupWebsocketConnection *connection;
  GQueue messages; /* JsonObject* */
  gboolean closed;
  gushort close_code;
};

static void
on_message (SoupWebsocketConnection *connection, SoupWebsocketDataType type,
            GBytes *bytes, FakeSignaling *server)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  /* The client must only ever send JSON objects in text frames. */
  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_assert_true (json_parser_load_from_data (parser, data, size, NULL));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  g_queue_push_tail (&server->messages, json_object_ref (json_node_get_object (
                                            json_parser_get_root (parser))));
}

static void
on_closed (SoupWebsocketConnection *connection, FakeSignaling *server)
{
  server->closed = TRUE;
  server->close_code = soup_websocket_connection_get_close_code (connection);
}

static void
on_websocket (SoupServer *soup_server, SoupServerMessage *msg, const char *path,
              SoupWebsocketConnection *connection, gpointer user_data)
{
  FakeSignaling *server = user_data;

  g_clear_object (&server->connection);
  server->connection = g_object_ref (connection);
  server->closed = FALSE;
  g_signal_connect (connection, "message", G_CALLBACK (on_message), server);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), server);
}

/* Early handlers see the handshake's headers before libsoup answers it. */
static void
on_handshake (SoupServer *soup_server, SoupServerMessage *msg, const char *path,
              GHashTable *query, gpointer user_data)
{
  FakeSignaling *server = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  g_free (server->protocols);
  server->protocols
      = g_strdup (soup_message_headers_get_one (headers, "Sec-WebSocket-Protocol"));
}

FakeSignaling *
fake_signaling_new (void)
{
  FakeSignaling *server = g_new0 (FakeSignaling, 1);
  char *protocols[] = { (char *) "convoke-signaling-1", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  server->server = soup_server_new (NULL, NULL);
  soup_server_add_early_handler (server->server, "/v1/Signaling", on_handshake, server,
                                 NULL);
  soup_server_add_websocket_handler (server->server, "/v1/Signaling", NULL, protocols,
                                     on_websocket, server, NULL);
  soup_server_listen (server->server, address, 0, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server->server);
  g_assert_nonnull (uris);
  server->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return server;
}

void
fake_signaling_free (FakeSignaling *server)
{
  if (server == NULL)
    return;
  if (server->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (server->connection, server);
      if (soup_websocket_connection_get_state (server->connection)
          == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (server->connection,
                                         SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      g_clear_object (&server->connection);
    }
  soup_server_disconnect (server->server);
  g_clear_object (&server->server);
  g_queue_clear_full (&server->messages, (GDestroyNotify) json_object_unref);
  g_free (server->url);
  g_free (server->protocols);
  g_free (server);
}

const char *
fake_signaling_url (FakeSignaling *server)
{
  return server->url;
}

const char *
fake_signaling_requested_protocols (FakeSignaling *server)
{
  return server->protocols;
}

typedef struct
{
  FakeSignaling *server;
  const char *type;
  JsonObject *found;
} MessageWait;

static gboolean
message_arrived (gpointer data)
{
  MessageWait *wait = data;

  for (GList *l = wait->server->messages.head; l != NULL; l = l->next)
    {
      JsonObject *message = l->data;

      if (wait->type == NULL
          || g_strcmp0 (json_object_get_string_member_with_default (message, "type", ""),
                        wait->type)
                 == 0)
        {
          wait->found = message;
          g_queue_delete_link (&wait->server->messages, l);
          return TRUE;
        }
    }
  return FALSE;
}

JsonObject *
fake_signaling_pop_message (FakeSignaling *server, const char *type)
{
  MessageWait wait = { server, type, NULL };

  message_arrived (&wait);
  return wait.found;
}

JsonObject *
fake_signaling_wait_message (FakeSignaling *server, const char *type, guint timeout_ms)
{
  MessageWait wait = { server, type, NULL };

  test_wait_until (message_arrived, &wait, timeout_ms);
  return wait.found;
}

JsonObject *
fake_signaling_watch_message (FakeSignaling *server, const char *type, guint window_ms)
{
  MessageWait wait = { server, type, NULL };

  test_watch_for (message_arrived, &wait, window_ms);
  return wait.found;
}

GList *
fake_signaling_take_messages (FakeSignaling *server)
{
  GList *messages = server->messages.head;

  server->messages.head = server->messages.tail = NULL;
  server->messages.length = 0;
  return messages;
}

gboolean
fake_signaling_connected (FakeSignaling *server)
{
  return server->connection != NULL
         && soup_websocket_connection_get_state (server->connection)
                == SOUP_WEBSOCKET_STATE_OPEN;
}

gboolean
fake_signaling_closed (FakeSignaling *server, gushort *code)
{
  if (code != NULL)
    *code = server->close_code;
  return server->closed;
}

void
fake_signaling_send (FakeSignaling *server, JsonObject *message)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  json_node_set_object (node, message);
  text = json_to_string (node, FALSE);
  fake_signaling_send_text (server, text);
}

void
fake_signaling_send_text (FakeSignaling *server, const char *text)
{
  g_assert_true (fake_signaling_connected (server));
  soup_websocket_connection_send_text (server->connection, text);
}

void
fake_signaling_send_binary (FakeSignaling *server, const void *data, gsize size)
{
  g_assert_true (fake_signaling_connected (server));
  soup_websocket_connection_send_binary (server->connection, data, size);
}

void
fake_signaling_close (FakeSignaling *server, gushort code)
{
  g_assert_true (fake_signaling_connected (server));
  soup_websocket_connection_close (server->connection, code, NULL);
}

JsonObject *
fake_json_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

JsonObject *
fake_signaling_joined (const char *participant_sid, const char *identity,
                       const char *topology, const char *participants)
{
  g_autofree char *text = g_strdup_printf (
      "{\"type\":\"joined\",\"id\":1,\"version\":1,"
      "\"participant\":{\"sid\":\"%s\",\"identity\":\"%s\"},"
      "\"room\":{\"sid\":\"RM00000000000000000000000000000001\",\"name\":\"fake\","
      "\"type\":\"test\"},\"topology\":\"%s\",\"participants\":%s,"
      "\"ice_servers\":[],\"keepalive_interval\":10}",
      participant_sid, identity, topology, participants ? participants : "[]");

  return fake_json_object (text);
}
