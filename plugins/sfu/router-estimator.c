/* Per-subscriber bandwidth estimation (router-estimator.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-estimator.h"

void
router_estimator_init (RouterEstimator *e)
{
  *e = (RouterEstimator){ 0 };
  e->probe_wait_us = ROUTER_ESTIMATOR_PROBE_WAIT_MIN_US;
}

/* Something said the link is congested: a probe made within the check
 * time failed, so the next one waits longer. */
static void
congested (RouterEstimator *e, gint64 now_us)
{
  if (e->probe_us != 0 && now_us - e->probe_us < ROUTER_ESTIMATOR_PROBE_CHECK_US)
    e->probe_wait_us = MIN (e->probe_wait_us * 2, e->can_pad
                                                      ? ROUTER_ESTIMATOR_PAD_WAIT_MAX_US
                                                      : ROUTER_ESTIMATOR_PROBE_WAIT_MAX_US);
  e->probe_us = 0;
  e->probe_target_bps = 0;
  e->low_since_us = 0;
  e->last_decrease_us = now_us;
  e->next_probe_us = now_us + e->probe_wait_us;
}

gboolean
router_estimator_remb (RouterEstimator *e, guint64 bps, guint64 forwarded_bps,
                       gint64 now_us)
{
  gboolean falling = e->remb_bps == 0 || bps < e->remb_bps;

  if (bps == 0)
    return FALSE;
  e->remb_bps = bps;
  e->remb_us = now_us;
  e->remb_limits = falling && forwarded_bps > 0
                   && bps < forwarded_bps * ROUTER_ESTIMATOR_REMB_CONGESTED;
  if (e->remb_limits)
    {
      /* What follows grows from the REMB. */
      if (e->loss_bps == 0 || e->loss_bps > bps)
        e->loss_bps = MAX (bps, ROUTER_ESTIMATOR_MIN_BPS);
      congested (e, now_us);
    }
  return TRUE;
}

