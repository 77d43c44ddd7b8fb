/* Headless Chromium participants on the demo page (data/web/), against a
 * real convoked: mesh rooms, a full go room, a group room shared with a
 * GStreamer convoke-client, and the errors people see.
 *
 * Each case starts one daemon and one Chromium with a window per
 * participant, drives the page as a user would (fill the form, click Join)
 * and judges it by what the page shows and by WebRTC receive statistics
 * (framesDecoded, audio packets and samples) read from each page.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <string.h>

#include "client-runner.h"
#include "demo-scene.h"
#include "turn-server.h"

#define ROOMS_CONFIG                                                                     \
  "[server]\n"                                                                           \
  "dev-tokens=true\n"                                                                    \
  "[room:duo]\n"                                                                         \
  "type=go\n"                                                                            \
  "[room:trio]\n"                                                                        \
  "type=peer-to-peer\n"                                                                  \
  "[room:team]\n"                                                                        \
  "type=group\n"

static gboolean
skip_without_chromium (void)
{
  if (cdp_chromium_available ())
    return FALSE;

  g_autofree char *why = g_strdup_printf (
      "no Chromium at %s (install the “chromium” package)", cdp_chromium_path ());

  g_test_skip (why);
  return TRUE;
}

/* ---- cases ------------------------------------------------------------------ */

/* Two browsers in a go room see and hear each other; when the room is
 * ended over REST, both pages say so in words. */
static void
test_go_two (void)
{
  const char *const everyone[] = { "alice", "bob", NULL };
  const char *form[] = { "Status", "completed", NULL };
  DemoScene *scene;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG);
  for (guint i = 0; everyone[i] != NULL; i++)
    demo_page_join (demo_scene_open_page (scene, everyone[i], NULL), "duo", everyone[i]);
  for (guint i = 0; i < scene->n_pages; i++)
    demo_page_wait_state (scene->pages[i], "joined", DEMO_JOIN_TIMEOUT_MS);

  demo_assert_pages_receive (scene, everyone);
  for (guint i = 0; i < scene->n_pages; i++)
    demo_assert_captions (scene->pages[i], everyone[i], everyone);

  g_assert_cmpuint (
      test_http (scene->daemon, "POST", "/v1/Rooms/duo", TRUE, form, NULL, NULL), ==,
      202);
  for (guint i = 0; i < scene->n_pages; i++)
    {
      demo_page_wait_state (scene->pages[i], "failed", DEMO_JOIN_TIMEOUT_MS);
      g_assert_true (
          demo_page_text_contains (scene->pages[i], "The room “duo” has ended"));
    }
  demo_scene_stop (scene);
}

/* A third browser cannot join a go room: its page says the room is full,
 * and the two inside notice nothing. */
static void
test_go_full (void)
{
  DemoScene *scene;
  CdpPage *carol;
  g_autofree char *error_text = NULL;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG);
  demo_page_join (demo_scene_open_page (scene, "alice", NULL), "duo", "alice");
  demo_page_join (demo_scene_open_page (scene, "bob", NULL), "duo", "bob");
  demo_page_wait_state (scene->pages[0], "joined", DEMO_JOIN_TIMEOUT_MS);
  demo_page_wait_state (scene->pages[1], "joined", DEMO_JOIN_TIMEOUT_MS);

  carol = demo_scene_open_page (scene, "carol", NULL);
  demo_page_join (carol, "duo", "carol");
  demo_page_wait_state (carol, "failed", DEMO_JOIN_TIMEOUT_MS);
  error_text = cdp_page_eval_string (carol, "document.getElementById('error').innerText");
  g_test_message ("carol's page says: %s", error_text);
  g_assert_nonnull (strstr (error_text, "The room “duo” is full"));
  g_assert_true (demo_page_text_contains (carol, "is full"));
  g_assert_true (
      cdp_page_wait_true (carol, "!document.getElementById('error').hidden", 1000));

  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (cdp_page_wait_true (scene->pages[i],
                                         "convokeDemo.state === 'joined' && "
                                         "convokeDemo.room.participants.size === 1 && "
                                         "convokeDemo.errors.length === 0",
                                         1000));
    }
  demo_scene_stop (scene);
}

/* Three browsers in a peer-to-peer room each decode both others; the
 * screenshot of the demo page is kept as an artifact. Then one leaves and
 * the others' grids drop its tile. */
