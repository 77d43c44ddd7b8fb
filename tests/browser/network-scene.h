/* The scene of the browser network tests (issue 14): a group room in
 * convoked, whose stderr (and its workers') goes to a file, and three
 * headless-Chromium participants: alice and bob, pages of one Chromium in
 * the test's own namespace, and carol (NET_FAR), a page of a second one
 * behind an impaired link (tests/harness/test-netns.h).
 *
 * Each page runs a sampler of its own every 100 ms (window.net): per
 * publisher, frames decoded and the longest gap between them since
 * netMark(), the decoded width (its changes and every gap over 500 ms on
 * the wall clock, one clock for all namespaces), NACKs, retransmissions,
 * audio lost and received; its own send-side estimate; error codes.
 * netReport() gives them as JSON, relative to the last netMark().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "demo-scene.h"
#include "test-netns.h"

G_BEGIN_DECLS

#define NET_N_PAGES 3
#define NET_FAR 2 /* the page behind the link */

/* Deadlines, base figures (scaled). */
#define NET_PAGE_LOAD_TIMEOUT_MS 20000
#define NET_MEDIA_TIMEOUT_MS 45000

/* "alice", "bob", "carol". */
extern const char *const net_names[NET_N_PAGES];

/* What one participant publishes: always the fake microphone, and the
 * fake camera at @width × @height, 15 fps (0: no video). */
typedef struct
{
  guint width, height;
  /* Lets the first encoding take up to 2 Mbit/s (Chromium's default
   * limit for its camera is 600 kbit/s). */
  gboolean raise;
  /* Sends, instead of the fake camera (whose simple picture VP8 codes in
   * some 200 kbit/s even at 960 × 540), a canvas of the camera's size
   * tiled with 20-pixel squares of random colours, a tenth of them
   * repainted 15 times a second, so that every layer takes about its
   * maxBitrate. */
  gboolean busy_picture;
  /* More convoke.js connect options, e.g. "simulcast: [...]", or NULL. */
  const char *options_js;
  /* A y4m file that the page's Chromium plays as its fake camera, looped
   * (alice and bob share one Chromium, so it is both of theirs), or NULL
   * for Chromium's own moving pattern. net_camera_file_new() makes one. */
  const char *camera_file;
} NetPublish;

/* A y4m file of @seconds at @width × @height, 15 fps, in a temporary
 * directory (g_free the path; net_camera_file_remove() removes it): SMPTE
 * bars with a box of random noise over a fifth of the picture, new in
 * every frame (videotestsrc's "snow"). Noise cannot be predicted from the
 * previous frame, so each simulcast layer needs a known rate: at
 * 640 × 360, VP8 (libvpx, quantizer 50-56, Chromium's limit) takes
 * 70-110, 380-530 and 1300-1750 kbit/s for the layers 160, 320 and 640
 * wide. Neither Chromium's own camera picture (its middle layer some
 * 100 kbit/s) nor a canvas (1-4 fps in headless Chromium) gave that; a
 * picture all noise needed 4-8 times the layers' limits, and VP8 drops
 * frames then. */
char *net_camera_file_new (guint width, guint height, guint seconds);
void net_camera_file_remove (char *path);

typedef struct
{
  TestDaemon *daemon;
  TestLink *link;
  CdpBrowser *near; /* alice and bob, in the test's namespace */
  CdpBrowser *far;  /* carol, behind the link */
  CdpPage *pages[NET_N_PAGES];
  char *log_path; /* convoked's and its workers' stderr */
} NetScene;

/* Link 1 with @impairment's initial settings, convoked (with $GST_DEBUG
 * set to @gst_debug, or NULL for SRTP warnings only), and the three pages
 * publishing what @publish (NET_N_PAGES entries) says. Returns once every
 * page decodes 25 audio packets, and 30 video frames, from every other
 * one that publishes them. */
NetScene *net_scene_start (const char *const *impairment, const NetPublish *publish,
                           const char *gst_debug);
/* Closes the browsers, stops the daemon and copies its log into the
 * test's log (the file itself is removed; a failed test keeps it). */
void net_scene_stop (NetScene *scene);

/* A page's netReport(), parsed. */
JsonObject *net_page_report (CdpPage *page);
/* A number member of @object (which may be NULL), or -1. */
gint64 net_member_int (JsonObject *object, const char *name);
/* netMark() in every page: gaps, narrowest widths and counts restart. */
void net_mark_all (NetScene *scene);
/* No page got an error code (53405 above all) or left the room. */
void net_assert_no_errors (NetScene *scene);
/* The worker logged no SRTP error. */
void net_assert_no_srtp_errors (NetScene *scene);

G_END_DECLS
