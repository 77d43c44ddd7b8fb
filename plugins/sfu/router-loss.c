/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-loss.h"

#include <string.h>

void
router_loss_tracker_init (RouterLossTracker *tracker)
{
  memset (tracker, 0, sizeof (*tracker));
}

static void
remove_at (RouterLossTracker *tracker, guint index)
{
  memmove (&tracker->missing[index], &tracker->missing[index + 1],
           (tracker->n_missing - index - 1) * sizeof (RouterMissingPacket));
  tracker->n_missing--;
}

static void
add_missing (RouterLossTracker *tracker, guint16 seq, gint64 now_us)
{
  if (tracker->n_missing == ROUTER_LOSS_MAX_MISSING)
    {
      remove_at (tracker, 0);
      tracker->given_up++;
    }
  tracker->missing[tracker->n_missing++] = (RouterMissingPacket){ seq, 0, now_us };
}

void
router_loss_tracker_packet (RouterLossTracker *tracker, guint16 seq, gint64 now_us)
{
  gint16 ahead;

  if (!tracker->started)
    {
      tracker->started = TRUE;
      tracker->highest = seq;
      return;
    }
  ahead = (gint16) (seq - tracker->highest);
  if (ahead > ROUTER_LOSS_MAX_GAP)
    {
      /* The publisher restarted its numbering, or a long outage: nothing
       * before is worth asking for. */
      tracker->given_up += tracker->n_missing;
      tracker->n_missing = 0;
      tracker->highest = seq;
      return;
    }
  if (ahead > 0)
    {
      for (guint16 lost = tracker->highest + 1; lost != seq; lost++)
        add_missing (tracker, lost, now_us);
      tracker->highest = seq;
      return;
    }
  /* Late or retransmitted. (Duplicates never get here: the SRTP decoder
   * drops replays.) */
  for (guint i = 0; i < tracker->n_missing; i++)
    if (tracker->missing[i].seq == seq)
      {
        remove_at (tracker, i);
        tracker->recovered++;
        return;
      }
}

guint
router_loss_tracker_due (RouterLossTracker *tracker, gint64 now_us, guint16 *seqs,
                         guint max)
{
  guint n = 0;

  for (guint i = 0; i < tracker->n_missing;)
    {
      RouterMissingPacket *missing = &tracker->missing[i];

      if (missing->next_us > now_us || n == max)
        {
          i++;
          continue;
        }
      seqs[n++] = missing->seq;
      if (++missing->tries == ROUTER_LOSS_MAX_TRIES)
        {
          /* Asked for the last time: subscribers that still miss it will
           * ask for a key frame. */
          remove_at (tracker, i);
          tracker->given_up++;
          continue;
        }
      missing->next_us = now_us + ROUTER_LOSS_RETRY_US;
      i++;
    }
  return n;
}
