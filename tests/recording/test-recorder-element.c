/* convokerecorder and convokecryptsink in GStreamer pipelines: what they
 * write is read back with matroskademux and decoded.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <gst/app/gstappsrc.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "recording-crypt.h"
#include "recording-test-util.h"
#include "test-daemon.h"

/* Deadlines, as base figures for an idle 2-core machine: scaled by the
 * suite's one knob (test_scaled_ms). */
#define RUN_TIMEOUT ((GstClockTime) test_scaled_ms (30000) * GST_MSECOND)
#define ERROR_TIMEOUT ((GstClockTime) test_scaled_ms (10000) * GST_MSECOND)
/* 160x120 at 15 fps keeps two shared cores free for the rest. */
#define VIDEO_CAPS "video/x-raw,width=160,height=120,framerate=15/1"
#define VIDEO_SOURCE "videotestsrc is-live=true num-buffers=45 ! " VIDEO_CAPS
#define VIDEO_SECONDS 3.0
#define AUDIO_SOURCE "audiotestsrc is-live=true samplesperbuffer=960 num-buffers=100"
#define AUDIO_SECONDS 2.0
#define CHILD_ARGUMENT "--child-record"

static char *self_path;
static char *dir;
static char *private_key;
static char *public_key;

static char *
temp_path (const char *name)
{
  return g_build_filename (dir, name, NULL);
}

/* Runs @description (with a convokerecorder named "rec") to the end;
 * returns the first error, or NULL. */
static char *
run_recording (const char *description, const char *location, const char *key,
               GstElement **recorder_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  g_autoptr (GstElement) recorder = NULL;
  char *failure = NULL;

  g_assert_no_error (error);
  recorder = gst_bin_get_by_name (GST_BIN (pipeline), "rec");
  g_assert_nonnull (recorder);
  g_object_set (recorder, "location", location, "public-key", key, NULL);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, RUN_TIMEOUT,
                                        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (message == NULL)
    failure = g_strdup ("timed out");
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autofree char *debug = NULL;

      g_clear_error (&error);
      gst_message_parse_error (message, &error, &debug);
      failure = g_strdup (error->message);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (recorder_out != NULL)
    *recorder_out = g_steal_pointer (&recorder);
  return failure;
}

static void
assert_seconds (GstClockTime duration, double expected, double tolerance)
{
  double seconds = (double) duration / GST_SECOND;

  g_test_message ("duration %.3f s, expected %.3f s", seconds, expected);
  g_assert_cmpfloat_with_epsilon (seconds, expected, tolerance);
}

static void
check_recording (const char *path, const char *media_type, double seconds, guint frames)
{
  g_auto (RecordingInfo) info = { 0 };

  recording_test_read (path, &info);
  g_assert_null (info.error);
  g_assert_cmpstr (info.media_type, ==, media_type);
  g_assert_true (info.first_is_keyframe);
  assert_seconds (info.duration, seconds, 0.15);
  if (frames > 0)
    {
      g_assert_cmpuint (info.buffers, ==, frames);
      g_assert_cmpuint (info.decoded, ==, frames);
    }
  else
    g_assert_cmpuint (info.decoded, >, 0);
}

static void
test_vp8 (void)
{
  g_autofree char *path = temp_path ("vp8.mkv");
  g_autoptr (GstElement) recorder = NULL;
  g_autofree char *codec = NULL;
  g_autofree char *container = NULL;
  guint64 duration = 0;
  g_autofree char *failure = run_recording (
      VIDEO_SOURCE " ! vp8enc deadline=1 ! rtpvp8pay ! convokerecorder name=rec", path,
      NULL, &recorder);

  g_assert_null (failure);
  g_object_get (recorder, "codec", &codec, "container", &container, "duration", &duration,
                NULL);
  g_assert_cmpstr (codec, ==, "vp8");
  g_assert_cmpstr (container, ==, "mkv");
  assert_seconds (duration, VIDEO_SECONDS, 0.15);
  check_recording (path, "video/x-vp8", VIDEO_SECONDS, 45);
}

static void
test_opus (void)
{
  g_autofree char *path = temp_path ("opus.mka");
  g_autoptr (GstElement) recorder = NULL;
  g_autofree char *container = NULL;
  g_autofree char *failure
      = run_recording (AUDIO_SOURCE " ! opusenc ! rtpopuspay ! convokerecorder name=rec",
                       path, NULL, &recorder);

  g_assert_null (failure);
  g_object_get (recorder, "container", &container, NULL);
  g_assert_cmpstr (container, ==, "mka");
  /* opusenc adds a frame for its look-ahead: counts are not exact. */
  check_recording (path, "audio/x-opus", AUDIO_SECONDS, 0);
}

static void
test_h264 (void)
{
  g_autofree char *path = temp_path ("h264.mkv");
  g_autoptr (GstElementFactory) encoder = gst_element_factory_find ("openh264enc");
  g_autofree char *failure = NULL;

  if (encoder == NULL)
    {
      g_test_skip ("openh264enc is not installed");
      return;
    }
  failure = run_recording (
      VIDEO_SOURCE
      " ! openh264enc ! video/x-h264,profile=constrained-baseline ! rtph264pay "
      "config-interval=-1 ! convokerecorder name=rec",
      path, NULL, NULL);
  g_assert_null (failure);
  check_recording (path, "video/x-h264", VIDEO_SECONDS, 45);
}

