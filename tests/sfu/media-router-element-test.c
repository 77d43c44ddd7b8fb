/* convokerouter on its own: hand-made RTP and RTCP pushed into its pads,
 * what comes out checked byte by byte: forwarding, key frames, NACK and
 * reports.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "media-router-fixture.h"
#include "test-time.h"

static void
test_forward_rewrites (Fixture *f, gconstpointer data)
{
  Parsed key, delta, audio;

  publish_a_to_b (f);

  /* Until a key frame, B gets no video; the stream's start asks for one. */
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 1000, 90000, FALSE, FALSE));
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 0);
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, SSRC_A_VIDEO), ==, 1);

  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 1001, 93000, TRUE, TRUE));
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 1002, 96000, FALSE, FALSE));
  push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO, 7, 48000));
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 3);
  /* Nothing comes back to the publisher, nothing reaches C. */
  g_assert_cmpuint (collected_count (&f->peers[0].rtp), ==, 0);
  g_assert_cmpuint (collected_count (&f->peers[2].rtp), ==, 0);

  key = parse_rtp (collected_pop (&f->peers[1].rtp));
  delta = parse_rtp (collected_pop (&f->peers[1].rtp));
  audio = parse_rtp (collected_pop (&f->peers[1].rtp));
  g_assert_cmphex (key.ssrc, ==, SLOT_B_VIDEO);
  g_assert_cmpuint (key.pt, ==, PT_VP8_OUT);
  g_assert_false (key.extension);
  g_assert_cmpuint (key.payload_len, ==, 20);
  g_assert_cmpuint (key.payload[0], ==, 0x10);
  g_assert_cmpuint (key.payload[19], ==, 0x40 + 19);
  g_assert_cmphex (delta.ssrc, ==, SLOT_B_VIDEO);
  g_assert_cmpuint ((guint16) (delta.seq - key.seq), ==, 1);
  g_assert_cmpuint (delta.rtp_time - key.rtp_time, ==, 3000);
  g_assert_cmphex (audio.ssrc, ==, SLOT_B_AUDIO);
  g_assert_cmpuint (audio.pt, ==, PT_OPUS_OUT);
  g_assert_cmpuint (router_stat (f, "A", "rtp-received"), ==, 4);
  g_assert_cmpuint (router_stat (f, "B", "rtp-sent"), ==, 3);
}

static void
test_nothing_before_sending (Fixture *f, gconstpointer data)
{
  set_payloads (f, "A");
  set_slot (f, "B", SLOT_B_AUDIO, "audio", PT_OPUS_OUT, "A");
  set_sending (f, "A");
  push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO, 1, 0));
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 0);
  set_sending (f, "B");
  push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO, 2, 960));
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 1);
}

static void
test_keyframe_requests_merged (Fixture *f, gconstpointer data)
{
  _Alignas(4) guint8 fir[8] = { 0 }; /* GST_WRITE_* are plain stores on x86 */

  g_object_set (f->router, "keyframe-request-interval", 300, NULL);
  publish_a_to_b (f);
  set_slot (f, "C", SLOT_C_VIDEO, "video", PT_VP8_OUT, "A");
  set_sending (f, "C");
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 1, 0, FALSE, FALSE));
  /* B and C both waiting: one PLI. */
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, SSRC_A_VIDEO), ==, 1);

  /* A PLI from B and a FIR from C inside the interval: merged, held back. */
  push (f->peers[1].rtcp_in, feedback_packet (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI,
                                              SLOT_B_VIDEO, NULL, 0));
  GST_WRITE_UINT32_BE (fir, SLOT_C_VIDEO);
  push (f->peers[2].rtcp_in,
        feedback_packet (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_FIR, 0, fir, 2));
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 2, 3000, FALSE, FALSE));
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, SSRC_A_VIDEO), ==, 0);
  g_assert_cmpuint (router_stat (f, "B", "keyframe-requests-received"), ==, 1);
  g_assert_cmpuint (router_stat (f, "C", "keyframe-requests-received"), ==, 1);

  /* Once the interval is over, the next packet carries the one PLI. */
  g_usleep (320 * 1000);
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 3, 6000, FALSE, FALSE));
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 4, 9000, FALSE, FALSE));
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, SSRC_A_VIDEO), ==, 1);
  g_assert_cmpuint (router_stat (f, "A", "plis-sent"), ==, 2);

  /* A key frame satisfies a request made meanwhile. */
  push (f->peers[1].rtcp_in, feedback_packet (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI,
                                              SLOT_B_VIDEO, NULL, 0));
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 5, 12000, TRUE, FALSE));
  g_usleep (320 * 1000);
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 6, 15000, FALSE, FALSE));
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, SSRC_A_VIDEO), ==, 0);
}

