/* Cluster mode: where rooms are and go, name claims and the lists REST
 * reads (cluster.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-cluster"
#include "cluster-private.h"
#include "i18n.h"
#include "sid.h"
#include "twilio-error.h"

/* Reads a room's record and every live node's JSON in one round trip:
 * ARGV[1] is a unique name or a room sid (a name wins). Returns
 * {record or false, {node JSON…}}. */
static const char route_script[]
    = "local sid = redis.call('GET', 'convoke:name:' .. ARGV[1])\n"
      "if not sid then sid = ARGV[1] end\n"
      "local rec = redis.call('GET', 'convoke:room:' .. sid)\n"
      "local nodes = {}\n"
      "for _, id in ipairs(redis.call('SMEMBERS', 'convoke:nodes')) do\n"
      "  local n = redis.call('GET', 'convoke:node:' .. id)\n"
      "  if n then table.insert(nodes, n) end\n"
      "end\n"
      "return {rec or false, nodes}\n";

/* Every room record, newest first; index entries whose record expired
 * are dropped on the way. */
static const char list_rooms_script[]
    = "local out = {}\n"
      "for _, sid in ipairs(redis.call('ZREVRANGE', 'convoke:rooms', 0, -1)) do\n"
      "  local rec = redis.call('GET', 'convoke:room:' .. sid)\n"
      "  if rec then table.insert(out, rec) else redis.call('ZREM', 'convoke:rooms', sid) end\n"
      "end\n"
      "return out\n";

/* The node of session ARGV[1], as the node's JSON. */
static const char session_script[]
    = "local id = redis.call('GET', 'convoke:session:' .. ARGV[1])\n"
      "if not id then return false end\n"
      "return redis.call('GET', 'convoke:node:' .. id)\n";

/* ---- routing ------------------------------------------------------------- */

void
convoke_cluster_route_free (ConvokeClusterRoute *route)
{
  if (route == NULL)
    return;
  g_free (route->node_id);
  g_free (route->node_url);
  g_free (route->room_sid);
  g_free (route);
}

static ConvokeClusterRoute *
route_to_node (ConvokeCluster *self, JsonObject *node, const char *room_sid)
{
  ConvokeClusterRoute *route = g_new0 (ConvokeClusterRoute, 1);

  route->node_id = g_strdup (convoke_json_get_string (node, "id"));
  route->node_url = g_strdup (convoke_json_get_string (node, "url"));
  route->local = g_strcmp0 (route->node_id, self->node_id) == 0;
  route->room_sid = g_strdup (room_sid);
  return route;
}

/* The least-loaded live node: fewest rooms, then fewest participants;
 * ties are broken at random so that equal nodes share new rooms. */
static JsonObject *
pick_node (ConvokeCluster *self, GPtrArray *nodes)
{
  JsonObject *best = NULL;
  guint ties = 0;

  for (guint i = 0; i < nodes->len; i++)
    {
      JsonObject *node = g_ptr_array_index (nodes, i);
      gint64 cmp;

      if (self->placement_region != NULL
          && g_strcmp0 (convoke_json_get_string (node, "region"), self->placement_region) != 0)
        continue;
      if (best == NULL)
        {
          best = node;
          ties = 1;
          continue;
        }
      cmp = cluster_member_int (node, "rooms") - cluster_member_int (best, "rooms");
      if (cmp == 0)
        cmp = cluster_member_int (node, "participants") - cluster_member_int (best, "participants");
      if (cmp < 0)
        {
          best = node;
          ties = 1;
        }
      else if (cmp == 0 && g_random_int_range (0, (gint32) ++ties) == 0)
        best = node;
    }
  return best;
}

typedef struct
{
  ConvokeCluster *self;
  char *sid_or_name;
  gboolean place;
} RouteJob;

static void
route_job_free (RouteJob *job)
{
  g_free (job->sid_or_name);
  g_free (job);
}

