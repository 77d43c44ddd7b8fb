/* Bandwidth estimation in the routing table: each subscriber's REMB and
 * receiver reports feed its estimator (router-estimator.h), which picks
 * the simulcast layer of each of its video slots; the switch itself is
 * the switcher's, at the new layer's key frame.
 *
 * Only simulcast video is ever degraded: audio, and video with a single
 * layer, are forwarded whatever the estimate, and their rates are taken
 * off it before the layers are shared out.
 *
 * The same lock contract as router-table.c: the public functions take the
 * table's lock, the others expect it held. Everything here runs on RTCP
 * and at ticks, never per RTP packet (the packet path only adds to rate
 * meters).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-table-private.h"

#include "router-rtcp.h"

GST_DEBUG_CATEGORY_EXTERN (gst_convoke_router_debug);
#define GST_CAT_DEFAULT gst_convoke_router_debug

void
router_table_set_bandwidth_estimation (RouterTable *table, gboolean enabled)
{
  g_mutex_lock (&table->lock);
  table->bandwidth_estimation = enabled;
  g_mutex_unlock (&table->lock);
}

/* The video slot of @subscriber whose RTX stream is @ssrc, or NULL. */
static RouterSlot *
rtx_slot (RouterParticipant *subscriber, guint32 ssrc)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, subscriber->slots);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterSlot *slot = value;

      if (slot->rtx_pt >= 0 && slot->rtx_ssrc == ssrc)
        return slot;
    }
  return NULL;
}

void
router_estimate_report_blocks (RouterParticipant *from, GstRTCPPacket *packet,
                               gint64 now_us, RouterEstimateInput *input)
{
  guint count = gst_rtcp_packet_get_rb_count (packet);

  for (guint i = 0; i < count; i++)
    {
      guint32 ssrc, exthighestseq, jitter, lsr, dlsr;
      guint8 fractionlost;
      gint32 packetslost;
      RouterSlot *slot;
      double loss, weight;

      gst_rtcp_packet_get_rb (packet, i, &ssrc, &fractionlost, &packetslost,
                              &exthighestseq, &jitter, &lsr, &dlsr);
      slot = g_hash_table_lookup (from->slots, GUINT_TO_POINTER (ssrc));
      if (slot == NULL)
        {
          /* A slot's RTX stream, which carries probe padding: padding is
           * sent right after a media packet, so a full queue drops the
           * padding and the media's own loss never shows the probe's. */
          RouterSlot *padded = rtx_slot (from, ssrc);

          /* Only a report that got as far as this probe's padding: one
           * from before covers the last probe's, on a link that may have
           * changed since (a cap lifted in between failed the next probe
           * at once). */
          if (padded != NULL && padded->probe_rtx_valid
              && (gint16) ((guint16) exthighestseq - padded->probe_rtx_start) >= 0)
            {
              input->rtx_loss_max = MAX (input->rtx_loss_max, fractionlost / 256.0);
              input->n_rtx_loss++;
            }
          continue;
        }
      if (slot->stream == NULL)
        continue;
      /* What the publisher's link lost is in the report too; only the
       * rest is the subscriber's (as for network quality). */
      loss = MAX (fractionlost / 256.0 - slot->stream->uplink_loss, 0.0);
      /* A lost packet of a busy stream says more than one of a quiet one. */
      weight = (double) router_rate_meter_get (&slot->forwarded, now_us);
      input->loss_sum += loss * weight;
      input->weight += weight;
      input->loss_max = MAX (input->loss_max, loss);
      input->n_loss++;
    }
}

gboolean
router_estimate_feedback (RouterParticipant *from, GstRTCPPacket *packet,
                          RouterEstimateInput *input)
{
  guint64 bitrate;

  if (!router_rtcp_parse_remb (packet, &bitrate))
    return FALSE;
  from->counters.rembs_received++;
  input->remb_bps = bitrate;
  return TRUE;
}

/* The bitrate of layer @layer of @slot's track, 0 when it sends nothing. */
static guint64
layer_rate (RouterSlot *slot, guint layer, gint64 now_us)
{
  RouterParticipant *publisher = slot->stream->publisher;
  gint track = router_participant_layer_track (publisher, slot->stream->track, layer,
                                               FALSE);

  if (track < 0 || publisher->streams[track] == NULL)
    return 0;
  return router_rate_meter_get (&publisher->streams[track]->rate, now_us);
}

/* The estimate at which one more slot could go up a layer: what is
 * fixed, every slot's current layer, and the cheapest next one with the
 * up margin. 0 when none can. */
