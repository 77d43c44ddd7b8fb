/* Per-publisher uplink estimation (router-uplink.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-uplink.h"

static void
clear_history (RouterUplink *u)
{
  for (guint i = 0; i < ROUTER_UPLINK_BUCKETS; i++)
    u->min_delay_us[i] = G_MAXINT64;
}

void
router_uplink_init (RouterUplink *u)
{
  *u = (RouterUplink){ 0 };
  u->before_decrease_bps = G_MAXUINT64;
  clear_history (u);
}

gboolean
router_uplink_packet (RouterUplink *u, guint32 ssrc, guint32 rtp_ts, guint clock_rate,
                      gint64 arrival_us)
{
  gint64 bucket = arrival_us / ROUTER_UPLINK_BUCKET_US, delay_us;
  gboolean new_bucket = FALSE;
  guint index;

  if (clock_rate == 0 || arrival_us < 0)
    return FALSE;
  if (!u->started || ssrc != u->ssrc || clock_rate != u->clock_rate)
    {
      /* Another stream's timestamps start anywhere: its delays cannot be
       * compared with the old one's. */
      clear_history (u);
      u->ssrc = ssrc;
      u->clock_rate = clock_rate;
      u->last_ts = rtp_ts;
      u->ext_ts = 0;
      delay_us = arrival_us;
      u->last_delay_us = delay_us;
      if (!u->started)
        new_bucket = TRUE;
      u->started = TRUE;
      u->newest = bucket;
      u->history_since_us = arrival_us;
    }
  else
    {
      /* Signed: a reordered packet steps back, a wrap is a small step. */
      u->ext_ts += (gint32) (rtp_ts - u->last_ts);
      u->last_ts = rtp_ts;
      delay_us = arrival_us - u->ext_ts * G_USEC_PER_SEC / (gint64) clock_rate;
      if (ABS (delay_us - u->last_delay_us) > ROUTER_UPLINK_JUMP_US)
        {
          clear_history (u);
          u->history_since_us = arrival_us;
        }
      u->last_delay_us = delay_us;
    }

  if (bucket > u->newest)
    {
      for (gint64 b = u->newest + 1; b <= bucket && b - u->newest <= ROUTER_UPLINK_BUCKETS;
           b++)
        u->min_delay_us[b % ROUTER_UPLINK_BUCKETS] = G_MAXINT64;
      u->newest = bucket;
      new_bucket = TRUE;
    }
  else if (bucket <= u->newest - ROUTER_UPLINK_BUCKETS)
    return FALSE; /* older than the window */
  index = (guint) (bucket % ROUTER_UPLINK_BUCKETS);
  u->min_delay_us[index] = MIN (u->min_delay_us[index], delay_us);
  return new_bucket;
}

void
router_uplink_bytes (RouterUplink *u, gsize bytes, gint64 arrival_us)
{
  const guint n = ROUTER_UPLINK_RATE_BUCKETS + 1;
  gint64 bucket = arrival_us / ROUTER_UPLINK_BUCKET_US;

  if (arrival_us < 0)
    return;
  if (bucket > u->bytes_newest)
    {
      for (gint64 b = u->bytes_newest + 1; b <= bucket && b - u->bytes_newest <= n; b++)
        u->bytes[b % n] = 0;
      u->bytes_newest = bucket;
    }
  else if (bucket <= u->bytes_newest - n)
    return;
  u->bytes[bucket % n] += bytes;
}

guint64
router_uplink_arrival_rate (const RouterUplink *u, gint64 now_us)
{
  const guint n = ROUTER_UPLINK_RATE_BUCKETS + 1;
  gint64 current = now_us / ROUTER_UPLINK_BUCKET_US;
  guint64 sum = 0;

  for (gint64 b = current - ROUTER_UPLINK_RATE_BUCKETS; b < current; b++)
    {
      if (b > u->bytes_newest || b <= u->bytes_newest - n || u->bytes[b % n] == 0)
        return 0;
      sum += u->bytes[b % n];
    }
  return sum * 8 * G_USEC_PER_SEC / (ROUTER_UPLINK_RATE_BUCKETS * ROUTER_UPLINK_BUCKET_US);
}

gboolean
router_uplink_loss (RouterUplink *u, double loss, gint64 now_us)
{
  if (!(loss >= 0.0 && loss <= 1.0))
    return FALSE;
  u->loss = loss;
  u->loss_us = now_us;
  u->loss_handled = FALSE;
  return TRUE;
}

gint64
router_uplink_queue_delay (const RouterUplink *u, gint64 now_us)
{
  gint64 recent = G_MAXINT64, base = G_MAXINT64;

  /* Nothing arrived for a while: no news of the queue. */
  if (!u->started
      || now_us / ROUTER_UPLINK_BUCKET_US - u->newest >= ROUTER_UPLINK_RECENT_BUCKETS)
    return -1;
  for (guint i = 0; i < ROUTER_UPLINK_BUCKETS; i++)
    {
      gint64 b = u->newest - i;
      gint64 min = u->min_delay_us[b % ROUTER_UPLINK_BUCKETS];

      if (i < ROUTER_UPLINK_RECENT_BUCKETS)
        recent = MIN (recent, min);
      base = MIN (base, min);
    }
  if (recent == G_MAXINT64)
    return -1;
  return recent - base;
}

