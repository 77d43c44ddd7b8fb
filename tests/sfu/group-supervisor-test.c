/* The worker supervisor inside a real convoked: one worker per room, the
 * worker's isolation, crash isolation between rooms, clean stops, the
 * shared certificate and registry, and the pipeline dump over REST.
 *
 * The rooms run the "grouptest" module (group-test-module.c): a real
 * worker with a tiny pipeline but no media, so these tests do not depend
 * on WebRTC clients. The config maps the built-in group types to it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>

#include "group-proc-checks.h"
#include "group-ws-participant.h"
#include "grouptest-module-dir.h"
#include "test-daemon.h"

/* A deadline, as a base figure: the harness's waits scale it. */
#define WAIT_MS 20000

/* Without the pool: these tests count the daemon's worker processes, and
 * a waiting pooled worker would be one more (group-pool-test.c tests the
 * pool). */
static const char config[] = "[media]\n"
                             "worker-pool=0\n"
                             "[type:group]\n"
                             "module=grouptest\n"
                             "[type:group-small]\n"
                             "module=grouptest\n"
                             /* A sink that waits for a preroll that never
                              * comes: the pipeline never reaches PLAYING. */
                             "[type:stuck]\n"
                             "module=grouptest\n"
                             "elements=appsrc ! fakesink\n"
                             /* videotestsrc is installed, but its plugin
                              * is not one of grouptest's worker_plugins. */
                             "[type:outside]\n"
                             "module=grouptest\n"
                             "elements=videotestsrc is-live=true ! fakesink\n";

typedef struct
{
  TestDaemon *daemon;
  char *module_dir;
} Fixture;

static void
fixture_start (Fixture *f)
{
  const char *args[] = { "--module-dir", NULL, NULL };

  f->module_dir = grouptest_module_dir_new ();
  args[1] = f->module_dir;
  f->daemon = test_daemon_start (config, args);
}

static void
fixture_stop (Fixture *f)
{
  test_daemon_stop (f->daemon);
  test_rm_rf (f->module_dir);
  g_free (f->module_dir);
}

static JsonObject *
create_room (TestDaemon *d, const char *name)
{
  const char *form[] = { "UniqueName", name, "Type", "group", NULL };
  g_autoptr (JsonNode) body = NULL;
  guint status = test_http (d, "POST", "/v1/Rooms", TRUE, form, &body, NULL);

  g_assert_cmpuint (status, ==, 201);
  return json_object_ref (json_node_get_object (body));
}

static guint
metric_workers_running (TestDaemon *d)
{
  g_autoptr (GBytes) body = NULL;
  const char *line;

  g_assert_cmpuint (test_http (d, "GET", "/metrics", FALSE, NULL, NULL, &body), ==, 200);
  line = strstr (g_bytes_get_data (body, NULL), "\nconvoke_workers_running ");
  g_assert_nonnull (line);
  return (guint) atoi (line + strlen ("\nconvoke_workers_running "));
}

typedef struct
{
  TestDaemon *daemon;
  guint expected;
} MetricWait;

static gboolean
metric_reached (gpointer data)
{
  MetricWait *wait = data;

  return metric_workers_running (wait->daemon) == wait->expected;
}

/* The daemon counts a worker until it has reaped it, a moment after the
 * process is gone from /proc. */
static gboolean
wait_metric_workers_running (TestDaemon *d, guint expected)
{
  MetricWait wait = { d, expected };

  return test_wait_until (metric_reached, &wait, WAIT_MS);
}

typedef struct
{
  pid_t parent;
  guint count;
} ChildrenWait;

static gboolean
children_counted (gpointer data)
{
  ChildrenWait *wait = data;
  g_autoptr (GArray) children = group_proc_children (wait->parent, GROUP_WORKER_COMM);

  return children->len == wait->count;
}

/* Waits until the daemon has exactly @count workers and returns their
 * pids. */
static GArray *
wait_workers (TestDaemon *d, guint count)
{
  ChildrenWait wait = { d->pid, count };

  if (!test_wait_until (children_counted, &wait, WAIT_MS))
    g_error ("the daemon does not have %u workers", count);
  return group_proc_children (d->pid, GROUP_WORKER_COMM);
}

