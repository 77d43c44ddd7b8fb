/* convoke-client's command line: usage errors, refusals, and the stats
 * file's life cycle, against a real convoked where a server is needed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "client-runner.h"

#define CLI_CONFIG                                                                       \
  "[rooms]\n"                                                                            \
  "default-type=peer-to-peer\n"                                                          \
  "auto-create=true\n"                                                                   \
  "[type:group]\n"                                                                       \
  "module=mesh\n"                                                                        \
  "[type:group-small]\n"                                                                 \
  "module=mesh\n"

typedef struct
{
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs convoke-client with @args to completion (it must exit by itself
 * within 20 s), without any CONVOKE_API_* from the environment. */
static void
run_client (Run *run, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, (char *) test_program ("CONVOKE_CLIENT"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_unsetenv (launcher, "CONVOKE_API_KEY");
  g_subprocess_launcher_unsetenv (launcher, "CONVOKE_API_SECRET");
  g_subprocess_launcher_unsetenv (launcher, "CONVOKE_ACCOUNT_SID");
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                          &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", run->status, run->out, run->err);
}

static void
test_version (void)
{
  const char *args[] = { "--version", NULL };
  g_auto (Run) run = { 0 };

  run_client (&run, args);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "convoke-client "));
}

static void
test_usage_errors (void)
{
  struct
  {
    const char *args[8];
    const char *mentions;
  } cases[] = {
    { { NULL }, "--token" },
    { { "--identity", "alice", NULL }, "--api-key" },
    { { "--identity", "alice", "--api-key", "k", "--api-secret", "s", NULL },
      "--account-sid" },
    { { "--token", "t", "--duration", "-1", NULL }, "--duration -1" },
    { { "--token", "t", "--token-ttl", "0", NULL }, "--token-ttl 0" },
    { { "--token", "t", "--no-such-option", NULL }, "--no-such-option" },
    { { "--token", "t", "--duration", "soon", NULL }, "soon" },
    { { "--token", "t", "--stats-json", "/nonexistent-dir/stats.json", NULL },
      "/nonexistent-dir/stats.json" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (Run) run = { 0 };

      run_client (&run, cases[i].args);
      g_assert_cmpint (run.status, ==, 2);
      g_assert_true (g_str_has_prefix (run.err, "convoke-client: "));
      g_assert_nonnull (strstr (run.err, cases[i].mentions));
    }
}

static void
test_bad_url_and_source (void)
{
  const char *bad_url[]
      = { "--token", "t", "--url", "ftp://example.org", "--no-audio", NULL };
  const char *bad_source[]
      = { "--token", "t", "--video-source", "no-such-element-anywhere", NULL };
  g_auto (Run) url_run = { 0 };
  g_auto (Run) source_run = { 0 };

  run_client (&url_run, bad_url);
  g_assert_cmpint (url_run.status, ==, 1);
  g_assert_nonnull (strstr (url_run.err, "ftp://example.org"));

  run_client (&source_run, bad_source);
  g_assert_cmpint (source_run.status, ==, 1);
  g_assert_nonnull (strstr (source_run.err, "no-such-element-anywhere"));
}

/* A token signed with the wrong secret is refused with 20107, which the
 * client prints and records. */
static void
test_token_refused (void)
{
  TestDaemon *d = test_client_daemon_start (CLI_CONFIG);
  g_autofree char *stats_path = NULL;
  g_autofree char *dir = test_mkdtemp ();
  g_auto (Run) run = { 0 };
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *stats;
  const char *args[] = { "--url",
                         d->base_url,
                         "--identity",
                         "mallory",
                         "--room",
                         "r",
                         "--api-key",
                         d->api_key,
                         "--api-secret",
                         "not-the-secret",
                         "--account-sid",
                         d->account_sid,
                         "--no-video",
                         "--no-audio",
                         "--stats-json",
                         NULL,
                         NULL };

  stats_path = g_build_filename (dir, "stats.json", NULL);
  args[15] = stats_path;
  run_client (&run, args);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "(20107)"));

  json_parser_load_from_file (parser, stats_path, &error);
  g_assert_no_error (error);
  stats = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (stats, "status"), ==, "failed");
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (stats, "error"), "code"),
      ==, 20107);
  test_rm_rf (dir);
  test_daemon_stop (d);
}

static gboolean
stats_say_joined (gpointer data)
{
  g_autoptr (JsonObject) stats = test_client_stats (data);

  return stats != NULL
         && g_strcmp0 (json_object_get_string_member (stats, "status"), "joined") == 0;
}

/* --token, SIGINT, and the final stats file. */
static void
test_token_and_interrupt (void)
{
  TestDaemon *d = test_client_daemon_start (CLI_CONFIG);
  g_autofree char *token = test_daemon_token (d, "alice", "interrupt");
  const char *args[] = { "--token", token, NULL };
  TestClient *client = test_client_start (d, "ignored", "interrupt", args);
  g_autoptr (JsonObject) stats = NULL;
  g_autofree char *out = NULL;

  g_assert_true (test_wait_until (stats_say_joined, client, 15000));
  g_subprocess_send_signal (client->process, SIGINT);
  g_assert_cmpint (test_client_wait_exit (client, 10000), ==, 0);
  stats = test_client_stats (client);
  /* The token's identity wins over --identity. */
  g_assert_cmpstr (json_object_get_string_member (stats, "identity"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (stats, "status"), ==, "left");
  g_assert_cmpstr (json_object_get_string_member (stats, "room_name"), ==, "interrupt");
  out = test_client_stdout (client);
  g_assert_nonnull (strstr (out, "joined room interrupt"));
  test_client_stop (client);
  test_daemon_stop (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/cli/version", test_version);
  g_test_add_func ("/client/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/client/cli/bad-url-and-source", test_bad_url_and_source);
  g_test_add_func ("/client/cli/token-refused", test_token_refused);
  g_test_add_func ("/client/cli/token-and-interrupt", test_token_and_interrupt);
  return g_test_run ();
}
