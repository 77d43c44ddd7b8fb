/* Static serving of the web client (data/web/) at "/".
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-web"

#include "web-client.h"

#include <inttypes.h>
#include <string.h>

#include "i18n.h"

#define WEB_RESOURCE_PREFIX "/org/convoke/web"
#define INDEX_NAME "index.html"
/* web-root is for a web client's pages and scripts; each file is read
 * into memory whole, so a huge one is refused rather than read. */
#define WEB_ROOT_MAX_FILE_SIZE (64 * 1024 * 1024)

/* The bundled client only talks to its own origin: its signaling WebSocket
 * and /dev/token. A page from web-root is the operator's and may need
 * more, so it gets no policy from us. */
#define BUNDLED_CSP                                                                      \
  "default-src 'self'; connect-src 'self' ws: wss:; "                                    \
  "media-src 'self' blob: mediastream:; img-src 'self' data: blob:; "                    \
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

/* Browsers refuse to run an ES module served with a type that is not
 * JavaScript, and shared-mime-info (behind g_content_type_guess) may be
 * missing on a server or call .js something else; so the types the web
 * client depends on are fixed here. */
static const struct
{
  const char *suffix;
  const char *mime_type;
} web_mime_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".json", "application/json" },
  { ".svg", "image/svg+xml" },
  { ".png", "image/png" },
  { ".ico", "image/vnd.microsoft.icon" },
  { ".txt", "text/plain; charset=utf-8" },
  { ".wasm", "application/wasm" },
};

static char *
mime_type_for (const char *name, GBytes *data)
{
  g_autofree char *content_type = NULL;
  gboolean uncertain = FALSE;
  gsize size;
  const guchar *bytes;

  for (guint i = 0; i < G_N_ELEMENTS (web_mime_types); i++)
    if (g_str_has_suffix (name, web_mime_types[i].suffix))
      return g_strdup (web_mime_types[i].mime_type);

  bytes = g_bytes_get_data (data, &size);
  content_type = g_content_type_guess (name, bytes, size, &uncertain);
  if (content_type == NULL || uncertain)
    return g_strdup ("application/octet-stream");
  return g_content_type_get_mime_type (content_type);
}

/* The request path as a relative file name ("index.html", "img/a.png"),
 * or NULL when it cannot name a file we serve: empty, "." or ".."
 * segments, and hidden files (".git", ".htpasswd" in a web-root) are
 * refused rather than normalised, so nothing outside the root is
 * reachable and what is served is exactly what was asked for. */
static char *
relative_name (const char *path)
{
  g_auto (GStrv) segments = NULL;
  g_autoptr (GString) name = g_string_new (NULL);
  guint n;

  if (path == NULL || path[0] != '/' || strchr (path, '\\') != NULL)
    return NULL;
  segments = g_strsplit (path + 1, "/", -1);
  n = g_strv_length (segments);
  for (guint i = 0; i < n; i++)
    {
      const char *segment = segments[i];

      /* A trailing slash names the directory's index. */
      if (i == n - 1 && *segment == '\0')
        segment = INDEX_NAME;
      if (*segment == '\0' || segment[0] == '.')
        return NULL;
      if (name->len > 0)
        g_string_append_c (name, '/');
      g_string_append (name, segment);
    }
  if (name->len == 0)
    g_string_append (name, INDEX_NAME);
  return g_string_free (g_steal_pointer (&name), FALSE);
}

static GBytes *
lookup_bundled (const char *name)
{
  g_autofree char *resource = g_strconcat (WEB_RESOURCE_PREFIX "/", name, NULL);

  return g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}

static void
reply_text (SoupServerMessage *msg, guint status, const char *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                    text, strlen (text));
}

static void
reply_not_found (SoupServerMessage *msg, const char *path)
{
  g_autofree char *text = g_strdup_printf (_ ("No file at “%s” on this server.\n"), path);

  reply_text (msg, SOUP_STATUS_NOT_FOUND, text);
}

static void
reply_file (SoupServerMessage *msg, const char *name, GBytes *data)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *mime_type = mime_type_for (name, data);

  /* Revalidate every time: an upgraded daemon must not run next to a
   * cached convoke.js from the previous version. */
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Content-Type", mime_type);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), data);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

