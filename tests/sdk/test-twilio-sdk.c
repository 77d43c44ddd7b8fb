/* Twilio's own JavaScript SDK (twilio-video.js, from npm) against
 * convoked's /signaling endpoint, in headless Chromium: the promise of
 * docs/twilio-video-sdk.md that an app moves by pointing `wsServer` at
 * Convoke.
 *
 * Each page (tests/sdk/sdk-page.html) is a participant made of the SDK's
 * public API only. Cases judge by what the SDK reports: participants and
 * publications, frames its <video> elements presented, audio packets in
 * its stats, the TwilioError codes it raises; and by REST, which must list
 * the same sids.
 *
 * The SDK bundle comes from $CONVOKE_TEST_TWILIO_VIDEO (the path of
 * twilio-video.min.js; .ci/test installs it with tests/sdk/install-sdk),
 * or with --old from $CONVOKE_TEST_TWILIO_VIDEO_OLD (an older 2.x).
 * Without it, or without Chromium, the cases skip, unless
 * CONVOKE_TEST_REQUIRE_SDK=1 (as in .ci/test), when they fail.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sdk-scene.h"

/* ---- cases ------------------------------------------------------------------ */

/* Three SDK participants in a group room: each decodes video from and
 * hears the other two; REST lists the same participants and track sids
 * the SDK shows. */
static void
test_group_three (void)
{
  const char *const everyone[] = { "alice", "bob", "carol", NULL };
  SdkScene *scene;

  if (skip_without_sdk ())
    return;
  scene = scene_with (everyone, "team");

  /* What alice's SDK calls bob's camera is what REST lists for bob. */
  {
    g_autoptr (JsonObject) alice = page_status (scene->pages[0]);
    g_autoptr (JsonObject) bob = page_status (scene->pages[1]);
    JsonObject *bob_video = remote_track (alice, "bob", "video", NULL);
    const char *bob_sid = string_member (bob, "sid");
    g_autofree char *path = g_strdup_printf ("/v1/Rooms/team/Participants/%s/PublishedTracks",
                                             bob_sid);
    g_autoptr (GBytes) bytes = NULL;
    g_autofree char *body = NULL;
    JsonObject *bob_local = cdp_object_member (bob, "local");
    g_autoptr (GList) names = json_object_get_members (bob_local);

    g_assert_nonnull (bob_video);
    g_assert_cmpuint (test_http (scene->daemon, "GET", path, TRUE, NULL, NULL, &bytes), ==,
                      200);
    body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    for (GList *l = names; l != NULL; l = l->next)
      {
        const char *sid = string_member (bob_local, l->data);

        g_assert_true (g_str_has_prefix (sid, "MT"));
        if (strstr (body, sid) == NULL)
          cdp_test_fail ("REST does not list bob's %s track %s: %s", (char *)l->data, sid,
                         body);
      }
  }
  scene_stop (scene);
}

/* Three SDK participants in a peer-to-peer room: media flows between
 * every pair, end to end. */
static void
test_peer_to_peer_three (void)
{
  const char *const everyone[] = { "alice", "bob", "carol", NULL };
  SdkScene *scene;

  if (skip_without_sdk ())
    return;
  scene = scene_with (everyone, "trio");
  scene_stop (scene);
}

/* A go room holds two; the third gets the SDK's
 * RoomMaxParticipantsExceededError (53105) and the two notice nothing. */
static void
test_go_full (void)
{
  const char *const pair[] = { "alice", "bob", NULL };
  SdkScene *scene;
  CdpPage *carol;

  if (skip_without_sdk ())
    return;
  scene = scene_start ();
  for (guint i = 0; pair[i] != NULL; i++)
    g_assert_true (page_connect (scene, scene_open (scene, pair[i]), pair[i], "duo", NULL));
  for (guint i = 0; i < scene->n_pages; i++)
    wait_receives (scene->pages[i], pair[i], pair, FALSE);

  carol = scene_open (scene, "carol");
  g_assert_false (page_connect (scene, carol, "carol", "duo", NULL));
  g_assert_cmpint (error_code (carol), ==, 53105);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (JsonObject) status = page_status (scene->pages[i]);

      g_assert_cmpstr (string_member (status, "state"), ==, "connected");
      g_assert_null (cdp_object_member (cdp_object_member (status, "remotes"), "carol"));
    }
  scene_stop (scene);
}

