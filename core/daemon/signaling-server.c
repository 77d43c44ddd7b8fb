/* The WebSocket signaling endpoint: the protocol of docs/signaling.md on
 * top of ConvokeSignalingConnection (which enforces the per-connection
 * limits), the room registry (rooms, participants, tracks) and the topology
 * modules (offer/answer/candidate and module-defined messages).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "signaling-server.h"

#include "cluster-proxy.h"

#include <string.h>

#include "i18n.h"
#include "untrusted-json.h"
#include "untrusted-text.h"
#include "access-token.h"
#include "http-listener.h"
#include "ice-servers.h"
#include "metrics.h"
#include "signaling-connection.h"
#include "tcmp-front-end.h"
#include "twilio-error.h"
#include "ws-limit-stream.h"

#define SIGNALING_PATH "/v1/Signaling"
#define PROTOCOL_VERSION 1
/* Twilio's own limits for track names, and a bound on the tracks one
 * participant may announce so that a client cannot grow the room's state
 * without end. */
#define MAX_TRACK_NAME_CHARS 128
#define MAX_TRACKS_PER_PARTICIPANT 64
/* A client's own track id (its a=msid), e.g. a UUID. */
#define MAX_MSID_BYTES 128
/* Client-chosen strings quoted in error messages are cut to this. */
#define MAX_QUOTED_CHARS 64

struct _ConvokeSignalingServer
{
  ConvokeDaemon *daemon; /* not owned: the daemon owns us */
  SoupServer *soup_server;
  ConvokeRoomRegistry *registry;
  GHashTable *connections; /* ConvokeSignalingConnection* (owned) →
                            * ConvokeHttpClient* (owned, may be NULL) */
  gulong registry_handlers[5];
  ConvokeTcmpFrontEnd *tcmp; /* the Twilio SDK protocol at /signaling */
};

/* ---- helpers ------------------------------------------------------------ */

/* The WebSocket close code that goes with a fatal Twilio error. */
static gushort
close_code_for_error (int code)
{
  switch (code)
    {
    case CONVOKE_ERROR_ROOM_COMPLETED:
      return SOUP_WEBSOCKET_CLOSE_NORMAL;
    case CONVOKE_ERROR_SIGNALING_TIMED_OUT:
      return SOUP_WEBSOCKET_CLOSE_GOING_AWAY;
    case CONVOKE_ERROR_SIGNALING_MESSAGE_TOO_LARGE:
      return SOUP_WEBSOCKET_CLOSE_TOO_BIG;
    case CONVOKE_ERROR_ROOM_MEDIA_FAILED:
    case CONVOKE_ERROR_INTERNAL:
    case CONVOKE_ERROR_SERVER_BUSY:
      return SOUP_WEBSOCKET_CLOSE_SERVER_ERROR;
    default:
      return SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION;
    }
}

static int
error_code (const GError *error, int fallback)
{
  return error != NULL && error->domain == CONVOKE_ERROR ? error->code : fallback;
}

/* ---- the participant transport ------------------------------------------ */

static void
transport_send (gpointer transport, JsonObject *message)
{
  convoke_signaling_connection_send (transport, message, NULL);
}

static void
transport_close (gpointer transport, int code, const char *reason)
{
  convoke_signaling_connection_fail (transport, NULL, code, reason,
                                     close_code_for_error (code));
}

static gboolean
transport_get_trickle (gpointer transport)
{
  return convoke_signaling_connection_get_trickle (transport);
}

static gboolean
transport_get_reuses_mlines (gpointer transport)
{
  return convoke_signaling_connection_get_reuses_mlines (transport);
}

static gboolean
transport_get_join_flag (gpointer transport, const char *feature)
{
  return convoke_signaling_connection_get_join_flag (transport, feature);
}

static const ConvokeParticipantTransport transport_vtable = {
  .send = transport_send,
  .close = transport_close,
  .get_trickle = transport_get_trickle,
  .get_reuses_mlines = transport_get_reuses_mlines,
  .get_join_flag = transport_get_join_flag,
};

/* What a client may opt in to in `join` (ConvokeCoreApi.participant_get_
 * join_flag); modules decide what each means. */
static const char *const join_flags[] = { "dominant_speaker", "network_quality" };

static gboolean
is_boolean (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN;
}

static gboolean
participant_trickle (ConvokeParticipant *participant)
{
  /* Participants that joined some other way (tests, future transports)
   * have no flag; trickle is the protocol's default. */
  if (participant->transport_vtable == &transport_vtable
      && participant->transport != NULL)
    return convoke_signaling_connection_get_trickle (participant->transport);
  return TRUE;
}

