/* The REST API: a compatible subset of Twilio Video v1 (docs/rest-api.md).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon.h"

G_BEGIN_DECLS

/* Registers /v1/Rooms…, /healthz, /metrics and (with dev-tokens) /dev/token
 * handlers on @server. */
void convoke_rest_api_register (ConvokeDaemon *daemon, SoupServer *server);

G_END_DECLS
