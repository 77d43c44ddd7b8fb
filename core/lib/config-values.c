/* Readers for single config values: numbers, booleans, paths, the listen
 * address and ICE server URIs. Each error names the file, group and key.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-config"

#include "config-private.h"

#include <gio/gio.h>
#include <string.h>

#include "i18n.h"

/* ---- errors ------------------------------------------------------------ */

/* "FILE: [GROUP] KEY: DETAIL". The prefix is structure, not prose, so only
 * the detail is translated. */
gboolean
config_fail (const Loader *l, GError **error, ConvokeConfigErrorCode code,
             const char *group, const char *key, const char *format, ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  if (key != NULL)
    g_set_error (error, CONVOKE_CONFIG_ERROR, code, "%s: [%s] %s: %s", l->origin, group,
                 key, detail);
  else
    g_set_error (error, CONVOKE_CONFIG_ERROR, code, "%s: [%s]: %s", l->origin, group,
                 detail);
  return FALSE;
}

/* ---- value readers ----------------------------------------------------- */

/* The unescaped value, or NULL when the key is absent. */
gboolean
config_read_string (const Loader *l, const char *group, const char *key, char **out,
                    GError **error)
{
  g_autoptr (GError) local = NULL;
  char *value;

  if (!g_key_file_has_key (l->keys, group, key, NULL))
    return TRUE;
  value = g_key_file_get_string (l->keys, group, key, &local);
  /* GKeyFile returns a value *and* an error for a bad escape sequence. */
  if (local != NULL)
    {
      g_free (value);
      return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, group, key, "%s",
                          local->message);
    }
  g_strstrip (value);
  g_free (*out);
  *out = value;
  return TRUE;
}

gboolean
config_read_uint (const Loader *l, const char *group, const char *key, guint64 min,
                  guint64 max, const char *expected, guint *out, GError **error)
{
  g_autofree char *value = NULL;
  guint64 number;

  if (!config_read_string (l, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (value, 10, min, max, &number, NULL))
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, group, key,
                        _ ("expected %s, got “%s”"), expected, value);
  *out = (guint)number;
  return TRUE;
}