/* A token signed with the wrong secret: connect() rejects with the SDK's
 * AccessTokenSignatureInvalidError (20107); one for another room with
 * AccessTokenGrantsInvalidError (20106). */
static void
test_bad_token (void)
{
  SdkScene *scene;
  CdpPage *page;
  g_autofree char *token = NULL;
  char *signature;

  if (skip_without_sdk ())
    return;
  scene = scene_start ();
  page = scene_open (scene, "mallory");
  token = test_daemon_token (scene->daemon, "mallory", "team");
  signature = strrchr (token, '.') + 1;
  signature[0] = signature[0] == 'A' ? 'B' : 'A';
  g_assert_false (page_connect (scene, page, "mallory", "team", token));
  g_assert_cmpint (error_code (page), ==, 20107);

  g_clear_pointer (&token, g_free);
  token = test_daemon_token (scene->daemon, "mallory", "trio");
  g_assert_false (page_connect (scene, page, "mallory", "team", token));
  g_assert_cmpint (error_code (page), ==, 20106);
  g_assert_true (test_daemon_alive (scene->daemon));
  scene_stop (scene);
}

/* The same identity joining again replaces the first connection, which
 * gets ParticipantDuplicateIdentityError (53205); a room that does not
 * exist rejects connect() with RoomNotFoundError (53106). */
static void
test_duplicate_and_unknown_room (void)
{
  SdkScene *scene;
  CdpPage *first, *second, *stray;
  const char *unknown = "RM00000000000000000000000000000000";
  g_autofree char *token = NULL;

  if (skip_without_sdk ())
    return;
  scene = scene_start ();
  first = scene_open (scene, "alice");
  g_assert_true (page_connect (scene, first, "alice", "team", NULL));
  second = scene_open (scene, "alice");
  g_assert_true (page_connect (scene, second, "alice", "team", NULL));
  wait_state (first, "disconnected");
  g_assert_cmpint (error_code (first), ==, 53205);
  g_assert_true (cdp_page_wait_true (second, "sdkTest.state === 'connected'", 100));

  stray = scene_open (scene, "bob");
  token = test_daemon_token (scene->daemon, "bob", NULL);
  g_assert_false (page_connect (scene, stray, "bob", unknown, token));
  g_assert_cmpint (error_code (stray), ==, 53106);
  scene_stop (scene);
}

/* Ending the room over REST gives every SDK client `disconnected` with
 * RoomCompletedError (53118). */
static void
test_room_completed (void)
{
  const char *const pair[] = { "alice", "bob", NULL };
  const char *form[] = { "Status", "completed", NULL };
  SdkScene *scene;

  if (skip_without_sdk ())
    return;
  scene = scene_start ();
  for (guint i = 0; pair[i] != NULL; i++)
    g_assert_true (page_connect (scene, scene_open (scene, pair[i]), pair[i], "team", NULL));
  for (guint i = 0; i < scene->n_pages; i++)
    wait_receives (scene->pages[i], pair[i], pair, FALSE);
  g_assert_cmpuint (test_http (scene->daemon, "POST", "/v1/Rooms/team", TRUE, form, NULL, NULL),
                    ==, 202);
  for (guint i = 0; i < scene->n_pages; i++)
    {
      wait_state (scene->pages[i], "disconnected");
      g_assert_cmpint (error_code (scene->pages[i]), ==, 53118);
    }
  scene_stop (scene);
}

/* Mute and unmute reach the others as trackDisabled/trackEnabled; a
 * participant leaving reaches them as participantDisconnected, and REST
 * shows it disconnected. */
