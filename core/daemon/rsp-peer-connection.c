/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-signaling"
#include "rsp-session-private.h"

#include <string.h>

#include "i18n.h"
#include "twilio-error.h"
#include "untrusted-json.h"
#include "untrusted-text.h"

#define SERVER "server"
/* Peer connection ids are UUIDs; anything much longer is not one. */
#define MAX_ID_BYTES 64
/* What one list may hold: browsers gather a handful per interface. */
#define MAX_CANDIDATES 64
#define MAX_CANDIDATES_PER_UFRAG 256
#define MAX_QUOTED_CHARS 64

void
rsp_peer_connection_free (RspPeerConnection *pc)
{
  if (pc == NULL)
    return;
  g_free (pc->id);
  g_free (pc->remote);
  g_free (pc->offer_to_client);
  g_free (pc->last_type);
  g_free (pc->last_sdp);
  g_free (pc->remote_ufrag);
  g_free (pc->in_ufrag);
  g_clear_pointer (&pc->in_seen, g_hash_table_unref);
  g_free (pc->out_ufrag);
  g_clear_pointer (&pc->out_candidates, json_array_unref);
  g_free (pc);
}

static RspPeerConnection *
pc_new (ConvokeRspSession *self, const char *id, const char *remote)
{
  RspPeerConnection *pc = g_new0 (RspPeerConnection, 1);

  pc->id = id != NULL ? g_strdup (id) : g_uuid_string_random ();
  pc->remote = g_strdup (remote);
  pc->out_candidates = json_array_new ();
  pc->in_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (convoke_rsp_session_get_peer_connections (self), pc->id, pc);
  return pc;
}

RspPeerConnection *
convoke_rsp_session_find_remote_pc (ConvokeRspSession *self, const char *remote_sid)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, convoke_rsp_session_get_peer_connections (self));
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RspPeerConnection *pc = value;

      if (g_strcmp0 (pc->remote, remote_sid) == 0)
        return pc;
    }
  return NULL;
}

/* The first a=ice-ufrag of @sdp (the SDK reads the same one), or NULL. */
static char *
sdp_ufrag (const char *sdp)
{
  const char *line = sdp != NULL ? strstr (sdp, "a=ice-ufrag:") : NULL;
  gsize length;

  if (line == NULL)
    return NULL;
  line += strlen ("a=ice-ufrag:");
  length = strcspn (line, "\r\n");
  return length > 0 ? g_strndup (line, length) : NULL;
}

static JsonNode *
single_pc_update (ConvokeRspSession *self, JsonObject *pc_state)
{
  JsonArray *list = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  json_array_add_object_element (list, pc_state);
  json_node_take_array (node, list);
  return node;
}

static void
send_pc_state (ConvokeRspSession *self, JsonObject *pc_state)
{
  g_autoptr (JsonObject) body = convoke_rsp_session_new_body (self, "update");

  json_object_set_member (body, "peer_connections", single_pc_update (self, pc_state));
  convoke_rsp_session_send_body (self, body);
}

static JsonObject *
description (const char *type, gint64 revision, const char *sdp)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "type", type);
  if (revision > 0)
    json_object_set_int_member (object, "revision", revision);
  if (sdp != NULL)
    json_object_set_string_member (object, "sdp", sdp);
  return object;
}

static void
send_description (ConvokeRspSession *self, RspPeerConnection *pc, const char *type,
                  gint64 revision, const char *sdp)
{
  JsonObject *state = json_object_new ();

  if (sdp != NULL)
    {
      g_free (pc->last_type);
      pc->last_type = g_strdup (type);
      pc->last_revision = revision;
      g_free (pc->last_sdp);
      pc->last_sdp = g_strdup (sdp);
    }

  json_object_set_string_member (state, "id", pc->id);
  json_object_set_object_member (state, "description", description (type, revision, sdp));
  send_pc_state (self, state);
}

static JsonObject *
describe_ice (RspPeerConnection *pc)
{
  JsonObject *ice = json_object_new ();

  json_object_set_string_member (ice, "ufrag", pc->out_ufrag);
  json_object_set_array_member (ice, "candidates", json_array_ref (pc->out_candidates));
  json_object_set_int_member (ice, "revision", pc->out_revision);
  if (pc->out_complete)
    json_object_set_boolean_member (ice, "complete", TRUE);
  return ice;
}