static void
test_peer_to_peer_three (void)
{
  const char *const everyone[] = { "alice", "bob", "carol", NULL };
  g_autofree char *artifact
      = g_build_filename (g_getenv ("CONVOKE_BUILD_ROOT"), "tests", "browser",
                          "artifacts", "demo-3-participants.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) left = NULL;
  DemoScene *scene;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG);
  for (guint i = 0; everyone[i] != NULL; i++)
    {
      CdpPage *page = demo_scene_open_page (scene, everyone[i], NULL);

      demo_page_paint_identity (page, everyone[i]);
      demo_page_join (page, "trio", everyone[i]);
      /* One at a time, so each newcomer offers to everyone before it. */
      demo_page_wait_state (page, "joined", DEMO_JOIN_TIMEOUT_MS);
    }

  demo_assert_pages_receive (scene, everyone);
  for (guint i = 0; i < scene->n_pages; i++)
    demo_assert_captions (scene->pages[i], everyone[i], everyone);
  demo_assert_tiles_show_their_senders (scene);

  /* Every tile plays: what the screenshot shows is live video. */
  g_assert_true (cdp_page_wait_true (
      scene->pages[0],
      "(() => { const v = [...document.querySelectorAll('#grid video')];"
      "  return v.length === 3 && v.every((e) => e.videoWidth > 0 && !e.paused); })()",
      10000));
  cdp_page_screenshot (scene->pages[0], artifact);
  g_test_message ("screenshot of the demo page with 3 participants: %s", artifact);

  left = cdp_page_eval (scene->pages[2], "document.getElementById('leave').click()",
                        &error);
  g_assert_no_error (error);
  demo_page_wait_state (scene->pages[2], "left", DEMO_JOIN_TIMEOUT_MS);
  for (guint i = 0; i < 2; i++)
    g_assert_true (cdp_page_wait_true (scene->pages[i],
                                       "!convokeDemo.captions().includes('carol') && "
                                       "convokeDemo.room.participants.size === 1",
                                       DEMO_JOIN_TIMEOUT_MS));
  demo_scene_stop (scene);
}

/* Without dev-tokens the demo cannot get a token, and says why. */
static void
test_dev_tokens_off (void)
{
  DemoScene *scene;
  CdpPage *page;
  g_autofree char *error_text = NULL;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start ("[room:duo]\ntype=go\n");
  page = demo_scene_open_page (scene, "alice", NULL);
  demo_page_join (page, "duo", "alice");
  demo_page_wait_state (page, "failed", DEMO_JOIN_TIMEOUT_MS);
  error_text = cdp_page_eval_string (page, "document.getElementById('error').innerText");
  g_test_message ("the page says: %s", error_text);
  g_assert_nonnull (strstr (error_text, "dev-tokens"));
  g_assert_nonnull (strstr (error_text, "does not give out tokens"));
  demo_scene_stop (scene);
}

/* A token the server refuses: the demo page (given it in its fragment,
 * as an application would) says so in words, and convoke.js rejects
 * connect() with the Twilio code. */
static void
test_refused_token (void)
{
  DemoScene *scene;
  CdpPage *page;
  g_autofree char *error_text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) code = NULL;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG);
  page
      = demo_scene_open_page (scene, "mallory", "?room=duo&name=mallory#token=not.a.jwt");
  {
    g_autoptr (JsonNode) clicked
        = cdp_page_eval (page, "document.getElementById('join').click()", &error);
    g_assert_no_error (error);
  }
  demo_page_wait_state (page, "failed", DEMO_JOIN_TIMEOUT_MS);
  error_text = cdp_page_eval_string (page, "document.getElementById('error').innerText");
  g_test_message ("the page says: %s", error_text);
  g_assert_nonnull (strstr (error_text, "The server refused the access token"));

  code = cdp_page_eval (scene->pages[0],
                        "import('/convoke.js').then((C) => C.connect(null, 'not.a.jwt', "
                        "{room: 'duo'})).then(() => 0, (e) => e.code)",
                        &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_node_get_int (code), ==, 20101);
  demo_scene_stop (scene);
}

/* A server that stops answering: the page notices through its keepalive
 * pings and says the connection timed out. */
