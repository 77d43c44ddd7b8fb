/* convoked and module files cut short (a copy that did not finish): a
 * start whose config needs one, a start that only finds one in the module
 * dir, and a SIGHUP reload that names one. Each must refuse the file with
 * an error naming it; dlopen() of such a file used to kill the daemon with
 * SIGBUS.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "test-daemon.h"
#include "test-process.h"

#define WAIT_MS 20000

/* Inside the second loaded segment: the pages dlopen() maps there are
 * past the end of the file. */
#define TRUNCATED_LENGTH 4196

static char *
built_module_path (const char *name)
{
  g_autofree char *file_name = g_strdup_printf ("libconvoke-topology-%s.so", name);

  return g_build_filename (test_program ("CONVOKE_MODULE_DIR"), file_name, NULL);
}

/* Writes the first @length bytes of the built module @name into @dir
 * (all of it when @length is 0), by rename as an installer would. */
static char *
put_module (const char *dir, const char *name, gsize length)
{
  g_autofree char *original = built_module_path (name);
  g_autofree char *base_name = g_path_get_basename (original);
  char *path = g_build_filename (dir, base_name, NULL);
  g_autofree char *contents = NULL;
  gsize size;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (original, &contents, &size, &error));
  g_assert_cmpuint (length, <, size);
  g_assert_true (g_file_set_contents (path, contents, length ? length : size, &error));
  return path;
}

/* A module dir with whole copies of the modules the built-in types need. */
static char *
module_dir_new (void)
{
  char *dir = test_mkdtemp ();

  g_free (put_module (dir, "mesh", 0));
  g_free (put_module (dir, "group", 0));
  return dir;
}

/* convoked @option (--config or --check-config) @config --module-dir
 * @dir, run to completion. */
static int
run_convoked (const char *option, const char *config, const char *dir, char **err)
{
  g_autofree char *config_dir = test_mkdtemp ();
  g_autofree char *config_path = g_build_filename (config_dir, "convoke.conf", NULL);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  g_assert_true (g_file_set_contents (config_path, config, -1, &error));
  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent,
                                         GINT_TO_POINTER (SIGTERM), NULL);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  process = g_subprocess_launcher_spawn (launcher, &error, test_program ("CONVOKED"),
                                         option, config_path, "--module-dir", dir, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, err, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", *err);
  /* A crash is what this guards against: it must be an exit. */
  g_assert_true (g_subprocess_get_if_exited (process));
  status = g_subprocess_get_exit_status (process);
  test_rm_rf (config_dir);
  return status;
}

/* test_daemon_start() with the daemon's stderr in @log_path: the harness
 * lets the daemon inherit the test's stderr, so it is pointed at the file
 * for as long as the daemon is being spawned. */
static TestDaemon *
start_logging (const char *config, const char *dir, const char *log_path)
{
  const char *args[] = { "--module-dir", dir, NULL };
  int saved = dup (STDERR_FILENO);
  int log_fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  TestDaemon *d;

  g_assert_cmpint (saved, >=, 0);
  g_assert_cmpint (log_fd, >=, 0);
  g_assert_cmpint (dup2 (log_fd, STDERR_FILENO), ==, STDERR_FILENO);
  d = test_daemon_start (config, args);
  g_assert_cmpint (dup2 (saved, STDERR_FILENO), ==, STDERR_FILENO);
  close (saved);
  close (log_fd);
  return d;
}

typedef struct
{
  const char *log_path;
  const char *const *needles;
} LogProbe;

static gboolean
log_has_all (gpointer data)
{
  LogProbe *probe = data;
  g_autofree char *log = NULL;

  if (!g_file_get_contents (probe->log_path, &log, NULL, NULL))
    return FALSE;
  for (guint i = 0; probe->needles[i] != NULL; i++)
    if (strstr (log, probe->needles[i]) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
wait_log (const char *log_path, const char *const *needles)
{
  LogProbe probe = { log_path, needles };
  gboolean found = test_wait_until (log_has_all, &probe, WAIT_MS);
  g_autofree char *log = NULL;

  g_file_get_contents (log_path, &log, NULL, NULL);
  g_test_message ("daemon log:\n%s", log ? log : "");
  return found;
}

/* 201 when rooms of @type can be created, 400 (53108) when the type is
 * unknown. */
static guint
create_room (TestDaemon *d, const char *type)
{
  g_autofree char *name = g_strdup_printf ("room-%s-%u", type, g_random_int ());
  const char *form[] = { "UniqueName", name, "Type", type, NULL };

  return test_http (d, "POST", "/v1/Rooms", TRUE, form, NULL, NULL);
}

typedef struct
{
  TestDaemon *d;
  const char *type;
} TypeProbe;

static gboolean
type_accepted (gpointer data)
{
  TypeProbe *probe = data;

  return create_room (probe->d, probe->type) == 201;
}

/* A type that needs the truncated module: start refuses, naming it. */
static void
test_start_needs_truncated (void)
{
  g_autofree char *dir = module_dir_new ();
  g_autofree char *path = put_module (dir, "example", TRUNCATED_LENGTH);
  g_autofree char *err = NULL;
  int status
      = run_convoked ("--config",
                      "[auth]\napi-key=" TEST_API_KEY "\napi-secret=" TEST_API_SECRET
                      "\n[server]\nlisten=127.0.0.1:0\n[type:ex]\nmodule=example\n",
                      dir, &err);

  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "[type:ex] module"));
  g_assert_nonnull (strstr (err, path));
  g_assert_nonnull (strstr (err, "truncated"));
  test_rm_rf (dir);
}

