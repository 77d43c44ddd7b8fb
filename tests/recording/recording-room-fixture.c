/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "recording-room-fixture.h"

#include <glib/gstdio.h>
#include <string.h>

#include "group-proc-checks.h"
#include "recording-test-util.h"

static void
receiver_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                  GHashTable *query, gpointer user_data)
{
  CallbackReceiver *receiver = user_data;
  g_autoptr (GBytes) body
      = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *text
      = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  g_ptr_array_add (receiver->calls, soup_form_decode (text));
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
}

CallbackReceiver *
callback_receiver_new (void)
{
  CallbackReceiver *receiver = g_new0 (CallbackReceiver, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  receiver->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  receiver->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (receiver->server, NULL, receiver_handler, receiver, NULL);
  soup_server_listen_local (receiver->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (receiver->server);
  receiver->url
      = g_strdup_printf ("http://127.0.0.1:%d/events", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return receiver;
}

void
callback_receiver_free (CallbackReceiver *receiver)
{
  if (receiver == NULL)
    return;
  soup_server_disconnect (receiver->server);
  g_object_unref (receiver->server);
  g_ptr_array_unref (receiver->calls);
  g_free (receiver->url);
  g_free (receiver);
}

guint
callback_receiver_count (CallbackReceiver *receiver, const char *event)
{
  guint count = 0;

  for (guint i = 0; i < receiver->calls->len; i++)
    if (g_strcmp0 (g_hash_table_lookup (g_ptr_array_index (receiver->calls, i),
                                        "StatusCallbackEvent"),
                   event)
        == 0)
      count++;
  return count;
}

GHashTable *
callback_receiver_find (CallbackReceiver *receiver, const char *event,
                        const char *recording_sid)
{
  for (guint i = 0; i < receiver->calls->len; i++)
    {
      GHashTable *call = g_ptr_array_index (receiver->calls, i);

      if (g_strcmp0 (g_hash_table_lookup (call, "StatusCallbackEvent"), event) == 0
          && g_strcmp0 (g_hash_table_lookup (call, "RecordingSid"), recording_sid) == 0)
        return call;
    }
  return NULL;
}

RecordingFixture *
recording_fixture_new (gboolean encrypt)
{
  RecordingFixture *fixture = g_new0 (RecordingFixture, 1);

  fixture->dir = test_mkdtemp ();
  fixture->recording_dir = g_build_filename (fixture->dir, "recordings", NULL);
  g_assert_cmpint (g_mkdir (fixture->recording_dir, 0700), ==, 0);
  if (encrypt)
    fixture->private_key
        = recording_test_make_keys (fixture->dir, "admin", 2048, &fixture->public_key);
  fixture->config = g_strdup_printf (
      "[recording]\ndir=%s\n%s%s%s", fixture->recording_dir, encrypt ? "public-key=" : "",
      encrypt ? fixture->public_key : "", encrypt ? "\n" : "");
  fixture->receiver = callback_receiver_new ();
  fixture->daemon = test_daemon_start (fixture->config, NULL);
  return fixture;
}

void
recording_fixture_restart (RecordingFixture *fixture)
{
  test_daemon_stop (fixture->daemon);
  fixture->daemon = test_daemon_start (fixture->config, NULL);
}

void
recording_fixture_free (RecordingFixture *fixture)
{
  if (fixture == NULL)
    return;
  test_daemon_stop (fixture->daemon);
  callback_receiver_free (fixture->receiver);
  test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->recording_dir);
  g_free (fixture->private_key);
  g_free (fixture->public_key);
  g_free (fixture->config);
  g_free (fixture);
}

char *
recording_fixture_create_room (RecordingFixture *fixture, const char *name,
                               gboolean record)
{
  const char *form[] = { "UniqueName",
                         name,
                         "Type",
                         "group",
                         "StatusCallback",
                         fixture->receiver->url,
                         "RecordParticipantsOnConnect",
                         record ? "true" : "false",
                         NULL };
  g_autoptr (JsonNode) room = rest_create_room (fixture->daemon, form);

  g_assert_true (json_object_get_boolean_member (json_node_get_object (room),
                                                 "record_participants_on_connect")
                 == record);
  return g_strdup (rest_json_string (room, "sid"));
}

GPtrArray *
recording_fixture_start_clients (RecordingFixture *fixture, const char *room, guint count)
{
  GPtrArray *clients
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_client_free);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *identity = g_strdup_printf ("%s-user%u", room, i);

      g_ptr_array_add (
          clients, group_client_start (fixture->daemon, fixture->dir, room, identity));
    }
  return clients;
}

