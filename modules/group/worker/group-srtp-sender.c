/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-srtp-sender.h"

#include "group-srtp-session.h"

#include <srtp2/srtp.h>

GST_DEBUG_CATEGORY_STATIC (group_srtp_sender_debug);
#define GST_CAT_DEFAULT group_srtp_sender_debug

/* The largest packet sent. The router forwards what publishers sent over
 * UDP, which a path MTU keeps well below this. */
#define MAX_PACKET 2048

/* The most SSRCs with a session of their own. A subscriber gets two or
 * three per track it receives, but a reused m-line gets new ones, so a
 * long room with many comings and goings can pass this; the SSRCs after
 * it share one session for them all (libsrtp2's list walk, as srtpenc
 * does), so none is ever refused. */
#define MAX_OWN_SESSIONS 1024

struct _GroupSrtpSender
{
  GstElement parent;

  /* Set at creation, then read-only. */
  NiceAgent *agent;
  guint stream_id;
  guint component_id;
  GstPad *rtp_sink, *rtcp_sink;

  /* Under @lock. The key and profile are unset until the key is; then
   * @sessions holds one srtp_t per SSRC sent (group-srtp-session.h says
   * why not one for all), made at its first packet. */
  GMutex lock;
  GBytes *key;
  GroupSrtpCipher cipher;
  GroupSrtpAuth auth;
  guint repeat_window;
  GHashTable *sessions; /* SSRC (GUINT_TO_POINTER) → srtp_t */
  srtp_t shared;        /* for the SSRCs past MAX_OWN_SESSIONS, or NULL */
  GroupSrtpSenderStats stats;
};

static GstStaticPadTemplate rtp_sink_template = GST_STATIC_PAD_TEMPLATE (
    "rtp_sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate rtcp_sink_template = GST_STATIC_PAD_TEMPLATE (
    "rtcp_sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtcp"));

G_DEFINE_TYPE (GroupSrtpSender, group_srtp_sender, GST_TYPE_ELEMENT);

/* The session for the SSRC of @packet (RTP: bytes 8-11; RTCP: the
 * sender's, bytes 4-7, which libsrtp2 keys SRTCP by too), made if it is
 * the SSRC's first packet. NULL for a packet too short to have one.
 * Under @lock, with the key set. */
static srtp_t
session_for_packet (GroupSrtpSender *self, const guint8 *packet, int length, gboolean rtcp)
{
  guint offset = rtcp ? 4 : 8;
  guint32 ssrc;
  srtp_t session;
  g_autoptr (GError) error = NULL;

  if (length < (int) offset + 4)
    return NULL;
  ssrc = GST_READ_UINT32_BE (packet + offset);
  session = g_hash_table_lookup (self->sessions, GUINT_TO_POINTER (ssrc));
  if (session != NULL)
    return session;
  if (g_hash_table_size (self->sessions) >= MAX_OWN_SESSIONS)
    {
      if (self->shared == NULL)
        self->shared
            = group_srtp_session_new (self->cipher, self->auth, self->key,
                                      GROUP_SRTP_OUTBOUND_ANY, 0, self->repeat_window, &error);
      session = self->shared;
    }
  else
    {
      session = group_srtp_session_new (self->cipher, self->auth, self->key,
                                        GROUP_SRTP_OUTBOUND_ONE, ssrc, self->repeat_window,
                                        &error);
      if (session != NULL)
        g_hash_table_insert (self->sessions, GUINT_TO_POINTER (ssrc), session);
    }
  if (session == NULL)
    GST_WARNING_OBJECT (self, "no SRTP session for SSRC %u: %s", ssrc, error->message);
  return session;
}

static void
send_packet (GroupSrtpSender *self, GstBuffer *buffer, gboolean rtcp)
{
  guint8 packet[MAX_PACKET + SRTP_MAX_TRAILER_LEN];
  gsize size = gst_buffer_get_size (buffer);
  srtp_err_status_t status;
  srtp_t session;
  int length;

  if (size > MAX_PACKET)
    {
      GST_LOG_OBJECT (self, "dropping a packet of %" G_GSIZE_FORMAT " bytes", size);
      g_mutex_lock (&self->lock);
      self->stats.unsent++;
      g_mutex_unlock (&self->lock);
      return;
    }
  /* The router shares payload memory between subscribers and gives each
   * its own header: this one copy makes the packet contiguous and
   * writable for libsrtp2, which protects in place. */
  length = (int) gst_buffer_extract (buffer, 0, packet, size);

  g_mutex_lock (&self->lock);
  if (self->key == NULL)
    {
      self->stats.before_key++;
      g_mutex_unlock (&self->lock);
      return;
    }
  session = session_for_packet (self, packet, length, rtcp);
  if (session == NULL)
    status = srtp_err_status_no_ctx;
  else if (rtcp)
    status = srtp_protect_rtcp (session, packet, &length);
  else
    status = srtp_protect (session, packet, &length);
  if (status != srtp_err_status_ok)
    {
      self->stats.refused++;
      g_mutex_unlock (&self->lock);
      GST_LOG_OBJECT (self, "libsrtp2 refused an %s packet: status %d", rtcp ? "RTCP" : "RTP",
                      status);
      return;
    }
  /* Still under the lock, so the counters match what left. libnice takes
   * the agent's own lock inside; it never calls back into the sender. */
  if (nice_agent_send (self->agent, self->stream_id, self->component_id, length,
                       (const char *) packet)
      == length)
    self->stats.sent++;
  else
    self->stats.unsent++;
  g_mutex_unlock (&self->lock);
}

