/* The RTCP side of the routing table: sender reports, BYE and feedback
 * from participants, the periodic reports to publishers, statistics.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-table-private.h"

#include "router-rtcp.h"

GST_DEBUG_CATEGORY_EXTERN (gst_convoke_router_debug);
#define GST_CAT_DEFAULT gst_convoke_router_debug

static void
handle_sender_report (RouterParticipant *from, GstRTCPPacket *packet, gint64 now_us,
                      GArray *pushes)
{
  guint32 ssrc, rtp_time, packet_count, octet_count;
  guint64 ntp_time;
  RouterStream *stream, *base;

  gst_rtcp_packet_sr_get_sender_info (packet, &ssrc, &ntp_time, &rtp_time, &packet_count,
                                      &octet_count);
  stream = router_participant_find_stream (from, ssrc);
  if (stream == NULL)
    return;
  router_receive_stats_sender_report (&stream->stats, ntp_time, now_us);

  /* The publisher's NTP↔RTP mapping, moved onto each slot's timeline, is
   * what lets subscribers synchronise its audio and video. A simulcast
   * layer's slots are its layer 0's; those it is forwarded to now take it. */
  base = router_stream_base (stream);
  for (guint i = 0; base != NULL && i < base->slots->len; i++)
    {
      RouterSlot *slot = g_ptr_array_index (base->slots, i);
      RouterParticipant *subscriber = slot->subscriber;

      if (!slot->started || slot->in_ssrc != stream->ssrc || !subscriber->sending
          || subscriber->pads[CONVOKE_ROUTER_PAD_SEND_RTCP] == NULL)
        continue;
      slot->sr_ntp_middle = (guint32) (ntp_time >> 16);
      slot->sr_sent_us = now_us;
      router_pushes_add (
          pushes, subscriber, subscriber->pads[CONVOKE_ROUTER_PAD_SEND_RTCP],
          router_rtcp_build_sender_report (slot->ssrc, from->id, ntp_time,
                                           rtp_time + slot->ts_delta, slot->packet_count,
                                           slot->octet_count));
    }
}

static void
handle_bye (RouterParticipant *from, GstRTCPPacket *packet, gint64 now_us, GArray *events)
{
  guint count = gst_rtcp_packet_bye_get_ssrc_count (packet);

  for (guint i = 0; i < count; i++)
    {
      guint32 ssrc = gst_rtcp_packet_bye_get_nth_ssrc (packet, i);

      for (guint track = 0; track < ROUTER_MAX_TRACKS; track++)
        if (from->streams[track] != NULL && from->streams[track]->ssrc == ssrc)
          router_participant_end_stream (from, track, now_us, events);
    }
}

static void
request_keyframe_for_slot (RouterTable *table, RouterParticipant *from, guint32 slot_ssrc,
                           gint64 now_us, GArray *pushes)
{
  RouterSlot *slot = g_hash_table_lookup (from->slots, GUINT_TO_POINTER (slot_ssrc));

  if (slot == NULL || slot->stream == NULL)
    return;
  from->counters.keyframe_requests_received++;
  /* Of the simulcast layer it gets. */
  router_stream_request_keyframe (table, router_slot_source_stream (slot), now_us,
                                  pushes);
}

static void
handle_payload_feedback (RouterTable *table, RouterParticipant *from,
                         GstRTCPPacket *packet, gint64 now_us, GArray *pushes,
                         RouterEstimateInput *estimate)
{
  if (router_estimate_feedback (from, packet, estimate))
    return;
  switch (gst_rtcp_packet_fb_get_type (packet))
    {
    case GST_RTCP_PSFB_TYPE_PLI:
      request_keyframe_for_slot (table, from, gst_rtcp_packet_fb_get_media_ssrc (packet),
                                 now_us, pushes);
      break;
    case GST_RTCP_PSFB_TYPE_FIR:
      {
        /* FCI entries: SSRC, sequence number, 3 reserved bytes. */
        guint8 *fci = gst_rtcp_packet_fb_get_fci (packet);
        guint words = gst_rtcp_packet_fb_get_fci_length (packet);

        for (guint i = 0; fci != NULL && i + 1 < words; i += 2)
          request_keyframe_for_slot (table, from, router_read_be32 (fci + 4 * i), now_us,
                                     pushes);
        break;
      }
    default:
      break;
    }
}

typedef struct
{
  RouterSlot *slot;
  GArray *pushes;
  guint budget;
  gint64 now_us;
} RetransmitContext;

/* Whether @out_seq went to @slot's subscriber less than a round trip ago
 * (RESENT_LOG_SIZE); if not, notes that it goes now. */
