/* [cluster]: the keys of cluster mode (docs/cluster.md). Read at start;
 * the daemon keeps the values it started with (a node does not move to
 * another Redis or change its id while its rooms run).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "config-private.h"
#include "i18n.h"

/* A Redis database index: Redis's default configuration has 16. */
#define MAX_REDIS_DB 1000000

/* redis://HOST[:PORT][/DB]. No password or TLS: hiredis 0.14 has no TLS,
 * and a cluster's Redis sits on the nodes' private network. */
static gboolean
read_redis_url (const Loader *l, GError **error)
{
  ConvokeConfig *c = l->config;
  g_autofree char *value = NULL;
  g_autoptr (GUri) uri = NULL;
  const char *path;
  guint64 db = 0;

  if (!config_read_string (l, "cluster", "redis", &value, error))
    return FALSE;
  if (value == NULL || *value == '\0')
    return TRUE;
  uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  path = uri != NULL ? g_uri_get_path (uri) : NULL;
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "redis") != 0
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL
      || g_uri_get_fragment (uri) != NULL
      || (path != NULL && *path != '\0' && !g_str_equal (path, "/")
          && !g_ascii_string_to_unsigned (path + 1, 10, 0, MAX_REDIS_DB, &db, NULL)))
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "cluster", "redis",
                        _ ("expected redis://HOST:PORT/DB, got “%s”"), value);
  c->cluster_redis_host = g_strdup (g_uri_get_host (uri));
  c->cluster_redis_port = g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : 6379;
  c->cluster_redis_db = (guint) db;
  c->cluster_redis = g_steal_pointer (&value);
  return TRUE;
}

static gboolean
read_label (const Loader *l, const char *key, char **out, GError **error)
{
  if (!config_read_string (l, "cluster", key, out, error))
    return FALSE;
  if (*out != NULL && !config_is_simple_name (*out, 64))
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "cluster", key,
                        _ ("expected up to 64 letters, digits, “-”, “_” or “.”, got “%s”"),
                        *out);
  return TRUE;
}

static gboolean
read_node_url (const Loader *l, GError **error)
{
  ConvokeConfig *c = l->config;
  g_autofree char *value = NULL;
  g_autoptr (GUri) uri = NULL;

  if (!config_read_string (l, "cluster", "node-url", &value, error))
    return FALSE;
  if (value == NULL || *value == '\0')
    return TRUE;
  uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL
      || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
          && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "cluster",
                        "node-url",
                        _ ("expected an http:// or https:// URL without query, got “%s”"),
                        value);
  while (g_str_has_suffix (value, "/"))
    value[strlen (value) - 1] = '\0';
  c->cluster_node_url = g_steal_pointer (&value);
  return TRUE;
}

gboolean
config_read_cluster (const Loader *l, GError **error)
{
  ConvokeConfig *c = l->config;

  if (!read_redis_url (l, error) || !read_label (l, "node-id", &c->cluster_node_id, error)
      || !read_node_url (l, error) || !read_label (l, "region", &c->cluster_region, error)
      || !read_label (l, "placement-region", &c->cluster_placement_region, error)
      || !config_read_uint (l, "cluster", "heartbeat-ttl", 2, 300,
                            _ ("a number of seconds from 2 to 300"),
                            &c->cluster_heartbeat_ttl, error))
    return FALSE;
  if (c->cluster_redis == NULL)
    return TRUE;
  /* Two nodes under one id would overwrite each other's heartbeat and
   * rooms, so the default is the host's name, which differs between
   * machines; nodes that share a machine must set it. */
  if (c->cluster_node_id == NULL)
    {
      const char *host = g_get_host_name ();

      if (!config_is_simple_name (host, 64))
        return config_fail (l, error, CONVOKE_CONFIG_ERROR_MISSING_KEY, "cluster",
                            "node-id",
                            _ ("required: this host's name “%s” cannot serve as one"),
                            host);
      c->cluster_node_id = g_strdup (host);
    }
  return TRUE;
}
