/* The REST API in cluster mode (docs/cluster.md): what one node answers
 * for rooms that live on other nodes.
 *
 * - GET /v1/Rooms lists this node's rooms and every other node's, from
 *   the records in Redis (cluster.h), merged newest first.
 * - GET /v1/Rooms/{Sid} of another node's room answers from its record.
 * - Everything else about another node's room (POST, Participants,
 *   Recordings, Pipeline) is forwarded to that node, which answers it as
 *   its own: the answer is relayed as it is.
 * - POST /v1/Rooms places the room: on this node, or forwarded to the
 *   least-loaded one. The node that creates it first claims its name in
 *   Redis, so of two racing creations one gets 53113.
 * - GET /v1/Nodes lists the live nodes (convokectl nodes).
 *
 * Each of these waits for Redis or another node with the message paused;
 * the request's context is copied, since ConvokeRestRequest is borrowed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-cluster"
#include <string.h>

#include "cluster.h"
#include "i18n.h"
#include "rest-private.h"
#include "sid.h"
#include "twilio-error.h"
#include "untrusted-json.h"

/* How long a forwarded request may take on the other node. */
#define FORWARD_TIMEOUT_S 15

typedef struct
{
  ConvokeRestRequest req; /* points into the fields below */
  ConvokeCluster *cluster;
  GStrv segments;
  char *method;
  char *path;
  char *base_url;
  gulong finished_handler;
  gboolean finished; /* the client went away: nothing to answer */
  /* List filters (list_rooms). */
  char *status;
  char *unique_name;
  GDateTime *after;
  GDateTime *before;
  GPtrArray *local; /* ConvokeRoom* (refs) */
  char *filters[9];
} PendingRest;

static void
on_finished (SoupServerMessage *msg, gpointer user_data)
{
  ((PendingRest *) user_data)->finished = TRUE;
}

static PendingRest *
pending_new (ConvokeRestRequest *req, ConvokeCluster *cluster)
{
  PendingRest *p = g_new0 (PendingRest, 1);

  p->cluster = cluster;
  p->segments = g_strdupv (req->segments);
  p->method = g_strdup (req->method);
  p->path = g_strdup (req->path);
  p->base_url = g_strdup (req->base_url);
  p->req.api = g_rc_box_acquire (req->api);
  p->req.msg = g_object_ref (req->msg);
  p->req.method = p->method;
  p->req.path = p->path;
  p->req.segments = p->segments;
  p->req.n_segments = req->n_segments;
  p->req.query = g_hash_table_ref (req->query);
  p->req.form = g_hash_table_ref (req->form);
  p->req.config = convoke_config_ref (req->config);
  p->req.registry = g_object_ref (req->registry);
  p->req.base_url = p->base_url;
  p->finished_handler
      = g_signal_connect (req->msg, "finished", G_CALLBACK (on_finished), p);
  soup_server_message_pause (req->msg);
  return p;
}

/* Answers (unless the client left) and frees. */
static void
pending_done (PendingRest *p)
{
  g_signal_handler_disconnect (p->req.msg, p->finished_handler);
  if (!p->finished)
    soup_server_message_unpause (p->req.msg);
  g_object_unref (p->req.msg);
  g_rc_box_release (p->req.api);
  g_hash_table_unref (p->req.query);
  g_hash_table_unref (p->req.form);
  convoke_config_unref (p->req.config);
  g_object_unref (p->req.registry);
  g_strfreev (p->segments);
  g_free (p->method);
  g_free (p->path);
  g_free (p->base_url);
  g_free (p->status);
  g_free (p->unique_name);
  g_clear_pointer (&p->after, g_date_time_unref);
  g_clear_pointer (&p->before, g_date_time_unref);
  g_clear_pointer (&p->local, g_ptr_array_unref);
  for (guint i = 0; i < G_N_ELEMENTS (p->filters); i++)
    g_free (p->filters[i]);
  g_free (p);
}

