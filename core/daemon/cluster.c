/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-cluster"
#include "cluster.h"

#include <string.h>
#include <sys/times.h>
#include <unistd.h>

#include "cluster-private.h"
#include "i18n.h"
#include "rest-private.h"
#include "sid.h"
#include "twilio-error.h"
#include "worker-supervisor.h"

/* Deletes KEYS[1] only while it still holds ARGV[1]: a name is released
 * by the room that holds it, never from under its successor. */
static const char release_script[]
    = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
      "return 0\n";

/* ---- keys and small helpers --------------------------------------------- */

char *
cluster_key (const char *kind, const char *id)
{
  return g_strconcat (KEY_PREFIX, kind, ":", id, NULL);
}

JsonObject *
cluster_parse_object (const char *text)
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

char *
cluster_object_to_string (JsonObject *object)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (root, object);
  return json_to_string (root, FALSE);
}

JsonObject *
cluster_member_object (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

gint64
cluster_member_int (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
                 && json_node_get_value_type (node) == G_TYPE_INT64
             ? json_node_get_int (node)
             : 0;
}

gint64
cluster_unix_usec (GDateTime *when)
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

void
cluster_return_unavailable (ConvokeCluster *self, GTask *task)
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
  return cluster_object_to_string (node);
}

void
cluster_write_heartbeat (ConvokeCluster *self)
{
  g_autofree char *node_key = cluster_key ("node", self->node_id);
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
  cluster_write_heartbeat (self);
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
  /* Who is connected, so that a live node can send their
   * participant-disconnected callbacks if this node dies. */
  {
    JsonArray *connected = json_array_new ();

    for (guint i = 0; i < room->participants->len; i++)
      {
        ConvokeParticipant *p = g_ptr_array_index (room->participants, i);
        JsonObject *entry;
        g_autofree char *start = NULL;

        if (p->status != CONVOKE_PARTICIPANT_CONNECTED)
          continue;
        entry = json_object_new ();
        start = convoke_format_date (p->start_time);
        json_object_set_string_member (entry, "sid", p->sid);
        json_object_set_string_member (entry, "identity", p->identity);
        json_object_set_string_member (entry, "start_time", start);
        json_array_add_object_element (connected, entry);
      }
    json_object_set_array_member (record, "connected", connected);
  }
  json_object_set_int_member (record, "created_us",
                              cluster_unix_usec (room->date_created));
  if (room->status_callback != NULL)
    json_object_set_string_member (callback, "url", room->status_callback);
  json_object_set_string_member (callback, "method", room->status_callback_method
                                                        ? room->status_callback_method
                                                        : "POST");
  json_object_set_int_member (callback, "sequence", (gint64) room->callback_sequence);
  json_object_set_object_member (record, "callback", callback);
  return cluster_object_to_string (record);
}

void
convoke_cluster_release_name (ConvokeCluster *self, const char *name, const char *sid)
{
  g_autofree char *name_key = cluster_key ("name", name);

  convoke_redis_commandv (self->redis, NULL, NULL, "EVAL", release_script, "1", name_key,
                          sid, NULL);
}

static void
flush_room (ConvokeCluster *self, ConvokeRoom *room)
{
  g_autofree char *room_key = cluster_key ("room", room->sid);
  g_autofree char *node_rooms = cluster_key ("node-rooms", self->node_id);
  g_autofree char *record = room_record (self, room);
  g_autofree char *score
      = g_strdup_printf ("%" G_GINT64_FORMAT, cluster_unix_usec (room->date_created));

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
  /* A room that starts or ends is written at once, record and load, not
   * in the next idle: the load other nodes place by moves now (a burst
   * of creations spreads instead of piling onto one node), and
   * convoke_cluster_sync_async() after a creation covers both. */
  if (convoke_redis_is_connected (self->redis))
    {
      g_hash_table_remove (self->dirty, room->sid);
      flush_room (self, room);
      cluster_write_heartbeat (self);
    }
  else
    mark_dirty (self, room);
}

static void
on_participant_changed (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                        ConvokeCluster *self)
{
  mark_dirty (self, participant->room);
}

/* ---- (re)connection ------------------------------------------------------ */

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
  cluster_write_heartbeat (self);
  /* Redis may have restarted empty: put this node's rooms back. */
  for (guint i = 0; rooms != NULL && i < rooms->len; i++)
    {
      ConvokeRoom *room = g_ptr_array_index (rooms, i);
      g_autofree char *name_key = cluster_key ("name", room->unique_name);

      convoke_redis_commandv (self->redis, on_reclaimed, g_strdup (room->unique_name),
                              "SET", name_key, room->sid, "NX", NULL);
      flush_room (self, room);
    }
  /* Rooms this node had before it restarted under the same id. */
  cluster_reap_node (self, self->node_id, TRUE);
}

static void
on_disconnected (ConvokeRedis *redis, ConvokeCluster *self)
{
  self->connected_at = 0;
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
  self->reap_source = g_timeout_add (MAX (self->ttl * 1000 / 5, 200u), cluster_reap_cb, self);
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
      g_autofree char *node_key = cluster_key ("node", self->node_id);

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

static void
on_synced (ConvokeRedis *redis, redisReply *reply, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;

  g_task_return_boolean (task, reply != NULL && !convoke_redis_reply_is_error (reply));
}

void
convoke_cluster_sync_async (ConvokeCluster *self, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  /* Redis answers a connection's commands in order: the PING's answer
   * comes after everything written before it. */
  if (!convoke_redis_commandv (self->redis, on_synced, task, "PING", NULL))
    {
      g_task_return_boolean (task, FALSE);
      g_object_unref (task);
    }
}

gboolean
convoke_cluster_sync_finish (ConvokeCluster *self, GAsyncResult *result)
{
  return g_task_propagate_boolean (G_TASK (result), NULL);
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
