/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-simulcast.h"

#define RTP_HEADER_SIZE 12
/* At 30 frames a second: the least a switch moves the timeline on, so
 * that the new layer's first frame never shares a timestamp with the old
 * layer's last (a receiver would take both for one frame). */
#define FRAME_RATE 30

static guint16
read_be16 (const guint8 *data)
{
  return (guint16) ((data[0] << 8) | data[1]);
}

static guint32
read_be32 (const guint8 *data)
{
  return ((guint32) data[0] << 24) | ((guint32) data[1] << 16) | ((guint32) data[2] << 8)
         | data[3];
}

static void
write_be16 (guint8 *data, guint16 value)
{
  data[0] = (guint8) (value >> 8);
  data[1] = (guint8) value;
}

static void
write_be32 (guint8 *data, guint32 value)
{
  data[0] = (guint8) (value >> 24);
  data[1] = (guint8) (value >> 16);
  data[2] = (guint8) (value >> 8);
  data[3] = (guint8) value;
}

/* Where the payload of an RTP packet starts and how long it is (padding
 * left out); FALSE when @packet is no RTP packet. */
static gboolean
rtp_payload (const guint8 *packet, gsize size, gsize *offset, gsize *length)
{
  gsize header;
  gsize padding = 0;

  if (size < RTP_HEADER_SIZE || (packet[0] >> 6) != 2)
    return FALSE;
  header = RTP_HEADER_SIZE + 4 * (gsize) (packet[0] & 0x0f);
  if (packet[0] & 0x10) /* X: a header extension */
    {
      if (size < header + 4)
        return FALSE;
      header += 4 + 4 * (gsize) read_be16 (packet + header + 2);
    }
  if (packet[0] & 0x20) /* P: the last byte counts the padding */
    padding = packet[size - 1];
  if (size < header + padding)
    return FALSE;
  *offset = header;
  *length = size - header - padding;
  return TRUE;
}

gboolean
router_vp8_parse (const guint8 *payload, gsize size, RouterVp8Descriptor *vp8)
{
  gsize offset = 1;

  *vp8 = (RouterVp8Descriptor){ 0 };
  if (size < 1)
    return FALSE;
  vp8->start = (payload[0] & 0x10) != 0;
  vp8->partition = payload[0] & 0x07;
  if (payload[0] & 0x80) /* X: the extension octet follows */
    {
      guint8 extension;

      if (size < 2)
        return FALSE;
      extension = payload[1];
      offset = 2;
      if (extension & 0x80) /* I: PictureID, 7 or 15 bits (M) */
        {
          if (size <= offset)
            return FALSE;
          vp8->picture_id_offset = offset;
          if (payload[offset] & 0x80)
            {
              if (size <= offset + 1)
                return FALSE;
              vp8->picture_id_bits = 15;
              vp8->picture_id = read_be16 (payload + offset) & 0x7fff;
              offset += 2;
            }
          else
            {
              vp8->picture_id_bits = 7;
              vp8->picture_id = payload[offset];
              offset += 1;
            }
        }
      if (extension & 0x40) /* L: TL0PICIDX */
        {
          if (size <= offset)
            return FALSE;
          vp8->tl0_offset = offset;
          vp8->tl0 = payload[offset];
          offset++;
        }
      if (extension & 0x30) /* T or K: one octet of TID/Y/KEYIDX */
        offset++;
    }
  if (size <= offset)
    return FALSE;
  vp8->header_offset = offset;
  /* The frame header, with its P bit, is only in the first packet of the
   * first partition. */
  vp8->keyframe = vp8->start && vp8->partition == 0 && (payload[offset] & 0x01) == 0;
  return TRUE;
}

void
router_simulcast_init (RouterSimulcast *sc, guint32 out_ssrc, guint32 clock_rate,
                       gboolean vp8)
{
  *sc = (RouterSimulcast){ 0 };
  sc->out_ssrc = out_ssrc;
  sc->clock_rate = clock_rate;
  sc->vp8 = vp8;
  sc->target = ROUTER_SIMULCAST_MAX_LAYERS - 1;
  sc->current = -1;
  sc->requested = -1;
}

static gboolean
layer_active (const RouterSimulcast *sc, guint layer, gint64 now_us)
{
  return sc->seen_us[layer] != 0
         && now_us - sc->seen_us[layer] < ROUTER_SIMULCAST_LAYER_TIMEOUT_US;
}

gint
router_simulcast_wanted_layer (const RouterSimulcast *sc, gint64 now_us)
{
  for (gint layer = (gint) sc->target; layer >= 0; layer--)
    if (layer_active (sc, (guint) layer, now_us))
      return layer;
  for (guint layer = sc->target + 1; layer < ROUTER_SIMULCAST_MAX_LAYERS; layer++)
    if (layer_active (sc, layer, now_us))
      return (gint) layer;
  return -1;
}

