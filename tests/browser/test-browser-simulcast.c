/* Simulcast in a group room, end to end, in headless Chromium: alice
 * publishes her camera as three RID layers (convoke.js's simulcast, at a
 * quarter, half and full resolution); bob and carol receive it. Carol asks
 * for the low layer (remoteVideoTrack.setPreferredLayer(0)) and decodes a
 * quarter of the width while bob keeps the full one; then she asks for the
 * high layer again and the width rises, with no gap of more than a second
 * between decoded frames from her request on.
 *
 * The pages are the demo page's origin only: this test drives convoke.js
 * directly, to choose the camera's size and the layers' bitrates.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "client-runner.h"
#include "demo-scene.h"

#define CONFIG                                                                           \
  "[server]\n"                                                                           \
  "dev-tokens=true\n"                                                                    \
  "[room:team]\n"                                                                        \
  "type=group\n"

/* Deadlines (base figures, scaled). Chromium starts sending its upper
 * layers once its bandwidth estimate allows them, which takes some
 * seconds without transport-wide feedback (docs/group-media.md). */
#define LAYERS_TIMEOUT_MS 45000
#define SWITCH_TIMEOUT_MS 15000
/* What counts as a freeze, and how long the other subscriber is watched. */
#define MAX_FRAME_GAP_MS 1000
#define WATCH_MS 3000

/* Joins @identity to "team" from @page; alice with a 960x540 camera sent as
 * three layers with small bitrates (so that a short test reaches the top
 * one), the others without media. Then samples the page's video receive
 * statistics every 50 ms: the decoded width and the longest time between
 * two decoded frames since window.sc.mark(). */
static void
join (CdpPage *page, const char *identity)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) joined = NULL;
  g_autofree char *identity_js = cdp_js_string (identity);
  g_autofree char *script = g_strdup_printf (
      "(async () => {"
      "  const Convoke = (await import('/convoke.js')).default;"
      "  const identity = %s;"
      "  const reply = await fetch(`/dev/token?identity=${identity}&room=team`);"
      "  const token = (await reply.json()).token;"
      "  let tracks = [];"
      "  if (identity === 'alice') {"
      "    const stream = await navigator.mediaDevices.getUserMedia({"
      "      video: { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: "
      "15 } } });"
      "    tracks = stream.getVideoTracks();"
      "    window.sentWidth = tracks[0].getSettings().width;"
      "  }"
      "  window.room = await Convoke.connect(null, token, { room: 'team', tracks, "
      "simulcast: ["
      "    { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 60000 },"
      "    { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 150000 },"
      "    { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 450000 } ] });"
      "  window.sc = { width: 0, frames: 0, last: 0, maxGap: 0,"
      "    mark() { this.maxGap = 0; this.last = performance.now(); } };"
      "  setInterval(async () => {"
      "    const report = await room._links.get('server').pc.getStats();"
      "    report.forEach((s) => {"
      "      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;"
      "      const now = performance.now();"
      "      if ((s.framesDecoded ?? 0) > sc.frames) {"
      "        if (sc.last) sc.maxGap = Math.max(sc.maxGap, now - sc.last);"
      "        sc.last = now;"
      "        sc.frames = s.framesDecoded;"
      "      }"
      "      sc.width = s.frameWidth ?? 0;"
      "    });"
      "  }, 50);"
      "  return true;"
      "})()",
      identity_js);

  joined = cdp_page_eval (page, script, &error);
  g_assert_no_error (error);
}

static char *
describe (CdpPage *page)
{
  return cdp_page_eval_string (
      page, "JSON.stringify({ width: sc.width, frames: sc.frames, maxGap: sc.maxGap })");
}

/* Waits until @page decodes alice's video @width wide. */
static void
wait_width (CdpPage *page, guint width, guint timeout_ms)
{
  g_autofree char *condition = g_strdup_printf ("sc.width === %u", width);

  if (!cdp_page_wait_true (page, condition, timeout_ms))
    {
      g_autofree char *state = describe (page);

      cdp_test_fail ("%s: no video %u wide within %u ms: %s", cdp_page_get_name (page),
                     width, test_scaled_ms (timeout_ms), state);
    }
  g_test_message ("%s decodes %u wide", cdp_page_get_name (page), width);
}