static void
test_group_mute_and_leave (void)
{
  const char *const everyone[] = { "alice", "bob", "carol", NULL };
  g_autofree char *disabled = js_remote_track ("bob", "video", "t.published && !t.enabled");
  g_autofree char *enabled = js_remote_track ("bob", "video", "t.published && t.enabled");
  SdkScene *scene;
  g_autofree char *carol_sid = NULL;
  g_autofree char *path = NULL;
  g_autoptr (JsonNode) json = NULL;

  if (skip_without_sdk ())
    return;
  scene = scene_with (everyone, "team");

  g_assert_nonnull (cdp_page_eval (scene->pages[1], "sdkTest.setVideoEnabled(false)", NULL));
  wait_js (scene->pages[0], disabled, "bob's trackDisabled at alice");
  wait_js (scene->pages[2], disabled, "bob's trackDisabled at carol");
  g_assert_nonnull (cdp_page_eval (scene->pages[1], "sdkTest.setVideoEnabled(true)", NULL));
  wait_js (scene->pages[0], enabled, "bob's trackEnabled at alice");
  wait_js (scene->pages[2], enabled, "bob's trackEnabled at carol");

  carol_sid = cdp_page_eval_string (scene->pages[2], "sdkTest.sid");
  g_assert_nonnull (cdp_page_eval (scene->pages[2], "sdkTest.leave()", NULL));
  for (guint i = 0; i < 2; i++)
    wait_js (scene->pages[i],
             "sdkTest.remotes.carol && sdkTest.remotes.carol.state === 'disconnected'",
             "carol's participantDisconnected");
  path = g_strdup_printf ("/v1/Rooms/team/Participants/%s", carol_sid);
  g_assert_cmpuint (test_http (scene->daemon, "GET", path, TRUE, NULL, &json, NULL), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "status"), ==,
                   "disconnected");
  /* The two left keep receiving each other. */
  wait_more_frames (scene->pages[0], "bob", NULL, 15);
  wait_more_frames (scene->pages[1], "alice", NULL, 15);
  scene_stop (scene);
}

/* The signaling socket drops (as on a network change): the SDK resumes
 * its session with `sync`, the room stays the same for everyone, and
 * media, whose ICE never broke, keeps flowing. */
static void
test_group_sync (void)
{
  const char *const pair[] = { "alice", "bob", NULL };
  SdkScene *scene;
  g_autofree char *sid_before = NULL;
  g_autofree char *sid_after = NULL;
  g_autoptr (JsonNode) dropped = NULL;

  if (skip_without_sdk ())
    return;
  scene = scene_with (pair, "team");
  sid_before = cdp_page_eval_string (scene->pages[0], "sdkTest.sid");
  dropped = cdp_page_eval (scene->pages[0], "sdkTest.dropSocket()", NULL);
  g_assert_cmpint (json_node_get_int (dropped), ==, 1);
  wait_js (scene->pages[0], "sdkTest.reconnects === 1 && sdkTest.state === 'connected'",
           "reconnect through sync");
  sid_after = cdp_page_eval_string (scene->pages[0], "sdkTest.sid");
  g_assert_cmpstr (sid_before, ==, sid_after);
  /* bob never saw alice go. */
  g_assert_true (cdp_page_wait_true (scene->pages[1],
                                     "sdkTest.remotes.alice.state === 'connected'", 100));
  wait_more_frames (scene->pages[0], "bob", NULL, 30);
  wait_more_frames (scene->pages[1], "alice", NULL, 30);
  scene_stop (scene);
}

/* One group room, three kinds of client: the SDK, convoke.js (the demo
 * page) and convoke-client (GStreamer). Each sees and hears the others;
 * a screen share convoke.js publishes later reaches the SDK too. */
