/* Per-subscriber bandwidth estimation (plugins/sfu/router-estimator.c) on
 * synthetic REMBs, losses and layer rates, and the REMB parser.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-estimator.h"
#include "router-rtcp.h"

#include <string.h>

#define S G_USEC_PER_SEC
/* A three-layer track, Chromium-like rates, and the audio beside it. */
static const guint64 rates[3] = { 100000, 300000, 1000000 };
#define AUDIO_BPS 40000

/* One subscriber with one simulcast slot. */
typedef struct
{
  RouterEstimator e;
  RouterLayerChoice choice;
  RouterLayerDemand demand;
  guint changes;
} Subscriber;

static void
subscriber_init (Subscriber *s, guint ceiling)
{
  router_estimator_init (&s->e);
  router_layer_choice_init (&s->choice);
  s->demand = (RouterLayerDemand){ &s->choice, ceiling, { rates[0], rates[1], rates[2] }, 0 };
  s->changes = 0;
}

/* The layer it gets: the estimator's choice under the subscriber's own. */
static guint
layer_of (const Subscriber *s)
{
  return MIN (s->choice.layer, s->demand.ceiling);
}

/* What it is sent: its layer and the audio. */
static guint64
forwarded (const Subscriber *s)
{
  return rates[layer_of (s)] + AUDIO_BPS;
}

static void
allocate (Subscriber *s, gint64 now_us)
{
  guint64 estimate = router_estimator_get (&s->e, now_us);
  guint64 budget = estimate == ROUTER_ESTIMATOR_UNLIMITED
                       ? estimate
                       : estimate - MIN (estimate, AUDIO_BPS);

  s->changes += router_estimator_allocate (budget, &s->demand, 1, now_us);
}

static void
report_loss (Subscriber *s, double loss, gint64 now_us)
{
  g_assert_true (router_estimator_loss (&s->e, loss, forwarded (s), now_us));
  allocate (s, now_us);
}

static void
report_remb (Subscriber *s, guint64 bps, gint64 now_us)
{
  g_assert_true (router_estimator_remb (&s->e, bps, forwarded (s), now_us));
  allocate (s, now_us);
}

static void
test_unlimited_at_first (void)
{
  Subscriber s;

  subscriber_init (&s, 2);
  g_assert_cmpuint (router_estimator_get (&s.e, 1 * S), ==, ROUTER_ESTIMATOR_UNLIMITED);
  /* No loss, and a REMB well above what it gets (Chromium's 1.5 × what
   * it receives): the top layer, at once. */
  report_loss (&s, 0.0, 1 * S);
  report_remb (&s, forwarded (&s) * 3 / 2, 1 * S);
  g_assert_cmpuint (layer_of (&s), ==, 2);
  g_assert_cmpuint (router_estimator_get (&s.e, 1 * S), ==, ROUTER_ESTIMATOR_UNLIMITED);
  g_assert_cmpuint (s.changes, ==, 0);
}

static void
test_remb_falling (void)
{
  Subscriber s;

  subscriber_init (&s, 2);
  report_loss (&s, 0.0, 1 * S);
  g_assert_cmpuint (layer_of (&s), ==, 2);
  /* Below what the top layer takes: down within that one report. */
  report_remb (&s, 800000, 2 * S);
  g_assert_cmpuint (router_estimator_get (&s.e, 2 * S), ==, 800000);
  g_assert_cmpuint (layer_of (&s), ==, 1);
  /* Lower still: the lowest layer, which it always keeps. */
  report_remb (&s, 120000, 3 * S);
  g_assert_cmpuint (layer_of (&s), ==, 0);
  report_remb (&s, 10000, 4 * S);
  g_assert_cmpuint (layer_of (&s), ==, 0);
  g_assert_cmpuint (s.changes, ==, 2);
}

