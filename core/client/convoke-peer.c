/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-peer-private.h"

#include "context-dispatch.h"
#include "i18n.h"
#include "twilio-error.h"

GST_DEBUG_CATEGORY (convoke_peer_debug);
#define GST_CAT_DEFAULT convoke_peer_debug

/* Local tracks keep flowing to every other peer while this one is not
 * negotiated yet (webrtcbin blocks unnegotiated sink pads), so the branch
 * drops what it cannot pass on. */
#define BRANCH_QUEUE_MAX_TIME (500 * GST_MSECOND)

G_DEFINE_TYPE (ConvokePeer, convoke_peer, G_TYPE_OBJECT)

enum
{
  SIGNAL_LOCAL_DESCRIPTION,
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_REMOTE_PAD,
  SIGNAL_FAILED,
  SIGNAL_CONNECTED,
  SIGNAL_DATA_CHANNEL,
  SIGNAL_DATA_MESSAGE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

guint
convoke_timeout_add (GMainContext *context, guint interval_ms, GSourceFunc func,
                     gpointer data)
{
  g_autoptr (GSource) source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, data, NULL);
  return g_source_attach (source, context);
}

void
convoke_timeout_clear (GMainContext *context, guint *id)
{
  GSource *source = *id != 0 ? g_main_context_find_source_by_id (context, *id) : NULL;

  if (source != NULL)
    g_source_destroy (source);
  *id = 0;
}

ConvokePeerConfig *
convoke_peer_config_copy (const ConvokePeerConfig *config)
{
  ConvokePeerConfig *copy = g_new0 (ConvokePeerConfig, 1);

  copy->trickle = config->trickle;
  copy->relay_only = config->relay_only;
  copy->latency_ms = config->latency_ms;
  copy->data_m_line = config->data_m_line;
  copy->stun_server = g_strdup (config->stun_server);
  copy->turn_servers = g_strdupv (config->turn_servers);
  copy->local_addresses = g_strdupv (config->local_addresses);
  return copy;
}

void
convoke_peer_config_free (ConvokePeerConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->stun_server);
  g_strfreev (config->turn_servers);
  g_strfreev (config->local_addresses);
  g_free (config);
}

static void
local_branch_free (LocalBranch *branch)
{
  gst_clear_object (&branch->tee);
  gst_clear_object (&branch->tee_pad);
  gst_clear_object (&branch->queue);
  gst_clear_object (&branch->sink_pad);
  gst_clear_object (&branch->transceiver);
  g_free (branch);
}

static void
gathered_candidate_clear (gpointer data)
{
  GatheredCandidate *gathered = data;

  g_free (gathered->candidate);
}

static void
peer_call_free (PeerCall *call)
{
  g_clear_object (&call->peer);
  g_clear_pointer (&call->reply, gst_structure_free);
  gst_clear_object (&call->pad);
  g_free (call);
}

static gboolean
peer_call_dispatch (gpointer data)
{
  PeerCall *call = data;

  call->func (call->peer, call);
  return G_SOURCE_REMOVE;
}

/* Always deferred, even from the main thread: webrtcbin may answer a
 * promise synchronously, and handlers must not run inside our own calls
 * into it. Events keep their order (context-dispatch.h). */
void
convoke_peer_invoke (ConvokePeer *self, PeerCallFunc func, PeerCall *call)
{
  call->peer = g_object_ref (self);
  call->func = func;
  convoke_context_dispatch (self->context, peer_call_dispatch, call,
                            (GDestroyNotify) peer_call_free);
}

/* What a promise needs to know to hand its reply over; owned by the
 * promise, so an unanswered promise frees it with itself. */
typedef struct
{
  ConvokePeer *peer;
  PeerCallFunc func;
  GstWebRTCSDPType sdp_type;
} PromiseTarget;

static void
promise_target_free (PromiseTarget *target)
{
  g_clear_object (&target->peer);
  g_free (target);
}

static void
on_promise_changed (GstPromise *promise, gpointer user_data)
{
  PromiseTarget *target = user_data;
  PeerCall *call = g_new0 (PeerCall, 1);
  const GstStructure *reply;

  call->sdp_type = target->sdp_type;
  call->result = gst_promise_wait (promise);
  reply = call->result == GST_PROMISE_RESULT_REPLIED ? gst_promise_get_reply (promise)
                                                     : NULL;
  if (reply != NULL)
    call->reply = gst_structure_copy (reply);
  convoke_peer_invoke (target->peer, target->func, call);
}

