/* The REST API's front door: HTTP Basic auth, body size limits, form and
 * query decoding, routing below /v1, and the unauthenticated /healthz,
 * /metrics and /dev/token endpoints. Resource handlers live in
 * rest-rooms.c, rest-participants.c, rest-recordings.c and rest-tokens.c;
 * docs/rest-api.md is the contract.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rest-server.h"

#include <string.h>

#include "access-token.h"
#include "http-listener.h"
#include "i18n.h"
#include "metrics.h"
#include "rest-private.h"
#include "rest-recordings.h"
#include "rest-tokens.h"
#include "sid.h"
#include "twilio-error.h"

#define BODY_BYTES_KEY "convoke-rest-body-bytes"
#define DEV_TOKEN_TTL 3600

static ConvokeRestApi *
rest_api_ref (ConvokeRestApi *api)
{
  return g_rc_box_acquire (api);
}

static void
rest_api_unref (gpointer api)
{
  g_rc_box_release (api);
}

static void
rest_api_closure_unref (gpointer api, GClosure *closure)
{
  g_rc_box_release (api);
}

/* Replies */

static void
count_error (ConvokeRestApi *api, int code)
{
  ConvokeMetrics *metrics = convoke_daemon_get_metrics (api->daemon);

  if (metrics != NULL)
    convoke_metrics_count_error (metrics, "rest", code);
}

#define PRESET_KEY "convoke-rest-preset-400"