static void
test_group_mixed (void)
{
  const char *const everyone[] = { "sdk", "web", "gst", NULL };
  const char *const others_of_gst[] = { "sdk", "web", NULL };
  SdkScene *scene;
  CdpPage *web;
  TestClient *gst;
  gint64 deadline;

  if (skip_without_sdk ())
    return;
  scene = scene_start ();
  g_assert_true (page_connect (scene, scene_open (scene, "sdk"), "sdk", "team", NULL));
  web = demo_scene_open_page (scene->demo, "web", NULL);
  demo_page_join (web, "team", "web");
  demo_page_wait_state (web, "joined", DEMO_JOIN_TIMEOUT_MS);
  gst = test_client_start (scene->daemon, "gst", "team", NULL);

  wait_receives (scene->pages[0], "sdk", everyone, TRUE);
  demo_assert_pages_receive (scene->demo, everyone);
  deadline = test_deadline (45000);
  while (!test_client_receives_from (gst, others_of_gst, WANT_VIDEO_FRAMES, 10))
    {
      if (g_get_monotonic_time () > deadline)
        cdp_test_fail ("convoke-client did not decode the SDK and the web page");
      demo_spin_for (500);
    }

  /* convoke.js publishes a second video after joining (publishTrack):
   * the SDK subscribes to it by the publisher's own track id and decodes
   * it. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) sid = cdp_page_eval (
        web,
        "(async () => {"
        "  const canvas = document.createElement('canvas');"
        "  canvas.width = 320; canvas.height = 180;"
        "  const context = canvas.getContext('2d');"
        "  let n = 0;"
        "  setInterval(() => {"
        "    context.fillStyle = `hsl(${(n++ * 7) % 360}, 80%, 50%)`;"
        "    context.fillRect(0, 0, 320, 180);"
        "  }, 66);"
        "  const track = canvas.captureStream(15).getVideoTracks()[0];"
        "  const publication = await convokeDemo.room.publishTrack(track, {name: 'screen'});"
        "  return publication.sid;"
        "})()",
        &error);
    g_autofree char *screen
        = js_remote_track ("web", "video", "t.name === 'screen' && t.subscribed");

    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (json_node_get_string (sid), "MT"));
    wait_js (scene->pages[0], screen, "the web page's screen share subscribed");
    wait_more_frames (scene->pages[0], "web", "screen", WANT_VIDEO_FRAMES);
  }
  g_assert_cmpint (test_client_stop (gst), ==, 0);
  scene_stop (scene);
}

/* Turnover: participants come and go while alice stays. The m-lines of
 * those who left are taken over by those who come (after going inactive
 * once), so alice's session stays as large as the room is now, and she
 * receives each newcomer on the recycled m-lines. */
static void
test_group_turnover (void)
{
  const char *const pair[] = { "alice", "bob", NULL };
  const char *const visitors[] = { "bob", "carol", "dave", NULL };
  SdkScene *scene;

  if (skip_without_sdk ())
    return;
  scene = scene_with (pair, "team");
  for (guint v = 1; visitors[v] != NULL; v++)
    {
      const char *const now[] = { "alice", visitors[v], NULL };
      g_autofree char *gone = g_strdup_printf (
          "sdkTest.remotes['%s'] && sdkTest.remotes['%s'].state === 'disconnected'",
          visitors[v - 1], visitors[v - 1]);
      CdpPage *visitor;

      /* The previous visitor leaves; its two m-lines go inactive. */
      g_assert_nonnull (cdp_page_eval (scene->pages[scene->n_pages - 1], "sdkTest.leave()",
                                       NULL));
      wait_js (scene->pages[0], gone, "the visitor's departure");
      wait_js (scene->pages[0],
               "sdkTest.remoteMLines().filter(m => m.direction === 'inactive').length === 2"
               " && sdkTest.remoteMLines().every(m => m.stable)",
               "the departed visitor's m-lines going inactive");

      visitor = scene_open (scene, visitors[v]);
      g_assert_true (page_connect (scene, visitor, visitors[v], "team", NULL));
      wait_receives (scene->pages[0], "alice", now, TRUE);
      wait_receives (visitor, visitors[v], now, TRUE);
      /* Two to publish on, and two carrying the visitor. */
      wait_js (scene->pages[0], "sdkTest.remoteMLines().length === 4",
               "alice's session staying at four m-lines");
    }
  scene_stop (scene);
}

/* A screen share (a second video track) published after connect: the
 * SDK's publishTrack() resolves with an MT sid that REST lists, the
 * others subscribe to it and decode it beside the camera; unpublished,
 * it goes away for them while the camera keeps playing. */
static void
screen_share_in (const char *room)
{
  const char *const everyone[] = { "alice", "bob", "carol", NULL };
  g_autofree char *screen_there = js_remote_track ("alice", "video",
                                                   "t.name === 'screen' && t.subscribed");
  g_autofree char *screen_gone = js_remote_track ("alice", "video",
                                                  "t.name === 'screen' && t.published");
  g_autofree char *path = NULL;
  g_autofree char *sid = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) published = NULL;
  SdkScene *scene;

  if (skip_without_sdk ())
    return;
  scene = scene_with (everyone, room);
  published = cdp_page_eval (scene->pages[0], "sdkTest.publishScreen('screen')", &error);
  g_assert_no_error (error);
  sid = g_strdup (json_node_get_string (published));
  g_assert_true (g_str_has_prefix (sid, "MT"));
  path = g_strdup_printf ("/v1/Rooms/%s/Participants/%s/PublishedTracks/%s", room,
                          cdp_page_eval_string (scene->pages[0], "sdkTest.sid"), sid);
  g_assert_cmpuint (test_http (scene->daemon, "GET", path, TRUE, NULL, NULL, &bytes), ==, 200);

  for (guint i = 1; i < 3; i++)
    {
      wait_js (scene->pages[i], screen_there, "alice's screen share subscribed");
      wait_more_frames (scene->pages[i], "alice", "screen", WANT_VIDEO_FRAMES);
      /* The camera goes on beside it. */
      wait_more_frames (scene->pages[i], "alice", NULL, 15);
    }

  g_assert_nonnull (cdp_page_eval (scene->pages[0], "sdkTest.unpublish('screen')", NULL));
  for (guint i = 1; i < 3; i++)
    {
      g_autofree char *gone = g_strdup_printf ("!(%s)", screen_gone);

      wait_js (scene->pages[i], gone, "alice's screen share unpublished");
      wait_more_frames (scene->pages[i], "alice", NULL, 15);
    }
  scene_stop (scene);
}