static GBytes *
load (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  GBytes *bytes = g_file_load_bytes (file, NULL, NULL, &error);

  g_assert_no_error (error);
  return bytes;
}

static void
test_encrypted (void)
{
  g_autofree char *path = temp_path ("vp8.mkv.enc");
  g_autofree char *plain_path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) sealed = NULL;
  g_auto (RecordingInfo) direct = { 0 };
  g_autoptr (GBytes) opened = NULL;
  GStatBuf st;
  g_autofree char *failure = run_recording (
      VIDEO_SOURCE " ! vp8enc deadline=1 ! rtpvp8pay ! convokerecorder name=rec", path,
      public_key, NULL);

  g_assert_null (failure);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* Neither Matroska nor anything of it in the clear. */
  sealed = load (path);
  g_assert_cmpmem (g_bytes_get_data (sealed, NULL), 6, CONVOKE_RECORDING_MAGIC, 6);
  g_assert_false (recording_test_contains (sealed, "V_VP8"));
  g_assert_false (recording_test_contains (sealed, "Convoke"));
  recording_test_read (path, &direct);
  g_assert_nonnull (direct.error);
  g_assert_cmpuint (direct.buffers, ==, 0);

  plain_path = recording_test_decrypt (path, private_key, &error);
  g_assert_no_error (error);
  opened = load (plain_path);
  g_assert_true (recording_test_contains (opened, "V_VP8"));
  check_recording (plain_path, "video/x-vp8", VIDEO_SECONDS, 45);
}

static GstPadProbeReturn
drop_first_packets (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  guint *left = user_data;

  if (*left == 0)
    return GST_PAD_PROBE_OK;
  (*left)--;
  return GST_PAD_PROBE_DROP;
}

/* A recording that starts after the key frame (a track recorded from the
 * middle) waits for the next one and asks upstream for it. */
static void
test_starts_at_keyframe (void)
{
  g_autofree char *path = temp_path ("late.mkv");
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (
      VIDEO_SOURCE " ! vp8enc deadline=1 keyframe-max-dist=10000 ! rtpvp8pay name=pay "
                   "! convokerecorder name=rec",
      &error);
  g_autoptr (GstElement) payloader = NULL;
  g_autoptr (GstElement) recorder = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  g_auto (RecordingInfo) info = { 0 };
  guint left = 15; /* frames (packet lists): the key frame and delta frames */

  g_assert_no_error (error);
  payloader = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  recorder = gst_bin_get_by_name (GST_BIN (pipeline), "rec");
  g_object_set (recorder, "location", path, NULL);
  pad = gst_element_get_static_pad (payloader, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     drop_first_packets, &left, NULL);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, RUN_TIMEOUT,
                                        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  recording_test_read (path, &info);
  g_assert_null (info.error);
  g_assert_true (info.first_is_keyframe);
  /* Without the request there would be no key frame before the end. */
  g_test_message ("%u of 45 frames recorded", info.buffers);
  g_assert_cmpuint (info.buffers, >=, 20);
  g_assert_cmpuint (info.buffers, <=, 30);
  g_assert_cmpuint (info.decoded, ==, info.buffers);
}

static char *
push_and_wait_error (GstElement *pipeline, GstElement *source, GstCaps *second_caps)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;
  guint8 rtp[20] = { 0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0, 0, 0, 0, 0, 0, 0 };

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer ((GstAppSrc *) source, gst_buffer_new_memdup (rtp, sizeof rtp));
  g_object_set (source, "caps", second_caps, NULL);
  rtp[3] = 2;
  gst_app_src_push_buffer ((GstAppSrc *) source, gst_buffer_new_memdup (rtp, sizeof rtp));
  message = gst_bus_timed_pop_filtered (bus, ERROR_TIMEOUT, GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (message == NULL)
    return NULL;
  gst_message_parse_error (message, &error, &debug);
  return g_strdup (error->message);
}

static void
test_codec_change_refused (void)
{
  g_autofree char *path = temp_path ("change.mkv");
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (
      "appsrc name=src format=time is-live=true do-timestamp=true "
      "caps=application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96 "
      "! convokerecorder name=rec",
      &error);
  g_autoptr (GstElement) source = NULL;
  g_autoptr (GstElement) recorder = NULL;
  g_autoptr (GstCaps) opus = gst_caps_from_string (
      "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111");
  g_autofree char *message = NULL;

  g_assert_no_error (error);
  source = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  recorder = gst_bin_get_by_name (GST_BIN (pipeline), "rec");
  g_object_set (recorder, "location", path, NULL);
  message = push_and_wait_error (pipeline, source, opus);
  g_assert_nonnull (message);
  g_test_message ("%s", message);
  /* Either the recorder's own refusal or the caps negotiation's. */
  g_assert_true (strstr (message, "codec") != NULL || strstr (message, "negotiat") != NULL
                 || strstr (message, "not-negotiated") != NULL);
}

