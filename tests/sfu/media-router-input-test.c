/* convokerouter on its own, what it gets besides plain media: stream
 * notifications, malformed and random packets, and what gst-inspect-1.0
 * shows of it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <string.h>

#include "media-router-fixture.h"

typedef struct
{
  guint started, ended;
  guint32 last_ssrc;
} StreamEvents;

static void
on_stream_started (GstElement *router, const char *id, guint ssrc, const char *media,
                   StreamEvents *events)
{
  g_assert_cmpstr (id, ==, "A");
  events->started++;
  events->last_ssrc = ssrc;
}

static void
on_stream_ended (GstElement *router, const char *id, guint ssrc, const char *media,
                 StreamEvents *events)
{
  g_assert_cmpstr (id, ==, "A");
  g_assert_cmpstr (media, ==, "audio");
  events->ended++;
  events->last_ssrc = ssrc;
}

static void
test_stream_signals (Fixture *f, gconstpointer data)
{
  StreamEvents events = { 0 };
  GstBuffer *bye = gst_rtcp_buffer_new (1000);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean removed = FALSE;

  g_signal_connect (f->router, "stream-started", G_CALLBACK (on_stream_started), &events);
  g_signal_connect (f->router, "stream-ended", G_CALLBACK (on_stream_ended), &events);
  publish_a_to_b (f);
  push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO, 1, 0));
  push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO, 2, 960));
  g_assert_cmpuint (events.started, ==, 1);
  g_assert_cmphex (events.last_ssrc, ==, SSRC_A_AUDIO);

  gst_rtcp_buffer_map (bye, GST_MAP_READWRITE, &rtcp);
  gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_BYE, &packet);
  gst_rtcp_packet_bye_add_ssrc (&packet, SSRC_A_AUDIO);
  gst_rtcp_buffer_unmap (&rtcp);
  push (f->peers[0].rtcp_in, bye);
  g_assert_cmpuint (events.ended, ==, 1);
  /* A late packet of the ended stream does not revive it. */
  push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO, 3, 1920));
  g_assert_cmpuint (events.started, ==, 1);

  push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO + 1, 1, 0));
  g_assert_cmpuint (events.started, ==, 2);
  g_signal_emit_by_name (f->router, "remove-participant", "A", &removed);
  g_assert_true (removed);
  g_assert_cmpuint (events.ended, ==, 2);
  g_signal_handlers_disconnect_by_data (f->router, &events);
}

static void
test_bad_input (Fixture *f, gconstpointer data)
{
  static const guint8 junk[] = { 0x80, 0xc9, 0x00, 0x07, 0xde, 0xad, 0xbe, 0xef, 0x01 };
  g_autoptr (GstCaps) bad_caps
      = gst_caps_from_string ("application/x-rtp, payload=(int)300, "
                              "media=(string)video, "
                              "clock-rate=(int)90000");
  gboolean ok = TRUE;

  publish_a_to_b (f);
  push (f->peers[0].rtp_in, gst_buffer_new_memdup (junk, sizeof (junk)));
  push (f->peers[0].rtp_in, gst_buffer_new_memdup (junk, 3));
  push (f->peers[0].rtp_in, gst_buffer_new ());
  push (f->peers[1].rtcp_in, gst_buffer_new_memdup (junk, sizeof (junk)));
  push (f->peers[1].rtcp_in, gst_buffer_new_memdup (junk, 4));
  push (f->peers[1].rtcp_in, gst_buffer_new ());
  /* A known payload type starts a stream; an unknown one is dropped. */
  push (f->peers[0].rtp_in, vp8_packet (SSRC_A_VIDEO, 1, 0, TRUE, FALSE));
  {
    GstBuffer *buffer = opus_packet (SSRC_A_AUDIO, 9, 9);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

    gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp);
    gst_rtp_buffer_set_payload_type (&rtp, 55);
    gst_rtp_buffer_unmap (&rtp);
    push (f->peers[0].rtp_in, buffer);
  }
  g_assert_cmpuint (router_stat (f, "A", "dropped"), ==, 4);
  g_assert_cmpuint (router_stat (f, "B", "dropped"), ==, 3);
  g_assert_cmpuint (router_stat (f, "A", "rtp-received"), ==, 1);

  g_signal_emit_by_name (f->router, "set-payloads", "A", bad_caps, &ok);
  g_assert_false (ok);
  g_signal_emit_by_name (f->router, "set-slot", "B", 0u, "video", 96, "A", &ok);
  g_assert_false (ok);
  g_signal_emit_by_name (f->router, "set-slot", "B", 5u, "text", 96, "A", &ok);
  g_assert_false (ok);
  /* A request pad must name its participant. */
  g_assert_null (gst_element_request_pad_simple (f->router, "recv_rtp_sink_%s"));
}

