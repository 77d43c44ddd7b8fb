/* convokerecorder: one RTP track to one Matroska file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * SECTION:element-convokerecorder
 * @title: convokerecorder
 *
 * Records one RTP stream (Opus, VP8 or H.264) to a Matroska file without
 * decoding it. When the caps arrive the bin builds
 *
 * |[
 *   rtpjitterbuffer mode=none ! <depayloader> [! <parser>] ! matroskamux ! <sink>
 * ]|
 *
 * with `rtpopusdepay ! opusparse` (an `.mka` file), `rtpvp8depay` or
 * `rtph264depay ! h264parse` (an `.mkv` file). The jitter buffer puts
 * reordered packets back in order and gives every frame the time of its
 * RTP timestamp, so the file's timing is the sender's, not the network's.
 * Video is written from its first key frame: frames before it are
 * dropped and a key frame is asked for upstream (a #GstForceKeyUnit
 * event), as it is after packet loss.
 *
 * The sink is `filesink` (the muxer finishes the file at end of stream
 * with its duration and index) or, when #GstConvokeRecorder:public-key is
 * set, `convokecryptsink`, which encrypts as it writes: the muxer then
 * writes a streamable file (no index, no seeking back) and no plaintext
 * reaches the disk. Either way the blocks are written as they come, so a
 * file cut short by a crash plays up to the crash.
 *
 * Send end of stream to finish the file; the bin posts EOS once the file
 * is complete. One element writes one file.
 *
 * ## Example
 * |[
 *   gst-launch-1.0 -e videotestsrc is-live=true num-buffers=150 ! vp8enc ! rtpvp8pay \
 *       ! convokerecorder location=camera.mkv
 * ]|
 */

#include "gstconvokerecorder.h"

#include <gst/video/video.h>

#include "i18n.h"

GST_DEBUG_CATEGORY_STATIC (gst_convoke_recorder_debug);
#define GST_CAT_DEFAULT gst_convoke_recorder_debug

struct _GstConvokeRecorder
{
  GstBin parent;
  GstPad *sinkpad; /* ghost, targeted once the chain is built */

  /* Under the object lock. */
  char *location;
  char *public_key;
  const char *codec;     /* "opus", "vp8", "h264" once built */
  const char *container; /* "mka", "mkv" once built */
  gboolean video;
  gboolean have_keyframe;
  gboolean keyframe_requested;
  GstClockTime first_pts;
  GstClockTime last_end;
};

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_PUBLIC_KEY,
  PROP_CODEC,
  PROP_CONTAINER,
  PROP_DURATION,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp, media=(string)audio, "
                     "encoding-name=(string)OPUS, clock-rate=(int)48000; "
                     "application/x-rtp, media=(string)video, "
                     "encoding-name=(string){ VP8, H264 }, clock-rate=(int)90000"));

