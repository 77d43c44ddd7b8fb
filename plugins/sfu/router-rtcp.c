/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-rtcp.h"

#include <string.h>

/* Large enough for an RR with 31 blocks, SDES and a REMB. */
#define ROUTER_RTCP_MTU 1400

static void
add_cname (GstRTCPBuffer *rtcp, guint32 ssrc, const char *cname)
{
  GstRTCPPacket packet;
  gsize length = MIN (strlen (cname), 255);

  if (!gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_SDES, &packet))
    return;
  gst_rtcp_packet_sdes_add_item (&packet, ssrc);
  gst_rtcp_packet_sdes_add_entry (&packet, GST_RTCP_SDES_CNAME, (guint8) length,
                                  (const guint8 *) cname);
}

/* Maps @buffer into @rtcp and starts a compound packet for feedback: an
 * empty receiver report and our CNAME, which RFC 3550 section 6.1 puts
 * first in every compound packet. */
static void
begin_feedback (GstBuffer *buffer, GstRTCPBuffer *rtcp, guint32 sender_ssrc, const char *cname)
{
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, rtcp);
  if (gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_RR, &packet))
    gst_rtcp_packet_rr_set_ssrc (&packet, sender_ssrc);
  add_cname (rtcp, sender_ssrc, cname);
}

static void
add_remb (GstRTCPBuffer *rtcp, guint32 sender_ssrc, guint64 bitrate, const guint32 *ssrcs,
          guint n_ssrcs)
{
  GstRTCPPacket packet;
  guint8 *fci;
  guint exponent = 0;
  guint64 mantissa = bitrate;

  /* draft-alvestrand-rmcat-remb: 6-bit exponent, 18-bit mantissa. */
  while (mantissa > 0x3ffff)
    {
      mantissa >>= 1;
      exponent++;
    }
  n_ssrcs = MIN (n_ssrcs, 255);

  if (!gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_PSFB, &packet))
    return;
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_AFB);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, sender_ssrc);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, 0);
  if (!gst_rtcp_packet_fb_set_fci_length (&packet, 2 + n_ssrcs))
    {
      gst_rtcp_packet_remove (&packet);
      return;
    }
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  memcpy (fci, "REMB", 4);
  router_write_be32 (fci + 4, ((guint32) n_ssrcs << 24) | ((guint32) exponent << 18)
                                  | (guint32) mantissa);
  for (guint i = 0; i < n_ssrcs; i++)
    router_write_be32 (fci + 8 + 4 * i, ssrcs[i]);
}

GstBuffer *
router_rtcp_build_receiver_report (guint32 sender_ssrc, const char *cname,
                                   const guint32 *source_ssrcs,
                                   const RouterReportBlock *blocks, guint n_blocks,
                                   guint64 remb_bitrate)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (ROUTER_RTCP_MTU);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  n_blocks = MIN (n_blocks, ROUTER_RTCP_MAX_REPORT_BLOCKS);
  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  if (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet))
    {
      gst_rtcp_packet_rr_set_ssrc (&packet, sender_ssrc);
      for (guint i = 0; i < n_blocks; i++)
        gst_rtcp_packet_add_rb (&packet, source_ssrcs[i], blocks[i].fraction_lost,
                                blocks[i].cumulative_lost, blocks[i].extended_highest_seq,
                                blocks[i].jitter, blocks[i].lsr, blocks[i].dlsr);
    }
  add_cname (&rtcp, sender_ssrc, cname);
  if (remb_bitrate > 0 && n_blocks > 0)
    add_remb (&rtcp, sender_ssrc, remb_bitrate, source_ssrcs, n_blocks);
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

GstBuffer *
router_rtcp_build_remb (guint32 sender_ssrc, const char *cname, const guint32 *source_ssrcs,
                        guint n_ssrcs, guint64 bitrate)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (ROUTER_RTCP_MTU);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;

  begin_feedback (buffer, &rtcp, sender_ssrc, cname);
  if (bitrate > 0 && n_ssrcs > 0)
    add_remb (&rtcp, sender_ssrc, bitrate, source_ssrcs, n_ssrcs);
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

GstBuffer *
router_rtcp_build_pli (guint32 sender_ssrc, const char *cname, guint32 media_ssrc)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (ROUTER_RTCP_MTU);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  begin_feedback (buffer, &rtcp, sender_ssrc, cname);
  if (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB, &packet))
    {
      gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_PLI);
      gst_rtcp_packet_fb_set_sender_ssrc (&packet, sender_ssrc);
      gst_rtcp_packet_fb_set_media_ssrc (&packet, media_ssrc);
    }
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

