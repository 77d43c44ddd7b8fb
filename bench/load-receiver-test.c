/* The load generator's receiver model (load-receiver.h) on made-up VP8
 * packets: 30 frames a second of three packets each, the first frame of
 * every 30 a key frame, fed at their send times plus a fixed delay.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load-receiver.h"

#define FRAME_US (G_USEC_PER_SEC / 30)
#define PACKETS_PER_FRAME 3
#define GOP 30
#define NET_DELAY_US (20 * G_TIME_SPAN_MILLISECOND)

/* The packet @index of the stream (three per frame). */
static void
make_packet (guint index, guint8 packet[16])
{
  guint frame = index / PACKETS_PER_FRAME, part = index % PACKETS_PER_FRAME;
  guint16 seq = (guint16) (65000 + index); /* wraps on the way */
  guint32 ts = 0xfffff000u + frame * 3000; /* wraps too */

  packet[0] = 0x80;
  packet[1] = (guint8) (96 | (part == PACKETS_PER_FRAME - 1 ? 0x80 : 0));
  packet[2] = (guint8) (seq >> 8);
  packet[3] = (guint8) seq;
  packet[4] = (guint8) (ts >> 24);
  packet[5] = (guint8) (ts >> 16);
  packet[6] = (guint8) (ts >> 8);
  packet[7] = (guint8) ts;
  packet[8] = packet[9] = packet[10] = 0;
  packet[11] = 1;
  /* VP8 descriptor: S on a frame's first packet, PID 0; then the payload
   * header, whose P bit is 0 on key frames. */
  packet[12] = part == 0 ? 0x10 : 0x00;
  packet[13] = (part == 0 && frame % GOP == 0) ? 0x00 : 0x01;
  packet[14] = packet[15] = 0;
}

static gint64
send_time (guint index)
{
  return G_USEC_PER_SEC + (gint64) (index / PACKETS_PER_FRAME) * FRAME_US;
}

typedef struct
{
  guint nacked[64];
  guint n_nacked;
  guint keyframe_requests;
} Seen;

static void
feed (LoadReceiver *receiver, guint index, gint64 at, Seen *seen)
{
  guint8 packet[16];
  LoadReceiverActions actions;

  make_packet (index, packet);
  load_receiver_packet (receiver, packet, sizeof packet, at, &actions);
  for (guint i = 0; i < actions.n_nack && seen->n_nacked < G_N_ELEMENTS (seen->nacked); i++)
    seen->nacked[seen->n_nacked++] = actions.nack[i];
  seen->keyframe_requests += actions.want_keyframe;
}

static void
test_clean_stream (void)
{
  g_autoptr (LoadReceiver) receiver = load_receiver_new (90000, FRAME_US);
  LoadReceiverStats stats;
  Seen seen = { 0 };
  guint n = 90 * PACKETS_PER_FRAME; /* 3 s */

  for (guint i = 0; i < n; i++)
    feed (receiver, i, send_time (i) + NET_DELAY_US, &seen);
  load_receiver_advance (receiver, send_time (n) + G_USEC_PER_SEC);
  load_receiver_get_stats (receiver, &stats);
  /* The first frame has no known predecessor packet, so it cannot be
   * proven whole: it is dropped, and a key frame is wanted once. */
  g_assert_cmpuint (stats.frames_played, ==, 90 - GOP);
  g_assert_cmpuint (stats.freezes, ==, 0);
  g_assert_cmpuint (stats.packets_too_late, ==, 0);
  g_assert_cmpuint (seen.n_nacked, ==, 0);
  g_assert_cmpuint (stats.keyframes_wanted, >=, 1);
}

/* A lost packet is NACKed when the next one arrives; repaired in time, the
 * frame plays and nothing freezes. */
