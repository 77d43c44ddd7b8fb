/* TURN for the media workers themselves ([media] worker-turn): the
 * `set-options` control message that gives a worker the [turn] servers and
 * short-lived credentials of its own, sent when it starts and again every
 * half ttl so that a participant who joins hours later still gets a relay
 * (coturn checks a credential's expiry at each new allocation).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "config-file.h"

G_BEGIN_DECLS

/* The TURN REST API identity of the worker of @room_sid: "worker-RM…". */
char *convoke_worker_turn_identity (const char *room_sid);

/* `{"type":"set-options","options":{…}}` for the worker of @room_sid at
 * unix time @now: turn-servers (the [turn] urls joined with ";"),
 * turn-username and turn-password when @config has worker-turn, else the
 * same keys set to null, which removes them from a worker that had them
 * before a reload. */
JsonObject *convoke_worker_turn_message (ConvokeConfig *config, const char *room_sid,
                                         gint64 now);

/* How long until the credentials just sent should be replaced: half the
 * ttl. CONVOKE_WORKER_TURN_REFRESH_MS overrides it, for tests only. */
guint convoke_worker_turn_refresh_ms (ConvokeConfig *config);

G_END_DECLS