static gboolean
pid_gone (gpointer data)
{
  return !group_proc_alive (GPOINTER_TO_INT (data));
}

static gboolean
wait_pid_gone (pid_t pid)
{
  return test_wait_until (pid_gone, GINT_TO_POINTER (pid), WAIT_MS);
}

static gboolean
core_limit_is_zero (gpointer data)
{
  g_autofree char *limit = group_proc_core_limit (GPOINTER_TO_INT (data));

  return g_strcmp0 (limit, "0") == 0;
}

static char *
read_proc_file (pid_t pid, const char *name, gsize *length)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/%s", (int) pid, name);
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, length, NULL));
  return contents;
}

/* Whether NUL-separated @data (cmdline, environ) holds @item. */
static gboolean
nul_list_has (const char *data, gsize length, const char *item, gboolean prefix)
{
  for (const char *p = data; p < data + length; p += strlen (p) + 1)
    if (prefix ? g_str_has_prefix (p, item) : g_str_equal (p, item))
      return TRUE;
  return FALSE;
}

/* A room gets one worker, the participant path daemon → worker → daemon
 * works, completing the room stops the worker, and the metrics follow. */
static void
test_lifecycle (void)
{
  Fixture f;
  g_autoptr (JsonObject) room = NULL;
  g_autoptr (GroupWsParticipant) alice = NULL;
  g_autoptr (GArray) workers = NULL;
  g_autofree char *path = NULL;
  const char *complete[] = { "Status", "completed", NULL };
  JsonObject *echo;
  pid_t worker;

  fixture_start (&f);
  g_assert_cmpuint (metric_workers_running (f.daemon), ==, 0);
  room = create_room (f.daemon, "lifecycle");
  workers = wait_workers (f.daemon, 1);
  worker = g_array_index (workers, pid_t, 0);
  g_assert_cmpuint (metric_workers_running (f.daemon), ==, 1);

  /* participant_joined → worker → worker_event → the participant. */
  alice = group_ws_join (f.daemon, "lifecycle", "alice");
  echo = group_ws_wait (alice, "echo", NULL, WAIT_MS);
  g_assert_nonnull (echo);
  g_assert_cmpstr (json_object_get_string_member (echo, "participant"), ==, alice->sid);

  path = g_strdup_printf ("/v1/Rooms/%s", json_object_get_string_member (room, "sid"));
  /* Twilio answers an update with 202 Accepted. */
  g_assert_cmpuint (test_http (f.daemon, "POST", path, TRUE, complete, NULL, NULL), ==,
                    202);
  g_assert_true (wait_pid_gone (worker));
  g_assert_true (wait_metric_workers_running (f.daemon, 0));
  g_assert_true (group_ws_wait_closed (alice, WAIT_MS));
  {
    g_autofree char *status = test_daemon_room_string (
        f.daemon, json_object_get_string_member (room, "sid"), "status");

    g_assert_cmpstr (status, ==, "completed");
  }
  fixture_stop (&f);
}

/* What the daemon-spawned worker looks like from outside: the daemon's
 * child, no core dumps, no file open for writing, the shared registry and
 * certificate, and it dies with the daemon. (Its non-dumpable flag is
 * checked by group-worker-test, which can run the worker unprivileged.) */