G_DEFINE_TYPE (GstConvokeRecorder, gst_convoke_recorder, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (convokerecorder, "convokerecorder", GST_RANK_NONE,
                             GST_TYPE_CONVOKE_RECORDER);

/* What each encoding needs; the element names are GStreamer's. */
typedef struct
{
  const char *encoding_name;
  const char *codec;
  const char *depayloader;
  const char *parser; /* NULL: the depayloader's output is what the muxer takes */
  gboolean video;
} RecorderCodec;

static const RecorderCodec codecs[] = {
  { "OPUS", "opus", "rtpopusdepay", "opusparse", FALSE },
  { "VP8", "vp8", "rtpvp8depay", NULL, TRUE },
  { "H264", "h264", "rtph264depay", "h264parse", TRUE },
};

static const RecorderCodec *
find_codec (const char *encoding_name)
{
  for (guint i = 0; encoding_name != NULL && i < G_N_ELEMENTS (codecs); i++)
    if (g_ascii_strcasecmp (codecs[i].encoding_name, encoding_name) == 0)
      return &codecs[i];
  return NULL;
}

/* Counts what reaches the muxer, and keeps video out of it until its
 * first key frame so that the file starts where a decoder can. */
static GstPadProbeReturn
on_muxer_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstConvokeRecorder *self = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  gboolean ask_for_keyframe = FALSE;

  GST_OBJECT_LOCK (self);
  if (self->video && !self->have_keyframe)
    {
      if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
        {
          ask_for_keyframe = !self->keyframe_requested;
          self->keyframe_requested = TRUE;
          GST_OBJECT_UNLOCK (self);
          GST_LOG_OBJECT (self, "dropping a delta frame before the first key frame");
          if (ask_for_keyframe)
            gst_pad_push_event (pad, gst_video_event_new_upstream_force_key_unit (
                                         GST_CLOCK_TIME_NONE, TRUE, 0));
          return GST_PAD_PROBE_DROP;
        }
      self->have_keyframe = TRUE;
    }
  if (GST_CLOCK_TIME_IS_VALID (pts))
    {
      GstClockTime end = pts;

      if (GST_BUFFER_DURATION_IS_VALID (buffer))
        end += GST_BUFFER_DURATION (buffer);
      if (!GST_CLOCK_TIME_IS_VALID (self->first_pts) || pts < self->first_pts)
        self->first_pts = pts;
      if (!GST_CLOCK_TIME_IS_VALID (self->last_end) || end > self->last_end)
        self->last_end = end;
    }
  GST_OBJECT_UNLOCK (self);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make_element (GstConvokeRecorder *self, const char *factory)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
                       (_ ("The GStreamer element %s is missing; recording needs "
                           "gstreamer1.0-plugins-good and -bad"),
                        factory),
                       (NULL));
  return element;
}

/* For elements that never made it into the bin (still floating). */
static void
discard (GstElement *element)
{
  if (element != NULL)
    gst_object_unref (gst_object_ref_sink (element));
}

static GstElement *
make_sink (GstConvokeRecorder *self, const char *location, const char *public_key)
{
  GstElement *sink;

  if (public_key != NULL)
    {
      sink = make_element (self, "convokecryptsink");
      if (sink != NULL)
        g_object_set (sink, "location", location, "public-key", public_key, NULL);
      return sink;
    }
  sink = make_element (self, "filesink");
  if (sink != NULL)
    {
      /* Unbuffered, so that a crash loses nothing the muxer wrote. */
      g_object_set (sink, "location", location, "sync", FALSE, "async", FALSE, NULL);
      gst_util_set_object_arg (G_OBJECT (sink), "buffer-mode", "unbuffered");
    }
  return sink;
}

/* Builds the chain for @codec and points the ghost pad at it. Runs on the
 * streaming thread, while the caps event waits. */
