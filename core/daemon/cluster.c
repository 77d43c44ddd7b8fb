/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-cluster"
#include "cluster.h"

#include <string.h>
#include <sys/times.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "cluster-redis.h"
#include "i18n.h"
#include "rest-private.h"
#include "sid.h"
#include "status-callbacks.h"
#include "twilio-error.h"
#include "worker-supervisor.h"

#define KEY_PREFIX "convoke:"

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

/* Nodes whose heartbeat expired, each claimed by ARGV[1] for reaping
 * (one reaper per dead node, for ARGV[2] seconds). */
static const char find_dead_script[]
    = "local dead = {}\n"
      "for _, id in ipairs(redis.call('SMEMBERS', 'convoke:nodes')) do\n"
      "  if redis.call('EXISTS', 'convoke:node:' .. id) == 0 and\n"
      "     redis.call('SET', 'convoke:reaping:' .. id, ARGV[1], 'NX', 'EX', ARGV[2]) then\n"
      "    table.insert(dead, id)\n"
      "  end\n"
      "end\n"
      "return dead\n";

/* The records of dead node ARGV[1]'s rooms in progress. */
static const char dead_rooms_script[]
    = "local out = {}\n"
      "for _, sid in ipairs(redis.call('SMEMBERS', 'convoke:node-rooms:' .. ARGV[1])) do\n"
      "  local rec = redis.call('GET', 'convoke:room:' .. sid)\n"
      "  if rec then table.insert(out, rec) end\n"
      "end\n"
      "return out\n";

/* Deletes KEYS[1] only while it still holds ARGV[1]: a name is released
 * by the room that holds it, never from under its successor. */
static const char release_script[]
    = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
      "return 0\n";

/* The node of session ARGV[1], as the node's JSON. */
static const char session_script[]
    = "local id = redis.call('GET', 'convoke:session:' .. ARGV[1])\n"
      "if not id then return false end\n"
      "return redis.call('GET', 'convoke:node:' .. id)\n";

struct _ConvokeCluster
{
  ConvokeDaemon *daemon; /* not owned: it owns us */
  ConvokeRoomRegistry *registry;
  ConvokeRedis *redis;
  char *node_id;
  char *node_url;
  char *region;
  char *placement_region;
  guint ttl;
  char *started;
  gint64 connected_at; /* monotonic µs; 0 while disconnected */
  guint heartbeat_source;
  guint reap_source;
  GHashTable *dirty; /* sid → ConvokeRoom* (a reference) */
  guint flush_source;
  GArray *handler_ids;
  gulong redis_handlers[2];
  SoupSession *http;
  /* Process CPU, for the load the heartbeat reports. */
  clock_t last_cpu_ticks;
  gint64 last_cpu_time;
  double cpu_percent;
};

/* ---- keys and small helpers --------------------------------------------- */

static char *
key (const char *kind, const char *id)
{
  return g_strconcat (KEY_PREFIX, kind, ":", id, NULL);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root)
             ? json_object_ref (json_node_get_object (root))
             : NULL;
}

static char *
object_to_string (JsonObject *object)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (root, object);
  return json_to_string (root, FALSE);
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
                 && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node)
             : NULL;
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gint64
member_int (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
                 && json_node_get_value_type (node) == G_TYPE_INT64
             ? json_node_get_int (node)
             : 0;
}

static gint64
unix_usec (GDateTime *when)
{
  return g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when);
}

GError *
convoke_cluster_unavailable_error (ConvokeCluster *self)
{
  return g_error_new (CONVOKE_ERROR, CONVOKE_ERROR_SERVICE_UNAVAILABLE,
                      _ ("The cluster's shared state is unavailable: Redis at %s cannot be "
                         "reached, so no new room can be placed and rooms on other nodes "
                         "cannot be reached; rooms in progress go on"),
                      convoke_redis_get_address (self->redis));
}

static void
return_unavailable (ConvokeCluster *self, GTask *task)
{
  g_task_return_error (task, convoke_cluster_unavailable_error (self));
}

/* ---- this node's heartbeat ----------------------------------------------- */

