/* What the end-to-end recording tests share: a daemon whose config
 * records, a status callback receiver, and REST and /proc helpers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "group-client.h"
#include "rest-test-util.h"

G_BEGIN_DECLS

/* Collects status callbacks on 127.0.0.1 and an ephemeral port. */
typedef struct
{
  SoupServer *server;
  char *url;
  GPtrArray *calls; /* GHashTable* of the form parameters, in arrival order */
} CallbackReceiver;

CallbackReceiver *callback_receiver_new (void);
void callback_receiver_free (CallbackReceiver *receiver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallbackReceiver, callback_receiver_free)
/* Calls whose StatusCallbackEvent is @event. */
guint callback_receiver_count (CallbackReceiver *receiver, const char *event);
/* The call of @event for recording @sid, or NULL. */
GHashTable *callback_receiver_find (CallbackReceiver *receiver, const char *event,
                                    const char *recording_sid);

typedef struct
{
  TestDaemon *daemon;
  char *dir;           /* temp dir for keys and client stats */
  char *recording_dir; /* [recording] dir */
  char *private_key;   /* NULL unless encrypting */
  char *public_key;
  CallbackReceiver *receiver;
  char *config;
} RecordingFixture;

/* A daemon with [recording] dir set (and public-key when @encrypt). */
RecordingFixture *recording_fixture_new (gboolean encrypt);
void recording_fixture_free (RecordingFixture *fixture);
/* Stops the daemon (SIGTERM) and starts a new one with the same config. */
void recording_fixture_restart (RecordingFixture *fixture);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RecordingFixture, recording_fixture_free)

/* POST /v1/Rooms: a group room named @name with a StatusCallback to the
 * fixture's receiver; returns its sid. */
char *recording_fixture_create_room (RecordingFixture *fixture, const char *name,
                                     gboolean record);
/* Starts @count clients in @room. */
GPtrArray *recording_fixture_start_clients (RecordingFixture *fixture, const char *room,
                                            guint count);

/* GET @path (expects 200); the JSON body. */
JsonNode *recording_fixture_get (RecordingFixture *fixture, const char *path);
/* The room's recordings once none is processing any more (waits up to
 * @timeout_ms, spinning the main context so callbacks arrive). Every
 * @timeout_ms here is a deadline, a base figure that test_wait_until
 * scales. */
JsonArray *recording_fixture_wait_recordings (RecordingFixture *fixture,
                                              const char *room_sid, guint expected,
                                              guint timeout_ms);
/* Waits until @count calls of @event arrived. */
gboolean recording_fixture_wait_callbacks (RecordingFixture *fixture, const char *event,
                                           guint count, guint timeout_ms);
/* The participant sid of @identity in room @room_sid. */
char *recording_fixture_participant_sid (RecordingFixture *fixture, const char *room_sid,
                                         const char *identity);

/* The pid of room @sid's worker (a child of the daemon), or 0. */
pid_t recording_fixture_worker (RecordingFixture *fixture, const char *sid);

/* Spins the main context for @ms milliseconds: talk time, a pause, not a
 * deadline, so not scaled (test_watch_for). */
void recording_fixture_sleep (guint ms);

G_END_DECLS
