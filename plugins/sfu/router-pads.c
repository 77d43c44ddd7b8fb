/* The request pads of convokerouter (see router-pads.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-pads.h"

#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_convoke_router_debug);
#define GST_CAT_DEFAULT gst_convoke_router_debug

static GstStaticPadTemplate recv_rtp_sink_template
    = GST_STATIC_PAD_TEMPLATE (CONVOKE_ROUTER_RECV_RTP_PREFIX "%s", GST_PAD_SINK,
                               GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate recv_rtcp_sink_template
    = GST_STATIC_PAD_TEMPLATE (CONVOKE_ROUTER_RECV_RTCP_PREFIX "%s", GST_PAD_SINK,
                               GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtcp"));
static GstStaticPadTemplate send_rtp_src_template
    = GST_STATIC_PAD_TEMPLATE (CONVOKE_ROUTER_SEND_RTP_PREFIX "%s", GST_PAD_SRC,
                               GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate send_rtcp_src_template
    = GST_STATIC_PAD_TEMPLATE (CONVOKE_ROUTER_SEND_RTCP_PREFIX "%s", GST_PAD_SRC,
                               GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtcp"));

/* Pad kind, stored in the pad's qdata so chain functions need no lookup. */
static GQuark pad_kind_quark;
/* A sink pad's RouterPadScratch. */
static GQuark pad_scratch_quark;

void
router_pads_class_init (GstElementClass *klass)
{
  gst_element_class_add_static_pad_template (klass, &recv_rtp_sink_template);
  gst_element_class_add_static_pad_template (klass, &recv_rtcp_sink_template);
  gst_element_class_add_static_pad_template (klass, &send_rtp_src_template);
  gst_element_class_add_static_pad_template (klass, &send_rtcp_src_template);
  pad_kind_quark = g_quark_from_static_string ("convoke-router-pad-kind");
  pad_scratch_quark = g_quark_from_static_string ("convoke-router-pad-scratch");
}

static void
scratch_free (gpointer data)
{
  RouterPadScratch *scratch = data;

  g_array_unref (scratch->pushes);
  g_array_unref (scratch->events);
  g_free (scratch);
}

RouterPadScratch *
router_pad_get_scratch (GstPad *pad)
{
  return g_object_get_qdata (G_OBJECT (pad), pad_scratch_quark);
}

ConvokeRouterPad
router_pad_get_kind (GstPad *pad)
{
  return GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (pad), pad_kind_quark)) - 1;
}

RouterParticipant *
router_pad_get_participant (GstPad *pad)
{
  return gst_pad_get_element_private (pad);
}

/* The events every stream starts with, pushed before the first buffer and
 * again after the pad was reactivated (which drops sticky events). */
static void
push_initial_events (GstElement *element, GstPad *pad)
{
  /* Not gst_pad_create_stream_id(): that is for elements with at most one
   * sink pad. Each output is a stream of its own. */
  g_autofree char *stream_id = g_strdup_printf ("%s/%s/%08x", GST_OBJECT_NAME (element),
                                                GST_OBJECT_NAME (pad), g_random_int ());
  gboolean rtcp = router_pad_get_kind (pad) == CONVOKE_ROUTER_PAD_SEND_RTCP;
  GstSegment segment;

  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  gst_pad_push_event (pad, gst_event_new_caps (gst_caps_new_empty_simple (
                               rtcp ? "application/x-rtcp" : "application/x-rtp")));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
}

/* Several publishers' threads push into one subscriber's pad: the pad's
 * stream lock keeps each push, and the initial events, in one piece. A
 * subscriber's flow return never reaches the publisher. */
void
router_pads_push (GstElement *element, GArray *pushes)
{
  for (guint i = 0; i < pushes->len; i++)
    {
      RouterPush *push = &g_array_index (pushes, RouterPush, i);
      GstBuffer *buffer = g_steal_pointer (&push->buffer);
      GstFlowReturn ret;

      GST_PAD_STREAM_LOCK (push->pad);
      if (!gst_pad_has_current_caps (push->pad))
        push_initial_events (element, push->pad);
      ret = gst_pad_push (push->pad, buffer);
      GST_PAD_STREAM_UNLOCK (push->pad);
      if (ret != GST_FLOW_OK)
        GST_LOG_OBJECT (push->pad, "push: %s", gst_flow_get_name (ret));
    }
  g_array_set_size (pushes, 0);
}

