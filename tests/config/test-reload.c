/* Config reloads against a running daemon, observed over REST: an invalid
 * file keeps the old config, a valid one applies (by SIGHUP or by saving
 * the file), a named room's type switch waits for the room to end, and
 * rooms time out by the configured timers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "test-daemon.h"

/* A deadline, as a base figure: test_wait_until scales it. */
#define POLL_MS 5000

static JsonObject *
object_of (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

/* POST /v1/Rooms; returns the status, and the room or error in *json. */
static guint
create_room (TestDaemon *d, const char *unique_name, const char *type, JsonNode **json)
{
  const char *form[] = { "UniqueName", unique_name, type ? "Type" : NULL, type, NULL };

  if (unique_name == NULL)
    {
      form[0] = type ? "Type" : NULL;
      form[1] = type;
      form[2] = NULL;
    }
  return test_http (d, "POST", "/v1/Rooms", TRUE, form, json, NULL);
}

typedef struct
{
  TestDaemon *d;
  const char *type;
  guint counter;
} TypeProbe;

/* TRUE once the daemon accepts rooms of probe->type. */
static gboolean
type_accepted (gpointer data)
{
  TypeProbe *probe = data;
  g_autoptr (JsonNode) json = NULL;
  g_autofree char *name = g_strdup_printf ("probe-%s-%u", probe->type, probe->counter++);
  guint status = create_room (probe->d, name, probe->type, &json);

  if (status == 201)
    {
      g_assert_cmpstr (json_object_get_string_member (object_of (json), "type"), ==,
                       probe->type);
      return TRUE;
    }
  g_assert_cmpuint (status, ==, 400);
  g_assert_cmpint (json_object_get_int_member (object_of (json), "code"), ==, 53108);
  g_usleep (50 * 1000);
  return FALSE;
}

static gboolean
type_is_accepted_now (TestDaemon *d, const char *type)
{
  TypeProbe probe = { d, type, g_random_int () };
  return type_accepted (&probe);
}

static gboolean
wait_type_accepted (TestDaemon *d, const char *type)
{
  TypeProbe probe = { d, type, 0 };
  return test_wait_until (type_accepted, &probe, POLL_MS);
}

/* Gives a reload that must be refused time to do harm: an observation
 * window, not scaled. */
static void
spin (guint ms)
{
  test_watch_for (NULL, NULL, ms);
}

static void
test_invalid_reload_keeps_old_config (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);
  g_autoptr (JsonNode) health = NULL;

  g_assert_false (type_is_accepted_now (d, "huddle"));

  test_daemon_rewrite_config (d, "[type:huddle]\nmodule=mesh\nmax-participants=3\n");
  test_daemon_reload (d);
  g_assert_true (wait_type_accepted (d, "huddle"));

  /* Invalid: a bad value. The new type in the same file must not appear. */
  test_daemon_rewrite_config (d, "[type:huddle]\nmodule=mesh\n[type:other]\nmodule=mesh\n"
                                 "[rooms]\nempty-room-timeout=soon\n");
  test_daemon_reload (d);
  spin (1000);
  g_assert_true (test_daemon_alive (d));
  g_assert_false (type_is_accepted_now (d, "other"));
  g_assert_true (type_is_accepted_now (d, "huddle"));

  /* Invalid: a type whose module does not exist. */
  test_daemon_rewrite_config (
      d, "[type:huddle]\nmodule=mesh\n[type:ghostly]\nmodule=ghost\n");
  test_daemon_reload (d);
  spin (1000);
  g_assert_false (type_is_accepted_now (d, "ghostly"));
  g_assert_true (type_is_accepted_now (d, "huddle"));
  g_assert_cmpuint (test_http (d, "GET", "/healthz", FALSE, NULL, &health, NULL), ==,
                    200);

  /* A refusal does not stop later reloads. */
  test_daemon_rewrite_config (d, "[type:other]\nmodule=mesh\n");
  test_daemon_reload (d);
  g_assert_true (wait_type_accepted (d, "other"));
  g_assert_false (type_is_accepted_now (d, "huddle"));
  test_daemon_stop (d);
}

