/* POST /v1/Tokens: Twilio's Network Traversal Service token, answered
 * with short-lived TURN credentials for the servers of [turn] urls.
 * docs/rest-api.md and docs/turn.md describe the resource.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "rest-private.h"

G_BEGIN_DECLS

/* Twilio's limit on Ttl: "configurable up to 24 hours". */
#define CONVOKE_REST_TOKEN_TTL_MAX 86400

/* Requests whose first segment below /v1 is "Tokens". */
void convoke_rest_handle_tokens (ConvokeRestRequest *req);

G_END_DECLS
