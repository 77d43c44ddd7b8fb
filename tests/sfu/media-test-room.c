/* The fake worker host of the media tests: it runs the worker side of the
 * group module like convoke-room-worker does, and hands its events to the
 * clients from the main loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "media-test-private.h"

#include "group-worker.h"

#define ROOM_SID "RM00000000000000000000000000000042"

/* ConvokeWorkerApi */

static const char *
api_get_room_sid (ConvokeWorker *worker)
{
  return ROOM_SID;
}

static const char *
api_get_option (ConvokeWorker *worker, const char *key)
{
  return g_hash_table_lookup (worker->room->options, key);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static char *
describe_subscriptions (JsonObject *event)
{
  JsonArray *tracks = json_object_get_array_member (event, "tracks");
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (tracks); i++)
    {
      JsonObject *track = json_array_get_object_element (tracks, i);

      g_ptr_array_add (
          items,
          g_strdup_printf ("%s/%s", json_object_get_string_member (track, "publisher"),
                           json_object_get_string_member (track, "kind")));
    }
  g_ptr_array_sort (items, compare_strings);
  g_ptr_array_add (items, NULL);
  return g_strjoinv (";", (char **) items->pdata);
}

static gboolean
room_deliver (gpointer data)
{
  MediaRoom *room = data;
  JsonObject *event;

  room->deliver_source = 0;
  while ((event = g_queue_pop_head (&room->events)) != NULL)
    {
      const char *name = json_object_get_string_member (event, "event");
      const char *sid
          = json_object_get_string_member_with_default (event, "participant", "");
      MediaClient *client = g_hash_table_lookup (room->clients, sid);

      if (g_str_equal (name, "error"))
        g_ptr_array_add (room->errors, json_object_ref (event));
      else if (g_str_equal (name, "track-started"))
        g_hash_table_insert (
            room->tracks_started, g_strdup (sid),
            GUINT_TO_POINTER (
                GPOINTER_TO_UINT (g_hash_table_lookup (room->tracks_started, sid)) + 1));
      else if (g_str_equal (name, "local-description"))
        g_hash_table_insert (room->last_description, g_strdup (sid),
                             g_strdup (json_object_get_string_member (event, "sdp")));
      else if (g_str_equal (name, "dominant-speaker"))
        g_ptr_array_add (
            room->speakers,
            g_strdup (json_object_get_string_member_with_default (event, "speaker", "")));
      else if (g_str_equal (name, "network-quality"))
        {
          JsonObject *levels = json_object_get_object_member (event, "levels");
          g_autoptr (GList) members = json_object_get_members (levels);

          for (GList *l = members; l != NULL; l = l->next)
            g_hash_table_insert (
                room->quality, g_strdup (l->data),
                GINT_TO_POINTER (json_object_get_int_member (levels, l->data) + 1));
        }
      else if (g_str_equal (name, "subscribed-tracks"))
        g_hash_table_insert (room->subscriptions, g_strdup (sid),
                             describe_subscriptions (event));
      if (client != NULL && !client->left)
        media_client_handle_event (client, event);
      json_object_unref (event);
    }
  return G_SOURCE_REMOVE;
}

/* Events are delivered from the main loop, never inside the module's own
 * call, like the real worker's socket does. */
static void
api_send_event (ConvokeWorker *worker, JsonObject *event)
{
  MediaRoom *room = worker->room;
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), event);
  g_autoptr (JsonNode) copy = json_node_copy (node);

  g_assert_true (g_thread_self () == room->main_thread);
  g_queue_push_tail (&room->events, json_node_dup_object (copy));
  if (room->deliver_source == 0)
    room->deliver_source = g_idle_add (room_deliver, room);
}

static void
api_fail (ConvokeWorker *worker, const char *reason)
{
  g_error ("the worker failed: %s", reason);
}

static const ConvokeWorkerApi media_worker_api = {
  .abi_version = CONVOKE_TOPOLOGY_ABI_VERSION,
  .struct_size = sizeof (ConvokeWorkerApi),
  .worker_get_room_sid = api_get_room_sid,
  .worker_get_option = api_get_option,
  .worker_send_event = api_send_event,
  .worker_fail = api_fail,
};

