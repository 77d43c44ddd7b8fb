/* Twilio's JavaScript SDK in cluster mode (docs/cluster.md): the SDK
 * connects to node a, its room is on node c, and a convoke-client
 * connected to node b is in the same room. Node a relays the SDK's TCMP
 * socket to node c; media goes straight to node c's worker.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdk-scene.h"
#include "test-redis.h"

static gboolean
three_nodes (gpointer data)
{
  TestDaemon *d = data;
  g_autoptr (JsonNode) json = NULL;

  return test_http (d, "GET", "/v1/Nodes", TRUE, NULL, &json, NULL) == 200 && json != NULL
         && json_array_get_length (
                json_object_get_array_member (json_node_get_object (json), "nodes"))
                == 3;
}

static gboolean
client_receives (gpointer data)
{
  const char *const from[] = { "sdk-user", NULL };

  return test_client_receives_from (data, from, WANT_VIDEO_FRAMES, WANT_AUDIO_PACKETS);
}

static char *
node_config (TestRedis *redis, const char *id, const char *extra)
{
  g_autofree char *cluster = test_redis_cluster_config (redis, id, 10, extra);

  return g_strconcat (ROOMS_CONFIG, cluster, NULL);
}

static void
test_group_cluster (void)
{
  const char *const everyone[] = { "sdk-user", "alice", NULL };
  g_autofree char *config_a = NULL;
  g_autofree char *config_b = NULL;
  g_autofree char *config_c = NULL;
  TestRedis *redis;
  TestDaemon *node_b, *node_c;
  SdkScene *scene;
  CdpPage *page;
  TestClient *alice;

  if (skip_without_sdk ())
    return;
  if (!test_redis_available ())
    {
      if (g_strcmp0 (g_getenv ("CONVOKE_TEST_REQUIRE_REDIS"), "1") == 0)
        g_error ("CONVOKE_TEST_REQUIRE_REDIS=1 but there is no redis-server");
      g_test_skip ("no redis-server (Debian's redis-server; .ci/test installs it)");
      return;
    }
  redis = test_redis_new ();
  /* Node a places rooms in region west, where only node c is. */
  config_a = node_config (redis, "a", "region=east\nplacement-region=west");
  config_b = node_config (redis, "b", "region=east");
  config_c = node_config (redis, "c", "region=west");
  node_c = test_client_daemon_start (config_c);
  node_b = test_client_daemon_start (config_b);
  scene = scene_start_config (config_a);
  g_assert_true (test_wait_until (three_nodes, scene->daemon, 5000));

  page = scene_open (scene, "sdk-user");
  if (!page_connect (scene, page, "sdk-user", "team", NULL))
    {
      g_autoptr (JsonObject) status = page_status (page);
      g_autofree char *text = describe (status);

      cdp_test_fail ("connect() through node a failed: %s", text);
    }
  alice = test_client_start (node_b, "alice", "team", NULL);
  wait_receives (page, "sdk-user", everyone, TRUE);
  g_assert_true (test_wait_until (client_receives, alice, 30000));

  /* The room is node c's: its own list has it (node a and b list it
   * from Redis), with both participants. */
  {
    g_autoptr (JsonNode) nodes = NULL;
    JsonArray *array;
    gint64 rooms_on_c = -1;
    g_autoptr (JsonNode) participants = NULL;

    g_assert_cmpuint (test_http (node_b, "GET", "/v1/Nodes", TRUE, NULL, &nodes, NULL), ==,
                      200);
    array = json_object_get_array_member (json_node_get_object (nodes), "nodes");
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *node = json_array_get_object_element (array, i);

        if (g_str_equal (json_object_get_string_member (node, "id"), "c"))
          rooms_on_c = json_object_get_int_member (node, "rooms");
      }
    g_assert_cmpint (rooms_on_c, ==, 1);
    g_assert_cmpuint (test_http (scene->daemon, "GET",
                                 "/v1/Rooms/team/Participants?Status=connected", TRUE, NULL,
                                 &participants, NULL),
                      ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                          json_node_get_object (participants), "participants")),
                      ==, 2);
  }

  g_assert_cmpint (test_client_stop (alice), ==, 0);
  scene_stop (scene);
  test_daemon_stop (node_b);
  test_daemon_stop (node_c);
  test_redis_free (redis);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdk/group/cluster", test_group_cluster);
  return g_test_run ();
}
