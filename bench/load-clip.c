/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load-clip.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/rtp/rtp.h>

#include "i18n.h"

#define LOAD_CLIP_ERROR (g_quark_from_static_string ("load-clip-error"))
#define OPUS_FRAME_US 20000
#define OPUS_CLOCK_RATE 48000
#define VP8_CLOCK_RATE 90000
#define ENCODE_TIMEOUT (60 * GST_SECOND)

/* (clock rate, ts step, frame period µs, [(key frame, [packet])]) per kind */
#define CLIP_VARIANT_TYPE "a(uuxa(baay))"

const char *
load_kind_name (LoadKind kind)
{
  return kind == LOAD_KIND_AUDIO ? "audio" : "video";
}

static void
clip_frame_free (gpointer data)
{
  LoadClipFrame *frame = data;

  g_ptr_array_unref (frame->packets);
  g_free (frame);
}

static LoadClipFrame *
clip_frame_new (gboolean keyframe)
{
  LoadClipFrame *frame = g_new0 (LoadClipFrame, 1);

  frame->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  frame->keyframe = keyframe;
  return frame;
}

static LoadClip *
clip_new (void)
{
  LoadClip *clip = g_new0 (LoadClip, 1);

  for (guint k = 0; k < LOAD_N_KINDS; k++)
    clip->tracks[k].frames = g_ptr_array_new_with_free_func (clip_frame_free);
  return clip;
}

void
load_clip_free (LoadClip *clip)
{
  if (clip == NULL)
    return;
  for (guint k = 0; k < LOAD_N_KINDS; k++)
    g_ptr_array_unref (clip->tracks[k].frames);
  g_free (clip);
}

guint
load_clip_track_next_keyframe (const LoadClipTrack *track, guint from)
{
  guint n = track->frames->len;

  for (guint i = 0; i < n; i++)
    {
      guint index = (from + i) % n;
      const LoadClipFrame *frame = g_ptr_array_index (track->frames, index);

      if (frame->keyframe)
        return index;
    }
  return from % n;
}

double
load_clip_track_packet_rate (const LoadClipTrack *track)
{
  guint packets = 0;

  for (guint i = 0; i < track->frames->len; i++)
    packets += ((LoadClipFrame *) g_ptr_array_index (track->frames, i))->packets->len;
  if (track->frames->len == 0 || track->frame_period_us <= 0)
    return 0.0;
  return (double) packets * 1e6 / ((double) track->frames->len * track->frame_period_us);
}

/* Every sample an appsink holds after EOS, as buffers (the appsinks have
 * wait-on-eos=false, or EOS would wait for this). */
static GPtrArray *
drain_appsink (GstElement *pipeline, const char *name)
{
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GPtrArray *buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GstSample *sample;

  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 0)) != NULL)
    {
      g_ptr_array_add (buffers, gst_buffer_ref (gst_sample_get_buffer (sample)));
      gst_sample_unref (sample);
    }
  return buffers;
}

static GBytes *
buffer_to_bytes (GstBuffer *buffer)
{
  gsize size = gst_buffer_get_size (buffer);
  guint8 *data = g_malloc (size);

  gst_buffer_extract (buffer, 0, data, size);
  return g_bytes_new_take (data, size);
}

/* Groups RTP packets into frames by timestamp; @keyframes (the encoder's
 * output, one buffer per frame, in order) says which frames are key
 * frames. */
