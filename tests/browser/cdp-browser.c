/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cdp-browser.h"

#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "client-runner.h"
#include "test-daemon.h"
#include "test-process.h"

#define DEFAULT_CHROMIUM "/usr/bin/chromium"
#define DEVTOOLS_BANNER "DevTools listening on "
/* Deadlines, as base figures: test_wait_until and test_deadline scale them
 * (test-time.h), as they do every @timeout_ms passed in. */
#define LAUNCH_TIMEOUT_MS 30000
#define CALL_TIMEOUT_MS 30000
#define EXIT_TIMEOUT_MS 15000
/* How often cdp_page_wait_true asks: a rate, not a deadline. */
#define EVAL_POLL_INTERVAL_MS 250
/* Screenshots arrive as one base64 message of a few hundred KiB, over
 * libsoup's default limit of 128 KiB. */
#define MAX_CDP_MESSAGE (64 * 1024 * 1024)

struct _CdpBrowser
{
  GSubprocess *process;
  char *dir; /* profile, HOME and the log, removed on close */
  char *log_path;
  SoupSession *session;
  SoupWebsocketConnection *ws; /* DevTools on a port; or, with a pipe: */
  GOutputStream *pipe_out;     /* to Chromium's fd 3 (--remote-debugging-pipe) */
  GDataInputStream *pipe_in;   /* from its fd 4, messages ending with a NUL */
  GCancellable *pipe_cancel;
  guint next_id;
  GHashTable *replies;       /* id -> JsonObject (the whole reply) */
  GHashTable *session_names; /* CDP sessionId -> page name */
  GPtrArray *pages;
  gboolean connection_closed;
};

struct _CdpPage
{
  CdpBrowser *browser;
  char *name;
  char *target_id;
  char *session_id;
};

static void
cdp_page_free (CdpPage *page)
{
  g_free (page->name);
  g_free (page->target_id);
  g_free (page->session_id);
  g_free (page);
}

const char *
cdp_chromium_path (void)
{
  const char *env = g_getenv ("CHROMIUM");

  return env != NULL && *env != '\0' ? env : DEFAULT_CHROMIUM;
}

gboolean
cdp_chromium_available (void)
{
  return g_file_test (cdp_chromium_path (), G_FILE_TEST_IS_EXECUTABLE);
}

JsonObject *
cdp_object_member (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                       : NULL;
}