static void
test_lost_connection (void)
{
  DemoScene *scene;
  CdpPage *page;
  g_autofree char *error_text = NULL;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG "[signaling]\nkeepalive-interval=1\n");
  page = demo_scene_open_page (scene, "alice", NULL);
  demo_page_join (page, "duo", "alice");
  demo_page_wait_state (page, "joined", DEMO_JOIN_TIMEOUT_MS);

  g_assert_cmpint (kill (scene->daemon->pid, SIGSTOP), ==, 0);
  demo_page_wait_state (page, "failed", DEMO_JOIN_TIMEOUT_MS);
  g_assert_cmpint (kill (scene->daemon->pid, SIGCONT), ==, 0);
  error_text = cdp_page_eval_string (page, "document.getElementById('error').innerText");
  g_test_message ("the page says: %s", error_text);
  g_assert_nonnull (strstr (error_text, "The connection to the server timed out"));
  g_assert_true (demo_page_text_contains (page, "timed out"));
  demo_scene_stop (scene);
}

/* iceTransportPolicy 'relay' (the demo's ?relay=1): two browsers in a go
 * room exchange media through coturn only, with the credentials from the
 * server's joined message. */
static void
test_relay (void)
{
  const char *const everyone[] = { "alice", "bob", NULL };
  g_autofree char *turn_config = NULL;
  g_autofree char *config = NULL;
  TestTurnServer *turn;
  DemoScene *scene;

  if (skip_without_chromium ())
    return;
  if (!test_turn_server_available ())
    {
      g_test_skip ("no coturn (turnserver) on PATH (install the “coturn” package)");
      return;
    }
  turn = test_turn_server_start ();
  turn_config = test_turn_server_daemon_config (turn, NULL);
  config = g_strconcat (ROOMS_CONFIG, turn_config, NULL);
  scene = demo_scene_start (config);
  for (guint i = 0; everyone[i] != NULL; i++)
    {
      CdpPage *page = demo_scene_open_page (scene, everyone[i], "?relay=1");

      demo_page_join (page, "duo", everyone[i]);
      demo_page_wait_state (page, "joined", DEMO_JOIN_TIMEOUT_MS);
    }

  demo_assert_pages_receive (scene, everyone);
  for (guint i = 0; i < scene->n_pages; i++)
    {
      g_autofree char *other_js = cdp_js_string (everyone[1 - i]);
      g_autofree char *script = g_strdup_printf (
          "convokeDemo.receivedFrom().then((r) => JSON.stringify(r[%s].candidates))",
          other_js);
      g_autofree char *candidates = cdp_page_eval_string (scene->pages[i], script);

      g_test_message ("[%s] candidate pairs (local/remote): %s", everyone[i], candidates);
      g_assert_cmpstr (candidates, ==, "[\"relay/relay\"]");
    }
  demo_scene_stop (scene);
  test_turn_server_stop (turn);
}

/* Three browsers and one GStreamer convoke-client in a group room: every
 * participant decodes every other, through the media server. */
static void
test_group_mixed (void)
{
  const char *const everyone[] = { "alice", "bob", "carol", "gst", NULL };
  const char *const browsers[] = { "alice", "bob", "carol", NULL };
  g_autofree char *artifact
      = g_build_filename (g_getenv ("CONVOKE_BUILD_ROOT"), "tests", "browser",
                          "artifacts", "demo-group-4-participants.png", NULL);
  TestClient *gst;
  DemoScene *scene;
  gint64 deadline;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG);
  for (guint i = 0; browsers[i] != NULL; i++)
    {
      CdpPage *page = demo_scene_open_page (scene, browsers[i], NULL);

      demo_page_paint_identity (page, browsers[i]);
      demo_page_join (page, "team", browsers[i]);
      demo_page_wait_state (page, "joined", DEMO_JOIN_TIMEOUT_MS);
    }
  gst = test_client_start (scene->daemon, "gst", "team", NULL);

  demo_assert_pages_receive (scene, everyone);
  deadline = test_deadline (DEMO_MEDIA_TIMEOUT_MS);
  while (!test_client_receives_from (gst, browsers, DEMO_WANT_VIDEO_FRAMES, 10))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_autoptr (JsonObject) stats = test_client_stats (gst);
          g_autoptr (JsonNode) node
              = stats ? json_node_init_object (json_node_alloc (), stats) : NULL;
          g_autofree char *text
              = node ? json_to_string (node, TRUE) : g_strdup ("(none)");

          g_test_message ("convoke-client stats: %s", text);
          cdp_test_fail ("convoke-client did not decode every browser within %u ms",
                         test_scaled_ms (DEMO_MEDIA_TIMEOUT_MS));
        }
      demo_spin_for (500);
    }
  for (guint i = 0; i < scene->n_pages; i++)
    demo_assert_captions (scene->pages[i], browsers[i], everyone);
  /* Through the media server, each forwarded track is mapped to its
   * publisher by the a=msid stream id alone. */
  demo_assert_tiles_show_their_senders (scene);
  cdp_page_screenshot (scene->pages[0], artifact);
  g_test_message ("screenshot of the demo page in the group room: %s", artifact);

  g_assert_cmpint (test_client_stop (gst), ==, 0);
  demo_scene_stop (scene);
}

