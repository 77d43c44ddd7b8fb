/* convoke-load against a real convoked on 127.0.0.1: a 2-participant group
 * room must forward all four streams, and the report must say so and name
 * the room's worker; --room-start must find the workers it started. No
 * timing is asserted.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "test-process.h"
#include "test-time.h"

#define API_KEY "SK00000000000000000000000000000b07"
#define API_SECRET "bench-test-secret-0123456789"
#define ACCOUNT_SID "AC00000000000000000000000000000b07"
/* Deadlines, as base figures for an idle 2-core machine: scaled by the
 * test suite's one knob (tests/harness/test-time.h). convoke-load gets its
 * own as --setup-timeout; --warmup and --duration are measuring time and
 * stay as they are. */
#define START_TIMEOUT_MS 20000
#define SETUP_TIMEOUT_MS 30000

typedef struct
{
  char *dir;
  GSubprocess *daemon;
  char *url;
  char *pid;
} Fixture;

static const char *
program (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set: run this test through meson test", variable);
  return path;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *config = NULL;
  g_autofree char *url_file = NULL;
  g_autofree char *log_file = NULL;
  gint64 deadline;

  f->dir = g_dir_make_tmp ("convoke-load-test-XXXXXX", &error);
  g_assert_no_error (error);
  config = g_build_filename (f->dir, "convoke.conf", NULL);
  url_file = g_build_filename (f->dir, "url", NULL);
  g_file_set_contents (config,
                       "[server]\nlisten=127.0.0.1:0\n"
                       "[auth]\napi-key=" API_KEY "\napi-secret=" API_SECRET
                       "\naccount-sid=" ACCOUNT_SID "\n",
                       -1, &error);
  g_assert_no_error (error);
  /* To a file, not our stdout: a pipe reader would wait for the daemon. */
  log_file = g_build_filename (f->dir, "convoked.log", NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_file);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_file);
  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent,
                                         GINT_TO_POINTER (SIGTERM), NULL);
  f->daemon = g_subprocess_launcher_spawn (launcher, &error, program ("CONVOKED"), "-c",
                                           config, "--url-file", url_file, NULL);
  g_assert_no_error (error);
  f->pid = g_strdup (g_subprocess_get_identifier (f->daemon));

  deadline = test_deadline (START_TIMEOUT_MS);
  while (!g_file_get_contents (url_file, &f->url, NULL, NULL) || *f->url == '\0')
    {
      g_clear_pointer (&f->url, g_free);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
    }
  g_strstrip (f->url);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_send_signal (f->daemon, SIGTERM);
  g_subprocess_wait (f->daemon, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (f->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (f->daemon), ==, 0);
  g_object_unref (f->daemon);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->url);
  g_free (f->pid);
}

/* Runs convoke-load against the fixture's daemon with @extra arguments
 * and returns its JSON report; *status gets its exit status. */
