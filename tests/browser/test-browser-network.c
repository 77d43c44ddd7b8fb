/* Group rooms in real browsers on impaired links (issue 14's acceptance
 * tests): three headless-Chromium participants in a group room, one of
 * them in a network namespace of its own behind a hop that drops, delays,
 * jitters or caps its frames (tests/harness/test-netns.h). The other two
 * are pages of one Chromium in the test's own namespace, next to convoked.
 *
 * - lossy: 5% loss each way, 40 ms each way (80 ms round trip), ±20 ms of
 *   jitter. After the first 5 s, for 20 s, every page decodes every other
 *   participant's video with no gap over 1 s, nobody gets 53405, and the
 *   worker logs no SRTP error.
 * - uplink-cap: the far participant's uplink capped at 500 kbit/s, with
 *   200 ms of queue. Its estimate (availableOutgoingBitrate) falls under
 *   600 kbit/s, its video keeps reaching the others without a gap over
 *   1 s, and they lose under 1% of its audio.
 * - ice-restart: the far participant restarts ICE over an 80 ms link;
 *   every path's video resumes (15 more frames, a second's worth) within
 *   2 s of the answer.
 *
 * Each page samples its own statistics every 100 ms with a timer (window.net,
 * NET_PAGE_JS), so gaps are measured in the page, not by polling over CDP.
 * Needs root (namespaces) and Chromium; skips otherwise.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client-runner.h"
#include "demo-scene.h"
#include "test-netns.h"

#define ROOM "net"
#define N_PAGES 3
#define FAR 2 /* the page behind the link */

/* Deadlines, base figures (scaled). */
#define PAGE_LOAD_TIMEOUT_MS 20000
#define MEDIA_TIMEOUT_MS 45000
#define ESTIMATE_TIMEOUT_MS 20000
#define ICE_RESTART_RESUME_MS 2000
/* Observation windows (not scaled). */
#define SETTLE_MS 5000
#define LOSSY_WATCH_MS 20000
#define CAP_WATCH_MS 15000
/* What counts as a stall: no new frame for longer than this. */
#define MAX_GAP_MS 1000
#define CAP_KBPS 500
#define CAP_ESTIMATE_BPS 600000

static gboolean netns_ok;
static char *netns_why;

static const char *const names[N_PAGES] = { "alice", "bob", "carol" };

typedef struct
{
  TestDaemon *daemon;
  TestLink *link;
  CdpBrowser *near; /* alice and bob, in the test's namespace */
  CdpBrowser *far;  /* carol, behind the link */
  CdpPage *pages[N_PAGES];
  char *log_path; /* convoked's and its workers' stderr */
} NetScene;

/* The sampler every page runs: per publisher, video frames decoded and
 * the longest time without a new one since netMark(), NACKs sent,
 * retransmissions received, audio packets lost and received; its own
 * send-side estimate; the error codes convoke.js reported. */
