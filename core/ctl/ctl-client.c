/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctl-client.h"

#include <string.h>

#include "i18n.h"
#include "twilio-error.h"

/* A daemon that accepts the connection but never answers must not hang
 * an admin's shell forever. */
#define REQUEST_TIMEOUT_SECONDS 30
/* Guards against a server whose next_page_url loops. */
#define MAX_PAGES 1000

struct _CtlClient
{
  SoupSession *session;
  char *base_url; /* without a trailing slash */
};

void
ctl_client_free (CtlClient *client)
{
  if (client == NULL)
    return;
  g_clear_object (&client->session);
  g_free (client->base_url);
  g_free (client);
}

/* Preloads libsoup's auth manager with Basic credentials so that every
 * request carries them without a 401 round trip first. */
static void
use_basic_auth (SoupSession *session, GUri *base, const char *user, const char *password)
{
  SoupAuthManager *manager
      = SOUP_AUTH_MANAGER (soup_session_get_feature (session, SOUP_TYPE_AUTH_MANAGER));
  g_autoptr (SoupMessage) probe = soup_message_new_from_uri (SOUP_METHOD_GET, base);
  g_autoptr (SoupAuth) auth
      = soup_auth_new (SOUP_TYPE_AUTH_BASIC, probe, "Basic realm=\"Convoke\"");

  soup_auth_authenticate (auth, user, password);
  soup_auth_manager_use_auth (manager, base, auth);
}

CtlClient *
ctl_client_new (const char *url, const char *api_key, const char *api_secret,
                GError **error)
{
  g_autoptr (CtlClient) client = g_new0 (CtlClient, 1);
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &parse_error);
  g_autoptr (GUri) root = NULL;
  const char *scheme;
  gsize len;

  if (uri == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Invalid URL “%s”: %s"), url, parse_error->message);
      return NULL;
    }
  scheme = g_uri_get_scheme (uri);
  if ((g_ascii_strcasecmp (scheme, "http") != 0
       && g_ascii_strcasecmp (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (
          error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          _ ("Invalid URL “%s”: expected http://HOST[:PORT] or https://HOST[:PORT]"),
          url);
      return NULL;
    }
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Invalid URL “%s”: it must not have a query or a fragment"), url);
      return NULL;
    }

  client->base_url = g_uri_to_string (uri);
  len = strlen (client->base_url);
  while (len > 0 && client->base_url[len - 1] == '/')
    client->base_url[--len] = '\0';

  client->session
      = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_SECONDS, "user-agent",
                                       "convokectl/" PACKAGE_VERSION, NULL);
  if (api_key != NULL && api_secret != NULL)
    {
      root = g_uri_parse_relative (uri, "/", SOUP_HTTP_URI_FLAGS, NULL);
      use_basic_auth (client->session, root, api_key, api_secret);
    }
  return g_steal_pointer (&client);
}

char *
ctl_client_path (const char *first_segment, ...)
{
  g_autoptr (GString) path = g_string_new (NULL);
  va_list args;

  va_start (args, first_segment);
  for (const char *segment = first_segment; segment != NULL;
       segment = va_arg (args, const char *))
    {
      g_autofree char *escaped = g_uri_escape_string (segment, NULL, FALSE);

      g_string_append_c (path, '/');
      g_string_append (path, escaped);
    }
  va_end (args);
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static char *
encode_form (const char *const *form)
{
  g_autoptr (GString) encoded = g_string_new (NULL);

  /* soup_form_encode_hash() would lose the order; keep it for readable
   * server logs and repeatable requests. */
  for (guint i = 0; form != NULL && form[i] != NULL && form[i + 1] != NULL; i += 2)
    {
      g_autofree char *key = g_uri_escape_string (form[i], NULL, FALSE);
      g_autofree char *value = g_uri_escape_string (form[i + 1], NULL, FALSE);

      g_string_append_printf (encoded, "%s%s=%s", encoded->len ? "&" : "", key, value);
    }
  return g_string_free (g_steal_pointer (&encoded), FALSE);
}

/* The Twilio error body {code, message, …}, as a GError; FALSE when the
 * body is not one. */
static gboolean
set_error_from_twilio_body (GBytes *body, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gconstpointer data;
  gsize size;
  JsonNode *root;
  JsonObject *object;
  JsonNode *code;
  const char *message;

  data = g_bytes_get_data (body, &size);
  if (size == 0 || !json_parser_load_from_data (parser, data, size, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  object = json_node_get_object (root);
  code = json_object_get_member (object, "code");
  message = json_object_has_member (object, "message")
                ? json_node_get_string (json_object_get_member (object, "message"))
                : NULL;
  if (code == NULL || !JSON_NODE_HOLDS_VALUE (code)
      || json_node_get_value_type (code) != G_TYPE_INT64 || message == NULL)
    return FALSE;
  g_set_error_literal (error, CONVOKE_ERROR, (int)json_node_get_int (code), message);
  return TRUE;
}

static GBytes *
request_url (CtlClient *client, const char *method, const char *url, const char *path,
             const char *const *form, GError **error)
{
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *encoded = encode_form (form);
  gboolean is_get = g_str_equal (method, SOUP_METHOD_GET);
  guint status;

  if (is_get && *encoded != '\0')
    {
      g_autofree char *with_query
          = g_strconcat (url, strchr (url, '?') ? "&" : "?", encoded, NULL);
      message = soup_message_new (method, with_query);
    }
  else if (!is_get)
    message
        = soup_message_new_from_encoded_form (method, url, g_steal_pointer (&encoded));
  else
    message = soup_message_new (method, url);
  if (message == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _ ("Invalid URL “%s”"),
                   url);
      return NULL;
    }

  body = soup_session_send_and_read (client->session, message, NULL, &local_error);
  if (body == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _ ("Could not reach %s: %s"), client->base_url, local_error->message);
      return NULL;
    }

  status = soup_message_get_status (message);
  if (status >= 200 && status < 300)
    return g_steal_pointer (&body);

  if (!set_error_from_twilio_body (body, error))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 _ ("%s %s: the server answered %u %s"), method, path, status,
                 soup_message_get_reason_phrase (message)
                     ? soup_message_get_reason_phrase (message)
                     : "");
  return NULL;
}