static guint64
probe_want (guint64 fixed, const RouterLayerDemand *demands, guint n)
{
  guint64 held = fixed, cheapest = G_MAXUINT64;

  for (guint i = 0; i < n; i++)
    {
      const RouterLayerDemand *d = &demands[i];
      guint current = MIN (d->choice->layer, d->ceiling);

      held += d->layer_bps[current];
      for (guint next = current + 1; next <= d->ceiling && next < ROUTER_SIMULCAST_MAX_LAYERS;
           next++)
        if (d->layer_bps[next] > 0)
          {
            guint64 step = (guint64) (d->layer_bps[next] * ROUTER_ESTIMATOR_UP_MARGIN)
                           - MIN (d->layer_bps[current],
                                  (guint64) (d->layer_bps[next] * ROUTER_ESTIMATOR_UP_MARGIN));

            cheapest = MIN (cheapest, step);
            break;
          }
    }
  return cheapest == G_MAXUINT64 ? 0 : held + cheapest;
}

void
router_estimate_update (RouterTable *table, RouterParticipant *subscriber,
                        const RouterEstimateInput *input, gint64 now_us, GArray *pushes)
{
  g_autoptr (GArray) demands = g_array_new (FALSE, TRUE, sizeof (RouterLayerDemand));
  g_autoptr (GPtrArray) slots = g_ptr_array_new ();
  guint64 forwarded = 0, fixed = 0, estimate, budget, probe_before;
  gboolean can_pad = FALSE;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, subscriber->slots);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterSlot *slot = value;
      guint64 rate = router_rate_meter_get (&slot->forwarded, now_us);
      RouterLayerDemand demand = { &slot->choice, slot->target_layer, { 0 }, 0 };

      forwarded += rate;
      if (slot->media != MEDIA_VIDEO || !slot->simulcast || slot->stream == NULL)
        {
          fixed += rate;
          continue;
        }
      for (guint layer = 0; layer < ROUTER_SIMULCAST_MAX_LAYERS; layer++)
        demand.layer_bps[layer] = layer_rate (slot, layer, now_us);
      g_array_append_val (demands, demand);
      g_ptr_array_add (slots, slot);
      can_pad = can_pad || (slot->rtx_pt >= 0 && slot->started);
    }
  subscriber->estimator.can_pad = can_pad;
  subscriber->estimate_forwarded_bps = forwarded;
  subscriber->estimator.probe_want_bps
      = probe_want (fixed, (RouterLayerDemand *) (void *) demands->data, demands->len);

  probe_before = subscriber->estimator.probe_target_bps;
  if (table->bandwidth_estimation && input != NULL)
    {
      if (input->remb_bps > 0)
        router_estimator_remb (&subscriber->estimator, input->remb_bps, forwarded, now_us);
      if (input->n_rtx_loss > 0)
        router_estimator_padding_loss (&subscriber->estimator, input->rtx_loss_max, now_us);
      if (input->n_loss > 0)
        router_estimator_loss (&subscriber->estimator,
                               input->weight > 0 ? input->loss_sum / input->weight
                                                 : input->loss_max,
                               forwarded, now_us);
      router_estimator_tick (&subscriber->estimator, now_us);
    }
  else if (table->bandwidth_estimation)
    router_estimator_tick (&subscriber->estimator, now_us);
  estimate = table->bandwidth_estimation
                 ? router_estimator_get (&subscriber->estimator, now_us)
                 : ROUTER_ESTIMATOR_UNLIMITED;
  /* A new probe: its padding's reports are the ones after its first
   * padding packet (router_estimate_pad marks it). */
  if (probe_before == 0 && subscriber->estimator.probe_target_bps != 0)
    for (guint i = 0; i < slots->len; i++)
      ((RouterSlot *) g_ptr_array_index (slots, i))->probe_rtx_valid = FALSE;
  if (probe_before != subscriber->estimator.probe_target_bps)
    GST_DEBUG_OBJECT (table->element,
                      "%s: padding probe %s %" G_GUINT64_FORMAT " bit/s (estimate %"
                      G_GUINT64_FORMAT ", forwarded %" G_GUINT64_FORMAT
                      ", padding sent so far %" G_GUINT64_FORMAT " bytes)",
                      subscriber->id, probe_before == 0 ? "to" : "ended, of",
                      probe_before == 0 ? subscriber->estimator.probe_target_bps
                                        : probe_before,
                      estimate == ROUTER_ESTIMATOR_UNLIMITED ? 0 : estimate, forwarded,
                      subscriber->counters.padding_sent);
  if (input != NULL)
    GST_LOG_OBJECT (table->element,
                    "%s: REMB %" G_GUINT64_FORMAT ", loss %.3f (%u blocks), forwarded %"
                    G_GUINT64_FORMAT " (fixed %" G_GUINT64_FORMAT "): estimate %"
                    G_GUINT64_FORMAT,
                    subscriber->id, input->remb_bps,
                    input->weight > 0 ? input->loss_sum / input->weight : input->loss_max,
                    input->n_loss, forwarded, fixed,
                    estimate == ROUTER_ESTIMATOR_UNLIMITED ? 0 : estimate);
  budget = estimate == ROUTER_ESTIMATOR_UNLIMITED ? estimate
                                                  : estimate - MIN (estimate, fixed);
  if (slots->len == 0
      || router_estimator_allocate (budget, (RouterLayerDemand *) (void *) demands->data,
                                    demands->len, now_us)
             == 0)
    return;
  for (guint i = 0; i < slots->len; i++)
    {
      RouterSlot *slot = g_ptr_array_index (slots, i);

      if (router_slot_target_layer (slot) == slot->sc.target)
        continue;
      GST_DEBUG_OBJECT (table->element,
                        "%s: slot %08x to layer %u (estimate %" G_GUINT64_FORMAT
                        " bit/s, forwarded %" G_GUINT64_FORMAT ")",
                        subscriber->id, slot->ssrc, router_slot_target_layer (slot),
                        estimate, forwarded);
      router_slot_apply_layer (table, slot, now_us, pushes);
    }
}

