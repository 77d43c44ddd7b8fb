/* Impaired links for network tests: the test process in a network
 * namespace of its own (the "server side": convoked, its workers and any
 * unimpaired clients, on loopback as usual), and one namespace per
 * impaired participant, joined to it through a hop that delays, jitters,
 * drops and caps frames (convoke-test-impair, impair-hop.c):
 *
 *   test process's namespace          hop namespace            client namespace
 *   lo 127.0.0.1                      ┌─────────────────┐
 *   sN 10.77.N.1/24  ◄── veth ──►  haN│ convoke-test-   │hbN ◄── veth ──► cN 10.77.N.2/24
 *                                     │ impair          │
 *                                     └─────────────────┘
 *
 * Every address is inside namespaces the test made; nothing reaches the
 * machine's own interfaces or any other host. Named namespaces carry the
 * test's pid ("cvk<PID>-…"), are removed by test_link_free(), and any left
 * by a test that crashed are removed by the next test_netns_isolate().
 *
 * Needs root and iproute2 (`ip`). Which tool makes which impairment:
 * docs/group-media.md, "Impaired networks".
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Whether this machine can run the network tests; when it cannot, *why
 * says why (for g_test_skip). */
gboolean test_netns_supported (char **why);
/* Moves the calling process into a new network namespace with only a
 * loopback interface, up. Call at the start of main(), before any thread
 * is started: a namespace is per thread, and children inherit it. */
void test_netns_isolate (void);

typedef struct _TestLink TestLink;

/* Creates impaired link @index (1–250; one per client namespace) with the
 * hop's initial @settings (NULL-terminated "DIR:KEY=VALUE" strings, see
 * impair-hop.c; "up" is from the client to the server side), and waits
 * until the hop forwards. Fails the test when anything cannot be made. */
TestLink *test_link_new (guint index, const char *const *settings);
/* Changes the running hop's impairment, e.g. "down:rate=0". */
void test_link_set (TestLink *link, const char *settings);
/* 10.77.N.1 (server side) and 10.77.N.2 (client side). */
const char *test_link_server_address (TestLink *link);
const char *test_link_client_address (TestLink *link);
/* @argv run inside the client's namespace: a new NULL-terminated array
 * starting with `ip netns exec NAME` (free with g_strfreev). */
char **test_link_wrap_argv (TestLink *link, const char *const *argv);
/* Stops the hop (logging its counters) and removes both namespaces. */
void test_link_free (TestLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestLink, test_link_free)

G_END_DECLS
