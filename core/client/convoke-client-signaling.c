/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-client-session-private.h"

#include "i18n.h"
#include "twilio-error.h"
#include "untrusted-json.h"

#define GST_CAT_DEFAULT convoke_client_debug

#define SIGNALING_SUBPROTOCOL "convoke-signaling-1"
#define SIGNALING_PATH "/v1/Signaling"
/* The server allows 10 s between the handshake and `join`; waiting a bit
 * longer for `joined` covers a slow admission. */
#define JOIN_TIMEOUT_SECONDS 15
/* Offers from an sfu carry one m-line per remote track. */
#define MAX_INCOMING_MESSAGE_SIZE (1024 * 1024)

/* ---- JSON helpers (the server's messages are untrusted input) ---------- */

static JsonObject *
json_get_object (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                       : NULL;
}

static JsonArray *
json_get_array (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
json_get_int (JsonObject *object, const char *member, gint64 *value)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
json_get_boolean (JsonObject *object, const char *member, gboolean fallback)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

void
convoke_client_signaling_send (ConvokeClientSession *self, JsonObject *message)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  if (self->connection == NULL
      || soup_websocket_connection_get_state (self->connection)
             != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  json_node_set_object (node, message);
  text = json_to_string (node, FALSE);
  GST_LOG ("sending %s", text);
  soup_websocket_connection_send_text (self->connection, text);
}

/* Records a participant object of `joined` or `participant-connected`. */
static ConvokeRemoteParticipant *
add_participant (ConvokeClientSession *self, JsonObject *object)
{
  return convoke_client_session_add_participant (
      self, convoke_json_get_string (object, "sid"),
      convoke_json_get_string (object, "identity"),
      json_get_boolean (object, "trickle", TRUE));
}

static void
handle_participant_connected (ConvokeClientSession *self, JsonObject *message)
{
  if (add_participant (self, json_get_object (message, "participant")) == NULL)
    GST_DEBUG ("participant-connected for no new participant");
}

static void
handle_participant_disconnected (ConvokeClientSession *self, JsonObject *message)
{
  const char *sid
      = convoke_json_get_string (json_get_object (message, "participant"), "sid");

  convoke_client_session_remove_participant (self, sid);
}

/* ---- joined ------------------------------------------------------------ */

/* "stun:host:port" or "turn:host:port?transport=udp" (RFC 7064/7065) as
 * the stun:// / turn://user:password@host:port URI webrtcbin takes, with
 * the credentials escaped. NULL for anything else. */
static char *
ice_server_uri (const char *url, const char *username, const char *credential)
{
  const char *colon = url ? strchr (url, ':') : NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *hierarchical = NULL;
  g_autoptr (GUri) parsed = NULL;
  gboolean turn;

  if (colon == NULL)
    return NULL;
  scheme = g_ascii_strdown (url, colon - url);
  turn = g_str_equal (scheme, "turn") || g_str_equal (scheme, "turns");
  if (!turn && !g_str_equal (scheme, "stun"))
    return NULL;
  hierarchical = g_strdup_printf ("%s://%s", scheme, colon + 1);
  parsed = g_uri_parse (hierarchical, G_URI_FLAGS_NON_DNS, NULL);
  if (parsed == NULL || g_uri_get_host (parsed) == NULL
      || *g_uri_get_host (parsed) == '\0')
    return NULL;
  if (!turn)
    return g_uri_join (G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host (parsed),
                       g_uri_get_port (parsed) > 0 ? g_uri_get_port (parsed) : 3478, "",
                       NULL, NULL);
  if (username == NULL || credential == NULL)
    return NULL;
  return g_uri_join_with_user (
      G_URI_FLAGS_NONE, scheme, username, credential, NULL, g_uri_get_host (parsed),
      g_uri_get_port (parsed) > 0 ? g_uri_get_port (parsed) : 3478, "",
      g_uri_get_query (parsed), NULL);
}

static void
read_ice_servers (ConvokeClientSession *self, JsonArray *servers)
{
  g_autoptr (GStrvBuilder) turn = g_strv_builder_new ();

  g_clear_pointer (&self->peer_config.stun_server, g_free);
  g_clear_pointer (&self->peer_config.turn_servers, g_strfreev);
  for (guint i = 0; servers != NULL && i < json_array_get_length (servers); i++)
    {
      JsonNode *node = json_array_get_element (servers, i);
      JsonObject *server
          = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonArray *urls = json_get_array (server, "urls");
      const char *single = convoke_json_get_string (server, "urls");
      guint n_urls = urls ? json_array_get_length (urls) : (single ? 1 : 0);

      for (guint j = 0; j < n_urls; j++)
        {
          JsonNode *url_node = urls ? json_array_get_element (urls, j) : NULL;
          const char *url = single;
          g_autofree char *uri = NULL;

          if (urls != NULL)
            url = JSON_NODE_HOLDS_VALUE (url_node)
                          && json_node_get_value_type (url_node) == G_TYPE_STRING
                      ? json_node_get_string (url_node)
                      : NULL;
          uri = ice_server_uri (url, convoke_json_get_string (server, "username"),
                                convoke_json_get_string (server, "credential"));
          if (uri == NULL)
            {
              g_autofree char *text = g_strdup_printf (
                  _ ("ignoring the ICE server \"%s\" of joined: not a stun: or turn: URL "
                     "with credentials"),
                  url ? url : "");
              convoke_client_session_warn_literal (
                  self, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE, text);
            }
          else if (g_str_has_prefix (uri, "stun"))
            {
              /* webrtcbin takes a single STUN server. */
              if (self->peer_config.stun_server == NULL)
                self->peer_config.stun_server = g_steal_pointer (&uri);
            }
          else
            g_strv_builder_add (turn, uri);
        }
    }
  self->peer_config.turn_servers = g_strv_builder_end (turn);
}

static gboolean
on_keepalive (gpointer user_data)
{
  ConvokeClientSession *self = user_data;
  g_autoptr (JsonObject) ping = json_object_new ();

  json_object_set_string_member (ping, "type", "ping");
  convoke_client_signaling_send (self, ping);
  return G_SOURCE_CONTINUE;
}

static void
publish_local_tracks (ConvokeClientSession *self)
{
  for (guint i = 0; i < self->local_tracks->len; i++)
    {
      ConvokeLocalTrack *local = g_ptr_array_index (self->local_tracks, i);
      g_autoptr (JsonObject) message = json_object_new ();
      JsonObject *track = json_object_new ();

      json_object_set_string_member (track, "name", local->name);
      json_object_set_string_member (track, "kind", local->kind);
      json_object_set_string_member (message, "type", "track-published");
      json_object_set_object_member (message, "track", track);
      convoke_client_signaling_send (self, message);
    }
  /* A data track's msid is its channels' label: the others tie the
   * channels to the track by it. */
  for (guint i = 0; i < self->data_tracks->len; i++)
    {
      const char *name = g_ptr_array_index (self->data_tracks, i);
      g_autoptr (JsonObject) message = json_object_new ();
      JsonObject *track = json_object_new ();

      json_object_set_string_member (track, "name", name);
      json_object_set_string_member (track, "kind", "data");
      json_object_set_string_member (track, "msid", name);
      json_object_set_string_member (message, "type", "track-published");
      json_object_set_object_member (message, "track", track);
      convoke_client_signaling_send (self, message);
    }
}

static void
handle_joined (ConvokeClientSession *self, JsonObject *message)
{
  JsonObject *participant = json_get_object (message, "participant");
  JsonObject *room = json_get_object (message, "room");
  const char *topology = convoke_json_get_string (message, "topology");
  JsonArray *present = json_get_array (message, "participants");
  g_autoptr (GPtrArray) present_participants = g_ptr_array_new ();
  gint64 keepalive = 10;

  if (self->state != CONVOKE_CLIENT_SESSION_STATE_CONNECTING)
    return;
  if (convoke_json_get_string (participant, "sid") == NULL)
    {
      convoke_client_session_fail (
          self, CONVOKE_ERROR_SIGNALING_CONNECTION,
          _ ("the server's joined message has no participant.sid"));
      return;
    }
  if (g_strcmp0 (topology, convoke_client_topology_mesh.name) == 0)
    self->topology = &convoke_client_topology_mesh;
  else if (g_strcmp0 (topology, convoke_client_topology_sfu.name) == 0)
    self->topology = &convoke_client_topology_sfu;
  else
    {
      g_autofree char *text = g_strdup_printf (
          _ ("the server asks for the topology \"%s\", which this client does not know"),
          topology ? topology : "");
      convoke_client_session_fail (self, CONVOKE_ERROR_SIGNALING_CONNECTION, text);
      return;
    }

  convoke_timeout_clear (self->context, &self->join_timeout_id);
  g_free (self->participant_sid);
  self->participant_sid = g_strdup (convoke_json_get_string (participant, "sid"));
  g_free (self->identity);
  self->identity = g_strdup (convoke_json_get_string (participant, "identity"));
  g_free (self->room_sid);
  self->room_sid = g_strdup (convoke_json_get_string (room, "sid"));
  g_free (self->room_name);
  self->room_name = g_strdup (convoke_json_get_string (room, "name"));
  read_ice_servers (self, json_get_array (message, "ice_servers"));
  if (!json_get_int (message, "keepalive_interval", &keepalive) || keepalive <= 0)
    keepalive = 10;
  /* Twice per interval, so that one late ping never looks like silence. */
  self->keepalive_id = convoke_timeout_add (
      self->context, MAX (keepalive * 1000 / 2, 500), on_keepalive, self);

  GST_INFO ("joined room %s as %s (%s), topology %s", self->room_sid,
            self->participant_sid, self->identity, self->topology->name);
  convoke_client_session_mark_joined (self);
  if (self->state != CONVOKE_CLIENT_SESSION_STATE_JOINED)
    return;
  publish_local_tracks (self);

  for (guint i = 0; present != NULL && i < json_array_get_length (present); i++)
    {
      JsonNode *node = json_array_get_element (present, i);
      ConvokeRemoteParticipant *remote;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      remote = add_participant (self, json_node_get_object (node));
      if (remote != NULL)
        g_ptr_array_add (present_participants, remote);
    }
  if (self->state == CONVOKE_CLIENT_SESSION_STATE_JOINED)
    self->topology->joined (self, present_participants);
}

/* ---- errors ------------------------------------------------------------ */

/* The codes docs/signaling.md marks fatal once joined: the server closes
 * the connection after them. Any other error refuses one message only. */
static gboolean
error_code_is_fatal (gint64 code)
{
  switch (code)
    {
    case CONVOKE_ERROR_TOKEN_INVALID:
    case CONVOKE_ERROR_TOKEN_HEADER_INVALID:
    case CONVOKE_ERROR_TOKEN_ISSUER_INVALID:
    case CONVOKE_ERROR_TOKEN_EXPIRED:
    case CONVOKE_ERROR_TOKEN_NOT_YET_VALID:
    case CONVOKE_ERROR_TOKEN_GRANTS_INVALID:
    case CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID:
    case CONVOKE_ERROR_SIGNALING_CONNECTION:
    case CONVOKE_ERROR_SIGNALING_TIMED_OUT:
    case CONVOKE_ERROR_SIGNALING_MESSAGE_TOO_LARGE:
    case CONVOKE_ERROR_ROOM_NAME_INVALID:
    case CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_EXCEEDED:
    case CONVOKE_ERROR_ROOM_NOT_FOUND:
    case CONVOKE_ERROR_ROOM_COMPLETED:
    case CONVOKE_ERROR_ROOM_MEDIA_FAILED:
    case CONVOKE_ERROR_PARTICIPANT_IDENTITY_INVALID:
    case CONVOKE_ERROR_PARTICIPANT_DUPLICATE_IDENTITY:
    case CONVOKE_ERROR_PARTICIPANT_REMOVED:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
handle_error (ConvokeClientSession *self, JsonObject *message)
{
  const char *text = convoke_json_get_string (message, "message");
  gboolean joining = self->state == CONVOKE_CLIENT_SESSION_STATE_CONNECTING;
  gint64 code = 0;
  g_autoptr (GError) error = NULL;

  if (!json_get_int (message, "code", &code) || code <= 0 || code > G_MAXINT)
    {
      /* Before `joined`, any error is the answer to `join`: a refusal. */
      if (joining)
        code = CONVOKE_ERROR_SIGNALING_CONNECTION;
      else
        {
          convoke_client_session_warn_literal (
              self, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
              _ ("the server sent an error message without an integer code"));
          return;
        }
    }
  error = g_error_new_literal (CONVOKE_ERROR, (int) code,
                               text && *text ? text : _ ("the server reported an error"));
  if (joining || error_code_is_fatal (code))
    {
      convoke_client_session_finish (self, error);
      return;
    }
  /* Flooding (53010) turns fatal after a while; the close that follows
   * is then explained by this error rather than by its bare code. */
  g_clear_error (&self->last_error);
  self->last_error = g_error_copy (error);
  convoke_client_session_warn (self, error);
}

/* ---- media negotiation messages ---------------------------------------- */

static void
handle_description (ConvokeClientSession *self, GstWebRTCSDPType type,
                    JsonObject *message)
{
  const char *from = convoke_json_get_string (message, "from");
  const char *sdp = convoke_json_get_string (message, "sdp");

  if (from == NULL || sdp == NULL)
    {
      g_autofree char *text = g_strdup_printf (
          _ ("the server sent an %s without a string from or sdp member"),
          type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer");
      convoke_client_session_warn_literal (self, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                                           text);
      return;
    }
  self->topology->description (self, from, type, sdp);
}

static void
handle_candidate (ConvokeClientSession *self, JsonObject *message)
{
  ConvokePeer *peer = convoke_client_session_lookup_peer (
      self, convoke_json_get_string (message, "from"));
  const char *candidate = convoke_json_get_string (message, "candidate");
  gint64 mline_index = 0;

  if (peer == NULL || candidate == NULL)
    {
      GST_DEBUG ("ignoring a candidate for no known peer connection");
      return;
    }
  if (json_get_int (message, "sdpMLineIndex", &mline_index)
      && (mline_index < 0 || mline_index > G_MAXUINT16))
    {
      convoke_client_session_warn_literal (
          self, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
          _ ("the server sent a candidate with an sdpMLineIndex out of range"));
      return;
    }
  convoke_peer_add_remote_candidate (peer, (guint) mline_index, candidate);
}

/* ---- the WebSocket ----------------------------------------------------- */

static void
dispatch (ConvokeClientSession *self, const char *type, JsonObject *message)
{
  gboolean joined = self->state == CONVOKE_CLIENT_SESSION_STATE_JOINED;

  if (g_str_equal (type, "joined"))
    handle_joined (self, message);
  else if (g_str_equal (type, "error"))
    handle_error (self, message);
  else if (g_str_equal (type, "pong"))
    ;
  else if (!joined)
    GST_DEBUG ("ignoring a %s message before joined", type);
  else if (g_str_equal (type, "participant-connected"))
    handle_participant_connected (self, message);
  else if (g_str_equal (type, "participant-disconnected"))
    handle_participant_disconnected (self, message);
  else if (g_str_equal (type, "offer"))
    handle_description (self, GST_WEBRTC_SDP_TYPE_OFFER, message);
  else if (g_str_equal (type, "answer"))
    handle_description (self, GST_WEBRTC_SDP_TYPE_ANSWER, message);
  else if (g_str_equal (type, "candidate"))
    handle_candidate (self, message);
  else
    /* track-published and later additions: nothing to do here. */
    GST_DEBUG ("ignoring a %s message", type);
}

static void
on_ws_message (SoupWebsocketConnection *connection, SoupWebsocketDataType data_type,
               GBytes *bytes, ConvokeClientSession *self)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  JsonNode *root;
  const char *type;

  if (self->state == CONVOKE_CLIENT_SESSION_STATE_CLOSED)
    return;
  if (data_type != SOUP_WEBSOCKET_DATA_TEXT
      || !json_parser_load_from_data (parser, data, size, &parse_error))
    {
      convoke_client_session_warn_literal (
          self, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
          _ ("the server sent a message that is not a JSON text frame"));
      return;
    }
  root = json_parser_get_root (parser);
  type = root && JSON_NODE_HOLDS_OBJECT (root)
             ? convoke_json_get_string (json_node_get_object (root), "type")
             : NULL;
  if (type == NULL)
    {
      convoke_client_session_warn_literal (
          self, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
          _ ("the server sent a message that is not an object with a string type"));
      return;
    }
  GST_LOG ("received %.*s", (int) MIN (size, 2048), data);
  g_object_ref (self);
  dispatch (self, type, json_node_get_object (root));
  g_object_unref (self);
}

static void
on_ws_closed (SoupWebsocketConnection *connection, ConvokeClientSession *self)
{
  gushort code = soup_websocket_connection_get_close_code (connection);
  const char *reason = soup_websocket_connection_get_close_data (connection);
  g_autofree char *text = NULL;

  if (self->leaving || code == SOUP_WEBSOCKET_CLOSE_NORMAL)
    {
      convoke_client_session_finish (self, NULL);
      return;
    }
  if (code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION && self->last_error != NULL)
    {
      convoke_client_session_finish (self, self->last_error);
      return;
    }
  text = g_strdup_printf (_ ("the signaling connection closed (WebSocket code %u%s%s)"),
                          code, reason && *reason ? ": " : "", reason ? reason : "");
  convoke_client_session_fail (self, CONVOKE_ERROR_SIGNALING_DISCONNECTED, text);
}

static void
on_ws_error (SoupWebsocketConnection *connection, GError *error,
             ConvokeClientSession *self)
{
  GST_WARNING ("signaling connection: %s", error->message);
}

static gboolean
on_join_timeout (gpointer user_data)
{
  ConvokeClientSession *self = user_data;
  g_autofree char *text = g_strdup_printf (
      _ ("the server did not answer join within %d seconds"), JOIN_TIMEOUT_SECONDS);

  self->join_timeout_id = 0;
  convoke_client_session_fail (self, CONVOKE_ERROR_SIGNALING_TIMED_OUT, text);
  return G_SOURCE_REMOVE;
}

static void
send_join (ConvokeClientSession *self, const char *token, const char *room)
{
  g_autoptr (JsonObject) join = json_object_new ();

  json_object_set_string_member (join, "type", "join");
  json_object_set_int_member (join, "id", 1);
  json_object_set_string_member (join, "token", token);
  if (room != NULL)
    json_object_set_string_member (join, "room", room);
  json_object_set_boolean_member (join, "trickle", self->trickle);
  json_object_set_string_member (join, "client", self->client_name);
  convoke_client_signaling_send (self, join);
}

typedef struct
{
  ConvokeClientSession *session;
  char *token;
  char *room;
  char *uri;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  g_clear_object (&data->session);
  g_free (data->token);
  g_free (data->room);
  g_free (data->uri);
  g_free (data);
}

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ConnectData *data = user_data;
  ConvokeClientSession *self = data->session;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *connection
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);

  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_ ("could not open the signaling "
                                                      "connection to %s: %s"),
                                                   data->uri, error->message);
          convoke_client_session_fail (self, CONVOKE_ERROR_SIGNALING_CONNECTION, text);
        }
      connect_data_free (data);
      return;
    }
  self->connection = connection;
  if (self->state == CONVOKE_CLIENT_SESSION_STATE_CLOSED)
    {
      soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      connect_data_free (data);
      return;
    }
  soup_websocket_connection_set_max_incoming_payload_size (connection,
                                                           MAX_INCOMING_MESSAGE_SIZE);
  g_signal_connect (connection, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_ws_closed), self);
  g_signal_connect (connection, "error", G_CALLBACK (on_ws_error), self);
  send_join (self, data->token, data->room);
  connect_data_free (data);
}