/* Whether to ask for a key frame of @wanted now: once when the wish
 * changes, then again every ROUTER_SIMULCAST_REQUEST_RETRY_US. The
 * publisher's own interval (router_stream_request_keyframe) merges what
 * several subscribers ask. */
static gboolean
should_request (RouterSimulcast *sc, gint wanted, gint64 now_us)
{
  if (wanted < 0 || wanted == sc->current)
    return FALSE;
  if (sc->requested == wanted
      && now_us - sc->requested_us < ROUTER_SIMULCAST_REQUEST_RETRY_US)
    return FALSE;
  sc->requested = wanted;
  sc->requested_us = now_us;
  return TRUE;
}

gint
router_simulcast_set_target (RouterSimulcast *sc, guint layer, gint64 now_us)
{
  gint wanted;

  sc->target = MIN (layer, ROUTER_SIMULCAST_MAX_LAYERS - 1);
  wanted = router_simulcast_wanted_layer (sc, now_us);
  return should_request (sc, wanted, now_us) ? wanted : -1;
}

void
router_simulcast_reset (RouterSimulcast *sc)
{
  sc->current = -1;
  sc->requested = -1;
}

/* Newer in a sequence space of 2^@bits: half the space ahead of @last. */
static gboolean
is_newer (guint32 value, guint32 last, guint bits)
{
  guint32 mask = (1u << bits) - 1;
  guint32 ahead = (value - last) & mask;

  return ahead != 0 && ahead < (1u << (bits - 1));
}

/* The packet starting a key frame of the layer to switch to: from here on
 * its packets continue the subscriber's sequence, timeline and picture
 * ids where the last forwarded packet left them. */
static void
start_run (RouterSimulcast *sc, guint layer, guint32 ssrc, guint16 seq, guint32 rtp_time,
           const RouterVp8Descriptor *vp8, gint64 now_us)
{
  guint16 next_seq;
  guint32 next_ts;

  if (sc->started)
    {
      guint64 elapsed = (guint64) MAX (now_us - sc->last_time_us, 0);
      guint32 ticks = (guint32) (elapsed * sc->clock_rate / G_USEC_PER_SEC);

      next_seq = sc->last_seq + 1;
      next_ts = sc->last_ts + MAX (ticks, MAX (sc->clock_rate / FRAME_RATE, 1));
    }
  else
    {
      /* Our own random start, as RFC 3550 asks, rather than the
       * publisher's: the subscriber learns nothing from it. */
      next_seq = (guint16) (g_random_int () & 0x7fff);
      next_ts = g_random_int ();
    }
  sc->seq_delta = next_seq - seq;
  sc->ts_delta = next_ts - rtp_time;
  sc->first_in_seq = seq;
  sc->last_seq = next_seq - 1;
  sc->last_ts = next_ts;
  sc->last_time_us = now_us;

  if (vp8 != NULL && vp8->picture_id_bits != 0)
    {
      guint16 mask = vp8->picture_id_bits == 15 ? 0x7fff : 0x7f;
      /* A first picture keeps its id; later ones follow the last sent. */
      guint16 next = sc->picture_id_bits != 0 ? (guint16) (sc->last_picture_id + 1)
                                              : vp8->picture_id;

      sc->picture_id_delta = (guint16) ((next - vp8->picture_id) & 0x7fff);
      sc->last_picture_id = (next - 1) & mask;
      sc->picture_id_bits = vp8->picture_id_bits;
    }
  if (vp8 != NULL && vp8->tl0_offset != 0)
    {
      guint8 next = sc->have_tl0 ? (guint8) (sc->last_tl0 + 1) : vp8->tl0;

      sc->tl0_delta = (guint8) (next - vp8->tl0);
      sc->last_tl0 = (guint8) (next - 1);
      sc->have_tl0 = TRUE;
    }
  sc->current = (gint) layer;
  sc->in_ssrc = ssrc;
  sc->requested = -1;
  sc->started = TRUE;
}

