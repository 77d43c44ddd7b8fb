/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "media-router-fixture.h"

#include <string.h>

static GstFlowReturn
collect_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  Collected *collected = gst_pad_get_element_private (pad);

  g_mutex_lock (&collected->lock);
  g_queue_push_tail (&collected->buffers, buffer);
  g_mutex_unlock (&collected->lock);
  return GST_FLOW_OK;
}

static gboolean
collect_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

GstBuffer *
collected_pop (Collected *collected)
{
  GstBuffer *buffer;

  g_mutex_lock (&collected->lock);
  buffer = g_queue_pop_head (&collected->buffers);
  g_mutex_unlock (&collected->lock);
  return buffer;
}

guint
collected_count (Collected *collected)
{
  guint n;

  g_mutex_lock (&collected->lock);
  n = g_queue_get_length (&collected->buffers);
  g_mutex_unlock (&collected->lock);
  return n;
}

void
collected_clear (Collected *collected)
{
  g_mutex_lock (&collected->lock);
  g_queue_clear_full (&collected->buffers, (GDestroyNotify) gst_buffer_unref);
  g_mutex_unlock (&collected->lock);
}

static GstPad *
link_input (GstElement *router, const char *prefix, const char *id, const char *caps)
{
  g_autofree char *name = g_strconcat (prefix, id, NULL);
  g_autoptr (GstPad) sink = gst_element_request_pad_simple (router, name);
  GstPad *src = gst_pad_new (NULL, GST_PAD_SRC);
  GstSegment segment;

  g_assert_nonnull (sink);
  g_assert_cmpint (gst_pad_link (src, sink), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (src, TRUE);
  gst_pad_push_event (src, gst_event_new_stream_start (name));
  gst_pad_push_event (src, gst_event_new_caps (gst_caps_from_string (caps)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&segment));
  return src;
}

static GstPad *
link_output (GstElement *router, const char *prefix, const char *id, Collected *collected)
{
  g_autofree char *name = g_strconcat (prefix, id, NULL);
  g_autoptr (GstPad) src = gst_element_request_pad_simple (router, name);
  GstPad *sink = gst_pad_new (NULL, GST_PAD_SINK);

  g_assert_nonnull (src);
  gst_pad_set_element_private (sink, collected);
  gst_pad_set_chain_function (sink, collect_chain);
  gst_pad_set_event_function (sink, collect_event);
  g_assert_cmpint (gst_pad_link (src, sink), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (sink, TRUE);
  return sink;
}

void
fixture_set_up (Fixture *f, gconstpointer data)
{
  static const char *const ids[] = { "A", "B", "C" };

  f->router = gst_element_factory_make ("convokerouter", NULL);
  g_assert_nonnull (f->router);
  gst_object_ref_sink (f->router);
  g_object_set (f->router, "report-interval", 100, NULL);
  g_assert_cmpint (gst_element_set_state (f->router, GST_STATE_PLAYING), ==,
                   GST_STATE_CHANGE_SUCCESS);
  for (guint i = 0; i < G_N_ELEMENTS (f->peers); i++)
    {
      Peer *peer = &f->peers[i];

      peer->id = g_strdup (ids[i]);
      g_mutex_init (&peer->rtp.lock);
      g_mutex_init (&peer->rtcp.lock);
      peer->rtp_in
          = link_input (f->router, "recv_rtp_sink_", peer->id, "application/x-rtp");
      peer->rtcp_in
          = link_input (f->router, "recv_rtcp_sink_", peer->id, "application/x-rtcp");
      peer->rtp_out = link_output (f->router, "send_rtp_src_", peer->id, &peer->rtp);
      peer->rtcp_out = link_output (f->router, "send_rtcp_src_", peer->id, &peer->rtcp);
    }
}

void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gst_element_set_state (f->router, GST_STATE_NULL);
  for (guint i = 0; i < G_N_ELEMENTS (f->peers); i++)
    {
      Peer *peer = &f->peers[i];
      GstPad *ours[] = { peer->rtp_in, peer->rtcp_in, peer->rtp_out, peer->rtcp_out };

      for (guint p = 0; p < G_N_ELEMENTS (ours); p++)
        {
          g_autoptr (GstPad) theirs = gst_pad_get_peer (ours[p]);

          gst_pad_set_active (ours[p], FALSE);
          gst_element_release_request_pad (f->router, theirs);
          gst_object_unref (ours[p]);
        }
      collected_clear (&peer->rtp);
      collected_clear (&peer->rtcp);
      g_mutex_clear (&peer->rtp.lock);
      g_mutex_clear (&peer->rtcp.lock);
      g_free (peer->id);
    }
  gst_object_unref (f->router);
}

void
set_payloads (Fixture *f, const char *id)
{
  g_autoptr (GstCaps) caps
      = gst_caps_from_string ("application/x-rtp, payload=(int)100, media=(string)video, "
                              "encoding-name=(string)VP8, "
                              "clock-rate=(int)90000; "
                              "application/x-rtp, payload=(int)101, media=(string)audio, "
                              "encoding-name=(string)OPUS, "
                              "clock-rate=(int)48000");
  gboolean ok = FALSE;

  g_signal_emit_by_name (f->router, "set-payloads", id, caps, &ok);
  g_assert_true (ok);
}

void
set_slot (Fixture *f, const char *subscriber, guint ssrc, const char *media, gint pt,
          const char *publisher)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (f->router, "set-slot", subscriber, ssrc, media, pt, publisher,
                         &ok);
  g_assert_true (ok);
}

void
set_sending (Fixture *f, const char *id)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (f->router, "set-sending", id, TRUE, &ok);
  g_assert_true (ok);
}

