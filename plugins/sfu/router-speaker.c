/* The dominant speaker detector (router-speaker.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-speaker.h"

#include <math.h>

typedef struct
{
  char *id;
  double short_score;
  double medium_score;
  gint64 updated_us;
} SpeakerPublisher;

struct _SpeakerDetector
{
  GHashTable *publishers; /* id → SpeakerPublisher* (owned) */
  char *dominant;
  char *challenger; /* who is beating the dominant speaker, since when */
  gint64 challenger_since_us;
  gboolean decided;
  gint64 decided_us;
};

static void
publisher_free (gpointer data)
{
  SpeakerPublisher *publisher = data;

  g_free (publisher->id);
  g_free (publisher);
}

SpeakerDetector *
speaker_detector_new (void)
{
  SpeakerDetector *detector = g_new0 (SpeakerDetector, 1);

  detector->publishers
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, publisher_free);
  return detector;
}

void
speaker_detector_free (SpeakerDetector *detector)
{
  if (detector == NULL)
    return;
  g_hash_table_unref (detector->publishers);
  g_free (detector->dominant);
  g_free (detector->challenger);
  g_free (detector);
}

/* Exponential smoothing over time: @elapsed_us of @value towards
 * @target, with time constant @tau_us. Packets come at any pace (DTX
 * sends few in silence), so the weight depends on the time between them,
 * not on their number. */
static double
smooth (double value, double target, gint64 elapsed_us, gint64 tau_us)
{
  double keep = exp (-(double) MAX (elapsed_us, 0) / (double) tau_us);

  return value * keep + target * (1.0 - keep);
}

/* Scores decay towards silence while a publisher sends nothing (DTX, or a
 * muted track). */
static void
publisher_advance (SpeakerPublisher *publisher, double target, gint64 now_us)
{
  gint64 elapsed = now_us - publisher->updated_us;

  publisher->short_score
      = smooth (publisher->short_score, target, elapsed, SPEAKER_SHORT_TAU_US);
  publisher->medium_score
      = smooth (publisher->medium_score, target, elapsed, SPEAKER_MEDIUM_TAU_US);
  publisher->updated_us = MAX (publisher->updated_us, now_us);
}

static double
medium_now (SpeakerPublisher *publisher, gint64 now_us)
{
  return smooth (publisher->medium_score, 0.0, now_us - publisher->updated_us,
                 SPEAKER_MEDIUM_TAU_US);
}

static double
short_now (SpeakerPublisher *publisher, gint64 now_us)
{
  return smooth (publisher->short_score, 0.0, now_us - publisher->updated_us,
                 SPEAKER_SHORT_TAU_US);
}

static void
set_challenger (SpeakerDetector *detector, const char *id, gint64 now_us)
{
  if (g_strcmp0 (detector->challenger, id) == 0)
    return;
  g_free (detector->challenger);
  detector->challenger = g_strdup (id);
  detector->challenger_since_us = now_us;
}

static gboolean
decide (SpeakerDetector *detector, gint64 now_us)
{
  SpeakerPublisher *current = NULL, *best = NULL;
  double best_score = 0.0, current_score = 0.0;
  GHashTableIter iter;
  gpointer value;

  if (detector->dominant != NULL)
    current = g_hash_table_lookup (detector->publishers, detector->dominant);
  if (current != NULL)
    current_score = medium_now (current, now_us);

  /* The loudest of those speaking now, the current speaker aside. */
  g_hash_table_iter_init (&iter, detector->publishers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      SpeakerPublisher *publisher = value;
      double score = medium_now (publisher, now_us);

      if (publisher == current || short_now (publisher, now_us) < SPEAKER_ACTIVE_SCORE
          || score < SPEAKER_ACTIVE_SCORE)
        continue;
      if (best == NULL || score > best_score)
        {
          best = publisher;
          best_score = score;
        }
    }

  if (best == NULL || best_score < current_score + SPEAKER_MARGIN)
    {
      set_challenger (detector, NULL, now_us);
      return FALSE;
    }
  set_challenger (detector, best->id, now_us);
  if (now_us - detector->challenger_since_us < SPEAKER_HOLD_US)
    return FALSE;

  g_free (detector->dominant);
  detector->dominant = g_strdup (best->id);
  set_challenger (detector, NULL, now_us);
  return TRUE;
}

gboolean
speaker_detector_add_level (SpeakerDetector *detector, const char *publisher_id,
                            guint level_dbov, gint64 now_us)
{
  SpeakerPublisher *publisher;
  double score;

  g_return_val_if_fail (detector != NULL && publisher_id != NULL, FALSE);

  level_dbov = MIN (level_dbov, 127);
  score = level_dbov < SPEAKER_SILENCE_DBOV ? SPEAKER_SILENCE_DBOV - level_dbov : 0.0;
  publisher = g_hash_table_lookup (detector->publishers, publisher_id);
  if (publisher == NULL)
    {
      publisher = g_new0 (SpeakerPublisher, 1);
      publisher->id = g_strdup (publisher_id);
      publisher->updated_us = now_us;
      g_hash_table_insert (detector->publishers, publisher->id, publisher);
    }
  publisher_advance (publisher, score, now_us);

  if (detector->decided && now_us - detector->decided_us < SPEAKER_DECIDE_INTERVAL_US)
    return FALSE;
  detector->decided = TRUE;
  detector->decided_us = now_us;
  return decide (detector, now_us);
}

gboolean
speaker_detector_remove (SpeakerDetector *detector, const char *publisher)
{
  gboolean was_dominant;

  g_return_val_if_fail (detector != NULL && publisher != NULL, FALSE);

  was_dominant = g_strcmp0 (detector->dominant, publisher) == 0;
  if (g_strcmp0 (detector->challenger, publisher) == 0)
    g_clear_pointer (&detector->challenger, g_free);
  g_hash_table_remove (detector->publishers, publisher);
  if (was_dominant)
    g_clear_pointer (&detector->dominant, g_free);
  return was_dominant;
}

const char *
speaker_detector_get_dominant (SpeakerDetector *detector)
{
  g_return_val_if_fail (detector != NULL, NULL);
  return detector->dominant;
}
