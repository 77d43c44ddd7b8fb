/* Test fixture: a redis-server of the test's own, on a free loopback
 * port, for cluster mode (docs/cluster.md). The program is
 * $CONVOKE_TEST_REDIS_SERVER, else redis-server from $PATH (Debian's
 * redis-server package; .ci/test-deps).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process; /* NULL while stopped */
  guint port;
  char *dir; /* its working directory, removed by test_redis_free */
} TestRedis;

/* Whether a redis-server can be started here. */
gboolean test_redis_available (void);
/* Starts one without persistence and waits until it accepts connections
 * (fails the test otherwise); it dies with the test. */
TestRedis *test_redis_new (void);
/* Kills it (SIGKILL) and waits; test_redis_start() brings it back, empty,
 * on the same port. */
void test_redis_stop (TestRedis *r);
void test_redis_start (TestRedis *r);
void test_redis_free (TestRedis *r);

/* "[cluster]" config for a node @node_id of this Redis, with
 * heartbeat-ttl @ttl_s, followed by @extra (may be NULL). */
/* The string value of @key (redis-cli GET), or NULL when it has none or
 * the server cannot be asked. */
char *test_redis_get (TestRedis *r, const char *key);

char *test_redis_cluster_config (TestRedis *r, const char *node_id, guint ttl_s,
                                 const char *extra);

G_END_DECLS
