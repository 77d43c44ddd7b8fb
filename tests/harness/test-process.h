/* Test helper: processes a test starts never outlive it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GSubprocessLauncher child setup: the child gets a signal when the
 * thread that spawned it dies, so nothing outlives a test that failed
 * half-way. @death_signal is GINT_TO_POINTER (SIGTERM) for a daemon that
 * must stop its own children first; NULL means SIGKILL. */
void test_die_with_parent (gpointer death_signal);

/* Makes sure @pid dies with the test, even when an assertion aborts it
 * or meson kills it on a timeout: otherwise a leftover daemon keeps the
 * test's output open and meson waits for it. */
void test_kill_with_test (GPid pid);

G_END_DECLS
