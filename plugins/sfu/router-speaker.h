/* The dominant speaker of a group room, from the RFC 6464 audio levels
 * its publishers put in their audio packets. No GStreamer: convokerouter
 * feeds it under its routing lock, and tests drive it with made-up
 * levels and times.
 *
 * Each publisher's level is smoothed over two windows: a short one (is it
 * speaking right now?) and a medium one (how much has it been speaking
 * lately?). A publisher becomes the dominant speaker when it is speaking
 * now and its medium score beats the current speaker's by a margin,
 * continuously for a hold time, so a cough, a door or a word of
 * agreement does not take over. Silence announces nothing: the last
 * speaker stays dominant until someone else speaks long enough.
 *
 * Not thread-safe: the caller serialises (the router holds its lock).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Levels are -dBov, as RFC 6464 carries them: 0 is the loudest, 127 the
 * quietest. Quieter than this counts as silence. */
#define SPEAKER_SILENCE_DBOV 60
/* Time constants of the short and medium windows. */
#define SPEAKER_SHORT_TAU_US (150 * 1000)
#define SPEAKER_MEDIUM_TAU_US (600 * 1000)
/* A publisher is speaking while its short score is at least this (a score
 * is how many dB the level is above SPEAKER_SILENCE_DBOV). */
#define SPEAKER_ACTIVE_SCORE 6.0
/* By how many score points a challenger's medium score must beat the
 * current speaker's, and for how long without a break. */
#define SPEAKER_MARGIN 3.0
#define SPEAKER_HOLD_US (300 * 1000)
/* Decisions are taken at most this often (the per-packet cost is then one
 * update of the sender's windows). */
#define SPEAKER_DECIDE_INTERVAL_US (20 * 1000)

typedef struct _SpeakerDetector SpeakerDetector;

SpeakerDetector *speaker_detector_new (void);
void speaker_detector_free (SpeakerDetector *detector);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SpeakerDetector, speaker_detector_free)

/* One audio packet of @publisher with @level_dbov (0–127; higher values
 * are taken as 127) at @now_us (monotonic). TRUE when this changed the
 * dominant speaker (speaker_detector_get_dominant() names the new one). */
gboolean speaker_detector_add_level (SpeakerDetector *detector, const char *publisher,
                                     guint level_dbov, gint64 now_us);
/* Forgets @publisher (it left or stopped its audio). TRUE when it was the
 * dominant speaker, which there is then none of. */
gboolean speaker_detector_remove (SpeakerDetector *detector, const char *publisher);
/* The dominant speaker, or NULL (nobody has spoken yet, or it left). Valid
 * until the next call. */
const char *speaker_detector_get_dominant (SpeakerDetector *detector);

G_END_DECLS
