/* The suite's one time scale (test-time.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-time.h"

double
test_time_scale (void)
{
  const char *scale = g_getenv ("CONVOKE_TEST_TIME_SCALE");
  double factor = scale != NULL ? g_ascii_strtod (scale, NULL) : 1.0;

  /* Below 1 would make the base figures (for an idle machine) too short;
   * the cap keeps a typo from turning a failure into a hang. NaN fails
   * both comparisons and falls back to 1. */
  if (!(factor >= 1.0))
    return 1.0;
  return MIN (factor, 100.0);
}

guint
test_scaled_ms (guint ms)
{
  double scaled = ms * test_time_scale ();

  return scaled >= (double) G_MAXUINT ? G_MAXUINT : (guint) scaled;
}

gint64
test_deadline (guint timeout_ms)
{
  return g_get_monotonic_time ()
         + (gint64) test_scaled_ms (timeout_ms) * G_TIME_SPAN_MILLISECOND;
}

/* The one loop behind test_wait_until and test_watch_for: @timeout_ms as
 * given, not scaled. */
static gboolean
spin_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (cond == NULL || !cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        return cond != NULL && cond (data);
      /* Keep other sources (WebSockets, callbacks) running meanwhile. */
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (10 * 1000);
    }
  return TRUE;
}

gboolean
test_wait_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  g_return_val_if_fail (cond != NULL, FALSE);
  return spin_until (cond, data, test_scaled_ms (timeout_ms));
}

gboolean
test_watch_for (gboolean (*cond) (gpointer), gpointer data, guint window_ms)
{
  return spin_until (cond, data, window_ms);
}
