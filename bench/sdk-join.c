/* sdk-join: how long Twilio's JavaScript SDK (twilio-video.js) takes from
 * Video.connect() to the first frame of a participant already in the room,
 * in a group and a peer-to-peer room of a real convoked, against Convoke's
 * own browser client (convoke.js) doing the same in the same run. See
 * docs/benchmarks.md, "SDK join latency".
 *
 * One headless Chromium (tests/browser/cdp-browser.h) and one daemon
 * (tests/browser/demo-scene.h) on 127.0.0.1. Per room type and client, a
 * host page stays in a room of its own and sends its fake camera; a joiner
 * page then connects, is timed in the page itself (performance.now() when
 * connect() is called; requestVideoFrameCallback's presentationTime of the
 * host's first video frame), leaves, and reloads, --joins times. The SDK
 * pages are tests/sdk/sdk-page.html (sdkTest.joinTiming()); the baseline
 * pages are the demo page served at "/" with bench/native-join.js
 * (benchNative.joinTiming()). The two clients alternate join by join, so
 * that both see the same background load.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "demo-scene.h"
#include "i18n.h"

#define HOST_IDENTITY "host"
#define PAGE_LOAD_TIMEOUT_MS 30000
#define HOST_CONNECT_SETTLE_MS 2000
#define LEAVE_TIMEOUT_MS 15000
#define SDK_RELATIVE_PATH "build-npm/node_modules/tv236/dist/twilio-video.min.js"

/* A room of each type per client, so that a joiner only ever receives its
 * own host. */
#define ROOMS_CONFIG                                                                     \
  "[server]\n"                                                                           \
  "dev-tokens=true\n"                                                                    \
  "[room:group-sdk]\n"                                                                   \
  "type=group\n"                                                                         \
  "[room:group-native]\n"                                                                \
  "type=group\n"                                                                         \
  "[room:peer-to-peer-sdk]\n"                                                            \
  "type=peer-to-peer\n"                                                                  \
  "[room:peer-to-peer-native]\n"                                                         \
  "type=peer-to-peer\n"

typedef struct
{
  const char *name;  /* "sdk" or "native": rooms and identities */
  const char *label; /* in the report */
  const char *api;   /* the page's JavaScript object */
  gboolean sdk;
  CdpPage *host;
  CdpPage *joiner;
} Client;

typedef struct
{
  char *room_type;
  char *client;
  int join; /* 1-based */
  gboolean ok;
  double connected_ms;   /* connect() resolved */
  double track_ms;       /* the peer connection's first remote video track */
  double subscribed_ms;  /* the host's video track subscribed */
  double first_frame_ms; /* the host's first video frame presented */
  char *error;
} Sample;

typedef struct
{
  int joins;
  int warmup;
  int timeout_s;
  int pause_ms;
  char *rooms;
  char *clients;
  char *sdk_path;
  char *json_path;
} Options;

typedef struct
{
  Options options;
  DemoScene *scene;
  char *ws_server;
  char *sdk_uri;
  char *native_script;
  char *sdk_version;
  GPtrArray *samples;
} Bench;

static void
sample_free (gpointer data)
{
  Sample *sample = data;

  g_free (sample->room_type);
  g_free (sample->client);
  g_free (sample->error);
  g_free (sample);
}

/* ---- the environment ------------------------------------------------------ */

/* What tests/meson.build gives the harness, for the build tree this
 * program belongs to; anything already set wins. */
static void
set_build_environment (void)
{
  const char *build = CONVOKE_BUILD_ROOT;
  g_autofree char *convoked
      = g_build_filename (build, "core", "daemon", "convoked", NULL);
  g_autofree char *worker
      = g_build_filename (build, "core", "worker", "convoke-room-worker", NULL);
  g_autofree char *modules = g_build_filename (build, "modules", NULL);
  g_autofree char *locale = g_build_filename (build, "po", NULL);
  g_autofree char *plugins = g_build_filename (build, "plugins", NULL);
  g_autofree char *registry
      = g_build_filename (build, "bench", "sdk-join-gst-registry.bin", NULL);
  const char *plugin_path = g_getenv ("GST_PLUGIN_PATH");
  g_autofree char *new_plugin_path
      = plugin_path != NULL && *plugin_path != '\0'
            ? g_strconcat (plugins, G_SEARCHPATH_SEPARATOR_S, plugin_path, NULL)
            : g_strdup (plugins);

  g_setenv ("CONVOKED", convoked, FALSE);
  g_setenv ("CONVOKE_WORKER", worker, FALSE);
  g_setenv ("CONVOKE_MODULE_DIR", modules, FALSE);
  g_setenv ("CONVOKE_LOCALEDIR", locale, FALSE);
  g_setenv ("CONVOKE_SOURCE_ROOT", CONVOKE_SOURCE_ROOT, FALSE);
  g_setenv ("GST_PLUGIN_PATH", new_plugin_path, TRUE);
  g_setenv ("GST_REGISTRY", registry, FALSE);
  g_setenv ("NO_AT_BRIDGE", "1", FALSE);
}