static JsonArray *
cdp_array_member (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

char *
cdp_js_string (const char *text)
{
  g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

/* ---- the DevTools connection ------------------------------------------- */

static void
log_console_message (CdpBrowser *browser, JsonObject *message)
{
  const char *method = json_object_get_string_member_with_default (message, "method", "");
  const char *session
      = json_object_get_string_member_with_default (message, "sessionId", "");
  const char *name = g_hash_table_lookup (browser->session_names, session);
  JsonObject *params = cdp_object_member (message, "params");
  g_autoptr (GString) text = g_string_new (NULL);

  if (params == NULL)
    return;
  if (g_str_equal (method, "Runtime.consoleAPICalled"))
    {
      JsonArray *args = cdp_array_member (params, "args");

      for (guint i = 0; args != NULL && i < json_array_get_length (args); i++)
        {
          JsonObject *arg = json_array_get_object_element (args, i);
          JsonNode *value = arg ? json_object_get_member (arg, "value") : NULL;
          g_autofree char *shown = NULL;

          if (value != NULL && JSON_NODE_HOLDS_VALUE (value)
              && json_node_get_value_type (value) == G_TYPE_STRING)
            shown = g_strdup (json_node_get_string (value));
          else if (value != NULL)
            shown = json_to_string (value, FALSE);
          else
            shown = g_strdup (
                json_object_get_string_member_with_default (arg, "description", "?"));
          g_string_append_printf (text, "%s%s", i ? " " : "", shown);
        }
      g_test_message ("[%s] console.%s: %s", name ? name : "?",
                      json_object_get_string_member_with_default (params, "type", "log"),
                      text->str);
    }
  else if (g_str_equal (method, "Runtime.exceptionThrown"))
    {
      JsonObject *details = cdp_object_member (params, "exceptionDetails");
      JsonObject *exception = details ? cdp_object_member (details, "exception") : NULL;

      g_autoptr (JsonNode) whole = details ? json_node_init_object (json_node_alloc (), details)
                                           : NULL;
      g_autofree char *dump = whole ? json_to_string (whole, FALSE) : g_strdup ("?");

      /* A thrown non-Error (a string, a plain object) has no description;
       * the details then say where it came from. */
      if (exception != NULL && json_object_has_member (exception, "description"))
        g_test_message ("[%s] uncaught exception: %s", name ? name : "?",
                        json_object_get_string_member (exception, "description"));
      else
        g_test_message ("[%s] uncaught exception: %.600s", name ? name : "?", dump);
    }
}

/* One message from Chromium, over either transport. */
static void
handle_message (CdpBrowser *browser, const char *data, gsize size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *message;

  if (!json_parser_load_from_data (parser, data, size, NULL))
    return;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return;
  message = json_node_get_object (root);
  if (json_object_has_member (message, "id"))
    g_hash_table_replace (
        browser->replies,
        GUINT_TO_POINTER ((guint) json_object_get_int_member (message, "id")),
        json_object_ref (message));
  else
    log_console_message (browser, message);
}

static void
on_ws_message (SoupWebsocketConnection *ws, int type, GBytes *bytes, gpointer user_data)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    handle_message (user_data, data, size);
}

/* ---- the pipe transport: messages end with a NUL byte ---------------------- */

static void read_pipe_message (CdpBrowser *browser);

static void
pipe_message_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CdpBrowser *browser = user_data;
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  g_autofree char *text
      = g_data_input_stream_read_upto_finish (G_DATA_INPUT_STREAM (source), result, &size,
                                              &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* closing: @browser may be gone */
  /* read_upto leaves the NUL in the buffer; a message without one is the
   * end of the stream. */
  if (text == NULL
      || g_data_input_stream_read_byte (G_DATA_INPUT_STREAM (source), NULL, NULL) != '\0')
    {
      browser->connection_closed = TRUE;
      return;
    }
  handle_message (browser, text, size);
  read_pipe_message (browser);
}

static void
read_pipe_message (CdpBrowser *browser)
{
  g_data_input_stream_read_upto_async (browser->pipe_in, "", 1, G_PRIORITY_DEFAULT,
                                       browser->pipe_cancel, pipe_message_read, browser);
}

static void
send_message (CdpBrowser *browser, const char *text)
{
  g_autoptr (GError) error = NULL;

  if (browser->ws != NULL)
    {
      soup_websocket_connection_send_text (browser->ws, text);
      return;
    }
  /* Commands are small and Chromium reads them at once: a blocking write
   * does not stall. */
  if (!g_output_stream_write_all (browser->pipe_out, text, strlen (text) + 1, NULL, NULL,
                                  &error))
    {
      g_test_message ("DevTools pipe: %s", error->message);
      browser->connection_closed = TRUE;
    }
}

static void
on_ws_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  CdpBrowser *browser = user_data;

  browser->connection_closed = TRUE;
}

typedef struct
{
  CdpBrowser *browser;
  guint id;
} PendingCall;

static gboolean
reply_arrived (gpointer data)
{
  PendingCall *call = data;

  return call->browser->connection_closed
         || g_hash_table_contains (call->browser->replies, GUINT_TO_POINTER (call->id));
}

