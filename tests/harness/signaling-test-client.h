/* A signaling client for tests: libsoup's WebSocket client, every
 * received message parsed and queued, and waits that spin the main
 * context until a message of some type (or the close) arrives.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-daemon.h"

G_BEGIN_DECLS

typedef struct
{
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GMainContext *context; /* the context the socket runs on (NULL: default) */
  GQueue received;       /* JsonObject*, oldest first */
  guint n_non_json;      /* frames that were not a JSON object */
  gboolean closed;
  gushort close_code;
  char *sid; /* after sig_client_join() */
  char *room_sid;
  GError *connect_error;
  gboolean connect_done;
} SigClient;

/* Connects to the daemon's signaling endpoint on @context (NULL: the
 * default one), or fails the test. A client whose context is never
 * iterated again after the join neither reads nor answers pings: a dead
 * peer, as far as the server can tell. */
SigClient *sig_client_connect_on (TestDaemon *d, GMainContext *context);
SigClient *sig_client_connect (TestDaemon *d);
/* Connects to another WebSocket path of the daemon (e.g. "/signaling",
 * the Twilio SDK protocol) on the default context, offering @protocol
 * (NULL: no subprotocol), or fails the test. The waits above match the
 * top-level "type" only (TCMP's "msg", "bad", "heartbeat", …). */
SigClient *sig_client_connect_path (TestDaemon *d, const char *path,
                                    const char *protocol);
void sig_client_free (SigClient *c);

void sig_client_send_text (SigClient *c, const char *text);
/* Sends the JSON built from a printf-style format. */
void sig_client_sendf (SigClient *c, const char *format, ...) G_GNUC_PRINTF (2, 3);
void sig_client_send_object (SigClient *c, JsonObject *message);

/* Every @timeout_ms here is a deadline, a base figure that these helpers
 * scale (test_scaled_ms); 0 looks only at what has already arrived. */

/* Spins @c's context until @cond is true or @timeout_ms passed. */
gboolean sig_client_spin_until (SigClient *c, gboolean (*cond) (gpointer), gpointer data,
                                guint timeout_ms);

/* The first queued message of @type, removed from the queue (owned by the
 * caller), waiting up to @timeout_ms; NULL on timeout or close. */
JsonObject *sig_client_wait_for (SigClient *c, const char *type, guint timeout_ms);
/* Waits for the close; TRUE when it came within @timeout_ms. */
gboolean sig_client_wait_closed (SigClient *c, guint timeout_ms);
/* Whether a message of @type is queued (without waiting or removing). */
gboolean sig_client_has (SigClient *c, const char *type);
/* Sends a ping with a fresh id and waits for its pong, so that everything
 * the server sent before it has arrived. */
void sig_client_sync (SigClient *c);

/* Sends join (@room may be NULL) and waits for `joined`, or fails the
 * test. Returns `joined`; sets c->sid and c->room_sid. */
JsonObject *sig_client_join (SigClient *c, const char *token, const char *room);
/* Connects and joins as @identity to @room with a token granting it. */
SigClient *sig_client_new_joined (TestDaemon *d, const char *identity, const char *room);

/* Waits for an `error`, asserts its code, returns it. */
JsonObject *sig_client_expect_error (SigClient *c, int code, guint timeout_ms);
/* Asserts that @c was closed, with @close_code, within @timeout_ms. */
void sig_client_expect_close (SigClient *c, gushort close_code, guint timeout_ms);

/* @from sends an offer with @sdp to @to, which must receive it with
 * `from` set, no `to`, and the SDP byte for byte. */
void sig_client_check_relay (SigClient *from, SigClient *to, const char *sdp);

/* A JWT signed with @secret for @payload_json (HS256), for tokens that
 * convoke_access_token_create() will not make: expired, forged. */
char *sig_make_jwt (const char *secret, const char *payload_json);

G_END_DECLS
