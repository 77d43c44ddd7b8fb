/* convokesrc: what the other participants of a Convoke room publish.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * SECTION:element-convokesrc
 * @title: convokesrc
 * @see_also: convokesink
 *
 * Joins a Convoke room as a participant and exposes every track the other
 * participants publish on a *sometimes* source pad of its own, for as long
 * as the track lasts. It works in every room type: peer-to-peer and go
 * rooms (one WebRTC connection per participant) and group rooms (one
 * connection to the room's media server), as the server's answer to the
 * join says. It publishes nothing itself; use convokesink for that (as the
 * same or another participant).
 *
 * Pads are named `src_<identity>_<kind>`, where the identity is the
 * publisher's with every character other than ASCII letters and digits
 * replaced by `_`, and the kind is `audio` or `video`: `src_alice_video`.
 * A second track of the same name gets `_2`, `_3`, … appended. Depending on
 * #GstConvokeSrc:output a pad carries the track's RTP packets or the
 * encoded frames (VP8, Opus, …) that a depayloader makes of them. Video
 * depayloaders wait for a key frame and request one when packets are lost.
 *
 * When a track ends (its publisher left or stopped publishing), its pad
 * first sends EOS downstream, then is removed; the pipeline keeps running
 * and the pads of tracks published later are added as they come. Buffers
 * of a pad that nothing is linked to are dropped.
 *
 * The element is live: it does not preroll. It joins in the READY→PAUSED
 * change and leaves in PAUSED→READY. An EOS event sent to it (what
 * `gst-launch-1.0 -e` does on Ctrl-C) sends EOS on every pad, so that
 * muxers downstream can finish their files.
 *
 * Besides the messages of #GstConvokeBin, it posts `convoke-track-added`
 * and `convoke-track-removed` element messages with the fields `sid` and
 * `identity` (the publisher's), `kind` and `pad` (the pad name), all
 * strings.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 convokesrc url=http://127.0.0.1:7880 room=standup \
 *     identity=viewer api-key=SK… api-secret=… name=s \
 *     s.src_alice_video ! queue ! vp8dec ! videoconvert ! autovideosink
 * ]| Shows alice's camera.
 * |[
 * gst-launch-1.0 -e convokesrc url=http://127.0.0.1:7880 room=standup \
 *     token=$TOKEN name=s \
 *     s.src_alice_video ! queue ! matroskamux name=mux ! filesink location=alice.mkv \
 *     s.src_alice_audio ! queue ! mux.
 * ]| Records alice's audio and video, without decoding, until she leaves
 * (or Ctrl-C).
 *
 * Since: 0.1
 */

#include "gstconvokesrc.h"

#include "gstconvokebusmessages.h"

GST_DEBUG_CATEGORY_STATIC (gst_convoke_src_debug);
#define GST_CAT_DEFAULT gst_convoke_src_debug

#define DEFAULT_OUTPUT GST_CONVOKE_SRC_OUTPUT_ENCODED

/* What a pad may carry: RTP, or what the depayloaders of the codecs that
 * WebRTC peers send make of it. */
#define SRC_CAPS                                                                         \
  "application/x-rtp; audio/x-opus; video/x-vp8; video/x-vp9; video/x-h264; "            \
  "video/x-h265; video/x-av1; audio/x-alaw; audio/x-mulaw; audio/G722"

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src_%s", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS (SRC_CAPS));

enum
{
  PROP_0,
  PROP_OUTPUT,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

/* On a track's pad whose track was removed: the id of the probe that
 * drops what it still carries. */
static GQuark retired_quark;

/* One exposed remote track. */
typedef struct
{
  ConvokeRemoteTrack *track;
  GstPad *ghost;
  GstElement *depayloader; /* NULL when the pad carries RTP */
  gint eos;                /* atomic: nothing more goes downstream */
} SrcOutput;

struct _GstConvokeSrc
{
  GstConvokeBin parent_instance;

  GstConvokeSrcOutput output; /* object lock */