JsonObject *
cdp_call (CdpBrowser *browser, const char *session_id, const char *method,
          JsonObject *params, guint timeout_ms, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autoptr (JsonObject) reply = NULL;
  PendingCall call = { browser, ++browser->next_id };
  JsonObject *cdp_error;

  if (browser->connection_closed)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   "%s: the DevTools connection is closed", method);
      return NULL;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, call.id);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, method);
  if (session_id != NULL)
    {
      json_builder_set_member_name (builder, "sessionId");
      json_builder_add_string_value (builder, session_id);
    }
  json_builder_set_member_name (builder, "params");
  if (params != NULL)
    {
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), params);
      json_builder_add_value (builder, g_steal_pointer (&node));
    }
  else
    {
      json_builder_begin_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  send_message (browser, text);

  if (!test_wait_until (reply_arrived, &call, timeout_ms) || browser->connection_closed)
    {
      if (!g_hash_table_contains (browser->replies, GUINT_TO_POINTER (call.id)))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "%s: no reply from Chromium within %u ms%s", method,
                       test_scaled_ms (timeout_ms),
                       browser->connection_closed ? " (connection closed)" : "");
          return NULL;
        }
    }
  g_hash_table_steal_extended (browser->replies, GUINT_TO_POINTER (call.id), NULL,
                               (gpointer *) &reply);
  cdp_error = cdp_object_member (reply, "error");
  if (cdp_error != NULL)
    {
      g_set_error (
          error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", method,
          json_object_get_string_member_with_default (cdp_error, "message", "?"));
      return NULL;
    }
  if (cdp_object_member (reply, "result") == NULL)
    return json_object_new ();
  return json_object_ref (cdp_object_member (reply, "result"));
}

/* ---- launching ------------------------------------------------------------ */

typedef struct
{
  CdpBrowser *browser;
  char *url;
} DevtoolsUrl;

static gboolean
devtools_url_known (gpointer data)
{
  DevtoolsUrl *wait = data;
  g_autofree char *log = NULL;
  const char *banner;

  if (g_subprocess_get_identifier (wait->browser->process) == NULL)
    return TRUE; /* it exited: stop waiting */
  if (!g_file_get_contents (wait->browser->log_path, &log, NULL, NULL))
    return FALSE;
  banner = strstr (log, DEVTOOLS_BANNER);
  if (banner == NULL || strchr (banner, '\n') == NULL)
    return FALSE;
  banner += strlen (DEVTOOLS_BANNER);
  wait->url = g_strndup (banner, strcspn (banner, " \r\n"));
  return TRUE;
}

static void
websocket_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CdpBrowser *browser = user_data;
  g_autoptr (GError) error = NULL;

  browser->ws
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (browser->ws == NULL)
    {
      g_test_message ("DevTools WebSocket: %s", error->message);
      browser->connection_closed = TRUE;
    }
}

static gboolean
websocket_settled (gpointer data)
{
  CdpBrowser *browser = data;

  return browser->ws != NULL || browser->connection_closed;
}

static char *
browser_log (CdpBrowser *browser)
{
  char *log = NULL;

  if (!g_file_get_contents (browser->log_path, &log, NULL, NULL))
    return g_strdup ("(no log)");
  return log;
}

/* Chromium's own flags, common to every launch. */
static const char *const chromium_flags[] = {
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-default-apps", "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
  "--disable-features=WebRtcHideLocalIpsWithMdns,Translate,MediaRouter",
  /* Several pages share the browser; none may be throttled for being in
   * the background. */
  "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
  "--disable-renderer-backgrounding", "--window-size=960,720",
};

/* The DevTools WebSocket, once Chromium printed where it listens. */
static void
connect_websocket (CdpBrowser *browser)
{
  g_autoptr (SoupMessage) msg = NULL;
  DevtoolsUrl wait = { browser, NULL };

  test_wait_until (devtools_url_known, &wait, LAUNCH_TIMEOUT_MS);
  if (wait.url == NULL)
    {
      g_autofree char *log = browser_log (browser);
      cdp_test_fail (
          "Chromium (%s) printed no DevTools URL within %u ms; its output:\n%s",
          cdp_chromium_path (), test_scaled_ms (LAUNCH_TIMEOUT_MS), log);
    }
  g_test_message ("Chromium pid %s, DevTools at %s",
                  g_subprocess_get_identifier (browser->process), wait.url);

  browser->session = soup_session_new ();
  msg = soup_message_new (SOUP_METHOD_GET, wait.url);
  soup_session_websocket_connect_async (browser->session, msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL, websocket_connected,
                                        browser);
  test_wait_until (websocket_settled, browser, LAUNCH_TIMEOUT_MS);
  g_free (wait.url);
  g_assert_nonnull (browser->ws);
  soup_websocket_connection_set_max_incoming_payload_size (browser->ws, MAX_CDP_MESSAGE);
  g_signal_connect (browser->ws, "message", G_CALLBACK (on_ws_message), browser);
  g_signal_connect (browser->ws, "closed", G_CALLBACK (on_ws_closed), browser);
}