static char *
first_line_of (const char *path, const char *prefix)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("?");
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (prefix == NULL || g_str_has_prefix (lines[i], prefix))
      {
        const char *value = lines[i] + (prefix ? strlen (prefix) : 0);

        if (prefix != NULL && strchr (value, ':') != NULL)
          value = strchr (value, ':') + 1;
        return g_strstrip (g_strdup (value));
      }
  return g_strdup ("?");
}

static double
load_average (void)
{
  g_autofree char *text = first_line_of ("/proc/loadavg", NULL);

  return g_ascii_strtod (text, NULL);
}

/* ---- pages ---------------------------------------------------------------- */

static gboolean
eval_quiet (CdpPage *page, const char *script, JsonNode **value, char **error_text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = cdp_page_eval (page, script, &error);

  if (result == NULL)
    {
      if (error_text != NULL)
        *error_text = g_strdup (error ? error->message : "?");
      return FALSE;
    }
  if (value != NULL)
    *value = g_steal_pointer (&result);
  return TRUE;
}

/* Waits until @page is a freshly loaded page of @client's kind, ready to
 * connect. */
static void
page_ready (Bench *bench, Client *client, CdpPage *page)
{
  const char *name = cdp_page_get_name (page);

  if (client->sdk)
    {
      if (!cdp_page_wait_true (page,
                               "!window.benchStale && window.sdkTest"
                               " && (sdkTest.loaded || sdkTest.loadError !== null)",
                               PAGE_LOAD_TIMEOUT_MS)
          || !cdp_page_wait_true (page, "sdkTest.loaded", 100))
        cdp_test_fail ("[%s] the SDK page did not load: %s", name,
                       cdp_page_eval_string (page, "String(sdkTest.loadError)"));
      return;
    }
  if (!cdp_page_wait_true (page,
                           "!window.benchStale && document.readyState === 'complete'"
                           " && typeof window.convokeDemo === 'object'",
                           PAGE_LOAD_TIMEOUT_MS))
    cdp_test_fail ("[%s] the demo page did not load", name);
  {
    g_autofree char *error = NULL;

    if (!eval_quiet (page, bench->native_script, NULL, &error)
        || !eval_quiet (page, "benchNative.load()", NULL, &error))
      cdp_test_fail ("[%s] bench/native-join.js failed: %s", name, error);
  }
}

static CdpPage *
page_open (Bench *bench, Client *client, const char *role)
{
  g_autofree char *name = g_strdup_printf ("%s-%s", client->name, role);
  CdpPage *page;

  if (client->sdk)
    {
      g_autofree char *page_path
          = g_build_filename (CONVOKE_SOURCE_ROOT, "tests", "sdk", "sdk-page.html", NULL);
      g_autofree char *page_uri = g_filename_to_uri (page_path, NULL, NULL);
      g_autofree char *escaped = g_uri_escape_string (bench->sdk_uri, NULL, FALSE);
      g_autofree char *url = g_strconcat (page_uri, "?sdk=", escaped, NULL);

      page = cdp_page_open (bench->scene->browser, url, name);
    }
  else
    page = demo_scene_open_page (bench->scene, g_intern_string (name), NULL);
  page_ready (bench, client, page);
  return page;
}

/* A fresh page for the next join: nothing the last one left behind (peer
 * connections, elements, the SDK's state) can take part in it. */
