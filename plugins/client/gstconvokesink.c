/* convokesink: publishes media into a Convoke room.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * SECTION:element-convokesink
 * @title: convokesink
 * @see_also: convokesrc
 *
 * Joins a Convoke room as a participant and publishes one track per
 * request pad: `audio_%u` pads take Opus, `video_%u` pads take VP8, VP9 or
 * H.264, either encoded (the element payloads it) or already as RTP
 * (`application/x-rtp` with `media`, `encoding-name`, `payload` and
 * `clock-rate`, passed on as it is). Each track is announced to the room
 * (`track-published`), named after its pad (`video_0`, …). It works in
 * every room type, as the server's answer to the join says; group rooms
 * take VP8, or H.264 when the room's `video-codec` says so, and Opus.
 *
 * Payload types: Opus 111, VP8 96, VP9 98, H.264 102
 * (`packetization-mode=1`, `profile-level-id=42e01f`). Video is sent
 * with an MTU of 1200 bytes.
 *
 * The element joins once every requested pad has received its caps, as
 * tracks cannot be added to a session later: request every pad before
 * the element leaves the READY state. It leaves the room in PAUSED→READY.
 * Buffers are synchronised to the clock, so a file source is published in
 * real time. When every pad has received EOS the element posts EOS (it
 * stays in the room until it is stopped).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! video/x-raw,width=640,height=360 ! \
 *     vp8enc deadline=1 ! convokesink url=http://127.0.0.1:7880 room=standup \
 *     identity=camera-1 api-key=SK… api-secret=…
 * ]| Publishes a test pattern into the room "standup".
 * |[
 * gst-launch-1.0 convokesink name=s url=https://video.example.org token=$TOKEN \
 *     v4l2src ! videoconvert ! vp8enc deadline=1 ! s.video_0 \
 *     pulsesrc ! audioconvert ! audioresample ! opusenc ! s.audio_0
 * ]| Publishes a camera and a microphone.
 *
 * Since: 0.1
 */

#include "gstconvokesink.h"

#include "i18n.h"
#include "twilio-error.h"

GST_DEBUG_CATEGORY_STATIC (gst_convoke_sink_debug);
#define GST_CAT_DEFAULT gst_convoke_sink_debug

#define PAYLOADER_MTU 1200

static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/x-opus; "
                     "application/x-rtp, media = (string) audio, "
                     "encoding-name = (string) OPUS"));

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-vp8; video/x-vp9; video/x-h264; "
                     "application/x-rtp, media = (string) video, "
                     "encoding-name = (string) { VP8, VP9, H264 }"));

/* How encoded media becomes RTP. The payload types are the ones group
 * rooms offer (docs/group-media.md); peers read them from the SDP. */
typedef struct
{
  const char *media_type;
  const char *payloader;
  guint payload;
  const char *rtp_caps;
} Payloading;

static const Payloading payloadings[] = {
  { "audio/x-opus", "rtpopuspay", 111,
    "application/x-rtp, media=audio, encoding-name=OPUS, payload=111, clock-rate=48000, "
    "encoding-params=(string)2" },
  { "video/x-vp8", "rtpvp8pay", 96,
    "application/x-rtp, media=video, encoding-name=VP8, payload=96, clock-rate=90000" },
  { "video/x-vp9", "rtpvp9pay", 98,
    "application/x-rtp, media=video, encoding-name=VP9, payload=98, clock-rate=90000" },
  { "video/x-h264", "rtph264pay", 102,
    "application/x-rtp, media=video, encoding-name=H264, payload=102, clock-rate=90000, "
    "packetization-mode=(string)1, profile-level-id=(string)42e01f" },
};

/* One request pad. The ghost pad and its clocksync live as long as the
 * pad; the payloader and the session's tee last one run. */
typedef struct
{
  GstPad *ghost;
  char *kind;
  GstElement *clocksync;
  GstElement *payloader;
  GstElement *tee;
  gboolean published;
  gboolean eos;
} SinkInput;

struct _GstConvokeSink
{
  GstConvokeBin parent_instance;

  GMutex inputs_lock;
  GPtrArray *inputs; /* SinkInput* */
  guint next_audio;
  guint next_video;
  gboolean eos_posted;
};

G_DEFINE_TYPE (GstConvokeSink, gst_convoke_sink, GST_TYPE_CONVOKE_BIN)
GST_ELEMENT_REGISTER_DEFINE (convokesink, "convokesink", GST_RANK_NONE,
                             GST_TYPE_CONVOKE_SINK);

