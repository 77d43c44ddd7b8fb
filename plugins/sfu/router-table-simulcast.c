/* Simulcast in the routing table: a publisher's track sent as several
 * layers, each an RTP stream of its own, of which each subscriber's slot
 * forwards one (router-simulcast.h does the choosing and rewriting).
 *
 * Layers are streams like any other (receive statistics, NACKs to the
 * publisher, a retransmission cache, key frame requests), at track
 * indexes of their own: layer 0 at the track's index, where slots bind,
 * the upper ones at further indexes that name it (layer_of[]). A layer's
 * SSRC is announced (a=ssrc-group:SIM: router_table_set_track_layer) or
 * learned from the RID header extension of its first packets
 * (router_table_set_track_rids).
 *
 * The same lock contract as router-table.c: the public functions take the
 * table's lock, the others expect it held.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-table-private.h"

#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_convoke_router_debug);
#define GST_CAT_DEFAULT gst_convoke_router_debug

/* RFC 8852: an RtpStreamId is 1–255 bytes; RFC 8851's are shorter in
 * practice, and a longer one names nothing we announced. */
#define MAX_SDES_ID 32
/* Bounds what one publisher's announcements make the router keep. */
#define MAX_RIDS (ROUTER_MAX_TRACKS * ROUTER_SIMULCAST_MAX_LAYERS)

void
router_rid_free (gpointer data)
{
  RouterRid *rid = data;

  g_free (rid->track_key);
  g_free (rid);
}

gint
router_participant_layer_track (RouterParticipant *publisher, guint base, guint layer,
                                gboolean create)
{
  if (layer == 0)
    return (gint) base;
  for (guint i = 0; i < ROUTER_MAX_TRACKS; i++)
    if (i != base && publisher->layer_of[i] == base && publisher->layer[i] == layer)
      return (gint) i;
  if (!create)
    return -1;
  for (guint i = ROUTER_TRACK_VIDEO + 1; i < ROUTER_MAX_TRACKS; i++)
    if (publisher->track_keys[i] == NULL)
      {
        /* A key no slot can name (the worker's start with the media), so
         * that the index is never given to another track. */
        publisher->track_keys[i] = g_strdup_printf ("\001layer %u/%u", base, layer);
        publisher->layer_of[i] = (guint8) base;
        publisher->layer[i] = (guint8) layer;
        return (gint) i;
      }
  return -1;
}

RouterStream *
router_stream_base (RouterStream *stream)
{
  return stream->layer == 0 ? stream : stream->publisher->streams[stream->base_track];
}

RouterStream *
router_slot_source_stream (RouterSlot *slot)
{
  RouterStream *stream;

  if (slot->stream == NULL || !slot->simulcast || !slot->started)
    return slot->stream;
  stream = router_participant_find_stream (slot->stream->publisher, slot->in_ssrc);
  return stream != NULL ? stream : slot->stream;
}

guint
router_slot_target_layer (const RouterSlot *slot)
{
  return MIN (slot->target_layer, slot->choice.layer);
}

void
router_slot_apply_layer (RouterTable *table, RouterSlot *slot, gint64 now_us,
                         GArray *pushes)
{
  gint wanted, track;

  if (!slot->simulcast || slot->stream == NULL)
    return;
  wanted = router_simulcast_set_target (&slot->sc, router_slot_target_layer (slot), now_us);
  track = wanted >= 0 ? router_participant_layer_track (slot->stream->publisher,
                                                        slot->stream->track,
                                                        (guint) wanted, FALSE)
                      : -1;
  if (track >= 0 && slot->stream->publisher->streams[track] != NULL)
    router_stream_request_keyframe (table, slot->stream->publisher->streams[track],
                                    now_us, pushes);
}