static void
page_reload (Bench *bench, Client *client, CdpPage *page)
{
  g_autofree char *error = NULL;

  if (!eval_quiet (
          page, "window.benchStale = true; setTimeout(() => location.reload(), 0); true",
          NULL, &error))
    cdp_test_fail ("[%s] cannot reload: %s", cdp_page_get_name (page), error);
  page_ready (bench, client, page);
}

/* connect() as @identity to @room; FALSE with *error_text when it failed
 * (or did not settle within the DevTools call's timeout). */
static gboolean
page_connect (Bench *bench, Client *client, CdpPage *page, const char *identity,
              const char *room, char **error_text)
{
  g_autofree char *token = test_daemon_token (bench->scene->daemon, identity, room);
  g_autofree char *token_js = cdp_js_string (token);
  g_autofree char *room_js = cdp_js_string (room);
  g_autofree char *ws_js = cdp_js_string (bench->ws_server);
  g_autofree char *script
      = client->sdk
            ? g_strdup_printf ("sdkTest.connect({token: %s, name: %s, wsServer: %s})",
                               token_js, room_js, ws_js)
            : g_strdup_printf ("benchNative.connect(%s, %s)", token_js, room_js);
  g_autoptr (JsonNode) result = NULL;
  g_autofree char *error_script = NULL;

  if (!eval_quiet (page, script, &result, error_text))
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE (result)
      && json_node_get_value_type (result) == G_TYPE_BOOLEAN
      && json_node_get_boolean (result))
    return TRUE;
  error_script = g_strdup_printf ("JSON.stringify(%s.error)", client->api);
  *error_text = cdp_page_eval_string (page, error_script);
  return FALSE;
}

static gboolean
page_leave (Client *client, CdpPage *page)
{
  g_autofree char *script = g_strdup_printf ("%s.leave()", client->api);

  return eval_quiet (page, script, NULL, NULL);
}

/* The page's joinTiming() entry for @identity: a member of it, as a
 * number, or -1 when absent or null. */
