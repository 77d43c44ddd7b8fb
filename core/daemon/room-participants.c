/* Participants, their tracks and their subscriptions: joining, leaving,
 * kicks, duplicate identities, and messages handed to the room's module.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-registry"

#include <string.h>

#include "i18n.h"
#include "room-participants.h"
#include "room-registry-private.h"
#include "sid.h"
#include "twilio-error.h"

#define IDENTITY_MAX_LENGTH 256

static void
track_free (ConvokeTrack *track)
{
  g_free (track->sid);
  g_free (track->name);
  g_free (track->kind);
  g_free (track->client_id);
  g_clear_pointer (&track->date_created, g_date_time_unref);
  g_free (track);
}

static void
subscription_free (ConvokeSubscription *subscription)
{
  g_free (subscription->kind);
  g_clear_pointer (&subscription->date_created, g_date_time_unref);
  g_free (subscription);
}

static gboolean
is_track_kind (const char *kind)
{
  return kind != NULL
         && (g_str_equal (kind, "audio") || g_str_equal (kind, "video")
             || g_str_equal (kind, "data"));
}

ConvokeParticipant *
convoke_participant_ref (ConvokeParticipant *participant)
{
  g_atomic_ref_count_inc (&participant->ref);
  return participant;
}

void
convoke_participant_unref (ConvokeParticipant *participant)
{
  if (participant == NULL || !g_atomic_ref_count_dec (&participant->ref))
    return;
  g_free (participant->sid);
  g_free (participant->identity);
  g_clear_pointer (&participant->start_time, g_date_time_unref);
  g_clear_pointer (&participant->end_time, g_date_time_unref);
  g_clear_pointer (&participant->date_updated, g_date_time_unref);
  g_clear_pointer (&participant->published_tracks, g_ptr_array_unref);
  g_clear_pointer (&participant->subscriptions, g_ptr_array_unref);
  g_free (participant);
}

ConvokeParticipant *
convoke_room_find_participant (ConvokeRoom *room, const char *sid_or_identity,
                               gboolean connected_only)
{
  if (sid_or_identity == NULL)
    return NULL;
  /* Newest first: an identity that rejoined names its latest connection. */
  for (guint i = room->participants->len; i > 0; i--)
    {
      ConvokeParticipant *p = g_ptr_array_index (room->participants, i - 1);

      if (connected_only && p->status != CONVOKE_PARTICIPANT_CONNECTED)
        continue;
      if (g_str_equal (p->sid, sid_or_identity)
          || g_str_equal (p->identity, sid_or_identity))
        return p;
    }
  return NULL;
}

guint
convoke_room_count_connected (ConvokeRoom *room)
{
  guint n = 0;

  for (guint i = 0; i < room->participants->len; i++)
    if (((ConvokeParticipant *) g_ptr_array_index (room->participants, i))->status
        == CONVOKE_PARTICIPANT_CONNECTED)
      n++;
  return n;
}

void
convoke_participant_send (ConvokeParticipant *participant, JsonObject *message)
{
  if (participant->transport != NULL && participant->transport_vtable != NULL)
    participant->transport_vtable->send (participant->transport, message);
}

void
convoke_participant_send_error (ConvokeParticipant *participant, int code,
                                const char *message)
{
  g_autoptr (JsonObject) error = json_object_new ();

  json_object_set_string_member (error, "type", "error");
  json_object_set_int_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  convoke_participant_send (participant, error);
}

/* ---- tracks ------------------------------------------------------------ */

ConvokeTrack *
convoke_participant_add_track (ConvokeParticipant *participant, const char *name,
                               const char *kind)
{
  return convoke_participant_add_client_track (participant, name, kind, NULL);
}

ConvokeTrack *
convoke_participant_add_client_track (ConvokeParticipant *participant, const char *name,
                                      const char *kind, const char *client_id)
{
  ConvokeTrack *track;

  g_return_val_if_fail (participant != NULL, NULL);
  if (participant->status != CONVOKE_PARTICIPANT_CONNECTED || !is_track_kind (kind))
    return NULL;

  track = g_new0 (ConvokeTrack, 1);
  track->sid = convoke_sid_new (CONVOKE_SID_TRACK);
  track->name = g_strdup (name != NULL && *name != '\0' ? name : track->sid);
  track->kind = g_strdup (kind);
  track->enabled = TRUE;
  track->client_id = g_strdup (client_id);
  track->date_created = g_date_time_new_now_utc ();
  g_ptr_array_add (participant->published_tracks, track);
  convoke_registry_touch (&participant->date_updated);
  g_signal_emit (participant->room->registry,
                 convoke_room_registry_signals[SIGNAL_TRACK_ADDED], 0, participant,
                 track);
  return track;
}

