/* convokerouter's dominant speaker and network quality (the element, fed
 * packets in real time): RFC 6464 levels in publishers' audio, including
 * malformed ones, and loss on one publisher's uplink.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "media-router-fixture.h"
#include "test-time.h"

#define AUDIO_LEVEL_ID 3
#define SSRC_C_AUDIO 0xc0000002u
#define SLOT_A_AUDIO 0xa1000002u
#define PACKET_MS 20
#define SPEECH 30
#define SILENCE 127

typedef struct
{
  GMutex lock;
  GPtrArray *speakers; /* char*: each dominant-speaker-changed, "" for NULL */
  GHashTable *levels;  /* participant → latest level + 1 */
} Seen;

static void
on_speaker (GstElement *router, const char *participant, Seen *seen)
{
  g_mutex_lock (&seen->lock);
  g_ptr_array_add (seen->speakers, g_strdup (participant ? participant : ""));
  g_mutex_unlock (&seen->lock);
}

static void
on_quality (GstElement *router, const char *participant, int level, Seen *seen)
{
  g_mutex_lock (&seen->lock);
  g_hash_table_replace (seen->levels, g_strdup (participant),
                        GINT_TO_POINTER (level + 1));
  g_mutex_unlock (&seen->lock);
}

static void
seen_init (Seen *seen, Fixture *f)
{
  g_mutex_init (&seen->lock);
  seen->speakers = g_ptr_array_new_with_free_func (g_free);
  seen->levels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (f->router, "dominant-speaker-changed", G_CALLBACK (on_speaker), seen);
  g_signal_connect (f->router, "network-quality-changed", G_CALLBACK (on_quality), seen);
}

static void
seen_clear (Seen *seen, Fixture *f)
{
  g_signal_handlers_disconnect_by_data (f->router, seen);
  g_ptr_array_unref (seen->speakers);
  g_hash_table_unref (seen->levels);
  g_mutex_clear (&seen->lock);
}

static guint
speaker_count (Seen *seen)
{
  guint n;

  g_mutex_lock (&seen->lock);
  n = seen->speakers->len;
  g_mutex_unlock (&seen->lock);
  return n;
}

static int
level_of (Seen *seen, const char *participant)
{
  int level;

  g_mutex_lock (&seen->lock);
  level = GPOINTER_TO_INT (g_hash_table_lookup (seen->levels, participant)) - 1;
  g_mutex_unlock (&seen->lock);
  return level;
}

/* Opus with the audio level extension as GStreamer writes it in caps. */
static void
set_payloads_with_levels (Fixture *f, const char *id)
{
  g_autofree char *description
      = g_strdup_printf ("application/x-rtp, payload=(int)100, media=(string)video, "
                         "encoding-name=(string)VP8, clock-rate=(int)90000; "
                         "application/x-rtp, payload=(int)101, media=(string)audio, "
                         "encoding-name=(string)OPUS, clock-rate=(int)48000, "
                         "extmap-%d=(string)urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                         AUDIO_LEVEL_ID);
  g_autoptr (GstCaps) caps = gst_caps_from_string (description);
  gboolean ok = FALSE;

  g_assert_nonnull (caps);
  g_signal_emit_by_name (f->router, "set-payloads", id, caps, &ok);
  g_assert_true (ok);
}

/* An Opus packet whose audio level element (RFC 8285 one-byte header,
 * or two-byte when @two_bytes) holds @data. */
static GstBuffer *
opus_with_level (guint32 ssrc, guint16 seq, const guint8 *data, guint size,
                 gboolean two_bytes, guint8 id)
{
  GstBuffer *buffer = opus_packet (ssrc, seq, seq * 960u);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_READWRITE, &rtp));
  if (two_bytes)
    g_assert_true (
        gst_rtp_buffer_add_extension_twobytes_header (&rtp, 0, id, data, size));
  else
    g_assert_true (gst_rtp_buffer_add_extension_onebyte_header (&rtp, id, data, size));
  gst_rtp_buffer_unmap (&rtp);
  return buffer;
}

