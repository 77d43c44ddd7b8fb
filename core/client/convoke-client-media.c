/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-client-media.h"

#include "i18n.h"
#include "twilio-error.h"

/* Payload types as browsers commonly number them; peers read them from
 * the SDP anyway. */
#define VIDEO_RTP_CAPS                                                                   \
  "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
#define AUDIO_RTP_CAPS                                                                   \
  "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,"       \
  "encoding-params=(string)2"

/* deadline=1 is libvpx's realtime mode; a keyframe every 3 s bounds how
 * long a decoder that missed one waits even without PLI. */
#define VIDEO_ENCODER                                                                    \
  "videoconvert ! queue max-size-buffers=2 ! vp8enc deadline=1 cpu-used=4 "              \
  "keyframe-max-dist=45 ! rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit"
#define AUDIO_ENCODER                                                                    \
  "audioconvert ! audioresample ! queue max-size-buffers=4 ! opusenc ! rtpopuspay "      \
  "pt=111"

GstElement *
convoke_client_media_make_source (const char *kind, const char *raw_source,
                                  GstCaps **caps_out, GError **error)
{
  gboolean video = g_str_equal (kind, "video");
  g_autofree char *description = NULL;
  g_autoptr (GError) parse_error = NULL;
  GstElement *bin;

  description = g_strdup_printf ("%s ! %s ! capsfilter caps=\"%s\"", raw_source,
                                 video ? VIDEO_ENCODER : AUDIO_ENCODER,
                                 video ? VIDEO_RTP_CAPS : AUDIO_RTP_CAPS);
  bin = gst_parse_bin_from_description (description, TRUE, &parse_error);
  if (bin == NULL || parse_error != NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("the %s source \"%s\" is not a usable gst-launch fragment: %s"),
                   kind, raw_source,
                   parse_error ? parse_error->message : _ ("unknown error"));
      if (bin != NULL)
        gst_object_unref (gst_object_ref_sink (bin));
      return NULL;
    }
  gst_object_set_name (GST_OBJECT (bin), video ? "video-source" : "audio-source");
  *caps_out = gst_caps_from_string (video ? VIDEO_RTP_CAPS : AUDIO_RTP_CAPS);
  return bin;
}

struct _ConvokeDecoder
{
  GstBin *bin;
  ConvokeRemoteTrack *track;
  ConvokeTrackStats *stats;
  GstElement *branch; /* depayloader ! decoder ! fakesink */
};