/* Data tracks: each of three browsers publishes one and sends numbered
 * messages; every other browser receives all of them, in order, with the
 * publisher known; binary messages keep their bytes, and a message over
 * 16 KiB is refused with a clear error. In group rooms the media server
 * forwards them, in peer-to-peer rooms they go end to end. */
#define DATA_MESSAGES 60

static void
run_data_tracks (const char *room)
{
  const char *const everyone[] = { "alice", "bob", "carol", NULL };
  g_autoptr (GError) error = NULL;
  DemoScene *scene;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG);
  for (guint i = 0; everyone[i] != NULL; i++)
    {
      CdpPage *page = demo_scene_open_page (scene, everyone[i], NULL);

      demo_page_join (page, room, everyone[i]);
      demo_page_wait_state (page, "joined", DEMO_JOIN_TIMEOUT_MS);
    }
  for (guint i = 0; i < scene->n_pages; i++)
    g_assert_true (cdp_page_wait_true (scene->pages[i],
                                       "convokeDemo.room.participants.size === 2",
                                       DEMO_JOIN_TIMEOUT_MS));

  for (guint i = 0; i < scene->n_pages; i++)
    {
      g_autoptr (JsonNode) published = cdp_page_eval (
          scene->pages[i],
          "(async () => { const room = convokeDemo.room;"
          "  window.got = {}; window.gotBinary = {};"
          "  room.on('trackMessage', (data, track, p) => {"
          "    const into = typeof data === 'string' ? got : gotBinary;"
          "    if (!into[p.identity]) into[p.identity] = [];"
          "    into[p.identity].push(typeof data === 'string' ? data"
          "                          : [...new Uint8Array(data)].join('.'));"
          "  });"
          "  window.chat = await room.publishDataTrack({ name: 'chat' });"
          "  return chat.sid !== null; })()",
          &error);
      g_assert_no_error (error);
      g_assert_true (json_node_get_boolean (published));
    }
  /* Everyone has the others' tracks open before anything is sent. */
  for (guint i = 0; i < scene->n_pages; i++)
    if (!cdp_page_wait_true (scene->pages[i],
                             "[...convokeDemo.room.participants.values()].every("
                             "  (p) => [...p.dataTracks.values()].some((t) => t.name === 'chat'))",
                             DEMO_MEDIA_TIMEOUT_MS))
      {
        g_autofree char *state = cdp_page_eval_string (
            scene->pages[i], "JSON.stringify([...convokeDemo.room.participants.values()]"
                             ".map((p) => [p.identity, [...p.dataTracks.keys()], "
                             "[...p.publications.values()]]))");

        cdp_test_fail ("%s did not subscribe to every data track: %s",
                       cdp_page_get_name (scene->pages[i]), state);
      }

  /* REST lists each as a data track (Participants can be named by
   * identity, as Twilio allows). */
  for (guint i = 0; everyone[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s/Participants/%s/PublishedTracks",
                                               room, everyone[i]);
      g_autoptr (JsonNode) listed = NULL;
      JsonArray *tracks;
      guint data_tracks = 0;

      g_assert_cmpuint (test_http (scene->daemon, "GET", path, TRUE, NULL, &listed, NULL),
                        ==, 200);
      tracks = json_object_get_array_member (json_node_get_object (listed),
                                             "published_tracks");
      for (guint k = 0; k < json_array_get_length (tracks); k++)
        {
          JsonObject *track = json_array_get_object_element (tracks, k);

          if (g_strcmp0 (json_object_get_string_member (track, "kind"), "data") == 0)
            {
              g_assert_cmpstr (json_object_get_string_member (track, "name"), ==, "chat");
              data_tracks++;
            }
        }
      g_assert_cmpuint (data_tracks, ==, 1);
    }

  /* In group rooms the media server knows who receives what: REST lists
   * the others' data tracks among each one's subscriptions. */
  if (g_str_equal (room, "team"))
    for (guint i = 0; everyone[i] != NULL; i++)
      {
        g_autofree char *path = g_strdup_printf (
            "/v1/Rooms/%s/Participants/%s/SubscribedTracks", room, everyone[i]);
        gint64 deadline = test_deadline (DEMO_JOIN_TIMEOUT_MS);
        guint data_tracks = 0;

        while (data_tracks != 2)
          {
            g_autoptr (JsonNode) listed = NULL;
            JsonArray *tracks;

            g_assert_cmpuint (test_http (scene->daemon, "GET", path, TRUE, NULL, &listed, NULL),
                              ==, 200);
            tracks = json_object_get_array_member (json_node_get_object (listed),
                                                   "subscribed_tracks");
            data_tracks = 0;
            for (guint k = 0; k < json_array_get_length (tracks); k++)
              data_tracks += g_strcmp0 (json_object_get_string_member (
                                            json_array_get_object_element (tracks, k), "kind"),
                                        "data")
                             == 0;
            if (data_tracks != 2 && g_get_monotonic_time () > deadline)
              cdp_test_fail ("%s's SubscribedTracks lists %u data tracks, not 2", everyone[i],
                             data_tracks);
            if (data_tracks != 2)
              demo_spin_for (200);
          }
      }

  for (guint i = 0; i < scene->n_pages; i++)
    {
      g_autofree char *send = g_strdup_printf (
          "(() => { for (let i = 0; i < %d; i++) chat.send('%s:' + i);"
          "  chat.send(new Uint8Array([1, 2, 3, 255]));"
          "  try { chat.send('x'.repeat(16385)); return 'sent'; }"
          "  catch (e) { return `${e.code} ${e.message}`; } })()",
          DATA_MESSAGES, everyone[i]);
      g_autofree char *refused = cdp_page_eval_string (scene->pages[i], send);

      g_assert_true (g_str_has_prefix (refused, "53300 "));
      g_assert_nonnull (strstr (refused, "16385 bytes"));
    }

  for (guint i = 0; i < scene->n_pages; i++)
    for (guint j = 0; everyone[j] != NULL; j++)
      {
        g_autofree char *check = NULL;
        g_autofree char *seen = NULL;

        if (i == j)
          continue;
        check = g_strdup_printf (
            "(got['%1$s'] || []).length === %2$d && "
            "got['%1$s'].every((m, i) => m === '%1$s:' + i) && "
            "(gotBinary['%1$s'] || []).join() === '1.2.3.255'",
            everyone[j], DATA_MESSAGES);
        if (cdp_page_wait_true (scene->pages[i], check, DEMO_MEDIA_TIMEOUT_MS))
          continue;
        seen = cdp_page_eval_string (scene->pages[i], "JSON.stringify([got, gotBinary])");
        cdp_test_fail ("%s did not get %s's %d messages in order: %s",
                       cdp_page_get_name (scene->pages[i]), everyone[j], DATA_MESSAGES,
                       seen);
      }

  /* Unpublishing ends the track for the others. */
  {
    g_autoptr (JsonNode) done = cdp_page_eval (
        scene->pages[0], "convokeDemo.room.unpublishDataTrack(chat).then(() => true)", &error);

    g_assert_no_error (error);
    for (guint i = 1; i < scene->n_pages; i++)
      g_assert_true (cdp_page_wait_true (
          scene->pages[i],
          "[...convokeDemo.room.participants.values()].find("
          "  (p) => p.identity === 'alice').dataTracks.size === 0",
          DEMO_JOIN_TIMEOUT_MS));
  }
  demo_scene_stop (scene);
}

