/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-signaling"
#include "rsp-session.h"

#include <string.h>

#include "i18n.h"
#include "rsp-peer-connection.h"
#include "room-participants.h"
#include "sid.h"
#include "twilio-error.h"
#include "untrusted-json.h"
#include "untrusted-text.h"

#define RSP_VERSION 2
/* Bounds on what one client may make the session keep. */
#define MAX_TRACKS 64
#define MAX_TRACK_NAME_CHARS 128
#define MAX_CLIENT_ID_BYTES 128
#define MAX_QUOTED_CHARS 64

struct _ConvokeRspSession
{
  gatomicrefcount ref;
  char *id;
  ConvokeRoomRegistry *registry;
  ConvokeRspSessionEnded ended;
  gpointer ended_data;
  gboolean over;

  ConvokeParticipant *participant;  /* owned; NULL before start */
  ConvokeSignalingConnection *conn; /* owned; NULL while detached */
  guint detached_source;

  /* Nothing reaches the client before `connected`/`synced`. */
  gboolean state_sent;

  /* Remote participants as this client knows them: sid → revision. */
  GHashTable *remote_revisions;
  /* The client's tracks: its own id → our MT sid, and back. */
  GHashTable *track_sids;
  GHashTable *track_ids;
  gint64 participant_revision; /* the client's, last applied */
  guint published_revision;
  guint subscribed_revision;
  char *subscribed_key; /* what the last `subscribed` listed */

  /* id → RspPeerConnection */
  GHashTable *peer_connections;
  /* ids closed for good: never reused, their messages ignored */
  GHashTable *closed_ids;
};

static const ConvokeParticipantTransport session_transport;

/* ---- JSON helpers ------------------------------------------------------- */

static JsonObject *
get_object (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                       : NULL;
}

static JsonArray *
get_array (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* A non-negative integer member, or -1. */
gint64
convoke_rsp_get_count (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return -1;
  return json_node_get_int (node);
}

static gboolean
get_boolean (JsonObject *object, const char *name, gboolean fallback)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

/* ---- sending ------------------------------------------------------------ */

JsonObject *
convoke_rsp_session_new_body (ConvokeRspSession *self, const char *type)
{
  JsonObject *body = json_object_new ();

  json_object_set_string_member (body, "type", type);
  json_object_set_int_member (body, "version", RSP_VERSION);
  json_object_set_string_member (body, "session", self->id);
  return body;
}

void
convoke_rsp_session_send_body (ConvokeRspSession *self, JsonObject *body)
{
  g_autoptr (JsonObject) frame = NULL;

  /* While detached, state changes are dropped: `synced` carries the whole
   * state, and descriptions in flight are offered again from it. */
  if (self->conn == NULL || !self->state_sent)
    return;
  frame = json_object_new ();
  json_object_set_string_member (frame, "type", "msg");
  json_object_set_object_member (frame, "body", json_object_ref (body));
  convoke_signaling_connection_send (self->conn, frame, NULL);
}

/* Sends an `update` holding one member. */
static void
send_update (ConvokeRspSession *self, const char *member, JsonNode *value)
{
  g_autoptr (JsonObject) body = convoke_rsp_session_new_body (self, "update");

  json_object_set_member (body, member, value);
  convoke_rsp_session_send_body (self, body);
}

/* ---- state descriptions ------------------------------------------------- */

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

static JsonNode *
describe_published (ConvokeRspSession *self)
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
  send_update (self, "subscribed", describe_subscribed (self, tracks));
}

static JsonObject *
build_state (ConvokeRspSession *self, const char *type)
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
  json_object_set_member (body, "published", describe_published (self));

  json_node_set_array (array, subscribed);
  g_free (self->subscribed_key);
  self->subscribed_key = json_to_string (array, FALSE);
  json_object_set_member (body, "subscribed", describe_subscribed (self, subscribed));

  object = json_object_new ();
  json_object_set_boolean_member (object, "is_recording",
                                  p->room->record_participants_on_connect);
  json_object_set_int_member (object, "revision", 1);
  json_object_set_object_member (body, "recording", object);

  options = json_object_new ();
  json_object_set_int_member (options, "session_timeout", CONVOKE_RSP_SESSION_TIMEOUT);
  json_object_set_string_member (options, "signaling_region", "convoke");
  json_object_set_string_member (options, "media_region", "convoke");
  json_object_set_object_member (body, "options", options);
  return body;
}