gboolean
convoke_participant_remove_track (ConvokeParticipant *participant, const char *track_sid)
{
  g_return_val_if_fail (participant != NULL, FALSE);
  for (guint i = 0; track_sid != NULL && i < participant->published_tracks->len; i++)
    {
      ConvokeTrack *track = g_ptr_array_index (participant->published_tracks, i);

      if (!g_str_equal (track->sid, track_sid))
        continue;
      /* Handlers still see the track; it is freed after they ran. */
      g_ptr_array_steal_index (participant->published_tracks, i);
      convoke_registry_touch (&participant->date_updated);
      g_signal_emit (participant->room->registry,
                     convoke_room_registry_signals[SIGNAL_TRACK_REMOVED], 0, participant,
                     track);
      track_free (track);
      return TRUE;
    }
  return FALSE;
}

void
convoke_participant_set_track_enabled (ConvokeParticipant *participant,
                                       ConvokeTrack *track, gboolean enabled)
{
  g_return_if_fail (participant != NULL && track != NULL);
  if (participant->status != CONVOKE_PARTICIPANT_CONNECTED || track->enabled == !!enabled)
    return;
  track->enabled = !!enabled;
  convoke_registry_touch (&participant->date_updated);
  g_signal_emit (participant->room->registry,
                 convoke_room_registry_signals[SIGNAL_TRACK_UPDATED], 0, participant,
                 track);
}

/* ---- subscriptions ----------------------------------------------------- */

static gint
find_subscription (ConvokeParticipant *subscriber, ConvokeParticipant *publisher,
                   const char *kind)
{
  for (guint i = 0; i < subscriber->subscriptions->len; i++)
    {
      ConvokeSubscription *subscription
          = g_ptr_array_index (subscriber->subscriptions, i);

      if (subscription->publisher == publisher && g_str_equal (subscription->kind, kind))
        return (gint) i;
    }
  return -1;
}

gboolean
convoke_participant_subscribe (ConvokeParticipant *subscriber,
                               ConvokeParticipant *publisher, const char *kind)
{
  ConvokeSubscription *subscription;

  g_return_val_if_fail (subscriber != NULL && publisher != NULL, FALSE);
  if (subscriber == publisher || subscriber->room != publisher->room
      || subscriber->status != CONVOKE_PARTICIPANT_CONNECTED
      || publisher->status != CONVOKE_PARTICIPANT_CONNECTED || !is_track_kind (kind))
    return FALSE;
  if (find_subscription (subscriber, publisher, kind) >= 0)
    return TRUE;

  subscription = g_new0 (ConvokeSubscription, 1);
  subscription->publisher = publisher;
  subscription->kind = g_strdup (kind);
  subscription->date_created = g_date_time_new_now_utc ();
  g_ptr_array_add (subscriber->subscriptions, subscription);
  g_signal_emit (subscriber->room->registry,
                 convoke_room_registry_signals[SIGNAL_SUBSCRIPTIONS_CHANGED], 0,
                 subscriber);
  return TRUE;
}

gboolean
convoke_participant_unsubscribe (ConvokeParticipant *subscriber,
                                 ConvokeParticipant *publisher, const char *kind)
{
  gint index;

  g_return_val_if_fail (subscriber != NULL && publisher != NULL, FALSE);
  if (kind == NULL)
    return FALSE;
  index = find_subscription (subscriber, publisher, kind);
  if (index < 0)
    return FALSE;
  g_ptr_array_remove_index (subscriber->subscriptions, (guint) index);
  g_signal_emit (subscriber->room->registry,
                 convoke_room_registry_signals[SIGNAL_SUBSCRIPTIONS_CHANGED], 0,
                 subscriber);
  return TRUE;
}

static ConvokeTrack *
earliest_track_of_kind (ConvokeParticipant *publisher, const char *kind)
{
  /* Tracks are kept in publication order. */
  for (guint i = 0; i < publisher->published_tracks->len; i++)
    {
      ConvokeTrack *track = g_ptr_array_index (publisher->published_tracks, i);

      if (g_str_equal (track->kind, kind))
        return track;
    }
  return NULL;
}

GPtrArray *
convoke_participant_list_subscribed_tracks (ConvokeParticipant *subscriber)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (subscriber != NULL, list);
  for (guint i = 0; i < subscriber->subscriptions->len; i++)
    {
      ConvokeSubscription *subscription
          = g_ptr_array_index (subscriber->subscriptions, i);
      ConvokeTrack *track
          = earliest_track_of_kind (subscription->publisher, subscription->kind);
      ConvokeSubscribedTrack *item;

      if (track == NULL)
        continue;
      item = g_new0 (ConvokeSubscribedTrack, 1);
      item->subscriber = subscriber;
      item->publisher = subscription->publisher;
      item->track = track;
      item->since
          = g_date_time_compare (subscription->date_created, track->date_created) >= 0
                ? subscription->date_created
                : track->date_created;
      g_ptr_array_add (list, item);
    }
  return list;
}