static double
timing_of (JsonObject *timing, const char *identity, const char *member)
{
  JsonObject *remote
      = identity != NULL
            ? cdp_object_member (cdp_object_member (timing, "remotes"), identity)
            : timing;
  JsonNode *node = remote != NULL ? json_object_get_member (remote, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1.0;
  return json_node_get_double (node);
}

/* ---- one join --------------------------------------------------------------- */

static char *
js_remote_condition (Client *client, const char *identity, const char *condition)
{
  g_autofree char *identity_js = cdp_js_string (identity);

  return g_strdup_printf ("(%s.joinTiming().remotes[%s] || {}).%s", client->api,
                          identity_js, condition);
}

static void
join_once (Bench *bench, Client *client, const char *room_type, const char *room,
           int join, gboolean measured)
{
  g_autofree char *identity
      = g_strdup_printf ("%s-joiner-%s%d", client->name, measured ? "" : "warmup-", join);
  g_autofree char *first_frame
      = js_remote_condition (client, HOST_IDENTITY, "firstVideoFrameMs != null");
  g_autofree char *left
      = js_remote_condition (client, identity, "state === 'disconnected'");
  g_autofree char *timing_script = g_strdup_printf ("%s.joinTiming()", client->api);
  Sample *sample = g_new0 (Sample, 1);
  g_autoptr (JsonNode) timing = NULL;
  g_autofree char *error = NULL;
  gboolean connected;

  sample->room_type = g_strdup (room_type);
  sample->client = g_strdup (client->name);
  sample->join = join;
  sample->connected_ms = sample->track_ms = -1.0;
  sample->subscribed_ms = sample->first_frame_ms = -1.0;
  connected = page_connect (bench, client, client->joiner, identity, room, &error);
  if (connected
      && !cdp_page_wait_true (client->joiner, first_frame,
                              (guint) bench->options.timeout_s * 1000))
    error = g_strdup_printf ("no frame from the host within %d s",
                             bench->options.timeout_s);
  if (eval_quiet (client->joiner, timing_script, &timing, NULL)
      && JSON_NODE_HOLDS_OBJECT (timing))
    {
      JsonObject *object = json_node_get_object (timing);

      sample->connected_ms = timing_of (object, NULL, "connectedMs");
      sample->track_ms = timing_of (object, NULL, "videoTrackMs");
      sample->subscribed_ms = timing_of (object, HOST_IDENTITY, "videoSubscribedMs");
      sample->first_frame_ms = timing_of (object, HOST_IDENTITY, "firstVideoFrameMs");
    }
  sample->ok = error == NULL && sample->first_frame_ms >= 0;
  if (!sample->ok && error == NULL)
    error = g_strdup ("no timing from the page");
  sample->error = g_steal_pointer (&error);

  if (sample->ok)
    g_print ("%s %-6s %s %2d: connect() → first frame %6.0f ms (resolved %5.0f ms, "
             "track event %5.0f ms, subscribed %5.0f ms)\n",
             room_type, client->name, measured ? "join   " : "warm-up", join,
             sample->first_frame_ms, sample->connected_ms, sample->track_ms,
             sample->subscribed_ms);
  else
    g_print ("%s %-6s %s %2d: FAILED: %s\n", room_type, client->name,
             measured ? "join   " : "warm-up", join, sample->error);

  /* Leave, and let the host see it go, so that joins never overlap. */
  if (page_leave (client, client->joiner) && connected
      && !cdp_page_wait_true (client->host, left, LEAVE_TIMEOUT_MS))
    g_print ("%s %-6s: the host did not see %s leave within %d ms\n", room_type,
             client->name, identity, LEAVE_TIMEOUT_MS);
  page_reload (bench, client, client->joiner);

  if (measured)
    g_ptr_array_add (bench->samples, sample);
  else
    sample_free (sample);
  demo_spin_for ((guint) bench->options.pause_ms);
}

static void
run_room_type (Bench *bench, Client *clients, guint n_clients, const char *room_type)
{
  for (guint c = 0; c < n_clients; c++)
    {
      g_autofree char *room = g_strdup_printf ("%s-%s", room_type, clients[c].name);
      g_autofree char *error = NULL;

      if (!page_connect (bench, &clients[c], clients[c].host, HOST_IDENTITY, room,
                         &error))
        cdp_test_fail ("[%s] the host could not join %s: %s",
                       cdp_page_get_name (clients[c].host), room, error);
    }
  demo_spin_for (HOST_CONNECT_SETTLE_MS);

  for (int i = 0; i < bench->options.warmup + bench->options.joins; i++)
    {
      gboolean measured = i >= bench->options.warmup;
      int join = measured ? i - bench->options.warmup + 1 : i + 1;

      /* Alternate which client goes first. */
      for (guint k = 0; k < n_clients; k++)
        {
          Client *client = &clients[(k + (guint) i) % n_clients];
          g_autofree char *room = g_strdup_printf ("%s-%s", room_type, client->name);

          join_once (bench, client, room_type, room, join, measured);
        }
    }

  for (guint c = 0; c < n_clients; c++)
    {
      page_leave (&clients[c], clients[c].host);
      page_reload (bench, &clients[c], clients[c].host);
    }
}

/* ---- the report --------------------------------------------------------------- */

typedef struct
{
  guint ok;
  guint failed;
  double p50, p95, min, max, mean;
  double connected_p50, track_p50, subscribed_p50;
} Summary;

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* As bench/load-report.c: the value at rank floor((n - 1) * p / 100) of the
 * sorted values. */
static double
percentile (GArray *sorted, guint p)
{
  return sorted->len > 0 ? g_array_index (sorted, double, (sorted->len - 1) * p / 100)
                         : 0.0;
}

static Summary
summarize (Bench *bench, const char *room_type, const char *client)
{
  Summary summary = { 0 };
  g_autoptr (GArray) frames = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) connected = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) track = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) subscribed = g_array_new (FALSE, FALSE, sizeof (double));
  double sum = 0.0;

  for (guint i = 0; i < bench->samples->len; i++)
    {
      Sample *sample = g_ptr_array_index (bench->samples, i);

      if (!g_str_equal (sample->room_type, room_type)
          || !g_str_equal (sample->client, client))
        continue;
      if (!sample->ok)
        {
          summary.failed++;
          continue;
        }
      summary.ok++;
      sum += sample->first_frame_ms;
      g_array_append_val (frames, sample->first_frame_ms);
      g_array_append_val (connected, sample->connected_ms);
      g_array_append_val (track, sample->track_ms);
      g_array_append_val (subscribed, sample->subscribed_ms);
    }
  g_array_sort (frames, compare_doubles);
  g_array_sort (connected, compare_doubles);
  g_array_sort (track, compare_doubles);
  g_array_sort (subscribed, compare_doubles);
  if (summary.ok > 0)
    {
      summary.p50 = percentile (frames, 50);
      summary.p95 = percentile (frames, 95);
      summary.min = g_array_index (frames, double, 0);
      summary.max = g_array_index (frames, double, frames->len - 1);
      summary.mean = sum / summary.ok;
      summary.connected_p50 = percentile (connected, 50);
      summary.track_p50 = percentile (track, 50);
      summary.subscribed_p50 = percentile (subscribed, 50);
    }
  return summary;
}

