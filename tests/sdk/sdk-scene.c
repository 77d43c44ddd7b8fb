/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdk-scene.h"

#include <string.h>

/* ---- the scene -------------------------------------------------------------- */

/* $CONVOKE_TEST_TWILIO_VIDEO: 2.36.0; $CONVOKE_TEST_TWILIO_VIDEO_OLD:
 * 2.20.0. */
static const char *bundle_variable = "CONVOKE_TEST_TWILIO_VIDEO";

void
sdk_scene_use_old_release (void)
{
  bundle_variable = "CONVOKE_TEST_TWILIO_VIDEO_OLD";
}

const char *
sdk_bundle (void)
{
  const char *path = g_getenv (bundle_variable);

  return path != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR) ? path : NULL;
}

gboolean
skip_without_sdk (void)
{
  const char *why = NULL;
  g_autofree char *no_bundle = g_strdup_printf (
      "no twilio-video.min.js at $%s (tests/sdk/install-sdk installs it)",
      bundle_variable);

  if (!cdp_chromium_available ())
    why = "no Chromium (install the “chromium” package)";
  else if (sdk_bundle () == NULL)
    why = no_bundle;
  if (why == NULL)
    return FALSE;
  if (g_strcmp0 (g_getenv ("CONVOKE_TEST_REQUIRE_SDK"), "1") == 0)
    cdp_test_fail ("CONVOKE_TEST_REQUIRE_SDK=1 but %s", why);
  g_test_skip (why);
  return TRUE;
}

SdkScene *
scene_start (void)
{
  return scene_start_config (ROOMS_CONFIG);
}

SdkScene *
scene_start_config (const char *config)
{
  SdkScene *scene = g_new0 (SdkScene, 1);
  g_autofree char *native = NULL;

  scene->demo = demo_scene_start (config);
  scene->daemon = scene->demo->daemon;
  scene->browser = scene->demo->browser;
  scene->bundle = sdk_bundle ();
  native = test_daemon_signaling_url (scene->daemon);
  /* ws://127.0.0.1:PORT/v1/Signaling → ws://127.0.0.1:PORT/signaling */
  *strstr (native, "/v1/Signaling") = '\0';
  scene->ws_server = g_strconcat (native, "/signaling", NULL);
  return scene;
}

void
scene_stop (SdkScene *scene)
{
  demo_scene_stop (scene->demo);
  g_free (scene->ws_server);
  g_free (scene);
}

CdpPage *
scene_open (SdkScene *scene, const char *identity)
{
  const char *source_root = g_getenv ("CONVOKE_SOURCE_ROOT");
  g_autofree char *page_path
      = g_build_filename (source_root, "tests", "sdk", "sdk-page.html", NULL);
  g_autofree char *page_uri = g_filename_to_uri (page_path, NULL, NULL);
  g_autofree char *bundle_uri = g_filename_to_uri (scene->bundle, NULL, NULL);
  g_autofree char *escaped = g_uri_escape_string (bundle_uri, NULL, FALSE);
  g_autofree char *url = g_strconcat (page_uri, "?sdk=", escaped, NULL);
  CdpPage *page;

  g_assert_cmpuint (scene->n_pages, <, MAX_PAGES);
  page = cdp_page_open (scene->browser, url, identity);
  if (!cdp_page_wait_true (
          page, "window.sdkTest && (sdkTest.loaded || sdkTest.loadError)", 20000)
      || !cdp_page_wait_true (page, "sdkTest.loaded", 100))
    cdp_test_fail ("[%s] the SDK page did not load: %s", identity,
                   cdp_page_eval_string (page, "String(sdkTest.loadError)"));
  scene->pages[scene->n_pages] = page;
  scene->identities[scene->n_pages] = identity;
  scene->n_pages++;
  return page;
}

/* Video.connect() with a token for @identity; TRUE when it resolved. */
gboolean
page_connect (SdkScene *scene, CdpPage *page, const char *identity, const char *room,
              const char *token)
{
  g_autofree char *own_token
      = token == NULL ? test_daemon_token (scene->daemon, identity, room) : NULL;
  g_autofree char *token_js = cdp_js_string (token != NULL ? token : own_token);
  g_autofree char *room_js = cdp_js_string (room);
  g_autofree char *ws_js = cdp_js_string (scene->ws_server);
  g_autofree char *script = g_strdup_printf (
      "sdkTest.connect({token: %s, name: %s, wsServer: %s})", token_js, room_js, ws_js);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = cdp_page_eval (page, script, &error);

  g_assert_no_error (error);
  return JSON_NODE_HOLDS_VALUE (result) && json_node_get_boolean (result);
}

JsonObject *
page_status (CdpPage *page)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = cdp_page_eval (page, "sdkTest.status()", &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (result));
  return json_object_ref (json_node_get_object (result));
}

char *
describe (JsonObject *status)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, status);
  return json_to_string (node, FALSE);
}

gint64
int_member (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : 0;
}

const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
                 && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node)
             : NULL;
}

