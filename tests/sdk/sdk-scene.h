/* Test helper for tests/sdk/: the scene of one daemon, one Chromium and
 * SDK pages (tests/sdk/sdk-page.html), and what the tests wait for and
 * read from those pages.
 *
 * Every deadline here is a base figure for an idle 2-core machine: the
 * harness's helpers (cdp_page_wait_true, test_deadline, ...) scale it by
 * the one knob, $CONVOKE_TEST_TIME_SCALE (test-time.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "client-runner.h"
#include "demo-scene.h"

G_BEGIN_DECLS

#define ROOMS_CONFIG                                                                     \
  "[server]\n"                                                                           \
  "dev-tokens=true\n"                                                                    \
  "[room:team]\n"                                                                        \
  "type=group\n"                                                                         \
  "[room:trio]\n"                                                                        \
  "type=peer-to-peer\n"                                                                  \
  "[room:duo]\n"                                                                         \
  "type=go\n"

#define WANT_VIDEO_FRAMES 30
#define WANT_AUDIO_PACKETS 25
#define MAX_PAGES 4

typedef struct
{
  /* the daemon, the browser, and any demo-page (convoke.js) participants */
  DemoScene *demo;
  TestDaemon *daemon;
  CdpBrowser *browser;
  const char *bundle;
  char *ws_server;
  CdpPage *pages[MAX_PAGES];
  const char *identities[MAX_PAGES];
  guint n_pages;
} SdkScene;

/* --old: every case with the older 2.x bundle ($CONVOKE_TEST_TWILIO_VIDEO_OLD). */
void sdk_scene_use_old_release (void);

/* The scene (sdk-scene.c says more of each): start, open pages, connect
 * them; read a page's sdkTest.status() and its remote tracks; wait for
 * what should happen (failing the test with the page's status when it
 * does not). */
void sdk_scene_use_old_release (void);
const char *sdk_bundle (void);
gboolean skip_without_sdk (void);
SdkScene *scene_start (void);
/* The same with @config instead of ROOMS_CONFIG for the daemon. */
SdkScene *scene_start_config (const char *config);
void scene_stop (SdkScene *scene);
CdpPage *scene_open (SdkScene *scene, const char *identity);
gboolean page_connect (SdkScene *scene, CdpPage *page, const char *identity,
                       const char *room, const char *token);
JsonObject *page_status (CdpPage *page);
char *describe (JsonObject *status);
gint64 int_member (JsonObject *object, const char *name);
const char *string_member (JsonObject *object, const char *name);
JsonObject *remote_track (JsonObject *status, const char *from, const char *kind,
                          const char *name);
void wait_receives (CdpPage *page, const char *self, const char *const *senders,
                    gboolean audio);
void wait_state (CdpPage *page, const char *state);
gint64 error_code (CdpPage *page);
void wait_js (CdpPage *page, const char *expression, const char *what);
char *js_remote_track (const char *from, const char *kind, const char *condition);
gint64 video_frames (CdpPage *page, const char *from, const char *name);
void wait_more_frames (CdpPage *page, const char *from, const char *name, gint64 frames);
SdkScene *scene_with (const char *const *identities, const char *room);

G_END_DECLS
