/* The core side of the topology module API.
 *
 * ConvokeRoom and ConvokeParticipant are opaque to modules but are the
 * registry's own structs (same tags), so most entries just read a field.
 * Anything that changes state goes through the registry so that its
 * signals (status callbacks, metrics) see module-driven changes too.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core-api.h"

#include "i18n.h"
#include "room-participants.h"
#include "room-registry.h"
#include "twilio-error.h"
#include "worker-supervisor.h"

static const char *
core_room_get_sid (ConvokeRoom *room)
{
  g_return_val_if_fail (room != NULL, NULL);
  return room->sid;
}

static const char *
core_room_get_name (ConvokeRoom *room)
{
  g_return_val_if_fail (room != NULL, NULL);
  return room->unique_name;
}

static const char *
core_room_get_type (ConvokeRoom *room)
{
  g_return_val_if_fail (room != NULL, NULL);
  return room->type != NULL ? room->type->name : NULL;
}

static guint
core_room_get_max_participants (ConvokeRoom *room)
{
  g_return_val_if_fail (room != NULL, 0);
  return room->max_participants;
}

static const char *
core_room_get_option (ConvokeRoom *room, const char *key)
{
  g_return_val_if_fail (room != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  /* The room keeps the type it was created with, so the answer stays the
   * same for the room's whole life even across config reloads. */
  if (room->type == NULL || room->type->options == NULL)
    return NULL;
  return g_hash_table_lookup (room->type->options, key);
}

static GList *
core_room_list_participants (ConvokeRoom *room)
{
  GList *connected = NULL;

  g_return_val_if_fail (room != NULL, NULL);

  /* room->participants also holds everyone who ever left (for REST); a
   * module relaying media or signaling only cares about who is there. */
  for (guint i = room->participants->len; i > 0; i--)
    {
      ConvokeParticipant *participant = g_ptr_array_index (room->participants, i - 1);

      if (participant->status == CONVOKE_PARTICIPANT_CONNECTED)
        connected = g_list_prepend (connected, participant);
    }
  return connected;
}

static ConvokeParticipant *
core_room_find_participant (ConvokeRoom *room, const char *sid)
{
  g_return_val_if_fail (room != NULL, NULL);

  /* Only sids, never identities: a `to` from a client must name exactly
   * one connection, and an identity can be reused by a newer connection. */
  if (sid == NULL)
    return NULL;
  for (guint i = 0; i < room->participants->len; i++)
    {
      ConvokeParticipant *participant = g_ptr_array_index (room->participants, i);

      if (participant->status == CONVOKE_PARTICIPANT_CONNECTED
          && g_strcmp0 (participant->sid, sid) == 0)
        return participant;
    }
  return NULL;
}

static const char *
core_participant_get_sid (ConvokeParticipant *participant)
{
  g_return_val_if_fail (participant != NULL, NULL);
  return participant->sid;
}

static const char *
core_participant_get_identity (ConvokeParticipant *participant)
{
  g_return_val_if_fail (participant != NULL, NULL);
  return participant->identity;
}

static void
core_participant_send (ConvokeParticipant *participant, JsonObject *message)
{
  g_return_if_fail (participant != NULL);
  g_return_if_fail (message != NULL);
  convoke_participant_send (participant, message);
}

static void
core_participant_send_error (ConvokeParticipant *participant, int code,
                             const char *message)
{
  g_return_if_fail (participant != NULL);
  convoke_participant_send_error (participant, code, message);
}

static void
core_participant_disconnect (ConvokeParticipant *participant, int code,
                             const char *reason)
{
  /* Leaving drops the room's reference and may make the signaling server
   * drop its own; hold one until we are done. */
  g_autoptr (ConvokeParticipant) hold = NULL;
  const ConvokeParticipantTransport *vtable;
  gpointer transport;

  g_return_if_fail (participant != NULL);

  if (participant->status != CONVOKE_PARTICIPANT_CONNECTED)
    return;
  hold = convoke_participant_ref (participant);
  vtable = participant->transport_vtable;
  transport = participant->transport;

  /* Leave first, as the registry's own kick does: leaving detaches the
   * transport, so nothing (participant-disconnected notices, messages sent
   * from participant_left()) is queued on a connection being closed. */
  if (participant->room != NULL && participant->room->registry != NULL)
    convoke_room_registry_leave (participant->room->registry, participant);
  if (transport != NULL && vtable != NULL && vtable->close != NULL)
    vtable->close (transport, code, reason);
}

static gboolean
core_worker_send (ConvokeRoom *room, JsonObject *message, GError **error)
{
  g_return_val_if_fail (room != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (room->worker == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                   _ ("Room %s has no media worker: its module does not use one, or "
                      "the worker has exited"),
                   room->sid);
      return FALSE;
    }
  return convoke_worker_send (room->worker, message, error);
}

static GQuark
core_error_quark (void)
{
  return CONVOKE_ERROR;
}