static gboolean
decrease (RouterUplink *u, guint64 incoming_bps, gint64 queue_us, gint64 now_us)
{
  guint64 target = (guint64) (incoming_bps * ROUTER_UPLINK_DECREASE);

  /* What arrives lags what the publisher was told: never raise it here. */
  if (u->estimate_bps != 0)
    target = MIN (target, u->estimate_bps);
  u->before_decrease_bps = u->estimate_bps;
  u->overuse_bps_before = u->overuse_bps;
  u->estimate_bps = MAX (target, ROUTER_UPLINK_MIN_BPS);
  u->overuse_bps = incoming_bps;
  u->last_decrease_us = now_us;
  u->queue_at_decrease_us = MAX (queue_us, 0);
  u->last_growth_us = now_us;
  u->overuses++;
  return TRUE;
}

/* Whether the queue says overuse, keeping count of how long it has. */
static gboolean
queue_overuse (RouterUplink *u, gint64 queue_us, gint64 now_us)
{
  if (queue_us > ROUTER_UPLINK_QUEUE_US / 2)
    {
      if (u->queued_since_us == 0)
        u->queued_since_us = now_us;
      else if (now_us - u->queued_since_us >= ROUTER_UPLINK_REBASE_US)
        {
          clear_history (u);
          u->history_since_us = now_us;
          u->queued_since_us = 0;
          u->delayed_since_us = 0;
          u->in_overuse = FALSE;
          return FALSE;
        }
    }
  else
    u->queued_since_us = 0;
  if (queue_us <= ROUTER_UPLINK_QUEUE_US)
    {
      u->delayed_since_us = 0;
      u->in_overuse = FALSE;
      return FALSE;
    }
  if (u->delayed_since_us == 0)
    u->delayed_since_us = now_us;
  return now_us - u->history_since_us >= ROUTER_UPLINK_WARMUP_US
         && now_us - u->delayed_since_us >= ROUTER_UPLINK_CONFIRM_US;
}

gboolean
router_uplink_update (RouterUplink *u, guint64 incoming_bps, gint64 now_us)
{
  gint64 queue_us = router_uplink_queue_delay (u, now_us), elapsed_us;
  gboolean lossy = u->loss_us != 0 && now_us - u->loss_us < ROUTER_UPLINK_LOSS_TIMEOUT_US
                   && u->loss > ROUTER_UPLINK_LOSS_HIGH;
  gboolean delayed = queue_us >= 0 && queue_overuse (u, queue_us, now_us);
  gboolean near;

  if (u->before_decrease_bps != G_MAXUINT64
      && now_us - u->last_decrease_us >= ROUTER_UPLINK_REVERT_US)
    u->before_decrease_bps = G_MAXUINT64;
  if (u->before_decrease_bps != G_MAXUINT64 && queue_us >= 0
      && queue_us < ROUTER_UPLINK_TRANSIENT_US)
    {
      u->estimate_bps = u->before_decrease_bps;
      u->overuse_bps = u->overuse_bps_before;
      u->before_decrease_bps = G_MAXUINT64;
      u->reverted++;
      /* The publisher holds the last REMB it got: tell it at once. */
      return TRUE;
    }

  if (delayed || lossy)
    {
      u->last_growth_us = now_us;
      if (incoming_bps == 0 || (u->last_decrease_us != 0
                                && now_us - u->last_decrease_us
                                       < ROUTER_UPLINK_DECREASE_INTERVAL_US))
        return FALSE;
      if (lossy && !u->loss_handled)
        {
          /* Each report's loss is one event. */
          u->loss_handled = TRUE;
          decrease (u, incoming_bps, queue_us, now_us);
          u->before_decrease_bps = G_MAXUINT64;
          return TRUE;
        }
      if (!delayed)
        return FALSE;
      if (u->in_overuse
          && queue_us < u->queue_at_decrease_us + ROUTER_UPLINK_GROWING_US)
        return FALSE; /* followed, or no queue the REMB drains */
      u->in_overuse = TRUE;
      if (router_uplink_arrival_rate (u, now_us) > 0)
        incoming_bps = router_uplink_arrival_rate (u, now_us);
      return decrease (u, incoming_bps, queue_us, now_us);
    }

  elapsed_us = u->last_growth_us != 0 ? MIN (now_us - u->last_growth_us, G_USEC_PER_SEC) : 0;
  u->last_growth_us = now_us;
  /* Unlimited; or no news of the queue; or a queue filling or draining. */
  if (u->estimate_bps == 0 || queue_us < 0 || queue_us > ROUTER_UPLINK_QUEUE_US / 2
      || elapsed_us <= 0)
    return FALSE;
  near = u->overuse_bps > 0 && u->estimate_bps >= ROUTER_UPLINK_NEAR_LOW * u->overuse_bps
         && u->estimate_bps <= ROUTER_UPLINK_NEAR_HIGH * u->overuse_bps;
  if (near)
    u->estimate_bps += (guint64) (ROUTER_UPLINK_ADDITIVE_PER_S * u->overuse_bps
                                  * elapsed_us / G_USEC_PER_SEC);
  else
    u->estimate_bps = (guint64) (u->estimate_bps
                                 * (1.0
                                    + ROUTER_UPLINK_INCREASE_PER_S * elapsed_us
                                          / G_USEC_PER_SEC));
  if (u->estimate_bps >= ROUTER_UPLINK_MAX_BPS)
    u->estimate_bps = 0;
  return FALSE;
}

guint64
router_uplink_get (const RouterUplink *u)
{
  return u->estimate_bps;
}
