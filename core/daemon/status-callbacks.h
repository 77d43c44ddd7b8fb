/* Twilio-style status callbacks: form-encoded POSTs with X-Twilio-Signature,
 * sent without blocking the main loop, retried with back-off.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "daemon.h"

G_BEGIN_DECLS

typedef struct _ConvokeStatusCallbacks ConvokeStatusCallbacks;

/* Subscribes to the registry's signals and posts events for rooms that have
 * a StatusCallback. */
ConvokeStatusCallbacks *convoke_status_callbacks_new (ConvokeDaemon *daemon);
void convoke_status_callbacks_free (ConvokeStatusCallbacks *self);

/* Cluster mode: the callbacks of a room whose node died, sent from this
 * node: participant-disconnected for each of @connected ({"sid",
 * "identity", "start_time"}; may be NULL), then room-ended (failed).
 * @room is the room's REST resource as its node last wrote it, already
 * marked failed; @callback its {"url", "method", "sequence"} (cluster.h).
 * Nothing is sent without a url. */
void convoke_status_callbacks_room_failed_elsewhere (ConvokeStatusCallbacks *self,
                                                    JsonObject *room, JsonObject *callback,
                                                    JsonArray *connected);

/* Twilio's signature: base64(HMAC-SHA1(auth_token, url + sorted k+v…)). */
char *convoke_twilio_signature (const char *secret, const char *url, GHashTable *params);

G_END_DECLS