/* twilio-video.js data tracks in a group room: alice's LocalDataTrack,
 * published after connect, reaches bob and carol as a subscribed
 * RemoteDataTrack, and every message arrives in order. */
static void
test_group_data (void)
{
  const char *const everyone[] = { "alice", "bob", "carol", NULL };
  g_autofree char *subscribed = js_remote_track ("alice", "data",
                                                 "t.name === 'chat' && t.subscribed");
  g_autofree char *all = js_remote_track (
      "alice", "data",
      "t.name === 'chat' && t.messages && t.messages.length === 40 && "
      "t.messages.every((m, i) => m === 'alice:' + i)");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) published = NULL;
  SdkScene *scene;

  if (skip_without_sdk ())
    return;
  scene = scene_with (everyone, "team");
  published = cdp_page_eval (scene->pages[0], "sdkTest.publishData('chat')", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (json_node_get_string (published), "MT"));
  for (guint i = 1; i < 3; i++)
    wait_js (scene->pages[i], subscribed, "alice's data track subscribed");
  g_assert_nonnull (cdp_page_eval (scene->pages[0], "sdkTest.sendData('alice', 40)", NULL));
  for (guint i = 1; i < 3; i++)
    wait_js (scene->pages[i], all, "alice's 40 messages, in order");
  scene_stop (scene);
}

/* Media signaling in a group room: two SDK participants that ask for the
 * dominant speaker and network quality (dominantSpeaker: true,
 * networkQuality), one talking (a tone), one silent. Both are told the
 * talking one is the dominant speaker, no one else is announced while the
 * other stays silent, and each learns its own network quality level. */
