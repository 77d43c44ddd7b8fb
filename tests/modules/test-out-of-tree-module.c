/* A module author's path, end to end: install Convoke's development files,
 * build modules/example/ as a project of its own against them, install the
 * module, and run a real convoked that loads it next to a module built for
 * another ABI.
 *
 * Usage (from meson.build): test-out-of-tree-module MESON PKGCONFIG_DIR
 * where PKGCONFIG_DIR is where this build installs convoke-topology-1.pc.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../harness/test-daemon.h"

static const char *meson_path;
static const char *installed_pkgconfig_dir;

/* While a daemon is spawned, fd 2 points at its log file (see
 * start_daemon_logging_to()); the test's own messages go to the real
 * stderr, kept here, so that a failure is never written into that file. */
static int real_stderr = -1;
static char *daemon_log_path;

/* Shared by the tests: the first one that needs it does the build. */
static struct
{
  char *tmpdir;
  char *destdir;    /* tmpdir/dest: the "installed" Convoke */
  char *pkgconfig;  /* its pkgconfig dir */
  char *module_dir; /* its module dir, which the example installs into */
  char *oot_build;  /* the example's own build dir */
} tree;

/* Runs @argv, failing the test with its output when it does not exit 0. */
static void
run (const char *const *argv, const char *pkg_config_path)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL;
  g_autofree char *command = g_strjoinv (" ", (char **) argv);

  g_test_message ("running: %s", command);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  if (pkg_config_path != NULL)
    g_subprocess_launcher_setenv (launcher, "PKG_CONFIG_PATH", pkg_config_path, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process)
      || g_subprocess_get_exit_status (process) != 0)
    {
      g_printerr ("%s\n", output);
      g_error ("failed: %s", command);
    }
}

/* The staged .pc file still says prefix=/usr/local; point it at the
 * staging dir, which is what --define-variable=prefix= would do for this
 * one package (pkg-config applies that option to every package, glib
 * included, so it cannot be used here). */
static void
relocate_pc_file (const char *pc_path, const char *destdir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean relocated = FALSE;

  g_file_get_contents (pc_path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "prefix="))
      {
        char *moved
            = g_strconcat ("prefix=", destdir, lines[i] + strlen ("prefix="), NULL);

        g_free (lines[i]);
        lines[i] = moved;
        relocated = TRUE;
      }
  g_assert_true (relocated);
  g_clear_pointer (&text, g_free);
  text = g_strjoinv ("\n", lines);
  g_file_set_contents (pc_path, text, -1, &error);
  g_assert_no_error (error);
}

static char *
pkg_config_variable (const char *variable)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *option = g_strconcat ("--variable=", variable, NULL);
  char *output = NULL;

  g_subprocess_launcher_setenv (launcher, "PKG_CONFIG_PATH", tree.pkgconfig, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, "pkg-config", option,
                                         "convoke-topology-1", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
  return g_strstrip (output);
}

