/* The configuration matrix: valid files load with the values they say, and
 * every kind of invalid file is refused with an error that names the file,
 * the group and the key.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-file.h"
#include "sid.h"

/* Every key the loader knows, as GROUP, KEY pairs. */
static const char *const all_keys[][2] = {
  { "server", "listen" },
  { "server", "public-url" },
  { "server", "dev-tokens" },
  { "server", "max-body-size" },
  { "server", "web-root" },
  { "auth", "api-key" },
  { "auth", "api-secret" },
  { "auth", "account-sid" },
  { "media", "port-range" },
  { "media", "stun-server" },
  { "media", "worker-turn" },
  { "media", "worker-user" },
  { "media", "worker-pool" },
  { "media", "worker-fork-server" },
  { "turn", "urls" },
  { "turn", "secret" },
  { "turn", "ttl" },
  { "rooms", "default-type" },
  { "rooms", "empty-room-timeout" },
  { "rooms", "unused-room-timeout" },
  { "rooms", "auto-create" },
  { "signaling", "max-message-size" },
  { "signaling", "max-messages-per-second" },
  { "signaling", "keepalive-interval" },
  { "modules", "dir" },
  { "recording", "dir" },
  { "recording", "public-key" },
};

#define AUTH                                                                             \
  "[auth]\napi-key=SK00000000000000000000000000000001\n"                                 \
  "api-secret=0123456789abcdef0123\n"

static char *tmpdir;

static char *
write_file (const char *name, const char *contents)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static char *
source_path (const char *relative)
{
  const char *root = g_getenv ("CONVOKE_SOURCE_ROOT");

  g_assert_nonnull (root);
  return g_build_filename (root, relative, NULL);
}

static void
assert_builtin_type (ConvokeConfig *config, const char *name, const char *module,
                     guint max)
{
  ConvokeRoomType *type = convoke_config_lookup_type (config, name);

  g_assert_nonnull (type);
  g_assert_cmpstr (type->name, ==, name);
  g_assert_cmpstr (type->module, ==, module);
  g_assert_cmpuint (type->max_participants, ==, max);
  g_assert_cmpstr (g_hash_table_lookup (type->options, "module"), ==, module);
}

static void
test_embedded_default (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config = convoke_config_load_default (&error);
  g_autofree char *url = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (config->origin, ==, "<embedded default>");
  g_assert_cmpstr (config->listen_host, ==, "127.0.0.1");
  g_assert_cmpuint (config->listen_port, ==, 7880);
  g_assert_null (config->public_url);
  g_assert_false (config->dev_tokens);
  g_assert_cmpuint (config->max_body_size, ==, 65536);
  /* No secret ships: one is generated, with a key and an account sid. */
  g_assert_true (config->secret_generated);
  g_assert_cmpuint (strlen (config->api_secret), ==, 32);
  g_assert_true (convoke_sid_is_valid (config->api_key, "SK"));
  g_assert_true (convoke_sid_is_valid (config->account_sid, "AC"));
  g_assert_cmpuint (config->port_min, ==, 0);
  g_assert_null (config->stun_server);
  g_assert_false (config->worker_turn);
  g_assert_cmpuint (config->worker_pool, ==, 1);
  g_assert_true (config->worker_fork_server);
  g_assert_null (config->turn_urls);
  g_assert_cmpuint (config->turn_ttl, ==, 3600);
  g_assert_cmpstr (config->default_type, ==, "group");
  g_assert_cmpuint (config->empty_room_timeout, ==, 5);
  g_assert_cmpuint (config->unused_room_timeout, ==, 5);
  g_assert_true (config->auto_create);
  g_assert_cmpuint (config->max_message_size, ==, 65536);
  g_assert_cmpuint (config->max_messages_per_second, ==, 50);
  g_assert_cmpuint (config->keepalive_interval, ==, 10);
  g_assert_null (config->module_dir);
  g_assert_cmpuint (g_hash_table_size (config->types), ==, 4);
  assert_builtin_type (config, "group", "group", 50);
  assert_builtin_type (config, "group-small", "group", 4);
  assert_builtin_type (config, "peer-to-peer", "mesh", 10);
  assert_builtin_type (config, "go", "mesh", 2);
  g_assert_cmpuint (g_hash_table_size (config->named_rooms), ==, 0);
  url = convoke_config_base_url (config, 7880);
  g_assert_cmpstr (url, ==, "http://127.0.0.1:7880");
}