  GMutex outputs_lock;
  GPtrArray *outputs; /* SrcOutput* */
  gboolean eos;       /* an EOS event came from the application */
};

G_DEFINE_TYPE (GstConvokeSrc, gst_convoke_src, GST_TYPE_CONVOKE_BIN)
GST_ELEMENT_REGISTER_DEFINE (convokesrc, "convokesrc", GST_RANK_NONE,
                             GST_TYPE_CONVOKE_SRC);

GType
gst_convoke_src_output_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_CONVOKE_SRC_OUTPUT_RTP, "RTP packets (application/x-rtp)", "rtp" },
    { GST_CONVOKE_SRC_OUTPUT_ENCODED, "Encoded frames, depayloaded (VP8, Opus, …)",
      "encoded" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstConvokeSrcOutput", values));
  return type;
}

static void
src_output_free (SrcOutput *output)
{
  g_clear_object (&output->track);
  gst_clear_object (&output->ghost);
  gst_clear_object (&output->depayloader);
  g_free (output);
}

/* ---- choosing a depayloader -------------------------------------------- */

/* The depayloader of the highest rank that takes @caps and makes
 * something the pad template allows, or NULL. */
static GstElementFactory *
find_depayloader (GstCaps *caps)
{
  g_autoptr (GstCaps) allowed = gst_static_caps_get (&src_template.static_caps);
  GList *all = gst_element_factory_list_get_elements (
      GST_ELEMENT_FACTORY_TYPE_DEPAYLOADER, GST_RANK_MARGINAL);
  GList *matching = gst_element_factory_list_filter (all, caps, GST_PAD_SINK, FALSE);
  GstElementFactory *found = NULL;

  matching = g_list_sort (matching, gst_plugin_feature_rank_compare_func);
  for (GList *l = matching; l != NULL && found == NULL; l = l->next)
    {
      const GList *templates = gst_element_factory_get_static_pad_templates (l->data);

      for (; templates != NULL && found == NULL; templates = templates->next)
        {
          GstStaticPadTemplate *templ = templates->data;
          g_autoptr (GstCaps) produced = NULL;

          if (templ->direction != GST_PAD_SRC)
            continue;
          produced = gst_static_pad_template_get_caps (templ);
          if (gst_caps_can_intersect (produced, allowed))
            found = gst_object_ref (l->data);
        }
    }
  gst_plugin_feature_list_free (matching);
  gst_plugin_feature_list_free (all);
  return found;
}

/* A depayloader for what @pad carries, or NULL (with the reason logged)
 * when the pad should carry RTP instead. */
static GstElement *
make_depayloader (GstConvokeSrc *self, GstPad *pad)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  g_autoptr (GstElementFactory) factory = NULL;
  GstElement *depayloader;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps == NULL || gst_caps_is_empty (caps) || gst_caps_is_any (caps)
      || !gst_structure_has_field (gst_caps_get_structure (caps, 0), "encoding-name"))
    {
      GST_WARNING_OBJECT (self,
                          "%" GST_PTR_FORMAT ": unknown encoding (%" GST_PTR_FORMAT
                          "); exposing RTP",
                          pad, caps);
      return NULL;
    }
  factory = find_depayloader (caps);
  if (factory == NULL)
    {
      GST_WARNING_OBJECT (self, "no depayloader for %" GST_PTR_FORMAT "; exposing RTP",
                          caps);
      return NULL;
    }
  depayloader = gst_element_factory_create (factory, NULL);
  if (depayloader == NULL)
    return NULL;
  /* Rather than handing on broken frames, video depayloaders wait for the
   * next key frame and ask for one (PLI). */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (depayloader),
                                    "wait-for-keyframe"))
    g_object_set (depayloader, "wait-for-keyframe", TRUE, NULL);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (depayloader), "request-keyframe"))
    g_object_set (depayloader, "request-keyframe", TRUE, NULL);
  return depayloader;
}

/* ---- pads -------------------------------------------------------------- */