static void
test_loss (void)
{
  Subscriber s;

  subscriber_init (&s, 2);
  /* Loss between 2% and 10% holds. */
  report_loss (&s, 0.05, 1 * S);
  report_loss (&s, 0.09, 2 * S);
  g_assert_cmpuint (layer_of (&s), ==, 2);
  g_assert_cmpuint (router_estimator_get (&s.e, 2 * S), ==, ROUTER_ESTIMATOR_UNLIMITED);
  /* 20%: what got through, 0.8 × what is sent, less than the top layer
   * needs. */
  report_loss (&s, 0.20, 3 * S);
  g_assert_cmpuint (router_estimator_get (&s.e, 3 * S), ==, (rates[2] + AUDIO_BPS) * 8 / 10);
  g_assert_cmpuint (layer_of (&s), ==, 1);
  /* Reports in the same congestion event do not count twice. */
  report_loss (&s, 0.20, 3 * S + S / 10);
  g_assert_cmpuint (router_estimator_get (&s.e, 3 * S), ==, (rates[2] + AUDIO_BPS) * 8 / 10);
  /* Sending less than the estimate, the next report's loss is taken for
   * the rate before the decrease... */
  report_loss (&s, 0.50, 4 * S);
  g_assert_cmpuint (router_estimator_get (&s.e, 4 * S), ==, (rates[2] + AUDIO_BPS) * 8 / 10);
  g_assert_cmpuint (layer_of (&s), ==, 1);
  /* ... until it has lasted ROUTER_ESTIMATOR_STALE_LOSS_US: then it
   * shrinks from what is sent, not from the estimate. */
  report_loss (&s, 0.50, 5 * S);
  g_assert_cmpuint (router_estimator_get (&s.e, 5 * S), ==, (rates[1] + AUDIO_BPS) / 2);
  g_assert_cmpuint (layer_of (&s), ==, 0);
  /* Not a fraction: ignored. */
  g_assert_false (router_estimator_loss (&s.e, -0.1, forwarded (&s), 6 * S));
  g_assert_false (router_estimator_loss (&s.e, 1.5, forwarded (&s), 6 * S));
  g_assert_cmpuint (router_estimator_get (&s.e, 6 * S), ==, (rates[1] + AUDIO_BPS) / 2);
}

/* A cap below the top layer on a subscriber that had it: one report and
 * it is on the layer that fits, not two steps each waiting for a key
 * frame; the reports that follow, still counting the loss of the queue
 * that drains, cut nothing more; and once the link is clean again the
 * climb goes one layer at a time. */
static void
test_cap (void)
{
  Subscriber s;
  const guint64 cap = 300000;
  gint64 t;
  guint top_at = 0;

  subscriber_init (&s, 2);
  report_loss (&s, 0.0, 1 * S);
  g_assert_cmpuint (layer_of (&s), ==, 2);
  report_loss (&s, 1.0 - (double) cap / (double) forwarded (&s), 2 * S);
  g_assert_cmpuint (router_estimator_get (&s.e, 2 * S), <=, cap);
  g_assert_cmpuint (router_estimator_get (&s.e, 2 * S), >=, cap * 95 / 100);
  g_assert_cmpuint (layer_of (&s), ==, 0);
  report_loss (&s, 0.5, 3 * S);
  g_assert_cmpuint (router_estimator_get (&s.e, 3 * S), >=, cap * 95 / 100);
  /* The cap is lifted: no layer is skipped on the way up. */
  for (t = 4 * S; t < 40 * S && layer_of (&s) < 2; t += S / 2)
    {
      guint before = layer_of (&s);

      report_loss (&s, 0.0, t);
      g_assert_cmpuint (layer_of (&s), <=, before + 1);
      if (layer_of (&s) == 2)
        top_at = (guint) (t / S);
    }
  g_assert_cmpuint (layer_of (&s), ==, 2);
  g_test_message ("on the top layer again at %u s", top_at);
}

/* Chromium sends a receiver report with every NACK: behind a cap they
 * come tens of milliseconds apart, their loss swinging between 0 and
 * 85%. The controller acts on their average over a window, not on one
 * sliver (one of 85% once took a subscriber to 90 kbit/s under a
 * 300 kbit/s cap). */
