/* convokerouter's uplink estimate seen from outside: hand-made packets
 * from a publisher, with arrival times of our choosing (the
 * CONVOKE_ROUTER_ARRIVAL_CAPS meta), and the REMB the router sends it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "convokerouter-pads.h"
#include "media-router-fixture.h"

#define MS 1000
#define VIDEO_PAYLOAD 1000

/* @buffer, stamped as arrived at @arrival_us. */
static GstBuffer *
arrived (GstBuffer *buffer, gint64 arrival_us)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (CONVOKE_ROUTER_ARRIVAL_CAPS);

  gst_buffer_add_reference_timestamp_meta (buffer, caps, arrival_us * GST_USECOND,
                                           GST_CLOCK_TIME_NONE);
  return buffer;
}

/* A VP8 delta frame of VIDEO_PAYLOAD bytes: a rate worth estimating. */
static GstBuffer *
video_packet (guint16 seq, guint32 rtp_time)
{
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (VIDEO_PAYLOAD, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, PT_VP8_IN);
  gst_rtp_buffer_set_ssrc (&rtp, SSRC_A_VIDEO);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, rtp_time);
  gst_rtp_buffer_set_marker (&rtp, TRUE);
  payload = gst_rtp_buffer_get_payload (&rtp);
  memset (payload, 0x40, VIDEO_PAYLOAD);
  payload[0] = 0x10; /* S=1, PID=0 */
  payload[1] = 1;    /* a delta frame */
  gst_rtp_buffer_unmap (&rtp);
  return buffer;
}

/* The REMBs the router sent A so far: the lowest bitrate (0: none), and
 * whether one came on its own, without report blocks (sent at once, not
 * with a receiver report). */
static guint64
lowest_remb (Fixture *f, gboolean *prompt)
{
  guint64 lowest = 0;
  GstBuffer *buffer;

  while ((buffer = collected_pop (&f->peers[0].rtcp)) != NULL)
    {
      GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
      GstRTCPPacket packet;
      guint blocks = 0;

      if (find_rtcp (buffer, GST_RTCP_TYPE_RR, -1, &packet, &rtcp))
        {
          blocks = gst_rtcp_packet_get_rb_count (&packet);
          while (gst_rtcp_packet_move_to_next (&packet))
            if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_PSFB
                && gst_rtcp_packet_fb_get_type (&packet) == GST_RTCP_PSFB_TYPE_AFB)
              {
                const guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
                guint32 word = GST_READ_UINT32_BE (fci + 4);
                guint64 bitrate = (guint64) (word & 0x3ffff) << ((word >> 18) & 0x3f);

                g_assert_cmpmem (fci, 4, "REMB", 4);
                if (lowest == 0 || bitrate < lowest)
                  lowest = bitrate;
                if (blocks == 0 && prompt != NULL)
                  *prompt = TRUE;
              }
          gst_rtcp_buffer_unmap (&rtcp);
        }
      gst_buffer_unref (buffer);
    }
  return lowest;
}

typedef struct
{
  gint64 start_us; /* the first packet's sampling time */
  guint n;         /* packets of each stream sent */
} Publisher;

/* One 20 ms period of A's: an audio and a video packet, sampled at
 * start + n × 20 ms, arriving @queue_us later than that (no path delay:
 * only its changes count). */
static void
publish_period (Fixture *f, Publisher *p, gint64 queue_us)
{
  gint64 sampled_us = p->start_us + p->n * 20 * MS;

  push (f->peers[0].rtp_in, arrived (opus_packet (SSRC_A_AUDIO, (guint16) p->n, p->n * 960),
                                     sampled_us + queue_us));
  push (f->peers[0].rtp_in,
        arrived (video_packet ((guint16) p->n, p->n * 1800), sampled_us + queue_us + MS));
  p->n++;
}

/* A's uplink queue grows by 10 ms every 100 ms: the router sends it a
 * REMB at once, of 0.85 × what arrives (with the queue growing, packets
 * sent every 20 ms arrive every 22), and its stats say so. Before
 * that, steady arrivals: no REMB at all (no max-bitrate). */
static void
test_uplink_queue (Fixture *f, gconstpointer data)
{
  Publisher p = { g_get_monotonic_time (), 0 };
  /* Both streams' bytes a second, headers included. */
  guint64 incoming = 50 * 8 * (12 + 10 + 12 + VIDEO_PAYLOAD) * 20 / 22;
  gboolean prompt = FALSE;
  guint64 remb = 0;
  gint64 queue_us = 0;
  guint queued = 0;

  publish_a_to_b (f);
  /* Three seconds in a tenth of that: the router sees arrival times. */
  for (guint i = 0; i < 150; i++)
    publish_period (f, &p, 0);
  g_assert_cmpuint (lowest_remb (f, NULL), ==, 0);
  g_assert_cmpuint (router_stat (f, "A", "uplink-estimate"), ==, 0);
  g_assert_cmpuint (router_stat (f, "A", "uplink-overuses"), ==, 0);

  /* Sent at once: collected before the push returns. */
  while (remb == 0 && queued < 50)
    {
      queue_us += 2 * MS;
      publish_period (f, &p, queue_us);
      queued++;
      remb = lowest_remb (f, &prompt);
    }
  g_test_message ("REMB %" G_GUINT64_FORMAT " bit/s after %u ms of a growing queue (%"
                  G_GINT64_FORMAT " ms), %" G_GUINT64_FORMAT " bit/s arriving",
                  remb, queued * 20, queue_us / MS, incoming);
  g_assert_true (prompt);
  /* Over 40 ms within 300 ms of passing it. */
  g_assert_cmpint (queue_us, <=, 40 * MS + 300 * MS / 10);
  /* The 400 ms over which the rate is measured hold 18 or 19 periods of
   * 22 ms, as the buckets fall: 5% either way. */
  g_assert_cmpuint (remb, >=, incoming * 85 / 100 * 94 / 100);
  g_assert_cmpuint (remb, <=, incoming * 85 / 100 * 106 / 100);
  g_assert_cmpuint (router_stat (f, "A", "uplink-overuses"), ==, 1);
  /* The REMB's mantissa drops a bit or two of the estimate. */
  g_assert_cmpuint (router_stat (f, "A", "uplink-estimate") - remb, <, 4);
}

/* With max-bitrate, the REMB is the lower of it and the estimate. */
static void
test_uplink_max_bitrate (Fixture *f, gconstpointer data)
{
  Publisher p = { g_get_monotonic_time (), 0 };
  gint64 queue_us = 0;
  guint64 remb = 0;

  g_object_set (f->router, "max-bitrate", 2000000, NULL);
  publish_a_to_b (f);
  for (guint i = 0; i < 150; i++)
    publish_period (f, &p, 0);
  for (guint i = 0; i < 50 && router_stat (f, "A", "uplink-overuses") == 0; i++)
    publish_period (f, &p, queue_us += 2 * MS);
  g_assert_cmpuint (router_stat (f, "A", "uplink-overuses"), ==, 1);
  remb = lowest_remb (f, NULL);
  g_assert_cmpuint (remb, <, 2000000);
  g_assert_cmpuint (router_stat (f, "A", "uplink-estimate") - remb, <, 16);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                  \
  g_test_add ("/sfu/router/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("uplink-queue", test_uplink_queue);
  ADD ("uplink-max-bitrate", test_uplink_max_bitrate);
#undef ADD
  return g_test_run ();
}
