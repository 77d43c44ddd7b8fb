/* Cluster mode (docs/cluster.md): a real redis-server and three convoked
 * nodes on loopback ports, as issue 18's acceptance lists them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <string.h>

#include "client-runner.h"
#include "signaling-test-client.h"
#include "test-daemon.h"
#include "test-process.h"
#include "test-redis.h"

/* The heartbeat TTL the nodes run with: short, so a death shows fast. */
#define TTL_S 2

typedef struct
{
  TestRedis *redis;
  TestDaemon *nodes[3]; /* a, b, c */
} Cluster;

static gboolean
all_nodes_live (gpointer data)
{
  TestDaemon *d = data;
  g_autoptr (JsonNode) json = NULL;

  return test_http (d, "GET", "/v1/Nodes", TRUE, NULL, &json, NULL) == 200 && json != NULL
         && json_array_get_length (
                json_object_get_array_member (json_node_get_object (json), "nodes"))
                == 3;
}

/* @extra[i]: more config for node i, or NULL. */
static Cluster *
cluster_start (const char *const extra[3])
{
  Cluster *c;
  static const char *const ids[] = { "a", "b", "c" };

  if (g_getenv ("CONVOKE_TEST_REQUIRE_REDIS") == NULL && !test_redis_available ())
    {
      g_test_skip ("no redis-server (Debian's redis-server; .ci/test installs it)");
      return NULL;
    }
  c = g_new0 (Cluster, 1);
  c->redis = test_redis_new ();
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *config = test_redis_cluster_config (
          c->redis, ids[i], TTL_S, extra != NULL ? extra[i] : NULL);

      c->nodes[i] = test_client_daemon_start (config);
    }
  /* Each node joins as it reaches Redis, just after it starts serving. */
  g_assert_true (test_wait_until (all_nodes_live, c->nodes[0], 5000));
  return c;
}

static void
cluster_stop (Cluster *c)
{
  if (c == NULL)
    return;
  for (guint i = 0; i < 3; i++)
    test_daemon_stop (c->nodes[i]);
  test_redis_free (c->redis);
  g_free (c);
}

/* ---- REST helpers -------------------------------------------------------- */

static JsonObject *
get_object (TestDaemon *d, const char *path, guint expect_status)
{
  g_autoptr (JsonNode) json = NULL;
  guint status = test_http (d, "GET", path, TRUE, NULL, &json, NULL);

  g_assert_cmpuint (status, ==, expect_status);
  g_assert_nonnull (json);
  return json_object_ref (json_node_get_object (json));
}

/* Status callbacks: each request's form, as a hash table. */
typedef struct
{
  SoupServer *server;
  char *url;
  GPtrArray *requests; /* GHashTable* */
} Receiver;

static void
receiver_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                  GHashTable *query, gpointer user_data)
{
  Receiver *r = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  g_ptr_array_add (r->requests, soup_form_decode (text));
  soup_server_message_set_status (msg, 204, NULL);
}