static GstFlowReturn
rtp_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  send_packet (GROUP_SRTP_SENDER (parent), buffer, FALSE);
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

static GstFlowReturn
rtcp_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  send_packet (GROUP_SRTP_SENDER (parent), buffer, TRUE);
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

/* Caps, segments and EOS describe the router's outputs; nothing here
 * depends on them. */
static gboolean
sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

static GstPad *
add_sink_pad (GroupSrtpSender *self, GstStaticPadTemplate *templ, GstPadChainFunction chain)
{
  GstPad *pad = gst_pad_new_from_static_template (templ, templ->name_template);

  gst_pad_set_chain_function (pad, chain);
  gst_pad_set_event_function (pad, sink_event);
  gst_element_add_pad (GST_ELEMENT (self), pad);
  return pad;
}

static void
session_free (gpointer session)
{
  srtp_dealloc (session);
}

static void
group_srtp_sender_init (GroupSrtpSender *self)
{
  g_mutex_init (&self->lock);
  self->sessions = g_hash_table_new_full (NULL, NULL, NULL, session_free);
  self->rtp_sink = add_sink_pad (self, &rtp_sink_template, rtp_chain);
  self->rtcp_sink = add_sink_pad (self, &rtcp_sink_template, rtcp_chain);
}

static void
group_srtp_sender_finalize (GObject *object)
{
  GroupSrtpSender *self = GROUP_SRTP_SENDER (object);

  g_hash_table_unref (self->sessions);
  g_clear_pointer (&self->shared, session_free);
  g_clear_pointer (&self->key, g_bytes_unref);
  g_clear_object (&self->agent);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (group_srtp_sender_parent_class)->finalize (object);
}

static void
group_srtp_sender_class_init (GroupSrtpSenderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->finalize = group_srtp_sender_finalize;
  gst_element_class_add_static_pad_template (element_class, &rtp_sink_template);
  gst_element_class_add_static_pad_template (element_class, &rtcp_sink_template);
  gst_element_class_set_static_metadata (
      element_class, "Convoke SRTP sender", "Sink/Network",
      "Protects RTP and RTCP with SRTP and sends them through a libnice component",
      "Convoke");
  GST_DEBUG_CATEGORY_INIT (group_srtp_sender_debug, "convoke-srtp-sender", 0,
                           "Convoke group worker: SRTP to one participant");
}

GroupSrtpSender *
group_srtp_sender_new (NiceAgent *agent, guint stream_id, guint component_id)
{
  GroupSrtpSender *self = g_object_new (GROUP_TYPE_SRTP_SENDER, NULL);

  self->agent = g_object_ref (agent);
  self->stream_id = stream_id;
  self->component_id = component_id;
  return self;
}

gboolean
group_srtp_sender_set_key (GroupSrtpSender *self, GroupSrtpCipher cipher, GroupSrtpAuth auth,
                           GBytes *key, guint repeat_window, GError **error)
{
  srtp_t check;

  g_return_val_if_fail (GROUP_IS_SRTP_SENDER (self), FALSE);

  /* The sessions come at each SSRC's first packet; making one now says
   * whether the profile and key are usable, while there is a caller to
   * tell. A repeat of an index already sent is allowed: see the header. */
  check = group_srtp_session_new (cipher, auth, key, GROUP_SRTP_OUTBOUND_ONE, 0, repeat_window,
                                  error);
  if (check == NULL)
    return FALSE;
  srtp_dealloc (check);

  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->sessions);
  g_clear_pointer (&self->shared, session_free);
  g_clear_pointer (&self->key, g_bytes_unref);
  self->key = g_bytes_ref (key);
  self->cipher = cipher;
  self->auth = auth;
  self->repeat_window = repeat_window;
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (self, "protecting with cipher %d, authentication %d", cipher, auth);
  return TRUE;
}

void
group_srtp_sender_get_stats (GroupSrtpSender *self, GroupSrtpSenderStats *stats)
{
  g_return_if_fail (GROUP_IS_SRTP_SENDER (self));

  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}