#define NET_PAGE_JS                                                                      \
  "(async () => {"                                                                       \
  "  const Convoke = (await import('/convoke.js')).default;"                             \
  "  const query = new URLSearchParams({ identity: %s, room: %s });"                     \
  "  const token = (await (await fetch(`/dev/token?${query}`)).json()).token;"           \
  "  const raise = %s;"                                                                  \
  "  const stream = await navigator.mediaDevices.getUserMedia({ audio: true,"            \
  "    video: { width: { ideal: %u }, height: { ideal: %u }, frameRate: { ideal: 15 } } });" \
  "  window.net = { codes: [], from: {}, bwe: null, minBwe: null, maxBwe: null,"         \
  "    marked: false, history: [] };"                                                    \
  "  window.room = await Convoke.connect(null, token,"                                   \
  "    { room: %s, tracks: stream.getTracks() });"                                       \
  "  room.on('warning', (e) => net.codes.push(e.code));"                                 \
  "  room.on('mediaConnectionFailed', () => net.codes.push(53405));"                     \
  "  room.on('disconnected', (r, e) => net.codes.push(e ? e.code : 'disconnected'));"    \
  "  const sample = async () => {"                                                       \
  "    const link = room._links.get('server');"                                          \
  "    if (!link) return;"                                                               \
  "    const sender = link.pc.getSenders().find((s) => s.track?.kind === 'video');"    \
  "    const parameters = sender?.getParameters();"                                      \
  "    if (raise && parameters?.encodings?.length && !net.raised) {"                     \
  "      parameters.encodings[0].maxBitrate = 2000000;"                                  \
  "      net.raised = true;"                                                             \
  "      await sender.setParameters(parameters);"                                        \
  "    }"                                                                                \
  "    const report = await link.pc.getStats();"                                         \
  "    const byTrack = {}, pairs = {};"                                                  \
  "    let pairId = null;"                                                               \
  "    report.forEach((s) => {"                                                          \
  "      if (s.type === 'inbound-rtp') byTrack[s.trackIdentifier] = s;"                  \
  "      else if (s.type === 'transport') pairId = s.selectedCandidatePairId;"           \
  "      else if (s.type === 'candidate-pair') pairs[s.id] = s;"                         \
  "      else if (s.type === 'outbound-rtp' && s.kind === 'video') net.out = {"          \
  "        bytes: s.bytesSent, frames: s.framesEncoded, width: s.frameWidth,"            \
  "        limit: s.qualityLimitationReason, target: s.targetBitrate };"                 \
  "    });"                                                                              \
  "    const bwe = pairs[pairId]?.availableOutgoingBitrate;"                             \
  "    if (bwe !== undefined) {"                                                         \
  "      net.bwe = bwe;"                                                                 \
  "      net.maxBwe = Math.max(net.maxBwe ?? 0, bwe);"                                   \
  "      if (net.marked) net.minBwe = Math.min(net.minBwe ?? Infinity, bwe);"            \
  "    }"                                                                                \
  "    const now = performance.now();"                                                   \
  "    for (const p of room.participants.values())"                                      \
  "      for (const t of p.tracks.values()) {"                                           \
  "        const s = byTrack[t.id];"                                                     \
  "        if (!s) continue;"                                                            \
  "        const f = net.from[p.identity] || (net.from[p.identity] = { frames: 0,"       \
  "          last: 0, maxGap: 0, nacks: 0, rtx: 0, videoLost: 0, audioLost: 0,"          \
  "          audioReceived: 0 });"                                                       \
  "        if (s.kind === 'video') {"                                                    \
  "          if ((s.framesDecoded ?? 0) > f.frames) {"                                   \
  "            if (f.last && net.marked) f.maxGap = Math.max(f.maxGap, now - f.last);"   \
  "            f.last = now;"                                                            \
  "            f.frames = s.framesDecoded;"                                              \
  "          }"                                                                          \
  "          f.nacks = s.nackCount ?? 0;"                                                \
  "          f.rtx = s.retransmittedPacketsReceived ?? 0;"                               \
  "          f.videoLost = s.packetsLost ?? 0;"                                          \
  "        } else {"                                                                     \
  "          f.audioLost = s.packetsLost ?? 0;"                                          \
  "          f.audioReceived = s.packetsReceived ?? 0;"                                  \
  "        }"                                                                            \
  "      }"                                                                              \
  "    net.history.push({ t: Date.now(), frames: Object.fromEntries("                   \
  "      Object.entries(net.from).map(([id, f]) => [id, f.frames])) });"                 \
  "    if (net.history.length > 300) net.history.shift();"                               \
  "  };"                                                                                 \
  "  let busy = false;"                                                                  \
  "  setInterval(async () => {"                                                          \
  "    if (busy) return;"                                                                \
  "    busy = true;"                                                                     \
  "    try { await sample(); } finally { busy = false; }"                                \
  "  }, 100);"                                                                           \
  "  window.netMark = () => {"                                                           \
  "    const now = performance.now();"                                                   \
  "    net.marked = true; net.minBwe = null;"                                            \
  "    for (const f of Object.values(net.from)) {"                                       \
  "      f.maxGap = 0; f.last = now; f.at = { ...f, at: undefined };"                    \
  "    }"                                                                                \
  "  };"                                                                                 \
  "  window.netReport = () => {"                                                         \
  "    const now = performance.now(), out = {};"                                         \
  "    for (const [id, f] of Object.entries(net.from)) {"                                \
  "      const a = f.at ?? { frames: 0, nacks: 0, rtx: 0, videoLost: 0,"                \
  "        audioLost: 0, audioReceived: 0 };"                                            \
  "      out[id] = { frames: f.frames - a.frames,"                                       \
  "        maxGap: Math.round(Math.max(f.maxGap, f.last ? now - f.last : 0)),"           \
  "        nacks: f.nacks - a.nacks, rtx: f.rtx - a.rtx,"                                \
  "        videoLost: f.videoLost - a.videoLost,"                                        \
  "        audioLost: f.audioLost - a.audioLost,"                                        \
  "        audioReceived: f.audioReceived - a.audioReceived };"                          \
  "    }"                                                                                \
  "    return JSON.stringify({ from: out, bwe: net.bwe, minBwe: net.minBwe,"           \
  "      maxBwe: net.maxBwe, codes: net.codes, state: room.state });"                    \
  "  };"                                                                                 \
  "  window.netResumedAfter = (t0, more) => {"                                          \
  "    const h = net.history, out = {};"                                                 \
  "    const base = [...h].reverse().find((e) => e.t <= t0) ?? h[0];"                    \
  "    for (const id of Object.keys(base.frames)) {"                                     \
  "      const e = h.find((e) => e.t > t0 && e.frames[id] >= base.frames[id] + more);"   \
  "      out[id] = e ? e.t - t0 : null;"                                                 \
  "    }"                                                                                \
  "    return out;"                                                                      \
  "  };"                                                                                 \
  "  return true;"                                                                       \
  "})()"

