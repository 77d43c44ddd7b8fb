/* Bandwidth estimation for one publisher's uplink, on the receiving side:
 * what the router tells the publisher in its REMB, so that it does not
 * send more than its link carries.
 *
 * Chromium publishers negotiate goog-remb and no transport-cc with us, so
 * their own estimate is loss-based only, plus our REMB. A loss-based
 * estimate does not see a rate cap with a queue in front of it: the queue
 * fills, delays everything by up to its length and then drops its tail,
 * a few percent, which GCC's loss controller holds at (2–10%). So the
 * router looks at the delay itself, after the delay-based half of GCC
 * (draft-ietf-rmcat-gcc section 5) but simpler, LEDBAT-like:
 *
 * - the relative one-way delay of a packet is its arrival time less its
 *   RTP timestamp (in µs); its absolute value means nothing (two clocks),
 *   its changes are queueing. The reference stream is the publisher's
 *   audio when it has some: steady 20 ms packets whose timestamps are
 *   sampling times; video timestamps are capture times and a frame's
 *   packets come in a burst.
 * - the baseline is the lowest delay over the last ROUTER_UPLINK_BASE_US,
 *   the queueing delay the lowest over the last ROUTER_UPLINK_RECENT_BUCKETS
 *   less the baseline. Minima, not medians: jitter only ever adds delay,
 *   a standing queue delays every packet, so the minimum of a fifth of a
 *   second is the queue without the jitter.
 * - overuse: queueing delay above ROUTER_UPLINK_QUEUE_US, or the uplink
 *   loss of a receiver report above ROUTER_UPLINK_LOSS_HIGH. The estimate
 *   becomes ROUTER_UPLINK_DECREASE × the incoming rate (for a queue, the
 *   rate it arrived at over the last 400 ms), never more than it was, at
 *   most once per ROUTER_UPLINK_DECREASE_INTERVAL_US, and within one
 *   overuse again only when the queue keeps growing.
 * - otherwise, with the queue under half the threshold (between half and
 *   all of it, it holds: the queue is filling or draining) and no high
 *   loss, it grows:
 *   by ROUTER_UPLINK_INCREASE_PER_S (multiplicative) far from the rate of
 *   the last overuse, and by ROUTER_UPLINK_ADDITIVE_PER_S of that rate
 *   (additive) near it, so that the link is not filled again at once.
 *
 * A publisher's own hiccups look like a queue too (a stall, then a
 * burst): hence a warm-up, a decrease undone when the queue is gone at
 * once, a decrease from the last second's average when the arrivals had
 * a gap, and a baseline that restarts under a queue no REMB drains (see
 * ROUTER_UPLINK_WARMUP_US, _REVERT_US, router_uplink_arrival_rate(),
 * _REBASE_US).
 *
 * Until the first overuse the estimate is unlimited (0); it becomes so
 * again when it grows past ROUTER_UPLINK_MAX_BPS.
 *
 * Ownership and locking: plain state embedded in its owner (the routing
 * table's participant), no references, no allocations, no lock of its
 * own; the owner serialises every call (the table calls it with its lock
 * held). No GStreamer: tests feed it numbers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Delay minima are kept per bucket of this long... */
#define ROUTER_UPLINK_BUCKET_US (50 * G_TIME_SPAN_MILLISECOND)
/* ...over the baseline window: long enough that a queue the estimate
 * drains (a second or two) does not become the baseline, short enough to
 * follow a route change and the drift between the publisher's clock and
 * ours (100 ppm is 1 ms in 10 s). */
#define ROUTER_UPLINK_BASE_US (10 * G_USEC_PER_SEC)
#define ROUTER_UPLINK_BUCKETS ((guint) (ROUTER_UPLINK_BASE_US / ROUTER_UPLINK_BUCKET_US))
/* The recent delay: the lowest of the last 150–200 ms (the current bucket
 * and three before it: eight audio packets or more, several video frames).
 * Longer would filter more jitter but see a growing queue later: the
 * minimum of a rising delay lags by the window. */
