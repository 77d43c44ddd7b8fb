/* Network quality levels, 0–5 as in Twilio's Network Quality API, from
 * what RTCP tells the router about one participant's link: packet loss
 * and jitter each way, and the round-trip time. No GStreamer: the router
 * feeds it numbers; tests feed it made-up ones.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NETWORK_QUALITY_MAX 5

/* What is known of a link over the last reporting interval. A member
 * that was not measured is negative. */
typedef struct
{
  double loss;      /* fraction of packets lost, 0–1 */
  double jitter_ms; /* interarrival jitter */
  double rtt_ms;    /* round trip */
} NetworkQualityInput;

/* Empty: nothing measured. */
void network_quality_input_init (NetworkQualityInput *input);
/* Keeps the worse of @input and @other, member by member. */
void network_quality_input_merge (NetworkQualityInput *input,
                                  const NetworkQualityInput *other);
gboolean network_quality_input_is_empty (const NetworkQualityInput *input);

/* The level of a link: 5 excellent … 1 bad, 0 unusable; each of loss,
 * jitter and RTT gives a level and the worst wins. -1 when @input is
 * empty (nothing to judge by). */
int network_quality_level (const NetworkQualityInput *input);

G_END_DECLS
