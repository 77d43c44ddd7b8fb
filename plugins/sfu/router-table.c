/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-table-private.h"

#include <string.h>

#include "router-rtcp.h"

GST_DEBUG_CATEGORY_EXTERN (gst_convoke_router_debug);
#define GST_CAT_DEFAULT gst_convoke_router_debug

const char *const router_media_names[N_MEDIA] = { "audio", "video" };

static void
push_clear (gpointer data)
{
  RouterPush *push = data;

  gst_clear_object (&push->pad);
  gst_clear_buffer (&push->buffer);
}

GArray *
router_pushes_new (void)
{
  GArray *pushes = g_array_sized_new (FALSE, FALSE, sizeof (RouterPush), 8);

  g_array_set_clear_func (pushes, push_clear);
  return pushes;
}

static void
stream_event_clear (gpointer data)
{
  RouterStreamEvent *event = data;

  g_clear_pointer (&event->participant, g_free);
}

GArray *
router_stream_events_new (void)
{
  GArray *events = g_array_new (FALSE, FALSE, sizeof (RouterStreamEvent));

  g_array_set_clear_func (events, stream_event_clear);
  return events;
}

void
router_pushes_add (GArray *pushes, RouterParticipant *to, GstPad *pad, GstBuffer *buffer)
{
  RouterPush push = { gst_object_ref (pad), buffer };

  g_array_append_val (pushes, push);
  if (to->pads[CONVOKE_ROUTER_PAD_SEND_RTCP] == pad)
    to->counters.rtcp_sent++;
  else
    to->counters.rtp_sent++;
}

void
router_events_add (GArray *events, gboolean started, RouterStream *stream)
{
  RouterStreamEvent event = { started, g_strdup (stream->publisher->id), stream->ssrc,
                              router_media_names[stream->media] };

  if (events != NULL)
    g_array_append_val (events, event);
  else
    g_free (event.participant);
}

static gboolean
media_from_name (const char *name, RouterMedia *media)
{
  for (guint i = 0; i < N_MEDIA; i++)
    if (g_strcmp0 (name, router_media_names[i]) == 0)
      {
        *media = i;
        return TRUE;
      }
  return FALSE;
}

static void
slot_unbind (RouterSlot *slot)
{
  if (slot->stream == NULL)
    return;
  g_ptr_array_remove_fast (slot->stream->slots, slot);
  slot->stream = NULL;
}

static void
slot_free (gpointer data)
{
  RouterSlot *slot = data;

  slot_unbind (slot);
  g_free (slot->resent_seqs);
  g_free (slot->resent_us);
  g_free (slot->source);
  g_free (slot->source_track);
  g_free (slot);
}

static RouterStream *
stream_new (RouterTable *table, RouterParticipant *publisher, guint32 ssrc,
            const RouterPayload *payload)
{
  RouterStream *stream = g_new0 (RouterStream, 1);

  stream->ssrc = ssrc;
  stream->publisher = publisher;
  stream->track = payload->media; /* the caller sets it otherwise */
  stream->media = payload->media;
  stream->codec = payload->codec;
  stream->clock_rate = payload->clock_rate;
  router_receive_stats_init (&stream->stats, payload->clock_rate);
  /* Only video is offered with NACK feedback. */
  router_retransmit_cache_init (&stream->cache,
                                payload->media == MEDIA_VIDEO ? table->cache_size : 0);
  router_loss_tracker_init (&stream->loss);
  stream->slots = g_ptr_array_new ();
  return stream;
}

static void
stream_free (RouterStream *stream)
{
  while (stream->slots->len > 0)
    slot_unbind (g_ptr_array_index (stream->slots, 0));
  g_ptr_array_unref (stream->slots);
  router_retransmit_cache_clear (&stream->cache);
  g_free (stream);
}