/* "src_<identity>_<kind>", made unique among the element's pads. */
static char *
unique_pad_name (GstConvokeSrc *self, ConvokeRemoteTrack *track)
{
  const char *who = convoke_remote_track_get_participant_identity (track);
  g_autofree char *safe = gst_convoke_bin_sanitize_name (
      who ? who : convoke_remote_track_get_participant_sid (track));
  g_autofree char *base
      = g_strdup_printf ("src_%s_%s", safe, convoke_remote_track_get_kind (track));
  char *name = g_strdup (base);

  for (guint n = 2;; n++)
    {
      g_autoptr (GstPad) existing = gst_element_get_static_pad (GST_ELEMENT (self), name);

      if (existing == NULL)
        return name;
      g_free (name);
      name = g_strdup_printf ("%s_%u", base, n);
    }
}

static GstPadProbeReturn
drop_when_unwanted (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SrcOutput *output = user_data;

  /* An unlinked pad would return not-linked into webrtcbin, which ends
   * the stream; after EOS nothing may follow. */
  if (g_atomic_int_get (&output->eos) || !gst_pad_is_linked (pad))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
drop_everything (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_DROP;
}

static void
on_track_added (ConvokeClientSession *session, ConvokeRemoteTrack *track,
                GstConvokeSrc *self)
{
  GstPad *track_pad = convoke_remote_track_get_pad (track);
  g_autofree char *name = NULL;
  g_autoptr (GstPad) target = NULL;
  GstConvokeSrcOutput mode;
  SrcOutput *output;
  gulong retired_probe
      = GPOINTER_TO_UINT (g_object_steal_qdata (G_OBJECT (track_pad), retired_quark));

  /* A pad that carried an earlier track carries this one now. */
  if (retired_probe != 0)
    gst_pad_remove_probe (track_pad, retired_probe);
  g_mutex_lock (&self->outputs_lock);
  if (self->eos)
    {
      g_mutex_unlock (&self->outputs_lock);
      GST_INFO_OBJECT (self, "after EOS: not exposing %" GST_PTR_FORMAT, track_pad);
      return;
    }
  GST_OBJECT_LOCK (self);
  mode = self->output;
  GST_OBJECT_UNLOCK (self);

  output = g_new0 (SrcOutput, 1);
  output->track = g_object_ref (track);
  if (mode == GST_CONVOKE_SRC_OUTPUT_ENCODED)
    output->depayloader = make_depayloader (self, track_pad);
  if (output->depayloader != NULL)
    {
      g_autoptr (GstPad) sink = gst_element_get_static_pad (output->depayloader, "sink");

      gst_object_ref_sink (output->depayloader);
      gst_bin_add (GST_BIN (self), output->depayloader);
      if (gst_pad_link (track_pad, sink) != GST_PAD_LINK_OK)
        {
          GST_WARNING_OBJECT (self,
                              "cannot link %" GST_PTR_FORMAT " to %" GST_PTR_FORMAT
                              "; exposing RTP",
                              track_pad, output->depayloader);
          gst_convoke_bin_remove_element (GST_CONVOKE_BIN (self), output->depayloader);
          gst_clear_object (&output->depayloader);
        }
      else
        {
          gst_element_sync_state_with_parent (output->depayloader);
          target = gst_element_get_static_pad (output->depayloader, "src");
        }
    }
  if (target == NULL)
    target = gst_object_ref (track_pad);

  name = unique_pad_name (self, track);
  output->ghost = gst_ghost_pad_new_from_template (
      name, target, gst_element_get_pad_template (GST_ELEMENT (self), "src_%s"));
  gst_object_ref_sink (output->ghost);
  gst_pad_add_probe (output->ghost,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     drop_when_unwanted, output, NULL);
  gst_pad_set_active (output->ghost, TRUE);
  g_ptr_array_add (self->outputs, output);
  g_mutex_unlock (&self->outputs_lock);

  GST_INFO_OBJECT (self, "exposing the %s track of %s (%s) on %s",
                   convoke_remote_track_get_kind (track),
                   convoke_remote_track_get_participant_identity (track),
                   convoke_remote_track_get_participant_sid (track), name);
  /* Linked by pad-added handlers (gst-launch's delayed links) while the
   * track's pad is still held, so no buffer comes first. */
  gst_element_add_pad (GST_ELEMENT (self), output->ghost);
  gst_convoke_post_track_added (GST_ELEMENT (self), track, name);
}

/* Sends EOS downstream, then removes the pad and its depayloader. */
static void
retire_output (GstConvokeSrc *self, SrcOutput *output)
{
  GstPad *track_pad = convoke_remote_track_get_pad (output->track);
  g_autofree char *name = gst_pad_get_name (output->ghost);

  g_atomic_int_set (&output->eos, TRUE);
  /* In group rooms the track's pad outlives the track (its m-line is
   * only made inactive): it must not push into nothing meanwhile. */
  g_object_set_qdata (
      G_OBJECT (track_pad), retired_quark,
      GUINT_TO_POINTER (gst_pad_add_probe (track_pad, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM,
                                           drop_everything, NULL, NULL)));
  if (output->depayloader != NULL)
    {
      g_autoptr (GstPad) sink = gst_element_get_static_pad (output->depayloader, "sink");
      g_autoptr (GstPad) peer = gst_pad_get_peer (sink);

      if (peer != NULL)
        gst_pad_unlink (peer, sink);
    }
  else
    gst_ghost_pad_set_target (GST_GHOST_PAD (output->ghost), NULL);

  if (gst_pad_is_linked (output->ghost))
    gst_pad_push_event (output->ghost, gst_event_new_eos ());
  gst_pad_set_active (output->ghost, FALSE);
  gst_element_remove_pad (GST_ELEMENT (self), output->ghost);
  if (output->depayloader != NULL)
    gst_convoke_bin_remove_element (GST_CONVOKE_BIN (self), output->depayloader);
  GST_INFO_OBJECT (self, "removed %s", name);
  gst_convoke_post_track_removed (GST_ELEMENT (self), output->track, name);
}

static void
on_track_removed (ConvokeClientSession *session, ConvokeRemoteTrack *track,
                  GstConvokeSrc *self)
{
  SrcOutput *output = NULL;

  g_mutex_lock (&self->outputs_lock);
  for (guint i = 0; i < self->outputs->len && output == NULL; i++)
    if (((SrcOutput *) g_ptr_array_index (self->outputs, i))->track == track)
      output = g_ptr_array_steal_index (self->outputs, i);
  g_mutex_unlock (&self->outputs_lock);
  if (output == NULL)
    return;
  retire_output (self, output);
  src_output_free (output);
}

/* ---- GstConvokeBin ----------------------------------------------------- */

static void
gst_convoke_src_session_created (GstConvokeBin *bin, ConvokeClientSession *session)
{
  GstConvokeSrc *self = GST_CONVOKE_SRC (bin);

  g_mutex_lock (&self->outputs_lock);
  self->eos = FALSE;
  g_mutex_unlock (&self->outputs_lock);
  g_signal_connect (session, "track-added", G_CALLBACK (on_track_added), self);
  g_signal_connect (session, "track-removed", G_CALLBACK (on_track_removed), self);
}

static void
gst_convoke_src_session_finished (GstConvokeBin *bin, ConvokeClientSession *session)
{
  GstConvokeSrc *self = GST_CONVOKE_SRC (bin);
  g_autoptr (GPtrArray) outputs = NULL;

  /* Leaving removed the tracks already, unless the session was cut
   * short; what is left goes now. */
  g_mutex_lock (&self->outputs_lock);
  outputs = g_steal_pointer (&self->outputs);
  self->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) src_output_free);
  g_mutex_unlock (&self->outputs_lock);
  for (guint i = 0; i < outputs->len; i++)
    retire_output (self, g_ptr_array_index (outputs, i));
}