static void
set_json_body (SoupServerMessage *msg, guint http_status, JsonNode *node)
{
  char *text = json_to_string (node, FALSE);

  /* The 401 of an early handler comes before on_got_headers() has
   * dropped the preset body (preset_unparseable()); setting a response
   * appends to the body. */
  if (g_object_steal_data (G_OBJECT (msg), PRESET_KEY))
    soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);

  soup_server_message_set_status (msg, http_status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

void
convoke_rest_reply_json (ConvokeRestRequest *req, guint http_status, JsonNode *node)
{
  set_json_body (req->msg, http_status, node);
  json_node_unref (node);
}

void
convoke_rest_send_error (ConvokeRestApi *api, SoupServerMessage *msg, int code,
                         guint http_status, const char *message)
{
  g_autoptr (JsonNode) body = NULL;

  if (http_status == 0)
    http_status = convoke_error_http_status (code);
  body = convoke_error_to_json (code, message, http_status);
  set_json_body (msg, http_status, body);
  count_error (api, code);
}

void
convoke_rest_reply_error (ConvokeRestRequest *req, int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  convoke_rest_send_error (req->api, req->msg, code, 0, message);
}

void
convoke_rest_reply_gerror (ConvokeRestRequest *req, const GError *error)
{
  if (error->domain == CONVOKE_ERROR)
    convoke_rest_send_error (req->api, req->msg, error->code, 0, error->message);
  else
    convoke_rest_send_error (req->api, req->msg, CONVOKE_ERROR_INTERNAL, 0,
                             error->message);
}

void
convoke_rest_reply_method_not_allowed (ConvokeRestRequest *req, const char *allowed)
{
  g_autofree char *message = g_strdup_printf (
      _("Method %s is not allowed on %s; use %s"), req->method, req->path, allowed);

  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Allow", allowed);
  convoke_rest_send_error (req->api, req->msg, CONVOKE_REST_ERROR_METHOD_NOT_ALLOWED,
                           SOUP_STATUS_METHOD_NOT_ALLOWED, message);
}

void
convoke_rest_reply_not_found (ConvokeRestRequest *req, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  convoke_rest_send_error (req->api, req->msg, CONVOKE_ERROR_NOT_FOUND,
                           SOUP_STATUS_NOT_FOUND, message);
}

/* Parameters */

/* An optional '-' and decimal digits, nothing else. */
static gboolean
is_plain_integer (const char *value)
{
  const char *p = value[0] == '-' ? value + 1 : value;

  if (*p == '\0')
    return FALSE;
  for (; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

gboolean
convoke_rest_param_int (ConvokeRestRequest *req, GHashTable *params, const char *name,
                        gint64 min, gint64 max, int error_code, gint64 *out)
{
  const char *value = g_hash_table_lookup (params, name);
  g_autoptr (GError) error = NULL;
  gint64 number = 0;

  if (value == NULL)
    return TRUE;
  /* g_ascii_string_to_signed() also takes "+5" and " 5"; Twilio wants
   * plain decimal digits. */
  if (!is_plain_integer (value))
    {
      convoke_rest_reply_error (req, error_code, _("%s “%s” is not an integer"), name,
                                value);
      return FALSE;
    }
  if (!g_ascii_string_to_signed (value, 10, min, max, &number, &error))
    {
      if (g_error_matches (error, G_NUMBER_PARSER_ERROR,
                           G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
        convoke_rest_reply_error (
            req, error_code,
            _("%s %s is out of range: it must be between %lld and %lld"), name, value,
            (long long) min, (long long) max);
      else
        convoke_rest_reply_error (req, error_code, _("%s “%s” is not an integer"), name,
                                  value);
      return FALSE;
    }
  *out = number;
  return TRUE;
}

gboolean
convoke_rest_param_bool (ConvokeRestRequest *req, GHashTable *params, const char *name,
                         gboolean *out, gboolean *was_set)
{
  const char *value = g_hash_table_lookup (params, name);

  if (value == NULL)
    return TRUE;
  /* Twilio's helper libraries send "true"/"false", some capitalised. */
  if (g_ascii_strcasecmp (value, "true") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (value, "false") == 0)
    *out = FALSE;
  else
    {
      convoke_rest_reply_error (req, CONVOKE_ERROR_INVALID_PARAMETER,
                                _("%s “%s” is not a boolean: use true or false"), name,
                                value);
      return FALSE;
    }
  if (was_set != NULL)
    *was_set = TRUE;
  return TRUE;
}

gboolean
convoke_rest_param_date (ConvokeRestRequest *req, GHashTable *params, const char *name,
                         GDateTime **out)
{
  const char *value = g_hash_table_lookup (params, name);
  g_autoptr (GTimeZone) utc = NULL;
  g_autofree char *iso = NULL;
  GDateTime *when;

  if (value == NULL)
    return TRUE;
  /* The spec documents YYYY-MM-DD for rooms and full date-times for
   * participants; take both everywhere. */
  if (strlen (value) == 10 && strchr (value, 'T') == NULL)
    iso = g_strconcat (value, "T00:00:00Z", NULL);
  else
    iso = g_strdup (value);
  utc = g_time_zone_new_utc ();
  when = g_date_time_new_from_iso8601 (iso, utc);
  if (when == NULL)
    {
      convoke_rest_reply_error (req, CONVOKE_ERROR_INVALID_PARAMETER,
                                _("%s “%s” is not a date: use YYYY-MM-DD or an ISO 8601 "
                                  "date-time such as 2024-01-31T12:00:00Z"),
                                name, value);
      return FALSE;
    }
  *out = when;
  return TRUE;
}

gboolean
convoke_rest_param_enum (ConvokeRestRequest *req, GHashTable *params, const char *name,
                         const char *const *allowed, int error_code, const char **out)
{
  const char *value = g_hash_table_lookup (params, name);
  g_autofree char *list = NULL;

  if (value == NULL)
    return TRUE;
  if (g_strv_contains (allowed, value))
    {
      *out = value;
      return TRUE;
    }
  list = g_strjoinv (", ", (char **) allowed);
  convoke_rest_reply_error (req, error_code, _("%s “%s” is not valid: use one of %s"),
                            name, value, list);
  return FALSE;
}

/* JSON helpers */

void
convoke_rest_add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

void
convoke_rest_add_date (JsonBuilder *b, const char *name, GDateTime *when)
{
  g_autofree char *text = convoke_format_date (when);

  convoke_rest_add_string (b, name, text);
}

void
convoke_rest_add_duration (JsonBuilder *b, const char *name, GDateTime *start,
                           GDateTime *end)
{
  json_builder_set_member_name (b, name);
  if (start != NULL && end != NULL)
    json_builder_add_int_value (b, MAX (0, g_date_time_difference (end, start))
                                       / G_TIME_SPAN_SECOND);
  else
    json_builder_add_null_value (b);
}

char *
convoke_rest_url (ConvokeRestRequest *req, const char *path_format, ...)
{
  g_autofree char *path = NULL;
  va_list args;

  va_start (args, path_format);
  path = g_strdup_vprintf (path_format, args);
  va_end (args);
  return g_strconcat (req->base_url, path, NULL);
}

/* Paging */

static char *
page_url (ConvokeRestRequest *req, const char *path, const char *filters,
          gint64 page_size, gint64 page, const char *token_prefix, const char *token_sid)
{
  g_autoptr (GString) url = g_string_new (req->base_url);

  g_string_append_printf (url,
                          "%s?%sPageSize=%" G_GINT64_FORMAT "&Page=%" G_GINT64_FORMAT,
                          path, filters, page_size, page);
  if (token_prefix != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (token_sid, NULL, FALSE);
      g_string_append_printf (url, "&PageToken=%s%s", token_prefix, escaped);
    }
  return g_string_free (g_steal_pointer (&url), FALSE);
}

/* Whether @sid looks like a sid: two capital letters and 32 hexadecimal
 * digits (rooms, participants, tracks and recordings are paged). */
static gboolean
token_names_sid (const char *sid)
{
  return strlen (sid) == 34 && g_ascii_isupper (sid[0]) && g_ascii_isupper (sid[1])
         && convoke_sid_is_valid (sid, (char[]){ sid[0], sid[1], '\0' });
}

static gboolean
find_item (GPtrArray *items, ConvokeRestSidOf sid_of, const char *sid, guint *index)
{
  for (guint i = 0; i < items->len; i++)
    if (g_strcmp0 (sid_of (g_ptr_array_index (items, i)), sid) == 0)
      {
        *index = i;
        return TRUE;
      }
  return FALSE;
}

void
convoke_rest_reply_page (ConvokeRestRequest *req, const char *path,
                         const char *const *filters, const char *key, GPtrArray *items,
                         ConvokeRestSidOf sid_of, ConvokeRestToJson to_json)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GString) filter_query = g_string_new (NULL);
  g_autofree char *first_url = NULL;
  g_autofree char *this_url = NULL;
  g_autofree char *next_url = NULL;
  g_autofree char *previous_url = NULL;
  const char *token = g_hash_table_lookup (req->query, "PageToken");
  gint64 page_size = 50, page = 0, start, end;

  if (!convoke_rest_param_int (req, req->query, "PageSize", 1, 1000,
                               CONVOKE_ERROR_INVALID_PARAMETER, &page_size)
      || !convoke_rest_param_int (req, req->query, "Page", 0, G_MAXINT32,
                                  CONVOKE_ERROR_INVALID_PARAMETER, &page))
    return;

  start = page * page_size;
  if (token != NULL)
    {
      guint index = 0;

      /* Tokens are "PA<sid>" (the page after that item) or "PB<sid>" (the
       * page before it), as in Twilio's URLs. They survive items being
       * added in front; when the item has left the list (a room that
       * ended, for a Status=in-progress listing) the Page number decides. */
      if (strlen (token) <= 2
          || (!g_str_has_prefix (token, "PA") && !g_str_has_prefix (token, "PB"))
          || !token_names_sid (token + 2))
        {
          convoke_rest_reply_error (
              req, CONVOKE_ERROR_INVALID_PARAMETER,
              _("PageToken “%s” is not a page token from this API: "
                "follow next_page_url or previous_page_url"),
              token);
          return;
        }
      if (find_item (items, sid_of, token + 2, &index))
        start
            = token[1] == 'A' ? (gint64) index + 1 : MAX (0, (gint64) index - page_size);
    }
  start = MIN (start, (gint64) items->len);
  end = MIN (start + page_size, (gint64) items->len);

  for (guint i = 0; filters != NULL && filters[i] != NULL; i += 2)
    if (filters[i + 1] != NULL)
      {
        g_autofree char *escaped = g_uri_escape_string (filters[i + 1], NULL, FALSE);
        g_string_append_printf (filter_query, "%s=%s&", filters[i], escaped);
      }

  first_url = page_url (req, path, filter_query->str, page_size, 0, NULL, NULL);
  this_url = page_url (req, path, filter_query->str, page_size, page, token ? "" : NULL,
                       token);
  if (end < (gint64) items->len)
    next_url = page_url (req, path, filter_query->str, page_size, page + 1, "PA",
                         sid_of (g_ptr_array_index (items, end - 1)));
  if (start > 0 && start < (gint64) items->len)
    previous_url = page_url (req, path, filter_query->str, page_size, MAX (page, 1) - 1,
                             "PB", sid_of (g_ptr_array_index (items, start)));
  else if (start > 0)
    previous_url = page_url (req, path, filter_query->str, page_size, MAX (page, 1) - 1,
                             NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (gint64 i = start; i < end; i++)
    json_builder_add_value (b, to_json (req, g_ptr_array_index (items, i)));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "meta");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "page");
  json_builder_add_int_value (b, page);
  json_builder_set_member_name (b, "page_size");
  json_builder_add_int_value (b, page_size);
  convoke_rest_add_string (b, "first_page_url", first_url);
  convoke_rest_add_string (b, "previous_page_url", previous_url);
  convoke_rest_add_string (b, "url", this_url);
  convoke_rest_add_string (b, "next_page_url", next_url);
  convoke_rest_add_string (b, "key", key);
  json_builder_end_object (b);
  json_builder_end_object (b);

  convoke_rest_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

/* Authentication and body limits */

/* Compares without an early exit, so the time taken does not tell how many
 * leading bytes of a guess were right. */
static gboolean
equal_constant_time (const guchar *given, gsize given_len, const char *expected)
{
  gsize expected_len = expected ? strlen (expected) : 0;
  guchar diff = given_len != expected_len || expected_len == 0;

  for (gsize i = 0; i < expected_len; i++)
    diff |= (i < given_len ? given[i] : 0) ^ (guchar) expected[i];
  return diff == 0;
}

static gboolean
basic_auth_ok (ConvokeConfig *config, SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Authorization");
  g_autofree guchar *decoded = NULL;
  const guchar *colon;
  gsize len = 0;
  gboolean user_ok, password_ok;

  if (header == NULL || g_ascii_strncasecmp (header, "Basic ", 6) != 0)
    return FALSE;
  decoded = g_base64_decode (header + 6, &len);
  colon = decoded ? memchr (decoded, ':', len) : NULL;
  if (colon == NULL)
    return FALSE;
  /* Both halves are always compared so a wrong key and a wrong secret
   * take the same time. */
  user_ok = equal_constant_time (decoded, colon - decoded, config->api_key);
  password_ok
      = equal_constant_time (colon + 1, len - (colon + 1 - decoded), config->api_secret);
  return user_ok & password_ok;
}

static void
stop_buffering (SoupServerMessage *msg)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
}

static void answer_before_body (ConvokeRestApi *api, SoupServerMessage *msg);

static void
reject_too_large (ConvokeRestApi *api, SoupServerMessage *msg, goffset size, guint limit)
{
  g_autofree char *message = NULL;

  stop_buffering (msg);
  if (soup_server_message_get_status (msg) != 0)
    return;
  message = g_strdup_printf (_("The request body (%lld bytes or more) is over "
                               "the limit of %u bytes set by [server] max-body-size"),
                             (long long) size, limit);
  /* The answer goes out now (answer_before_body()); the rest of the body
   * is drained briefly without being stored, and the connection closes,
   * so a client cannot stream more on it. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  convoke_rest_send_error (api, msg, CONVOKE_ERROR_REQUEST_TOO_LARGE,
                           SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, message);
  answer_before_body (api, msg);
}

/* libsoup answers a request it cannot parse (a bad %-escape in the path,
 * a malformed request line or header) with a bare 400 before any handler
 * or signal of ours runs; only what the message already holds goes out.
 * So every message starts out holding Twilio's error body for that case,
 * and drops it as soon as its headers parsed. */
static void
preset_unparseable (ConvokeRestApi *api, SoupServerMessage *msg)
{
  g_autoptr (JsonNode) body = convoke_error_to_json (
      CONVOKE_ERROR_INVALID_PARAMETER,
      _("The request is not valid HTTP: its request line, a header, or a "
        "percent-escape in its path is malformed"),
      SOUP_STATUS_BAD_REQUEST);
  char *text = json_to_string (body, FALSE);

  soup_server_message_set_response (msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
  g_object_set_data (G_OBJECT (msg), PRESET_KEY, GINT_TO_POINTER (TRUE));
}

/* The headers parsed. A 400 libsoup set since (a path that decodes to a
 * NUL byte or climbs with "..") gets a body that says so; otherwise the
 * preset goes. */
static void
settle_preset (ConvokeRestApi *api, SoupServerMessage *msg)
{
  if (!g_object_steal_data (G_OBJECT (msg), PRESET_KEY))
    return;
  /* Setting a response appends to the body: empty it first. */
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
  if (soup_server_message_get_status (msg) == SOUP_STATUS_BAD_REQUEST)
    {
      convoke_rest_send_error (
          api, msg, CONVOKE_ERROR_INVALID_PARAMETER, SOUP_STATUS_BAD_REQUEST,
          _("The request path is not valid: it has a malformed percent-escape, an "
            "encoded NUL byte or a “..” segment"));
    }
}

/* A Content-Length must be a plain number of bytes; libsoup would read
 * "-5" as a huge unsigned one. */
static gboolean
content_length_valid (SoupMessageHeaders *headers)
{
  const char *value = soup_message_headers_get_one (headers, "Content-Length");

  if (value == NULL)
    return TRUE;
  while (*value == ' ' || *value == '\t')
    value++;
  if (!g_ascii_isdigit (*value))
    return FALSE;
  while (g_ascii_isdigit (*value))
    value++;
  while (*value == ' ' || *value == '\t')
    value++;
  return *value == '\0';
}

/* A refusal decided before the body is complete goes out at once: the
 * client (quite possibly unauthenticated) does not get to make the daemon
 * read, or wait for, a body it will not use. */
static void
answer_before_body (ConvokeRestApi *api, SoupServerMessage *msg)
{
  ConvokeHttpListener *listener = convoke_daemon_get_http_listener (api->daemon);

  stop_buffering (msg);
  if (listener != NULL)
    convoke_http_listener_answer_before_body (listener, msg);
}

static void
on_got_headers (SoupServerMessage *msg, gpointer user_data)
{
  ConvokeRestApi *api = user_data;
  guint limit = convoke_daemon_get_config (api->daemon)->max_body_size;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  settle_preset (api, msg);
  if (soup_server_message_get_status (msg) != 0)
    {
      /* Already refused (e.g. 401): whatever body follows is not needed. */
      answer_before_body (api, msg);
      return;
    }
  if (!content_length_valid (headers))
    {
      g_autofree char *value
          = g_utf8_make_valid (soup_message_headers_get_one (headers, "Content-Length"), -1);
      g_autofree char *message = g_strdup_printf (
          _("The Content-Length header “%s” is not a number of bytes"), value);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      convoke_rest_send_error (api, msg, CONVOKE_ERROR_INVALID_PARAMETER,
                               SOUP_STATUS_BAD_REQUEST, message);
      answer_before_body (api, msg);
      return;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > limit)
    reject_too_large (api, msg, soup_message_headers_get_content_length (headers), limit);
}

static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  ConvokeRestApi *api = user_data;
  guint limit = convoke_daemon_get_config (api->daemon)->max_body_size;
  gsize seen = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), BODY_BYTES_KEY));

  /* Chunked bodies carry no Content-Length: count as they arrive. */
  seen += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), BODY_BYTES_KEY, GSIZE_TO_POINTER (seen));
  if (seen > limit)
    reject_too_large (api, msg, seen, limit);
}