/* Random and mutated packets on every input: dropped or forwarded, never a
 * crash (the ASan build runs this too). */
static void
test_fuzz_packets (Fixture *f, gconstpointer data)
{
  publish_a_to_b (f);
  set_slot (f, "A", 0x5107a, "video", PT_VP8_OUT, "B");
  set_payloads (f, "B");
  set_sending (f, "C");
  for (guint round = 0; round < 4000; round++)
    {
      Peer *peer = &f->peers[g_test_rand_int_range (0, 3)];
      gboolean rtcp = g_test_rand_bit ();
      GstBuffer *buffer;
      GstMapInfo map;

      if (!rtcp && g_test_rand_bit ())
        buffer = vp8_packet (g_test_rand_bit () ? SSRC_A_VIDEO
                                                : (guint32) g_test_rand_int (),
                             (guint16) g_test_rand_int (), g_test_rand_int (),
                             g_test_rand_bit (), g_test_rand_bit ());
      else if (rtcp && g_test_rand_bit ())
        {
          guint8 fci[16];

          for (guint i = 0; i < sizeof (fci); i++)
            fci[i] = (guint8) g_test_rand_int ();
          buffer = feedback_packet (
              g_test_rand_bit () ? GST_RTCP_TYPE_RTPFB : GST_RTCP_TYPE_PSFB,
              g_test_rand_int_range (0, 16),
              g_test_rand_bit () ? SLOT_B_VIDEO : (guint32) g_test_rand_int (), fci,
              g_test_rand_int_range (0, 5));
        }
      else
        {
          guint size = g_test_rand_int_range (0, 80);

          buffer = gst_buffer_new_allocate (NULL, size, NULL);
          gst_buffer_map (buffer, &map, GST_MAP_WRITE);
          for (guint i = 0; i < size; i++)
            map.data[i] = (guint8) g_test_rand_int ();
          if (size > 1)
            map.data[0] = 0x80 | (map.data[0] & 0x3f); /* version 2, to get further */
          gst_buffer_unmap (buffer, &map);
        }
      /* Flip a few bits of whatever it is. */
      buffer = gst_buffer_make_writable (buffer);
      if (gst_buffer_get_size (buffer) > 0 && g_test_rand_bit ())
        {
          gst_buffer_map (buffer, &map, GST_MAP_WRITE);
          map.data[g_test_rand_int_range (0, (gint32) map.size)]
              ^= 1 << g_test_rand_int_range (0, 8);
          gst_buffer_unmap (buffer, &map);
        }
      push (rtcp ? peer->rtcp_in : peer->rtp_in, buffer);
    }
  for (guint i = 0; i < G_N_ELEMENTS (f->peers); i++)
    {
      collected_clear (&f->peers[i].rtp);
      collected_clear (&f->peers[i].rtcp);
    }
}

static void
test_inspect (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) inspect = NULL;
  g_autofree char *out = NULL;
  static const char *const expected[] = {
    "recv_rtp_sink_%s",
    "recv_rtcp_sink_%s",
    "send_rtp_src_%s",
    "send_rtcp_src_%s",
    "max-bitrate",
    "keyframe-request-interval",
    "report-interval",
    "retransmission-cache-size",
    "stats",
    "stream-started",
    "stream-ended",
    "add-participant",
    "remove-participant",
    "set-payloads",
    "set-slot",
    "remove-slot",
    "set-sending",
    "request-keyframe",
  };

  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  const char *preload = g_getenv ("MEDIA_TEST_CHILD_PRELOAD");

  /* In a sanitizer build the plugin needs the sanitizer runtimes, which an
   * uninstrumented gst-inspect-1.0 would not load first. */
  if (preload != NULL && *preload != '\0')
    g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", preload, TRUE);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", FALSE);
  inspect = g_subprocess_launcher_spawn (launcher, &error, "gst-inspect-1.0",
                                         "convokerouter", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (inspect, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (inspect));
  g_assert_cmpint (g_subprocess_get_exit_status (inspect), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    if (strstr (out, expected[i]) == NULL)
      g_error ("gst-inspect-1.0 convokerouter does not mention %s:\n%s", expected[i],
               out);
  g_assert_nonnull (strstr (out, "libgstconvoke.so"));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                  \
  g_test_add ("/sfu/router/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("stream-signals", test_stream_signals);
  ADD ("bad-input", test_bad_input);
  ADD ("fuzz-packets", test_fuzz_packets);
#undef ADD
  g_test_add_func ("/sfu/router/inspect", test_inspect);
  return g_test_run ();
}
