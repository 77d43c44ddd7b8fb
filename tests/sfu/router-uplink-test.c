/* Per-publisher uplink estimation (plugins/sfu/router-uplink.c) on
 * synthetic arrivals: an audio stream of 20 ms packets at 48 kHz whose
 * one-way delay the test chooses, the incoming rate and the loss.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-uplink.h"

#define MS G_TIME_SPAN_MILLISECOND
#define S G_USEC_PER_SEC
#define PACKET_US (20 * MS)
#define PACKET_TICKS 960
/* The path's own delay, and the publisher's clock against ours. */
#define PATH_US (30 * MS)
#define SSRC 0x11223344u

typedef struct
{
  RouterUplink u;
  gint64 now_us; /* when the next packet is sampled */
  guint32 ssrc;
  guint32 ts;
  guint64 incoming_bps;
  guint falls; /* times router_uplink_update() said to send a REMB */
  gint64 first_fall_us;
} Sim;

static void
sim_init (Sim *s, guint32 first_ts)
{
  router_uplink_init (&s->u);
  /* Far from 0, as g_get_monotonic_time() is. */
  s->now_us = 1000 * S;
  s->ssrc = SSRC;
  s->ts = first_ts;
  s->incoming_bps = 1000000;
  s->falls = 0;
  s->first_fall_us = 0;
}

static void
sim_arrive (Sim *s, guint32 ssrc, guint32 ts, gint64 arrival_us)
{
  if (router_uplink_packet (&s->u, ssrc, ts, 48000, arrival_us)
      && router_uplink_update (&s->u, s->incoming_bps, arrival_us))
    {
      if (s->falls++ == 0)
        s->first_fall_us = arrival_us;
    }
}

/* One packet, queued for @queue_us on top of the path's delay. */
static void
sim_packet (Sim *s, gint64 queue_us)
{
  sim_arrive (s, s->ssrc, s->ts, s->now_us + PATH_US + queue_us);
  s->now_us += PACKET_US;
  s->ts += PACKET_TICKS;
}

/* @duration_us of packets with up to @jitter_us of jitter (never a
 * standing queue: a few packets in every 150 ms come through at once). */
static void
sim_steady (Sim *s, gint64 duration_us, gint64 jitter_us)
{
  for (gint64 end = s->now_us + duration_us; s->now_us < end;)
    sim_packet (s, jitter_us > 0 && g_random_int_range (0, 4) != 0
                       ? g_random_int_range (0, (gint32) jitter_us)
                       : 0);
}

/* Under its cap, with jitter: nothing to say, no REMB. */
static void
test_steady (void)
{
  Sim s;

  sim_init (&s, 12345);
  sim_steady (&s, 30 * S, 30 * MS);
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 0);
  g_assert_cmpuint (s.u.overuses, ==, 0);
  g_assert_cmpuint (s.falls, ==, 0);
  g_assert_cmpint (router_uplink_queue_delay (&s.u, s.now_us), <, 10 * MS);
  /* No packet for a while: no news of the queue. */
  g_assert_cmpint (router_uplink_queue_delay (&s.u, s.now_us + S), ==, -1);
}

/* A queue building, 10 ms more delay every 100 ms: a REMB of 0.85 × the
 * incoming rate within 300 ms of the queue passing the threshold. */
static void
test_queue_building (void)
{
  Sim s;
  gint64 start_us, crossed_us;

  sim_init (&s, 12345);
  sim_steady (&s, 5 * S, 5 * MS);
  g_assert_cmpuint (s.falls, ==, 0);
  start_us = s.now_us;
  /* When the packet sampled 400 ms into the ramp, 40 ms late, arrived. */
  crossed_us = start_us + ROUTER_UPLINK_QUEUE_US * 10 + PATH_US + ROUTER_UPLINK_QUEUE_US;
  for (gint64 queue = 0; s.falls == 0 && queue < 200 * MS; queue += 2 * MS)
    sim_packet (&s, queue);
  g_assert_cmpuint (s.falls, ==, 1);
  g_test_message ("REMB %" G_GINT64_FORMAT " ms after the queue passed %" G_GINT64_FORMAT
                  " ms", (s.first_fall_us - crossed_us) / MS, ROUTER_UPLINK_QUEUE_US / MS);
  g_assert_cmpint (s.first_fall_us - crossed_us, <=, 300 * MS);
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 850000);
  g_assert_cmpuint (s.u.overuses, ==, 1);
}