/* ---- message building ----------------------------------------------------- */

static JsonObject *
describe_track (ConvokeTrack *track, gboolean full)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "sid", track->sid);
  if (full)
    {
      json_object_set_string_member (object, "name", track->name);
      json_object_set_string_member (object, "kind", track->kind);
      json_object_set_boolean_member (object, "enabled", track->enabled);
      if (track->client_id != NULL)
        json_object_set_string_member (object, "msid", track->client_id);
    }
  return object;
}

static JsonObject *
describe_participant (ConvokeParticipant *participant, gboolean full)
{
  JsonObject *object = json_object_new ();
  JsonArray *tracks;

  json_object_set_string_member (object, "sid", participant->sid);
  json_object_set_string_member (object, "identity", participant->identity);
  if (!full)
    return object;

  json_object_set_boolean_member (object, "trickle", participant_trickle (participant));
  tracks = json_array_new ();
  for (guint i = 0; i < participant->published_tracks->len; i++)
    json_array_add_object_element (
        tracks,
        describe_track (g_ptr_array_index (participant->published_tracks, i), TRUE));
  json_object_set_array_member (object, "tracks", tracks);
  return object;
}

static JsonObject *
track_event (const char *type, ConvokeParticipant *participant, ConvokeTrack *track,
             gboolean full)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "type", type);
  json_object_set_string_member (message, "participant", participant->sid);
  json_object_set_object_member (message, "track", describe_track (track, full));
  return message;
}

/* Sends @message to every connected participant of @room but @except. */
static void
broadcast (ConvokeRoom *room, ConvokeParticipant *except, JsonObject *message)
{
  for (guint i = 0; i < room->participants->len; i++)
    {
      ConvokeParticipant *other = g_ptr_array_index (room->participants, i);

      if (other != except && other->status == CONVOKE_PARTICIPANT_CONNECTED)
        convoke_participant_send (other, message);
    }
}

/* ---- registry events ---------------------------------------------------- */

static void
on_participant_connected (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                          ConvokeSignalingServer *self)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", "participant-connected");
  json_object_set_object_member (message, "participant",
                                 describe_participant (participant, TRUE));
  broadcast (participant->room, participant, message);
}

static void
on_participant_disconnected (ConvokeRoomRegistry *registry,
                             ConvokeParticipant *participant,
                             ConvokeSignalingServer *self)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", "participant-disconnected");
  json_object_set_object_member (message, "participant",
                                 describe_participant (participant, FALSE));
  broadcast (participant->room, participant, message);
}

/* Track changes reach the other participants from the registry's signals,
 * so that the tracks a departing participant still had are unpublished
 * too. The publisher's own answer (with its `id`) is sent by the message
 * handlers below. */
static void
on_track_added (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                ConvokeTrack *track, ConvokeSignalingServer *self)
{
  g_autoptr (JsonObject) message
      = track_event ("track-published", participant, track, TRUE);

  broadcast (participant->room, participant, message);
}

static void
on_track_removed (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                  ConvokeTrack *track, ConvokeSignalingServer *self)
{
  g_autoptr (JsonObject) message
      = track_event ("track-unpublished", participant, track, FALSE);

  broadcast (participant->room, participant, message);
}

static void
on_track_updated (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                  ConvokeTrack *track, ConvokeSignalingServer *self)
{
  g_autoptr (JsonObject) message = track_event ("track-updated", participant, track, TRUE);

  broadcast (participant->room, participant, message);
}

/* ---- join --------------------------------------------------------------- */

/* Whether the room a client asked for is the one its token grants; either
 * may be the room's sid or its unique name. */
static gboolean
room_matches_grant (ConvokeSignalingServer *self, const char *requested,
                    const char *granted)
{
  ConvokeRoom *room;

  if (g_str_equal (requested, granted))
    return TRUE;
  room = convoke_room_registry_lookup (self->registry, requested);
  return room != NULL
         && (g_strcmp0 (room->sid, granted) == 0
             || g_strcmp0 (room->unique_name, granted) == 0);
}