static void
test_generated_secrets_differ (void)
{
  g_autoptr (ConvokeConfig) a = convoke_config_load_default (NULL);
  g_autoptr (ConvokeConfig) b = convoke_config_load_default (NULL);

  g_assert_cmpstr (a->api_secret, !=, b->api_secret);
  g_assert_cmpstr (a->api_key, !=, b->api_key);
}

/* The installed file and the compiled-in default are the same bytes. */
static void
test_shipped_file (void)
{
  g_autofree char *path = source_path ("data/convoke.conf");
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, convoke_config_default_data ());
  config = convoke_config_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->origin, ==, path);
  g_assert_true (config->secret_generated);
}

/* Every key is shown (maybe commented out) in the annotated default and
 * documented in docs/configuration.md. */
static void
test_every_key_documented (void)
{
  g_autofree char *conf_path = source_path ("data/convoke.conf");
  g_autofree char *doc_path = source_path ("docs/configuration.md");
  g_autofree char *conf = NULL;
  g_autofree char *doc = NULL;

  g_assert_true (g_file_get_contents (conf_path, &conf, NULL, NULL));
  g_assert_true (g_file_get_contents (doc_path, &doc, NULL, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (all_keys); i++)
    {
      g_autofree char *group = g_strdup_printf ("[%s]", all_keys[i][0]);
      g_autofree char *line = g_strdup_printf ("\n%s=", all_keys[i][1]);
      g_autofree char *commented = g_strdup_printf ("\n#%s=", all_keys[i][1]);
      g_autofree char *doc_key = g_strdup_printf ("`%s`", all_keys[i][1]);

      g_test_message ("checking %s %s", group, all_keys[i][1]);
      g_assert_nonnull (strstr (conf, group));
      g_assert_true (strstr (conf, line) != NULL || strstr (conf, commented) != NULL);
      g_assert_nonnull (strstr (doc, group));
      g_assert_nonnull (strstr (doc, doc_key));
    }
}

static void
test_custom_type (void)
{
  g_autofree char *path = write_file (
      "custom.conf",
      "[server]\nlisten=0.0.0.0:0\npublic-url=https://video.example.org/\n"
      "dev-tokens=true\n" AUTH "[rooms]\ndefault-type=webinar\n"
      "auto-create=false\nempty-room-timeout=1\nunused-room-timeout=60\n"
      "[type:webinar]\nmodule=group\nmax-participants=100\n"
      "max-bitrate=1500000\nrecording=true\nlayout=grid\n"
      "[type:group]\nmax-participants=20\n"
      "[room:standup]\ntype=go\n"
      "[media]\nport-range=40000-40100\nstun-server=stun:stun.example.org:3478\n"
      "worker-turn=true\nworker-pool=4\nworker-fork-server=false\n"
      "[turn]\nurls=turn:turn.example.org:3478?transport=udp;"
      "turns:[2001:db8::1]:5349?transport=tcp\nsecret=coturn\nttl=600\n"
      "[signaling]\nkeepalive-interval=1\nmax-messages-per-second=5\n"
      "max-message-size=2048\n"
      "[modules]\ndir=mods\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config = convoke_config_load_file (path, &error);
  g_autofree char *mods = g_build_filename (tmpdir, "mods", NULL);
  g_autofree char *url = NULL;
  ConvokeRoomType *webinar;

  g_assert_no_error (error);
  g_assert_cmpstr (config->listen_host, ==, "0.0.0.0");
  g_assert_cmpuint (config->listen_port, ==, 0);
  g_assert_true (config->dev_tokens);
  url = convoke_config_base_url (config, 1234);
  g_assert_cmpstr (url, ==, "https://video.example.org");
  g_assert_false (config->secret_generated);
  g_assert_cmpstr (config->api_secret, ==, "0123456789abcdef0123");
  g_assert_true (convoke_sid_is_valid (config->account_sid, "AC"));
  g_assert_cmpstr (config->default_type, ==, "webinar");
  g_assert_false (config->auto_create);
  g_assert_cmpuint (config->empty_room_timeout, ==, 1);
  g_assert_cmpuint (config->unused_room_timeout, ==, 60);

  webinar = convoke_config_lookup_type (config, "webinar");
  g_assert_nonnull (webinar);
  g_assert_cmpstr (webinar->module, ==, "group");
  g_assert_cmpuint (webinar->max_participants, ==, 100);
  g_assert_cmpuint (webinar->max_bitrate, ==, 1500000);
  g_assert_true (webinar->recording);
  g_assert_cmpstr (g_hash_table_lookup (webinar->options, "layout"), ==, "grid");
  /* A redefined built-in keeps what it did not change. */
  assert_builtin_type (config, "group", "group", 20);
  assert_builtin_type (config, "go", "mesh", 2);
  g_assert_null (convoke_config_lookup_type (config, "nope"));
  g_assert_cmpstr (convoke_config_named_room_type (config, "standup"), ==, "go");
  g_assert_null (convoke_config_named_room_type (config, "other"));

  g_assert_cmpuint (config->port_min, ==, 40000);
  g_assert_cmpuint (config->port_max, ==, 40100);
  g_assert_cmpstr (config->stun_server, ==, "stun:stun.example.org:3478");
  g_assert_true (config->worker_turn);
  g_assert_cmpuint (config->worker_pool, ==, 4);
  g_assert_false (config->worker_fork_server);
  g_assert_cmpuint (g_strv_length (config->turn_urls), ==, 2);
  g_assert_cmpstr (config->turn_urls[1], ==, "turns:[2001:db8::1]:5349?transport=tcp");
  g_assert_cmpstr (config->turn_secret, ==, "coturn");
  g_assert_cmpuint (config->turn_ttl, ==, 600);
  g_assert_cmpuint (config->keepalive_interval, ==, 1);
  g_assert_cmpuint (config->max_messages_per_second, ==, 5);
  g_assert_cmpuint (config->max_message_size, ==, 2048);
  /* Relative paths are relative to the file's directory. */
  g_assert_cmpstr (config->module_dir, ==, mods);
}

static void
test_account_sid_stable (void)
{
  g_autoptr (ConvokeConfig) a = convoke_config_load_data (AUTH, -1, "a", NULL);
  g_autoptr (ConvokeConfig) b = convoke_config_load_data (AUTH, -1, "b", NULL);

  g_assert_nonnull (a);
  g_assert_cmpstr (a->account_sid, ==, b->account_sid);
}

static void
test_base_url_forms (void)
{
  g_autoptr (ConvokeConfig) v6
      = convoke_config_load_data ("[server]\nlisten=[::1]:0\n", -1, "v6", NULL);
  g_autoptr (ConvokeConfig) any
      = convoke_config_load_data ("[server]\nlisten=[::]:80\n", -1, "any", NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_assert_nonnull (v6);
  g_assert_nonnull (any);
  a = convoke_config_base_url (v6, 4321);
  b = convoke_config_base_url (any, 80);
  g_assert_cmpstr (a, ==, "http://[::1]:4321");
  g_assert_cmpstr (b, ==, "http://[::1]:80");
}

typedef struct
{
  const char *name;
  const char *text;
  ConvokeConfigErrorCode code;
  const char *expect[4]; /* substrings of the message besides the file name */
} InvalidCase;

static const InvalidCase invalid_cases[] = {
  { "syntax-line", "[server]\nlisten\n", CONVOKE_CONFIG_ERROR_SYNTAX, { "listen" } },
  { "syntax-group",
    "[server\nlisten=127.0.0.1:1\n",
    CONVOKE_CONFIG_ERROR_SYNTAX,
    { "[server" } },
  { "no-group", "listen=127.0.0.1:1\n", CONVOKE_CONFIG_ERROR_SYNTAX, { "group" } },
  { "unknown-group",
    "[sever]\nlisten=127.0.0.1:1\n",
    CONVOKE_CONFIG_ERROR_UNKNOWN_GROUP,
    { "[sever]", "unknown group" } },
  { "unknown-key",
    "[server]\nlisen=127.0.0.1:1\n",
    CONVOKE_CONFIG_ERROR_UNKNOWN_KEY,
    { "[server] lisen", "unknown key", "listen" } },
  { "unknown-room-key",
    "[room:a]\ntype=go\nmax=3\n",
    CONVOKE_CONFIG_ERROR_UNKNOWN_KEY,
    { "[room:a] max" } },
  { "bad-integer",
    "[rooms]\nempty-room-timeout=soon\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[rooms] empty-room-timeout", "expected a whole number of minutes",
      "got “soon”" } },
  { "timeout-zero",
    "[rooms]\nunused-room-timeout=0\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[rooms] unused-room-timeout", "“0”" } },
  { "timeout-too-long",
    "[rooms]\nempty-room-timeout=61\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[rooms] empty-room-timeout", "“61”" } },
  { "negative",
    "[server]\nmax-body-size=-5\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[server] max-body-size", "“-5”" } },
  { "bad-bool",
    "[rooms]\nauto-create=yes\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[rooms] auto-create", "true or false", "“yes”" } },
  { "port-out-of-range",
    "[server]\nlisten=127.0.0.1:70000\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[server] listen", "70000", "65535" } },
  { "port-missing",
    "[server]\nlisten=127.0.0.1\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[server] listen", "HOST:PORT" } },
  { "port-name",
    "[server]\nlisten=127.0.0.1:http\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[server] listen", "“127.0.0.1:http”" } },
  { "listen-dns",
    "[server]\nlisten=example.org:80\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[server] listen", "example.org" } },
  { "public-url",
    "[server]\npublic-url=ftp://example.org\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[server] public-url", "ftp://example.org" } },
  { "unknown-default-type",
    "[rooms]\ndefault-type=huge\n",
    CONVOKE_CONFIG_ERROR_REFERENCE,
    { "[rooms] default-type", "“huge”", "peer-to-peer" } },
  { "room-unknown-type",
    "[room:standup]\ntype=nope\n",
    CONVOKE_CONFIG_ERROR_REFERENCE,
    { "[room:standup] type", "“nope”" } },
  { "room-without-type",
    "[room:standup]\n",
    CONVOKE_CONFIG_ERROR_MISSING_KEY,
    { "[room:standup] type" } },
  { "room-name-is-sid",
    "[room:RM0123456789abcdef0123456789abcdef]\ntype=go\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[room:RM0123456789abcdef0123456789abcdef]" } },
  { "type-without-module",
    "[type:webinar]\nmax-participants=100\n",
    CONVOKE_CONFIG_ERROR_MISSING_KEY,
    { "[type:webinar] module" } },
  { "type-module-path",
    "[type:evil]\nmodule=../../tmp/evil\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[type:evil] module", "../../tmp/evil" } },
  { "type-bad-max",
    "[type:x]\nmodule=mesh\nmax-participants=0\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[type:x] max-participants", "“0”" } },
  { "type-bad-name",
    "[type:a b]\nmodule=mesh\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[type:a b]" } },
  { "bad-turn-url",
    "[turn]\nurls=http://turn.example.org\nsecret=s\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[turn] urls", "“http://turn.example.org”" } },
  { "bad-turn-transport",
    "[turn]\nurls=turn:h:3478;turn:h:3478?transport=sctp\nsecret=s\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[turn] urls", "transport=sctp" } },
  { "bad-turn-port",
    "[turn]\nurls=turn:h:99999\nsecret=s\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[turn] urls", "“turn:h:99999”" } },
  { "turn-without-secret",
    "[turn]\nurls=turn:h:3478\n",
    CONVOKE_CONFIG_ERROR_MISSING_KEY,
    { "[turn] secret" } },
  { "bad-stun",
    "[media]\nstun-server=turn:h:3478\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[media] stun-server", "“turn:h:3478”" } },
  { "bad-worker-turn",
    "[media]\nworker-turn=yes\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[media] worker-turn", "true or false", "“yes”" } },
  { "bad-worker-fork-server",
    "[media]\nworker-fork-server=sometimes\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[media] worker-fork-server", "true or false", "“sometimes”" } },
  { "bad-worker-pool",
    "[media]\nworker-pool=17\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[media] worker-pool", "from 0 to 16", "“17”" } },
  { "negative-worker-pool",
    "[media]\nworker-pool=-1\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[media] worker-pool", "“-1”" } },
  { "worker-turn-without-turn",
    "[media]\nworker-turn=true\n",
    CONVOKE_CONFIG_ERROR_MISSING_KEY,
    { "[media] worker-turn", "[turn] urls" } },
  { "bad-port-range",
    "[media]\nport-range=50000-40000\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[media] port-range", "“50000-40000”" } },
  { "secret-without-key",
    "[auth]\napi-secret=0123456789abcdef0123\n",
    CONVOKE_CONFIG_ERROR_MISSING_KEY,
    { "[auth] api-key" } },
  { "bad-account-sid",
    AUTH "account-sid=AC123\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[auth] account-sid", "“AC123”" } },
  { "bad-keepalive",
    "[signaling]\nkeepalive-interval=0\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[signaling] keepalive-interval", "“0”" } },
  { "bad-escape",
    "[server]\nweb-root=\\q\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[server] web-root" } },
  /* GKeyFile checks values for UTF-8, not group and key names: a room
   * named in invalid UTF-8 passed, and messages quoted the bad bytes. The
   * name is shown with U+FFFD in their place. */
  { "room-name-not-utf8",
    "[room:caf\xe9]\ntype=go\n",
    CONVOKE_CONFIG_ERROR_SYNTAX,
    { "[room:caf\357\277\275]", "group name", "UTF-8" } },
  { "type-name-not-utf8",
    "[type:\xffx]\nmodule=mesh\n",
    CONVOKE_CONFIG_ERROR_SYNTAX,
    { "[type:\357\277\275x]", "UTF-8" } },
  { "group-name-not-utf8",
    "[serv\303er]\nlisten=127.0.0.1:1\n",
    CONVOKE_CONFIG_ERROR_SYNTAX,
    { "[serv\357\277\275", "UTF-8" } },
  { "type-key-not-utf8",
    "[type:x]\nmodule=mesh\nopt\377=1\n",
    CONVOKE_CONFIG_ERROR_SYNTAX,
    { "[type:x] opt\357\277\275", "key name", "UTF-8" } },
  { "server-key-not-utf8",
    "[server]\nlis\377en=127.0.0.1:1\n",
    CONVOKE_CONFIG_ERROR_SYNTAX,
    { "[server] lis\357\277\275en", "UTF-8" } },
  { "room-type-value-not-utf8",
    "[room:a]\ntype=g\xffo\n",
    CONVOKE_CONFIG_ERROR_INVALID_VALUE,
    { "[room:a] type", "UTF-8" } },
};