/* A promise whose reply reaches @func on the main context. */
GstPromise *
convoke_peer_promise_new (ConvokePeer *self, PeerCallFunc func, GstWebRTCSDPType sdp_type)
{
  PromiseTarget *target = g_new0 (PromiseTarget, 1);

  target->peer = g_object_ref (self);
  target->func = func;
  target->sdp_type = sdp_type;
  return gst_promise_new_with_change_func (on_promise_changed, target,
                                           (GDestroyNotify) promise_target_free);
}

/* NULL when the promise succeeded; otherwise why it did not. */
char *
convoke_peer_call_error_message (PeerCall *call)
{
  g_autoptr (GError) error = NULL;

  if (call->result != GST_PROMISE_RESULT_REPLIED)
    return g_strdup (_ ("webrtcbin dropped the request"));
  if (call->reply != NULL && gst_structure_has_field (call->reply, "error")
      && gst_structure_get (call->reply, "error", G_TYPE_ERROR, &error, NULL)
      && error != NULL)
    return g_strdup (error->message);
  return NULL;
}

void
convoke_peer_emit_failed (ConvokePeer *self, int code, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (CONVOKE_ERROR, code, message);

  if (self->closed)
    return;
  GST_WARNING ("peer %s: %s", self->remote_id, message);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
}

void
convoke_peer_emit_local_description (ConvokePeer *self, const char *type, const char *sdp)
{
  g_signal_emit (self, signals[SIGNAL_LOCAL_DESCRIPTION], 0, type, sdp);
}

void
convoke_peer_emit_local_candidate (ConvokePeer *self, guint mline_index,
                                   const char *candidate)
{
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, mline_index, candidate);
}

void
convoke_peer_emit_connected (ConvokePeer *self)
{
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
}

void
convoke_peer_emit_data_channel (ConvokePeer *self, const char *label, const char *protocol)
{
  g_signal_emit (self, signals[SIGNAL_DATA_CHANNEL], 0, label, protocol);
}

void
convoke_peer_emit_data_message (ConvokePeer *self, const char *label, const char *protocol,
                                GBytes *data, gboolean binary)
{
  g_signal_emit (self, signals[SIGNAL_DATA_MESSAGE], 0, label, protocol, data, binary);
}

/* ---- remote streams ---------------------------------------------------- */

static GstPadProbeReturn
hold_pad (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_OK;
}

/* The pad's caps say what it carries. The transceiver can be wrong: when
 * the remote SDP lacks a=ssrc, webrtcbin attaches every stream of a bundle
 * to the first m-line's transceiver. */
static const char *
remote_pad_kind (GstPad *pad, GstWebRTCRTPTransceiver *transceiver)
{
  GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  if (caps != NULL && !gst_caps_is_empty (caps))
    {
      const char *media
          = gst_structure_get_string (gst_caps_get_structure (caps, 0), "media");

      if (g_strcmp0 (media, "audio") == 0 || g_strcmp0 (media, "video") == 0)
        return g_intern_string (media);
    }
  if (transceiver != NULL)
    g_object_get (transceiver, "kind", &kind, NULL);
  if (kind == GST_WEBRTC_KIND_AUDIO)
    return "audio";
  if (kind == GST_WEBRTC_KIND_VIDEO)
    return "video";
  return NULL;
}

static void
link_fallback_sink (ConvokePeer *self, GstPad *pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sink_pad = NULL;

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (self->bin, sink);
  g_ptr_array_add (self->fallback_sinks, gst_object_ref (sink));
  sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sink_pad);
  gst_element_sync_state_with_parent (sink);
}

static void
on_pad_added_main (ConvokePeer *self, PeerCall *call)
{
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  g_autofree char *mid = NULL;
  g_autofree char *msid = NULL;
  const char *kind;

  if (!self->closed)
    {
      g_object_get (call->pad, "transceiver", &transceiver, "msid", &msid, NULL);
      if (transceiver != NULL)
        g_object_get (transceiver, "mid", &mid, NULL);
      kind = remote_pad_kind (call->pad, transceiver);
      GST_INFO ("peer %s: remote %s pad %s (mid %s, msid %s)", self->remote_id,
                kind ? kind : "?", GST_PAD_NAME (call->pad), mid, msid);
      if (kind != NULL)
        g_signal_emit (self, signals[SIGNAL_REMOTE_PAD], 0, call->pad, kind, mid, msid);
      if (!self->closed && !gst_pad_is_linked (call->pad))
        link_fallback_sink (self, call->pad);
    }
  gst_pad_remove_probe (call->pad, call->probe_id);
}

