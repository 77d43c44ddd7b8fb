/* How workers start, inside a real convoked. The warm worker pool
 * ([media] worker-pool): a pooled worker serves exactly one room, a killed
 * pooled worker is replaced, an empty or disabled pool falls back to cold
 * starts, and a reload resizes the pool. The fork server ([media]
 * worker-fork-server): workers it forks are the daemon's children and
 * serve their rooms, they outlive a killed fork server, which comes back,
 * and meanwhile (or with the key off) workers start with exec.
 *
 * The rooms run the "grouptest" module (group-test-module.c), as in
 * group-supervisor-test.c: real workers, no media. A pooled worker is
 * recognised by its command line: `--pooled` and a placeholder that the
 * worker overwrites with its room's sid once assigned.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "group-proc-checks.h"
#include "group-ws-participant.h"
#include "grouptest-module-dir.h"
#include "test-daemon.h"

/* A deadline, as a base figure: the harness's waits scale it. */
#define WAIT_MS 20000
#define PLACEHOLDER "RM--------------------------------"

typedef struct
{
  TestDaemon *daemon;
  char *module_dir;
} Fixture;

static char *
pool_config_full (guint size, gboolean fork_server)
{
  return g_strdup_printf ("[media]\nworker-pool=%u\nworker-fork-server=%s\n"
                          "[type:group]\nmodule=grouptest\n"
                          "[type:group-small]\nmodule=grouptest\n",
                          size, fork_server ? "true" : "false");
}

static char *
pool_config (guint size)
{
  return pool_config_full (size, TRUE);
}

static void
fixture_start_full (Fixture *f, guint pool_size, gboolean fork_server)
{
  const char *args[] = { "--module-dir", NULL, NULL };
  g_autofree char *config = pool_config_full (pool_size, fork_server);

  f->module_dir = grouptest_module_dir_new ();
  args[1] = f->module_dir;
  f->daemon = test_daemon_start (config, args);
}

static void
fixture_start (Fixture *f, guint pool_size)
{
  fixture_start_full (f, pool_size, TRUE);
}

static void
fixture_stop (Fixture *f)
{
  test_daemon_stop (f->daemon);
  test_rm_rf (f->module_dir);
  g_free (f->module_dir);
}

static char *
create_room (TestDaemon *d, const char *name)
{
  const char *form[] = { "UniqueName", name, "Type", "group", NULL };
  g_autoptr (JsonNode) body = NULL;

  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, &body, NULL), ==, 201);
  return g_strdup (json_object_get_string_member (json_node_get_object (body), "sid"));
}

static void
complete_room (TestDaemon *d, const char *sid)
{
  const char *complete[] = { "Status", "completed", NULL };
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s", sid);

  g_assert_cmpuint (test_http (d, "POST", path, TRUE, complete, NULL, NULL), ==, 202);
}

static guint64
metric (TestDaemon *d, const char *name)
{
  g_autoptr (GBytes) body = NULL;
  g_autofree char *needle = g_strdup_printf ("\n%s ", name);
  const char *line;

  g_assert_cmpuint (test_http (d, "GET", "/metrics", FALSE, NULL, NULL, &body), ==, 200);
  line = strstr (g_bytes_get_data (body, NULL), needle);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (needle), NULL, 10);
}

/* The daemon's pooled workers that have no room yet. */
static GArray *
pooled_workers (TestDaemon *d)
{
  g_autoptr (GArray) children = group_proc_children (d->pid, GROUP_WORKER_COMM);
  GArray *pooled = g_array_new (FALSE, FALSE, sizeof (pid_t));

  for (guint i = 0; i < children->len; i++)
    {
      pid_t pid = g_array_index (children, pid_t, i);
      g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
      g_autofree char *cmdline = NULL;
      gsize length;

      if (!group_proc_alive (pid) || !g_file_get_contents (path, &cmdline, &length, NULL))
        continue;
      for (const char *arg = cmdline; arg < cmdline + length; arg += strlen (arg) + 1)
        if (g_str_equal (arg, PLACEHOLDER))
          g_array_append_val (pooled, pid);
    }
  return pooled;
}

typedef struct
{
  TestDaemon *daemon;
  guint ready;        /* convoke_worker_pool_ready and pooled processes */
  pid_t not_this;     /* none of them may be this one (0: any) */
  pid_t found;
} PoolWait;