static void
test_isolation (void)
{
  Fixture f;
  g_autoptr (JsonObject) first = NULL;
  g_autoptr (JsonObject) second = NULL;
  g_autoptr (GroupWsParticipant) alice = NULL;
  g_autoptr (GArray) workers = NULL;
  g_autoptr (GPtrArray) writable = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *core_limit = NULL;
  g_autofree char *cmdline = NULL;
  g_autofree char *environ_text = NULL;
  g_autofree char *fd0 = NULL;
  g_autofree char *fd1 = NULL;
  g_autofree char *fd2 = NULL;
  gsize length;
  pid_t worker, second_worker;

  /* The daemon, and so its workers, inherit a core limit above 0 from us
   * (when the hard limit allows it), so that a 0 is the worker's doing. */
  {
    struct rlimit saved, raised;

    g_assert_cmpint (getrlimit (RLIMIT_CORE, &saved), ==, 0);
    raised = (struct rlimit){ saved.rlim_max, saved.rlim_max };
    g_assert_cmpint (setrlimit (RLIMIT_CORE, &raised), ==, 0);
    fixture_start (&f);
    g_assert_cmpint (setrlimit (RLIMIT_CORE, &saved), ==, 0);
  }
  first = create_room (f.daemon, "isolation-1");
  workers = wait_workers (f.daemon, 1);
  worker = g_array_index (workers, pid_t, 0);
  g_assert_cmpint (group_proc_parent (worker), ==, f.daemon->pid);

  /* The worker may not have reached its main() when it is first seen. */
  g_assert_true (test_wait_until (core_limit_is_zero, GINT_TO_POINTER (worker), WAIT_MS));
  core_limit = group_proc_core_limit (worker);
  g_assert_cmpstr (core_limit, ==, "0");

  writable = group_proc_writable_files (worker, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < writable->len; i++)
    g_test_message ("open for writing: %s", (char *) g_ptr_array_index (writable, i));
  g_assert_cmpuint (writable->len, ==, 0);

  /* stdin is /dev/null, stdout and stderr pipes the daemon reads. */
  {
    g_autofree char *link0 = g_strdup_printf ("/proc/%d/fd/0", (int) worker);
    g_autofree char *link1 = g_strdup_printf ("/proc/%d/fd/1", (int) worker);
    g_autofree char *link2 = g_strdup_printf ("/proc/%d/fd/2", (int) worker);

    fd0 = g_file_read_link (link0, NULL);
    fd1 = g_file_read_link (link1, NULL);
    fd2 = g_file_read_link (link2, NULL);
  }
  g_assert_cmpstr (fd0, ==, "/dev/null");
  g_assert_true (g_str_has_prefix (fd1, "pipe:"));
  g_assert_true (g_str_has_prefix (fd2, "pipe:"));

  /* The first worker makes the certificate; the next one is handed it. */
  cmdline = read_proc_file (worker, "cmdline", &length);
  g_assert_false (nul_list_has (cmdline, length, "--certificate-fd", FALSE));
  g_assert_true (nul_list_has (cmdline, length, "max-participants=50", FALSE)
                 || nul_list_has (cmdline, length, "--option", FALSE));
  environ_text = read_proc_file (worker, "environ", &length);
  if (g_getenv ("GST_REGISTRY") == NULL)
    g_assert_true (nul_list_has (environ_text, length, "GST_REGISTRY=", TRUE));

  /* An answer through the worker means it sent `ready`, and so its
   * certificate before that. */
  alice = group_ws_join (f.daemon, "isolation-1", "alice");
  g_assert_nonnull (group_ws_wait (alice, "echo", NULL, WAIT_MS));
  second = create_room (f.daemon, "isolation-2");
  g_clear_pointer (&workers, g_array_unref);
  workers = wait_workers (f.daemon, 2);
  second_worker = g_array_index (workers, pid_t, 0) == worker
                      ? g_array_index (workers, pid_t, 1)
                      : g_array_index (workers, pid_t, 0);
  g_clear_pointer (&cmdline, g_free);
  cmdline = read_proc_file (second_worker, "cmdline", &length);
  g_assert_true (nul_list_has (cmdline, length, "--certificate-fd", FALSE));

  /* The daemon killed outright: no socket EOF handling, no shutdown. */
  g_subprocess_force_exit (f.daemon->process);
  g_subprocess_wait (f.daemon->process, NULL, NULL);
  g_assert_true (wait_pid_gone (worker));
  g_assert_true (wait_pid_gone (second_worker));
  fixture_stop (&f);
}

/* Room A failed and its worker is gone; room B is in progress, and its
 * participant @bob still reaches its worker and back. */
static void
assert_only_room_failed (Fixture *f, JsonObject *room_a, JsonObject *room_b,
                         GroupWsParticipant *bob)
{
  g_autofree char *status_a = test_daemon_room_string (
      f->daemon, json_object_get_string_member (room_a, "sid"), "status");
  g_autofree char *status_b = test_daemon_room_string (
      f->daemon, json_object_get_string_member (room_b, "sid"), "status");
  g_autofree char *echo_request = NULL;
  guint from = 0;

  g_assert_cmpstr (status_a, ==, "failed");
  g_assert_cmpstr (status_b, ==, "in-progress");
  g_assert_true (wait_metric_workers_running (f->daemon, 1));
  echo_request = g_strdup_printf ("{\"type\":\"to-worker\",\"body\":{\"cmd\":\"echo\","
                                  "\"participant\":\"%s\"}}",
                                  bob->sid);
  group_ws_send (bob, echo_request);
  g_assert_nonnull (group_ws_wait (bob, "echo", &from, WAIT_MS));
  g_assert_false (bob->closed);
}