/* No SIGHUP: saving the file is enough. */
static void
test_file_watch_reload (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);

  g_assert_false (type_is_accepted_now (d, "watched"));
  test_daemon_rewrite_config (d, "[type:watched]\nmodule=mesh\n");
  g_assert_true (wait_type_accepted (d, "watched"));
  test_daemon_stop (d);
}

static JsonObject *
get_room (TestDaemon *d, const char *sid_or_name, JsonNode **holder)
{
  g_autofree char *path = g_strconcat ("/v1/Rooms/", sid_or_name, NULL);

  g_clear_pointer (holder, json_node_unref);
  g_assert_cmpuint (test_http (d, "GET", path, TRUE, NULL, holder, NULL), ==, 200);
  return object_of (*holder);
}

static const char *
pending_type (JsonObject *room)
{
  g_assert_true (json_object_has_member (room, "pending_type"));
  if (JSON_NODE_HOLDS_NULL (json_object_get_member (room, "pending_type")))
    return NULL;
  return json_object_get_string_member (room, "pending_type");
}

typedef struct
{
  TestDaemon *d;
  const char *name;
} RoomProbe;

static gboolean
pending_type_is_group (gpointer data)
{
  RoomProbe *probe = data;
  g_autoptr (JsonNode) holder = NULL;
  JsonObject *room = get_room (probe->d, probe->name, &holder);

  if (g_strcmp0 (pending_type (room), "group") == 0)
    return TRUE;
  g_usleep (50 * 1000);
  return FALSE;
}

static void
complete_room (TestDaemon *d, const char *sid)
{
  g_autofree char *path = g_strconcat ("/v1/Rooms/", sid, NULL);
  const char *form[] = { "Status", "completed", NULL };
  g_autoptr (JsonNode) json = NULL;

  /* 202, as Twilio's spec has it for room updates. */
  g_assert_cmpuint (test_http (d, "POST", path, TRUE, form, &json, NULL), ==, 202);
  g_assert_cmpstr (json_object_get_string_member (object_of (json), "status"), ==,
                   "completed");
}

static void
test_named_room_type_switch (void)
{
  TestDaemon *d = test_daemon_start ("[room:standup]\ntype=peer-to-peer\n", NULL);
  g_autoptr (JsonNode) created = NULL;
  g_autoptr (JsonNode) holder = NULL;
  g_autoptr (JsonNode) again = NULL;
  g_autofree char *sid = NULL;
  RoomProbe probe = { d, "standup" };
  JsonObject *room;

  /* No Type: the named room's configured type. */
  g_assert_cmpuint (create_room (d, "standup", NULL, &created), ==, 201);
  room = object_of (created);
  sid = g_strdup (json_object_get_string_member (room, "sid"));
  g_assert_cmpstr (json_object_get_string_member (room, "type"), ==, "peer-to-peer");
  g_assert_null (pending_type (room));

  test_daemon_rewrite_config (d, "[room:standup]\ntype=group\n");
  test_daemon_reload (d);
  g_assert_true (test_wait_until (pending_type_is_group, &probe, POLL_MS));
  room = get_room (d, "standup", &holder);
  g_assert_cmpstr (json_object_get_string_member (room, "sid"), ==, sid);
  g_assert_cmpstr (json_object_get_string_member (room, "type"), ==, "peer-to-peer");
  g_assert_cmpstr (json_object_get_string_member (room, "status"), ==, "in-progress");

  complete_room (d, sid);
  room = get_room (d, sid, &holder);
  g_assert_cmpstr (json_object_get_string_member (room, "type"), ==, "peer-to-peer");
  g_assert_null (pending_type (room));

  /* The next "standup" starts with the new type. */
  g_assert_cmpuint (create_room (d, "standup", NULL, &again), ==, 201);
  room = object_of (again);
  g_assert_cmpstr (json_object_get_string_member (room, "sid"), !=, sid);
  g_assert_cmpstr (json_object_get_string_member (room, "type"), ==, "group");
  g_assert_null (pending_type (room));
  complete_room (d, json_object_get_string_member (room, "sid"));
  test_daemon_stop (d);
}

