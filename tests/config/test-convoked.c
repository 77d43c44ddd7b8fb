/* convoked's command line: --check-config, --version, start-up failures
 * (bad config, generated secret on a public address, missing module, port
 * in use), generated credentials, --url-file, clean signal exits and
 * relative config paths.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "test-daemon.h"
#include "test-process.h"

typedef struct
{
  int status;
  char *out;
  char *err;
} RunResult;

static void
run_result_clear (RunResult *r)
{
  g_free (r->out);
  g_free (r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunResult, run_result_clear)

static GSubprocessLauncher *
launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent,
                                         GINT_TO_POINTER (SIGTERM), NULL);
  /* The assertions match the untranslated messages. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  return launcher;
}

/* Runs convoked with @args to completion. */
static void
run_convoked (const char *const *args, RunResult *result)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher
      = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, (gpointer)test_program ("CONVOKED"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  process
      = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &result->out, &result->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  result->status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", result->status, result->out,
                  result->err);
}

static char *
write_temp (const char *dir, const char *name, const char *contents)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static void
test_check_config_valid (void)
{
  g_autofree char *path
      = g_build_filename (g_getenv ("CONVOKE_SOURCE_ROOT"), "data", "convoke.conf", NULL);
  const char *args[] = { "--check-config", path, NULL };
  g_auto (RunResult) r = { 0 };

  run_convoked (args, &r);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, path));
  g_assert_nonnull (strstr (r.out, "valid"));
}

static void
test_check_config_invalid (void)
{
  static const char *const cases[][3] = {
    { "[rooms]\nempty-room-timeout=soon\n", "[rooms] empty-room-timeout", "“soon”" },
    { "[sever]\n", "[sever]", "unknown group" },
    { "[server]\nlisen=127.0.0.1:1\n", "[server] lisen", "unknown key" },
    { "[server]\nlisten=127.0.0.1:99999\n", "[server] listen", "99999" },
    { "[room:standup]\ntype=nope\n", "[room:standup] type", "“nope”" },
    { "[type:webinar]\nmax-participants=3\n", "[type:webinar] module", "module" },
    { "[turn]\nurls=http://x\nsecret=s\n", "[turn] urls", "“http://x”" },
    { "[server\n", "[server", "" },
    /* What only a start or a reload used to find, like `nginx -t`: a
     * module that does not load, recording on a module without media, a
     * generated secret on a public address. */
    { "[type:ghostly]\nmodule=ghost\n", "[type:ghostly] module",
      "libconvoke-topology-ghost" },
    { "[type:taped]\nmodule=mesh\nrecording=true\n", "[type:taped] recording",
      "never sees media" },
    { "[server]\nlisten=0.0.0.0:0\n", "[auth] api-secret", "0.0.0.0" },
  };
  g_autofree char *dir = test_mkdtemp ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("bad-%zu.conf", i);
      g_autofree char *path = write_temp (dir, name, cases[i][0]);
      const char *args[] = { "--check-config", path, NULL };
      g_auto (RunResult) r = { 0 };

      run_convoked (args, &r);
      g_assert_cmpint (r.status, ==, 1);
      g_assert_nonnull (strstr (r.err, path));
      g_assert_nonnull (strstr (r.err, cases[i][1]));
      g_assert_nonnull (strstr (r.err, cases[i][2]));
      g_assert_cmpstr (r.out, ==, "");
    }
  {
    g_autofree char *missing = g_build_filename (dir, "missing.conf", NULL);
    const char *args[] = { "--check-config", missing, NULL };
    g_auto (RunResult) r = { 0 };

    run_convoked (args, &r);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, missing));
  }
  test_rm_rf (dir);
}

/* The child's memory is limited where the build allows it (a sanitizer
 * reserves terabytes of address space), so that a convoked reading
 * /dev/zero fails instead of eating the machine's memory. */
static void
limit_memory (gpointer data)
{
  test_die_with_parent (GINT_TO_POINTER (SIGTERM));
#if !defined(__SANITIZE_ADDRESS__)
  {
    struct rlimit limit = { 1024UL * 1024 * 1024, 1024UL * 1024 * 1024 };

    setrlimit (RLIMIT_AS, &limit);
  }
#endif
}

typedef struct
{
  gboolean done;
  char *err;
} Bounded;

static void
bounded_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Bounded *bounded = data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, NULL,
                                        &bounded->err, NULL);
  bounded->done = TRUE;
}

static gboolean
bounded_is_done (gpointer data)
{
  return ((Bounded *) data)->done;
}