static void
on_pad_added (GstElement *webrtcbin, GstPad *pad, ConvokePeer *self)
{
  PeerCall *call;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  /* Held until the main context has offered the pad to the application,
   * so that no buffer meets an unlinked pad. */
  call = g_new0 (PeerCall, 1);
  call->pad = gst_object_ref (pad);
  call->probe_id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, hold_pad,
                                      NULL, NULL);
  convoke_peer_invoke (self, on_pad_added_main, call);
}

/* ---- local tracks ------------------------------------------------------ */

gboolean
convoke_peer_add_local_track (ConvokePeer *self, GstElement *tee, GstCaps *caps,
                              const char *msid,
                              GstWebRTCRTPTransceiverDirection direction, GError **error)
{
  GstPadTemplate *templ;
  LocalBranch *branch;
  g_autoptr (GstPad) queue_sink = NULL;
  g_autoptr (GstPad) queue_src = NULL;

  g_return_val_if_fail (CONVOKE_IS_PEER (self), FALSE);
  g_return_val_if_fail (GST_IS_ELEMENT (tee), FALSE);
  g_return_val_if_fail (GST_IS_CAPS (caps), FALSE);

  templ = gst_element_get_pad_template (self->webrtcbin, "sink_%u");
  branch = g_new0 (LocalBranch, 1);
  branch->tee = gst_object_ref (tee);
  branch->sink_pad = gst_element_request_pad (self->webrtcbin, templ, NULL, caps);
  if (branch->sink_pad == NULL)
    {
      g_autofree char *caps_text = gst_caps_to_string (caps);

      local_branch_free (branch);
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("webrtcbin refused a track with caps %s"), caps_text);
      return FALSE;
    }
  g_object_get (branch->sink_pad, "transceiver", &branch->transceiver, NULL);
  g_object_set (branch->transceiver, "direction", direction, "codec-preferences", caps,
                NULL);
  /* Retransmission for video only: webrtcbin would announce an RTX
   * stream (a=ssrc-group:FID) for audio too, and Chromium refuses a
   * remote offer with one ("Failed to add remote stream ssrc"). */
  if (g_strcmp0 (gst_structure_get_string (gst_caps_get_structure (caps, 0), "media"),
                 "audio")
      == 0)
    g_object_set (branch->transceiver, "do-nack", FALSE, NULL);
  if (msid != NULL)
    g_object_set (branch->sink_pad, "msid", msid, NULL);
  gst_pad_add_probe (branch->sink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     convoke_peer_on_local_caps, self, NULL);

  branch->queue = gst_object_ref (gst_element_factory_make ("queue", NULL));
  g_object_set (branch->queue, "leaky", 2 /* downstream */, "max-size-buffers", 0,
                "max-size-bytes", 0, "max-size-time", (guint64) BRANCH_QUEUE_MAX_TIME,
                NULL);
  gst_bin_add (self->bin, branch->queue);
  queue_src = gst_element_get_static_pad (branch->queue, "src");
  queue_sink = gst_element_get_static_pad (branch->queue, "sink");
  gst_pad_link (queue_src, branch->sink_pad);
  gst_element_sync_state_with_parent (branch->queue);

  branch->tee_pad = gst_element_request_pad_simple (tee, "src_%u");
  gst_pad_link (branch->tee_pad, queue_sink);
  g_ptr_array_add (self->branches, branch);
  return TRUE;
}

/* What a receive-only m-line offers: the codecs and payload types that
 * convoke-client, convokesink and group rooms send. */
#define RECEIVER_AUDIO_CAPS                                                              \
  "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,"       \
  "encoding-params=(string)2"
#define RECEIVER_VIDEO_CAPS                                                              \
  "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000;"         \
  "application/x-rtp,media=video,encoding-name=VP9,payload=98,clock-rate=90000;"         \
  "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"       \
  "packetization-mode=(string)1,profile-level-id=(string)42e01f"