static void
sink_input_free (SinkInput *input)
{
  gst_clear_object (&input->ghost);
  g_free (input->kind);
  gst_clear_object (&input->clocksync);
  gst_clear_object (&input->payloader);
  gst_clear_object (&input->tee);
  g_free (input);
}

static SinkInput *
find_input (GstConvokeSink *self, GstPad *ghost)
{
  for (guint i = 0; i < self->inputs->len; i++)
    {
      SinkInput *input = g_ptr_array_index (self->inputs, i);

      if (input->ghost == ghost)
        return input;
    }
  return NULL;
}

static gboolean
all_published (GstConvokeSink *self)
{
  for (guint i = 0; i < self->inputs->len; i++)
    if (!((SinkInput *) g_ptr_array_index (self->inputs, i))->published)
      return FALSE;
  return TRUE;
}

/* ---- publishing a pad -------------------------------------------------- */

static void
post_pad_error (GstConvokeSink *self, SinkInput *input, const char *text)
{
  GST_ELEMENT_ERROR (
      self, STREAM, FORMAT,
      (_ ("Cannot publish the pad %s: %s"), GST_PAD_NAME (input->ghost), text), (NULL));
}

/* The RTP that @caps (what reaches the pad) becomes, and the pad that
 * carries it: clocksync's, or a new payloader's. NULL with an error
 * posted when @caps cannot be published. */
static GstCaps *
build_rtp_branch (GstConvokeSink *self, SinkInput *input, GstCaps *caps, GstPad **rtp_pad)
{
  const GstStructure *structure = gst_caps_get_structure (caps, 0);
  const char *media_type = gst_structure_get_name (structure);
  g_autoptr (GstPad) clocksync_src = gst_element_get_static_pad (input->clocksync, "src");
  g_autoptr (GstPad) payloader_sink = NULL;
  const Payloading *payloading = NULL;

  if (g_str_equal (media_type, "application/x-rtp"))
    {
      static const char *const required[]
          = { "media", "encoding-name", "payload", "clock-rate" };

      for (guint i = 0; i < G_N_ELEMENTS (required); i++)
        if (!gst_structure_has_field (structure, required[i]))
          {
            g_autofree char *caps_text = gst_caps_to_string (caps);
            g_autofree char *text = g_strdup_printf (
                _ ("its RTP caps have no “%s” field (caps: %s)"), required[i], caps_text);

            post_pad_error (self, input, text);
            return NULL;
          }
      *rtp_pad = g_steal_pointer (&clocksync_src);
      return gst_caps_copy (caps);
    }

  for (guint i = 0; i < G_N_ELEMENTS (payloadings); i++)
    if (g_str_equal (media_type, payloadings[i].media_type))
      payloading = &payloadings[i];
  if (payloading == NULL)
    {
      g_autofree char *text
          = g_strdup_printf (_ ("no payloader for the media type %s"), media_type);

      post_pad_error (self, input, text);
      return NULL;
    }
  input->payloader = gst_element_factory_make (payloading->payloader, NULL);
  if (input->payloader == NULL)
    {
      g_autofree char *text = g_strdup_printf (
          _ ("the GStreamer element %s is not installed"), payloading->payloader);

      post_pad_error (self, input, text);
      return NULL;
    }
  gst_object_ref_sink (input->payloader);
  g_object_set (input->payloader, "pt", payloading->payload, "mtu", PAYLOADER_MTU, NULL);
  if (g_str_equal (payloading->payloader, "rtph264pay"))
    /* SPS/PPS with every key frame, so late joiners can decode. */
    g_object_set (input->payloader, "config-interval", -1, NULL);
  gst_bin_add (GST_BIN (self), input->payloader);
  payloader_sink = gst_element_get_static_pad (input->payloader, "sink");
  gst_pad_link (clocksync_src, payloader_sink);
  gst_element_sync_state_with_parent (input->payloader);
  *rtp_pad = gst_element_get_static_pad (input->payloader, "src");
  return gst_caps_from_string (payloading->rtp_caps);
}

/* On the pad's streaming thread, before its first caps go on: makes the
 * RTP branch and gives it to the session. */
