/* What cluster.c, cluster-queries.c and cluster-reaper.c share; not an
 * API. Main loop only, as cluster.h says.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>
#include <sys/times.h>

#include "cluster-redis.h"
#include "cluster.h"
#include "untrusted-json.h"

G_BEGIN_DECLS

#define KEY_PREFIX "convoke:"

struct _ConvokeCluster
{
  ConvokeDaemon *daemon; /* not owned: it owns us */
  ConvokeRoomRegistry *registry;
  ConvokeRedis *redis;
  char *node_id;
  char *node_url;
  char *region;
  char *placement_region;
  guint ttl;
  char *started;
  gint64 connected_at; /* monotonic µs; 0 while disconnected */
  guint heartbeat_source;
  guint reap_source;
  GHashTable *dirty; /* sid → ConvokeRoom* (a reference) */
  guint flush_source;
  GArray *handler_ids;
  gulong redis_handlers[2];
  SoupSession *http;
  /* Process CPU, for the load the heartbeat reports. */
  clock_t last_cpu_ticks;
  gint64 last_cpu_time;
  double cpu_percent;
};

/* "convoke:KIND:ID" */
char *cluster_key (const char *kind, const char *id);
/* A JSON object from @text (NULL-safe), or NULL. */
JsonObject *cluster_parse_object (const char *text);
char *cluster_object_to_string (JsonObject *object);
/* Members of the given type, or NULL/0; @object may be NULL. */
JsonObject *cluster_member_object (JsonObject *object, const char *name);
gint64 cluster_member_int (JsonObject *object, const char *name);
gint64 cluster_unix_usec (GDateTime *when);
/* Returns 20503 (convoke_cluster_unavailable_error) on @task. */
void cluster_return_unavailable (ConvokeCluster *self, GTask *task);
/* This node's heartbeat and membership, now. */
void cluster_write_heartbeat (ConvokeCluster *self);

/* cluster-reaper.c: fails the rooms in progress of node @node_id (with
 * @own, this node's stale records from before a restart: the rooms it
 * still has are left alone). */
void cluster_reap_node (ConvokeCluster *self, const char *node_id, gboolean own);
/* The reaping timer: looks for dead nodes. */
gboolean cluster_reap_cb (gpointer data);

G_END_DECLS
