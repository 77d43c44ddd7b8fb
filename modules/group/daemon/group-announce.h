/* The daemon side of the dominant speaker and network quality: the
 * participants' opt-in flags go to the worker with add-participant, and
 * the worker's `dominant-speaker` and `network-quality` events become
 * signaling messages to the participants that opted in, and to no one
 * else (docs/signaling.md, docs/group-rooms.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <convoke/topology.h>

G_BEGIN_DECLS

typedef struct _GroupAnnounce GroupAnnounce;

GroupAnnounce *group_announce_new (const ConvokeCoreApi *core);
void group_announce_free (GroupAnnounce *announce);

/* Adds @participant's opt-in flags to its add-participant @command. */
void group_announce_add_flags (GroupAnnounce *announce, ConvokeParticipant *participant,
                               JsonObject *command);
/* A newcomer that opted in learns the current speaker and levels. */
void group_announce_joined (GroupAnnounce *announce, ConvokeParticipant *participant);
void group_announce_left (GroupAnnounce *announce, ConvokeParticipant *participant);
/* Handles a worker event of @room if it is one of ours; FALSE otherwise. */
gboolean group_announce_worker_event (GroupAnnounce *announce, ConvokeRoom *room,
                                      const char *name, JsonObject *event);

G_END_DECLS
