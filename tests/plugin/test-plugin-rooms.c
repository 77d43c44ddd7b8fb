/* convokesink and convokesrc in real gst-launch-1.0 processes against a
 * real convoked: publishing, subscribing, tracks coming and going, and
 * the errors a user meets.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gst-launch-runner.h"

#include <string.h>

#define ROOMS_CONFIG                                                                     \
  "[rooms]\n"                                                                            \
  "auto-create=true\n"                                                                   \
  "default-type=peer-to-peer\n"

/* The acceptance bar: 30 decoded frames within 30 s on an idle machine.
 * Deadlines are base figures; gst-launch-runner's waits scale them. */
#define WANT_FRAMES 30
#define MEDIA_TIMEOUT_MS 30000
#define EXIT_TIMEOUT_MS 20000

/* Audio and video; subscribers here decode the video only, so the audio
 * pad also checks that an unlinked pad harms nothing. */
#define PUBLISHER                                                                        \
  "convokesink name=out url=%s room=%s identity=%s api-key=%s api-secret=%s "            \
  "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! "       \
  "vp8enc deadline=1 keyframe-max-dist=30 ! out.video_0 "                                \
  "audiotestsrc is-live=true ! audioconvert ! audioresample ! opusenc ! out.audio_0"

static void
create_room (TestDaemon *d, const char *name, const char *type)
{
  const char *form[] = { "UniqueName", name, "Type", type, NULL };
  g_autoptr (JsonNode) json = NULL;

  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, &json, NULL), ==, 201);
}

/* Video as RTP that the pipeline payloads itself, linked without a pad
 * name: the pad template must pick video_%u for it. */
#define RTP_PUBLISHER                                                                    \
  "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! "       \
  "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=100 mtu=1200 ! "                \
  "convokesink url=%s room=%s identity=%s api-key=%s api-secret=%s"

static GstLaunch *
start_publisher (TestDaemon *d, const char *room, const char *identity)
{
  g_autofree char *pipeline = g_strdup_printf (PUBLISHER, d->base_url, room, identity,
                                               d->api_key, d->api_secret);

  return gst_launch_start (pipeline);
}

static GstLaunch *gst_launch_start_printf (const char *format, ...) G_GNUC_PRINTF (1, 2);

static GstLaunch *
gst_launch_start_printf (const char *format, ...)
{
  g_autofree char *pipeline = NULL;
  va_list args;

  va_start (args, format);
  pipeline = g_strdup_vprintf (format, args);
  va_end (args);
  return gst_launch_start (pipeline);
}

static void
assert_output_has (GstLaunch *launch, const char *text)
{
  g_autofree char *out = gst_launch_stdout (launch);

  if (strstr (out, text) == NULL)
    g_error ("gst-launch-1.0 printed no “%s”; its output:\n%s", text, out);
}

static void
assert_no_error (GstLaunch *launch)
{
  g_autofree char *err = gst_launch_stderr (launch);

  if (strstr (err, "ERROR") != NULL || strstr (err, "CRITICAL") != NULL)
    g_error ("gst-launch-1.0 reported an error:\n%s", err);
}

/* A publisher and a subscriber (joining with a token) in @room: the
 * subscriber decodes the publisher's video and hears about it on the
 * bus. */
static void
check_publish_subscribe (TestDaemon *d, const char *room, const char *topology)
{
  g_autofree char *token = test_daemon_token (d, "sub", room);
  g_autofree char *subscriber = g_strdup_printf (
      "convokesrc name=s url=%s room=%s token=%s s.src_pub_video ! queue ! vp8dec ! "
      "fakesink name=v silent=false async=false",
      d->base_url, room, token);
  g_autofree char *joined = g_strdup_printf ("topology=(string)%s", topology);
  GstLaunch *pub = start_publisher (d, room, "pub");
  GstLaunch *sub = gst_launch_start (subscriber);

  g_assert_cmpuint (gst_launch_wait_buffers (sub, "v", WANT_FRAMES, MEDIA_TIMEOUT_MS), >=,
                    WANT_FRAMES);
  assert_no_error (sub);
  assert_no_error (pub);
  assert_output_has (sub, "convoke-joined");
  assert_output_has (sub, joined);
  assert_output_has (sub, "convoke-participant-connected, sid=(string)PA");
  assert_output_has (sub, "identity=(string)pub");
  assert_output_has (sub, "convoke-track-added");
  assert_output_has (sub, "pad=(string)src_pub_video");
  g_assert_true (
      gst_launch_wait_output (sub, "pad=(string)src_pub_audio", MEDIA_TIMEOUT_MS));
  assert_output_has (pub, "convoke-joined");

  g_assert_cmpint (gst_launch_stop (sub), ==, 0);
  g_assert_cmpint (gst_launch_stop (pub), ==, 0);
}

static void
test_peer_to_peer_publish_subscribe (void)
{
  TestDaemon *d = test_daemon_start (ROOMS_CONFIG, NULL);

  check_publish_subscribe (d, "p2p-pubsub", "mesh");
  test_daemon_stop (d);
}