static JsonObject *
run_load (Fixture *f, const char *const *extra, int *status, char **err_out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *json = g_build_filename (f->dir, "report.json", NULL);
  g_autofree char *clip = g_build_filename (f->dir, "clip.bin", NULL);
  g_autoptr (GSubprocess) load = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *setup_timeout
      = g_strdup_printf ("%u", (test_scaled_ms (SETUP_TIMEOUT_MS) + 999) / 1000);
  const char *const common[] = { program ("CONVOKE_LOAD"),
                                 "--url",
                                 f->url,
                                 "--api-key",
                                 API_KEY,
                                 "--api-secret",
                                 API_SECRET,
                                 "--account-sid",
                                 ACCOUNT_SID,
                                 "--server-pid",
                                 f->pid,
                                 "--json",
                                 json,
                                 "--clip",
                                 clip,
                                 "--setup-timeout",
                                 setup_timeout };

  g_unlink (json);
  for (guint i = 0; i < G_N_ELEMENTS (common); i++)
    g_ptr_array_add (argv, (gpointer) common[i]);
  for (guint i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);

  load = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (load, NULL, NULL, NULL, err_out, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (load);
  if (!json_parser_load_from_file (parser, json, NULL))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gint64
kind_member (JsonObject *report, const char *name, const char *kind)
{
  return json_object_get_int_member (json_object_get_object_member (report, name), kind);
}

static void
test_two_publishers (Fixture *f, gconstpointer data)
{
  const char *const extra[] = {
    "--publishers", "2", "--warmup", "1", "--duration", "2", "--label", "test", NULL
  };
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) report = NULL;
  JsonArray *processes;
  gboolean worker_seen = FALSE;
  int status;

  report = run_load (f, extra, &status, &err);
  g_assert_nonnull (report);
  if (json_object_get_int_member (report, "errors") != 0)
    g_test_message ("convoke-load said: %s", err);
  g_assert_cmpint (json_object_get_int_member (report, "errors"), ==, 0);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (report, "server"), ==, "convoke");
  g_assert_cmpint (json_object_get_int_member (report, "streams_expected"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (report, "streams_forwarded"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (report, "participants_complete"), ==, 2);
  for (guint k = 0; k < 2; k++)
    {
      const char *kind = k == 0 ? "audio" : "video";

      g_assert_cmpint (kind_member (report, "packets_published", kind), >, 0);
      g_assert_cmpint (kind_member (report, "packets_forwarded", kind), >, 0);
      g_assert_cmpint (kind_member (report, "bytes_forwarded", kind), >,
                       kind_member (report, "packets_forwarded", kind) * 12);
    }
  g_assert_cmpint (
      json_object_get_int_member (
          json_object_get_object_member (report, "join_to_first_packet_ms"), "count"),
      ==, 4);

  processes = json_object_get_array_member (report, "server_processes");
  for (guint i = 0; i < json_array_get_length (processes); i++)
    {
      JsonObject *process = json_array_get_object_element (processes, i);

      if (g_strcmp0 (json_object_get_string_member (process, "role"), "worker") == 0)
        {
          worker_seen = TRUE;
          g_assert_cmpint (json_object_get_int_member (process, "vm_hwm_kib"), >, 0);
        }
      else
        g_assert_cmpstr (json_object_get_string_member (process, "role"), ==, "daemon");
    }
  g_assert_true (worker_seen);
  /* The secret never reaches a report. */
  g_assert_null (strstr (json_object_get_string_member (report, "command"), API_SECRET));
}

static void
test_room_start (Fixture *f, gconstpointer data)
{
  const char *const extra[] = { "--room-start", "2", NULL };
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) report = NULL;
  int status;

  report = run_load (f, extra, &status, &err);
  g_assert_nonnull (report);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (json_object_get_int_member (report, "rooms_started"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (report, "workers_found"), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (
                         json_object_get_object_member (report, "worker_rss_kib"), "p50"),
                     >, 0.0);
  /* The first worker's RSS mapping by mapping: the worker program itself
   * and libc are among them (not always "[heap]": ASan's allocator maps
   * its own memory), and they add up to about its RSS. */
  {
    JsonObject *by_mapping = json_object_get_object_member (report, "worker_rss_by_mapping_kib");
    g_autoptr (GList) names = NULL;
    double sum = 0.0, rss_max = json_object_get_double_member (
                          json_object_get_object_member (report, "worker_rss_kib"), "max");
    gboolean worker = FALSE, libc = FALSE;

    g_assert_nonnull (by_mapping);
    names = json_object_get_members (by_mapping);
    for (GList *l = names; l != NULL; l = l->next)
      {
        sum += json_object_get_int_member (by_mapping, l->data);
        worker |= g_str_has_suffix (l->data, "/convoke-room-worker");
        libc |= strstr (l->data, "/libc.so") != NULL;
      }
    g_assert_true (worker);
    g_assert_true (libc);
    g_assert_cmpfloat (sum, >, 0.5 * rss_max);
    g_assert_cmpfloat (sum, <, 2.0 * rss_max);
  }
}

static void
test_bad_arguments (Fixture *f, gconstpointer data)
{
  const char *const extra[] = { "--server", "jitsi", NULL };
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) report = NULL;
  int status;

  report = run_load (f, extra, &status, &err);
  g_assert_null (report);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "jitsi"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/bench/convoke-load/two-publishers", Fixture, NULL, fixture_set_up,
              test_two_publishers, fixture_tear_down);
  g_test_add ("/bench/convoke-load/room-start", Fixture, NULL, fixture_set_up,
              test_room_start, fixture_tear_down);
  g_test_add ("/bench/convoke-load/bad-arguments", Fixture, NULL, fixture_set_up,
              test_bad_arguments, fixture_tear_down);
  return g_test_run ();
}