void
convoke_peer_add_receiver (ConvokePeer *self, const char *kind)
{
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

  g_return_if_fail (CONVOKE_IS_PEER (self));
  g_return_if_fail (g_strcmp0 (kind, "audio") == 0 || g_strcmp0 (kind, "video") == 0);

  caps = gst_caps_from_string (g_str_equal (kind, "video") ? RECEIVER_VIDEO_CAPS
                                                           : RECEIVER_AUDIO_CAPS);
  g_signal_emit_by_name (self->webrtcbin, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps,
                         &transceiver);
  if (transceiver != NULL && g_str_equal (kind, "audio"))
    g_object_set (transceiver, "do-nack", FALSE, NULL);
}

/* webrtcbin 1.22 asks for lost packets (its jitter buffers'
 * do-retransmission), answers the peer's NACKs (RTX, RFC 4588) and keeps
 * `a=rtcp-fb:… nack` and the rtx payload types in its answers only on
 * transceivers with do-nack, which is off by default, also on the ones a
 * remote offer creates. Without it the first lost packet of a video
 * stream costs a key frame. */
static void
on_new_transceiver (GstElement *webrtcbin, GstWebRTCRTPTransceiver *transceiver,
                    gpointer unused)
{
  GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;

  (void) webrtcbin;
  (void) unused;
  /* Audio ones are switched off again where they are made (RTX is for
   * video); those a remote offer creates know their kind already. */
  g_object_get (transceiver, "kind", &kind, NULL);
  g_object_set (transceiver, "do-nack", kind != GST_WEBRTC_KIND_AUDIO, NULL);
}

/* ---- life cycle -------------------------------------------------------- */

static void
remove_element (GstBin *bin, GstElement *element)
{
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (element) == GST_OBJECT (bin))
    gst_bin_remove (bin, element);
}

void
convoke_peer_close (ConvokePeer *self)
{
  g_return_if_fail (CONVOKE_IS_PEER (self));

  if (self->closed)
    return;
  self->closed = TRUE;
  convoke_timeout_clear (self->context, &self->gathering_timeout_id);
  convoke_timeout_clear (self->context, &self->caps_timeout_id);
  g_signal_handlers_disconnect_by_data (self->webrtcbin, self);

  /* Cut this peer's branches off the tees first, so that the other peers
   * keep receiving while the rest stops. */
  for (guint i = 0; i < self->branches->len; i++)
    {
      LocalBranch *branch = g_ptr_array_index (self->branches, i);
      g_autoptr (GstPad) queue_sink = gst_element_get_static_pad (branch->queue, "sink");

      gst_pad_unlink (branch->tee_pad, queue_sink);
      gst_element_release_request_pad (branch->tee, branch->tee_pad);
    }
  /* webrtcbin goes before the queues: until it is negotiated it holds
   * their streaming threads blocked on its sink pads, and only flushing
   * those pads lets the queues stop. */
  convoke_peer_close_data (self);
  remove_element (self->bin, self->webrtcbin);
  for (guint i = 0; i < self->branches->len; i++)
    remove_element (self->bin,
                    ((LocalBranch *) g_ptr_array_index (self->branches, i))->queue);
  for (guint i = 0; i < self->fallback_sinks->len; i++)
    remove_element (self->bin, g_ptr_array_index (self->fallback_sinks, i));
  GST_INFO ("peer %s: closed", self->remote_id);
}

const char *
convoke_peer_get_remote_id (ConvokePeer *self)
{
  g_return_val_if_fail (CONVOKE_IS_PEER (self), NULL);
  return self->remote_id;
}

gint64
convoke_peer_get_created_time (ConvokePeer *self)
{
  g_return_val_if_fail (CONVOKE_IS_PEER (self), 0);
  return self->created_time;
}

GstElement *
convoke_peer_get_webrtcbin (ConvokePeer *self)
{
  g_return_val_if_fail (CONVOKE_IS_PEER (self), NULL);
  return self->webrtcbin;
}

GstWebRTCPeerConnectionState
convoke_peer_get_connection_state (ConvokePeer *self)
{
  GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED;

  g_return_val_if_fail (CONVOKE_IS_PEER (self), state);
  if (!self->closed)
    g_object_get (self->webrtcbin, "connection-state", &state, NULL);
  return state;
}

