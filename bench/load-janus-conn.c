/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load-janus-conn.h"

#include "i18n.h"

#define KEEPALIVE_S 20

JsonObject *
janus_object_member (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                       : NULL;
}

JsonArray *
janus_array_member (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

void
janus_conn_send (JanusConn *conn, JsonObject *message, JanusReply reply, gpointer data)
{
  g_autofree char *transaction = g_strdup_printf ("t%u", ++conn->next_transaction);

  json_object_set_string_member (message, "transaction", transaction);
  if (conn->session_id != 0 && !json_object_has_member (message, "session_id"))
    json_object_set_int_member (message, "session_id", conn->session_id);
  if (reply != NULL)
    {
      Pending *pending = g_new0 (Pending, 1);

      pending->reply = reply;
      pending->data = data;
      g_hash_table_insert (conn->transactions, g_steal_pointer (&transaction), pending);
    }
  if (conn->ws != NULL
      && soup_websocket_connection_get_state (conn->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    load_ws_send (conn->ws, message);
}

JsonObject *
janus_message (const char *janus)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "janus", janus);
  return message;
}

/* {"janus":"message","handle_id":H,"body":BODY[,"jsep":{…}]} */
void
janus_conn_plugin_message (JanusConn *conn, gint64 handle, JsonObject *body,
                           const char *jsep_type, const char *sdp, JanusReply reply,
                           gpointer data)
{
  g_autoptr (JsonObject) message = janus_message ("message");

  json_object_set_int_member (message, "handle_id", handle);
  json_object_set_object_member (message, "body", json_object_ref (body));
  if (jsep_type != NULL)
    {
      JsonObject *jsep = json_object_new ();

      json_object_set_string_member (jsep, "type", jsep_type);
      json_object_set_string_member (jsep, "sdp", sdp);
      json_object_set_boolean_member (jsep, "trickle", FALSE);
      json_object_set_object_member (message, "jsep", jsep);
    }
  janus_conn_send (conn, message, reply, data);
}

JsonObject *
janus_plugin_data (JanusConn *conn, JsonObject *reply, const char *what)
{
  JsonObject *plugindata = janus_object_member (reply, "plugindata");
  JsonObject *data = plugindata ? janus_object_member (plugindata, "data") : NULL;
  const char *janus = json_object_get_string_member_with_default (reply, "janus", "");

  if (g_str_equal (janus, "error"))
    {
      JsonObject *error = janus_object_member (reply, "error");

      load_run_error (
          conn->run, _ ("%s: Janus refused %s: %s"), conn->who, what,
          error ? json_object_get_string_member_with_default (error, "reason", "") : "");
      return NULL;
    }
  if (data == NULL)
    {
      load_run_error (conn->run, _ ("%s: Janus's answer to %s has no plugin data"),
                      conn->who, what);
      return NULL;
    }
  return data;
}

gint64
janus_reply_id (JanusConn *conn, JsonObject *reply, const char *what)
{
  JsonObject *data = janus_object_member (reply, "data");

  if (g_strcmp0 (json_object_get_string_member_with_default (reply, "janus", ""),
                 "success")
          != 0
      || data == NULL)
    {
      load_run_error (conn->run, _ ("%s: Janus refused %s"), conn->who, what);
      return 0;
    }
  return json_object_get_int_member_with_default (data, "id", 0);
}

static gboolean
send_keepalive (gpointer data)
{
  JanusConn *conn = data;
  g_autoptr (JsonObject) message = janus_message ("keepalive");

  janus_conn_send (conn, message, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
on_session_created (JanusConn *conn, JsonObject *reply, gpointer data)
{
  conn->session_id = janus_reply_id (conn, reply, "create");
  if (conn->session_id == 0)
    return;
  conn->keepalive_source = g_timeout_add_seconds (KEEPALIVE_S, send_keepalive, conn);
  conn->ready (conn, conn->data);
}

static void
on_conn_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes,
                 gpointer user_data)
{
  JanusConn *conn = user_data;
  g_autoptr (JsonObject) message = load_ws_parse (conn->run, conn->who, bytes);
  const char *janus, *transaction;
  Pending *pending;

  if (message == NULL)
    return;
  janus = json_object_get_string_member_with_default (message, "janus", "");
  transaction = json_object_get_string_member_with_default (message, "transaction", NULL);
  pending = transaction ? g_hash_table_lookup (conn->transactions, transaction) : NULL;
  /* Asynchronous requests get an ack first, then an event with the same
   * transaction. */
  if (pending != NULL && !g_str_equal (janus, "ack"))
    {
      Pending call = *pending;

      g_hash_table_remove (conn->transactions, transaction);
      call.reply (conn, message, call.data);
    }
  else if (pending == NULL && conn->event != NULL)
    conn->event (conn, message, conn->data);
}

static void
on_conn_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  JanusConn *conn = user_data;

  if (!conn->closing)
    load_run_error (conn->run, _ ("%s: Janus closed the WebSocket (%u)"), conn->who,
                    soup_websocket_connection_get_close_code (ws));
}

static void
on_conn_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JanusConn *conn = user_data;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_autoptr (JsonObject) create = janus_message ("create");

  if (ws == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        load_run_error (conn->run, _ ("%s: WebSocket to Janus: %s"), conn->who,
                        error->message);
      return;
    }
  conn->ws = ws;
  g_signal_connect (ws, "message", G_CALLBACK (on_conn_message), conn);
  g_signal_connect (ws, "closed", G_CALLBACK (on_conn_closed), conn);
  conn->create_us = g_get_monotonic_time ();
  janus_conn_send (conn, create, on_session_created, NULL);
}

void
janus_conn_open (JanusConn *conn, LoadRun *run, const char *who)
{
  g_autoptr (SoupMessage) message = soup_message_new ("GET", run->options->url);
  const char *protocols[] = { "janus-protocol", NULL };

  conn->run = run;
  conn->who = g_strdup (who);
  conn->cancellable = g_cancellable_new ();
  conn->transactions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (message == NULL)
    {
      load_run_error (run, _ ("--url “%s” is not a usable ws:// URL"), run->options->url);
      return;
    }
  soup_session_websocket_connect_async (run->session, message, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, conn->cancellable,
                                        on_conn_connected, conn);
}

void
janus_conn_close (JanusConn *conn)
{
  conn->closing = TRUE;
  g_cancellable_cancel (conn->cancellable);
  g_clear_handle_id (&conn->keepalive_source, g_source_remove);
  if (conn->ws != NULL
      && soup_websocket_connection_get_state (conn->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    {
      g_autoptr (JsonObject) destroy = janus_message ("destroy");

      janus_conn_send (conn, destroy, NULL, NULL);
      soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
}

void
janus_conn_clear (JanusConn *conn)
{
  janus_conn_close (conn);
  if (conn->ws != NULL)
    g_signal_handlers_disconnect_by_data (conn->ws, conn);
  g_clear_object (&conn->ws);
  g_clear_object (&conn->cancellable);
  g_clear_pointer (&conn->transactions, g_hash_table_unref);
  g_clear_pointer (&conn->who, g_free);
}

void
janus_conn_attach (JanusConn *conn, JanusReply reply, gpointer data)
{
  g_autoptr (JsonObject) attach = janus_message ("attach");

  json_object_set_string_member (attach, "plugin", "janus.plugin.videoroom");
  janus_conn_send (conn, attach, reply, data);
}