static gboolean
pool_settled (gpointer data)
{
  PoolWait *wait = data;
  g_autoptr (GArray) pooled = pooled_workers (wait->daemon);

  if (pooled->len != wait->ready
      || metric (wait->daemon, "convoke_worker_pool_ready") != wait->ready)
    return FALSE;
  for (guint i = 0; i < pooled->len; i++)
    if (g_array_index (pooled, pid_t, i) == wait->not_this)
      return FALSE;
  wait->found = pooled->len > 0 ? g_array_index (pooled, pid_t, 0) : 0;
  return TRUE;
}

/* Waits until the pool holds @ready waiting workers, none of them
 * @not_this, and returns one of them (0 when @ready is 0). */
static pid_t
wait_pool (TestDaemon *d, guint ready, pid_t not_this)
{
  PoolWait wait = { d, ready, not_this, 0 };

  if (!test_wait_until (pool_settled, &wait, WAIT_MS))
    g_error ("the pool does not hold %u waiting workers (other than %d)", ready,
             (int) not_this);
  return wait.found;
}

typedef struct
{
  TestDaemon *daemon;
  const char *sid;
  pid_t found;
} WorkerWait;

static gboolean
worker_found (gpointer data)
{
  WorkerWait *wait = data;

  wait->found = group_proc_find_worker (wait->daemon->pid, wait->sid);
  return wait->found > 0;
}

/* The worker serving @sid: a pooled worker names its room on its command
 * line once it has read `assign`, a moment after the room was created. */
static pid_t
wait_room_worker (TestDaemon *d, const char *sid)
{
  WorkerWait wait = { d, sid, 0 };

  if (!test_wait_until (worker_found, &wait, WAIT_MS))
    g_error ("no worker names room %s", sid);
  return wait.found;
}

static gboolean
pid_gone (gpointer data)
{
  return !group_proc_alive (GPOINTER_TO_INT (data));
}

/* The room's worker carries its participant's messages both ways. */
static void
assert_room_serves (TestDaemon *d, const char *name)
{
  g_autoptr (GroupWsParticipant) alice = group_ws_join (d, name, "alice");
  g_autofree char *request = NULL;
  guint from = 0;

  g_assert_nonnull (group_ws_wait (alice, "echo", &from, WAIT_MS));
  request = g_strdup_printf (
      "{\"type\":\"to-worker\",\"body\":{\"cmd\":\"echo\",\"participant\":\"%s\"}}",
      alice->sid);
  group_ws_send (alice, request);
  g_assert_nonnull (group_ws_wait (alice, "echo", &from, WAIT_MS));
  g_assert_false (alice->closed);
}

/* The first room gets the worker started before it existed, the pool
 * starts another for the next room, and when the first room ends its
 * worker exits instead of going back to the pool. */
static void
test_one_room_per_worker (void)
{
  Fixture f;
  g_autofree char *sid_a = NULL;
  g_autofree char *sid_b = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GBytes) pipeline = NULL;
  pid_t first, second, third;

  fixture_start (&f, 1);
  first = wait_pool (f.daemon, 1, 0);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_pool_size"), ==, 1);
  g_assert_cmpuint (metric (f.daemon, "convoke_workers_running"), ==, 0);

  sid_a = create_room (f.daemon, "pool-a");
  g_assert_cmpint (wait_room_worker (f.daemon, sid_a), ==, first);
  second = wait_pool (f.daemon, 1, first);
  g_assert_cmpint (second, !=, first);
  assert_room_serves (f.daemon, "pool-a");

  /* The pipeline is named after the room `assign` gave it. */
  path = g_strdup_printf ("/v1/Rooms/%s/Pipeline?format=text", sid_a);
  g_assert_cmpuint (test_http (f.daemon, "GET", path, TRUE, NULL, NULL, &pipeline), ==,
                    200);
  g_assert_nonnull (strstr (g_bytes_get_data (pipeline, NULL), sid_a));

  sid_b = create_room (f.daemon, "pool-b");
  g_assert_cmpint (wait_room_worker (f.daemon, sid_b), ==, second);
  third = wait_pool (f.daemon, 1, second);
  g_assert_cmpint (third, !=, first);
  assert_room_serves (f.daemon, "pool-b");
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_pool_hits_total"), ==, 2);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_cold_starts_total"), ==, 0);
  g_assert_cmpuint (metric (f.daemon, "convoke_workers_running"), ==, 2);

  /* Room A ends: its worker exits and is not pooled again. */
  complete_room (f.daemon, sid_a);
  g_assert_true (test_wait_until (pid_gone, GINT_TO_POINTER (first), WAIT_MS));
  g_assert_cmpint (wait_pool (f.daemon, 1, first), ==, third);
  g_assert_cmpint (group_proc_find_worker (f.daemon->pid, sid_b), ==, second);

  /* On the daemon's exit the waiting worker stops too. */
  fixture_stop (&f);
  g_assert_true (test_wait_until (pid_gone, GINT_TO_POINTER (third), WAIT_MS));
}