static JsonObject *
build_joined (ConvokeSignalingConnection *conn, ConvokeParticipant *participant,
              ConvokeConfig *config)
{
  ConvokeRoom *room = participant->room;
  JsonObject *joined = json_object_new ();
  JsonObject *object;
  JsonArray *others = json_array_new ();

  json_object_set_string_member (joined, "type", "joined");
  json_object_set_int_member (joined, "version", PROTOCOL_VERSION);
  json_object_set_object_member (joined, "participant",
                                 describe_participant (participant, FALSE));

  object = json_object_new ();
  json_object_set_string_member (object, "sid", room->sid);
  json_object_set_string_member (object, "name", room->unique_name);
  json_object_set_string_member (object, "type", room->type->name);
  json_object_set_object_member (joined, "room", object);

  json_object_set_string_member (joined, "topology",
                                 room->module->vtable->client_topology);

  for (guint i = 0; i < room->participants->len; i++)
    {
      ConvokeParticipant *other = g_ptr_array_index (room->participants, i);

      if (other != participant && other->status == CONVOKE_PARTICIPANT_CONNECTED)
        json_array_add_object_element (others, describe_participant (other, TRUE));
    }
  json_object_set_array_member (joined, "participants", others);

  json_object_set_member (joined, "ice_servers",
                          convoke_ice_servers_for (config, participant->identity,
                                                   g_get_real_time () / G_USEC_PER_SEC));
  json_object_set_int_member (joined, "keepalive_interval",
                              convoke_signaling_connection_get_keepalive_interval (conn));
  return joined;
}

ConvokeParticipant *
convoke_signaling_server_join (ConvokeSignalingServer *self, const char *jwt,
                               const char *requested_room,
                               const ConvokeParticipantTransport *vtable,
                               gpointer transport, GError **error)
{
  g_autoptr (ConvokeConfig) config
      = convoke_config_ref (convoke_daemon_get_config (self->daemon));
  g_autoptr (ConvokeAccessToken) token = NULL;

  if (jwt == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID,
                   _ ("The join request carries no access token"));
      return NULL;
    }
  token = convoke_access_token_verify (jwt, config->api_key, config->api_secret, NULL,
                                       CONVOKE_TOKEN_CLOCK_SKEW, error);
  if (token == NULL)
    return NULL;
  if (requested_room != NULL && token->room != NULL
      && !room_matches_grant (self, requested_room, token->room))
    {
      g_autofree char *quoted_requested
          = convoke_quote_untrusted (requested_room, MAX_QUOTED_CHARS);
      g_autofree char *quoted_granted
          = convoke_quote_untrusted (token->room, MAX_QUOTED_CHARS);

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_GRANTS_INVALID,
                   _ ("Access token grants room “%s”, not room “%s”"), quoted_granted,
                   quoted_requested);
      return NULL;
    }
  return convoke_room_registry_join (self->registry,
                                     requested_room != NULL ? requested_room : token->room,
                                     token->identity, vtable, transport, error);
}

void
convoke_signaling_server_authenticated (ConvokeSignalingServer *self,
                                        ConvokeSignalingConnection *conn)
{
  ConvokeHttpClient *client = g_hash_table_lookup (self->connections, conn);

  if (client != NULL)
    convoke_http_client_set_authenticated (client);
}

static void join_here (ConvokeSignalingServer *self, ConvokeSignalingConnection *conn,
                       JsonObject *message, JsonNode *id);
static gboolean route_join (ConvokeSignalingServer *self, ConvokeSignalingConnection *conn,
                            JsonObject *message, JsonNode *id);