/* A queue that stays: decreases no more often than the interval, and
 * none while it drains after the publisher followed. */
static void
test_queue_draining (void)
{
  Sim s;
  gint64 queue = 100 * MS;

  sim_init (&s, 0);
  sim_steady (&s, 5 * S, 0);
  /* Filling at once to 100 ms, and staying there for a second. */
  for (guint i = 0; i < 50; i++)
    sim_packet (&s, queue);
  g_assert_cmpuint (s.u.overuses, >=, 1);
  g_assert_cmpuint (s.u.overuses, <=, 2);
  /* The publisher follows: the queue drains by 2 ms a packet. */
  {
    guint before = s.u.overuses;

    for (; queue > 0; queue -= 2 * MS)
      sim_packet (&s, queue);
    g_assert_cmpuint (s.u.overuses, ==, before);
  }
}

/* Loss above 10% in a report: down to 0.85 × the incoming rate, once per
 * report; 5% is the link's, not congestion. */
static void
test_loss (void)
{
  Sim s;

  sim_init (&s, 0);
  sim_steady (&s, 3 * S, 0);
  g_assert_true (router_uplink_loss (&s.u, 0.05, s.now_us));
  g_assert_false (router_uplink_update (&s.u, s.incoming_bps, s.now_us));
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 0);
  g_assert_false (router_uplink_loss (&s.u, 1.5, s.now_us));

  g_assert_true (router_uplink_loss (&s.u, 0.15, s.now_us));
  g_assert_true (router_uplink_update (&s.u, s.incoming_bps, s.now_us));
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 850000);
  /* The same report again at the next bucket: already acted on. */
  sim_steady (&s, 600 * MS, 0);
  g_assert_cmpuint (s.u.overuses, ==, 1);
  /* The next report still says 15%: again, from what arrives now. */
  s.incoming_bps = 850000;
  router_uplink_loss (&s.u, 0.15, s.now_us);
  g_assert_true (router_uplink_update (&s.u, s.incoming_bps, s.now_us));
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 722500);

  /* However bad, never below the floor. */
  for (guint i = 0; i < 40; i++)
    {
      s.incoming_bps = MAX (router_uplink_get (&s.u), 1);
      s.now_us += S;
      router_uplink_loss (&s.u, 0.5, s.now_us);
      router_uplink_update (&s.u, s.incoming_bps, s.now_us);
    }
  g_assert_cmpuint (router_uplink_get (&s.u), ==, ROUTER_UPLINK_MIN_BPS);
}

/* After an overuse at 1 Mbit/s: slow growth near that rate, 8%/s far
 * above it, and unlimited again past the maximum. */
static void
test_recovery (void)
{
  Sim s;
  guint64 at_overuse, after_1s, near_growth, far_growth, before;

  sim_init (&s, 0);
  sim_steady (&s, 3 * S, 0);
  router_uplink_loss (&s.u, 0.2, s.now_us);
  g_assert_true (router_uplink_update (&s.u, s.incoming_bps, s.now_us));
  at_overuse = router_uplink_get (&s.u);
  g_assert_cmpuint (at_overuse, ==, 850000);
  /* The loss report expires; the publisher sends what it is told. */
  sim_steady (&s, 2 * S, 5 * MS);
  before = router_uplink_get (&s.u);
  sim_steady (&s, S, 5 * MS);
  after_1s = router_uplink_get (&s.u);
  near_growth = after_1s - before;
  g_test_message ("near the last overuse: %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT,
                  before, after_1s);
  /* 3% of 1 Mbit/s a second, additive. */
  g_assert_cmpuint (near_growth, >=, 25000);
  g_assert_cmpuint (near_growth, <=, 35000);
  /* Up to the cap takes seconds, not one: no overuse every two seconds. */
  g_assert_cmpuint (after_1s, <, 1000000);

  while (router_uplink_get (&s.u) <= ROUTER_UPLINK_NEAR_HIGH * 1000000)
    sim_steady (&s, S, 5 * MS);
  before = router_uplink_get (&s.u);
  sim_steady (&s, S, 5 * MS);
  far_growth = router_uplink_get (&s.u) - before;
  g_test_message ("far above it: %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, before,
                  router_uplink_get (&s.u));
  g_assert_cmpfloat ((double) far_growth / before, >, 0.07);
  g_assert_cmpfloat ((double) far_growth / before, <, 0.09);
  g_assert_cmpuint (s.u.overuses, ==, 1);

  /* Nobody sends 20 Mbit/s: unlimited again. */
  for (guint i = 0; i < 60 && router_uplink_get (&s.u) != 0; i++)
    sim_steady (&s, S, 0);
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 0);
}