/* ---- GstElement -------------------------------------------------------- */

static gboolean
gst_convoke_src_send_event (GstElement *element, GstEvent *event)
{
  GstConvokeSrc *self = GST_CONVOKE_SRC (element);
  g_autoptr (GPtrArray) pads = g_ptr_array_new_with_free_func (gst_object_unref);

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (gst_convoke_src_parent_class)->send_event (element, event);

  GST_INFO_OBJECT (self, "EOS: ending every pad");
  g_mutex_lock (&self->outputs_lock);
  self->eos = TRUE;
  for (guint i = 0; i < self->outputs->len; i++)
    {
      SrcOutput *output = g_ptr_array_index (self->outputs, i);

      if (!g_atomic_int_get (&output->eos))
        {
          g_atomic_int_set (&output->eos, TRUE);
          g_ptr_array_add (pads, gst_object_ref (output->ghost));
        }
    }
  g_mutex_unlock (&self->outputs_lock);
  /* Pushed without the lock: downstream may block on a full queue. */
  for (guint i = 0; i < pads->len; i++)
    gst_pad_push_event (g_ptr_array_index (pads, i), gst_event_ref (event));
  gst_event_unref (event);
  return TRUE;
}

static GstStateChangeReturn
gst_convoke_src_change_state (GstElement *element, GstStateChange transition)
{
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (gst_convoke_src_parent_class)
                                 ->change_state (element, transition);

  /* Live: media comes when the room sends it, not to preroll. */
  if (ret != GST_STATE_CHANGE_FAILURE
      && (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          || transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED))
    ret = GST_STATE_CHANGE_NO_PREROLL;
  return ret;
}