static void
handle_join (ConvokeSignalingServer *self, ConvokeSignalingConnection *conn,
             JsonObject *message, JsonNode *id)
{
  JsonNode *trickle = json_object_get_member (message, "trickle");
  JsonNode *reuse = json_object_get_member (message, "reuse_mlines");
  JsonNode *room_node = json_object_get_member (message, "room");
  const char *jwt = convoke_json_get_string (message, "token");
  const char *requested = convoke_json_get_string (message, "room");

  if (convoke_signaling_connection_get_participant (conn) != NULL)
    {
      convoke_signaling_connection_send_error (
          conn, id, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
          _ ("Already joined: a connection joins once; open another one to join again"));
      return;
    }
  if ((room_node != NULL && requested == NULL)
      || (trickle != NULL
          && !(JSON_NODE_HOLDS_VALUE (trickle)
               && json_node_get_value_type (trickle) == G_TYPE_BOOLEAN))
      || (reuse != NULL
          && !(JSON_NODE_HOLDS_VALUE (reuse)
               && json_node_get_value_type (reuse) == G_TYPE_BOOLEAN)))
    {
      convoke_signaling_connection_send_error (
          conn, id, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
          _ ("“join” has a “room” that is not a string, or a “trickle” or "
             "“reuse_mlines” that is not a boolean"));
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (join_flags); i++)
    {
      JsonNode *flag = json_object_get_member (message, join_flags[i]);

      if (flag != NULL && !is_boolean (flag))
        {
          g_autofree char *text = g_strdup_printf (
              _ ("“join” has a “%s” that is not a boolean"), join_flags[i]);

          convoke_signaling_connection_send_error (
              conn, id, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE, text);
          return;
        }
    }
  if (jwt == NULL)
    {
      convoke_signaling_connection_fail (conn, id, CONVOKE_ERROR_TOKEN_INVALID,
                                         _ ("“join” needs a string member “token”"),
                                         SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
      return;
    }

  convoke_signaling_connection_set_trickle (
      conn, trickle != NULL ? json_node_get_boolean (trickle) : TRUE);
  convoke_signaling_connection_set_reuses_mlines (
      conn, reuse != NULL && json_node_get_boolean (reuse));
  for (guint i = 0; i < G_N_ELEMENTS (join_flags); i++)
    {
      JsonNode *flag = json_object_get_member (message, join_flags[i]);

      convoke_signaling_connection_set_join_flag (
          conn, join_flags[i], flag != NULL && json_node_get_boolean (flag));
    }

  if (!route_join (self, conn, message, id))
    join_here (self, conn, message, id);
}

/* The room is on this node. */
static void
join_here (ConvokeSignalingServer *self, ConvokeSignalingConnection *conn,
           JsonObject *message, JsonNode *id)
{
  g_autoptr (ConvokeConfig) config
      = convoke_config_ref (convoke_daemon_get_config (self->daemon));
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) joined = NULL;
  const char *jwt = convoke_json_get_string (message, "token");
  const char *requested = convoke_json_get_string (message, "room");
  ConvokeParticipant *participant;

  /* Modules and the registry's signal handlers may send to the newcomer
   * from inside the join; all of that must arrive after `joined`. */
  convoke_signaling_connection_hold (conn);
  participant
      = convoke_signaling_server_join (self, jwt, requested, &transport_vtable, conn, &error);
  if (participant == NULL)
    {
      int code = error_code (error, CONVOKE_ERROR_INTERNAL);

      convoke_signaling_connection_fail (conn, id, code, error->message,
                                         close_code_for_error (code));
      return;
    }
  convoke_signaling_connection_set_participant (conn, participant);
  /* A valid token: the socket no longer counts as unauthenticated. */
  convoke_signaling_server_authenticated (self, conn);
  g_message ("signaling: %s joined room %s as %s (%s)",
             convoke_signaling_connection_get_peer (conn), participant->room->sid,
             participant->sid, participant->identity);

  joined = build_joined (conn, participant, config);
  /* `joined` jumps the queue: it goes out before what was held. */
  convoke_signaling_connection_send_first (conn, joined, id);
  convoke_signaling_connection_release (conn);
}

/* ---- cluster mode ------------------------------------------------------- */

typedef struct
{
  ConvokeSignalingServer *self;
  JsonObject *message;
  JsonNode *id;
} RoutedJoin;

static void
routed_join_free (gpointer data)
{
  RoutedJoin *routed = data;

  json_object_unref (routed->message);
  g_clear_pointer (&routed->id, json_node_unref);
  g_free (routed);
}

static void
on_join_routed (ConvokeSignalingConnection *conn, const GError *error, gpointer user_data)
{
  RoutedJoin *routed = user_data;

  /* The socket closed while Redis answered. */
  if (!g_hash_table_contains (routed->self->connections, conn))
    return;
  if (error != NULL)
    {
      int code = error_code (error, CONVOKE_ERROR_INTERNAL);

      convoke_signaling_connection_fail (conn, routed->id, code, error->message,
                                         close_code_for_error (code));
      return;
    }
  join_here (routed->self, conn, routed->message, routed->id);
}

/* Cluster mode: a join for a room on another node is relayed there
 * (cluster-proxy.h). Returns FALSE when the join is simply this node's:
 * no cluster, or a token that the local join will refuse with its own
 * words. */