static Receiver *
receiver_start (void)
{
  Receiver *r = g_new0 (Receiver, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  r->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  r->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (r->server, "/callback", receiver_handler, r, NULL);
  g_assert_true (soup_server_listen_local (r->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (r->server);
  r->url = g_strdup_printf ("http://127.0.0.1:%d/callback", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return r;
}

static void
receiver_free (Receiver *r)
{
  soup_server_disconnect (r->server);
  g_object_unref (r->server);
  g_ptr_array_unref (r->requests);
  g_free (r->url);
  g_free (r);
}

typedef struct
{
  Receiver *receiver;
  const char *room_sid;
} EndedWatch;

static gboolean
room_ended_failed (gpointer data)
{
  EndedWatch *w = data;

  for (guint i = 0; i < w->receiver->requests->len; i++)
    {
      GHashTable *form = g_ptr_array_index (w->receiver->requests, i);

      if (g_strcmp0 (g_hash_table_lookup (form, "RoomSid"), w->room_sid) == 0
          && g_strcmp0 (g_hash_table_lookup (form, "StatusCallbackEvent"), "room-ended") == 0)
        {
          g_assert_cmpstr (g_hash_table_lookup (form, "RoomStatus"), ==, "failed");
          return TRUE;
        }
    }
  return FALSE;
}

static JsonObject *
create_room_full (TestDaemon *d, const char *name, const char *type, const char *callback,
                  guint expect_status)
{
  const char *form[] = { "UniqueName", name, "Type", type, "StatusCallback", callback, NULL };
  g_autoptr (JsonNode) json = NULL;
  guint status = test_http (d, "POST", "/v1/Rooms", TRUE, form, &json, NULL);

  g_assert_cmpuint (status, ==, expect_status);
  g_assert_nonnull (json);
  return json_object_ref (json_node_get_object (json));
}

static JsonObject *
create_room (TestDaemon *d, const char *name, const char *type, guint expect_status)
{
  const char *form[] = { "UniqueName", name, "Type", type, NULL };
  g_autoptr (JsonNode) json = NULL;
  guint status = test_http (d, "POST", "/v1/Rooms", TRUE, form, &json, NULL);

  g_assert_cmpuint (status, ==, expect_status);
  g_assert_nonnull (json);
  return json_object_ref (json_node_get_object (json));
}

/* The node that hosts room @name: the one whose own rooms list it. */
static gint64
node_rooms (TestDaemon *d, const char *node_id)
{
  g_autoptr (JsonObject) body = get_object (d, "/v1/Nodes", 200);
  JsonArray *nodes = json_object_get_array_member (body, "nodes");

  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *node = json_array_get_object_element (nodes, i);

      if (g_strcmp0 (json_object_get_string_member (node, "id"), node_id) == 0)
        return json_object_get_int_member (node, "rooms");
    }
  return -1;
}

static guint
count_rooms (TestDaemon *d, const char *query)
{
  g_autofree char *path = g_strconcat ("/v1/Rooms", query, NULL);
  g_autoptr (JsonObject) body = get_object (d, path, 200);

  return json_array_get_length (json_object_get_array_member (body, "rooms"));
}

/* ---- rooms spread, REST on any node lists every room --------------------- */

/* One room completed, as listed by node @data. */
static gboolean
lists_one_completed (gpointer data)
{
  return count_rooms (data, "?Status=completed") == 1;
}

static void
test_spread_and_list (void)
{
  Cluster *c = cluster_start (NULL);
  static const char *const ids[] = { "a", "b", "c" };
  g_autoptr (JsonObject) nodes = NULL;

  if (c == NULL)
    return;
  nodes = get_object (c->nodes[1], "/v1/Nodes", 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (nodes, "nodes")), ==,
                    3);
  /* Six rooms, all created through node a. */
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("spread-%u", i);
      g_autoptr (JsonObject) room = create_room (c->nodes[0], name, "peer-to-peer", 201);

      g_assert_cmpstr (json_object_get_string_member (room, "unique_name"), ==, name);
    }
  /* Least-loaded placement: two each. */
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (node_rooms (c->nodes[2], ids[i]), ==, 2);
  /* Every node lists every room, and finds each by name. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *status = NULL;

      g_assert_cmpuint (count_rooms (c->nodes[i], ""), ==, 6);
      g_assert_cmpuint (count_rooms (c->nodes[i], "?UniqueName=spread-4"), ==, 1);
      status = test_daemon_room_string (c->nodes[i], "spread-0", "status");
      g_assert_cmpstr (status, ==, "in-progress");
    }
  /* Each node's metrics carry its id. */
  {
    g_autoptr (GBytes) body = NULL;
    g_autofree char *text = NULL;

    g_assert_cmpuint (test_http (c->nodes[1], "GET", "/metrics", TRUE, NULL, NULL, &body),
                      ==, 200);
    text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    g_assert_nonnull (strstr (text, "\nconvoke_workers_running{node=\"b\"} 0\n"));
    g_assert_nonnull (strstr (text, "convoke_rooms{node=\"b\",type=\"peer-to-peer\",status=\"in-progress\"} 2\n"));
  }
  /* Another node's room ends through any node (forwarded), and every
   * node sees it completed. */
  {
    const char *form[] = { "Status", "completed", NULL };
    g_autoptr (JsonNode) json = NULL;
    guint status = test_http (c->nodes[1], "POST", "/v1/Rooms/spread-5", TRUE, form, &json, NULL);

    g_assert_cmpuint (status, ==, 202);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "status"), ==,
                     "completed");
    /* The owning node does not wait for Redis to have the ended room's
     * record before it answers (docs/cluster.md, "Limits"): another node
     * can list it as completed up to a Redis round trip later. */
    for (guint i = 0; i < 3; i++)
      g_assert_true (test_wait_until (lists_one_completed, c->nodes[i], 2000));
  }
  cluster_stop (c);
}

/* ---- the unique-name race ------------------------------------------------ */

typedef struct
{
  guint status;
  int code;
  gboolean done;
} RaceResult;

static void
on_raced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RaceResult *r = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();

  r->status = soup_message_get_status (msg);
  if (body != NULL
      && json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                     (gssize) g_bytes_get_size (body), NULL))
    r->code = (int) json_object_get_int_member_with_default (
        json_node_get_object (json_parser_get_root (parser)), "code", 0);
  r->done = TRUE;
}

