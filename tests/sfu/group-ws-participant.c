/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-ws-participant.h"

static void
on_message (SoupWebsocketConnection *connection, gint type, GBytes *data,
            gpointer user_data)
{
  GroupWsParticipant *p = user_data;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize length;
  const char *text = g_bytes_get_data (data, &length);
  JsonNode *root;

  if (type != SOUP_WEBSOCKET_DATA_TEXT
      || !json_parser_load_from_data (parser, text, length, NULL))
    g_error ("the server sent a frame that is not a JSON text frame");
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  g_ptr_array_add (p->messages, json_object_ref (json_node_get_object (root)));
}

static void
on_closed (SoupWebsocketConnection *connection, gpointer user_data)
{
  GroupWsParticipant *p = user_data;

  p->closed = TRUE;
  p->close_code = soup_websocket_connection_get_close_code (connection);
}

typedef struct
{
  GroupWsParticipant *p;
  GError *error;
  gboolean done;
} ConnectWait;

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ConnectWait *wait = user_data;

  wait->p->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source),
                                                               result, &wait->error);
  wait->done = TRUE;
}

static gboolean
connect_done (gpointer data)
{
  return ((ConnectWait *) data)->done;
}

static GroupWsParticipant *
ws_connect (TestDaemon *d, const char *room, const char *identity, gboolean trickle)
{
  GroupWsParticipant *p = g_new0 (GroupWsParticipant, 1);
  g_autofree char *url = test_daemon_signaling_url (d);
  g_autofree char *token = test_daemon_token (d, identity, room);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (JsonObject) join = json_object_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;
  const char *protocols[] = { "convoke-signaling-1", NULL };
  ConnectWait wait = { p, NULL, FALSE };

  p->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  soup_session_websocket_connect_async (d->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, on_connected, &wait);
  test_wait_until (connect_done, &wait, 10000);
  g_assert_true (wait.done);
  g_assert_no_error (wait.error);
  g_signal_connect (p->connection, "message", G_CALLBACK (on_message), p);
  g_signal_connect (p->connection, "closed", G_CALLBACK (on_closed), p);

  json_object_set_string_member (join, "type", "join");
  json_object_set_int_member (join, "id", 1);
  json_object_set_string_member (join, "token", token);
  json_object_set_string_member (join, "room", room);
  if (!trickle)
    json_object_set_boolean_member (join, "trickle", FALSE);
  node = json_node_init_object (json_node_alloc (), join);
  text = json_to_string (node, FALSE);
  soup_websocket_connection_send_text (p->connection, text);
  return p;
}

GroupWsParticipant *
group_ws_connect (TestDaemon *d, const char *room, const char *identity)
{
  return ws_connect (d, room, identity, TRUE);
}

static GroupWsParticipant *
ws_join (TestDaemon *d, const char *room, const char *identity, gboolean trickle)
{
  GroupWsParticipant *p = ws_connect (d, room, identity, trickle);
  JsonObject *joined = group_ws_wait (p, "joined", NULL, 10000);

  if (joined == NULL)
    {
      JsonObject *error = group_ws_wait (p, "error", NULL, 0);

      g_error ("%s could not join %s: %s", identity, room,
               error != NULL ? json_object_get_string_member (error, "message")
                             : "no answer");
    }
  p->sid = g_strdup (json_object_get_string_member (
      json_object_get_object_member (joined, "participant"), "sid"));
  return p;
}

GroupWsParticipant *
group_ws_join (TestDaemon *d, const char *room, const char *identity)
{
  return ws_join (d, room, identity, TRUE);
}

GroupWsParticipant *
group_ws_join_non_trickle (TestDaemon *d, const char *room, const char *identity)
{
  return ws_join (d, room, identity, FALSE);
}

void
group_ws_send (GroupWsParticipant *p, const char *json)
{
  g_assert_false (p->closed);
  soup_websocket_connection_send_text (p->connection, json);
}

typedef struct
{
  GroupWsParticipant *p;
  const char *type;
  guint from;
  JsonObject *found;
} MessageWait;

static gboolean
message_arrived (gpointer data)
{
  MessageWait *wait = data;

  for (guint i = wait->from; i < wait->p->messages->len; i++)
    {
      JsonObject *m = g_ptr_array_index (wait->p->messages, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (m, "type", NULL),
                     wait->type)
          == 0)
        {
          wait->found = m;
          wait->from = i + 1;
          return TRUE;
        }
    }
  return FALSE;
}

/* @spin: test_wait_until (a deadline, scaled) or test_watch_for (a
 * window, not scaled). */
static JsonObject *
find_message (GroupWsParticipant *p, const char *type, guint *from, guint ms,
              gboolean (*spin) (gboolean (*) (gpointer), gpointer, guint))
{
  MessageWait wait = { p, type, from != NULL ? *from : 0, NULL };

  spin (message_arrived, &wait, ms);
  if (wait.found != NULL && from != NULL)
    *from = wait.from;
  return wait.found;
}

JsonObject *
group_ws_wait (GroupWsParticipant *p, const char *type, guint *from, guint timeout_ms)
{
  return find_message (p, type, from, timeout_ms, test_wait_until);
}

JsonObject *
group_ws_watch (GroupWsParticipant *p, const char *type, guint *from, guint window_ms)
{
  return find_message (p, type, from, window_ms, test_watch_for);
}

static gboolean
is_closed (gpointer data)
{
  return ((GroupWsParticipant *) data)->closed;
}

gboolean
group_ws_wait_closed (GroupWsParticipant *p, guint timeout_ms)
{
  return test_wait_until (is_closed, p, timeout_ms);
}

void
group_ws_free (GroupWsParticipant *p)
{
  if (p == NULL)
    return;
  if (p->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (p->connection, p);
      if (soup_websocket_connection_get_state (p->connection)
          == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (p->connection, SOUP_WEBSOCKET_CLOSE_NORMAL,
                                         NULL);
      g_clear_object (&p->connection);
    }
  g_ptr_array_unref (p->messages);
  g_free (p->sid);
  g_free (p);
}
