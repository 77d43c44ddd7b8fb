/* The dominant speaker detector (plugins/sfu/router-speaker.c) with
 * made-up levels on a made-up clock: 20 ms audio packets, as Opus sends
 * them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-speaker.h"

#define PACKET_US (20 * 1000)
#define SPEECH 30 /* -30 dBov: talking */
#define NOISE 45  /* -45 dBov: a room, a keyboard */
#define SILENCE 127

typedef struct
{
  SpeakerDetector *detector;
  gint64 now_us;
  guint changes;
  gint64 last_change_us;
} Clock;

/* @duration_us of 20 ms packets from each of @ids with its @levels;
 * counts changes of the dominant speaker. */
static void
run (Clock *c, const char *const *ids, const guint *levels, guint n, gint64 duration_us)
{
  for (gint64 t = 0; t < duration_us; t += PACKET_US)
    {
      for (guint i = 0; i < n; i++)
        if (speaker_detector_add_level (c->detector, ids[i], levels[i], c->now_us))
          {
            c->changes++;
            c->last_change_us = c->now_us;
          }
      c->now_us += PACKET_US;
    }
}

static void
clock_init (Clock *c)
{
  c->detector = speaker_detector_new ();
  c->now_us = 1000 * G_USEC_PER_SEC;
  c->changes = 0;
  c->last_change_us = 0;
}

static const char *const two[] = { "PA1", "PA2" };

static void
test_silence_announces_nothing (void)
{
  g_autoptr (SpeakerDetector) detector = NULL;
  const guint levels[] = { SILENCE, SILENCE };
  Clock c;

  clock_init (&c);
  detector = c.detector;
  run (&c, two, levels, 2, 10 * G_USEC_PER_SEC);
  g_assert_cmpuint (c.changes, ==, 0);
  g_assert_null (speaker_detector_get_dominant (detector));
}

static void
test_speaker_announced_quickly (void)
{
  g_autoptr (SpeakerDetector) detector = NULL;
  const guint silence[] = { SILENCE, SILENCE };
  const guint speaking[] = { SILENCE, SPEECH };
  gint64 start;
  Clock c;

  clock_init (&c);
  detector = c.detector;
  run (&c, two, silence, 2, G_USEC_PER_SEC);
  start = c.now_us;
  run (&c, two, speaking, 2, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (c.changes, ==, 1);
  g_assert_cmpstr (speaker_detector_get_dominant (detector), ==, "PA2");
  /* Well within a second: the medium window fills, then the hold. */
  g_assert_cmpint (c.last_change_us - start, <, 700 * 1000);
  g_assert_cmpint (c.last_change_us - start, >=, SPEAKER_HOLD_US);

  /* Silence again: the last speaker stays; nothing is announced. */
  run (&c, two, silence, 2, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (c.changes, ==, 1);
  g_assert_cmpstr (speaker_detector_get_dominant (detector), ==, "PA2");
}

static void
test_short_noise_does_not_take_over (void)
{
  g_autoptr (SpeakerDetector) detector = NULL;
  const guint pa1_speaks[] = { SPEECH, SILENCE };
  const guint cough[] = { SPEECH, 10 };
  Clock c;

  clock_init (&c);
  detector = c.detector;
  run (&c, two, pa1_speaks, 2, 2 * G_USEC_PER_SEC);
  g_assert_cmpstr (speaker_detector_get_dominant (detector), ==, "PA1");
  /* Repeated loud bursts of 200 ms from PA2, 400 ms apart, while PA1
   * keeps talking: no flapping. */
  for (guint i = 0; i < 10; i++)
    {
      run (&c, two, cough, 2, 200 * 1000);
      run (&c, two, pa1_speaks, 2, 400 * 1000);
    }
  g_assert_cmpuint (c.changes, ==, 1);
  g_assert_cmpstr (speaker_detector_get_dominant (detector), ==, "PA1");
}

static void
test_takeover_and_background_noise (void)
{
  g_autoptr (SpeakerDetector) detector = NULL;
  const guint pa1_speaks[] = { SPEECH, NOISE };
  const guint pa2_speaks[] = { NOISE + 10, SPEECH };
  Clock c;

  clock_init (&c);
  detector = c.detector;
  /* PA2's steady background noise never beats PA1's speech. */
  run (&c, two, pa1_speaks, 2, 3 * G_USEC_PER_SEC);
  g_assert_cmpuint (c.changes, ==, 1);
  g_assert_cmpstr (speaker_detector_get_dominant (detector), ==, "PA1");
  /* PA1 falls quiet and PA2 talks: it takes over, within a second. */
  run (&c, two, pa2_speaks, 2, G_USEC_PER_SEC);
  g_assert_cmpuint (c.changes, ==, 2);
  g_assert_cmpstr (speaker_detector_get_dominant (detector), ==, "PA2");
}

static void
test_dtx_and_removal (void)
{
  g_autoptr (SpeakerDetector) detector = speaker_detector_new ();
  gint64 now = 5 * G_USEC_PER_SEC;

  for (guint i = 0; i < 50; i++, now += PACKET_US)
    speaker_detector_add_level (detector, "PA1", SPEECH, now);
  g_assert_cmpstr (speaker_detector_get_dominant (detector), ==, "PA1");
  /* PA1 goes silent with DTX (no packets at all); PA2 speaks. PA1's score
   * decays although it sends nothing. */
  for (guint i = 0; i < 50; i++, now += PACKET_US)
    speaker_detector_add_level (detector, "PA2", SPEECH + 5, now);
  g_assert_cmpstr (speaker_detector_get_dominant (detector), ==, "PA2");

  g_assert_false (speaker_detector_remove (detector, "PA1"));
  g_assert_true (speaker_detector_remove (detector, "PA2"));
  g_assert_null (speaker_detector_get_dominant (detector));
  g_assert_false (speaker_detector_remove (detector, "PA3"));
  /* Out-of-range levels are silence, not a crash. */
  for (guint i = 0; i < 50; i++, now += PACKET_US)
    g_assert_false (speaker_detector_add_level (detector, "PA3", 255 + i, now));
  g_assert_null (speaker_detector_get_dominant (detector));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/router/speaker/silence", test_silence_announces_nothing);
  g_test_add_func ("/router/speaker/announced-quickly", test_speaker_announced_quickly);
  g_test_add_func ("/router/speaker/short-noise", test_short_noise_does_not_take_over);
  g_test_add_func ("/router/speaker/takeover", test_takeover_and_background_noise);
  g_test_add_func ("/router/speaker/dtx-and-removal", test_dtx_and_removal);
  return g_test_run ();
}