static void
update_cpu (ConvokeCluster *self)
{
  struct tms t;
  clock_t ticks;
  gint64 now = g_get_monotonic_time ();

  times (&t);
  ticks = t.tms_utime + t.tms_stime + t.tms_cutime + t.tms_cstime;
  if (self->last_cpu_time != 0 && now > self->last_cpu_time)
    self->cpu_percent = 100.0 * (double) (ticks - self->last_cpu_ticks)
                        / (double) sysconf (_SC_CLK_TCK)
                        / ((double) (now - self->last_cpu_time) / G_USEC_PER_SEC);
  self->last_cpu_ticks = ticks;
  self->last_cpu_time = now;
}

static char *
node_json (ConvokeCluster *self)
{
  g_autoptr (JsonObject) node = json_object_new ();
  g_autoptr (GPtrArray) rooms
      = convoke_room_registry_list (self->registry, "in-progress", NULL);
  guint participants = 0;

  for (guint i = 0; rooms != NULL && i < rooms->len; i++)
    participants += convoke_room_count_connected (g_ptr_array_index (rooms, i));
  json_object_set_string_member (node, "id", self->node_id);
  json_object_set_string_member (node, "url", self->node_url);
  if (self->region != NULL)
    json_object_set_string_member (node, "region", self->region);
  else
    json_object_set_null_member (node, "region");
  json_object_set_int_member (node, "rooms", rooms != NULL ? rooms->len : 0);
  json_object_set_int_member (node, "participants", participants);
  json_object_set_int_member (node, "workers", convoke_worker_count_running ());
  json_object_set_double_member (node, "cpu", self->cpu_percent);
  json_object_set_string_member (node, "started", self->started);
  return object_to_string (node);
}

static void
write_heartbeat (ConvokeCluster *self)
{
  g_autofree char *node_key = key ("node", self->node_id);
  g_autofree char *json = node_json (self);
  g_autofree char *ttl = g_strdup_printf ("%u", self->ttl);

  convoke_redis_commandv (self->redis, NULL, NULL, "SET", node_key, json, "EX", ttl, NULL);
  convoke_redis_commandv (self->redis, NULL, NULL, "SADD", KEY_PREFIX "nodes",
                          self->node_id, NULL);
}

static gboolean
heartbeat_cb (gpointer data)
{
  ConvokeCluster *self = data;

  update_cpu (self);
  write_heartbeat (self);
  return G_SOURCE_CONTINUE;
}

/* ---- records of this node's rooms --------------------------------------- */

static char *
room_record (ConvokeCluster *self, ConvokeRoom *room)
{
  g_autoptr (ConvokeConfig) config = convoke_config_ref (
      convoke_daemon_get_config (self->daemon));
  ConvokeRestRequest req = { 0 };
  g_autoptr (JsonObject) record = json_object_new ();
  JsonObject *callback = json_object_new ();

  req.config = config;
  req.registry = self->registry;
  req.base_url = convoke_daemon_get_base_url (self->daemon);
  json_object_set_string_member (record, "node", self->node_id);
  json_object_set_string_member (record, "node_url", self->node_url);
  json_object_set_string_member (record, "base_url", req.base_url);
  json_object_set_member (record, "room", convoke_rest_room_to_json (&req, room));
  json_object_set_int_member (record, "participants", convoke_room_count_connected (room));
  json_object_set_int_member (record, "created_us",
                              unix_usec (room->date_created));
  if (room->status_callback != NULL)
    json_object_set_string_member (callback, "url", room->status_callback);
  json_object_set_string_member (callback, "method", room->status_callback_method
                                                        ? room->status_callback_method
                                                        : "POST");
  json_object_set_int_member (callback, "sequence", (gint64) room->callback_sequence);
  json_object_set_object_member (record, "callback", callback);
  return object_to_string (record);
}

void
convoke_cluster_release_name (ConvokeCluster *self, const char *name, const char *sid)
{
  g_autofree char *name_key = key ("name", name);

  convoke_redis_commandv (self->redis, NULL, NULL, "EVAL", release_script, "1", name_key,
                          sid, NULL);
}