#define ADD_DOUBLE(builder, name, value)                                                 \
  G_STMT_START                                                                           \
  {                                                                                      \
    json_builder_set_member_name (builder, name);                                        \
    json_builder_add_double_value (builder, value);                                      \
  }                                                                                      \
  G_STMT_END
#define ADD_STRING(builder, name, value)                                                 \
  G_STMT_START                                                                           \
  {                                                                                      \
    json_builder_set_member_name (builder, name);                                        \
    json_builder_add_string_value (builder, value);                                      \
  }                                                                                      \
  G_STMT_END
#define ADD_INT(builder, name, value)                                                    \
  G_STMT_START                                                                           \
  {                                                                                      \
    json_builder_set_member_name (builder, name);                                        \
    json_builder_add_int_value (builder, (gint64) (value));                              \
  }                                                                                      \
  G_STMT_END

typedef struct
{
  char *date;
  char *command;
  char *cpu;
  char *kernel;
  char *os;
  char *memory;
  char *chromium;
  double load_start;
  double load_end;
} Machine;

static void
machine_clear (Machine *machine)
{
  g_free (machine->date);
  g_free (machine->command);
  g_free (machine->cpu);
  g_free (machine->kernel);
  g_free (machine->os);
  g_free (machine->memory);
  g_free (machine->chromium);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Machine, machine_clear)

static void
write_json (Bench *bench, const Machine *machine, char **room_types, guint n_clients,
            const Client *clients)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;

  json_builder_begin_object (builder);
  ADD_STRING (builder, "date", machine->date);
  ADD_STRING (builder, "command", machine->command);
  ADD_STRING (builder, "cpu", machine->cpu);
  ADD_INT (builder, "cores", g_get_num_processors ());
  ADD_STRING (builder, "memory", machine->memory);
  ADD_STRING (builder, "kernel", machine->kernel);
  ADD_STRING (builder, "os", machine->os);
  ADD_STRING (builder, "chromium", machine->chromium);
  ADD_STRING (builder, "sdk", bench->sdk_version ? bench->sdk_version : "");
  ADD_DOUBLE (builder, "load_average_start", machine->load_start);
  ADD_DOUBLE (builder, "load_average_end", machine->load_end);
  ADD_INT (builder, "joins", bench->options.joins);
  ADD_INT (builder, "warmup", bench->options.warmup);

  json_builder_set_member_name (builder, "summary");
  json_builder_begin_array (builder);
  for (guint r = 0; room_types[r] != NULL; r++)
    for (guint c = 0; c < n_clients; c++)
      {
        Summary s = summarize (bench, room_types[r], clients[c].name);

        json_builder_begin_object (builder);
        ADD_STRING (builder, "room_type", room_types[r]);
        ADD_STRING (builder, "client", clients[c].name);
        ADD_INT (builder, "joins_ok", s.ok);
        ADD_INT (builder, "joins_failed", s.failed);
        ADD_DOUBLE (builder, "first_frame_p50_ms", s.p50);
        ADD_DOUBLE (builder, "first_frame_p95_ms", s.p95);
        ADD_DOUBLE (builder, "first_frame_min_ms", s.min);
        ADD_DOUBLE (builder, "first_frame_max_ms", s.max);
        ADD_DOUBLE (builder, "first_frame_mean_ms", s.mean);
        ADD_DOUBLE (builder, "connected_p50_ms", s.connected_p50);
        ADD_DOUBLE (builder, "video_track_p50_ms", s.track_p50);
        ADD_DOUBLE (builder, "video_subscribed_p50_ms", s.subscribed_p50);
        json_builder_end_object (builder);
      }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "joins_measured");
  json_builder_begin_array (builder);
  for (guint i = 0; i < bench->samples->len; i++)
    {
      Sample *sample = g_ptr_array_index (bench->samples, i);

      json_builder_begin_object (builder);
      ADD_STRING (builder, "room_type", sample->room_type);
      ADD_STRING (builder, "client", sample->client);
      ADD_INT (builder, "join", sample->join);
      json_builder_set_member_name (builder, "ok");
      json_builder_add_boolean_value (builder, sample->ok);
      ADD_DOUBLE (builder, "connected_ms", sample->connected_ms);
      ADD_DOUBLE (builder, "video_track_ms", sample->track_ms);
      ADD_DOUBLE (builder, "video_subscribed_ms", sample->subscribed_ms);
      ADD_DOUBLE (builder, "first_frame_ms", sample->first_frame_ms);
      if (sample->error != NULL)
        ADD_STRING (builder, "error", sample->error);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  if (!json_generator_to_file (generator, bench->options.json_path, &error))
    g_printerr (_ ("sdk-join: cannot write %s: %s\n"), bench->options.json_path,
                error->message);
}