static char **
wrap_in_link (const char *const *argv, gpointer data)
{
  return test_link_wrap_argv (data, argv);
}

static guint
daemon_port (TestDaemon *d)
{
  g_autoptr (GUri) uri = g_uri_parse (d->base_url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return (guint) g_uri_get_port (uri);
}

/* Starts convoked with its stderr (and so its workers') going to a file
 * the test reads afterwards, rather than straight into the test's log. */
static TestDaemon *
start_daemon_logged (const char *config, const char *log_path)
{
  int saved = dup (STDERR_FILENO);
  int log = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  TestDaemon *d;

  g_assert_cmpint (saved, >=, 0);
  g_assert_cmpint (log, >=, 0);
  fflush (stderr);
  g_assert_cmpint (dup2 (log, STDERR_FILENO), ==, STDERR_FILENO);
  d = test_client_daemon_start (config);
  fflush (stderr);
  g_assert_cmpint (dup2 (saved, STDERR_FILENO), ==, STDERR_FILENO);
  close (saved);
  close (log);
  return d;
}

static CdpPage *
open_page (CdpBrowser *browser, const char *base, const char *identity, gboolean raise,
           guint width, guint height)
{
  g_autofree char *url = g_strconcat (base, "/", NULL);
  g_autofree char *identity_js = cdp_js_string (identity);
  g_autofree char *room_js = cdp_js_string (ROOM);
  g_autofree char *script = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) joined = NULL;
  CdpPage *page = cdp_page_open (browser, url, identity);

  if (!cdp_page_wait_true (page, "document.readyState === 'complete'",
                           PAGE_LOAD_TIMEOUT_MS))
    cdp_test_fail ("[%s] %s did not load", identity, url);
  script = g_strdup_printf (NET_PAGE_JS, identity_js, room_js, raise ? "true" : "false",
                            width, height, room_js);
  joined = cdp_page_eval (page, script, &error);
  g_assert_no_error (error);
  return page;
}

/* Everyone publishes camera and microphone (Chromium's fake devices, 320
 * × 240 at 15 fps to spare the 2 cores); with @far_big, the participant
 * behind the link asks for 640 × 480 and lets its video take up to
 * 2 Mbit/s. Returns once every page decodes 30 frames and 25 audio
 * packets of every other one. */