static void
test_report_slivers (void)
{
  Subscriber s;
  gint64 t = 1 * S;
  guint64 sent, estimate;

  subscriber_init (&s, 2);
  report_loss (&s, 0.0, t);
  sent = forwarded (&s);
  for (guint i = 1; i <= 40; i++)
    report_loss (&s, i % 2 ? 0.85 : 0.0, t + i * 15 * G_TIME_SPAN_MILLISECOND);
  estimate = router_estimator_get (&s.e, t + S);
  g_test_message ("estimate %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " sent", estimate, sent);
  /* About half got through: neither 15% (one sliver) nor unlimited. */
  g_assert_cmpuint (estimate, >=, sent * 45 / 100);
  g_assert_cmpuint (estimate, <=, sent * 65 / 100);
}

/* A cap that made the subscriber's link lossy is lifted at @lifted_us:
 * reports every second without loss. The time at which it is back on
 * the top layer. */
static gint64
climb_back (Subscriber *s, gint64 lifted_us)
{
  for (gint64 t = lifted_us; t < lifted_us + 60 * S; t += S)
    {
      report_loss (s, 0.0, t);
      if (layer_of (s) == 2)
        return t;
    }
  return -1;
}

static void
test_recovery (void)
{
  Subscriber s;
  gint64 t = 0, back;

  subscriber_init (&s, 2);
  /* A cap: 25% loss until it is on its lowest layer, and for ten seconds
   * more, which brings the estimate well below the lowest layer. */
  for (t = 1 * S; layer_of (&s) > 0; t += S)
    report_loss (&s, 0.25, t);
  g_assert_cmpuint (router_estimator_get (&s.e, t), <, rates[1]);
  for (gint64 end = t + 10 * S; t < end; t += S)
    report_loss (&s, 0.25, t);
  g_assert_cmpuint (layer_of (&s), ==, 0);
  g_assert_cmpuint (router_estimator_get (&s.e, t), <, rates[0] / 2);
  back = climb_back (&s, t);
  g_test_message ("back on the top layer %.0f s after the cap was lifted",
                  (double) (back - t) / S);
  g_assert_cmpint (back, >, t);
  g_assert_cmpint (back - t, <=, 15 * S);
  /* Down twice, then up through the middle layer. */
  g_assert_cmpuint (s.changes, ==, 4);
}

/* Chromium's REMB follows what it receives, a little above or below
 * (seen on loopback: 0.9 to 1.5 times what was forwarded, with no
 * loss). That is no congestion: a subscriber on a low layer still
 * climbs, and one on the top layer stays. */
static void
test_remb_noise (void)
{
  static const double ratios[] = { 0.9, 1.0, 1.1, 0.95, 1.3, 1.5, 0.85 };
  Subscriber s;
  gint64 t = 1 * S;
  guint i = 0;

  subscriber_init (&s, 2);
  for (; t < 30 * S; t += S / 5, i++)
    {
      report_remb (&s, (guint64) (forwarded (&s) * ratios[i % G_N_ELEMENTS (ratios)]), t);
      if (i % 5 == 0)
        report_loss (&s, 0.0, t);
    }
  g_assert_cmpuint (layer_of (&s), ==, 2);
  g_assert_cmpuint (s.changes, ==, 0);

  /* Held low by loss, then a clean link with such REMBs. */
  for (gint64 end = t + 5 * S; t < end; t += S)
    report_loss (&s, 0.3, t);
  g_assert_cmpuint (layer_of (&s), ==, 0);
  for (gint64 lifted = t; layer_of (&s) < 2; t += S / 5, i++)
    {
      report_remb (&s, (guint64) (forwarded (&s) * ratios[i % G_N_ELEMENTS (ratios)]), t);
      if (i % 5 == 0)
        report_loss (&s, 0.0, t);
      g_assert_cmpint (t - lifted, <=, 15 * S);
    }
}

/* After a switch up the forwarded rate jumps and Chromium's REMB follows
 * at its own pace, far below it but rising: no reason to go back down.
 * A REMB that then falls is congestion. */
static void
test_remb_lagging (void)
{
  Subscriber s;
  guint64 remb = 150000;
  gint64 t = 1 * S;

  /* On the lowest layer, which it asked for, then on the top one. */
  subscriber_init (&s, 0);
  report_remb (&s, remb, t);
  s.demand.ceiling = 2;
  allocate (&s, t);
  g_assert_cmpuint (layer_of (&s), ==, 2);
  g_assert_cmpuint (forwarded (&s), >, remb * 5);
  for (; t < 10 * S; t += S / 5)
    {
      remb = remb * 102 / 100;
      report_remb (&s, remb, t);
      g_assert_cmpuint (layer_of (&s), ==, 2);
    }
  report_remb (&s, remb * 9 / 10, t);
  g_assert_cmpuint (layer_of (&s), <, 2);
}

static void
test_probe_backoff (void)
{
  Subscriber s;
  gint64 t = 1 * S, first_wait;

  subscriber_init (&s, 2);
  report_loss (&s, 0.30, t);
  g_assert_cmpuint (layer_of (&s), <, 2);
  first_wait = s.e.probe_wait_us;
  g_assert_cmpint (first_wait, ==, ROUTER_ESTIMATOR_PROBE_WAIT_MIN_US);
  /* No loss until a probe. */
  while (s.e.probe_us == 0)
    {
      t += S;
      report_loss (&s, 0.0, t);
      g_assert_cmpint (t, <, 10 * S);
    }
  /* The probe brought loss: the next one waits twice as long. */
  t += S;
  report_loss (&s, 0.30, t);
  g_assert_cmpint (s.e.probe_wait_us, ==, 2 * first_wait);
  g_assert_cmpint (s.e.next_probe_us, ==, t + 2 * first_wait);
  /* And again. */
  while (s.e.probe_us == 0)
    {
      t += S;
      report_loss (&s, 0.0, t);
      g_assert_cmpint (t, <, 30 * S);
    }
  t += S;
  report_remb (&s, forwarded (&s) / 2, t); /* a REMB below what is sent counts too */
  g_assert_cmpint (s.e.probe_wait_us, ==, 4 * first_wait);
  /* A probe that holds brings the wait back. */
  while (s.e.probe_us == 0)
    {
      t += S;
      report_loss (&s, 0.0, t);
      g_assert_cmpint (t, <, 60 * S);
    }
  for (guint i = 0; i < 6; i++)
    {
      t += S;
      report_loss (&s, 0.0, t);
    }
  g_assert_cmpint (s.e.probe_wait_us, ==, first_wait);
}

/* What the router would set as the estimator's probe_want_bps: the
 * estimate at which the next layer up fits (audio, and its rate × the up
 * margin), 0 on the top layer. */
static guint64
next_layer_need (const Subscriber *s)
{
  guint layer = layer_of (s);

  if (layer + 1 > s->demand.ceiling || layer + 1 >= G_N_ELEMENTS (rates))
    return 0;
  return AUDIO_BPS + (guint64) (rates[layer + 1] * ROUTER_ESTIMATOR_UP_MARGIN);
}

/* A link of @cap_bps (0: none) as the reports a subscriber sends every
 * 250 ms show it. What did not fit is lost from the padding first, as a
 * queue drops it in browsers (it comes right after the media packet it
 * copies): the padding's RTX stream shows the loss, the media only what
 * the padding could not absorb. Returns the padding it was sent. */
static guint64
link_report (Subscriber *s, guint64 cap_bps, gint64 now_us)
{
  guint64 padding;

  s->e.probe_want_bps = next_layer_need (s);
  padding = router_estimator_padding_bps (&s->e, forwarded (s), now_us);
  guint64 sent = forwarded (s) + padding;
  guint64 excess = cap_bps != 0 && sent > cap_bps ? sent - cap_bps : 0;
  double loss = excess > padding ? (double) (excess - padding) / forwarded (s) : 0.0;

  if (padding > 0)
    g_assert_true (router_estimator_padding_loss (
        &s->e, (double) MIN (excess, padding) / padding, now_us));
  report_loss (s, loss, now_us);
  router_estimator_tick (&s->e, now_us);
  allocate (s, now_us);
  return padding;
}

/* Probing with padding: under a 300 kbit/s cap a subscriber on the low
 * layer stays there (each probe's padding is lost and the probe fails,
 * never the picture), and once the cap is lifted the padding gets through
 * and it climbs back, one layer at a time, within 15 s. */
static void
test_padding_probe (void)
{
  Subscriber s;
  const guint64 cap = 300000;
  guint64 padded = 0;
  guint probes = 0;
  gint64 t, lifted, above_at = 0, top_at = 0;

  subscriber_init (&s, 2);
  s.e.can_pad = TRUE;
  s.e.probe_want_bps = next_layer_need (&s);
  report_loss (&s, 0.0, 1 * S);
  g_assert_cmpuint (layer_of (&s), ==, 2);
  for (t = 2 * S; layer_of (&s) > 0; t += S / 4)
    {
      link_report (&s, cap, t);
      g_assert_cmpint (t, <, 5 * S);
    }
  /* 30 s under the cap: never off the low layer, though it probes. */
  for (gint64 end = t + 30 * S; t < end; t += S / 4)
    {
      guint64 padding = link_report (&s, cap, t);

      if (padding > 0 && padded == 0)
        probes++;
      padded = padding;
      g_assert_cmpuint (layer_of (&s), ==, 0);
    }
  g_test_message ("%u padding probes under the cap", probes);
  g_assert_cmpuint (probes, >=, 2);
  /* Lifted. */
  lifted = t;
  for (; t < lifted + 30 * S && layer_of (&s) < 2; t += S / 4)
    {
      guint before = layer_of (&s);

      link_report (&s, 0, t);
      g_assert_cmpuint (layer_of (&s), <=, before + 1);
      if (layer_of (&s) > 0 && above_at == 0)
        above_at = t;
      if (layer_of (&s) == 2)
        top_at = t;
    }
  g_test_message ("above the low layer %.2f s and on the top one %.2f s after the cap "
                  "was lifted",
                  (double) (above_at - lifted) / S, (double) (top_at - lifted) / S);
  g_assert_cmpint (above_at, >, lifted);
  g_assert_cmpint (above_at - lifted, <=, 15 * S);
  g_assert_cmpint (top_at, >, lifted);
  g_assert_cmpint (top_at - lifted, <=, 30 * S);
}

/* On its top layer, with an estimate that limits it, a subscriber that
 * could be padded is not: there is no layer to find room for, and
 * padding would only cost its link. The estimate follows what it is
 * sent (at most 1.5 × that) so that the layer's own growth never takes
 * it down. */
static void
test_no_padding_on_top (void)
{
  Subscriber s;
  gint64 t = 1 * S;

  subscriber_init (&s, 2);
  s.e.can_pad = TRUE;
  report_loss (&s, 0.0, t);
  /* Something limited the estimate to just what the top layer needs. */
  s.e.loss_bps = forwarded (&s) * 105 / 100;
  for (t = 2 * S; t < 30 * S; t += S / 4)
    {
      g_assert_cmpuint (link_report (&s, 0, t), ==, 0);
      g_assert_cmpuint (layer_of (&s), ==, 2);
    }
  g_assert_cmpuint (s.e.probe_target_bps, ==, 0);
  g_assert_cmpuint (router_estimator_get (&s.e, t), ==,
                    (guint64) (forwarded (&s) * ROUTER_ESTIMATOR_GROWTH_REACH));
}

/* After a decrease, what is forwarded is measured over a second that
 * still counts the layer just left: reports without loss in that time do
 * not take the estimate to 1.5 × that. */
static void
test_no_jump_after_decrease (void)
{
  Subscriber s;
  const guint64 top_forwarded = rates[2] + AUDIO_BPS;
  gint64 t = 1 * S;

  subscriber_init (&s, 2);
  s.e.can_pad = TRUE;
  report_loss (&s, 0.0, t);
  t += S;
  report_loss (&s, 0.8, t);
  g_assert_cmpuint (layer_of (&s), ==, 0);
  for (gint64 end = t + ROUTER_ESTIMATOR_STALE_LOSS_US - S / 4; t < end;)
    {
      t += S / 4;
      g_assert_true (router_estimator_loss (&s.e, 0.0, top_forwarded, t));
      g_assert_cmpuint (router_estimator_get (&s.e, t), <, rates[1]);
    }
}

/* The estimate stays where the top layer just fits or just does not,
 * while that layer's measured rate moves by a few percent: at most one
 * switch, never back and forth. */
static void
test_no_oscillation (void)
{
  static const guint64 top[] = { 980000, 1040000, 1000000, 1060000, 1020000 };
  RouterLayerChoice choice;
  RouterLayerDemand demand = { &choice, 2, { rates[0], rates[1], rates[2] }, 0 };
  guint changes = 0;

  for (guint64 budget = 900000; budget <= 1300000; budget += 50000)
    {
      router_layer_choice_init (&choice);
      changes = 0;
      for (guint i = 0; i < 120; i++)
        {
          demand.layer_bps[2] = top[i % G_N_ELEMENTS (top)];
          changes += router_estimator_allocate (budget, &demand, 1, (gint64) i * S / 2);
        }
      g_assert_cmpuint (changes, <=, 1);
    }
  /* A budget either side of what the middle layer takes (its rate ×
   * the keep factor): down once, and not up again, since going up needs
   * the margin. */
  router_layer_choice_init (&choice);
  demand.layer_bps[2] = rates[2];
  changes = 0;
  for (guint i = 0; i < 120; i++)
    changes += router_estimator_allocate (i % 2 ? 280000 : 340000, &demand, 1,
                                          (gint64) i * S / 2);
  g_assert_cmpuint (changes, ==, 2);
  g_assert_cmpuint (choice.layer, ==, 0);
}

static void
test_ceiling (void)
{
  Subscriber s;

  /* The subscriber asked for the middle layer: never more, however much
   * room there is. */
  subscriber_init (&s, 1);
  report_remb (&s, 5000000, 1 * S);
  for (gint64 t = 1 * S; t < 20 * S; t += S)
    {
      report_loss (&s, 0.0, t);
      g_assert_cmpuint (s.demand.fit, <=, 1);
      g_assert_cmpuint (layer_of (&s), ==, 1);
    }
  /* Held only by its ceiling, it goes up at once when that rises. */
  s.demand.ceiling = 2;
  allocate (&s, 20 * S);
  g_assert_cmpuint (layer_of (&s), ==, 2);
  /* The estimator brings it down, below the ceiling. */
  s.demand.ceiling = 2;
  report_remb (&s, 500000, 21 * S);
  g_assert_cmpuint (layer_of (&s), ==, 1);
}

static void
test_zero_remb (void)
{
  Subscriber s;

  subscriber_init (&s, 2);
  g_assert_false (router_estimator_remb (&s.e, 0, forwarded (&s), 1 * S));
  allocate (&s, 1 * S);
  g_assert_cmpuint (router_estimator_get (&s.e, 1 * S), ==, ROUTER_ESTIMATOR_UNLIMITED);
  g_assert_cmpuint (layer_of (&s), ==, 2);
  /* A REMB stops limiting once it is old. */
  report_remb (&s, 500000, 2 * S);
  g_assert_cmpuint (router_estimator_get (&s.e, 3 * S), ==, 500000);
  g_assert_cmpuint (router_estimator_get (&s.e, 2 * S + ROUTER_ESTIMATOR_REMB_TIMEOUT_US),
                    ==, s.e.loss_bps);
}

static void
test_two_slots (void)
{
  RouterLayerChoice a, b;
  RouterLayerDemand demand[2] = {
    { &a, 2, { rates[0], rates[1], rates[2] }, 0 },
    { &b, 2, { rates[0], rates[1], rates[2] }, 0 },
  };

  router_layer_choice_init (&a);
  router_layer_choice_init (&b);
  /* Room for one top layer and one middle one. */
  g_assert_cmpuint (router_estimator_allocate (1400000, demand, 2, 1 * S), ==, 1);
  g_assert_cmpuint (MIN (a.layer, 2), ==, 2);
  g_assert_cmpuint (MIN (b.layer, 2), ==, 1);
  /* For less, both share the middle layer before either has the top. */
  g_assert_cmpuint (router_estimator_allocate (700000, demand, 2, 2 * S), ==, 1);
  g_assert_cmpuint (MIN (a.layer, 2), ==, 1);
  g_assert_cmpuint (MIN (b.layer, 2), ==, 1);
  /* A layer that sends nothing is nobody's. */
  demand[0].layer_bps[1] = 0;
  router_estimator_allocate (700000, demand, 2, 3 * S);
  g_assert_cmpuint (MIN (a.layer, 2), ==, 0);
  g_assert_cmpuint (MIN (b.layer, 2), ==, 1);
}

static void
test_rate_meter (void)
{
  RouterRateMeter meter = { 0 };

  g_assert_cmpuint (router_rate_meter_get (&meter, 1 * S), ==, 0);
  /* 1000 bytes every 10 ms: 800 kbit/s. */
  for (gint64 t = 1 * S; t <= 3 * S; t += S / 100)
    router_rate_meter_add (&meter, 1000, t);
  g_assert_cmpuint (router_rate_meter_get (&meter, 3 * S), ==, 800000);
  /* Stopped: nothing. */
  g_assert_cmpuint (router_rate_meter_get (&meter, 6 * S), ==, 0);
}

/* A REMB packet from @ssrcs' receiver, as router-rtcp writes them, then
 * changed by @corrupt. */
static GstBuffer *
remb_buffer (guint64 bitrate)
{
  static const guint32 ssrcs[2] = { 1, 2 };
  RouterReportBlock blocks[2] = { 0 };

  return router_rtcp_build_receiver_report (7, "test", ssrcs, blocks, 2, bitrate);
}

static gboolean
parse (GstBuffer *buffer, guint64 *bitrate)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean found = FALSE;

  gst_rtcp_buffer_map (buffer, GST_MAP_READ, &rtcp);
  for (gboolean more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next (&packet))
    if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_PSFB)
      found = router_rtcp_parse_remb (&packet, bitrate);
  gst_rtcp_buffer_unmap (&rtcp);
  return found;
}