GstBuffer *
router_rtcp_build_nack (guint32 sender_ssrc, const char *cname, guint32 media_ssrc,
                        const guint16 *seqs, guint n_seqs)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (ROUTER_RTCP_MTU);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint16 pids[ROUTER_RTCP_MAX_NACK_ITEMS], blps[ROUTER_RTCP_MAX_NACK_ITEMS];
  guint n_items = 0;

  /* One FCI item is a PID and a bitmask of the 16 sequence numbers after
   * it (RFC 4585 6.2.1); @seqs ascend, so each either fits the current
   * item or starts the next one. */
  for (guint i = 0; i < n_seqs; i++)
    {
      guint16 offset = n_items > 0 ? (guint16) (seqs[i] - pids[n_items - 1]) : 0;

      if (n_items > 0 && offset >= 1 && offset <= 16)
        blps[n_items - 1] |= 1 << (offset - 1);
      else if (n_items < ROUTER_RTCP_MAX_NACK_ITEMS)
        {
          pids[n_items] = seqs[i];
          blps[n_items] = 0;
          n_items++;
        }
    }

  begin_feedback (buffer, &rtcp, sender_ssrc, cname);
  if (n_items > 0 && gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RTPFB, &packet))
    {
      gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_RTPFB_TYPE_NACK);
      gst_rtcp_packet_fb_set_sender_ssrc (&packet, sender_ssrc);
      gst_rtcp_packet_fb_set_media_ssrc (&packet, media_ssrc);
      if (gst_rtcp_packet_fb_set_fci_length (&packet, n_items))
        {
          guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);

          for (guint i = 0; i < n_items; i++)
            {
              fci[4 * i] = (guint8) (pids[i] >> 8);
              fci[4 * i + 1] = (guint8) pids[i];
              fci[4 * i + 2] = (guint8) (blps[i] >> 8);
              fci[4 * i + 3] = (guint8) blps[i];
            }
        }
      else
        gst_rtcp_packet_remove (&packet);
    }
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

GstBuffer *
router_rtcp_build_sender_report (guint32 ssrc, const char *cname, guint64 ntp_time,
                                 guint32 rtp_time, guint32 packet_count,
                                 guint32 octet_count)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (ROUTER_RTCP_MTU);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  if (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &packet))
    gst_rtcp_packet_sr_set_sender_info (&packet, ssrc, ntp_time, rtp_time, packet_count,
                                        octet_count);
  add_cname (&rtcp, ssrc, cname);
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

void
router_rtcp_foreach_nack (GstRTCPPacket *packet,
                          void (*func) (guint16 seq, gpointer user_data),
                          gpointer user_data)
{
  guint8 *fci = gst_rtcp_packet_fb_get_fci (packet);
  guint words = gst_rtcp_packet_fb_get_fci_length (packet);

  if (fci == NULL)
    return;
  for (guint i = 0; i < words; i++)
    {
      guint16 pid = router_read_be16 (fci + 4 * i);
      guint16 blp = router_read_be16 (fci + 4 * i + 2);

      func (pid, user_data);
      for (guint bit = 0; bit < 16; bit++)
        if (blp & (1 << bit))
          func ((guint16) (pid + bit + 1), user_data);
    }
}

gboolean
router_rtcp_parse_remb (GstRTCPPacket *packet, guint64 *bitrate)
{
  guint8 *fci;
  guint words;
  guint32 word;
  guint mantissa, exponent;

  if (gst_rtcp_packet_get_type (packet) != GST_RTCP_TYPE_PSFB
      || gst_rtcp_packet_fb_get_type (packet) != GST_RTCP_PSFB_TYPE_AFB)
    return FALSE;
  fci = gst_rtcp_packet_fb_get_fci (packet);
  words = gst_rtcp_packet_fb_get_fci_length (packet);
  if (fci == NULL || words < 2 || memcmp (fci, "REMB", 4) != 0)
    return FALSE;
  word = router_read_be32 (fci + 4);
  if (words < 2 + (word >> 24))
    return FALSE;
  exponent = (word >> 18) & 0x3f;
  mantissa = word & 0x3ffff;
  /* 18 bits shifted by up to 63 would overflow: no link is that fast. */
  if (exponent > 64 - 18)
    return FALSE;
  *bitrate = (guint64) mantissa << exponent;
  return TRUE;
}
