/* The ICE servers a participant is told about in `joined`: the STUN
 * server from [media] stun-server, and the TURN servers from [turn] with
 * time-limited credentials in the TURN REST API scheme that coturn's
 * use-auth-secret accepts (username "<expiry>:<identity>", password
 * base64(HMAC-SHA1(secret, username))).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "config-file.h"

G_BEGIN_DECLS

/* A JSON array of RTCIceServer-shaped objects ({"urls":[…]} plus, for
 * TURN, "username" and "credential") for @identity, with credentials that
 * expire [turn] ttl seconds after @now (unix seconds). The array is empty
 * when neither STUN nor TURN is configured. */
JsonNode *convoke_ice_servers_for (ConvokeConfig *config, const char *identity,
                                   gint64 now);

/* base64(HMAC-SHA1(@secret, @username)): the TURN REST API password. */
char *convoke_turn_password (const char *secret, const char *username);

G_END_DECLS
