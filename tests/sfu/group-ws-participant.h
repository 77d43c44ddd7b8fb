/* A bare signaling participant for the group-room tests: a libsoup
 * WebSocket speaking docs/signaling.md, recording every message and how
 * the connection ended. No media.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-daemon.h"

G_BEGIN_DECLS

typedef struct
{
  SoupWebsocketConnection *connection;
  GPtrArray *messages; /* JsonObject*, in arrival order */
  char *sid;           /* from `joined` */
  gboolean closed;
  gushort close_code;
} GroupWsParticipant;

/* Connects and sends `join` for @room as @identity, without waiting for
 * the answer (which may be a refusal). */
GroupWsParticipant *group_ws_connect (TestDaemon *d, const char *room,
                                      const char *identity);
/* Connects, joins @room as @identity and waits for `joined`; fails the
 * test when the join is refused. */
GroupWsParticipant *group_ws_join (TestDaemon *d, const char *room, const char *identity);
/* The same, as a client that sends `"trickle": false`. */
GroupWsParticipant *group_ws_join_non_trickle (TestDaemon *d, const char *room,
                                               const char *identity);
void group_ws_send (GroupWsParticipant *p, const char *json);
/* The first message of @type received at or after index *@from (which is
 * advanced past it), waiting up to @timeout_ms (a deadline: a base figure,
 * scaled by test_wait_until); NULL on timeout. @from may be NULL (search
 * from the start). */
JsonObject *group_ws_wait (GroupWsParticipant *p, const char *type, guint *from,
                           guint timeout_ms);
/* The same for a message that must not come: watches for @window_ms, an
 * observation window that is not scaled (test_watch_for). */
JsonObject *group_ws_watch (GroupWsParticipant *p, const char *type, guint *from,
                            guint window_ms);
/* Waits until the server closed the connection (@timeout_ms: scaled). */
gboolean group_ws_wait_closed (GroupWsParticipant *p, guint timeout_ms);
void group_ws_free (GroupWsParticipant *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GroupWsParticipant, group_ws_free)

G_END_DECLS