/* Hands Chromium the ends of two pipes as fds 3 (its commands) and 4 (its
 * replies and events), what --remote-debugging-pipe reads and writes. */
static void
prepare_pipes (CdpBrowser *browser, GSubprocessLauncher *launcher)
{
  int to_chromium[2], from_chromium[2];
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) in = NULL;

  g_unix_open_pipe (to_chromium, FD_CLOEXEC, &error);
  g_assert_no_error (error);
  g_unix_open_pipe (from_chromium, FD_CLOEXEC, &error);
  g_assert_no_error (error);
  g_subprocess_launcher_take_fd (launcher, to_chromium[0], 3);
  g_subprocess_launcher_take_fd (launcher, from_chromium[1], 4);
  browser->pipe_out = g_unix_output_stream_new (to_chromium[1], TRUE);
  in = g_unix_input_stream_new (from_chromium[0], TRUE);
  browser->pipe_in = g_data_input_stream_new (in);
  browser->pipe_cancel = g_cancellable_new ();
}

CdpBrowser *
cdp_browser_launch (void)
{
  return cdp_browser_launch_full (NULL);
}

CdpBrowser *
cdp_browser_launch_full (const CdpLaunchOptions *options)
{
  CdpBrowser *browser = g_new0 (CdpBrowser, 1);
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) wrapped = NULL;
  g_autofree char *home = NULL;
  g_autofree char *profile = NULL;
  gboolean pipe = options != NULL && options->wrap_argv != NULL;

  browser->dir = test_mkdtemp ();
  browser->log_path = g_build_filename (browser->dir, "chromium.log", NULL);
  browser->replies
      = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) json_object_unref);
  browser->session_names
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  browser->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) cdp_page_free);
  home = g_build_filename (browser->dir, "home", NULL);
  profile = g_build_filename (browser->dir, "profile", NULL);
  g_mkdir_with_parents (home, 0700);
  g_mkdir_with_parents (profile, 0700);

  {
    /* Chromium writes under HOME and the XDG dirs even with a profile dir
     * of its own; keep all of it inside the temporary directory. */
    g_autofree char *config = g_build_filename (home, ".config", NULL);
    g_autofree char *cache = g_build_filename (home, ".cache", NULL);
    g_autofree char *data = g_build_filename (home, ".local", "share", NULL);

    g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
    g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
    g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
    g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  }
  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent, NULL, NULL);
  /* A file, not a pipe: Chromium logs a lot, and a pipe nobody drains
   * would stall it. */
  g_subprocess_launcher_set_stdout_file_path (launcher, browser->log_path);

  g_ptr_array_add (argv, g_strdup (cdp_chromium_path ()));
  for (guint i = 0; i < G_N_ELEMENTS (chromium_flags); i++)
    g_ptr_array_add (argv, g_strdup (chromium_flags[i]));
  /* A wrapped Chromium runs elsewhere (another network namespace), where
   * a DevTools port would be out of reach, or reached only across the
   * link under test: it gets the protocol over two pipes instead. */
  g_ptr_array_add (argv, g_strdup (pipe ? "--remote-debugging-pipe"
                                        : "--remote-debugging-port=0"));
  for (guint i = 0; options != NULL && options->extra_args != NULL
                    && options->extra_args[i] != NULL;
       i++)
    g_ptr_array_add (argv, g_strdup (options->extra_args[i]));
  g_ptr_array_add (argv, g_strconcat ("--user-data-dir=", profile, NULL));
  g_ptr_array_add (argv, g_strdup ("about:blank"));
  g_ptr_array_add (argv, NULL);
  if (pipe)
    {
      prepare_pipes (browser, launcher);
      wrapped = options->wrap_argv ((const char *const *) argv->pdata,
                                    options->wrap_data);
    }

  browser->process = g_subprocess_launcher_spawnv (
      launcher, wrapped ? (const char *const *) wrapped : (const char *const *) argv->pdata,
      &error);
  g_assert_no_error (error);
  /* `ip netns exec` execs the command in place: the pid stays Chromium's. */
  test_kill_with_test (
      (GPid) g_ascii_strtoll (g_subprocess_get_identifier (browser->process), NULL, 10));

  if (pipe)
    {
      g_test_message ("Chromium pid %s, DevTools over a pipe",
                      g_subprocess_get_identifier (browser->process));
      read_pipe_message (browser);
    }
  else
    connect_websocket (browser);
  return browser;
}