/* No growth while the queue is half full: it is filling or draining. */
static void
test_hold (void)
{
  Sim s;
  guint64 before;

  sim_init (&s, 0);
  sim_steady (&s, 3 * S, 0);
  router_uplink_loss (&s.u, 0.2, s.now_us);
  router_uplink_update (&s.u, s.incoming_bps, s.now_us);
  sim_steady (&s, 2 * S, 0);
  /* Once the recent window holds only queued packets. */
  for (guint i = 0; i < 10; i++)
    sim_packet (&s, 30 * MS);
  before = router_uplink_get (&s.u);
  for (guint i = 0; i < 100; i++)
    sim_packet (&s, 30 * MS);
  g_assert_cmpuint (router_uplink_get (&s.u), ==, before);
  g_assert_cmpuint (s.u.overuses, ==, 1);
}

/* A spike that is gone at once (the publisher's own stall and burst, not
 * a queue the REMB could have drained yet): the decrease is undone. */
static void
test_transient (void)
{
  Sim s;

  sim_init (&s, 0);
  sim_steady (&s, 5 * S, 0);
  for (guint i = 0; i < 15; i++)
    sim_packet (&s, 100 * MS);
  g_assert_cmpuint (s.u.overuses, ==, 1);
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 850000);
  sim_steady (&s, S, 0);
  g_assert_cmpuint (s.u.reverted, ==, 1);
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 0);
  /* Said at once, as the decrease was. */
  g_assert_cmpuint (s.falls, ==, 2);

  /* A queue that drains over seconds, as one does: not undone. */
  sim_steady (&s, 10 * S, 0);
  for (gint64 queue = 0; s.u.overuses < 2; queue += 2 * MS)
    sim_packet (&s, queue);
  for (gint64 queue = 80 * MS; queue > 0; queue -= MS)
    sim_packet (&s, queue);
  sim_steady (&s, S, 0);
  g_assert_cmpuint (s.u.reverted, ==, 1);
  g_assert_cmpuint (router_uplink_get (&s.u), !=, 0);
}

/* Nothing arrives for 400 ms, then what was sampled meanwhile comes at
 * once (a stalled sender, hop or router on a busy machine): delays of up
 * to 400 ms, but no queue, and no overuse. The arrival rate over buckets
 * that got nothing is no link's rate either. */
static void
test_stall (void)
{
  Sim s;

  sim_init (&s, 0);
  for (guint i = 0; i < 250; i++)
    {
      router_uplink_bytes (&s.u, 1000, s.now_us + PATH_US);
      sim_packet (&s, 0);
    }
  for (guint round = 0; round < 3; round++)
    {
      gint64 burst_us = s.now_us + 400 * MS + PATH_US;

      for (guint i = 0; i < 20; i++)
        {
          router_uplink_bytes (&s.u, 1000, burst_us);
          sim_arrive (&s, s.ssrc, s.ts, burst_us);
          s.now_us += PACKET_US;
          s.ts += PACKET_TICKS;
        }
      g_assert_cmpuint (router_uplink_arrival_rate (&s.u, burst_us + 60 * MS), ==, 0);
      for (guint i = 0; i < 150; i++)
        {
          router_uplink_bytes (&s.u, 1000, s.now_us + PATH_US);
          sim_packet (&s, 0);
        }
    }
  g_assert_cmpuint (s.u.overuses, ==, 0);
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 0);
  /* And a queue after it is one. */
  for (gint64 queue = 0; s.falls == 0 && queue < 200 * MS; queue += 2 * MS)
    sim_packet (&s, queue);
  g_assert_cmpuint (s.u.overuses, ==, 1);
}

/* While a queue stands, packets arrive at the link's rate: the decrease
 * starts from that, not from the last second's average. */