/* ---- tracks the client publishes ---------------------------------------- */

static gboolean
set_error (GError **error, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
set_error (GError **error, int code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_set_error_literal (error, CONVOKE_ERROR, code, "");
  if (error != NULL && *error != NULL)
    {
      g_free ((*error)->message);
      (*error)->message = g_strdup_vprintf (format, args);
    }
  va_end (args);
  return FALSE;
}

gboolean
convoke_rsp_fail (GError **error, int code, const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return set_error (error, code, "%s", text);
}

/* Applies the client's `participant` state: its tracks (by the client's
 * ids), published or unpublished since the last revision. */
static gboolean
apply_participant (ConvokeRspSession *self, JsonObject *state, GError **error)
{
  JsonArray *tracks = get_array (state, "tracks");
  gint64 revision = convoke_rsp_get_count (state, "revision");
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer id, sid;
  gboolean changed = FALSE;

  if (tracks == NULL || revision < 0)
    return set_error (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                      _ ("“participant” needs a number “revision” and an array “tracks”"));
  if (revision <= self->participant_revision)
    return TRUE; /* old news: revisions only grow */
  if (json_array_get_length (tracks) > MAX_TRACKS)
    return set_error (error, CONVOKE_ERROR_TRACK_INVALID,
                      _ ("A participant may publish at most %d tracks"), MAX_TRACKS);

  for (guint i = 0; i < json_array_get_length (tracks); i++)
    {
      JsonNode *node = json_array_get_element (tracks, i);
      JsonObject *track = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *track_id = convoke_json_get_string (track, "id");
      const char *kind = convoke_json_get_string (track, "kind");
      const char *name = convoke_json_get_string (track, "name");
      const char *existing;

      if (track_id == NULL || kind == NULL || *track_id == '\0'
          || strlen (track_id) > MAX_CLIENT_ID_BYTES)
        return set_error (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                          _ ("Each of “participant.tracks” needs a string “id” (up to %d "
                             "bytes) and a string “kind”"),
                          MAX_CLIENT_ID_BYTES);
      g_hash_table_add (seen, (gpointer)track_id);
      existing = g_hash_table_lookup (self->track_sids, track_id);
      if (existing != NULL)
        {
          for (guint t = 0; t < self->participant->published_tracks->len; t++)
            {
              ConvokeTrack *published
                  = g_ptr_array_index (self->participant->published_tracks, t);

              if (g_str_equal (published->sid, existing))
                convoke_participant_set_track_enabled (self->participant, published,
                                                       get_boolean (track, "enabled", TRUE));
            }
          continue;
        }
      if (!g_str_equal (kind, "audio") && !g_str_equal (kind, "video")
          && !g_str_equal (kind, "data"))
        {
          g_autofree char *quoted = convoke_quote_untrusted (kind, MAX_QUOTED_CHARS);

          return set_error (error, CONVOKE_ERROR_TRACK_INVALID,
                            _ ("Track kind “%s” is not audio, video or data"), quoted);
        }
      if (name != NULL && g_utf8_strlen (name, -1) > MAX_TRACK_NAME_CHARS)
        return set_error (error, CONVOKE_ERROR_TRACK_INVALID,
                          _ ("Track name is longer than %d characters"),
                          MAX_TRACK_NAME_CHARS);
      {
        ConvokeTrack *added = NULL;

        /* Two tracks of one participant may not share a name. */
        for (guint t = 0; name != NULL && t < self->participant->published_tracks->len; t++)
          {
            ConvokeTrack *published
                = g_ptr_array_index (self->participant->published_tracks, t);

            if (g_str_equal (published->name, name))
              name = NULL;
          }
        added = convoke_participant_add_client_track (self->participant, name, kind,
                                                      track_id);
        if (added == NULL)
          return set_error (error, CONVOKE_ERROR_TRACK_INVALID,
                            _ ("The track could not be added"));
        if (!get_boolean (track, "enabled", TRUE))
          convoke_participant_set_track_enabled (self->participant, added, FALSE);
        g_hash_table_insert (self->track_sids, g_strdup (track_id), g_strdup (added->sid));
        g_hash_table_insert (self->track_ids, g_strdup (added->sid), g_strdup (track_id));
        changed = TRUE;
      }
    }

  g_hash_table_iter_init (&iter, self->track_sids);
  while (g_hash_table_iter_next (&iter, &id, &sid))
    if (!g_hash_table_contains (seen, id))
      g_ptr_array_add (gone, g_strdup (id));
  for (guint i = 0; i < gone->len; i++)
    {
      const char *gone_id = g_ptr_array_index (gone, i);
      g_autofree char *gone_sid = g_strdup (g_hash_table_lookup (self->track_sids, gone_id));

      g_hash_table_remove (self->track_ids, gone_sid);
      g_hash_table_remove (self->track_sids, gone_id);
      convoke_participant_remove_track (self->participant, gone_sid);
      changed = TRUE;
    }

  self->participant_revision = revision;
  if (changed || self->published_revision == 0)
    send_update (self, "published", describe_published (self));
  return TRUE;
}

/* ---- what the room sends ------------------------------------------------ */

static void
on_remote_participant (ConvokeRspSession *self, JsonObject *message, gboolean refresh)
{
  JsonObject *about = get_object (message, "participant");
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
  send_update (self, "participants", g_steal_pointer (&node));
  if (remote->status != CONVOKE_PARTICIPANT_CONNECTED)
    {
      convoke_rsp_session_close_remote_pc (self, remote->sid);
      g_hash_table_remove (self->remote_revisions, remote->sid);
    }
  if (refresh)
    convoke_rsp_session_refresh_subscribed (self);
}

static void
session_send (gpointer transport, JsonObject *message)
{
  ConvokeRspSession *self = transport;
  const char *type = convoke_json_get_string (message, "type");

  if (self->over || self->participant == NULL || type == NULL)
    return;
  if (g_str_equal (type, "participant-connected")
      || g_str_equal (type, "participant-disconnected")
      || g_str_equal (type, "track-published") || g_str_equal (type, "track-unpublished")
      || g_str_equal (type, "track-updated"))
    on_remote_participant (self, message, TRUE);
  else if (g_str_equal (type, "offer") || g_str_equal (type, "answer")
           || g_str_equal (type, "candidate"))
    convoke_rsp_session_relay_from_room (self, message, type);
  else if (g_str_equal (type, "error"))
    convoke_rsp_session_room_error (self, message);
}

/* An `error` the room's module sent this participant. The SDK takes
 * every RSP error as the end of its room, so only those after which the
 * media is gone for good are passed on (the SDK then shows them as its
 * TwilioError); a refused description only unblocks its peer connection,
 * and the rest are logged. */
void
convoke_rsp_session_room_error (ConvokeRspSession *self, JsonObject *message)
{
  JsonNode *code_node = json_object_get_member (message, "code");
  const char *text = convoke_json_get_string (message, "message");
  gint64 code = code_node != NULL && JSON_NODE_HOLDS_VALUE (code_node)
                        && json_node_get_value_type (code_node) == G_TYPE_INT64
                    ? json_node_get_int (code_node)
                    : 0;

  g_message ("signaling: session %s (%s): the room sent error %" G_GINT64_FORMAT ": %s",
             self->id, self->participant->sid, code, text ? text : "");
  convoke_rsp_session_description_refused (self, (int) code);
  if (code == CONVOKE_ERROR_MEDIA_CONNECTION_FAILED || code == CONVOKE_ERROR_SERVER_BUSY
      || code == CONVOKE_ERROR_SDP_NO_SUPPORTED_CODEC)
    {
      g_autoptr (JsonObject) body = convoke_rsp_session_new_body (self, "error");

      json_object_set_int_member (body, "code", code);
      json_object_set_string_member (body, "message", text ? text : "");
      convoke_rsp_session_send_body (self, body);
    }
}

static void
end_session (ConvokeRspSession *self)
{
  if (self->over)
    return;
  self->over = TRUE;
  g_clear_handle_id (&self->detached_source, g_source_remove);
  if (self->ended != NULL)
    self->ended (self, self->ended_data);
}

static void
session_close (gpointer transport, int code, const char *reason)
{
  ConvokeRspSession *self = transport;
  g_autoptr (ConvokeRspSession) hold = convoke_rsp_session_ref (self);
  g_autoptr (ConvokeSignalingConnection) conn
      = self->conn != NULL ? g_object_ref (self->conn) : NULL;

  if (conn != NULL && self->state_sent && code == CONVOKE_ERROR_ROOM_COMPLETED)
    {
      g_autoptr (JsonObject) body = convoke_rsp_session_new_body (self, "disconnected");

      json_object_set_string_member (body, "status", "completed");
      convoke_rsp_session_send_body (self, body);
      convoke_signaling_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL);
    }
  else if (conn != NULL)
    convoke_signaling_connection_fail (conn, NULL, code, reason,
                                       SOUP_WEBSOCKET_CLOSE_NORMAL);
  end_session (self);
}

