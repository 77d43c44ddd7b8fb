/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-redis.h"

#include <stdlib.h>

#include "test-daemon.h"
#include "test-process.h"
#include "test-time.h"

static const char *
redis_program (void)
{
  const char *program = g_getenv ("CONVOKE_TEST_REDIS_SERVER");

  return program != NULL ? program : "redis-server";
}

gboolean
test_redis_available (void)
{
  g_autofree char *path = g_find_program_in_path (redis_program ());

  return path != NULL;
}

/* A port nothing listens on now. Another process could take it before
 * redis-server binds it; on a test machine's loopback that does not
 * happen in practice, and redis-server would then fail loudly. */
static guint
free_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
answers (gpointer data)
{
  TestRedis *r = data;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn
      = g_socket_client_connect_to_host (client, "127.0.0.1", r->port, NULL, NULL);

  return conn != NULL;
}

void
test_redis_start (TestRedis *r)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *port = g_strdup_printf ("%u", r->port);
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);

  g_assert_null (r->process);
  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_cwd (launcher, r->dir);
  r->process = g_subprocess_launcher_spawn (launcher, &error, redis_program (), "--port", port,
                                            "--bind", "127.0.0.1", "--save", "",
                                            "--appendonly", "no", "--dir", r->dir, NULL);
  g_assert_no_error (error);
  test_kill_with_test (atoi (g_subprocess_get_identifier (r->process)));
  g_assert_true (test_wait_until (answers, r, 5000));
}

TestRedis *
test_redis_new (void)
{
  TestRedis *r = g_new0 (TestRedis, 1);

  r->dir = test_mkdtemp ();
  r->port = free_port ();
  test_redis_start (r);
  return r;
}

void
test_redis_stop (TestRedis *r)
{
  if (r->process == NULL)
    return;
  g_subprocess_force_exit (r->process);
  g_subprocess_wait (r->process, NULL, NULL);
  g_clear_object (&r->process);
}

void
test_redis_free (TestRedis *r)
{
  if (r == NULL)
    return;
  test_redis_stop (r);
  test_rm_rf (r->dir);
  g_free (r->dir);
  g_free (r);
}

char *
test_redis_get (TestRedis *r, const char *key)
{
  g_autofree char *port = g_strdup_printf ("%u", r->port);
  const char *argv[] = { "redis-cli", "-h", "127.0.0.1", "-p", port, "--raw", "GET", key, NULL };
  g_autofree char *out = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL) || out == NULL)
    return NULL;
  g_strchomp (out);
  return *out != '\0' ? g_steal_pointer (&out) : NULL;
}

char *
test_redis_cluster_config (TestRedis *r, const char *node_id, guint ttl_s, const char *extra)
{
  return g_strdup_printf (
      "[cluster]\nredis=redis://127.0.0.1:%u/0\nnode-id=%s\nheartbeat-ttl=%u\n%s\n", r->port,
      node_id, ttl_s, extra != NULL ? extra : "");
}