/* ---- a minimal signaling client ---------------------------------------- */

typedef struct
{
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GPtrArray *received; /* JsonNode* */
  gboolean failed;
} Client;

static void
client_on_message (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  Client *c = data;
  gsize size;
  const char *text = g_bytes_get_data (message, &size);
  JsonNode *node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  g_ptr_array_add (c->received, node);
}

static void
client_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  Client *c = data;
  g_autoptr (GError) error = NULL;

  c->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (c->ws == NULL)
    {
      g_test_message ("WebSocket connect failed: %s", error->message);
      c->failed = TRUE;
      return;
    }
  g_signal_connect (c->ws, "message", G_CALLBACK (client_on_message), c);
}

static gboolean
client_settled (gpointer data)
{
  Client *c = data;
  return c->ws != NULL || c->failed;
}

static Client *
client_connect (TestDaemon *d)
{
  Client *c = g_new0 (Client, 1);
  g_autofree char *url = test_daemon_signaling_url (d);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  char *protocols[] = { (char *)"convoke-signaling-1", NULL };

  c->session = soup_session_new ();
  c->received = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);
  soup_session_websocket_connect_async (c->session, msg, NULL, protocols,
                                        G_PRIORITY_DEFAULT, NULL, client_connected, c);
  g_assert_true (test_wait_until (client_settled, c, POLL_MS));
  g_assert_nonnull (c->ws);
  return c;
}

static void
client_send (Client *c, const char *text)
{
  soup_websocket_connection_send_text (c->ws, text);
}

typedef struct
{
  Client *c;
  const char *type;
} Awaited;

static JsonObject *
client_find (Client *c, const char *type)
{
  for (guint i = 0; i < c->received->len; i++)
    {
      JsonObject *o = json_node_get_object (g_ptr_array_index (c->received, i));
      if (g_strcmp0 (json_object_get_string_member_with_default (o, "type", ""), type)
          == 0)
        return o;
    }
  return NULL;
}

static gboolean
client_has (gpointer data)
{
  Awaited *a = data;
  return client_find (a->c, a->type) != NULL;
}

static gboolean
client_await (Client *c, const char *type)
{
  Awaited a = { c, type };
  return test_wait_until (client_has, &a, POLL_MS);
}

static void
client_free (Client *c)
{
  if (c->ws != NULL
      && soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&c->ws);
  g_clear_object (&c->session);
  g_ptr_array_unref (c->received);
  g_free (c);
}