static RouterParticipant *
participant_new (const char *id)
{
  RouterParticipant *participant = g_new0 (RouterParticipant, 1);

  g_atomic_ref_count_init (&participant->ref);
  participant->id = g_strdup (id);
  participant->slots = g_hash_table_new_full (NULL, NULL, NULL, slot_free);
  participant->ssrc_tracks = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  participant->rtx_ssrcs = g_hash_table_new (NULL, NULL);
  participant->ssrc_layers = g_hash_table_new (NULL, NULL);
  participant->rids
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, router_rid_free);
  for (guint i = 0; i < ROUTER_MAX_TRACKS; i++)
    participant->layer_of[i] = (guint8) i;
  participant->local_ssrc = g_random_int ();
  participant->retransmit_budget = RETRANSMIT_BURST_BYTES;
  network_quality_input_init (&participant->downlink);
  participant->quality_level = -1;
  router_estimator_init (&participant->estimator);
  router_uplink_init (&participant->uplink);
  return participant;
}

RouterParticipant *
router_participant_ref (RouterParticipant *participant)
{
  g_atomic_ref_count_inc (&participant->ref);
  return participant;
}

void
router_participant_unref (RouterParticipant *participant)
{
  if (!g_atomic_ref_count_dec (&participant->ref))
    return;
  /* router_table_remove_participant or router_table_free emptied it. */
  g_hash_table_unref (participant->slots);
  g_hash_table_unref (participant->ssrc_tracks);
  g_hash_table_unref (participant->rtx_ssrcs);
  g_hash_table_unref (participant->ssrc_layers);
  g_hash_table_unref (participant->rids);
  for (guint i = 0; i < ROUTER_MAX_TRACKS; i++)
    g_free (participant->track_keys[i]);
  g_free (participant->id);
  g_free (participant);
}

void
router_participant_end_stream (RouterParticipant *participant, guint track,
                               gint64 now_us, GArray *events)
{
  RouterStream *stream = participant->streams[track];
  RouterRetiredSsrc *retired;

  if (stream == NULL)
    return;
  participant->streams[track] = NULL;
  retired = &participant->retired[participant->retired_next++ % RETIRED_SSRCS];
  retired->ssrc = stream->ssrc;
  retired->until_us = now_us + RETIRED_HOLD_US;
  router_events_add (events, FALSE, stream);
  stream_free (stream);
}

static void
participant_clear (RouterParticipant *participant, GArray *events)
{
  gint64 now_us = g_get_monotonic_time ();

  for (guint track = 0; track < ROUTER_MAX_TRACKS; track++)
    router_participant_end_stream (participant, track, now_us, events);
  g_hash_table_remove_all (participant->slots);
  participant->removed = TRUE;
  participant->sending = FALSE;
}

RouterStream *
router_participant_find_stream (RouterParticipant *participant, guint32 ssrc)
{
  for (guint track = 0; track < ROUTER_MAX_TRACKS; track++)
    if (participant->streams[track] != NULL && participant->streams[track]->ssrc == ssrc)
      return participant->streams[track];
  return NULL;
}

RouterTable *
router_table_new (GstElement *element)
{
  RouterTable *table = g_new0 (RouterTable, 1);

  table->element = element;
  g_mutex_init (&table->lock);
  table->participants = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                               (GDestroyNotify) router_participant_unref);
  table->keyframe_request_interval_ms = ROUTER_TABLE_DEFAULT_KEYFRAME_REQUEST_INTERVAL;
  table->cache_size = ROUTER_TABLE_DEFAULT_CACHE_SIZE;
  table->bandwidth_estimation = TRUE;
  return table;
}

void
router_table_free (RouterTable *table)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    participant_clear (value, NULL);
  g_hash_table_unref (table->participants);
  g_clear_pointer (&table->speaker, speaker_detector_free);
  g_mutex_clear (&table->lock);
  g_free (table);
}

void
router_table_set_max_bitrate (RouterTable *table, guint bits_per_second)
{
  g_mutex_lock (&table->lock);
  table->max_bitrate = bits_per_second;
  g_mutex_unlock (&table->lock);
}

void
router_table_set_keyframe_request_interval (RouterTable *table, guint ms)
{
  g_mutex_lock (&table->lock);
  table->keyframe_request_interval_ms = ms;
  g_mutex_unlock (&table->lock);
}

void
router_table_set_retransmission_cache_size (RouterTable *table, guint packets)
{
  g_mutex_lock (&table->lock);
  table->cache_size = packets;
  g_mutex_unlock (&table->lock);
}