static NetScene *
net_scene_start (const char *const *impairment, gboolean far_big)
{
  NetScene *scene = g_new0 (NetScene, 1);
  g_autofree char *config = NULL, *near_base = NULL, *far_base = NULL;
  g_autofree char *secure = NULL;

  scene->link = test_link_new (1, impairment);
  scene->log_path = g_build_filename (g_get_tmp_dir (), "convoke-netns-XXXXXX.log", NULL);
  g_close (g_mkstemp (scene->log_path), NULL);
  /* The workers' SRTP elements warn when a packet cannot be protected or
   * unprotected; let them say so in the log. */
  g_setenv ("GST_DEBUG", "srtpenc:2,srtpdec:2", TRUE);
  /* Listen and gather on the link's server side too, not only loopback. */
  config = g_strdup_printf ("[server]\nlisten=0.0.0.0:0\ndev-tokens=true\n"
                            "[room:" ROOM "]\ntype=group\n"
                            "[type:group]\nice-addresses=127.0.0.1,%s\n",
                            test_link_server_address (scene->link));
  scene->daemon = start_daemon_logged (config, scene->log_path);
  near_base = g_strdup_printf ("http://127.0.0.1:%u", daemon_port (scene->daemon));
  far_base = g_strdup_printf ("http://%s:%u", test_link_server_address (scene->link),
                              daemon_port (scene->daemon));

  scene->near = cdp_browser_launch ();
  {
    /* Camera and microphone need a secure context: 127.0.0.1 is one, the
     * link's address is not. */
    const char *far_args[] = { NULL, NULL };
    CdpLaunchOptions options = { wrap_in_link, scene->link, far_args };

    secure = g_strconcat ("--unsafely-treat-insecure-origin-as-secure=", far_base, NULL);
    far_args[0] = secure;
    scene->far = cdp_browser_launch_full (&options);
  }
  scene->pages[0] = open_page (scene->near, near_base, names[0], FALSE, 320, 240);
  scene->pages[1] = open_page (scene->near, near_base, names[1], FALSE, 320, 240);
  scene->pages[FAR] = open_page (scene->far, far_base, names[FAR], far_big,
                                 far_big ? 640 : 320, far_big ? 480 : 240);

  for (guint i = 0; i < N_PAGES; i++)
    for (guint j = 0; j < N_PAGES; j++)
      {
        g_autofree char *name_js = cdp_js_string (names[j]);
        g_autofree char *flowing = g_strdup_printf (
            "net.from[%s]?.frames >= 30 && net.from[%s]?.audioReceived >= 25", name_js,
            name_js);

        if (i != j && !cdp_page_wait_true (scene->pages[i], flowing, MEDIA_TIMEOUT_MS))
          cdp_test_fail ("%s decodes no media from %s within %u ms: %s", names[i],
                         names[j], test_scaled_ms (MEDIA_TIMEOUT_MS),
                         cdp_page_eval_string (scene->pages[i], "netReport()"));
      }
  g_test_message ("everyone decodes everyone");
  return scene;
}

/* The lines of the daemon's log that tell of an SRTP failure. */
static char *
srtp_errors (NetScene *scene)
{
  g_autofree char *log = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) found = g_string_new (NULL);

  g_assert_true (g_file_get_contents (scene->log_path, &log, NULL, NULL));
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *lower = g_ascii_strdown (lines[i], -1);

      if (strstr (lower, "protect") != NULL
          || (strstr (lower, "srtp") != NULL
              && (strstr (lower, "error") != NULL || strstr (lower, "fail") != NULL)))
        g_string_append_printf (found, "%s\n", lines[i]);
    }
  return g_string_free (g_steal_pointer (&found), FALSE);
}

static void
net_scene_stop (NetScene *scene)
{
  g_autofree char *log = NULL;

  cdp_browser_close (scene->far);
  cdp_browser_close (scene->near);
  test_daemon_stop (scene->daemon);
  /* Into the test's log, as every other test's daemon writes there. */
  if (g_file_get_contents (scene->log_path, &log, NULL, NULL))
    g_printerr ("---- convoked's log ----\n%s---- end of convoked's log ----\n", log);
  g_unlink (scene->log_path);
  g_free (scene->log_path);
  test_link_free (scene->link);
  g_free (scene);
}