/* Two rooms; one worker is killed. Its room fails and its participant
 * hears why; the other room carries on. */
static void
test_crash_isolation (void)
{
  Fixture f;
  g_autoptr (JsonObject) room_a = NULL;
  g_autoptr (JsonObject) room_b = NULL;
  g_autoptr (GroupWsParticipant) alice = NULL;
  g_autoptr (GroupWsParticipant) bob = NULL;
  g_autoptr (GArray) workers = NULL;
  JsonObject *error;
  guint from = 0;
  pid_t worker_a = 0;

  fixture_start (&f);
  room_a = create_room (f.daemon, "crash-a");
  workers = wait_workers (f.daemon, 1);
  worker_a = g_array_index (workers, pid_t, 0);
  room_b = create_room (f.daemon, "crash-b");
  g_clear_pointer (&workers, g_array_unref);
  workers = wait_workers (f.daemon, 2);

  alice = group_ws_join (f.daemon, "crash-a", "alice");
  bob = group_ws_join (f.daemon, "crash-b", "bob");
  g_assert_nonnull (group_ws_wait (alice, "echo", NULL, WAIT_MS));
  g_assert_nonnull (group_ws_wait (bob, "echo", &from, WAIT_MS));

  g_assert_cmpint (kill (worker_a, SIGKILL), ==, 0);

  error = group_ws_wait (alice, "error", NULL, WAIT_MS);
  g_assert_nonnull (error);
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, 53119);
  g_test_message ("alice was told: %s", json_object_get_string_member (error, "message"));
  g_assert_nonnull (
      strstr (json_object_get_string_member (error, "message"), "signal 9"));
  g_assert_true (group_ws_wait_closed (alice, WAIT_MS));
  g_assert_cmpuint (alice->close_code, ==, 1011);

  assert_only_room_failed (&f, room_a, room_b, bob);
  fixture_stop (&f);
}

/* worker_fail() inside the worker: the room fails with the module's
 * reason, which the participant gets. */
static void
test_worker_fail (void)
{
  Fixture f;
  g_autoptr (JsonObject) room = NULL;
  g_autoptr (GroupWsParticipant) alice = NULL;
  g_autofree char *status = NULL;
  JsonObject *error;

  fixture_start (&f);
  room = create_room (f.daemon, "fail");
  alice = group_ws_join (f.daemon, "fail", "alice");
  group_ws_send (alice, "{\"type\":\"to-worker\",\"body\":{\"cmd\":\"fail\","
                        "\"reason\":\"the router lost its mind\"}}");
  error = group_ws_wait (alice, "error", NULL, WAIT_MS);
  g_assert_nonnull (error);
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, 53119);
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"),
                            "the router lost its mind"));
  g_assert_true (group_ws_wait_closed (alice, WAIT_MS));
  g_assert_cmpuint (alice->close_code, ==, 1011);
  status = test_daemon_room_string (f.daemon, json_object_get_string_member (room, "sid"),
                                    "status");
  g_assert_cmpstr (status, ==, "failed");
  fixture_stop (&f);
}

static gboolean
room_failed (gpointer data)
{
  TestDaemon *d = ((gpointer *) data)[0];
  const char *sid = ((gpointer *) data)[1];
  g_autofree char *status = test_daemon_room_string (d, sid, "status");

  return g_strcmp0 (status, "failed") == 0;
}

/* A worker may load only its module's worker_plugins: an element of
 * another plugin, although installed, cannot be made, and the room
 * fails. */
