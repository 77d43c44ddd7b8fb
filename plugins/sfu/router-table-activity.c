/* What the routing table learns of its participants besides routing:
 * who is the dominant speaker (RFC 6464 audio levels, router-speaker.h)
 * and how good each one's link is (RTCP, router-quality.h). Both are off
 * until the worker turns them on, for rooms where someone asked.
 *
 * Everything here runs with the table's lock held, on the packet path:
 * reading a level is a header lookup and a few multiplications.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-table-private.h"

#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_convoke_router_debug);
#define GST_CAT_DEFAULT gst_convoke_router_debug

void
router_table_set_dominant_speaker (RouterTable *table, gboolean enabled)
{
  g_mutex_lock (&table->lock);
  if (enabled && table->speaker == NULL)
    table->speaker = speaker_detector_new ();
  else if (!enabled)
    g_clear_pointer (&table->speaker, speaker_detector_free);
  g_mutex_unlock (&table->lock);
}

void
router_table_set_network_quality (RouterTable *table, gboolean enabled)
{
  g_mutex_lock (&table->lock);
  table->network_quality = enabled;
  g_mutex_unlock (&table->lock);
}

/* extmap-N fields, as GStreamer writes them in RTP caps: the URI, or an
 * array (direction, URI, attributes). */
guint8
router_payload_extension_id (const GstStructure *payload, const char *wanted)
{
  for (gint i = 0; i < gst_structure_n_fields (payload); i++)
    {
      const char *name = gst_structure_nth_field_name (payload, i);
      const GValue *value = gst_structure_get_value (payload, name);
      const char *uri = NULL;
      guint64 id;

      if (!g_str_has_prefix (name, "extmap-")
          || !g_ascii_string_to_unsigned (name + strlen ("extmap-"), 10, 1, 255, &id,
                                          NULL))
        continue;
      if (G_VALUE_HOLDS_STRING (value))
        uri = g_value_get_string (value);
      else if (GST_VALUE_HOLDS_ARRAY (value) && gst_value_array_get_size (value) >= 2
               && G_VALUE_HOLDS_STRING (gst_value_array_get_value (value, 1)))
        uri = g_value_get_string (gst_value_array_get_value (value, 1));
      if (g_strcmp0 (uri, wanted) == 0)
        return (guint8) id;
    }
  return 0;
}

static void
add_speaker_event (GArray *events, const char *participant)
{
  RouterStreamEvent event = { 0 };

  if (events == NULL)
    return;
  event.kind = ROUTER_EVENT_DOMINANT_SPEAKER;
  event.participant = g_strdup (participant);
  g_array_append_val (events, event);
}

void
router_activity_audio_packet (RouterTable *table, RouterParticipant *from,
                              const RouterPayload *payload, GstRTPBuffer *rtp,
                              gint64 now_us, GArray *events)
{
  gpointer data = NULL;
  guint size = 0;
  guint8 appbits;

  if (table->speaker == NULL || payload->audio_level_id == 0)
    return;
  /* One-byte headers (RFC 8285) carry ids 1–14, two-byte ones any. A
   * level is one byte: V flag and 7 bits of -dBov. Anything else in the
   * element is ignored, and a missing element is no level at all. */
  if (!gst_rtp_buffer_get_extension_onebyte_header (rtp, payload->audio_level_id, 0,
                                                    &data, &size)
      && !gst_rtp_buffer_get_extension_twobytes_header (
          rtp, &appbits, payload->audio_level_id, 0, &data, &size))
    return;
  if (data == NULL || size < 1)
    return;
  if (speaker_detector_add_level (table->speaker, from->id, *(guint8 *) data & 0x7f,
                                  now_us))
    add_speaker_event (events, speaker_detector_get_dominant (table->speaker));
}

void
router_activity_forget (RouterTable *table, RouterParticipant *participant,
                        GArray *events)
{
  if (table->speaker != NULL && speaker_detector_remove (table->speaker, participant->id))
    add_speaker_event (events, NULL);
}

void
router_activity_report_blocks (RouterParticipant *from, GstRTCPPacket *packet,
                               gint64 now_us)
{
  guint count = gst_rtcp_packet_get_rb_count (packet);

  for (guint i = 0; i < count; i++)
    {
      guint32 ssrc, exthighestseq, jitter, lsr, dlsr;
      guint8 fractionlost;
      gint32 packetslost;
      NetworkQualityInput input;
      RouterSlot *slot;
      guint clock_rate;

      gst_rtcp_packet_get_rb (packet, i, &ssrc, &fractionlost, &packetslost,
                              &exthighestseq, &jitter, &lsr, &dlsr);
      slot = g_hash_table_lookup (from->slots, GUINT_TO_POINTER (ssrc));
      if (slot == NULL)
        continue;
      clock_rate = slot->stream != NULL         ? slot->stream->clock_rate
                   : slot->media == MEDIA_AUDIO ? 48000
                                                : 90000;
      input.loss = fractionlost / 256.0;
      input.jitter_ms = clock_rate > 0 ? jitter * 1000.0 / clock_rate : -1;
      /* Forwarded as it came: what the publisher's link lost or delayed
       * is in the report too. Only the rest is the subscriber's link. */
      if (slot->stream != NULL)
        {
          input.loss = MAX (input.loss - slot->stream->uplink_loss, 0.0);
          if (input.jitter_ms >= 0)
            input.jitter_ms = MAX (input.jitter_ms - slot->stream->uplink_jitter_ms, 0.0);
        }
      input.rtt_ms = -1;
      /* RFC 3550 6.4.1: LSR names our SR, DLSR (1/65536 s) how long the
       * receiver held it. */
      if (lsr != 0 && slot->sr_sent_us != 0 && lsr == slot->sr_ntp_middle)
        {
          gint64 rtt_us = now_us - slot->sr_sent_us
                          - (gint64) ((guint64) dlsr * G_USEC_PER_SEC / 65536);

          input.rtt_ms = MAX (rtt_us, 0) / 1000.0;
          slot->rtt_us = MAX (rtt_us, 1);
        }
      network_quality_input_merge (&from->downlink, &input);
    }
}

void
router_activity_quality_tick (RouterTable *table, RouterParticipant *participant,
                              RouterStream *const *streams,
                              const RouterReportBlock *blocks, guint n_blocks,
                              GArray *events)
{
  NetworkQualityInput link = participant->downlink;
  RouterStreamEvent event = { 0 };
  int level;

  network_quality_input_init (&participant->downlink);
  if (!table->network_quality)
    return;
  /* The uplink: what we measured of what it sends us. */
  for (guint i = 0; i < n_blocks; i++)
    {
      NetworkQualityInput input = { blocks[i].fraction_lost / 256.0, -1, -1 };

      if (streams[i]->clock_rate > 0)
        input.jitter_ms = blocks[i].jitter * 1000.0 / streams[i]->clock_rate;
      streams[i]->uplink_loss = input.loss;
      streams[i]->uplink_jitter_ms = MAX (input.jitter_ms, 0.0);
      network_quality_input_merge (&link, &input);
    }
  level = network_quality_level (&link);
  if (level < 0 || level == participant->quality_level || events == NULL)
    return;
  participant->quality_level = level;
  event.kind = ROUTER_EVENT_NETWORK_QUALITY;
  event.participant = g_strdup (participant->id);
  event.level = level;
  g_array_append_val (events, event);
}