static JsonObject *
page_report (CdpPage *page)
{
  g_autofree char *text = cdp_page_eval_string (page, "netReport()");
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    cdp_test_fail ("[%s] netReport() gave %s", cdp_page_get_name (page), text);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gint64
member_int (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
             ? (gint64) json_node_get_double (node)
             : -1;
}

static void
mark_all (NetScene *scene)
{
  for (guint i = 0; i < N_PAGES; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) done = cdp_page_eval (scene->pages[i], "netMark()", &error);

      g_assert_no_error (error);
    }
}

/* No page got an error code (53405 above all) or left the room. */
static void
assert_no_errors (NetScene *scene)
{
  for (guint i = 0; i < N_PAGES; i++)
    {
      g_autofree char *codes
          = cdp_page_eval_string (scene->pages[i], "JSON.stringify(net.codes)");
      g_autofree char *state = cdp_page_eval_string (scene->pages[i], "room.state");

      if (!g_str_equal (codes, "[]") || !g_str_equal (state, "connected"))
        cdp_test_fail ("%s: errors %s, state %s", names[i], codes, state);
    }
}

static void
assert_no_srtp_errors (NetScene *scene)
{
  g_autofree char *errors = srtp_errors (scene);

  if (*errors != '\0')
    cdp_test_fail ("the worker logged SRTP errors:\n%s", errors);
}

/* Every path from @publisher (NULL: every publisher) decoded frames with
 * no gap over MAX_GAP_MS since the mark; logs what each path saw. Returns
 * the reports' audio loss from @publisher, in per mille. */
static guint
check_paths (NetScene *scene, const char *publisher, guint window_ms)
{
  guint64 audio_lost = 0, audio_received = 0;
  gint64 worst_gap = 0, fewest = G_MAXINT64;

  for (guint r = 0; r < N_PAGES; r++)
    {
      g_autoptr (JsonObject) report = page_report (scene->pages[r]);
      JsonObject *from = cdp_object_member (report, "from");

      for (guint p = 0; p < N_PAGES; p++)
        {
          JsonObject *path = cdp_object_member (from, names[p]);
          gint64 frames, gap;

          if (p == r || (publisher != NULL && !g_str_equal (publisher, names[p])))
            continue;
          frames = member_int (path, "frames");
          gap = member_int (path, "maxGap");
          g_test_message ("%s from %s: %" G_GINT64_FORMAT " frames decoded in %u ms, "
                          "longest gap %" G_GINT64_FORMAT " ms, %" G_GINT64_FORMAT
                          " NACKs, %" G_GINT64_FORMAT " retransmissions, %" G_GINT64_FORMAT
                          " video packets lost; audio %" G_GINT64_FORMAT " received, %"
                          G_GINT64_FORMAT " lost",
                          names[r], names[p], frames, window_ms, gap,
                          member_int (path, "nacks"), member_int (path, "rtx"),
                          member_int (path, "videoLost"), member_int (path, "audioReceived"),
                          member_int (path, "audioLost"));
          worst_gap = MAX (worst_gap, gap);
          fewest = MIN (fewest, frames);
          audio_lost += MAX (0, member_int (path, "audioLost"));
          audio_received += MAX (0, member_int (path, "audioReceived"));
        }
    }
  /* Real decoded frames: at least one a second on every path (at 15 fps
   * most get far more), and no stall. */
  g_assert_cmpint (fewest, >=, window_ms / MAX_GAP_MS);
  if (worst_gap > MAX_GAP_MS)
    cdp_test_fail ("a video stalled: no new frame for %" G_GINT64_FORMAT
                   " ms (at most %d allowed; see the paths above)",
                   worst_gap, MAX_GAP_MS);
  g_assert_cmpuint (audio_received, >, 0);
  return (guint) (1000 * audio_lost / (audio_lost + audio_received));
}