/* ---- records -------------------------------------------------------------- */

static JsonObject *
record_room (JsonObject *record)
{
  JsonNode *node = json_object_get_member (record, "room");

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* The resource's URLs name the node that wrote it; this node answers
 * for it, so they name this one (behind one public URL, both are the
 * same anyway). */
static JsonNode *
rebase_urls (JsonNode *node, const char *from, const char *to)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        rebase_urls (member, from, to);
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
           && from != NULL && g_str_has_prefix (json_node_get_string (node), from))
    {
      g_autofree char *text
          = g_strconcat (to, json_node_get_string (node) + strlen (from), NULL);

      json_node_set_string (node, text);
    }
  return node;
}

static JsonNode *
record_to_json (ConvokeRestRequest *req, JsonObject *record)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, record_room (record));
  /* A copy: the record may be listed again. */
  return rebase_urls (json_node_copy (node), convoke_json_get_string (record, "base_url"),
                      req->base_url);
}

/* ---- GET /v1/Rooms -------------------------------------------------------- */

typedef struct
{
  const char *sid;
  gint64 created_us;
  ConvokeRoom *local;  /* borrowed from PendingRest.local */
  JsonObject *record;  /* borrowed from the list */
} ListedRoom;

static const char *
listed_sid (gpointer item)
{
  return ((ListedRoom *) item)->sid;
}

static JsonNode *
listed_to_json (ConvokeRestRequest *req, gpointer item)
{
  ListedRoom *listed = item;

  return listed->local != NULL ? convoke_rest_room_to_json (req, listed->local)
                               : record_to_json (req, listed->record);
}

static int
compare_listed (gconstpointer a, gconstpointer b)
{
  const ListedRoom *x = *(ListedRoom *const *) a, *y = *(ListedRoom *const *) b;

  return x->created_us > y->created_us ? -1 : x->created_us < y->created_us ? 1 : 0;
}

static gint64
unix_usec (GDateTime *when)
{
  return g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when);
}

static gboolean
record_matches (PendingRest *p, JsonObject *record, gint64 created_us)
{
  JsonObject *room = record_room (record);

  if (room == NULL || convoke_json_get_string (room, "sid") == NULL)
    return FALSE;
  if (p->status != NULL && g_strcmp0 (convoke_json_get_string (room, "status"), p->status) != 0)
    return FALSE;
  if (p->unique_name != NULL
      && g_strcmp0 (convoke_json_get_string (room, "unique_name"), p->unique_name) != 0)
    return FALSE;
  if (p->after != NULL && created_us < unix_usec (p->after))
    return FALSE;
  if (p->before != NULL && created_us >= unix_usec (p->before))
    return FALSE;
  return TRUE;
}

static void
on_rooms_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PendingRest *p = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) records = convoke_cluster_list_rooms_finish (p->cluster, result, &error);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (p->finished)
    goto out;
  if (records == NULL)
    {
      convoke_rest_reply_gerror (&p->req, error);
      goto out;
    }
  for (guint i = 0; i < p->local->len; i++)
    {
      ListedRoom *listed = g_new0 (ListedRoom, 1);

      listed->local = g_ptr_array_index (p->local, i);
      listed->sid = listed->local->sid;
      listed->created_us = unix_usec (listed->local->date_created);
      g_hash_table_add (seen, (gpointer) listed->sid);
      g_ptr_array_add (items, listed);
    }
  for (guint i = 0; i < records->len; i++)
    {
      JsonObject *record = g_ptr_array_index (records, i);
      JsonObject *room = record_room (record);
      gint64 created_us = json_object_get_int_member_with_default (record, "created_us", 0);
      ListedRoom *listed;

      /* This node's own rooms come from its registry, which is newer. */
      if (!record_matches (p, record, created_us)
          || g_hash_table_contains (seen, convoke_json_get_string (room, "sid")))
        continue;
      listed = g_new0 (ListedRoom, 1);
      listed->record = record;
      listed->sid = convoke_json_get_string (room, "sid");
      listed->created_us = created_us;
      g_ptr_array_add (items, listed);
    }
  g_ptr_array_sort (items, compare_listed);
  convoke_rest_reply_page (&p->req, "/v1/Rooms", (const char *const *) p->filters, "rooms",
                           items, listed_sid, listed_to_json);
