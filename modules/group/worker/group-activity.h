/* Dominant speaker and network quality on the worker side: who asked
 * for them (the `dominant-speaker` and `network-quality` flags of
 * add-participant), turning convokerouter's detection on while anyone
 * has, and the router's notices as `dominant-speaker` and
 * `network-quality` events to the daemon (docs/worker-protocol.md).
 *
 * Main-loop thread only, except for the router's signal handlers, which
 * hand over to it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "group-media-room.h"

G_BEGIN_DECLS

typedef struct _GroupActivity GroupActivity;

/* Connects to @room's router; free before the router goes. */
GroupActivity *group_activity_new (GroupMediaRoom *room);
void group_activity_free (GroupActivity *activity);
/* @sid joined with the flags of @command (add-participant). */
void group_activity_participant_added (GroupActivity *activity, const char *sid,
                                       JsonObject *command);
void group_activity_participant_removed (GroupActivity *activity, const char *sid);

G_END_DECLS
