/* Media signaling (MSP) for SDK clients in group rooms: the dominant
 * speaker (`active_speaker`) and network quality (`network_quality`)
 * channels that twilio-video.js asks for in `connect.media_signaling`.
 *
 * The client asks; the session says yes in `connected` (a data-channel
 * transport with a label), joins with the matching opt-in flags
 * (`dominant_speaker`, `network_quality`, as a native client's `join`
 * would), and turns the room's native `dominant-speaker` and
 * `network-quality` messages into MSP JSON that the group module has the
 * media worker send on a data channel of that label
 * (docs/twilio-video-sdk.md, *Dominant speaker and network quality*).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-signaling"
#include "rsp-session-private.h"

#include "room-participants.h"
#include "untrusted-json.h"

#define ACTIVE_SPEAKER_LABEL "msp-active-speaker"
#define NETWORK_QUALITY_LABEL "msp-network-quality"

/* Whether @media_signaling.@name offers a data-channel transport. */
static gboolean
wants_data_channel (JsonObject *media_signaling, const char *name)
{
  JsonObject *channel = convoke_rsp_json_object (media_signaling, name);
  JsonNode *transports = channel ? json_object_get_member (channel, "transports") : NULL;
  JsonArray *array;

  if (transports == NULL || !JSON_NODE_HOLDS_ARRAY (transports))
    return FALSE;
  array = json_node_get_array (transports);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (node)
          && g_strcmp0 (convoke_json_get_string (json_node_get_object (node), "type"),
                        "data-channel")
                 == 0)
        return TRUE;
    }
  return FALSE;
}

void
convoke_rsp_session_read_media_signaling (ConvokeRspSession *self, JsonObject *body)
{
  JsonObject *media_signaling = convoke_rsp_json_object (body, "media_signaling");

  self->msp_active_speaker
      = media_signaling != NULL && wants_data_channel (media_signaling, "active_speaker");
  self->msp_network_quality = media_signaling != NULL
                              && wants_data_channel (media_signaling, "network_quality");
}

gboolean
convoke_rsp_session_get_msp_flag (ConvokeRspSession *self, const char *feature)
{
  if (g_strcmp0 (feature, "dominant_speaker") == 0)
    return self->msp_active_speaker;
  if (g_strcmp0 (feature, "network_quality") == 0)
    return self->msp_network_quality;
  return FALSE;
}

static void
add_transport (JsonObject *media_signaling, const char *name, const char *label)
{
  JsonObject *channel = json_object_new ();
  JsonObject *transport = json_object_new ();

  json_object_set_string_member (transport, "type", "data-channel");
  json_object_set_string_member (transport, "label", label);
  json_object_set_object_member (channel, "transport", transport);
  json_object_set_object_member (media_signaling, name, channel);
}

JsonObject *
convoke_rsp_session_describe_media_signaling (ConvokeRspSession *self)
{
  JsonObject *media_signaling;

  /* Only a media server has the channels; mesh rooms leave MSP off. */
  if (convoke_rsp_session_is_mesh (self)
      || (!self->msp_active_speaker && !self->msp_network_quality))
    return NULL;
  media_signaling = json_object_new ();
  if (self->msp_active_speaker)
    add_transport (media_signaling, "active_speaker", ACTIVE_SPEAKER_LABEL);
  if (self->msp_network_quality)
    add_transport (media_signaling, "network_quality", NETWORK_QUALITY_LABEL);
  return media_signaling;
}

static void
send_msp (ConvokeRspSession *self, const char *label, JsonObject *msp)
{
  g_autoptr (JsonObject) message = json_object_new ();
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), msp);
  g_autofree char *text = json_to_string (node, FALSE);
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (message, "to", "server");
  json_object_set_string_member (message, "label", label);
  json_object_set_string_member (message, "message", text);
  if (!convoke_room_registry_dispatch (convoke_rsp_session_get_registry (self),
                                       self->participant, "msp", message, &error))
    g_debug ("session %s: %s", self->id, error->message);
}

void
convoke_rsp_session_msp_from_room (ConvokeRspSession *self, JsonObject *message)
{
  const char *type = convoke_json_get_string (message, "type");
  g_autoptr (JsonObject) msp = NULL;

  if (self->participant == NULL)
    {
      JsonObject **held = g_strcmp0 (type, "dominant-speaker") == 0 ? &self->msp_held_speaker
                                                                     : &self->msp_held_quality;

      g_clear_pointer (held, json_object_unref);
      *held = json_object_ref (message);
      return;
    }
  if (convoke_rsp_session_is_mesh (self))
    return;
  msp = json_object_new ();
  if (g_strcmp0 (type, "dominant-speaker") == 0 && self->msp_active_speaker)
    {
      JsonNode *speaker = json_object_get_member (message, "participant");

      json_object_set_string_member (msp, "type", "active_speaker");
      json_object_set_member (msp, "participant",
                              speaker ? json_node_copy (speaker)
                                      : json_node_new (JSON_NODE_NULL));
      send_msp (self, ACTIVE_SPEAKER_LABEL, msp);
    }
  else if (g_strcmp0 (type, "network-quality") == 0 && self->msp_network_quality)
    {
      JsonObject *levels = convoke_rsp_json_object (message, "levels");
      JsonArray *remotes = json_array_new ();
      g_autoptr (GList) members = levels ? json_object_get_members (levels) : NULL;

      json_object_set_string_member (msp, "type", "network_quality");
      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *level = json_object_get_member (levels, l->data);

          if (level == NULL || json_node_get_value_type (level) != G_TYPE_INT64)
            continue;
          if (g_strcmp0 (l->data, self->participant->sid) == 0)
            json_object_set_int_member (msp, "local", json_node_get_int (level));
          else
            {
              JsonObject *remote = json_object_new ();

              json_object_set_string_member (remote, "sid", l->data);
              json_object_set_int_member (remote, "level", json_node_get_int (level));
              json_array_add_object_element (remotes, remote);
            }
        }
      json_object_set_array_member (msp, "remotes", remotes);
      if (json_object_has_member (msp, "local"))
        send_msp (self, NETWORK_QUALITY_LABEL, msp);
    }
}

void
convoke_rsp_session_msp_started (ConvokeRspSession *self)
{
  g_autoptr (JsonObject) speaker = g_steal_pointer (&self->msp_held_speaker);
  g_autoptr (JsonObject) quality = g_steal_pointer (&self->msp_held_quality);

  if (speaker != NULL)
    convoke_rsp_session_msp_from_room (self, speaker);
  if (quality != NULL)
    convoke_rsp_session_msp_from_room (self, quality);
}

void
convoke_rsp_session_msp_clear (ConvokeRspSession *self)
{
  g_clear_pointer (&self->msp_held_speaker, json_object_unref);
  g_clear_pointer (&self->msp_held_quality, json_object_unref);
}