static void
test_group_data (void)
{
  run_data_tracks ("team");
}

static void
test_peer_to_peer_data (void)
{
  run_data_tracks ("trio");
}

/* Makes the page's microphone a 440 Hz tone (@gain 0.3: talking) or
 * digital silence (@gain 0), and records the dominant speakers convoke.js
 * announces in window.speakers. Call before demo_page_join(). */
static void
page_sound (CdpPage *page, double gain)
{
  g_autofree char *script
      = g_strdup_printf ("(() => {"
                         "  const md = navigator.mediaDevices;"
                         "  const real = md.getUserMedia.bind(md);"
                         "  md.getUserMedia = async () => {"
                         "    const camera = await real({video: true});"
                         "    const ctx = new AudioContext();"
                         "    await ctx.resume();"
                         "    const osc = ctx.createOscillator();"
                         "    const gain = ctx.createGain();"
                         "    gain.gain.value = %g;"
                         "    const out = ctx.createMediaStreamDestination();"
                         "    osc.connect(gain).connect(out);"
                         "    osc.start();"
                         "    return new MediaStream([...out.stream.getAudioTracks(),"
                         "                            ...camera.getVideoTracks()]);"
                         "  };"
                         "  window.speakers = [];"
                         "  return true;"
                         "})()",
                         gain);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result = cdp_page_eval (page, script, &error);

  g_assert_no_error (error);
}