/* A VP8 packet: a key frame's first packet, or a delta frame's. */
GstBuffer *
vp8_packet (guint32 ssrc, guint16 seq, guint32 rtp_time, gboolean keyframe,
            gboolean with_extension)
{
  return vp8_packet_sized (ssrc, seq, rtp_time, keyframe, with_extension, 20);
}

GstBuffer *
vp8_packet_sized (guint32 ssrc, guint16 seq, guint32 rtp_time, gboolean keyframe,
                  gboolean with_extension, guint payload_len)
{
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (MAX (payload_len, 20), 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, PT_VP8_IN);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, rtp_time);
  gst_rtp_buffer_set_marker (&rtp, TRUE);
  payload = gst_rtp_buffer_get_payload (&rtp);
  for (guint i = 0; i < 20; i++)
    payload[i] = (guint8) (0x40 + i);
  payload[0] = 0x10;             /* S=1, PID=0 */
  payload[1] = keyframe ? 0 : 1; /* P bit of the VP8 header */
  gst_rtp_buffer_unmap (&rtp);

  if (with_extension)
    {
      guint8 level = 0x7f;

      gst_rtp_buffer_map (buffer, GST_MAP_READWRITE, &rtp);
      g_assert_true (gst_rtp_buffer_add_extension_onebyte_header (&rtp, 1, &level, 1));
      gst_rtp_buffer_unmap (&rtp);
    }
  return buffer;
}

GstBuffer *
opus_packet (guint32 ssrc, guint16 seq, guint32 rtp_time)
{
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (10, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, PT_OPUS_IN);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, rtp_time);
  memset (gst_rtp_buffer_get_payload (&rtp), 0x55, 10);
  gst_rtp_buffer_unmap (&rtp);
  return buffer;
}

void
push (GstPad *pad, GstBuffer *buffer)
{
  g_assert_cmpint (gst_pad_push (pad, buffer), ==, GST_FLOW_OK);
}

Parsed
parse_rtp (GstBuffer *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  Parsed parsed = { 0 };

  g_assert_nonnull (buffer);
  g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp));
  parsed.ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  parsed.seq = gst_rtp_buffer_get_seq (&rtp);
  parsed.rtp_time = gst_rtp_buffer_get_timestamp (&rtp);
  parsed.pt = gst_rtp_buffer_get_payload_type (&rtp);
  parsed.extension = gst_rtp_buffer_get_extension (&rtp);
  parsed.payload_len
      = MIN (gst_rtp_buffer_get_payload_len (&rtp), sizeof (parsed.payload));
  memcpy (parsed.payload, gst_rtp_buffer_get_payload (&rtp), parsed.payload_len);
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_unref (buffer);
  return parsed;
}

/* The first RTCP packet of @type (and feedback @fb_type, or -1) in @buffer. */
gboolean
find_rtcp (GstBuffer *buffer, GstRTCPType type, gint fb_type, GstRTCPPacket *packet,
           GstRTCPBuffer *rtcp)
{
  gboolean more;

  g_assert_true (gst_rtcp_buffer_validate (buffer));
  gst_rtcp_buffer_map (buffer, GST_MAP_READ, rtcp);
  for (more = gst_rtcp_buffer_get_first_packet (rtcp, packet); more;
       more = gst_rtcp_packet_move_to_next (packet))
    if (gst_rtcp_packet_get_type (packet) == type
        && (fb_type < 0 || (gint) gst_rtcp_packet_fb_get_type (packet) == fb_type))
      return TRUE;
  gst_rtcp_buffer_unmap (rtcp);
  return FALSE;
}

/* How many PLIs for @media_ssrc wait in @collected (all are consumed). */
guint
count_plis (Collected *collected, guint32 media_ssrc)
{
  GstBuffer *buffer;
  guint count = 0;

  while ((buffer = collected_pop (collected)) != NULL)
    {
      GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
      GstRTCPPacket packet;

      if (find_rtcp (buffer, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI, &packet, &rtcp))
        {
          count += gst_rtcp_packet_fb_get_media_ssrc (&packet) == media_ssrc;
          gst_rtcp_buffer_unmap (&rtcp);
        }
      gst_buffer_unref (buffer);
    }
  return count;
}

GstBuffer *
feedback_packet (GstRTCPType type, guint fb_type, guint32 media_ssrc, const guint8 *fci,
                 guint fci_words)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1000);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet));
  gst_rtcp_packet_rr_set_ssrc (&packet, 0x12345678);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, type, &packet));
  gst_rtcp_packet_fb_set_type (&packet, fb_type);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0x12345678);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, media_ssrc);
  if (fci_words > 0)
    {
      g_assert_true (gst_rtcp_packet_fb_set_fci_length (&packet, fci_words));
      memcpy (gst_rtcp_packet_fb_get_fci (&packet), fci, fci_words * 4);
    }
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

guint64
router_stat (Fixture *f, const char *id, const char *counter)
{
  g_autoptr (GstStructure) stats = NULL;
  const GstStructure *participant = NULL;
  guint64 value = 0;

  g_object_get (f->router, "stats", &stats, NULL);
  g_assert_true (gst_structure_get (stats, id, GST_TYPE_STRUCTURE, &participant, NULL));
  g_assert_true (gst_structure_get_uint64 (participant, counter, &value));
  gst_structure_free ((GstStructure *) participant);
  return value;
}

/* A publishes; B has a video and an audio slot carrying A. */
void
publish_a_to_b (Fixture *f)
{
  set_payloads (f, "A");
  set_slot (f, "B", SLOT_B_VIDEO, "video", PT_VP8_OUT, "A");
  set_slot (f, "B", SLOT_B_AUDIO, "audio", PT_OPUS_OUT, "A");
  set_sending (f, "A");
  set_sending (f, "B");
}
