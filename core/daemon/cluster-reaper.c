/* Cluster mode: finding dead nodes and failing their rooms (cluster.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-cluster"
#include <string.h>

#include "cluster-private.h"
#include "i18n.h"
#include "sid.h"
#include "status-callbacks.h"

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

/* ---- reaping dead nodes -------------------------------------------------- */

/* The record of a room of a dead node, as failed. */
static void
mark_failed (JsonObject *room)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *now_text = convoke_format_date (now);
  g_autoptr (GDateTime) created = NULL;
  const char *created_text = convoke_json_get_string (room, "date_created");

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
  g_autofree char *node_rooms = cluster_key ("node-rooms", job->node_id);
  g_autofree char *reaping = cluster_key ("reaping", job->node_id);
  g_autofree char *ttl = g_strdup_printf ("%d", CONVOKE_CLUSTER_ENDED_ROOM_TTL);

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    {
      reap_job_free (job);
      return;
    }
  for (size_t i = 0; i < reply->elements; i++)
    {
      g_autoptr (JsonObject) record = cluster_parse_object (reply->element[i]->str);
      JsonObject *room = cluster_member_object (record, "room");
      const char *sid = convoke_json_get_string (room, "sid");
      g_autofree char *room_key = NULL;
      g_autofree char *json = NULL;

      if (sid == NULL || g_strcmp0 (convoke_json_get_string (room, "status"), "in-progress") != 0
          || (job->own && convoke_room_registry_lookup (self->registry, sid) != NULL))
        continue;
      mark_failed (room);
      json_object_set_string_member (record, "failure", "node-lost");
      room_key = cluster_key ("room", sid);
      json = cluster_object_to_string (record);
      convoke_redis_commandv (self->redis, NULL, NULL, "SET", room_key, json, "EX", ttl,
                              NULL);
      convoke_redis_commandv (self->redis, NULL, NULL, "SREM", node_rooms, sid, NULL);
      convoke_cluster_release_name (self, convoke_json_get_string (room, "unique_name"), sid);
      g_warning ("cluster: node %s stopped answering: its room %s (%s) failed", job->node_id,
                 sid, convoke_json_get_string (room, "unique_name"));
      convoke_status_callbacks_room_failed_elsewhere (
          convoke_daemon_get_status_callbacks (self->daemon), room,
          cluster_member_object (record, "callback"),
          json_object_has_member (record, "connected")
              ? json_object_get_array_member (record, "connected")
              : NULL);
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

void
cluster_reap_node (ConvokeCluster *self, const char *node_id, gboolean own)
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
          g_autofree char *reaping = cluster_key ("reaping", self->node_id);

          cluster_write_heartbeat (self);
          convoke_redis_commandv (self->redis, NULL, NULL, "DEL", reaping, NULL);
          continue;
        }
      cluster_reap_node (self, id, FALSE);
    }
}

gboolean
cluster_reap_cb (gpointer data)
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