static gboolean
session_get_trickle (gpointer transport)
{
  return TRUE;
}

/* Every SDK runs in a browser, and Twilio's own media servers recycle
 * m-lines: the SDK expects it. */
static gboolean
session_get_reuses_mlines (gpointer transport)
{
  return TRUE;
}

static const ConvokeParticipantTransport session_transport = {
  .send = session_send,
  .close = session_close,
  .get_trickle = session_get_trickle,
  .get_reuses_mlines = session_get_reuses_mlines,
};

const ConvokeParticipantTransport *
convoke_rsp_session_transport (void)
{
  return &session_transport;
}

/* ---- lifecycle ----------------------------------------------------------- */

ConvokeRspSession *
convoke_rsp_session_new (ConvokeRoomRegistry *registry, ConvokeRspSessionEnded ended,
                         gpointer user_data)
{
  ConvokeRspSession *self = g_new0 (ConvokeRspSession, 1);

  g_atomic_ref_count_init (&self->ref);
  self->id = convoke_sid_new ("SE");
  self->registry = g_object_ref (registry);
  self->ended = ended;
  self->ended_data = user_data;
  self->participant_revision = -1;
  self->remote_revisions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->track_sids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->track_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->peer_connections = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                  (GDestroyNotify)rsp_peer_connection_free);
  self->closed_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