static gboolean
fill_track (LoadClipTrack *track, GPtrArray *packets, GPtrArray *keyframes, LoadKind kind,
            GError **error)
{
  LoadClipFrame *frame = NULL;
  guint32 last_ts = 0;

  for (guint i = 0; i < packets->len; i++)
    {
      GstBuffer *buffer = g_ptr_array_index (packets, i);
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      guint32 ts;

      if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
        {
          g_set_error (error, LOAD_CLIP_ERROR, 0,
                       _ ("The %s payloader produced a buffer that is not RTP"),
                       load_kind_name (kind));
          return FALSE;
        }
      ts = gst_rtp_buffer_get_timestamp (&rtp);
      gst_rtp_buffer_unmap (&rtp);
      if (frame == NULL || ts != last_ts)
        {
          guint index = track->frames->len;
          gboolean keyframe = TRUE;

          if (keyframes != NULL)
            {
              if (index >= keyframes->len)
                {
                  g_set_error (error, LOAD_CLIP_ERROR, 0,
                               _ ("The video payloader produced more frames than the "
                                  "encoder's %u"),
                               keyframes->len);
                  return FALSE;
                }
              keyframe = !GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (keyframes, index),
                                                  GST_BUFFER_FLAG_DELTA_UNIT);
            }
          frame = clip_frame_new (keyframe);
          g_ptr_array_add (track->frames, frame);
          last_ts = ts;
        }
      g_ptr_array_add (frame->packets, buffer_to_bytes (buffer));
    }
  if (track->frames->len == 0)
    {
      g_set_error (error, LOAD_CLIP_ERROR, 0, _ ("The %s encoder produced no frame"),
                   load_kind_name (kind));
      return FALSE;
    }
  if (!((LoadClipFrame *) g_ptr_array_index (track->frames, 0))->keyframe)
    {
      g_set_error (error, LOAD_CLIP_ERROR, 0,
                   _ ("The first video frame of the clip is not a key frame"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_to_eos (GstElement *pipeline, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, LOAD_CLIP_ERROR, 0,
                   _ ("The clip encoding pipeline could not start"));
      return FALSE;
    }
  message = gst_bus_timed_pop_filtered (bus, ENCODE_TIMEOUT,
                                        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (message == NULL)
    {
      g_set_error (error, LOAD_CLIP_ERROR, 0,
                   _ ("Encoding the clip took more than %d seconds"),
                   (int) (ENCODE_TIMEOUT / GST_SECOND));
      return FALSE;
    }
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) gst_error = NULL;

      gst_message_parse_error (message, &gst_error, NULL);
      g_set_error (error, LOAD_CLIP_ERROR, 0, _ ("Encoding the clip failed in %s: %s"),
                   GST_MESSAGE_SRC_NAME (message), gst_error->message);
      return FALSE;
    }
  return TRUE;
}

LoadClip *
load_clip_encode (const LoadClipParams *params, GError **error)
{
  g_autoptr (LoadClip) clip = clip_new ();
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GPtrArray) video_packets = NULL;
  g_autoptr (GPtrArray) video_frames = NULL;
  g_autoptr (GPtrArray) audio_packets = NULL;
  g_autofree char *description = NULL;
  guint video_frames_count = params->seconds * params->fps;
  guint audio_frames_count = params->seconds * (1000000 / OPUS_FRAME_US);
  gboolean ok;

  /* A moving colour-bar pattern keeps the encoder near its target bitrate,
   * as a camera would; pink noise does the same for Opus. */
  description = g_strdup_printf (
      "videotestsrc num-buffers=%u pattern=smpte horizontal-speed=4 is-live=false"
      " ! video/x-raw,width=%u,height=%u,framerate=%u/1"
      " ! vp8enc deadline=1 cpu-used=8 end-usage=cbr target-bitrate=%u"
      " keyframe-max-dist=%u threads=2 ! tee name=frames"
      " ! queue ! rtpvp8pay mtu=%u pt=96 picture-id-mode=15-bit"
      " ! appsink name=video_rtp sync=false wait-on-eos=false"
      " frames. ! queue ! appsink name=video_frames sync=false wait-on-eos=false"
      " audiotestsrc num-buffers=%u samplesperbuffer=960 wave=pink-noise volume=0.3"
      " is-live=false ! audio/x-raw,rate=48000,channels=1"
      " ! opusenc bitrate=%u frame-size=20 ! rtpopuspay mtu=%u pt=111"
      " ! appsink name=audio_rtp sync=false wait-on-eos=false",
      video_frames_count, params->width, params->height, params->fps,
      params->video_bitrate, params->keyframe_interval, params->mtu, audio_frames_count,
      params->audio_bitrate, params->mtu);
  pipeline = gst_parse_launch (description, error);
  if (pipeline == NULL)
    return NULL;
  gst_object_ref_sink (pipeline);

  ok = run_to_eos (pipeline, error);
  if (ok)
    {
      video_packets = drain_appsink (pipeline, "video_rtp");
      video_frames = drain_appsink (pipeline, "video_frames");
      audio_packets = drain_appsink (pipeline, "audio_rtp");
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (!ok)
    return NULL;

  clip->tracks[LOAD_KIND_VIDEO].clock_rate = VP8_CLOCK_RATE;
  clip->tracks[LOAD_KIND_VIDEO].ts_step = VP8_CLOCK_RATE / params->fps;
  clip->tracks[LOAD_KIND_VIDEO].frame_period_us = 1000000 / params->fps;
  clip->tracks[LOAD_KIND_AUDIO].clock_rate = OPUS_CLOCK_RATE;
  clip->tracks[LOAD_KIND_AUDIO].ts_step = OPUS_CLOCK_RATE / (1000000 / OPUS_FRAME_US);
  clip->tracks[LOAD_KIND_AUDIO].frame_period_us = OPUS_FRAME_US;
  if (!fill_track (&clip->tracks[LOAD_KIND_VIDEO], video_packets, video_frames,
                   LOAD_KIND_VIDEO, error)
      || !fill_track (&clip->tracks[LOAD_KIND_AUDIO], audio_packets, NULL,
                      LOAD_KIND_AUDIO, error))
    return NULL;
  return g_steal_pointer (&clip);
}