static void
test_plugins_whitelisted (void)
{
  g_autoptr (GSubprocess) inspect = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL,
      "gst-inspect-1.0", "--exists", "videotestsrc", NULL);
  const char *form[] = { "UniqueName", "outside", "Type", "outside", NULL };
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonObject) inside = NULL;
  gpointer data[2];
  Fixture f;

  if (inspect == NULL || !g_subprocess_wait_check (inspect, NULL, NULL))
    {
      g_test_skip ("videotestsrc is not installed (gstreamer1.0-plugins-base)");
      return;
    }
  fixture_start (&f);
  g_assert_cmpuint (test_http (f.daemon, "POST", "/v1/Rooms", TRUE, form, &body, NULL), ==,
                    201);
  data[0] = f.daemon;
  data[1] = (gpointer) json_object_get_string_member (json_node_get_object (body), "sid");
  g_assert_true (test_wait_until (room_failed, data, WAIT_MS));
  /* The daemon and the default pipeline's plugins are fine. */
  inside = create_room (f.daemon, "inside");
  g_array_unref (wait_workers (f.daemon, 1));
  fixture_stop (&f);
}

/* A worker that cannot start makes room creation fail with a message
 * naming it; the daemon keeps serving. */
static void
test_missing_worker (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("CONVOKE_WORKER"));
  const char *form[] = { "UniqueName", "nowhere", "Type", "group", NULL };
  g_autoptr (JsonNode) body = NULL;
  const char *message;
  Fixture f;
  guint status;

  g_setenv ("CONVOKE_WORKER", "/nonexistent/convoke-room-worker", TRUE);
  fixture_start (&f);
  g_setenv ("CONVOKE_WORKER", saved, TRUE);

  status = test_http (f.daemon, "POST", "/v1/Rooms", TRUE, form, &body, NULL);
  g_assert_cmpuint (status, >=, 400);
  message = json_object_get_string_member (json_node_get_object (body), "message");
  g_test_message ("%u: %s", status, message);
  g_assert_nonnull (strstr (message, "/nonexistent/convoke-room-worker"));
  g_assert_cmpuint (test_http (f.daemon, "GET", "/v1/Rooms", TRUE, NULL, NULL, NULL), ==,
                    200);
  fixture_stop (&f);
}

typedef struct
{
  TestDaemon *daemon;
  const char *sid;
  const char *status;
} StatusWait;

static gboolean
status_reached (gpointer data)
{
  StatusWait *wait = data;
  g_autofree char *status = test_daemon_room_string (wait->daemon, wait->sid, "status");

  return g_strcmp0 (status, wait->status) == 0;
}

/* A worker that never gets its pipeline to PLAYING is killed after the
 * ready timeout and its room fails, telling its participants why. */
static void
test_ready_timeout (void)
{
  const char *form[] = { "UniqueName", "stuck", "Type", "stuck", NULL };
  g_autoptr (GroupWsParticipant) alice = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (GArray) workers = NULL;
  StatusWait wait;
  JsonObject *error;
  Fixture f;

  g_setenv ("CONVOKE_WORKER_READY_TIMEOUT_MS", "2000", TRUE);
  fixture_start (&f);
  g_unsetenv ("CONVOKE_WORKER_READY_TIMEOUT_MS");

  g_assert_cmpuint (test_http (f.daemon, "POST", "/v1/Rooms", TRUE, form, &body, NULL),
                    ==, 201);
  workers = wait_workers (f.daemon, 1);
  alice = group_ws_join (f.daemon, "stuck", "alice");

  wait = (StatusWait){ f.daemon,
                       json_object_get_string_member (json_node_get_object (body), "sid"),
                       "failed" };
  g_assert_true (test_wait_until (status_reached, &wait, WAIT_MS));
  g_assert_true (wait_pid_gone (g_array_index (workers, pid_t, 0)));
  error = group_ws_wait (alice, "error", NULL, WAIT_MS);
  g_assert_nonnull (error);
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, 53119);
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"),
                            "did not start within 2000 ms"));
  fixture_stop (&f);
}

/* GET @path with the test credentials; returns the status and sets
 * *@content_type (the response's Content-Type, without parameters). */
