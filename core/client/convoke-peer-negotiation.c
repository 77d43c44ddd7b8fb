/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-peer-private.h"

#include "i18n.h"
#include "twilio-error.h"

#define GST_CAT_DEFAULT convoke_peer_debug

/* A non-trickle description waits for ICE gathering; when libnice never
 * reports completion (e.g. an unreachable STUN server) it goes out with
 * the candidates found so far. */
#define GATHERING_TIMEOUT_SECONDS 5

/* How long an offer or answer waits for the local tracks' caps. */
#define CAPS_WAIT_MS 1000

const char *
convoke_peer_sdp_type_name (GstWebRTCSDPType type)
{
  return type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer";
}

static void start_offer (ConvokePeer *self);

/* ---- one exchange at a time -------------------------------------------- */

/* Our answer is set and sent: the remote offer's exchange is over, and an
 * offer asked for meanwhile can go. */
static void
answer_step_done (ConvokePeer *self)
{
  if (!self->answering || !self->answer_set || !self->answer_sent)
    return;
  self->answering = FALSE;
  if (self->offer_wanted && !self->closed)
    start_offer (self);
}

/* The answer to our offer is applied (or could not be). */
static void
offer_exchange_done (ConvokePeer *self)
{
  self->offering = FALSE;
  if (self->offer_wanted && !self->closed)
    start_offer (self);
}

/* Our offer or answer could not be made: that exchange is over (the
 * failure was reported), and it must not hold up the next one. */
static void
local_step_failed (ConvokePeer *self, GstWebRTCSDPType type)
{
  if (type == GST_WEBRTC_SDP_TYPE_OFFER)
    offer_exchange_done (self);
  else
    {
      self->answer_set = self->answer_sent = TRUE;
      answer_step_done (self);
    }
}

gboolean
convoke_peer_offer_outstanding (ConvokePeer *self)
{
  g_return_val_if_fail (CONVOKE_IS_PEER (self), FALSE);
  return self->offering;
}

/* ---- local descriptions ------------------------------------------------ */

static gboolean
media_has_attribute (const GstSDPMedia *media, const char *key, const char *value)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);

      if (g_strcmp0 (attr->key, key) == 0
          && (value == NULL || g_strcmp0 (attr->value, value) == 0))
        return TRUE;
    }
  return FALSE;
}

/* The current local description with every gathered candidate inside,
 * as a non-trickle peer must send it. */
static char *
local_description_with_candidates (ConvokePeer *self)
{
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  GstSDPMessage *sdp;

  g_object_get (self->webrtcbin, "local-description", &desc, NULL);
  if (desc == NULL || desc->sdp == NULL)
    return NULL;
  sdp = desc->sdp;

  for (guint i = 0; i < self->gathered->len; i++)
    {
      GatheredCandidate *gathered = &g_array_index (self->gathered, GatheredCandidate, i);
      const char *value = gathered->candidate;
      GstSDPMedia *media;

      if (gathered->mline_index >= gst_sdp_message_medias_len (sdp))
        continue;
      media = &g_array_index (sdp->medias, GstSDPMedia, gathered->mline_index);
      if (g_str_has_prefix (value, "candidate:"))
        value += strlen ("candidate:");
      if (!media_has_attribute (media, "candidate", value))
        gst_sdp_media_add_attribute (media, "candidate", value);
    }
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      GstSDPMedia *media = &g_array_index (sdp->medias, GstSDPMedia, i);

      if (media_has_attribute (media, "candidate", NULL)
          && !media_has_attribute (media, "end-of-candidates", NULL))
        gst_sdp_media_add_attribute (media, "end-of-candidates", NULL);
    }
  return gst_sdp_message_as_text (sdp);
}

static void
send_pending_description (ConvokePeer *self)
{
  g_autofree char *type = g_steal_pointer (&self->pending_type);
  g_autofree char *text = NULL;

  convoke_timeout_clear (self->context, &self->gathering_timeout_id);
  text = local_description_with_candidates (self);
  if (text == NULL)
    {
      convoke_peer_emit_failed (self, CONVOKE_ERROR_SDP_CLIENT_LOCAL,
                                _ ("webrtcbin has no local description to send"));
      return;
    }
  convoke_peer_emit_local_description (self, type, text);
  if (g_str_equal (type, "answer"))
    {
      self->answer_sent = TRUE;
      answer_step_done (self);
    }
}

