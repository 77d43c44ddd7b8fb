/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-rtp.h"

#include "router-simulcast.h"

/* A jump this large is a restarted sender, not loss (RFC 3550 A.1). */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100

RouterCodec
router_codec_from_name (const char *encoding_name)
{
  if (encoding_name == NULL)
    return ROUTER_CODEC_OTHER;
  if (g_ascii_strcasecmp (encoding_name, "OPUS") == 0)
    return ROUTER_CODEC_OPUS;
  if (g_ascii_strcasecmp (encoding_name, "VP8") == 0)
    return ROUTER_CODEC_VP8;
  if (g_ascii_strcasecmp (encoding_name, "H264") == 0)
    return ROUTER_CODEC_H264;
  return ROUTER_CODEC_OTHER;
}

void
router_receive_stats_init (RouterReceiveStats *stats, guint32 clock_rate)
{
  memset (stats, 0, sizeof (*stats));
  stats->clock_rate = clock_rate;
}

void
router_receive_stats_update (RouterReceiveStats *stats, guint16 seq, guint32 rtp_time,
                             gint64 arrival_us)
{
  guint16 delta;
  guint32 arrival, transit, d;

  if (!stats->initialized)
    {
      stats->initialized = TRUE;
      stats->base_seq = seq;
      stats->max_seq = seq;
      stats->cycles = 0;
      stats->received = 0;
    }

  delta = seq - stats->max_seq;
  if (delta < MAX_DROPOUT)
    {
      if (seq < stats->max_seq)
        stats->cycles += 65536;
      stats->max_seq = seq;
    }
  else if (delta <= 65536 - MAX_MISORDER)
    {
      /* The sender restarted its sequence: count from here. */
      stats->base_seq = seq;
      stats->max_seq = seq;
      stats->cycles = 0;
      stats->received = 0;
      stats->expected_prior = 0;
      stats->received_prior = 0;
    }
  stats->received++;

  if (stats->clock_rate == 0)
    return;
  arrival = (guint32) ((guint64) arrival_us * stats->clock_rate / G_USEC_PER_SEC);
  transit = arrival - rtp_time;
  if (stats->have_transit)
    {
      d = transit - stats->transit;
      if ((gint32) d < 0)
        d = -d;
      stats->jitter_q4 += d - ((stats->jitter_q4 + 8) >> 4);
    }
  stats->transit = transit;
  stats->have_transit = TRUE;
}

void
router_receive_stats_sender_report (RouterReceiveStats *stats, guint64 ntp_time,
                                    gint64 arrival_us)
{
  stats->have_sr = TRUE;
  stats->last_sr_middle = (guint32) (ntp_time >> 16);
  stats->last_sr_arrival_us = arrival_us;
}

gboolean
router_receive_stats_report (RouterReceiveStats *stats, gint64 now_us,
                             RouterReportBlock *block)
{
  guint32 extended_max, expected, expected_interval, received_interval;
  gint64 lost, lost_interval;

  if (!stats->initialized)
    return FALSE;

  extended_max = stats->cycles + stats->max_seq;
  expected = extended_max - stats->base_seq + 1;
  lost = (gint64) expected - stats->received;
  /* The field is a signed 24-bit number. */
  lost = CLAMP (lost, -0x800000, 0x7fffff);

  expected_interval = expected - stats->expected_prior;
  received_interval = stats->received - stats->received_prior;
  stats->expected_prior = expected;
  stats->received_prior = stats->received;
  lost_interval = (gint64) expected_interval - received_interval;

  block->fraction_lost = 0;
  if (expected_interval > 0 && lost_interval > 0)
    block->fraction_lost = (guint8) MIN ((lost_interval << 8) / expected_interval, 255);
  block->cumulative_lost = (gint32) lost;
  block->extended_highest_seq = extended_max;
  block->jitter = stats->jitter_q4 >> 4;
  block->lsr = 0;
  block->dlsr = 0;
  if (stats->have_sr)
    {
      block->lsr = stats->last_sr_middle;
      block->dlsr
          = (guint32) ((now_us - stats->last_sr_arrival_us) * 65536 / G_USEC_PER_SEC);
    }
  return TRUE;
}

static gboolean
vp8_starts_keyframe (const guint8 *payload, gsize size)
{
  RouterVp8Descriptor vp8;

  return router_vp8_parse (payload, size, &vp8) && vp8.keyframe;
}

static gboolean
h264_nal_is_key (guint8 nal_type)
{
  return nal_type == 5 || nal_type == 7;
}

static gboolean
h264_starts_keyframe (const guint8 *payload, gsize size)
{
  guint8 nal_type = payload[0] & 0x1f;

  if (nal_type >= 1 && nal_type <= 23)
    return h264_nal_is_key (nal_type);

  if (nal_type == 24) /* STAP-A: 16-bit size, then the NAL unit */
    {
      gsize offset = 1;

      while (offset + 2 < size)
        {
          guint nal_size = router_read_be16 (payload + offset);

          offset += 2;
          if (nal_size == 0 || offset + nal_size > size)
            return FALSE;
          if (h264_nal_is_key (payload[offset] & 0x1f))
            return TRUE;
          offset += nal_size;
        }
      return FALSE;
    }

  if (nal_type == 28) /* FU-A: only its start fragment begins a NAL unit */
    return size >= 2 && (payload[1] & 0x80) && h264_nal_is_key (payload[1] & 0x1f);

  return FALSE;
}

gboolean
router_payload_starts_keyframe (RouterCodec codec, const guint8 *payload, gsize size)
{
  switch (codec)
    {
    case ROUTER_CODEC_VP8:
      return size > 0 && vp8_starts_keyframe (payload, size);
    case ROUTER_CODEC_H264:
      return size > 0 && h264_starts_keyframe (payload, size);
    default:
      return TRUE;
    }
}

void
router_retransmit_cache_init (RouterRetransmitCache *cache, guint size)
{
  cache->size = size;
  cache->packets = size ? g_new0 (GstBuffer *, size) : NULL;
  cache->seqs = size ? g_new0 (guint16, size) : NULL;
}

void
router_retransmit_cache_clear (RouterRetransmitCache *cache)
{
  for (guint i = 0; i < cache->size; i++)
    gst_clear_buffer (&cache->packets[i]);
  g_clear_pointer (&cache->packets, g_free);
  g_clear_pointer (&cache->seqs, g_free);
  cache->size = 0;
}

void
router_retransmit_cache_store (RouterRetransmitCache *cache, guint16 seq,
                               GstBuffer *packet)
{
  guint index;

  if (cache->size == 0)
    return;
  index = seq % cache->size;
  gst_buffer_replace (&cache->packets[index], packet);
  cache->seqs[index] = seq;
}

GstBuffer *
router_retransmit_cache_lookup (RouterRetransmitCache *cache, guint16 seq)
{
  guint index;

  if (cache->size == 0)
    return NULL;
  index = seq % cache->size;
  if (cache->packets[index] == NULL || cache->seqs[index] != seq)
    return NULL;
  return cache->packets[index];
}
