/* The properties convokesrc and convokesink join a room with.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gstconvokeelement-properties.h"

#include <gst/gst.h>

#define DEFAULT_URL "http://127.0.0.1:7880"
#define DEFAULT_RELAY_ONLY FALSE

/* The properties, counted from the first id they are installed with. */
enum
{
  SETTING_URL,
  SETTING_ROOM,
  SETTING_IDENTITY,
  SETTING_TOKEN,
  SETTING_API_KEY,
  SETTING_API_SECRET,
  SETTING_ACCOUNT_SID,
  SETTING_ICE_SERVERS,
  SETTING_RELAY_ONLY,
  N_SETTINGS
};
G_STATIC_ASSERT (N_SETTINGS == GST_CONVOKE_SETTINGS_N_PROPERTIES);

/* Where the string properties live in a GstConvokeSettings; relay-only,
 * the one boolean, is not among them. */
static const gsize string_offsets[] = {
  [SETTING_URL] = G_STRUCT_OFFSET (GstConvokeSettings, url),
  [SETTING_ROOM] = G_STRUCT_OFFSET (GstConvokeSettings, room),
  [SETTING_IDENTITY] = G_STRUCT_OFFSET (GstConvokeSettings, identity),
  [SETTING_TOKEN] = G_STRUCT_OFFSET (GstConvokeSettings, token),
  [SETTING_API_KEY] = G_STRUCT_OFFSET (GstConvokeSettings, api_key),
  [SETTING_API_SECRET] = G_STRUCT_OFFSET (GstConvokeSettings, api_secret),
  [SETTING_ACCOUNT_SID] = G_STRUCT_OFFSET (GstConvokeSettings, account_sid),
  [SETTING_ICE_SERVERS] = G_STRUCT_OFFSET (GstConvokeSettings, ice_servers),
};
G_STATIC_ASSERT (G_N_ELEMENTS (string_offsets) == SETTING_RELAY_ONLY);

