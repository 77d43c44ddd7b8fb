/* How a slot forwards the packets of the stream it carries: the copy a
 * subscriber gets (router_slot_rewrite), and where its sequence numbers
 * and timestamps continue when the stream changes. Simulcast slots
 * choose among layers first (router-table-simulcast.c) and rewrite with
 * their switcher.
 *
 * The same lock contract as router-table.c: everything here expects the
 * table's lock held.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-table-private.h"

#include "router-rtx.h"

#include <string.h>

/* A copy of @in for @slot: its SSRC, payload type, and sequence numbers and
 * timestamps shifted by the slot's deltas. Header extensions are left out:
 * their ids were negotiated with the publisher, not with the subscriber. */
GstBuffer *
router_slot_rewrite (RouterSlot *slot, GstRTPBuffer *in)
{
  guint payload_len = gst_rtp_buffer_get_payload_len (in);
  guint8 csrc_count = gst_rtp_buffer_get_csrc_count (in);
  guint8 padding = 0;
  GstRTPBuffer out = GST_RTP_BUFFER_INIT;
  GstBuffer *buffer;

  if (gst_rtp_buffer_get_padding (in))
    padding = (guint8) (gst_buffer_get_size (in->buffer)
                        - gst_rtp_buffer_get_header_len (in) - payload_len);

  buffer = gst_rtp_buffer_new_allocate (payload_len, padding, csrc_count);
  gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &out);
  gst_rtp_buffer_set_marker (&out, gst_rtp_buffer_get_marker (in));
  gst_rtp_buffer_set_payload_type (
      &out, slot->pt >= 0 ? (guint8) slot->pt : gst_rtp_buffer_get_payload_type (in));
  gst_rtp_buffer_set_seq (&out, gst_rtp_buffer_get_seq (in) + slot->seq_delta);
  gst_rtp_buffer_set_timestamp (&out, gst_rtp_buffer_get_timestamp (in) + slot->ts_delta);
  gst_rtp_buffer_set_ssrc (&out, slot->ssrc);
  for (guint8 i = 0; i < csrc_count; i++)
    gst_rtp_buffer_set_csrc (&out, i, gst_rtp_buffer_get_csrc (in, i));
  memcpy (gst_rtp_buffer_get_payload (&out), gst_rtp_buffer_get_payload (in),
          payload_len);
  if (slot->simulcast)
    {
      /* The simulcast switcher's own rewriting, picture ids included. */
      GstMapInfo info;

      gst_rtp_buffer_set_seq (&out, gst_rtp_buffer_get_seq (in));
      gst_rtp_buffer_set_timestamp (&out, gst_rtp_buffer_get_timestamp (in));
      gst_rtp_buffer_unmap (&out);
      gst_buffer_map (buffer, &info, GST_MAP_WRITE);
      router_simulcast_rewrite (&slot->sc, info.data, info.size);
      gst_buffer_unmap (buffer, &info);
      return buffer;
    }
  gst_rtp_buffer_unmap (&out);
  return buffer;
}

/* The slot starts carrying a stream (the first one, or another one after
 * a switch): it continues its own sequence and timeline, so the
 * subscriber sees one uninterrupted stream. */
static void
slot_restart (RouterSlot *slot, RouterStream *stream, guint16 seq, guint32 rtp_time,
              gint64 now_us)
{
  guint16 next_seq;
  guint32 next_ts;

  if (slot->started)
    {
      guint64 elapsed = (guint64) MAX (now_us - slot->last_time_us, 0);

      next_seq = slot->last_seq + 1;
      next_ts = slot->last_ts
                + MAX ((guint32) (elapsed * stream->clock_rate / G_USEC_PER_SEC), 1);
    }
  else
    {
      next_seq = g_random_int () & 0x7fff;
      next_ts = g_random_int ();
    }
  slot->seq_delta = next_seq - seq;
  slot->ts_delta = next_ts - rtp_time;
  slot->in_ssrc = stream->ssrc;
  slot->first_in_seq = seq;
  slot->last_seq = next_seq - 1;
  slot->last_ts = next_ts;
  slot->last_time_us = now_us;
  slot->started = TRUE;
}

GstBuffer *
router_slot_forward (RouterSlot *slot, RouterStream *stream, GstRTPBuffer *rtp,
                     gboolean keyframe, gint64 now_us)
{
  guint16 seq = gst_rtp_buffer_get_seq (rtp);
  guint32 rtp_time = gst_rtp_buffer_get_timestamp (rtp);
  guint16 out_seq;

  if (!slot->subscriber->sending
      || slot->subscriber->pads[CONVOKE_ROUTER_PAD_SEND_RTP] == NULL)
    return NULL;
  /* Its source stopped sending layers: the slot's own state, which the
   * switcher kept up to date, goes on from where it left. */
  slot->simulcast = FALSE;
  /* A decoder cannot start from a delta frame. */
  if (slot->need_keyframe)
    {
      if (!keyframe)
        return NULL;
      slot->need_keyframe = FALSE;
    }
  if (!slot->started || slot->in_ssrc != stream->ssrc)
    slot_restart (slot, stream, seq, rtp_time, now_us);

  out_seq = seq + slot->seq_delta;
  if ((gint16) (out_seq - slot->last_seq) > 0)
    {
      slot->last_seq = out_seq;
      slot->last_ts = rtp_time + slot->ts_delta;
      slot->last_time_us = now_us;
    }
  slot->packet_count++;
  slot->octet_count += gst_rtp_buffer_get_payload_len (rtp);
  slot->subscriber->retransmit_budget
      = MIN (slot->subscriber->retransmit_budget
                 + gst_buffer_get_size (rtp->buffer) / RETRANSMIT_SHARE,
             RETRANSMIT_BURST_BYTES);
  return router_slot_rewrite (slot, rtp);
}

GstBuffer *
router_slot_resend (RouterSlot *slot, GstBuffer *cached)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstRTPBuffer original = GST_RTP_BUFFER_INIT;
  GstBuffer *again, *rtx;

  if (!gst_rtp_buffer_map (cached, GST_MAP_READ, &rtp))
    return NULL;
  again = router_slot_rewrite (slot, &rtp);
  gst_rtp_buffer_unmap (&rtp);
  if (slot->rtx_pt < 0)
    return again;
  gst_rtp_buffer_map (again, GST_MAP_READ, &original);
  rtx = router_rtx_wrap (&original, slot->rtx_ssrc, (guint8) slot->rtx_pt, slot->rtx_seq++);
  gst_rtp_buffer_unmap (&original);
  gst_buffer_unref (again);
  return rtx;
}
