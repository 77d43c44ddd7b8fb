/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-signaling"
#include "tcmp-front-end.h"

#include "access-token.h"
#include "i18n.h"
#include "ice-servers.h"
#include "rsp-session.h"
#include "cluster-proxy.h"
#include "signaling-server.h"
#include "twilio-error.h"
#include "untrusted-json.h"
#include "untrusted-text.h"

#define TCMP_VERSION 2
#define RSP_VERSION 2
/* negotiatedTimeout bounds, in ms: the SDK asks for 5000. Much shorter
 * would make heartbeats a load; much longer would keep dead sockets. */
#define MIN_TIMEOUT_MS 1000
#define MAX_TIMEOUT_MS 30000
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_QUOTED_CHARS 64

struct _ConvokeTcmpFrontEnd
{
  struct _ConvokeSignalingServer *server; /* not owned: it owns us */
  ConvokeDaemon *daemon;                  /* not owned */
  ConvokeRoomRegistry *registry;
  GHashTable *sessions; /* id → ConvokeRspSession* (owned) */
  GHashTable *conns;    /* ConvokeSignalingConnection* → TcmpConn* (owned) */
  gulong subscriptions_handler;
};

typedef struct
{
  ConvokeTcmpFrontEnd *front_end;
  ConvokeSignalingConnection *conn; /* owned */
  gboolean welcomed;
  guint heartbeat_source;
  ConvokeRspSession *session; /* owned; NULL before connect/sync */
  /* The connection's own limits sent an RSP `error` (53009, 53010): the
   * SDK ends the room on any `error` and never resumes. */
  gboolean limit_error_sent;
  gint64 timeout_ms; /* negotiated in `hello` */
} TcmpConn;

static void
tcmp_conn_free (TcmpConn *tc)
{
  g_clear_handle_id (&tc->heartbeat_source, g_source_remove);
  g_clear_pointer (&tc->session, convoke_rsp_session_unref);
  g_signal_handlers_disconnect_by_data (tc->conn, tc);
  g_object_unref (tc->conn);
  g_free (tc);
}

/* ---- sending ------------------------------------------------------------ */

/* The connection's own errors in TCMP words: a malformed frame is `bad`
 * (the SDK closes on it before `welcome`); anything with a room-level
 * meaning is an RSP `error`, which the SDK turns into its TwilioError. */
static JsonObject *
build_error (int code, const char *message)
{
  JsonObject *frame = json_object_new ();

  if (code == CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE)
    {
      json_object_set_string_member (frame, "type", "bad");
      json_object_set_string_member (frame, "reason", message);
    }
  else
    {
      JsonObject *body = json_object_new ();

      json_object_set_string_member (body, "type", "error");
      json_object_set_int_member (body, "code", code);
      json_object_set_string_member (body, "message", message);
      json_object_set_string_member (frame, "type", "msg");
      json_object_set_object_member (frame, "body", body);
    }
  return frame;
}

static void
send_frame (TcmpConn *tc, const char *type)
{
  g_autoptr (JsonObject) frame = json_object_new ();

  json_object_set_string_member (frame, "type", type);
  convoke_signaling_connection_send (tc->conn, frame, NULL);
}

static void
send_body (TcmpConn *tc, JsonObject *body)
{
  g_autoptr (JsonObject) frame = json_object_new ();

  json_object_set_string_member (frame, "type", "msg");
  json_object_set_object_member (frame, "body", json_object_ref (body));
  convoke_signaling_connection_send (tc->conn, frame, NULL);
}