static void
test_nack_retransmits (Fixture *f, gconstpointer data)
{
  Parsed sent[4], again;
  _Alignas(4) guint8 nack[4];

  publish_a_to_b (f);
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 500, 0, TRUE, FALSE));
  for (guint16 i = 1; i < 4; i++)
    push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 500 + i, i * 3000, FALSE, FALSE));
  for (guint i = 0; i < 4; i++)
    sent[i] = parse_rtp (collected_pop (&f->peers[1].rtp));

  /* PID = the second packet, BLP bit 1 = the fourth; bit 3 is not sent yet. */
  GST_WRITE_UINT16_BE (nack, sent[1].seq);
  GST_WRITE_UINT16_BE (nack + 2, (1 << 1) | (1 << 3));
  push (f->peers[1].rtcp_in,
        feedback_packet (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, SLOT_B_VIDEO,
                         nack, 1));
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 2);
  again = parse_rtp (collected_pop (&f->peers[1].rtp));
  g_assert_cmpuint (again.seq, ==, sent[1].seq);
  g_assert_cmpuint (again.rtp_time, ==, sent[1].rtp_time);
  g_assert_cmphex (again.ssrc, ==, SLOT_B_VIDEO);
  g_assert_cmpmem (again.payload, again.payload_len, sent[1].payload,
                   sent[1].payload_len);
  again = parse_rtp (collected_pop (&f->peers[1].rtp));
  g_assert_cmpuint (again.seq, ==, sent[3].seq);
  g_assert_cmpuint (router_stat (f, "B", "retransmitted"), ==, 2);
  g_assert_cmpuint (router_stat (f, "B", "nacks-received"), ==, 3);
  /* The publisher is never bothered with it. */
  g_assert_cmpuint (collected_count (&f->peers[0].rtp), ==, 0);
}

/* A subscriber that NACKs more than it may have gets at most its
 * budget: the burst, then a quarter of what it is forwarded. */
#define BUDGET_PAYLOAD 1000
static void
test_nack_budget (Fixture *f, gconstpointer data)
{
  _Alignas(4) guint8 nack[4 * 100];
  guint64 first_flood, after_more;
  gsize packet_size = 0;
  guint16 first_seq = 0;

  publish_a_to_b (f);
  /* 100 packets of 1 KiB: more than the 64 KiB burst. */
  for (guint16 i = 0; i < 100; i++)
    {
      GstBuffer *sent;

      push (f->peers[0].rtp_in, vp8_packet_sized (SSRC_A_VIDEO, 100 + i, i * 3000, i == 0,
                                                  FALSE, BUDGET_PAYLOAD));
      sent = collected_pop (&f->peers[1].rtp);
      /* No header extension: the size the router sees coming in. */
      packet_size = gst_buffer_get_size (sent);
      if (i == 0)
        first_seq = parse_rtp (sent).seq; /* unrefs it */
      else
        gst_buffer_unref (sent);
    }
  for (guint i = 0; i < 100; i++)
    {
      GST_WRITE_UINT16_BE (nack + 4 * i, (guint16) (first_seq + i));
      GST_WRITE_UINT16_BE (nack + 4 * i + 2, 0);
    }
  /* At most 64 retransmissions per NACK packet: two of 50 each. */
  push (f->peers[1].rtcp_in, feedback_packet (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK,
                                              SLOT_B_VIDEO, nack, 50));
  push (f->peers[1].rtcp_in, feedback_packet (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK,
                                              SLOT_B_VIDEO, nack + 200, 50));
  first_flood = router_stat (f, "B", "retransmitted");
  g_test_message ("%zu-byte packets: %" G_GUINT64_FORMAT " retransmitted, %" G_GUINT64_FORMAT
                  " refused",
                  packet_size, first_flood, router_stat (f, "B", "retransmissions-refused"));
  g_assert_cmpuint (first_flood, ==, 64 * 1024 / packet_size);
  g_assert_cmpuint (router_stat (f, "B", "retransmissions-refused"), ==, 100 - first_flood);
  collected_clear (&f->peers[1].rtp);

  /* Forwarding 40 more packets earns it 10 more retransmissions, of the
   * ones refused (never sent, so not repeats). */
  for (guint16 i = 100; i < 140; i++)
    push (f->peers[0].rtp_in, vp8_packet_sized (SSRC_A_VIDEO, 100 + i, i * 3000, FALSE,
                                                FALSE, BUDGET_PAYLOAD));
  push (f->peers[1].rtcp_in, feedback_packet (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK,
                                              SLOT_B_VIDEO, nack + 4 * first_flood,
                                              100 - first_flood));
  after_more = router_stat (f, "B", "retransmitted") - first_flood;
  g_assert_cmpuint (after_more, >=, 9);
  g_assert_cmpuint (after_more, <=, 11);
}

