/* Status callbacks end to end: a receiver (a SoupServer in this process on
 * 127.0.0.1 and an ephemeral port) collects what convoked sends, and every
 * X-Twilio-Signature is recomputed here, independently of the daemon's
 * code. Participants join through the signaling WebSocket.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "rest-test-util.h"
#include "status-callbacks.h"

#define FORM(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define TEST_CONFIG "[rooms]\ndefault-type=peer-to-peer\n"
#define WAIT_MS 10000

/* ---- the receiver ------------------------------------------------------ */

typedef struct
{
  char *method;
  char *signed_url;   /* what Twilio's validator is given as the URL */
  GHashTable *params; /* form body (POST) or query (GET) */
  char *signature;
  gint64 when; /* monotonic µs */
} Delivery;

typedef struct
{
  SoupServer *server;
  char *url;        /* "http://127.0.0.1:PORT" */
  GPtrArray *seen;  /* Delivery*, every request including failed ones */
  guint fail_first; /* answer 500 to this many requests first */
  guint ok;         /* requests answered 200 */
} Receiver;

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  g_free (delivery->method);
  g_free (delivery->signed_url);
  g_clear_pointer (&delivery->params, g_hash_table_unref);
  g_free (delivery->signature);
  g_free (delivery);
}

static void
receiver_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                  GHashTable *query, gpointer data)
{
  Receiver *receiver = data;
  Delivery *delivery = g_new0 (Delivery, 1);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *raw_query = g_uri_get_query (uri);

  delivery->method = g_strdup (soup_server_message_get_method (msg));
  delivery->signature = g_strdup (soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "X-Twilio-Signature"));
  delivery->when = g_get_monotonic_time ();
  if (g_str_equal (delivery->method, "POST"))
    {
      g_autoptr (GBytes) body
          = soup_message_body_flatten (soup_server_message_get_request_body (msg));
      g_autofree char *text
          = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

      delivery->params = soup_form_decode (text);
      delivery->signed_url
          = raw_query ? g_strdup_printf ("%s%s?%s", receiver->url, path, raw_query)
                      : g_strdup_printf ("%s%s", receiver->url, path);
    }
  else
    {
      /* GET: Twilio signs the whole URL with its query and no parameters. */
      delivery->params = soup_form_decode (raw_query ? raw_query : "");
      delivery->signed_url
          = g_strdup_printf ("%s%s?%s", receiver->url, path, raw_query ? raw_query : "");
    }
  g_ptr_array_add (receiver->seen, delivery);

  if (receiver->seen->len <= receiver->fail_first)
    {
      soup_server_message_set_status (msg, 500, NULL);
      return;
    }
  receiver->ok++;
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
}

