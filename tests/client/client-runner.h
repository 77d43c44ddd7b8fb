/* Test helper: convoke-client processes against a TestDaemon, and what
 * they report in their --stats-json files and output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-daemon.h"
#include "test-process.h"

G_BEGIN_DECLS

typedef struct
{
  char *identity;
  GSubprocess *process;
  char *dir; /* stats.json, stdout, stderr */
  char *stats_path;
  char *stdout_path;
  char *stderr_path;
} TestClient;

/* test_daemon_start() with test_kill_with_test() on the daemon. */
TestDaemon *test_client_daemon_start (const char *extra_config);

/* Starts convoke-client as @identity in @room (token minted by the client
 * from the test credentials), with small test sources and --stats-json.
 * @extra_args: more arguments or NULL. */
TestClient *test_client_start (TestDaemon *d, const char *identity, const char *room,
                               const char *const *extra_args);
/* Every @timeout_ms here is a deadline, a base figure that test_wait_until
 * scales (test-time.h). */

/* Sends SIGTERM (if still running), waits and frees. Returns the exit
 * status (-1 when it did not exit normally). */
int test_client_stop (TestClient *client);
/* Waits up to @timeout_ms for the process to exit by itself; returns its
 * exit status, or -1 when it is still running or was killed. */
int test_client_wait_exit (TestClient *client, guint timeout_ms);

/* The parsed stats file, or NULL when not written yet. */
JsonObject *test_client_stats (TestClient *client);
char *test_client_stdout (TestClient *client);
char *test_client_stderr (TestClient *client);
/* The participant sid the client reports for itself, or NULL. */
char *test_client_sid (TestClient *client);

/* The remote participant entry for @sid_or_identity (the newest one with
 * that identity), or NULL. Returned object belongs to @stats. */
JsonObject *test_stats_participant (JsonObject *stats, const char *sid_or_identity);
/* frames_decoded of @kind from the *connected* participant with
 * @identity, or -1 when there is none. */
gint64 test_client_frames_from (TestClient *client, const char *identity,
                                const char *kind);
/* TRUE when @client decodes at least @video_frames video frames and
 * @audio_frames audio buffers from each of @identities. */
gboolean test_client_receives_from (TestClient *client, const char *const *identities,
                                    gint64 video_frames, gint64 audio_frames);
/* Spins the main context until every client in the NULL-terminated
 * @clients receives from every other one, or @timeout_ms passes. */
gboolean test_clients_wait_all_receive (TestClient **clients, gint64 video_frames,
                                        gint64 audio_frames, guint timeout_ms);

G_END_DECLS
