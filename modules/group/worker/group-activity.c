/* Dominant speaker and network quality, worker side (group-activity.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-activity.h"

#include "context-dispatch.h"

struct _GroupActivity
{
  GroupMediaRoom *room;          /* owns us */
  GHashTable *speaker_listeners; /* sids that asked for the dominant speaker */
  GHashTable *quality_listeners; /* sids that asked for network quality */
  /* Levels the router reported since the last flush; taken on the main
   * loop. Under @lock: the router reports from its clock thread. */
  GMutex lock;
  GHashTable *pending_levels; /* sid → level + 1 */
  gboolean flush_scheduled;
  gatomicrefcount refs; /* ours, and one per notice in flight */
  gboolean closed;      /* freed by the room: notices in flight do nothing */
};

static GroupActivity *
activity_ref (GroupActivity *activity)
{
  g_atomic_ref_count_inc (&activity->refs);
  return activity;
}

static void
activity_unref (gpointer data)
{
  GroupActivity *activity = data;

  if (!g_atomic_ref_count_dec (&activity->refs))
    return;
  g_hash_table_unref (activity->speaker_listeners);
  g_hash_table_unref (activity->quality_listeners);
  g_hash_table_unref (activity->pending_levels);
  g_mutex_clear (&activity->lock);
  g_free (activity);
}

typedef struct
{
  GroupActivity *activity;
  char *speaker;
} SpeakerNotice;

static void
speaker_notice_free (gpointer data)
{
  SpeakerNotice *notice = data;

  activity_unref (notice->activity);
  g_free (notice->speaker);
  g_free (notice);
}

static gboolean
speaker_notice_deliver (gpointer data)
{
  SpeakerNotice *notice = data;
  g_autoptr (JsonObject) event = NULL;

  if (notice->activity->closed)
    return G_SOURCE_REMOVE;
  event = json_object_new ();
  json_object_set_string_member (event, "event", "dominant-speaker");
  if (notice->speaker != NULL)
    json_object_set_string_member (event, "speaker", notice->speaker);
  else
    json_object_set_null_member (event, "speaker");
  group_media_room_send_event (notice->activity->room, event);
  return G_SOURCE_REMOVE;
}

/* On a streaming thread. */
static void
on_dominant_speaker (GstElement *router, const char *participant, GroupActivity *activity)
{
  SpeakerNotice *notice = g_new0 (SpeakerNotice, 1);

  notice->activity = activity_ref (activity);
  notice->speaker = g_strdup (participant);
  convoke_context_dispatch (activity->room->context, speaker_notice_deliver, notice,
                            speaker_notice_free);
}

static gboolean
flush_levels (gpointer data)
{
  GroupActivity *activity = data;
  g_autoptr (JsonObject) event = NULL;
  g_autoptr (JsonObject) levels = json_object_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_mutex_lock (&activity->lock);
  activity->flush_scheduled = FALSE;
  g_hash_table_iter_init (&iter, activity->pending_levels);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!activity->closed && g_hash_table_contains (activity->room->participants, key))
      json_object_set_int_member (levels, key, GPOINTER_TO_INT (value) - 1);
  g_hash_table_remove_all (activity->pending_levels);
  g_mutex_unlock (&activity->lock);

  if (json_object_get_size (levels) == 0)
    return G_SOURCE_REMOVE;
  event = json_object_new ();
  json_object_set_string_member (event, "event", "network-quality");
  json_object_set_object_member (event, "levels", g_steal_pointer (&levels));
  group_media_room_send_event (activity->room, event);
  return G_SOURCE_REMOVE;
}

/* On the router's clock thread, once per participant whose level changed
 * at a tick: gathered into one event. */
static void
on_network_quality (GstElement *router, const char *participant, int level,
                    GroupActivity *activity)
{
  gboolean schedule;

  g_mutex_lock (&activity->lock);
  g_hash_table_replace (activity->pending_levels, g_strdup (participant),
                        GINT_TO_POINTER (level + 1));
  schedule = !activity->flush_scheduled;
  activity->flush_scheduled = TRUE;
  g_mutex_unlock (&activity->lock);
  if (schedule)
    convoke_context_dispatch (activity->room->context, flush_levels,
                              activity_ref (activity), activity_unref);
}

GroupActivity *
group_activity_new (GroupMediaRoom *room)
{
  GroupActivity *activity = g_new0 (GroupActivity, 1);

  activity->room = room;
  activity->speaker_listeners
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  activity->quality_listeners
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  activity->pending_levels
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&activity->lock);
  g_atomic_ref_count_init (&activity->refs);
  g_signal_connect (room->router, "dominant-speaker-changed",
                    G_CALLBACK (on_dominant_speaker), activity);
  g_signal_connect (room->router, "network-quality-changed",
                    G_CALLBACK (on_network_quality), activity);
  return activity;
}

void
group_activity_free (GroupActivity *activity)
{
  if (activity == NULL)
    return;
  g_signal_handlers_disconnect_by_data (activity->room->router, activity);
  activity->closed = TRUE;
  activity_unref (activity);
}

/* The router does the work only while someone wants it. */
static void
update_router (GroupActivity *activity)
{
  g_object_set (activity->room->router, "dominant-speaker",
                g_hash_table_size (activity->speaker_listeners) > 0, "network-quality",
                g_hash_table_size (activity->quality_listeners) > 0, NULL);
}

static gboolean
flag (JsonObject *command, const char *name)
{
  JsonNode *node = json_object_get_member (command, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN
         && json_node_get_boolean (node);
}

void
group_activity_participant_added (GroupActivity *activity, const char *sid,
                                  JsonObject *command)
{
  if (flag (command, "dominant-speaker"))
    g_hash_table_add (activity->speaker_listeners, g_strdup (sid));
  if (flag (command, "network-quality"))
    g_hash_table_add (activity->quality_listeners, g_strdup (sid));
  update_router (activity);
}

void
group_activity_participant_removed (GroupActivity *activity, const char *sid)
{
  g_hash_table_remove (activity->speaker_listeners, sid);
  g_hash_table_remove (activity->quality_listeners, sid);
  update_router (activity);
}
