/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-cluster"
#include "cluster-proxy.h"

#include <libsoup/soup.h>
#include <string.h>

#include "i18n.h"
#include "sid.h"
#include "twilio-error.h"
#include "untrusted-json.h"

/* Frames from the hosting node are its own, already bounded there. */
#define UPSTREAM_MAX_FRAME (16u << 20)

/* ---- the relay ------------------------------------------------------------ */

typedef struct
{
  ConvokeSignalingConnection *conn; /* a reference */
  SoupWebsocketConnection *upstream; /* NULL until connected */
  char *node_url;
  char *first_frame;
  char *drop_first_type;
  gboolean dropped;
  gulong conn_handler;
  gboolean conn_gone;
} Relay;

static void
relay_free (Relay *relay)
{
  if (relay->conn_handler != 0)
    g_signal_handler_disconnect (relay->conn, relay->conn_handler);
  if (relay->upstream != NULL)
    g_signal_handlers_disconnect_by_data (relay->upstream, relay);
  g_clear_object (&relay->upstream);
  g_object_unref (relay->conn);
  g_free (relay->node_url);
  g_free (relay->first_frame);
  g_free (relay->drop_first_type);
  g_free (relay);
}

/* A frame from the client, already through this node's limits. */
static void
from_client (ConvokeSignalingConnection *conn, GBytes *text, gpointer user_data)
{
  Relay *relay = user_data;

  if (relay->upstream != NULL
      && soup_websocket_connection_get_state (relay->upstream) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_message (relay->upstream, SOUP_WEBSOCKET_DATA_TEXT,
                                            text);
}

static gboolean
is_frame_of_type (GBytes *bytes, const char *type)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);
  g_autoptr (JsonNode) root
      = convoke_untrusted_json_parse (data, length, CONVOKE_UNTRUSTED_JSON_MAX_DEPTH, NULL);

  return root != NULL && JSON_NODE_HOLDS_OBJECT (root)
         && g_strcmp0 (convoke_json_get_string (json_node_get_object (root), "type"), type)
                == 0;
}

static void
on_upstream_message (SoupWebsocketConnection *ws, gint type, GBytes *message, Relay *relay)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  const char *data;

  if (type != SOUP_WEBSOCKET_DATA_TEXT || relay->conn_gone)
    return;
  if (relay->drop_first_type != NULL && !relay->dropped
      && is_frame_of_type (message, relay->drop_first_type))
    {
      relay->dropped = TRUE;
      return;
    }
  data = g_bytes_get_data (message, &length);
  text = g_strndup (data, length);
  convoke_signaling_connection_send_text (relay->conn, text);
}

static void
on_upstream_closed (SoupWebsocketConnection *ws, Relay *relay)
{
  gushort code = soup_websocket_connection_get_close_code (ws);

  /* Closing the client's socket below emits its "disconnected": the
   * relay is done with it, and is freed here, once. */
  if (relay->conn_handler != 0)
    {
      g_signal_handler_disconnect (relay->conn, relay->conn_handler);
      relay->conn_handler = 0;
    }

  if (!relay->conn_gone)
    {
      /* A node that died sent no close frame: the client hears what a
       * crashed worker's participants hear. */
      if (code == 0 || code == SOUP_WEBSOCKET_CLOSE_ABNORMAL
          || code == SOUP_WEBSOCKET_CLOSE_SERVER_ERROR)
        {
          g_autofree char *text = g_strdup_printf (
              _ ("The node hosting the room (%s) stopped answering"), relay->node_url);

          convoke_signaling_connection_fail (relay->conn, NULL,
                                             CONVOKE_ERROR_ROOM_MEDIA_FAILED, text,
                                             SOUP_WEBSOCKET_CLOSE_SERVER_ERROR);
        }
      else
        convoke_signaling_connection_close (relay->conn, code);
    }
  relay_free (relay);
}