/* Dominant speaker and network quality through convoke.js and the demo
 * page: of two browsers in a group room, one talking (a tone), one silent,
 * both pages outline the talking one's tile within a second of its audio
 * arriving, nothing ever names the silent one, and each tile shows a
 * network quality level (5 on loopback). */
static void
test_group_speaker (void)
{
  const char *const everyone[] = { "alice", "bob", NULL };
  static const char speaker_js[]
      = "(() => { const t = document.querySelector('figure.tile.speaking figcaption');"
        "  return t ? t.textContent : ''; })()";
  DemoScene *scene;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG);
  for (guint i = 0; everyone[i] != NULL; i++)
    {
      CdpPage *page = demo_scene_open_page (scene, everyone[i], NULL);
      g_autoptr (JsonNode) listening = NULL;

      page_sound (page, i == 0 ? 0.3 : 0.0);
      demo_page_join (page, "team", everyone[i]);
      demo_page_wait_state (page, "joined", DEMO_JOIN_TIMEOUT_MS);
      listening = cdp_page_eval (
          page,
          "window.convokeDemo.room.on('dominantSpeakerChanged',"
          "  (p) => window.speakers.push(p ? p.identity : null)) && true",
          NULL);
    }
  demo_assert_pages_receive (scene, everyone);
  /* Within a second of the audio arriving (scaled). */
  g_assert_true (cdp_page_wait_true (
      scene->pages[1], "window.convokeDemo.room.dominantSpeaker?.identity === 'alice'",
      1000));
  g_assert_true (cdp_page_wait_true (
      scene->pages[0], "window.convokeDemo.room.dominantSpeaker?.identity === 'alice'",
      1000));
  demo_spin_for (2000);
  for (guint i = 0; i < scene->n_pages; i++)
    {
      g_autofree char *speakers
          = cdp_page_eval_string (scene->pages[i], "JSON.stringify(window.speakers)");
      g_autofree char *tile = cdp_page_eval_string (scene->pages[i], speaker_js);

      g_test_message ("%s heard %s; outlined: %s", everyone[i], speakers, tile);
      g_assert_null (strstr (speakers, "bob"));
      g_assert_cmpstr (tile, ==, i == 0 ? "alice (you)" : "alice");
      g_assert_true (
          cdp_page_wait_true (scene->pages[i],
                              "[...document.querySelectorAll('#grid figure')].every("
                              "  (f) => f.dataset.quality === '5')",
                              DEMO_MEDIA_TIMEOUT_MS));
    }
  demo_scene_stop (scene);
}

/* Browsers and a GStreamer convoke-client exchange data messages: the
 * client publishes a data track and sends a numbered message every 50 ms,
 * the browsers each send 60 on theirs; every message arrives in order. */