RouterStream *
router_slot_keyframe_stream (RouterSlot *slot, RouterStream *stream, gint64 now_us)
{
  RouterParticipant *publisher = stream->publisher;

  if (stream->media != MEDIA_VIDEO
      || !g_hash_table_contains (publisher->ssrc_layers, GUINT_TO_POINTER (stream->ssrc)))
    return stream;
  for (gint layer = (gint) MIN (router_slot_target_layer (slot),
                                ROUTER_SIMULCAST_MAX_LAYERS - 1);
       layer > 0; layer--)
    {
      gint track = router_participant_layer_track (publisher, stream->track,
                                                   (guint) layer, FALSE);
      RouterStream *candidate = track >= 0 ? publisher->streams[track] : NULL;

      if (candidate != NULL
          && now_us - candidate->last_packet_us < ROUTER_SIMULCAST_LAYER_TIMEOUT_US)
        return candidate;
    }
  return stream;
}

/* The value of an RFC 7941 SDES item header extension (MID, RID), as a
 * string. */
static gboolean
read_sdes (GstRTPBuffer *rtp, guint8 id, char *out, gsize out_size)
{
  gpointer data = NULL;
  guint size = 0;
  guint8 appbits;

  if (id == 0)
    return FALSE;
  if (!gst_rtp_buffer_get_extension_onebyte_header (rtp, id, 0, &data, &size)
      && !gst_rtp_buffer_get_extension_twobytes_header (rtp, &appbits, id, 0, &data,
                                                        &size))
    return FALSE;
  if (data == NULL || size == 0 || size >= out_size)
    return FALSE;
  memcpy (out, data, size);
  out[size] = '\0';
  return TRUE;
}

/* The layer announced as @rid on the m-line @mid (empty when the packet
 * did not say: then the only layer of that name, if it is the only one). */
static RouterRid *
find_rid (RouterParticipant *from, const char *mid, const char *rid)
{
  g_autofree char *key = g_strdup_printf ("%s %s", mid, rid);
  RouterRid *found = g_hash_table_lookup (from->rids, key);
  GHashTableIter iter;
  gpointer name, value;

  if (found != NULL || *mid != '\0')
    return found;
  g_hash_table_iter_init (&iter, from->rids);
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      const char *space = strchr (name, ' ');

      if (space != NULL && g_str_equal (space + 1, rid))
        {
          if (found != NULL)
            return NULL;
          found = value;
        }
    }
  return found;
}

void
router_simulcast_learn_ssrc (RouterParticipant *from, const RouterPayload *payload,
                             GstRTPBuffer *rtp)
{
  char mid[MAX_SDES_ID] = "", rid[MAX_SDES_ID];
  guint32 ssrc = gst_rtp_buffer_get_ssrc (rtp);
  RouterRid *layer;

  if (g_hash_table_size (from->rids) == 0
      || !read_sdes (rtp, payload->rtx ? payload->repaired_rid_id : payload->rid_id, rid,
                     sizeof (rid)))
    return;
  if (!read_sdes (rtp, payload->mid_id, mid, sizeof (mid)))
    mid[0] = '\0';
  layer = find_rid (from, mid, rid);
  if (layer == NULL)
    return;
  if (payload->rtx)
    {
      /* A retransmission stream: it repairs the layer's. */
      if (layer->ssrc != 0)
        g_hash_table_insert (from->rtx_ssrcs, GUINT_TO_POINTER (ssrc),
                             GUINT_TO_POINTER (layer->ssrc));
      return;
    }
  /* One SSRC per layer: a new one replaces the old one's announcement. */
  if (layer->ssrc != 0 && layer->ssrc != ssrc)
    {
      g_hash_table_remove (from->ssrc_tracks, GUINT_TO_POINTER (layer->ssrc));
      g_hash_table_remove (from->ssrc_layers, GUINT_TO_POINTER (layer->ssrc));
    }
  layer->ssrc = ssrc;
  if (layer->track_key != NULL)
    g_hash_table_insert (from->ssrc_tracks, GUINT_TO_POINTER (ssrc),
                         g_strdup (layer->track_key));
  else
    g_hash_table_remove (from->ssrc_tracks, GUINT_TO_POINTER (ssrc));
  g_hash_table_insert (from->ssrc_layers, GUINT_TO_POINTER (ssrc),
                       GUINT_TO_POINTER (layer->layer + 1));
}