static void
flush_room (ConvokeCluster *self, ConvokeRoom *room)
{
  g_autofree char *room_key = key ("room", room->sid);
  g_autofree char *node_rooms = key ("node-rooms", self->node_id);
  g_autofree char *record = room_record (self, room);
  g_autofree char *score
      = g_strdup_printf ("%" G_GINT64_FORMAT, unix_usec (room->date_created));

  if (room->status == CONVOKE_ROOM_IN_PROGRESS)
    {
      convoke_redis_commandv (self->redis, NULL, NULL, "SET", room_key, record, NULL);
      convoke_redis_commandv (self->redis, NULL, NULL, "SADD", node_rooms, room->sid, NULL);
    }
  else
    {
      g_autofree char *ttl = g_strdup_printf ("%d", CONVOKE_CLUSTER_ENDED_ROOM_TTL);

      convoke_redis_commandv (self->redis, NULL, NULL, "SET", room_key, record, "EX", ttl,
                              NULL);
      convoke_redis_commandv (self->redis, NULL, NULL, "SREM", node_rooms, room->sid, NULL);
      convoke_cluster_release_name (self, room->unique_name, room->sid);
    }
  convoke_redis_commandv (self->redis, NULL, NULL, "ZADD", KEY_PREFIX "rooms", score,
                          room->sid, NULL);
}

static gboolean
flush_cb (gpointer data)
{
  ConvokeCluster *self = data;
  GHashTableIter iter;
  gpointer value;

  self->flush_source = 0;
  if (convoke_redis_is_connected (self->redis))
    {
      g_hash_table_iter_init (&iter, self->dirty);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        flush_room (self, value);
    }
  /* While Redis is down, the reconnection rewrites every room anyway. */
  g_hash_table_remove_all (self->dirty);
  return G_SOURCE_REMOVE;
}

/* Coalesces the changes of one main-loop iteration into one write. */
static void
mark_dirty (ConvokeCluster *self, ConvokeRoom *room)
{
  if (room == NULL)
    return;
  g_hash_table_replace (self->dirty, room->sid, convoke_room_ref (room));
  if (self->flush_source == 0)
    self->flush_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, flush_cb, self, NULL);
}

static void
on_room_changed (ConvokeRoomRegistry *registry, ConvokeRoom *room, ConvokeCluster *self)
{
  mark_dirty (self, room);
  /* The load other nodes place by moves now, not at the next beat: a
   * burst of creations spreads instead of piling onto one node. */
  if (convoke_redis_is_connected (self->redis))
    write_heartbeat (self);
}

static void
on_participant_changed (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                        ConvokeCluster *self)
{
  mark_dirty (self, participant->room);
}

/* ---- (re)connection ------------------------------------------------------ */

static void reap_node (ConvokeCluster *self, const char *node_id, gboolean own);

static void
on_reclaimed (ConvokeRedis *redis, redisReply *reply, gpointer user_data)
{
  g_autofree char *name = user_data;

  if (reply != NULL && reply->type == REDIS_REPLY_NIL)
    g_warning ("cluster: another node started a room named “%s” while Redis was "
               "unreachable; both rooms go on, and new participants join the other one",
               name);
}

static void
on_connected (ConvokeRedis *redis, ConvokeCluster *self)
{
  g_autoptr (GPtrArray) rooms
      = convoke_room_registry_list (self->registry, "in-progress", NULL);

  self->connected_at = g_get_monotonic_time ();
  write_heartbeat (self);
  /* Redis may have restarted empty: put this node's rooms back. */
  for (guint i = 0; rooms != NULL && i < rooms->len; i++)
    {
      ConvokeRoom *room = g_ptr_array_index (rooms, i);
      g_autofree char *name_key = key ("name", room->unique_name);

      convoke_redis_commandv (self->redis, on_reclaimed, g_strdup (room->unique_name),
                              "SET", name_key, room->sid, "NX", NULL);
      flush_room (self, room);
    }
  /* Rooms this node had before it restarted under the same id. */
  reap_node (self, self->node_id, TRUE);
}

static void
on_disconnected (ConvokeRedis *redis, ConvokeCluster *self)
{
  self->connected_at = 0;
}

/* ---- reaping dead nodes -------------------------------------------------- */

/* The record of a room of a dead node, as failed. */
static void
mark_failed (JsonObject *room)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *now_text = convoke_format_date (now);
  g_autoptr (GDateTime) created = NULL;
  const char *created_text = member_string (room, "date_created");

  json_object_set_string_member (room, "status", "failed");
  json_object_set_string_member (room, "end_time", now_text);
  json_object_set_string_member (room, "date_updated", now_text);
  if (created_text != NULL
      && (created = g_date_time_new_from_iso8601 (created_text, NULL)) != NULL)
    json_object_set_int_member (
        room, "duration",
        MAX (0, g_date_time_difference (now, created)) / G_TIME_SPAN_SECOND);
}