static void
on_route (ConvokeRedis *redis, redisReply *reply, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RouteJob *job = g_task_get_task_data (task);
  ConvokeCluster *self = job->self;
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr (JsonObject) record = NULL;
  JsonObject *room;
  JsonObject *node;

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
    {
      cluster_return_unavailable (self, task);
      return;
    }
  for (size_t i = 0; reply->element[1]->type == REDIS_REPLY_ARRAY
                     && i < reply->element[1]->elements;
       i++)
    {
      JsonObject *n = cluster_parse_object (reply->element[1]->element[i]->str);

      if (n != NULL && convoke_json_get_string (n, "id") != NULL && convoke_json_get_string (n, "url") != NULL)
        g_ptr_array_add (nodes, n);
      else if (n != NULL)
        json_object_unref (n);
    }
  record = cluster_parse_object (convoke_redis_reply_string (reply->element[0]));
  room = cluster_member_object (record, "room");
  if (room != NULL && g_strcmp0 (convoke_json_get_string (room, "status"), "in-progress") == 0)
    {
      const char *node_id = convoke_json_get_string (record, "node");

      for (guint i = 0; i < nodes->len; i++)
        if (g_strcmp0 (convoke_json_get_string (g_ptr_array_index (nodes, i), "id"), node_id) == 0)
          {
            g_task_return_pointer (task,
                                   route_to_node (self, g_ptr_array_index (nodes, i),
                                                  convoke_json_get_string (room, "sid")),
                                   (GDestroyNotify) convoke_cluster_route_free);
            return;
          }
      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                               _ ("Room “%s” is on node %s, which stopped answering; the "
                                  "room is about to be marked failed"),
                               convoke_json_get_string (room, "unique_name"), node_id);
      return;
    }
  if (room != NULL && convoke_sid_is_valid (job->sid_or_name, CONVOKE_SID_ROOM))
    {
      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_COMPLETED,
                               _ ("Room “%s” is %s"), convoke_json_get_string (room, "unique_name"),
                               convoke_json_get_string (room, "status"));
      return;
    }
  if (!job->place || convoke_sid_is_valid (job->sid_or_name, CONVOKE_SID_ROOM))
    {
      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_NOT_FOUND,
                               _ ("Room “%s” does not exist"), job->sid_or_name);
      return;
    }
  node = pick_node (self, nodes);
  if (node == NULL)
    {
      if (self->placement_region != NULL)
        g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_SERVICE_UNAVAILABLE,
                                 _ ("No live node in region “%s” ([cluster] "
                                    "placement-region) to place the room on"),
                                 self->placement_region);
      else
        cluster_return_unavailable (self, task);
      return;
    }
  g_task_return_pointer (task, route_to_node (self, node, NULL),
                         (GDestroyNotify) convoke_cluster_route_free);
}

void
convoke_cluster_route_async (ConvokeCluster *self, const char *sid_or_name, gboolean place,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  RouteJob *job = g_new0 (RouteJob, 1);

  job->self = self;
  job->sid_or_name = g_strdup (sid_or_name);
  job->place = place;
  g_task_set_task_data (task, job, (GDestroyNotify) route_job_free);
  if (!convoke_redis_commandv (self->redis, on_route, task, "EVAL", route_script, "0",
                               sid_or_name, NULL))
    {
      cluster_return_unavailable (self, task);
      g_object_unref (task);
    }
}

ConvokeClusterRoute *
convoke_cluster_route_finish (ConvokeCluster *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_session_node (ConvokeRedis *redis, redisReply *reply, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ConvokeCluster *self = g_task_get_task_data (task);
  g_autoptr (JsonObject) node = NULL;

  if (reply == NULL || convoke_redis_reply_is_error (reply))
    {
      cluster_return_unavailable (self, task);
      return;
    }
  node = cluster_parse_object (convoke_redis_reply_string (reply));
  if (node == NULL || convoke_json_get_string (node, "url") == NULL)
    {
      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_DISCONNECTED,
                               _ ("No session to resume: it ended, never existed, or its "
                                  "node stopped answering"));
      return;
    }
  g_task_return_pointer (task, route_to_node (self, node, NULL),
                         (GDestroyNotify) convoke_cluster_route_free);
}

void
convoke_cluster_route_session_async (ConvokeCluster *self, const char *id,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_task_data (task, self, NULL);
  if (!convoke_redis_commandv (self->redis, on_session_node, task, "EVAL", session_script,
                               "0", id, NULL))
    {
      cluster_return_unavailable (self, task);
      g_object_unref (task);
    }
}

void
convoke_cluster_note_session (ConvokeCluster *self, const char *id)
{
  g_autofree char *session_key = cluster_key ("session", id);
  /* Deleted when the session ends; the TTL only bounds what a node that
   * died leaves behind. */
  g_autofree char *ttl = g_strdup_printf ("%d", CONVOKE_CLUSTER_ENDED_ROOM_TTL);

  convoke_redis_commandv (self->redis, NULL, NULL, "SET", session_key, self->node_id, "EX",
                          ttl, NULL);
}

void
convoke_cluster_forget_session (ConvokeCluster *self, const char *id)
{
  g_autofree char *session_key = cluster_key ("session", id);

  convoke_redis_commandv (self->redis, NULL, NULL, "DEL", session_key, NULL);
}

/* ---- claims, lists ------------------------------------------------------- */