static gboolean
process_exited (gpointer data)
{
  return g_subprocess_get_identifier (G_SUBPROCESS (data)) == NULL;
}

void
cdp_browser_close (CdpBrowser *browser)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = NULL;

  if (browser == NULL)
    return;
  /* The browser may close the connection before it answers. */
  result = cdp_call (browser, NULL, "Browser.close", NULL, 5000, &error);
  if (!test_wait_until (process_exited, browser->process, EXIT_TIMEOUT_MS))
    {
      g_autofree char *log = browser_log (browser);

      g_test_message ("Chromium did not exit after Browser.close; killing it. Log:\n%s",
                      log);
      g_subprocess_force_exit (browser->process);
    }
  g_subprocess_wait (browser->process, NULL, NULL);

  if (browser->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (browser->ws, browser);
      if (soup_websocket_connection_get_state (browser->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (browser->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  g_clear_object (&browser->ws);
  g_clear_object (&browser->session);
  if (browser->pipe_cancel != NULL)
    g_cancellable_cancel (browser->pipe_cancel);
  g_clear_object (&browser->pipe_in);
  g_clear_object (&browser->pipe_out);
  g_clear_object (&browser->pipe_cancel);
  g_clear_object (&browser->process);
  test_rm_rf (browser->dir);
  g_free (browser->dir);
  g_free (browser->log_path);
  g_hash_table_destroy (browser->replies);
  g_hash_table_destroy (browser->session_names);
  g_ptr_array_unref (browser->pages);
  g_free (browser);
}

/* ---- pages ---------------------------------------------------------------- */

static JsonObject *
call_or_fail (CdpBrowser *browser, const char *session_id, const char *method,
              JsonObject *params)
{
  g_autoptr (GError) error = NULL;
  JsonObject *result
      = cdp_call (browser, session_id, method, params, CALL_TIMEOUT_MS, &error);

  g_assert_no_error (error);
  return result;
}

CdpPage *
cdp_page_open (CdpBrowser *browser, const char *url, const char *name)
{
  CdpPage *page = g_new0 (CdpPage, 1);
  g_autoptr (JsonObject) create = json_object_new ();
  g_autoptr (JsonObject) attach = json_object_new ();
  g_autoptr (JsonObject) navigate = json_object_new ();
  g_autoptr (JsonObject) created = NULL;
  g_autoptr (JsonObject) attached = NULL;
  g_autoptr (JsonObject) r1 = NULL;
  g_autoptr (JsonObject) r2 = NULL;
  g_autoptr (JsonObject) r3 = NULL;

  page->browser = browser;
  page->name = g_strdup (name);
  /* A window each, so that every page is visible and renders its video
   * (a background tab would not paint for the screenshot). */
  json_object_set_string_member (create, "url", "about:blank");
  json_object_set_boolean_member (create, "newWindow", TRUE);
  created = call_or_fail (browser, NULL, "Target.createTarget", create);
  page->target_id
      = g_strdup (json_object_get_string_member_with_default (created, "targetId", NULL));
  g_assert_nonnull (page->target_id);

  json_object_set_string_member (attach, "targetId", page->target_id);
  json_object_set_boolean_member (attach, "flatten", TRUE);
  attached = call_or_fail (browser, NULL, "Target.attachToTarget", attach);
  page->session_id = g_strdup (
      json_object_get_string_member_with_default (attached, "sessionId", NULL));
  g_assert_nonnull (page->session_id);
  g_hash_table_replace (browser->session_names, g_strdup (page->session_id),
                        g_strdup (name));

  r1 = call_or_fail (browser, page->session_id, "Runtime.enable", NULL);
  r2 = call_or_fail (browser, page->session_id, "Page.enable", NULL);
  json_object_set_string_member (navigate, "url", url);
  r3 = call_or_fail (browser, page->session_id, "Page.navigate", navigate);
  /* A navigation that fails still ends on a page whose readyState is
   * "complete" (chrome-error://); say why here, not later as a script that
   * cannot import. */
  if (json_object_has_member (r3, "errorText"))
    cdp_test_fail ("[%s] could not load %s: %s", name, url,
                   json_object_get_string_member (r3, "errorText"));
  g_ptr_array_add (browser->pages, page);
  return page;
}

const char *
cdp_page_get_name (CdpPage *page)
{
  return page->name;
}

JsonNode *
cdp_page_eval (CdpPage *page, const char *expression, GError **error)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) result = NULL;
  JsonObject *details, *value;

  json_object_set_string_member (params, "expression", expression);
  json_object_set_boolean_member (params, "awaitPromise", TRUE);
  json_object_set_boolean_member (params, "returnByValue", TRUE);
  json_object_set_boolean_member (params, "userGesture", TRUE);
  result = cdp_call (page->browser, page->session_id, "Runtime.evaluate", params,
                     CALL_TIMEOUT_MS, error);
  if (result == NULL)
    return NULL;

  details = cdp_object_member (result, "exceptionDetails");
  if (details != NULL)
    {
      JsonObject *exception = cdp_object_member (details, "exception");
      const char *text = exception ? json_object_get_string_member_with_default (
                             exception, "description", NULL)
                                   : NULL;

      g_set_error (
          error, G_IO_ERROR, G_IO_ERROR_FAILED, "[%s] %s threw: %s", page->name,
          expression,
          text ? text
               : json_object_get_string_member_with_default (details, "text", "?"));
      return NULL;
    }
  value = cdp_object_member (result, "result");
  if (value == NULL || !json_object_has_member (value, "value"))
    return json_node_init_null (json_node_alloc ()); /* undefined */
  return json_node_copy (json_object_get_member (value, "value"));
}

char *
cdp_page_eval_string (CdpPage *page, const char *expression)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) value = cdp_page_eval (page, expression, &error);

  g_assert_no_error (error);
  if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
    return g_strdup ("");
  return g_strdup (json_node_get_string (value));
}

