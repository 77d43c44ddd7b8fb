/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-turn.h"

#include <gio/gio.h>
#include <string.h>

#include "i18n.h"

#define DEFAULT_TURN_PORT 3478
#define DEFAULT_TURNS_PORT 5349

static void
turn_server_free (gpointer data)
{
  GroupTurnServer *server = data;

  g_free (server->address);
  g_free (server->url);
  g_free (server);
}

/* RFC 7065: turn:HOST[:PORT][?transport=udp|tcp], turns:…. The URI is
 * opaque, so GUri leaves "HOST:PORT" in the path. The daemon validated
 * the same text at config load; this still refuses rather than guesses. */
static GroupTurnServer *
turn_server_parse (const char *url, const char *room_sid)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GSocketConnectable) connectable = NULL;
  g_autoptr (GInetAddress) literal = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autofree char *host = NULL;
  GroupTurnServer *server;
  gboolean secure;
  const char *transport = NULL;

  secure = uri != NULL && g_strcmp0 (g_uri_get_scheme (uri), "turns") == 0;
  if (uri == NULL || (!secure && g_strcmp0 (g_uri_get_scheme (uri), "turn") != 0))
    {
      g_message (_ ("Room %s: worker option turn-servers: “%s” is not a turn: or "
                    "turns: URI; skipped"),
                 room_sid, url);
      return NULL;
    }
  connectable = g_network_address_parse (
      g_uri_get_path (uri), secure ? DEFAULT_TURNS_PORT : DEFAULT_TURN_PORT, NULL);
  if (g_uri_get_query (uri) != NULL)
    {
      params
          = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
      transport = params != NULL ? g_hash_table_lookup (params, "transport") : NULL;
    }
  if (connectable == NULL
      || (transport != NULL && strcmp (transport, "udp") != 0
          && strcmp (transport, "tcp") != 0))
    {
      g_message (_ ("Room %s: worker option turn-servers: “%s” is not "
                    "turn:HOST[:PORT][?transport=udp|tcp]; skipped"),
                 room_sid, url);
      return NULL;
    }

  host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)));
  literal = g_inet_address_new_from_string (host);
  if (literal == NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autolist (GInetAddress) resolved
          = g_resolver_lookup_by_name (g_resolver_get_default (), host, NULL, &error);

      if (resolved == NULL)
        {
          g_message (_ ("Room %s: cannot resolve the TURN server %s (%s); skipped"),
                     room_sid, url, error->message);
          return NULL;
        }
      g_free (host);
      host = g_inet_address_to_string (resolved->data);
    }

  server = g_new0 (GroupTurnServer, 1);
  server->address = g_steal_pointer (&host);
  server->port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));
  server->transport = secure                              ? GROUP_TURN_TLS
                      : g_strcmp0 (transport, "tcp") == 0 ? GROUP_TURN_TCP
                                                          : GROUP_TURN_UDP;
  server->url = g_strdup (url);
  return server;
}

GPtrArray *
group_turn_servers_parse (const char *text, const char *room_sid)
{
  GPtrArray *servers = g_ptr_array_new_with_free_func (turn_server_free);
  g_auto (GStrv) urls = NULL;

  if (text == NULL)
    return servers;
  urls = g_strsplit (text, ";", -1);
  for (guint i = 0; urls[i] != NULL; i++)
    {
      GroupTurnServer *server;

      g_strstrip (urls[i]);
      if (*urls[i] == '\0')
        continue;
      server = turn_server_parse (urls[i], room_sid);
      if (server != NULL)
        g_ptr_array_add (servers, server);
    }
  return servers;
}

const GPtrArray *
group_turn_cache_get (GroupTurnCache *cache, const char *text, const char *room_sid)
{
  if (cache->servers == NULL || g_strcmp0 (cache->text, text) != 0)
    {
      g_clear_pointer (&cache->servers, g_ptr_array_unref);
      g_free (cache->text);
      cache->text = g_strdup (text);
      cache->servers = group_turn_servers_parse (text, room_sid);
    }
  return cache->servers;
}

void
group_turn_cache_clear (GroupTurnCache *cache)
{
  g_clear_pointer (&cache->text, g_free);
  g_clear_pointer (&cache->servers, g_ptr_array_unref);
}
