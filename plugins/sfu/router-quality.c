/* Network quality levels (router-quality.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-quality.h"

/* Where each level ends, from 5 down to 1: a value at or above
 * thresholds[i] gives at most level 4 - i. Voice and video calls degrade
 * audibly from about 2% loss, 30 ms of jitter and 300 ms of round trip
 * (ITU-T G.114 puts 150 ms one way as the limit of good interaction), and
 * become unusable beyond 20% loss, 300 ms of jitter or 1.5 s round trip. */
static const double loss_thresholds[NETWORK_QUALITY_MAX]
    = { 0.01, 0.03, 0.06, 0.12, 0.20 };
static const double jitter_thresholds[NETWORK_QUALITY_MAX] = { 30, 50, 100, 200, 300 };
static const double rtt_thresholds[NETWORK_QUALITY_MAX] = { 200, 350, 600, 1000, 1500 };

void
network_quality_input_init (NetworkQualityInput *input)
{
  input->loss = -1;
  input->jitter_ms = -1;
  input->rtt_ms = -1;
}

void
network_quality_input_merge (NetworkQualityInput *input, const NetworkQualityInput *other)
{
  input->loss = MAX (input->loss, other->loss);
  input->jitter_ms = MAX (input->jitter_ms, other->jitter_ms);
  input->rtt_ms = MAX (input->rtt_ms, other->rtt_ms);
}

gboolean
network_quality_input_is_empty (const NetworkQualityInput *input)
{
  return input->loss < 0 && input->jitter_ms < 0 && input->rtt_ms < 0;
}

static int
level_for (double value, const double *thresholds)
{
  int level = NETWORK_QUALITY_MAX;

  if (value < 0)
    return NETWORK_QUALITY_MAX; /* not measured: no reason to lower it */
  for (guint i = 0; i < NETWORK_QUALITY_MAX; i++)
    if (value >= thresholds[i])
      level = NETWORK_QUALITY_MAX - 1 - (int) i;
  return level;
}

int
network_quality_level (const NetworkQualityInput *input)
{
  g_return_val_if_fail (input != NULL, -1);

  if (network_quality_input_is_empty (input))
    return -1;
  return MIN (level_for (input->loss, loss_thresholds),
              MIN (level_for (input->jitter_ms, jitter_thresholds),
                   level_for (input->rtt_ms, rtt_thresholds)));
}