/* ---- GObject ----------------------------------------------------------- */

static void
gst_convoke_src_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  GstConvokeSrc *self = GST_CONVOKE_SRC (object);

  switch (prop_id)
    {
    case PROP_OUTPUT:
      GST_OBJECT_LOCK (self);
      self->output = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_convoke_src_get_property (GObject *object, guint prop_id, GValue *value,
                              GParamSpec *pspec)
{
  GstConvokeSrc *self = GST_CONVOKE_SRC (object);

  switch (prop_id)
    {
    case PROP_OUTPUT:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->output);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_convoke_src_finalize (GObject *object)
{
  GstConvokeSrc *self = GST_CONVOKE_SRC (object);

  g_ptr_array_unref (self->outputs);
  g_mutex_clear (&self->outputs_lock);
  G_OBJECT_CLASS (gst_convoke_src_parent_class)->finalize (object);
}

static void
gst_convoke_src_init (GstConvokeSrc *self)
{
  self->output = DEFAULT_OUTPUT;
  g_mutex_init (&self->outputs_lock);
  self->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) src_output_free);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_convoke_src_class_init (GstConvokeSrcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstConvokeBinClass *bin_class = GST_CONVOKE_BIN_CLASS (klass);

  object_class->set_property = gst_convoke_src_set_property;
  object_class->get_property = gst_convoke_src_get_property;
  object_class->finalize = gst_convoke_src_finalize;
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_convoke_src_send_event);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_convoke_src_change_state);
  bin_class->session_created = gst_convoke_src_session_created;
  bin_class->session_finished = gst_convoke_src_session_finished;

  /**
   * GstConvokeSrc:output:
   *
   * What the pads carry: `rtp`, the track's RTP packets as they arrive
   * (after the jitter buffer), for recording or forwarding them as they
   * are; or `encoded`, the frames a depayloader makes of them (e.g.
   * `video/x-vp8`, `audio/x-opus`), ready for a decoder or a muxer. A
   * track in a codec without a depayloader is exposed as RTP either way.
   * Applies to tracks that arrive after it is set.
   */
  properties[PROP_OUTPUT] = g_param_spec_enum (
      "output", "Output", "What the pads carry: RTP packets or depayloaded encoded media",
      GST_TYPE_CONVOKE_SRC_OUTPUT, DEFAULT_OUTPUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "Convoke room source", "Source/Network/WebRTC",
      "Joins a Convoke video room and exposes every remote participant's audio and "
      "video tracks",
      "The Convoke authors");

  retired_quark = g_quark_from_static_string ("convokesrc-retired-probe");
  gst_type_mark_as_plugin_api (GST_TYPE_CONVOKE_SRC_OUTPUT, 0);
  GST_DEBUG_CATEGORY_INIT (gst_convoke_src_debug, "convokesrc", 0, "Convoke room source");
}
