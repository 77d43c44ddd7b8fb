/* The WebSocket signaling endpoint (docs/signaling.md).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon.h"
#include "signaling-connection.h"

G_BEGIN_DECLS

typedef struct _ConvokeSignalingServer ConvokeSignalingServer;

/* docs/signaling.md: tokens are accepted 30 s either side of their
 * validity, for clients whose clocks drift. */
#define CONVOKE_TOKEN_CLOCK_SKEW 30

/* Adds the WebSocket handlers to @server: /v1/Signaling (the native
 * protocol) and /signaling (Twilio's SDK protocol, tcmp-front-end.h). */
ConvokeSignalingServer *convoke_signaling_server_new (ConvokeDaemon *daemon, SoupServer *server);
/* Closes every connection (1001) and frees the server. */
void convoke_signaling_server_free (ConvokeSignalingServer *self);

/* Joins a room for either protocol's front end: checks the access token
 * @jwt (20101–20107), that its grant allows @requested_room (either may be
 * a sid or a unique name; NULL: the granted room), then
 * convoke_room_registry_join() with @vtable/@transport. Returns the
 * participant (borrowed), or NULL with @error in CONVOKE_ERROR. */
ConvokeParticipant *convoke_signaling_server_join (ConvokeSignalingServer *self,
                                                   const char *jwt,
                                                   const char *requested_room,
                                                   const ConvokeParticipantTransport *vtable,
                                                   gpointer transport, GError **error);
/* @conn showed a valid token: it no longer counts as unauthenticated
 * against the listener's limits. */
void convoke_signaling_server_authenticated (ConvokeSignalingServer *self,
                                             ConvokeSignalingConnection *conn);

G_END_DECLS