static gboolean
route_join (ConvokeSignalingServer *self, ConvokeSignalingConnection *conn,
            JsonObject *message, JsonNode *id)
{
  ConvokeCluster *cluster = convoke_daemon_get_cluster (self->daemon);
  ConvokeConfig *config = convoke_daemon_get_config (self->daemon);
  g_autoptr (ConvokeAccessToken) token = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *first_frame = NULL;
  ConvokeClusterJoin join = { 0 };
  RoutedJoin *routed;
  const char *room;

  if (cluster == NULL)
    return FALSE;
  /* Routing needs the room, and only a valid token says which; nothing
   * is relayed for a stranger. */
  token = convoke_access_token_verify (convoke_json_get_string (message, "token"),
                                       config->api_key, config->api_secret, NULL,
                                       CONVOKE_TOKEN_CLOCK_SKEW, NULL);
  if (token == NULL)
    return FALSE;
  /* A valid token: relayed or not, the socket no longer counts against
   * the listener's unauthenticated limit (which would close the oldest
   * such sockets, relayed participants among them). */
  convoke_signaling_server_authenticated (self, conn);
  room = convoke_json_get_string (message, "room");
  if (room == NULL)
    room = token->room;
  if (room == NULL || *room == '\0')
    return FALSE;

  root = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (root, message);
  first_frame = json_to_string (root, FALSE);
  join.room_name = room;
  join.forwarded = convoke_signaling_connection_get_forwarded (conn);
  join.may_create = config->auto_create || convoke_config_named_room_type (config, room) != NULL;
  join.path = SIGNALING_PATH;
  join.subprotocol = CONVOKE_SIGNALING_PROTOCOL;
  join.first_frame = first_frame;
  routed = g_new0 (RoutedJoin, 1);
  routed->self = self;
  routed->message = json_object_ref (message);
  routed->id = id != NULL ? json_node_copy (id) : NULL;
  convoke_cluster_route_join (cluster, self->registry, conn, &join, on_join_routed, routed,
                              routed_join_free);
  return TRUE;
}

/* ---- tracks ------------------------------------------------------------- */

static JsonObject *
track_member (JsonObject *message)
{
  JsonNode *node = json_object_get_member (message, "track");

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                       : NULL;
}

/* Why @name/@kind cannot be published by @participant, or NULL. */
static char *
track_refusal (ConvokeParticipant *participant, const char *name, const char *kind)
{
  if (!g_str_equal (kind, "audio") && !g_str_equal (kind, "video")
      && !g_str_equal (kind, "data"))
    {
      g_autofree char *quoted = convoke_quote_untrusted (kind, MAX_QUOTED_CHARS);

      return g_strdup_printf (_ ("Track kind “%s” is not audio, video or data"), quoted);
    }
  if (participant->published_tracks->len >= MAX_TRACKS_PER_PARTICIPANT)
    return g_strdup_printf (_ ("A participant may publish at most %d tracks"),
                            MAX_TRACKS_PER_PARTICIPANT);
  if (name == NULL)
    return NULL;
  if (g_utf8_strlen (name, -1) > MAX_TRACK_NAME_CHARS)
    return g_strdup_printf (_ ("Track name is longer than %d characters"),
                            MAX_TRACK_NAME_CHARS);
  for (guint i = 0; i < participant->published_tracks->len; i++)
    {
      ConvokeTrack *existing = g_ptr_array_index (participant->published_tracks, i);

      if (g_str_equal (existing->name, name))
        {
          g_autofree char *quoted = convoke_quote_untrusted (name, MAX_QUOTED_CHARS);

          return g_strdup_printf (_ ("A track named “%s” is already published as %s"),
                                  quoted, existing->sid);
        }
    }
  return NULL;
}

static void
handle_track_published (ConvokeSignalingServer *self, ConvokeSignalingConnection *conn,
                        ConvokeParticipant *participant, JsonObject *message,
                        JsonNode *id)
{
  JsonObject *track_object = track_member (message);
  JsonNode *name_node
      = track_object ? json_object_get_member (track_object, "name") : NULL;
  const char *name = track_object ? convoke_json_get_string (track_object, "name") : NULL;
  const char *kind = track_object ? convoke_json_get_string (track_object, "kind") : NULL;
  const char *msid = track_object ? convoke_json_get_string (track_object, "msid") : NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autofree char *refusal = NULL;
  ConvokeTrack *track;

  if (kind == NULL || (name_node != NULL && name == NULL))
    {
      convoke_signaling_connection_send_error (
          conn, id, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
          _ ("“track-published” needs an object “track” with a string member “kind” (and "
             "optionally a string “name”)"));
      return;
    }
  /* An empty name means none: the track is then named by its sid. */
  if (name != NULL && *name == '\0')
    name = NULL;
  refusal = track_refusal (participant, name, kind);
  if (refusal == NULL && msid != NULL && (*msid == '\0' || strlen (msid) > MAX_MSID_BYTES))
    refusal = g_strdup_printf (_ ("Track “msid” must be 1 to %d bytes"), MAX_MSID_BYTES);
  if (refusal != NULL)
    {
      convoke_signaling_connection_send_error (conn, id, CONVOKE_ERROR_TRACK_INVALID,
                                               refusal);
      return;
    }

  track = convoke_participant_add_client_track (participant, name, kind, msid);
  if (track == NULL)
    {
      convoke_signaling_connection_send_error (
          conn, id, CONVOKE_ERROR_TRACK_INVALID,
          _ ("The track could not be added: the participant is no longer in the room"));
      return;
    }
  answer = track_event ("track-published", participant, track, TRUE);
  convoke_signaling_connection_send (conn, answer, id);
}

