/* Data tracks of a group room: each data channel a participant opens is a
 * track, and the worker forwards its messages to every other participant
 * on a channel of its own to each of them, with the publisher's
 * reliability and ordering (docs/group-media.md, *Data tracks*).
 *
 * A subscriber's channel has the publisher's label, and the publisher's
 * participant sid as its protocol: that is how a client tells whose track
 * a channel carries (two publishers may well use one label).
 *
 * Everything here runs on the worker's main context; group-sctp.c does
 * the SCTP side in its own threads.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-media-room.h"

#include "i18n.h"
#include "twilio-error.h"

#define GST_CAT_DEFAULT group_media_debug

struct _GroupDataTrack
{
  GroupParticipant *publisher;
  guint stream; /* on the publisher's association */
  GroupDataChannelInfo *info;
  /* The subscriber's channel: the info sent in its DATA_CHANNEL_OPEN. */
  GroupDataChannelInfo *subscriber_info;
  /* GroupParticipant* → its stream for this track + 1 (0: none) */
  GHashTable *subscribers;
  gint64 last_refusal; /* when an oversized message was last reported */
};

static void
data_track_free (GroupDataTrack *track)
{
  group_data_channel_info_free (track->info);
  group_data_channel_info_free (track->subscriber_info);
  g_hash_table_unref (track->subscribers);
  g_free (track);
}

void
group_data_tracks_init (GroupMediaRoom *room)
{
  room->data_tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) data_track_free);
}

static void
send_track_event (GroupDataTrack *track, const char *name)
{
  g_autoptr (JsonObject) event = json_object_new ();

  json_object_set_string_member (event, "event", name);
  json_object_set_string_member (event, "participant", track->publisher->sid);
  json_object_set_string_member (event, "kind", "data");
  json_object_set_string_member (event, "name", track->info->label);
  group_media_room_send_event (track->publisher->room, event);
}

static void
subscribe (GroupDataTrack *track, GroupParticipant *subscriber)
{
  gint stream;

  if (subscriber == track->publisher || subscriber->sctp == NULL
      || !group_sctp_is_connected (subscriber->sctp)
      || g_hash_table_contains (track->subscribers, subscriber))
    return;
  stream = group_sctp_open_channel (subscriber->sctp, track->subscriber_info);
  if (stream < 0)
    {
      GST_WARNING ("%s has %u data channels open: %s's “%s” not sent to it",
                   subscriber->sid, GROUP_SCTP_MAX_CHANNELS, track->publisher->sid,
                   track->info->label);
      return;
    }
  g_hash_table_insert (track->subscribers, subscriber, GUINT_TO_POINTER (stream + 1));
  group_participant_report_subscriptions (subscriber);
}

void
group_data_list_subscriptions (GroupParticipant *participant, JsonArray *tracks)
{
  GroupMediaRoom *room = participant->room;
  g_autoptr (GHashTable) listed = g_hash_table_new (NULL, NULL);

  for (guint i = 0; room->data_tracks != NULL && i < room->data_tracks->len; i++)
    {
      GroupDataTrack *track = g_ptr_array_index (room->data_tracks, i);
      JsonObject *entry;

      if (!g_hash_table_contains (track->subscribers, participant)
          || !g_hash_table_add (listed, track->publisher))
        continue;
      entry = json_object_new ();
      json_object_set_string_member (entry, "publisher", track->publisher->sid);
      json_object_set_string_member (entry, "kind", "data");
      json_array_add_object_element (tracks, entry);
    }
}

/* Makes sure @participant can receive data channels: a data m-line is
 * offered to it when it has none. */
static void
want_data (GroupParticipant *participant)
{
  if (participant->failed || group_session_get_data (participant->session, NULL, NULL))
    return;
  group_session_want_data (participant->session);
  group_participant_request_offer (participant);
}

