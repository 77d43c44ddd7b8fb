/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gstconvokeelement-settings.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <string.h>

#include "access-token.h"
#include "i18n.h"

#define TOKEN_TTL_SECONDS 3600

void
gst_convoke_settings_clear (GstConvokeSettings *settings)
{
  g_clear_pointer (&settings->url, g_free);
  g_clear_pointer (&settings->room, g_free);
  g_clear_pointer (&settings->identity, g_free);
  g_clear_pointer (&settings->token, g_free);
  g_clear_pointer (&settings->api_key, g_free);
  g_clear_pointer (&settings->api_secret, g_free);
  g_clear_pointer (&settings->account_sid, g_free);
  g_clear_pointer (&settings->ice_servers, g_free);
  settings->relay_only = FALSE;
}

void
gst_convoke_settings_copy (const GstConvokeSettings *from, GstConvokeSettings *to)
{
  to->url = g_strdup (from->url);
  to->room = g_strdup (from->room);
  to->identity = g_strdup (from->identity);
  to->token = g_strdup (from->token);
  to->api_key = g_strdup (from->api_key);
  to->api_secret = g_strdup (from->api_secret);
  to->account_sid = g_strdup (from->account_sid);
  to->ice_servers = g_strdup (from->ice_servers);
  to->relay_only = from->relay_only;
}

void
gst_convoke_run_free (GstConvokeRun *run)
{
  if (run == NULL)
    return;
  g_free (run->url);
  g_free (run->room);
  g_free (run->token);
  g_free (run->stun_server);
  g_strfreev (run->turn_servers);
  g_strfreev (run->local_addresses);
  g_free (run);
}

static gboolean settings_error (GError **error, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static gboolean
settings_error (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (
      error,
      g_error_new_valist (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, format, args));
  va_end (args);
  return FALSE;
}

static gboolean
check_url (const char *url, GError **error)
{
  g_autoptr (GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;

  if (uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0'
      && (g_str_equal (scheme, "http") || g_str_equal (scheme, "https")
          || g_str_equal (scheme, "ws") || g_str_equal (scheme, "wss")))
    return TRUE;
  return settings_error (error,
                         _ ("The url “%s” is not a Convoke server URL: expected "
                            "http://host:port, https://…, ws://… or wss://…"),
                         url ? url : "");
}

/* ICE on a loopback server works only from loopback candidates (libnice
 * pins host candidates to their interface), so a loopback URL gathers on
 * that address only; anything else on every interface. */
static GStrv
local_addresses_for (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri ? g_uri_get_host (uri) : NULL;
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  if (host == NULL)
    return NULL;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    g_strv_builder_add (builder, "127.0.0.1");
  else if ((address = g_inet_address_new_from_string (host)) != NULL
           && g_inet_address_get_is_loopback (address))
    g_strv_builder_add (builder, host);
  else
    return NULL;
  return g_strv_builder_end (builder);
}

/* One entry of ice-servers, as webrtcbin takes it: "stun://host:port" or
 * "turn(s)://user:password@host:port". RFC 7064's "stun:host:port" is
 * accepted too. */
static char *
ice_server_uri (const char *entry)
{
  g_autofree char *hierarchical = NULL;
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  if (g_str_has_prefix (entry, "stun:") && !g_str_has_prefix (entry, "stun://"))
    entry = hierarchical = g_strconcat ("stun://", entry + strlen ("stun:"), NULL);
  uri = g_uri_parse (entry, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_HAS_PASSWORD, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;
  if (g_str_equal (scheme, "stun"))
    return g_strdup (entry);
  if ((g_str_equal (scheme, "turn") || g_str_equal (scheme, "turns"))
      && g_uri_get_user (uri) != NULL && g_uri_get_password (uri) != NULL)
    return g_strdup (entry);
  return NULL;
}

static gboolean
read_ice_servers (GstConvokeRun *run, const char *list, GError **error)
{
  g_auto (GStrv) entries = g_strsplit (list ? list : "", ",", -1);
  g_autoptr (GStrvBuilder) turn = g_strv_builder_new ();

  for (char **entry = entries; *entry != NULL; entry++)
    {
      g_autofree char *uri = NULL;

      g_strstrip (*entry);
      if (**entry == '\0')
        continue;
      uri = ice_server_uri (*entry);
      if (uri == NULL)
        return settings_error (error,
                               _ ("The ice-servers entry “%s” is neither "
                                  "stun://host:port nor turn://user:password@host:port"),
                               *entry);
      /* webrtcbin takes one STUN server. */
      if (!g_str_has_prefix (uri, "stun"))
        g_strv_builder_add (turn, uri);
      else if (run->stun_server == NULL)
        run->stun_server = g_steal_pointer (&uri);
    }
  run->turn_servers = g_strv_builder_end (turn);
  return TRUE;
}

static char *
default_account_sid (const char *api_key)
{
  /* The server's own default when its [auth] account-sid is not set
   * (docs/configuration.md), so minted tokens name the same account. */
  g_autofree char *digest
      = g_compute_checksum_for_string (G_CHECKSUM_SHA256, api_key, -1);

  digest[32] = '\0';
  return g_strconcat ("AC", digest, NULL);
}

static char *
mint_token (const GstConvokeSettings *settings, GError **error)
{
  g_autofree char *account_sid = NULL;

  if (settings->identity == NULL || *settings->identity == '\0'
      || settings->api_key == NULL || settings->api_secret == NULL)
    {
      settings_error (error,
                      _ ("Set token, or identity with api-key and api-secret to mint a "
                         "token (identity “%s”, api-key %s, api-secret %s)"),
                      settings->identity ? settings->identity : "",
                      settings->api_key ? _ ("set") : _ ("not set"),
                      settings->api_secret ? _ ("set") : _ ("not set"));
      return NULL;
    }
  account_sid = settings->account_sid ? g_strdup (settings->account_sid)
                                      : default_account_sid (settings->api_key);
  return convoke_access_token_create (settings->api_key, settings->api_secret,
                                      account_sid, settings->identity, settings->room,
                                      TOKEN_TTL_SECONDS);
}

GstConvokeRun *
gst_convoke_run_new (const GstConvokeSettings *settings, GError **error)
{
  g_autoptr (GstConvokeRun) run = g_new0 (GstConvokeRun, 1);

  if (!check_url (settings->url, error)
      || !read_ice_servers (run, settings->ice_servers, error))
    return NULL;
  if (settings->token != NULL && *settings->token != '\0')
    run->token = g_strdup (settings->token);
  else if ((run->token = mint_token (settings, error)) == NULL)
    return NULL;
  run->url = g_strdup (settings->url);
  run->room = g_strdup (settings->room);
  run->local_addresses = local_addresses_for (settings->url);
  return g_steal_pointer (&run);
}
