/* Test helper: a scripted signaling server (libsoup) that speaks to one
 * client at a time, so tests can play the server's part of
 * docs/signaling.md message by message, including the wrong ones.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _FakeSignaling FakeSignaling;

/* Listens on 127.0.0.1 and an ephemeral port. */
FakeSignaling *fake_signaling_new (void);
void fake_signaling_free (FakeSignaling *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeSignaling, fake_signaling_free)

/* "http://127.0.0.1:PORT" */
const char *fake_signaling_url (FakeSignaling *server);
/* The subprotocol the client asked for in its handshake. */
const char *fake_signaling_requested_protocols (FakeSignaling *server);

/* Spins the default main context until the next message of @type (NULL:
 * any) arrives, and returns it (the caller owns it). Messages of other
 * types received meanwhile stay queued. NULL after @timeout_ms (a
 * deadline: a base figure, scaled by test_wait_until). */
JsonObject *fake_signaling_wait_message (FakeSignaling *server, const char *type,
                                         guint timeout_ms);
/* The same for a message that must not come: watches for @window_ms, an
 * observation window that is not scaled (test_watch_for). */
JsonObject *fake_signaling_watch_message (FakeSignaling *server, const char *type,
                                          guint window_ms);
/* The oldest queued message of @type without waiting, or NULL. */
JsonObject *fake_signaling_pop_message (FakeSignaling *server, const char *type);
/* Every message received so far and not yet waited for, oldest first;
 * the caller frees the list with g_list_free_full (…, json_object_unref). */
GList *fake_signaling_take_messages (FakeSignaling *server);
gboolean fake_signaling_connected (FakeSignaling *server);
/* Whether the client closed the socket, and with which code. */
gboolean fake_signaling_closed (FakeSignaling *server, gushort *code);

void fake_signaling_send (FakeSignaling *server, JsonObject *message);
void fake_signaling_send_text (FakeSignaling *server, const char *text);
void fake_signaling_send_binary (FakeSignaling *server, const void *data, gsize size);
void fake_signaling_close (FakeSignaling *server, gushort code);

/* A `joined` answer for @topology, with @participants (JSON text of an
 * array, NULL: empty). */
JsonObject *fake_signaling_joined (const char *participant_sid, const char *identity,
                                   const char *topology, const char *participants);
/* Parses @text as a JSON object; asserts on failure. */
JsonObject *fake_json_object (const char *text);

G_END_DECLS