static gboolean
skip_unless_supported (void)
{
  if (!netns_ok)
    {
      g_test_skip (netns_why);
      return TRUE;
    }
  if (!cdp_chromium_available ())
    {
      g_test_skip ("no Chromium (install the “chromium” package)");
      return TRUE;
    }
  return FALSE;
}

static void
test_lossy (void)
{
  const char *impairment[] = { "both:loss=5", "both:delay=40", "both:jitter=20", NULL };
  NetScene *scene;

  if (skip_unless_supported ())
    return;
  scene = net_scene_start (impairment, FALSE);
  g_test_message ("settling for %d ms, then watching for %d ms", SETTLE_MS, LOSSY_WATCH_MS);
  demo_spin_for (SETTLE_MS);
  mark_all (scene);
  demo_spin_for (LOSSY_WATCH_MS);
  check_paths (scene, NULL, LOSSY_WATCH_MS);
  assert_no_errors (scene);
  assert_no_srtp_errors (scene);
  net_scene_stop (scene);
}

/* The far page's own send-side estimate, bit/s (net.bwe, net.minBwe...). */
static guint
far_estimate (NetScene *scene, const char *which)
{
  g_autofree char *expression = g_strdup_printf ("String(Math.round(net.%s ?? 0))", which);

  return demo_page_eval_uint (scene->pages[FAR], expression);
}

static void
test_uplink_cap (void)
{
  /* Uncapped at first: the cap must be what brings the estimate down. */
  const char *impairment[] = { "up:queue=200", NULL };
  g_autofree char *cap = g_strdup_printf ("up:rate=%d", CAP_KBPS);
  g_autofree char *above = g_strdup_printf ("net.bwe >= %d", 2 * CAP_KBPS * 1000);
  g_autofree char *below = g_strdup_printf ("net.bwe < %d", CAP_ESTIMATE_BPS);
  NetScene *scene;
  gint64 capped_at;
  gboolean fell;
  guint loss;

  if (skip_unless_supported ())
    return;
  /* The far publisher may send up to 2 Mbit/s (Chromium's default for
   * its camera is 600 kbit/s, too close to the cap). */
  scene = net_scene_start (impairment, TRUE);
  if (!cdp_page_wait_true (scene->pages[FAR], above, ESTIMATE_TIMEOUT_MS))
    cdp_test_fail ("carol's estimate stayed under %d bit/s, uncapped: %u",
                   2 * CAP_KBPS * 1000, far_estimate (scene, "bwe"));
  g_test_message ("uncapped, carol's estimate reached %u bit/s", far_estimate (scene, "bwe"));

  test_link_set (scene->link, cap);
  capped_at = g_get_monotonic_time ();
  /* Asserted last, so that a failure still reports the media's figures. */
  fell = cdp_page_wait_true (scene->pages[FAR], below, ESTIMATE_TIMEOUT_MS);
  g_test_message ("capped: carol's estimate %s %u bit/s in %d ms",
                  fell ? "fell to" : "was still", far_estimate (scene, "bwe"),
                  (int) ((g_get_monotonic_time () - capped_at) / 1000));

  demo_spin_for (SETTLE_MS);
  mark_all (scene);
  demo_spin_for (CAP_WATCH_MS);
  {
    g_autofree char *encoder
        = cdp_page_eval_string (scene->pages[FAR], "JSON.stringify(net.out)");

    g_test_message ("carol's estimate over the window: %u bit/s at least, %u at the "
                    "end; her video encoder: %s",
                    far_estimate (scene, "minBwe"), far_estimate (scene, "bwe"), encoder);
  }
  loss = check_paths (scene, names[FAR], CAP_WATCH_MS);
  g_test_message ("carol's audio lost at the others: %u.%u%%", loss / 10, loss % 10);
  if (!fell)
    cdp_test_fail ("carol's estimate did not fall under %d bit/s within %u ms of the "
                   "%d kbit/s cap",
                   CAP_ESTIMATE_BPS, test_scaled_ms (ESTIMATE_TIMEOUT_MS), CAP_KBPS);
  g_assert_cmpuint (loss, <, 10);
  assert_no_errors (scene);
  assert_no_srtp_errors (scene);
  net_scene_stop (scene);
}