static void
handle_track_unpublished (ConvokeSignalingServer *self, ConvokeSignalingConnection *conn,
                          ConvokeParticipant *participant, JsonObject *message,
                          JsonNode *id)
{
  JsonObject *track_object = track_member (message);
  const char *sid = track_object ? convoke_json_get_string (track_object, "sid") : NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autofree char *sid_copy = NULL;

  if (sid == NULL)
    {
      convoke_signaling_connection_send_error (
          conn, id, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
          _ ("“track-unpublished” needs an object “track” with a string member “sid”"));
      return;
    }
  /* The message owns @sid; keep it past the removal for the answer. */
  sid_copy = g_strdup (sid);
  if (!convoke_participant_remove_track (participant, sid_copy))
    {
      g_autofree char *quoted = convoke_quote_untrusted (sid_copy, MAX_QUOTED_CHARS);
      g_autofree char *text = g_strdup_printf (
          _ ("Participant %s has no published track %s"), participant->sid, quoted);

      convoke_signaling_connection_send_error (conn, id, CONVOKE_ERROR_TRACK_INVALID,
                                               text);
      return;
    }

  answer = json_object_new ();
  json_object_set_string_member (answer, "type", "track-unpublished");
  json_object_set_string_member (answer, "participant", participant->sid);
  {
    JsonObject *track = json_object_new ();

    json_object_set_string_member (track, "sid", sid_copy);
    json_object_set_object_member (answer, "track", track);
  }
  convoke_signaling_connection_send (conn, answer, id);
}

/* ---- dispatch ----------------------------------------------------------- */

static void
reply_pong (ConvokeSignalingConnection *conn, JsonNode *id)
{
  g_autoptr (JsonObject) pong = json_object_new ();

  json_object_set_string_member (pong, "type", "pong");
  convoke_signaling_connection_send (conn, pong, id);
}

static void
on_message (ConvokeSignalingConnection *conn, JsonObject *message, const char *type,
            JsonNode *id, ConvokeSignalingServer *self)
{
  ConvokeParticipant *participant = convoke_signaling_connection_get_participant (conn);
  g_autoptr (GError) error = NULL;

  if (g_str_equal (type, "ping"))
    {
      reply_pong (conn, id);
      return;
    }
  if (g_str_equal (type, "join"))
    {
      handle_join (self, conn, message, id);
      return;
    }
  if (participant == NULL)
    {
      g_autofree char *quoted = convoke_quote_untrusted (type, MAX_QUOTED_CHARS);
      g_autofree char *text
          = g_strdup_printf (_ ("Not joined: send “join” before “%s”"), quoted);

      convoke_signaling_connection_send_error (
          conn, id, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE, text);
      return;
    }
  if (participant->status != CONVOKE_PARTICIPANT_CONNECTED)
    {
      /* The registry let the participant go (its room ended); the socket
       * is closing, so there is no one to answer. */
      convoke_signaling_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL);
      return;
    }

  if (g_str_equal (type, "leave"))
    {
      G_GNUC_UNUSED g_autoptr (ConvokeParticipant) hold = convoke_participant_ref (participant);

      convoke_room_registry_leave (self->registry, participant);
      convoke_signaling_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL);
    }
  else if (g_str_equal (type, "track-published"))
    handle_track_published (self, conn, participant, message, id);
  else if (g_str_equal (type, "track-unpublished"))
    handle_track_unpublished (self, conn, participant, message, id);
  else if (!convoke_room_registry_dispatch (self->registry, participant, type, message,
                                            &error))
    {
      int code = error_code (error, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE);

      convoke_signaling_connection_send_error (
          conn, id, code, error != NULL ? error->message : _ ("The message was refused"));
    }
}

/* ---- connection lifecycle ----------------------------------------------- */

static void
on_error_sent (ConvokeSignalingConnection *conn, int code, ConvokeSignalingServer *self)
{
  struct _ConvokeMetrics *metrics = convoke_daemon_get_metrics (self->daemon);

  if (metrics != NULL)
    convoke_metrics_count_error (metrics, "signaling", code);
}