/* The remote track of @from named by @kind (and, when not NULL, @name)
 * in @status, or NULL. */
JsonObject *
remote_track (JsonObject *status, const char *from, const char *kind, const char *name)
{
  JsonObject *remote = cdp_object_member (cdp_object_member (status, "remotes"), from);
  JsonObject *tracks = cdp_object_member (remote, "tracks");
  g_autoptr (GList) sids = tracks != NULL ? json_object_get_members (tracks) : NULL;

  for (GList *l = sids; l != NULL; l = l->next)
    {
      JsonObject *track = cdp_object_member (tracks, l->data);

      if (g_strcmp0 (string_member (track, "kind"), kind) == 0
          && (name == NULL || g_strcmp0 (string_member (track, "name"), name) == 0)
          && json_object_get_boolean_member_with_default (track, "published", FALSE))
        return track;
    }
  return NULL;
}

/* Waits until @page decodes WANT_VIDEO_FRAMES frames and (when @audio)
 * WANT_AUDIO_PACKETS audio packets from each of @senders but itself. */
void
wait_receives (CdpPage *page, const char *self, const char *const *senders,
               gboolean audio)
{
  gint64 deadline = test_deadline (45000);
  g_autoptr (JsonObject) status = NULL;

  for (;;)
    {
      gboolean all = TRUE;

      g_clear_pointer (&status, json_object_unref);
      status = page_status (page);
      for (guint i = 0; senders[i] != NULL; i++)
        {
          JsonObject *video, *sound;

          if (g_str_equal (senders[i], self))
            continue;
          video = remote_track (status, senders[i], "video", NULL);
          sound = remote_track (status, senders[i], "audio", NULL);
          if (int_member (video, "frames") < WANT_VIDEO_FRAMES
              || (audio && int_member (sound, "audioPackets") < WANT_AUDIO_PACKETS))
            all = FALSE;
        }
      if (all)
        return;
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *text = describe (status);

          cdp_test_fail ("[%s] did not receive from everyone: %s", self, text);
        }
      g_usleep (250 * 1000);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
}

void
wait_state (CdpPage *page, const char *state)
{
  g_autofree char *script = g_strdup_printf ("sdkTest.state === '%s'", state);

  if (!cdp_page_wait_true (page, script, 20000))
    {
      g_autoptr (JsonObject) status = page_status (page);
      g_autofree char *text = describe (status);

      cdp_test_fail ("[%s] never reached state %s: %s", cdp_page_get_name (page), state,
                     text);
    }
}

gint64
error_code (CdpPage *page)
{
  g_autoptr (JsonObject) status = page_status (page);

  return int_member (cdp_object_member (status, "error"), "code");
}

/* Waits until the JavaScript @expression is true in @page; fails with
 * the page's status, saying @what was awaited, otherwise. */
void
wait_js (CdpPage *page, const char *expression, const char *what)
{
  if (!cdp_page_wait_true (page, expression, 20000))
    {
      g_autoptr (JsonObject) status = page_status (page);
      g_autofree char *text = describe (status);

      cdp_test_fail ("[%s] %s did not happen: %s", cdp_page_get_name (page), what, text);
    }
}

/* A JavaScript test over @from's remote tracks of @kind in the page. */
char *
js_remote_track (const char *from, const char *kind, const char *condition)
{
  return g_strdup_printf ("Object.values((sdkTest.remotes['%s'] || {tracks: {}}).tracks)"
                          ".some(t => t.kind === '%s' && (%s))",
                          from, kind, condition);
}

/* Frames @page presented so far from @from's video track named @name
 * (NULL: any). */
gint64
video_frames (CdpPage *page, const char *from, const char *name)
{
  g_autoptr (JsonObject) status = page_status (page);

  return int_member (remote_track (status, from, "video", name), "frames");
}

/* Waits until @page presented @frames more frames of @from's @name. */
void
wait_more_frames (CdpPage *page, const char *from, const char *name, gint64 frames)
{
  gint64 start = video_frames (page, from, name);
  gint64 deadline = test_deadline (30000);

  while (video_frames (page, from, name) < start + frames)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_autoptr (JsonObject) status = page_status (page);
          g_autofree char *text = describe (status);

          cdp_test_fail ("[%s] no %" G_GINT64_FORMAT " more frames of %s's %s: %s",
                         cdp_page_get_name (page), frames, from, name ? name : "video",
                         text);
        }
      demo_spin_for (250);
    }
}

SdkScene *
scene_with (const char *const *identities, const char *room)
{
  SdkScene *scene = scene_start ();

  for (guint i = 0; identities[i] != NULL; i++)
    {
      CdpPage *page = scene_open (scene, identities[i]);

      if (!page_connect (scene, page, identities[i], room, NULL))
        {
          g_autoptr (JsonObject) status = page_status (page);
          g_autofree char *text = describe (status);

          cdp_test_fail ("[%s] connect() failed: %s", identities[i], text);
        }
    }
  for (guint i = 0; i < scene->n_pages; i++)
    wait_receives (scene->pages[i], identities[i], identities, TRUE);
  return scene;
}