static void
run_data_with_client (const char *room)
{
  const char *const browsers[] = { "alice", "bob", NULL };
  const char *const client_args[] = { "--data-track", "gstchat", "--data-every", "50",
                                      NULL };
  g_autoptr (GError) error = NULL;
  TestClient *gst;
  DemoScene *scene;
  gint64 deadline;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG);
  for (guint i = 0; browsers[i] != NULL; i++)
    {
      CdpPage *page = demo_scene_open_page (scene, browsers[i], NULL);
      g_autoptr (JsonNode) ready = NULL;

      demo_page_join (page, room, browsers[i]);
      demo_page_wait_state (page, "joined", DEMO_JOIN_TIMEOUT_MS);
      ready = cdp_page_eval (
          page,
          "(async () => { const room = convokeDemo.room; window.fromGst = [];"
          "  room.on('trackMessage', (data, track, p) => {"
          "    if (p.identity === 'gst') fromGst.push(data); });"
          "  window.chat = await room.publishDataTrack({ name: 'chat' });"
          "  return true; })()",
          &error);
      g_assert_no_error (error);
    }
  gst = test_client_start (scene->daemon, "gst", room, client_args);

  /* Each browser subscribes to the client's track and reads a run of its
   * numbered messages with no gap and nothing out of order. */
  for (guint i = 0; browsers[i] != NULL; i++)
    if (!cdp_page_wait_true (
            scene->pages[i],
            "fromGst.length >= 20 && fromGst.every((m, k) => k === 0 || "
            "  +m.split(':')[1] === +fromGst[k - 1].split(':')[1] + 1) && "
            "  fromGst.every((m) => m.startsWith('gst:'))",
            DEMO_MEDIA_TIMEOUT_MS))
      {
        g_autofree char *seen = cdp_page_eval_string (scene->pages[i],
                                                      "JSON.stringify(fromGst)");

        cdp_test_fail ("%s did not get the client's messages in order: %s",
                       cdp_page_get_name (scene->pages[i]), seen);
      }

  /* The client has both browsers' channels by now: they send 60 each. */
  for (guint i = 0; browsers[i] != NULL; i++)
    {
      g_autofree char *send = g_strdup_printf (
          "(() => { for (let i = 0; i < %d; i++) chat.send('%s:' + i); return true; })()",
          DATA_MESSAGES, browsers[i]);
      g_autoptr (JsonNode) sent = cdp_page_eval (scene->pages[i], send, &error);

      g_assert_no_error (error);
    }
  deadline = test_deadline (DEMO_MEDIA_TIMEOUT_MS);
  for (guint i = 0; browsers[i] != NULL;)
    {
      g_autoptr (JsonObject) stats = test_client_stats (gst);
      JsonObject *from = stats ? test_stats_participant (stats, browsers[i]) : NULL;
      JsonObject *data = from ? cdp_object_member (from, "data") : NULL;
      /* convoke.js labels a track's channels with the track's id. */
      g_autoptr (GList) labels = data ? json_object_get_members (data) : NULL;
      JsonObject *chat = labels ? cdp_object_member (data, labels->data) : NULL;
      JsonArray *messages = chat && json_object_has_member (chat, "messages")
                                ? json_object_get_array_member (chat, "messages")
                                : NULL;
      gboolean complete = messages != NULL && json_array_get_length (messages) == DATA_MESSAGES;

      for (guint k = 0; complete && k < DATA_MESSAGES; k++)
        {
          g_autofree char *want = g_strdup_printf ("%s:%u", browsers[i], k);

          complete = g_strcmp0 (json_array_get_string_element (messages, k), want) == 0;
        }
      if (complete)
        {
          i++;
          continue;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *text = NULL;

          if (stats != NULL)
            {
              g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), stats);

              text = json_to_string (node, FALSE);
            }
          cdp_test_fail ("convoke-client did not get %s's %d messages in order: %s",
                         browsers[i], DATA_MESSAGES, text ? text : "(no stats)");
        }
      demo_spin_for (200);
    }
  g_assert_cmpint (test_client_stop (gst), ==, 0);
  demo_scene_stop (scene);
}

static void
test_group_data_client (void)
{
  run_data_with_client ("team");
}

static void
test_peer_to_peer_data_client (void)
{
  run_data_with_client ("trio");
}

/* An ICE restart (a network change): alice's browser re-offers with new
 * ICE credentials; the media server answers with new ones of its own, and
 * video from bob resumes within 2 s, in both directions, with nobody
 * leaving the room. */
#define ICE_RESTART_RESUME_MS 2000