typedef struct
{
  ConvokeCluster *self;
  char *node_id;
  /* This node's own records, after a restart under the same id: only
   * the rooms it no longer has are stale. */
  gboolean own;
} ReapJob;

static void
reap_job_free (ReapJob *job)
{
  g_free (job->node_id);
  g_free (job);
}

static void
on_dead_rooms (ConvokeRedis *redis, redisReply *reply, gpointer user_data)
{
  ReapJob *job = user_data;
  ConvokeCluster *self = job->self;
  g_autofree char *node_rooms = key ("node-rooms", job->node_id);
  g_autofree char *reaping = key ("reaping", job->node_id);
  g_autofree char *ttl = g_strdup_printf ("%d", CONVOKE_CLUSTER_ENDED_ROOM_TTL);

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    {
      reap_job_free (job);
      return;
    }
  for (size_t i = 0; i < reply->elements; i++)
    {
      g_autoptr (JsonObject) record = parse_object (reply->element[i]->str);
      JsonObject *room = member_object (record, "room");
      const char *sid = member_string (room, "sid");
      g_autofree char *room_key = NULL;
      g_autofree char *json = NULL;

      if (sid == NULL || g_strcmp0 (member_string (room, "status"), "in-progress") != 0
          || (job->own && convoke_room_registry_lookup (self->registry, sid) != NULL))
        continue;
      mark_failed (room);
      json_object_set_string_member (record, "failure", "node-lost");
      room_key = key ("room", sid);
      json = object_to_string (record);
      convoke_redis_commandv (self->redis, NULL, NULL, "SET", room_key, json, "EX", ttl,
                              NULL);
      convoke_redis_commandv (self->redis, NULL, NULL, "SREM", node_rooms, sid, NULL);
      convoke_cluster_release_name (self, member_string (room, "unique_name"), sid);
      g_warning ("cluster: node %s stopped answering: its room %s (%s) failed", job->node_id,
                 sid, member_string (room, "unique_name"));
      convoke_status_callbacks_room_failed_elsewhere (
          convoke_daemon_get_status_callbacks (self->daemon), room,
          member_object (record, "callback"));
    }
  if (!job->own)
    {
      convoke_redis_commandv (self->redis, NULL, NULL, "DEL", node_rooms, NULL);
      convoke_redis_commandv (self->redis, NULL, NULL, "SREM", KEY_PREFIX "nodes",
                              job->node_id, NULL);
      convoke_redis_commandv (self->redis, NULL, NULL, "DEL", reaping, NULL);
    }
  reap_job_free (job);
}

static void
reap_node (ConvokeCluster *self, const char *node_id, gboolean own)
{
  ReapJob *job = g_new0 (ReapJob, 1);

  job->self = self;
  job->node_id = g_strdup (node_id);
  job->own = own;
  if (!convoke_redis_commandv (self->redis, on_dead_rooms, job, "EVAL", dead_rooms_script,
                               "0", job->node_id, NULL))
    reap_job_free (job);
}

static void
on_dead_nodes (ConvokeRedis *redis, redisReply *reply, gpointer user_data)
{
  ConvokeCluster *self = user_data;

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    return;
  for (size_t i = 0; i < reply->elements; i++)
    {
      const char *id = reply->element[i]->str;

      if (g_str_equal (id, self->node_id))
        {
          /* Our own heartbeat lapsed (Redis was slow or away): we are
           * alive, so beat again instead. */
          g_autofree char *reaping = key ("reaping", self->node_id);

          write_heartbeat (self);
          convoke_redis_commandv (self->redis, NULL, NULL, "DEL", reaping, NULL);
          continue;
        }
      reap_node (self, id, FALSE);
    }
}