/* The switcher takes over from the slot's own rewriting state, so that a
 * slot that carried the track before it sent layers continues. It knows
 * at once which layers send: otherwise it would take the first one whose
 * packet it sees for the best there is, and ask for its key frame. */
static void
slot_start_simulcast (RouterSlot *slot, RouterStream *stream)
{
  RouterSimulcast *sc = &slot->sc;

  router_simulcast_init (sc, slot->ssrc, stream->clock_rate,
                         stream->codec == ROUTER_CODEC_VP8);
  sc->target = router_slot_target_layer (slot);
  for (guint layer = 0; layer < ROUTER_SIMULCAST_MAX_LAYERS; layer++)
    {
      gint track = router_participant_layer_track (stream->publisher, stream->base_track,
                                                   layer, FALSE);
      RouterStream *sending = track >= 0 ? stream->publisher->streams[track] : NULL;

      if (sending != NULL)
        sc->seen_us[layer] = sending->last_packet_us;
    }
  if (slot->started)
    {
      sc->started = TRUE;
      sc->last_seq = slot->last_seq;
      sc->last_ts = slot->last_ts;
      sc->last_time_us = slot->last_time_us;
    }
  slot->simulcast = TRUE;
}

GstBuffer *
router_slot_forward_layer (RouterTable *table, RouterSlot *slot, RouterStream *stream,
                           GstRTPBuffer *rtp, gboolean keyframe, gint64 now_us,
                           GArray *pushes)
{
  RouterParticipant *subscriber = slot->subscriber;
  RouterSimulcast *sc = &slot->sc;
  RouterSimulcastAction action;
  GstMapInfo info;

  if (!subscriber->sending || subscriber->pads[CONVOKE_ROUTER_PAD_SEND_RTP] == NULL)
    return NULL;
  if (!slot->simulcast)
    slot_start_simulcast (slot, stream);
  if (slot->need_keyframe)
    {
      router_simulcast_reset (sc);
      slot->need_keyframe = FALSE;
    }
  if (!gst_buffer_map (rtp->buffer, &info, GST_MAP_READ))
    return NULL;
  action = router_simulcast_packet (sc, stream->layer, info.data, info.size, keyframe,
                                    now_us);
  gst_buffer_unmap (rtp->buffer, &info);

  if (action & ROUTER_SIMULCAST_REQUEST_KEYFRAME)
    {
      gint track = router_participant_layer_track (
          stream->publisher, stream->base_track,
          (guint) MAX (router_simulcast_wanted_layer (sc, now_us), 0), FALSE);

      if (track >= 0 && stream->publisher->streams[track] != NULL)
        router_stream_request_keyframe (table, stream->publisher->streams[track], now_us,
                                        pushes);
    }
  if (!(action & ROUTER_SIMULCAST_FORWARD))
    return NULL;

  if (!slot->started || slot->in_ssrc != stream->ssrc)
    {
      GST_DEBUG_OBJECT (table->element, "%s: slot %u now carries layer %u of %s (SSRC %u)",
                        subscriber->id, slot->ssrc, stream->layer, stream->publisher->id,
                        stream->ssrc);
      /* What the budget went on was the old layer's; the new one starts
       * with a key frame that the picture waits for, and that a congested
       * link (the reason for most switches down) may have lost in part. */
      subscriber->retransmit_budget
          = MAX (subscriber->retransmit_budget, RETRANSMIT_SWITCH_BYTES);
    }
  /* The slot's own state follows, for sender reports, NACKs and a later
   * return to one layer. */
  slot->started = TRUE;
  slot->in_ssrc = stream->ssrc;
  slot->seq_delta = sc->seq_delta;
  slot->ts_delta = sc->ts_delta;
  slot->first_in_seq = sc->first_in_seq;
  slot->last_seq = sc->last_seq;
  slot->last_ts = sc->last_ts;
  slot->last_time_us = sc->last_time_us;
  slot->packet_count++;
  slot->octet_count += gst_rtp_buffer_get_payload_len (rtp);
  subscriber->retransmit_budget
      = MIN (subscriber->retransmit_budget
                 + gst_buffer_get_size (rtp->buffer) / RETRANSMIT_SHARE,
             RETRANSMIT_BURST_BYTES);
  return router_slot_rewrite (slot, rtp);
}