static gboolean
eval_is_true (CdpPage *page, const char *expression)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) value = cdp_page_eval (page, expression, &error);

  return value != NULL && JSON_NODE_HOLDS_VALUE (value)
         && json_node_get_value_type (value) == G_TYPE_BOOLEAN
         && json_node_get_boolean (value);
}

gboolean
cdp_page_wait_true (CdpPage *page, const char *expression, guint timeout_ms)
{
  gint64 deadline = test_deadline (timeout_ms);

  while (!eval_is_true (page, expression))
    {
      gint64 next = g_get_monotonic_time () + EVAL_POLL_INTERVAL_MS * 1000;

      if (g_get_monotonic_time () > deadline)
        return eval_is_true (page, expression);
      /* Keep the daemon's and the browser's messages flowing meanwhile. */
      while (g_get_monotonic_time () < next)
        if (!g_main_context_iteration (NULL, FALSE))
          g_usleep (10 * 1000);
    }
  return TRUE;
}

void
cdp_page_screenshot (CdpPage *page, const char *path)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonObject) front = NULL;
  g_autoptr (JsonObject) shot = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree guchar *png = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  gsize size = 0;

  front = call_or_fail (page->browser, page->session_id, "Page.bringToFront", NULL);
  json_object_set_string_member (params, "format", "png");
  shot = call_or_fail (page->browser, page->session_id, "Page.captureScreenshot", params);
  g_assert_nonnull (json_object_get_string_member_with_default (shot, "data", NULL));
  png = g_base64_decode (json_object_get_string_member (shot, "data"), &size);
  g_assert_cmpuint (size, >, 8);
  g_assert_cmpmem (png, 8, "\x89PNG\r\n\x1a\n", 8);
  g_mkdir_with_parents (dir, 0755);
  g_file_set_contents (path, (const char *) png, (gssize) size, &error);
  g_assert_no_error (error);
}
