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
  demo_page_connect_direct (bob, "team", "bob", 0, 0, NULL);
  demo_page_connect_direct (carol, "team", "carol", 0, 0, NULL);
  /* Small bitrates, so that Chromium's estimate soon allows the top one. */
  demo_page_connect_direct (
      alice, "team", "alice", 960, 540,
      "simulcast: ["
      "{ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 60000 },"
      "{ rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 150000 },"
      "{ rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 450000 } ]");
  full = demo_page_eval_uint (alice, "String(sentWidth)");
  low = full / 4;
  g_test_message ("alice sends %u wide: layers %u, %u and %u wide", full, low, full / 2,
                  full);

  /* Both get the top layer, once alice sends it. */
  demo_page_wait_video_width (bob, "alice", full, LAYERS_TIMEOUT_MS);
  demo_page_wait_video_width (carol, "alice", full, LAYERS_TIMEOUT_MS);

  /* Carol goes down; bob stays up. */
  demo_page_set_layer (carol, "alice", 0);
  g_free (cdp_page_eval_string (bob, "(demoMark('alice'), '')"));
  demo_page_wait_video_width (carol, "alice", low, SWITCH_TIMEOUT_MS);
  demo_spin_for (WATCH_MS);
  g_assert_cmpuint (demo_page_eval_uint (bob, "String(sc.alice.width)"), ==, full);
  g_assert_cmpuint (demo_page_eval_uint (carol, "String(sc.alice.width)"), ==, low);
  gap = demo_page_eval_uint (bob, "String(Math.round(sc.alice.maxGap))");
  g_test_message ("bob: longest gap between frames %u ms", gap);
  g_assert_cmpuint (gap, <, MAX_FRAME_GAP_MS);
  gap = demo_page_eval_uint (carol, "String(Math.round(sc.alice.maxGap))");
  g_test_message ("carol, going down: longest gap between frames %u ms", gap);
  g_assert_cmpuint (gap, <, MAX_FRAME_GAP_MS);

  /* And up again: the width rises, frames keep coming. */
  demo_page_set_layer (carol, "alice", 2);
  demo_page_wait_video_width (carol, "alice", full, SWITCH_TIMEOUT_MS);
  demo_spin_for (WATCH_MS);
  g_assert_cmpuint (demo_page_eval_uint (carol, "String(sc.alice.width)"), ==, full);
  gap = demo_page_eval_uint (carol, "String(Math.round(sc.alice.maxGap))");
  g_test_message ("carol, going up: longest gap between frames %u ms", gap);
  g_assert_cmpuint (gap, <, MAX_FRAME_GAP_MS);

  demo_scene_stop (scene);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  demo_scene_quiet_debug_logs ();
  g_test_add_func ("/browser/group/simulcast", test_group_simulcast);
  return g_test_run ();
}