static gboolean
all_raced (gpointer data)
{
  RaceResult *r = data;

  return r[0].done && r[1].done && r[2].done;
}

static void
test_unique_name_race (void)
{
  Cluster *c = cluster_start (NULL);

  if (c == NULL)
    return;
  for (guint round = 0; round < 5; round++)
    {
      g_autofree char *name = g_strdup_printf ("race-%u", round);
      g_autofree char *form = g_strdup_printf ("UniqueName=%s&Type=peer-to-peer", name);
      g_autofree char *query = g_strdup_printf ("?UniqueName=%s", name);
      RaceResult results[3] = { 0 };
      guint created = 0;

      /* The same name at once through every node. */
      for (guint i = 0; i < 3; i++)
        {
          g_autofree char *url = g_strconcat (c->nodes[i]->base_url, "/v1/Rooms", NULL);
          g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
          g_autofree char *credentials = g_strdup_printf ("%s:%s", c->nodes[i]->api_key,
                                                          c->nodes[i]->api_secret);
          g_autofree char *basic = g_base64_encode ((const guchar *) credentials,
                                                    strlen (credentials));
          g_autofree char *header = g_strconcat ("Basic ", basic, NULL);
          g_autoptr (GBytes) body = g_bytes_new (form, strlen (form));

          soup_message_headers_replace (soup_message_get_request_headers (msg),
                                        "Authorization", header);
          soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded",
                                                    body);
          soup_session_send_and_read_async (c->nodes[i]->session, msg, G_PRIORITY_DEFAULT,
                                            NULL, on_raced, &results[i]);
        }
      g_assert_true (test_wait_until (all_raced, results, 10000));
      for (guint i = 0; i < 3; i++)
        {
          if (results[i].status == 201)
            created++;
          else
            g_assert_cmpint (results[i].code, ==, 53113);
        }
      g_assert_cmpuint (created, ==, 1);
      for (guint i = 0; i < 3; i++)
        g_assert_cmpuint (count_rooms (c->nodes[i], query), ==, 1);
    }
  cluster_stop (c);
}

/* ---- media: a client on node a and one on node b, in a room on node c ----- */

static void
test_media_across_nodes (void)
{
  /* Node a places new rooms in region west, which only node c is in. It
   * keeps one unauthenticated connection at most: a relayed participant
   * must not count as one, or the next stranger would close it. */
  const char *const extra[3] = {
    "region=east\nplacement-region=west\n[server]\nmax-unauthenticated-connections=1",
    "region=east", "region=west"
  };
  Cluster *c = cluster_start (extra);
  TestClient *clients[3] = { NULL };
  g_autoptr (JsonObject) room = NULL;
  g_autoptr (JsonObject) participants = NULL;
  g_autofree char *path = NULL;

  if (c == NULL)
    return;
  room = create_room (c->nodes[0], "across", "group", 201);
  g_assert_cmpint (node_rooms (c->nodes[0], "c"), ==, 1);
  clients[0] = test_client_start (c->nodes[0], "alice", "across", NULL);
  clients[1] = test_client_start (c->nodes[1], "bob", "across", NULL);
  g_assert_true (test_clients_wait_all_receive (clients, 30, 30, 40000));
  /* Strangers connect to node a; alice, relayed through it, stays. */
  {
    g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
    g_autoptr (GUri) uri = g_uri_parse (c->nodes[0]->base_url, G_URI_FLAGS_NONE, NULL);
    g_autoptr (GSocketConnection) first = g_socket_client_connect_to_host (
        socket_client, "127.0.0.1", (guint16) g_uri_get_port (uri), NULL, NULL);
    g_autoptr (GSocketConnection) second = g_socket_client_connect_to_host (
        socket_client, "127.0.0.1", (guint16) g_uri_get_port (uri), NULL, NULL);
    gint64 frames = test_client_frames_from (clients[0], "bob", "video");

    g_assert_nonnull (first);
    g_assert_nonnull (second);
    g_assert_true (test_clients_wait_all_receive (clients, frames + 30, 30, 20000));
  }
  /* Both are in node c's room, which every node reports. */
  path = g_strdup_printf ("/v1/Rooms/%s/Participants?Status=connected",
                          json_object_get_string_member (room, "sid"));
  for (guint i = 0; i < 3; i++)
    {
      g_clear_pointer (&participants, json_object_unref);
      participants = get_object (c->nodes[i], path, 200);
      g_assert_cmpuint (
          json_array_get_length (json_object_get_array_member (participants, "participants")),
          ==, 2);
    }
  g_assert_cmpint (test_client_stop (clients[0]), ==, 0);
  g_assert_cmpint (test_client_stop (clients[1]), ==, 0);
  cluster_stop (c);
}