static void
test_arrival_rate (void)
{
  Sim s;
  /* 1000 bytes every 20 ms: 400 kbit/s. */
  const gsize bytes = 1000;

  sim_init (&s, 0);
  s.incoming_bps = 1000000;
  for (guint i = 0; i < 250; i++)
    {
      router_uplink_bytes (&s.u, bytes, s.now_us + PATH_US);
      sim_packet (&s, 0);
    }
  g_assert_cmpuint (router_uplink_arrival_rate (&s.u, s.now_us + PATH_US), ==, 400000);
  /* Sent every 20 ms, arriving every 25 ms: a 320 kbit/s link. */
  for (gint64 queue = 0; s.falls == 0 && queue < 300 * MS; queue += 5 * MS)
    {
      router_uplink_bytes (&s.u, bytes, s.now_us + PATH_US + queue);
      sim_packet (&s, queue);
    }
  g_assert_cmpuint (s.falls, ==, 1);
  g_test_message ("REMB %" G_GUINT64_FORMAT " for a 320 kbit/s link",
                  router_uplink_get (&s.u));
  g_assert_cmpuint (router_uplink_get (&s.u), >=, 0.85 * 320000 * 0.95);
  g_assert_cmpuint (router_uplink_get (&s.u), <=, 0.85 * 320000 * 1.05);
}

/* RTP timestamps wrapping: nothing. */
static void
test_wrap (void)
{
  Sim s;

  sim_init (&s, G_MAXUINT32 - 50 * PACKET_TICKS);
  sim_steady (&s, 5 * S, 5 * MS);
  g_assert_cmpuint (s.ts, <, 1000000);
  g_assert_cmpuint (s.u.overuses, ==, 0);
  g_assert_cmpint (router_uplink_queue_delay (&s.u, s.now_us), <, 10 * MS);
}

/* Packets swapped on the way: nothing. */
static void
test_reordering (void)
{
  Sim s;

  sim_init (&s, 1000);
  sim_steady (&s, 2 * S, 0);
  for (guint i = 0; i < 250; i++)
    {
      gint64 sampled_us = s.now_us;

      /* The later one first, the earlier 1 ms after it. */
      sim_arrive (&s, s.ssrc, s.ts + PACKET_TICKS, sampled_us + PACKET_US + PATH_US);
      sim_arrive (&s, s.ssrc, s.ts, sampled_us + PACKET_US + PATH_US + MS);
      s.now_us += 2 * PACKET_US;
      s.ts += 2 * PACKET_TICKS;
    }
  g_assert_cmpuint (s.u.overuses, ==, 0);
  g_assert_cmpint (router_uplink_queue_delay (&s.u, s.now_us), <, 10 * MS);
}

/* A new SSRC, and a timestamp jump on the same one (either way): the
 * delays before it cannot be compared, and there is no overuse. */
static void
test_jumps (void)
{
  Sim s;

  sim_init (&s, 1000);
  sim_steady (&s, 3 * S, 5 * MS);
  /* A new stream whose timestamps are behind: its delays look huge. */
  s.ssrc = SSRC + 1;
  s.ts = 7;
  sim_steady (&s, 3 * S, 5 * MS);
  g_assert_cmpuint (s.u.overuses, ==, 0);
  /* Jumps of the same stream's timestamps, forward and back. */
  s.ts += 30 * 48000;
  sim_steady (&s, 3 * S, 5 * MS);
  s.ts -= 60 * 48000;
  sim_steady (&s, 3 * S, 5 * MS);
  g_assert_cmpuint (s.u.overuses, ==, 0);
  g_assert_cmpuint (router_uplink_get (&s.u), ==, 0);
  g_assert_cmpint (router_uplink_queue_delay (&s.u, s.now_us), <, 10 * MS);
  /* And it still sees a queue afterwards. */
  for (gint64 queue = 0; s.falls == 0 && queue < 200 * MS; queue += 2 * MS)
    sim_packet (&s, queue);
  g_assert_cmpuint (s.u.overuses, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/router-uplink/steady", test_steady);
  g_test_add_func ("/router-uplink/queue-building", test_queue_building);
  g_test_add_func ("/router-uplink/queue-draining", test_queue_draining);
  g_test_add_func ("/router-uplink/loss", test_loss);
  g_test_add_func ("/router-uplink/recovery", test_recovery);
  g_test_add_func ("/router-uplink/hold", test_hold);
  g_test_add_func ("/router-uplink/transient", test_transient);
  g_test_add_func ("/router-uplink/arrival-rate", test_arrival_rate);
  g_test_add_func ("/router-uplink/stall", test_stall);
  g_test_add_func ("/router-uplink/wrap", test_wrap);
  g_test_add_func ("/router-uplink/reordering", test_reordering);
  g_test_add_func ("/router-uplink/jumps", test_jumps);
  return g_test_run ();
}
