/* A publisher's tracks: which of its streams a slot carries when it
 * sends more than one of a media (a camera and a screen share), told
 * apart by the SSRCs announced for them (router-table.h,
 * router_table_set_track_ssrc). The same lock contract as router-table.c:
 * the public functions take the table's lock, the others expect it held.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-table-private.h"

/* The track of @publisher a slot names (@key NULL: its first of
 * @media), or -1 when it has no such track yet. */
gint
router_participant_track_index (RouterParticipant *publisher, RouterMedia media, const char *key)
{
  if (key == NULL)
    return media == MEDIA_AUDIO ? ROUTER_TRACK_AUDIO : ROUTER_TRACK_VIDEO;
  for (guint i = ROUTER_TRACK_VIDEO + 1; i < ROUTER_MAX_TRACKS; i++)
    if (g_strcmp0 (publisher->track_keys[i], key) == 0)
      return (gint) i;
  return -1;
}

RouterStream *
router_participant_track_stream (RouterParticipant *publisher, RouterMedia media, const char *key)
{
  gint track = publisher != NULL ? router_participant_track_index (publisher, media, key) : -1;

  return track >= 0 ? publisher->streams[track] : NULL;
}

/* The track (layer 0 of it, for simulcast) @ssrc was announced for, else
 * @publisher's first track of @media. */
static guint
track_for_key (RouterParticipant *publisher, guint32 ssrc, RouterMedia media)
{
  const char *key = g_hash_table_lookup (publisher->ssrc_tracks, GUINT_TO_POINTER (ssrc));
  guint free_index = 0;

  if (key == NULL)
    return media == MEDIA_AUDIO ? ROUTER_TRACK_AUDIO : ROUTER_TRACK_VIDEO;
  for (guint i = ROUTER_TRACK_VIDEO + 1; i < ROUTER_MAX_TRACKS; i++)
    {
      if (g_strcmp0 (publisher->track_keys[i], key) == 0)
        return i;
      if (free_index == 0 && publisher->track_keys[i] == NULL)
        free_index = i;
    }
  /* Keys are announced with their SSRCs and kept (a track that restarts
   * keeps its place); a publisher announcing more than fit shares its
   * first track. */
  if (free_index == 0)
    return media == MEDIA_AUDIO ? ROUTER_TRACK_AUDIO : ROUTER_TRACK_VIDEO;
  publisher->track_keys[free_index] = g_strdup (key);
  return free_index;
}

/* Where a new stream of @publisher goes: the track its SSRC was announced
 * for, else its first track of @media; for an upper simulcast layer, that
 * layer's own index. -1 when no index is left for it. */
gint
router_participant_track_for_ssrc (RouterParticipant *publisher, guint32 ssrc,
                                   RouterMedia media)
{
  guint base = track_for_key (publisher, ssrc, media);
  guint layer = GPOINTER_TO_UINT (
      g_hash_table_lookup (publisher->ssrc_layers, GUINT_TO_POINTER (ssrc)));

  if (layer <= 1)
    return (gint) base;
  return router_participant_layer_track (publisher, base, layer - 1, TRUE);
}

gboolean
router_table_set_slot_track (RouterTable *table, const char *subscriber_id, guint32 ssrc,
                             const char *track_key, GArray *pushes)
{
  RouterParticipant *subscriber, *publisher;
  RouterSlot *slot = NULL;

  g_mutex_lock (&table->lock);
  subscriber = g_hash_table_lookup (table->participants, subscriber_id);
  if (subscriber != NULL)
    slot = g_hash_table_lookup (subscriber->slots, GUINT_TO_POINTER (ssrc));
  if (slot != NULL && g_strcmp0 (slot->source_track, track_key) != 0)
    {
      g_free (slot->source_track);
      slot->source_track = g_strdup (track_key);
      publisher = slot->source ? g_hash_table_lookup (table->participants, slot->source)
                               : NULL;
      router_slot_bind (table, slot, router_participant_track_stream (publisher, slot->media, track_key),
                 g_get_monotonic_time (), pushes);
    }
  g_mutex_unlock (&table->lock);
  return slot != NULL;
}

gboolean
router_table_set_track_ssrc (RouterTable *table, const char *publisher_id, guint32 ssrc,
                             guint32 rtx_ssrc, const char *track_key)
{
  RouterParticipant *publisher;

  if (publisher_id == NULL || ssrc == 0 || rtx_ssrc == ssrc)
    return FALSE;
  g_mutex_lock (&table->lock);
  publisher = router_table_ensure_locked (table, publisher_id);
  /* A publisher could announce SSRCs without end; a handful per track is
   * all a client needs over a call. */
  if (g_hash_table_size (publisher->ssrc_tracks) >= 4 * ROUTER_MAX_TRACKS)
    {
      g_hash_table_remove_all (publisher->ssrc_tracks);
      g_hash_table_remove_all (publisher->rtx_ssrcs);
      g_hash_table_remove_all (publisher->ssrc_layers);
    }
  if (track_key != NULL)
    g_hash_table_insert (publisher->ssrc_tracks, GUINT_TO_POINTER (ssrc),
                         g_strdup (track_key));
  else
    g_hash_table_remove (publisher->ssrc_tracks, GUINT_TO_POINTER (ssrc));
  if (rtx_ssrc != 0)
    g_hash_table_insert (publisher->rtx_ssrcs, GUINT_TO_POINTER (rtx_ssrc),
                         GUINT_TO_POINTER (ssrc));
  g_mutex_unlock (&table->lock);
  return TRUE;
}