static gboolean
resent_within_rtt (RouterSlot *slot, guint16 out_seq, gint64 now_us)
{
  guint index = out_seq % RESENT_LOG_SIZE;
  gint64 wait_us = slot->rtt_us > 0 ? MAX (slot->rtt_us, RESENT_FLOOR_US) : RESENT_MIN_US;

  if (slot->resent_seqs == NULL)
    {
      slot->resent_seqs = g_new0 (guint16, RESENT_LOG_SIZE);
      slot->resent_us = g_new0 (gint64, RESENT_LOG_SIZE);
    }
  if (slot->resent_us[index] != 0 && slot->resent_seqs[index] == out_seq
      && now_us - slot->resent_us[index] < wait_us)
    return TRUE;
  slot->resent_seqs[index] = out_seq;
  slot->resent_us[index] = now_us;
  return FALSE;
}

static void
retransmit_one (guint16 out_seq, gpointer user_data)
{
  RetransmitContext *context = user_data;
  RouterSlot *slot = context->slot;
  RouterParticipant *subscriber = slot->subscriber;
  guint16 in_seq = out_seq - slot->seq_delta;
  GstBuffer *cached, *again;

  subscriber->counters.nacks_received++;
  if (context->budget == 0)
    return;
  context->budget--;
  /* Only what this subscriber was sent: not packets from before it
   * started, nor ones it has not seen yet. */
  if ((gint16) (in_seq - slot->first_in_seq) < 0
      || (gint16) (out_seq - slot->last_seq) > 0)
    return;
  /* A slot the estimate is moving down a layer: its link is congested,
   * the packets asked for are of a layer it is leaving, and resending
   * them would only spend the budget that the new layer's key frame, lost
   * in the same queue, will need (browser-group-capped-subscriber). */
  if (slot->simulcast && slot->sc.current >= 0
      && router_slot_target_layer (slot) < (guint) slot->sc.current)
    {
      subscriber->counters.retransmissions_refused++;
      return;
    }
  cached
      = router_retransmit_cache_lookup (&router_slot_source_stream (slot)->cache, in_seq);
  if (cached == NULL)
    return;
  if (gst_buffer_get_size (cached) > subscriber->retransmit_budget)
    {
      subscriber->counters.retransmissions_refused++;
      return;
    }
  if (resent_within_rtt (slot, out_seq, context->now_us))
    {
      subscriber->counters.retransmissions_repeated++;
      return;
    }
  again = router_slot_resend (slot, cached);
  if (again == NULL)
    return;
  subscriber->retransmit_budget -= gst_buffer_get_size (cached);
  subscriber->counters.retransmitted++;
  router_pushes_add (context->pushes, subscriber, subscriber->pads[CONVOKE_ROUTER_PAD_SEND_RTP],
                     again);
}

static void
handle_transport_feedback (RouterParticipant *from, GstRTCPPacket *packet, gint64 now_us,
                           GArray *pushes)
{
  RetransmitContext context = { NULL, pushes, MAX_RETRANSMISSIONS_PER_NACK, now_us };
  RouterSlot *slot;

  if (gst_rtcp_packet_fb_get_type (packet) != GST_RTCP_RTPFB_TYPE_NACK)
    return;
  slot = g_hash_table_lookup (
      from->slots, GUINT_TO_POINTER (gst_rtcp_packet_fb_get_media_ssrc (packet)));
  if (slot == NULL || slot->stream == NULL || !slot->started
      || slot->in_ssrc != router_slot_source_stream (slot)->ssrc || !from->sending
      || from->pads[CONVOKE_ROUTER_PAD_SEND_RTP] == NULL)
    return;
  context.slot = slot;
  router_rtcp_foreach_nack (packet, retransmit_one, &context);
}

void
router_table_handle_rtcp (RouterTable *table, RouterParticipant *from, GstBuffer *buffer,
                          gint64 now_us, GArray *pushes, GArray *events)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  RouterEstimateInput estimate = { 0 };
  gboolean more;

  /* The validator asserts on an empty buffer; 4 bytes is one RTCP header. */
  if (gst_buffer_get_size (buffer) < 4 || !gst_rtcp_buffer_validate_reduced (buffer))
    {
      g_mutex_lock (&table->lock);
      from->counters.dropped++;
      g_mutex_unlock (&table->lock);
      return;
    }

  gst_rtcp_buffer_map (buffer, GST_MAP_READ, &rtcp);
  g_mutex_lock (&table->lock);
  if (from->removed)
    goto out;
  from->counters.rtcp_received++;

  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next (&packet))
    {
      switch (gst_rtcp_packet_get_type (&packet))
        {
        case GST_RTCP_TYPE_SR:
          handle_sender_report (from, &packet, now_us, pushes);
          router_activity_report_blocks (from, &packet, now_us);
          router_estimate_report_blocks (from, &packet, now_us, &estimate);
          break;
        case GST_RTCP_TYPE_RR:
          router_activity_report_blocks (from, &packet, now_us);
          router_estimate_report_blocks (from, &packet, now_us, &estimate);
          break;
        case GST_RTCP_TYPE_BYE:
          handle_bye (from, &packet, now_us, events);
          break;
        case GST_RTCP_TYPE_PSFB:
          handle_payload_feedback (table, from, &packet, now_us, pushes, &estimate);
          break;
        case GST_RTCP_TYPE_RTPFB:
          handle_transport_feedback (from, &packet, now_us, pushes);
          break;
        default:
          /* SDES, APP, XR: nothing we act on. */
          break;
        }
    }
  if (estimate.n_loss > 0 || estimate.remb_bps > 0 || estimate.n_rtx_loss > 0)
    router_estimate_update (table, from, &estimate, now_us, pushes);