static void
on_request_started (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  ConvokeRestApi *api = user_data;

  preset_unparseable (api, msg);
  g_signal_connect_data (msg, "got-headers", G_CALLBACK (on_got_headers),
                         rest_api_ref (api), rest_api_closure_unref, 0);
  g_signal_connect_data (msg, "got-chunk", G_CALLBACK (on_got_chunk), rest_api_ref (api),
                         rest_api_closure_unref, 0);
}

static void
v1_early_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                  GHashTable *query, gpointer user_data)
{
  ConvokeRestApi *api = user_data;

  if (basic_auth_ok (convoke_daemon_get_config (api->daemon), msg))
    {
      ConvokeHttpListener *listener = convoke_daemon_get_http_listener (api->daemon);
      ConvokeHttpClient *client
          = listener != NULL ? convoke_http_listener_lookup (listener, msg) : NULL;

      /* Valid credentials: the connection stops counting against
       * [server] max-unauthenticated-connections. */
      if (client != NULL)
        convoke_http_client_set_authenticated (client);
      return;
    }
  stop_buffering (msg);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", "Basic realm=\"Convoke API\"");
  convoke_rest_send_error (
      api, msg, CONVOKE_ERROR_AUTHENTICATION, SOUP_STATUS_UNAUTHORIZED,
      _("Authentication failed: send HTTP Basic credentials with the "
        "[auth] api-key as user name and api-secret as password"));
}

