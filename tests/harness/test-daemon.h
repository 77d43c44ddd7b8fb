/* Test fixture: a real convoked on 127.0.0.1 and an ephemeral port, with a
 * config written by the test, plus small REST helpers (libsoup client).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "test-time.h"

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  char *tmpdir;      /* removed on stop */
  char *config_path; /* tmpdir/convoke.conf */
  char *base_url;    /* "http://127.0.0.1:PORT" */
  char *api_key;
  char *api_secret;
  char *account_sid;
  SoupSession *session;
  GPid pid;
} TestDaemon;

/* The [auth] group every test config gets unless it sets its own. */
#define TEST_API_KEY "SK00000000000000000000000000000001"
#define TEST_API_SECRET "test-secret-0123456789abcdef"
#define TEST_ACCOUNT_SID "AC00000000000000000000000000000001"

/* Writes @extra_config after a [server]/[auth] preamble (listen on port 0,
 * the TEST_* credentials) and starts convoked. @extra_config may override
 * any key by repeating the group; it may be NULL. Waits until the daemon
 * serves, or fails the test. @extra_args: more command-line arguments, or
 * NULL. */
TestDaemon *test_daemon_start (const char *extra_config, const char *const *extra_args);
/* Sends SIGTERM, waits, asserts a clean exit, removes the temp dir. */
void test_daemon_stop (TestDaemon *d);
/* Rewrites the config (same preamble) and sends SIGHUP. Does not wait. */
void test_daemon_rewrite_config (TestDaemon *d, const char *extra_config);
void test_daemon_reload (TestDaemon *d);
/* Whether the process is still running. */
gboolean test_daemon_alive (TestDaemon *d);
/* The ws:// URL of the signaling endpoint. */
char *test_daemon_signaling_url (TestDaemon *d);
/* Appends the options that let convoke-client mint its own token against
 * @d (--api-key, --api-secret, --account-sid) to @argv (char*, borrowed
 * from @d). */
void test_daemon_add_client_credentials (TestDaemon *d, GPtrArray *argv);
/* A token for @identity and @room (may be NULL), valid 1 h. */
char *test_daemon_token (TestDaemon *d, const char *identity, const char *room);

/* HTTP. @path starts with "/". @form: NULL-terminated key, value, … pairs
 * (form-encoded), or NULL. Basic auth with the test credentials unless
 * @auth is FALSE. Returns the status; *json_out (optional) gets the parsed
 * body or NULL when it is not JSON; *body_out (optional) the raw body. */
guint test_http (TestDaemon *d, const char *method, const char *path, gboolean auth,
                 const char *const *form, JsonNode **json_out, GBytes **body_out);
/* Same, with explicit user/password for Basic auth (NULL user: none). */
guint test_http_full (TestDaemon *d, const char *method, const char *path,
                      const char *user, const char *password, const char *content_type,
                      GBytes *raw_body, JsonNode **json_out, GBytes **body_out);

/* GET /v1/Rooms/@room (a sid or a UniqueName), asserting 200: the string
 * member @member of the room (e.g. "sid", "status"), NULL when absent. */
char *test_daemon_room_string (TestDaemon *d, const char *room, const char *member);

/* A fresh temporary directory that test_daemon_stop does not know about;
 * remove it with test_rm_rf. */
char *test_mkdtemp (void);
void test_rm_rf (const char *path);

/* Path of a built program, from the CONVOKED/CONVOKECTL/... environment
 * that tests/meson.build sets. */
const char *test_program (const char *env_name);

G_END_DECLS