gboolean
router_estimator_loss (RouterEstimator *e, double loss, guint64 forwarded_bps,
                       gint64 now_us)
{
  gint64 elapsed_us;

  if (!(loss >= 0.0 && loss <= 1.0))
    return FALSE;
  /* Each report counts for the time since the one before (the first for
   * a whole window), and the controller acts on their average once a
   * window is full: Chromium sends a receiver report with every NACK,
   * some tens of milliseconds apart on a lossy link, and the loss of one
   * such sliver swings between 0 and 90% (behind a 300 kbit/s cap one of
   * 85% took the estimate to 90 kbit/s). */
  elapsed_us = e->last_update_us != 0 ? MAX (now_us - e->last_update_us, 0)
                                      : ROUTER_ESTIMATOR_LOSS_WINDOW_US;
  e->last_update_us = now_us;
  e->window_loss_us += loss * (double) elapsed_us;
  e->window_us += elapsed_us;
  if (e->window_us < ROUTER_ESTIMATOR_LOSS_WINDOW_US)
    return TRUE;
  loss = e->window_loss_us / (double) e->window_us;
  elapsed_us = e->window_us;
  e->window_loss_us = 0.0;
  e->window_us = 0;
  if (e->probe_target_bps != 0 && loss >= ROUTER_ESTIMATOR_LOSS_LOW)
    {
      /* The padding did not fit. It, not the media, made the loss: the
       * estimate stays, and reports of the next moments, which still
       * count it, cut nothing (congested() notes a decrease). */
      congested (e, now_us);
      return TRUE;
    }
  if (loss > ROUTER_ESTIMATOR_LOSS_HIGH)
    {
      guint64 base = e->loss_bps;

      if (e->last_decrease_us != 0
          && now_us - e->last_decrease_us < ROUTER_ESTIMATOR_DECREASE_INTERVAL_US)
        return TRUE;
      /* Loss soon after a decrease while sending no more than the
       * estimate: the report most likely still counts the rate before. */
      if (e->last_decrease_us != 0 && e->loss_bps != 0 && forwarded_bps <= e->loss_bps
          && now_us - e->last_decrease_us < ROUTER_ESTIMATOR_STALE_LOSS_US)
        return TRUE;
      /* What is being sent, as GCC decreases: an estimate far above it (a
       * subscriber on a low layer) would otherwise shrink to no effect. */
      if (forwarded_bps > 0 && (base == 0 || forwarded_bps < base))
        base = forwarded_bps;
      if (base == 0)
        return TRUE; /* nothing sent, nothing to shrink */
      /* What got through: on a congested link, its capacity. GCC's
       * 1 − loss/2 took two steps down under a cap (the first one still
       * above it), each waiting for a key frame while the queue dropped
       * what did not fit. */
      e->loss_bps = MAX ((guint64) (base * (1.0 - loss)), ROUTER_ESTIMATOR_MIN_BPS);
      congested (e, now_us);
      return TRUE;
    }
  if (loss >= ROUTER_ESTIMATOR_LOSS_LOW)
    {
      e->low_since_us = 0;
      return TRUE;
    }

  if (e->low_since_us == 0)
    e->low_since_us = now_us;
  if (e->loss_bps == 0)
    return TRUE; /* unlimited already */
  elapsed_us = MIN (elapsed_us, G_USEC_PER_SEC);
  {
    guint64 grown = (guint64) (e->loss_bps
                               * (1.0
                                  + ROUTER_ESTIMATOR_INCREASE_PER_S * elapsed_us
                                        / G_USEC_PER_SEC));

    /* With padding to probe, the estimate without loss is what is sent
     * shows, 1.5 × it (GCC bounds its estimate by the received rate the
     * same way), at once: a layer still ramping up grows faster than 8% a
     * second, and an estimate left behind took a subscriber down from the
     * top layer it was receiving without loss. Beyond that, growth would
     * be a blind probe that the next layer pays for, and the padding
     * probe exists to avoid that. Not within the stale-loss time of a
     * decrease: what is forwarded is measured over the last second, which
     * then still counts the layer just left (1.5 × that took a capped
     * subscriber back up to the middle layer 1.7 s after the cap). */
    if (e->can_pad && forwarded_bps > 0)
      grown = e->last_decrease_us != 0
                      && now_us - e->last_decrease_us < ROUTER_ESTIMATOR_STALE_LOSS_US
                  ? e->loss_bps
                  : MAX (e->loss_bps,
                         (guint64) (forwarded_bps * ROUTER_ESTIMATOR_GROWTH_REACH));
    e->loss_bps = grown;
  }
  if (e->probe_us != 0 && now_us - e->probe_us >= ROUTER_ESTIMATOR_PROBE_CHECK_US)
    {
      /* The probe held: the next may come soon. */
      e->probe_us = 0;
      e->probe_wait_us = ROUTER_ESTIMATOR_PROBE_WAIT_MIN_US;
    }
  /* With padding, a probe asks for what the next layer up needs; when no
   * slot can go up (all on their top layer or ceiling) there is nothing
   * to find out, and padding would only cost the subscriber's link. */
  if (e->can_pad && e->probe_want_bps == 0)
    ;
  else if (e->probe_target_bps == 0
           && now_us - e->low_since_us >= ROUTER_ESTIMATOR_PROBE_AFTER_US
           && now_us >= e->next_probe_us)
    {
      guint64 reach = forwarded_bps > 0 ? forwarded_bps * ROUTER_ESTIMATOR_PROBE_REACH
                                        : ROUTER_ESTIMATOR_MAX_BPS;
      guint64 target = MIN ((guint64) (e->loss_bps * ROUTER_ESTIMATOR_PROBE_FACTOR), reach);

      /* Padding shows the link takes it before anything depends on it,
       * so a padding probe asks for just what the next layer needs,
       * however far that is. */
      if (e->can_pad)
        target = (guint64) (e->probe_want_bps * ROUTER_ESTIMATOR_PROBE_HEADROOM);
      if (e->can_pad && target > e->loss_bps && forwarded_bps > 0)
        {
          e->probe_target_bps = target;
          e->probe_pad_until_us = now_us + ROUTER_ESTIMATOR_PROBE_PAD_US;
          e->probe_verdict_us = e->probe_pad_until_us + ROUTER_ESTIMATOR_PROBE_SETTLE_US;
        }
      else
        e->loss_bps = MAX (e->loss_bps, target);
      e->probe_us = now_us;
      e->next_probe_us = now_us + e->probe_wait_us;
    }
  if (e->loss_bps >= ROUTER_ESTIMATOR_MAX_BPS)
    e->loss_bps = 0;
  return TRUE;
}

gboolean
router_estimator_padding_loss (RouterEstimator *e, double loss, gint64 now_us)
{
  if (!(loss >= 0.0 && loss <= 1.0))
    return FALSE;
  if (e->probe_target_bps != 0 && loss > ROUTER_ESTIMATOR_PAD_LOSS_MAX)
    congested (e, now_us);
  return TRUE;
}

void
router_estimator_tick (RouterEstimator *e, gint64 now_us)
{
  if (e->probe_target_bps == 0 || now_us < e->probe_verdict_us)
    return;
  /* No loss reported while the padding went and settled: the link took
   * it. The probe time restarts so that loss the new layer brings still
   * counts against the probe (ROUTER_ESTIMATOR_PROBE_CHECK_US). */
  e->loss_bps = MAX (e->loss_bps, e->probe_target_bps);
  e->probe_target_bps = 0;
  e->probe_us = now_us;
  /* The link took it: the next probe, for the layer after, may come soon. */
  e->probe_wait_us = ROUTER_ESTIMATOR_PROBE_WAIT_MIN_US;
  e->next_probe_us = now_us + e->probe_wait_us;
  if (e->loss_bps >= ROUTER_ESTIMATOR_MAX_BPS)
    e->loss_bps = 0;
}

guint64
router_estimator_padding_bps (const RouterEstimator *e, guint64 forwarded_bps,
                              gint64 now_us)
{
  if (e->probe_target_bps == 0 || now_us >= e->probe_pad_until_us
      || forwarded_bps >= e->probe_target_bps)
    return 0;
  return e->probe_target_bps - forwarded_bps;
}