/* A waiting worker killed with SIGKILL is replaced; the room served by
 * the worker pooled before it carries on. */
static void
test_killed_worker_replaced (void)
{
  Fixture f;
  g_autofree char *sid = NULL;
  g_autofree char *status = NULL;
  pid_t serving, waiting, replacement;

  fixture_start (&f, 1);
  serving = wait_pool (f.daemon, 1, 0);
  sid = create_room (f.daemon, "pool-kill");
  g_assert_cmpint (wait_room_worker (f.daemon, sid), ==, serving);
  waiting = wait_pool (f.daemon, 1, serving);

  g_assert_cmpint (kill (waiting, SIGKILL), ==, 0);
  g_assert_true (test_wait_until (pid_gone, GINT_TO_POINTER (waiting), WAIT_MS));
  replacement = wait_pool (f.daemon, 1, waiting);
  g_assert_cmpint (replacement, !=, serving);

  status = test_daemon_room_string (f.daemon, sid, "status");
  g_assert_cmpstr (status, ==, "in-progress");
  g_assert_true (group_proc_alive (serving));
  assert_room_serves (f.daemon, "pool-kill");
  fixture_stop (&f);
}

/* worker-pool=0: every room starts its worker cold, with its sid on the
 * command line, and works. */
static void
test_no_pool_cold_start (void)
{
  Fixture f;
  g_autofree char *sid = NULL;
  g_autofree char *path = NULL;
  g_autofree char *cmdline = NULL;
  gsize length;
  pid_t worker;
  gboolean room_sid_flag = FALSE;

  fixture_start (&f, 0);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_pool_size"), ==, 0);
  sid = create_room (f.daemon, "cold");
  worker = wait_room_worker (f.daemon, sid);
  path = g_strdup_printf ("/proc/%d/cmdline", (int) worker);
  g_assert_true (g_file_get_contents (path, &cmdline, &length, NULL));
  for (const char *arg = cmdline; arg < cmdline + length; arg += strlen (arg) + 1)
    room_sid_flag |= g_str_equal (arg, "--room-sid");
  g_assert_true (room_sid_flag);
  assert_room_serves (f.daemon, "cold");
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_cold_starts_total"), ==, 1);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_pool_hits_total"), ==, 0);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_pool_ready"), ==, 0);
  {
    g_autoptr (GArray) pooled = pooled_workers (f.daemon);

    g_assert_cmpuint (pooled->len, ==, 0);
  }
  fixture_stop (&f);
}

/* A burst drains a pool of one: the first room gets the pooled worker,
 * the others start cold, and all of them work. */
static void
test_drained_pool_cold_start (void)
{
  Fixture f;
  char *sids[3];
  pid_t workers[3];

  /* Without the fork server: it refills the pool within the few
   * milliseconds between two requests, and the burst would not drain it. */
  fixture_start_full (&f, 1, FALSE);
  wait_pool (f.daemon, 1, 0);
  for (guint i = 0; i < G_N_ELEMENTS (sids); i++)
    {
      g_autofree char *name = g_strdup_printf ("burst-%u", i);

      sids[i] = create_room (f.daemon, name);
    }
  for (guint i = 0; i < G_N_ELEMENTS (sids); i++)
    {
      g_autofree char *name = g_strdup_printf ("burst-%u", i);

      workers[i] = wait_room_worker (f.daemon, sids[i]);
      for (guint j = 0; j < i; j++)
        g_assert_cmpint (workers[i], !=, workers[j]);
      assert_room_serves (f.daemon, name);
    }
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_pool_hits_total"), ==, 1);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_cold_starts_total"), ==, 2);
  /* And it fills again. */
  wait_pool (f.daemon, 1, workers[0]);
  for (guint i = 0; i < G_N_ELEMENTS (sids); i++)
    g_free (sids[i]);
  fixture_stop (&f);
}