static void
on_client_gone (ConvokeSignalingConnection *conn, Relay *relay)
{
  relay->conn_gone = TRUE;
  g_signal_handler_disconnect (relay->conn, relay->conn_handler);
  relay->conn_handler = 0;
  if (relay->upstream != NULL
      && soup_websocket_connection_get_state (relay->upstream) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (relay->upstream, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  else if (relay->upstream != NULL
           && soup_websocket_connection_get_state (relay->upstream)
                  == SOUP_WEBSOCKET_STATE_CLOSED)
    relay_free (relay);
  /* Still connecting: on_connected() sees conn_gone. */
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Relay *relay = user_data;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);

  if (ws == NULL)
    {
      if (!relay->conn_gone)
        {
          g_autofree char *text
              = g_strdup_printf (_ ("Cannot reach the node hosting the room (%s): %s"),
                                 relay->node_url, error->message);

          g_warning ("cluster: %s", text);
          convoke_signaling_connection_fail (relay->conn, NULL,
                                             CONVOKE_ERROR_SIGNALING_CONNECTION, text,
                                             SOUP_WEBSOCKET_CLOSE_SERVER_ERROR);
        }
      relay_free (relay);
      return;
    }
  relay->upstream = ws;
  if (relay->conn_gone)
    {
      soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      relay_free (relay);
      return;
    }
  soup_websocket_connection_set_max_incoming_payload_size (ws, UPSTREAM_MAX_FRAME);
  /* No keepalive of ours: the client's own keepalives pass through. */
  soup_websocket_connection_set_keepalive_interval (ws, 0);
  g_signal_connect (ws, "message", G_CALLBACK (on_upstream_message), relay);
  g_signal_connect (ws, "closed", G_CALLBACK (on_upstream_closed), relay);
  soup_websocket_connection_send_text (ws, relay->first_frame);
  g_debug ("cluster: %s relayed to %s", convoke_signaling_connection_get_peer (relay->conn),
           relay->node_url);
  convoke_signaling_connection_set_relay (relay->conn, from_client, relay);
  convoke_signaling_connection_resume_input (relay->conn);
}

void
convoke_cluster_relay (ConvokeCluster *cluster, ConvokeSignalingConnection *conn,
                       const char *node_url, const ConvokeClusterJoin *join)
{
  Relay *relay = g_new0 (Relay, 1);
  g_autofree char *ws_url = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  char *protocols[] = { (char *) join->subprotocol, NULL };

  relay->conn = g_object_ref (conn);
  relay->node_url = g_strdup (node_url);
  relay->first_frame = g_strdup (join->first_frame);
  relay->drop_first_type = g_strdup (join->drop_first_type);
  relay->conn_handler
      = g_signal_connect (conn, "disconnected", G_CALLBACK (on_client_gone), relay);
  /* http(s)://… is ws(s)://… to libsoup's WebSocket client. */
  ws_url = g_strconcat (g_str_has_prefix (node_url, "https:") ? "wss" : "ws",
                        strchr (node_url, ':'), join->path, NULL);
  msg = soup_message_new (SOUP_METHOD_GET, ws_url);
  if (msg == NULL)
    {
      g_autofree char *text
          = g_strdup_printf (_ ("Cannot reach the node hosting the room: “%s” is not a URL"),
                             node_url);

      convoke_signaling_connection_fail (conn, NULL, CONVOKE_ERROR_SIGNALING_CONNECTION, text,
                                         SOUP_WEBSOCKET_CLOSE_SERVER_ERROR);
      relay_free (relay);
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                CONVOKE_CLUSTER_FORWARDED_HEADER,
                                convoke_cluster_get_node_id (cluster));
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For",
                                convoke_signaling_connection_get_peer (conn));
  soup_session_websocket_connect_async (convoke_cluster_get_http_session (cluster), msg,
                                        NULL, join->subprotocol != NULL ? protocols : NULL,
                                        G_PRIORITY_DEFAULT, NULL, on_connected, relay);
}

/* ---- routing a join ------------------------------------------------------- */

typedef struct
{
  ConvokeCluster *cluster;
  ConvokeRoomRegistry *registry;
  ConvokeSignalingConnection *conn;
  ConvokeClusterJoin join; /* strings owned below */
  char *room_name;
  char *path;
  char *subprotocol;
  char *first_frame;
  char *drop_first_type;
  ConvokeClusterJoinDone done;
  gpointer user_data;
  GDestroyNotify destroy;
  char *sid;      /* the room being created here */
  gboolean retried;
} JoinJob;

