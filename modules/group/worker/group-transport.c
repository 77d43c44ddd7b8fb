/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-transport.h"

#include <convoke/topology.h>
#include <nice/agent.h>
#include <string.h>

#include "context-dispatch.h"
#include "group-srtp-receiver.h"
#include "group-srtp-sender.h"
#include "group-transport-private.h"
#include "group-turn.h"
#include "i18n.h"
#include "twilio-error.h"

GST_DEBUG_CATEGORY (group_transport_debug);
#define GST_CAT_DEFAULT group_transport_debug

enum
{
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_GATHERING_DONE,
  SIGNAL_CONNECTED,
  SIGNAL_FAILED,
  N_SIGNALS,
};

static guint transport_signals[N_SIGNALS];

G_DEFINE_TYPE (GroupTransport, group_transport, GST_TYPE_BIN);

void
group_transport_fail (GroupTransport *self, const char *message)
{
  if (self->failed || self->shut_down)
    return;
  self->failed = TRUE;
  GST_WARNING_OBJECT (self, "failed: %s", message);
  g_signal_emit (self, transport_signals[SIGNAL_FAILED], 0, message);
}

typedef struct
{
  GroupTransport *transport;
  char *message;
} FailCall;

static gboolean
fail_on_context (gpointer data)
{
  FailCall *call = data;

  group_transport_fail (call->transport, call->message);
  return G_SOURCE_REMOVE;
}

static void
fail_call_free (gpointer data)
{
  FailCall *call = data;

  g_object_unref (call->transport);
  g_free (call->message);
  g_free (call);
}

/* From any thread. */
void
group_transport_fail_async (GroupTransport *self, const char *message)
{
  FailCall *call = g_new0 (FailCall, 1);

  call->transport = g_object_ref (self);
  call->message = g_strdup (message);
  convoke_context_dispatch (self->context, fail_on_context, call, fail_call_free);
}

void
group_transport_emit_connected (GroupTransport *self)
{
  self->connected = TRUE;
  g_signal_emit (self, transport_signals[SIGNAL_CONNECTED], 0);
}

static void
transport_handle_message (GstBin *bin, GstMessage *message)
{
  GroupTransport *self = GROUP_TRANSPORT (bin);

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *debug = NULL;
      g_autofree char *text = NULL;

      gst_message_parse_error (message, &error, &debug);
      GST_WARNING_OBJECT (self, "%s: %s (%s)", GST_MESSAGE_SRC_NAME (message),
                          error->message, debug ? debug : "");
      text = g_strdup_printf (_ ("Media transport error in %s: %s"),
                              GST_MESSAGE_SRC_NAME (message), error->message);
      group_transport_fail_async (self, text);
      gst_message_unref (message);
      return;
    }
  GST_BIN_CLASS (group_transport_parent_class)->handle_message (bin, message);
}

static void
on_new_candidate (NiceAgent *agent, NiceCandidate *candidate, gpointer user_data)
{
  GroupTransport *self = user_data;
  g_autofree char *line = NULL;
  const char *value;

  if (candidate->component_id != COMPONENT_ID)
    return;
  line = nice_agent_generate_local_candidate_sdp (agent, candidate);
  if (line == NULL)
    return;
  value = g_str_has_prefix (line, "a=") ? line + 2 : line;
  if (candidate->type == NICE_CANDIDATE_TYPE_RELAYED)
    self->relayed_candidates++;
  g_ptr_array_add (self->local_candidates, g_strdup (value));
  g_signal_emit (self, transport_signals[SIGNAL_LOCAL_CANDIDATE], 0, value);
}

static void
on_gathering_done (NiceAgent *agent, guint stream_id, gpointer user_data)
{
  GroupTransport *self = user_data;

  self->gathering_done = TRUE;
  /* libnice says nothing when an allocation fails; the admin who set
   * [media] worker-turn needs to hear it. */
  if (self->relays_requested > 0 && self->relayed_candidates == 0)
    g_message (_ ("%s: none of the %u TURN servers gave a relayed candidate (credentials "
                  "refused, or the server unreachable)"),
               GST_OBJECT_NAME (self), self->relays_requested);
  g_signal_emit (self, transport_signals[SIGNAL_GATHERING_DONE], 0);
}

typedef struct
{
  GroupTransport *transport;
  guint state;
} StateCall;