/* A TCMP-level violation: `bad`, then the socket closes. */
static void
refuse_frame (TcmpConn *tc, const char *reason)
{
  convoke_signaling_connection_fail (tc->conn, NULL, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                                     reason, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
}

/* An RSP-level refusal: `error` with its code, the session (if any) ends,
 * and the socket closes. The SDK reports the code as its TwilioError. */
static void
refuse_room (TcmpConn *tc, const GError *error)
{
  int code = error != NULL && error->domain == CONVOKE_ERROR ? error->code
                                                             : CONVOKE_ERROR_INTERNAL;
  g_autoptr (ConvokeRspSession) session
      = tc->session != NULL ? convoke_rsp_session_ref (tc->session) : NULL;
  /* Leaving closes the socket, and its "disconnected" frees @tc. */
  g_autoptr (ConvokeSignalingConnection) conn = g_object_ref (tc->conn);

  g_message ("signaling: %s: refused (%d): %s",
             convoke_signaling_connection_get_peer (tc->conn), code,
             error != NULL ? error->message : "");
  /* The error goes out first: leaving may close the socket. It is RSP's
   * `error` whatever the code: a TCMP `bad` after `welcome` would be an
   * uncaught exception in the app's page. */
  {
    g_autoptr (JsonObject) body = json_object_new ();

    json_object_set_string_member (body, "type", "error");
    json_object_set_int_member (body, "code", code);
    json_object_set_string_member (body, "message", error != NULL ? error->message : "");
    send_body (tc, body);
    g_signal_emit_by_name (tc->conn, "error-sent", code);
  }
  if (session != NULL)
    convoke_rsp_session_leave (session);
  /* 1000: the SDK takes any other code for a network failure and would
   * try to resume the session. */
  convoke_signaling_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL);
}

/* ---- sessions ----------------------------------------------------------- */

static void
on_session_ended (ConvokeRspSession *session, gpointer user_data)
{
  ConvokeTcmpFrontEnd *self = user_data;

  if (convoke_daemon_get_cluster (self->daemon) != NULL)
    convoke_cluster_forget_session (convoke_daemon_get_cluster (self->daemon),
                                    convoke_rsp_session_get_id (session));
  g_hash_table_remove (self->sessions, convoke_rsp_session_get_id (session));
}

static void
on_subscriptions_changed (ConvokeRoomRegistry *registry, ConvokeParticipant *subscriber,
                          ConvokeTcmpFrontEnd *self)
{
  if (subscriber->transport_vtable == convoke_rsp_session_transport ()
      && subscriber->transport != NULL)
    convoke_rsp_session_refresh_subscribed (subscriber->transport);
}

static ConvokeAccessToken *
verify_token (ConvokeTcmpFrontEnd *self, JsonObject *body, GError **error)
{
  ConvokeConfig *config = convoke_daemon_get_config (self->daemon);
  const char *jwt = convoke_json_get_string (body, "token");

  if (jwt == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID,
                   _ ("The message carries no string “token”"));
      return NULL;
    }
  return convoke_access_token_verify (jwt, config->api_key, config->api_secret, NULL,
                                      CONVOKE_TOKEN_CLOCK_SKEW, error);
}

/* `ice`: the TURN/STUN servers, for a valid token only (TURN credentials
 * are not for strangers). */
static void
handle_ice (TcmpConn *tc, JsonObject *body)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeAccessToken) token = verify_token (tc->front_end, body, &error);
  g_autoptr (JsonObject) iced = NULL;

  if (token == NULL)
    {
      refuse_room (tc, error);
      return;
    }
  iced = json_object_new ();
  json_object_set_string_member (iced, "type", "iced");
  json_object_set_member (iced, "ice_servers",
                          convoke_ice_servers_for (convoke_daemon_get_config (
                                                       tc->front_end->daemon),
                                                   token->identity,
                                                   g_get_real_time () / G_USEC_PER_SEC));
  send_body (tc, iced);
}

/* ---- cluster mode: rooms on other nodes (cluster-proxy.h) ---------------- */

typedef struct
{
  ConvokeTcmpFrontEnd *front_end;
  JsonObject *body;
} RoutedConnect;

static void
routed_connect_free (gpointer data)
{
  RoutedConnect *routed = data;

  json_object_unref (routed->body);
  g_free (routed);
}

/* What the hosting node first hears: a `hello` carrying the body, as a
 * client with its own ICE servers sends it. Its `welcome` is dropped:
 * the client has had this node's. */
static char *
hello_frame (TcmpConn *tc, JsonObject *body)
{
  g_autoptr (JsonObject) hello = json_object_new ();
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (hello, "type", "hello");
  json_object_set_string_member (hello, "id", "cluster");
  json_object_set_int_member (hello, "version", TCMP_VERSION);
  json_object_set_int_member (hello, "timeout",
                              tc->timeout_ms > 0 ? tc->timeout_ms : DEFAULT_TIMEOUT_MS);
  json_object_set_object_member (hello, "body", json_object_ref (body));
  json_node_set_object (root, hello);
  return json_to_string (root, FALSE);
}

static void handle_connect_here (TcmpConn *tc, JsonObject *body);

