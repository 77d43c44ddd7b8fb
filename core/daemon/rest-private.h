/* Shared between rest-server.c, rest-rooms.c and rest-participants.c:
 * the per-request context, reply helpers, parameter parsing and Twilio's
 * list paging. Not installed; nothing outside the REST files includes it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "daemon.h"
#include "room-registry.h"

G_BEGIN_DECLS

/* Twilio's "Method not allowed". Only the REST API needs it, so it is not
 * in twilio-error.h. */
#define CONVOKE_REST_ERROR_METHOD_NOT_ALLOWED 20004

/* Shared by every handler registered on the server; reference-counted with
 * g_rc_box because each handler and each in-flight message holds a ref. */
typedef struct
{
  /* Not owned: the daemon owns the server, which owns the handlers. */
  ConvokeDaemon *daemon;
} ConvokeRestApi;

/* One authenticated /v1 request. Everything is borrowed for the duration of
 * the handler call. */
typedef struct
{
  ConvokeRestApi *api;
  SoupServerMessage *msg;
  const char *method;
  const char *path; /* decoded, as the handler got it */
  /* The path below "/v1/" split on '/', without a trailing empty segment. */
  char **segments;
  guint n_segments;
  /* Decoded query string and (for POST) form body; never NULL. */
  GHashTable *query;
  GHashTable *form;
  ConvokeConfig *config;
  ConvokeRoomRegistry *registry;
  const char *base_url;
} ConvokeRestRequest;

/* Replies. Each one sets status and body; error replies also count the
 * error in the daemon's metrics. */
void convoke_rest_reply_json (ConvokeRestRequest *req, guint http_status, JsonNode *node);
void convoke_rest_send_error (ConvokeRestApi *api, SoupServerMessage *msg, int code,
                              guint http_status, const char *message);
void convoke_rest_reply_error (ConvokeRestRequest *req, int code, const char *format, ...)
    G_GNUC_PRINTF (3, 4);
/* A CONVOKE_ERROR keeps its code; any other domain becomes 20500. */
void convoke_rest_reply_gerror (ConvokeRestRequest *req, const GError *error);
/* 405 with an Allow header listing @allowed (e.g. "GET, POST"). */
void convoke_rest_reply_method_not_allowed (ConvokeRestRequest *req, const char *allowed);
void convoke_rest_reply_not_found (ConvokeRestRequest *req, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

/* Parameters. Each returns FALSE after replying with a 400 that names the
 * parameter and the value. A parameter that is absent leaves *out as is. */
gboolean convoke_rest_param_int (ConvokeRestRequest *req, GHashTable *params,
                                 const char *name, gint64 min, gint64 max, int error_code,
                                 gint64 *out);
gboolean convoke_rest_param_bool (ConvokeRestRequest *req, GHashTable *params,
                                  const char *name, gboolean *out, gboolean *was_set);
/* Accepts YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time. */
gboolean convoke_rest_param_date (ConvokeRestRequest *req, GHashTable *params,
                                  const char *name, GDateTime **out);
/* Checks @value against a NULL-terminated list of allowed values. */
gboolean convoke_rest_param_enum (ConvokeRestRequest *req, GHashTable *params,
                                  const char *name, const char *const *allowed,
                                  int error_code, const char **out);

/* JSON members that may be null. */
void convoke_rest_add_string (JsonBuilder *b, const char *name, const char *value);
void convoke_rest_add_date (JsonBuilder *b, const char *name, GDateTime *when);
/* Whole seconds between two times, or null when @end is NULL. */
void convoke_rest_add_duration (JsonBuilder *b, const char *name, GDateTime *start,
                                GDateTime *end);

/* Lists. @items are the whole filtered list in API order; the page that
 * PageSize, Page and PageToken select is rendered with @to_json under
 * @key, with Twilio's `meta` block. @filters is a NULL-terminated list of
 * name, value pairs echoed into the page URLs (NULL values skipped), in
 * the order Twilio prints them. */
typedef JsonNode *(*ConvokeRestToJson) (ConvokeRestRequest *req, gpointer item);
typedef const char *(*ConvokeRestSidOf) (gpointer item);
void convoke_rest_reply_page (ConvokeRestRequest *req, const char *path,
                              const char *const *filters, const char *key,
                              GPtrArray *items, ConvokeRestSidOf sid_of,
                              ConvokeRestToJson to_json);

/* "https://host/v1/…" for @path_format. */
char *convoke_rest_url (ConvokeRestRequest *req, const char *path_format, ...)
    G_GNUC_PRINTF (2, 3);

/* rest-rooms.c */
void convoke_rest_handle_rooms (ConvokeRestRequest *req);
JsonNode *convoke_rest_room_to_json (ConvokeRestRequest *req, ConvokeRoom *room);

/* POST /v1/Rooms with the room's sid chosen (NULL: a new one). */
void convoke_rest_create_room (ConvokeRestRequest *req, const char *sid);

/* rest-cluster.c: cluster mode. Each returns FALSE, having done nothing,
 * when the daemon is not in a cluster (or the request is one another
 * node forwarded, for _handle_remote_room); TRUE when it took the
 * request over, to answer it later. */
gboolean convoke_rest_cluster_list_rooms (ConvokeRestRequest *req, GPtrArray *local,
                                         const char *status, const char *unique_name,
                                         GDateTime *after, GDateTime *before,
                                         const char *const *filters);
gboolean convoke_rest_cluster_create_room (ConvokeRestRequest *req);
/* A room that is not this node's: requests under /v1/Rooms/{Sid}. */
gboolean convoke_rest_cluster_handle_remote_room (ConvokeRestRequest *req);
/* GET /v1/Nodes */
void convoke_rest_handle_nodes (ConvokeRestRequest *req);

/* rest-participants.c: requests under /v1/Rooms/{room}/Participants. */
void convoke_rest_handle_participants (ConvokeRestRequest *req, ConvokeRoom *room);

G_END_DECLS