JsonNode *
recording_fixture_get (RecordingFixture *fixture, const char *path)
{
  JsonNode *body = NULL;

  g_assert_cmpuint (test_http (fixture->daemon, "GET", path, TRUE, NULL, &body, NULL), ==,
                    200);
  g_assert_nonnull (body);
  return body;
}

typedef struct
{
  RecordingFixture *fixture;
  const char *room_sid;
  guint expected;
  JsonNode *last;
  gint64 next_poll;
} RecordingsWait;

static gboolean
recordings_done (gpointer data)
{
  RecordingsWait *wait = data;
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s/Recordings", wait->room_sid);
  JsonArray *recordings;

  /* test_wait_until asks often; the daemon need not answer that often. */
  if (g_get_monotonic_time () < wait->next_poll)
    return FALSE;
  wait->next_poll = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;
  g_clear_pointer (&wait->last, json_node_unref);
  wait->last = recording_fixture_get (wait->fixture, path);
  recordings = rest_json_array (wait->last, "recordings");
  if (json_array_get_length (recordings) < wait->expected)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (recordings); i++)
    if (g_str_equal (json_object_get_string_member (
                         json_array_get_object_element (recordings, i), "status"),
                     "processing"))
      return FALSE;
  return TRUE;
}

JsonArray *
recording_fixture_wait_recordings (RecordingFixture *fixture, const char *room_sid,
                                   guint expected, guint timeout_ms)
{
  RecordingsWait wait = { fixture, room_sid, expected, NULL, 0 };
  g_autoptr (JsonNode) last = NULL;
  JsonArray *recordings;

  if (!test_wait_until (recordings_done, &wait, timeout_ms))
    {
      g_autofree char *text = json_to_string (wait.last, TRUE);

      g_test_message ("recordings of %s: %s", room_sid, text);
      g_clear_pointer (&wait.last, json_node_unref);
      return NULL;
    }
  last = wait.last;
  recordings = rest_json_array (last, "recordings");
  return json_array_ref (recordings);
}

typedef struct
{
  CallbackReceiver *receiver;
  const char *event;
  guint count;
} CallbackWait;

static gboolean
callbacks_arrived (gpointer data)
{
  CallbackWait *wait = data;

  return callback_receiver_count (wait->receiver, wait->event) >= wait->count;
}

gboolean
recording_fixture_wait_callbacks (RecordingFixture *fixture, const char *event,
                                  guint count, guint timeout_ms)
{
  CallbackWait wait = { fixture->receiver, event, count };

  return test_wait_until (callbacks_arrived, &wait, timeout_ms);
}

char *
recording_fixture_participant_sid (RecordingFixture *fixture, const char *room_sid,
                                   const char *identity)
{
  g_autofree char *path
      = g_strdup_printf ("/v1/Rooms/%s/Participants/%s", room_sid, identity);
  g_autoptr (JsonNode) participant = recording_fixture_get (fixture, path);

  return g_strdup (rest_json_string (participant, "sid"));
}

pid_t
recording_fixture_worker (RecordingFixture *fixture, const char *sid)
{
  return group_proc_find_worker (fixture->daemon->pid, sid);
}

void
recording_fixture_sleep (guint ms)
{
  test_watch_for (NULL, NULL, ms);
}
