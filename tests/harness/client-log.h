/* What the tests accept in a convoke-client's log.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Test programs start convoke-client without G_DEBUG=fatal-criticals (see
 * client-log.c for the one upstream critical that would otherwise abort
 * it); call this on its log when it stops. Fails the running test for
 * every other GLib critical in @log, and notes the tolerated one. */
void test_client_log_check_criticals (const char *identity, const char *log);

/* Removes G_DEBUG from what @launcher passes on, so that the tolerated
 * critical does not abort the client. */
void test_client_launcher_allow_criticals (GSubprocessLauncher *launcher);

G_END_DECLS