static void
test_no_location (void)
{
  g_autoptr (GstElement) recorder = gst_element_factory_make ("convokerecorder", NULL);

  g_assert_nonnull (recorder);
  g_assert_cmpint (gst_element_set_state (recorder, GST_STATE_READY), ==,
                   GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (recorder, GST_STATE_NULL);
}

/* ---- kill -9 while writing ------------------------------------------------ */

/* The child: records live VP8 until it is killed. */
static int
child_record (const char *location, const char *key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) recorder = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  gst_init (NULL, NULL);
  pipeline
      = gst_parse_launch ("videotestsrc is-live=true ! " VIDEO_CAPS
                          " ! vp8enc deadline=1 ! rtpvp8pay ! convokerecorder name=rec",
                          &error);
  g_assert_no_error (error);
  recorder = gst_bin_get_by_name (GST_BIN (pipeline), "rec");
  g_object_set (recorder, "location", location, "public-key", key, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_main_loop_run (loop);
  return 0;
}

static gboolean
file_has_bytes (gpointer data)
{
  GStatBuf st;

  return g_stat (data, &st) == 0 && st.st_size > 0;
}

/* Kills a child mid-recording and returns the seconds it recorded for. */
static double
record_and_kill (const char *path, const char *key)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { self_path, CHILD_ARGUMENT, path, key, NULL };
  g_autoptr (GSubprocess) child
      = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);
  gint64 started;

  g_assert_no_error (error);
  g_assert_true (test_wait_until (file_has_bytes, (gpointer) path, 10000));
  started = g_get_monotonic_time ();
  /* Three seconds of recording: a duration, not a deadline, so not
   * scaled. */
  test_watch_for (NULL, NULL, 3000);
  g_subprocess_send_signal (child, SIGKILL);
  g_assert_true (g_subprocess_wait (child, NULL, NULL));
  g_assert_true (g_subprocess_get_if_signaled (child));
  return (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
}

static void
test_killed_plain (void)
{
  g_autofree char *path = temp_path ("killed.mkv");
  double seconds = record_and_kill (path, NULL);
  g_auto (RecordingInfo) info = { 0 };

  recording_test_read (path, &info);
  g_test_message (
      "recorded %.2f s before the kill; the file holds %u frames, %.2f s (%s)", seconds,
      info.buffers, (double) info.duration / GST_SECOND,
      info.error ? info.error : "no error");
  g_assert_cmpstr (info.media_type, ==, "video/x-vp8");
  g_assert_true (info.first_is_keyframe);
  /* Everything but the last moments before the kill. */
  g_assert_cmpfloat ((double) info.duration / GST_SECOND, >=, seconds - 0.5);
  g_assert_cmpuint (info.decoded, >=, info.buffers - 1);
}

static void
test_killed_encrypted (void)
{
  g_autofree char *path = temp_path ("killed.mkv.enc");
  double seconds = record_and_kill (path, public_key);
  g_autoptr (GError) error = NULL;
  g_autofree char *plain_path = recording_test_decrypt (path, private_key, &error);
  g_auto (RecordingInfo) info = { 0 };

  g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                  CONVOKE_RECORDING_CRYPT_ERROR_TRUNCATED);
  recording_test_read (plain_path, &info);
  g_test_message ("recorded %.2f s before the kill; decrypted %u frames, %.2f s (%s)",
                  seconds, info.buffers, (double) info.duration / GST_SECOND,
                  info.error ? info.error : "no error");
  g_assert_cmpstr (info.media_type, ==, "video/x-vp8");
  /* A chunk is sealed at the latest a second after its first byte. */
  g_assert_cmpfloat ((double) info.duration / GST_SECOND, >=, seconds - 1.5);
  g_assert_cmpuint (info.decoded, >=, info.buffers - 1);
}

int
main (int argc, char **argv)
{
  int status;

  if (argc >= 3 && g_str_equal (argv[1], CHILD_ARGUMENT))
    return child_record (argv[2], argc >= 4 ? argv[3] : NULL);

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  self_path = g_canonicalize_filename (argv[0], NULL);
  dir = test_mkdtemp ();
  private_key = recording_test_make_keys (dir, "admin", 2048, &public_key);

  g_test_add_func ("/recording/recorder/vp8", test_vp8);
  g_test_add_func ("/recording/recorder/opus", test_opus);
  g_test_add_func ("/recording/recorder/h264", test_h264);
  g_test_add_func ("/recording/recorder/encrypted", test_encrypted);
  g_test_add_func ("/recording/recorder/starts-at-keyframe", test_starts_at_keyframe);
  g_test_add_func ("/recording/recorder/codec-change-refused", test_codec_change_refused);
  g_test_add_func ("/recording/recorder/no-location", test_no_location);
  g_test_add_func ("/recording/recorder/killed-plain", test_killed_plain);
  g_test_add_func ("/recording/recorder/killed-encrypted", test_killed_encrypted);
  status = g_test_run ();

  test_rm_rf (dir);
  g_free (dir);
  g_free (private_key);
  g_free (public_key);
  g_free (self_path);
  return status;
}
