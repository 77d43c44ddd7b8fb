/* For the targets that speak to convoked (REST, signaling): one
 * ConvokeDaemon inside the fuzzer process, and HTTP exchanges with it over
 * Unix socketpairs handed to its SoupServer, so no input goes over a
 * network (the daemon itself listens on 127.0.0.1 and an ephemeral port,
 * which nothing connects to).
 *
 * Every room type of the fuzz config uses the mesh module (fuzz-tcmp:
 * its group types use the stand-in SFU of modules/fuzzsfu.c), so no input
 * starts a media worker.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "daemon.h"

#define FUZZ_API_KEY "SK00000000000000000000000000000001"
#define FUZZ_API_SECRET "fuzz-secret-0123456789abcdef"
#define FUZZ_ACCOUNT_SID "AC00000000000000000000000000000001"

/* The daemon of the current input, started on first use (aborts on
 * failure). */
ConvokeDaemon *fuzz_daemon_get (void);

/* One client connection to the daemon's SoupServer. */
typedef struct _FuzzClient FuzzClient;

FuzzClient *fuzz_client_connect (void);
/* Closes the client's end and lets the daemon drop the connection. */
void fuzz_client_free (FuzzClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FuzzClient, fuzz_client_free)

/* With FUZZ_VERBOSE set: prints what went each way, to stderr. */
void fuzz_client_log (FuzzClient *client);
/* Everything the daemon sent so far (the first 1 MiB of it). */
GByteArray *fuzz_client_received (FuzzClient *client);
/* Queues @length bytes; they are written while waiting below. */
void fuzz_client_send (FuzzClient *client, const void *data, gsize length);
/* Shuts the sending side down once everything queued is written. */
void fuzz_client_shutdown (FuzzClient *client);
/* Runs the daemon until the client has read @needle (NULL: until the
 * daemon closed the connection) or @timeout_ms pass. Returns whether it
 * got there. */
gboolean fuzz_client_wait (FuzzClient *client, const char *needle, guint timeout_ms);

/* Runs the daemon and moves bytes both ways for each of the @n_clients
 * @clients (NULL ones are skipped) until neither side has anything left
 * to do, or @timeout_ms pass: after it, everything the daemon had to say
 * in answer to what was sent is in fuzz_client_received(). */
void fuzz_clients_settle (FuzzClient **clients, guint n_clients, guint timeout_ms);

/* WebSocket (RFC 6455), for the signaling targets. Queues one client
 * frame: FIN, @opcode, masked with a zero key (which RFC 6455 allows and
 * which leaves the payload as it is). */
void fuzz_client_send_frame (FuzzClient *client, guint8 opcode, const void *payload,
                             gsize length);
/* The server frame at *@offset of @data: its opcode and payload, and
 * *@offset moves past it. FALSE at the end of @data or at a frame cut
 * off there. Aborts on a masked frame (servers never mask). */
gboolean fuzz_next_server_frame (const guint8 *data, gsize length, gsize *offset,
                                 guint8 *opcode, const guint8 **payload,
                                 gsize *payload_length);

/* One request and its whole response on a fresh connection (the
 * request should say "Connection: close"). */
GByteArray *fuzz_daemon_exchange (const char *request, gsize length, guint timeout_ms);

/* Stops and frees the daemon, so that the next input starts from a fresh
 * one and nothing an input did changes the outcome of another. */
void fuzz_daemon_reset (void);

/* The HTTP status code of @response, or 0 when it has no status line. */
guint fuzz_http_status (GByteArray *response);