/* A NACK repeated before a round trip has passed (100 ms while none is
 * measured) does not send the packet again; one after it does. */
static void
test_nack_repeat (Fixture *f, gconstpointer data)
{
  _Alignas(4) guint8 nack[4];
  guint16 seq;

  publish_a_to_b (f);
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 100, 0, TRUE, FALSE));
  seq = parse_rtp (collected_pop (&f->peers[1].rtp)).seq;
  GST_WRITE_UINT16_BE (nack, seq);
  GST_WRITE_UINT16_BE (nack + 2, 0);
  for (guint i = 0; i < 5; i++)
    push (f->peers[1].rtcp_in,
          feedback_packet (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, SLOT_B_VIDEO,
                           nack, 1));
  g_assert_cmpuint (router_stat (f, "B", "retransmitted"), ==, 1);
  g_assert_cmpuint (router_stat (f, "B", "retransmissions-repeated"), ==, 4);
  g_usleep (120 * 1000);
  push (f->peers[1].rtcp_in, feedback_packet (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK,
                                              SLOT_B_VIDEO, nack, 1));
  g_assert_cmpuint (router_stat (f, "B", "retransmitted"), ==, 2);
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 2);
}

/* The sequence numbers NACKed for @media_ssrc in what waits in @collected
 * (all consumed), as "a,b,c". */
static char *
nacked_seqs (Collected *collected, guint32 media_ssrc)
{
  g_autoptr (GString) seqs = g_string_new (NULL);
  GstBuffer *buffer;

  while ((buffer = collected_pop (collected)) != NULL)
    {
      GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
      GstRTCPPacket packet;

      if (find_rtcp (buffer, GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, &packet, &rtcp))
        {
          const guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);

          g_assert_cmphex (gst_rtcp_packet_fb_get_media_ssrc (&packet), ==, media_ssrc);
          for (guint i = 0; i < gst_rtcp_packet_fb_get_fci_length (&packet); i++)
            {
              guint16 pid = (fci[4 * i] << 8) | fci[4 * i + 1];
              guint16 blp = (fci[4 * i + 2] << 8) | fci[4 * i + 3];

              g_string_append_printf (seqs, "%s%u", seqs->len ? "," : "", pid);
              for (guint bit = 0; bit < 16; bit++)
                if (blp & (1 << bit))
                  g_string_append_printf (seqs, ",%u", (guint16) (pid + bit + 1));
            }
          gst_rtcp_buffer_unmap (&rtcp);
        }
      gst_buffer_unref (buffer);
    }
  return g_string_free (g_steal_pointer (&seqs), FALSE);
}

/* Uplink loss: a gap in what A sends makes the router NACK A at once,
 * again after the retry interval, and at most three times; a packet that
 * arrives late is forwarded to B and asked for no more. */
