/* The group-room reliability loop: each iteration a new room, four
 * convoke-clients joining 0-500 ms apart at random, media checked between
 * every pair, one client leaving and rejoining, media checked again, the
 * room completed. No worker may crash or be replaced on the way, and no
 * client may fail to apply a description.
 *
 * GROUP_RELIABILITY_ITERATIONS sets the count (tests/sfu/meson.build: 8
 * by default, 200 in the `long` suite); GROUP_RELIABILITY_SEED replays a
 * run (the seed is logged).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "group-client.h"
#include "group-proc-checks.h"
#include "test-daemon.h"

#define CLIENTS 4
#define FRAMES 10
#define PHASE_TIMEOUT_MS 20000

typedef struct
{
  GPtrArray *clients;
  guint64 baseline[CLIENTS * CLIENTS];
} Progress;

static void
progress_snapshot (Progress *progress)
{
  for (guint i = 0; i < CLIENTS; i++)
    group_client_refresh (g_ptr_array_index (progress->clients, i));
  for (guint i = 0; i < CLIENTS; i++)
    for (guint j = 0; j < CLIENTS; j++)
      progress->baseline[i * CLIENTS + j]
          = i == j
                ? 0
                : group_client_decoded_from (
                    g_ptr_array_index (progress->clients, i),
                    ((GroupClient *) g_ptr_array_index (progress->clients, j))->identity,
                    "video");
}

/* Every pair decoded FRAMES more video frames than at the snapshot, and
 * audio flows too. A rejoined client's connections are new, so for its
 * pairs this is FRAMES from scratch. */
static gboolean
progress_made (gpointer data)
{
  Progress *progress = data;

  for (guint i = 0; i < CLIENTS; i++)
    group_client_refresh (g_ptr_array_index (progress->clients, i));
  for (guint i = 0; i < CLIENTS; i++)
    for (guint j = 0; j < CLIENTS; j++)
      {
        GroupClient *receiver = g_ptr_array_index (progress->clients, i);
        GroupClient *sender = g_ptr_array_index (progress->clients, j);

        if (i == j)
          continue;
        if (group_client_decoded_from (receiver, sender->identity, "video")
                < progress->baseline[i * CLIENTS + j] + FRAMES
            || group_client_decoded_from (receiver, sender->identity, "audio") == 0)
          return FALSE;
      }
  return TRUE;
}

typedef struct
{
  GPtrArray *clients;
  guint gone;
  const char *gone_sid;
} DepartureWait;

static gboolean
departure_seen (gpointer data)
{
  DepartureWait *wait = data;
  const char *identity
      = ((GroupClient *) g_ptr_array_index (wait->clients, wait->gone))->identity;

  for (guint i = 0; i < wait->clients->len; i++)
    {
      GroupClient *client = g_ptr_array_index (wait->clients, i);
      const char *sid;

      if (i == wait->gone)
        continue;
      group_client_refresh (client);
      sid = group_client_peer_sid (client, identity);
      if (sid != NULL && g_strcmp0 (sid, wait->gone_sid) == 0)
        return FALSE;
    }
  return TRUE;
}

static void
report_media (Progress *progress)
{
  for (guint i = 0; i < CLIENTS; i++)
    for (guint j = 0; j < CLIENTS; j++)
      {
        GroupClient *receiver = g_ptr_array_index (progress->clients, i);
        GroupClient *sender = g_ptr_array_index (progress->clients, j);

        if (i != j)
          g_test_message ("  %s from %s: %" G_GUINT64_FORMAT
                          " video (baseline %" G_GUINT64_FORMAT "), %" G_GUINT64_FORMAT
                          " audio%s",
                          receiver->identity, sender->identity,
                          group_client_decoded_from (receiver, sender->identity, "video"),
                          progress->baseline[i * CLIENTS + j],
                          group_client_decoded_from (receiver, sender->identity, "audio"),
                          group_client_running (receiver) ? "" : " (exited)");
      }
  /* g_error() follows: the clients are not freed, so show their stderr
   * (why one exited, say) now. */
  for (guint i = 0; i < CLIENTS; i++)
    {
      GroupClient *client = g_ptr_array_index (progress->clients, i);
      g_autofree char *log = group_client_log_grep (client, "");

      if (log != NULL)
        g_test_message ("  %s stderr:\n%s", client->identity, log);
    }
}

/* Every description the server sent must have applied: a client that
 * could not apply one (webrtcbin refuses, for instance, an m-line whose
 * direction changes) may still decode for a while and fail later. */
