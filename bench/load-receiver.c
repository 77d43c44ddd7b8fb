/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load-receiver.h"

#include "router-simulcast.h"

/* Packets remembered: several frames of the largest gap worth NACKing
 * (libwebrtc keeps about as many). */
#define RING_SIZE 2048
/* A gap wider than this is a restart or an outage: NACKing it would only
 * make the sender flood; the key frame request repairs it. */
#define MAX_NACK_GAP 64
#define MAX_MISSING 128
/* Frames waiting to play; more means the stream is far behind anyway. */
#define MAX_PENDING_FRAMES 256
/* While the picture is broken, a lost key frame request is repeated this
 * often (libwebrtc repeats its PLI too). */
#define KEYFRAME_RETRY_US (500 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  guint64 ext_seq;
  gint64 ext_ts;
  gboolean valid;
} RingSlot;

typedef struct
{
  gint64 ext_ts;
  guint64 first_seq; /* the lowest seen so far */
  guint64 marker_seq;
  gboolean have_marker;
  gboolean keyframe;
} PendingFrame;

typedef struct
{
  guint64 seq;
  gint64 last_nack_us;
  guint tries;
} Missing;

struct _LoadReceiver
{
  guint clock_rate;
  gint64 frame_period_us;

  RingSlot ring[RING_SIZE];
  gboolean started;
  guint64 max_seq;      /* extended */
  gint64 max_ts;        /* extended */
  gint64 best_offset_us; /* smallest arrival − RTP time seen */

  GArray *frames; /* PendingFrame, ascending ext_ts */
  gboolean released_any;
  gint64 released_ts; /* the last frame played or dropped */
  gboolean chain_ok;  /* the last frame released played */
  gboolean played_any;
  gint64 last_played_us;
  gint64 last_keyframe_request_us;

  Missing missing[MAX_MISSING];
  guint n_missing;

  LoadReceiverStats stats;
};

LoadReceiver *
load_receiver_new (guint clock_rate, gint64 frame_period_us)
{
  LoadReceiver *receiver = g_new0 (LoadReceiver, 1);

  receiver->clock_rate = clock_rate > 0 ? clock_rate : 90000;
  receiver->frame_period_us = frame_period_us;
  receiver->frames = g_array_new (FALSE, FALSE, sizeof (PendingFrame));
  return receiver;
}

void
load_receiver_free (LoadReceiver *receiver)
{
  if (receiver == NULL)
    return;
  g_array_unref (receiver->frames);
  g_free (receiver);
}

static gint64
rtp_time_us (LoadReceiver *receiver, gint64 ext_ts)
{
  return ext_ts * G_USEC_PER_SEC / receiver->clock_rate;
}

static const RingSlot *
ring_get (LoadReceiver *receiver, guint64 ext_seq)
{
  const RingSlot *slot = &receiver->ring[ext_seq % RING_SIZE];

  return slot->valid && slot->ext_seq == ext_seq ? slot : NULL;
}

static gboolean
frame_complete (LoadReceiver *receiver, const PendingFrame *frame)
{
  const RingSlot *before;

  if (!frame->have_marker || frame->first_seq == 0)
    return FALSE;
  before = ring_get (receiver, frame->first_seq - 1);
  /* The packet before must be known, and another frame's: otherwise this
   * frame's own first packets may be the missing ones. */
  if (before == NULL || before->ext_ts == frame->ext_ts)
    return FALSE;
  for (guint64 seq = frame->first_seq; seq <= frame->marker_seq; seq++)
    {
      const RingSlot *slot = ring_get (receiver, seq);

      if (slot == NULL || slot->ext_ts != frame->ext_ts)
        return FALSE;
    }
  return TRUE;
}

static void
want_keyframe (LoadReceiver *receiver, gint64 now_us, LoadReceiverActions *actions)
{
  if (actions == NULL
      || (receiver->last_keyframe_request_us != 0
          && now_us - receiver->last_keyframe_request_us < KEYFRAME_RETRY_US))
    return;
  receiver->last_keyframe_request_us = now_us;
  receiver->stats.keyframes_wanted++;
  actions->want_keyframe = TRUE;
}

