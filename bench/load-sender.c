/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load-sender.h"

#include <gst/rtp/rtp.h>

/* How long the thread sleeps at most, so that a stop is seen quickly. */
#define MAX_SLEEP_US (50 * G_TIME_SPAN_MILLISECOND)
/* Behind by more than this (the machine stalled): skip ahead instead of
 * bursting every late frame at once. */
#define MAX_LATENESS_US (500 * G_TIME_SPAN_MILLISECOND)
#define KEYFRAME_JUMP_INTERVAL_US (200 * G_TIME_SPAN_MILLISECOND)

struct _LoadStream
{
  LoadKind kind;
  GstAppSrc *appsrc;
  guint32 ssrc;
  guint8 pt;
  gboolean active;

  guint position;      /* next clip frame */
  guint64 frames_sent; /* drives the RTP timestamp */
  guint16 seq;
  guint32 ts_base;
  gint64 next_due_us;
  gint keyframe_wanted; /* atomic */
  gint64 last_jump_us;

  LoadStreamStats stats;
};

struct _LoadSender
{
  const LoadClip *clip;
  GMutex lock;
  GCond wake;
  gboolean stopping;
  GPtrArray *streams; /* LoadStream* */
  GThread *thread;
};

static void
stream_free (gpointer data)
{
  LoadStream *stream = data;

  gst_object_unref (stream->appsrc);
  g_free (stream);
}

static void
send_frame (LoadSender *sender, LoadStream *stream, gint64 now)
{
  const LoadClipTrack *track = &sender->clip->tracks[stream->kind];
  const LoadClipFrame *frame;
  guint32 ts = stream->ts_base + (guint32) (stream->frames_sent * track->ts_step);

  if (stream->kind == LOAD_KIND_VIDEO && g_atomic_int_get (&stream->keyframe_wanted)
      && now - stream->last_jump_us >= KEYFRAME_JUMP_INTERVAL_US)
    {
      g_atomic_int_set (&stream->keyframe_wanted, 0);
      stream->position = load_clip_track_next_keyframe (track, stream->position);
      stream->last_jump_us = now;
      stream->stats.keyframe_jumps++;
    }
  frame = g_ptr_array_index (track->frames, stream->position);

  for (guint i = 0; i < frame->packets->len; i++)
    {
      GBytes *bytes = g_ptr_array_index (frame->packets, i);
      GstBuffer *buffer = gst_buffer_new_memdup (g_bytes_get_data (bytes, NULL),
                                                 g_bytes_get_size (bytes));
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

      if (!gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp))
        {
          gst_buffer_unref (buffer);
          continue;
        }
      gst_rtp_buffer_set_ssrc (&rtp, stream->ssrc);
      gst_rtp_buffer_set_seq (&rtp, stream->seq++);
      gst_rtp_buffer_set_timestamp (&rtp, ts);
      gst_rtp_buffer_set_payload_type (&rtp, stream->pt);
      gst_rtp_buffer_unmap (&rtp);

      stream->stats.packets++;
      stream->stats.bytes += g_bytes_get_size (bytes);
      if (stream->stats.first_send_us == 0)
        stream->stats.first_send_us = g_get_monotonic_time ();
      gst_app_src_push_buffer (stream->appsrc, buffer);
    }
  stream->position = (stream->position + 1) % track->frames->len;
  stream->frames_sent++;
}

static gpointer
sender_thread (gpointer data)
{
  LoadSender *sender = data;

  g_mutex_lock (&sender->lock);
  while (!sender->stopping)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 wake_at = now + MAX_SLEEP_US;

      for (guint i = 0; i < sender->streams->len; i++)
        {
          LoadStream *stream = g_ptr_array_index (sender->streams, i);
          gint64 period = sender->clip->tracks[stream->kind].frame_period_us;

          if (!stream->active)
            continue;
          if (now - stream->next_due_us > MAX_LATENESS_US)
            stream->next_due_us = now;
          while (stream->next_due_us <= now)
            {
              send_frame (sender, stream, now);
              stream->next_due_us += period;
            }
          wake_at = MIN (wake_at, stream->next_due_us);
        }
      g_cond_wait_until (&sender->wake, &sender->lock, wake_at);
    }
  g_mutex_unlock (&sender->lock);
  return NULL;
}

LoadSender *
load_sender_new (const LoadClip *clip)
{
  LoadSender *sender = g_new0 (LoadSender, 1);

  sender->clip = clip;
  g_mutex_init (&sender->lock);
  g_cond_init (&sender->wake);
  sender->streams = g_ptr_array_new_with_free_func (stream_free);
  sender->thread = g_thread_new ("load-sender", sender_thread, sender);
  return sender;
}

void
load_sender_free (LoadSender *sender)
{
  if (sender == NULL)
    return;
  g_mutex_lock (&sender->lock);
  sender->stopping = TRUE;
  g_cond_signal (&sender->wake);
  g_mutex_unlock (&sender->lock);
  g_thread_join (sender->thread);
  g_ptr_array_unref (sender->streams);
  g_cond_clear (&sender->wake);
  g_mutex_clear (&sender->lock);
  g_free (sender);
}

LoadStream *
load_sender_add_stream (LoadSender *sender, LoadKind kind, GstAppSrc *appsrc,
                        guint32 ssrc, guint8 pt)
{
  LoadStream *stream = g_new0 (LoadStream, 1);
  gint64 period = sender->clip->tracks[kind].frame_period_us;

  stream->kind = kind;
  stream->appsrc = gst_object_ref (appsrc);
  stream->ssrc = ssrc;
  stream->pt = pt;
  stream->active = TRUE;
  stream->seq = (guint16) g_random_int ();
  stream->ts_base = g_random_int ();
  /* A random phase, so that publishers do not all send their frames in the
   * same instant. */
  stream->next_due_us = g_get_monotonic_time () + g_random_int_range (0, (gint32) period);

  g_mutex_lock (&sender->lock);
  g_ptr_array_add (sender->streams, stream);
  g_cond_signal (&sender->wake);
  g_mutex_unlock (&sender->lock);
  return stream;
}

void
load_sender_stop_stream (LoadSender *sender, LoadStream *stream)
{
  g_mutex_lock (&sender->lock);
  stream->active = FALSE;
  g_mutex_unlock (&sender->lock);
}

void
load_stream_request_keyframe (LoadStream *stream)
{
  g_atomic_int_set (&stream->keyframe_wanted, 1);
}

guint32
load_stream_get_ssrc (LoadStream *stream)
{
  return stream->ssrc;
}

LoadKind
load_stream_get_kind (LoadStream *stream)
{
  return stream->kind;
}

void
load_sender_get_stats (LoadSender *sender, LoadStream *stream, LoadStreamStats *stats)
{
  g_mutex_lock (&sender->lock);
  *stats = stream->stats;
  g_mutex_unlock (&sender->lock);
}

const LoadClip *
load_sender_get_clip (LoadSender *sender)
{
  return sender->clip;
}