static void
test_uplink_nack (Fixture *f, gconstpointer data)
{
  char *nacked;

  publish_a_to_b (f);
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 65530, 0, TRUE, FALSE));
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 65531, 3000, FALSE, FALSE));
  collected_clear (&f->peers[0].rtcp); /* the PLI for B */
  /* 65532 … 1 lost (across the wrap), and 4, 5. */
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 2, 6000, FALSE, FALSE));
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 3, 6000, FALSE, FALSE));
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 6, 9000, FALSE, FALSE));
  nacked = nacked_seqs (&f->peers[0].rtcp, SSRC_A_VIDEO);
  g_assert_cmpstr (nacked, ==, "65532,65533,65534,65535,0,1,4,5");
  g_free (nacked);
  g_assert_cmpuint (router_stat (f, "A", "nacks-sent"), ==, 8);

  /* 0 arrives late: B gets it; nothing is asked again before the interval. */
  collected_clear (&f->peers[1].rtp);
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 0, 6000, FALSE, FALSE));
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 1);
  g_assert_cmpuint (router_stat (f, "A", "packets-recovered"), ==, 1);
  nacked = nacked_seqs (&f->peers[0].rtcp, SSRC_A_VIDEO); /* receiver reports only */
  g_assert_cmpstr (nacked, ==, "");
  g_free (nacked);

  /* Twice more for the others, then never again. */
  for (guint round = 0; round < 3; round++)
    {
      g_usleep (110 * 1000);
      push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 7 + round, 12000, FALSE, FALSE));
      nacked = nacked_seqs (&f->peers[0].rtcp, SSRC_A_VIDEO);
      g_assert_cmpstr (nacked, ==, round < 2 ? "65532,65533,65534,65535,1,4,5" : "");
      g_free (nacked);
    }

  /* A jump beyond 100 is a restart, not loss. */
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 400, 15000, FALSE, FALSE));
  nacked = nacked_seqs (&f->peers[0].rtcp, SSRC_A_VIDEO);
  g_assert_cmpstr (nacked, ==, "");
  g_free (nacked);
  g_assert_cmpuint (router_stat (f, "A", "nacks-sent"), ==, 8 + 2 * 7);
}

/* RFC 4588 both ways. B accepted RTX (payload type 97 on SSRC 0xb0000009):
 * its NACK is answered on that SSRC, numbered in that stream, with the
 * original sequence number first in the payload. A sends RTX (payload
 * type 102 for its 100): a retransmission of a packet the router missed
 * reaches B as that packet. */