void
convoke_peer_maybe_send_pending_description (ConvokePeer *self)
{
  if (self->closed || self->pending_type == NULL || !self->pending_local_set)
    return;
  /* The state the main context was told of, not webrtcbin's current one:
   * only then has every candidate of the description been collected. */
  if (self->gathering_state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    send_pending_description (self);
}

static gboolean
on_gathering_timeout (gpointer user_data)
{
  ConvokePeer *self = user_data;

  self->gathering_timeout_id = 0;
  if (self->pending_type != NULL && self->pending_local_set)
    {
      GST_WARNING ("peer %s: ICE gathering did not complete in %d s; sending the "
                   "candidates found so far",
                   self->remote_id, GATHERING_TIMEOUT_SECONDS);
      send_pending_description (self);
    }
  return G_SOURCE_REMOVE;
}

static void
on_local_description_set (ConvokePeer *self, PeerCall *call)
{
  g_autofree char *message = convoke_peer_call_error_message (call);

  if (self->closed)
    return;
  if (message != NULL)
    {
      g_autofree char *text
          = g_strdup_printf (_ ("could not apply the local %s: %s"),
                             convoke_peer_sdp_type_name (call->sdp_type), message);
      convoke_peer_emit_failed (self, CONVOKE_ERROR_SDP_CLIENT_LOCAL, text);
      local_step_failed (self, call->sdp_type);
      return;
    }
  if (call->sdp_type == GST_WEBRTC_SDP_TYPE_ANSWER)
    self->answer_set = TRUE;
  if (self->pending_type != NULL)
    {
      self->pending_local_set = TRUE;
      convoke_peer_maybe_send_pending_description (self);
    }
  if (call->sdp_type == GST_WEBRTC_SDP_TYPE_ANSWER)
    answer_step_done (self);
}

static void
set_local_description (ConvokePeer *self, GstWebRTCSessionDescription *desc)
{
  g_autoptr (GstPromise) promise
      = convoke_peer_promise_new (self, on_local_description_set, desc->type);

  if (!self->config->trickle)
    {
      g_free (self->pending_type);
      self->pending_type = g_strdup (convoke_peer_sdp_type_name (desc->type));
      self->pending_local_set = FALSE;
      convoke_timeout_clear (self->context, &self->gathering_timeout_id);
      self->gathering_timeout_id = convoke_timeout_add (
          self->context, GATHERING_TIMEOUT_SECONDS * 1000, on_gathering_timeout, self);
    }
  g_signal_emit_by_name (self->webrtcbin, "set-local-description", desc, promise);

  /* A trickle description goes out before any candidate of it can: the
   * candidates are gathered only once webrtcbin has processed it. */
  if (self->config->trickle)
    {
      g_autofree char *text = gst_sdp_message_as_text (desc->sdp);

      convoke_peer_emit_local_description (self, convoke_peer_sdp_type_name (desc->type),
                                           text);
      if (desc->type == GST_WEBRTC_SDP_TYPE_ANSWER)
        self->answer_sent = TRUE;
    }
}

static void
on_description_created (ConvokePeer *self, PeerCall *call)
{
  g_autofree char *message = convoke_peer_call_error_message (call);
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  const char *field = convoke_peer_sdp_type_name (call->sdp_type);

  if (self->closed)
    return;
  if (message == NULL
      && (call->reply == NULL
          || !gst_structure_get (call->reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                                 &desc, NULL)
          || desc == NULL))
    message = g_strdup (_ ("webrtcbin replied without a description"));
  if (message != NULL)
    {
      g_autofree char *text
          = g_strdup_printf (_ ("could not create an %s: %s"), field, message);
      convoke_peer_emit_failed (self, CONVOKE_ERROR_SDP_CLIENT_LOCAL, text);
      local_step_failed (self, call->sdp_type);
      return;
    }
  set_local_description (self, desc);
}

/* webrtcbin writes a=ssrc (which the far end needs to tell bundled
 * streams apart) only for sink pads that have caps, and a freshly linked
 * tee branch gets them with its next buffer: so offers and answers wait
 * for the caps, or for CAPS_WAIT_MS at most. */
static gboolean
local_caps_known (ConvokePeer *self)
{
  for (guint i = 0; i < self->branches->len; i++)
    {
      LocalBranch *branch = g_ptr_array_index (self->branches, i);

      if (!gst_pad_has_current_caps (branch->sink_pad))
        return FALSE;
    }
  return TRUE;
}

static void
create_description (ConvokePeer *self, GstWebRTCSDPType type)
{
  g_autoptr (GstPromise) promise
      = convoke_peer_promise_new (self, on_description_created, type);

  convoke_timeout_clear (self->context, &self->caps_timeout_id);
  self->pending_create = 0;
  g_signal_emit_by_name (self->webrtcbin,
                         type == GST_WEBRTC_SDP_TYPE_OFFER ? "create-offer"
                                                           : "create-answer",
                         NULL, promise);
}

static gboolean
on_caps_timeout (gpointer user_data)
{
  ConvokePeer *self = user_data;

  self->caps_timeout_id = 0;
  GST_WARNING ("peer %s: local tracks have no caps after %d ms; the %s will lack a=ssrc",
               self->remote_id, CAPS_WAIT_MS,
               convoke_peer_sdp_type_name (self->pending_create));
  create_description (self, self->pending_create);
  return G_SOURCE_REMOVE;
}

static void
create_description_when_caps_known (ConvokePeer *self, GstWebRTCSDPType type)
{
  if (local_caps_known (self))
    {
      create_description (self, type);
      return;
    }
  self->pending_create = type;
  convoke_timeout_clear (self->context, &self->caps_timeout_id);
  self->caps_timeout_id
      = convoke_timeout_add (self->context, CAPS_WAIT_MS, on_caps_timeout, self);
}

static void
on_local_caps_main (ConvokePeer *self, PeerCall *call)
{
  if (!self->closed && self->pending_create != 0 && local_caps_known (self))
    create_description (self, self->pending_create);
}

GstPadProbeReturn
convoke_peer_on_local_caps (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS)
    convoke_peer_invoke (user_data, on_local_caps_main, g_new0 (PeerCall, 1));
  return GST_PAD_PROBE_OK;
}