static void
on_connect_routed (ConvokeSignalingConnection *conn, const GError *error, gpointer user_data)
{
  RoutedConnect *routed = user_data;
  TcmpConn *tc = g_hash_table_lookup (routed->front_end->conns, conn);

  if (tc == NULL)
    return; /* the socket closed meanwhile */
  if (error != NULL)
    refuse_room (tc, error);
  else
    handle_connect_here (tc, routed->body);
}

static gboolean
route_connect (TcmpConn *tc, JsonObject *body)
{
  ConvokeTcmpFrontEnd *self = tc->front_end;
  ConvokeCluster *cluster = convoke_daemon_get_cluster (self->daemon);
  ConvokeConfig *config = convoke_daemon_get_config (self->daemon);
  g_autoptr (ConvokeAccessToken) token = NULL;
  g_autofree char *first_frame = NULL;
  ConvokeClusterJoin join = { 0 };
  RoutedConnect *routed;
  const char *room;

  if (cluster == NULL)
    return FALSE;
  /* Only a valid token is relayed; the local connect words the rest. */
  token = verify_token (self, body, NULL);
  if (token == NULL)
    return FALSE;
  /* Relayed or not, a valid token ends the unauthenticated count. */
  convoke_signaling_server_authenticated (self->server, tc->conn);
  room = convoke_json_get_string (body, "name");
  if (room == NULL)
    room = token->room;
  if (room == NULL || *room == '\0')
    return FALSE;
  first_frame = hello_frame (tc, body);
  join.room_name = room;
  join.forwarded = convoke_signaling_connection_get_forwarded (tc->conn);
  join.may_create = config->auto_create || convoke_config_named_room_type (config, room) != NULL;
  join.path = CONVOKE_TCMP_PATH;
  join.first_frame = first_frame;
  join.drop_first_type = "welcome";
  routed = g_new0 (RoutedConnect, 1);
  routed->front_end = self;
  routed->body = json_object_ref (body);
  convoke_cluster_route_join (cluster, self->registry, tc->conn, &join, on_connect_routed,
                              routed, routed_connect_free);
  return TRUE;
}

typedef struct
{
  ConvokeTcmpFrontEnd *front_end;
  ConvokeSignalingConnection *conn;
  char *first_frame;
} RoutedSync;

static void
on_sync_routed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RoutedSync *routed = user_data;
  ConvokeCluster *cluster = convoke_daemon_get_cluster (routed->front_end->daemon);
  TcmpConn *tc = g_hash_table_lookup (routed->front_end->conns, routed->conn);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeClusterRoute) route
      = cluster != NULL ? convoke_cluster_route_finish (cluster, result, &error) : NULL;

  if (tc != NULL && (route == NULL || route->local))
    {
      if (error == NULL)
        g_set_error (&error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_DISCONNECTED,
                     _ ("No session to resume: it ended or never existed"));
      refuse_room (tc, error);
      convoke_signaling_connection_resume_input (routed->conn);
    }
  else if (tc != NULL)
    {
      ConvokeClusterJoin join = { 0 };

      join.path = CONVOKE_TCMP_PATH;
      join.first_frame = routed->first_frame;
      join.drop_first_type = "welcome";
      /* The relay resumes input once connected. */
      convoke_cluster_relay (cluster, routed->conn, route->node_url, &join);
    }
  else
    convoke_signaling_connection_resume_input (routed->conn);
  g_object_unref (routed->conn);
  g_free (routed->first_frame);
  g_free (routed);
}

/* A `sync` for a session this node does not hold: another node may. */
static gboolean
route_sync (TcmpConn *tc, JsonObject *body, const char *id)
{
  ConvokeTcmpFrontEnd *self = tc->front_end;
  ConvokeCluster *cluster = convoke_daemon_get_cluster (self->daemon);
  RoutedSync *routed;

  if (cluster == NULL || id == NULL || tc->session != NULL
      || convoke_signaling_connection_get_forwarded (tc->conn))
    return FALSE;
  {
    g_autoptr (ConvokeAccessToken) token = verify_token (self, body, NULL);

    if (token == NULL)
      return FALSE;
    convoke_signaling_server_authenticated (self->server, tc->conn);
  }
  routed = g_new0 (RoutedSync, 1);
  routed->front_end = self;
  routed->conn = g_object_ref (tc->conn);
  routed->first_frame = hello_frame (tc, body);
  convoke_signaling_connection_pause_input (tc->conn);
  convoke_cluster_route_session_async (cluster, id, on_sync_routed, routed);
  return TRUE;
}