/* ---- room → client ------------------------------------------------------- */

static void
relay_candidate (ConvokeRspSession *self, RspPeerConnection *pc, JsonObject *message)
{
  const char *candidate = convoke_json_get_string (message, "candidate");
  const char *ufrag = convoke_json_get_string (message, "usernameFragment");
  JsonObject *state;

  if (candidate == NULL)
    return;
  if (ufrag == NULL)
    ufrag = pc->remote_ufrag;
  if (ufrag == NULL)
    return; /* no description yet: the client could not use it */
  if (g_strcmp0 (ufrag, pc->out_ufrag) != 0)
    {
      g_free (pc->out_ufrag);
      pc->out_ufrag = g_strdup (ufrag);
      json_array_unref (pc->out_candidates);
      pc->out_candidates = json_array_new ();
      pc->out_complete = FALSE;
    }
  if (*candidate == '\0')
    pc->out_complete = TRUE;
  else if (json_array_get_length (pc->out_candidates) < MAX_CANDIDATES)
    {
      JsonObject *entry = json_object_new ();
      JsonNode *mid = json_object_get_member (message, "sdpMid");
      JsonNode *index = json_object_get_member (message, "sdpMLineIndex");

      json_object_set_string_member (entry, "candidate", candidate);
      /* The client's RTCIceCandidate needs one of the two; with BUNDLE the
       * first m-line's stands for all. */
      json_object_set_member (entry, "sdpMid",
                              mid != NULL ? json_node_copy (mid) : json_node_init_string (json_node_alloc (), "0"));
      json_object_set_member (entry, "sdpMLineIndex",
                              index != NULL ? json_node_copy (index)
                                            : json_node_init_int (json_node_alloc (), 0));
      json_object_set_string_member (entry, "usernameFragment", ufrag);
      json_array_add_object_element (pc->out_candidates, entry);
    }
  else
    return;
  pc->out_revision++;
  state = json_object_new ();
  json_object_set_string_member (state, "id", pc->id);
  json_object_set_object_member (state, "ice", describe_ice (pc));
  send_pc_state (self, state);
}

void
convoke_rsp_session_relay_from_room (ConvokeRspSession *self, JsonObject *message,
                                     const char *type)
{
  const char *from = convoke_json_get_string (message, "from");
  const char *id = convoke_json_get_string (message, "peer_connection");
  const char *sdp = convoke_json_get_string (message, "sdp");
  gint64 revision = convoke_rsp_get_count (message, "revision");
  RspPeerConnection *pc;

  if (from == NULL)
    return;
  pc = convoke_rsp_session_find_remote_pc (self, from);
  if (pc == NULL && g_str_equal (type, "offer"))
    {
      /* An SDK peer's description keeps its own id (both ends then agree
       * on ids and revisions); any other offer opens a new one. */
      if (id == NULL || strlen (id) > MAX_ID_BYTES
          || g_hash_table_contains (convoke_rsp_session_get_peer_connections (self), id)
          || g_hash_table_contains (convoke_rsp_session_get_closed_ids (self), id))
        id = NULL;
      pc = pc_new (self, id, from);
    }
  if (pc == NULL)
    return;

  if (g_str_equal (type, "candidate"))
    {
      relay_candidate (self, pc, message);
      return;
    }
  if (sdp == NULL)
    return;

  if (g_str_equal (type, "offer"))
    {
      if (pc->client_offer_pending)
        {
          /* Glare: the client's offer came first and the other side gives
           * way (the worker rolls back; an SDK peer's session dropped
           * ours the same way). */
          g_debug ("rsp: %s: dropping an offer that crossed the client's", pc->id);
          return;
        }
      /* A client may offer with any revision up to G_MAXINT64; after that
       * one no offer can be above it (and pc->revision + 1 would
       * overflow), so the peer connection takes no more offers. */
      if (revision <= pc->revision && pc->revision == G_MAXINT64)
        {
          g_debug ("rsp: %s: dropping an offer: no revision left above the client's",
                   pc->id);
          return;
        }
      pc->revision = revision > pc->revision ? revision : pc->revision + 1;
      g_free (pc->offer_to_client);
      pc->offer_to_client = g_strdup (sdp);
      g_free (pc->remote_ufrag);
      pc->remote_ufrag = sdp_ufrag (sdp);
      g_debug ("rsp: %s: offer %" G_GINT64_FORMAT " from %s to the client", pc->id,
               pc->revision, from);
      send_description (self, pc, "offer", pc->revision, sdp);
      convoke_rsp_session_refresh_subscribed (self);
    }
  else if (g_str_equal (type, "answer"))
    {
      g_debug ("rsp: %s: answer from %s to the client (%s)", pc->id, from,
               pc->client_offer_pending ? "sent" : "dropped: no offer pending");
      if (!pc->client_offer_pending)
        return;
      pc->client_offer_pending = FALSE;
      pc->negotiated = TRUE;
      g_free (pc->remote_ufrag);
      pc->remote_ufrag = sdp_ufrag (sdp);
      send_description (self, pc, "answer", pc->revision, sdp);
      convoke_rsp_session_refresh_subscribed (self);
    }
}