static gboolean
core_participant_get_trickle (ConvokeParticipant *participant)
{
  const ConvokeParticipantTransport *vtable;

  g_return_val_if_fail (participant != NULL, TRUE);
  vtable = participant->transport_vtable;
  /* The protocol's default, for transports that have no flag. */
  if (participant->transport == NULL || vtable == NULL || vtable->get_trickle == NULL)
    return TRUE;
  return vtable->get_trickle (participant->transport);
}

static gboolean
core_participant_get_reuses_mlines (ConvokeParticipant *participant)
{
  const ConvokeParticipantTransport *vtable;

  g_return_val_if_fail (participant != NULL, FALSE);
  vtable = participant->transport_vtable;
  if (participant->transport == NULL || vtable == NULL || vtable->get_reuses_mlines == NULL)
    return FALSE;
  return vtable->get_reuses_mlines (participant->transport);
}

static gboolean
core_participant_get_join_flag (ConvokeParticipant *participant, const char *feature)
{
  const ConvokeParticipantTransport *vtable;

  g_return_val_if_fail (participant != NULL && feature != NULL, FALSE);
  vtable = participant->transport_vtable;
  if (participant->transport == NULL || vtable == NULL || vtable->get_join_flag == NULL)
    return FALSE;
  return vtable->get_join_flag (participant->transport, feature);
}

/* The signaling protocol's limit on track names (docs/signaling.md). */
#define TRACK_NAME_MAX_CHARS 128

static const char *
core_participant_publish_track (ConvokeParticipant *participant, const char *name,
                                const char *kind)
{
  ConvokeTrack *track;

  g_return_val_if_fail (participant != NULL, NULL);

  if (name != NULL && *name == '\0')
    name = NULL;
  if (kind == NULL
      || (name != NULL
          && (!g_utf8_validate (name, -1, NULL)
              || g_utf8_strlen (name, -1) > TRACK_NAME_MAX_CHARS)))
    return NULL;
  for (guint i = 0; i < participant->published_tracks->len; i++)
    {
      ConvokeTrack *existing = g_ptr_array_index (participant->published_tracks, i);

      /* A module publishes what it sees; the client may have announced
       * the same media already, and that announcement is the one kept. */
      if (g_str_equal (existing->kind, kind)
          || (name != NULL && g_str_equal (existing->name, name)))
        return NULL;
    }
  /* Checks the kind and that the participant is connected, and tells
   * REST, status callbacks and the other participants. */
  track = convoke_participant_add_track (participant, name, kind);
  return track != NULL ? track->sid : NULL;
}

static gboolean
core_participant_unpublish_track (ConvokeParticipant *participant, const char *track_sid)
{
  g_return_val_if_fail (participant != NULL, FALSE);
  return convoke_participant_remove_track (participant, track_sid);
}

static gboolean
core_participant_subscribe_track (ConvokeParticipant *subscriber,
                                  ConvokeParticipant *publisher, const char *kind)
{
  g_return_val_if_fail (subscriber != NULL, FALSE);
  g_return_val_if_fail (publisher != NULL, FALSE);
  return convoke_participant_subscribe (subscriber, publisher, kind);
}

static gboolean
core_participant_unsubscribe_track (ConvokeParticipant *subscriber,
                                    ConvokeParticipant *publisher, const char *kind)
{
  g_return_val_if_fail (subscriber != NULL, FALSE);
  g_return_val_if_fail (publisher != NULL, FALSE);
  return convoke_participant_unsubscribe (subscriber, publisher, kind);
}

G_STATIC_ASSERT (sizeof (ConvokeCoreApi) <= G_MAXUINT32);

static const ConvokeCoreApi core_api = {
  .abi_version = CONVOKE_TOPOLOGY_ABI_VERSION,
  .struct_size = sizeof (ConvokeCoreApi),

  .room_get_sid = core_room_get_sid,
  .room_get_name = core_room_get_name,
  .room_get_type = core_room_get_type,
  .room_get_max_participants = core_room_get_max_participants,
  .room_get_option = core_room_get_option,
  .room_list_participants = core_room_list_participants,
  .room_find_participant = core_room_find_participant,

  .participant_get_sid = core_participant_get_sid,
  .participant_get_identity = core_participant_get_identity,
  .participant_send = core_participant_send,
  .participant_send_error = core_participant_send_error,
  .participant_disconnect = core_participant_disconnect,

  .worker_send = core_worker_send,

  .error_quark = core_error_quark,

  .participant_get_trickle = core_participant_get_trickle,
  .participant_get_reuses_mlines = core_participant_get_reuses_mlines,
  .participant_get_join_flag = core_participant_get_join_flag,
  .participant_publish_track = core_participant_publish_track,
  .participant_unpublish_track = core_participant_unpublish_track,
  .participant_subscribe_track = core_participant_subscribe_track,
  .participant_unsubscribe_track = core_participant_unsubscribe_track,
};

const ConvokeCoreApi *
convoke_core_api_get (void)
{
  return &core_api;
}