static gboolean
component_state_on_context (gpointer data)
{
  StateCall *call = data;
  GroupTransport *self = call->transport;

  if (self->shut_down)
    return G_SOURCE_REMOVE;
  if (call->state == NICE_COMPONENT_STATE_CONNECTED
      || call->state == NICE_COMPONENT_STATE_READY)
    {
      self->ice_connected = TRUE;
      group_transport_dtls_maybe_start (self);
    }
  else if (call->state == NICE_COMPONENT_STATE_FAILED)
    group_transport_fail (self, _ ("ICE failed: no candidate pair could connect"));
  return G_SOURCE_REMOVE;
}

static void
state_call_free (gpointer data)
{
  StateCall *call = data;

  g_object_unref (call->transport);
  g_free (call);
}

/* libnice reports a state from the thread that handled the STUN packet,
 * which is often nicesrc's streaming thread, not @context. */
static void
on_component_state_changed (NiceAgent *agent, guint stream_id, guint component_id,
                            guint state, gpointer user_data)
{
  GroupTransport *self = user_data;
  StateCall *call;

  GST_DEBUG_OBJECT (self, "ICE component %u: %s", component_id,
                    nice_component_state_to_string (state));
  if (state != NICE_COMPONENT_STATE_CONNECTED && state != NICE_COMPONENT_STATE_READY
      && state != NICE_COMPONENT_STATE_FAILED)
    return;
  /* Right away, not via @context: the first DTLS flight may be waiting. */
  if (state != NICE_COMPONENT_STATE_FAILED)
    group_transport_dtls_release_sender (self);
  call = g_new0 (StateCall, 1);
  call->transport = g_object_ref (self);
  call->state = state;
  convoke_context_dispatch (self->context, component_state_on_context, call,
                            state_call_free);
}

static gboolean
add_ghost (GroupTransport *self, GstElement *element, const char *pad_name,
           gboolean request, const char *ghost_name)
{
  g_autoptr (GstPad) pad = request ? gst_element_request_pad_simple (element, pad_name)
                                   : gst_element_get_static_pad (element, pad_name);

  if (pad == NULL)
    return FALSE;
  return gst_element_add_pad (GST_ELEMENT (self), gst_ghost_pad_new (ghost_name, pad));
}

static gboolean
transport_build_elements (GroupTransport *self, const char *name, const char *pem,
                          GError **error)
{
  g_autofree char *connection_id = g_strdup_printf ("%s-%08x", name, g_random_int ());
  g_autofree char *sender_name = g_strconcat ("sender_", name, NULL);

  self->nicesrc = gst_element_factory_make ("nicesrc", NULL);
  self->dec = gst_element_factory_make ("dtlssrtpdec", NULL);
  self->enc = gst_element_factory_make ("dtlssrtpenc", NULL);
  self->nicesink = gst_element_factory_make ("nicesink", NULL);
  if (!self->nicesrc || !self->dec || !self->enc || !self->nicesink)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The GStreamer elements nicesrc, nicesink, dtlssrtpdec and "
                      "dtlssrtpenc are needed (packages gstreamer1.0-nice and "
                      "gstreamer1.0-plugins-bad)"));
      g_clear_pointer (&self->nicesrc, gst_object_unref);
      g_clear_pointer (&self->dec, gst_object_unref);
      g_clear_pointer (&self->enc, gst_object_unref);
      g_clear_pointer (&self->nicesink, gst_object_unref);
      return FALSE;
    }

  g_object_set (self->nicesrc, "agent", self->agent, "stream", self->stream_id,
                "component", COMPONENT_ID, NULL);
  g_object_set (self->nicesink, "agent", self->agent, "stream", self->stream_id,
                "component", COMPONENT_ID, "sync", FALSE, "async", FALSE,
                "enable-last-sample", FALSE, NULL);
  /* The pair shares one DTLS connection through this id; the decoder must
   * have it before the encoder leaves NULL. Never set srtp-cipher, -auth or
   * key: any of them switches DTLS off. */
  g_object_set (self->dec, "connection-id", connection_id, NULL);
  g_object_set (self->enc, "connection-id", connection_id, NULL);
  if (pem != NULL)
    g_object_set (self->dec, "pem", pem, NULL);

  /* Not a child of the bin (group_transport_get_sender()), so named after
   * the participant: it sits among the other participants' senders. */
  self->sender
      = gst_object_ref_sink (group_srtp_sender_new (self->agent, self->stream_id, COMPONENT_ID));
  gst_object_set_name (GST_OBJECT (self->sender), sender_name);
  self->receiver = group_srtp_receiver_new ();
  gst_bin_add_many (GST_BIN (self), self->nicesrc, GST_ELEMENT (self->receiver), self->dec,
                    self->enc, self->nicesink, NULL);
  if (!group_transport_dtls_setup (self, name, error))
    return FALSE;

  if (!gst_element_link (self->nicesrc, GST_ELEMENT (self->receiver))
      || !gst_element_link_pads (GST_ELEMENT (self->receiver), "dtls_src", self->dec, "sink")
      || !gst_element_link (self->enc, self->nicesink)
      || !add_ghost (self, GST_ELEMENT (self->receiver), "rtp_src", FALSE, "rtp_src")
      || !add_ghost (self, GST_ELEMENT (self->receiver), "rtcp_src", FALSE, "rtcp_src")
      /* dtlssrtpdec gives its data pad only before the keys are set. */
      || !add_ghost (self, self->dec, "data_src", TRUE, "data_src")
      || !add_ghost (self, self->enc, "data_sink", TRUE, "data_sink"))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("Could not link the media transport elements of %s"), name);
      return FALSE;
    }
  return TRUE;
}