static GstBuffer *
opus_level (guint32 ssrc, guint16 seq, guint level)
{
  guint8 byte = (guint8) level; /* V flag clear */

  return opus_with_level (ssrc, seq, &byte, 1, FALSE, AUDIO_LEVEL_ID);
}

/* A and C publish audio with levels; B receives A. */
static void
publish_two (Fixture *f)
{
  set_payloads_with_levels (f, "A");
  set_payloads_with_levels (f, "C");
  set_slot (f, "B", SLOT_B_AUDIO, "audio", PT_OPUS_OUT, "A");
  set_sending (f, "B");
}

static void
test_dominant_speaker (Fixture *f, gconstpointer data)
{
  Seen seen;
  guint16 seq = 1;
  gint64 start, announced = 0, deadline;

  seen_init (&seen, f);
  g_object_set (f->router, "dominant-speaker", TRUE, NULL);
  publish_two (f);

  /* A second of silence from both: nothing is announced. */
  for (guint i = 0; i < 1000 / PACKET_MS; i++, seq++)
    {
      push (f->peers[0].rtp_in, opus_level (SSRC_A_AUDIO, seq, SILENCE));
      push (f->peers[2].rtp_in, opus_level (SSRC_C_AUDIO, seq, SILENCE));
      g_usleep (PACKET_MS * 1000);
    }
  g_assert_cmpuint (speaker_count (&seen), ==, 0);

  /* C speaks: announced within a second of speech. */
  start = g_get_monotonic_time ();
  deadline = test_deadline (1000);
  while (g_get_monotonic_time () < deadline && speaker_count (&seen) == 0)
    {
      push (f->peers[0].rtp_in, opus_level (SSRC_A_AUDIO, seq, SILENCE));
      push (f->peers[2].rtp_in, opus_level (SSRC_C_AUDIO, seq, SPEECH));
      seq++;
      g_usleep (PACKET_MS * 1000);
    }
  g_assert_cmpuint (speaker_count (&seen), ==, 1);
  announced = g_get_monotonic_time ();
  g_assert_cmpstr (g_ptr_array_index (seen.speakers, 0), ==, "C");
  g_test_message ("dominant speaker announced after %" G_GINT64_FORMAT " ms",
                  (announced - start) / 1000);

  /* Silence again: no change. */
  for (guint i = 0; i < 1000 / PACKET_MS; i++, seq++)
    {
      push (f->peers[0].rtp_in, opus_level (SSRC_A_AUDIO, seq, SILENCE));
      push (f->peers[2].rtp_in, opus_level (SSRC_C_AUDIO, seq, SILENCE));
      g_usleep (PACKET_MS * 1000);
    }
  g_assert_cmpuint (speaker_count (&seen), ==, 1);

  /* The dominant speaker leaves: nobody is. */
  {
    gboolean ok = FALSE;

    g_signal_emit_by_name (f->router, "remove-participant", "C", &ok);
    g_assert_true (ok);
  }
  g_assert_cmpuint (speaker_count (&seen), ==, 2);
  g_assert_cmpstr (g_ptr_array_index (seen.speakers, 1), ==, "");
  seen_clear (&seen, f);
}

/* Off (the default), levels are not read: nothing is announced. */
static void
test_off_by_default (Fixture *f, gconstpointer data)
{
  Seen seen;

  seen_init (&seen, f);
  publish_two (f);
  for (guint16 seq = 1; seq < 1500 / PACKET_MS; seq++)
    {
      push (f->peers[2].rtp_in, opus_level (SSRC_C_AUDIO, seq, SPEECH));
      g_usleep (PACKET_MS * 1000);
    }
  g_assert_cmpuint (speaker_count (&seen), ==, 0);
  seen_clear (&seen, f);
}