static void
handle_connect (TcmpConn *tc, JsonObject *body)
{
  g_autoptr (GError) error = NULL;

  if (tc->session != NULL)
    {
      g_set_error (&error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("Already connected: a socket connects once"));
      refuse_room (tc, error);
      return;
    }
  if (!route_connect (tc, body))
    handle_connect_here (tc, body);
}

/* The room is on this node. */
static void
handle_connect_here (TcmpConn *tc, JsonObject *body)
{
  ConvokeTcmpFrontEnd *self = tc->front_end;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeRspSession) session = NULL;
  ConvokeParticipant *participant;

  if (tc->session != NULL)
    {
      g_set_error (&error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("Already connected: a socket connects once"));
      refuse_room (tc, error);
      return;
    }
  session = convoke_rsp_session_new (self->registry, on_session_ended, self);
  /* Before joining: the module reads the opt-in flags as it adds it. */
  convoke_rsp_session_read_media_signaling (session, body);
  participant = convoke_signaling_server_join (
      self->server, convoke_json_get_string (body, "token"),
      convoke_json_get_string (body, "name"), convoke_rsp_session_transport (), session,
      &error);
  if (participant == NULL)
    {
      refuse_room (tc, error);
      return;
    }
  convoke_signaling_server_authenticated (self->server, tc->conn);
  convoke_signaling_connection_stop_join_deadline (tc->conn);
  tc->session = convoke_rsp_session_ref (session);
  g_hash_table_insert (self->sessions, g_strdup (convoke_rsp_session_get_id (session)),
                       convoke_rsp_session_ref (session));
  /* A `sync` may reach any node after a drop. */
  if (convoke_daemon_get_cluster (self->daemon) != NULL)
    convoke_cluster_note_session (convoke_daemon_get_cluster (self->daemon),
                                  convoke_rsp_session_get_id (session));
  g_message ("signaling: %s joined room %s as %s (%s) with the Twilio SDK protocol",
             convoke_signaling_connection_get_peer (tc->conn), participant->room->sid,
             participant->sid, participant->identity);
  if (!convoke_rsp_session_start (session, participant, tc->conn, body, &error))
    refuse_room (tc, error);
}

static void
handle_sync (TcmpConn *tc, JsonObject *body)
{
  ConvokeTcmpFrontEnd *self = tc->front_end;
  const char *id = convoke_json_get_string (body, "session");
  ConvokeRspSession *session = id != NULL ? g_hash_table_lookup (self->sessions, id) : NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeAccessToken) token = NULL;
  ConvokeParticipant *participant;

  if (session == NULL && route_sync (tc, body, id))
    return;
  if (session == NULL)
    {
      g_autofree char *quoted = convoke_quote_untrusted (id != NULL ? id : "", MAX_QUOTED_CHARS);

      g_set_error (&error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_DISCONNECTED,
                   _ ("No session “%s” to resume: it ended or never existed"), quoted);
      refuse_room (tc, error);
      return;
    }
  /* One socket, one session. Taking a second one over would leave the
   * first tied to no socket, so that it never left the room (a ghost,
   * found by fuzz-tcmp's author); the SDK never does this. */
  if (tc->session != NULL && tc->session != session)
    {
      g_set_error (&error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("This socket already carries session %s: a socket resumes only "
                      "its own session"),
                   convoke_rsp_session_get_id (tc->session));
      refuse_room (tc, error);
      return;
    }
  token = verify_token (self, body, &error);
  participant = convoke_rsp_session_get_participant (session);
  if (token == NULL)
    {
      refuse_room (tc, error);
      return;
    }
  if (g_strcmp0 (token->identity, participant->identity) != 0)
    {
      g_set_error (&error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_GRANTS_INVALID,
                   _ ("The access token is for another identity than the session's"));
      refuse_room (tc, error);
      return;
    }
  convoke_signaling_server_authenticated (self->server, tc->conn);
  convoke_signaling_connection_stop_join_deadline (tc->conn);
  g_clear_pointer (&tc->session, convoke_rsp_session_unref);
  tc->session = convoke_rsp_session_ref (session);
  g_message ("signaling: %s resumed session %s of %s",
             convoke_signaling_connection_get_peer (tc->conn), id, participant->sid);
  if (!convoke_rsp_session_attach (session, tc->conn, body, &error))
    refuse_room (tc, error);
}