gboolean
config_read_bool (const Loader *l, const char *group, const char *key, gboolean *out,
                  GError **error)
{
  g_autofree char *value = NULL;

  if (!config_read_string (l, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (g_str_equal (value, "true"))
    *out = TRUE;
  else if (g_str_equal (value, "false"))
    *out = FALSE;
  else
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, group, key,
                        _ ("expected true or false, got “%s”"), value);
  return TRUE;
}

gboolean
config_read_path (const Loader *l, const char *group, const char *key, char **out,
                  GError **error)
{
  g_autofree char *value = NULL;

  if (!config_read_string (l, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (*value == '\0')
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, group, key,
                        _ ("expected a path, got an empty value"));
  g_free (*out);
  *out = g_canonicalize_filename (value, l->base_dir);
  return TRUE;
}

/* A name that ends up in URLs, file names and log lines. */
gboolean
config_is_simple_name (const char *name, gsize max_length)
{
  gsize length = strlen (name);

  if (length == 0 || length > max_length)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.'))
      return FALSE;
  return TRUE;
}

gboolean
config_read_listen (const Loader *l, GError **error)
{
  g_autofree char *value = NULL;
  g_autoptr (GSocketConnectable) address = NULL;
  const char *host, *port_text;

  if (!config_read_string (l, "server", "listen", &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  /* GNetworkAddress knows the "[::1]:7880" form; the port check is ours
   * because it would otherwise also accept service names such as "http". */
  address = g_network_address_parse (value, l->config->listen_port, NULL);
  port_text = strrchr (value, ':');
  if (address == NULL || port_text == NULL || g_hostname_is_ip_address (value)
      || !g_ascii_string_to_unsigned (port_text + 1, 10, 0, 65535, NULL, NULL))
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "server", "listen",
                        _ ("expected HOST:PORT with a port from 0 to 65535, got “%s”"),
                        value);
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (address));
  /* Resolving names at start-up would make the daemon depend on DNS. */
  if (!g_hostname_is_ip_address (host) && !g_str_equal (host, "localhost"))
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "server", "listen",
                        _ ("expected an IP address or “localhost” as the host, got “%s”"),
                        host);
  g_free (l->config->listen_host);
  l->config->listen_host = g_strdup (host);
  l->config->listen_port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  return TRUE;
}

gboolean
config_read_public_url (const Loader *l, GError **error)
{
  g_autofree char *value = NULL;
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  if (!config_read_string (l, "server", "public-url", &value, error))
    return FALSE;
  if (value == NULL || *value == '\0')
    return TRUE;
  uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    return config_fail (
        l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "server", "public-url",
        _ ("expected an http:// or https:// URL without query, got “%s”"), value);
  /* Paths are appended to it, so a trailing slash would double up. */
  while (g_str_has_suffix (value, "/"))
    value[strlen (value) - 1] = '\0';
  l->config->public_url = g_steal_pointer (&value);
  return TRUE;
}

gboolean
config_read_port_range (const Loader *l, GError **error)
{
  g_autofree char *value = NULL;
  g_auto (GStrv) parts = NULL;
  guint64 low, high;

  if (!config_read_string (l, "media", "port-range", &value, error))
    return FALSE;
  if (value == NULL || *value == '\0')
    return TRUE;
  parts = g_strsplit (value, "-", 0);
  if (g_strv_length (parts) != 2
      || !g_ascii_string_to_unsigned (parts[0], 10, 1, 65535, &low, NULL)
      || !g_ascii_string_to_unsigned (parts[1], 10, 1, 65535, &high, NULL) || low > high)
    return config_fail (
        l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "media", "port-range",
        _ ("expected MIN-MAX with 1 ≤ MIN ≤ MAX ≤ 65535, got “%s”"), value);
  l->config->port_min = (guint)low;
  l->config->port_max = (guint)high;
  return TRUE;
}

/* RFC 7064/7065 URIs ("turn:host:port?transport=udp") are opaque: GUri
 * leaves "host:port" in the path, which GNetworkAddress then checks. */
static gboolean
ice_url_is_valid (const char *url, const char *plain_scheme, const char *secure_scheme,
                  gboolean allow_transport)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GSocketConnectable) address = NULL;
  const char *scheme, *path, *query, *colon, *bracket;

  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, plain_scheme) != 0 && g_strcmp0 (scheme, secure_scheme) != 0)
    return FALSE;
  path = g_uri_get_path (uri);
  if (g_uri_get_host (uri) != NULL || path == NULL || *path == '\0'
      || strpbrk (path, "/@") != NULL || g_uri_get_fragment (uri) != NULL)
    return FALSE;
  address = g_network_address_parse (path, 3478, NULL);
  if (address == NULL
      || *g_network_address_get_hostname (G_NETWORK_ADDRESS (address)) == '\0')
    return FALSE;
  colon = strrchr (path, ':');
  bracket = strchr (path, ']');
  if (colon != NULL && (bracket == NULL || bracket < colon)
      && !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, NULL, NULL))
    return FALSE;

  query = g_uri_get_query (uri);
  if (query != NULL)
    {
      g_autoptr (GHashTable) params = NULL;
      const char *transport;

      if (!allow_transport)
        return FALSE;
      params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
      if (params == NULL || g_hash_table_size (params) != 1)
        return FALSE;
      transport = g_hash_table_lookup (params, "transport");
      if (g_strcmp0 (transport, "udp") != 0 && g_strcmp0 (transport, "tcp") != 0)
        return FALSE;
    }
  return TRUE;
}

gboolean
config_read_stun_server (const Loader *l, GError **error)
{
  g_autofree char *value = NULL;

  if (!config_read_string (l, "media", "stun-server", &value, error))
    return FALSE;
  if (value == NULL || *value == '\0')
    return TRUE;
  if (!ice_url_is_valid (value, "stun", "stuns", FALSE))
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "media",
                        "stun-server", _ ("expected a stun:HOST[:PORT] URI, got “%s”"),
                        value);
  l->config->stun_server = g_steal_pointer (&value);
  return TRUE;
}

gboolean
config_read_turn_urls (const Loader *l, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) urls = NULL;
  g_autoptr (GStrvBuilder) kept = g_strv_builder_new ();

  if (!g_key_file_has_key (l->keys, "turn", "urls", NULL))
    return TRUE;
  urls = g_key_file_get_string_list (l->keys, "turn", "urls", NULL, &local);
  if (local != NULL || urls == NULL)
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "turn", "urls",
                        "%s", local->message);
  for (guint i = 0; urls[i] != NULL; i++)
    {
      g_strstrip (urls[i]);
      if (*urls[i] == '\0')
        continue;
      if (!ice_url_is_valid (urls[i], "turn", "turns", TRUE))
        return config_fail (
            l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "turn", "urls",
            _ ("expected turn:HOST[:PORT][?transport=udp|tcp] or turns:… URIs "
               "separated by “;”, got “%s”"),
            urls[i]);
      g_strv_builder_add (kept, urls[i]);
    }
  l->config->turn_urls = g_strv_builder_end (kept);
  if (l->config->turn_urls[0] == NULL)
    g_clear_pointer (&l->config->turn_urls, g_strfreev);
  return TRUE;
}