/* Malformed elements are no levels, and the packets still reach their
 * subscribers, without the extension. */
static void
test_malformed_levels (Fixture *f, gconstpointer data)
{
  static const guint8 loud_with_v = 0x80; /* V=1, level 0 */
  static const guint8 all_ones = 0xff;    /* V=1, level 127 */
  static const guint8 long_element[4] = { 10, 1, 2, 3 };
  Seen seen;
  guint16 seq = 1;
  guint forwarded = 0;
  GstBuffer *out;

  seen_init (&seen, f);
  g_object_set (f->router, "dominant-speaker", TRUE, NULL);
  publish_two (f);
  for (guint i = 0; i < 10; i++)
    {
      push (f->peers[0].rtp_in,
            opus_with_level (SSRC_A_AUDIO, seq++, &all_ones, 1, FALSE, AUDIO_LEVEL_ID));
      push (f->peers[0].rtp_in, opus_with_level (SSRC_A_AUDIO, seq++, long_element, 4,
                                                 FALSE, AUDIO_LEVEL_ID));
      /* An empty two-byte element, and one under another id. */
      push (f->peers[0].rtp_in,
            opus_with_level (SSRC_A_AUDIO, seq++, NULL, 0, TRUE, AUDIO_LEVEL_ID));
      push (f->peers[0].rtp_in,
            opus_with_level (SSRC_A_AUDIO, seq++, &loud_with_v, 1, FALSE, 9));
      push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO, seq, seq * 960u));
      seq++;
    }
  while ((out = collected_pop (&f->peers[1].rtp)) != NULL)
    {
      Parsed parsed = parse_rtp (out);

      g_assert_false (parsed.extension);
      forwarded++;
    }
  g_assert_cmpuint (forwarded, ==, 50);
  seen_clear (&seen, f);
}

/* A receiver report about B's slot carrying C, with @fraction_lost/256. */
static GstBuffer *
receiver_report (guint32 sender, guint32 about, guint8 fraction_lost)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet));
  gst_rtcp_packet_rr_set_ssrc (&packet, sender);
  g_assert_true (gst_rtcp_packet_add_rb (&packet, about, fraction_lost, 0, 0, 0, 0, 0));
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

static gboolean
levels_settled (Seen *seen)
{
  return level_of (seen, "A") >= 0 && level_of (seen, "A") <= 1
         && level_of (seen, "C") == 5 && level_of (seen, "B") == 5;
}

/* A's uplink loses a third of its packets: its level falls; C's clean
 * uplink and B's clean downlink stay at 5, although B's reports show the
 * loss of A's uplink. */
static void
test_network_quality (Fixture *f, gconstpointer data)
{
  Seen seen;
  gint64 deadline = test_deadline (5000);
  guint16 seq = 1;

  seen_init (&seen, f);
  g_object_set (f->router, "network-quality", TRUE, NULL);
  publish_two (f);
  set_slot (f, "A", SLOT_A_AUDIO, "audio", PT_OPUS_OUT, "C");
  set_sending (f, "A");
  while (g_get_monotonic_time () < deadline && !levels_settled (&seen))
    {
      for (guint i = 0; i < 5; i++, seq++)
        {
          if (seq % 3 != 0)
            push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO, seq, seq * 960u));
          push (f->peers[2].rtp_in, opus_packet (SSRC_C_AUDIO, seq, seq * 960u));
          g_usleep (PACKET_MS * 1000);
        }
      /* B and A report what they receive: B what A's uplink lost (a
       * third), which is not B's fault; A nothing. */
      push (f->peers[1].rtcp_in, receiver_report (0xb000000fu, SLOT_B_AUDIO, 85));
      push (f->peers[0].rtcp_in, receiver_report (0xa000000fu, SLOT_A_AUDIO, 0));
    }
  g_test_message ("levels: A %d, B %d, C %d", level_of (&seen, "A"),
                  level_of (&seen, "B"), level_of (&seen, "C"));
  g_assert_true (levels_settled (&seen));

  /* B's subscriber reports heavy loss on its downlink: B falls too. */
  deadline = test_deadline (5000);
  while (g_get_monotonic_time () < deadline && level_of (&seen, "B") > 1)
    {
      push (f->peers[1].rtcp_in, receiver_report (0xb000000fu, SLOT_B_AUDIO, 220));
      g_usleep (50 * 1000);
    }
  g_assert_cmpint (level_of (&seen, "B"), <=, 1);
  seen_clear (&seen, f);
}