/* Whoever leaves receives nothing more, and nobody receives anything
 * more from it. */
static void
drop_subscriptions (ConvokeParticipant *p)
{
  GPtrArray *everyone = p->room->participants;

  g_ptr_array_set_size (p->subscriptions, 0);
  for (guint i = 0; everyone != NULL && i < everyone->len; i++)
    {
      ConvokeParticipant *other = g_ptr_array_index (everyone, i);

      for (guint j = other->subscriptions->len; j > 0; j--)
        if (((ConvokeSubscription *) g_ptr_array_index (other->subscriptions, j - 1))
                ->publisher
            == p)
          g_ptr_array_remove_index (other->subscriptions, j - 1);
    }
}

/* ---- participants leaving ---------------------------------------------- */

/* Marks @p gone and tells the module and the signal handlers. The
 * transport is dropped first, so nothing reaches a closing connection. */
static void
participant_disconnect (ConvokeRoomRegistry *self, ConvokeParticipant *p)
{
  ConvokeRoom *room = p->room;
  G_GNUC_UNUSED g_autoptr (ConvokeParticipant) hold = convoke_participant_ref (p);

  if (p->status != CONVOKE_PARTICIPANT_CONNECTED)
    return;
  while (p->published_tracks->len > 0)
    {
      ConvokeTrack *last
          = g_ptr_array_index (p->published_tracks, p->published_tracks->len - 1);
      convoke_participant_remove_track (p, last->sid);
    }
  drop_subscriptions (p);
  p->status = CONVOKE_PARTICIPANT_DISCONNECTED;
  p->transport = NULL;
  p->end_time = g_date_time_new_now_utc ();
  convoke_registry_touch (&p->date_updated);
  convoke_registry_touch (&room->date_updated);

  if (room->module != NULL && room->module->vtable->participant_left != NULL)
    room->module->vtable->participant_left (room, room->module_data, p);
  g_signal_emit (self, convoke_room_registry_signals[SIGNAL_PARTICIPANT_DISCONNECTED], 0,
                 p);

  if (room->status == CONVOKE_ROOM_IN_PROGRESS
      && convoke_room_count_connected (room) == 0)
    convoke_room_arm_timeout (room, room->empty_room_timeout);
}

/* Closes the connection with a Twilio code, then disconnects. The close
 * may re-enter convoke_room_registry_leave(); that is harmless. */
void
convoke_participant_close (ConvokeRoomRegistry *self, ConvokeParticipant *p, int code,
                           const char *reason)
{
  const ConvokeParticipantTransport *vtable = p->transport_vtable;
  gpointer transport = p->transport;

  if (p->status != CONVOKE_PARTICIPANT_CONNECTED)
    return;
  participant_disconnect (self, p);
  if (transport != NULL && vtable != NULL && vtable->close != NULL)
    vtable->close (transport, code, reason);
}

void
convoke_room_registry_leave (ConvokeRoomRegistry *self, ConvokeParticipant *participant)
{
  g_return_if_fail (CONVOKE_IS_ROOM_REGISTRY (self));
  g_return_if_fail (participant != NULL);
  participant_disconnect (self, participant);
}

void
convoke_room_registry_kick (ConvokeRoomRegistry *self, ConvokeParticipant *participant)
{
  g_return_if_fail (CONVOKE_IS_ROOM_REGISTRY (self));
  convoke_participant_close (
      self, participant, CONVOKE_ERROR_PARTICIPANT_REMOVED,
      _ ("Participant removed from the room through the REST API"));
}

/* ---- joining ----------------------------------------------------------- */

static ConvokeRoom *
room_for_join (ConvokeRoomRegistry *self, const char *room_name, GError **error)
{
  ConvokeRoom *room = convoke_room_registry_lookup (self, room_name);
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;

  if (room != NULL)
    {
      if (room->status != CONVOKE_ROOM_IN_PROGRESS)
        {
          g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_COMPLETED,
                       _ ("Room “%s” is %s"), room->unique_name,
                       convoke_room_status_to_string (room->status));
          return NULL;
        }
      return room;
    }
  /* An unknown sid is a mistake, not a name to create a room under. */
  if (convoke_sid_is_valid (room_name, CONVOKE_SID_ROOM)
      || (convoke_config_named_room_type (convoke_room_registry_get_config (self),
                                          room_name)
              == NULL
          && !convoke_room_registry_get_config (self)->auto_create))
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_NOT_FOUND,
                   _ ("Room “%s” does not exist"), room_name);
      return NULL;
    }
  params.unique_name = room_name;
  return convoke_room_registry_create_room (self, &params, error);
}