static void
test_repaired_loss (void)
{
  g_autoptr (LoadReceiver) receiver = load_receiver_new (90000, FRAME_US);
  LoadReceiverStats stats;
  Seen seen = { 0 };
  guint lost = 40 * PACKETS_PER_FRAME + 1, n = 60 * PACKETS_PER_FRAME;

  for (guint i = 0; i < n; i++)
    {
      if (i != lost)
        feed (receiver, i, send_time (i) + NET_DELAY_US, &seen);
      if (i == lost + 2)
        feed (receiver, lost, send_time (i) + NET_DELAY_US + 30 * G_TIME_SPAN_MILLISECOND,
              &seen);
    }
  load_receiver_advance (receiver, send_time (n) + G_USEC_PER_SEC);
  load_receiver_get_stats (receiver, &stats);
  g_assert_cmpuint (seen.n_nacked, ==, 1);
  g_assert_cmpuint (seen.nacked[0], ==, (guint16) (65000 + lost));
  g_assert_cmpuint (stats.frames_played, ==, 60 - GOP);
  g_assert_cmpuint (stats.freezes, ==, 0);
}

/* A packet never repaired: NACKed three times in all, the frame and every
 * delta frame after it until the next key frame are dropped, a key frame
 * is asked for, and the hole is one freeze of about that long. */
static void
test_unrepaired_loss (void)
{
  g_autoptr (LoadReceiver) receiver = load_receiver_new (90000, FRAME_US);
  LoadReceiverStats stats;
  Seen seen = { 0 };
  guint lost_frame = 40, n = 90 * PACKETS_PER_FRAME;
  guint lost = lost_frame * PACKETS_PER_FRAME + 1;

  for (guint i = 0; i < n; i++)
    if (i != lost)
      feed (receiver, i, send_time (i) + NET_DELAY_US, &seen);
  load_receiver_advance (receiver, send_time (n) + G_USEC_PER_SEC);
  load_receiver_get_stats (receiver, &stats);
  g_assert_cmpuint (seen.n_nacked, ==, LOAD_RECEIVER_NACK_TRIES);
  for (guint i = 0; i < seen.n_nacked; i++)
    g_assert_cmpuint (seen.nacked[i], ==, (guint16) (65000 + lost));
  /* Frames 40-59 lost (the next key frame is 60). */
  g_assert_cmpuint (stats.frames_played, ==, 90 - GOP - (60 - lost_frame));
  g_assert_cmpuint (stats.frames_dropped, >=, 60 - lost_frame);
  g_assert_cmpuint (stats.freezes, ==, 1);
  g_assert_cmpuint (stats.freeze_us, ==, (guint64) (60 - lost_frame + 1) * FRAME_US);
  g_assert_cmpuint (seen.keyframe_requests, >=, 2); /* at the start, and after the hole */
}

/* A retransmission later than the playout delay is too late. */
static void
test_late_repair (void)
{
  g_autoptr (LoadReceiver) receiver = load_receiver_new (90000, FRAME_US);
  LoadReceiverStats stats;
  Seen seen = { 0 };
  guint lost = 40 * PACKETS_PER_FRAME, n = 90 * PACKETS_PER_FRAME;
  gboolean repaired = FALSE;

  for (guint i = 0; i < n; i++)
    {
      gint64 at = send_time (i) + NET_DELAY_US;

      if (!repaired && i > lost
          && at > send_time (lost) + NET_DELAY_US + LOAD_RECEIVER_PLAYOUT_DELAY_US
                      + 50 * G_TIME_SPAN_MILLISECOND)
        {
          feed (receiver, lost, at, &seen);
          repaired = TRUE;
        }
      if (i != lost)
        feed (receiver, i, at, &seen);
    }
  load_receiver_advance (receiver, send_time (n) + G_USEC_PER_SEC);
  load_receiver_get_stats (receiver, &stats);
  g_assert_true (repaired);
  g_assert_cmpuint (stats.packets_too_late, ==, 1);
  g_assert_cmpuint (stats.freezes, ==, 1);
  g_assert_cmpuint (stats.frames_played, ==, 90 - GOP - 20);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/load-receiver/clean", test_clean_stream);
  g_test_add_func ("/load-receiver/repaired-loss", test_repaired_loss);
  g_test_add_func ("/load-receiver/unrepaired-loss", test_unrepaired_loss);
  g_test_add_func ("/load-receiver/late-repair", test_late_repair);
  return g_test_run ();
}