static void
test_group_media_signaling (void)
{
  const char *const everyone[] = { "alice", "bob", NULL };
  SdkScene *scene;

  if (skip_without_sdk ())
    return;
  scene = scene_start ();
  for (guint i = 0; everyone[i] != NULL; i++)
    {
      CdpPage *page = scene_open (scene, everyone[i]);
      g_autofree char *token = test_daemon_token (scene->daemon, everyone[i], "team");
      g_autofree char *token_js = cdp_js_string (token);
      g_autofree char *ws_js = cdp_js_string (scene->ws_server);
      /* The microphone: a 440 Hz tone (talking) or digital silence. */
      g_autofree char *script = g_strdup_printf (
          "(async () => {"
          "  const md = navigator.mediaDevices;"
          "  const real = md.getUserMedia.bind(md);"
          "  md.getUserMedia = async (c) => {"
          "    const camera = c && c.video ? await real({video: true}) : null;"
          "    const ctx = new AudioContext(); await ctx.resume();"
          "    const osc = ctx.createOscillator(); const gain = ctx.createGain();"
          "    gain.gain.value = %g;"
          "    const out = ctx.createMediaStreamDestination();"
          "    osc.connect(gain).connect(out); osc.start();"
          "    return new MediaStream([...out.stream.getAudioTracks(),"
          "      ...(camera ? camera.getVideoTracks() : [])]);"
          "  };"
          "  window.speakers = [];"
          "  const ok = await sdkTest.connect({token: %s, name: 'team', wsServer: %s,"
          "    extra: {dominantSpeaker: true, networkQuality: {local: 1, remote: 1}}});"
          "  if (ok) sdkTest.room.on('dominantSpeakerChanged',"
          "    (p) => window.speakers.push(p ? p.identity : null));"
          "  return ok; })()",
          i == 0 ? 0.3 : 0.0, token_js, ws_js);
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) connected = cdp_page_eval (page, script, &error);

      g_assert_no_error (error);
      g_assert_true (json_node_get_boolean (connected));
      /* Alice is announced (to herself) before bob joins: bob learns of
       * her from the catch-up a newcomer gets. */
      if (i == 0)
        wait_js (page,
                 "sdkTest.channelMessages.some((m) => m.startsWith('msp-active-speaker ') "
                 "&& m.includes(sdkTest.sid))",
                 "alice's own page told that she speaks");
    }
  /* The SDK shows remote speakers only (room.dominantSpeaker is a
   * RemoteParticipant): bob's page shows alice. */
  if (!cdp_page_wait_true (scene->pages[1],
                           "sdkTest.room.dominantSpeaker && "
                           "sdkTest.room.dominantSpeaker.identity === 'alice'",
                           20000))
    cdp_test_fail ("[bob] alice was not announced as the dominant speaker: %s",
                   cdp_page_eval_string (scene->pages[1],
                                         "JSON.stringify({channels: sdkTest.channels, "
                                         "messages: sdkTest.channelMessages})"));
  for (guint i = 0; i < scene->n_pages; i++)
    wait_js (scene->pages[i],
             "typeof sdkTest.room.localParticipant.networkQualityLevel === 'number' && "
             "sdkTest.room.localParticipant.networkQualityLevel >= 3",
             "a network quality level of 3 or more for a loopback link");
  /* Bob stays silent: he is never announced, to anyone. */
  demo_spin_for (2000);
  for (guint i = 0; i < scene->n_pages; i++)
    {
      g_autofree char *speakers
          = cdp_page_eval_string (scene->pages[i], "JSON.stringify(window.speakers)");

      g_test_message ("%s: dominant speakers announced %s", everyone[i], speakers);
      /* Alice's own page is told of herself, which the SDK shows as null. */
      g_assert_null (strstr (speakers, "bob"));
      if (i == 1)
        g_assert_cmpstr (speakers, ==, "[\"alice\"]");
    }
  scene_stop (scene);
}

static void
test_group_screen_share (void)
{
  screen_share_in ("team");
}

/* The same between browsers: each re-offers to the others, through the
 * server's relay. */
static void
test_peer_to_peer_screen_share (void)
{
  screen_share_in ("trio");
}

/* twilio-video.js with VP8 simulcast on: it writes a=ssrc-group:SIM (with
 * an FID group per layer) and the server takes each SSRC for a layer of
 * one track (docs/group-media.md, *Simulcast*). The Chromium of these
 * tests sends only the group's first SSRC, at full size (it does not act
 * on a SIM group set into an answer), so this checks that SIM simulcast
 * keeps everyone's video whole: both subscribers decode alice's camera,
 * and one that asks for the low layer, which is not sent, keeps getting
 * the layer there is, without a stall. Switching between layers that are
 * sent is tested with convoke.js's RID simulcast (browser-group-simulcast)
 * and, for SIM SSRCs, in the router (media-router-simulcast). */
