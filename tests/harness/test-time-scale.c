/* The suite's one time scale (test-time.h): $CONVOKE_TEST_TIME_SCALE
 * lengthens deadlines and leaves observation windows alone.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-time.h"

#define SCALE_VARIABLE "CONVOKE_TEST_TIME_SCALE"

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* The milliseconds test_wait_until (@scaled) or test_watch_for spends on
 * a condition that never holds. */
static gint64
spent_ms (gboolean scaled, guint ms)
{
  gint64 start = g_get_monotonic_time ();

  if (scaled)
    g_assert_false (test_wait_until (never, NULL, ms));
  else
    g_assert_false (test_watch_for (never, NULL, ms));
  return (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND;
}

static void
test_factor (void)
{
  static const struct
  {
    const char *value; /* NULL: unset */
    guint scaled;      /* 1000 ms becomes this */
  } cases[] = {
    { NULL, 1000 },   { "1", 1000 },   { "3", 3000 },   { "1.5", 1500 },
    { "2.25", 2250 }, { "0.5", 1000 }, { "0", 1000 },   { "-4", 1000 },
    { "soon", 1000 }, { "", 1000 },    { "nan", 1000 }, { "1e9", 100000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (cases[i].value == NULL)
        g_unsetenv (SCALE_VARIABLE);
      else
        g_setenv (SCALE_VARIABLE, cases[i].value, TRUE);
      g_test_message ("%s=%s", SCALE_VARIABLE,
                      cases[i].value ? cases[i].value : "(unset)");
      g_assert_cmpuint (test_scaled_ms (1000), ==, cases[i].scaled);
      g_assert_cmpuint (test_scaled_ms (0), ==, 0);
    }
  g_setenv (SCALE_VARIABLE, "100", TRUE);
  g_assert_cmpuint (test_scaled_ms (G_MAXUINT), ==, G_MAXUINT);
}

/* A deadline under scale 10 lasts ten times as long; an observation
 * window does not change. (10, so that a loaded machine's delays stay well
 * inside the margins.) */
static void
test_waits (void)
{
  gint64 before, deadline;

  g_setenv (SCALE_VARIABLE, "1", TRUE);
  g_assert_cmpint (spent_ms (TRUE, 100), >=, 100);
  g_assert_cmpint (spent_ms (TRUE, 100), <, 1000);

  g_setenv (SCALE_VARIABLE, "10", TRUE);
  g_assert_cmpint (spent_ms (TRUE, 100), >=, 1000);
  g_assert_cmpint (spent_ms (FALSE, 100), >=, 100);
  g_assert_cmpint (spent_ms (FALSE, 100), <, 1000);

  before = g_get_monotonic_time ();
  deadline = test_deadline (100);
  g_assert_cmpint (deadline - before, >=, 1000 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (deadline - before, <, 2000 * G_TIME_SPAN_MILLISECOND);
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Both spin the main context, and stop as soon as the condition holds. */
static void
test_early_return (void)
{
  gboolean flag = FALSE;
  gint64 start;

  g_setenv (SCALE_VARIABLE, "3", TRUE);
  g_timeout_add (50, set_flag, &flag);
  start = g_get_monotonic_time ();
  g_assert_true (test_wait_until (flag_set, &flag, 10000));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  flag = FALSE;
  g_timeout_add (50, set_flag, &flag);
  start = g_get_monotonic_time ();
  g_assert_true (test_watch_for (flag_set, &flag, 10000));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  /* Without a condition, test_watch_for runs the context for the whole
   * window: the timeout fires meanwhile. */
  flag = FALSE;
  g_timeout_add (20, set_flag, &flag);
  g_assert_false (test_watch_for (NULL, NULL, 100));
  g_assert_true (flag);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/harness/time-scale/factor", test_factor);
  g_test_add_func ("/harness/time-scale/waits", test_waits);
  g_test_add_func ("/harness/time-scale/early-return", test_early_return);
  return g_test_run ();
}
