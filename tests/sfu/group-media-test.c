/* Group rooms end to end: a real convoked, its media workers and
 * convoke-client processes (webrtcbin) on loopback. Media is asserted on
 * the clients' decoded-frame counters.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "group-client.h"
#include "group-proc-checks.h"
#include "test-daemon.h"

#define MEDIA_TIMEOUT_MS 20000

static char *
create_group_room (TestDaemon *d, const char *name)
{
  const char *form[] = { "UniqueName", name, "Type", "group", NULL };
  g_autoptr (JsonNode) body = NULL;

  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, &body, NULL), ==, 201);
  return g_strdup (json_object_get_string_member (json_node_get_object (body), "sid"));
}

static GPtrArray *
start_clients (TestDaemon *d, const char *dir, const char *room, guint count,
               guint spacing_ms)
{
  GPtrArray *clients
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_client_free);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *identity = g_strdup_printf ("%s-user%u", room, i);

      if (i > 0 && spacing_ms > 0)
        g_usleep (spacing_ms * 1000);
      g_ptr_array_add (clients, group_client_start (d, dir, room, identity));
    }
  return clients;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* The tracks REST lists for @participant, as "audio,video" (kinds sorted). */
static char *
published_kinds (TestDaemon *d, const char *room, const char *participant)
{
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s/Participants/%s/PublishedTracks",
                                           room, participant);
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (GPtrArray) kinds = g_ptr_array_new ();
  JsonArray *tracks;

  g_assert_cmpuint (test_http (d, "GET", path, TRUE, NULL, &body, NULL), ==, 200);
  tracks = json_object_get_array_member (json_node_get_object (body), "published_tracks");
  for (guint i = 0; i < json_array_get_length (tracks); i++)
    g_ptr_array_add (kinds, (gpointer) json_object_get_string_member (
                                json_array_get_object_element (tracks, i), "kind"));
  g_ptr_array_sort (kinds, compare_strings);
  g_ptr_array_add (kinds, NULL);
  return g_strjoinv (",", (char **) kinds->pdata);
}

/* Four clients in one group room: each decodes video and audio from each
 * of the other three. */
static void
test_four_clients (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *sid = create_group_room (d, "four");
  g_autofree char *status = NULL;
  g_autoptr (GPtrArray) clients = NULL;
  gint64 started;
  pid_t worker;

  started = g_get_monotonic_time ();
  clients = start_clients (d, dir, "four", 4, 200);
  g_assert_true (group_clients_wait_media (clients, 30, MEDIA_TIMEOUT_MS));
  g_test_message (
      "every client decoded 30 frames from every other after %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - started) / 1000);

  worker = group_proc_find_worker (d->pid, sid);
  g_assert_cmpint (worker, >, 0);
  for (guint i = 0; i < clients->len; i++)
    {
      GroupClient *client = g_ptr_array_index (clients, i);

      g_autofree char *kinds = NULL;

      g_assert_cmpint (group_client_error_code (client), ==, 0);
      g_assert_cmpstr (json_object_get_string_member (client->stats, "topology"), ==,
                       "sfu");
      /* The clients announce their tracks; the worker, which sees their
       * media too, must not add a second audio or video track. */
      kinds = published_kinds (
          d, sid, json_object_get_string_member (client->stats, "participant_sid"));
      g_assert_cmpstr (kinds, ==, "audio,video");
    }
  g_clear_pointer (&clients, g_ptr_array_unref);
  status = test_daemon_room_string (d, sid, "status");
  g_assert_cmpstr (status, ==, "in-progress");
  g_assert_true (group_proc_alive (worker));

  test_daemon_stop (d);
  test_rm_rf (dir);
}

static guint
count_lines_starting (const char *text, const char *prefix)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint count = 0;

  for (char **line = lines; *line != NULL; line++)
    if (g_str_has_prefix (g_strchug (*line), prefix))
      count++;
  return count;
}

/* The live graph of a three-participant room: one router and one
 * transport branch per participant. */