#define ROUTER_UPLINK_RECENT_BUCKETS 4
/* A standing queue above this is overuse. 40 ms: well above what the
 * recent minimum moves on a healthy path (a few ms, the
 * sender's pacer and our scheduling included), and a fifth of the 200 ms
 * a router's or shaper's tail-drop queue typically holds, so that the
 * publisher slows down long before the queue drops anything (at
 * 500 kbit/s, 40 ms is 2.5 kB, two video packets). GCC's adaptive
 * threshold settles between 6 and 600 ms; ours needs no adapting since
 * it is a queue, not a gradient. */
#define ROUTER_UPLINK_QUEUE_US (40 * G_TIME_SPAN_MILLISECOND)
/* Overuse is a queue above the threshold for this long (a bucket): the
 * recent minimum then spans 200 ms or more of delayed packets. A
 * publisher's own hiccup (its audio thread starved while the machine is
 * busy, then a burst) looks like a queue for as long as it lasts; a
 * shorter one does not count. */
#define ROUTER_UPLINK_CONFIRM_US ROUTER_UPLINK_BUCKET_US
/* Within one overuse (the queue above the threshold throughout), another
 * decrease only when the queue has grown by this much since the last:
 * a queue that holds or falls after a decrease is the publisher having
 * followed it (or a step in its clock, see ROUTER_UPLINK_REBASE_US), and
 * decreasing again would only cascade down to the floor as what arrives
 * follows each REMB. */
#define ROUTER_UPLINK_GROWING_US (10 * G_TIME_SPAN_MILLISECOND)
/* A queue that stays above half the threshold this long is no queue the
 * REMB can drain: a step in the publisher's timestamps against its
 * sending (a sender-side stall it never caught up with) or a longer
 * route. The history starts again from it. */
#define ROUTER_UPLINK_REBASE_US (5 * G_USEC_PER_SEC)
/* No delay-based overuse until the history is this old: a baseline of a
 * moment says little, and a call's first seconds (a browser starting,
 * its encoder settling) are its noisiest. Loss still counts. */
#define ROUTER_UPLINK_WARMUP_US (3 * G_USEC_PER_SEC)
/* A queue gone (under ROUTER_UPLINK_TRANSIENT_US) this soon after a
 * delay-based decrease was no congestion the publisher could have
 * followed yet (a REMB takes a round trip, its encoder a frame or more,
 * and a real queue drains at 15% of the link's rate): a burst of its own
 * after a stall. The decrease is undone. */
#define ROUTER_UPLINK_REVERT_US (300 * G_TIME_SPAN_MILLISECOND)
#define ROUTER_UPLINK_TRANSIENT_US (10 * G_TIME_SPAN_MILLISECOND)
/* GCC's loss threshold (section 6): random loss below it is the link's,
 * which NACKs repair; a queue dropping its tail is caught by the delay
 * first. */
#define ROUTER_UPLINK_LOSS_HIGH 0.10
/* A loss report counts this long. */
#define ROUTER_UPLINK_LOSS_TIMEOUT_US (3 * G_USEC_PER_SEC / 2)
/* What arrives while a queue stands is what the link carries: the rate
 * a delay-based decrease starts from is measured over this many whole
 * buckets before the decision (400 ms), rather than the last second's
 * average, which includes time the publisher sent less (between key
 * frames) or, when a cap has just come, more than the link takes. Not
 * when one of them got nothing: a link with a queue is busy and keeps
 * delivering, so that was a stall (of the publisher, the path or the
 * router, on a busy machine), and a rate over it would be far too low
 * (browser runs: a REMB of 87 kbit/s under a 500 kbit/s cap). */
#define ROUTER_UPLINK_RATE_BUCKETS 8
/* GCC's β: the estimate after overuse is this share of what arrives. */
#define ROUTER_UPLINK_DECREASE 0.85
/* At most one decrease per this long: about an RTT plus the time the
 * publisher's encoder takes to follow a REMB. */
#define ROUTER_UPLINK_DECREASE_INTERVAL_US (G_USEC_PER_SEC / 2)
/* Growth far from the last overuse: GCC's 8% a second. */
#define ROUTER_UPLINK_INCREASE_PER_S 0.08
/* Near it (between ROUTER_UPLINK_NEAR_LOW and _HIGH × its rate): 3% of
 * that rate a second. From 0.85 × the cap that is 5 s back to the cap,
 * and then about 1.5 s to fill a 40 ms queue with what exceeds it: an
 * overuse every 7 s or so, each caught at 40 ms of queue, long before a
 * 200 ms one drops audio. */
