/* ConvokePeer's ICE side: STUN/TURN/relay-only configuration, UPnP
 * switch-off, local candidates and gathering state carried from
 * webrtcbin's thread to the main context, and the connection state with
 * its relay-only failure reports.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-peer-private.h"

#include <string.h>

#include "i18n.h"
#include "twilio-error.h"

#define GST_CAT_DEFAULT convoke_peer_debug

/* ---- configuration ----------------------------------------------------- */

/* libnice maps a port on the router by UPnP for every stream by default.
 * A room server's clients never need it (the server is reachable, or TURN
 * is), UPnP discovery holds gathering up for its timeout, and the
 * gupnp/gssdp threads it starts have been seen to abort clients on a GLib
 * critical. webrtcbin 1.22 has no setting for it: only the NiceAgent that
 * GstWebRTCNice exposes as "agent" has, and it is read when gathering
 * starts, so turning it off right after the webrtcbin is made is enough. */
void
convoke_webrtcbin_disable_upnp (GstElement *webrtcbin)
{
  g_autoptr (GstObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  g_return_if_fail (GST_IS_ELEMENT (webrtcbin));

  g_object_get (webrtcbin, "ice-agent", &ice, NULL);
  /* Other ICE implementations have no NiceAgent, nor UPnP to switch off. */
  if (ice == NULL
      || g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent") == NULL)
    return;
  g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL
      && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp") != NULL)
    g_object_set (agent, "upnp", FALSE, NULL);
}

static gboolean
configure_ice (ConvokePeer *self, GError **error)
{
  g_autoptr (GstObject) ice = NULL;

  g_object_set (self->webrtcbin, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                NULL);
  convoke_webrtcbin_disable_upnp (self->webrtcbin);
  if (self->config->relay_only)
    g_object_set (self->webrtcbin, "ice-transport-policy",
                  GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
  if (self->config->stun_server != NULL)
    g_object_set (self->webrtcbin, "stun-server", self->config->stun_server, NULL);
  for (char **uri = self->config->turn_servers; uri != NULL && *uri != NULL; uri++)
    {
      gboolean added = FALSE;

      g_signal_emit_by_name (self->webrtcbin, "add-turn-server", *uri, &added);
      if (!added)
        {
          g_autoptr (GUri) parsed = g_uri_parse (*uri, G_URI_FLAGS_NONE, NULL);

          /* Never print the credentials that the URI carries. */
          g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_MEDIA_CONNECTION_FAILED,
                       _ ("webrtcbin refused the TURN server %s:%d"),
                       parsed ? g_uri_get_host (parsed) : "?",
                       parsed ? g_uri_get_port (parsed) : -1);
          return FALSE;
        }
    }

  g_object_get (self->webrtcbin, "ice-agent", &ice, NULL);
  if (ice == NULL)
    return TRUE;
  /* Nothing Convoke talks to offers ICE-TCP, and each TCP candidate slows
   * gathering down. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp") != NULL)
    g_object_set (ice, "ice-tcp", FALSE, NULL);
  for (char **address = self->config->local_addresses;
       address != NULL && *address != NULL; address++)
    {
      gboolean added = FALSE;

      g_signal_emit_by_name (ice, "add-local-ip-address", *address, &added);
      if (!added)
        {
          g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_MEDIA_CONNECTION_FAILED,
                       _ ("the ICE agent refused the local address \"%s\""), *address);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- relay-only failures ----------------------------------------------- */

/* The TURN servers as the daemon's [turn] urls name them, for messages:
 * the URIs also carry the credentials, which are never printed. */
static char *
describe_turn_servers (const ConvokePeerConfig *config)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (char **uri = config->turn_servers; uri != NULL && *uri != NULL; uri++)
    {
      g_autoptr (GUri) parsed = g_uri_parse (*uri, G_URI_FLAGS_NONE, NULL);
      const char *host = parsed ? g_uri_get_host (parsed) : NULL;

      if (text->len > 0)
        g_string_append (text, ", ");
      if (host == NULL)
        {
          g_string_append (text, "?");
          continue;
        }
      g_string_append_printf (text, strchr (host, ':') ? "%s:[%s]:%d" : "%s:%s:%d",
                              g_uri_get_scheme (parsed), host, g_uri_get_port (parsed));
      if (g_uri_get_query (parsed) != NULL)
        g_string_append_printf (text, "?%s", g_uri_get_query (parsed));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
has_turn_servers (const ConvokePeerConfig *config)
{
  return config->turn_servers != NULL && config->turn_servers[0] != NULL;
}

/* Relay-only: the connection can only fail because of TURN, so say that,
 * once. @gathered: gathering ended without a relayed candidate (ICE then
 * has no pair to check and webrtcbin never reports a failure itself);
 * otherwise ICE or DTLS failed over the relay. */
static void
report_relay_failure (ConvokePeer *self, gboolean gathered)
{
  g_autofree char *servers = NULL;
  g_autofree char *text = NULL;

  if (self->relay_failure_reported)
    return;
  self->relay_failure_reported = TRUE;
  if (!has_turn_servers (self->config))
    {
      text
          = g_strdup_printf (_ ("no relayed ICE candidate for the media connection to %s "
                                "(relay-only): the server handed out no TURN server "
                                "(its [turn] urls)"),
                             self->remote_id);
      convoke_peer_emit_failed (self, CONVOKE_ERROR_MEDIA_CONNECTION_FAILED, text);
      return;
    }
  servers = describe_turn_servers (self->config);
  if (gathered)
    text = g_strdup_printf (_ ("no relayed ICE candidate for the media connection to %s "
                               "(relay-only): the TURN server refused the credentials "
                               "or is unreachable (%s)"),
                            self->remote_id, servers);
  else
    text = g_strdup_printf (_ ("the media connection to %s failed (ICE or DTLS, "
                               "relay-only): the TURN server refused the credentials "
                               "or is unreachable (%s)"),
                            self->remote_id, servers);
  convoke_peer_emit_failed (self, CONVOKE_ERROR_MEDIA_CONNECTION_FAILED, text);
}

/* ---- events from webrtcbin's thread ------------------------------------ */

static void
on_local_candidate_main (ConvokePeer *self, PeerCall *call)
{
  const char *candidate = gst_structure_get_string (call->reply, "candidate");
  guint mline_index = 0;

  /* Later webrtcbins announce the end of each transport's candidates with
   * an empty one; the peer sends its own end marker once gathering is
   * complete (on_gathering_state_main), so that there is exactly one. */
  if (self->closed || candidate == NULL || candidate[0] == '\0')
    return;
  gst_structure_get_uint (call->reply, "mline", &mline_index);
  if (strstr (candidate, " typ relay") != NULL)
    self->relay_candidates++;
  if (self->config->trickle)
    {
      convoke_peer_emit_local_candidate (self, mline_index, candidate);
    }
  else
    {
      GatheredCandidate gathered = { mline_index, g_strdup (candidate) };

      g_array_append_val (self->gathered, gathered);
    }
}

static void
on_ice_candidate (GstElement *webrtcbin, guint mline_index, const char *candidate,
                  ConvokePeer *self)
{
  PeerCall *call = g_new0 (PeerCall, 1);

  call->reply = gst_structure_new ("candidate", "mline", G_TYPE_UINT, mline_index,
                                   "candidate", G_TYPE_STRING, candidate, NULL);
  convoke_peer_invoke (self, on_local_candidate_main, call);
}

static void
on_gathering_state_main (ConvokePeer *self, PeerCall *call)
{
  gboolean completed
      = call->gathering_state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE
        && self->gathering_state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE;

  self->gathering_state = call->gathering_state;
  if (self->closed || !completed)
    return;
  if (self->config->trickle)
    convoke_peer_emit_local_candidate (self, 0, "");
  else
    convoke_peer_maybe_send_pending_description (self);
  if (!self->closed && self->config->relay_only && self->relay_candidates == 0)
    report_relay_failure (self, TRUE);
}

/* webrtcbin emits candidates and this notification from its own thread,
 * in order, and both reach the main context through the same queue of
 * idle sources. The state must be read here, though: by the time the
 * main context sees a "gathering" notification, webrtcbin may already be
 * complete, and reading it there would send the end of candidates before
 * the candidates still queued behind that notification. */
static void
on_gathering_state_notify (GObject *webrtcbin, GParamSpec *pspec, ConvokePeer *self)
{
  PeerCall *call = g_new0 (PeerCall, 1);

  g_object_get (webrtcbin, "ice-gathering-state", &call->gathering_state, NULL);
  convoke_peer_invoke (self, on_gathering_state_main, call);
}

static void
on_connection_state_main (ConvokePeer *self, PeerCall *call)
{
  GstWebRTCPeerConnectionState state;

  if (self->closed)
    return;
  g_object_get (self->webrtcbin, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    {
      GST_INFO ("peer %s: connected", self->remote_id);
      convoke_peer_emit_connected (self);
    }
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED && self->config->relay_only)
    {
      report_relay_failure (self, FALSE);
    }
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    {
      g_autofree char *text = g_strdup_printf (
          _ ("the media connection to %s failed (ICE or DTLS)"), self->remote_id);
      convoke_peer_emit_failed (self, CONVOKE_ERROR_MEDIA_CONNECTION_FAILED, text);
    }
}

static void
on_connection_state_notify (GObject *webrtcbin, GParamSpec *pspec, ConvokePeer *self)
{
  convoke_peer_invoke (self, on_connection_state_main, g_new0 (PeerCall, 1));
}

gboolean
convoke_peer_setup_ice (ConvokePeer *self, GError **error)
{
  if (!configure_ice (self, error))
    return FALSE;
  g_signal_connect (self->webrtcbin, "on-ice-candidate", G_CALLBACK (on_ice_candidate),
                    self);
  g_signal_connect (self->webrtcbin, "notify::ice-gathering-state",
                    G_CALLBACK (on_gathering_state_notify), self);
  g_signal_connect (self->webrtcbin, "notify::connection-state",
                    G_CALLBACK (on_connection_state_notify), self);
  return TRUE;
}