static gboolean
reap_cb (gpointer data)
{
  ConvokeCluster *self = data;
  g_autofree char *hold = g_strdup_printf ("%u", MAX (self->ttl, 10u) * 3);

  /* Just reconnected: the other nodes may not have beaten since (Redis
   * may have restarted empty); give them one TTL before judging them. */
  if (self->connected_at == 0
      || g_get_monotonic_time () - self->connected_at < (gint64) self->ttl * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  convoke_redis_commandv (self->redis, on_dead_nodes, self, "EVAL", find_dead_script, "0",
                          self->node_id, hold, NULL);
  return G_SOURCE_CONTINUE;
}

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

  route->node_id = g_strdup (member_string (node, "id"));
  route->node_url = g_strdup (member_string (node, "url"));
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
          && g_strcmp0 (member_string (node, "region"), self->placement_region) != 0)
        continue;
      if (best == NULL)
        {
          best = node;
          ties = 1;
          continue;
        }
      cmp = member_int (node, "rooms") - member_int (best, "rooms");
      if (cmp == 0)
        cmp = member_int (node, "participants") - member_int (best, "participants");
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
      return_unavailable (self, task);
      return;
    }
  for (size_t i = 0; reply->element[1]->type == REDIS_REPLY_ARRAY
                     && i < reply->element[1]->elements;
       i++)
    {
      JsonObject *n = parse_object (reply->element[1]->element[i]->str);

      if (n != NULL && member_string (n, "id") != NULL && member_string (n, "url") != NULL)
        g_ptr_array_add (nodes, n);
      else if (n != NULL)
        json_object_unref (n);
    }
  record = parse_object (convoke_redis_reply_string (reply->element[0]));
  room = member_object (record, "room");
  if (room != NULL && g_strcmp0 (member_string (room, "status"), "in-progress") == 0)
    {
      const char *node_id = member_string (record, "node");

      for (guint i = 0; i < nodes->len; i++)
        if (g_strcmp0 (member_string (g_ptr_array_index (nodes, i), "id"), node_id) == 0)
          {
            g_task_return_pointer (task,
                                   route_to_node (self, g_ptr_array_index (nodes, i),
                                                  member_string (room, "sid")),
                                   (GDestroyNotify) convoke_cluster_route_free);
            return;
          }
      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                               _ ("Room “%s” is on node %s, which stopped answering; the "
                                  "room is about to be marked failed"),
                               member_string (room, "unique_name"), node_id);
      return;
    }
  if (room != NULL && convoke_sid_is_valid (job->sid_or_name, CONVOKE_SID_ROOM))
    {
      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_COMPLETED,
                               _ ("Room “%s” is %s"), member_string (room, "unique_name"),
                               member_string (room, "status"));
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
        return_unavailable (self, task);
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
      return_unavailable (self, task);
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
      return_unavailable (self, task);
      return;
    }
  node = parse_object (convoke_redis_reply_string (reply));
  if (node == NULL || member_string (node, "url") == NULL)
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
      return_unavailable (self, task);
      g_object_unref (task);
    }
}

void
convoke_cluster_note_session (ConvokeCluster *self, const char *id)
{
  g_autofree char *session_key = key ("session", id);
  /* Deleted when the session ends; the TTL only bounds what a node that
   * died leaves behind. */
  g_autofree char *ttl = g_strdup_printf ("%d", CONVOKE_CLUSTER_ENDED_ROOM_TTL);

  convoke_redis_commandv (self->redis, NULL, NULL, "SET", session_key, self->node_id, "EX",
                          ttl, NULL);
}

void
convoke_cluster_forget_session (ConvokeCluster *self, const char *id)
{
  g_autofree char *session_key = key ("session", id);

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
    return_unavailable (self, task);
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
  g_autofree char *name_key = key ("name", name);

  g_task_set_task_data (task, self, NULL);
  g_object_set_data_full (G_OBJECT (task), "name", g_strdup (name), g_free);
  if (!convoke_redis_commandv (self->redis, on_claim, task, "SET", name_key, sid, "NX",
                               NULL))
    {
      return_unavailable (self, task);
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
      return_unavailable (self, task);
      return;
    }
  objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  for (size_t i = 0; i < reply->elements; i++)
    {
      JsonObject *object = parse_object (convoke_redis_reply_string (reply->element[i]));

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
      return_unavailable (self, task);
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
  return g_strcmp0 (member_string (*(JsonObject *const *) a, "id"),
                    member_string (*(JsonObject *const *) b, "id"));
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
      return_unavailable (self, task);
      return;
    }
  record = parse_object (convoke_redis_reply_string (reply));
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
      return_unavailable (self, task);
      g_object_unref (task);
    }
}