/* The far participant restarts ICE (as after a network change); every
 * path's video resumes: 15 more frames, a second's worth, within 2 s of
 * the server's answer, and nobody leaves. */
static void
test_ice_restart (void)
{
  const char *impairment[] = { "both:delay=40", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) restarted = NULL;
  g_autofree char *answered = NULL, *resumed = NULL;
  NetScene *scene;

  if (skip_unless_supported ())
    return;
  scene = net_scene_start (impairment, FALSE);
  restarted = cdp_page_eval (
      scene->pages[FAR],
      "(async () => {"
      "  window.ufragOf = (d) => d && /a=ice-ufrag:(\\S+)/.exec(d.sdp)[1];"
      "  window.serverLink = room._links.get('server');"
      "  window.before = { local: ufragOf(serverLink.pc.localDescription),"
      "    remote: ufragOf(serverLink.pc.remoteDescription) };"
      "  serverLink.pc.addEventListener('signalingstatechange', () => {"
      "    if (serverLink.pc.signalingState === 'stable') if (!window.answeredAt) window.answeredAt = Date.now();"
      "  });"
      "  await room.restartIce();"
      "  return true; })()",
      &error);
  g_assert_no_error (error);
  /* The server answered with credentials of its own, new ones. */
  if (!cdp_page_wait_true (scene->pages[FAR],
                           "serverLink.pc.signalingState === 'stable' && "
                           "ufragOf(serverLink.pc.localDescription) !== before.local && "
                           "ufragOf(serverLink.pc.remoteDescription) !== before.remote",
                           PAGE_LOAD_TIMEOUT_MS))
    cdp_test_fail ("carol's ICE restart got no answer with new credentials");
  answered = cdp_page_eval_string (scene->pages[FAR], "String(answeredAt)");
  /* Every page's sampler keeps 30 s of frame counts with wall-clock
   * times (one clock for all namespaces): when each path had 15 more
   * frames than at the answer. Waited for longer than allowed, so that a
   * slow resume is reported with its figure. */
  resumed = g_strdup_printf ("(() => { const r = netResumedAfter(%s, 15);"
                             "  return Object.keys(r).length === 2 &&"
                             "    Object.values(r).every((v) => v !== null); })()",
                             answered);
  for (guint i = 0; i < N_PAGES; i++)
    {
      g_autofree char *after_js = g_strdup_printf ("JSON.stringify(netResumedAfter(%s, 15))",
                                                   answered);
      g_autofree char *after = NULL;
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *times;

      cdp_page_wait_true (scene->pages[i], resumed, 3 * ICE_RESTART_RESUME_MS);
      after = cdp_page_eval_string (scene->pages[i], after_js);
      g_test_message ("%s: 15 more frames from each, in ms after the answer: %s", names[i],
                      after);
      g_assert_true (json_parser_load_from_data (parser, after, -1, NULL));
      times = json_node_get_object (json_parser_get_root (parser));
      for (guint p = 0; p < N_PAGES; p++)
        {
          JsonNode *ms = p != i ? json_object_get_member (times, names[p]) : NULL;

          if (p == i)
            continue;
          if (ms == NULL || JSON_NODE_TYPE (ms) != JSON_NODE_VALUE
              || json_node_get_int (ms) > test_scaled_ms (ICE_RESTART_RESUME_MS))
            cdp_test_fail ("%s: %s's video did not resume within %u ms of the ICE restart",
                           names[i], names[p], test_scaled_ms (ICE_RESTART_RESUME_MS));
        }
    }
  assert_no_errors (scene);
  assert_no_srtp_errors (scene);
  net_scene_stop (scene);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  demo_scene_quiet_debug_logs ();
  /* Before anything can start a thread: the namespace is per thread. */
  netns_ok = test_netns_supported (&netns_why);
  if (netns_ok)
    test_netns_isolate ();
  g_test_add_func ("/browser/network/lossy", test_lossy);
  g_test_add_func ("/browser/network/uplink-cap", test_uplink_cap);
  g_test_add_func ("/browser/network/ice-restart", test_ice_restart);
  return g_test_run ();
}