static Receiver *
receiver_start (guint fail_first)
{
  Receiver *receiver = g_new0 (Receiver, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  receiver->server = soup_server_new (NULL, NULL);
  receiver->seen = g_ptr_array_new_with_free_func (delivery_free);
  receiver->fail_first = fail_first;
  soup_server_add_handler (receiver->server, NULL, receiver_handler, receiver, NULL);
  soup_server_listen_local (receiver->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (receiver->server);
  receiver->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return receiver;
}

static void
receiver_stop (Receiver *receiver)
{
  soup_server_disconnect (receiver->server);
  g_object_unref (receiver->server);
  g_ptr_array_unref (receiver->seen);
  g_free (receiver->url);
  g_free (receiver);
}

typedef struct
{
  Receiver *receiver;
  guint count;
} WaitCount;

static gboolean
received_enough (gpointer data)
{
  WaitCount *wait = data;

  return wait->receiver->seen->len >= wait->count;
}

static void
wait_for_requests (Receiver *receiver, guint count)
{
  WaitCount wait = { receiver, count };

  if (!test_wait_until (received_enough, &wait, WAIT_MS))
    g_error ("the receiver got %u requests, expected %u", receiver->seen->len, count);
}

/* Twilio's RequestValidator, written again here so that a mistake in the
 * daemon's version cannot hide itself. */
static char *
expected_signature (const char *secret, const char *url, GHashTable *params)
{
  g_autoptr (GString) data = g_string_new (url);
  g_autoptr (GHmac) hmac
      = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  GList *names = params
                     ? g_list_sort (g_hash_table_get_keys (params), (GCompareFunc) strcmp)
                     : NULL;
  guint8 digest[20];
  gsize len = sizeof digest;

  for (GList *l = names; l != NULL; l = l->next)
    {
      g_string_append (data, l->data);
      g_string_append (data, g_hash_table_lookup (params, l->data));
    }
  g_list_free (names);
  g_hmac_update (hmac, (const guchar *) data->str, data->len);
  g_hmac_get_digest (hmac, digest, &len);
  return g_base64_encode (digest, len);
}

static void
test_signature_vector (void)
{
  /* The worked example of Twilio's request validation documentation. */
  g_autoptr (GHashTable) params = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *signature = NULL;

  g_hash_table_insert (params, "CallSid", "CA1234567890ABCDE");
  g_hash_table_insert (params, "Caller", "+14158675309");
  g_hash_table_insert (params, "Digits", "1234");
  g_hash_table_insert (params, "From", "+14158675309");
  g_hash_table_insert (params, "To", "+18005551212");
  signature = expected_signature ("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
                                  params);
  g_assert_cmpstr (signature, ==, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  g_clear_pointer (&signature, g_free);
  /* The daemon's own implementation, pinned to the same vector. */
  signature = convoke_twilio_signature (
      "12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params);
  g_assert_cmpstr (signature, ==, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  g_clear_pointer (&signature, g_free);
  signature = convoke_twilio_signature (
      "12345", "https://mycompany.com/myapp.php?foo=1&bar=2", NULL);
  g_assert_cmpstr (signature, !=, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

static const char *
param (Delivery *delivery, const char *name)
{
  return g_hash_table_lookup (delivery->params, name);
}

/* Checks the signature and the parameters every event carries; returns the
 * event name. */
static const char *
check_delivery (TestDaemon *d, Delivery *delivery, const char *room_sid,
                const char *room_name, guint64 sequence)
{
  g_autofree char *expected = expected_signature (
      TEST_API_SECRET, delivery->signed_url,
      g_str_equal (delivery->method, "GET") ? NULL : delivery->params);
  g_autofree char *seq = g_strdup_printf ("%" G_GUINT64_FORMAT, sequence);
  g_autoptr (GDateTime) timestamp = NULL;

  g_assert_nonnull (delivery->signature);
  g_assert_cmpstr (delivery->signature, ==, expected);
  g_assert_cmpstr (param (delivery, "AccountSid"), ==, TEST_ACCOUNT_SID);
  g_assert_cmpstr (param (delivery, "RoomSid"), ==, room_sid);
  g_assert_cmpstr (param (delivery, "RoomName"), ==, room_name);
  g_assert_cmpstr (param (delivery, "RoomType"), ==, "peer-to-peer");
  g_assert_nonnull (param (delivery, "RoomStatus"));
  g_assert_cmpstr (param (delivery, "SequenceNumber"), ==, seq);
  timestamp = g_date_time_new_from_iso8601 (param (delivery, "Timestamp"), NULL);
  g_assert_nonnull (timestamp);
  return param (delivery, "StatusCallbackEvent");
}

/* ---- rooms without participants --------------------------------------- */

static JsonNode *
create_with_callback (TestDaemon *d, Receiver *receiver, const char *name,
                      const char *method)
{
  g_autofree char *url = g_strdup_printf ("%s/cb?tag=%s", receiver->url, name);

  return rest_create_room (d, FORM ("UniqueName", name, "StatusCallback", url,
                                    "StatusCallbackMethod", method));
}

static void
complete_room (TestDaemon *d, const char *sid)
{
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s", sid);

  g_assert_cmpuint (
      test_http (d, "POST", path, TRUE, FORM ("Status", "completed"), NULL, NULL), ==,
      202);
}

static void
test_room_lifecycle (gconstpointer data)
{
  const char *method = data;
  Receiver *receiver = receiver_start (0);
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (JsonNode) quiet = rest_create_room (d, FORM ("UniqueName", "quiet"));
  g_autoptr (JsonNode) room = create_with_callback (d, receiver, "lifecycle", method);
  const char *sid = rest_json_string (room, "sid");
  Delivery *ended;

  g_assert_cmpstr (rest_json_string (room, "status_callback_method"), ==, method);
  complete_room (d, rest_json_string (quiet, "sid"));
  complete_room (d, sid);
  wait_for_requests (receiver, 2);
  /* Give a stray event from the room without a callback time to show up. */
  g_usleep (200 * 1000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (receiver->seen->len, ==, 2);

  for (guint i = 0; i < 2; i++)
    {
      Delivery *delivery = g_ptr_array_index (receiver->seen, i);

      g_assert_cmpstr (delivery->method, ==, method);
      g_assert_cmpstr (param (delivery, "tag"), ==,
                       g_str_equal (method, "GET") ? "lifecycle" : NULL);
      g_assert_cmpstr (check_delivery (d, delivery, sid, "lifecycle", i), ==,
                       i == 0 ? "room-created" : "room-ended");
    }
  ended = g_ptr_array_index (receiver->seen, 1);
  g_assert_cmpstr (param (ended, "RoomStatus"), ==, "completed");
  g_assert_nonnull (param (ended, "RoomDuration"));

  test_daemon_stop (d);
  receiver_stop (receiver);
}

static void
test_retry (void)
{
  Receiver *receiver = receiver_start (2);
  TestDaemon *d;
  g_autoptr (JsonNode) room = NULL;
  static const char *const expected[]
      = { "room-created", "room-created", "room-created", "room-ended" };

  g_setenv ("CONVOKE_CALLBACK_RETRY_MS", "100", TRUE);
  d = test_daemon_start (TEST_CONFIG, NULL);
  g_unsetenv ("CONVOKE_CALLBACK_RETRY_MS");

  room = create_with_callback (d, receiver, "flaky", "POST");
  /* Ended while room-created is still being retried: room-ended must wait
   * for it. */
  complete_room (d, rest_json_string (room, "sid"));
  wait_for_requests (receiver, 4);
  g_assert_cmpuint (receiver->ok, ==, 2);
  for (guint i = 0; i < 4; i++)
    {
      Delivery *delivery = g_ptr_array_index (receiver->seen, i);

      g_assert_cmpstr (check_delivery (d, delivery, rest_json_string (room, "sid"),
                                       "flaky", i < 3 ? 0 : 1),
                       ==, expected[i]);
    }
  /* Back-off: 100 ms, then 200 ms. */
  g_assert_cmpint (((Delivery *) receiver->seen->pdata[1])->when
                       - ((Delivery *) receiver->seen->pdata[0])->when,
                   >=, 90 * 1000);
  g_assert_cmpint (((Delivery *) receiver->seen->pdata[2])->when
                       - ((Delivery *) receiver->seen->pdata[1])->when,
                   >=, 190 * 1000);
  test_daemon_stop (d);
  receiver_stop (receiver);
}

static void
test_give_up (void)
{
  Receiver *receiver = receiver_start (G_MAXUINT);
  TestDaemon *d;
  g_autoptr (JsonNode) room = NULL;

  g_setenv ("CONVOKE_CALLBACK_RETRY_MS", "20", TRUE);
  d = test_daemon_start (TEST_CONFIG, NULL);
  g_unsetenv ("CONVOKE_CALLBACK_RETRY_MS");

  room = create_with_callback (d, receiver, "down", "POST");
  complete_room (d, rest_json_string (room, "sid"));
  /* One attempt and three retries per event, events still in order. */
  wait_for_requests (receiver, 8);
  g_usleep (300 * 1000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (receiver->seen->len, ==, 8);
  for (guint i = 0; i < 8; i++)
    g_assert_cmpstr (param (g_ptr_array_index (receiver->seen, i), "StatusCallbackEvent"),
                     ==, i < 4 ? "room-created" : "room-ended");
  rest_assert_serving (d);
  test_daemon_stop (d);
  receiver_stop (receiver);
}

/* ---- participants over the signaling WebSocket ------------------------- */

typedef struct
{
  SoupWebsocketConnection *ws;
  GError *error;
  gboolean done;
  GQueue messages; /* JsonNode* */
  gboolean closed;
} Client;

static void
on_ws_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, gpointer data)
{
  Client *client = data;
  JsonNode *node = json_from_string (g_bytes_get_data (bytes, NULL), NULL);

  if (node != NULL)
    g_queue_push_tail (&client->messages, node);
}

static void
on_ws_closed (SoupWebsocketConnection *ws, gpointer data)
{
  ((Client *) data)->closed = TRUE;
}

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  Client *client = data;

  client->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                      &client->error);
  client->done = TRUE;
  if (client->ws != NULL)
    {
      g_signal_connect (client->ws, "message", G_CALLBACK (on_ws_message), client);
      g_signal_connect (client->ws, "closed", G_CALLBACK (on_ws_closed), client);
    }
}

static gboolean
client_done (gpointer data)
{
  return ((Client *) data)->done;
}

static gboolean
client_closed (gpointer data)
{
  return ((Client *) data)->closed;
}

static void
client_free (Client *client)
{
  if (client->ws != NULL
      && soup_websocket_connection_get_state (client->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->ws, 1000, NULL);
  g_clear_object (&client->ws);
  g_clear_error (&client->error);
  g_queue_clear_full (&client->messages, (GDestroyNotify) json_node_unref);
  g_free (client);
}

static void
client_send (Client *client, const char *json)
{
  soup_websocket_connection_send_text (client->ws, json);
}

typedef struct
{
  Client *client;
  const char *type;
  JsonNode *found;
} WaitType;

static gboolean
got_type (gpointer data)
{
  WaitType *wait = data;

  while (!g_queue_is_empty (&wait->client->messages))
    {
      JsonNode *node = g_queue_pop_head (&wait->client->messages);

      if (g_strcmp0 (rest_json_string (node, "type"), wait->type) == 0)
        {
          wait->found = node;
          return TRUE;
        }
      json_node_unref (node);
    }
  return FALSE;
}

/* Waits for a message of @type, dropping others. */
static JsonNode *
client_expect (Client *client, const char *type)
{
  WaitType wait = { client, type, NULL };

  if (!test_wait_until (got_type, &wait, WAIT_MS))
    g_error ("no “%s” message arrived", type);
  return wait.found;
}

/* Connects and joins; NULL when the daemon has no signaling endpoint. */
static Client *
client_join (TestDaemon *d, const char *identity, const char *room)
{
  Client *client = g_new0 (Client, 1);
  g_autofree char *url = test_daemon_signaling_url (d);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autofree char *token = test_daemon_token (d, identity, room);
  g_autofree char *join = NULL;
  const char *protocols[] = { "convoke-signaling-1", NULL };
  g_autoptr (JsonNode) joined = NULL;

  g_queue_init (&client->messages);
  soup_session_websocket_connect_async (d->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, on_ws_connected,
                                        client);
  g_assert_true (test_wait_until (client_done, client, WAIT_MS));
  if (client->ws == NULL)
    {
      g_test_message ("signaling handshake failed: %s", client->error->message);
      client_free (client);
      return NULL;
    }
  join = g_strdup_printf ("{\"type\":\"join\",\"id\":1,\"token\":\"%s\",\"room\":\"%s\"}",
                          token, room);
  client_send (client, join);
  joined = client_expect (client, "joined");
  g_assert_cmpstr (rest_json_string (json_object_get_member (
                                         json_node_get_object (joined), "participant"),
                                     "identity"),
                   ==, identity);
  return client;
}

static JsonNode *
get_json (TestDaemon *d, const char *spec_path, const char *path)
{
  JsonNode *body = NULL;

  g_assert_cmpuint (test_http (d, "GET", path, TRUE, NULL, &body, NULL), ==, 200);
  openapi_assert_response (rest_test_validator, spec_path, "get", "200", body);
  return body;
}

static void
check_participants_and_tracks (TestDaemon *d, const char *room_sid, Client *alice)
{
  g_autofree char *list_path = g_strdup_printf ("/v1/Rooms/%s/Participants", room_sid);
  g_autofree char *alice_path = g_strdup_printf ("%s/alice", list_path);
  g_autofree char *tracks_path = NULL;
  g_autofree char *track_path = NULL;
  g_autofree char *subscribed_path = NULL;
  g_autofree char *missing_path = NULL;
  g_autoptr (JsonNode) list = get_json (d, "/v1/Rooms/{RoomSid}/Participants", list_path);
  g_autoptr (JsonNode) participant = NULL;
  g_autoptr (JsonNode) published = NULL;
  g_autoptr (JsonNode) tracks = NULL;
  g_autoptr (JsonNode) track = NULL;
  g_autoptr (JsonNode) subscribed = NULL;
  g_autoptr (JsonNode) filtered = NULL;
  JsonObject *track_object;
  const char *track_sid;

  g_assert_cmpuint (json_array_get_length (rest_json_array (list, "participants")), ==,
                    1);
  participant = get_json (d, "/v1/Rooms/{RoomSid}/Participants/{Sid}", alice_path);
  g_assert_cmpstr (rest_json_string (participant, "identity"), ==, "alice");
  g_assert_cmpstr (rest_json_string (participant, "status"), ==, "connected");
  g_assert_cmpstr (rest_json_string (participant, "room_sid"), ==, room_sid);
  g_assert_true (rest_json_is_null (participant, "duration"));
  g_assert_true (rest_json_is_null (participant, "end_time"));

  {
    g_autofree char *path = g_strdup_printf ("%s?Status=disconnected", list_path);
    filtered = get_json (d, "/v1/Rooms/{RoomSid}/Participants", path);
    g_assert_cmpuint (json_array_get_length (rest_json_array (filtered, "participants")),
                      ==, 0);
  }

  client_send (alice, "{\"type\":\"track-published\",\"track\":{\"name\":\"camera\","
                      "\"kind\":\"video\"}}");
  published = client_expect (alice, "track-published");
  track_object
      = json_object_get_object_member (json_node_get_object (published), "track");
  track_sid = json_object_get_string_member (track_object, "sid");

  tracks_path = g_strdup_printf ("%s/%s/PublishedTracks", list_path,
                                 rest_json_string (participant, "sid"));
  tracks
      = get_json (d, "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/PublishedTracks",
                  tracks_path);
  g_assert_cmpuint (json_array_get_length (rest_json_array (tracks, "published_tracks")),
                    ==, 1);
  track_path = g_strdup_printf ("%s/%s", tracks_path, track_sid);
  track = get_json (
      d, "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/PublishedTracks/{Sid}",
      track_path);
  g_assert_cmpstr (rest_json_string (track, "name"), ==, "camera");
  g_assert_cmpstr (rest_json_string (track, "kind"), ==, "video");

  subscribed_path = g_strdup_printf ("%s/alice/SubscribedTracks", list_path);
  subscribed
      = get_json (d, "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/SubscribedTracks",
                  subscribed_path);
  g_assert_cmpuint (
      json_array_get_length (rest_json_array (subscribed, "subscribed_tracks")), ==, 0);
  missing_path = g_strdup_printf ("%s/MT%032d", tracks_path, 0);
  g_free (rest_expect_error (d, "GET", missing_path, NULL, 404, 20404));
}

static void
kick (TestDaemon *d, const char *room_sid, Client *bob)
{
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s/Participants/bob", room_sid);
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (JsonNode) error = NULL;

  g_assert_cmpuint (
      test_http (d, "POST", path, TRUE, FORM ("Status", "disconnected"), &reply, NULL),
      ==, 202);
  openapi_assert_response (rest_test_validator, "/v1/Rooms/{RoomSid}/Participants/{Sid}",
                           "post", "202", reply);
  g_assert_cmpstr (rest_json_string (reply, "status"), ==, "disconnected");
  g_assert_cmpint (rest_json_int (reply, "duration"), >=, 0);
  error = client_expect (bob, "error");
  g_assert_cmpint (rest_json_int (error, "code"), ==, 53216);
  g_assert_true (test_wait_until (client_closed, bob, WAIT_MS));
  g_free (rest_expect_error (d, "POST", path, FORM ("Status", "connected"), 400, 21200));

  /* Gone, but still addressable by identity, and kicking again is a no-op. */
  g_clear_pointer (&reply, json_node_unref);
  reply = get_json (d, "/v1/Rooms/{RoomSid}/Participants/{Sid}", path);
  g_assert_cmpstr (rest_json_string (reply, "status"), ==, "disconnected");
  g_assert_false (rest_json_is_null (reply, "end_time"));
  g_clear_pointer (&reply, json_node_unref);
  g_assert_cmpuint (
      test_http (d, "POST", path, TRUE, FORM ("Status", "disconnected"), &reply, NULL),
      ==, 202);
  g_assert_cmpstr (rest_json_string (reply, "status"), ==, "disconnected");
}

static void
test_participant_events (void)
{
  Receiver *receiver = receiver_start (0);
  TestDaemon *d;
  g_autoptr (JsonNode) room = NULL;
  g_autofree char *callback = NULL;
  Client *alice, *bob;
  const char *sid;
  static const char *const expected[] = {
    "room-created",
    "participant-connected",
    "track-added",
    "participant-connected",
    "participant-disconnected",
    "track-removed",
    "participant-disconnected",
    "room-ended",
  };

  /* A "minute" of EmptyRoomTimeout lasts 100 ms. */
  g_setenv ("CONVOKE_TIMEOUT_UNIT_MS", "100", TRUE);
  d = test_daemon_start (TEST_CONFIG, NULL);
  g_unsetenv ("CONVOKE_TIMEOUT_UNIT_MS");

  callback = g_strdup_printf ("%s/events", receiver->url);
  room = rest_create_room (d, FORM ("UniqueName", "meeting", "StatusCallback", callback,
                                    "EmptyRoomTimeout", "1", "UnusedRoomTimeout", "60"));
  sid = rest_json_string (room, "sid");

  alice = client_join (d, "alice", "meeting");
  if (alice == NULL)
    {
      g_test_skip ("no signaling endpoint at /v1/Signaling yet");
      test_daemon_stop (d);
      receiver_stop (receiver);
      return;
    }
  check_participants_and_tracks (d, sid, alice);
  bob = client_join (d, "bob", "meeting");
  g_assert_nonnull (bob);
  kick (d, sid, bob);

  /* The last one leaves; the empty room ends 1 "minute" later. */
  client_send (alice, "{\"type\":\"leave\"}");
  g_assert_true (test_wait_until (client_closed, alice, WAIT_MS));
  wait_for_requests (receiver, G_N_ELEMENTS (expected));

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      Delivery *delivery = g_ptr_array_index (receiver->seen, i);

      g_assert_cmpstr (check_delivery (d, delivery, sid, "meeting", i), ==, expected[i]);
      if (g_str_has_prefix (expected[i], "participant-")
          || g_str_has_prefix (expected[i], "track-"))
        {
          g_assert_true (g_str_has_prefix (param (delivery, "ParticipantSid"), "PA"));
          g_assert_nonnull (param (delivery, "ParticipantIdentity"));
        }
      if (g_str_equal (expected[i], "participant-disconnected"))
        {
          g_assert_cmpstr (param (delivery, "ParticipantStatus"), ==, "disconnected");
          g_assert_nonnull (param (delivery, "ParticipantDuration"));
        }
      if (g_str_has_prefix (expected[i], "track-"))
        {
          g_assert_cmpstr (param (delivery, "TrackKind"), ==, "video");
          g_assert_cmpstr (param (delivery, "TrackName"), ==, "camera");
        }
    }
  g_assert_cmpstr (param (g_ptr_array_index (receiver->seen, 3), "ParticipantIdentity"),
                   ==, "bob");

  /* The empty-room timeout ended the room. */
  {
    g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s", sid);
    g_autoptr (JsonNode) ended = get_json (d, "/v1/Rooms/{Sid}", path);

    g_assert_cmpstr (rest_json_string (ended, "status"), ==, "completed");
  }

  client_free (bob);
  client_free (alice);
  test_daemon_stop (d);
  receiver_stop (receiver);
}

int
main (int argc, char **argv)
{
  rest_test_init (&argc, &argv);
  g_test_add_func ("/callbacks/signature-vector", test_signature_vector);
  g_test_add_data_func ("/callbacks/room-lifecycle/post", "POST", test_room_lifecycle);
  g_test_add_data_func ("/callbacks/room-lifecycle/get", "GET", test_room_lifecycle);
  g_test_add_func ("/callbacks/retry", test_retry);
  g_test_add_func ("/callbacks/give-up", test_give_up);
  g_test_add_func ("/callbacks/participant-events", test_participant_events);
  return rest_test_run ();
}