/* The same mapping webrtcbin's ICE agent makes for clients. */
static void
transport_set_relays (GroupTransport *self, const GroupTransportConfig *config)
{
  static const NiceRelayType relay_types[] = {
    [GROUP_TURN_UDP] = NICE_RELAY_TYPE_TURN_UDP,
    [GROUP_TURN_TCP] = NICE_RELAY_TYPE_TURN_TCP,
    [GROUP_TURN_TLS] = NICE_RELAY_TYPE_TURN_TLS,
  };

  if (config->turn_servers == NULL || config->turn_username == NULL
      || config->turn_password == NULL)
    return;
  for (guint i = 0; i < config->turn_servers->len; i++)
    {
      const GroupTurnServer *server = g_ptr_array_index (config->turn_servers, i);

      if (nice_agent_set_relay_info (self->agent, self->stream_id, COMPONENT_ID,
                                     server->address, server->port, config->turn_username,
                                     config->turn_password,
                                     relay_types[server->transport]))
        self->relays_requested++;
      else
        g_message (_ ("%s: libnice refused the TURN server %s (%s:%u)"),
                   GST_OBJECT_NAME (self), server->url, server->address, server->port);
    }
}

static gboolean
transport_setup_agent (GroupTransport *self, const GroupTransportConfig *config,
                       GError **error)
{
  self->agent = nice_agent_new_full (config->context, NICE_COMPATIBILITY_RFC5245,
                                     NICE_AGENT_OPTION_ICE_TRICKLE);
  g_object_set (self->agent, "ice-tcp", FALSE, "upnp", FALSE, "controlling-mode", TRUE,
                NULL);
  if (config->stun_host != NULL)
    g_object_set (self->agent, "stun-server", config->stun_host, "stun-server-port",
                  config->stun_port, NULL);

  for (guint i = 0; config->addresses && config->addresses[i]; i++)
    {
      NiceAddress address;

      nice_address_init (&address);
      if (!nice_address_set_from_string (&address, config->addresses[i])
          || !nice_agent_add_local_address (self->agent, &address))
        {
          g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                       _ ("The ICE address “%s” is not a usable IP address"),
                       config->addresses[i]);
          return FALSE;
        }
    }

  self->stream_id = nice_agent_add_stream (self->agent, 1);
  if (self->stream_id == 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("Could not create an ICE stream"));
      return FALSE;
    }
  if (config->port_min != 0 || config->port_max != 0)
    nice_agent_set_port_range (self->agent, self->stream_id, COMPONENT_ID,
                               config->port_min, config->port_max);
  transport_set_relays (self, config);

  g_signal_connect (self->agent, "new-candidate-full", G_CALLBACK (on_new_candidate),
                    self);
  g_signal_connect (self->agent, "candidate-gathering-done",
                    G_CALLBACK (on_gathering_done), self);
  g_signal_connect (self->agent, "component-state-changed",
                    G_CALLBACK (on_component_state_changed), self);
  return TRUE;
}

