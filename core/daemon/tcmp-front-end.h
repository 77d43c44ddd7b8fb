/* The second signaling front end: Twilio's SDK protocol (TCMP v2 framing
 * carrying RSP v2 room signaling) at GET /signaling, so that apps built
 * on twilio-video.js join unchanged (docs/twilio-video-sdk.md).
 *
 * The front end owns the TCMP layer: `hello`/`welcome`, heartbeats both
 * ways, `msg` envelopes, `bad`, `bye`. It checks tokens and joins rooms
 * through the same call as the native protocol
 * (convoke_signaling_server_join()), so limits, status callbacks, REST
 * and metrics see one kind of participant. Room signaling is the RSP
 * session's job (rsp-session.h); the front end keeps the sessions by id
 * so that a new socket can resume one with `sync`.
 *
 * Per-connection limits (size, rate, the deadline for `connect`) are the
 * native ones: the connections are ConvokeSignalingConnections in the TCMP
 * dialect. A participant that got a size or rate `error` (53009, 53010)
 * leaves as soon as its socket closes, as after an RSP refusal, instead of
 * waiting for `sync`: the SDK never resumes after an `error`. Main loop
 * only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon.h"
#include "signaling-connection.h"

G_BEGIN_DECLS

#define CONVOKE_TCMP_PATH "/signaling"

typedef struct _ConvokeTcmpFrontEnd ConvokeTcmpFrontEnd;
struct _ConvokeSignalingServer;

ConvokeTcmpFrontEnd *convoke_tcmp_front_end_new (struct _ConvokeSignalingServer *server,
                                                 ConvokeDaemon *daemon);
/* Every session leaves its room and every socket is closed (1001). */
void convoke_tcmp_front_end_free (ConvokeTcmpFrontEnd *self);

/* A new WebSocket at CONVOKE_TCMP_PATH: sets @conn's dialect and serves
 * it until it closes. */
void convoke_tcmp_front_end_attach (ConvokeTcmpFrontEnd *self,
                                    ConvokeSignalingConnection *conn);

G_END_DECLS
