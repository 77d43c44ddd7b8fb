/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-signaling"
#include "rsp-session.h"

#include <string.h>

#include "i18n.h"
#include "room-participants.h"
#include "rsp-session-private.h"
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

static const ConvokeParticipantTransport session_transport;

/* ---- JSON helpers ------------------------------------------------------- */

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

void
convoke_rsp_session_send_update (ConvokeRspSession *self, const char *member,
                                 JsonNode *value)
{
  g_autoptr (JsonObject) body = convoke_rsp_session_new_body (self, "update");

  json_object_set_member (body, member, value);
  convoke_rsp_session_send_body (self, body);
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

      g_hash_table_remove (self->track_sids, gone_id);
      convoke_participant_remove_track (self->participant, gone_sid);
      changed = TRUE;
    }

  self->participant_revision = revision;
  if (changed || self->published_revision == 0)
    convoke_rsp_session_send_update (self, "published",
                                     convoke_rsp_session_describe_published (self));
  return TRUE;
}

/* ---- what the room sends ------------------------------------------------ */

static void
session_send (gpointer transport, JsonObject *message)
{
  ConvokeRspSession *self = transport;
  const char *type = convoke_json_get_string (message, "type");

  if (self->over || type == NULL)
    return;
  if (g_str_equal (type, "dominant-speaker") || g_str_equal (type, "network-quality"))
    {
      convoke_rsp_session_msp_from_room (self, message);
      return;
    }
  if (self->participant == NULL)
    return;
  if (g_str_equal (type, "participant-connected")
      || g_str_equal (type, "participant-disconnected")
      || g_str_equal (type, "track-published") || g_str_equal (type, "track-unpublished")
      || g_str_equal (type, "track-updated"))
    convoke_rsp_session_remote_changed (self, message);
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

/* The SDK opts in through `connect.media_signaling`. */
static gboolean
session_get_join_flag (gpointer transport, const char *feature)
{
  return convoke_rsp_session_get_msp_flag (transport, feature);
}

static const ConvokeParticipantTransport session_transport = {
  .send = session_send,
  .close = session_close,
  .get_trickle = session_get_trickle,
  .get_reuses_mlines = session_get_reuses_mlines,
  .get_join_flag = session_get_join_flag,
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
  g_hash_table_destroy (self->peer_connections);
  g_hash_table_destroy (self->closed_ids);
  g_free (self->subscribed_key);
  convoke_rsp_session_msp_clear (self);
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
  JsonObject *participant = convoke_rsp_json_object (body, "participant");
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
  if (convoke_rsp_json_object (body, "participant") != NULL
      && !apply_participant (self, convoke_rsp_json_object (body, "participant"), error))
    return FALSE;
  connected = convoke_rsp_session_build_state (self, "connected");
  self->state_sent = TRUE;
  convoke_rsp_session_send_body (self, connected);
  if (!convoke_rsp_session_after_connect (self, body, error))
    return FALSE;
  convoke_rsp_session_msp_started (self);
  return TRUE;
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
  if (convoke_rsp_json_object (body, "participant") != NULL
      && !apply_participant (self, convoke_rsp_json_object (body, "participant"), error))
    return FALSE;
  synced = convoke_rsp_session_build_state (self, "synced");
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
