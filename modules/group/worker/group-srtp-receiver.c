/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-srtp-receiver.h"

GST_DEBUG_CATEGORY_STATIC (group_srtp_receiver_debug);
#define GST_CAT_DEFAULT group_srtp_receiver_debug

struct _GroupSrtpReceiver
{
  GstElement parent;

  /* Set at creation, then read-only. */
  GstPad *sink, *rtp_src, *rtcp_src, *dtls_src;

  /* Streaming thread only. */
  gboolean rtp_started, rtcp_started;

  /* Under @lock. */
  GMutex lock;
  srtp_t session; /* NULL until the key is set */
  GroupSrtpReceiverStats stats;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate rtp_src_template = GST_STATIC_PAD_TEMPLATE (
    "rtp_src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate rtcp_src_template = GST_STATIC_PAD_TEMPLATE (
    "rtcp_src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtcp"));
static GstStaticPadTemplate dtls_src_template = GST_STATIC_PAD_TEMPLATE (
    "dtls_src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GroupSrtpReceiver, group_srtp_receiver, GST_TYPE_ELEMENT);

/* What the router's sink pads expect before a first packet. */
static void
start_stream (GroupSrtpReceiver *self, GstPad *pad, const char *media_type)
{
  g_autofree char *stream_id = g_strdup_printf ("%s/%s/%08x", GST_OBJECT_NAME (self),
                                                GST_PAD_NAME (pad), g_random_int ());
  GstSegment segment;

  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  gst_pad_push_event (pad, gst_event_new_caps (gst_caps_new_empty_simple (media_type)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
}

static GstFlowReturn
receive_srtp (GroupSrtpReceiver *self, GstBuffer *buffer)
{
  GstMapInfo map;
  srtp_err_status_t status;
  gboolean rtcp;
  GstPad *pad;
  GstFlowReturn ret;
  int length;

  /* nicesrc's buffer is ours alone: decrypted in place, no copy. */
  buffer = gst_buffer_make_writable (buffer);
  if (!gst_buffer_map (buffer, &map, GST_MAP_READWRITE))
    {
      gst_buffer_unref (buffer);
      return GST_FLOW_OK;
    }
  /* RFC 5761, section 4: RTCP packet types 192 to 223 sit where RTP has
   * its marker bit and payload type, which rtcp-mux keeps out of that
   * range. */
  rtcp = map.size >= 2 && map.data[1] >= 192 && map.data[1] <= 223;
  length = (int) map.size;

  g_mutex_lock (&self->lock);
  if (self->session == NULL)
    {
      self->stats.before_key++;
      g_mutex_unlock (&self->lock);
      gst_buffer_unmap (buffer, &map);
      gst_buffer_unref (buffer);
      return GST_FLOW_OK;
    }
  status = rtcp ? srtp_unprotect_rtcp (self->session, map.data, &length)
                : srtp_unprotect (self->session, map.data, &length);
  if (status != srtp_err_status_ok)
    self->stats.refused++;
  else if (rtcp)
    self->stats.rtcp++;
  else
    self->stats.rtp++;
  g_mutex_unlock (&self->lock);
  gst_buffer_unmap (buffer, &map);

  if (status != srtp_err_status_ok)
    {
      GST_LOG_OBJECT (self, "libsrtp2 refused an %s packet: status %d", rtcp ? "SRTCP" : "SRTP",
                      status);
      gst_buffer_unref (buffer);
      return GST_FLOW_OK;
    }
  gst_buffer_set_size (buffer, length);

  pad = rtcp ? self->rtcp_src : self->rtp_src;
  if (rtcp ? !self->rtcp_started : !self->rtp_started)
    {
      start_stream (self, pad, rtcp ? "application/x-rtcp" : "application/x-rtp");
      if (rtcp)
        self->rtcp_started = TRUE;
      else
        self->rtp_started = TRUE;
    }
  ret = gst_pad_push (pad, buffer);
  /* Whatever the router makes of one packet, the next one still comes;
   * only a flush (shutting down) stops nicesrc. */
  return ret == GST_FLOW_FLUSHING ? ret : GST_FLOW_OK;
}

static GstFlowReturn
sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  GroupSrtpReceiver *self = GROUP_SRTP_RECEIVER (parent);
  guint8 first = 0;

  if (gst_buffer_extract (buffer, 0, &first, 1) != 1)
    first = 0;
  /* RFC 7983, section 7: the first byte tells DTLS from SRTP. */
  if (first >= 20 && first <= 63)
    {
      g_mutex_lock (&self->lock);
      self->stats.dtls++;
      g_mutex_unlock (&self->lock);
      return gst_pad_push (self->dtls_src, buffer);
    }
  if (first >= 128 && first <= 191)
    return receive_srtp (self, buffer);

  g_mutex_lock (&self->lock);
  self->stats.other++;
  g_mutex_unlock (&self->lock);
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

/* nicesrc's events describe the DTLS flow, where they go on; EOS and
 * flushes end or reset the RTP and RTCP streams too. */
static gboolean
sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GroupSrtpReceiver *self = GROUP_SRTP_RECEIVER (parent);

  switch (GST_EVENT_TYPE (event))
    {
    case GST_EVENT_EOS:
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      if (self->rtp_started)
        gst_pad_push_event (self->rtp_src, gst_event_ref (event));
      if (self->rtcp_started)
        gst_pad_push_event (self->rtcp_src, gst_event_ref (event));
      break;
    default:
      break;
    }
  return gst_pad_push_event (self->dtls_src, event);
}

static GstPad *
add_pad (GroupSrtpReceiver *self, GstStaticPadTemplate *templ)
{
  GstPad *pad = gst_pad_new_from_static_template (templ, templ->name_template);

  if (GST_PAD_IS_SRC (pad))
    gst_pad_use_fixed_caps (pad);
  gst_element_add_pad (GST_ELEMENT (self), pad);
  return pad;
}

static void
group_srtp_receiver_init (GroupSrtpReceiver *self)
{
  g_mutex_init (&self->lock);
  self->sink = add_pad (self, &sink_template);
  gst_pad_set_chain_function (self->sink, sink_chain);
  gst_pad_set_event_function (self->sink, sink_event);
  self->rtp_src = add_pad (self, &rtp_src_template);
  self->rtcp_src = add_pad (self, &rtcp_src_template);
  self->dtls_src = add_pad (self, &dtls_src_template);
}

static void
group_srtp_receiver_finalize (GObject *object)
{
  GroupSrtpReceiver *self = GROUP_SRTP_RECEIVER (object);

  if (self->session != NULL)
    srtp_dealloc (self->session);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (group_srtp_receiver_parent_class)->finalize (object);
}

static void
group_srtp_receiver_class_init (GroupSrtpReceiverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->finalize = group_srtp_receiver_finalize;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &rtp_src_template);
  gst_element_class_add_static_pad_template (element_class, &rtcp_src_template);
  gst_element_class_add_static_pad_template (element_class, &dtls_src_template);
  gst_element_class_set_static_metadata (
      element_class, "Convoke SRTP receiver", "Filter/Network/SRTP",
      "Decrypts SRTP and SRTCP in place and passes DTLS on", "Convoke");
  GST_DEBUG_CATEGORY_INIT (group_srtp_receiver_debug, "convoke-srtp-receiver", 0,
                           "Convoke group worker: SRTP from one participant");
}

GroupSrtpReceiver *
group_srtp_receiver_new (void)
{
  return g_object_new (GROUP_TYPE_SRTP_RECEIVER, NULL);
}

gboolean
group_srtp_receiver_set_key (GroupSrtpReceiver *self, GroupSrtpCipher cipher,
                             GroupSrtpAuth auth, GBytes *key, guint window, GError **error)
{
  srtp_t session;

  g_return_val_if_fail (GROUP_IS_SRTP_RECEIVER (self), FALSE);

  session = group_srtp_session_new (cipher, auth, key, GROUP_SRTP_INBOUND_ANY, 0, window,
                                    error);
  if (session == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  if (self->session != NULL)
    srtp_dealloc (self->session);
  self->session = session;
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (self, "decrypting with cipher %d, authentication %d", cipher, auth);
  return TRUE;
}

void
group_srtp_receiver_get_stats (GroupSrtpReceiver *self, GroupSrtpReceiverStats *stats)
{
  g_return_if_fail (GROUP_IS_SRTP_RECEIVER (self));

  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}