static void
publish_input (GstConvokeSink *self, SinkInput *input, GstCaps *caps)
{
  g_autoptr (ConvokeClientSession) session
      = gst_convoke_bin_ref_session (GST_CONVOKE_BIN (self));
  g_autoptr (GstCaps) rtp_caps = NULL;
  g_autoptr (GstPad) rtp_pad = NULL;
  g_autoptr (GstPad) tee_sink = NULL;
  g_autoptr (GError) error = NULL;

  if (session == NULL)
    return;
  if (convoke_client_session_get_state (session) != CONVOKE_CLIENT_SESSION_STATE_IDLE)
    {
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
                           (_ ("The pad %s received caps after the element joined the "
                               "room; it is not published"),
                            GST_PAD_NAME (input->ghost)),
                           (NULL));
      return;
    }
  rtp_caps = build_rtp_branch (self, input, caps, &rtp_pad);
  if (rtp_caps == NULL)
    return;
  GST_INFO_OBJECT (self, "publishing %s as %" GST_PTR_FORMAT, GST_PAD_NAME (input->ghost),
                   rtp_caps);
  if (!convoke_client_session_add_track_pad (session, GST_PAD_NAME (input->ghost),
                                             input->kind, rtp_pad, rtp_caps, &error))
    {
      post_pad_error (self, input, error->message);
      return;
    }
  tee_sink = gst_pad_get_peer (rtp_pad);
  input->tee = tee_sink ? gst_pad_get_parent_element (tee_sink) : NULL;
  input->published = TRUE;
}

static void
post_eos_when_all_ended (GstConvokeSink *self)
{
  gboolean all_ended = self->inputs->len > 0 && !self->eos_posted;

  for (guint i = 0; i < self->inputs->len && all_ended; i++)
    all_ended = ((SinkInput *) g_ptr_array_index (self->inputs, i))->eos;
  if (!all_ended)
    return;
  self->eos_posted = TRUE;
  GST_INFO_OBJECT (self, "every pad received EOS");
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_eos (GST_OBJECT (self)));
}

static GstPadProbeReturn
on_input_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstConvokeSink *self = GST_CONVOKE_SINK (user_data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gboolean ready = FALSE;
  SinkInput *input;

  g_mutex_lock (&self->inputs_lock);
  input = find_input (self, pad);
  if (input != NULL)
    switch (GST_EVENT_TYPE (event))
      {
      case GST_EVENT_CAPS:
        if (!input->published)
          {
            GstCaps *caps;

            gst_event_parse_caps (event, &caps);
            publish_input (self, input, caps);
            ready = input->published && all_published (self);
          }
        break;
      case GST_EVENT_EOS:
        input->eos = TRUE;
        post_eos_when_all_ended (self);
        break;
      case GST_EVENT_FLUSH_STOP:
        input->eos = FALSE;
        self->eos_posted = FALSE;
        break;
      default:
        break;
      }
  g_mutex_unlock (&self->inputs_lock);
  if (ready)
    gst_convoke_bin_connect (GST_CONVOKE_BIN (self));
  return GST_PAD_PROBE_OK;
}

/* ---- request pads ------------------------------------------------------ */

static GstPad *
gst_convoke_sink_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                  const char *name, const GstCaps *caps)
{
  GstConvokeSink *self = GST_CONVOKE_SINK (element);
  g_autoptr (ConvokeClientSession) session
      = gst_convoke_bin_ref_session (GST_CONVOKE_BIN (self));
  gboolean video = g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "video_%u");
  g_autoptr (GstPad) clocksync_sink = NULL;
  g_autofree char *pad_name = NULL;
  SinkInput *input;

  if (session != NULL)
    {
      GST_ELEMENT_WARNING (self, CORE, PAD,
                           (_ ("Pads can only be requested before the element joins a "
                               "room (in the NULL or READY state); refusing %s"),
                            name ? name : GST_PAD_TEMPLATE_NAME_TEMPLATE (templ)),
                           (NULL));
      return NULL;
    }

  g_mutex_lock (&self->inputs_lock);
  if (name != NULL)
    pad_name = g_strdup (name);
  else
    pad_name = g_strdup_printf (video ? "video_%u" : "audio_%u",
                                video ? self->next_video : self->next_audio);
  if (video)
    self->next_video++;
  else
    self->next_audio++;
  input = g_new0 (SinkInput, 1);
  input->kind = g_strdup (video ? "video" : "audio");
  input->clocksync = gst_object_ref_sink (gst_element_factory_make ("clocksync", NULL));
  gst_bin_add (GST_BIN (self), input->clocksync);
  clocksync_sink = gst_element_get_static_pad (input->clocksync, "sink");
  input->ghost = gst_ghost_pad_new_from_template (pad_name, clocksync_sink, templ);
  gst_object_ref_sink (input->ghost);
  gst_pad_add_probe (input->ghost, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_input_event,
                     self, NULL);
  g_ptr_array_add (self->inputs, input);
  g_mutex_unlock (&self->inputs_lock);

  gst_element_sync_state_with_parent (input->clocksync);
  gst_pad_set_active (input->ghost, TRUE);
  gst_element_add_pad (element, input->ghost);
  return input->ghost;
}