out:
  pending_done (p);
}

gboolean
convoke_rest_cluster_list_rooms (ConvokeRestRequest *req, GPtrArray *local,
                                 const char *status, const char *unique_name,
                                 GDateTime *after, GDateTime *before,
                                 const char *const *filters)
{
  ConvokeCluster *cluster = convoke_daemon_get_cluster (req->api->daemon);
  PendingRest *p;

  if (cluster == NULL)
    return FALSE;
  p = pending_new (req, cluster);
  p->local = g_ptr_array_new_with_free_func ((GDestroyNotify) convoke_room_unref);
  for (guint i = 0; i < local->len; i++)
    g_ptr_array_add (p->local, convoke_room_ref (g_ptr_array_index (local, i)));
  p->status = g_strdup (status);
  p->unique_name = g_strdup (unique_name);
  p->after = after != NULL ? g_date_time_ref (after) : NULL;
  p->before = before != NULL ? g_date_time_ref (before) : NULL;
  for (guint i = 0; i + 1 < G_N_ELEMENTS (p->filters) && filters[i] != NULL; i += 2)
    {
      p->filters[i] = g_strdup (filters[i]);
      /* A filter without a value stays in the list, as NULL. */
      p->filters[i + 1] = g_strdup (filters[i + 1]);
    }
  convoke_cluster_list_rooms_async (cluster, on_rooms_listed, p);
  return TRUE;
}

/* ---- forwarding to another node ------------------------------------------- */

static void
on_forwarded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PendingRest *p = user_data;
  SoupMessage *forwarded = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  if (p->finished)
    goto out;
  if (body == NULL)
    {
      convoke_rest_reply_error (&p->req, CONVOKE_ERROR_SERVICE_UNAVAILABLE,
                                _ ("The node hosting this room cannot be reached: %s"),
                                error->message);
      goto out;
    }
  {
    gsize length = 0;
    const char *data = g_bytes_get_data (body, &length);
    const char *type = soup_message_headers_get_one (
        soup_message_get_response_headers (forwarded), "Content-Type");

    soup_server_message_set_status (p->req.msg, soup_message_get_status (forwarded), NULL);
    soup_server_message_set_response (p->req.msg, type, SOUP_MEMORY_COPY, data, length);
  }
out:
  pending_done (p);
}

static void
forward (PendingRest *p, const char *node_url)
{
  GUri *uri = soup_server_message_get_uri (p->req.msg);
  SoupMessageHeaders *in = soup_server_message_get_request_headers (p->req.msg);
  g_autofree char *url = g_strconcat (node_url, g_uri_get_path (uri),
                                      g_uri_get_query (uri) != NULL ? "?" : "",
                                      g_uri_get_query (uri) != NULL ? g_uri_get_query (uri) : "",
                                      NULL);
  g_autoptr (SoupMessage) out = soup_message_new (p->method, url);
  SoupMessageHeaders *headers;
  const char *value;

  if (out == NULL)
    {
      convoke_rest_reply_error (&p->req, CONVOKE_ERROR_INTERNAL,
                                _ ("Cannot forward to “%s”: not a URL"), url);
      pending_done (p);
      return;
    }
  headers = soup_message_get_request_headers (out);
  if ((value = soup_message_headers_get_one (in, "Authorization")) != NULL)
    soup_message_headers_replace (headers, "Authorization", value);
  soup_message_headers_replace (headers, CONVOKE_CLUSTER_FORWARDED_HEADER,
                                convoke_cluster_get_node_id (p->cluster));
  if (g_strcmp0 (p->method, SOUP_METHOD_POST) == 0)
    {
      g_autoptr (GBytes) body
          = soup_message_body_flatten (soup_server_message_get_request_body (p->req.msg));

      soup_message_set_request_body_from_bytes (
          out, soup_message_headers_get_content_type (in, NULL), body);
    }
  soup_session_send_and_read_async (convoke_cluster_get_http_session (p->cluster), out,
                                    G_PRIORITY_DEFAULT, NULL, on_forwarded, p);
}

