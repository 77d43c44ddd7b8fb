/* The media a load publisher replays: a few seconds of VP8 video and Opus
 * audio, encoded once into RTP packets held in memory, so that publishing
 * costs the load generator no encoder time (a fair benchmark measures the
 * server, not the clients).
 *
 * Packets are grouped into frames (all packets of one RTP timestamp). The
 * first video frame is a key frame and key frames recur every
 * keyframe-max-dist frames, so the clip loops cleanly and a publisher can
 * answer a PLI by jumping to the next key frame.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  LOAD_KIND_AUDIO,
  LOAD_KIND_VIDEO,
  LOAD_N_KINDS,
} LoadKind;

const char *load_kind_name (LoadKind kind);

typedef struct
{
  GPtrArray *packets; /* GBytes*: whole RTP packets */
  gboolean keyframe;
} LoadClipFrame;

typedef struct
{
  GPtrArray *frames;      /* LoadClipFrame* */
  guint clock_rate;       /* 48000 or 90000 */
  guint ts_step;          /* RTP timestamp units per frame */
  gint64 frame_period_us; /* wall-clock time per frame */
} LoadClipTrack;

typedef struct
{
  LoadClipTrack tracks[LOAD_N_KINDS];
} LoadClip;

typedef struct
{
  guint seconds;
  guint width, height, fps;
  guint video_bitrate;     /* bits/s */
  guint audio_bitrate;     /* bits/s */
  guint keyframe_interval; /* frames */
  guint mtu;
} LoadClipParams;

#define LOAD_CLIP_PARAMS_DEFAULT                                                         \
  {                                                                                      \
    4, 640, 360, 30, 500000, 32000, 30, 1200                                             \
  }

/* Encodes the clip with GStreamer (videotestsrc ! vp8enc ! rtpvp8pay,
 * audiotestsrc ! opusenc ! rtpopuspay). Blocks; takes a second or two. */
LoadClip *load_clip_encode (const LoadClipParams *params, GError **error);

/* The clip as one GVariant file, so that every run of a benchmark can
 * replay the same bytes without encoding them again. */
gboolean load_clip_save (const LoadClip *clip, const char *path, GError **error);
LoadClip *load_clip_load (const char *path, GError **error);

void load_clip_free (LoadClip *clip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadClip, load_clip_free)

/* The index of the first key frame at or after @from (wrapping). */
guint load_clip_track_next_keyframe (const LoadClipTrack *track, guint from);

/* Mean packets per second of the track when replayed in real time. */
double load_clip_track_packet_rate (const LoadClipTrack *track);

G_END_DECLS
