/* The room as an SDK client is told it: remote participants and their
 * tracks under revisions that only grow, what it publishes (`published`)
 * and receives (`subscribed`), and the whole of it in `connected` and
 * `synced` (rsp-session-private.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-signaling"
#include <string.h>

#include "rsp-session-private.h"

#include "room-participants.h"
#include "untrusted-json.h"

static JsonObject *
describe_track (ConvokeTrack *track)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "sid", track->sid);
  json_object_set_string_member (object, "name", track->name);
  json_object_set_string_member (object, "kind", track->kind);
  json_object_set_boolean_member (object, "enabled", track->enabled);
  json_object_set_string_member (object, "priority", "standard");
  return object;
}

static guint
remote_revision (ConvokeRspSession *self, ConvokeParticipant *remote, gboolean bump)
{
  guint revision = GPOINTER_TO_UINT (g_hash_table_lookup (self->remote_revisions,
                                                          remote->sid));

  if (bump || revision == 0)
    {
      revision++;
      g_hash_table_insert (self->remote_revisions, g_strdup (remote->sid),
                           GUINT_TO_POINTER (revision));
    }
  return revision;
}

static JsonObject *
describe_participant (ConvokeRspSession *self, ConvokeParticipant *p, guint revision)
{
  JsonObject *object = json_object_new ();
  JsonArray *tracks = json_array_new ();
  gboolean connected = p->status == CONVOKE_PARTICIPANT_CONNECTED;

  json_object_set_string_member (object, "sid", p->sid);
  json_object_set_string_member (object, "identity", p->identity);
  json_object_set_string_member (object, "state", connected ? "connected" : "disconnected");
  json_object_set_int_member (object, "revision", revision);
  for (guint i = 0; connected && i < p->published_tracks->len; i++)
    json_array_add_object_element (tracks,
                                   describe_track (g_ptr_array_index (p->published_tracks, i)));
  json_object_set_array_member (object, "tracks", tracks);
  return object;
}

static JsonArray *
describe_others (ConvokeRspSession *self)
{
  JsonArray *others = json_array_new ();
  ConvokeRoom *room = self->participant->room;

  for (guint i = 0; i < room->participants->len; i++)
    {
      ConvokeParticipant *other = g_ptr_array_index (room->participants, i);

      if (other != self->participant && other->status == CONVOKE_PARTICIPANT_CONNECTED)
        json_array_add_object_element (
            others, describe_participant (self, other, remote_revision (self, other, TRUE)));
    }
  return others;
}

JsonNode *
convoke_rsp_session_describe_published (ConvokeRspSession *self)
{
  JsonObject *object = json_object_new ();
  JsonArray *tracks = json_array_new ();
  GHashTableIter iter;
  gpointer id, sid;
  JsonNode *node;

  json_object_set_int_member (object, "revision", ++self->published_revision);
  g_hash_table_iter_init (&iter, self->track_sids);
  while (g_hash_table_iter_next (&iter, &id, &sid))
    {
      JsonObject *track = json_object_new ();

      json_object_set_string_member (track, "id", id);
      json_object_set_string_member (track, "sid", sid);
      json_object_set_string_member (track, "state", "ready");
      json_array_add_object_element (tracks, track);
    }
  json_object_set_array_member (object, "tracks", tracks);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}


/* Every connected participant's data tracks that carry the client's own
 * id, as {sid, id} pairs. */
static void
list_data_tracks (ConvokeRspSession *self, JsonArray *tracks)
{
  for (guint i = 0; i < self->participant->room->participants->len; i++)
    {
      ConvokeParticipant *other = g_ptr_array_index (self->participant->room->participants, i);

      if (other == self->participant || other->status != CONVOKE_PARTICIPANT_CONNECTED)
        continue;
      for (guint t = 0; t < other->published_tracks->len; t++)
        {
          ConvokeTrack *published = g_ptr_array_index (other->published_tracks, t);
          JsonObject *track;

          if (published->client_id == NULL || !g_str_equal (published->kind, "data"))
            continue;
          track = json_object_new ();
          json_object_set_string_member (track, "sid", published->sid);
          json_object_set_string_member (track, "id", published->client_id);
          json_array_add_object_element (tracks, track);
        }
    }
}