static void
test_group_publish_subscribe (void)
{
  TestDaemon *d = test_daemon_start (ROOMS_CONFIG, NULL);

  create_room (d, "group-pubsub", "group");
  check_publish_subscribe (d, "group-pubsub", "sfu");
  test_daemon_stop (d);
}

/* A subscriber stays while its publisher leaves and another joins: the
 * first pad ends with EOS and goes, the second one comes and plays. */
static void
test_peer_to_peer_publisher_replaced (void)
{
  TestDaemon *d = test_daemon_start (ROOMS_CONFIG, NULL);
  g_autofree char *subscriber = g_strdup_printf (
      "convokesrc name=s url=%s room=replaced identity=sub api-key=%s api-secret=%s "
      "s.src_first_video ! queue ! vp8dec ! fakesink name=a silent=false async=false "
      "s.src_second_video ! queue ! vp8dec ! fakesink name=b silent=false async=false",
      d->base_url, d->api_key, d->api_secret);
  GstLaunch *sub = gst_launch_start (subscriber);
  GstLaunch *first = start_publisher (d, "replaced", "first");
  GstLaunch *second;
  guint first_frames;

  g_assert_cmpuint (gst_launch_wait_buffers (sub, "a", WANT_FRAMES, MEDIA_TIMEOUT_MS), >=,
                    WANT_FRAMES);
  g_assert_cmpint (gst_launch_stop (first), ==, 0);
  g_assert_true (gst_launch_wait_output (sub, "(a:sink) E (type: eos", MEDIA_TIMEOUT_MS));
  assert_output_has (sub, "convoke-track-removed");
  assert_output_has (sub, "pad=(string)src_first_video");
  g_assert_true (
      gst_launch_wait_output (sub, "convoke-participant-disconnected", MEDIA_TIMEOUT_MS));
  first_frames = gst_launch_count_buffers (sub, "a");

  second = gst_launch_start_printf (RTP_PUBLISHER, d->base_url, "replaced", "second",
                                    d->api_key, d->api_secret);
  g_assert_cmpuint (gst_launch_wait_buffers (sub, "b", WANT_FRAMES, MEDIA_TIMEOUT_MS), >=,
                    WANT_FRAMES);
  g_assert_true (gst_launch_running (sub));
  g_assert_cmpuint (gst_launch_count_buffers (sub, "a"), ==, first_frames);
  /* The unnamed link took a video pad for the RTP. */
  assert_output_has (second,
                     "convokesink0.GstGhostPad:video_0: caps = application/x-rtp");
  assert_no_error (sub);

  /* When the second one leaves too, every branch has had EOS: the
   * pipeline ends by itself, cleanly. */
  g_assert_cmpint (gst_launch_stop (second), ==, 0);
  g_assert_cmpint (gst_launch_wait_exit (sub, EXIT_TIMEOUT_MS), ==, 0);
  assert_output_has (sub, "Got EOS from element \"pipeline0\"");
  assert_no_error (sub);
  gst_launch_stop (sub);
  test_daemon_stop (d);
}

/* gst-launch-1.0 ends with an ERROR naming the cause and a non-zero
 * exit status; returns its stderr. */
static char *
expect_failure (const char *pipeline)
{
  GstLaunch *launch = gst_launch_start (pipeline);
  int status = gst_launch_wait_exit (launch, EXIT_TIMEOUT_MS);
  char *err = gst_launch_stderr (launch);

  g_assert_cmpint (status, >, 0);
  g_assert_nonnull (
      strstr (err, "ERROR: from element /GstPipeline:pipeline0/GstConvoke"));
  gst_launch_stop (launch);
  return err;
}

static void
test_bad_token (void)
{
  TestDaemon *d = test_daemon_start (ROOMS_CONFIG, NULL);
  g_autofree char *garbage = g_strdup_printf (
      "convokesrc url=%s room=tokens token=not-a-jwt ! fakesink", d->base_url);
  g_autofree char *wrong_secret = g_strdup_printf (
      "videotestsrc is-live=true ! vp8enc deadline=1 ! convokesink url=%s room=tokens "
      "identity=mallory api-key=%s api-secret=not-the-secret-0123456789",
      d->base_url, d->api_key);
  g_autofree char *err = NULL;

  err = expect_failure (garbage);
  g_assert_nonnull (strstr (err, "Could not join the Convoke room “tokens”"));
  g_assert_nonnull (strstr (err, "(error 20101)"));
  g_clear_pointer (&err, g_free);

  err = expect_failure (wrong_secret);
  g_assert_nonnull (strstr (err, "GstConvokeSink"));
  g_assert_nonnull (strstr (err, "signature"));
  g_assert_nonnull (strstr (err, "(error 20107)"));
  test_daemon_stop (d);
}

/* A go room takes two; the third gst-launch-1.0 fails with 53105 and
 * the two inside go on. */