typedef struct
{
  ConvokeRoomRegistry *registry;
  ConvokeParticipant *participant;
  /* participant->transport points at it until the leave. */
  ConvokeSignalingConnection *conn;
} PendingLeave;

static void
pending_leave_free (gpointer data)
{
  PendingLeave *pending = data;

  g_object_unref (pending->registry);
  convoke_participant_unref (pending->participant);
  g_object_unref (pending->conn);
  g_free (pending);
}

static gboolean
pending_leave_run (gpointer data)
{
  PendingLeave *pending = data;

  convoke_room_registry_leave (pending->registry, pending->participant);
  return G_SOURCE_REMOVE;
}

static void
on_disconnected (ConvokeSignalingConnection *conn, ConvokeSignalingServer *self)
{
  ConvokeParticipant *participant = convoke_signaling_connection_get_participant (conn);

  /* The connection may be closing because the registry itself is closing
   * it (kick, room end, duplicate identity), in the middle of its own
   * bookkeeping; the leave therefore waits for the main loop (a no-op
   * when the registry already let the participant go). */
  if (participant != NULL && participant->status == CONVOKE_PARTICIPANT_CONNECTED)
    {
      PendingLeave *pending = g_new0 (PendingLeave, 1);

      pending->registry = g_object_ref (self->registry);
      pending->participant = convoke_participant_ref (participant);
      pending->conn = g_object_ref (conn);
      g_idle_add_full (G_PRIORITY_HIGH, pending_leave_run, pending, pending_leave_free);
    }
  g_signal_handlers_disconnect_by_data (conn, self);
  g_hash_table_remove (self->connections, conn);
}

static void
on_tcmp_disconnected (ConvokeSignalingConnection *conn, ConvokeSignalingServer *self)
{
  g_signal_handlers_disconnect_by_data (conn, self);
  g_hash_table_remove (self->connections, conn);
}

static char *
describe_peer (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  if (address != NULL && G_IS_SOCKET_CONNECTABLE (address))
    return g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));
  return g_strdup (soup_server_message_get_remote_host (msg));
}

static void
start_connection (ConvokeSignalingServer *self, SoupServerMessage *msg,
                  SoupWebsocketConnection *ws)
{
  ConvokeHttpListener *listener = convoke_daemon_get_http_listener (self->daemon);
  ConvokeHttpClient *client
      = listener != NULL ? convoke_http_listener_lookup (listener, msg) : NULL;
  ConvokeConfig *config = convoke_daemon_get_config (self->daemon);
  g_autofree char *peer = describe_peer (msg);
  ConvokeSignalingLimits limits = {
    .max_message_size = config->max_message_size,
    .max_messages_per_second = config->max_messages_per_second,
    .keepalive_interval = config->keepalive_interval,
  };
  ConvokeSignalingConnection *conn = convoke_signaling_connection_new (ws, &limits, peer);

  convoke_signaling_connection_set_forwarded (
      conn, soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                          CONVOKE_CLUSTER_FORWARDED_HEADER)
                != NULL);

  g_debug ("signaling: %s connected to %s", peer, g_uri_get_path (soup_server_message_get_uri (msg)));
  g_signal_connect (conn, "error-sent", G_CALLBACK (on_error_sent), self);
  if (g_strcmp0 (g_uri_get_path (soup_server_message_get_uri (msg)), CONVOKE_TCMP_PATH) == 0)
    {
      /* The front end serves the socket; the table here only counts it. */
      convoke_tcmp_front_end_attach (self->tcmp, conn);
      g_signal_connect (conn, "disconnected", G_CALLBACK (on_tcmp_disconnected), self);
    }
  else
    {
      g_signal_connect (conn, "message", G_CALLBACK (on_message), self);
      g_signal_connect (conn, "disconnected", G_CALLBACK (on_disconnected), self);
    }
  g_hash_table_insert (self->connections, conn,
                       client != NULL ? convoke_http_client_ref (client) : NULL);
}

/* The 101 answer is out: the socket is ours. libsoup's own WebSocket
 * handler would do the same, but without the stream in between that
 * bounds fragmented messages (ws-limit-stream.h). */