ConvokeRspSession *
convoke_rsp_session_ref (ConvokeRspSession *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
convoke_rsp_session_unref (ConvokeRspSession *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_clear_handle_id (&self->detached_source, g_source_remove);
  g_clear_object (&self->conn);
  g_clear_pointer (&self->participant, convoke_participant_unref);
  g_object_unref (self->registry);
  g_hash_table_destroy (self->remote_revisions);
  g_hash_table_destroy (self->track_sids);
  g_hash_table_destroy (self->track_ids);
  g_hash_table_destroy (self->peer_connections);
  g_hash_table_destroy (self->closed_ids);
  g_free (self->subscribed_key);
  g_free (self->id);
  g_free (self);
}

const char *
convoke_rsp_session_get_id (ConvokeRspSession *self)
{
  return self->id;
}

ConvokeParticipant *
convoke_rsp_session_get_participant (ConvokeRspSession *self)
{
  return self->participant;
}

ConvokeSignalingConnection *
convoke_rsp_session_get_connection (ConvokeRspSession *self)
{
  return self->conn;
}

ConvokeRoomRegistry *
convoke_rsp_session_get_registry (ConvokeRspSession *self)
{
  return self->registry;
}

GHashTable *
convoke_rsp_session_get_peer_connections (ConvokeRspSession *self)
{
  return self->peer_connections;
}

GHashTable *
convoke_rsp_session_get_closed_ids (ConvokeRspSession *self)
{
  return self->closed_ids;
}

gboolean
convoke_rsp_session_is_mesh (ConvokeRspSession *self)
{
  return self->participant != NULL
         && g_strcmp0 (self->participant->room->module->vtable->client_topology, "mesh")
                == 0;
}

/* Applies the parts of a client's connect, sync or update message. */
static gboolean
apply_client_state (ConvokeRspSession *self, JsonObject *body, GError **error)
{
  JsonObject *participant = get_object (body, "participant");
  JsonNode *pcs = json_object_get_member (body, "peer_connections");

  if (participant != NULL && !apply_participant (self, participant, error))
    return FALSE;
  if (pcs != NULL)
    {
      if (!JSON_NODE_HOLDS_ARRAY (pcs))
        return set_error (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                          _ ("“peer_connections” is not an array"));
      if (!convoke_rsp_session_apply_peer_connections (self, json_node_get_array (pcs),
                                                       error))
        return FALSE;
    }
  return TRUE;
}

gboolean
convoke_rsp_session_start (ConvokeRspSession *self, ConvokeParticipant *participant,
                           ConvokeSignalingConnection *conn, JsonObject *body,
                           GError **error)
{
  g_autoptr (JsonObject) connected = NULL;

  g_return_val_if_fail (self->participant == NULL, FALSE);
  self->participant = convoke_participant_ref (participant);
  self->conn = g_object_ref (conn);
  self->state_sent = TRUE;

  /* The tracks first, so that `connected` already lists their sids. */
  self->state_sent = FALSE;
  if (get_object (body, "participant") != NULL
      && !apply_participant (self, get_object (body, "participant"), error))
    return FALSE;
  connected = build_state (self, "connected");
  self->state_sent = TRUE;
  convoke_rsp_session_send_body (self, connected);
  return convoke_rsp_session_after_connect (self, body, error);
}

gboolean
convoke_rsp_session_after_connect (ConvokeRspSession *self, JsonObject *body,
                                   GError **error)
{
  JsonNode *pcs = json_object_get_member (body, "peer_connections");

  if (pcs != NULL && !JSON_NODE_HOLDS_ARRAY (pcs))
    return set_error (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                      _ ("“peer_connections” is not an array"));
  if (pcs != NULL && convoke_rsp_session_is_mesh (self))
    {
      JsonArray *list = json_node_get_array (pcs);

      /* Mesh: the connect offer has no peer; it is closed, and each pair
       * gets its own peer connection (rsp-peer-connection.h). */
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonNode *node = json_array_get_element (list, i);
          const char *id = JSON_NODE_HOLDS_OBJECT (node)
                               ? convoke_json_get_string (json_node_get_object (node), "id")
                               : NULL;

          if (id != NULL && strlen (id) <= 64 && g_hash_table_size (self->closed_ids) < 8)
            g_hash_table_add (self->closed_ids, g_strdup (id));
        }
    }
  else if (pcs != NULL
           && !convoke_rsp_session_apply_peer_connections (self, json_node_get_array (pcs),
                                                           error))
    return FALSE;
  convoke_rsp_session_connect_peers (self);
  return TRUE;
}