MediaRoom *
media_room_new (const char *const *options)
{
  MediaRoom *room = g_new0 (MediaRoom, 1);
  g_autoptr (GError) error = NULL;

  room->worker.room = room;
  room->main_thread = g_thread_self ();
  room->options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; options && options[i] && options[i + 1]; i += 2)
    g_hash_table_insert (room->options, g_strdup (options[i]), g_strdup (options[i + 1]));
  g_queue_init (&room->events);
  room->clients = g_hash_table_new (g_str_hash, g_str_equal);
  room->all_clients = g_ptr_array_new ();
  room->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  room->speakers = g_ptr_array_new_with_free_func (g_free);
  room->quality = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  room->last_description
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  room->tracks_started = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  room->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  room->pipeline = GST_PIPELINE (gst_pipeline_new (ROOM_SID));
  g_assert_true (convoke_group_worker_setup (&room->worker, &media_worker_api,
                                             room->pipeline, &room->worker_data, &error));
  g_assert_no_error (error);
  g_assert_cmpint (
      gst_element_set_state (GST_ELEMENT (room->pipeline), GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  return room;
}

gboolean
media_room_try_setup (const char *const *options, GError **error)
{
  MediaRoom room = { { NULL } };
  g_autoptr (GstPipeline) pipeline = GST_PIPELINE (gst_pipeline_new (ROOM_SID));
  gpointer worker_data = NULL;
  gboolean ok;

  room.worker.room = &room;
  room.main_thread = g_thread_self ();
  room.options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; options && options[i] && options[i + 1]; i += 2)
    g_hash_table_insert (room.options, g_strdup (options[i]), g_strdup (options[i + 1]));
  ok = convoke_group_worker_setup (&room.worker, &media_worker_api, pipeline,
                                   &worker_data, error);
  if (ok)
    convoke_group_worker_teardown (&room.worker, worker_data);
  g_hash_table_unref (room.options);
  return ok;
}

static void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

void
media_room_free (MediaRoom *room)
{
  for (guint i = 0; i < room->all_clients->len; i++)
    media_client_stop (g_ptr_array_index (room->all_clients, i));
  drain_main_context ();

  convoke_group_worker_teardown (&room->worker, room->worker_data);
  gst_element_set_state (GST_ELEMENT (room->pipeline), GST_STATE_NULL);
  gst_object_unref (room->pipeline);
  drain_main_context ();
  g_clear_handle_id (&room->deliver_source, g_source_remove);
  g_queue_clear_full (&room->events, (GDestroyNotify) json_object_unref);

  for (guint i = 0; i < room->all_clients->len; i++)
    media_client_free (g_ptr_array_index (room->all_clients, i));
  g_ptr_array_unref (room->all_clients);
  g_hash_table_unref (room->clients);
  g_ptr_array_unref (room->errors);
  g_ptr_array_unref (room->speakers);
  g_hash_table_unref (room->quality);
  g_hash_table_unref (room->last_description);
  g_hash_table_unref (room->tracks_started);
  g_hash_table_unref (room->subscriptions);
  g_hash_table_unref (room->options);
  g_free (room);
}

void
media_room_command (MediaRoom *room, JsonObject *command)
{
  convoke_group_worker_handle_message (&room->worker, room->worker_data, command);
}

GPtrArray *
media_room_get_speakers (MediaRoom *room)
{
  return room->speakers;
}

int
media_room_quality_level (MediaRoom *room, const char *sid)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (room->quality, sid)) - 1;
}

GPtrArray *
media_room_get_errors (MediaRoom *room)
{
  return room->errors;
}

const char *
media_room_last_description (MediaRoom *room, const char *sid)
{
  return g_hash_table_lookup (room->last_description, sid);
}

guint
media_room_tracks_started (MediaRoom *room, const char *sid)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (room->tracks_started, sid));
}

const char *
media_room_subscriptions (MediaRoom *room, const char *sid)
{
  return g_hash_table_lookup (room->subscriptions, sid);
}

GstElement *
media_room_get_router (MediaRoom *room)
{
  return gst_bin_get_by_name (GST_BIN (room->pipeline), "router");
}