ConvokeParticipant *
convoke_room_registry_join (ConvokeRoomRegistry *self, const char *room_name,
                            const char *identity,
                            const ConvokeParticipantTransport *vtable, gpointer transport,
                            GError **error)
{
  g_autoptr (ConvokeParticipant) participant = NULL;
  ConvokeParticipant *previous;
  ConvokeRoom *room;
  guint others;

  g_return_val_if_fail (CONVOKE_IS_ROOM_REGISTRY (self), NULL);
  if (identity == NULL || *identity == '\0' || strlen (identity) > IDENTITY_MAX_LENGTH
      || !g_utf8_validate (identity, -1, NULL))
    {
      g_set_error (
          error, CONVOKE_ERROR, CONVOKE_ERROR_PARTICIPANT_IDENTITY_INVALID,
          _ ("Participant identity is invalid: it must be 1 to %d bytes of UTF-8"),
          IDENTITY_MAX_LENGTH);
      return NULL;
    }
  if (room_name == NULL || *room_name == '\0')
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_NAME_INVALID,
                   _ ("No room named: give a room in the join message or the token"));
      return NULL;
    }
  room = room_for_join (self, room_name, error);
  if (room == NULL)
    return NULL;

  /* A rejoining identity replaces its old connection, so it does not count
   * against the limit. */
  previous = convoke_room_find_participant (room, identity, TRUE);
  others = convoke_room_count_connected (room) - (previous != NULL ? 1 : 0);
  if (others >= room->max_participants)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_EXCEEDED,
                   _ ("Room “%s” is full: it allows %u participants"), room->unique_name,
                   room->max_participants);
      return NULL;
    }

  participant = g_new0 (ConvokeParticipant, 1);
  g_atomic_ref_count_init (&participant->ref);
  participant->sid = convoke_sid_new (CONVOKE_SID_PARTICIPANT);
  participant->identity = g_strdup (identity);
  participant->room = room;
  participant->status = CONVOKE_PARTICIPANT_CONNECTED;
  participant->start_time = g_date_time_new_now_utc ();
  participant->date_updated = g_date_time_ref (participant->start_time);
  participant->published_tracks
      = g_ptr_array_new_with_free_func ((GDestroyNotify) track_free);
  participant->subscriptions
      = g_ptr_array_new_with_free_func ((GDestroyNotify) subscription_free);
  participant->transport_vtable = vtable;
  participant->transport = transport;

  if (room->module->vtable->participant_admit != NULL
      && !room->module->vtable->participant_admit (room, room->module_data, participant,
                                                   error))
    return NULL;

  if (previous != NULL)
    convoke_participant_close (self, previous,
                               CONVOKE_ERROR_PARTICIPANT_DUPLICATE_IDENTITY,
                               _ ("Another connection joined with the same identity"));

  g_ptr_array_add (room->participants, convoke_participant_ref (participant));
  room->ever_joined = TRUE;
  g_clear_handle_id (&room->timeout_source, g_source_remove);
  convoke_registry_touch (&room->date_updated);
  if (room->module->vtable->participant_joined != NULL)
    room->module->vtable->participant_joined (room, room->module_data, participant);
  g_debug ("room %s: %s joined as %s", room->sid, identity, participant->sid);
  g_signal_emit (self, convoke_room_registry_signals[SIGNAL_PARTICIPANT_CONNECTED], 0,
                 participant);
  return participant; /* borrowed: the room keeps its reference */
}

gboolean
convoke_room_registry_dispatch (ConvokeRoomRegistry *self, ConvokeParticipant *from,
                                const char *type, JsonObject *message, GError **error)
{
  ConvokeRoom *room;

  g_return_val_if_fail (CONVOKE_IS_ROOM_REGISTRY (self), FALSE);
  g_return_val_if_fail (from != NULL && type != NULL && message != NULL, FALSE);
  room = from->room;
  if (from->status != CONVOKE_PARTICIPANT_CONNECTED
      || room->status != CONVOKE_ROOM_IN_PROGRESS)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("Message “%s” ignored: the participant is no longer in the room"),
                   type);
      return FALSE;
    }
  if (room->module->vtable->handle_message == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("Rooms of type “%s” do not handle “%s” messages"), room->type->name,
                   type);
      return FALSE;
    }
  return room->module->vtable->handle_message (room, room->module_data, from, type,
                                               message, error);
}