static void
test_invalid (gconstpointer data)
{
  const InvalidCase *c = data;
  g_autofree char *name = g_strconcat (c->name, ".conf", NULL);
  g_autofree char *path = write_file (name, c->text);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config = convoke_config_load_file (path, &error);

  g_assert_null (config);
  g_assert_error (error, CONVOKE_CONFIG_ERROR, (int)c->code);
  g_test_message ("%s", error->message);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_true (g_str_has_prefix (error->message, path));
  for (guint i = 0; i < G_N_ELEMENTS (c->expect) && c->expect[i] != NULL; i++)
    if (strstr (error->message, c->expect[i]) == NULL)
      g_error ("“%s” is not in “%s”", c->expect[i], error->message);
}

/* A short secret is refused, and the error never repeats it. */
static void
test_secret_never_echoed (void)
{
  const char *text = "[auth]\napi-key=SK1\napi-secret=hunter2\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config
      = convoke_config_load_data (text, -1, "f.conf", &error);

  g_assert_null (config);
  g_assert_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "f.conf: [auth] api-secret"));
  g_assert_null (strstr (error->message, "hunter2"));
}

static void
test_missing_file (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "does-not-exist.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config = convoke_config_load_file (path, &error);

  g_assert_null (config);
  g_assert_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_SYNTAX);
  g_assert_nonnull (strstr (error->message, path));
}