static void
test_rtx (Fixture *f, gconstpointer data)
{
  g_autoptr (GstCaps) payloads = gst_caps_from_string (
      "application/x-rtp, payload=(int)100, media=(string)video, "
      "encoding-name=(string)VP8, clock-rate=(int)90000; "
      "application/x-rtp, payload=(int)102, media=(string)video, "
      "encoding-name=(string)RTX, clock-rate=(int)90000, apt=(int)100");
  g_autoptr (GstCaps) bad_apt = gst_caps_from_string (
      "application/x-rtp, payload=(int)102, media=(string)video, "
      "encoding-name=(string)RTX, clock-rate=(int)90000, apt=(int)55");
  _Alignas(4) guint8 nack[4];
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  Parsed sent[3], restored;
  GstBuffer *buffer, *rtx;
  gboolean ok = FALSE;
  guint16 first_rtx_seq;

  publish_a_to_b (f);
  g_signal_emit_by_name (f->router, "set-payloads", "A", bad_apt, &ok);
  g_assert_false (ok);
  g_signal_emit_by_name (f->router, "set-payloads", "A", payloads, &ok);
  g_assert_true (ok);
  g_signal_emit_by_name (f->router, "set-slot-rtx", "B", SLOT_B_VIDEO, SLOT_B_VIDEO, 97, &ok);
  g_assert_false (ok); /* the RTX SSRC must be another one */
  g_signal_emit_by_name (f->router, "set-slot-rtx", "B", 0x12345u, 0xb0000009u, 97, &ok);
  g_assert_false (ok); /* no such slot */
  g_signal_emit_by_name (f->router, "set-slot-rtx", "B", SLOT_B_VIDEO, 0xb0000009u, 97, &ok);
  g_assert_true (ok);

  /* Downlink: B NACKs the second and third packets. */
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 10, 0, TRUE, FALSE));
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 11, 3000, FALSE, FALSE));
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 12, 6000, FALSE, FALSE));
  for (guint i = 0; i < 3; i++)
    sent[i] = parse_rtp (collected_pop (&f->peers[1].rtp));
  GST_WRITE_UINT16_BE (nack, sent[1].seq);
  GST_WRITE_UINT16_BE (nack + 2, 1 << 0);
  push (f->peers[1].rtcp_in,
        feedback_packet (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, SLOT_B_VIDEO,
                         nack, 1));
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 2);
  for (guint i = 1; i <= 2; i++)
    {
      const guint8 *payload;

      rtx = collected_pop (&f->peers[1].rtp);
      g_assert_true (gst_rtp_buffer_map (rtx, GST_MAP_READ, &rtp));
      g_assert_cmphex (gst_rtp_buffer_get_ssrc (&rtp), ==, 0xb0000009u);
      g_assert_cmpuint (gst_rtp_buffer_get_payload_type (&rtp), ==, 97);
      g_assert_cmpuint (gst_rtp_buffer_get_timestamp (&rtp), ==, sent[i].rtp_time);
      if (i == 1)
        first_rtx_seq = gst_rtp_buffer_get_seq (&rtp);
      else
        g_assert_cmpuint (gst_rtp_buffer_get_seq (&rtp), ==, (guint16) (first_rtx_seq + 1));
      payload = gst_rtp_buffer_get_payload (&rtp);
      g_assert_cmpuint ((payload[0] << 8) | payload[1], ==, sent[i].seq);
      g_assert_cmpmem (payload + 2, gst_rtp_buffer_get_payload_len (&rtp) - 2,
                       sent[i].payload, sent[i].payload_len);
      gst_rtp_buffer_unmap (&rtp);
      gst_buffer_unref (rtx);
    }

  /* Uplink: 13 is lost, then comes as RTX packet 500 of SSRC 0xa0000009. */
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 14, 12000, FALSE, FALSE));
  collected_clear (&f->peers[1].rtp);
  buffer = vp8_packet (SSRC_A_VIDEO, 13, 9000, FALSE, FALSE);
  g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp));
  {
    guint len = gst_rtp_buffer_get_payload_len (&rtp);
    GstRTPBuffer out = GST_RTP_BUFFER_INIT;
    guint8 *payload;

    rtx = gst_rtp_buffer_new_allocate (len + 2, 0, 0);
    gst_rtp_buffer_map (rtx, GST_MAP_WRITE, &out);
    gst_rtp_buffer_set_ssrc (&out, 0xa0000009u);
    gst_rtp_buffer_set_payload_type (&out, 102);
    gst_rtp_buffer_set_seq (&out, 500);
    gst_rtp_buffer_set_timestamp (&out, 9000);
    payload = gst_rtp_buffer_get_payload (&out);
    payload[0] = 0;
    payload[1] = 13;
    memcpy (payload + 2, gst_rtp_buffer_get_payload (&rtp), len);
    gst_rtp_buffer_unmap (&out);
  }
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_unref (buffer);
  push (f->peers[0].rtp_in, rtx);
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 1);
  restored = parse_rtp (collected_pop (&f->peers[1].rtp));
  g_assert_cmphex (restored.ssrc, ==, SLOT_B_VIDEO);
  g_assert_cmpuint (restored.pt, ==, PT_VP8_OUT);
  g_assert_cmpuint (restored.seq, ==, (guint16) (sent[2].seq + 1));
  g_assert_cmpuint (router_stat (f, "A", "rtx-received"), ==, 1);
  g_assert_cmpuint (router_stat (f, "A", "packets-recovered"), ==, 1);

  /* RTX padding (bandwidth probes) carries nothing to forward. */
  rtx = gst_rtp_buffer_new_allocate (0, 4, 0);
  gst_rtp_buffer_map (rtx, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_ssrc (&rtp, 0xa0000009u);
  gst_rtp_buffer_set_payload_type (&rtp, 102);
  gst_rtp_buffer_set_seq (&rtp, 501);
  gst_rtp_buffer_unmap (&rtp);
  push (f->peers[0].rtp_in, rtx);
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 0);
  g_assert_cmpuint (router_stat (f, "A", "rtx-received"), ==, 2);
  g_assert_cmpuint (router_stat (f, "A", "dropped"), ==, 0);
}