JsonObject *
convoke_cluster_get_room_finish (ConvokeCluster *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- life cycle ---------------------------------------------------------- */

static void
connect_registry (ConvokeCluster *self, const char *signal, GCallback handler)
{
  gulong id = g_signal_connect (self->registry, signal, handler, self);

  g_array_append_val (self->handler_ids, id);
}

ConvokeCluster *
convoke_cluster_new (ConvokeDaemon *daemon)
{
  ConvokeConfig *config = convoke_daemon_get_config (daemon);
  ConvokeCluster *self;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  if (config->cluster_redis == NULL)
    return NULL;
  self = g_new0 (ConvokeCluster, 1);
  self->daemon = daemon;
  self->registry = g_object_ref (convoke_daemon_get_registry (daemon));
  self->node_id = g_strdup (config->cluster_node_id);
  self->node_url = g_strdup (config->cluster_node_url != NULL
                                 ? config->cluster_node_url
                                 : convoke_daemon_get_base_url (daemon));
  self->region = g_strdup (config->cluster_region);
  self->placement_region = g_strdup (config->cluster_placement_region);
  self->ttl = config->cluster_heartbeat_ttl;
  self->started = convoke_format_date (now);
  self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) convoke_room_unref);
  self->handler_ids = g_array_new (FALSE, FALSE, sizeof (gulong));
  connect_registry (self, "room-created", G_CALLBACK (on_room_changed));
  connect_registry (self, "room-ended", G_CALLBACK (on_room_changed));
  connect_registry (self, "participant-connected", G_CALLBACK (on_participant_changed));
  connect_registry (self, "participant-disconnected", G_CALLBACK (on_participant_changed));
  update_cpu (self);
  self->http = soup_session_new_with_options ("timeout", 15, "idle-timeout", 60, NULL);
  self->redis = convoke_redis_new (config->cluster_redis_host, config->cluster_redis_port,
                                   config->cluster_redis_db);
  self->redis_handlers[0]
      = g_signal_connect (self->redis, "connected", G_CALLBACK (on_connected), self);
  self->redis_handlers[1]
      = g_signal_connect (self->redis, "disconnected", G_CALLBACK (on_disconnected), self);
  /* Three beats per TTL: one late beat is not a death. */
  self->heartbeat_source
      = g_timeout_add (MAX (self->ttl * 1000 / 3, 300u), heartbeat_cb, self);
  /* Looking for the dead is one small script: often enough that a dead
   * node's rooms fail within a fifth of the TTL after its key expires. */
  self->reap_source = g_timeout_add (MAX (self->ttl * 1000 / 5, 200u), reap_cb, self);
  g_message ("cluster: node %s (%s) with Redis at %s", self->node_id, self->node_url,
             convoke_redis_get_address (self->redis));
  return self;
}

void
convoke_cluster_free (ConvokeCluster *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->heartbeat_source, g_source_remove);
  g_clear_handle_id (&self->reap_source, g_source_remove);
  /* The rooms ended as the daemon stopped: say so before leaving. */
  if (self->flush_source != 0)
    {
      g_source_remove (self->flush_source);
      flush_cb (self);
    }
  if (convoke_redis_is_connected (self->redis))
    {
      g_autofree char *node_key = key ("node", self->node_id);

      convoke_redis_commandv (self->redis, NULL, NULL, "DEL", node_key, NULL);
      convoke_redis_commandv (self->redis, NULL, NULL, "SREM", KEY_PREFIX "nodes",
                              self->node_id, NULL);
    }
  for (guint i = 0; i < self->handler_ids->len; i++)
    g_signal_handler_disconnect (self->registry, g_array_index (self->handler_ids, gulong, i));
  g_array_unref (self->handler_ids);
  g_signal_handler_disconnect (self->redis, self->redis_handlers[0]);
  g_signal_handler_disconnect (self->redis, self->redis_handlers[1]);
  convoke_redis_close (self->redis);
  g_object_unref (self->redis);
  g_hash_table_unref (self->dirty);
  soup_session_abort (self->http);
  g_object_unref (self->http);
  g_object_unref (self->registry);
  g_free (self->node_id);
  g_free (self->node_url);
  g_free (self->region);
  g_free (self->placement_region);
  g_free (self->started);
  g_free (self);
}

const char *
convoke_cluster_get_node_id (ConvokeCluster *self)
{
  return self->node_id;
}

SoupSession *
convoke_cluster_get_http_session (ConvokeCluster *self)
{
  return self->http;
}

gboolean
convoke_cluster_is_connected (ConvokeCluster *self)
{
  return convoke_redis_is_connected (self->redis);
}