static void
release_head (LoadReceiver *receiver, gboolean complete, gint64 due_us, gint64 now_us,
              LoadReceiverActions *actions)
{
  PendingFrame frame = g_array_index (receiver->frames, PendingFrame, 0);

  g_array_remove_index (receiver->frames, 0);
  receiver->released_any = TRUE;
  receiver->released_ts = frame.ext_ts;
  if (complete && (frame.keyframe || receiver->chain_ok))
    {
      /* Shown at its playout time, whenever it became whole before. */
      if (receiver->played_any)
        {
          gint64 gap = due_us - receiver->last_played_us;

          if (gap > receiver->frame_period_us + LOAD_RECEIVER_FREEZE_EXTRA_US)
            {
              receiver->stats.freezes++;
              receiver->stats.freeze_us += (guint64) gap;
            }
        }
      receiver->played_any = TRUE;
      receiver->last_played_us = due_us;
      receiver->chain_ok = TRUE;
      receiver->stats.frames_played++;
      return;
    }
  receiver->stats.frames_dropped++;
  receiver->chain_ok = FALSE;
  want_keyframe (receiver, now_us, actions);
}

static void
advance (LoadReceiver *receiver, gint64 now_us, LoadReceiverActions *actions)
{
  while (receiver->frames->len > 0)
    {
      const PendingFrame *head = &g_array_index (receiver->frames, PendingFrame, 0);
      gint64 due_us = rtp_time_us (receiver, head->ext_ts) + receiver->best_offset_us
                      + LOAD_RECEIVER_PLAYOUT_DELAY_US;
      gboolean complete = frame_complete (receiver, head);

      if (!complete && now_us <= due_us && receiver->frames->len < MAX_PENDING_FRAMES)
        break;
      release_head (receiver, complete, due_us, now_us, actions);
    }
  if (!receiver->chain_ok && receiver->released_any)
    want_keyframe (receiver, now_us, actions);
}

void
load_receiver_advance (LoadReceiver *receiver, gint64 now_us)
{
  advance (receiver, now_us, NULL);
}

static PendingFrame *
frame_for (LoadReceiver *receiver, gint64 ext_ts)
{
  guint i = receiver->frames->len;
  PendingFrame fresh = { .ext_ts = ext_ts };

  /* Mostly the last frame, or a new one after it. */
  while (i > 0 && g_array_index (receiver->frames, PendingFrame, i - 1).ext_ts > ext_ts)
    i--;
  if (i > 0 && g_array_index (receiver->frames, PendingFrame, i - 1).ext_ts == ext_ts)
    return &g_array_index (receiver->frames, PendingFrame, i - 1);
  g_array_insert_val (receiver->frames, i, fresh);
  return &g_array_index (receiver->frames, PendingFrame, i);
}

static void
add_nack (LoadReceiverActions *actions, guint64 seq)
{
  if (actions->n_nack < G_N_ELEMENTS (actions->nack))
    actions->nack[actions->n_nack++] = (guint16) seq;
}

static void
note_missing (LoadReceiver *receiver, guint64 from, guint64 to, gint64 now_us,
              LoadReceiverActions *actions)
{
  if (to - from > MAX_NACK_GAP)
    return;
  for (guint64 seq = from; seq < to && receiver->n_missing < MAX_MISSING; seq++)
    {
      receiver->missing[receiver->n_missing++]
          = (Missing) { .seq = seq, .last_nack_us = now_us, .tries = 1 };
      add_nack (actions, seq);
    }
}