guint64
router_estimator_get (const RouterEstimator *e, gint64 now_us)
{
  guint64 estimate = e->loss_bps != 0 ? e->loss_bps : ROUTER_ESTIMATOR_UNLIMITED;

  if (e->remb_us != 0 && e->remb_limits
      && now_us - e->remb_us < ROUTER_ESTIMATOR_REMB_TIMEOUT_US)
    estimate = MIN (estimate, e->remb_bps);
  return estimate;
}

void
router_layer_choice_init (RouterLayerChoice *choice)
{
  choice->layer = ROUTER_SIMULCAST_MAX_LAYERS - 1;
  choice->up_since_us = 0;
}

/* What holding @layer costs a slot now on @current: its rate, counted
 * with the keep factor up to @current and the up margin above. */
static guint64
layer_cost (const RouterLayerDemand *slot, guint layer, guint current)
{
  return (guint64) (slot->layer_bps[layer]
                    * (layer <= current ? ROUTER_ESTIMATOR_KEEP_FACTOR
                                        : ROUTER_ESTIMATOR_UP_MARGIN));
}

guint
router_estimator_allocate (guint64 budget_bps, RouterLayerDemand *slots, guint n,
                           gint64 now_us)
{
  guint64 left = budget_bps;
  guint changed = 0;

  for (guint i = 0; i < n; i++)
    {
      slots[i].ceiling = MIN (slots[i].ceiling, ROUTER_SIMULCAST_MAX_LAYERS - 1);
      slots[i].fit = budget_bps == ROUTER_ESTIMATOR_UNLIMITED ? slots[i].ceiling : 0;
      if (budget_bps != ROUTER_ESTIMATOR_UNLIMITED)
        left -= MIN (left, layer_cost (&slots[i], 0, slots[i].choice->layer));
    }
  /* Layer by layer, so that every slot gets its middle layer before any
   * gets its top one. */
  for (guint layer = 1;
       budget_bps != ROUTER_ESTIMATOR_UNLIMITED && layer < ROUTER_SIMULCAST_MAX_LAYERS;
       layer++)
    for (guint i = 0; i < n; i++)
      {
        guint current = slots[i].choice->layer;
        guint64 cost, held;

        if (layer > slots[i].ceiling || slots[i].layer_bps[layer] == 0)
          continue;
        cost = layer_cost (&slots[i], layer, current);
        held = layer_cost (&slots[i], slots[i].fit, current);
        if (cost <= held || cost - held <= left)
          {
            left -= MIN (left, cost > held ? cost - held : 0);
            slots[i].fit = layer;
          }
      }

  for (guint i = 0; i < n; i++)
    {
      RouterLayerChoice *choice = slots[i].choice;
      guint want = slots[i].fit;
      guint before = MIN (choice->layer, slots[i].ceiling);

      /* Only the ceiling holds it: it may have more, should the ceiling
       * rise, and that should not wait. */
      if (want == slots[i].ceiling)
        want = budget_bps == ROUTER_ESTIMATOR_UNLIMITED
                   ? ROUTER_SIMULCAST_MAX_LAYERS - 1
                   : MAX (want, choice->layer);
      if (want < choice->layer)
        {
          choice->layer = want;
          choice->up_since_us = 0;
        }
      else if (want == choice->layer)
        choice->up_since_us = 0;
      else if (budget_bps == ROUTER_ESTIMATOR_UNLIMITED)
        {
          /* Nothing limits it: nothing to wait for. */
          choice->layer = want;
          choice->up_since_us = 0;
        }
      else if (choice->up_since_us == 0)
        choice->up_since_us = now_us;
      else if (now_us - choice->up_since_us >= ROUTER_ESTIMATOR_UP_HOLD_US)
        {
          /* One layer at a time (the next one that sends), each after its
           * own hold: a jump from the lowest to the top layer is the
           * costliest mistake when the estimate was a probe. */
          guint next = choice->layer + 1;

          while (next < want && slots[i].layer_bps[next] == 0)
            next++;
          choice->layer = MIN (next, want);
          choice->up_since_us = choice->layer < want ? now_us : 0;
        }
      if (MIN (choice->layer, slots[i].ceiling) != before)
        changed++;
    }
  return changed;
}

void
router_rate_meter_add (RouterRateMeter *meter, gsize bytes, gint64 now_us)
{
  if (meter->window_start_us == 0)
    meter->window_start_us = now_us;
  else if (now_us - meter->window_start_us >= ROUTER_RATE_WINDOW_US)
    {
      meter->bps = meter->bytes * 8 * G_USEC_PER_SEC / (guint64) (now_us - meter->window_start_us);
      meter->bps_us = now_us;
      meter->bytes = 0;
      meter->window_start_us = now_us;
    }
  meter->bytes += bytes;
}

guint64
router_rate_meter_get (const RouterRateMeter *meter, gint64 now_us)
{
  if (meter->bps_us == 0 || now_us - meter->bps_us > 2 * ROUTER_RATE_WINDOW_US)
    return 0;
  return meter->bps;
}