static guint
get_with_content_type (TestDaemon *d, const char *path, char **content_type)
{
  g_autofree char *url = g_strconcat (d->base_url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autofree char *credentials = g_strdup_printf ("%s:%s", d->api_key, d->api_secret);
  g_autofree char *encoded
      = g_base64_encode ((const guchar *) credentials, strlen (credentials));
  g_autofree char *authorization = g_strconcat ("Basic ", encoded, NULL);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                authorization);
  body = soup_session_send_and_read (d->session, msg, NULL, &error);
  g_assert_no_error (error);
  *content_type = g_strdup (soup_message_headers_get_content_type (
      soup_message_get_response_headers (msg), NULL));
  return soup_message_get_status (msg);
}

static void
assert_rest_error (TestDaemon *d, const char *method, const char *path, guint status,
                   gint64 code)
{
  g_autoptr (JsonNode) error = NULL;

  g_assert_cmpuint (test_http (d, method, path, TRUE, NULL, &error, NULL), ==, status);
  g_assert_nonnull (error);
  g_test_message (
      "%s %s: %s", method, path,
      json_object_get_string_member (json_node_get_object (error), "message"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (error), "code"), ==,
                   code);
}

/* GET /v1/Rooms/{Sid}/Pipeline answers from the room's live worker. */
static void
test_pipeline_rest (void)
{
  Fixture f;
  g_autoptr (JsonObject) room = NULL;
  g_autoptr (GBytes) text = NULL;
  g_autoptr (GBytes) dot = NULL;
  g_autoptr (JsonNode) error = NULL;
  g_autofree char *text_path = NULL;
  g_autofree char *dot_path = NULL;
  g_autofree char *bad_path = NULL;
  g_autofree char *expected = NULL;
  const char *sid;

  fixture_start (&f);
  room = create_room (f.daemon, "pipeline");
  sid = json_object_get_string_member (room, "sid");
  text_path = g_strdup_printf ("/v1/Rooms/%s/Pipeline?format=text", sid);
  dot_path = g_strdup_printf ("/v1/Rooms/%s/Pipeline?format=dot", sid);
  bad_path = g_strdup_printf ("/v1/Rooms/%s/Pipeline?format=svg", sid);

  g_assert_cmpuint (test_http (f.daemon, "GET", text_path, TRUE, NULL, NULL, &text), ==,
                    200);
  expected = g_strdup_printf ("GstPipeline %s [", sid);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (text, NULL), expected));
  g_assert_nonnull (strstr (g_bytes_get_data (text, NULL), "GstAudioTestSrc"));

  g_assert_cmpuint (test_http (f.daemon, "GET", dot_path, TRUE, NULL, NULL, &dot), ==,
                    200);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (dot, NULL), "digraph"));

  g_assert_cmpuint (test_http (f.daemon, "GET", bad_path, TRUE, NULL, &error, NULL), ==,
                    400);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (error), "code"), ==,
                   21200);
  g_assert_nonnull (strstr (
      json_object_get_string_member (json_node_get_object (error), "message"), "svg"));

  /* Content types; dot is the default; by unique name as well as by sid. */
  {
    g_autofree char *type = NULL;
    g_autofree char *default_path = g_strdup_printf ("/v1/Rooms/%s/Pipeline", sid);

    g_assert_cmpuint (get_with_content_type (f.daemon, text_path, &type), ==, 200);
    g_assert_cmpstr (type, ==, "text/plain");
    g_clear_pointer (&type, g_free);
    g_assert_cmpuint (get_with_content_type (f.daemon, default_path, &type), ==, 200);
    g_assert_cmpstr (type, ==, "text/vnd.graphviz");
    g_clear_pointer (&type, g_free);
    g_assert_cmpuint (get_with_content_type (
                          f.daemon, "/v1/Rooms/pipeline/Pipeline?format=text", &type),
                      ==, 200);
    g_assert_cmpstr (type, ==, "text/plain");

    assert_rest_error (f.daemon, "POST", default_path, 405, 20004);
  }

  assert_rest_error (f.daemon, "GET", "/v1/Rooms/no-such-room/Pipeline", 404, 20404);

  /* A peer-to-peer room has no worker. */
  {
    const char *form[] = { "UniqueName", "p2p", "Type", "peer-to-peer", NULL };

    g_assert_cmpuint (test_http (f.daemon, "POST", "/v1/Rooms", TRUE, form, NULL, NULL),
                      ==, 201);
    assert_rest_error (f.daemon, "GET", "/v1/Rooms/p2p/Pipeline?format=text", 400, 53119);
  }

  /* Nor has an ended room. */
  {
    const char *complete[] = { "Status", "completed", NULL };
    g_autofree char *room_path = g_strdup_printf ("/v1/Rooms/%s", sid);

    g_assert_cmpuint (test_http (f.daemon, "POST", room_path, TRUE, complete, NULL, NULL),
                      ==, 202);
    assert_rest_error (f.daemon, "GET", text_path, 400, 53119);
  }
  fixture_stop (&f);
}

