/* RTP-side helpers of convokerouter: receive statistics for receiver
 * reports, keyframe detection and the retransmission cache.
 *
 * None of these lock: the router calls them with its routing lock held.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  ROUTER_CODEC_OTHER,
  ROUTER_CODEC_OPUS,
  ROUTER_CODEC_VP8,
  ROUTER_CODEC_H264,
} RouterCodec;

RouterCodec router_codec_from_name (const char *encoding_name);

/* Big-endian access to packet bytes at any alignment. GST_READ_UINT16_BE
 * and friends become plain (misaligned, undefined) loads on x86. */
static inline guint16
router_read_be16 (const guint8 *data)
{
  return (guint16) ((data[0] << 8) | data[1]);
}

static inline guint32
router_read_be32 (const guint8 *data)
{
  return ((guint32) data[0] << 24) | ((guint32) data[1] << 16) | ((guint32) data[2] << 8)
         | data[3];
}

static inline void
router_write_be32 (guint8 *data, guint32 value)
{
  data[0] = (guint8) (value >> 24);
  data[1] = (guint8) (value >> 16);
  data[2] = (guint8) (value >> 8);
  data[3] = (guint8) value;
}

/* RFC 3550 appendix A.1/A.8 bookkeeping for one incoming stream. */
typedef struct
{
  guint32 clock_rate;
  gboolean initialized;
  guint16 max_seq;
  guint32 cycles; /* count of sequence number wraps, times 65536 */
  guint32 base_seq;
  guint32 received;
  guint32 expected_prior;
  guint32 received_prior;
  gboolean have_transit;
  guint32 transit;
  guint32 jitter_q4; /* interarrival jitter in RTP units, times 16 */
  gboolean have_sr;
  guint32 last_sr_middle; /* middle 32 bits of the last SR's NTP time */
  gint64 last_sr_arrival_us;
} RouterReceiveStats;

typedef struct
{
  guint8 fraction_lost;
  gint32 cumulative_lost;
  guint32 extended_highest_seq;
  guint32 jitter;
  guint32 lsr;
  guint32 dlsr;
} RouterReportBlock;

void router_receive_stats_init (RouterReceiveStats *stats, guint32 clock_rate);
void router_receive_stats_update (RouterReceiveStats *stats, guint16 seq,
                                  guint32 rtp_time, gint64 arrival_us);
void router_receive_stats_sender_report (RouterReceiveStats *stats, guint64 ntp_time,
                                         gint64 arrival_us);
/* Fills @block and starts a new reporting interval. FALSE when no packet
 * arrived yet, so there is nothing to report. */
gboolean router_receive_stats_report (RouterReceiveStats *stats, gint64 now_us,
                                      RouterReportBlock *block);

/* Whether @payload (an RTP payload of @codec) starts a frame a decoder can
 * start from: a VP8 key frame's first partition, or an H.264 SPS or IDR.
 * Always TRUE for codecs it does not know, so nothing waits forever. */
gboolean router_payload_starts_keyframe (RouterCodec codec, const guint8 *payload,
                                         gsize size);

/* The last @size packets of a stream, indexed by sequence number, so a
 * NACK can be answered without asking the publisher. */
typedef struct
{
  guint size;
  GstBuffer **packets;
  guint16 *seqs;
} RouterRetransmitCache;

void router_retransmit_cache_init (RouterRetransmitCache *cache, guint size);
void router_retransmit_cache_clear (RouterRetransmitCache *cache);
/* Keeps a reference to @packet. */
void router_retransmit_cache_store (RouterRetransmitCache *cache, guint16 seq,
                                    GstBuffer *packet);
/* The stored packet with @seq, or NULL. Transfer none. */
GstBuffer *router_retransmit_cache_lookup (RouterRetransmitCache *cache, guint16 seq);

G_END_DECLS