gboolean
router_table_set_track_layer (RouterTable *table, const char *publisher_id, guint32 ssrc,
                              guint32 rtx_ssrc, const char *track_key, guint layer)
{
  RouterParticipant *publisher;

  if (layer >= ROUTER_SIMULCAST_MAX_LAYERS
      || !router_table_set_track_ssrc (table, publisher_id, ssrc, rtx_ssrc, track_key))
    return FALSE;
  g_mutex_lock (&table->lock);
  publisher = router_table_ensure_locked (table, publisher_id);
  g_hash_table_insert (publisher->ssrc_layers, GUINT_TO_POINTER (ssrc),
                       GUINT_TO_POINTER (layer + 1));
  g_mutex_unlock (&table->lock);
  return TRUE;
}

gboolean
router_table_set_track_rids (RouterTable *table, const char *publisher_id,
                             const char *track_key, const char *mid,
                             const char *const *rids)
{
  RouterParticipant *publisher;
  g_autofree char *prefix = NULL;
  GHashTableIter iter;
  gpointer name;
  guint n = rids != NULL ? g_strv_length ((char **) rids) : 0;

  if (publisher_id == NULL || mid == NULL || strchr (mid, ' ') != NULL
      || n > ROUTER_SIMULCAST_MAX_LAYERS)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (*rids[i] == '\0' || strlen (rids[i]) >= MAX_SDES_ID
        || strchr (rids[i], ' ') != NULL)
      return FALSE;

  prefix = g_strdup_printf ("%s ", mid);
  g_mutex_lock (&table->lock);
  publisher = router_table_ensure_locked (table, publisher_id);
  g_hash_table_iter_init (&iter, publisher->rids);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (g_str_has_prefix (name, prefix))
      g_hash_table_iter_remove (&iter);
  if (g_hash_table_size (publisher->rids) + n > MAX_RIDS)
    g_hash_table_remove_all (publisher->rids);
  for (guint i = 0; i < n; i++)
    {
      RouterRid *rid = g_new0 (RouterRid, 1);

      rid->track_key = g_strdup (track_key);
      rid->layer = i;
      g_hash_table_insert (publisher->rids, g_strconcat (prefix, rids[i], NULL), rid);
    }
  g_mutex_unlock (&table->lock);
  return TRUE;
}

gboolean
router_table_set_slot_layer (RouterTable *table, const char *subscriber_id, guint32 ssrc,
                             guint layer, GArray *pushes)
{
  RouterParticipant *subscriber;
  RouterSlot *slot = NULL;
  gint64 now_us = g_get_monotonic_time ();

  g_mutex_lock (&table->lock);
  subscriber
      = subscriber_id ? g_hash_table_lookup (table->participants, subscriber_id) : NULL;
  if (subscriber != NULL)
    slot = g_hash_table_lookup (subscriber->slots, GUINT_TO_POINTER (ssrc));
  if (slot != NULL)
    {
      slot->target_layer = MIN (layer, ROUTER_SIMULCAST_MAX_LAYERS - 1);
      router_slot_apply_layer (table, slot, now_us, pushes);
    }
  g_mutex_unlock (&table->lock);
  return slot != NULL;
}