static GroupDataTrack *
find_track (GroupMediaRoom *room, GroupParticipant *publisher, guint stream, guint *index)
{
  for (guint i = 0; i < room->data_tracks->len; i++)
    {
      GroupDataTrack *track = g_ptr_array_index (room->data_tracks, i);

      if (track->publisher == publisher && track->stream == stream)
        {
          if (index != NULL)
            *index = i;
          return track;
        }
    }
  return NULL;
}

static void
end_track (GroupMediaRoom *room, guint index)
{
  GroupDataTrack *track = g_ptr_array_index (room->data_tracks, index);
  g_autoptr (GList) subscribers = NULL;
  GHashTableIter iter;
  gpointer subscriber, stream;

  g_hash_table_iter_init (&iter, track->subscribers);
  while (g_hash_table_iter_next (&iter, &subscriber, &stream))
    group_sctp_close_channel (((GroupParticipant *) subscriber)->sctp,
                              GPOINTER_TO_UINT (stream) - 1);
  send_track_event (track, "track-ended");
  subscribers = g_hash_table_get_keys (track->subscribers);
  g_ptr_array_remove_index (room->data_tracks, index);
  for (GList *l = subscribers; l != NULL; l = l->next)
    group_participant_report_subscriptions (l->data);
}

/* ---- media signaling (the Twilio SDK's MSP) ---- */

/* MSP is JSON on a reliable, ordered channel the server opens. */
static void
msp_send_now (GroupParticipant *participant, const char *label, const char *message)
{
  gpointer stream = g_hash_table_lookup (participant->msp_streams, label);
  g_autoptr (GroupDataChannelInfo) info
      = group_data_channel_info_new (GROUP_DCEP_RELIABLE, 0, 0, label, "");
  g_autoptr (GBytes) bytes = g_bytes_new (message, strlen (message));

  if (stream == NULL)
    {
      gint opened = group_sctp_open_channel (participant->sctp, info);

      if (opened < 0)
        return;
      stream = GUINT_TO_POINTER ((guint) opened + 1);
      g_hash_table_insert (participant->msp_streams, g_strdup (label), stream);
    }
  group_sctp_send (participant->sctp, GPOINTER_TO_UINT (stream) - 1, info, FALSE, bytes);
  if (g_hash_table_lookup (participant->msp_last, label) != message)
    g_hash_table_insert (participant->msp_last, g_strdup (label), g_strdup (message));
}

/* The SDK says {"type":"ready"} once it listens on a channel (what came
 * before is lost to it), and sends its network quality inputs expecting
 * an answer: either way it gets the latest state again. */
static void
msp_answer (GroupParticipant *participant, guint stream)
{
  GHashTableIter iter;
  gpointer label, msp_stream;

  g_hash_table_iter_init (&iter, participant->msp_streams);
  while (g_hash_table_iter_next (&iter, &label, &msp_stream))
    if (GPOINTER_TO_UINT (msp_stream) == stream + 1)
      {
        const char *last = g_hash_table_lookup (participant->msp_last, label);

        if (last != NULL)
          msp_send_now (participant, label, last);
        return;
      }
}

void
group_data_participant_msp (GroupParticipant *participant, const char *label,
                            const char *message)
{
  if (participant->sctp == NULL || label == NULL || message == NULL
      || participant->failed)
    return;
  if (group_sctp_is_connected (participant->sctp))
    {
      msp_send_now (participant, label, message);
      return;
    }
  /* Only the latest state matters (the speaker, the levels). */
  g_hash_table_insert (participant->msp_pending, g_strdup (label), g_strdup (message));
  want_data (participant);
}

static void
on_connected (GroupSctp *sctp, gpointer user_data)
{
  GroupParticipant *participant = user_data;
  GroupMediaRoom *room = participant->room;
  GHashTableIter iter;
  gpointer label, message;

  GST_DEBUG_OBJECT (sctp, "%s: data channels up", participant->sid);
  for (guint i = 0; i < room->data_tracks->len; i++)
    subscribe (g_ptr_array_index (room->data_tracks, i), participant);
  g_hash_table_iter_init (&iter, participant->msp_pending);
  while (g_hash_table_iter_next (&iter, &label, &message))
    msp_send_now (participant, label, message);
  g_hash_table_remove_all (participant->msp_pending);
}