static void
retry_missing (LoadReceiver *receiver, gint64 now_us, LoadReceiverActions *actions)
{
  guint kept = 0;

  for (guint i = 0; i < receiver->n_missing; i++)
    {
      Missing *missing = &receiver->missing[i];

      if (ring_get (receiver, missing->seq) != NULL
          || missing->seq + RING_SIZE / 2 < receiver->max_seq)
        continue;
      if (now_us - missing->last_nack_us >= LOAD_RECEIVER_NACK_RETRY_US)
        {
          if (missing->tries >= LOAD_RECEIVER_NACK_TRIES)
            continue;
          missing->tries++;
          missing->last_nack_us = now_us;
          receiver->stats.nacks_resent++;
          add_nack (actions, missing->seq);
        }
      receiver->missing[kept++] = *missing;
    }
  receiver->n_missing = kept;
}

void
load_receiver_packet (LoadReceiver *receiver, const guint8 *rtp, gsize size, gint64 now_us,
                      LoadReceiverActions *actions)
{
  gsize header;
  guint16 seq;
  guint32 ts;
  guint64 ext_seq;
  gint64 ext_ts;
  gboolean marker;
  RingSlot *slot;
  PendingFrame *frame;
  RouterVp8Descriptor vp8;

  *actions = (LoadReceiverActions) { 0 };
  if (size < 12 || (rtp[0] >> 6) != 2)
    return;
  header = 12 + 4 * (gsize) (rtp[0] & 0x0f);
  if ((rtp[0] & 0x10) != 0)
    {
      if (size < header + 4)
        return;
      header += 4 + 4 * (gsize) ((rtp[header + 2] << 8) | rtp[header + 3]);
    }
  if (size <= header)
    return;
  marker = (rtp[1] & 0x80) != 0;
  seq = (guint16) ((rtp[2] << 8) | rtp[3]);
  ts = ((guint32) rtp[4] << 24) | ((guint32) rtp[5] << 16) | ((guint32) rtp[6] << 8) | rtp[7];

  if (!receiver->started)
    {
      /* Far from 0, so that neither ever goes below it. */
      ext_seq = (1u << 20) + seq;
      ext_ts = ((gint64) 1 << 33) + ts;
      receiver->started = TRUE;
      receiver->max_seq = ext_seq;
      receiver->max_ts = ext_ts;
      receiver->best_offset_us = now_us - rtp_time_us (receiver, ext_ts);
    }
  else
    {
      ext_seq = receiver->max_seq + (guint64) (gint64) (gint16) (seq - (guint16) receiver->max_seq);
      ext_ts = receiver->max_ts + (gint32) (ts - (guint32) receiver->max_ts);
      if (ext_seq + RING_SIZE <= receiver->max_seq || ring_get (receiver, ext_seq) != NULL)
        return; /* too old, or a duplicate */
      if (ext_seq > receiver->max_seq + 1)
        note_missing (receiver, receiver->max_seq + 1, ext_seq, now_us, actions);
      receiver->max_seq = MAX (receiver->max_seq, ext_seq);
      receiver->max_ts = MAX (receiver->max_ts, ext_ts);
    }
  slot = &receiver->ring[ext_seq % RING_SIZE];
  *slot = (RingSlot) { .ext_seq = ext_seq, .ext_ts = ext_ts, .valid = TRUE };
  receiver->best_offset_us
      = MIN (receiver->best_offset_us, now_us - rtp_time_us (receiver, ext_ts));

  if (receiver->released_any && ext_ts <= receiver->released_ts)
    receiver->stats.packets_too_late++;
  else
    {
      frame = frame_for (receiver, ext_ts);
      if (frame->first_seq == 0 || ext_seq < frame->first_seq)
        frame->first_seq = ext_seq;
      if (marker)
        {
          frame->have_marker = TRUE;
          frame->marker_seq = ext_seq;
        }
      if (router_vp8_parse (rtp + header, size - header, &vp8) && vp8.keyframe)
        frame->keyframe = TRUE;
    }
  retry_missing (receiver, now_us, actions);
  advance (receiver, now_us, actions);
}

void
load_receiver_get_stats (LoadReceiver *receiver, LoadReceiverStats *stats)
{
  *stats = receiver->stats;
}