/* ---- client → room ------------------------------------------------------- */

static gboolean
dispatch (ConvokeRspSession *self, RspPeerConnection *pc, const char *type,
          JsonObject *message, GError **error)
{
  ConvokeParticipant *participant = convoke_rsp_session_get_participant (self);

  json_object_set_string_member (message, "type", type);
  json_object_set_string_member (message, "to", pc->remote);
  json_object_set_string_member (message, "peer_connection", pc->id);
  return convoke_room_registry_dispatch (convoke_rsp_session_get_registry (self),
                                         participant, type, message, error);
}

static gboolean
apply_description (ConvokeRspSession *self, RspPeerConnection *pc, JsonObject *desc,
                   GError **error)
{
  const char *type = convoke_json_get_string (desc, "type");
  const char *sdp = convoke_json_get_string (desc, "sdp");
  gint64 revision = convoke_rsp_get_count (desc, "revision");
  g_autoptr (JsonObject) message = json_object_new ();

  if (type == NULL)
    return convoke_rsp_fail (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                             _ ("Peer connection %s: “description” has no string “type”"),
                             pc->id);
  if (g_str_equal (type, "close"))
    {
      /* The client gave up on it (ICE failed for good); a new pair needs a
       * new id. */
      g_hash_table_add (convoke_rsp_session_get_closed_ids (self), g_strdup (pc->id));
      g_hash_table_remove (convoke_rsp_session_get_peer_connections (self), pc->id);
      return TRUE;
    }
  if (!g_str_equal (type, "offer") && !g_str_equal (type, "answer"))
    return TRUE; /* rollback and the like: nothing for the room */
  if (sdp == NULL || revision < 1)
    return convoke_rsp_fail (
        error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
        _ ("Peer connection %s: an “%s” needs a string “sdp” and a “revision” of 1 or more"),
        pc->id, type);

  if (g_str_equal (type, "offer"))
    {
      if (revision <= pc->revision)
        return convoke_rsp_fail (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                                 _ ("Peer connection %s: offer revision %lld is not above "
                                    "the last one, %lld"),
                                 pc->id, (long long) revision, (long long) pc->revision);
      if (pc->offer_to_client != NULL)
        {
          /* Glare: ours came first; the client rolls back, answers it and
           * offers again. */
          g_debug ("rsp: %s: dropping a client offer that crossed ours", pc->id);
          return TRUE;
        }
      g_debug ("rsp: %s: client offer %" G_GINT64_FORMAT " to %s", pc->id, revision,
               pc->remote);
      pc->revision = revision;
      pc->client_offer_pending = TRUE;
      json_object_set_string_member (message, "sdp", sdp);
      json_object_set_int_member (message, "revision", revision);
      return dispatch (self, pc, "offer", message, error);
    }

  if (pc->offer_to_client == NULL || revision != pc->revision)
    {
      g_debug ("rsp: %s: ignoring an answer to no offer (revision %" G_GINT64_FORMAT ")",
               pc->id, revision);
      return TRUE;
    }
  g_clear_pointer (&pc->offer_to_client, g_free);
  pc->negotiated = TRUE;
  json_object_set_string_member (message, "sdp", sdp);
  json_object_set_int_member (message, "revision", revision);
  if (!dispatch (self, pc, "answer", message, error))
    return FALSE;
  convoke_rsp_session_refresh_subscribed (self);
  return TRUE;
}