static void
print_report (Bench *bench, const Machine *machine, char **room_types, guint n_clients,
              const Client *clients)
{
  g_print ("\n- Date: %s\n", machine->date);
  g_print ("- Machine: %s, %u cores, %s; Linux %s, %s; 1-minute load average %.1f at the "
           "start, %.1f at the end\n",
           machine->cpu, g_get_num_processors (), machine->memory, machine->kernel,
           machine->os, machine->load_start, machine->load_end);
  g_print ("- Browser: %s (headless, fake camera and microphone), every page in it\n",
           machine->chromium);
  g_print ("- Joins: %d measured per room type and client, after %d unmeasured\n\n",
           bench->options.joins, bench->options.warmup);

  g_print ("| room type | client | joins | connect() → first frame p50 | p95 | min | max "
           "| connect() resolved p50 | `track` event p50 | track subscribed p50 |\n");
  g_print ("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (guint r = 0; room_types[r] != NULL; r++)
    for (guint c = 0; c < n_clients; c++)
      {
        Summary s = summarize (bench, room_types[r], clients[c].name);

        g_print ("| %s | %s | %u/%u | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms | "
                 "%.0f ms | %.0f ms |\n",
                 room_types[r], clients[c].label, s.ok, s.ok + s.failed, s.p50, s.p95,
                 s.min, s.max, s.connected_p50, s.track_p50, s.subscribed_p50);
      }

  /* The SDK over the baseline, whichever order --clients named them in. */
  if (n_clients == 2)
    {
      const Client *sdk = clients[0].sdk ? &clients[0] : &clients[1];
      const Client *native = clients[0].sdk ? &clients[1] : &clients[0];

      g_print ("\n| room type | %s / %s, p50 | p95 |\n", sdk->label, native->label);
      g_print ("| --- | --- | --- |\n");
      for (guint r = 0; room_types[r] != NULL; r++)
        {
          Summary a = summarize (bench, room_types[r], sdk->name);
          Summary b = summarize (bench, room_types[r], native->name);

          g_print ("| %s | %.2f× | %.2f× |\n", room_types[r], a.p50 / MAX (b.p50, 0.001),
                   a.p95 / MAX (b.p95, 0.001));
        }
    }
  g_print ("\n```\n%s\n```\n", machine->command);
}

/* ---- main ------------------------------------------------------------------ */

static gboolean
parse_options (int *argc, char ***argv, Options *options, GError **error)
{
  const GOptionEntry entries[] = {
    { "joins", 'n', 0, G_OPTION_ARG_INT, &options->joins,
      N_ ("Measured joins per room type and client (default 20)"), N_ ("N") },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &options->warmup,
      N_ ("Unmeasured joins before them (default 1)"), N_ ("N") },
    { "rooms", 0, 0, G_OPTION_ARG_STRING, &options->rooms,
      N_ ("Room types, comma-separated (default group,peer-to-peer)"), N_ ("TYPES") },
    { "clients", 0, 0, G_OPTION_ARG_STRING, &options->clients,
      N_ ("sdk, native or both, comma-separated (default sdk,native)"), N_ ("CLIENTS") },
    { "sdk", 0, 0, G_OPTION_ARG_FILENAME, &options->sdk_path,
      N_ ("twilio-video.min.js (default $CONVOKE_TEST_TWILIO_VIDEO, else "
          "SOURCE/" SDK_RELATIVE_PATH ")"),
      N_ ("FILE") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &options->timeout_s,
      N_ ("Seconds a join may take to its first frame (default 30)"), N_ ("S") },
    { "pause", 0, 0, G_OPTION_ARG_INT, &options->pause_ms,
      N_ ("Milliseconds between a leave and the next join (default 1000)"), N_ ("MS") },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &options->json_path,
      N_ ("Write every join and the summary there"), N_ ("FILE") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);

  options->joins = 20;
  options->warmup = 1;
  options->timeout_s = 30;
  options->pause_ms = 1000;
  g_option_context_set_summary (
      context, _ ("Times twilio-video.js from Video.connect() to the first frame of a "
                  "participant already in the room, in group and peer-to-peer rooms, "
                  "against convoke.js in the same run."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (options->joins < 1 || options->warmup < 0 || options->timeout_s < 1
      || options->pause_ms < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--joins and --timeout must be at least 1, --warmup and --pause at "
                      "least 0"));
      return FALSE;
    }
  if (options->rooms == NULL)
    options->rooms = g_strdup ("group,peer-to-peer");
  if (options->clients == NULL)
    options->clients = g_strdup ("sdk,native");
  if (options->sdk_path == NULL)
    options->sdk_path
        = g_getenv ("CONVOKE_TEST_TWILIO_VIDEO") != NULL
              ? g_strdup (g_getenv ("CONVOKE_TEST_TWILIO_VIDEO"))
              : g_build_filename (CONVOKE_SOURCE_ROOT, SDK_RELATIVE_PATH, NULL);
  return TRUE;
}