/* Keeps the newest values sent, which the next switch continues from. */
static void
note_forwarded (RouterSimulcast *sc, guint16 seq, guint32 rtp_time,
                const RouterVp8Descriptor *vp8, gint64 now_us)
{
  guint16 out_seq = seq + sc->seq_delta;

  if (is_newer (out_seq, sc->last_seq, 16))
    {
      sc->last_seq = out_seq;
      sc->last_ts = rtp_time + sc->ts_delta;
      sc->last_time_us = now_us;
    }
  if (vp8 == NULL)
    return;
  if (vp8->picture_id_bits != 0)
    {
      guint bits = vp8->picture_id_bits;
      guint16 mask = bits == 15 ? 0x7fff : 0x7f;
      guint16 out = (vp8->picture_id + sc->picture_id_delta) & mask;

      if (sc->picture_id_bits != bits)
        {
          sc->picture_id_bits = (guint8) bits;
          sc->last_picture_id = out;
        }
      else if (is_newer (out, sc->last_picture_id, bits))
        sc->last_picture_id = out;
    }
  if (vp8->tl0_offset != 0)
    {
      guint8 out = (guint8) (vp8->tl0 + sc->tl0_delta);

      if (!sc->have_tl0 || is_newer (out, sc->last_tl0, 8))
        sc->last_tl0 = out;
      sc->have_tl0 = TRUE;
    }
}

RouterSimulcastAction
router_simulcast_packet (RouterSimulcast *sc, guint layer, const guint8 *packet,
                         gsize size, gboolean keyframe, gint64 now_us)
{
  RouterSimulcastAction action = ROUTER_SIMULCAST_DROP;
  RouterVp8Descriptor vp8_storage, *vp8 = NULL;
  gsize offset, length;
  guint16 seq;
  guint32 rtp_time, ssrc;
  gint wanted;

  if (layer >= ROUTER_SIMULCAST_MAX_LAYERS
      || !rtp_payload (packet, size, &offset, &length))
    return ROUTER_SIMULCAST_DROP;
  seq = read_be16 (packet + 2);
  rtp_time = read_be32 (packet + 4);
  ssrc = read_be32 (packet + 8);
  if (sc->vp8)
    {
      if (!router_vp8_parse (packet + offset, length, &vp8_storage))
        return ROUTER_SIMULCAST_DROP;
      vp8 = &vp8_storage;
      keyframe = vp8->keyframe;
    }
  sc->seen_us[layer] = now_us;

  wanted = router_simulcast_wanted_layer (sc, now_us);
  if (wanted >= 0 && wanted != sc->current)
    {
      if ((guint) wanted == layer && keyframe)
        start_run (sc, layer, ssrc, seq, rtp_time, vp8, now_us);
      else if (should_request (sc, wanted, now_us))
        action |= ROUTER_SIMULCAST_REQUEST_KEYFRAME;
    }

  if (sc->current != (gint) layer)
    return action;
  if (ssrc != sc->in_ssrc)
    {
      /* The layer restarted with a new SSRC: another encoder, whose delta
       * frames mean nothing to the decoder until its next key frame. */
      if (keyframe)
        start_run (sc, layer, ssrc, seq, rtp_time, vp8, now_us);
      else
        {
          sc->current = -1;
          if (should_request (sc, (gint) layer, now_us))
            action |= ROUTER_SIMULCAST_REQUEST_KEYFRAME;
          return action;
        }
    }
  /* Reordered from before the key frame the run started with: its number
   * would fall among the previous layer's. */
  if ((gint16) (seq - sc->first_in_seq) < 0)
    return action;
  note_forwarded (sc, seq, rtp_time, vp8, now_us);
  return action | ROUTER_SIMULCAST_FORWARD;
}

gboolean
router_simulcast_rewrite (const RouterSimulcast *sc, guint8 *packet, gsize size)
{
  gsize offset, length;
  RouterVp8Descriptor vp8;

  if (!rtp_payload (packet, size, &offset, &length))
    return FALSE;
  write_be16 (packet + 2, read_be16 (packet + 2) + sc->seq_delta);
  write_be32 (packet + 4, read_be32 (packet + 4) + sc->ts_delta);
  write_be32 (packet + 8, sc->out_ssrc);
  if (!sc->vp8 || !router_vp8_parse (packet + offset, length, &vp8))
    return TRUE;
  if (vp8.picture_id_bits == 15)
    {
      guint16 id = (vp8.picture_id + sc->picture_id_delta) & 0x7fff;

      write_be16 (packet + offset + vp8.picture_id_offset, 0x8000 | id);
    }
  else if (vp8.picture_id_bits == 7)
    packet[offset + vp8.picture_id_offset]
        = (vp8.picture_id + sc->picture_id_delta) & 0x7f;
  if (vp8.tl0_offset != 0)
    packet[offset + vp8.tl0_offset] = (guint8) (vp8.tl0 + sc->tl0_delta);
  return TRUE;
}

gboolean
router_simulcast_original_seq (const RouterSimulcast *sc, guint16 out_seq,
                               guint16 *in_seq)
{
  guint16 seq = out_seq - sc->seq_delta;

  if (!sc->started || sc->current < 0 || (gint16) (seq - sc->first_in_seq) < 0
      || (gint16) (out_seq - sc->last_seq) > 0)
    return FALSE;
  *in_seq = seq;
  return TRUE;
}
