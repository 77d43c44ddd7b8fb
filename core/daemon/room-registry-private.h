/* Shared between room-registry.c (rooms) and room-participants.c
 * (participants and tracks); not an API.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "room-registry.h"

G_BEGIN_DECLS

enum
{
  SIGNAL_ROOM_CREATED,
  SIGNAL_ROOM_ENDED,
  SIGNAL_PARTICIPANT_CONNECTED,
  SIGNAL_PARTICIPANT_DISCONNECTED,
  SIGNAL_TRACK_ADDED,
  SIGNAL_TRACK_REMOVED,
  SIGNAL_TRACK_UPDATED,
  SIGNAL_SUBSCRIPTIONS_CHANGED,
  N_SIGNALS
};

extern guint convoke_room_registry_signals[N_SIGNALS];

void convoke_registry_touch (GDateTime **date_updated);
/* (Re)starts the room's empty/unused timer: it ends the room after
 * @minutes unless somebody is connected by then. */
void convoke_room_arm_timeout (ConvokeRoom *room, guint minutes);
/* Disconnects @p, then closes its connection with a Twilio @code. */
void convoke_participant_close (ConvokeRoomRegistry *self, ConvokeParticipant *p,
                                int code, const char *reason);

G_END_DECLS