static gboolean
send_candidate (ConvokeRspSession *self, RspPeerConnection *pc, JsonObject *entry,
                const char *candidate, GError **error)
{
  g_autoptr (JsonObject) message = json_object_new ();
  JsonNode *mid = entry != NULL ? json_object_get_member (entry, "sdpMid") : NULL;
  JsonNode *index = entry != NULL ? json_object_get_member (entry, "sdpMLineIndex") : NULL;

  json_object_set_string_member (message, "candidate", candidate);
  json_object_set_member (message, "sdpMid",
                          mid != NULL && JSON_NODE_HOLDS_VALUE (mid)
                              ? json_node_copy (mid)
                              : json_node_init_string (json_node_alloc (), "0"));
  json_object_set_member (message, "sdpMLineIndex",
                          index != NULL && JSON_NODE_HOLDS_VALUE (index)
                              ? json_node_copy (index)
                              : json_node_init_int (json_node_alloc (), 0));
  json_object_set_string_member (message, "usernameFragment", pc->in_ufrag);
  return dispatch (self, pc, "candidate", message, error);
}

static gboolean
apply_ice (ConvokeRspSession *self, RspPeerConnection *pc, JsonObject *ice, GError **error)
{
  const char *ufrag = convoke_json_get_string (ice, "ufrag");
  JsonNode *list_node = json_object_get_member (ice, "candidates");
  JsonArray *list = list_node != NULL && JSON_NODE_HOLDS_ARRAY (list_node)
                        ? json_node_get_array (list_node)
                        : NULL;
  gint64 revision = convoke_rsp_get_count (ice, "revision");
  JsonNode *complete_node = json_object_get_member (ice, "complete");
  gboolean complete = complete_node != NULL && JSON_NODE_HOLDS_VALUE (complete_node)
                      && json_node_get_value_type (complete_node) == G_TYPE_BOOLEAN
                      && json_node_get_boolean (complete_node);
  guint length;

  if (ufrag == NULL || revision < 0 || (list_node != NULL && list == NULL))
    return convoke_rsp_fail (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                             _ ("Peer connection %s: “ice” needs a string “ufrag”, a number "
                                "“revision” and an array “candidates”"),
                             pc->id);
  if (revision <= pc->in_revision)
    return TRUE; /* old news */
  length = list != NULL ? json_array_get_length (list) : 0;
  if (length > MAX_CANDIDATES)
    return convoke_rsp_fail (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                             _ ("Peer connection %s: more than %d ICE candidates"), pc->id,
                             MAX_CANDIDATES);
  if (g_strcmp0 (ufrag, pc->in_ufrag) != 0)
    {
      g_free (pc->in_ufrag);
      pc->in_ufrag = g_strdup (ufrag);
      g_hash_table_remove_all (pc->in_seen);
      pc->in_complete = FALSE;
    }
  pc->in_revision = revision;

  for (guint i = 0; i < length; i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *candidate = convoke_json_get_string (entry, "candidate");

      if (candidate == NULL || *candidate == '\0')
        return convoke_rsp_fail (
            error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
            _ ("Peer connection %s: ICE candidate %u has no string “candidate”"), pc->id, i);
      if (g_hash_table_contains (pc->in_seen, candidate))
        continue;
      /* A ufrag's candidates are a handful per network interface. */
      if (g_hash_table_size (pc->in_seen) >= MAX_CANDIDATES_PER_UFRAG)
        return convoke_rsp_fail (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                                 _ ("Peer connection %s: more than %d ICE candidates for "
                                    "ufrag %s"),
                                 pc->id, MAX_CANDIDATES_PER_UFRAG, pc->in_ufrag);
      g_hash_table_add (pc->in_seen, g_strdup (candidate));
      if (!send_candidate (self, pc, entry, candidate, error))
        return FALSE;
    }
  if (complete && !pc->in_complete)
    {
      pc->in_complete = TRUE;
      return send_candidate (self, pc, NULL, "", error);
    }
  return TRUE;
}