static void
test_parse_remb (void)
{
  g_autoptr (GstBuffer) ok = remb_buffer (1234567);
  g_autoptr (GstBuffer) bad_id = remb_buffer (1234567);
  g_autoptr (GstBuffer) short_ssrcs = remb_buffer (1234567);
  GstMapInfo map;
  guint64 bitrate = 0;
  gsize remb;

  g_assert_true (parse (ok, &bitrate));
  /* 18 bits of mantissa: exact to 1/2^18. */
  g_assert_cmpuint (bitrate, <=, 1234567);
  g_assert_cmpuint (bitrate, >, 1234567 - 1234567 / 100000);

  /* The identifier is not "REMB". */
  gst_buffer_map (bad_id, &map, GST_MAP_WRITE);
  for (remb = 0; remb + 4 <= map.size && memcmp (map.data + remb, "REMB", 4) != 0; remb++)
    ;
  g_assert_cmpuint (remb + 8, <=, map.size);
  map.data[remb] = 'X';
  gst_buffer_unmap (bad_id, &map);
  g_assert_false (parse (bad_id, &bitrate));

  /* It says more SSRCs follow than the packet holds. */
  gst_buffer_map (short_ssrcs, &map, GST_MAP_WRITE);
  map.data[remb + 4] = 9;
  gst_buffer_unmap (short_ssrcs, &map);
  g_assert_false (parse (short_ssrcs, &bitrate));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/router-estimator/unlimited-at-first", test_unlimited_at_first);
  g_test_add_func ("/router-estimator/remb-falling", test_remb_falling);
  g_test_add_func ("/router-estimator/loss", test_loss);
  g_test_add_func ("/router-estimator/cap", test_cap);
  g_test_add_func ("/router-estimator/report-slivers", test_report_slivers);
  g_test_add_func ("/router-estimator/recovery", test_recovery);
  g_test_add_func ("/router-estimator/remb-noise", test_remb_noise);
  g_test_add_func ("/router-estimator/remb-lagging", test_remb_lagging);
  g_test_add_func ("/router-estimator/probe-backoff", test_probe_backoff);
  g_test_add_func ("/router-estimator/padding-probe", test_padding_probe);
  g_test_add_func ("/router-estimator/no-padding-on-top", test_no_padding_on_top);
  g_test_add_func ("/router-estimator/no-jump-after-decrease", test_no_jump_after_decrease);
  g_test_add_func ("/router-estimator/no-oscillation", test_no_oscillation);
  g_test_add_func ("/router-estimator/ceiling", test_ceiling);
  g_test_add_func ("/router-estimator/zero-remb", test_zero_remb);
  g_test_add_func ("/router-estimator/two-slots", test_two_slots);
  g_test_add_func ("/router-estimator/rate-meter", test_rate_meter);
  g_test_add_func ("/router-estimator/parse-remb", test_parse_remb);
  return g_test_run ();
}