static void
ensure_built (void)
{
  g_autofree char *pc_file = NULL;
  g_autofree char *example_src = NULL;
  g_autofree char *built = NULL;
  g_autofree char *installed = NULL;
  g_autofree char *compile_commands = NULL;
  g_autofree char *staged_include = NULL;
  g_autoptr (GError) error = NULL;

  if (tree.tmpdir != NULL)
    return;

  tree.tmpdir = test_mkdtemp ();
  tree.destdir = g_build_filename (tree.tmpdir, "dest", NULL);
  tree.oot_build = g_build_filename (tree.tmpdir, "example-build", NULL);
  example_src = g_build_filename (test_program ("CONVOKE_SOURCE_ROOT"), "modules",
                                  "example", NULL);

  /* Only the development files: headers and the pkg-config file. */
  run ((const char *[]){ meson_path, "install", "-C", test_program ("CONVOKE_BUILD_ROOT"),
                         "--no-rebuild", "--quiet", "--tags", "devel", "--destdir",
                         tree.destdir, NULL },
       NULL);
  tree.pkgconfig = g_build_filename (tree.destdir, installed_pkgconfig_dir, NULL);
  pc_file = g_build_filename (tree.pkgconfig, "convoke-topology-1.pc", NULL);
  g_assert_true (g_file_test (pc_file, G_FILE_TEST_IS_REGULAR));
  relocate_pc_file (pc_file, tree.destdir);

  tree.module_dir = pkg_config_variable ("moduledir");
  g_test_message ("module dir of the staged install: %s", tree.module_dir);
  g_assert_true (g_str_has_prefix (tree.module_dir, tree.destdir));

  run ((const char *[]){ meson_path, "setup", tree.oot_build, example_src, NULL },
       tree.pkgconfig);
  run ((const char *[]){ meson_path, "compile", "-C", tree.oot_build, NULL }, NULL);

  /* The build must have used the staged header, not the source tree's. */
  built = g_build_filename (tree.oot_build, "compile_commands.json", NULL);
  g_file_get_contents (built, &compile_commands, NULL, &error);
  g_assert_no_error (error);
  staged_include = pkg_config_variable ("includedir");
  g_assert_true (g_str_has_prefix (staged_include, tree.destdir));
  g_assert_nonnull (strstr (compile_commands, staged_include));
  g_assert_null (strstr (compile_commands, "core/include/convoke-1"));

  /* The module installs itself to the moduledir pkg-config reports. */
  run ((const char *[]){ meson_path, "install", "-C", tree.oot_build, "--quiet", NULL },
       tree.pkgconfig);
  installed = g_build_filename (tree.module_dir, "libconvoke-topology-example.so", NULL);
  g_assert_true (g_file_test (installed, G_FILE_TEST_IS_REGULAR));
}

static void
test_build_and_install (void)
{
  ensure_built ();
}

/* The daemon still needs the build tree's mesh and group modules for its
 * built-in room types, and gets a module it must refuse. */
static void
populate_module_dir (void)
{
  const char *build_modules = test_program ("CONVOKE_MODULE_DIR");
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *wrong_target = NULL;
  g_autofree char *wrong_link = NULL;
  const char *name;

  dir = g_dir_open (build_modules, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *target = NULL;
      g_autofree char *link = NULL;

      if (!g_str_has_prefix (name, "libconvoke-topology-")
          || !g_str_has_suffix (name, ".so")
          || g_str_equal (name, "libconvoke-topology-example.so"))
        continue;
      target = g_build_filename (build_modules, name, NULL);
      link = g_build_filename (tree.module_dir, name, NULL);
      if (!g_file_test (link, G_FILE_TEST_EXISTS))
        g_assert_cmpint (symlink (target, link), ==, 0);
    }

  wrong_target
      = g_build_filename (TEST_MODULES_DIR, "libconvoke-topology-wrongabi.so", NULL);
  wrong_link
      = g_build_filename (tree.module_dir, "libconvoke-topology-wrongabi.so", NULL);
  if (!g_file_test (wrong_link, G_FILE_TEST_EXISTS))
    g_assert_cmpint (symlink (wrong_target, wrong_link), ==, 0);
}

/* The harness lets the daemon inherit our stderr. To read what it logged,
 * fd 2 points at a file while the daemon is spawned. */
static TestDaemon *
start_daemon_logging_to (const char *log_path, const char *config,
                         const char *const *args)
{
  TestDaemon *d;
  int log_fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int saved_stderr = dup (STDERR_FILENO);

  g_assert_cmpint (log_fd, >=, 0);
  g_assert_cmpint (saved_stderr, >=, 0);
  g_assert_cmpint (dup2 (log_fd, STDERR_FILENO), ==, STDERR_FILENO);
  d = test_daemon_start (config, args);
  g_assert_cmpint (dup2 (saved_stderr, STDERR_FILENO), ==, STDERR_FILENO);
  close (saved_stderr);
  close (log_fd);
  return d;
}

static void
write_real_stderr (const char *text)
{
  size_t len = strlen (text);

  while (len > 0)
    {
      ssize_t n = write (real_stderr, text, len);

      if (n <= 0)
        return;
      text += n;
      len -= (size_t) n;
    }
}