/* An RSP message, from `hello` (first) or `msg`. */
static void
handle_body (TcmpConn *tc, JsonObject *body, gboolean in_hello)
{
  const char *type = convoke_json_get_string (body, "type");
  g_autoptr (GError) error = NULL;

  if (type == NULL)
    {
      refuse_frame (tc, _ ("The message body has no string “type”"));
      return;
    }
  if (g_str_equal (type, "ice"))
    handle_ice (tc, body);
  else if (g_str_equal (type, "connect"))
    handle_connect (tc, body);
  else if (g_str_equal (type, "sync"))
    handle_sync (tc, body);
  else if (in_hello || tc->session == NULL)
    {
      g_autofree char *quoted = convoke_quote_untrusted (type, MAX_QUOTED_CHARS);

      g_set_error (&error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("“%s” before “connect”"), quoted);
      refuse_room (tc, error);
    }
  else if (g_str_equal (type, "update"))
    {
      if (!convoke_rsp_session_update (tc->session, body, &error))
        refuse_room (tc, error);
    }
  else if (g_str_equal (type, "disconnect"))
    {
      g_autoptr (ConvokeRspSession) session = convoke_rsp_session_ref (tc->session);

      convoke_rsp_session_leave (session);
    }
  else
    {
      g_autofree char *quoted = convoke_quote_untrusted (type, MAX_QUOTED_CHARS);

      g_set_error (&error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("Unknown message type “%s”"), quoted);
      refuse_room (tc, error);
    }
}

/* ---- TCMP ---------------------------------------------------------------- */

static gboolean
on_heartbeat (gpointer user_data)
{
  TcmpConn *tc = user_data;

  send_frame (tc, "heartbeat");
  return G_SOURCE_CONTINUE;
}

static JsonObject *
body_member (JsonObject *frame)
{
  JsonNode *node = json_object_get_member (frame, "body");

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
handle_hello (TcmpConn *tc, JsonObject *frame)
{
  JsonNode *version = json_object_get_member (frame, "version");
  JsonNode *timeout = json_object_get_member (frame, "timeout");
  gint64 timeout_ms = DEFAULT_TIMEOUT_MS;
  JsonObject *body = body_member (frame);
  g_autoptr (JsonObject) welcome = NULL;

  if (tc->welcomed)
    {
      refuse_frame (tc, _ ("A second “hello” on one socket"));
      return;
    }
  if (version == NULL || !JSON_NODE_HOLDS_VALUE (version)
      || json_node_get_value_type (version) != G_TYPE_INT64
      || json_node_get_int (version) != TCMP_VERSION)
    {
      refuse_frame (tc, _ ("“hello” needs “version”: 2 (TCMP v2)"));
      return;
    }
  if (body == NULL)
    {
      refuse_frame (tc, _ ("“hello” needs an object “body”"));
      return;
    }
  if (timeout != NULL && JSON_NODE_HOLDS_VALUE (timeout)
      && json_node_get_value_type (timeout) == G_TYPE_INT64)
    timeout_ms = CLAMP (json_node_get_int (timeout), MIN_TIMEOUT_MS, MAX_TIMEOUT_MS);

  tc->welcomed = TRUE;
  tc->timeout_ms = timeout_ms;
  welcome = json_object_new ();
  json_object_set_string_member (welcome, "type", "welcome");
  json_object_set_int_member (welcome, "negotiatedTimeout", timeout_ms);
  convoke_signaling_connection_send (tc->conn, welcome, NULL);
  /* The SDK closes after 3 × negotiatedTimeout of silence; twice per
   * timeout keeps a busy machine well inside that. */
  tc->heartbeat_source = g_timeout_add ((guint)timeout_ms / 2, on_heartbeat, tc);
  handle_body (tc, body, TRUE);
}

static void
on_message (ConvokeSignalingConnection *conn, JsonObject *frame, const char *type,
            JsonNode *id, TcmpConn *tc)
{
  JsonObject *body;

  if (g_str_equal (type, "heartbeat"))
    return; /* the connection already counted it as a sign of life */
  if (g_str_equal (type, "hello"))
    {
      handle_hello (tc, frame);
      return;
    }
  if (g_str_equal (type, "bye"))
    {
      /* Without `disconnect` first, a bye is only a closing socket: the
       * session waits for `sync` like after any drop. */
      convoke_signaling_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL);
      return;
    }
  if (!g_str_equal (type, "msg"))
    {
      g_autofree char *quoted = convoke_quote_untrusted (type, MAX_QUOTED_CHARS);
      g_autofree char *reason = g_strdup_printf (_ ("Unknown TCMP message type “%s”"), quoted);

      refuse_frame (tc, reason);
      return;
    }
  if (!tc->welcomed)
    {
      refuse_frame (tc, _ ("“msg” before “hello”"));
      return;
    }
  body = body_member (frame);
  if (body == NULL)
    {
      refuse_frame (tc, _ ("“msg” needs an object “body”"));
      return;
    }
  handle_body (tc, body, FALSE);
}

