/* The daemon's TCP listener, in front of libsoup: it accepts connections
 * itself and hands them to the SoupServer, so that it can
 *  - keep accepting after the process ran out of file descriptors
 *    (libsoup 3.2's listener removes its source on any accept error and
 *    never accepts again);
 *  - close a connection that takes longer than [server] header-timeout to
 *    send a request's headers (or stays idle that long between requests)
 *    or longer than body-timeout to send its body;
 *  - hold at most [server] max-unauthenticated-connections connections
 *    that have not authenticated, closing the oldest to make room.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "daemon.h"

G_BEGIN_DECLS

typedef struct _ConvokeHttpListener ConvokeHttpListener;
/* One accepted connection. Reference-counted; outlives its socket. */
typedef struct _ConvokeHttpClient ConvokeHttpClient;

/* Binds @address and starts accepting on the thread-default main context,
 * serving every connection with @server. The limits are read from
 * @daemon's config for each connection, so a reload applies to new ones. */
ConvokeHttpListener *convoke_http_listener_new (ConvokeDaemon *daemon, SoupServer *server,
                                                GSocketAddress *address, GError **error);
/* Stops accepting. Connections already accepted stay with @server. */
void convoke_http_listener_free (ConvokeHttpListener *self);

/* The connection @msg arrived on, or NULL (transfer none). */
ConvokeHttpClient *convoke_http_listener_lookup (ConvokeHttpListener *self,
                                                 SoupServerMessage *msg);
/* @msg already holds its whole answer: a refusal (401, 413, a bad
 * Content-Length) decided from its headers, or from the first chunks of
 * an over-limit body. Sends that answer at once, without waiting for the
 * rest of the body, then closes the connection after a short lingering
 * close (the client's remaining bytes are drained, never stored or
 * parsed). Does nothing when @msg has no body still to come. Call it
 * from a got-headers or got-chunk handler. */
void convoke_http_listener_answer_before_body (ConvokeHttpListener *self,
                                               SoupServerMessage *msg);
/* The connection proved who it is (valid REST credentials, a signaling
 * join): it no longer counts against max-unauthenticated-connections. */
void convoke_http_client_set_authenticated (ConvokeHttpClient *client);
/* No more header or body deadline: the caller took the connection over. */
void convoke_http_client_clear_deadline (ConvokeHttpClient *client);

ConvokeHttpClient *convoke_http_client_ref (ConvokeHttpClient *client);
void convoke_http_client_unref (ConvokeHttpClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeHttpClient, convoke_http_client_unref)

/* Raises the soft RLIMIT_NOFILE to the hard one; logs what it did. */
void convoke_http_raise_fd_limit (void);

G_END_DECLS