/* --check-config loads the modules as a start would, so it refuses the
 * same config, naming the file. */
static void
test_check_config_needs_truncated (void)
{
  g_autofree char *dir = module_dir_new ();
  g_autofree char *path = put_module (dir, "example", TRUNCATED_LENGTH);
  g_autofree char *err = NULL;
  int status = run_convoked ("--check-config", "[type:ex]\nmodule=example\n", dir, &err);

  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "[type:ex] module"));
  g_assert_nonnull (strstr (err, path));
  g_assert_nonnull (strstr (err, "truncated"));
  test_rm_rf (dir);
}

/* Only found in the dir: logged, and the daemon serves without it. */
static void
test_start_finds_truncated (void)
{
  g_autofree char *dir = module_dir_new ();
  g_autofree char *path = put_module (dir, "example", TRUNCATED_LENGTH);
  g_autofree char *log_dir = test_mkdtemp ();
  g_autofree char *log_path = g_build_filename (log_dir, "convoked.log", NULL);
  const char *needles[] = { path, "truncated", NULL };
  TestDaemon *d = start_logging (NULL, dir, log_path);

  g_assert_true (wait_log (log_path, needles));
  g_assert_true (test_daemon_alive (d));
  g_assert_cmpuint (create_room (d, "peer-to-peer"), ==, 201);
  g_assert_cmpuint (create_room (d, "ex"), ==, 400);
  test_daemon_stop (d);
  test_rm_rf (dir);
  test_rm_rf (log_dir);
}

/* A reload whose new type needs the truncated module is refused, naming
 * the file; the daemon keeps running with the old config. Once the file
 * is whole, the same config reloads. */
static void
test_reload_names_truncated (void)
{
  g_autofree char *dir = module_dir_new ();
  g_autofree char *log_dir = test_mkdtemp ();
  g_autofree char *log_path = g_build_filename (log_dir, "convoked.log", NULL);
  g_autofree char *path = NULL;
  const char *old_config = "[type:kept]\nmodule=mesh\n";
  const char *new_config = "[type:ex]\nmodule=example\n";
  TestDaemon *d = start_logging (old_config, dir, log_path);
  TypeProbe probe = { d, "ex" };

  g_assert_cmpuint (create_room (d, "kept"), ==, 201);

  path = put_module (dir, "example", TRUNCATED_LENGTH);
  test_daemon_rewrite_config (d, new_config);
  test_daemon_reload (d);
  {
    const char *needles[]
        = { "Configuration not reloaded", "[type:ex] module", path, "truncated", NULL };

    g_assert_true (wait_log (log_path, needles));
  }
  g_assert_true (test_daemon_alive (d));
  g_assert_cmpuint (create_room (d, "ex"), ==, 400);
  g_assert_cmpuint (create_room (d, "kept"), ==, 201);

  /* The whole file: the same config now applies. */
  g_free (put_module (dir, "example", 0));
  test_daemon_reload (d);
  g_assert_true (test_wait_until (type_accepted, &probe, WAIT_MS));
  g_assert_cmpuint (create_room (d, "kept"), ==, 400);

  test_daemon_stop (d);
  test_rm_rf (dir);
  test_rm_rf (log_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/modules/truncated/start-needs-it", test_start_needs_truncated);
  g_test_add_func ("/modules/truncated/start-finds-it", test_start_finds_truncated);
  g_test_add_func ("/modules/truncated/reload-names-it", test_reload_names_truncated);
  g_test_add_func ("/modules/truncated/check-config-needs-it",
                   test_check_config_needs_truncated);
  return g_test_run ();
}
