/* How long tests wait: the suite's one time scale.
 *
 * Two kinds of figure appear in the tests:
 *
 * - a deadline: something expected to happen "within N ms" (a reply, a
 *   state, a process exit, media reaching a count). N is a base figure for
 *   an idle 2-core machine and is multiplied by the one knob,
 *   $CONVOKE_TEST_TIME_SCALE (test_time_scale), which .ci/test sets to
 *   meson's --timeout-multiplier. The harness's wait helpers scale their
 *   timeout themselves (test_wait_until, sig_client_*, the CDP browser's
 *   calls and waits, the client runner, ...), so callers pass base
 *   figures; a loop of a test's own takes its end from test_deadline.
 * - an observation window or a duration: "nothing happens for N ms", "let
 *   media flow for N ms, then count", "send for N s". Scaling those would
 *   only make the suite longer (and, for "nothing happens", no more
 *   sensitive), so they stay as written: test_watch_for, g_usleep.
 *
 * GLib only, so that in-process tests without a daemon can link it too.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $CONVOKE_TEST_TIME_SCALE: a decimal number, at least 1 (the default),
 * at most 100. */
double test_time_scale (void);
/* @ms times test_time_scale (). */
guint test_scaled_ms (guint ms);
/* The g_get_monotonic_time () at which a deadline of @timeout_ms (a base
 * figure, scaled) from now passes, for a test's own wait loops. */
gint64 test_deadline (guint timeout_ms);

/* Spins the default main context until @cond(@data) is TRUE or the
 * deadline @timeout_ms (a base figure, scaled here) passes. Returns the
 * last value of @cond. */
gboolean test_wait_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms);
/* Spins the default main context for the observation window @window_ms
 * (not scaled), or until @cond(@data) is TRUE when @cond is not NULL.
 * Returns the last value of @cond (FALSE when NULL). */
gboolean test_watch_for (gboolean (*cond) (gpointer), gpointer data, guint window_ms);

G_END_DECLS