static void
gst_convoke_sink_release_pad (GstElement *element, GstPad *pad)
{
  GstConvokeSink *self = GST_CONVOKE_SINK (element);
  SinkInput *input = NULL;

  g_mutex_lock (&self->inputs_lock);
  for (guint i = 0; i < self->inputs->len && input == NULL; i++)
    if (((SinkInput *) g_ptr_array_index (self->inputs, i))->ghost == pad)
      input = g_ptr_array_steal_index (self->inputs, i);
  g_mutex_unlock (&self->inputs_lock);
  if (input == NULL)
    return;

  /* A published track stays in the session (there is no unpublishing);
   * its tee just stops receiving. */
  gst_pad_set_active (input->ghost, FALSE);
  gst_element_remove_pad (element, input->ghost);
  if (input->payloader != NULL)
    gst_convoke_bin_remove_element (GST_CONVOKE_BIN (self), input->payloader);
  gst_convoke_bin_remove_element (GST_CONVOKE_BIN (self), input->clocksync);
  sink_input_free (input);
}

/* ---- GstConvokeBin ----------------------------------------------------- */

static gboolean
gst_convoke_sink_ready_to_connect (GstConvokeBin *bin)
{
  GstConvokeSink *self = GST_CONVOKE_SINK (bin);
  gboolean ready;

  g_mutex_lock (&self->inputs_lock);
  ready = all_published (self);
  g_mutex_unlock (&self->inputs_lock);
  return ready;
}

static void
gst_convoke_sink_session_finished (GstConvokeBin *bin, ConvokeClientSession *session)
{
  GstConvokeSink *self = GST_CONVOKE_SINK (bin);

  /* The pads are inactive by now (PAUSED→READY), so no streaming thread
   * meets the branches going away; the next run builds them again. */
  g_mutex_lock (&self->inputs_lock);
  for (guint i = 0; i < self->inputs->len; i++)
    {
      SinkInput *input = g_ptr_array_index (self->inputs, i);
      g_autoptr (GstPad) clocksync_src
          = gst_element_get_static_pad (input->clocksync, "src");
      g_autoptr (GstPad) peer = gst_pad_get_peer (clocksync_src);

      if (peer != NULL)
        gst_pad_unlink (clocksync_src, peer);
      if (input->payloader != NULL)
        gst_convoke_bin_remove_element (GST_CONVOKE_BIN (self), input->payloader);
      if (input->tee != NULL)
        gst_convoke_bin_remove_element (GST_CONVOKE_BIN (self), input->tee);
      gst_clear_object (&input->payloader);
      gst_clear_object (&input->tee);
      input->published = FALSE;
      input->eos = FALSE;
    }
  self->eos_posted = FALSE;
  g_mutex_unlock (&self->inputs_lock);
}

/* ---- GObject ----------------------------------------------------------- */

static void
gst_convoke_sink_finalize (GObject *object)
{
  GstConvokeSink *self = GST_CONVOKE_SINK (object);

  g_ptr_array_unref (self->inputs);
  g_mutex_clear (&self->inputs_lock);
  G_OBJECT_CLASS (gst_convoke_sink_parent_class)->finalize (object);
}

static void
gst_convoke_sink_init (GstConvokeSink *self)
{
  g_mutex_init (&self->inputs_lock);
  self->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) sink_input_free);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static void
gst_convoke_sink_class_init (GstConvokeSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstConvokeBinClass *bin_class = GST_CONVOKE_BIN_CLASS (klass);

  object_class->finalize = gst_convoke_sink_finalize;
  element_class->request_new_pad = GST_DEBUG_FUNCPTR (gst_convoke_sink_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_convoke_sink_release_pad);
  bin_class->ready_to_connect = gst_convoke_sink_ready_to_connect;
  bin_class->session_finished = gst_convoke_sink_session_finished;

  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_set_static_metadata (
      element_class, "Convoke room sink", "Sink/Network/WebRTC",
      "Joins a Convoke video room and publishes audio and video tracks into it",
      "The Convoke authors");

  GST_DEBUG_CATEGORY_INIT (gst_convoke_sink_debug, "convokesink", 0, "Convoke room sink");
}
