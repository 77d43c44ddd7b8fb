/* Which packets of a publisher's video stream the router has not received
 * and should ask for again with a generic NACK (RFC 4585): the uplink half
 * of loss repair. The downlink half answers subscribers' NACKs from the
 * retransmission cache (router-table-rtcp.c).
 *
 * Plain data, no GStreamer and no locking: the router calls these with its
 * routing lock held, on the publisher's streaming thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* At most this many sequence numbers are tracked; when more are missing,
 * the oldest are given up (a key frame request repairs that much loss
 * faster than retransmission). */
#define ROUTER_LOSS_MAX_MISSING 64
/* A jump of more than this is a restart or an outage, not loss to repair. */
#define ROUTER_LOSS_MAX_GAP 100
/* Each missing packet is asked for at most this often, this far apart
 * (about one round trip on a slow link; no RTT to the publisher is known). */
#define ROUTER_LOSS_MAX_TRIES 3
#define ROUTER_LOSS_RETRY_US (100 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  guint16 seq;
  guint8 tries;
  gint64 next_us; /* when to ask (again) */
} RouterMissingPacket;

typedef struct
{
  gboolean started;
  guint16 highest;
  guint n_missing;
  RouterMissingPacket missing[ROUTER_LOSS_MAX_MISSING]; /* oldest first */
  guint64 recovered; /* missing packets that arrived after all */
  guint64 given_up;  /* asked for ROUTER_LOSS_MAX_TRIES times, or evicted */
} RouterLossTracker;

void router_loss_tracker_init (RouterLossTracker *tracker);
/* Notes the arrival of @seq: gaps before it become missing, and a missing
 * one that arrives late or retransmitted is recovered. */
void router_loss_tracker_packet (RouterLossTracker *tracker, guint16 seq,
                                     gint64 now_us);
/* Fills @seqs (room for @max) with the sequence numbers to NACK now, in
 * ascending order, and schedules their next try. Returns how many. */
guint router_loss_tracker_due (RouterLossTracker *tracker, gint64 now_us, guint16 *seqs,
                               guint max);

G_END_DECLS