/* What this client receives now, as {sid, id} pairs: id is the track id
 * of the media-level a=msid in the SDP the client got for it. In rooms
 * with a media server, the server's subscriptions (REST's
 * SubscribedTracks) under the msid the group worker writes
 * (<publisher sid>-<kind>); in mesh rooms, every track of a connected
 * peer this client has negotiated with, under the publisher's own id. */
static JsonArray *
list_subscribed (ConvokeRspSession *self)
{
  JsonArray *tracks = json_array_new ();

  if (!convoke_rsp_session_is_mesh (self))
    {
      RspPeerConnection *pc = convoke_rsp_session_find_remote_pc (self, "server");
      g_autoptr (GPtrArray) forwarded
          = pc != NULL ? convoke_rsp_sdp_forwarded (pc->last_sdp) : NULL;

      /* What the media server's latest description sends this client, as
       * soon as it went out: the SDK subscribes once it also has the
       * m-line's receiver, so waiting for the server to see the answer
       * (REST's SubscribedTracks) would only delay the first frame. */
      for (guint i = 0; forwarded != NULL && i + 1 < forwarded->len; i += 2)
        {
          const char *stream = g_ptr_array_index (forwarded, i);
          const char *id = g_ptr_array_index (forwarded, i + 1);
          ConvokeParticipant *publisher
              = convoke_room_find_participant (self->participant->room, stream, TRUE);
          ConvokeTrack *found = NULL;
          JsonObject *track;

          if (publisher == NULL || publisher == self->participant
              || g_strcmp0 (publisher->sid, stream) != 0)
            continue;
          for (guint t = 0; found == NULL && t < publisher->published_tracks->len; t++)
            {
              ConvokeTrack *candidate = g_ptr_array_index (publisher->published_tracks, t);
              g_autofree char *by_kind = g_strdup_printf ("%s-%s", stream, candidate->kind);

              /* "<sid>-<kind>": the publisher's first track of the kind (the
               * earliest published); any other id: the publisher's own. */
              if (g_str_equal (id, by_kind) || g_strcmp0 (candidate->client_id, id) == 0)
                found = candidate;
            }
          if (found == NULL)
            continue;
          track = json_object_new ();
          json_object_set_string_member (track, "sid", found->sid);
          json_object_set_string_member (track, "id", id);
          json_array_add_object_element (tracks, track);
        }
      /* Data tracks: once the server's description has a data m-line, the
       * media server opens a channel of each to this client, labelled with
       * the publisher's own track id (docs/group-media.md, *Data
       * tracks*); the SDK subscribes when that channel opens. */
      if (pc != NULL && pc->last_sdp != NULL && strstr (pc->last_sdp, "m=application ") != NULL)
        list_data_tracks (self, tracks);
      return tracks;
    }

  for (guint i = 0; i < self->participant->room->participants->len; i++)
    {
      ConvokeParticipant *other = g_ptr_array_index (self->participant->room->participants, i);
      RspPeerConnection *pc;

      if (other == self->participant || other->status != CONVOKE_PARTICIPANT_CONNECTED)
        continue;
      pc = convoke_rsp_session_find_remote_pc (self, other->sid);
      if (pc == NULL || !pc->negotiated)
        continue;
      for (guint t = 0; t < other->published_tracks->len; t++)
        {
          ConvokeTrack *published = g_ptr_array_index (other->published_tracks, t);
          const char *id = published->client_id;
          JsonObject *track;

          if (id == NULL || g_str_equal (published->kind, "data"))
            continue;
          track = json_object_new ();
          json_object_set_string_member (track, "sid", published->sid);
          json_object_set_string_member (track, "id", id);
          json_array_add_object_element (tracks, track);
        }
    }
  return tracks;
}

static JsonNode *
describe_subscribed (ConvokeRspSession *self, JsonArray *tracks)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (object, "revision", ++self->subscribed_revision);
  json_object_set_array_member (object, "tracks", json_array_ref (tracks));
  json_node_take_object (node, object);
  return node;
}