#define ROUTER_UPLINK_ADDITIVE_PER_S 0.03
#define ROUTER_UPLINK_NEAR_LOW 0.8
#define ROUTER_UPLINK_NEAR_HIGH 1.25
/* The estimate never goes below this: audio and a low simulcast layer. */
#define ROUTER_UPLINK_MIN_BPS 50000
/* Above this it is unlimited again: no publisher sends that much. */
#define ROUTER_UPLINK_MAX_BPS 20000000
/* A sample whose delay differs from the previous one by more than this
 * is a timestamp jump (a new stream, an encoder restart), not a queue:
 * the history starts again. */
#define ROUTER_UPLINK_JUMP_US (G_USEC_PER_SEC)

typedef struct
{
  /* The reference stream and its timestamps: @ext_ts is @last_ts
   * unwrapped, counted from the stream's first packet. */
  gboolean started;
  guint32 ssrc;
  guint clock_rate;
  guint32 last_ts;
  gint64 ext_ts;
  gint64 last_delay_us;
  gint64 history_since_us; /* the first arrival since the history (re)started */
  /* The lowest delay of each bucket (G_MAXINT64: none), a ring indexed by
   * bucket number; @newest: the newest bucket's number. */
  gint64 min_delay_us[ROUTER_UPLINK_BUCKETS];
  gint64 newest;
  /* Bytes of all the publisher's packets per bucket (a ring indexed by
   * bucket number, the current one too) and the newest bucket's number. */
  guint64 bytes[ROUTER_UPLINK_RATE_BUCKETS + 1];
  gint64 bytes_newest;
  /* The estimate (0: unlimited), and its state. */
  guint64 estimate_bps;
  guint64 overuse_bps; /* what arrived at the last overuse */
  gint64 last_decrease_us;
  gint64 queue_at_decrease_us;
  /* The estimate before the last decrease, while it may be undone (a
   * delay-based one, for ROUTER_UPLINK_REVERT_US); G_MAXUINT64: none. */
  guint64 before_decrease_bps;
  guint64 overuse_bps_before;
  /* Since when the queue is above the threshold (0: it is not); whether
   * this overuse was acted on; since when the queue is above half the
   * threshold (0: it is not). */
  gint64 delayed_since_us;
  gboolean in_overuse;
  gint64 queued_since_us;
  gint64 last_growth_us;
  guint64 overuses;
  guint64 reverted; /* of those, undone */
  /* The last loss report: its fraction, when, and whether acted on. */
  double loss;
  gint64 loss_us;
  gboolean loss_handled;
} RouterUplink;

void router_uplink_init (RouterUplink *u);

/* A packet of the reference stream @ssrc (RTP timestamp @rtp_ts, at
 * @clock_rate) arrived at @arrival_us. TRUE when it started a new bucket:
 * time for router_uplink_update(). */
gboolean router_uplink_packet (RouterUplink *u, guint32 ssrc, guint32 rtp_ts,
                               guint clock_rate, gint64 arrival_us);

/* A packet of @bytes from the publisher, any of its streams, arrived at
 * @arrival_us. */
void router_uplink_bytes (RouterUplink *u, gsize bytes, gint64 arrival_us);

/* What arrived over the ROUTER_UPLINK_RATE_BUCKETS whole buckets before
 * @now_us, in bits a second; 0 when one of them got nothing (a stall, or
 * no bytes are fed). */
guint64 router_uplink_arrival_rate (const RouterUplink *u, gint64 now_us);

/* The fraction (0–1) of the publisher's packets lost on the way, from the
 * receiver report the router sends it. FALSE (and ignored) when @loss is
 * not a fraction. */
gboolean router_uplink_loss (RouterUplink *u, double loss, gint64 now_us);

/* The queueing delay now (µs), -1 when no recent packet tells. */
gint64 router_uplink_queue_delay (const RouterUplink *u, gint64 now_us);

/* Decides, with @incoming_bps arriving from the publisher now. TRUE when
 * the estimate fell, or a decrease was undone: worth a REMB at once. */
gboolean router_uplink_update (RouterUplink *u, guint64 incoming_bps, gint64 now_us);

/* The estimate in bits a second, 0: unlimited. */
guint64 router_uplink_get (const RouterUplink *u);

G_END_DECLS
