/* The worker side of the group topology module: the media path of one
 * group room, inside convoke-room-worker. modules/group/daemon/group.c puts
 * these four functions in the module descriptor.
 *
 * The room's pipeline holds one convokerouter and, per participant, a
 * GroupTransport (ICE, DTLS-SRTP) linked to it. The worker writes the SDP
 * (the server offers; client offers are answered), follows the messages
 * of docs/worker-protocol.md ("Group module bodies") and reports
 * per-participant failures as `error` events without disturbing the rest
 * of the room. docs/group-media.md describes the behaviour and the
 * options it reads.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <convoke/topology.h>

G_BEGIN_DECLS

gboolean convoke_group_worker_setup (ConvokeWorker *worker, const ConvokeWorkerApi *api,
                                     GstPipeline *pipeline, gpointer *worker_data,
                                     GError **error);
void convoke_group_worker_handle_message (ConvokeWorker *worker, gpointer worker_data,
                                          JsonObject *message);
void convoke_group_worker_teardown (ConvokeWorker *worker, gpointer worker_data);
/* In a pooled worker, before it has a room: loads the plugins a
 * participant's transport uses and makes dtlsdec's process-wide agent. */
void convoke_group_worker_warm_up (void);

G_END_DECLS