RouterParticipant *
router_table_ensure_locked (RouterTable *table, const char *id)
{
  RouterParticipant *participant = g_hash_table_lookup (table->participants, id);

  if (participant == NULL)
    {
      participant = participant_new (id);
      g_hash_table_insert (table->participants, participant->id, participant);
    }
  return participant;
}

RouterParticipant *
router_table_ensure_participant (RouterTable *table, const char *id)
{
  RouterParticipant *participant;

  g_mutex_lock (&table->lock);
  participant = router_participant_ref (router_table_ensure_locked (table, id));
  g_mutex_unlock (&table->lock);
  return participant;
}

void
router_table_attach_pad (RouterTable *table, RouterParticipant *participant,
                         ConvokeRouterPad kind, GstPad *pad)
{
  g_mutex_lock (&table->lock);
  participant->pads[kind] = pad;
  g_mutex_unlock (&table->lock);
}

void
router_table_detach_pad (RouterTable *table, RouterParticipant *participant,
                         ConvokeRouterPad kind, GstPad *pad)
{
  g_mutex_lock (&table->lock);
  if (participant->pads[kind] == pad)
    participant->pads[kind] = NULL;
  g_mutex_unlock (&table->lock);
}

/* A PLI now, or as soon as the per-publisher interval allows: however many
 * subscribers ask, the publisher's encoder sees one request per interval. */
void
router_stream_request_keyframe (RouterTable *table, RouterStream *stream, gint64 now_us,
                                GArray *pushes)
{
  RouterParticipant *publisher = stream->publisher;
  gint64 interval_us = (gint64) table->keyframe_request_interval_ms * 1000;

  if (stream->media != MEDIA_VIDEO)
    return;
  if (now_us - stream->last_keyframe_request_us < interval_us || !publisher->sending
      || publisher->pads[CONVOKE_ROUTER_PAD_SEND_RTCP] == NULL)
    {
      stream->keyframe_request_pending = TRUE;
      return;
    }
  stream->last_keyframe_request_us = now_us;
  stream->keyframe_request_pending = FALSE;
  publisher->counters.plis_sent++;
  GST_DEBUG_OBJECT (table->element, "PLI to %s for SSRC %u", publisher->id, stream->ssrc);
  router_pushes_add (
      pushes, publisher, publisher->pads[CONVOKE_ROUTER_PAD_SEND_RTCP],
      router_rtcp_build_pli (publisher->local_ssrc, ROUTER_CNAME, stream->ssrc));
}

void
router_slot_bind (RouterTable *table, RouterSlot *slot, RouterStream *stream, gint64 now_us,
           GArray *pushes)
{
  if (slot->stream == stream)
    return;
  slot_unbind (slot);
  if (stream == NULL)
    return;
  g_ptr_array_add (stream->slots, slot);
  slot->stream = stream;
  slot->need_keyframe = stream->media == MEDIA_VIDEO;
  /* Another source: what its layers did says nothing of this one's. The
   * switcher starts again from the slot's own state. */
  slot->simulcast = FALSE;
  if (slot->subscriber->sending)
    router_stream_request_keyframe (
        table, router_slot_keyframe_stream (slot, stream, now_us), now_us, pushes);
}

/* Points every slot that carries @publisher's @track at its current stream. */
static void
table_rebind_source (RouterTable *table, RouterParticipant *publisher, guint track,
                     gint64 now_us, GArray *pushes)
{
  GHashTableIter participants, slots;
  gpointer subscriber, slot_data;

  g_hash_table_iter_init (&participants, table->participants);
  while (g_hash_table_iter_next (&participants, NULL, &subscriber))
    {
      g_hash_table_iter_init (&slots, ((RouterParticipant *) subscriber)->slots);
      while (g_hash_table_iter_next (&slots, NULL, &slot_data))
        {
          RouterSlot *slot = slot_data;

          if (g_strcmp0 (slot->source, publisher->id) == 0
              && router_participant_track_index (publisher, slot->media, slot->source_track)
                     == (gint) track)
            router_slot_bind (table, slot, publisher->streams[track], now_us, pushes);
        }
    }
}

