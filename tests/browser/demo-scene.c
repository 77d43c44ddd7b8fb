/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "demo-scene.h"

#include "client-runner.h"

DemoScene *
demo_scene_start (const char *config)
{
  DemoScene *scene = g_new0 (DemoScene, 1);

  scene->daemon = test_client_daemon_start (config);
  scene->browser = cdp_browser_launch ();
  return scene;
}

static void
drop_log_message (const char *domain, GLogLevelFlags level, const char *message,
                  gpointer user_data)
{
}

void
demo_scene_quiet_debug_logs (void)
{
  g_log_set_handler ("libsoup", G_LOG_LEVEL_DEBUG, drop_log_message, NULL);
  g_log_set_handler ("GLib-GIO", G_LOG_LEVEL_DEBUG, drop_log_message, NULL);
}

void
demo_scene_stop (DemoScene *scene)
{
  cdp_browser_close (scene->browser);
  test_daemon_stop (scene->daemon);
  g_free (scene);
}

CdpPage *
demo_scene_open_page (DemoScene *scene, const char *identity, const char *query)
{
  g_autofree char *url = g_strconcat (scene->daemon->base_url, "/", query, NULL);
  CdpPage *page;

  g_assert_cmpuint (scene->n_pages, <, DEMO_MAX_PAGES);
  page = cdp_page_open (scene->browser, url, identity);
  if (!cdp_page_wait_true (page,
                           "document.readyState === 'complete' && "
                           "typeof window.convokeDemo === 'object'",
                           DEMO_PAGE_LOAD_TIMEOUT_MS))
    cdp_test_fail ("[%s] the demo page at %s did not load", identity, url);
  scene->pages[scene->n_pages] = page;
  scene->identities[scene->n_pages] = identity;
  scene->n_pages++;
  return page;
}

/* Fills the form and presses Join, as a person would. */
void
demo_page_join (CdpPage *page, const char *room, const char *identity)
{
  g_autofree char *room_js = cdp_js_string (room);
  g_autofree char *identity_js = cdp_js_string (identity);
  g_autofree char *script
      = g_strdup_printf ("(() => {"
                         "  document.getElementById('room').value = %s;"
                         "  document.getElementById('name').value = %s;"
                         "  document.getElementById('join').click();"
                         "  return true;"
                         "})()",
                         room_js, identity_js);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = cdp_page_eval (page, script, &error);

  g_assert_no_error (error);
}

char *
demo_page_describe (CdpPage *page)
{
  return cdp_page_eval_string (
      page, "JSON.stringify({state: convokeDemo.state, "
            "status: document.getElementById('status').innerText, "
            "errors: convokeDemo.errors, captions: convokeDemo.captions()})");
}

void
demo_page_wait_state (CdpPage *page, const char *state, guint timeout_ms)
{
  g_autofree char *state_js = cdp_js_string (state);
  g_autofree char *expression = g_strdup_printf ("convokeDemo.state === %s", state_js);

  if (!cdp_page_wait_true (page, expression, timeout_ms))
    {
      g_autofree char *seen = demo_page_describe (page);
      cdp_test_fail ("[%s] expected state “%s” within %u ms; the page shows %s",
                     cdp_page_get_name (page), state, test_scaled_ms (timeout_ms), seen);
    }
}