/* ---- POST /v1/Rooms -------------------------------------------------------- */

typedef struct
{
  PendingRest *p;
  char *sid;
  char *name;
} Creation;

static void
on_created_synced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PendingRest *p = user_data;

  /* Redis away: the room is made all the same and answered; its record
   * follows when Redis comes back. */
  convoke_cluster_sync_finish (p->cluster, result);
  pending_done (p);
}

static void
on_claimed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Creation *c = user_data;
  PendingRest *p = c->p;
  g_autoptr (GError) error = NULL;

  if (!convoke_cluster_claim_finish (p->cluster, result, &error))
    {
      if (!p->finished)
        convoke_rest_reply_gerror (&p->req, error);
    }
  else
    {
      /* The client left meanwhile: the room is made all the same, as it
       * would be had the answer been lost on its way. */
      convoke_rest_create_room (&p->req, c->sid);
      if (convoke_room_registry_lookup (p->req.registry, c->sid) == NULL)
        convoke_cluster_release_name (p->cluster, c->name, c->sid);
      else
        {
          /* The answer waits until Redis has the room's record and this
           * node's new load: a client that lists rooms on any node, or
           * creates the next one, right after it sees them. */
          convoke_cluster_sync_async (p->cluster, on_created_synced, p);
          p = NULL;
        }
    }
  if (p != NULL)
    pending_done (p);
  g_free (c->sid);
  g_free (c->name);
  g_free (c);
}

static void
create_here (PendingRest *p)
{
  Creation *c = g_new0 (Creation, 1);
  const char *name = g_hash_table_lookup (p->req.form, "UniqueName");

  c->p = p;
  c->sid = convoke_sid_new (CONVOKE_SID_ROOM);
  /* An unnamed room is named after its sid, and claims that. */
  c->name = g_strdup (name != NULL && *name != '\0' ? name : c->sid);
  convoke_cluster_claim_async (p->cluster, c->name, c->sid, on_claimed, c);
}

static void
on_placed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PendingRest *p = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeClusterRoute) route = convoke_cluster_route_finish (p->cluster, result, &error);

  if (p->finished)
    pending_done (p);
  else if (route == NULL)
    {
      convoke_rest_reply_gerror (&p->req, error);
      pending_done (p);
    }
  else if (route->room_sid != NULL)
    {
      convoke_rest_reply_error (&p->req, CONVOKE_ERROR_ROOM_EXISTS,
                                _ ("Room “%s” already exists"),
                                (const char *) g_hash_table_lookup (p->req.form, "UniqueName"));
      pending_done (p);
    }
  else if (route->local)
    create_here (p);
  else
    forward (p, route->node_url);
}

gboolean
convoke_rest_cluster_create_room (ConvokeRestRequest *req)
{
  ConvokeCluster *cluster = convoke_daemon_get_cluster (req->api->daemon);
  const char *name = g_hash_table_lookup (req->form, "UniqueName");
  gboolean forwarded;
  PendingRest *p;

  if (cluster == NULL)
    return FALSE;
  forwarded = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                            CONVOKE_CLUSTER_FORWARDED_HEADER)
              != NULL;
  p = pending_new (req, cluster);
  /* A node that was sent the creation makes it: it was placed already. */
  if (forwarded)
    create_here (p);
  else
    convoke_cluster_route_async (cluster, name != NULL && *name != '\0' ? name : "",
                                 TRUE, on_placed, p);
  return TRUE;
}