static void
on_channel_opened (GroupSctp *sctp, guint stream, gpointer data, gpointer user_data)
{
  const GroupDataChannelInfo *info = data;
  GroupParticipant *participant = user_data;
  GroupMediaRoom *room = participant->room;
  GroupDataTrack *track = g_new0 (GroupDataTrack, 1);

  track->publisher = participant;
  track->stream = stream;
  track->info = group_data_channel_info_copy (info);
  track->subscriber_info
      = group_data_channel_info_new (info->channel_type, info->priority,
                                     info->reliability, info->label, participant->sid);
  track->subscribers = g_hash_table_new (NULL, NULL);
  g_ptr_array_add (room->data_tracks, track);
  GST_DEBUG_OBJECT (sctp, "%s publishes data track “%s” on stream %u", participant->sid,
                    info->label, stream);
  send_track_event (track, "track-started");

  for (guint i = 0; i < room->order->len; i++)
    {
      GroupParticipant *other = g_ptr_array_index (room->order, i);

      if (other != participant)
        {
          want_data (other);
          subscribe (track, other);
        }
    }
}

static void
on_channel_closed (GroupSctp *sctp, guint stream, gpointer user_data)
{
  GroupParticipant *participant = user_data;
  GroupMediaRoom *room = participant->room;
  guint index;

  if (find_track (room, participant, stream, &index) != NULL)
    {
      end_track (room, index);
      return;
    }
  {
    GHashTableIter iter;
    gpointer label, msp_stream;

    g_hash_table_iter_init (&iter, participant->msp_streams);
    while (g_hash_table_iter_next (&iter, &label, &msp_stream))
      if (GPOINTER_TO_UINT (msp_stream) == stream + 1)
        {
          g_hash_table_iter_remove (&iter);
          group_sctp_close_channel (sctp, stream);
          return;
        }
  }
  /* One of ours to it: the subscriber closed it, it gets no more. */
  for (guint i = 0; i < room->data_tracks->len; i++)
    {
      GroupDataTrack *track = g_ptr_array_index (room->data_tracks, i);

      if (GPOINTER_TO_UINT (g_hash_table_lookup (track->subscribers, participant))
          == stream + 1)
        {
          g_hash_table_remove (track->subscribers, participant);
          group_sctp_close_channel (sctp, stream);
          group_participant_report_subscriptions (participant);
          return;
        }
    }
}

static void
refuse_message (GroupDataTrack *track, gsize size)
{
  g_autofree char *message = NULL;
  gint64 now = g_get_monotonic_time ();

  /* One report a second is enough to say what is wrong. */
  if (now - track->last_refusal < G_USEC_PER_SEC)
    return;
  track->last_refusal = now;
  message = g_strdup_printf (
      _ ("A message of %u bytes on data track “%s” was not "
         "forwarded: group rooms forward messages of up to %u bytes"),
      (guint) MIN (size, G_MAXUINT), track->info->label, GROUP_DATA_MAX_MESSAGE_SIZE);
  group_media_room_send_error (track->publisher->room, track->publisher->sid,
                               CONVOKE_ERROR_TRACK_INVALID, message);
}

static void
on_message (GroupSctp *sctp, guint stream, gboolean binary, GBytes *payload,
            gpointer user_data)
{
  GroupParticipant *participant = user_data;
  GroupDataTrack *track = find_track (participant->room, participant, stream, NULL);
  gsize size = g_bytes_get_size (payload);
  GHashTableIter iter;
  gpointer subscriber, subscriber_stream;

  /* Messages on the channels we opened to it are not forwarded. */
  if (track == NULL)
    {
      msp_answer (participant, stream);
      return;
    }
  if (size > GROUP_DATA_MAX_MESSAGE_SIZE)
    {
      refuse_message (track, size);
      return;
    }
  g_hash_table_iter_init (&iter, track->subscribers);
  while (g_hash_table_iter_next (&iter, &subscriber, &subscriber_stream))
    group_sctp_send (((GroupParticipant *) subscriber)->sctp,
                     GPOINTER_TO_UINT (subscriber_stream) - 1, track->info, binary,
                     payload);
}