static void
start_offer (ConvokePeer *self)
{
  self->offer_wanted = FALSE;
  self->offering = TRUE;
  create_description_when_caps_known (self, GST_WEBRTC_SDP_TYPE_OFFER);
}

void
convoke_peer_create_offer (ConvokePeer *self)
{
  g_return_if_fail (CONVOKE_IS_PEER (self));
  if (self->closed)
    return;
  if (self->offering || self->answering)
    {
      GST_DEBUG ("peer %s: offering once the exchange in progress is done",
                 self->remote_id);
      self->offer_wanted = TRUE;
      return;
    }
  start_offer (self);
}

/* ---- remote descriptions ----------------------------------------------- */

static gboolean
transceiver_is_local (ConvokePeer *self, GstWebRTCRTPTransceiver *transceiver)
{
  for (guint i = 0; i < self->branches->len; i++)
    {
      LocalBranch *branch = g_ptr_array_index (self->branches, i);

      if (branch->transceiver == transceiver)
        return TRUE;
    }
  return FALSE;
}

/* m-lines that webrtcbin created from the offer take the offer's own
 * direction, which would make the answer send nothing or refuse them: a
 * transceiver without a local track only receives. */
static void
make_remote_transceivers_receive_only (ConvokePeer *self)
{
  g_autoptr (GArray) transceivers = NULL;

  g_signal_emit_by_name (self->webrtcbin, "get-transceivers", &transceivers);
  if (transceivers == NULL)
    return;
  for (guint i = 0; i < transceivers->len; i++)
    {
      GstWebRTCRTPTransceiver *transceiver
          = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);

      if (!transceiver_is_local (self, transceiver))
        g_object_set (transceiver, "direction",
                      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, NULL);
    }
}