GroupTransport *
group_transport_new (const char *name, const GroupTransportConfig *config, GError **error)
{
  g_autoptr (GroupTransport) self
      = g_object_new (GROUP_TYPE_TRANSPORT, "name", name, NULL);

  /* Not floating: the caller owns this reference, gst_bin_add takes its own. */
  gst_object_ref_sink (self);
  self->context = g_main_context_ref (config->context);

  if (!transport_setup_agent (self, config, error)
      || !transport_build_elements (self, name, config->pem, error))
    return NULL;

  self->port_min = config->port_min;
  self->port_max = config->port_max;
  return g_steal_pointer (&self);
}

gboolean
group_transport_gather (GroupTransport *self, GError **error)
{
  if (nice_agent_gather_candidates (self->agent, self->stream_id))
    return TRUE;
  if (self->port_min != 0 || self->port_max != 0)
    g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SERVER_BUSY,
                 _ ("No free UDP port for ICE in the range %u-%u ([media] port-range)"),
                 self->port_min, self->port_max);
  else
    g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                 _ ("Could not gather ICE candidates"));
  return FALSE;
}

void
group_transport_shutdown (GroupTransport *self)
{
  self->shut_down = TRUE;
  if (self->agent != NULL)
    g_signal_handlers_disconnect_by_data (self->agent, self);
  if (self->enc != NULL)
    g_signal_handlers_disconnect_by_data (self->enc, self);
  gst_element_set_locked_state (GST_ELEMENT (self), TRUE);
  gst_element_set_state (GST_ELEMENT (self), GST_STATE_NULL);
  /* A never-started encoder is locked and thus skipped by the bin. */
  gst_element_set_state (self->enc, GST_STATE_NULL);
  if (self->sender != NULL)
    {
      gst_element_set_locked_state (GST_ELEMENT (self->sender), TRUE);
      gst_element_set_state (GST_ELEMENT (self->sender), GST_STATE_NULL);
    }
}

GroupSrtpSender *
group_transport_get_sender (GroupTransport *self)
{
  return self->sender;
}

void
group_transport_get_local_credentials (GroupTransport *self, char **ufrag, char **pwd)
{
  nice_agent_get_local_credentials (self->agent, self->stream_id, ufrag, pwd);
}

GPtrArray *
group_transport_get_local_candidates (GroupTransport *self)
{
  return self->local_candidates;
}

gboolean
group_transport_is_gathering_done (GroupTransport *self)
{
  return self->gathering_done;
}

void
group_transport_set_controlling (GroupTransport *self, gboolean controlling)
{
  g_object_set (self->agent, "controlling-mode", controlling, NULL);
}

/* An ICE restart (RFC 8445 section 9): the client's offer brings new
 * credentials. libnice keeps the local candidates and their sockets,
 * draws new local credentials (our answer carries them), forgets the
 * remote candidates and checks again; DTLS and SRTP go on over the new
 * pair, so the participant keeps its keys, its m-lines and its place. */
static gboolean
transport_restart_ice (GroupTransport *self, const char *ufrag, const char *pwd,
                       const char *fingerprint_hash, const char *fingerprint,
                       GError **error)
{
  if (g_ascii_strcasecmp (fingerprint_hash, self->remote_fingerprint_hash) != 0
      || g_ascii_strcasecmp (fingerprint, self->remote_fingerprint) != 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The ICE restart to a=ice-ufrag:%s also changes the DTLS "
                      "certificate (a=fingerprint): a new DTLS session is not supported"),
                   ufrag);
      return FALSE;
    }
  GST_INFO_OBJECT (self, "ICE restart: remote ufrag %s → %s", self->remote_ufrag, ufrag);
  if (!nice_agent_restart_stream (self->agent, self->stream_id)
      || !nice_agent_set_remote_credentials (self->agent, self->stream_id, ufrag, pwd))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The ICE restart to a=ice-ufrag:%s failed"), ufrag);
      return FALSE;
    }
  g_free (self->remote_ufrag);
  self->remote_ufrag = g_strdup (ufrag);
  self->ice_restarts++;
  return TRUE;
}