static char *
command_line (int argc, char **argv)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (int i = 0; i < argc; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);

      g_string_append_printf (text, "%s%s", i ? " " : "",
                              strpbrk (argv[i], " '\"$\\") ? quoted : argv[i]);
    }
  return g_strdup (text->str);
}

int
main (int argc, char **argv)
{
  Bench bench = { 0 };
  Options *options = &bench.options;
  g_autoptr (GError) error = NULL;
  g_auto (Machine) machine = { 0 };
  g_auto (GStrv) room_types = NULL;
  g_auto (GStrv) client_names = NULL;
  Client clients[2] = { 0 };
  guint n_clients = 0;
  g_autofree char *native_path = NULL;
  g_autofree char *native = NULL;
  g_autoptr (GDateTime) now = NULL;
  struct utsname uts;
  int status = 0;

  convoke_i18n_init ();
  machine.command = command_line (argc, argv);
  if (!parse_options (&argc, &argv, options, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  room_types = g_strsplit (options->rooms, ",", -1);
  for (guint r = 0; room_types[r] != NULL; r++)
    if (!g_str_equal (room_types[r], "group")
        && !g_str_equal (room_types[r], "peer-to-peer"))
      {
        g_printerr (_ ("--rooms: “%s” is not group or peer-to-peer\n"), room_types[r]);
        return 2;
      }
  client_names = g_strsplit (options->clients, ",", -1);
  for (guint c = 0; client_names[c] != NULL; c++)
    {
      Client *client = &clients[n_clients];

      if (n_clients == G_N_ELEMENTS (clients)
          || (n_clients == 1 && g_str_equal (clients[0].name, client_names[c])))
        {
          g_printerr (_ ("--clients: name each client once\n"));
          return 2;
        }
      if (g_str_equal (client_names[c], "sdk"))
        *client = (Client){ "sdk", "twilio-video.js", "sdkTest", TRUE, NULL, NULL };
      else if (g_str_equal (client_names[c], "native"))
        *client = (Client){ "native", "convoke.js", "benchNative", FALSE, NULL, NULL };
      else
        {
          g_printerr (_ ("--clients: “%s” is not sdk or native\n"), client_names[c]);
          return 2;
        }
      n_clients++;
    }
  if (!cdp_chromium_available ())
    {
      g_printerr (
          _ ("sdk-join: no Chromium at %s (install the “chromium” package, or set "
             "$CHROMIUM)\n"),
          cdp_chromium_path ());
      return 1;
    }
  if (!g_file_test (options->sdk_path, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr (_ ("sdk-join: no twilio-video.min.js at %s (bash tests/sdk/install-sdk "
                     "DIR installs it; then --sdk "
                     "DIR/node_modules/tv236/dist/twilio-video.min.js)\n"),
                  options->sdk_path);
      return 1;
    }
  native_path = g_build_filename (CONVOKE_SOURCE_ROOT, "bench", "native-join.js", NULL);
  if (!g_file_get_contents (native_path, &native, NULL, &error))
    {
      g_printerr ("sdk-join: %s\n", error->message);
      return 1;
    }
  set_build_environment ();

  now = g_date_time_new_now_utc ();
  machine.date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  machine.cpu = first_line_of ("/proc/cpuinfo", "model name");
  {
    g_autofree char *kib = first_line_of ("/proc/meminfo", "MemTotal");

    machine.memory
        = g_strdup_printf ("%.0f GiB", g_ascii_strtod (kib, NULL) / (1024 * 1024));
  }
  machine.os = first_line_of ("/etc/debian_version", NULL);
  {
    g_autofree char *debian = g_steal_pointer (&machine.os);

    machine.os = g_strconcat ("Debian ", debian, NULL);
  }
  machine.kernel = g_strdup (uname (&uts) == 0 ? uts.release : "?");
  machine.load_start = load_average ();

  bench.samples = g_ptr_array_new_with_free_func (sample_free);
  bench.native_script = g_steal_pointer (&native);
  {
    g_autofree char *absolute = g_canonicalize_filename (options->sdk_path, NULL);

    bench.sdk_uri = g_filename_to_uri (absolute, NULL, &error);
  }
  if (bench.sdk_uri == NULL)
    {
      g_printerr ("sdk-join: %s\n", error->message);
      return 1;
    }
  /* The daemon (and its workers) log to the stdout they inherit: give them
   * stderr instead, so that stdout has the progress and the report (and,
   * as "# " lines, what the pages print on their consoles). */
  {
    int saved_stdout = dup (STDOUT_FILENO);

    fflush (stdout);
    dup2 (STDERR_FILENO, STDOUT_FILENO);
    bench.scene = demo_scene_start (ROOMS_CONFIG);
    fflush (stdout);
    dup2 (saved_stdout, STDOUT_FILENO);
    close (saved_stdout);
  }
  {
    g_autofree char *native_url = test_daemon_signaling_url (bench.scene->daemon);
    g_autoptr (JsonObject) version
        = cdp_call (bench.scene->browser, NULL, "Browser.getVersion", NULL, 5000, NULL);

    /* ws://127.0.0.1:PORT/v1/Signaling → ws://127.0.0.1:PORT/signaling */
    *strstr (native_url, "/v1/Signaling") = '\0';
    bench.ws_server = g_strconcat (native_url, "/signaling", NULL);
    machine.chromium = g_strdup (
        version ? json_object_get_string_member_with_default (version, "product", "?")
                : "?");
  }

  for (guint c = 0; c < n_clients; c++)
    {
      clients[c].host = page_open (&bench, &clients[c], "host");
      clients[c].joiner = page_open (&bench, &clients[c], "joiner");
      if (clients[c].sdk)
        {
          g_autofree char *label = NULL;

          bench.sdk_version
              = cdp_page_eval_string (clients[c].host, "String(sdkTest.version)");
          label = g_strdup_printf ("twilio-video.js %s", bench.sdk_version);
          clients[c].label = g_intern_string (label);
        }
      else
        clients[c].label = "convoke.js (baseline)";
    }

  for (guint r = 0; room_types[r] != NULL; r++)
    run_room_type (&bench, clients, n_clients, room_types[r]);

  machine.load_end = load_average ();
  demo_scene_stop (bench.scene);

  print_report (&bench, &machine, room_types, n_clients, clients);
  if (options->json_path != NULL)
    write_json (&bench, &machine, room_types, n_clients, clients);

  for (guint i = 0; i < bench.samples->len; i++)
    if (!((Sample *) g_ptr_array_index (bench.samples, i))->ok)
      status = 1;
  g_ptr_array_unref (bench.samples);
  g_free (bench.ws_server);
  g_free (bench.sdk_uri);
  g_free (bench.native_script);
  g_free (bench.sdk_version);
  g_free (options->rooms);
  g_free (options->clients);
  g_free (options->sdk_path);
  g_free (options->json_path);
  return status;
}