/* ---- kill -9 of a node ------------------------------------------------------ */

typedef struct
{
  TestDaemon *d;
  const char *name;
} RoomWatch;

static gboolean
room_failed (gpointer data)
{
  RoomWatch *w = data;
  g_autofree char *query = g_strdup_printf ("?Status=failed&UniqueName=%s", w->name);

  return count_rooms (w->d, query) == 1;
}

static void
test_node_death (void)
{
  Cluster *c = cluster_start (NULL);
  TestDaemon *dead;
  g_autofree char *dead_room = NULL;
  g_autofree char *dead_sid = NULL;
  gint64 killed_at;
  RoomWatch watch;
  Receiver *receiver;
  EndedWatch ended;
  SigClient *dana;

  if (c == NULL)
    return;
  receiver = receiver_start ();
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("death-%u", i);
      g_autoptr (JsonObject) room
          = create_room_full (c->nodes[0], name, "peer-to-peer", receiver->url, 201);
    }
  g_assert_cmpint (node_rooms (c->nodes[0], "c"), ==, 2);
  /* Which two rooms are node c's: the ones its own list has first. */
  {
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; i < 6; i++)
      {
        g_autofree char *name = g_strdup_printf ("death-%u", i);
        g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s", name);
        g_autofree char *url = g_strconcat (c->nodes[2]->base_url, path, NULL);
        g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
        g_autofree char *credentials
            = g_strdup_printf ("%s:%s", c->nodes[2]->api_key, c->nodes[2]->api_secret);
        g_autofree char *basic
            = g_base64_encode ((const guchar *) credentials, strlen (credentials));
        g_autofree char *header = g_strconcat ("Basic ", basic, NULL);
        g_autoptr (GBytes) body = NULL;

        /* Marked as forwarded, node c answers only for its own rooms. */
        soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                      header);
        soup_message_headers_replace (soup_message_get_request_headers (msg),
                                      "X-Convoke-Forwarded-By", "test");
        body = soup_session_send_and_read (c->nodes[2]->session, msg, NULL, NULL);
        if (soup_message_get_status (msg) == 200)
          g_ptr_array_add (names, g_steal_pointer (&name));
      }
    g_assert_cmpuint (names->len, ==, 2);
    dead_room = g_strdup (g_ptr_array_index (names, 0));
    dead_sid = test_daemon_room_string (c->nodes[0], dead_room, "sid");
  }

  /* Dana is in the doomed room through node a, which relays her. */
  dana = sig_client_new_joined (c->nodes[0], "dana", dead_room);
  /* A node writes a participant's arrival to Redis in its next idle, not
   * before answering the join: killed within that moment, it would take
   * dana with it (seen once under the sanitizers). Kill it once the record
   * a live node reads has her. */
  {
    g_autofree char *key = g_strconcat ("convoke:room:", dead_sid, NULL); /* cluster.h */
    gint64 deadline = g_get_monotonic_time () + test_scaled_ms (5000) * G_TIME_SPAN_MILLISECOND;
    gboolean recorded = FALSE;

    while (!recorded && g_get_monotonic_time () < deadline)
      {
        g_autofree char *record = test_redis_get (c->redis, key);

        recorded = record != NULL && strstr (record, "\"dana\"") != NULL;
        if (!recorded)
          g_usleep (20 * G_TIME_SPAN_MILLISECOND);
      }
    g_assert_true (recorded);
  }

  dead = c->nodes[2];
  kill (dead->pid, SIGKILL);
  g_subprocess_wait (dead->process, NULL, NULL);
  killed_at = g_get_monotonic_time ();
  /* Its heartbeat key expires at most a TTL after its last beat, and a
   * live node looks every fifth of a TTL: failed within 1.2 TTL, as every
   * remaining node reports (the deadline allows for a slow machine). */
  watch.d = c->nodes[0];
  watch.name = dead_room;
  g_assert_true (test_wait_until (room_failed, &watch, (TTL_S + 1) * 1000));
  g_test_message ("room of the dead node failed after %.1f s",
                  (double) (g_get_monotonic_time () - killed_at) / G_USEC_PER_SEC);
  watch.d = c->nodes[1];
  g_assert_true (room_failed (&watch));
  /* Node a tells dana what a crashed worker's participants hear. */
  {
    g_autoptr (JsonObject) error = sig_client_expect_error (dana, 53119, 5000);

    sig_client_free (dana);
  }
  /* Its status callbacks come from a live node: dana's
   * participant-disconnected, then room-ended with RoomStatus=failed. */
  ended.receiver = receiver;
  ended.room_sid = dead_sid;
  g_assert_true (test_wait_until (room_ended_failed, &ended, 10000));
  {
    gboolean dana_left = FALSE;

    for (guint i = 0; i < receiver->requests->len; i++)
      {
        GHashTable *form = g_ptr_array_index (receiver->requests, i);

        if (g_strcmp0 (g_hash_table_lookup (form, "RoomSid"), dead_sid) == 0
            && g_strcmp0 (g_hash_table_lookup (form, "StatusCallbackEvent"),
                          "participant-disconnected")
                   == 0)
          {
            g_assert_cmpstr (g_hash_table_lookup (form, "ParticipantIdentity"), ==, "dana");
            g_assert_cmpstr (g_hash_table_lookup (form, "ParticipantStatus"), ==,
                             "disconnected");
            g_assert_cmpstr (g_hash_table_lookup (form, "RoomStatus"), ==, "failed");
            dana_left = TRUE;
          }
      }
    g_assert_true (dana_left);
  }
  /* Only its rooms: the other four are in progress. */
  g_assert_cmpuint (count_rooms (c->nodes[1], ""), ==, 4);
  g_assert_cmpuint (count_rooms (c->nodes[0], "?Status=failed"), ==, 2);
  /* The name is free again: a new room of that name starts elsewhere. */
  {
    g_autoptr (JsonObject) again = create_room (c->nodes[1], dead_room, "peer-to-peer", 201);
    g_autoptr (JsonObject) nodes = get_object (c->nodes[0], "/v1/Nodes", 200);

    g_assert_cmpstr (json_object_get_string_member (again, "status"), ==, "in-progress");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (nodes, "nodes")),
                      ==, 2);
  }
  cluster_stop (c);
  receiver_free (receiver);
}

