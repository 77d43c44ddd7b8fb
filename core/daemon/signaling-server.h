/* The WebSocket signaling endpoint (docs/signaling.md).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon.h"

G_BEGIN_DECLS

typedef struct _ConvokeSignalingServer ConvokeSignalingServer;

/* Adds the /v1/Signaling WebSocket handler to @server. */
ConvokeSignalingServer *convoke_signaling_server_new (ConvokeDaemon *daemon, SoupServer *server);
/* Closes every connection (1001) and frees the server. */
void convoke_signaling_server_free (ConvokeSignalingServer *self);

G_END_DECLS
