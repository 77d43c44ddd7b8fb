/* Test helper: a coturn TURN server on 127.0.0.1, in the foreground, with
 * TURN REST API credentials (use-auth-secret), for relay-only clients.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  char *dir; /* config, log, database; removed on stop */
  char *log_path;
  guint port;
  char *secret;
} TestTurnServer;

/* $TURNSERVER, else /usr/bin/turnserver (Debian package coturn). */
const char *test_turn_path (void);
gboolean test_turn_available (void);

/* Starts coturn on a free UDP port and waits until it serves. Fails the
 * test when it cannot. */
TestTurnServer *test_turn_start (void);
/* Stops it (SIGTERM, then SIGKILL after a grace period) and removes its
 * directory. */
void test_turn_stop (TestTurnServer *turn);

/* What coturn has written so far (verbose: which users authenticated,
 * what it refused); "" when nothing. */
char *test_turn_log (TestTurnServer *turn);

/* The convoke.conf [turn] group that hands this server to clients. */
char *test_turn_config (TestTurnServer *turn);

G_END_DECLS