static void
join_job_free (JoinJob *job)
{
  if (job->destroy != NULL)
    job->destroy (job->user_data);
  g_object_unref (job->registry);
  g_object_unref (job->conn);
  g_free (job->room_name);
  g_free (job->path);
  g_free (job->subprotocol);
  g_free (job->first_frame);
  g_free (job->drop_first_type);
  g_free (job->sid);
  g_free (job);
}

static void
finish_join (JoinJob *job, const GError *error)
{
  g_autoptr (ConvokeSignalingConnection) conn = g_object_ref (job->conn);

  job->done (conn, error, job->user_data);
  join_job_free (job);
  convoke_signaling_connection_resume_input (conn);
}

static void route_now (JoinJob *job, gboolean place);

static void
on_claimed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JoinJob *job = user_data;
  g_autoptr (GError) error = NULL;
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;

  if (!convoke_cluster_claim_finish (job->cluster, result, &error))
    {
      /* Another node created it meanwhile: join it there. */
      if (g_error_matches (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_EXISTS) && !job->retried)
        {
          job->retried = TRUE;
          route_now (job, FALSE);
          return;
        }
      finish_join (job, error);
      return;
    }
  params.unique_name = job->room_name;
  params.sid = job->sid;
  if (convoke_room_registry_create_room (job->registry, &params, &error) == NULL)
    {
      convoke_cluster_release_name (job->cluster, job->room_name, job->sid);
      finish_join (job, error);
      return;
    }
  finish_join (job, NULL);
}

static void
on_routed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JoinJob *job = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeClusterRoute) route
      = convoke_cluster_route_finish (job->cluster, result, &error);

  if (route == NULL)
    finish_join (job, error);
  else if (!route->local && !job->join.forwarded)
    {
      convoke_cluster_relay (job->cluster, job->conn, route->node_url, &job->join);
      join_job_free (job);
    }
  else if (route->room_sid != NULL
           && convoke_room_registry_lookup (job->registry, route->room_sid) != NULL)
    finish_join (job, NULL);
  else
    {
      /* To be created here: placed here, or sent here by the node that
       * placed it. */
      job->sid = convoke_sid_new (CONVOKE_SID_ROOM);
      convoke_cluster_claim_async (job->cluster, job->room_name, job->sid, on_claimed, job);
    }
}

static void
route_now (JoinJob *job, gboolean place)
{
  /* A room in progress here needs no Redis at all: rooms go on while it
   * is away. */
  if (convoke_room_registry_lookup (job->registry, job->room_name) != NULL)
    {
      ConvokeRoom *room = convoke_room_registry_lookup (job->registry, job->room_name);

      if (room->status == CONVOKE_ROOM_IN_PROGRESS)
        {
          finish_join (job, NULL);
          return;
        }
    }
  convoke_cluster_route_async (job->cluster, job->room_name, place, on_routed, job);
}

void
convoke_cluster_route_join (ConvokeCluster *cluster, ConvokeRoomRegistry *registry,
                            ConvokeSignalingConnection *conn, const ConvokeClusterJoin *join,
                            ConvokeClusterJoinDone done, gpointer user_data,
                            GDestroyNotify destroy)
{
  JoinJob *job = g_new0 (JoinJob, 1);

  job->cluster = cluster;
  job->registry = g_object_ref (registry);
  job->conn = g_object_ref (conn);
  job->room_name = g_strdup (join->room_name);
  job->path = g_strdup (join->path);
  job->subprotocol = g_strdup (join->subprotocol);
  job->first_frame = g_strdup (join->first_frame);
  job->drop_first_type = g_strdup (join->drop_first_type);
  job->join = *join;
  job->join.room_name = job->room_name;
  job->join.path = job->path;
  job->join.subprotocol = job->subprotocol;
  job->join.first_frame = job->first_frame;
  job->join.drop_first_type = job->drop_first_type;
  job->done = done;
  job->user_data = user_data;
  job->destroy = destroy;
  convoke_signaling_connection_pause_input (conn);
  route_now (job, join->may_create && !convoke_sid_is_valid (join->room_name,
                                                               CONVOKE_SID_ROOM));
}