static RouterStream *
participant_start_stream (RouterTable *table, RouterParticipant *publisher, guint32 ssrc,
                          guint8 pt, gint64 now_us, GArray *pushes, GArray *events)
{
  const RouterPayload *payload = &publisher->payloads[pt & 0x7f];
  RouterStream *stream;
  gint track;

  if (!payload->known)
    {
      GST_LOG_OBJECT (table->element, "%s: dropping SSRC %u with unknown payload type %u",
                      publisher->id, ssrc, pt);
      return NULL;
    }
  for (guint i = 0; i < RETIRED_SSRCS; i++)
    if (publisher->retired[i].ssrc == ssrc && now_us < publisher->retired[i].until_us)
      return NULL;

  track = router_participant_track_for_ssrc (publisher, ssrc, payload->media);
  if (track < 0)
    return NULL;
  router_participant_end_stream (publisher, track, now_us, events);
  stream = stream_new (table, publisher, ssrc, payload);
  stream->track = track;
  stream->base_track = publisher->layer_of[track];
  stream->layer = publisher->layer[track];
  publisher->streams[track] = stream;
  GST_INFO_OBJECT (table->element, "%s: new %s stream, SSRC %u, track %s", publisher->id,
                   router_media_names[payload->media], ssrc,
                   publisher->track_keys[track] ? publisher->track_keys[track] : "(first)");
  router_events_add (events, TRUE, stream);
  table_rebind_source (table, publisher, track, now_us, pushes);
  return stream;
}

/* The packet an RTX packet of @from carries, as its stream of that media;
 * NULL for padding, or when it has no such stream. */
static GstBuffer *
participant_unwrap_rtx (RouterParticipant *from, const RouterPayload *payload,
                        GstRTPBuffer *rtp)
{
  gpointer repaired;
  RouterStream *stream;

  if (!g_hash_table_contains (from->rtx_ssrcs,
                              GUINT_TO_POINTER (gst_rtp_buffer_get_ssrc (rtp))))
    router_simulcast_learn_ssrc (from, payload, rtp);
  repaired = g_hash_table_lookup (from->rtx_ssrcs,
                                  GUINT_TO_POINTER (gst_rtp_buffer_get_ssrc (rtp)));
  stream = repaired != NULL
               ? router_participant_find_stream (from, GPOINTER_TO_UINT (repaired))
               : NULL;

  /* Unannounced RTX repairs the first stream of its media. */
  if (stream == NULL)
    stream = from->streams[payload->media == MEDIA_AUDIO ? ROUTER_TRACK_AUDIO
                                                         : ROUTER_TRACK_VIDEO];

  from->counters.rtx_received++;
  if (stream == NULL)
    return NULL;
  return router_rtx_unwrap (rtp, stream->ssrc, payload->apt);
}

/* Uplink loss: asks the publisher again for what did not arrive, so
 * subscribers get it late rather than wait for a key frame. */
static void
stream_track_loss (RouterStream *stream, guint16 seq, gint64 now_us, GArray *pushes)
{
  RouterParticipant *publisher = stream->publisher;
  guint16 due[ROUTER_LOSS_MAX_MISSING];
  guint64 recovered = stream->loss.recovered;
  guint n;

  router_loss_tracker_packet (&stream->loss, seq, now_us);
  publisher->counters.packets_recovered += stream->loss.recovered - recovered;
  n = router_loss_tracker_due (&stream->loss, now_us, due, G_N_ELEMENTS (due));
  if (n == 0 || publisher->pads[CONVOKE_ROUTER_PAD_SEND_RTCP] == NULL)
    return;
  publisher->counters.nacks_sent += n;
  router_pushes_add (
      pushes, publisher, publisher->pads[CONVOKE_ROUTER_PAD_SEND_RTCP],
      router_rtcp_build_nack (publisher->local_ssrc, ROUTER_CNAME, stream->ssrc, due, n));
}