/* Only a regular file of at most 1 MiB is read. /dev/zero used to be read
 * until memory ran out and a FIFO without a writer blocked forever (so
 * `convoked --check-config /dev/zero` never returned); /dev/null passed
 * as an empty, valid config. */
static void
test_not_regular_or_huge (void)
{
  g_autofree char *fifo = g_build_filename (tmpdir, "fifo.conf", NULL);
  g_autofree char *link = g_build_filename (tmpdir, "null-link.conf", NULL);
  g_autofree char *huge_path = g_build_filename (tmpdir, "huge.conf", NULL);
  g_autofree char *limit_path = g_build_filename (tmpdir, "limit.conf", NULL);
  /* /dev/zero itself is tried by tests/config/test-convoked.c, in a child
   * whose memory is limited: a regression must not eat this machine's. */
  const char *not_regular[] = { "/dev/null", fifo, link, tmpdir };
  const gsize limit = 1024 * 1024;
  g_autoptr (GString) text = g_string_new ("[rooms]\nauto-create=true\n");
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (symlink ("/dev/null", link), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (not_regular); i++)
    {
      g_autoptr (ConvokeConfig) config
          = convoke_config_load_file (not_regular[i], &error);

      g_assert_null (config);
      g_assert_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_SYNTAX);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, not_regular[i]));
      g_assert_nonnull (strstr (error->message, "not a regular file"));
      g_clear_error (&error);
    }

  /* Exactly the limit is read; one byte more is refused. */
  while (text->len < limit)
    g_string_append (text, "# A comment line that pads the file to its size limit.\n");
  g_string_truncate (text, limit - 1);
  g_string_append_c (text, '\n');
  g_assert_true (g_file_set_contents (limit_path, text->str, text->len, &error));
  {
    g_autoptr (ConvokeConfig) config = convoke_config_load_file (limit_path, &error);

    g_assert_no_error (error);
    g_assert_nonnull (config);
  }
  g_string_append_c (text, '\n');
  g_assert_true (g_file_set_contents (huge_path, text->str, text->len, &error));
  {
    g_autoptr (ConvokeConfig) config = convoke_config_load_file (huge_path, &error);

    g_assert_null (config);
    g_assert_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_SYNTAX);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, huge_path));
    g_assert_nonnull (strstr (error->message, "larger than 1048576 bytes"));
  }
  g_unlink (fifo);
  g_unlink (link);
  g_unlink (huge_path);
  g_unlink (limit_path);
}