static void
test_sender_report_forwarded (Fixture *f, gconstpointer data)
{
  GstBuffer *sr = gst_rtcp_buffer_new (1000);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstBuffer *out = NULL;
  Parsed forwarded;
  guint32 ssrc, rtp_time, packets, octets;
  guint64 ntp;
  gboolean found;

  publish_a_to_b (f);
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 10, 180000, TRUE, FALSE));
  forwarded = parse_rtp (collected_pop (&f->peers[1].rtp));
  collected_clear (&f->peers[1].rtcp);

  gst_rtcp_buffer_map (sr, GST_MAP_READWRITE, &rtcp);
  gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &packet);
  gst_rtcp_packet_sr_set_sender_info (
      &packet, SSRC_A_VIDEO, G_GUINT64_CONSTANT (0xe000000180000000), 270000, 77, 7700);
  gst_rtcp_buffer_unmap (&rtcp);
  push (f->peers[0].rtcp_in, sr);

  /* Skip receiver reports the timer may have sent meanwhile. */
  do
    {
      gst_clear_buffer (&out);
      out = collected_pop (&f->peers[1].rtcp);
      g_assert_nonnull (out);
      found = find_rtcp (out, GST_RTCP_TYPE_SR, -1, &packet, &rtcp);
    }
  while (!found);
  gst_rtcp_packet_sr_get_sender_info (&packet, &ssrc, &ntp, &rtp_time, &packets, &octets);
  g_assert_cmphex (ssrc, ==, SLOT_B_VIDEO);
  g_assert_cmphex (ntp, ==, G_GUINT64_CONSTANT (0xe000000180000000));
  /* Moved onto the slot's timeline like the packets were. */
  g_assert_cmpuint (rtp_time, ==, forwarded.rtp_time + 90000);
  g_assert_cmpuint (packets, ==, 1);
  g_assert_cmpuint (octets, ==, 20);
  g_assert_true (gst_rtcp_packet_move_to_next (&packet));
  g_assert_cmpint (gst_rtcp_packet_get_type (&packet), ==, GST_RTCP_TYPE_SDES);
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_unref (out);
}

typedef struct
{
  Collected *collected;
  guint32 ssrc;
  guint32 extended_highest;
  guint64 remb_bitrate;
  guint32 remb_ssrc;
} ReportCheck;

static gboolean
report_with_remb_arrived (gpointer data)
{
  ReportCheck *check = data;
  GstBuffer *buffer;

  if (check->remb_bitrate != 0)
    return TRUE;
  while ((buffer = collected_pop (check->collected)) != NULL)
    {
      GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
      GstRTCPPacket packet;

      if (find_rtcp (buffer, GST_RTCP_TYPE_RR, -1, &packet, &rtcp)
          && gst_rtcp_packet_get_rb_count (&packet) == 1)
        {
          guint32 ssrc, highest, jitter, lsr, dlsr;
          guint8 fraction;
          gint32 lost;

          gst_rtcp_packet_get_rb (&packet, 0, &ssrc, &fraction, &lost, &highest, &jitter,
                                  &lsr, &dlsr);
          check->ssrc = ssrc;
          check->extended_highest = highest;
          while (gst_rtcp_packet_move_to_next (&packet))
            if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_PSFB
                && gst_rtcp_packet_fb_get_type (&packet) == GST_RTCP_PSFB_TYPE_AFB)
              {
                const guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
                guint32 word = GST_READ_UINT32_BE (fci + 4);

                g_assert_cmpmem (fci, 4, "REMB", 4);
                g_assert_cmpuint (word >> 24, ==, 1);
                check->remb_bitrate = (guint64) (word & 0x3ffff) << ((word >> 18) & 0x3f);
                check->remb_ssrc = GST_READ_UINT32_BE (fci + 8);
              }
        }
      if (rtcp.buffer != NULL)
        gst_rtcp_buffer_unmap (&rtcp);
      gst_buffer_unref (buffer);
      if (check->remb_bitrate != 0)
        return TRUE;
    }
  return FALSE;
}