static gboolean
recorder_build (GstConvokeRecorder *self, const RecorderCodec *codec)
{
  g_autofree char *location = NULL;
  g_autofree char *public_key = NULL;
  GstElement *jitterbuffer, *depayloader, *parser = NULL, *muxer, *sink;
  g_autoptr (GstPad) jitterbuffer_sink = NULL;
  g_autoptr (GstPad) muxer_sink = NULL;
  g_autoptr (GstPad) last_src = NULL;
  GstElement *chain[5];
  guint n = 0;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  public_key = g_strdup (self->public_key);
  GST_OBJECT_UNLOCK (self);
  if (location == NULL)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
                         (_ ("convokerecorder has no location to write to")), (NULL));
      return FALSE;
    }

  jitterbuffer = make_element (self, "rtpjitterbuffer");
  depayloader = make_element (self, codec->depayloader);
  if (codec->parser != NULL)
    parser = make_element (self, codec->parser);
  muxer = make_element (self, "matroskamux");
  sink = make_sink (self, location, public_key);
  if (jitterbuffer == NULL || depayloader == NULL || (codec->parser && parser == NULL)
      || muxer == NULL || sink == NULL)
    {
      discard (jitterbuffer);
      discard (depayloader);
      discard (parser);
      discard (muxer);
      discard (sink);
      return FALSE;
    }

  /* Timing from RTP timestamps alone: the file keeps the sender's clock. */
  gst_util_set_object_arg (G_OBJECT (jitterbuffer), "mode", "none");
  if (codec->video)
    g_object_set (depayloader, "request-keyframe", TRUE, "wait-for-keyframe", TRUE, NULL);
  g_object_set (muxer, "streamable", public_key != NULL, "offset-to-zero", TRUE,
                "writing-app", "Convoke", NULL);

  chain[n++] = jitterbuffer;
  chain[n++] = depayloader;
  if (parser != NULL)
    chain[n++] = parser;
  gst_bin_add_many (GST_BIN (self), jitterbuffer, depayloader, muxer, sink, NULL);
  if (parser != NULL)
    gst_bin_add (GST_BIN (self), parser);

  for (guint i = 0; i + 1 < n; i++)
    if (!gst_element_link (chain[i], chain[i + 1]))
      goto link_failed;
  muxer_sink
      = gst_element_request_pad_simple (muxer, codec->video ? "video_%u" : "audio_%u");
  last_src = gst_element_get_static_pad (chain[n - 1], "src");
  if (muxer_sink == NULL || gst_pad_link (last_src, muxer_sink) != GST_PAD_LINK_OK
      || !gst_element_link (muxer, sink))
    goto link_failed;
  gst_pad_add_probe (muxer_sink, GST_PAD_PROBE_TYPE_BUFFER, on_muxer_input, self, NULL);

  GST_OBJECT_LOCK (self);
  self->codec = codec->codec;
  self->container = codec->video ? "mkv" : "mka";
  self->video = codec->video;
  GST_OBJECT_UNLOCK (self);

  /* Downstream first, so that nothing flows into an element that is not
   * ready for it. */
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (muxer);
  for (guint i = n; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);

  jitterbuffer_sink = gst_element_get_static_pad (jitterbuffer, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), jitterbuffer_sink);
  GST_INFO_OBJECT (self, "recording %s to %s%s", codec->codec, location,
                   public_key != NULL ? " (encrypted)" : "");
  return TRUE;

link_failed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
                     ("cannot link the %s recording chain", codec->codec));
  return FALSE;
}

static GstPadProbeReturn
on_sink_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstConvokeRecorder *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *structure;
  const RecorderCodec *codec;
  const char *encoding_name, *built;
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  structure = gst_caps_get_structure (caps, 0);
  encoding_name = gst_structure_get_string (structure, "encoding-name");
  codec = find_codec (encoding_name);

  GST_OBJECT_LOCK (self);
  built = self->codec;
  GST_OBJECT_UNLOCK (self);
  if (built != NULL && codec != NULL && g_str_equal (built, codec->codec))
    return GST_PAD_PROBE_OK;
  if (built != NULL || codec == NULL)
    {
      GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE,
                         (_ ("A recording cannot change codec: it records %s, and the "
                             "stream is now %s"),
                          built != NULL ? built : "nothing",
                          encoding_name != NULL ? encoding_name : "unknown"),
                         ("caps %" GST_PTR_FORMAT, caps));
      return GST_PAD_PROBE_DROP;
    }
  if (!recorder_build (self, codec))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

static GstStateChangeReturn
recorder_change_state (GstElement *element, GstStateChange transition)
{
  GstConvokeRecorder *self = GST_CONVOKE_RECORDER (element);

  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    {
      gboolean has_location;

      GST_OBJECT_LOCK (self);
      has_location = self->location != NULL && *self->location != '\0';
      GST_OBJECT_UNLOCK (self);
      if (!has_location)
        {
          GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
                             (_ ("convokerecorder has no location to write to")), (NULL));
          return GST_STATE_CHANGE_FAILURE;
        }
    }
  return GST_ELEMENT_CLASS (gst_convoke_recorder_parent_class)
      ->change_state (element, transition);
}