static void
on_upgraded (SoupServerMessage *msg, gpointer user_data)
{
  ConvokeSignalingServer *self = user_data;
  ConvokeConfig *config = convoke_daemon_get_config (self->daemon);
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (ConvokeWsLimitStream) limited = NULL;
  g_autoptr (SoupWebsocketConnection) ws = NULL;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

  if (soup_server_message_get_status (msg) != SOUP_STATUS_SWITCHING_PROTOCOLS)
    return;
  g_signal_handlers_disconnect_by_func (msg, on_upgraded, user_data);
  g_object_ref (msg);
  stream = soup_server_message_steal_connection (msg);
  limited = convoke_ws_limit_stream_new (stream, config->max_message_size);
  ws = soup_websocket_connection_new (
      G_IO_STREAM (limited), soup_server_message_get_uri (msg),
      SOUP_WEBSOCKET_CONNECTION_SERVER, soup_message_headers_get_one (request, "Origin"),
      soup_message_headers_get_one (response, "Sec-WebSocket-Protocol"), NULL);
  start_connection (self, msg, ws);
  g_object_unref (msg);
}

static void
on_signaling_request (SoupServer *server, SoupServerMessage *msg, const char *path,
                      GHashTable *query, gpointer user_data)
{
  char *protocols[] = { (char *)CONVOKE_SIGNALING_PROTOCOL, NULL };
  /* The SDK asks for no subprotocol. */
  gboolean tcmp = g_strcmp0 (path, CONVOKE_TCMP_PATH) == 0;

  /* libsoup hands us every path under ours too; those are not ours. */
  if (!tcmp && g_strcmp0 (path, SIGNALING_PATH) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  /* No extensions are offered: permessage-deflate would let a small frame
   * inflate past max-message-size inside libsoup, before any limit of
   * ours applies. On failure libsoup has set the error answer. */
  if (soup_websocket_server_process_handshake (msg, NULL, tcmp ? NULL : protocols, NULL,
                                               NULL))
    g_signal_connect (msg, "wrote-informational", G_CALLBACK (on_upgraded), user_data);
}

ConvokeSignalingServer *
convoke_signaling_server_new (ConvokeDaemon *daemon, SoupServer *server)
{
  ConvokeSignalingServer *self;

  g_return_val_if_fail (CONVOKE_IS_DAEMON (daemon), NULL);
  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);

  self = g_new0 (ConvokeSignalingServer, 1);
  self->daemon = daemon;
  self->soup_server = g_object_ref (server);
  self->registry = g_object_ref (convoke_daemon_get_registry (daemon));
  self->connections = g_hash_table_new_full (NULL, NULL, g_object_unref,
                                             (GDestroyNotify)convoke_http_client_unref);

  self->registry_handlers[0]
      = g_signal_connect (self->registry, "participant-connected",
                          G_CALLBACK (on_participant_connected), self);
  self->registry_handlers[1]
      = g_signal_connect (self->registry, "participant-disconnected",
                          G_CALLBACK (on_participant_disconnected), self);
  self->registry_handlers[2] = g_signal_connect (self->registry, "track-added",
                                                 G_CALLBACK (on_track_added), self);
  self->registry_handlers[3] = g_signal_connect (self->registry, "track-removed",
                                                 G_CALLBACK (on_track_removed), self);
  self->registry_handlers[4] = g_signal_connect (self->registry, "track-updated",
                                                 G_CALLBACK (on_track_updated), self);

  self->tcmp = convoke_tcmp_front_end_new (self, daemon);
  soup_server_add_handler (server, SIGNALING_PATH, on_signaling_request, self, NULL);
  soup_server_add_handler (server, CONVOKE_TCMP_PATH, on_signaling_request, self, NULL);
  return self;
}

void
convoke_signaling_server_free (ConvokeSignalingServer *self)
{
  GHashTableIter iter;
  gpointer key;

  if (self == NULL)
    return;

  soup_server_remove_handler (self->soup_server, SIGNALING_PATH);
  soup_server_remove_handler (self->soup_server, CONVOKE_TCMP_PATH);
  /* SDK sessions first: their sockets leave the table as they close. */
  g_clear_pointer (&self->tcmp, convoke_tcmp_front_end_free);
  for (guint i = 0; i < G_N_ELEMENTS (self->registry_handlers); i++)
    g_clear_signal_handler (&self->registry_handlers[i], self->registry);

  /* The daemon is stopping: leave right away rather than from the main
   * loop, which may not run again. */
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      ConvokeSignalingConnection *conn = key;
      ConvokeParticipant *participant
          = convoke_signaling_connection_get_participant (conn);

      g_signal_handlers_disconnect_by_data (conn, self);
      if (participant != NULL)
        convoke_room_registry_leave (self->registry, participant);
      convoke_signaling_connection_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
    }
  g_hash_table_destroy (self->connections);
  g_object_unref (self->registry);
  g_object_unref (self->soup_server);
  g_free (self);
}