/* The peer connection a client names: the room's media server's (the
 * one its `connect` offered on), a peer's, or none (mesh `connect`). */
static RspPeerConnection *
client_pc (ConvokeRspSession *self, const char *id, JsonObject *desc, GError **error)
{
  GHashTable *pcs = convoke_rsp_session_get_peer_connections (self);
  RspPeerConnection *pc = g_hash_table_lookup (pcs, id);
  g_autofree char *quoted = NULL;

  if (pc != NULL)
    return pc;
  if (!convoke_rsp_session_is_mesh (self)
      && convoke_rsp_session_find_remote_pc (self, SERVER) == NULL
      && g_strcmp0 (convoke_json_get_string (desc, "type"), "offer") == 0)
    return pc_new (self, id, SERVER);
  quoted = convoke_quote_untrusted (id, MAX_QUOTED_CHARS);
  convoke_rsp_fail (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                    _ ("Unknown peer connection “%s”: the server never offered it"), quoted);
  return NULL;
}

gboolean
convoke_rsp_session_apply_peer_connections (ConvokeRspSession *self, JsonArray *list,
                                            GError **error)
{
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      JsonObject *state = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *id = convoke_json_get_string (state, "id");
      JsonNode *desc_node = state ? json_object_get_member (state, "description") : NULL;
      JsonNode *ice_node = state ? json_object_get_member (state, "ice") : NULL;
      JsonObject *desc = desc_node != NULL && JSON_NODE_HOLDS_OBJECT (desc_node)
                             ? json_node_get_object (desc_node)
                             : NULL;
      JsonObject *ice = ice_node != NULL && JSON_NODE_HOLDS_OBJECT (ice_node)
                            ? json_node_get_object (ice_node)
                            : NULL;
      RspPeerConnection *pc;

      if (id == NULL || *id == '\0' || strlen (id) > MAX_ID_BYTES
          || (desc_node != NULL && desc == NULL) || (ice_node != NULL && ice == NULL))
        return convoke_rsp_fail (
            error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
            _ ("Each of “peer_connections” needs a string “id” (up to %d bytes) and "
               "optional objects “description” and “ice”"),
            MAX_ID_BYTES);
      if (g_hash_table_contains (convoke_rsp_session_get_closed_ids (self), id))
        continue;
      pc = client_pc (self, id, desc, error);
      if (pc == NULL)
        return FALSE;
      /* ICE for a description that follows: the description first. */
      if (desc != NULL && !apply_description (self, pc, desc, error))
        return FALSE;
      pc = g_hash_table_lookup (convoke_rsp_session_get_peer_connections (self), id);
      if (pc != NULL && ice != NULL && !apply_ice (self, pc, ice, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- lifecycle ----------------------------------------------------------- */

/* In a mesh room, the `connect` offer has no peer: close it. */
static void
close_connect_offers (ConvokeRspSession *self, JsonArray *closes)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, convoke_rsp_session_get_closed_ids (self));
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      JsonObject *state = json_object_new ();

      json_object_set_string_member (state, "id", key);
      json_object_set_object_member (state, "description", description ("close", 0, NULL));
      json_array_add_object_element (closes, state);
    }
}