static void
check_negotiation (GroupClient *client, guint iteration)
{
  static const char *const failures[] = { "could not apply", "could not create" };

  for (guint i = 0; i < G_N_ELEMENTS (failures); i++)
    {
      g_autofree char *lines = group_client_log_grep (client, failures[i]);

      if (lines != NULL)
        g_error ("iteration %u: %s failed to negotiate:\n%s", iteration, client->identity,
                 lines);
    }
}

static void
run_iteration (TestDaemon *d, const char *dir, GRand *rand, guint iteration)
{
  g_autofree char *name = g_strdup_printf ("reliability-%u", iteration);
  const char *form[] = { "UniqueName", name, "Type", "group", NULL };
  const char *complete[] = { "Status", "completed", NULL };
  g_autoptr (JsonNode) room = NULL;
  g_autoptr (GPtrArray) clients
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_client_free);
  g_autofree char *sid = NULL;
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;
  g_autofree char *gone_sid = NULL;
  Progress progress = { clients, { 0 } };
  gint64 started = g_get_monotonic_time ();
  guint leaver;
  pid_t worker;

  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, &room, NULL), ==, 201);
  sid = g_strdup (json_object_get_string_member (json_node_get_object (room), "sid"));
  path = g_strdup_printf ("/v1/Rooms/%s", sid);

  for (guint i = 0; i < CLIENTS; i++)
    {
      g_autofree char *identity = g_strdup_printf ("r%u-user%u", iteration, i);

      if (i > 0)
        g_usleep (g_rand_int_range (rand, 0, 501) * 1000);
      g_ptr_array_add (clients, group_client_start (d, dir, name, identity));
    }

  worker = group_proc_find_worker (d->pid, sid);
  g_assert_cmpint (worker, >, 0);
  if (!test_wait_until (progress_made, &progress, PHASE_TIMEOUT_MS))
    {
      report_media (&progress);
      g_error ("iteration %u: not every client got media after joining", iteration);
    }

  /* One client leaves; the others see it go; it joins again. */
  leaver = g_rand_int_range (rand, 0, CLIENTS);
  {
    GroupClient *old = g_ptr_array_index (clients, leaver);
    g_autofree char *identity = g_strdup (old->identity);
    DepartureWait departure = { clients, leaver, NULL };

    group_client_refresh (old);
    gone_sid = g_strdup (json_object_get_string_member (old->stats, "participant_sid"));
    departure.gone_sid = gone_sid;
    group_client_stop (old);
    check_negotiation (old, iteration);
    g_assert_true (test_wait_until (departure_seen, &departure, PHASE_TIMEOUT_MS));
    group_client_free (old);
    clients->pdata[leaver] = group_client_start (d, dir, name, identity);
  }
  progress_snapshot (&progress);
  if (!test_wait_until (progress_made, &progress, PHASE_TIMEOUT_MS))
    {
      report_media (&progress);
      g_error ("iteration %u: media did not recover after client %u rejoined", iteration,
               leaver);
    }

  for (guint i = 0; i < CLIENTS; i++)
    check_negotiation (g_ptr_array_index (clients, i), iteration);

  /* Same worker all along: it neither crashed nor was replaced. */
  g_assert_cmpint (group_proc_find_worker (d->pid, sid), ==, worker);
  status = test_daemon_room_string (d, sid, "status");
  g_assert_cmpstr (status, ==, "in-progress");

  g_ptr_array_set_size (clients, 0);
  g_assert_cmpuint (test_http (d, "POST", path, TRUE, complete, NULL, NULL), ==, 202);
  g_clear_pointer (&status, g_free);
  status = test_daemon_room_string (d, sid, "status");
  g_assert_cmpstr (status, ==, "completed");
  g_assert_true (test_daemon_alive (d));
  g_test_message ("iteration %u: %" G_GINT64_FORMAT " ms (client %u rejoined)", iteration,
                  (g_get_monotonic_time () - started) / 1000, leaver);
}

static void
test_reliability (void)
{
  const char *count_text = g_getenv ("GROUP_RELIABILITY_ITERATIONS");
  const char *seed_text = g_getenv ("GROUP_RELIABILITY_SEED");
  guint iterations
      = count_text != NULL ? (guint) g_ascii_strtoull (count_text, NULL, 10) : 25;
  guint32 seed = seed_text != NULL ? (guint32) g_ascii_strtoull (seed_text, NULL, 10)
                                   : (guint32) g_test_rand_int ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *dir = test_mkdtemp ();
  TestDaemon *d = test_daemon_start (NULL, NULL);

  g_test_message ("%u iterations, GROUP_RELIABILITY_SEED=%u", iterations, seed);
  for (guint i = 0; i < iterations; i++)
    run_iteration (d, dir, rand, i);

  test_daemon_stop (d);
  test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/group/reliability", test_reliability);
  return g_test_run ();
}