static GstPadProbeReturn
count_bytes (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  ConvokeTrackStats *stats = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    convoke_track_stats_add_bytes (
        stats, gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    convoke_track_stats_add_bytes (
        stats, gst_buffer_list_calculate_size (GST_PAD_PROBE_INFO_BUFFER_LIST (info)));
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_decoded (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  ConvokeTrackStats *stats = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    convoke_track_stats_add_decoded (stats);
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    for (guint i = 0; i < gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
         i++)
      convoke_track_stats_add_decoded (stats);
  return GST_PAD_PROBE_OK;
}

/* The encoding the pad carries: from its caps when they are known yet,
 * else what convoke-client itself publishes for that kind. */
static char *
track_encoding (ConvokeRemoteTrack *track)
{
  GstPad *pad = convoke_remote_track_get_pad (track);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const char *name = NULL;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps != NULL && gst_caps_get_size (caps) == 1)
    name = gst_structure_get_string (gst_caps_get_structure (caps, 0), "encoding-name");
  if (name != NULL)
    return g_ascii_strup (name, -1);
  return g_strdup (g_str_equal (convoke_remote_track_get_kind (track), "video") ? "VP8"
                                                                                : "OPUS");
}

static const char *
decoder_description (const char *encoding)
{
  /* Depayloaders that would pass on broken frames wait for a keyframe and
   * ask for one (PLI) instead. */
  if (g_str_equal (encoding, "VP8"))
    return "rtpvp8depay request-keyframe=true wait-for-keyframe=true ! vp8dec";
  if (g_str_equal (encoding, "VP9"))
    return "rtpvp9depay request-keyframe=true wait-for-keyframe=true ! vp9dec";
  if (g_str_equal (encoding, "H264"))
    return "rtph264depay request-keyframe=true wait-for-keyframe=true ! avdec_h264";
  if (g_str_equal (encoding, "OPUS"))
    return "rtpopusdepay ! opusdec";
  return NULL;
}

ConvokeDecoder *
convoke_decoder_attach (GstBin *bin, ConvokeRemoteTrack *track, ConvokeTrackStats *stats,
                        GError **error)
{
  GstPad *pad = convoke_remote_track_get_pad (track);
  g_autofree char *encoding = track_encoding (track);
  const char *chain = decoder_description (encoding);
  g_autofree char *description = NULL;
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GstPad) sink_pad = NULL;
  g_autoptr (GstPad) fakesink_pad = NULL;
  ConvokeDecoder *decoder;
  GstElement *branch;
  GstElement *fakesink;

  if (chain == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_SDP_NO_SUPPORTED_CODEC,
                   _ ("no decoder for the %s track of %s: encoding %s"),
                   convoke_remote_track_get_kind (track),
                   convoke_remote_track_get_participant_sid (track), encoding);
      return NULL;
    }
  description = g_strdup_printf ("%s ! fakesink name=sink sync=false async=false", chain);
  branch = gst_parse_bin_from_description (description, TRUE, &parse_error);
  if (branch == NULL || parse_error != NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_SDP_NO_SUPPORTED_CODEC,
                   _ ("cannot build the decoder \"%s\": %s"), chain,
                   parse_error ? parse_error->message : _ ("unknown error"));
      if (branch != NULL)
        gst_object_unref (gst_object_ref_sink (branch));
      return NULL;
    }

  decoder = g_new0 (ConvokeDecoder, 1);
  decoder->bin = gst_object_ref (bin);
  decoder->track = g_object_ref (track);
  decoder->stats = stats;
  decoder->branch = gst_object_ref (branch);

  fakesink = gst_bin_get_by_name (GST_BIN (branch), "sink");
  fakesink_pad = gst_element_get_static_pad (fakesink, "sink");
  gst_object_unref (fakesink);
  gst_pad_add_probe (fakesink_pad,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     count_decoded, stats, NULL);

  gst_bin_add (bin, branch);
  /* Counted at the branch's entry rather than on the track's pad, whose
   * probes belong to webrtcbin's life cycle. */
  sink_pad = gst_element_get_static_pad (branch, "sink");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     count_bytes, stats, NULL);
  gst_element_sync_state_with_parent (branch);
  if (gst_pad_link (pad, sink_pad) != GST_PAD_LINK_OK)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_SDP_NO_SUPPORTED_CODEC,
                   _ ("cannot link the %s track of %s to \"%s\""),
                   convoke_remote_track_get_kind (track),
                   convoke_remote_track_get_participant_sid (track), chain);
      convoke_decoder_detach (decoder);
      return NULL;
    }
  return decoder;
}

gboolean
convoke_decoder_is_for (ConvokeDecoder *decoder, ConvokeRemoteTrack *track)
{
  return decoder->track == track;
}

void
convoke_decoder_detach (ConvokeDecoder *decoder)
{
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (decoder->branch, "sink");
  g_autoptr (GstPad) peer = gst_pad_get_peer (sink_pad);

  if (peer != NULL)
    gst_pad_unlink (peer, sink_pad);
  gst_element_set_locked_state (decoder->branch, TRUE);
  gst_element_set_state (decoder->branch, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (decoder->branch) == GST_OBJECT (decoder->bin))
    gst_bin_remove (decoder->bin, decoder->branch);
  gst_object_unref (decoder->branch);
  g_object_unref (decoder->track);
  gst_object_unref (decoder->bin);
  g_free (decoder);
}