/* http(s)://host[:port][/base] → ws(s)://host[:port][/base]/v1/Signaling;
 * ws(s):// URLs are used as they are. */
char *
convoke_client_signaling_uri (const char *url, GError **error)
{
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &parse_error);
  const char *scheme;
  const char *ws_scheme;
  g_autofree char *base_path = NULL;
  g_autofree char *path = NULL;

  if (uri == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_CONNECTION,
                   _ ("the server URL \"%s\" is not valid: %s"), url,
                   parse_error->message);
      return NULL;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") == 0)
    ws_scheme = "ws";
  else if (g_ascii_strcasecmp (scheme, "https") == 0)
    ws_scheme = "wss";
  else if (g_ascii_strcasecmp (scheme, "ws") == 0
           || g_ascii_strcasecmp (scheme, "wss") == 0)
    ws_scheme = NULL;
  else
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_CONNECTION,
                   _ ("the server URL \"%s\" must start with http://, https://, ws:// or "
                      "wss://"),
                   url);
      return NULL;
    }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_CONNECTION,
                   _ ("the server URL \"%s\" has no host"), url);
      return NULL;
    }
  if (ws_scheme == NULL)
    return g_uri_to_string (uri);

  base_path = g_strdup (g_uri_get_path (uri));
  while (g_str_has_suffix (base_path, "/"))
    base_path[strlen (base_path) - 1] = '\0';
  path = g_strconcat (base_path, SIGNALING_PATH, NULL);
  return g_uri_join (G_URI_FLAGS_ENCODED, ws_scheme, NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), path, NULL, NULL);
}

JsonObject *
convoke_client_signaling_message_new (const char *type, const char *to)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "type", type);
  if (to != NULL)
    json_object_set_string_member (message, "to", to);
  return message;
}

void
convoke_client_signaling_open (ConvokeClientSession *self, const char *uri,
                               const char *token, const char *room)
{
  g_autoptr (SoupMessage) message = soup_message_new ("GET", uri);
  char *protocols[] = { (char *) SIGNALING_SUBPROTOCOL, NULL };
  ConnectData *data;

  /* convoke_client_signaling_uri() made @uri, so libsoup can parse it. */
  g_return_if_fail (message != NULL);

  data = g_new0 (ConnectData, 1);
  data->session = g_object_ref (self);
  data->token = g_strdup (token);
  data->room = g_strdup (room);
  data->uri = g_strdup (uri);
  GST_INFO ("connecting to %s", uri);
  soup_session_websocket_connect_async (self->soup, message, NULL, protocols,
                                        G_PRIORITY_DEFAULT, self->cancellable,
                                        on_ws_connected, data);
  self->join_timeout_id = convoke_timeout_add (self->context, JOIN_TIMEOUT_SECONDS * 1000,
                                               on_join_timeout, self);
}
