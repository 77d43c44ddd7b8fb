/* Network quality levels (plugins/sfu/router-quality.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-quality.h"

static int
level (double loss, double jitter_ms, double rtt_ms)
{
  NetworkQualityInput input = { loss, jitter_ms, rtt_ms };

  return network_quality_level (&input);
}

static void
test_levels (void)
{
  NetworkQualityInput empty;

  network_quality_input_init (&empty);
  g_assert_cmpint (network_quality_level (&empty), ==, -1);

  /* A clean LAN. */
  g_assert_cmpint (level (0, 2, 1), ==, 5);
  /* Only what was measured counts. */
  g_assert_cmpint (level (0, -1, -1), ==, 5);
  g_assert_cmpint (level (-1, -1, 120), ==, 5);
  /* Loss alone. */
  g_assert_cmpint (level (0.02, 2, 1), ==, 4);
  g_assert_cmpint (level (0.05, 2, 1), ==, 3);
  g_assert_cmpint (level (0.10, 2, 1), ==, 2);
  g_assert_cmpint (level (0.15, 2, 1), ==, 1);
  g_assert_cmpint (level (0.30, 2, 1), ==, 0);
  g_assert_cmpint (level (1.0, -1, -1), ==, 0);
  /* Jitter and RTT alone. */
  g_assert_cmpint (level (0, 60, 1), ==, 3);
  g_assert_cmpint (level (0, 500, 1), ==, 0);
  g_assert_cmpint (level (0, 2, 400), ==, 3);
  g_assert_cmpint (level (0, 2, 2000), ==, 0);
  /* The worst wins. */
  g_assert_cmpint (level (0.02, 60, 1100), ==, 1);
}

static void
test_merge (void)
{
  NetworkQualityInput up, down = { 0.15, 10, -1 };

  network_quality_input_init (&up);
  g_assert_true (network_quality_input_is_empty (&up));
  network_quality_input_merge (&up, &down);
  g_assert_false (network_quality_input_is_empty (&up));
  g_assert_cmpfloat (up.loss, ==, 0.15);
  g_assert_cmpfloat (up.rtt_ms, <, 0);
  down.loss = 0.01;
  down.rtt_ms = 80;
  network_quality_input_merge (&up, &down);
  g_assert_cmpfloat (up.loss, ==, 0.15);
  g_assert_cmpfloat (up.rtt_ms, ==, 80);
  g_assert_cmpint (network_quality_level (&up), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/router/quality/levels", test_levels);
  g_test_add_func ("/router/quality/merge", test_merge);
  return g_test_run ();
}