/* `convoked --check-config @path`, which must exit 1 within @timeout_ms
 * (a deadline: scaled by test_wait_until) with an error naming @path and
 * containing @what. */
static void
assert_check_config_refuses_quickly (const char *path, const char *what, guint timeout_ms)
{
  g_autoptr (GSubprocessLauncher) launcher
      = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  Bounded bounded = { FALSE, NULL };

  g_subprocess_launcher_set_child_setup (launcher, limit_memory, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, test_program ("CONVOKED"),
                                         "--check-config", path, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, bounded_done, &bounded);
  if (!test_wait_until (bounded_is_done, &bounded, timeout_ms))
    {
      g_subprocess_force_exit (process);
      test_wait_until (bounded_is_done, &bounded, timeout_ms);
      g_error ("convoked --check-config %s did not return within %u ms", path,
               test_scaled_ms (timeout_ms));
    }
  g_test_message ("%s: %s", path, bounded.err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_nonnull (strstr (bounded.err, path));
  g_assert_nonnull (strstr (bounded.err, what));
  g_free (bounded.err);
}

/* --check-config /dev/zero used to read until memory ran out, and a FIFO
 * without a writer blocked it forever; /dev/null passed as valid. Only a
 * regular file is a configuration file. */
static void
test_check_config_not_regular (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *fifo = g_build_filename (dir, "convoke.conf", NULL);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  assert_check_config_refuses_quickly (fifo, "not a regular file", 10000);
  assert_check_config_refuses_quickly ("/dev/null", "not a regular file", 10000);
  assert_check_config_refuses_quickly ("/dev/zero", "not a regular file", 10000);
  test_rm_rf (dir);
}

static void
test_version_and_bad_option (void)
{
  const char *version[] = { "--version", NULL };
  const char *bad[] = { "--no-such-option", NULL };
  g_auto (RunResult) a = { 0 };
  g_auto (RunResult) b = { 0 };

  run_convoked (version, &a);
  g_assert_cmpint (a.status, ==, 0);
  g_assert_true (g_str_has_prefix (a.out, "convoked "));
  run_convoked (bad, &b);
  g_assert_cmpint (b.status, ==, 2);
  g_assert_nonnull (strstr (b.err, "no-such-option"));
}

/* Start-up failures exit 1 with the reason, and never write --url-file. */
static void
assert_start_fails (const char *config, const char *const *expect, const char *module_dir)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *path = write_temp (dir, "convoke.conf", config);
  g_autofree char *url_file = g_build_filename (dir, "url", NULL);
  const char *args[]
      = { "--config", path, "--url-file", url_file, module_dir ? "--module-dir" : NULL,
          module_dir, NULL };
  g_auto (RunResult) r = { 0 };

  run_convoked (args, &r);
  g_assert_cmpint (r.status, ==, 1);
  for (guint i = 0; expect[i] != NULL; i++)
    if (strstr (r.err, expect[i]) == NULL)
      g_error ("“%s” is not in “%s”", expect[i], r.err);
  g_assert_false (g_file_test (url_file, G_FILE_TEST_EXISTS));
  test_rm_rf (dir);
}

static void
test_start_invalid_config (void)
{
  const char *expect[] = { "[rooms] auto-create", "“maybe”", NULL };
  assert_start_fails ("[rooms]\nauto-create=maybe\n", expect, NULL);
}

/* Without a configured secret the daemon only listens on loopback. */
static void
test_generated_secret_refuses_public_address (void)
{
  const char *expect[] = { "[auth] api-secret", "0.0.0.0", NULL };
  assert_start_fails ("[server]\nlisten=0.0.0.0:0\n", expect, NULL);
}

static void
test_missing_module (void)
{
  const char *expect[]
      = { "[type:ghostly] module", "ghost", "libconvoke-topology-ghost", NULL };
  assert_start_fails ("[auth]\napi-key=" TEST_API_KEY "\napi-secret=" TEST_API_SECRET "\n"
                      "[server]\nlisten=127.0.0.1:0\n[type:ghostly]\nmodule=ghost\n",
                      expect, NULL);
}

/* --module-dir wins over $CONVOKE_MODULE_DIR: an empty dir has no mesh. */
static void
test_module_dir_option (void)
{
  g_autofree char *empty = test_mkdtemp ();
  const char *expect[] = { "libconvoke-topology-", empty, NULL };

  assert_start_fails ("[server]\nlisten=127.0.0.1:0\n", expect, empty);
  test_rm_rf (empty);
}

