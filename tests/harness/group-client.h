/* convoke-client processes for the group-room media tests: spawning them
 * against a test daemon and reading their --stats-json files
 * (docs/convoke-client.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-daemon.h"

G_BEGIN_DECLS

typedef struct
{
  char *identity;
  char *stats_path;
  char *log_path; /* its stderr: warnings, errors */
  GSubprocess *process;
  JsonObject *stats; /* the last stats read, or NULL */
} GroupClient;

/* Starts convoke-client joining @room as @identity; stats and its stderr go
 * to files in @dir (the stderr is copied to ours when the client is freed).
 * Clients publish the default 320x240 15 fps test video and tone. */
GroupClient *group_client_start (TestDaemon *d, const char *dir, const char *room,
                                 const char *identity);

typedef struct
{
  const char *url;               /* NULL: the daemon's base URL */
  const char *const *extra_args; /* more convoke-client options, or NULL */
  /* When set, returns the command line to run instead of @argv (for
   * example inside a network namespace, test_link_wrap_argv()). */
  char **(*wrap) (const char *const *argv, gpointer wrap_data);
  gpointer wrap_data;
} GroupClientOptions;

GroupClient *group_client_start_full (TestDaemon *d, const char *dir, const char *room,
                                      const char *identity,
                                      const GroupClientOptions *options);
/* Re-reads the stats file; FALSE when it is not there (yet). */
gboolean group_client_refresh (GroupClient *client);
/* Decoded frames (video) or buffers (audio) of @kind from the connected
 * participant called @identity, per the last refresh; 0 when unknown. */
guint64 group_client_decoded_from (GroupClient *client, const char *identity,
                                   const char *kind);
/* An integer member of the stats of @identity's track of @kind, per the
 * last refresh (docs/convoke-client.md: "stalls", "longest_gap_ms", …);
 * 0 when unknown or null. */
gint64 group_client_track_stat (GroupClient *client, const char *identity,
                                const char *kind, const char *member);
/* The participant sid of @identity as @client sees it (connected only). */
const char *group_client_peer_sid (GroupClient *client, const char *identity);
/* The lines of the client's stderr so far that contain @needle, or NULL
 * when none does. */
char *group_client_log_grep (GroupClient *client, const char *needle);
/* The error code in the stats, or 0. */
gint64 group_client_error_code (GroupClient *client);
gboolean group_client_running (GroupClient *client);
/* SIGTERM (a clean leave), then waits for the exit. */
void group_client_stop (GroupClient *client);
void group_client_free (GroupClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GroupClient, group_client_free)

/* Waits until every client in @clients (GroupClient*) decoded at least
 * @frames video frames and @frames audio buffers from every other one.
 * Returns FALSE after @timeout_ms (a base figure, scaled: test_wait_until),
 * after logging who lacks what. */
gboolean group_clients_wait_media (GPtrArray *clients, guint64 frames, guint timeout_ms);

G_END_DECLS