static JsonObject *
demo_page_received (CdpPage *page)
{
  g_autofree char *text = cdp_page_eval_string (
      page, "convokeDemo.receivedFrom().then((r) => JSON.stringify(r))");
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return json_object_new ();
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gboolean
receives_from (JsonObject *received, const char *identity)
{
  JsonObject *from = cdp_object_member (received, identity);

  return from != NULL
         && json_object_get_int_member_with_default (from, "video", 0)
                >= DEMO_WANT_VIDEO_FRAMES
         && json_object_get_int_member_with_default (from, "audioPackets", 0)
                >= DEMO_WANT_AUDIO_PACKETS
         && json_object_get_int_member_with_default (from, "audioSamples", 0) > 0;
}

/* Whether every page decodes video and audio from every identity in
 * @senders other than its own. */
static gboolean
demo_pages_receive (DemoScene *scene, const char *const *senders, gboolean log)
{
  gboolean all = TRUE;

  for (guint i = 0; i < scene->n_pages; i++)
    {
      g_autoptr (JsonObject) received = demo_page_received (scene->pages[i]);

      for (guint j = 0; senders[j] != NULL; j++)
        if (!g_str_equal (senders[j], scene->identities[i])
            && !receives_from (received, senders[j]))
          all = FALSE;
      if (log)
        {
          g_autoptr (JsonNode) node
              = json_node_init_object (json_node_alloc (), received);
          g_autofree char *text = json_to_string (node, FALSE);
          g_autofree char *seen = demo_page_describe (scene->pages[i]);

          g_test_message ("[%s] receives %s; page: %s", scene->identities[i], text, seen);
        }
    }
  return all;
}

void
demo_spin_for (guint ms)
{
  test_watch_for (NULL, NULL, ms);
}

void
demo_assert_pages_receive (DemoScene *scene, const char *const *senders)
{
  gint64 deadline = test_deadline (DEMO_MEDIA_TIMEOUT_MS);

  while (!demo_pages_receive (scene, senders, FALSE))
    {
      if (g_get_monotonic_time () > deadline)
        {
          demo_pages_receive (scene, senders, TRUE);
          cdp_test_fail (
              "not every page decoded %d video frames and %d audio packets from "
              "every other participant within %u ms (see the log above)",
              DEMO_WANT_VIDEO_FRAMES, DEMO_WANT_AUDIO_PACKETS,
              test_scaled_ms (DEMO_MEDIA_TIMEOUT_MS));
        }
      demo_spin_for (500);
    }
  demo_pages_receive (scene, senders, TRUE);
}

gboolean
demo_page_text_contains (CdpPage *page, const char *needle)
{
  g_autofree char *text = cdp_page_eval_string (page, "document.body.innerText");

  return strstr (text, needle) != NULL;
}

void
demo_assert_captions (CdpPage *page, const char *self, const char *const *others)
{
  g_autofree char *own = g_strdup_printf ("%s (you)", self);

  g_assert_true (demo_page_text_contains (page, own));
  for (guint i = 0; others[i] != NULL; i++)
    if (!g_str_equal (others[i], self))
      {
        g_autofree char *script = NULL;
        g_autofree char *name_js = cdp_js_string (others[i]);

        script = g_strdup_printf ("convokeDemo.captions().includes(%s)", name_js);
        g_assert_true (cdp_page_wait_true (page, script, 5000));
      }
}

/* The fake camera is one device shared by every page of the browser, so
 * all pages would send the same picture. To tell senders apart in the
 * grid, a page can send a canvas instead: a solid colour of its own with
 * its name and a moving square (audio stays the fake microphone). */
static const struct
{
  const char *identity;
  guint8 rgb[3];
} painted[] = {
  { "alice", { 200, 0, 0 } },
  { "bob", { 0, 160, 0 } },
  { "carol", { 0, 0, 200 } },
};

static const guint8 *
painted_colour (const char *identity)
{
  for (guint i = 0; i < G_N_ELEMENTS (painted); i++)
    if (g_str_equal (painted[i].identity, identity))
      return painted[i].rgb;
  return NULL;
}

void
demo_page_paint_identity (CdpPage *page, const char *identity)
{
  const guint8 *rgb = painted_colour (identity);
  g_autofree char *name_js = cdp_js_string (identity);
  g_autofree char *script = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = NULL;

  g_assert_nonnull (rgb);
  script = g_strdup_printf (
      "(() => {"
      "  const md = navigator.mediaDevices;"
      "  const real = md.getUserMedia.bind(md);"
      "  md.getUserMedia = async () => {"
      "    const mic = await real({audio: true});"
      "    const canvas = document.createElement('canvas');"
      "    canvas.width = 320; canvas.height = 240;"
      "    const g = canvas.getContext('2d');"
      "    let n = 0;"
      "    const draw = () => {"
      "      g.fillStyle = 'rgb(%u,%u,%u)'; g.fillRect(0, 0, 320, 240);"
      "      g.fillStyle = '#fff'; g.font = 'bold 48px sans-serif';"
      "      g.fillText(%s, 40, 130); g.fillRect((n++ * 8) %% 300, 190, 20, 20);"
      "    };"
      "    draw(); setInterval(draw, 66);"
      "    return new MediaStream([...mic.getAudioTracks(),"
      "                            ...canvas.captureStream(15).getVideoTracks()]);"
      "  };"
      "  return true;"
      "})()",
      rgb[0], rgb[1], rgb[2], name_js);
  result = cdp_page_eval (page, script, &error);
  g_assert_no_error (error);
}

/* Caption -> [r, g, b] near the top left corner of the tile's current
 * frame (the background, away from the name and the square). */
static JsonObject *
demo_page_tile_colours (CdpPage *page)
{
  g_autofree char *text = cdp_page_eval_string (
      page, "(() => {"
            "  const out = {};"
            "  for (const fig of document.querySelectorAll('#grid figure')) {"
            "    const v = fig.querySelector('video');"
            "    const caption = fig.querySelector('figcaption').textContent;"
            "    if (!v.videoWidth) { out[caption] = null; continue; }"
            "    const c = document.createElement('canvas');"
            "    c.width = 32; c.height = 24;"
            "    const g = c.getContext('2d');"
            "    g.drawImage(v, 0, 0, 32, 24);"
            "    out[caption] = [...g.getImageData(1, 1, 1, 1).data.slice(0, 3)];"
            "  }"
            "  return JSON.stringify(out);"
            "})()");
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Lossy video shifts colours a little; the three painted ones are far
 * apart. */
#define COLOUR_TOLERANCE 60

static gboolean
colour_matches (JsonObject *colours, const char *caption, const guint8 *want)
{
  JsonNode *node = json_object_get_member (colours, caption);
  JsonArray *rgb;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  rgb = json_node_get_array (node);
  if (json_array_get_length (rgb) != 3)
    return FALSE;
  for (guint c = 0; c < 3; c++)
    if (ABS ((gint64) json_array_get_int_element (rgb, c) - (gint64) want[c])
        > COLOUR_TOLERANCE)
      return FALSE;
  return TRUE;
}

/* Every page shows each painted sender in the tile captioned with that
 * sender's name, so tracks reach the right participant. */
void
demo_assert_tiles_show_their_senders (DemoScene *scene)
{
  for (guint i = 0; i < scene->n_pages; i++)
    {
      CdpPage *page = scene->pages[i];
      gint64 deadline = test_deadline (10000);

      for (;;)
        {
          g_autoptr (JsonObject) colours = demo_page_tile_colours (page);
          gboolean all = TRUE;

          for (guint j = 0; j < scene->n_pages; j++)
            {
              g_autofree char *caption
                  = i == j ? g_strdup_printf ("%s (you)", scene->identities[j])
                           : g_strdup (scene->identities[j]);

              all = all
                    && colour_matches (colours, caption,
                                       painted_colour (scene->identities[j]));
            }
          if (all)
            break;
          if (g_get_monotonic_time () > deadline)
            {
              g_autoptr (JsonNode) node
                  = json_node_init_object (json_node_alloc (), colours);
              g_autofree char *seen = json_to_string (node, FALSE);

              cdp_test_fail ("[%s] the tiles do not show their senders' colours: %s",
                             cdp_page_get_name (page), seen);
            }
          demo_spin_for (500);
        }
    }
}

void
demo_page_connect_direct (CdpPage *page, const char *room, const char *identity,
                          guint width, guint height, const char *options_js)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) joined = NULL;
  g_autofree char *room_js = cdp_js_string (room);
  g_autofree char *identity_js = cdp_js_string (identity);
  g_autofree char *script = g_strdup_printf (
      "(async () => {"
      "  const Convoke = (await import('/convoke.js')).default;"
      "  const query = new URLSearchParams({ identity: %s, room: %s });"
      "  const token = (await (await fetch(`/dev/token?${query}`)).json()).token;"
      "  let tracks = [];"
      "  if (%u > 0) {"
      "    const stream = await navigator.mediaDevices.getUserMedia({ video: {"
      "      width: { ideal: %u }, height: { ideal: %u }, frameRate: { ideal: 15 } } });"
      "    tracks = stream.getVideoTracks();"
      "    window.sentWidth = tracks[0].getSettings().width;"
      "  }"
      "  window.room = await Convoke.connect(null, token, { room: %s, tracks, %s });"
      "  window.sc = {};"
      "  window.demoMark = (id) => {"
      "    const v = sc[id];"
      "    if (v) { v.maxGap = 0; v.last = performance.now(); } };"
      "  setInterval(async () => {"
      "    const report = await room._links.get('server').pc.getStats();"
      "    const byTrack = {};"
      "    report.forEach((s) => {"
      "      if (s.type === 'inbound-rtp' && s.kind === 'video') "
      "byTrack[s.trackIdentifier] = s;"
      "    });"
      "    for (const p of room.participants.values())"
      "      for (const t of p.tracks.values()) {"
      "        const s = byTrack[t.id];"
      "        if (!s) continue;"
      "        const v = sc[p.identity] ||"
      "          (sc[p.identity] = { width: 0, frames: 0, last: 0, maxGap: 0 });"
      "        const now = performance.now();"
      "        if ((s.framesDecoded ?? 0) > v.frames) {"
      "          if (v.last) v.maxGap = Math.max(v.maxGap, now - v.last);"
      "          v.last = now;"
      "          v.frames = s.framesDecoded;"
      "        }"
      "        v.width = s.frameWidth ?? 0;"
      "      }"
      "  }, 50);"
      "  return true;"
      "})()",
      identity_js, room_js, width, width, height, room_js,
      options_js != NULL ? options_js : "");

  joined = cdp_page_eval (page, script, &error);
  g_assert_no_error (error);
}

