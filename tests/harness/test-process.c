/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-process.h"

#include <signal.h>
#include <sys/prctl.h>

#define MAX_KILLED_WITH_TEST 64

static volatile sig_atomic_t n_killed_with_test;
static GPid killed_with_test[MAX_KILLED_WITH_TEST];

void
test_die_with_parent (gpointer death_signal)
{
  prctl (PR_SET_PDEATHSIG,
         death_signal != NULL ? GPOINTER_TO_INT (death_signal) : SIGKILL);
}

static void
kill_children (int signum)
{
  for (sig_atomic_t i = 0; i < n_killed_with_test; i++)
    if (killed_with_test[i] > 0)
      kill (killed_with_test[i], SIGKILL);
  signal (signum, SIG_DFL);
  raise (signum);
}

void
test_kill_with_test (GPid pid)
{
  static gboolean installed;

  if (!installed)
    {
      signal (SIGABRT, kill_children);
      signal (SIGTERM, kill_children);
      installed = TRUE;
    }
  /* Slots are never reused: a pid that exited may only be killed in vain
   * (tests are short enough that it is not recycled). */
  if (n_killed_with_test < MAX_KILLED_WITH_TEST)
    killed_with_test[n_killed_with_test++] = pid;
}