/* ---- Redis goes away, and comes back ---------------------------------------- */

static gboolean
placement_works (gpointer data)
{
  TestDaemon *d = data;
  const char *form[] = { "Type", "peer-to-peer", NULL };

  return test_http (d, "POST", "/v1/Rooms", TRUE, form, NULL, NULL) == 201;
}

static void
test_redis_outage (void)
{
  Cluster *c = cluster_start (NULL);
  g_autoptr (JsonObject) room = NULL;
  g_autoptr (JsonObject) refused = NULL;
  TestClient *clients[3] = { NULL };
  const char *sid;

  if (c == NULL)
    return;
  room = create_room (c->nodes[0], "outage", "group", 201);
  sid = json_object_get_string_member (room, "sid");
  clients[0] = test_client_start (c->nodes[0], "alice", "outage", NULL);
  clients[1] = test_client_start (c->nodes[0], "bob", "outage", NULL);
  g_assert_true (test_clients_wait_all_receive (clients, 10, 10, 40000));

  test_redis_stop (c->redis);
  /* New placements are refused, naming the cause. */
  refused = create_room (c->nodes[1], "outage-new", "group", 503);
  g_assert_cmpint (json_object_get_int_member (refused, "code"), ==, 20503);
  g_assert_nonnull (strstr (json_object_get_string_member (refused, "message"), "Redis"));
  /* Past the heartbeat TTL, the room and its media go on. */
  g_usleep ((TTL_S + 1) * G_USEC_PER_SEC);
  {
    gint64 before = test_client_frames_from (clients[0], "bob", "video");

    g_assert_true (test_clients_wait_all_receive (clients, before + 30, 10, 20000));
  }
  for (guint i = 0; i < 3; i++)
    g_assert_true (test_daemon_alive (c->nodes[i]));

  /* Redis comes back empty, on the same port: the nodes find it again,
   * put their rooms back, and place new ones. */
  test_redis_start (c->redis);
  g_assert_true (test_wait_until (placement_works, c->nodes[1], 10000));
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s", sid);
      g_autoptr (JsonObject) again = get_object (c->nodes[i], path, 200);

      g_assert_cmpstr (json_object_get_string_member (again, "status"), ==, "in-progress");
    }
  g_assert_cmpint (test_client_stop (clients[0]), ==, 0);
  g_assert_cmpint (test_client_stop (clients[1]), ==, 0);
  cluster_stop (c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cluster/spread-and-list", test_spread_and_list);
  g_test_add_func ("/cluster/unique-name-race", test_unique_name_race);
  g_test_add_func ("/cluster/media-across-nodes", test_media_across_nodes);
  g_test_add_func ("/cluster/node-death", test_node_death);
  g_test_add_func ("/cluster/redis-outage", test_redis_outage);
  return g_test_run ();
}