static void
test_pipeline_graph (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *sid = create_group_room (d, "graph");
  g_autofree char *text_path = g_strdup_printf ("/v1/Rooms/%s/Pipeline?format=text", sid);
  g_autofree char *dot_path = g_strdup_printf ("/v1/Rooms/%s/Pipeline?format=dot", sid);
  g_autoptr (GPtrArray) clients = start_clients (d, dir, "graph", 3, 200);
  g_autoptr (GBytes) text_body = NULL;
  g_autoptr (GBytes) dot_body = NULL;
  g_autofree char *text = NULL;
  g_autofree char *dot = NULL;

  g_assert_true (group_clients_wait_media (clients, 10, MEDIA_TIMEOUT_MS));

  g_assert_cmpuint (test_http (d, "GET", text_path, TRUE, NULL, NULL, &text_body), ==,
                    200);
  text = g_strndup (g_bytes_get_data (text_body, NULL), g_bytes_get_size (text_body));
  g_test_message ("%s", text);
  g_assert_cmpuint (count_lines_starting (text, "GstConvokeRouter "), ==, 1);
  g_assert_cmpuint (count_lines_starting (text, "GstNiceSrc "), ==, 3);
  g_assert_cmpuint (count_lines_starting (text, "GstDtlsSrtpDec "), ==, 3);
  g_assert_cmpuint (count_lines_starting (text, "GstDtlsSrtpEnc "), ==, 3);
  g_assert_cmpuint (count_lines_starting (text, "GstNiceSink "), ==, 3);

  g_assert_cmpuint (test_http (d, "GET", dot_path, TRUE, NULL, NULL, &dot_body), ==, 200);
  dot = g_strndup (g_bytes_get_data (dot_body, NULL), g_bytes_get_size (dot_body));
  g_assert_true (g_str_has_prefix (dot, "digraph"));
  g_assert_nonnull (strstr (dot, "GstConvokeRouter"));
  /* Every participant's branch carries its sid. */
  for (guint i = 0; i < clients->len; i++)
    {
      GroupClient *client = g_ptr_array_index (clients, i);
      const char *participant
          = json_object_get_string_member (client->stats, "participant_sid");

      g_assert_nonnull (strstr (dot, participant));
      g_assert_nonnull (strstr (text, participant));
    }

  /* convokectl prints the same graph. */
  {
    g_autoptr (GSubprocess) ctl = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *out = NULL;

    ctl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            test_program ("CONVOKECTL"), "--url", d->base_url,
                            "--api-key", d->api_key, "--api-secret", d->api_secret,
                            "rooms", "pipeline", "graph", "--format", "text", NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (ctl, NULL, NULL, &out, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (g_subprocess_get_exit_status (ctl), ==, 0);
    g_assert_cmpuint (count_lines_starting (out, "GstNiceSrc "), ==, 3);
  }

  g_clear_pointer (&clients, g_ptr_array_unref);
  test_daemon_stop (d);
  test_rm_rf (dir);
}

typedef struct
{
  GPtrArray *clients;
  guint64 *baseline;
  guint64 more;
} ProgressWait;

/* Every client of @clients decoded @more video frames from every other
 * since @baseline was taken (indexed receiver * n + sender). */
static gboolean
media_progressed (gpointer data)
{
  ProgressWait *wait = data;
  guint n = wait->clients->len;

  for (guint i = 0; i < n; i++)
    group_client_refresh (g_ptr_array_index (wait->clients, i));
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      {
        GroupClient *receiver = g_ptr_array_index (wait->clients, i);
        GroupClient *sender = g_ptr_array_index (wait->clients, j);

        if (i != j
            && group_client_decoded_from (receiver, sender->identity, "video")
                   < wait->baseline[i * n + j] + wait->more)
          return FALSE;
      }
  return TRUE;
}

static gboolean
clients_exited (gpointer data)
{
  GPtrArray *clients = data;

  for (guint i = 0; i < clients->len; i++)
    if (group_client_running (g_ptr_array_index (clients, i)))
      return FALSE;
  return TRUE;
}

/* Two rooms with media; one room's worker is killed. Its clients are told
 * (53119) and its room fails; the other room's clients keep receiving. */
static void
test_crash_isolation (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *sid_a = create_group_room (d, "doomed");
  g_autofree char *sid_b = create_group_room (d, "steady");
  g_autoptr (GPtrArray) clients_a = start_clients (d, dir, "doomed", 2, 0);
  g_autoptr (GPtrArray) clients_b = start_clients (d, dir, "steady", 2, 0);
  g_autofree char *status_a = NULL;
  g_autofree char *status_b = NULL;
  guint64 baseline[4] = { 0 };
  ProgressWait progress = { clients_b, baseline, 30 };
  pid_t worker_a, worker_b;

  g_assert_true (group_clients_wait_media (clients_a, 10, MEDIA_TIMEOUT_MS));
  g_assert_true (group_clients_wait_media (clients_b, 10, MEDIA_TIMEOUT_MS));
  worker_a = group_proc_find_worker (d->pid, sid_a);
  worker_b = group_proc_find_worker (d->pid, sid_b);
  g_assert_cmpint (worker_a, >, 0);
  g_assert_cmpint (worker_b, >, 0);

  for (guint i = 0; i < 2; i++)
    for (guint j = 0; j < 2; j++)
      if (i != j)
        baseline[i * 2 + j] = group_client_decoded_from (
            g_ptr_array_index (clients_b, i),
            ((GroupClient *) g_ptr_array_index (clients_b, j))->identity, "video");

  g_assert_cmpint (kill (worker_a, SIGKILL), ==, 0);

  /* The doomed room's clients are disconnected with the reason. */
  g_assert_true (test_wait_until (clients_exited, clients_a, MEDIA_TIMEOUT_MS));
  for (guint i = 0; i < clients_a->len; i++)
    {
      GroupClient *client = g_ptr_array_index (clients_a, i);

      group_client_refresh (client);
      g_assert_cmpint (group_client_error_code (client), ==, 53119);
    }
  status_a = test_daemon_room_string (d, sid_a, "status");
  g_assert_cmpstr (status_a, ==, "failed");

  /* The steady room is untouched: same worker, media still flowing. */
  g_assert_true (test_wait_until (media_progressed, &progress, MEDIA_TIMEOUT_MS));
  g_assert_cmpint (group_proc_find_worker (d->pid, sid_b), ==, worker_b);
  status_b = test_daemon_room_string (d, sid_b, "status");
  g_assert_cmpstr (status_b, ==, "in-progress");
  for (guint i = 0; i < clients_b->len; i++)
    g_assert_true (group_client_running (g_ptr_array_index (clients_b, i)));

  g_clear_pointer (&clients_a, g_ptr_array_unref);
  g_clear_pointer (&clients_b, g_ptr_array_unref);
  test_daemon_stop (d);
  test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/group/media/four-clients", test_four_clients);
  g_test_add_func ("/group/media/crash-isolation", test_crash_isolation);
  /* Last: it needs the REST route as well as the worker. */
  g_test_add_func ("/group/media/pipeline-graph", test_pipeline_graph);
  return g_test_run ();
}
