/* Dominant speaker and network quality in a group room, end to end in one
 * process: the worker side of the group module and webrtcbin clients on
 * 127.0.0.1 that put RFC 6464 audio levels in their Opus
 * (rtphdrextclientaudiolevel) and ask for both with add-participant.
 * One speaks (a tone), the other sends digital silence; then the silent
 * one's uplink loses a third of its audio packets.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/gst.h>
#include <string.h>

#include "media-test-client.h"
#include "test-time.h"

#define SPEAKER "PA00000000000000000000000000000021"
#define SILENT "PA00000000000000000000000000000022"
#define MEDIA_TIMEOUT_MS 20000
#define ANNOUNCE_MS 1000

typedef struct
{
  MediaRoom *room;
  const char *sid;
  int at_least, at_most;
} Level;

static gboolean
audio_flows (gpointer data)
{
  MediaClient **clients = data;

  return media_client_audio_buffers (clients[0], SILENT) > 0
         && media_client_audio_buffers (clients[1], SPEAKER) > 0;
}

static gboolean
speaker_announced (gpointer data)
{
  return media_room_get_speakers (data)->len > 0;
}

static gboolean
level_within (gpointer data)
{
  Level *level = data;
  int now = media_room_quality_level (level->room, level->sid);

  return now >= level->at_least && now <= level->at_most;
}

/* Drops every third audio packet @client sends, before SRTP: the router
 * sees the gaps as loss on its uplink. */
static GstPadProbeReturn
drop_some (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  guint *count = data;

  return ++*count % 3 == 0 ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

static void
test_speaker_and_quality (void)
{
  MediaRoom *room = media_room_new (NULL);
  MediaClient *clients[2];
  Level level = { room, NULL, 0, 0 };
  g_autoptr (GstElement) pay = NULL;
  g_autoptr (GstPad) pay_src = NULL;
  guint count = 0;
  gint64 flowing;
  GPtrArray *speakers;

  clients[0] = media_client_new (room, SPEAKER, MEDIA_CLIENT_AUDIO_LEVELS);
  clients[1]
      = media_client_new (room, SILENT, MEDIA_CLIENT_AUDIO_LEVELS | MEDIA_CLIENT_SILENT);
  media_client_join (clients[0]);
  media_client_join (clients[1]);
  g_assert_true (media_wait_until (audio_flows, clients, MEDIA_TIMEOUT_MS));
  flowing = g_get_monotonic_time ();
  g_assert_nonnull (strstr (media_room_last_description (room, SPEAKER),
                            "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level"));

  /* The speaker is announced within a second of its audio reaching the
   * others, and the silent one never is. */
  g_assert_true (media_wait_until (speaker_announced, room, ANNOUNCE_MS));
  g_test_message ("dominant speaker announced %" G_GINT64_FORMAT
                  " ms after audio reached both",
                  (g_get_monotonic_time () - flowing) / 1000);
  speakers = media_room_get_speakers (room);
  g_assert_cmpstr (g_ptr_array_index (speakers, 0), ==, SPEAKER);
  test_watch_for (NULL, NULL, 2000);
  g_assert_cmpuint (speakers->len, ==, 1);

  /* Clean links on loopback: both excellent. */
  level.at_least = 5;
  level.at_most = 5;
  level.sid = SPEAKER;
  g_assert_true (media_wait_until (level_within, &level, MEDIA_TIMEOUT_MS));
  level.sid = SILENT;
  g_assert_true (media_wait_until (level_within, &level, MEDIA_TIMEOUT_MS));

  /* The silent one's uplink loses a third: its level falls, the other's
   * stays. */
  pay = gst_bin_get_by_name (GST_BIN (media_client_get_pipeline (clients[1])),
                             "audiopay");
  pay_src = gst_element_get_static_pad (pay, "src");
  gst_pad_add_probe (pay_src, GST_PAD_PROBE_TYPE_BUFFER, drop_some, &count, NULL);
  level.at_least = 0;
  level.at_most = 2;
  g_assert_true (media_wait_until (level_within, &level, MEDIA_TIMEOUT_MS));
  g_test_message ("levels with loss: %s %d, %s %d", SPEAKER,
                  media_room_quality_level (room, SPEAKER), SILENT,
                  media_room_quality_level (room, SILENT));
  test_watch_for (NULL, NULL, 2000);
  g_assert_cmpint (media_room_quality_level (room, SPEAKER), >=, 4);
  g_assert_cmpint (media_room_quality_level (room, SILENT), <=, 2);
  g_assert_cmpuint (speakers->len, ==, 1);
  g_assert_cmpuint (media_room_get_errors (room)->len, ==, 0);
  media_room_free (room);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sfu/media/speaker-and-quality", test_speaker_and_quality);
  return g_test_run ();
}