void
convoke_rsp_session_connect_peers (ConvokeRspSession *self)
{
  ConvokeParticipant *participant = convoke_rsp_session_get_participant (self);
  g_autoptr (JsonObject) body = NULL;
  JsonArray *list;

  if (!convoke_rsp_session_is_mesh (self))
    return;
  body = convoke_rsp_session_new_body (self, "update");
  list = json_array_new ();
  close_connect_offers (self, list);
  for (guint i = 0; i < participant->room->participants->len; i++)
    {
      ConvokeParticipant *other = g_ptr_array_index (participant->room->participants, i);
      RspPeerConnection *pc;
      JsonObject *state;

      if (other == participant || other->status != CONVOKE_PARTICIPANT_CONNECTED)
        continue;
      /* The newcomer offers, with revision 2 (create-offer's + 1). */
      pc = pc_new (self, NULL, other->sid);
      pc->revision = 1;
      state = json_object_new ();
      json_object_set_string_member (state, "id", pc->id);
      json_object_set_object_member (state, "description",
                                     description ("create-offer", 1, NULL));
      json_array_add_object_element (list, state);
    }
  json_object_set_array_member (body, "peer_connections", list);
  if (json_array_get_length (list) > 0)
    convoke_rsp_session_send_body (self, body);
}

void
convoke_rsp_session_close_remote_pc (ConvokeRspSession *self, const char *remote_sid)
{
  RspPeerConnection *pc = convoke_rsp_session_find_remote_pc (self, remote_sid);
  g_autofree char *id = NULL;

  if (pc == NULL)
    return;
  id = g_strdup (pc->id);
  send_description (self, pc, "close", 0, NULL);
  g_hash_table_add (convoke_rsp_session_get_closed_ids (self), g_strdup (id));
  g_hash_table_remove (convoke_rsp_session_get_peer_connections (self), id);
}

JsonArray *
convoke_rsp_session_describe_peer_connections (ConvokeRspSession *self)
{
  JsonArray *list = json_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, convoke_rsp_session_get_peer_connections (self));
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RspPeerConnection *pc = value;
      JsonObject *state = json_object_new ();

      json_object_set_string_member (state, "id", pc->id);
      /* The SDK applies an offer only above its last stable revision and
       * an answer only to its pending offer of that revision, so sending
       * the last one again is harmless when it already had it. */
      if (pc->last_sdp != NULL)
        json_object_set_object_member (state, "description",
                                       description (pc->last_type, pc->last_revision,
                                                    pc->last_sdp));
      if (pc->out_ufrag != NULL)
        json_object_set_object_member (state, "ice", describe_ice (pc));
      json_array_add_object_element (list, state);
    }
  return list;
}

void
convoke_rsp_session_description_refused (ConvokeRspSession *self, int code)
{
  GHashTableIter iter;
  gpointer value;

  /* 534xx: an SDP the server could not use. Its answer will not come, and
   * a peer connection still waiting for it would drop every offer of the
   * room as glare. */
  if (code < CONVOKE_ERROR_SDP_CLIENT_LOCAL || code > CONVOKE_ERROR_SDP_NO_SUPPORTED_CODEC)
    return;
  g_hash_table_iter_init (&iter, convoke_rsp_session_get_peer_connections (self));
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((RspPeerConnection *) value)->client_offer_pending = FALSE;
}

GPtrArray *
convoke_rsp_sdp_forwarded (const char *sdp)
{
  g_auto (GStrv) sections = NULL;
  GPtrArray *out;

  if (sdp == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func (g_free);
  sections = g_strsplit (sdp, "\r\nm=", -1);
  /* [0] is the session part. */
  for (guint i = 1; sections[i] != NULL; i++)
    {
      g_auto (GStrv) lines = g_strsplit (sections[i], "\r\n", -1);
      g_auto (GStrv) mline = g_strsplit (lines[0], " ", 3);
      const char *msid = NULL;
      gboolean sends = FALSE;

      if (g_strv_length (mline) < 2 || g_str_equal (mline[1], "0"))
        continue;
      for (guint l = 1; lines[l] != NULL; l++)
        {
          if (g_str_has_prefix (lines[l], "a=msid:") && msid == NULL)
            msid = lines[l] + strlen ("a=msid:");
          else if (g_str_equal (lines[l], "a=sendonly") || g_str_equal (lines[l], "a=sendrecv"))
            sends = TRUE;
        }
      if (sends && msid != NULL)
        {
          const char *space = strchr (msid, ' ');

          if (space == NULL || space == msid || space[1] == '\0')
            continue;
          g_ptr_array_add (out, g_strndup (msid, space - msid));
          g_ptr_array_add (out, g_strdup (space + 1));
        }
    }
  return out;
}