out:
  g_mutex_unlock (&table->lock);
  gst_rtcp_buffer_unmap (&rtcp);
}

void
router_table_tick (RouterTable *table, gint64 now_us, GArray *pushes, GArray *events)
{
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&table->lock);
  g_hash_table_iter_init (&iter, table->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterParticipant *participant = value;
      guint32 ssrcs[ROUTER_MAX_TRACKS];
      RouterStream *reported[ROUTER_MAX_TRACKS];
      RouterReportBlock blocks[ROUTER_MAX_TRACKS];
      guint n_blocks = 0;

      for (guint track = 0; track < ROUTER_MAX_TRACKS; track++)
        {
          RouterStream *stream = participant->streams[track];

          if (stream == NULL)
            continue;
          if (stream->keyframe_request_pending)
            router_stream_request_keyframe (table, stream, now_us, pushes);
          if (router_receive_stats_report (&stream->stats, now_us, &blocks[n_blocks]))
            {
              reported[n_blocks] = stream;
              ssrcs[n_blocks++] = stream->ssrc;
            }
        }
      router_activity_quality_tick (table, participant, reported, blocks, n_blocks,
                                    events);
      router_uplink_tick (table, participant, reported, blocks, n_blocks, now_us);
      /* Layers held back wait for their up hold; time passes here too. */
      if (g_hash_table_size (participant->slots) > 0)
        router_estimate_update (table, participant, NULL, now_us, pushes);
      if (n_blocks == 0 || !participant->sending
          || participant->pads[CONVOKE_ROUTER_PAD_SEND_RTCP] == NULL)
        continue;
      router_pushes_add (
          pushes, participant, participant->pads[CONVOKE_ROUTER_PAD_SEND_RTCP],
          router_rtcp_build_receiver_report (participant->local_ssrc, ROUTER_CNAME, ssrcs,
                                             blocks, n_blocks,
                                             router_uplink_remb_bitrate (table, participant)));
    }
  g_mutex_unlock (&table->lock);
}

GstStructure *
router_table_get_stats (RouterTable *table)
{
  GstStructure *stats = gst_structure_new_empty ("application/x-convoke-router-stats");
  gint64 now_us = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&table->lock);
  g_hash_table_iter_init (&iter, table->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RouterParticipant *p = value;
      const RouterCounters *c = &p->counters;
      GstStructure *s = gst_structure_new (
          "participant", "sending", G_TYPE_BOOLEAN, p->sending, "slots", G_TYPE_UINT,
          g_hash_table_size (p->slots), "audio-ssrc", G_TYPE_UINT,
          p->streams[MEDIA_AUDIO] ? p->streams[MEDIA_AUDIO]->ssrc : 0, "video-ssrc",
          G_TYPE_UINT, p->streams[MEDIA_VIDEO] ? p->streams[MEDIA_VIDEO]->ssrc : 0,
          "rtp-received", G_TYPE_UINT64, c->rtp_received, "rtp-sent", G_TYPE_UINT64,
          c->rtp_sent, "rtcp-received", G_TYPE_UINT64, c->rtcp_received, "rtcp-sent",
          G_TYPE_UINT64, c->rtcp_sent, "dropped", G_TYPE_UINT64, c->dropped,
          "keyframe-requests-received", G_TYPE_UINT64, c->keyframe_requests_received,
          "plis-sent", G_TYPE_UINT64, c->plis_sent, "nacks-received", G_TYPE_UINT64,
          c->nacks_received, "retransmitted", G_TYPE_UINT64, c->retransmitted,
          "retransmissions-refused", G_TYPE_UINT64, c->retransmissions_refused,
          "retransmissions-repeated", G_TYPE_UINT64, c->retransmissions_repeated,
          "nacks-sent", G_TYPE_UINT64, c->nacks_sent, "rtx-received", G_TYPE_UINT64,
          c->rtx_received, "packets-recovered", G_TYPE_UINT64,
          c->packets_recovered, NULL);
      router_estimate_stats (p, s, now_us);
      router_uplink_stats (p, s);

      gst_structure_set (stats, p->id, GST_TYPE_STRUCTURE, s, NULL);
      gst_structure_free (s);
    }
  g_mutex_unlock (&table->lock);
  return stats;
}
