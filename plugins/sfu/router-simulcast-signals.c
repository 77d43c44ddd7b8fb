/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-simulcast-signals.h"

#include "router-pads.h"

static gboolean
router_set_track_layer (GstElement *router, const char *publisher, guint ssrc,
                        guint rtx_ssrc, const char *track, guint layer)
{
  return router_table_set_track_layer (gst_convoke_router_get_table (router), publisher,
                                       ssrc, rtx_ssrc, track, layer);
}

static gboolean
router_set_track_rids (GstElement *router, const char *publisher, const char *track,
                       const char *mid, GStrv rids)
{
  return router_table_set_track_rids (gst_convoke_router_get_table (router), publisher,
                                      track, mid, (const char *const *) rids);
}

static gboolean
router_set_slot_layer (GstElement *router, const char *subscriber, guint ssrc,
                       guint layer)
{
  g_autoptr (GArray) pushes = router_pushes_new ();
  gboolean ok = router_table_set_slot_layer (gst_convoke_router_get_table (router),
                                             subscriber, ssrc, layer, pushes);

  router_pads_push (router, pushes);
  return ok;
}

void
router_simulcast_signals_install (GType type)
{
  /**
   * GstConvokeRouter::set-track-layer:
   * @router: the router
   * @publisher: the identifier of the publishing participant
   * @ssrc: an SSRC it sends (from its a=ssrc-group:SIM)
   * @rtx_ssrc: the SSRC of that stream's RFC 4588 retransmissions, or 0
   * @track: the track the stream is a layer of, as for
   *   #GstConvokeRouter::set-track-ssrc (NULL: its first video)
   * @layer: which layer, 0 the lowest resolution
   *
   * Simulcast by SSRC: the publisher sends @track as several streams, and
   * each slot carrying the track forwards one of them
   * (#GstConvokeRouter::set-slot-layer). Slots get the layers through
   * layer 0's stream, which must be sent. Returns FALSE for invalid
   * arguments.
   *
   * Since: 0.2
   */
  g_signal_new_class_handler (
      "set-track-layer", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_set_track_layer), NULL, NULL, NULL, G_TYPE_BOOLEAN, 5,
      G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_UINT);
  /**
   * GstConvokeRouter::set-track-rids:
   * @router: the router
   * @publisher: the identifier of the publishing participant
   * @track: the track, as for #GstConvokeRouter::set-track-ssrc (NULL: its
   *   first video)
   * @mid: the m-line it is sent on (its MID header extension's value)
   * @rids: the RIDs of its layers, lowest resolution first; NULL or empty
   *   to forget @mid's
   *
   * Simulcast by RID (RFC 8853): each layer's SSRC is learned from the
   * first packet that carries its RID (and MID) header extension, and
   * that of its retransmissions from the repaired RID. The extensions'
   * ids come with #GstConvokeRouter::set-payloads (`extmap-N` fields with
   * their URIs, on the media and the rtx payload types). Returns FALSE
   * for invalid arguments.
   *
   * Since: 0.2
   */
  g_signal_new_class_handler ("set-track-rids", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (router_set_track_rids), NULL, NULL, NULL,
                              G_TYPE_BOOLEAN, 4, G_TYPE_STRING, G_TYPE_STRING,
                              G_TYPE_STRING, G_TYPE_STRV);
  /**
   * GstConvokeRouter::set-slot-layer:
   * @router: the router
   * @subscriber: the identifier of the participant receiving the slot
   * @ssrc: the slot's SSRC
   * @layer: the layer it should carry when its track is simulcast, 0 the
   *   lowest; the highest there is by default (or when @layer is larger)
   *
   * The slot switches at the next key frame of that layer, which is
   * requested; until then it carries the layer it had. While the layer
   * sends nothing for a second, the slot carries the nearest one below
   * (above, when there is none below). Sequence numbers, timestamps and
   * VP8 picture ids continue across switches. Returns FALSE when there is
   * no such slot.
   *
   * Since: 0.2
   */
  g_signal_new_class_handler ("set-slot-layer", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (router_set_slot_layer), NULL, NULL, NULL,
                              G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);
}

void
router_simulcast_property_install (GObjectClass *object_class, guint prop_id,
                                   gboolean default_value)
{
  /**
   * GstConvokeRouter:bandwidth-estimation:
   *
   * Estimate each subscriber's downlink from its REMB feedback (Chromium
   * sends it when goog-remb is negotiated) and the fraction lost in its
   * receiver reports, and give each of its slots that carry simulcast
   * video the highest layer that fits: down at the next key frame as soon
   * as the estimate falls below the layer's measured bitrate, up once a
   * higher layer has fitted for two seconds (the estimate rising past what
   * is forwarded only after a padding probe, RTX copies of packets just
   * sent, showed the link takes it, when the subscriber takes RTX), never
   * above the layer the
   * slot asked for (#GstConvokeRouter::set-slot-layer). Audio and video
   * with one layer are always forwarded. The estimate, REMB count and
   * how many slots it holds down are in #GstConvokeRouter:stats
   * (`bandwidth-estimate`, `remb-received`, `padding-sent`, `layers-limited`). Off: each
   * slot gets the layer it asked for. Applies from the next RTCP or
   * #GstConvokeRouter:report-interval tick.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      object_class, prop_id,
      g_param_spec_boolean ("bandwidth-estimation", "Bandwidth estimation",
                            "Choose each subscriber's simulcast layers from its REMB "
                            "and receiver reports",
                            default_value,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}
