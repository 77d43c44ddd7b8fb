/* Test fixture: a real convoked on 127.0.0.1 and an ephemeral port.
 *
 * The daemon writes its base URL to --url-file once it listens; the
 * fixture waits for that file instead of guessing a free port, so tests
 * never race each other for ports.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-daemon.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

#include "access-token.h"
#include "test-process.h"

#define START_TIMEOUT_MS 20000
#define HTTP_TIMEOUT_MS 30000

const char *
test_program (const char *env_name)
{
  const char *path = g_getenv (env_name);

  if (path == NULL)
    g_error ("%s is not set: run the tests through `meson test`", env_name);
  return path;
}

char *
test_mkdtemp (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("convoke-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
test_rm_rf (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR)
      || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      test_rm_rf (child);
    }
  g_rmdir (path);
}

static char *
compose_config (const char *extra_config)
{
  /* Later groups with the same name are merged by GKeyFile, later keys
   * win, so @extra_config can override anything here. */
  return g_strdup_printf ("[server]\n"
                          "listen=127.0.0.1:0\n"
                          "[auth]\n"
                          "api-key=" TEST_API_KEY "\n"
                          "api-secret=" TEST_API_SECRET "\n"
                          "account-sid=" TEST_ACCOUNT_SID "\n"
                          "\n%s\n",
                          extra_config ? extra_config : "");
}

static void
write_config (TestDaemon *d, const char *extra_config)
{
  g_autofree char *text = compose_config (extra_config);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (d->config_path, text, -1, &error);
  g_assert_no_error (error);
}

gboolean
test_daemon_alive (TestDaemon *d)
{
  return d->process != NULL && g_subprocess_get_identifier (d->process) != NULL;
}

static gboolean
url_file_ready (gpointer data)
{
  TestDaemon *d = data;
  g_autofree char *path = g_build_filename (d->tmpdir, "url", NULL);
  g_autofree char *contents = NULL;

  if (!test_daemon_alive (d))
    return TRUE; /* stop waiting: it died */
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  g_strstrip (contents);
  if (!g_str_has_prefix (contents, "http"))
    return FALSE;
  d->base_url = g_steal_pointer (&contents);
  return TRUE;
}