static void
on_claim (ConvokeRedis *redis, redisReply *reply, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ConvokeCluster *self = g_task_get_task_data (task);
  const char *name = g_object_get_data (G_OBJECT (task), "name");

  if (reply == NULL || convoke_redis_reply_is_error (reply))
    cluster_return_unavailable (self, task);
  else if (reply->type == REDIS_REPLY_NIL)
    g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_EXISTS,
                             _ ("Room “%s” already exists"), name);
  else
    g_task_return_boolean (task, TRUE);
}

void
convoke_cluster_claim_async (ConvokeCluster *self, const char *name, const char *sid,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  g_autofree char *name_key = cluster_key ("name", name);

  g_task_set_task_data (task, self, NULL);
  g_object_set_data_full (G_OBJECT (task), "name", g_strdup (name), g_free);
  if (!convoke_redis_commandv (self->redis, on_claim, task, "SET", name_key, sid, "NX",
                               NULL))
    {
      cluster_return_unavailable (self, task);
      g_object_unref (task);
    }
}

gboolean
convoke_cluster_claim_finish (ConvokeCluster *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_string_list (ConvokeRedis *redis, redisReply *reply, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ConvokeCluster *self = g_task_get_task_data (task);
  GPtrArray *objects;

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    {
      cluster_return_unavailable (self, task);
      return;
    }
  objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  for (size_t i = 0; i < reply->elements; i++)
    {
      JsonObject *object = cluster_parse_object (convoke_redis_reply_string (reply->element[i]));

      if (object != NULL)
        g_ptr_array_add (objects, object);
    }
  g_task_return_pointer (task, objects, (GDestroyNotify) g_ptr_array_unref);
}

static void
eval_list (ConvokeCluster *self, const char *script, const char *arg,
           GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_task_data (task, self, NULL);
  if (!convoke_redis_commandv (self->redis, on_string_list, task, "EVAL", script, "0", arg,
                               NULL))
    {
      cluster_return_unavailable (self, task);
      g_object_unref (task);
    }
}

void
convoke_cluster_list_rooms_async (ConvokeCluster *self, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  eval_list (self, list_rooms_script, "", callback, user_data);
}

GPtrArray *
convoke_cluster_list_rooms_finish (ConvokeCluster *self, GAsyncResult *result,
                                   GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char list_nodes_script[]
    = "local out = {}\n"
      "for _, id in ipairs(redis.call('SMEMBERS', 'convoke:nodes')) do\n"
      "  local n = redis.call('GET', 'convoke:node:' .. id)\n"
      "  if n then table.insert(out, n) end\n"
      "end\n"
      "return out\n";

static int
compare_node_ids (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (convoke_json_get_string (*(JsonObject *const *) a, "id"),
                    convoke_json_get_string (*(JsonObject *const *) b, "id"));
}

static void
on_nodes_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  GPtrArray *nodes = g_task_propagate_pointer (G_TASK (result), &error);

  if (nodes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_ptr_array_sort (nodes, compare_node_ids);
  g_task_return_pointer (task, nodes, (GDestroyNotify) g_ptr_array_unref);
}

void
convoke_cluster_list_nodes_async (ConvokeCluster *self, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  eval_list (self, list_nodes_script, "", on_nodes_listed,
             g_task_new (NULL, NULL, callback, user_data));
}

GPtrArray *
convoke_cluster_list_nodes_finish (ConvokeCluster *self, GAsyncResult *result,
                                   GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char get_room_script[]
    = "local sid = redis.call('GET', 'convoke:name:' .. ARGV[1])\n"
      "if not sid then sid = ARGV[1] end\n"
      "return redis.call('GET', 'convoke:room:' .. sid)\n";

static void
on_room_record (ConvokeRedis *redis, redisReply *reply, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ConvokeCluster *self = g_task_get_task_data (task);
  JsonObject *record;

  if (reply == NULL || convoke_redis_reply_is_error (reply))
    {
      cluster_return_unavailable (self, task);
      return;
    }
  record = cluster_parse_object (convoke_redis_reply_string (reply));
  if (record == NULL)
    g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_NOT_FOUND, _ ("No room “%s”"),
                             (const char *) g_object_get_data (G_OBJECT (task), "name"));
  else
    g_task_return_pointer (task, record, (GDestroyNotify) json_object_unref);
}

void
convoke_cluster_get_room_async (ConvokeCluster *self, const char *sid_or_name,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_task_data (task, self, NULL);
  g_object_set_data_full (G_OBJECT (task), "name", g_strdup (sid_or_name), g_free);
  if (!convoke_redis_commandv (self->redis, on_room_record, task, "EVAL", get_room_script,
                               "0", sid_or_name, NULL))
    {
      cluster_return_unavailable (self, task);
      g_object_unref (task);
    }
}

JsonObject *
convoke_cluster_get_room_finish (ConvokeCluster *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
