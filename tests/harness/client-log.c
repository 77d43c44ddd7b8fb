/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "client-log.h"

#include <string.h>

/* GStreamer 1.22.0's rtpsession (Debian 12) can let its RTCP timer iterate
 * the sources while a packet adds one, and GLib reports that from
 * g_hash_table_foreach. It happens inside webrtcbin's rtpbin, about 0.1 s
 * after a client connects, in about 1 of 30 loaded runs; upstream fixed the
 * race in a later 1.22 release. It is harmless (that RTCP round skips the
 * sources), so convoke-client runs without G_DEBUG=fatal-criticals and
 * its log is checked for any other critical instead. */
#define KNOWN_UPSTREAM_CRITICAL                                                          \
  "g_hash_table_foreach: assertion 'version == hash_table->version' failed"

void
test_client_log_check_criticals (const char *identity, const char *log)
{
  g_auto (GStrv) lines = g_strsplit (log != NULL ? log : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (strstr (lines[i], "CRITICAL **") == NULL)
        continue;
      if (strstr (lines[i], KNOWN_UPSTREAM_CRITICAL) != NULL)
        g_test_message ("convoke-client %s hit GStreamer 1.22.0's rtpsession race "
                        "(tolerated): %s",
                        identity, lines[i]);
      else
        g_test_fail_printf ("convoke-client %s logged a critical: %s", identity, lines[i]);
    }
}

void
test_client_launcher_allow_criticals (GSubprocessLauncher *launcher)
{
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
}