/* Events end at the router. An input's caps, segments and EOS describe a
 * participant's transport, not anything the outputs carry; upstream
 * events have nowhere to go, since key frame requests travel as RTCP. */
static gboolean
router_pad_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

static gboolean
router_pad_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  switch (GST_QUERY_TYPE (query))
    {
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      return FALSE;
    }
}

static gboolean
router_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY)
    {
      /* Forwarding adds no latency; the inputs are network sources. */
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    }
  return router_pad_query (pad, parent, query);
}

GstPad *
router_pads_request (GstElement *element, RouterTable *table, GstPadTemplate *templ,
                     const char *name, GstPadChainFunction chain)
{
  RouterParticipant *participant;
  ConvokeRouterPad kind;
  const char *id;
  GstPad *pad, *existing;

  for (kind = 0; kind < CONVOKE_ROUTER_N_PADS; kind++)
    if (g_str_has_prefix (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ),
                          convoke_router_pad_prefix (kind)))
      break;
  if (kind == CONVOKE_ROUTER_N_PADS || name == NULL
      || !g_str_has_prefix (name, convoke_router_pad_prefix (kind))
      || name[strlen (convoke_router_pad_prefix (kind))] == '\0')
    {
      GST_WARNING_OBJECT (element, "pad name %s does not name a participant",
                          name ? name : "(none)");
      return NULL;
    }
  id = name + strlen (convoke_router_pad_prefix (kind));
  existing = gst_element_get_static_pad (element, name);
  if (existing != NULL)
    {
      gst_object_unref (existing);
      GST_WARNING_OBJECT (element, "pad %s exists already", name);
      return NULL;
    }

  pad = gst_pad_new_from_template (templ, name);
  g_object_set_qdata (G_OBJECT (pad), pad_kind_quark, GUINT_TO_POINTER (kind + 1));
  participant = router_table_ensure_participant (table, id);
  /* The pad owns this reference; router_pads_release drops it. */
  gst_pad_set_element_private (pad, participant);
  gst_pad_set_event_function (pad, router_pad_event);
  if (GST_PAD_IS_SINK (pad))
    {
      RouterPadScratch *scratch = g_new0 (RouterPadScratch, 1);

      scratch->pushes = router_pushes_new ();
      scratch->events = router_stream_events_new ();
      g_object_set_qdata_full (G_OBJECT (pad), pad_scratch_quark, scratch, scratch_free);
      gst_pad_set_chain_function (pad, chain);
      gst_pad_set_query_function (pad, router_pad_query);
    }
  else
    gst_pad_set_query_function (pad, router_src_query);
  router_table_attach_pad (table, participant, kind, pad);
  gst_element_add_pad (element, pad);
  return pad;
}

void
router_pads_release (GstElement *element, RouterTable *table, GstPad *pad)
{
  RouterParticipant *participant = router_pad_get_participant (pad);

  /* Detached first, so no thread picks the pad for a new packet; the
   * deactivation then waits for pushes already under way. */
  if (participant != NULL)
    router_table_detach_pad (table, participant, router_pad_get_kind (pad), pad);
  gst_pad_set_active (pad, FALSE);
  gst_pad_set_element_private (pad, NULL);
  gst_element_remove_pad (element, pad);
  if (participant != NULL)
    router_participant_unref (participant);
}

/* When @buffer arrived: its CONVOKE_ROUTER_ARRIVAL_CAPS meta, or now. */
gint64
router_pad_arrival_time (GstBuffer *buffer)
{
  static GstStaticCaps arrival = GST_STATIC_CAPS (CONVOKE_ROUTER_ARRIVAL_CAPS);
  g_autoptr (GstCaps) caps = gst_static_caps_get (&arrival);
  GstReferenceTimestampMeta *meta = gst_buffer_get_reference_timestamp_meta (buffer, caps);

  if (meta == NULL || !GST_CLOCK_TIME_IS_VALID (meta->timestamp))
    return g_get_monotonic_time ();
  return (gint64) (meta->timestamp / GST_USECOND);
}