/* A call the worker's sandbox forbids kills that worker (SIGSYS) and
 * fails its room only; the participant is told why. */
static void
test_sandbox_isolation (void)
{
  Fixture f;
  g_autoptr (JsonObject) room_a = NULL;
  g_autoptr (JsonObject) room_b = NULL;
  g_autoptr (GroupWsParticipant) alice = NULL;
  g_autoptr (GroupWsParticipant) bob = NULL;
  g_autoptr (GArray) workers = NULL;
  const char *message;
  JsonObject *error;
  guint from = 0;

  fixture_start (&f);
  room_a = create_room (f.daemon, "sandbox-a");
  room_b = create_room (f.daemon, "sandbox-b");
  workers = wait_workers (f.daemon, 2);
  alice = group_ws_join (f.daemon, "sandbox-a", "alice");
  bob = group_ws_join (f.daemon, "sandbox-b", "bob");
  g_assert_nonnull (group_ws_wait (alice, "echo", NULL, WAIT_MS));
  g_assert_nonnull (group_ws_wait (bob, "echo", &from, WAIT_MS));

  /* Code inside room A's worker tries to run a program. */
  group_ws_send (alice, "{\"type\":\"to-worker\",\"body\":{\"cmd\":\"try\","
                        "\"call\":\"execve\"}}");
  error = group_ws_wait (alice, "error", NULL, WAIT_MS);
  g_assert_nonnull (error);
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, 53119);
  message = json_object_get_string_member (error, "message");
  g_test_message ("alice was told: %s", message);
  g_assert_nonnull (strstr (message, "sandbox forbids"));
  g_assert_nonnull (strstr (message, "signal 31"));
  assert_only_room_failed (&f, room_a, room_b, bob);
  fixture_stop (&f);
}

static gboolean
worker_variable_allowed (const char *name)
{
  const char *exact[] = { "G_DEBUG",      "G_MESSAGES_DEBUG", "NICE_DEBUG",
                          "LANG",         "LANGUAGE",         "CONVOKE_LOCALEDIR",
                          "ASAN_OPTIONS", "UBSAN_OPTIONS",    "LSAN_OPTIONS" };

  if (g_str_has_prefix (name, "GST_") || g_str_has_prefix (name, "LC_"))
    return TRUE;
  return g_strv_contains (exact, name);
}

/* A worker gets a clean environment, not the daemon's, and runs as the
 * fallback user with the sandbox in place. */