/* A reload changes the pool's size both ways. */
static void
test_reload_resizes (void)
{
  Fixture f;
  g_autofree char *two = pool_config (2);
  g_autofree char *none = pool_config (0);
  g_autoptr (GArray) pooled = NULL;

  fixture_start (&f, 1);
  wait_pool (f.daemon, 1, 0);
  test_daemon_rewrite_config (f.daemon, two);
  test_daemon_reload (f.daemon);
  wait_pool (f.daemon, 2, 0);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_pool_size"), ==, 2);
  pooled = pooled_workers (f.daemon);

  test_daemon_rewrite_config (f.daemon, none);
  test_daemon_reload (f.daemon);
  wait_pool (f.daemon, 0, 0);
  for (guint i = 0; i < pooled->len; i++)
    g_assert_true (
        test_wait_until (pid_gone, GINT_TO_POINTER (g_array_index (pooled, pid_t, i)),
                         WAIT_MS));
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_pool_size"), ==, 0);
  fixture_stop (&f);
}

/* ---- the fork server ---------------------------------------------------- */

/* The comm a fork server gives itself (worker-fork-server.c). */
#define FORK_SERVER_COMM "convoke-forksrv"

typedef struct
{
  TestDaemon *daemon;
  pid_t not_this;
  pid_t found;
} ForkServerWait;

static gboolean
fork_server_settled (gpointer data)
{
  ForkServerWait *wait = data;
  g_autoptr (GArray) servers = group_proc_children (wait->daemon->pid, FORK_SERVER_COMM);

  if (servers->len != 1 || g_array_index (servers, pid_t, 0) == wait->not_this
      || metric (wait->daemon, "convoke_worker_fork_servers_ready") != 1)
    return FALSE;
  wait->found = g_array_index (servers, pid_t, 0);
  return TRUE;
}

/* The daemon's one fork server, once it is ready to fork. */
static pid_t
wait_fork_server (TestDaemon *d, pid_t not_this)
{
  ForkServerWait wait = { d, not_this, 0 };

  if (!test_wait_until (fork_server_settled, &wait, WAIT_MS))
    g_error ("the daemon has no ready fork server (other than %d)", (int) not_this);
  return wait.found;
}

static gboolean
fork_server_down (gpointer data)
{
  return metric (data, "convoke_worker_fork_servers_ready") == 0;
}

/* With the fork server (the default), the pool's workers are forked: each
 * is the daemon's child, not the fork server's, shows its own command line
 * (which names its room once assigned) and serves its room. A room's own
 * (cold) worker is forked too: test_fork_server_killed. */
static void
test_fork_server_forks (void)
{
  Fixture f;
  g_autofree char *sid_a = NULL;
  g_autofree char *sid_b = NULL;
  pid_t fork_server, pooled, worker;
  guint64 forked;

  fixture_start (&f, 1);
  fork_server = wait_fork_server (f.daemon, 0);
  pooled = wait_pool (f.daemon, 1, 0);
  g_assert_cmpint (group_proc_parent (pooled), ==, f.daemon->pid);
  /* The pool waited for the fork server to fork its first worker. */
  forked = metric (f.daemon, "convoke_worker_forked_total");
  g_assert_cmpuint (forked, ==, 1);

  sid_a = create_room (f.daemon, "fork-a");
  g_assert_cmpint (wait_room_worker (f.daemon, sid_a), ==, pooled);
  assert_room_serves (f.daemon, "fork-a");
  /* The pool's next worker is forked, takes room B, and the one after it
   * is forked too. */
  worker = wait_pool (f.daemon, 1, pooled);
  g_assert_cmpint (group_proc_parent (worker), ==, f.daemon->pid);
  g_assert_cmpint (worker, !=, fork_server);
  sid_b = create_room (f.daemon, "fork-b");
  g_assert_cmpint (wait_room_worker (f.daemon, sid_b), ==, worker);
  assert_room_serves (f.daemon, "fork-b");
  wait_pool (f.daemon, 1, worker);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_forked_total"), ==, forked + 2);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_pool_hits_total"), ==, 2);
  /* The fork server is not a worker: no room, no media. */
  g_assert_cmpint (group_proc_find_worker (f.daemon->pid, sid_a), !=, fork_server);

  fixture_stop (&f);
  g_assert_true (test_wait_until (pid_gone, GINT_TO_POINTER (fork_server), WAIT_MS));
  g_assert_true (test_wait_until (pid_gone, GINT_TO_POINTER (worker), WAIT_MS));
}