/* ---- /v1/Rooms/{Sid}… of another node's room ------------------------------- */

static void
on_room_found (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PendingRest *p = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) record = convoke_cluster_get_room_finish (p->cluster, result, &error);
  JsonObject *room = record != NULL ? record_room (record) : NULL;

  if (p->finished)
    pending_done (p);
  else if (record == NULL || room == NULL)
    {
      if (error != NULL && error->code == CONVOKE_ERROR_NOT_FOUND)
        convoke_rest_reply_not_found (&p->req, _ ("No room “%s”"), p->segments[1]);
      else
        convoke_rest_reply_gerror (&p->req, error);
      pending_done (p);
    }
  else if (p->req.n_segments == 2 && g_strcmp0 (p->method, SOUP_METHOD_GET) == 0)
    {
      convoke_rest_reply_json (&p->req, SOUP_STATUS_OK, record_to_json (&p->req, record));
      pending_done (p);
    }
  else if (g_strcmp0 (convoke_json_get_string (record, "failure"), "node-lost") == 0)
    {
      convoke_rest_reply_error (&p->req, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                                _ ("Room %s failed with its node %s, which stopped "
                                   "answering: only the room itself can be read"),
                                convoke_json_get_string (room, "sid"), convoke_json_get_string (record, "node"));
      pending_done (p);
    }
  else
    forward (p, convoke_json_get_string (record, "node_url"));
}

gboolean
convoke_rest_cluster_handle_remote_room (ConvokeRestRequest *req)
{
  ConvokeCluster *cluster = convoke_daemon_get_cluster (req->api->daemon);
  PendingRest *p;

  /* A forwarded request is for this node's own rooms: when there is no
   * such room here, the answer is a plain 404. */
  if (cluster == NULL
      || soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                       CONVOKE_CLUSTER_FORWARDED_HEADER)
             != NULL)
    return FALSE;
  p = pending_new (req, cluster);
  convoke_cluster_get_room_async (cluster, req->segments[1], on_room_found, p);
  return TRUE;
}

/* ---- GET /v1/Nodes ----------------------------------------------------------- */

static void
on_nodes (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PendingRest *p = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) nodes = convoke_cluster_list_nodes_finish (p->cluster, result, &error);

  if (p->finished)
    ;
  else if (nodes == NULL)
    convoke_rest_reply_gerror (&p->req, error);
  else
    {
      g_autoptr (JsonArray) array = json_array_new ();
      g_autoptr (JsonObject) body = json_object_new ();
      JsonNode *root = json_node_new (JSON_NODE_OBJECT);

      for (guint i = 0; i < nodes->len; i++)
        {
          JsonObject *node = g_ptr_array_index (nodes, i);

          json_object_set_boolean_member (
              node, "this_node",
              g_strcmp0 (convoke_json_get_string (node, "id"), convoke_cluster_get_node_id (p->cluster))
                  == 0);
          json_array_add_object_element (array, json_object_ref (node));
        }
      json_object_set_array_member (body, "nodes", g_steal_pointer (&array));
      json_node_set_object (root, body);
      convoke_rest_reply_json (&p->req, SOUP_STATUS_OK, root);
    }
  pending_done (p);
}

void
convoke_rest_handle_nodes (ConvokeRestRequest *req)
{
  ConvokeCluster *cluster = convoke_daemon_get_cluster (req->api->daemon);

  if (req->n_segments != 1)
    {
      convoke_rest_reply_not_found (req, _ ("No resource at %s"), req->path);
      return;
    }
  if (g_strcmp0 (req->method, SOUP_METHOD_GET) != 0)
    {
      convoke_rest_reply_method_not_allowed (req, "GET");
      return;
    }
  if (cluster == NULL)
    {
      convoke_rest_reply_not_found (
          req, _ ("This server is not part of a cluster: [cluster] redis is not set"));
      return;
    }
  convoke_cluster_list_nodes_async (cluster, on_nodes, pending_new (req, cluster));
}
