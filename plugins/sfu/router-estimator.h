/* Bandwidth estimation for one subscriber: how many bits a second its
 * link takes, and from that which simulcast layer each of its video
 * slots gets.
 *
 * Two signals, both RTCP the subscriber sends anyway: REMB
 * (draft-alvestrand-rmcat-remb, Chromium's receive-side delay-based
 * estimate, sent when goog-remb is negotiated and transport-cc is not),
 * and the fraction lost of its receiver report blocks, which drives a
 * loss controller after GCC (draft-ietf-rmcat-gcc section 6): above 10%
 * loss the estimate shrinks by half the loss, below 2% it grows, between
 * them it holds. The estimate is the lower of the two. What the router
 * forwards to the subscriber is the third input: a loss controller that
 * has never seen loss starts from it, and a REMB counts only when it is
 * clearly below it (see ROUTER_ESTIMATOR_REMB_CONGESTED).
 *
 * A subscriber held on a low layer shows no evidence that a higher one
 * would fit, so the loss controller probes: after a few seconds without
 * loss it aims at twice its estimate. Where the subscriber takes RTX
 * (@can_pad), the router first sends the difference as padding (RTX
 * copies of packets it already has, router_estimator_padding_bps()) for
 * ROUTER_ESTIMATOR_PROBE_PAD_US; only if no report shows loss (nor a REMB
 * congestion) by ROUTER_ESTIMATOR_PROBE_SETTLE_US after that does the
 * estimate take the new figure, and with it the next layer. Without RTX
 * the estimate takes it at once and the slot tries the next layer
 * itself. Either way a probe that brings loss (or a REMB below what is
 * forwarded) fails, and the next one waits twice as long.
 *
 * Ownership and locking: plain state embedded in its owner (the routing
 * table's participant, and for a layer choice its video slot), with no
 * references, no allocations and no lock of its own; the owner
 * serialises every call (the table calls it with its lock held). No
 * GStreamer: tests feed it numbers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "router-simulcast.h"

G_BEGIN_DECLS

/* No estimate: nothing limits the subscriber. */
#define ROUTER_ESTIMATOR_UNLIMITED G_MAXUINT64
/* The loss controller never goes below this: the lowest simulcast layer
 * Chromium sends is about 30–150 kbit/s, which the estimator gives every
 * slot whatever the estimate; a lower floor would only make the climb
 * back longer. */
#define ROUTER_ESTIMATOR_MIN_BPS 30000
/* Above this the loss controller stops counting: no room's layers come
 * near it, so it means unlimited again. */
#define ROUTER_ESTIMATOR_MAX_BPS 100000000
/* GCC's loss thresholds (draft-ietf-rmcat-gcc section 6). */
#define ROUTER_ESTIMATOR_LOSS_HIGH 0.10
#define ROUTER_ESTIMATOR_LOSS_LOW 0.02
/* Receiver reports are averaged over this long (weighted by the time
 * each covers) before the loss controller acts: about Chromium's regular
 * report interval, while its reports with NACKs come much more often. */
#define ROUTER_ESTIMATOR_LOSS_WINDOW_US (G_USEC_PER_SEC / 2)
/* Growth without loss, per second: GCC's 5% per report at a report or
 * two a second. */
#define ROUTER_ESTIMATOR_INCREASE_PER_S 0.08
/* Report blocks of several slots come together and each RR of a lossy
 * link says so: one decrease per this long, about an RTT plus
 * Chromium's RR interval, is one reaction to one congestion event. */
#define ROUTER_ESTIMATOR_DECREASE_INTERVAL_US (G_USEC_PER_SEC / 2)
/* A receiver report covers the second or so before it, so the one after
 * a decrease still counts the loss of the rate before it. For this long
 * after a decrease, while the router forwards no more than the estimate,
 * high loss cuts nothing more (browser runs behind a 300 kbit/s cap: each
 * stale report cut again, down to 30 kbit/s while the link carried 300,
 * and the climb back took longer than the cap). */
#define ROUTER_ESTIMATOR_STALE_LOSS_US (2 * G_USEC_PER_SEC)
/* A REMB is used while it is this recent. Chromium sends one at least
 * every second and at once when its estimate drops. */
#define ROUTER_ESTIMATOR_REMB_TIMEOUT_US (5 * G_USEC_PER_SEC)
/* Chromium's REMB follows what it receives: it never exceeds 1.5 × that
 * + 10 kbit/s (AimdRateControl), hovers around it while it grows, and
 * drops to 0.85 × it when its delay-based detector sees overuse. So a
 * REMB near or above what is forwarded says nothing of the link (taken
 * as a limit it would keep a subscriber on a low layer for ever), and
 * one below this share of it is congestion: it limits the estimate, the
 * loss controller restarts from it and a probe that led to it failed.
 * Below 0.85 rather than at it, since its one-second measurement and
 * ours see key frames at different times (on loopback, REMBs of 0.9 ×
 * what was forwarded came without any loss). And only a REMB lower than
 * the one before: after a switch up, what is forwarded jumps and the
 * REMB follows at its own pace (on loopback, 260 kbit/s rising while
 * 385 kbit/s went out), which is no congestion either. */