static void
set_layer (CdpPage *page, guint layer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) done = NULL;
  g_autofree char *script = g_strdup_printf (
      "(() => {"
      "  const alice = [...room.participants.values()].find((p) => p.identity === "
      "'alice');"
      "  const track = [...alice.tracks.values()].find((t) => t.kind === 'video');"
      "  sc.mark();"
      "  track.setPreferredLayer(%u);"
      "  return true;"
      "})()",
      layer);

  done = cdp_page_eval (page, script, &error);
  g_assert_no_error (error);
}

static guint
eval_uint (CdpPage *page, const char *expression)
{
  g_autofree char *text = cdp_page_eval_string (page, expression);

  return (guint) g_ascii_strtoull (text, NULL, 10);
}

static void
test_group_simulcast (void)
{
  DemoScene *scene;
  CdpPage *alice, *bob, *carol;
  guint full, low, gap;

  if (!cdp_chromium_available ())
    {
      g_test_skip ("no Chromium (install the “chromium” package)");
      return;
    }
  scene = demo_scene_start (CONFIG);
  alice = demo_scene_open_page (scene, "alice", NULL);
  bob = demo_scene_open_page (scene, "bob", NULL);
  carol = demo_scene_open_page (scene, "carol", NULL);
  join (bob, "bob");
  join (carol, "carol");
  join (alice, "alice");
  full = eval_uint (alice, "String(sentWidth)");
  low = full / 4;
  g_test_message ("alice sends %u wide: layers %u, %u and %u wide", full, low, full / 2,
                  full);

  /* Both get the top layer, once alice sends it. */
  wait_width (bob, full, LAYERS_TIMEOUT_MS);
  wait_width (carol, full, LAYERS_TIMEOUT_MS);

  /* Carol goes down; bob stays up. */
  set_layer (carol, 0);
  g_free (cdp_page_eval_string (bob, "(sc.mark(), '')"));
  wait_width (carol, low, SWITCH_TIMEOUT_MS);
  demo_spin_for (WATCH_MS);
  g_assert_cmpuint (eval_uint (bob, "String(sc.width)"), ==, full);
  g_assert_cmpuint (eval_uint (carol, "String(sc.width)"), ==, low);
  gap = eval_uint (bob, "String(Math.round(sc.maxGap))");
  g_test_message ("bob: longest gap between frames %u ms", gap);
  g_assert_cmpuint (gap, <, MAX_FRAME_GAP_MS);
  gap = eval_uint (carol, "String(Math.round(sc.maxGap))");
  g_test_message ("carol, going down: longest gap between frames %u ms", gap);
  g_assert_cmpuint (gap, <, MAX_FRAME_GAP_MS);

  /* And up again: the width rises, frames keep coming. */
  set_layer (carol, 2);
  wait_width (carol, full, SWITCH_TIMEOUT_MS);
  demo_spin_for (WATCH_MS);
  g_assert_cmpuint (eval_uint (carol, "String(sc.width)"), ==, full);
  gap = eval_uint (carol, "String(Math.round(sc.maxGap))");
  g_test_message ("carol, going up: longest gap between frames %u ms", gap);
  g_assert_cmpuint (gap, <, MAX_FRAME_GAP_MS);

  demo_scene_stop (scene);
}

static void
drop_log_message (const char *domain, GLogLevelFlags level, const char *message,
                  gpointer user_data)
{
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_handler ("libsoup", G_LOG_LEVEL_DEBUG, drop_log_message, NULL);
  g_log_set_handler ("GLib-GIO", G_LOG_LEVEL_DEBUG, drop_log_message, NULL);
  g_test_add_func ("/browser/group/simulcast", test_group_simulcast);
  return g_test_run ();
}