typedef struct
{
  GSubprocess *process;
  GDataInputStream *out;
  char *dir;
  char *url_file;
} Running;

static void
running_start (Running *r, const char *config)
{
  g_autoptr (GSubprocessLauncher) launcher
      = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  r->dir = test_mkdtemp ();
  path = write_temp (r->dir, "convoke.conf", config);
  r->url_file = g_build_filename (r->dir, "url", NULL);
  r->process
      = g_subprocess_launcher_spawn (launcher, &error, test_program ("CONVOKED"),
                                     "--config", path, "--url-file", r->url_file, NULL);
  g_assert_no_error (error);
  r->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (r->process));
}

/* Reads standard output up to the "listening" line; returns all of it. */
static char *
running_read_banner (Running *r)
{
  GString *text = g_string_new (NULL);

  for (;;)
    {
      g_autofree char *line
          = g_data_input_stream_read_line_utf8 (r->out, NULL, NULL, NULL);

      g_assert_nonnull (line); /* EOF: the daemon died */
      g_string_append_printf (text, "%s\n", line);
      if (g_str_has_prefix (line, "Convoke listening on "))
        return g_string_free (text, FALSE);
    }
}

static void
running_stop (Running *r, int signal_number)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_send_signal (r->process, signal_number);
  g_subprocess_wait (r->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (r->process));
  g_assert_cmpint (g_subprocess_get_exit_status (r->process), ==, 0);
  g_clear_object (&r->out);
  g_clear_object (&r->process);
  test_rm_rf (r->dir);
  g_free (r->dir);
  g_free (r->url_file);
}

static char *
banner_value (const char *banner, const char *label)
{
  const char *start = strstr (banner, label);
  const char *end;

  g_assert_nonnull (start);
  start += strlen (label);
  while (*start == ' ')
    start++;
  end = strchr (start, '\n');
  return g_strndup (start, end - start);
}

static guint
get_status (const char *url, const char *user, const char *password)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) body = NULL;

  if (user != NULL)
    {
      g_autofree char *pair = g_strconcat (user, ":", password, NULL);
      g_autofree char *b64 = g_base64_encode ((const guchar *)pair, strlen (pair));
      g_autofree char *header = g_strconcat ("Basic ", b64, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Authorization", header);
    }
  body = soup_session_send_and_read (session, msg, NULL, NULL);
  return soup_message_get_status (msg);
}

/* No secret configured: one is generated, printed once, and it works. */
static void
test_generated_credentials (void)
{
  Running r = { 0 };
  g_autofree char *banner = NULL;
  g_autofree char *key = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *url = NULL;
  g_autofree char *listening = NULL;
  g_autofree char *rooms = NULL;

  running_start (&r, "[server]\nlisten=127.0.0.1:0\n");
  banner = running_read_banner (&r);
  key = banner_value (banner, "api-key:");
  secret = banner_value (banner, "api-secret:");
  g_assert_true (g_str_has_prefix (key, "SK"));
  g_assert_cmpuint (strlen (secret), ==, 32);
  g_assert_nonnull (strstr (banner, "account-sid: AC"));

  g_assert_true (g_file_get_contents (r.url_file, &url, NULL, NULL));
  g_assert_true (g_str_has_suffix (url, "\n"));
  g_strstrip (url);
  g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:"));
  listening = banner_value (banner, "Convoke listening on");
  g_assert_cmpstr (listening, ==, url);

  rooms = g_strconcat (url, "/v1/Rooms", NULL);
  g_assert_cmpuint (get_status (rooms, key, secret), ==, 200);
  g_assert_cmpuint (get_status (rooms, key, "wrong-secret-0123456789"), ==, 401);
  running_stop (&r, SIGTERM);
}

static void
test_sigint_and_port_in_use (void)
{
  Running r = { 0 };
  g_autofree char *banner = NULL;
  g_autofree char *url = NULL;
  g_autofree char *config = NULL;
  const char *port;

  running_start (&r, "[server]\nlisten=127.0.0.1:0\n[auth]\napi-key=" TEST_API_KEY
                     "\napi-secret=" TEST_API_SECRET "\n");
  banner = running_read_banner (&r);
  /* A configured secret is never printed. */
  g_assert_null (strstr (banner, TEST_API_SECRET));
  g_assert_null (strstr (banner, "api-secret"));
  g_assert_true (g_file_get_contents (r.url_file, &url, NULL, NULL));
  g_strstrip (url);
  port = strrchr (url, ':') + 1;

  config = g_strdup_printf ("[server]\nlisten=127.0.0.1:%s\n", port);
  {
    const char *expect[]
        = { "Cannot listen on 127.0.0.1:", port, "[server] listen", NULL };
    assert_start_fails (config, expect, NULL);
  }
  running_stop (&r, SIGINT);
}

