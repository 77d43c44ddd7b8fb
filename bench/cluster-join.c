/* cluster-join: what the extra hop of cluster mode costs a joining client
 * (docs/cluster.md, docs/benchmarks.md "Cluster join hop"). A redis-server
 * and two convoked nodes on 127.0.0.1; one room on node b. A client joins
 * it --joins times through node b itself and as many through node a, which
 * relays the WebSocket to b, alternating join by join so that both paths
 * see the same background load. Each join is timed from opening the
 * WebSocket to `joined` (the token checked on both nodes in the relayed
 * case), then the client leaves.
 *
 * It starts the nodes with the tests' harness (tests/harness/), so it is
 * built with the tests; it is not a test, and `meson test` never runs it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signaling-test-client.h"
#include "test-daemon.h"
#include "test-redis.h"

#define ROOM "hop"

static int opt_joins = 200;
static int opt_warmup = 10;
static char *opt_type = NULL;

static char *
load_average (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  *strchr (text, ' ') = '\0';
  return g_steal_pointer (&text);
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static double
quantile (GArray *values, double q)
{
  double *v = (double *) values->data;
  gsize index;

  qsort (v, values->len, sizeof (double), compare_doubles);
  index = (gsize) (q * (values->len - 1) + 0.5);
  return v[MIN (index, values->len - 1)];
}

/* One join, driven by a main loop that sleeps until something happens:
 * the tests' helpers poll every few milliseconds, which would hide the
 * difference measured here. */
typedef struct
{
  GMainLoop *loop;
  char *join_text;
  SoupWebsocketConnection *ws;
  gint64 start;
  gint64 joined_at;
  gboolean failed;
} Join;

static void
on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  g_main_loop_quit (((Join *) data)->loop);
}

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  Join *join = data;
  gsize length = 0;
  const char *text = g_bytes_get_data (message, &length);

  if (join->joined_at != 0)
    return;
  if (g_strstr_len (text, (gssize) length, "\"type\":\"joined\"") != NULL)
    {
      join->joined_at = g_get_monotonic_time ();
      soup_websocket_connection_send_text (ws, "{\"type\":\"leave\"}");
    }
  else if (g_strstr_len (text, (gssize) length, "\"type\":\"error\"") != NULL)
    {
      g_printerr ("cluster-join: %.*s\n", (int) length, text);
      join->failed = TRUE;
      soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  Join *join = data;
  g_autoptr (GError) error = NULL;

  join->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (join->ws == NULL)
    {
      g_printerr ("cluster-join: %s\n", error->message);
      join->failed = TRUE;
      g_main_loop_quit (join->loop);
      return;
    }
  g_signal_connect (join->ws, "message", G_CALLBACK (on_message), join);
  g_signal_connect (join->ws, "closed", G_CALLBACK (on_closed), join);
  soup_websocket_connection_send_text (join->ws, join->join_text);
}

