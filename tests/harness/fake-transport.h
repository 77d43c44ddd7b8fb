/* Test helper: a participant's signaling connection played by the test,
 * for tests that drive the room registry or the core API directly. It
 * keeps what the core sends and how it closed the connection.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "room-registry.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean trickle; /* what test_fake_transport_trickle_vtable answers */
  GPtrArray *sent;  /* char*: each message as serialised when sent; NULL: dropped */
  int close_code;
  char *close_reason;
  guint closes;
} TestFakeTransport;

/* send and close: a transport that predates the trickle flag (the core
 * then takes the client to trickle). */
extern const ConvokeParticipantTransport test_fake_transport_vtable;
/* The same, with get_trickle answering @trickle. */
extern const ConvokeParticipantTransport test_fake_transport_trickle_vtable;

/* For a transport in a struct or array of the test's: start keeping sent
 * messages, and free what it kept. */
void test_fake_transport_init (TestFakeTransport *transport);
void test_fake_transport_clear (TestFakeTransport *transport);

TestFakeTransport *test_fake_transport_new (void);
void test_fake_transport_free (TestFakeTransport *transport);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestFakeTransport, test_fake_transport_free)

G_END_DECLS