static char *
get_body (const char *url, guint *status)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);

  *status = soup_message_get_status (msg);
  return body ? g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body))
              : g_strdup ("");
}

/* `-c` and `--check-config` with a relative file name: paths in the file
 * resolve against the file's directory, made absolute from the current
 * one (this used to be a GLib-CRITICAL, fatal under the tests'
 * G_DEBUG=fatal-criticals). */
static void
test_relative_config_path (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *etc = g_build_filename (dir, "etc", NULL);
  g_autofree char *web = g_build_filename (etc, "web", NULL);
  g_autofree char *err_path = g_build_filename (dir, "stderr", NULL);
  g_autofree char *url_path = g_build_filename (dir, "url", NULL);
  g_autofree char *err = NULL;
  g_autofree char *url = NULL;
  g_autofree char *index_url = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GError) error = NULL;
  guint status = 0;

  g_assert_cmpint (g_mkdir_with_parents (web, 0700), ==, 0);
  g_free (write_temp (web, "index.html", "served from etc/web\n"));
  g_free (write_temp (etc, "convoke.conf",
                      "[server]\nlisten=127.0.0.1:0\nweb-root=web\n"
                      "[auth]\napi-key=" TEST_API_KEY "\napi-secret=" TEST_API_SECRET
                      "\n"));

  {
    g_autoptr (GSubprocessLauncher) launcher
        = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr (GSubprocess) process = NULL;
    g_autofree char *out = NULL;
    g_autofree char *check_err = NULL;

    g_subprocess_launcher_set_cwd (launcher, etc);
    process = g_subprocess_launcher_spawn (launcher, &error, test_program ("CONVOKED"),
                                           "--check-config", "convoke.conf", NULL);
    g_assert_no_error (error);
    g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &check_err, &error);
    g_assert_no_error (error);
    g_test_message ("--check-config convoke.conf: stdout: %s\nstderr: %s", out,
                    check_err);
    g_assert_true (g_subprocess_get_if_exited (process));
    g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
    g_assert_null (strstr (check_err, "CRITICAL"));
    g_assert_nonnull (strstr (out, "valid"));
  }

  {
    g_autoptr (GSubprocessLauncher) launcher
        = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_autoptr (GSubprocess) process = NULL;
    g_autoptr (GDataInputStream) out = NULL;
    Running r = { 0 };

    g_subprocess_launcher_set_cwd (launcher, dir);
    g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
    process
        = g_subprocess_launcher_spawn (launcher, &error, test_program ("CONVOKED"), "-c",
                                       "etc/convoke.conf", "--url-file", url_path, NULL);
    g_assert_no_error (error);
    r.out = out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
    g_free (running_read_banner (&r));

    g_assert_true (g_file_get_contents (url_path, &url, NULL, NULL));
    g_strstrip (url);
    index_url = g_strconcat (url, "/index.html", NULL);
    body = get_body (index_url, &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (body, ==, "served from etc/web\n");

    g_subprocess_send_signal (process, SIGTERM);
    g_subprocess_wait (process, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (err_path, &err, NULL, NULL));
    g_test_message ("-c etc/convoke.conf: stderr: %s", err);
    g_assert_true (g_subprocess_get_if_exited (process));
    g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
    g_assert_null (strstr (err, "CRITICAL"));
  }
  test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/convoked/check-config-valid", test_check_config_valid);
  g_test_add_func ("/convoked/check-config-invalid", test_check_config_invalid);
  g_test_add_func ("/convoked/check-config-not-regular", test_check_config_not_regular);
  g_test_add_func ("/convoked/version-and-bad-option", test_version_and_bad_option);
  g_test_add_func ("/convoked/start-invalid-config", test_start_invalid_config);
  g_test_add_func ("/convoked/generated-secret-refuses-public-address",
                   test_generated_secret_refuses_public_address);
  g_test_add_func ("/convoked/missing-module", test_missing_module);
  g_test_add_func ("/convoked/module-dir-option", test_module_dir_option);
  g_test_add_func ("/convoked/generated-credentials", test_generated_credentials);
  g_test_add_func ("/convoked/sigint-and-port-in-use", test_sigint_and_port_in_use);
  g_test_add_func ("/convoked/relative-config-path", test_relative_config_path);
  return g_test_run ();
}
