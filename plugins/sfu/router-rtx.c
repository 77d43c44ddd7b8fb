/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-rtx.h"

#include <string.h>

#define OSN_SIZE 2

/* A packet like @in's header (marker, timestamp, CSRCs) with @payload_len
 * bytes of payload to fill, mapped in @out. */
static GstBuffer *
new_like (GstRTPBuffer *in, guint payload_len, guint32 ssrc, guint8 pt, guint16 seq,
          GstRTPBuffer *out)
{
  guint8 csrc_count = gst_rtp_buffer_get_csrc_count (in);
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (payload_len, 0, csrc_count);

  gst_rtp_buffer_map (buffer, GST_MAP_WRITE, out);
  gst_rtp_buffer_set_marker (out, gst_rtp_buffer_get_marker (in));
  gst_rtp_buffer_set_payload_type (out, pt);
  gst_rtp_buffer_set_seq (out, seq);
  gst_rtp_buffer_set_timestamp (out, gst_rtp_buffer_get_timestamp (in));
  gst_rtp_buffer_set_ssrc (out, ssrc);
  for (guint8 i = 0; i < csrc_count; i++)
    gst_rtp_buffer_set_csrc (out, i, gst_rtp_buffer_get_csrc (in, i));
  return buffer;
}

GstBuffer *
router_rtx_wrap (GstRTPBuffer *original, guint32 rtx_ssrc, guint8 rtx_pt, guint16 rtx_seq)
{
  guint payload_len = gst_rtp_buffer_get_payload_len (original);
  guint16 osn = gst_rtp_buffer_get_seq (original);
  GstRTPBuffer out = GST_RTP_BUFFER_INIT;
  GstBuffer *buffer
      = new_like (original, payload_len + OSN_SIZE, rtx_ssrc, rtx_pt, rtx_seq, &out);
  guint8 *payload = gst_rtp_buffer_get_payload (&out);

  payload[0] = (guint8) (osn >> 8);
  payload[1] = (guint8) osn;
  memcpy (payload + OSN_SIZE, gst_rtp_buffer_get_payload (original), payload_len);
  gst_rtp_buffer_unmap (&out);
  return buffer;
}

GstBuffer *
router_rtx_unwrap (GstRTPBuffer *rtx, guint32 media_ssrc, guint8 media_pt)
{
  guint payload_len = gst_rtp_buffer_get_payload_len (rtx);
  const guint8 *payload = gst_rtp_buffer_get_payload (rtx);
  GstRTPBuffer out = GST_RTP_BUFFER_INIT;
  GstBuffer *buffer;

  if (payload_len <= OSN_SIZE)
    return NULL;
  buffer = new_like (rtx, payload_len - OSN_SIZE, media_ssrc, media_pt,
                     (guint16) ((payload[0] << 8) | payload[1]), &out);
  memcpy (gst_rtp_buffer_get_payload (&out), payload + OSN_SIZE, payload_len - OSN_SIZE);
  gst_rtp_buffer_unmap (&out);
  return buffer;
}