static void
test_group_ice_restart (void)
{
  const char *const everyone[] = { "alice", "bob", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) restarted = NULL;
  g_autofree char *resumed = NULL;
  DemoScene *scene;

  if (skip_without_chromium ())
    return;
  scene = demo_scene_start (ROOMS_CONFIG);
  for (guint i = 0; everyone[i] != NULL; i++)
    {
      CdpPage *page = demo_scene_open_page (scene, everyone[i], NULL);

      demo_page_join (page, "team", everyone[i]);
      demo_page_wait_state (page, "joined", DEMO_JOIN_TIMEOUT_MS);
    }
  demo_assert_pages_receive (scene, everyone);

  for (guint i = 0; i < scene->n_pages; i++)
    {
      g_autoptr (JsonNode) ready = cdp_page_eval (
          scene->pages[i],
          "(() => {"
          "  window.videoFrames = async () => (await convokeDemo.room.getStats())"
          "    .filter((e) => e.kind === 'video')"
          "    .reduce((sum, e) => sum + (e.framesDecoded || 0), 0);"
          "  window.ufragOf = (d) => d && /a=ice-ufrag:(\\S+)/.exec(d.sdp)[1];"
          "  window.serverLink = convokeDemo.room._links.get('server');"
          "  return true; })()",
          &error);
      g_assert_no_error (error);
    }
  restarted = cdp_page_eval (scene->pages[0],
                             "(async () => {"
                             "  window.before = {local: ufragOf(serverLink.pc.localDescription),"
                             "    remote: ufragOf(serverLink.pc.remoteDescription)};"
                             "  await convokeDemo.room.restartIce();"
                             "  return true; })()",
                             &error);
  g_assert_no_error (error);

  /* The server answered with credentials of its own, new ones. */
  g_assert_true (cdp_page_wait_true (
      scene->pages[0],
      "serverLink.pc.signalingState === 'stable' && "
      "ufragOf(serverLink.pc.localDescription) !== before.local && "
      "ufragOf(serverLink.pc.remoteDescription) !== before.remote",
      DEMO_JOIN_TIMEOUT_MS));
  for (guint i = 0; i < scene->n_pages; i++)
    {
      g_autoptr (JsonNode) marked = cdp_page_eval (
          scene->pages[i],
          "(async () => { window.framesAtAnswer = await videoFrames();"
          "  window.answeredAt = performance.now(); return true; })()",
          &error);
      g_assert_no_error (error);
    }
  /* 15 more frames (a second at 15 fps) on each side within the limit. */
  for (guint i = 0; i < scene->n_pages; i++)
    {
      g_autofree char *more = g_strdup_printf (
          "videoFrames().then((n) => { window.framesNow = n; "
          "  if (n >= framesAtAnswer + 15 && !window.resumedAfter)"
          "    window.resumedAfter = performance.now() - answeredAt; }) && "
          "window.resumedAfter !== undefined");

      if (!cdp_page_wait_true (scene->pages[i], more, ICE_RESTART_RESUME_MS))
        cdp_test_fail ("%s: video did not resume within %u ms of the ICE restart: %s",
                       cdp_page_get_name (scene->pages[i]),
                       test_scaled_ms (ICE_RESTART_RESUME_MS),
                       cdp_page_eval_string (scene->pages[i],
                                             "JSON.stringify({framesAtAnswer, framesNow, "
                                             "state: serverLink.pc.connectionState})"));
      g_free (resumed);
      resumed = cdp_page_eval_string (scene->pages[i], "String(Math.round(resumedAfter))");
      g_test_message ("%s: 15 more frames %s ms after the restart's answer",
                      cdp_page_get_name (scene->pages[i]), resumed);
      g_assert_true (cdp_page_wait_true (scene->pages[i],
                                         "convokeDemo.room.participants.size === 1 && "
                                         "convokeDemo.state === 'joined'",
                                         1000));
    }
  demo_scene_stop (scene);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  demo_scene_quiet_debug_logs ();
  g_test_add_func ("/browser/go/two", test_go_two);
  g_test_add_func ("/browser/go/full", test_go_full);
  g_test_add_func ("/browser/peer-to-peer/three", test_peer_to_peer_three);
  g_test_add_func ("/browser/dev-tokens-off", test_dev_tokens_off);
  g_test_add_func ("/browser/refused-token", test_refused_token);
  g_test_add_func ("/browser/lost-connection", test_lost_connection);
  g_test_add_func ("/browser/relay", test_relay);
  g_test_add_func ("/browser/group/mixed", test_group_mixed);
  g_test_add_func ("/browser/group/data", test_group_data);
  g_test_add_func ("/browser/peer-to-peer/data", test_peer_to_peer_data);
  g_test_add_func ("/browser/group/data-client", test_group_data_client);
  g_test_add_func ("/browser/peer-to-peer/data-client", test_peer_to_peer_data_client);
  g_test_add_func ("/browser/group/speaker", test_group_speaker);
  g_test_add_func ("/browser/group/ice-restart", test_group_ice_restart);
  return g_test_run ();
}