static void
drop_participant_tracks (GroupParticipant *participant)
{
  GroupMediaRoom *room = participant->room;

  for (guint i = room->data_tracks->len; i > 0; i--)
    {
      GroupDataTrack *track = g_ptr_array_index (room->data_tracks, i - 1);

      if (track->publisher == participant)
        end_track (room, i - 1);
      else
        g_hash_table_remove (track->subscribers, participant);
    }
}

static void
on_failed (GroupSctp *sctp, const char *message, gpointer user_data)
{
  GroupParticipant *participant = user_data;

  GST_WARNING_OBJECT (sctp, "%s: data channels failed: %s", participant->sid, message);
  drop_participant_tracks (participant);
  group_participant_report_subscriptions (participant);
}

gboolean
group_data_participant_added (GroupParticipant *participant, GError **error)
{
  GroupMediaRoom *room = participant->room;
  g_autofree char *name = g_strconcat ("sctp-", participant->sid, NULL);

  participant->msp_streams
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  participant->msp_pending
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  participant->msp_last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  participant->sctp = group_sctp_new (name, room->context);
  if (participant->sctp == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The GStreamer elements sctpenc and sctpdec are needed (package "
                      "gstreamer1.0-plugins-bad)"));
      return FALSE;
    }
  gst_object_ref_sink (participant->sctp);
  g_signal_connect (participant->sctp, "connected", G_CALLBACK (on_connected),
                    participant);
  g_signal_connect (participant->sctp, "channel-opened", G_CALLBACK (on_channel_opened),
                    participant);
  g_signal_connect (participant->sctp, "channel-closed", G_CALLBACK (on_channel_closed),
                    participant);
  g_signal_connect (participant->sctp, "message", G_CALLBACK (on_message), participant);
  g_signal_connect (participant->sctp, "failed", G_CALLBACK (on_failed), participant);

  gst_bin_add (GST_BIN (room->pipeline), GST_ELEMENT (participant->sctp));
  if (!gst_element_link_pads (GST_ELEMENT (participant->transport), "data_src",
                              GST_ELEMENT (participant->sctp), "sink")
      || !gst_element_link_pads (GST_ELEMENT (participant->sctp), "src",
                                 GST_ELEMENT (participant->transport), "data_sink")
      || !gst_element_sync_state_with_parent (GST_ELEMENT (participant->sctp)))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("Could not link the data channel elements of %s"),
                   participant->sid);
      return FALSE;
    }
  return TRUE;
}

void
group_data_participant_update (GroupParticipant *participant)
{
  guint port;
  gboolean dtls_client;

  if (participant->sctp == NULL || group_sctp_is_started (participant->sctp)
      || !participant->dtls_connected || participant->failed
      || !group_session_get_data (participant->session, &port, NULL)
      || !group_transport_get_dtls_role (participant->transport, &dtls_client))
    return;
  group_sctp_start (participant->sctp, port, dtls_client);
}

void
group_data_participant_removed (GroupParticipant *participant)
{
  GroupMediaRoom *room = participant->room;

  g_clear_pointer (&participant->msp_streams, g_hash_table_unref);
  g_clear_pointer (&participant->msp_pending, g_hash_table_unref);
  g_clear_pointer (&participant->msp_last, g_hash_table_unref);
  if (participant->sctp == NULL)
    return;
  if (room->data_tracks != NULL)
    drop_participant_tracks (participant);
  g_signal_handlers_disconnect_by_data (participant->sctp, participant);
  group_sctp_shutdown (participant->sctp);
  if (GST_OBJECT_PARENT (participant->sctp) != NULL)
    gst_bin_remove (GST_BIN (room->pipeline), GST_ELEMENT (participant->sctp));
  gst_clear_object (&participant->sctp);
}