void
gst_convoke_settings_install_properties (GObjectClass *klass, guint first_prop_id)
{
  GParamSpec *pspecs[N_SETTINGS];
  const GParamFlags string_flags
      = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;

  /**
   * GstConvokeBin:url:
   *
   * The Convoke server's base URL, `http://host:port` or `https://…`; the
   * signaling WebSocket is `/v1/Signaling` below it (a path in the URL is
   * kept, for reverse proxies). A `ws://` or `wss://` URL is used as it
   * is. When the host is a loopback address or `localhost`, ICE gathers
   * candidates on that address only.
   */
  pspecs[SETTING_URL] = g_param_spec_string (
      "url", "Server URL",
      "Base URL of the Convoke server (http://host:port, https://…, or a ws:// or wss:// "
      "signaling URL)",
      DEFAULT_URL, string_flags);
  /**
   * GstConvokeBin:room:
   *
   * The room's unique name or sid. May stay unset when the token's grant
   * names the room. Rooms that do not exist are created by the join only
   * when the server's `[rooms] auto-create` is on.
   */
  pspecs[SETTING_ROOM] = g_param_spec_string (
      "room", "Room",
      "Unique name or sid of the room to join (optional when the token "
      "names it)",
      NULL, string_flags);
  /**
   * GstConvokeBin:identity:
   *
   * The participant identity to mint a token for, with
   * #GstConvokeBin:api-key and #GstConvokeBin:api-secret. Ignored when
   * #GstConvokeBin:token is set.
   */
  pspecs[SETTING_IDENTITY] = g_param_spec_string (
      "identity", "Identity",
      "Participant identity to mint a token for (needs api-key and api-secret)", NULL,
      string_flags);
  /**
   * GstConvokeBin:token:
   *
   * An access token (a Twilio-compatible JWT) to join with; its identity
   * becomes the participant's identity. Takes precedence over minting one.
   */
  pspecs[SETTING_TOKEN] = g_param_spec_string (
      "token", "Access token", "Access token (JWT) to join with", NULL, string_flags);
  /**
   * GstConvokeBin:api-key:
   *
   * The server's `[auth] api-key` (`SK…`), the issuer of a minted token.
   */
  pspecs[SETTING_API_KEY] = g_param_spec_string (
      "api-key", "API key", "API key to mint a token with (the server's [auth] api-key)",
      NULL, string_flags);
  /**
   * GstConvokeBin:api-secret:
   *
   * The server's `[auth] api-secret`, which signs a minted token. Prefer
   * #GstConvokeBin:token on shared machines: command lines are visible to
   * other users.
   */
  pspecs[SETTING_API_SECRET] = g_param_spec_string (
      "api-secret", "API secret", "API secret to sign a minted token with", NULL,
      string_flags);
  /**
   * GstConvokeBin:account-sid:
   *
   * The account sid (`AC…`) a minted token names. Default: derived from
   * #GstConvokeBin:api-key as the server derives it when its `[auth]
   * account-sid` is not set.
   */
  pspecs[SETTING_ACCOUNT_SID] = g_param_spec_string (
      "account-sid", "Account sid",
      "Account sid of a minted token (default: derived from api-key as the server does)",
      NULL, string_flags);
  /**
   * GstConvokeBin:ice-servers:
   *
   * ICE servers to use besides the ones the server hands out when
   * joining: a comma-separated list of `stun://host:port` (or
   * `stun:host:port`) and `turn://user:password@host:port` (or `turns://`)
   * URIs, user and password URI-escaped. webrtcbin takes one STUN server:
   * the room's wins, then the first one here.
   */
  pspecs[SETTING_ICE_SERVERS]
      = g_param_spec_string ("ice-servers", "ICE servers",
                             "Extra ICE servers: comma-separated stun://host:port and "
                             "turn://user:password@host:port URIs",
                             NULL, string_flags);
  /**
   * GstConvokeBin:relay-only:
   *
   * Send and receive media through TURN relays only (ICE transport
   * policy `relay`), with the TURN servers of the room and of
   * #GstConvokeBin:ice-servers. Without any TURN server no media flows.
   */
  pspecs[SETTING_RELAY_ONLY] = g_param_spec_boolean (
      "relay-only", "Relay only", "Send and receive media through TURN relays only",
      DEFAULT_RELAY_ONLY,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  for (guint i = 0; i < N_SETTINGS; i++)
    g_object_class_install_property (klass, first_prop_id + i, pspecs[i]);
}

void
gst_convoke_settings_init_defaults (GstConvokeSettings *settings)
{
  settings->url = g_strdup (DEFAULT_URL);
  settings->relay_only = DEFAULT_RELAY_ONLY;
}

gboolean
gst_convoke_settings_set_property (GstConvokeSettings *settings, guint first_prop_id,
                                   guint prop_id, const GValue *value)
{
  guint setting = prop_id - first_prop_id;
  char **field;

  if (prop_id < first_prop_id || setting >= N_SETTINGS)
    return FALSE;
  if (setting == SETTING_RELAY_ONLY)
    {
      settings->relay_only = g_value_get_boolean (value);
      return TRUE;
    }
  field = G_STRUCT_MEMBER_P (settings, string_offsets[setting]);
  g_free (*field);
  *field = g_value_dup_string (value);
  return TRUE;
}

gboolean
gst_convoke_settings_get_property (const GstConvokeSettings *settings,
                                   guint first_prop_id, guint prop_id, GValue *value)
{
  guint setting = prop_id - first_prop_id;

  if (prop_id < first_prop_id || setting >= N_SETTINGS)
    return FALSE;
  if (setting == SETTING_RELAY_ONLY)
    g_value_set_boolean (value, settings->relay_only);
  else
    g_value_set_string (
        value, G_STRUCT_MEMBER (const char *, settings, string_offsets[setting]));
  return TRUE;
}