void
router_table_handle_rtp (RouterTable *table, RouterParticipant *from, GstBuffer *buffer,
                         gint64 now_us, GArray *pushes, GArray *events)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  RouterStream *stream, *base;
  const RouterPayload *payload;
  GstBuffer *unwrapped = NULL;
  gboolean keyframe = FALSE, simulcast;
  guint16 seq;

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    {
      g_mutex_lock (&table->lock);
      from->counters.dropped++;
      g_mutex_unlock (&table->lock);
      return;
    }

  g_mutex_lock (&table->lock);
  if (from->removed)
    goto out;

  payload = &from->payloads[gst_rtp_buffer_get_payload_type (&rtp)];
  if (payload->known && payload->rtx)
    {
      /* On an SSRC of its own; handled as the packet it carries. */
      unwrapped = participant_unwrap_rtx (from, payload, &rtp);
      goto out;
    }

  stream = router_participant_find_stream (from, gst_rtp_buffer_get_ssrc (&rtp));
  if (stream == NULL)
    router_simulcast_learn_ssrc (from, payload, &rtp);
  if (stream == NULL)
    stream = participant_start_stream (table, from, gst_rtp_buffer_get_ssrc (&rtp),
                                       gst_rtp_buffer_get_payload_type (&rtp), now_us,
                                       pushes, events);
  payload = &from->payloads[gst_rtp_buffer_get_payload_type (&rtp)];
  /* One codec per stream: other payload types under the same SSRC (comfort
   * noise, a codec switch) would reach subscribers with the wrong type. */
  if (stream == NULL || !payload->known || payload->media != stream->media
      || payload->codec != stream->codec)
    {
      from->counters.dropped++;
      goto out;
    }

  from->counters.rtp_received++;
  stream->last_packet_us = now_us;
  router_rate_meter_add (&stream->rate, gst_buffer_get_size (buffer), now_us);
  seq = gst_rtp_buffer_get_seq (&rtp);
  router_receive_stats_update (&stream->stats, seq, gst_rtp_buffer_get_timestamp (&rtp),
                               now_us);
  if (stream->media == MEDIA_AUDIO)
    router_activity_audio_packet (table, from, payload, &rtp, now_us, events);
  router_uplink_rtp (table, from, stream, &rtp, now_us, pushes);

  if (stream->media == MEDIA_VIDEO)
    {
      keyframe = router_payload_starts_keyframe (stream->codec,
                                                 gst_rtp_buffer_get_payload (&rtp),
                                                 gst_rtp_buffer_get_payload_len (&rtp));
      if (stream->cache.size > 0)
        {
          /* A compact copy: the receive buffer may be far larger than the packet. */
          GstBuffer *copy = gst_buffer_copy_deep (buffer);

          router_retransmit_cache_store (&stream->cache, seq, copy);
          gst_buffer_unref (copy);
        }
      stream_track_loss (stream, seq, now_us, pushes);
      if (keyframe)
        stream->keyframe_request_pending = FALSE;
      else if (stream->keyframe_request_pending)
        router_stream_request_keyframe (table, stream, now_us, pushes);
    }

  /* Slots bind to a simulcast track's layer 0; every layer goes to them,
   * and each picks its own. */
  base = router_stream_base (stream);
  simulcast = stream->media == MEDIA_VIDEO && base != NULL
              && g_hash_table_contains (from->ssrc_layers, GUINT_TO_POINTER (base->ssrc));
  for (guint i = 0; base != NULL && i < base->slots->len; i++)
    {
      RouterSlot *slot = g_ptr_array_index (base->slots, i);
      GstBuffer *out = simulcast
                           ? router_slot_forward_layer (table, slot, stream, &rtp,
                                                        keyframe, now_us, pushes)
                           : router_slot_forward (slot, stream, &rtp, keyframe, now_us);

      if (out == NULL)
        continue;
      router_rate_meter_add (&slot->forwarded, gst_buffer_get_size (out), now_us);
      router_pushes_add (pushes, slot->subscriber,
                         slot->subscriber->pads[CONVOKE_ROUTER_PAD_SEND_RTP], out);
      if (slot->subscriber->estimator.probe_target_bps != 0)
        router_estimate_pad (table, slot, now_us, pushes);
    }

out:
  g_mutex_unlock (&table->lock);
  gst_rtp_buffer_unmap (&rtp);
  if (unwrapped != NULL)
    {
      router_table_handle_rtp (table, from, unwrapped, now_us, pushes, events);
      gst_buffer_unref (unwrapped);
    }
}