/* On the way down, show what the daemon said: it is usually why. */
static void
dump_daemon_log (void)
{
  g_autofree char *log = NULL;

  if (daemon_log_path != NULL && g_file_get_contents (daemon_log_path, &log, NULL, NULL))
    {
      write_real_stderr ("--- convoked log ---\n");
      write_real_stderr (log);
      write_real_stderr ("--- end of convoked log ---\n");
    }
}

static GLogWriterOutput
log_to_real_stderr (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                    gpointer user_data)
{
  g_autofree char *line = NULL;
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
  /* Same filtering as the default writer (G_MESSAGES_DEBUG). */
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;

  line = g_log_writer_format_fields (level, fields, n_fields, FALSE);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL))
    dump_daemon_log ();
  write_real_stderr (line);
  write_real_stderr ("\n");
  return G_LOG_WRITER_HANDLED;
}

/* g_assert*() failures are printed with g_printerr(). */
static void
printerr_to_real_stderr (const char *text)
{
  if (g_str_has_prefix (text, "**"))
    dump_daemon_log ();
  write_real_stderr (text);
}

typedef struct
{
  SoupWebsocketConnection *connection;
  GError *error;
  GPtrArray *messages; /* JsonObject* */
  gboolean closed;
} Signaling;

static void
on_ws_message (SoupWebsocketConnection *connection, gint type, GBytes *bytes,
               gpointer user_data)
{
  Signaling *s = user_data;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_assert_true (json_parser_load_from_data (parser, data, len, NULL));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  g_ptr_array_add (s->messages, json_object_ref (json_node_get_object (
                                    json_parser_get_root (parser))));
}

static void
on_ws_closed (SoupWebsocketConnection *connection, gpointer user_data)
{
  ((Signaling *) user_data)->closed = TRUE;
}

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Signaling *s = user_data;

  s->connection
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &s->error);
  if (s->connection != NULL)
    {
      g_signal_connect (s->connection, "message", G_CALLBACK (on_ws_message), s);
      g_signal_connect (s->connection, "closed", G_CALLBACK (on_ws_closed), s);
    }
}

static gboolean
ws_connected_or_failed (gpointer data)
{
  Signaling *s = data;

  return s->connection != NULL || s->error != NULL;
}

static Signaling *
signaling_join (TestDaemon *d, const char *identity, const char *room)
{
  Signaling *s = g_new0 (Signaling, 1);
  g_autofree char *url = test_daemon_signaling_url (d);
  g_autofree char *token = test_daemon_token (d, identity, room);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) join = NULL;
  g_autofree char *text = NULL;
  char *protocols[] = { "convoke-signaling-1", NULL };

  s->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  soup_session_websocket_connect_async (d->session, msg, NULL, protocols,
                                        G_PRIORITY_DEFAULT, NULL, on_ws_connected, s);
  g_assert_true (test_wait_until (ws_connected_or_failed, s, 10000));
  g_assert_no_error (s->error);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "join");
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "room");
  json_builder_add_string_value (builder, room);
  json_builder_end_object (builder);
  join = json_builder_get_root (builder);
  text = json_to_string (join, FALSE);
  soup_websocket_connection_send_text (s->connection, text);
  return s;
}