/* Sends `subscribed` when what the client receives changed. */
void
convoke_rsp_session_refresh_subscribed (ConvokeRspSession *self)
{
  g_autoptr (JsonArray) tracks = NULL;
  g_autoptr (JsonNode) array = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *key = NULL;

  if (self->participant == NULL || !self->state_sent)
    return;
  tracks = list_subscribed (self);
  json_node_set_array (array, tracks);
  key = json_to_string (array, FALSE);
  if (g_strcmp0 (key, self->subscribed_key) == 0)
    return;
  g_free (self->subscribed_key);
  self->subscribed_key = g_steal_pointer (&key);
  convoke_rsp_session_send_update (self, "subscribed", describe_subscribed (self, tracks));
}

JsonObject *
convoke_rsp_session_build_state (ConvokeRspSession *self, const char *type)
{
  ConvokeParticipant *p = self->participant;
  JsonObject *body = convoke_rsp_session_new_body (self, type);
  JsonObject *object;
  JsonObject *options;
  g_autoptr (JsonArray) subscribed = list_subscribed (self);
  g_autoptr (JsonNode) array = json_node_new (JSON_NODE_ARRAY);

  json_object_set_string_member (body, "sid", p->room->sid);
  json_object_set_string_member (body, "name", p->room->unique_name);

  object = json_object_new ();
  json_object_set_string_member (object, "sid", p->sid);
  json_object_set_string_member (object, "identity", p->identity);
  json_object_set_string_member (object, "state", "connected");
  json_object_set_int_member (object, "revision", 1);
  json_object_set_array_member (object, "tracks", json_array_new ());
  json_object_set_object_member (body, "participant", object);

  json_object_set_array_member (body, "participants", describe_others (self));
  json_object_set_member (body, "published", convoke_rsp_session_describe_published (self));

  json_node_set_array (array, subscribed);
  g_free (self->subscribed_key);
  self->subscribed_key = json_to_string (array, FALSE);
  json_object_set_member (body, "subscribed", describe_subscribed (self, subscribed));

  object = json_object_new ();
  json_object_set_boolean_member (object, "is_recording",
                                  p->room->record_participants_on_connect);
  json_object_set_int_member (object, "revision", 1);
  json_object_set_object_member (body, "recording", object);

  object = convoke_rsp_session_describe_media_signaling (self);
  if (object != NULL)
    json_object_set_object_member (body, "media_signaling", object);

  options = json_object_new ();
  json_object_set_int_member (options, "session_timeout", CONVOKE_RSP_SESSION_TIMEOUT);
  json_object_set_string_member (options, "signaling_region", "convoke");
  json_object_set_string_member (options, "media_region", "convoke");
  json_object_set_object_member (body, "options", options);
  return body;
}

/* ---- what the room says of the others ------------------------------------ */

void
convoke_rsp_session_remote_changed (ConvokeRspSession *self, JsonObject *message)
{
  JsonObject *about = convoke_rsp_json_object (message, "participant");
  const char *sid = convoke_json_get_string (about, "sid");
  const char *publisher_sid = convoke_json_get_string (message, "participant");
  ConvokeParticipant *remote;
  g_autoptr (JsonArray) list = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  if (sid == NULL)
    sid = publisher_sid;
  remote = sid != NULL ? convoke_room_find_participant (self->participant->room, sid, FALSE)
                       : NULL;
  if (remote == NULL || remote == self->participant)
    return;
  json_array_add_object_element (
      list, describe_participant (self, remote, remote_revision (self, remote, TRUE)));
  json_node_set_array (node, list);
  convoke_rsp_session_send_update (self, "participants", g_steal_pointer (&node));
  if (remote->status != CONVOKE_PARTICIPANT_CONNECTED)
    {
      convoke_rsp_session_close_remote_pc (self, remote->sid);
      g_hash_table_remove (self->remote_revisions, remote->sid);
    }
  convoke_rsp_session_refresh_subscribed (self);
}
