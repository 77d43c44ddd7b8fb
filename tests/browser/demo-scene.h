/* Test helper: the demo page (data/web/) driven in headless Chromium, one
 * window per participant, against a real convoked, as a person would use
 * it: fill the form, press Join, look at the grid.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cdp-browser.h"
#include "test-daemon.h"

G_BEGIN_DECLS

/* Deadlines, as base figures for an idle 2-core machine; the helpers
 * scale them (test_scaled_ms). */
#define DEMO_PAGE_LOAD_TIMEOUT_MS 20000
#define DEMO_JOIN_TIMEOUT_MS 20000
#define DEMO_MEDIA_TIMEOUT_MS 45000
#define DEMO_WANT_VIDEO_FRAMES 30
#define DEMO_WANT_AUDIO_PACKETS 25
#define DEMO_MAX_PAGES 4

typedef struct
{
  TestDaemon *daemon;
  CdpBrowser *browser;
  CdpPage *pages[DEMO_MAX_PAGES];
  const char *identities[DEMO_MAX_PAGES];
  guint n_pages;
} DemoScene;

/* A daemon started with @config (see test_daemon_start) and one Chromium. */
DemoScene *demo_scene_start (const char *config);
/* Drops libsoup's and GIO's debug messages: every CDP message would
 * otherwise log several, burying what the test itself reports. Call
 * once, from main(). */
void demo_scene_quiet_debug_logs (void);
/* Closes the browser, then stops the daemon (asserting a clean exit). */
void demo_scene_stop (DemoScene *scene);
/* Opens the demo page in a new window for @identity and waits until it has
 * loaded. @query (e.g. "?relay=1", "#token=…") is appended to the URL, or
 * NULL. */
CdpPage *demo_scene_open_page (DemoScene *scene, const char *identity, const char *query);

/* Fills the form and presses Join. */
void demo_page_join (CdpPage *page, const char *room, const char *identity);
/* Fails the test unless window.convokeDemo.state becomes @state
 * ("joined", "failed", "left", …) within @timeout_ms (a base figure,
 * scaled). */
void demo_page_wait_state (CdpPage *page, const char *state, guint timeout_ms);
/* State, status line, errors shown and captions, as JSON, for messages. */
char *demo_page_describe (CdpPage *page);
gboolean demo_page_text_contains (CdpPage *page, const char *needle);
/* The page shows "@self (you)" and a tile captioned with each of @others
 * (NULL-terminated; @self among them is skipped). */
void demo_assert_captions (CdpPage *page, const char *self, const char *const *others);

/* Makes the page send, instead of the fake camera (one device that every
 * page of the browser shares), a canvas painted in @identity's own colour
 * with its name. Call before demo_page_join(). Identities: alice, bob,
 * carol. */
void demo_page_paint_identity (CdpPage *page, const char *identity);
/* Every page shows each painted participant in the tile captioned with
 * that participant's name. */
void demo_assert_tiles_show_their_senders (DemoScene *scene);

/* Every page decodes DEMO_WANT_VIDEO_FRAMES video frames and
 * DEMO_WANT_AUDIO_PACKETS audio packets (and some samples) from every
 * identity in @senders other than its own, within DEMO_MEDIA_TIMEOUT_MS
 * (scaled). */
void demo_assert_pages_receive (DemoScene *scene, const char *const *senders);

/* Runs the default main context for @ms: a pause or an observation
 * window, not scaled (test_watch_for). */
void demo_spin_for (guint ms);

/* Simulcast tests: convoke.js driven directly from a demo page (for its
 * origin only), to choose the camera and the connect options. Joins
 * @room as @identity with a camera of @width × @height at 15 fps (0: no
 * media) and @options_js (more convoke.js connect options, e.g.
 * "simulcast: [...]", or NULL); window.room is the Room, window.sentWidth
 * the camera's width. Then samples the page's video receive statistics
 * every 50 ms into window.sc[identity of the publisher]: the decoded width
 * and, since demoMark(identity), the longest time between two decoded
 * frames. */
void demo_page_connect_direct (CdpPage *page, const char *room, const char *identity,
                               guint width, guint height, const char *options_js);
/* Waits until the page decodes @publisher's video @width wide. */
void demo_page_wait_video_width (CdpPage *page, const char *publisher, guint width,
                                 guint timeout_ms);
/* remoteVideoTrack.setPreferredLayer(@layer) on @publisher's video, after
 * demoMark(@publisher). */
void demo_page_set_layer (CdpPage *page, const char *publisher, guint layer);
/* A whole number the page computes (@expression gives a string). */
guint demo_page_eval_uint (CdpPage *page, const char *expression);

G_END_DECLS