gboolean
load_clip_save (const LoadClip *clip, const char *path, GError **error)
{
  g_auto (GVariantBuilder) tracks
      = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE (CLIP_VARIANT_TYPE));
  g_autoptr (GVariant) variant = NULL;

  for (guint k = 0; k < LOAD_N_KINDS; k++)
    {
      const LoadClipTrack *track = &clip->tracks[k];
      g_auto (GVariantBuilder) frames
          = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(baay)"));

      for (guint f = 0; f < track->frames->len; f++)
        {
          const LoadClipFrame *frame = g_ptr_array_index (track->frames, f);
          g_auto (GVariantBuilder) packets
              = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aay"));

          for (guint p = 0; p < frame->packets->len; p++)
            g_variant_builder_add_value (
                &packets,
                g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                          g_ptr_array_index (frame->packets, p), TRUE));
          g_variant_builder_add (&frames, "(baay)", frame->keyframe, &packets);
        }
      g_variant_builder_add (&tracks, "(uuxa(baay))", track->clock_rate, track->ts_step,
                             (gint64) track->frame_period_us, &frames);
    }
  variant = g_variant_ref_sink (g_variant_builder_end (&tracks));
  return g_file_set_contents (path, g_variant_get_data (variant),
                              (gssize) g_variant_get_size (variant), error);
}

LoadClip *
load_clip_load (const char *path, GError **error)
{
  g_autoptr (LoadClip) clip = clip_new ();
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, error);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GVariant) variant = NULL;
  GVariantIter tracks;
  GVariantIter *frames;
  guint32 clock_rate, ts_step;
  gint64 period;
  guint kind = 0;

  if (file == NULL)
    return NULL;
  bytes = g_mapped_file_get_bytes (file);
  variant = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE (CLIP_VARIANT_TYPE), bytes, FALSE));
  g_variant_iter_init (&tracks, variant);
  while (kind < LOAD_N_KINDS
         && g_variant_iter_next (&tracks, "(uuxa(baay))", &clock_rate, &ts_step, &period,
                                 &frames))
    {
      LoadClipTrack *track = &clip->tracks[kind++];
      gboolean keyframe;
      GVariant *packets;

      track->clock_rate = clock_rate;
      track->ts_step = ts_step;
      track->frame_period_us = period;
      while (g_variant_iter_next (frames, "(b@aay)", &keyframe, &packets))
        {
          LoadClipFrame *frame = clip_frame_new (keyframe);
          GVariantIter iter;
          GVariant *packet;

          g_variant_iter_init (&iter, packets);
          while ((packet = g_variant_iter_next_value (&iter)) != NULL)
            {
              g_ptr_array_add (frame->packets, g_variant_get_data_as_bytes (packet));
              g_variant_unref (packet);
            }
          g_variant_unref (packets);
          g_ptr_array_add (track->frames, frame);
        }
      g_variant_iter_free (frames);
    }
  for (guint k = 0; k < LOAD_N_KINDS; k++)
    if (clip->tracks[k].frames->len == 0 || clip->tracks[k].ts_step == 0
        || clip->tracks[k].frame_period_us <= 0)
      {
        g_set_error (error, LOAD_CLIP_ERROR, 0,
                     _ ("%s is not a clip written by convoke-load: its %s track is "
                        "empty or invalid"),
                     path, load_kind_name (k));
        return NULL;
      }
  return g_steal_pointer (&clip);
}
