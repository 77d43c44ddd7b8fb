/* Test helper: a headless Chromium driven over the DevTools protocol.
 *
 * One browser process per test, one page (CDP target) per participant:
 * each target has its own fake camera and microphone, and one Chromium is
 * much cheaper than several on a small machine. The driver speaks CDP over
 * a libsoup WebSocket on the default main context, or over a pair of pipes
 * for a Chromium started in another network namespace
 * (cdp_browser_launch_full).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _CdpBrowser CdpBrowser;
typedef struct _CdpPage CdpPage;

/* The Chromium to run: $CHROMIUM, else /usr/bin/chromium. */
const char *cdp_chromium_path (void);
/* Whether that Chromium exists; tests skip when it does not. */
gboolean cdp_chromium_available (void);

/* Starts Chromium with a fresh profile and HOME under a temporary
 * directory and connects to it. Fails the test when it cannot. */
CdpBrowser *cdp_browser_launch (void);

typedef struct
{
  /* Runs Chromium through a wrapper: returns a new NULL-terminated argv
   * (g_strfreev) that runs @argv, e.g. test_link_wrap_argv() to start it
   * in a network namespace. A wrapped Chromium speaks DevTools over a pipe
   * (--remote-debugging-pipe), not a port: a port would listen in that
   * namespace. NULL: run it here, on a port on 127.0.0.1. */
  char **(*wrap_argv) (const char *const *argv, gpointer data);
  gpointer wrap_data;
  /* More Chromium flags (NULL-terminated), or NULL. */
  const char *const *extra_args;
} CdpLaunchOptions;

/* cdp_browser_launch with @options (NULL: the defaults). */
CdpBrowser *cdp_browser_launch_full (const CdpLaunchOptions *options);
/* Browser.close, waits for the process to exit (kills it after a grace
 * period) and removes the temporary directory. */
void cdp_browser_close (CdpBrowser *browser);

/* Sends one command; @session_id NULL for the browser itself. @params is
 * borrowed (may be NULL). Returns the "result" object, or NULL with
 * @error set on a CDP error, a closed connection or @timeout_ms (a base
 * figure, scaled like every deadline here: test_scaled_ms). */
JsonObject *cdp_call (CdpBrowser *browser, const char *session_id, const char *method,
                      JsonObject *params, guint timeout_ms, GError **error);

/* Opens a new window on @url. @name prefixes the page's console messages
 * in the test log. The page belongs to the browser. */
CdpPage *cdp_page_open (CdpBrowser *browser, const char *url, const char *name);
const char *cdp_page_get_name (CdpPage *page);

/* Evaluates @expression in the page as if the user had just clicked
 * (userGesture), awaits it when it is a promise, and returns its value
 * (returnByValue), or NULL with @error set when it threw. */
JsonNode *cdp_page_eval (CdpPage *page, const char *expression, GError **error);
/* The value as a newly allocated string ("" when not a string). */
char *cdp_page_eval_string (CdpPage *page, const char *expression);
/* Polls @expression until it is true (JS truthiness of a boolean result)
 * or @timeout_ms (a base figure, scaled) passes; exceptions count as false
 * (the page may still be loading). Returns the last result. */
gboolean cdp_page_wait_true (CdpPage *page, const char *expression, guint timeout_ms);
/* Saves a PNG of the page's viewport to @path. */
void cdp_page_screenshot (CdpPage *page, const char *path);

/* Fails the test with a message, like a failed g_assert: it aborts
 * (SIGABRT, which the kill-with-test handler of client-runner.h catches to
 * take the daemon and the browser down too), whereas g_error() traps. */
#define cdp_test_fail(...)                                                               \
  G_STMT_START                                                                           \
  {                                                                                      \
    g_autofree char *cdp_fail_message_ = g_strdup_printf (__VA_ARGS__);                  \
    g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,                    \
                         cdp_fail_message_);                                             \
  }                                                                                      \
  G_STMT_END

/* The member @name of @object when it is an object, else NULL (json-glib
 * warns about absent members). */
JsonObject *cdp_object_member (JsonObject *object, const char *name);

/* @text as a JavaScript string literal (JSON-quoted), for building
 * expressions. */
char *cdp_js_string (const char *text);

G_END_DECLS