/* A killed fork server takes no room with it: the worker it forked serves
 * on, rooms created while it is down start with exec, and it comes back,
 * forking again. */
static void
test_fork_server_killed (void)
{
  Fixture f;
  g_autofree char *sid_a = NULL;
  g_autofree char *sid_b = NULL;
  g_autofree char *sid_c = NULL;
  g_autofree char *status = NULL;
  pid_t fork_server, worker_a, worker_c;
  guint64 forked;

  fixture_start (&f, 0);
  fork_server = wait_fork_server (f.daemon, 0);
  sid_a = create_room (f.daemon, "killed-a");
  worker_a = wait_room_worker (f.daemon, sid_a);
  assert_room_serves (f.daemon, "killed-a");
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_forked_total"), ==, 1);

  g_assert_cmpint (kill (fork_server, SIGKILL), ==, 0);
  g_assert_true (test_wait_until (pid_gone, GINT_TO_POINTER (fork_server), WAIT_MS));
  g_assert_true (test_wait_until (fork_server_down, f.daemon, WAIT_MS));
  g_assert_true (group_proc_alive (worker_a));
  status = test_daemon_room_string (f.daemon, sid_a, "status");
  g_assert_cmpstr (status, ==, "in-progress");
  assert_room_serves (f.daemon, "killed-a");

  /* Down (it comes back after a backoff): this room's worker is executed,
   * unless the fork server is back already. */
  forked = metric (f.daemon, "convoke_worker_forked_total");
  sid_b = create_room (f.daemon, "killed-b");
  g_assert_cmpint (group_proc_parent (wait_room_worker (f.daemon, sid_b)), ==,
                   f.daemon->pid);
  assert_room_serves (f.daemon, "killed-b");

  g_assert_cmpint (wait_fork_server (f.daemon, fork_server), !=, fork_server);
  forked = metric (f.daemon, "convoke_worker_forked_total");
  sid_c = create_room (f.daemon, "killed-c");
  worker_c = wait_room_worker (f.daemon, sid_c);
  assert_room_serves (f.daemon, "killed-c");
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_forked_total"), ==, forked + 1);
  g_assert_cmpint (group_proc_parent (worker_c), ==, f.daemon->pid);
  fixture_stop (&f);
}

/* worker-fork-server=false: no fork server, every worker executed. */
static void
test_fork_server_off (void)
{
  Fixture f;
  g_autofree char *sid = NULL;
  g_autoptr (GArray) servers = NULL;

  fixture_start_full (&f, 1, FALSE);
  wait_pool (f.daemon, 1, 0);
  sid = create_room (f.daemon, "exec");
  wait_room_worker (f.daemon, sid);
  assert_room_serves (f.daemon, "exec");
  servers = group_proc_children (f.daemon->pid, FORK_SERVER_COMM);
  g_assert_cmpuint (servers->len, ==, 0);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_fork_servers_ready"), ==, 0);
  g_assert_cmpuint (metric (f.daemon, "convoke_worker_forked_total"), ==, 0);
  fixture_stop (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/group/pool/one-room-per-worker", test_one_room_per_worker);
  g_test_add_func ("/group/pool/killed-worker-replaced", test_killed_worker_replaced);
  g_test_add_func ("/group/pool/no-pool-cold-start", test_no_pool_cold_start);
  g_test_add_func ("/group/pool/drained-pool-cold-start", test_drained_pool_cold_start);
  g_test_add_func ("/group/pool/reload-resizes", test_reload_resizes);
  g_test_add_func ("/group/fork-server/forks", test_fork_server_forks);
  g_test_add_func ("/group/fork-server/killed", test_fork_server_killed);
  g_test_add_func ("/group/fork-server/off", test_fork_server_off);
  return g_test_run ();
}