GBytes *
ctl_client_request (CtlClient *client, const char *method, const char *path,
                    const char *const *form, GError **error)
{
  g_autofree char *url = g_strconcat (client->base_url, path, NULL);

  return request_url (client, method, url, path, form, error);
}

static JsonNode *
parse_object (GBytes *body, const char *method, const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) json_error = NULL;
  gconstpointer data;
  gsize size;
  JsonNode *root;

  data = g_bytes_get_data (body, &size);
  if (!json_parser_load_from_data (parser, data, size, &json_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("%s %s: the server's answer is not JSON: %s"), method, path,
                   json_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("%s %s: the server's answer is not a JSON object"), method, path);
      return NULL;
    }
  return json_node_copy (root);
}

JsonNode *
ctl_client_request_json (CtlClient *client, const char *method, const char *path,
                         const char *const *form, GBytes **body_out, GError **error)
{
  g_autoptr (GBytes) body = ctl_client_request (client, method, path, form, error);
  JsonNode *root;

  if (body == NULL)
    return NULL;
  root = parse_object (body, method, path, error);
  if (root != NULL && body_out != NULL)
    *body_out = g_steal_pointer (&body);
  return root;
}

/* The next page's URL, or NULL on the last page. Only the query of the
 * server's next_page_url is used, on our own base URL and @path: the
 * server may spell its own address differently (behind a proxy), and
 * credentials must never be sent to another host. */
static char *
next_page_url (CtlClient *client, const char *path, JsonObject *page)
{
  g_autoptr (GUri) any_base
      = g_uri_parse ("http://localhost/", SOUP_HTTP_URI_FLAGS, NULL);
  g_autoptr (GUri) next_uri = NULL;
  JsonObject *meta;
  JsonNode *next;
  const char *query;

  if (!json_object_has_member (page, "meta")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (page, "meta")))
    return NULL;
  meta = json_object_get_object_member (page, "meta");
  next = json_object_get_member (meta, "next_page_url");
  if (next == NULL || json_node_get_string (next) == NULL)
    return NULL;
  /* Absolute or relative: only the query matters. */
  next_uri = g_uri_parse_relative (any_base, json_node_get_string (next),
                                   SOUP_HTTP_URI_FLAGS, NULL);
  query = next_uri ? g_uri_get_query (next_uri) : NULL;
  if (query == NULL || *query == '\0')
    return NULL;
  return g_strconcat (client->base_url, path, "?", query, NULL);
}

JsonArray *
ctl_client_list_all (CtlClient *client, const char *path, const char *const *form,
                     const char *list_key, GError **error)
{
  g_autoptr (JsonArray) all = json_array_new ();
  g_autofree char *url = g_strconcat (client->base_url, path, NULL);
  const char *const *page_form = form;

  for (guint pages = 0; url != NULL && pages < MAX_PAGES; pages++)
    {
      g_autoptr (GBytes) body
          = request_url (client, SOUP_METHOD_GET, url, path, page_form, error);
      g_autoptr (JsonNode) root = NULL;
      JsonObject *page;
      JsonNode *list;

      if (body == NULL)
        return NULL;
      root = parse_object (body, SOUP_METHOD_GET, path, error);
      if (root == NULL)
        return NULL;
      page = json_node_get_object (root);
      list = json_object_get_member (page, list_key);
      if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _ ("GET %s: the server's answer has no “%s” list"), path,
                       list_key);
          return NULL;
        }
      for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
        json_array_add_element (
            all, json_node_copy (json_array_get_element (json_node_get_array (list), i)));

      g_free (url);
      url = next_page_url (client, path, page);
      /* next_page_url already carries the filters. */
      page_form = NULL;
    }
  return g_steal_pointer (&all);
}