static void
on_error_sent (ConvokeSignalingConnection *conn, int code, TcmpConn *tc)
{
  if (code == CONVOKE_ERROR_SIGNALING_MESSAGE_TOO_LARGE
      || code == CONVOKE_ERROR_SIGNALING_RATE)
    tc->limit_error_sent = TRUE;
}

static void
on_disconnected (ConvokeSignalingConnection *conn, TcmpConn *tc)
{
  ConvokeTcmpFrontEnd *self = tc->front_end;

  /* A socket that dropped may come back with `sync`; one that got an
   * `error` will not (the SDK has disconnected), so its participant
   * leaves now rather than linger as connected for the session timeout. */
  if (tc->session != NULL && tc->limit_error_sent
      && convoke_rsp_session_get_connection (tc->session) == conn)
    {
      g_autoptr (ConvokeRspSession) session = convoke_rsp_session_ref (tc->session);

      convoke_rsp_session_leave (session);
    }
  else if (tc->session != NULL)
    convoke_rsp_session_detach (tc->session, conn);
  g_hash_table_remove (self->conns, conn);
}

void
convoke_tcmp_front_end_attach (ConvokeTcmpFrontEnd *self, ConvokeSignalingConnection *conn)
{
  TcmpConn *tc = g_new0 (TcmpConn, 1);

  tc->front_end = self;
  tc->conn = g_object_ref (conn);
  convoke_signaling_connection_set_dialect (conn, "connect", build_error, TRUE);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), tc);
  g_signal_connect (conn, "error-sent", G_CALLBACK (on_error_sent), tc);
  g_signal_connect (conn, "disconnected", G_CALLBACK (on_disconnected), tc);
  g_hash_table_insert (self->conns, conn, tc);
}

ConvokeTcmpFrontEnd *
convoke_tcmp_front_end_new (struct _ConvokeSignalingServer *server, ConvokeDaemon *daemon)
{
  ConvokeTcmpFrontEnd *self = g_new0 (ConvokeTcmpFrontEnd, 1);

  self->server = server;
  self->daemon = daemon;
  self->registry = g_object_ref (convoke_daemon_get_registry (daemon));
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)convoke_rsp_session_unref);
  self->conns = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)tcmp_conn_free);
  self->subscriptions_handler
      = g_signal_connect (self->registry, "subscriptions-changed",
                          G_CALLBACK (on_subscriptions_changed), self);
  return self;
}

void
convoke_tcmp_front_end_free (ConvokeTcmpFrontEnd *self)
{
  g_autoptr (GPtrArray) sessions = NULL;
  GHashTableIter iter;
  gpointer value;

  if (self == NULL)
    return;
  g_clear_signal_handler (&self->subscriptions_handler, self->registry);
  /* Leaving ends each session, which drops it from the table. */
  sessions = g_ptr_array_new_with_free_func ((GDestroyNotify)convoke_rsp_session_unref);
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sessions, convoke_rsp_session_ref (value));
  for (guint i = 0; i < sessions->len; i++)
    convoke_rsp_session_leave (g_ptr_array_index (sessions, i));
  {
    g_autoptr (GList) conns = g_hash_table_get_keys (self->conns);

    for (GList *l = conns; l != NULL; l = l->next)
      convoke_signaling_connection_close (l->data, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  }
  g_hash_table_destroy (self->conns);
  g_hash_table_destroy (self->sessions);
  g_object_unref (self->registry);
  g_free (self);
}
