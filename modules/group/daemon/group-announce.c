/* Dominant speaker and network quality, daemon side (group-announce.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-announce.h"

#include <stdlib.h>

#define SPEAKER_FLAG "dominant_speaker"
#define QUALITY_FLAG "network_quality"

struct _GroupAnnounce
{
  const ConvokeCoreApi *core;
  char *speaker;      /* the dominant speaker's sid, or NULL */
  GHashTable *levels; /* sid → network quality level + 1 */
};

GroupAnnounce *
group_announce_new (const ConvokeCoreApi *core)
{
  GroupAnnounce *announce = g_new0 (GroupAnnounce, 1);

  announce->core = core;
  announce->levels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return announce;
}

void
group_announce_free (GroupAnnounce *announce)
{
  if (announce == NULL)
    return;
  g_free (announce->speaker);
  g_hash_table_unref (announce->levels);
  g_free (announce);
}

static gboolean
wants (GroupAnnounce *announce, ConvokeParticipant *participant, const char *flag)
{
  /* A core before 1.4 cannot tell: nobody opted in. */
  return CONVOKE_CORE_API_HAS (announce->core, participant_get_join_flag)
         && announce->core->participant_get_join_flag (participant, flag);
}

void
group_announce_add_flags (GroupAnnounce *announce, ConvokeParticipant *participant,
                          JsonObject *command)
{
  json_object_set_boolean_member (command, "dominant-speaker",
                                  wants (announce, participant, SPEAKER_FLAG));
  json_object_set_boolean_member (command, "network-quality",
                                  wants (announce, participant, QUALITY_FLAG));
}

static JsonObject *
speaker_message (GroupAnnounce *announce)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "type", "dominant-speaker");
  if (announce->speaker != NULL)
    json_object_set_string_member (message, "participant", announce->speaker);
  else
    json_object_set_null_member (message, "participant");
  return message;
}

static int
compare_sids (const void *a, const void *b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static JsonObject *
levels_message (GroupAnnounce *announce)
{
  JsonObject *message = json_object_new ();
  JsonObject *levels = json_object_new ();
  g_autofree gpointer *sids = g_hash_table_get_keys_as_array (announce->levels, NULL);
  guint n = g_hash_table_size (announce->levels);

  /* In sid order: the same levels make the same message. */
  qsort (sids, n, sizeof (gpointer), compare_sids);
  for (guint i = 0; i < n; i++)
    json_object_set_int_member (
        levels, sids[i],
        GPOINTER_TO_INT (g_hash_table_lookup (announce->levels, sids[i])) - 1);
  json_object_set_string_member (message, "type", "network-quality");
  json_object_set_object_member (message, "levels", levels);
  return message;
}

static void
send_to_listeners (GroupAnnounce *announce, ConvokeRoom *room, const char *flag,
                   JsonObject *message)
{
  g_autoptr (GList) participants = announce->core->room_list_participants (room);

  for (GList *l = participants; l != NULL; l = l->next)
    if (wants (announce, l->data, flag))
      announce->core->participant_send (l->data, message);
}

void
group_announce_joined (GroupAnnounce *announce, ConvokeParticipant *participant)
{
  if (announce->speaker != NULL && wants (announce, participant, SPEAKER_FLAG))
    {
      g_autoptr (JsonObject) message = speaker_message (announce);

      announce->core->participant_send (participant, message);
    }
  if (g_hash_table_size (announce->levels) > 0
      && wants (announce, participant, QUALITY_FLAG))
    {
      g_autoptr (JsonObject) message = levels_message (announce);

      announce->core->participant_send (participant, message);
    }
}

void
group_announce_left (GroupAnnounce *announce, ConvokeParticipant *participant)
{
  g_hash_table_remove (announce->levels,
                       announce->core->participant_get_sid (participant));
}

static void
speaker_changed (GroupAnnounce *announce, ConvokeRoom *room, JsonObject *event)
{
  const char *speaker
      = json_object_get_string_member_with_default (event, "speaker", NULL);
  g_autoptr (JsonObject) message = NULL;

  /* The worker may name someone who has just left. */
  if (speaker != NULL && announce->core->room_find_participant (room, speaker) == NULL)
    speaker = NULL;
  if (g_strcmp0 (speaker, announce->speaker) == 0)
    return;
  g_free (announce->speaker);
  announce->speaker = g_strdup (speaker);
  message = speaker_message (announce);
  send_to_listeners (announce, room, SPEAKER_FLAG, message);
}

static void
levels_changed (GroupAnnounce *announce, ConvokeRoom *room, JsonObject *event)
{
  JsonNode *node = json_object_get_member (event, "levels");
  g_autoptr (JsonObject) message = NULL;
  g_autoptr (GList) members = NULL;
  gboolean changed = FALSE;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_message ("room %s: network-quality without a “levels” object; ignored",
                 announce->core->room_get_sid (room));
      return;
    }
  members = json_object_get_members (json_node_get_object (node));
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *sid = l->data;
      JsonNode *level = json_object_get_member (json_node_get_object (node), sid);
      gint64 value;

      if (!JSON_NODE_HOLDS_VALUE (level)
          || json_node_get_value_type (level) != G_TYPE_INT64)
        continue;
      value = json_node_get_int (level);
      if (value < 0 || value > 5
          || announce->core->room_find_participant (room, sid) == NULL)
        continue;
      if (GPOINTER_TO_INT (g_hash_table_lookup (announce->levels, sid)) == value + 1)
        continue;
      g_hash_table_replace (announce->levels, g_strdup (sid),
                            GINT_TO_POINTER (value + 1));
      changed = TRUE;
    }
  if (!changed)
    return;
  message = levels_message (announce);
  send_to_listeners (announce, room, QUALITY_FLAG, message);
}

gboolean
group_announce_worker_event (GroupAnnounce *announce, ConvokeRoom *room, const char *name,
                             JsonObject *event)
{
  if (g_str_equal (name, "dominant-speaker"))
    speaker_changed (announce, room, event);
  else if (g_str_equal (name, "network-quality"))
    levels_changed (announce, room, event);
  else
    return FALSE;
  return TRUE;
}