static void
recorder_set_property (GObject *object, guint prop_id, const GValue *value,
                       GParamSpec *pspec)
{
  GstConvokeRecorder *self = GST_CONVOKE_RECORDER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_PUBLIC_KEY:
      g_free (self->public_key);
      /* An empty path means none, so that gst-launch can clear it. */
      self->public_key = g_value_dup_string (value);
      if (self->public_key != NULL && *self->public_key == '\0')
        g_clear_pointer (&self->public_key, g_free);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  GST_OBJECT_UNLOCK (self);
}

static void
recorder_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstConvokeRecorder *self = GST_CONVOKE_RECORDER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_PUBLIC_KEY:
      g_value_set_string (value, self->public_key);
      break;
    case PROP_CODEC:
      g_value_set_string (value, self->codec);
      break;
    case PROP_CONTAINER:
      g_value_set_string (value, self->container);
      break;
    case PROP_DURATION:
      g_value_set_uint64 (value, GST_CLOCK_TIME_IS_VALID (self->first_pts)
                                     ? self->last_end - self->first_pts
                                     : 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  GST_OBJECT_UNLOCK (self);
}

static void
recorder_finalize (GObject *object)
{
  GstConvokeRecorder *self = GST_CONVOKE_RECORDER (object);

  g_free (self->location);
  g_free (self->public_key);
  G_OBJECT_CLASS (gst_convoke_recorder_parent_class)->finalize (object);
}

static void
gst_convoke_recorder_init (GstConvokeRecorder *self)
{
  g_autoptr (GstPadTemplate) template = gst_static_pad_template_get (&sink_template);

  self->first_pts = GST_CLOCK_TIME_NONE;
  self->last_end = GST_CLOCK_TIME_NONE;
  self->sinkpad = gst_ghost_pad_new_no_target_from_template ("sink", template);
  gst_pad_add_probe (self->sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event,
                     self, NULL);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
}

static void
gst_convoke_recorder_class_init (GstConvokeRecorderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = recorder_set_property;
  object_class->get_property = recorder_get_property;
  object_class->finalize = recorder_finalize;
  element_class->change_state = recorder_change_state;

  /**
   * GstConvokeRecorder:location:
   *
   * The file to write. Required.
   */
  g_object_class_install_property (
      object_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location", "The file to write", NULL,
                           G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                               | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeRecorder:public-key:
   *
   * A PEM file with an RSA public key. When set, the file is written by
   * `convokecryptsink`, encrypted to that key, and never in plaintext.
   */
  g_object_class_install_property (
      object_class, PROP_PUBLIC_KEY,
      g_param_spec_string (
          "public-key", "Public key",
          "PEM file of the RSA public key to encrypt to (none: plaintext)", NULL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeRecorder:codec:
   *
   * What is recorded: "opus", "vp8" or "h264"; NULL before the caps came.
   */
  g_object_class_install_property (
      object_class, PROP_CODEC,
      g_param_spec_string ("codec", "Codec", "The recorded codec (opus, vp8, h264)", NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeRecorder:container:
   *
   * "mka" for audio, "mkv" for video; NULL before the caps came.
   */
  g_object_class_install_property (
      object_class, PROP_CONTAINER,
      g_param_spec_string ("container", "Container",
                           "Matroska flavour written: mka (audio) or mkv (video)", NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeRecorder:duration:
   *
   * Nanoseconds of media handed to the muxer so far.
   */
  g_object_class_install_property (
      object_class, PROP_DURATION,
      g_param_spec_uint64 ("duration", "Duration", "Nanoseconds of media recorded so far",
                           0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (
      element_class, "Convoke track recorder", "Sink/File/RTP",
      "Records one RTP track (Opus, VP8, H.264) to Matroska without transcoding, "
      "optionally encrypted",
      "The Convoke authors");
  GST_DEBUG_CATEGORY_INIT (gst_convoke_recorder_debug, "convokerecorder", 0,
                           "Convoke track recorder");
}