/* Request decoding */

static GHashTable *
decode_form (const char *data, gsize len, GError **error)
{
  g_autofree char *text = NULL;

  if (len == 0)
    return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_FAILED,
                           _("it contains a NUL byte"));
      return NULL;
    }
  text = g_strndup (data, len);
  /* Unlike soup_form_decode(), this reports bad %-escapes, pairs without
   * '=' and invalid UTF-8 instead of silently dropping them. */
  return g_uri_parse_params (text, -1, "&", G_URI_PARAMS_WWW_FORM, error);
}

static gboolean
decode_request (ConvokeRestRequest *req, GHashTable **query_out, GHashTable **form_out)
{
  GUri *uri = soup_server_message_get_uri (req->msg);
  const char *query = g_uri_get_query (uri);
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) form = NULL;
  g_autoptr (GHashTable) params = NULL;

  params = decode_form (query ? query : "", query ? strlen (query) : 0, &error);
  if (params == NULL)
    {
      convoke_rest_reply_error (req, CONVOKE_ERROR_INVALID_PARAMETER,
                                _("The query string is not valid form encoding: %s"),
                                error->message);
      return FALSE;
    }

  if (g_strcmp0 (req->method, SOUP_METHOD_POST) == 0)
    {
      SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
      g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
      const char *content_type = soup_message_headers_get_content_type (
          soup_server_message_get_request_headers (req->msg), NULL);
      gsize len = 0;
      const char *data = g_bytes_get_data (bytes, &len);

      if (len > 0 && content_type != NULL
          && g_ascii_strcasecmp (content_type, "application/x-www-form-urlencoded") != 0)
        {
          convoke_rest_reply_error (
              req, CONVOKE_ERROR_INVALID_PARAMETER,
              _("The request body is %s; send form-encoded parameters "
                "(application/x-www-form-urlencoded) instead"),
              content_type);
          return FALSE;
        }
      form = decode_form (data, len, &error);
      if (form == NULL)
        {
          convoke_rest_reply_error (req, CONVOKE_ERROR_INVALID_PARAMETER,
                                    _("The request body is not valid form encoding "
                                      "(application/x-www-form-urlencoded): %s"),
                                    error->message);
          return FALSE;
        }
    }
  else
    form = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  *query_out = g_steal_pointer (&params);
  *form_out = g_steal_pointer (&form);
  return TRUE;
}