/* Garbage never crashes the loader. */
static void
test_garbage (void)
{
  static const char *const inputs[] = {
    "",
    "\n\n",
    "[",
    "[]\n",
    "[server]\n=\n",
    "[type:]\nmodule=mesh\n",
    "[room:]\ntype=go\n",
    "[server]\nlisten=[::1\n",
    "[server]\nlisten=:\n",
    "[turn]\nurls=;;;\nsecret=x\n",
    "[turn]\nurls=turn:\nsecret=x\n",
    "[turn]\nurls=turn:@:1\nsecret=x\n",
    "[media]\nport-range=-\n",
    "[media]\nport-range=1-2-3\n",
    "[server]\nlisten=\xff\xfe:1\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (ConvokeConfig) config
          = convoke_config_load_data (inputs[i], -1, "g", &error);

      g_assert_true ((config == NULL) != (error == NULL));
    }
}

int
main (int argc, char **argv)
{
  int status;

  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("convoke-config-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);

  g_test_add_func ("/config/embedded-default", test_embedded_default);
  g_test_add_func ("/config/generated-secrets-differ", test_generated_secrets_differ);
  g_test_add_func ("/config/shipped-file", test_shipped_file);
  g_test_add_func ("/config/every-key-documented", test_every_key_documented);
  g_test_add_func ("/config/custom-type", test_custom_type);
  g_test_add_func ("/config/account-sid-stable", test_account_sid_stable);
  g_test_add_func ("/config/base-url-forms", test_base_url_forms);
  g_test_add_func ("/config/secret-never-echoed", test_secret_never_echoed);
  g_test_add_func ("/config/missing-file", test_missing_file);
  g_test_add_func ("/config/not-regular-or-huge", test_not_regular_or_huge);
  g_test_add_func ("/config/garbage", test_garbage);
  for (gsize i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      g_autofree char *test_path
          = g_strconcat ("/config/invalid/", invalid_cases[i].name, NULL);
      g_test_add_data_func (test_path, &invalid_cases[i], test_invalid);
    }

  status = g_test_run ();
  for (gsize i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      g_autofree char *name = g_strconcat (invalid_cases[i].name, ".conf", NULL);
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      g_unlink (path);
    }
  {
    g_autofree char *custom = g_build_filename (tmpdir, "custom.conf", NULL);
    g_unlink (custom);
  }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return status;
}