static void
signaling_free (Signaling *s)
{
  if (s->connection != NULL
      && soup_websocket_connection_get_state (s->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (s->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&s->connection);
  g_clear_error (&s->error);
  g_ptr_array_unref (s->messages);
  g_free (s);
}

typedef struct
{
  Signaling *s;
  const char *type;
  JsonObject *found;
} Waiting;

static gboolean
message_arrived (gpointer data)
{
  Waiting *w = data;

  for (guint i = 0; i < w->s->messages->len; i++)
    {
      JsonObject *message = w->s->messages->pdata[i];

      if (g_strcmp0 (json_object_get_string_member_with_default (message, "type", NULL),
                     w->type)
          == 0)
        {
          w->found = message;
          return TRUE;
        }
    }
  return FALSE;
}

static JsonObject *
wait_for_message (Signaling *s, const char *type)
{
  Waiting w = { s, type, NULL };

  if (!test_wait_until (message_arrived, &w, 10000))
    g_error ("no “%s” message within 10 s (%u others)", type, s->messages->len);
  return w.found;
}

static void
test_daemon_loads_it (void)
{
  const char *config = "[type:demo]\n"
                       "module=example\n"
                       "max-participants=4\n"
                       "greeting=Greetings from out of tree\n";
  g_autofree char *log_path = NULL;
  g_autofree char *log = NULL;
  g_autofree char *wrong_path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) room = NULL;
  const char *args[] = { "--module-dir", NULL, NULL };
  const char *form[] = { "Type", "demo", "UniqueName", "oot-demo", NULL };
  JsonObject *joined, *greeting, *refusal;
  Signaling *alice, *guest;
  TestDaemon *d;

  ensure_built ();
  populate_module_dir ();
  args[1] = tree.module_dir;
  log_path = g_build_filename (tree.tmpdir, "convoked.log", NULL);
  daemon_log_path = log_path;
  d = start_daemon_logging_to (log_path, config, args);

  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, &room, NULL), ==, 201);
  g_assert_nonnull (room);
  g_assert_cmpstr (
      json_object_get_string_member (json_node_get_object (room), "unique_name"), ==,
      "oot-demo");

  /* The module built for another ABI was refused, by file name and
   * reason, and the daemon carried on. */
  g_file_get_contents (log_path, &log, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("convoked logged %" G_GSIZE_FORMAT " bytes", strlen (log));
  wrong_path
      = g_build_filename (tree.module_dir, "libconvoke-topology-wrongabi.so", NULL);
  g_assert_nonnull (strstr (log, wrong_path));
  g_assert_nonnull (strstr (log, "built for module ABI"));
  g_assert_true (test_daemon_alive (d));

  /* The room runs the out-of-tree module: it greets... */
  alice = signaling_join (d, "alice", "oot-demo");
  joined = wait_for_message (alice, "joined");
  g_assert_cmpstr (json_object_get_string_member (joined, "topology"), ==, "mesh");
  greeting = wait_for_message (alice, "example-greeting");
  g_assert_cmpstr (json_object_get_string_member (greeting, "message"), ==,
                   "Greetings from out of tree");

  /* ...and keeps guests out. */
  guest = signaling_join (d, "guest-eve", "oot-demo");
  refusal = wait_for_message (guest, "error");
  g_assert_cmpint (json_object_get_int_member (refusal, "code"), ==, 53200);
  g_assert_nonnull (
      strstr (json_object_get_string_member (refusal, "message"), "guest-eve"));

  signaling_free (guest);
  signaling_free (alice);
  g_assert_true (test_daemon_alive (d));
  test_daemon_stop (d);
  daemon_log_path = NULL;
}

int
main (int argc, char **argv)
{
  int status;

  real_stderr = dup (STDERR_FILENO);
  g_assert (real_stderr >= 0);
  g_log_set_writer_func (log_to_real_stderr, NULL, NULL);
  g_set_printerr_handler (printerr_to_real_stderr);

  g_test_init (&argc, &argv, NULL);
  if (argc < 3)
    g_error ("usage: %s MESON PKGCONFIG_DIR (run it through `meson test`)", argv[0]);
  meson_path = argv[1];
  installed_pkgconfig_dir = argv[2];
  /* The daemon's log is matched against untranslated text. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);

  g_test_add_func ("/modules/out-of-tree/build-and-install", test_build_and_install);
  g_test_add_func ("/modules/out-of-tree/daemon-loads-it", test_daemon_loads_it);
  status = g_test_run ();

  test_rm_rf (tree.tmpdir);
  g_free (tree.tmpdir);
  g_free (tree.destdir);
  g_free (tree.pkgconfig);
  g_free (tree.module_dir);
  g_free (tree.oot_build);
  return status;
}