gboolean
router_table_remove_participant (RouterTable *table, const char *id, GArray *events)
{
  RouterParticipant *participant;

  g_mutex_lock (&table->lock);
  participant = g_hash_table_lookup (table->participants, id);
  if (participant != NULL)
    {
      router_activity_forget (table, participant, events);
      participant_clear (participant, events);
      g_hash_table_remove (table->participants, id);
    }
  g_mutex_unlock (&table->lock);
  return participant != NULL;
}

gboolean
router_table_set_payloads (RouterTable *table, const char *id, const GstCaps *caps)
{
  RouterPayload payloads[N_PAYLOAD_TYPES] = { { 0 } };
  RouterParticipant *participant;

  if (caps == NULL)
    return FALSE;
  for (guint i = 0; i < gst_caps_get_size (caps); i++)
    {
      const GstStructure *s = gst_caps_get_structure (caps, i);
      gint pt, clock_rate;
      RouterMedia media;

      if (!gst_structure_get_int (s, "payload", &pt) || pt < 0 || pt >= N_PAYLOAD_TYPES
          || !media_from_name (gst_structure_get_string (s, "media"), &media)
          || !gst_structure_get_int (s, "clock-rate", &clock_rate) || clock_rate <= 0)
        {
          GST_WARNING_OBJECT (table->element,
                              "%s: invalid payload description %" GST_PTR_FORMAT, id, s);
          return FALSE;
        }
      payloads[pt].known = TRUE;
      payloads[pt].media = media;
      payloads[pt].codec
          = router_codec_from_name (gst_structure_get_string (s, "encoding-name"));
      payloads[pt].clock_rate = clock_rate;
      if (media == MEDIA_AUDIO)
        payloads[pt].audio_level_id
            = router_payload_extension_id (s, ROUTER_AUDIO_LEVEL_URI);
      payloads[pt].mid_id = router_payload_extension_id (s, ROUTER_MID_URI);
      payloads[pt].rid_id = router_payload_extension_id (s, ROUTER_RID_URI);
      payloads[pt].repaired_rid_id
          = router_payload_extension_id (s, ROUTER_REPAIRED_RID_URI);
      if (g_strcmp0 (gst_structure_get_string (s, "encoding-name"), "RTX") == 0)
        {
          gint apt;

          if (!gst_structure_get_int (s, "apt", &apt) || apt < 0 || apt >= N_PAYLOAD_TYPES)
            {
              GST_WARNING_OBJECT (table->element,
                                  "%s: RTX payload type %d without a valid apt", id, pt);
              return FALSE;
            }
          payloads[pt].rtx = TRUE;
          payloads[pt].apt = (guint8) apt;
        }
    }

  for (guint pt = 0; pt < N_PAYLOAD_TYPES; pt++)
    if (payloads[pt].rtx
        && (!payloads[payloads[pt].apt].known || payloads[payloads[pt].apt].rtx
            || payloads[payloads[pt].apt].media != payloads[pt].media))
      {
        GST_WARNING_OBJECT (table->element,
                            "%s: RTX payload type %u names %u, not a payload type of its "
                            "media",
                            id, pt, payloads[pt].apt);
        return FALSE;
      }

  g_mutex_lock (&table->lock);
  participant = router_table_ensure_locked (table, id);
  memcpy (participant->payloads, payloads, sizeof (payloads));
  g_mutex_unlock (&table->lock);
  return TRUE;
}

gboolean
router_table_set_slot (RouterTable *table, const char *subscriber_id, guint32 ssrc,
                       const char *media_name, gint pt, const char *publisher_id,
                       GArray *pushes)
{
  RouterParticipant *subscriber, *publisher;
  RouterMedia media;
  RouterSlot *slot;
  gboolean created = FALSE;

  if (subscriber_id == NULL || ssrc == 0 || pt < -1 || pt >= N_PAYLOAD_TYPES
      || !media_from_name (media_name, &media))
    return FALSE;

  g_mutex_lock (&table->lock);
  subscriber = router_table_ensure_locked (table, subscriber_id);
  slot = g_hash_table_lookup (subscriber->slots, GUINT_TO_POINTER (ssrc));
  if (slot == NULL)
    {
      slot = g_new0 (RouterSlot, 1);
      slot->ssrc = ssrc;
      slot->subscriber = subscriber;
      slot->rtx_pt = -1;
      slot->rtx_seq = (guint16) g_random_int ();
      slot->target_layer = ROUTER_SIMULCAST_MAX_LAYERS - 1;
      router_layer_choice_init (&slot->choice);
      g_hash_table_insert (subscriber->slots, GUINT_TO_POINTER (ssrc), slot);
      created = TRUE;
    }
  slot->pt = pt;
  if (created || slot->media != media || g_strcmp0 (slot->source, publisher_id) != 0)
    {
      slot->media = media;
      g_free (slot->source);
      slot->source = g_strdup (publisher_id);
      g_clear_pointer (&slot->source_track, g_free);
      publisher
          = publisher_id ? g_hash_table_lookup (table->participants, publisher_id) : NULL;
      router_slot_bind (table, slot, router_participant_track_stream (publisher, media, NULL),
                 g_get_monotonic_time (), pushes);
    }
  g_mutex_unlock (&table->lock);
  return TRUE;
}