static void
test_worker_environment (void)
{
  Fixture f;
  g_autoptr (JsonObject) room = NULL;
  g_autoptr (GArray) workers = NULL;
  g_autofree char *path = NULL;
  g_autofree char *environ_text = NULL;
  g_autofree char *status = NULL;
  gboolean has_registry = FALSE;
  const char *whitelist = NULL;
  gsize length;

  g_setenv ("CONVOKE_TEST_DAEMON_SECRET", "not for workers", TRUE);
  fixture_start (&f);
  g_unsetenv ("CONVOKE_TEST_DAEMON_SECRET");
  room = create_room (f.daemon, "environment");
  workers = wait_workers (f.daemon, 1);
  path = g_strdup_printf ("/proc/%d/environ", (int) g_array_index (workers, pid_t, 0));
  g_assert_true (g_file_get_contents (path, &environ_text, &length, NULL));
  for (const char *entry = environ_text; entry < environ_text + length;
       entry += strlen (entry) + 1)
    {
      g_autofree char *name = g_strndup (entry, strcspn (entry, "="));

      g_test_message ("worker environment: %s", name);
      g_assert_true (worker_variable_allowed (name));
      g_assert_cmpstr (name, !=, "CONVOKE_TEST_DAEMON_SECRET");
      g_assert_cmpstr (name, !=, "PATH");
      has_registry |= g_str_equal (name, "GST_REGISTRY");
      /* The module's worker_plugins, and nothing else. */
      if (g_str_equal (name, "GST_PLUGIN_LOADING_WHITELIST"))
        whitelist = entry + strlen (name) + 1;
    }
  g_assert_true (has_registry);
  g_assert_cmpstr (whitelist, ==, "coreelements,audiotestsrc,app");

  /* The sandbox is complete once the worker is ready. */
  g_free (path);
  path = g_strdup_printf ("/proc/%d/status", (int) g_array_index (workers, pid_t, 0));
  for (gint64 deadline = test_deadline (WAIT_MS);
       status == NULL || strstr (status, "\nSeccomp:\t2\n") == NULL;)
    {
      g_clear_pointer (&status, g_free);
      g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    }
  if (geteuid () == 0)
    g_assert_nonnull (strstr (status, "\nUid:\t65534\t65534\t65534\t65534\n"));
  g_assert_nonnull (strstr (status, "\nCapEff:\t0000000000000000\n"));
  g_assert_nonnull (strstr (status, "\nNoNewPrivs:\t1\n"));
  g_assert_nonnull (strstr (status, "\nSeccomp:\t2\n"));
  fixture_stop (&f);
}

/* A Unix datagram socket at @path that the worker's user may send to:
 * the test module's teardown marker (a file write would be refused by the
 * worker's sandbox). */
static GSocket *
bind_marker (const char *dir, const char *path)
{
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (dir, 0711), ==, 0);
  g_assert_cmpint (g_chmod (path, 0666), ==, 0);
  return socket;
}

/* SIGTERM to the daemon: every worker gets `shutdown` and finishes its
 * teardown before the daemon exits (convoke_worker_wait_all). */
static void
test_clean_exit (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *marker = g_build_filename (dir, "marker", NULL);
  g_autoptr (GSocket) marker_socket = bind_marker (dir, marker);
  g_autofree char *module_dir = grouptest_module_dir_new ();
  g_autofree char *slow_config
      = g_strdup_printf ("[media]\nworker-pool=0\n"
                         "[type:group]\nmodule=grouptest\nteardown-marker=%s\n"
                         "[type:group-small]\nmodule=grouptest\n",
                         marker);
  const char *args[] = { "--module-dir", module_dir, NULL };
  TestDaemon *d = test_daemon_start (slow_config, args);
  g_autoptr (JsonObject) room = create_room (d, "clean-exit");
  g_autoptr (GArray) workers = wait_workers (d, 1);
  pid_t worker = g_array_index (workers, pid_t, 0);
  char received[32] = "";

  g_socket_set_blocking (marker_socket, FALSE);
  g_assert_cmpint (g_socket_receive (marker_socket, received, sizeof received, NULL, NULL),
                   <, 0);
  /* Asserts the daemon's own clean exit too. */
  test_daemon_stop (d);
  g_assert_cmpint (g_socket_receive (marker_socket, received, sizeof received - 1, NULL,
                                     NULL),
                   ==, 9);
  g_assert_cmpstr (received, ==, "torn down");
  g_assert_true (wait_pid_gone (worker));
  test_rm_rf (module_dir);
  test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/group/supervisor/lifecycle", test_lifecycle);
  g_test_add_func ("/group/supervisor/isolation", test_isolation);
  g_test_add_func ("/group/supervisor/crash-isolation", test_crash_isolation);
  g_test_add_func ("/group/supervisor/worker-fail", test_worker_fail);
  g_test_add_func ("/group/supervisor/missing-worker", test_missing_worker);
  g_test_add_func ("/group/supervisor/ready-timeout", test_ready_timeout);
  g_test_add_func ("/group/supervisor/pipeline-rest", test_pipeline_rest);
  g_test_add_func ("/group/supervisor/clean-exit", test_clean_exit);
  g_test_add_func ("/group/supervisor/sandbox-isolation", test_sandbox_isolation);
  g_test_add_func ("/group/supervisor/worker-environment", test_worker_environment);
  g_test_add_func ("/group/supervisor/plugins-whitelisted", test_plugins_whitelisted);
  return g_test_run ();
}