typedef struct
{
  SoupServerMessage *msg;
  char *name; /* relative, for the content type */
  char *path; /* as requested, for messages */
} PendingFile;

static void
pending_file_free (PendingFile *pending)
{
  g_object_unref (pending->msg);
  g_free (pending->name);
  g_free (pending->path);
  g_free (pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PendingFile, pending_file_free)

static void
file_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PendingFile) pending = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL,
                                    &error))
    {
      g_autofree char *file = g_file_get_path (G_FILE (source));

      /* The operator's problem, not the visitor's: log it, answer 404. */
      g_warning (_ ("[server] web-root: cannot read “%s”: %s"), file, error->message);
      reply_not_found (pending->msg, pending->path);
    }
  else
    {
      data = g_bytes_new_take (contents, length);
      reply_file (pending->msg, pending->name, data);
    }
  soup_server_message_unpause (pending->msg);
}

/* Files of a web-root are read in a GIO worker thread, while the message
 * waits paused: the daemon is single-threaded and a slow disk must not
 * stall every room. (Reading, not mapping: a file truncated while it is
 * mapped would crash the daemon with SIGBUS.) */
static void
serve_from_root (SoupServerMessage *msg, const char *root, const char *name,
                 const char *path)
{
  g_autofree char *file_path = g_build_filename (root, name, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (file_path);
  g_autoptr (GFileInfo) info = NULL;
  PendingFile *pending;

  info = g_file_query_info (
      file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
      G_FILE_QUERY_INFO_NONE, NULL, NULL);
  if (info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      /* Relative links inside the directory's index resolve against the
       * URL, so it has to end with a slash. */
      g_autofree char *location = g_strconcat (path, "/", NULL);

      soup_server_message_set_redirect (msg, SOUP_STATUS_MOVED_PERMANENTLY, location);
      return;
    }
  if (info == NULL || g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      reply_not_found (msg, path);
      return;
    }
  if (g_file_info_get_size (info) > WEB_ROOT_MAX_FILE_SIZE)
    {
      g_autofree char *text
          = g_strdup_printf (_ ("“%s” is too large to serve: %" PRId64
                                " bytes, the limit for [server] web-root files is %d.\n"),
                             path, g_file_info_get_size (info), WEB_ROOT_MAX_FILE_SIZE);

      reply_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, text);
      return;
    }

  pending = g_new0 (PendingFile, 1);
  pending->msg = g_object_ref (msg);
  pending->name = g_strdup (name);
  pending->path = g_strdup (path);
  soup_server_message_pause (msg);
  g_file_load_contents_async (file, NULL, file_loaded, pending);
}

static void
web_client_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                    GHashTable *query, gpointer user_data)
{
  ConvokeDaemon *daemon = user_data;
  ConvokeConfig *config = convoke_daemon_get_config (daemon);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *name = NULL;
  g_autoptr (GBytes) data = NULL;

  if (g_strcmp0 (method, SOUP_METHOD_GET) != 0
      && g_strcmp0 (method, SOUP_METHOD_HEAD) != 0)
    {
      g_autofree char *text = g_strdup_printf (
          _ ("Method %s is not allowed on “%s”: the web client is read with GET or "
             "HEAD.\n"),
          method, path);

      soup_message_headers_replace (headers, "Allow", "GET, HEAD");
      reply_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, text);
      return;
    }

  name = relative_name (path);
  if (name == NULL)
    {
      reply_not_found (msg, path);
      return;
    }
  if (config->web_root != NULL)
    {
      serve_from_root (msg, config->web_root, name, path);
      return;
    }

  data = lookup_bundled (name);
  if (data == NULL)
    {
      reply_not_found (msg, path);
      return;
    }
  soup_message_headers_replace (headers, "Content-Security-Policy", BUNDLED_CSP);
  reply_file (msg, name, data);
}

void
convoke_web_client_register (ConvokeDaemon *daemon, SoupServer *server)
{
  g_return_if_fail (CONVOKE_IS_DAEMON (daemon));
  g_return_if_fail (SOUP_IS_SERVER (server));

  /* The daemon owns the server, so it outlives the handler. */
  soup_server_add_handler (server, "/", web_client_handler, daemon, NULL);
}