#define ROUTER_ESTIMATOR_REMB_CONGESTED 0.8
/* Up-probes: after this long without loss, and no sooner than the probe
 * wait after the last one, the loss estimate is multiplied by the probe
 * factor. The wait starts short, doubles (up to the maximum) when a
 * probe brings loss or a low REMB within the probe check time, and
 * shortens again after a probe that did not. From an estimate below
 * 50 kbit/s back to a 1 Mbit/s top layer (× 1.2 margin) that is four
 * probes and two up holds: 12 s in the router-estimator test, within the
 * 15 s a subscriber whose cap was lifted may take. */
#define ROUTER_ESTIMATOR_PROBE_AFTER_US (2 * G_USEC_PER_SEC)
#define ROUTER_ESTIMATOR_PROBE_FACTOR 2.0
#define ROUTER_ESTIMATOR_PROBE_WAIT_MIN_US (2 * G_USEC_PER_SEC)
#define ROUTER_ESTIMATOR_PROBE_WAIT_MAX_US (32 * G_USEC_PER_SEC)
#define ROUTER_ESTIMATOR_PROBE_CHECK_US (5 * G_USEC_PER_SEC)
/* A probe asks for at most this multiple of what is forwarded: enough for
 * the next layer up (Chromium's layers are 2–4 times apart), not the
 * 4–20 Mbit/s that doubling after doubling reached while a subscriber
 * took nothing more (browser runs behind a cap). */
#define ROUTER_ESTIMATOR_PROBE_REACH 4
/* A padding probe: padding for this long, then this long for the
 * receiver reports that cover it (Chromium sends one a second when
 * nothing is lost, and with every NACK when something is). Without
 * padding, under a 300 kbit/s cap each probe switched the subscriber to
 * the middle layer and back: a second of frozen picture and two key
 * frames (browser-group-capped-subscriber). */
#define ROUTER_ESTIMATOR_PROBE_PAD_US (G_USEC_PER_SEC / 2)
/* A padding probe that fails costs the loss of one short overflow, not a
 * switch of layers and back: the wait after failures stops at this, not
 * at ROUTER_ESTIMATOR_PROBE_WAIT_MAX_US, so that a subscriber whose cap is
 * lifted finds out within seconds. */
#define ROUTER_ESTIMATOR_PAD_WAIT_MAX_US (6 * G_USEC_PER_SEC)
/* Where the router can pad, the estimate without loss is at least this
 * multiple of what is forwarded, and grows no further on its own; more
 * must be shown by a padding probe. */
#define ROUTER_ESTIMATOR_GROWTH_REACH 1.5
/* A padding probe asks for this much more than the next layer needs: a
 * layer still ramping up measures more by the time the probe is judged
 * (seen: seven probes in a row, each short of the middle layer by a few
 * percent as its rate grew). */
#define ROUTER_ESTIMATOR_PROBE_HEADROOM 1.15
/* The loss of the RTX stream (padding, and retransmissions, which a lossy
 * link loses like anything else) above which a padding probe failed. */
#define ROUTER_ESTIMATOR_PAD_LOSS_MAX 0.10
#define ROUTER_ESTIMATOR_PROBE_SETTLE_US (G_USEC_PER_SEC)

/* Layer choice. A slot keeps its layer while the budget covers this
 * share of the layer's rate: rates measured over one second move by a
 * few percent with key frames, which must not switch anybody, while the
 * loss controller's smallest decrease (just above 10% loss) is 5% of
 * what is sent, which must. */
#define ROUTER_ESTIMATOR_KEEP_FACTOR 0.95
/* A slot goes up only to a layer whose rate × this fits, and only once
 * one has fitted for the up hold: a key frame costs the publisher and a
 * switch that is undone at the next report helps nobody. */
#define ROUTER_ESTIMATOR_UP_MARGIN 1.2
#define ROUTER_ESTIMATOR_UP_HOLD_US (2 * G_USEC_PER_SEC)