gboolean
group_transport_set_remote (GroupTransport *self, const char *ufrag, const char *pwd,
                            const char *fingerprint_hash, const char *fingerprint,
                            gboolean offer, GError **error)
{
  if (self->remote_ufrag != NULL)
    {
      if (g_strcmp0 (self->remote_ufrag, ufrag) == 0)
        return TRUE;
      if (!offer)
        {
          g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                       _ ("a=ice-ufrag changed from “%s” to “%s” in an answer: only a "
                          "client's offer may restart ICE"),
                       self->remote_ufrag, ufrag);
          return FALSE;
        }
      return transport_restart_ice (self, ufrag, pwd, fingerprint_hash, fingerprint, error);
    }
  if (!nice_agent_set_remote_credentials (self->agent, self->stream_id, ufrag, pwd))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The ICE credentials a=ice-ufrag:%s and a=ice-pwd are not valid"),
                   ufrag);
      return FALSE;
    }
  self->remote_ufrag = g_strdup (ufrag);
  self->remote_fingerprint_hash = g_strdup (fingerprint_hash);
  self->remote_fingerprint = g_strdup (fingerprint);
  return TRUE;
}

gboolean
group_transport_add_remote_candidate (GroupTransport *self, const char *candidate,
                                      GError **error)
{
  g_autofree char *line = NULL;
  NiceCandidate *parsed;
  GSList list = { NULL, NULL };
  int added;

  if (g_str_has_prefix (candidate, "a="))
    candidate += 2;
  if (!g_str_has_prefix (candidate, "candidate:"))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The ICE candidate “%s” does not start with “candidate:”"),
                   candidate);
      return FALSE;
    }
  /* mDNS names need a resolver libnice does not have; the client's other
   * candidates (or ours, as the controlling side) still connect. */
  if (strstr (candidate, ".local ") != NULL)
    {
      GST_DEBUG_OBJECT (self, "ignoring mDNS candidate %s", candidate);
      return TRUE;
    }
  line = g_strconcat ("a=", candidate, NULL);
  parsed = nice_agent_parse_remote_candidate_sdp (self->agent, self->stream_id, line);
  if (parsed == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The ICE candidate “%s” could not be parsed"), candidate);
      return FALSE;
    }
  if (parsed->component_id != COMPONENT_ID)
    {
      /* RTCP candidates are moot with rtcp-mux. */
      nice_candidate_free (parsed);
      return TRUE;
    }
  list.data = parsed;
  added = nice_agent_set_remote_candidates (self->agent, self->stream_id, COMPONENT_ID,
                                            &list);
  nice_candidate_free (parsed);
  if (added < 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The ICE candidate “%s” was refused"), candidate);
      return FALSE;
    }
  return TRUE;
}

void
group_transport_remote_gathering_done (GroupTransport *self)
{
  nice_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
}

static void
group_transport_dispose (GObject *object)
{
  GroupTransport *self = GROUP_TRANSPORT (object);

  if (self->agent != NULL)
    g_signal_handlers_disconnect_by_data (self->agent, self);
  g_clear_object (&self->agent);
  gst_clear_object (&self->sender);
  G_OBJECT_CLASS (group_transport_parent_class)->dispose (object);
}

static void
group_transport_finalize (GObject *object)
{
  GroupTransport *self = GROUP_TRANSPORT (object);

  g_ptr_array_unref (self->local_candidates);
  g_free (self->remote_ufrag);
  g_free (self->remote_fingerprint_hash);
  g_free (self->remote_fingerprint);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (group_transport_parent_class)->finalize (object);
}

static void
group_transport_init (GroupTransport *self)
{
  self->local_candidates = g_ptr_array_new_with_free_func (g_free);
}

static void
group_transport_class_init (GroupTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = group_transport_dispose;
  object_class->finalize = group_transport_finalize;
  bin_class->handle_message = transport_handle_message;

  transport_signals[SIGNAL_LOCAL_CANDIDATE]
      = g_signal_new ("local-candidate", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, G_TYPE_STRING);
  transport_signals[SIGNAL_GATHERING_DONE] = g_signal_new (
      "gathering-done", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  transport_signals[SIGNAL_CONNECTED] = g_signal_new (
      "connected", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  transport_signals[SIGNAL_FAILED]
      = g_signal_new ("failed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                      1, G_TYPE_STRING);

  GST_DEBUG_CATEGORY_INIT (group_transport_debug, "convokegrouptransport", 0,
                           "Convoke group room participant transport");
}