static void
on_remote_description_set (ConvokePeer *self, PeerCall *call)
{
  g_autofree char *message = convoke_peer_call_error_message (call);

  if (self->closed)
    return;
  if (message != NULL)
    {
      g_autofree char *text
          = g_strdup_printf (_ ("could not apply the remote %s: %s"),
                             convoke_peer_sdp_type_name (call->sdp_type), message);
      convoke_peer_emit_failed (self, CONVOKE_ERROR_SDP_CLIENT_REMOTE, text);
      if (call->sdp_type == GST_WEBRTC_SDP_TYPE_OFFER)
        local_step_failed (self, GST_WEBRTC_SDP_TYPE_ANSWER);
      else
        offer_exchange_done (self);
      return;
    }
  if (call->sdp_type != GST_WEBRTC_SDP_TYPE_OFFER)
    {
      offer_exchange_done (self);
      return;
    }

  make_remote_transceivers_receive_only (self);
  create_description_when_caps_known (self, GST_WEBRTC_SDP_TYPE_ANSWER);
}

gboolean
convoke_peer_set_remote_description (ConvokePeer *self, GstWebRTCSDPType type,
                                     const char *text, GError **error)
{
  g_autoptr (GstSDPMessage) sdp = NULL;
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  g_autoptr (GstPromise) promise = NULL;

  g_return_val_if_fail (CONVOKE_IS_PEER (self), FALSE);
  g_return_val_if_fail (
      type == GST_WEBRTC_SDP_TYPE_OFFER || type == GST_WEBRTC_SDP_TYPE_ANSWER, FALSE);

  /* GstSDPMessage's parser accepts nearly anything, so check that the
   * text at least looks like a session description with media in it. */
  if (text == NULL || !g_str_has_prefix (text, "v=0")
      || gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK
      || gst_sdp_message_medias_len (sdp) == 0)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_SDP_CLIENT_REMOTE,
                   _ ("the %s from %s is not a session description with media"),
                   convoke_peer_sdp_type_name (type), self->remote_id);
      return FALSE;
    }
  if (self->closed)
    return TRUE;
  if (type == GST_WEBRTC_SDP_TYPE_OFFER)
    {
      if (self->offering)
        {
          GST_INFO ("peer %s: ignoring an offer that crossed ours; the answer to ours "
                    "comes first, and a new offer after it",
                    self->remote_id);
          return TRUE;
        }
      self->answering = TRUE;
      self->answer_set = FALSE;
      self->answer_sent = FALSE;
    }

  g_clear_pointer (&self->remote_sdp, gst_sdp_message_free);
  gst_sdp_message_copy (sdp, &self->remote_sdp);
  desc = gst_webrtc_session_description_new (type, g_steal_pointer (&sdp));
  promise = convoke_peer_promise_new (self, on_remote_description_set, type);
  g_signal_emit_by_name (self->webrtcbin, "set-remote-description", desc, promise);
  return TRUE;
}

const GstSDPMedia *
convoke_peer_find_remote_media (ConvokePeer *self, const char *mid)
{
  g_return_val_if_fail (CONVOKE_IS_PEER (self), NULL);

  if (self->remote_sdp == NULL || mid == NULL)
    return NULL;
  for (guint i = 0; i < gst_sdp_message_medias_len (self->remote_sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (self->remote_sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_attribute_val (media, "mid"), mid) == 0)
        return media;
    }
  return NULL;
}

void
convoke_peer_add_remote_candidate (ConvokePeer *self, guint mline_index,
                                   const char *candidate)
{
  g_return_if_fail (CONVOKE_IS_PEER (self));

  /* An empty candidate only says that no more will come; webrtcbin 1.22
   * has no use for it. */
  if (self->closed || candidate == NULL || candidate[0] == '\0')
    return;
  g_signal_emit_by_name (self->webrtcbin, "add-ice-candidate", mline_index, candidate);
}