TestDaemon *
test_daemon_start (const char *extra_config, const char *const *extra_args)
{
  TestDaemon *d = g_new0 (TestDaemon, 1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url_file = NULL;
  const char *pid_str;

  d->tmpdir = test_mkdtemp ();
  d->config_path = g_build_filename (d->tmpdir, "convoke.conf", NULL);
  d->api_key = g_strdup (TEST_API_KEY);
  d->api_secret = g_strdup (TEST_API_SECRET);
  d->account_sid = g_strdup (TEST_ACCOUNT_SID);
  write_config (d, extra_config);
  url_file = g_build_filename (d->tmpdir, "url", NULL);

  g_ptr_array_add (argv, g_strdup (test_program ("CONVOKED")));
  g_ptr_array_add (argv, g_strdup ("--config"));
  g_ptr_array_add (argv, g_strdup (d->config_path));
  g_ptr_array_add (argv, g_strdup ("--url-file"));
  g_ptr_array_add (argv, g_strdup (url_file));
  g_ptr_array_add (argv, g_strdup ("--verbose"));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  /* The daemon's output goes to the test's own stderr, so meson's test log
   * shows both side by side. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent,
                                         GINT_TO_POINTER (SIGTERM), NULL);
  d->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                             &error);
  g_assert_no_error (error);
  pid_str = g_subprocess_get_identifier (d->process);
  d->pid = pid_str ? (GPid) g_ascii_strtoll (pid_str, NULL, 10) : 0;

  test_wait_until (url_file_ready, d, START_TIMEOUT_MS);
  if (d->base_url == NULL)
    g_error ("convoked did not start serving within %u ms (alive: %d)",
             test_scaled_ms (START_TIMEOUT_MS), test_daemon_alive (d));

  /* The HTTP client's own deadline for an answer, scaled like any
   * other. */
  d->session = soup_session_new_with_options (
      "timeout", (test_scaled_ms (HTTP_TIMEOUT_MS) + 999) / 1000, NULL);
  return d;
}

void
test_daemon_rewrite_config (TestDaemon *d, const char *extra_config)
{
  write_config (d, extra_config);
}

void
test_daemon_reload (TestDaemon *d)
{
  g_assert_true (test_daemon_alive (d));
  g_subprocess_send_signal (d->process, SIGHUP);
}

void
test_daemon_stop (TestDaemon *d)
{
  g_autoptr (GError) error = NULL;

  if (d == NULL)
    return;
  if (test_daemon_alive (d))
    {
      g_subprocess_send_signal (d->process, SIGTERM);
      g_subprocess_wait (d->process, NULL, &error);
      g_assert_no_error (error);
      /* A clean SIGTERM exit is part of the contract. */
      g_assert_true (g_subprocess_get_if_exited (d->process));
      g_assert_cmpint (g_subprocess_get_exit_status (d->process), ==, 0);
    }
  g_clear_object (&d->process);
  g_clear_object (&d->session);
  test_rm_rf (d->tmpdir);
  g_free (d->tmpdir);
  g_free (d->config_path);
  g_free (d->base_url);
  g_free (d->api_key);
  g_free (d->api_secret);
  g_free (d->account_sid);
  g_free (d);
}

char *
test_daemon_signaling_url (TestDaemon *d)
{
  g_assert_true (g_str_has_prefix (d->base_url, "http"));
  /* http → ws, https → wss */
  return g_strdup_printf ("ws%s/v1/Signaling", d->base_url + strlen ("http"));
}

char *
test_daemon_token (TestDaemon *d, const char *identity, const char *room)
{
  return convoke_access_token_create (d->api_key, d->api_secret, d->account_sid, identity,
                                      room, 3600);
}

guint
test_http_full (TestDaemon *d, const char *method, const char *path, const char *user,
                const char *password, const char *content_type, GBytes *raw_body,
                JsonNode **json_out, GBytes **body_out)
{
  g_autofree char *url = g_strconcat (d->base_url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  guint status;

  g_assert_nonnull (msg);
  if (user != NULL)
    {
      g_autofree char *pair = g_strdup_printf ("%s:%s", user, password ? password : "");
      g_autofree char *b64 = g_base64_encode ((const guchar *) pair, strlen (pair));
      g_autofree char *header = g_strconcat ("Basic ", b64, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Authorization", header);
    }
  if (raw_body != NULL)
    soup_message_set_request_body_from_bytes (
        msg, content_type ? content_type : "application/x-www-form-urlencoded", raw_body);

  body = soup_session_send_and_read (d->session, msg, NULL, &error);
  g_assert_no_error (error);
  status = soup_message_get_status (msg);

  if (json_out != NULL)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      gsize len = 0;
      const char *data = g_bytes_get_data (body, &len);

      *json_out = NULL;
      if (len > 0 && json_parser_load_from_data (parser, data, len, NULL))
        *json_out = json_node_copy (json_parser_get_root (parser));
    }
  if (body_out != NULL)
    *body_out = g_steal_pointer (&body);
  return status;
}

guint
test_http (TestDaemon *d, const char *method, const char *path, gboolean auth,
           const char *const *form, JsonNode **json_out, GBytes **body_out)
{
  g_autoptr (GBytes) raw = NULL;

  if (form != NULL)
    {
      g_autoptr (GString) s = g_string_new (NULL);

      for (guint i = 0; form[i] != NULL && form[i + 1] != NULL; i += 2)
        {
          g_autofree char *k = g_uri_escape_string (form[i], NULL, FALSE);
          g_autofree char *v = g_uri_escape_string (form[i + 1], NULL, FALSE);
          g_string_append_printf (s, "%s%s=%s", s->len ? "&" : "", k, v);
        }
      raw = g_bytes_new (s->str, s->len);
    }
  return test_http_full (d, method, path, auth ? d->api_key : NULL,
                         auth ? d->api_secret : NULL, NULL, raw, json_out, body_out);
}

char *
test_daemon_room_string (TestDaemon *d, const char *room, const char *member)
{
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s", room);
  g_autoptr (JsonNode) body = NULL;

  g_assert_cmpuint (test_http (d, "GET", path, TRUE, NULL, &body, NULL), ==, 200);
  return g_strdup (json_object_get_string_member_with_default (
      json_node_get_object (body), member, NULL));
}

void
test_daemon_add_client_credentials (TestDaemon *d, GPtrArray *argv)
{
  g_ptr_array_add (argv, "--api-key");
  g_ptr_array_add (argv, d->api_key);
  g_ptr_array_add (argv, "--api-secret");
  g_ptr_array_add (argv, d->api_secret);
  g_ptr_array_add (argv, "--account-sid");
  g_ptr_array_add (argv, d->account_sid);
}
