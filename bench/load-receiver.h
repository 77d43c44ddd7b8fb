/* What a browser's video receiver does with the packets of one stream,
 * short of decoding them: it asks again for what is missing, plays frames
 * out at a fixed delay after they were due, counts the ones it could have
 * shown and the freezes in between, and wants a key frame when a lost
 * frame broke the chain of references. The lossy-network benchmark
 * (bench/run-all --only lossy, docs/benchmarks.md) compares servers by
 * these figures, so both see the same receiver.
 *
 * The model, and why each part is there:
 * - A frame is the packets of one RTP timestamp. It is complete when the
 *   packet before its first one is known to belong to the previous frame,
 *   its marker packet arrived, and nothing in between is missing. Without
 *   the first check a frame whose first packets were lost would look whole.
 * - A frame is due at its RTP time on the stream's best (smallest) network
 *   delay seen, and plays LOAD_RECEIVER_PLAYOUT_DELAY_US later: like a
 *   browser's jitter buffer, a retransmission that comes back later than
 *   that is too late.
 * - A frame plays when it is complete by then, and is a key frame (VP8
 *   payload header P bit 0) or follows a frame that played: a delta frame
 *   after a hole cannot be decoded. After a hole the receiver wants a key
 *   frame (the caller sends a PLI) and shows nothing until one plays.
 * - Missing packets are NACKed when the packet after them arrives, and
 *   again every LOAD_RECEIVER_NACK_RETRY_US, at most LOAD_RECEIVER_NACK_TRIES
 *   times, as libwebrtc does; so a lost retransmission is not the end of it.
 * - A freeze is a gap between two frames played of more than the frame
 *   period plus 150 ms (the webrtc-stats definition, for a steady frame
 *   rate).
 *
 * Ownership and threads: plain state with no lock of its own; the owner
 * (a LoadPeer's receive state) serialises calls. No GStreamer: tests and
 * the load peer feed it packets as bytes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LOAD_RECEIVER_PLAYOUT_DELAY_US (200 * G_TIME_SPAN_MILLISECOND)
#define LOAD_RECEIVER_NACK_RETRY_US (60 * G_TIME_SPAN_MILLISECOND)
#define LOAD_RECEIVER_NACK_TRIES 3
#define LOAD_RECEIVER_FREEZE_EXTRA_US (150 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  guint64 frames_played;
  guint64 frames_dropped; /* due but incomplete, or after a hole */
  guint64 freezes;
  guint64 freeze_us; /* the freezes' gaps, summed */
  guint64 keyframes_wanted;
  guint64 nacks_resent; /* NACK retries (a sequence number asked again) */
  guint64 packets_too_late; /* first seen after their frame was played or dropped */
} LoadReceiverStats;

typedef struct _LoadReceiver LoadReceiver;

/* @clock_rate: the stream's RTP clock (90000 for video); @frame_period_us:
 * the sender's frame period, for the freeze threshold. */
LoadReceiver *load_receiver_new (guint clock_rate, gint64 frame_period_us);
void load_receiver_free (LoadReceiver *receiver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadReceiver, load_receiver_free)

/* What the caller should send after a packet. */
typedef struct
{
  guint16 nack[32]; /* sequence numbers to NACK now */
  guint n_nack;
  gboolean want_keyframe; /* send a PLI */
} LoadReceiverActions;

/* One RTP packet (whole, as received, after SRTP) at @now_us. */
void load_receiver_packet (LoadReceiver *receiver, const guint8 *rtp, gsize size,
                           gint64 now_us, LoadReceiverActions *actions);
/* Plays out (or drops) every frame due by @now_us. */
void load_receiver_advance (LoadReceiver *receiver, gint64 now_us);
void load_receiver_get_stats (LoadReceiver *receiver, LoadReceiverStats *stats);

G_END_DECLS
