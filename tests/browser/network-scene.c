/* The scene of the browser network tests (test-browser-network.c): a
 * group room, convoked logging to a file, and three headless-Chromium
 * participants, alice and bob in the test's own namespace and carol
 * behind an impaired link (tests/harness/test-netns.h). Each page samples
 * its own statistics every 100 ms (window.net), so that gaps are measured
 * in the page, not by polling over CDP.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "network-scene.h"

#include <fcntl.h>
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client-runner.h"

#define ROOM "net"

const char *const net_names[NET_N_PAGES] = { "alice", "bob", "carol" };

/* The sampler every page runs: per publisher, video frames decoded and
 * the longest time without a new one since netMark(), the decoded width
 * (and, since netMark(), the narrowest and widest; every change and gap over
 * 500 ms, on the wall clock), NACKs sent, retransmissions received, audio
 * packets lost and received; its own send-side estimate; the error codes
 * convoke.js reported. The camera is optional (width 0: audio only), and
 * more connect options (simulcast) may follow the tracks. */
#define NET_PAGE_JS                                                                      \
  "(async () => {"                                                                       \
  "  const Convoke = (await import('/convoke.js')).default;"                             \
  "  const query = new URLSearchParams({ identity: %s, room: %s });"                     \
  "  const token = (await (await fetch(`/dev/token?${query}`)).json()).token;"           \
  "  const raise = %s, busyPicture = %s;"                                                \
  "  const width = %u, height = %u;"                                                     \
  "  const stream = await navigator.mediaDevices.getUserMedia({ audio: true,"            \
  "    video: width > 0 && { width: { ideal: width }, height: { ideal: height },"        \
  "      frameRate: { ideal: 15 } } });"                                                 \
  "  window.net = { codes: [], from: {}, bwe: null, minBwe: null, maxBwe: null,"         \
  "    marked: false, history: [],"                                                      \
  "    sentWidth: stream.getVideoTracks()[0]?.getSettings().width ?? 0, outs: {} };"     \
  "  let tracks = stream.getTracks();"                                                   \
  "  if (busyPicture && width > 0) {"                                                    \
  "    const canvas = Object.assign(document.createElement('canvas'),"                   \
  "      { width: net.sentWidth, height: stream.getVideoTracks()[0].getSettings().height });" \
  "    const g = canvas.getContext('2d');"                                               \
  "    const paint = (share) => {"                                                       \
  "      for (let y = 0; y < canvas.height; y += 20)"                                    \
  "        for (let x = 0; x < canvas.width; x += 20) {"                                 \
  "          if (Math.random() >= share) continue;"                                      \
  "          g.fillStyle = `hsl(${Math.random() * 360} 80%% ${20 + Math.random() * 60}%%)`;" \
  "          g.fillRect(x, y, 20, 20);"                                                  \
  "        }"                                                                            \
  "    };"                                                                               \
  "    paint(1);"                                                                        \
  "    setInterval(() => paint(0.1), 66);"                                               \
  "    tracks = [...stream.getAudioTracks(), canvas.captureStream(15).getVideoTracks()[0]];" \
  "  }"                                                                                  \
  "  window.room = await Convoke.connect(null, token,"                                   \
  "    { room: %s, tracks, %s });"                                                       \
  "  room.on('warning', (e) => net.codes.push(e.code));"                                 \
  "  room.on('mediaConnectionFailed', () => net.codes.push(53405));"                     \
  "  room.on('disconnected', (r, e) => net.codes.push(e ? e.code : 'disconnected'));"    \
  "  const sample = async () => {"                                                       \
  "    const link = room._links.get('server');"                                          \
  "    if (!link) return;"                                                               \
  "    const sender = link.pc.getSenders().find((s) => s.track?.kind === 'video');"      \
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
  "      else if (s.type === 'outbound-rtp' && s.kind === 'video') net.outs[s.rid ?? ''] =" \
  "        net.out = { bytes: s.bytesSent, frames: s.framesEncoded,"                     \
  "        width: s.frameWidth, fps: s.framesPerSecond, limit: s.qualityLimitationReason," \
  "        target: s.targetBitrate };"                                                   \
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
  "          audioReceived: 0, width: 0, minWidth: null, maxWidth: null, widths: [],"    \
  "          gaps: [] });"                                                               \
  "        if (s.kind === 'video') {"                                                    \
  "          if ((s.framesDecoded ?? 0) > f.frames) {"                                   \
  "            const gap = now - f.last;"                                                \
  "            if (f.last && net.marked) f.maxGap = Math.max(f.maxGap, gap);"            \
  "            if (f.last && gap > 500) f.gaps.push([Date.now(), Math.round(gap)]);"     \
  "            f.last = now;"                                                            \
  "            f.frames = s.framesDecoded;"                                              \
  "          }"                                                                          \
  "          if (s.frameWidth && s.frameWidth !== f.width) {"                            \
  "            f.width = s.frameWidth;"                                                  \
  "            f.widths.push([Date.now(), f.width]);"                                    \
  "          }"                                                                          \
  "          if (s.frameWidth && net.marked) {"                                          \
  "            f.minWidth = Math.min(f.minWidth ?? Infinity, s.frameWidth);"             \
  "            f.maxWidth = Math.max(f.maxWidth ?? 0, s.frameWidth);"                    \
  "          }"                                                                          \
  "          f.nacks = s.nackCount ?? 0;"                                                \
  "          f.rtx = s.retransmittedPacketsReceived ?? 0;"                               \
  "          f.videoLost = s.packetsLost ?? 0;"                                          \
  "        } else {"                                                                     \
  "          f.audioLost = s.packetsLost ?? 0;"                                          \
  "          f.audioReceived = s.packetsReceived ?? 0;"                                  \
  "        }"                                                                            \
  "      }"                                                                              \
  "    net.history.push({ t: Date.now(), frames: Object.fromEntries("                    \
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
  "      f.maxGap = 0; f.last = now; f.minWidth = f.maxWidth = null;"                    \
  "      f.at = { ...f, at: undefined };"                                                \
  "    }"                                                                                \
  "  };"                                                                                 \
  "  window.netReport = () => {"                                                         \
  "    const now = performance.now(), out = {};"                                         \
  "    for (const [id, f] of Object.entries(net.from)) {"                                \
  "      const a = f.at ?? { frames: 0, nacks: 0, rtx: 0, videoLost: 0,"                 \
  "        audioLost: 0, audioReceived: 0 };"                                            \
  "      out[id] = { frames: f.frames - a.frames,"                                       \
  "        maxGap: Math.round(Math.max(f.maxGap, f.last ? now - f.last : 0)),"           \
  "        nacks: f.nacks - a.nacks, rtx: f.rtx - a.rtx,"                                \
  "        videoLost: f.videoLost - a.videoLost,"                                        \
  "        audioLost: f.audioLost - a.audioLost,"                                        \
  "        audioReceived: f.audioReceived - a.audioReceived,"                            \
  "        width: f.width, minWidth: f.minWidth, maxWidth: f.maxWidth };"                \
  "    }"                                                                                \
  "    return JSON.stringify({ from: out, bwe: net.bwe, minBwe: net.minBwe,"             \
  "      maxBwe: net.maxBwe, codes: net.codes, state: room.state });"                    \
  "  };"                                                                                 \
  "  window.netResumedAfter = (t0, more) => {"                                           \
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
open_page (CdpBrowser *browser, const char *base, const char *identity,
           const NetPublish *publish)
{
  g_autofree char *url = g_strconcat (base, "/", NULL);
  g_autofree char *identity_js = cdp_js_string (identity);
  g_autofree char *room_js = cdp_js_string (ROOM);
  g_autofree char *script = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) joined = NULL;
  CdpPage *page = cdp_page_open (browser, url, identity);

  if (!cdp_page_wait_true (page, "document.readyState === 'complete'",
                           NET_PAGE_LOAD_TIMEOUT_MS))
    cdp_test_fail ("[%s] %s did not load", identity, url);
  script = g_strdup_printf (NET_PAGE_JS, identity_js, room_js,
                            publish->raise ? "true" : "false",
                            publish->busy_picture ? "true" : "false", publish->width,
                            publish->height, room_js,
                            publish->options_js != NULL ? publish->options_js : "");
  joined = cdp_page_eval (page, script, &error);
  g_assert_no_error (error);
  return page;
}