/* A receiver report with LSR and DLSR (1/65536 s) about @about. */
static GstBuffer *
receiver_report_lsr (guint32 sender, guint32 about, guint32 lsr, guint32 dlsr)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet));
  gst_rtcp_packet_rr_set_ssrc (&packet, sender);
  g_assert_true (gst_rtcp_packet_add_rb (&packet, about, 0, 0, 0, 0, lsr, dlsr));
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

/* The round trip of B's link, from the sender report the router forwards
 * it and B's report naming it: answered about 1 s later, held for 100 ms,
 * about 900 ms: level 2 (1 on a slow machine). A report naming another
 * sender report says nothing of the round trip. */
static void
test_round_trip (Fixture *f, gconstpointer data)
{
  const guint64 ntp = G_GUINT64_CONSTANT (0xE800000012345678);
  const guint32 lsr = (guint32) (ntp >> 16);
  GstBuffer *sr = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  Seen seen;
  gint64 deadline;

  seen_init (&seen, f);
  g_object_set (f->router, "network-quality", TRUE, NULL);
  publish_two (f);
  for (guint16 seq = 1; seq < 5; seq++)
    push (f->peers[0].rtp_in, opus_packet (SSRC_A_AUDIO, seq, seq * 960u));
  gst_rtcp_buffer_map (sr, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &packet));
  gst_rtcp_packet_sr_set_sender_info (&packet, SSRC_A_AUDIO, ntp, 4 * 960, 4, 40);
  gst_rtcp_buffer_unmap (&rtcp);
  push (f->peers[0].rtcp_in, sr);

  /* Another SR's LSR: no RTT; no loss, no jitter: 5. */
  g_usleep (700 * 1000);
  push (f->peers[1].rtcp_in, receiver_report_lsr (0xb000000fu, SLOT_B_AUDIO, lsr + 1, 0));
  test_watch_for (NULL, NULL, 300);
  g_assert_cmpint (level_of (&seen, "B"), ==, 5);

  push (f->peers[1].rtcp_in,
        receiver_report_lsr (0xb000000fu, SLOT_B_AUDIO, lsr, 65536 / 10));
  deadline = test_deadline (2000);
  while (g_get_monotonic_time () < deadline && level_of (&seen, "B") > 2)
    g_usleep (20 * 1000);
  g_test_message ("B's level with a round trip of about 900 ms: %d", level_of (&seen, "B"));
  g_assert_cmpint (level_of (&seen, "B"), <=, 2);
  g_assert_cmpint (level_of (&seen, "B"), >=, 1);
  seen_clear (&seen, f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/router/activity/dominant-speaker", Fixture, NULL, fixture_set_up,
              test_dominant_speaker, fixture_tear_down);
  g_test_add ("/router/activity/off-by-default", Fixture, NULL, fixture_set_up,
              test_off_by_default, fixture_tear_down);
  g_test_add ("/router/activity/malformed-levels", Fixture, NULL, fixture_set_up,
              test_malformed_levels, fixture_tear_down);
  g_test_add ("/router/activity/network-quality", Fixture, NULL, fixture_set_up,
              test_network_quality, fixture_tear_down);
  g_test_add ("/router/activity/round-trip", Fixture, NULL, fixture_set_up,
              test_round_trip, fixture_tear_down);
  return g_test_run ();
}