static void
test_group_simulcast (void)
{
  SdkScene *scene;
  CdpPage *alice, *bob, *web;
  g_autofree char *token = NULL, *token_js = NULL, *ws_js = NULL, *script = NULL;
  g_autofree char *groups = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) connected = NULL;
  const char *bob_sees_full = "sdkTest.status().then((s) => "
                              "Object.values((s.remotes.alice || {tracks: {}}).tracks)"
                              ".some((t) => t.kind === 'video' && t.width === 960))";

  if (skip_without_sdk ())
    return;
  scene = scene_start ();
  alice = scene_open (scene, "alice");
  token = test_daemon_token (scene->daemon, "alice", "team");
  token_js = cdp_js_string (token);
  ws_js = cdp_js_string (scene->ws_server);
  /* Alice's peer connections, to read the SDP her SDK sends. */
  g_free (cdp_page_eval_string (
      alice, "(() => { window.made = []; const Native = RTCPeerConnection;"
             "  window.RTCPeerConnection = function (...a) {"
             "    const pc = new Native(...a); made.push(pc); return pc; };"
             "  window.RTCPeerConnection.prototype = Native.prototype; return ''; })()"));
  script = g_strdup_printf (
      "sdkTest.connect({token: %s, name: 'team', wsServer: %s, extra: {"
      "  video: {width: 960, height: 540, frameRate: 15},"
      "  preferredVideoCodecs: [{codec: 'VP8', simulcast: true}]}})",
      token_js, ws_js);
  connected = cdp_page_eval (alice, script, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_get_boolean (connected));
  bob = scene_open (scene, "bob");
  g_assert_true (page_connect (scene, bob, "bob", "team", NULL));
  web = demo_scene_open_page (scene->demo, "web", NULL);
  demo_page_connect_direct (web, "team", "web", 0, 0, NULL);

  if (!cdp_page_wait_true (bob, bob_sees_full, 45000))
    cdp_test_fail ("[bob] alice's video never came 960 wide: %s",
                   describe (page_status (bob)));
  demo_page_wait_video_width (web, "alice", 960, 45000);
  groups = cdp_page_eval_string (
      alice, "made.map((pc) => (pc.localDescription?.sdp.match(/a=ssrc-group:SIM .*/g)"
             "  || []).join()).join()");
  g_test_message ("alice's SDK sent %s", groups);
  g_assert_true (g_str_has_prefix (groups, "a=ssrc-group:SIM "));

  demo_page_set_layer (web, "alice", 0);
  demo_spin_for (3000);
  g_assert_cmpuint (demo_page_eval_uint (web, "String(sc.alice.width)"), ==, 960);
  g_assert_cmpuint (demo_page_eval_uint (web, "String(Math.round(sc.alice.maxGap))"), <,
                    1000);
  g_assert_true (cdp_page_wait_true (bob, bob_sees_full, 1000));
  scene_stop (scene);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* --old: every case again with an older 2.x release (2.20.0). */
  for (int i = 1; i < argc; i++)
    if (g_strcmp0 (argv[i], "--old") == 0)
      sdk_scene_use_old_release ();
  demo_scene_quiet_debug_logs ();
  g_test_add_func ("/sdk/group/three", test_group_three);
  g_test_add_func ("/sdk/peer-to-peer/three", test_peer_to_peer_three);
  g_test_add_func ("/sdk/go/full", test_go_full);
  g_test_add_func ("/sdk/bad-token", test_bad_token);
  g_test_add_func ("/sdk/room-completed", test_room_completed);
  g_test_add_func ("/sdk/duplicate-and-unknown-room", test_duplicate_and_unknown_room);
  g_test_add_func ("/sdk/group/mute-and-leave", test_group_mute_and_leave);
  g_test_add_func ("/sdk/group/sync", test_group_sync);
  g_test_add_func ("/sdk/group/mixed", test_group_mixed);
  g_test_add_func ("/sdk/group/screen-share", test_group_screen_share);
  g_test_add_func ("/sdk/group/data", test_group_data);
  g_test_add_func ("/sdk/group/media-signaling", test_group_media_signaling);
  g_test_add_func ("/sdk/peer-to-peer/screen-share", test_peer_to_peer_screen_share);
  g_test_add_func ("/sdk/group/turnover", test_group_turnover);
  g_test_add_func ("/sdk/group/simulcast", test_group_simulcast);
  return g_test_run ();
}