ConvokePeer *
convoke_peer_new (GstBin *bin, const char *remote_id, const ConvokePeerConfig *config,
                  GError **error)
{
  g_autoptr (ConvokePeer) self = NULL;

  g_return_val_if_fail (GST_IS_BIN (bin), NULL);
  g_return_val_if_fail (remote_id != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (CONVOKE_TYPE_PEER, NULL);
  self->bin = gst_object_ref (bin);
  self->remote_id = g_strdup (remote_id);
  self->config = convoke_peer_config_copy (config);
  self->webrtcbin = gst_element_factory_make ("webrtcbin", NULL);
  if (self->webrtcbin == NULL)
    {
      g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                           _ ("the GStreamer element webrtcbin is not installed "
                              "(gst-plugins-bad)"));
      self->closed = TRUE;
      return NULL;
    }
  gst_object_ref_sink (self->webrtcbin);
  g_object_set (self->webrtcbin, "latency", self->config->latency_ms, NULL);
  if (!convoke_peer_setup_ice (self, error))
    {
      self->closed = TRUE;
      return NULL;
    }

  g_signal_connect (self->webrtcbin, "pad-added", G_CALLBACK (on_pad_added), self);
  g_signal_connect (self->webrtcbin, "on-new-transceiver",
                    G_CALLBACK (on_new_transceiver), NULL);

  gst_bin_add (bin, self->webrtcbin);
  gst_element_sync_state_with_parent (self->webrtcbin);
  /* webrtcbin takes data channels only once it has left NULL. */
  convoke_peer_setup_data (self, self->config->data_m_line);
  self->created_time = g_get_monotonic_time ();
  return g_steal_pointer (&self);
}

static void
convoke_peer_dispose (GObject *object)
{
  ConvokePeer *self = CONVOKE_PEER (object);

  if (self->webrtcbin != NULL)
    convoke_peer_close (self);
  G_OBJECT_CLASS (convoke_peer_parent_class)->dispose (object);
}

static void
convoke_peer_finalize (GObject *object)
{
  ConvokePeer *self = CONVOKE_PEER (object);

  g_ptr_array_unref (self->branches);
  g_ptr_array_unref (self->fallback_sinks);
  g_ptr_array_unref (self->local_channels);
  g_ptr_array_unref (self->remote_channels);
  g_mutex_clear (&self->data_lock);
  g_array_unref (self->gathered);
  g_clear_pointer (&self->remote_sdp, gst_sdp_message_free);
  g_clear_pointer (&self->config, convoke_peer_config_free);
  gst_clear_object (&self->webrtcbin);
  gst_clear_object (&self->bin);
  g_free (self->remote_id);
  g_free (self->pending_type);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (convoke_peer_parent_class)->finalize (object);
}

static void
convoke_peer_init (ConvokePeer *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->branches = g_ptr_array_new_with_free_func ((GDestroyNotify) local_branch_free);
  self->fallback_sinks = g_ptr_array_new_with_free_func (gst_object_unref);
  g_mutex_init (&self->data_lock);
  self->local_channels = g_ptr_array_new_with_free_func (g_object_unref);
  self->remote_channels = g_ptr_array_new_with_free_func (g_object_unref);
  self->gathered = g_array_new (FALSE, TRUE, sizeof (GatheredCandidate));
  g_array_set_clear_func (self->gathered, gathered_candidate_clear);
}

static void
convoke_peer_class_init (ConvokePeerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = convoke_peer_dispose;
  object_class->finalize = convoke_peer_finalize;

  signals[SIGNAL_LOCAL_DESCRIPTION]
      = g_signal_new ("local-description", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                      0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_LOCAL_CANDIDATE]
      = g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                      NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_REMOTE_PAD] = g_signal_new (
      "remote-pad", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 4, GST_TYPE_PAD, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_FAILED]
      = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_DATA_CHANNEL]
      = g_signal_new ("data-channel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_DATA_MESSAGE] = g_signal_new (
      "data-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES, G_TYPE_BOOLEAN);
  signals[SIGNAL_CONNECTED]
      = g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 0);

  GST_DEBUG_CATEGORY_INIT (convoke_peer_debug, "convokepeer", 0,
                           "Convoke peer connection");
}