/* One subscriber's estimate. */
typedef struct
{
  /* The last REMB (0: none) and when; @remb_limits: it said congestion
   * (ROUTER_ESTIMATOR_REMB_CONGESTED), so it limits. */
  guint64 remb_bps;
  gint64 remb_us;
  gboolean remb_limits;
  /* The loss controller's estimate, 0: unlimited (no loss seen yet). */
  guint64 loss_bps;
  gint64 last_update_us;
  /* The reports of the window being filled: loss × time, and time. */
  double window_loss_us;
  gint64 window_us;
  gint64 last_decrease_us;
  /* Since when loss has been low (0: it is not). */
  gint64 low_since_us;
  /* Up-probes: when the last one was made (0: none being checked), the
   * earliest time for the next, and the wait after it. */
  gint64 probe_us;
  gint64 next_probe_us;
  gint64 probe_wait_us;
  /* Whether the router can pad for this subscriber (the owner sets it);
   * the padding probe under way: the estimate it tries (0: none), until
   * when padding goes out and when it is judged. */
  gboolean can_pad;
  /* What the next layer up needs (the owner sets it; 0: no slot can go
   * up): a padding probe tries exactly that, and there is none at 0. */
  guint64 probe_want_bps;
  guint64 probe_target_bps;
  gint64 probe_pad_until_us;
  gint64 probe_verdict_us;
} RouterEstimator;

void router_estimator_init (RouterEstimator *e);

/* A REMB of @bps from the subscriber while @forwarded_bps went to it.
 * FALSE (and ignored) when @bps is 0. */
gboolean router_estimator_remb (RouterEstimator *e, guint64 bps, guint64 forwarded_bps,
                                gint64 now_us);

/* The fraction (0–1) of the subscriber's packets lost, from its
 * receiver report, while @forwarded_bps went to it. FALSE (and ignored)
 * when @loss is not a fraction. */
gboolean router_estimator_loss (RouterEstimator *e, double loss, guint64 forwarded_bps,
                                gint64 now_us);

/* The fraction (0-1) lost of the subscriber's RTX stream, which carries
 * the padding: above ROUTER_ESTIMATOR_PAD_LOSS_MAX while a padding probe
 * is under way, the probe failed. FALSE (and ignored) when @loss is not
 * a fraction. */
gboolean router_estimator_padding_loss (RouterEstimator *e, double loss, gint64 now_us);

/* The estimate now, ROUTER_ESTIMATOR_UNLIMITED when nothing limits it. */
guint64 router_estimator_get (const RouterEstimator *e, gint64 now_us);

/* Time passes: a padding probe whose settle time is over without loss
 * succeeds (the estimate takes its target). Call it with every update. */
void router_estimator_tick (RouterEstimator *e, gint64 now_us);

/* The padding (bit/s) the router should add to the @forwarded_bps it
 * sends the subscriber now: 0 unless a padding probe is under way. */
guint64 router_estimator_padding_bps (const RouterEstimator *e, guint64 forwarded_bps,
                                      gint64 now_us);

/* What the estimator lets one video slot have. */
typedef struct
{
  /* The layer it may have (ROUTER_SIMULCAST_MAX_LAYERS - 1: any), and
   * since when a higher one has fitted (0: none). */
  guint layer;
  gint64 up_since_us;
} RouterLayerChoice;

void router_layer_choice_init (RouterLayerChoice *choice);

/* One simulcast slot as the allocation sees it. */
typedef struct
{
  RouterLayerChoice *choice;
  /* The highest layer the subscriber asked for (its set-slot-layer). */
  guint ceiling;
  /* Each layer's measured rate; 0: it sends nothing (not a candidate,
   * except layer 0, which every slot keeps). */
  guint64 layer_bps[ROUTER_SIMULCAST_MAX_LAYERS];
  /* Set by router_estimator_allocate: the layer the budget has room
   * for, before the hysteresis. */
  guint fit;
} RouterLayerDemand;

/* Shares @budget_bps (the estimate less what is not simulcast video,
 * ROUTER_ESTIMATOR_UNLIMITED: no limit) among @n slots: each gets its
 * lowest layer, then, layer by layer and slot by slot, the next one while
 * it fits, with ROUTER_ESTIMATOR_KEEP_FACTOR for layers up to its current
 * one and ROUTER_ESTIMATOR_UP_MARGIN above; a slot goes down at once and
 * up after ROUTER_ESTIMATOR_UP_HOLD_US. Never above a slot's ceiling;
 * a slot held only by its ceiling keeps its choice, so that raising the
 * ceiling takes effect at once. Returns how many slots' layers (the
 * lower of choice and ceiling) changed. */
guint router_estimator_allocate (guint64 budget_bps, RouterLayerDemand *slots, guint n,
                                 gint64 now_us);

/* Bitrate over one-second windows, for a layer or what a slot forwards. */
#define ROUTER_RATE_WINDOW_US G_USEC_PER_SEC

typedef struct
{
  gint64 window_start_us; /* 0: nothing counted yet */
  guint64 bytes;
  guint64 bps; /* of the last full window */
  gint64 bps_us; /* when that window ended */
} RouterRateMeter;

void router_rate_meter_add (RouterRateMeter *meter, gsize bytes, gint64 now_us);
/* The rate of the last full window; 0 when it ended more than two
 * windows ago (the stream stopped). */
guint64 router_rate_meter_get (const RouterRateMeter *meter, gint64 now_us);

G_END_DECLS