gboolean
convoke_rsp_session_attach (ConvokeRspSession *self, ConvokeSignalingConnection *conn,
                            JsonObject *body, GError **error)
{
  g_autoptr (JsonObject) synced = NULL;
  g_autoptr (ConvokeSignalingConnection) old = self->conn;

  g_return_val_if_fail (self->participant != NULL, FALSE);
  self->conn = g_object_ref (conn);
  g_clear_handle_id (&self->detached_source, g_source_remove);
  if (old != NULL && old != conn)
    convoke_signaling_connection_close (old, SOUP_WEBSOCKET_CLOSE_NORMAL);

  self->state_sent = FALSE;
  if (get_object (body, "participant") != NULL
      && !apply_participant (self, get_object (body, "participant"), error))
    return FALSE;
  synced = build_state (self, "synced");
  /* What the client may have missed while its socket was down: the last
   * description each peer connection sent it, and every candidate. */
  json_object_set_array_member (synced, "peer_connections",
                                convoke_rsp_session_describe_peer_connections (self));
  self->state_sent = TRUE;
  convoke_rsp_session_send_body (self, synced);
  return TRUE;
}

static gboolean
on_detached_timeout (gpointer user_data)
{
  ConvokeRspSession *self = user_data;

  self->detached_source = 0;
  g_message ("signaling: session %s was not resumed within %d s; %s leaves", self->id,
             CONVOKE_RSP_SESSION_TIMEOUT, self->participant->sid);
  convoke_rsp_session_leave (self);
  return G_SOURCE_REMOVE;
}

void
convoke_rsp_session_detach (ConvokeRspSession *self, ConvokeSignalingConnection *conn)
{
  if (self->over || self->conn != conn)
    return;
  g_clear_object (&self->conn);
  g_clear_handle_id (&self->detached_source, g_source_remove);
  self->detached_source
      = g_timeout_add_seconds (CONVOKE_RSP_SESSION_TIMEOUT, on_detached_timeout, self);
}

gboolean
convoke_rsp_session_update (ConvokeRspSession *self, JsonObject *body, GError **error)
{
  if (self->over || self->participant == NULL
      || self->participant->status != CONVOKE_PARTICIPANT_CONNECTED)
    return TRUE;
  return apply_client_state (self, body, error);
}

void
convoke_rsp_session_leave (ConvokeRspSession *self)
{
  g_autoptr (ConvokeRspSession) hold = convoke_rsp_session_ref (self);

  if (self->over)
    return;
  end_session (self);
  if (self->participant != NULL)
    convoke_room_registry_leave (self->registry, self->participant);
  if (self->conn != NULL)
    convoke_signaling_connection_close (self->conn, SOUP_WEBSOCKET_CLOSE_NORMAL);
}