/* At most this much padding is owed at once, and this many copies go
 * after one packet: a probe must not arrive as a burst that a short
 * queue drops whatever the link's rate. */
#define PAD_MAX_OWED_BYTES 6000.0
#define PAD_MAX_PACKETS 6
/* Owed padding older than this is forgotten (the slot paused). */
#define PAD_GAP_US (G_USEC_PER_SEC / 5)

void
router_estimate_pad (RouterTable *table, RouterSlot *slot, gint64 now_us, GArray *pushes)
{
  RouterParticipant *subscriber = slot->subscriber;
  guint64 padding_bps = router_estimator_padding_bps (
      &subscriber->estimator, subscriber->estimate_forwarded_bps, now_us);
  RouterStream *source;
  guint16 out_seq;

  /* Past the padding time (the probe still waits for its reports, which
   * count from the first padding packet on: router_estimate_update
   * forgets that mark only when the next probe starts). */
  if (padding_bps == 0 || !table->bandwidth_estimation)
    {
      subscriber->pad_us = 0;
      return;
    }
  /* Padding rides on the simulcast video slot's packets only (the owed
   * bytes wait for the next one). */
  if (slot->media != MEDIA_VIDEO || !slot->simulcast || slot->rtx_pt < 0 || !slot->started)
    return;
  if (!slot->probe_rtx_valid)
    {
      slot->probe_rtx_start = slot->rtx_seq;
      slot->probe_rtx_valid = TRUE;
    }
  if (subscriber->pad_us == 0 || now_us - subscriber->pad_us > PAD_GAP_US)
    subscriber->pad_owed = 0.0;
  else
    subscriber->pad_owed
        = MIN (subscriber->pad_owed
                   + (double) padding_bps * (now_us - subscriber->pad_us) / 8.0 / G_USEC_PER_SEC,
               PAD_MAX_OWED_BYTES);
  subscriber->pad_us = now_us;

  /* Copies of what this slot sent last, newest first: the subscriber has
   * them (or is about to), so they only add bytes. */
  source = router_slot_source_stream (slot);
  out_seq = slot->last_seq;
  for (guint n = 0; n < PAD_MAX_PACKETS && subscriber->pad_owed > 0; n++, out_seq--)
    {
      guint16 in_seq = out_seq - slot->seq_delta;
      GstBuffer *cached, *copy;

      if ((gint16) (in_seq - slot->first_in_seq) < 0)
        break;
      cached = router_retransmit_cache_lookup (&source->cache, in_seq);
      if (cached == NULL || (copy = router_slot_resend (slot, cached)) == NULL)
        break;
      subscriber->pad_owed -= gst_buffer_get_size (copy);
      subscriber->counters.padding_sent += gst_buffer_get_size (copy);
      router_pushes_add (pushes, subscriber, subscriber->pads[CONVOKE_ROUTER_PAD_SEND_RTP],
                         copy);
    }
}

void
router_estimate_stats (RouterParticipant *participant, GstStructure *stats,
                       gint64 now_us)
{
  guint64 estimate = router_estimator_get (&participant->estimator, now_us);
  guint limited = 0;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, participant->slots);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterSlot *slot = value;

      if (slot->simulcast && router_slot_target_layer (slot) < slot->target_layer)
        limited++;
    }
  gst_structure_set (stats, "remb-received", G_TYPE_UINT64,
                     participant->counters.rembs_received, "padding-sent", G_TYPE_UINT64,
                     participant->counters.padding_sent, "bandwidth-estimate",
                     G_TYPE_UINT64, estimate == ROUTER_ESTIMATOR_UNLIMITED ? 0 : estimate,
                     "layers-limited", G_TYPE_UINT, limited, NULL);
}