static char **
split_path (const char *path, guint *n_out)
{
  g_auto (GStrv) segments = NULL;
  guint n;

  if (!g_str_has_prefix (path, "/v1/"))
    return NULL;
  segments = g_strsplit (path + strlen ("/v1/"), "/", -1);
  n = g_strv_length (segments);
  /* "/v1/Rooms/" is "/v1/Rooms"; any other empty segment is an error. */
  if (n > 0 && segments[n - 1][0] == '\0')
    {
      g_clear_pointer (&segments[n - 1], g_free);
      n--;
    }
  if (n == 0)
    return NULL;
  for (guint i = 0; i < n; i++)
    if (segments[i][0] == '\0')
      return NULL;
  *n_out = n;
  return g_steal_pointer (&segments);
}

static void
v1_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
            GHashTable *soup_query, gpointer user_data)
{
  ConvokeRestApi *api = user_data;
  ConvokeRestRequest req = { 0 };
  g_autoptr (GHashTable) query = NULL;
  g_autoptr (GHashTable) form = NULL;
  g_autoptr (ConvokeConfig) config
      = convoke_config_ref (convoke_daemon_get_config (api->daemon));
  g_auto (GStrv) segments = NULL;

  req.api = api;
  req.msg = msg;
  req.method = soup_server_message_get_method (msg);
  req.path = path;
  req.config = config;
  req.registry = convoke_daemon_get_registry (api->daemon);
  req.base_url = convoke_daemon_get_base_url (api->daemon);

  if (!g_utf8_validate (path, -1, NULL))
    {
      convoke_rest_reply_error (&req, CONVOKE_ERROR_INVALID_PARAMETER,
                                _("The request path is not valid UTF-8"));
      return;
    }
  segments = split_path (path, &req.n_segments);
  if (segments == NULL
      || (strcmp (segments[0], "Rooms") != 0 && strcmp (segments[0], "Tokens") != 0
          && strcmp (segments[0], "Recordings") != 0 && strcmp (segments[0], "Nodes") != 0))
    {
      convoke_rest_reply_not_found (&req, _("No resource at %s"), path);
      return;
    }
  req.segments = segments;
  if (!decode_request (&req, &query, &form))
    return;
  req.query = query;
  req.form = form;
  if (strcmp (segments[0], "Tokens") == 0)
    convoke_rest_handle_tokens (&req);
  else if (strcmp (segments[0], "Recordings") == 0)
    convoke_rest_handle_recordings (&req);
  else if (strcmp (segments[0], "Nodes") == 0)
    convoke_rest_handle_nodes (&req);
  else
    convoke_rest_handle_rooms (&req);
}