void
demo_page_wait_video_width (CdpPage *page, const char *publisher, guint width,
                            guint timeout_ms)
{
  g_autofree char *publisher_js = cdp_js_string (publisher);
  g_autofree char *condition
      = g_strdup_printf ("sc[%s]?.width === %u", publisher_js, width);

  if (!cdp_page_wait_true (page, condition, timeout_ms))
    {
      g_autofree char *state = cdp_page_eval_string (page, "JSON.stringify(sc)");

      cdp_test_fail ("%s: no video of %s %u wide within %u ms: %s",
                     cdp_page_get_name (page), publisher, width,
                     test_scaled_ms (timeout_ms), state);
    }
  g_test_message ("%s decodes %s's video %u wide", cdp_page_get_name (page), publisher,
                  width);
}

void
demo_page_set_layer (CdpPage *page, const char *publisher, guint layer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) done = NULL;
  g_autofree char *publisher_js = cdp_js_string (publisher);
  g_autofree char *script = g_strdup_printf (
      "(() => {"
      "  const id = %s;"
      "  const from = [...room.participants.values()].find((p) => p.identity === id);"
      "  const track = [...from.tracks.values()].find((t) => t.kind === 'video');"
      "  demoMark(id);"
      "  track.setPreferredLayer(%u);"
      "  return true;"
      "})()",
      publisher_js, layer);

  done = cdp_page_eval (page, script, &error);
  g_assert_no_error (error);
}

guint
demo_page_eval_uint (CdpPage *page, const char *expression)
{
  g_autofree char *text = cdp_page_eval_string (page, expression);

  return (guint) g_ascii_strtoull (text, NULL, 10);
}