/* A reload, even one that changes the room's type, drops nobody. */
static void
test_reload_keeps_participants (void)
{
  TestDaemon *d = test_daemon_start ("[room:standup]\ntype=peer-to-peer\n", NULL);
  g_autofree char *token = test_daemon_token (d, "alice", "standup");
  g_autofree char *join = g_strdup_printf ("{\"type\":\"join\",\"token\":\"%s\","
                                           "\"room\":\"standup\"}",
                                           token);
  g_autoptr (JsonNode) list = NULL;
  RoomProbe probe = { d, "standup" };
  g_autofree char *bob_token = test_daemon_token (d, "bob", "standup");
  g_autofree char *bob_join = g_strdup_printf (
      "{\"type\":\"join\",\"token\":\"%s\",\"room\":\"standup\"}", bob_token);
  Client *alice = client_connect (d);
  Client *bob;
  JsonObject *participant;

  client_send (alice, join);
  g_assert_true (client_await (alice, "joined"));

  test_daemon_rewrite_config (d,
                              "[room:standup]\ntype=group\n[type:extra]\nmodule=mesh\n");
  test_daemon_reload (d);
  g_assert_true (test_wait_until (pending_type_is_group, &probe, POLL_MS));

  g_assert_cmpint (soup_websocket_connection_get_state (alice->ws), ==,
                   SOUP_WEBSOCKET_STATE_OPEN);
  client_send (alice, "{\"type\":\"ping\"}");
  g_assert_true (client_await (alice, "pong"));
  g_assert_cmpuint (test_http (d, "GET", "/v1/Rooms/standup/Participants/alice", TRUE,
                               NULL, &list, NULL),
                    ==, 200);
  participant = object_of (list);
  g_assert_cmpstr (json_object_get_string_member (participant, "status"), ==,
                   "connected");
  client_free (alice);

  /* Stopping the daemon with someone connected still exits cleanly, and
   * tells them the room completed. */
  bob = client_connect (d);
  client_send (bob, bob_join);
  g_assert_true (client_await (bob, "joined"));
  test_daemon_stop (d);
  g_assert_true (client_await (bob, "error"));
  g_assert_cmpint (json_object_get_int_member (client_find (bob, "error"), "code"), ==,
                   53118);
  client_free (bob);
}

typedef struct
{
  TestDaemon *d;
  const char *sid;
} CompletedProbe;

static gboolean
room_completed (gpointer data)
{
  CompletedProbe *probe = data;
  g_autoptr (JsonNode) holder = NULL;
  JsonObject *room = get_room (probe->d, probe->sid, &holder);

  if (g_str_equal (json_object_get_string_member (room, "status"), "completed"))
    return TRUE;
  g_usleep (20 * 1000);
  return FALSE;
}

/* One "minute" is 100 ms here (CONVOKE_TIMEOUT_UNIT_MS). */
static void
test_unused_room_timeout (void)
{
  TestDaemon *d;
  g_autoptr (JsonNode) created = NULL;
  g_autoptr (JsonNode) overridden = NULL;
  g_autoptr (JsonNode) holder = NULL;
  const char *form[]
      = { "UniqueName", "patient", "Type", "go", "UnusedRoomTimeout", "60", NULL };
  CompletedProbe probe;
  JsonObject *room;

  g_setenv ("CONVOKE_TIMEOUT_UNIT_MS", "100", TRUE);
  d = test_daemon_start ("[rooms]\nunused-room-timeout=2\n", NULL);
  g_unsetenv ("CONVOKE_TIMEOUT_UNIT_MS");

  g_assert_cmpuint (create_room (d, "idle", "peer-to-peer", &created), ==, 201);
  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, &overridden, NULL), ==,
                    201);
  room = object_of (created);
  g_assert_cmpint (json_object_get_int_member (room, "unused_room_timeout"), ==, 2);
  probe = (CompletedProbe){ d, json_object_get_string_member (room, "sid") };
  g_assert_true (test_wait_until (room_completed, &probe, POLL_MS));
  room = get_room (d, probe.sid, &holder);
  g_assert_false (JSON_NODE_HOLDS_NULL (json_object_get_member (room, "end_time")));
  g_assert_cmpint (json_object_get_int_member (room, "duration"), >=, 0);

  /* UnusedRoomTimeout=60 (6 s here) is still running. */
  room = get_room (d, "patient", &holder);
  g_assert_cmpstr (json_object_get_string_member (room, "status"), ==, "in-progress");
  test_daemon_stop (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reload/invalid-keeps-old-config",
                   test_invalid_reload_keeps_old_config);
  g_test_add_func ("/reload/file-watch", test_file_watch_reload);
  g_test_add_func ("/reload/named-room-type-switch", test_named_room_type_switch);
  g_test_add_func ("/reload/keeps-participants", test_reload_keeps_participants);
  g_test_add_func ("/daemon/unused-room-timeout", test_unused_room_timeout);
  return g_test_run ();
}