static void
test_go_room_full (void)
{
  TestDaemon *d = test_daemon_start (ROOMS_CONFIG, NULL);
  g_autofree char *subscriber = g_strdup_printf (
      "convokesrc name=s url=%s room=go-full identity=sub api-key=%s api-secret=%s "
      "s.src_pub_video ! queue ! vp8dec ! fakesink name=v silent=false async=false",
      d->base_url, d->api_key, d->api_secret);
  g_autofree char *third = g_strdup_printf (
      "convokesrc url=%s room=go-full identity=third api-key=%s api-secret=%s ! fakesink",
      d->base_url, d->api_key, d->api_secret);
  g_autofree char *err = NULL;
  GstLaunch *pub;
  GstLaunch *sub;
  guint frames;

  create_room (d, "go-full", "go");
  pub = start_publisher (d, "go-full", "pub");
  sub = gst_launch_start (subscriber);
  g_assert_cmpuint (gst_launch_wait_buffers (sub, "v", WANT_FRAMES, MEDIA_TIMEOUT_MS), >=,
                    WANT_FRAMES);

  err = expect_failure (third);
  g_assert_nonnull (strstr (err, "Could not join the Convoke room “go-full”"));
  g_assert_nonnull (strstr (err, "is full"));
  g_assert_nonnull (strstr (err, "(error 53105)"));

  frames = gst_launch_count_buffers (sub, "v");
  g_assert_cmpuint (
      gst_launch_wait_buffers (sub, "v", frames + WANT_FRAMES, MEDIA_TIMEOUT_MS), >=,
      frames + WANT_FRAMES);
  assert_no_error (sub);
  assert_no_error (pub);
  g_assert_cmpint (gst_launch_stop (sub), ==, 0);
  g_assert_cmpint (gst_launch_stop (pub), ==, 0);
  test_daemon_stop (d);
}

/* Downstream refuses what a pad carries: the peer connection's streaming
 * stops with not-negotiated, which the element reports as a warning; the
 * pipeline stays up and stops cleanly. */
static void
test_refused_caps (void)
{
  TestDaemon *d = test_daemon_start (ROOMS_CONFIG, NULL);
  g_autofree char *subscriber = g_strdup_printf (
      "convokesrc name=s url=%s room=refused identity=sub api-key=%s api-secret=%s "
      "s.src_pub_video ! capsfilter caps=video/x-vp8,width=(int)1 ! fakesink async=false",
      d->base_url, d->api_key, d->api_secret);
  GstLaunch *pub = start_publisher (d, "refused", "pub");
  GstLaunch *sub = gst_launch_start (subscriber);
  g_autofree char *err = NULL;

  g_assert_true (
      gst_launch_wait_output (sub, "pad=(string)src_pub_video", MEDIA_TIMEOUT_MS));
  /* gst-launch-1.0 prints warnings on its standard output. */
  g_assert_true (gst_launch_wait_output (
      sub, "WARNING: from element /GstPipeline:pipeline0/GstConvokeSrc:s/GstWebRTCBin",
      MEDIA_TIMEOUT_MS));
  assert_output_has (sub, "not-negotiated");
  /* Still up two seconds later: an observation window, not scaled. */
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_true (gst_launch_running (sub));
  err = gst_launch_stderr (sub);
  g_assert_null (strstr (err, "ERROR"));
  g_assert_cmpint (gst_launch_stop (sub), ==, 0);
  g_assert_cmpint (gst_launch_stop (pub), ==, 0);
  test_daemon_stop (d);
}

static void
test_bad_url (void)
{
  g_autofree char *err = NULL;

  err = expect_failure ("convokesrc url=ftp://127.0.0.1:7880 room=r token=t ! fakesink");
  g_assert_nonnull (
      strstr (err, "The url “ftp://127.0.0.1:7880” is not a Convoke server"));
  g_clear_pointer (&err, g_free);

  /* Port 1: nothing listens there. */
  err = expect_failure ("convokesrc url=http://127.0.0.1:1 room=r token=t ! fakesink");
  g_assert_nonnull (strstr (err, "ws://127.0.0.1:1/v1/Signaling"));
  g_assert_nonnull (strstr (err, "(error 53000)"));
  g_clear_pointer (&err, g_free);

  err = expect_failure ("convokesrc url=http://127.0.0.1:1 room=r ! fakesink");
  g_assert_nonnull (strstr (err, "Set token, or identity with api-key and api-secret"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_launch_init ();

  g_test_add_func ("/plugin/peer-to-peer/publish-subscribe",
                   test_peer_to_peer_publish_subscribe);
  g_test_add_func ("/plugin/peer-to-peer/publisher-replaced",
                   test_peer_to_peer_publisher_replaced);
  g_test_add_func ("/plugin/group/publish-subscribe", test_group_publish_subscribe);
  g_test_add_func ("/plugin/errors/bad-token", test_bad_token);
  g_test_add_func ("/plugin/errors/go-room-full", test_go_room_full);
  g_test_add_func ("/plugin/errors/refused-caps", test_refused_caps);
  g_test_add_func ("/plugin/errors/bad-url", test_bad_url);
  return g_test_run ();
}
