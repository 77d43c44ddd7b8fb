/* Test fixture: a real coturn (`turnserver`) on 127.0.0.1, an ephemeral
 * listening port and a private relay port range, with a generated shared
 * secret (use-auth-secret, the scheme Convoke's [turn] secret feeds) and a
 * verbose log captured to a file, plus readers for that log.
 *
 * allow-loopback-peers is on: on loopback every relay address is
 * 127.0.0.1, which coturn refuses as a peer otherwise. Tests only; the
 * production sample (data/coturn.conf) never sets it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "stun-message.h"

G_BEGIN_DECLS

#define TEST_TURN_REALM "convoke.test"

typedef struct
{
  GSubprocess *process;
  char *dir;        /* config, userdb, pid file and log; removed on stop */
  char *log_path;   /* coturn's stdout and stderr */
  char *secret;     /* static-auth-secret */
  guint16 port;     /* UDP and TCP listening port */
  guint16 tls_port; /* TLS listening port, 0 without TLS */
  guint16 relay_min, relay_max;
  char *extra_config; /* appended to the generated configuration */
} TestTurnServer;

/* Whether coturn's turnserver is on PATH (Debian package coturn); tests
 * that can run without TURN skip when it is not. */
gboolean test_turn_server_available (void);

/* Starts coturn and waits until it answers a STUN Binding request; fails
 * the test when it cannot. */
TestTurnServer *test_turn_server_start (void);
/* The same, also listening for TURN over TLS (turns:) on tls_port with a
 * freshly generated self-signed certificate. */
TestTurnServer *test_turn_server_start_tls (void);
/* Either of the above (@tls) with @extra_config (whole lines) appended to
 * coturn's configuration, e.g. "denied-peer-ip=127.0.0.2\n". */
TestTurnServer *test_turn_server_start_with (gboolean tls, const char *extra_config);
/* SIGTERM, wait, remove the temp dir. */
void test_turn_server_stop (TestTurnServer *turn);

/* A [turn] group for convoked pointing at this server (its turns: URL when
 * it has TLS, else its turn: URL over UDP), with @secret (NULL: the
 * server's own secret) and a 600 s ttl. */
char *test_turn_server_daemon_config (TestTurnServer *turn, const char *secret);

/* Sends @request from @socket (a UDP socket bound to 127.0.0.1) to the
 * server, retransmitting, and returns the response with the same
 * transaction id, or NULL after @timeout_ms (a base figure, scaled:
 * test_scaled_ms). */
TestStunMessage *test_turn_server_transact (TestTurnServer *turn, GSocket *socket,
                                            GBytes *request, guint timeout_ms);
/* A UDP socket on 127.0.0.1 and an ephemeral port. */
GSocket *test_udp_socket_new (void);

char *test_turn_server_log (TestTurnServer *turn);

/* coturn's traffic counters for one allocation, from its verbose log:
 * packets and bytes received from (rp, rb) and sent to (sp, sb) the
 * client, and the same towards the peers ("peer usage"). coturn prints
 * them every 4096 packets of a session and when the session ends, each
 * report counting since the last one; these are the sums. */
typedef struct
{
  guint64 rp, rb, sp, sb;
} TurnCounters;

typedef struct
{
  guint allocations; /* successful Allocate requests */
  guint refusals;    /* requests answered 401 or 438 */
  guint reports;     /* usage reports seen */
  TurnCounters client;
  TurnCounters peer;
  guint16 closed_local_port; /* the server port of the last session that
                              * ended, 0 while none did */
} TurnUserUsage;

/* The distinct TURN REST API user names "<expiry>:@identity" that coturn
 * granted an allocation to, in the order of their first allocation. */
GStrv test_turn_server_allocated_usernames (TestTurnServer *turn, const char *identity);

/* What the log says about the users whose TURN REST API user name is
 * "<expiry>:@identity". */
void test_turn_server_usage (TestTurnServer *turn, const char *identity,
                             TurnUserUsage *usage);

G_END_DECLS