/* Unauthenticated endpoints */

static gboolean
require_get (ConvokeRestApi *api, SoupServerMessage *msg)
{
  ConvokeRestRequest req = { .api = api, .msg = msg };

  req.method = soup_server_message_get_method (msg);
  req.path = g_uri_get_path (soup_server_message_get_uri (msg));
  if (g_strcmp0 (req.method, SOUP_METHOD_GET) == 0)
    return TRUE;
  convoke_rest_reply_method_not_allowed (&req, "GET");
  return FALSE;
}

static void
healthz_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                 GHashTable *query, gpointer user_data)
{
  ConvokeRestApi *api = user_data;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) rooms = NULL;

  if (!require_get (api, msg))
    return;
  rooms = convoke_room_registry_list (convoke_daemon_get_registry (api->daemon),
                                      "in-progress", NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, "ok");
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "rooms_in_progress");
  json_builder_add_int_value (b, rooms ? rooms->len : 0);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  set_json_body (msg, SOUP_STATUS_OK, root);
}

static void
metrics_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                 GHashTable *query, gpointer user_data)
{
  ConvokeRestApi *api = user_data;
  ConvokeMetrics *metrics = convoke_daemon_get_metrics (api->daemon);
  char *text;

  if (!require_get (api, msg))
    return;
  text = metrics ? convoke_metrics_render (metrics) : g_strdup ("");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

static void
dev_token_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                   GHashTable *query, gpointer user_data)
{
  ConvokeRestApi *api = user_data;
  ConvokeConfig *config = convoke_daemon_get_config (api->daemon);
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *token = NULL;
  const char *identity, *room;

  /* Checked per request so that a reload can turn it off. */
  if (!config->dev_tokens)
    {
      convoke_rest_send_error (
          api, msg, CONVOKE_ERROR_NOT_FOUND, SOUP_STATUS_NOT_FOUND,
          _("No resource at /dev/token: [server] dev-tokens is off"));
      return;
    }
  if (!require_get (api, msg))
    return;
  identity = query ? g_hash_table_lookup (query, "identity") : NULL;
  room = query ? g_hash_table_lookup (query, "room") : NULL;
  if (identity == NULL || *identity == '\0' || !g_utf8_validate (identity, -1, NULL))
    {
      convoke_rest_send_error (
          api, msg, CONVOKE_ERROR_INVALID_PARAMETER, 0,
          _("/dev/token needs an identity parameter (UTF-8, not empty)"));
      return;
    }
  if (room != NULL && (*room == '\0' || !g_utf8_validate (room, -1, NULL)))
    room = NULL;

  token
      = convoke_access_token_create (config->api_key, config->api_secret,
                                     config->account_sid, identity, room, DEV_TOKEN_TTL);
  b = json_builder_new ();
  json_builder_begin_object (b);
  convoke_rest_add_string (b, "token", token);
  convoke_rest_add_string (b, "identity", identity);
  convoke_rest_add_string (b, "room", room);
  json_builder_set_member_name (b, "ttl");
  json_builder_add_int_value (b, DEV_TOKEN_TTL);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  set_json_body (msg, SOUP_STATUS_OK, root);
}

void
convoke_rest_api_register (ConvokeDaemon *daemon, SoupServer *server)
{
  ConvokeRestApi *api = g_rc_box_new0 (ConvokeRestApi);

  api->daemon = daemon;
  g_signal_connect_data (server, "request-started", G_CALLBACK (on_request_started),
                         rest_api_ref (api), rest_api_closure_unref, 0);
  soup_server_add_early_handler (server, "/v1", v1_early_handler, rest_api_ref (api),
                                 rest_api_unref);
  soup_server_add_handler (server, "/v1", v1_handler, rest_api_ref (api), rest_api_unref);
  soup_server_add_handler (server, "/healthz", healthz_handler, rest_api_ref (api),
                           rest_api_unref);
  soup_server_add_handler (server, "/metrics", metrics_handler, rest_api_ref (api),
                           rest_api_unref);
  soup_server_add_handler (server, "/dev/token", dev_token_handler, rest_api_ref (api),
                           rest_api_unref);
  rest_api_unref (api);
}