gboolean
router_table_set_slot_rtx (RouterTable *table, const char *subscriber_id, guint32 ssrc,
                           guint32 rtx_ssrc, gint rtx_pt)
{
  RouterParticipant *subscriber;
  RouterSlot *slot = NULL;

  if (subscriber_id == NULL || rtx_pt < -1 || rtx_pt >= N_PAYLOAD_TYPES
      || (rtx_pt >= 0 && (rtx_ssrc == 0 || rtx_ssrc == ssrc)))
    return FALSE;
  g_mutex_lock (&table->lock);
  subscriber = g_hash_table_lookup (table->participants, subscriber_id);
  if (subscriber != NULL)
    slot = g_hash_table_lookup (subscriber->slots, GUINT_TO_POINTER (ssrc));
  if (slot != NULL)
    {
      slot->rtx_ssrc = rtx_pt >= 0 ? rtx_ssrc : 0;
      slot->rtx_pt = rtx_pt;
    }
  g_mutex_unlock (&table->lock);
  return slot != NULL;
}

gboolean
router_table_remove_slot (RouterTable *table, const char *subscriber_id, guint32 ssrc)
{
  RouterParticipant *subscriber;
  gboolean removed = FALSE;

  g_mutex_lock (&table->lock);
  subscriber = g_hash_table_lookup (table->participants, subscriber_id);
  if (subscriber != NULL)
    removed = g_hash_table_remove (subscriber->slots, GUINT_TO_POINTER (ssrc));
  g_mutex_unlock (&table->lock);
  return removed;
}

gboolean
router_table_set_sending (RouterTable *table, const char *id, gboolean sending,
                          GArray *pushes)
{
  RouterParticipant *participant;
  gint64 now_us = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&table->lock);
  participant = router_table_ensure_locked (table, id);
  participant->sending = sending;
  if (sending)
    {
      /* Whatever it receives has to start from a key frame. */
      g_hash_table_iter_init (&iter, participant->slots);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          RouterSlot *slot = value;

          if (slot->stream == NULL)
            continue;
          slot->need_keyframe = slot->media == MEDIA_VIDEO;
          router_stream_request_keyframe (
              table, router_slot_keyframe_stream (slot, slot->stream, now_us), now_us,
              pushes);
        }
      /* Requests held back while it could not be sent RTCP. */
      for (guint track = 0; track < ROUTER_MAX_TRACKS; track++)
        if (participant->streams[track] != NULL
            && participant->streams[track]->keyframe_request_pending)
          router_stream_request_keyframe (table, participant->streams[track], now_us,
                                          pushes);
    }
  g_mutex_unlock (&table->lock);
  return TRUE;
}

gboolean
router_table_request_keyframe (RouterTable *table, const char *publisher_id,
                               GArray *pushes)
{
  RouterParticipant *publisher;

  g_mutex_lock (&table->lock);
  publisher = g_hash_table_lookup (table->participants, publisher_id);
  for (guint track = 0; publisher != NULL && track < ROUTER_MAX_TRACKS; track++)
    if (publisher->streams[track] != NULL && publisher->streams[track]->media == MEDIA_VIDEO)
      router_stream_request_keyframe (table, publisher->streams[track],
                                      g_get_monotonic_time (), pushes);
  g_mutex_unlock (&table->lock);
  return publisher != NULL;
}