NetScene *
net_scene_start (const char *const *impairment, const NetPublish *publish,
                 const char *gst_debug)
{
  NetScene *scene = g_new0 (NetScene, 1);
  g_autofree char *config = NULL, *near_base = NULL, *far_base = NULL;
  g_autofree char *secure = NULL, *camera = NULL;

  scene->link = test_link_new (1, impairment);
  scene->log_path = g_build_filename (g_get_tmp_dir (), "convoke-netns-XXXXXX.log", NULL);
  g_close (g_mkstemp (scene->log_path), NULL);
  /* Removed by net_scene_stop; a test that fails keeps it for a look. */
  g_test_message ("convoked's log: %s", scene->log_path);
  /* The workers' SRTP elements warn when a packet cannot be protected or
   * unprotected; let them say so in the log. */
  g_setenv ("GST_DEBUG", gst_debug != NULL ? gst_debug : "srtpenc:2,srtpdec:2", TRUE);
  /* Listen and gather on the link's server side too, not only loopback. */
  config = g_strdup_printf ("[server]\nlisten=0.0.0.0:0\ndev-tokens=true\n"
                            "[room:" ROOM "]\ntype=group\n"
                            "[type:group]\nice-addresses=127.0.0.1,%s\n",
                            test_link_server_address (scene->link));
  scene->daemon = start_daemon_logged (config, scene->log_path);
  near_base = g_strdup_printf ("http://127.0.0.1:%u", daemon_port (scene->daemon));
  far_base = g_strdup_printf ("http://%s:%u", test_link_server_address (scene->link),
                              daemon_port (scene->daemon));

  {
    const char *near_args[] = { NULL, NULL, NULL };
    CdpLaunchOptions options = { NULL, NULL, near_args };

    for (guint i = 0; i < NET_N_PAGES; i++)
      if (i != NET_FAR && publish[i].camera_file != NULL)
        {
          g_free (camera);
          camera = g_strconcat ("--use-file-for-fake-video-capture=",
                                publish[i].camera_file, NULL);
          near_args[0] = camera;
          /* Chromium limits simulcast by resolution (two layers below
           * 960 × 540); three layers of a small picture spare the cores. */
          near_args[1] = "--force-fieldtrials=WebRTC-LegacySimulcastLayerLimit/Disabled/";
        }
    scene->near = cdp_browser_launch_full (&options);
  }
  {
    /* Camera and microphone need a secure context: 127.0.0.1 is one, the
     * link's address is not. */
    const char *far_args[] = { NULL, NULL };
    CdpLaunchOptions options = { wrap_in_link, scene->link, far_args };

    secure = g_strconcat ("--unsafely-treat-insecure-origin-as-secure=", far_base, NULL);
    far_args[0] = secure;
    scene->far = cdp_browser_launch_full (&options);
  }
  for (guint i = 0; i < NET_N_PAGES; i++)
    scene->pages[i] = open_page (i == NET_FAR ? scene->far : scene->near,
                                 i == NET_FAR ? far_base : near_base, net_names[i],
                                 &publish[i]);

  for (guint i = 0; i < NET_N_PAGES; i++)
    for (guint j = 0; j < NET_N_PAGES; j++)
      {
        g_autofree char *name_js = cdp_js_string (net_names[j]);
        g_autofree char *flowing = g_strdup_printf (
            "net.from[%s]?.frames >= %d && net.from[%s]?.audioReceived >= 25", name_js,
            publish[j].width > 0 ? 30 : 0, name_js);

        if (i != j && !cdp_page_wait_true (scene->pages[i], flowing, NET_MEDIA_TIMEOUT_MS))
          cdp_test_fail ("%s decodes no media from %s within %u ms: %s", net_names[i],
                         net_names[j], test_scaled_ms (NET_MEDIA_TIMEOUT_MS),
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

void
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

JsonObject *
net_page_report (CdpPage *page)
{
  g_autofree char *text = cdp_page_eval_string (page, "netReport()");
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    cdp_test_fail ("[%s] netReport() gave %s", cdp_page_get_name (page), text);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

gint64
net_member_int (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
             ? (gint64) json_node_get_double (node)
             : -1;
}

void
net_mark_all (NetScene *scene)
{
  for (guint i = 0; i < NET_N_PAGES; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) done = cdp_page_eval (scene->pages[i], "netMark()", &error);

      g_assert_no_error (error);
    }
}

/* No page got an error code (53405 above all) or left the room. */
void
net_assert_no_errors (NetScene *scene)
{
  for (guint i = 0; i < NET_N_PAGES; i++)
    {
      g_autofree char *codes
          = cdp_page_eval_string (scene->pages[i], "JSON.stringify(net.codes)");
      g_autofree char *state = cdp_page_eval_string (scene->pages[i], "room.state");

      if (!g_str_equal (codes, "[]") || !g_str_equal (state, "connected"))
        cdp_test_fail ("%s: errors %s, state %s", net_names[i], codes, state);
    }
}

void
net_assert_no_srtp_errors (NetScene *scene)
{
  g_autofree char *errors = srtp_errors (scene);

  if (*errors != '\0')
    cdp_test_fail ("the worker logged SRTP errors:\n%s", errors);
}

char *
net_camera_file_new (guint width, guint height, guint seconds)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("convoke-camera-XXXXXX", &error);
  g_autofree char *path = NULL, *description = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  guint box_width, box_height;

  g_assert_no_error (error);
  gst_init (NULL, NULL);
  path = g_build_filename (dir, "camera.y4m", NULL);
  /* The box: 300 × 168 of 640 × 360, centred; its noise in 2 × 2 blocks
   * (made at half size, scaled up without interpolation), which the
   * layers' downscaling averages less away than pixel noise. */
  box_width = (width * 15 / 32) & ~3u;
  box_height = (height * 7 / 15) & ~3u;
  description = g_strdup_printf (
      "compositor name=mix sink_1::xpos=%u sink_1::ypos=%u"
      " ! video/x-raw,format=I420,width=%u,height=%u,framerate=15/1"
      " ! y4menc ! filesink location=\"%s\""
      " videotestsrc pattern=smpte num-buffers=%u"
      " ! video/x-raw,width=%u,height=%u,framerate=15/1 ! mix.sink_0"
      " videotestsrc pattern=snow num-buffers=%u"
      " ! video/x-raw,width=%u,height=%u,framerate=15/1"
      " ! videoscale method=nearest-neighbour ! video/x-raw,width=%u,height=%u"
      " ! mix.sink_1",
      (width - box_width) / 2, (height - box_height) / 2, width, height, path,
      seconds * 15, width, height, seconds * 15, box_width / 2, box_height / 2,
      box_width, box_height);
  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
                                        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) gst_error = NULL;

      gst_message_parse_error (message, &gst_error, NULL);
      g_error ("could not write the camera file %s: %s", path, gst_error->message);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return g_steal_pointer (&path);
}

void
net_camera_file_remove (char *path)
{
  g_autofree char *dir = path ? g_path_get_dirname (path) : NULL;

  if (path == NULL)
    return;
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
}