/* @timeout_ms: a deadline, as a base figure (test_deadline scales it). */
static gboolean
wait_for (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = test_deadline (timeout_ms);

  while (!cond (data) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  return cond (data);
}

static void
test_receiver_reports_and_remb (Fixture *f, gconstpointer data)
{
  ReportCheck check = { &f->peers[0].rtcp };

  g_object_set (f->router, "max-bitrate", 300000, NULL);
  publish_a_to_b (f);
  for (guint16 i = 0; i < 5; i++)
    push (f->peers[0].rtp_in,
          vp8_packet (SSRC_A_VIDEO, 65534 + i, i * 3000, i == 0, FALSE));
  g_assert_true (wait_for (report_with_remb_arrived, &check, 2000));
  g_assert_cmphex (check.ssrc, ==, SSRC_A_VIDEO);
  /* 65534, 65535, then 0, 1, 2 after one wrap. */
  g_assert_cmphex (check.extended_highest, ==, 0x10002);
  g_assert_cmphex (check.remb_ssrc, ==, SSRC_A_VIDEO);
  /* The 18-bit mantissa loses at most the low bits. */
  g_assert_cmpuint (check.remb_bitrate, <=, 300000);
  g_assert_cmpuint (check.remb_bitrate, >, 299000);
}

static void
test_slot_changes_source (Fixture *f, gconstpointer data)
{
  Parsed from_a, from_c;

  publish_a_to_b (f);
  set_payloads (f, "C");
  set_sending (f, "C");
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 100, 1000, TRUE, FALSE));
  push (f->peers[2].rtp_in, vp8_packet (SSRC_C_VIDEO, 40000, 5555, TRUE, FALSE));
  from_a = parse_rtp (collected_pop (&f->peers[1].rtp));
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 0);

  set_slot (f, "B", SLOT_B_VIDEO, "video", PT_VP8_OUT, "C");
  g_assert_cmpuint (count_plis (&f->peers[2].rtcp, SSRC_C_VIDEO), ==, 1);
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 101, 4000, TRUE, FALSE));
  push (f->peers[2].rtp_in, vp8_packet (SSRC_C_VIDEO, 40001, 8555, FALSE, FALSE));
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 0);
  push (f->peers[2].rtp_in, vp8_packet (SSRC_C_VIDEO, 40002, 11555, TRUE, FALSE));
  from_c = parse_rtp (collected_pop (&f->peers[1].rtp));
  /* Same SSRC, and the sequence goes on where A left it. */
  g_assert_cmphex (from_c.ssrc, ==, SLOT_B_VIDEO);
  g_assert_cmpuint ((guint16) (from_c.seq - from_a.seq), ==, 1);
  g_assert_cmpint ((gint32) (from_c.rtp_time - from_a.rtp_time), >, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                  \
  g_test_add ("/sfu/router/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("forward-rewrites", test_forward_rewrites);
  ADD ("nothing-before-sending", test_nothing_before_sending);
  ADD ("keyframe-requests-merged", test_keyframe_requests_merged);
  ADD ("nack-retransmits", test_nack_retransmits);
  ADD ("nack-budget", test_nack_budget);
  ADD ("nack-repeat", test_nack_repeat);
  ADD ("uplink-nack", test_uplink_nack);
  ADD ("rtx", test_rtx);
  ADD ("sender-report-forwarded", test_sender_report_forwarded);
  ADD ("receiver-reports-and-remb", test_receiver_reports_and_remb);
  ADD ("slot-changes-source", test_slot_changes_source);
#undef ADD
  return g_test_run ();
}
