/* Counters served at GET /metrics in Prometheus text format.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "room-registry.h"

G_BEGIN_DECLS

typedef struct _ConvokeMetrics ConvokeMetrics;

ConvokeMetrics *convoke_metrics_new (ConvokeRoomRegistry *registry);
void convoke_metrics_free (ConvokeMetrics *self);
/* Counts an error returned to a user, by Twilio code and surface
 * ("rest" or "signaling"). */
void convoke_metrics_count_error (ConvokeMetrics *self, const char *surface, int code);
/* The exposition text. */
char *convoke_metrics_render (ConvokeMetrics *self);
/* Cluster mode: every sample carries node="@node_id" (NULL: none). */
void convoke_metrics_set_node (ConvokeMetrics *self, const char *node_id);

G_END_DECLS