/* One join through @node: ms from opening the WebSocket to `joined`. */
static double
time_join (SoupSession *session, TestDaemon *node, int n)
{
  g_autofree char *identity = g_strdup_printf ("joiner-%d", n);
  g_autofree char *token = test_daemon_token (node, identity, ROOM);
  g_autofree char *url = test_daemon_signaling_url (node);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  char *protocols[] = { "convoke-signaling-1", NULL };
  Join join = { 0 };

  join.loop = g_main_loop_new (NULL, FALSE);
  join.join_text
      = g_strdup_printf ("{\"type\":\"join\",\"token\":\"%s\",\"room\":\"%s\"}", token, ROOM);
  join.start = g_get_monotonic_time ();
  soup_session_websocket_connect_async (session, msg, NULL, protocols, G_PRIORITY_DEFAULT,
                                        NULL, on_connected, &join);
  g_main_loop_run (join.loop);
  if (join.ws != NULL)
    g_signal_handlers_disconnect_by_data (join.ws, &join);
  g_clear_object (&join.ws);
  g_main_loop_unref (join.loop);
  g_free (join.join_text);
  if (join.failed || join.joined_at == 0)
    {
      g_printerr ("cluster-join: join %d through %s failed\n", n, node->base_url);
      exit (1);
    }
  return (double) (join.joined_at - join.start) / 1000.0;
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "joins", 'n', 0, G_OPTION_ARG_INT, &opt_joins, "Measured joins per path (200)", "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &opt_warmup, "Unmeasured joins per path first (10)",
      "N" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &opt_type,
      "Room type (peer-to-peer: signaling only; group: with a media worker)", "TYPE" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) direct = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) relayed = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *config_a = NULL;
  g_autofree char *config_b = NULL;
  g_autofree char *room_config = NULL;
  TestRedis *redis;
  TestDaemon *a, *b;
  double direct_p50, relayed_p50;
  g_autofree char *load_before = NULL;
  g_autofree char *load_after = NULL;

  g_option_context_set_summary (context, "Join latency through the hosting node and through "
                                         "another node of a cluster (docs/benchmarks.md).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || opt_joins < 1
      || opt_warmup < 0)
    {
      g_printerr ("cluster-join: %s\n", error != NULL ? error->message : "bad --joins or --warmup");
      return 2;
    }
  if (!test_redis_available ())
    {
      g_printerr ("cluster-join: needs redis-server (Debian's redis-server)\n");
      return 1;
    }
  /* The room is a named room on node b's placement: node a places in
   * region b, where only node b is. */
  room_config = g_strdup_printf ("[room:%s]\ntype=%s\n", ROOM,
                                 opt_type != NULL ? opt_type : "peer-to-peer");
  redis = test_redis_new ();
  config_a = test_redis_cluster_config (redis, "a", 10, "region=a\nplacement-region=b");
  config_b = test_redis_cluster_config (redis, "b", 10, "region=b\nplacement-region=b");
  {
    g_autofree char *full_a = g_strconcat (config_a, room_config, NULL);
    g_autofree char *full_b = g_strconcat (config_b, room_config, NULL);

    a = test_daemon_start (full_a, NULL);
    b = test_daemon_start (full_b, NULL);
  }
  /* Both nodes register; the host stays in the room so it never ends. */
  g_usleep (G_USEC_PER_SEC);
  load_before = load_average ();
  {
    SigClient *host = sig_client_new_joined (b, "host", ROOM);
    g_autoptr (SoupSession) session = soup_session_new ();

    for (int i = 0; i < opt_warmup + opt_joins; i++)
      {
        double d = time_join (session, b, 2 * i);
        double r = time_join (session, a, 2 * i + 1);

        if (i >= opt_warmup)
          {
            g_array_append_val (direct, d);
            g_array_append_val (relayed, r);
          }
      }
    sig_client_free (host);
  }
  load_after = load_average ();
  direct_p50 = quantile (direct, 0.5);
  relayed_p50 = quantile (relayed, 0.5);
  printf ("| path | joins | p50 | p95 | p99 |\n| --- | --- | --- | --- | --- |\n");
  printf ("| through the hosting node | %u | %.2f ms | %.2f ms | %.2f ms |\n", direct->len,
          direct_p50, quantile (direct, 0.95), quantile (direct, 0.99));
  printf ("| through another node (relayed) | %u | %.2f ms | %.2f ms | %.2f ms |\n",
          relayed->len, relayed_p50, quantile (relayed, 0.95), quantile (relayed, 0.99));
  printf ("\nThe hop adds %.2f ms at the median (%.2f×), %s rooms; load average %s before, "
          "%s after.\n",
          relayed_p50 - direct_p50, relayed_p50 / direct_p50,
          opt_type != NULL ? opt_type : "peer-to-peer", load_before, load_after);
  test_daemon_stop (a);
  test_daemon_stop (b);
  test_redis_free (redis);
  return 0;
}
