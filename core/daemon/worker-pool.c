/* The warm worker pool: which workers to start ahead, handing one to a
 * new room, and refilling without letting a burst of rooms, or a worker
 * that cannot start, fork the host to death.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-pool.h"

#include "i18n.h"

/* After a pooled worker failed to start (or could not be spawned), the
 * next attempt waits this long, doubling up to the maximum: a broken
 * worker program must not be restarted in a tight loop. */
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 60000

struct _ConvokeWorkerPool
{
  ConvokeRoomRegistry *registry; /* borrowed: the daemon owns both */
  ConvokeModuleSet *modules;     /* borrowed */
  GPtrArray *pooled_modules;     /* const ConvokeLoadedModule*, with a worker half */
  guint size;                    /* [media] worker-pool, per module */
  char *worker_user;             /* [media] worker-user the waiting ones run as */
  GPtrArray *workers;            /* ConvokeWorkerHandle*, unassigned, ours */
  /* [media] worker-fork-server: module → ConvokeWorkerForkServer*, for
   * pooled and cold starts alike. */
  GHashTable *fork_servers;
  guint refill_source;
  guint backoff_ms; /* 0: the last start went well */
  gboolean stopped;
  guint64 hits;
  guint64 cold;
};

static void pool_schedule_refill (ConvokeWorkerPool *pool, guint delay_ms);

static guint
pool_count (ConvokeWorkerPool *pool, const ConvokeLoadedModule *module,
            gboolean *any_starting)
{
  guint n = 0;

  for (guint i = 0; i < pool->workers->len; i++)
    {
      ConvokeWorkerHandle *worker = g_ptr_array_index (pool->workers, i);

      if (!convoke_worker_is_waiting (worker) && any_starting != NULL)
        *any_starting = TRUE;
      if (module == NULL || convoke_worker_get_module (worker) == module)
        n++;
    }
  return n;
}

/* Drops the pool's reference; the worker is asked to stop if it runs. */
static void
pool_drop (ConvokeWorkerPool *pool, ConvokeWorkerHandle *worker)
{
  g_ptr_array_remove_fast (pool->workers, worker);
  convoke_worker_stop (worker);
}

static void
pool_on_worker (ConvokeWorkerHandle *worker, ConvokeWorkerPoolEvent event,
                gpointer user_data)
{
  ConvokeWorkerPool *pool = user_data;

  if (event == CONVOKE_WORKER_POOL_WAITING)
    {
      pool->backoff_ms = 0;
      pool_schedule_refill (pool, 0);
      return;
    }
  /* Exited without a room: killed while waiting (replace it), or failed
   * while starting (replace it later, and later again if it fails again). */
  if (!convoke_worker_has_waited (worker))
    pool->backoff_ms = pool->backoff_ms == 0 ? BACKOFF_FIRST_MS
                                             : MIN (pool->backoff_ms * 2, BACKOFF_MAX_MS);
  pool_drop (pool, worker);
  pool_schedule_refill (pool, pool->backoff_ms);
}

/* Starts one worker for the first module short of its target. One start
 * at a time: each worker reports `waiting` (or dies) before the next is
 * started, so a refill never has more than one process starting. */
static gboolean
pool_refill (gpointer user_data)
{
  ConvokeWorkerPool *pool = user_data;
  gboolean starting = FALSE;

  pool->refill_source = 0;
  if (pool->stopped)
    return G_SOURCE_REMOVE;
  pool_count (pool, NULL, &starting);
  if (starting)
    return G_SOURCE_REMOVE; /* its `waiting` or its exit refills again */
  for (guint i = 0; i < pool->pooled_modules->len; i++)
    {
      const ConvokeLoadedModule *module = g_ptr_array_index (pool->pooled_modules, i);
      g_autoptr (GError) error = NULL;
      ConvokeWorkerHandle *worker;

      if (pool_count (pool, module, NULL) >= pool->size)
        continue;
      /* A fork server about to be ready starts the worker in a few
       * milliseconds, where exec takes a hundred: its `ready` (or its
       * exit) refills. */
      if (convoke_worker_fork_server_is_starting (
              g_hash_table_lookup (pool->fork_servers, module)))
        continue;
      worker = convoke_worker_spawn_pooled (
          pool->registry, module, g_hash_table_lookup (pool->fork_servers, module),
          pool_on_worker, pool, &error);
      if (worker == NULL)
        {
          pool->backoff_ms = pool->backoff_ms == 0
                                 ? BACKOFF_FIRST_MS
                                 : MIN (pool->backoff_ms * 2, BACKOFF_MAX_MS);
          g_warning (_ ("Cannot start a pooled media worker (next try in %u ms): %s"),
                     pool->backoff_ms, error->message);
          pool_schedule_refill (pool, pool->backoff_ms);
          return G_SOURCE_REMOVE;
        }
      g_ptr_array_add (pool->workers, worker);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_REMOVE;
}

static void
pool_schedule_refill (ConvokeWorkerPool *pool, guint delay_ms)
{
  if (pool->stopped)
    return;
  /* A pending backoff stays: an earlier refill never jumps it. */
  if (pool->refill_source != 0)
    return;
  /* From the main loop, not from inside the caller (a room being
   * created, a worker's exit being handled). */
  pool->refill_source = delay_ms == 0 ? g_idle_add (pool_refill, pool)
                                      : g_timeout_add (delay_ms, pool_refill, pool);
}

static void
pool_stop_waiting (ConvokeWorkerPool *pool, const ConvokeLoadedModule *only_module,
                   guint keep)
{
  /* Newest first: the oldest have waited longest and are as good. */
  for (guint i = pool->workers->len; i > 0; i--)
    {
      ConvokeWorkerHandle *worker = g_ptr_array_index (pool->workers, i - 1);

      if (only_module != NULL && convoke_worker_get_module (worker) != only_module)
        continue;
      if (pool_count (pool, only_module, NULL) <= keep)
        return;
      pool_drop (pool, worker);
    }
}

static void
pool_on_fork_server (ConvokeWorkerForkServer *server, gpointer user_data)
{
  pool_schedule_refill (user_data, 0);
}

/* One fork server per module with a worker half, while the config asks
 * for them; a module no type uses any more loses its own. */
static void
pool_reconfigure_fork_servers (ConvokeWorkerPool *pool, gboolean wanted)
{
  GHashTableIter iter;
  gpointer module;

  g_hash_table_iter_init (&iter, pool->fork_servers);
  while (g_hash_table_iter_next (&iter, &module, NULL))
    if (!wanted || !g_ptr_array_find (pool->pooled_modules, module, NULL))
      g_hash_table_iter_remove (&iter);
  for (guint i = 0; wanted && i < pool->pooled_modules->len; i++)
    {
      const ConvokeLoadedModule *m = g_ptr_array_index (pool->pooled_modules, i);
      ConvokeWorkerForkServer *server;

      if (g_hash_table_contains (pool->fork_servers, m))
        continue;
      server = convoke_worker_fork_server_new (pool->registry, m);
      if (server == NULL)
        continue;
      convoke_worker_fork_server_set_notify (server, pool_on_fork_server, pool);
      g_hash_table_insert (pool->fork_servers, (gpointer) m, server);
    }
}

void
convoke_worker_pool_reconfigure (ConvokeWorkerPool *pool)
{
  ConvokeConfig *config = convoke_room_registry_get_config (pool->registry);
  g_autoptr (GList) types = g_hash_table_get_values (config->types);

  g_ptr_array_set_size (pool->pooled_modules, 0);
  for (GList *l = types; l != NULL; l = l->next)
    {
      ConvokeRoomType *type = l->data;
      const ConvokeLoadedModule *module
          = convoke_module_set_lookup (pool->modules, type->module);

      if (module != NULL && module->vtable->needs_media_worker
          && !g_ptr_array_find (pool->pooled_modules, module, NULL))
        g_ptr_array_add (pool->pooled_modules, (gpointer) module);
    }
  pool->size = config->worker_pool;

  /* The waiting ones were started with the old user on their command
   * line; a worker of a module no type uses any more waits for nothing. */
  if (g_strcmp0 (pool->worker_user, config->worker_user) != 0)
    {
      pool_stop_waiting (pool, NULL, 0);
      g_free (pool->worker_user);
      pool->worker_user = g_strdup (config->worker_user);
    }
  for (guint i = pool->workers->len; i > 0; i--)
    {
      ConvokeWorkerHandle *worker = g_ptr_array_index (pool->workers, i - 1);

      if (!g_ptr_array_find (pool->pooled_modules, convoke_worker_get_module (worker),
                             NULL))
        pool_drop (pool, worker);
    }
  for (guint i = 0; i < pool->pooled_modules->len; i++)
    pool_stop_waiting (pool, g_ptr_array_index (pool->pooled_modules, i), pool->size);
  pool_reconfigure_fork_servers (pool, config->worker_fork_server);
  pool_schedule_refill (pool, pool->backoff_ms);
}

ConvokeWorkerPool *
convoke_worker_pool_new (ConvokeRoomRegistry *registry, ConvokeModuleSet *modules)
{
  ConvokeWorkerPool *pool = g_new0 (ConvokeWorkerPool, 1);

  pool->registry = registry;
  pool->modules = modules;
  pool->pooled_modules = g_ptr_array_new ();
  pool->workers = g_ptr_array_new ();
  pool->fork_servers = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, NULL,
      (GDestroyNotify) convoke_worker_fork_server_free);
  pool->worker_user
      = g_strdup (convoke_room_registry_get_config (registry)->worker_user);
  convoke_worker_pool_reconfigure (pool);
  return pool;
}

void
convoke_worker_pool_stop (ConvokeWorkerPool *pool)
{
  pool->stopped = TRUE;
  g_clear_handle_id (&pool->refill_source, g_source_remove);
  g_hash_table_remove_all (pool->fork_servers);
  while (pool->workers->len > 0)
    pool_drop (pool, g_ptr_array_index (pool->workers, pool->workers->len - 1));
}

void
convoke_worker_pool_free (ConvokeWorkerPool *pool)
{
  if (pool == NULL)
    return;
  convoke_worker_pool_stop (pool);
  g_ptr_array_unref (pool->workers);
  g_hash_table_unref (pool->fork_servers);
  g_ptr_array_unref (pool->pooled_modules);
  g_free (pool->worker_user);
  g_free (pool);
}

ConvokeWorkerHandle *
convoke_worker_pool_start_room (ConvokeWorkerPool *pool, ConvokeRoomRegistry *registry,
                                ConvokeRoom *room, GError **error)
{
  /* A recording room's worker opens its directory before gst_init()
   * and confines its writes to it (docs/security.md): that one starts
   * cold. */
  for (guint i = 0; pool != NULL && !room->record_participants_on_connect
                    && i < pool->workers->len;
       i++)
    {
      ConvokeWorkerHandle *worker = g_ptr_array_index (pool->workers, i);
      g_autoptr (GError) local_error = NULL;

      if (convoke_worker_get_module (worker) != room->module
          || !convoke_worker_is_waiting (worker))
        continue;
      g_ptr_array_remove_index_fast (pool->workers, i);
      pool_schedule_refill (pool, pool->backoff_ms);
      if (convoke_worker_assign (worker, room, &local_error))
        {
          pool->hits++;
          return worker;
        }
      g_message ("room %s: %s; starting a worker for it", room->sid,
                 local_error->message);
      convoke_worker_stop (worker);
      break;
    }
  if (pool == NULL)
    return convoke_worker_spawn (registry, room, NULL, error);
  pool->cold++;
  return convoke_worker_spawn (registry, room,
                               g_hash_table_lookup (pool->fork_servers, room->module),
                               error);
}

void
convoke_worker_pool_get_stats (ConvokeWorkerPool *pool, ConvokeWorkerPoolStats *stats)
{
  *stats = (ConvokeWorkerPoolStats){ 0 };
  if (pool == NULL)
    return;
  stats->size = pool->size;
  stats->hits = pool->hits;
  stats->cold = pool->cold;
  stats->forked = convoke_worker_fork_server_count_forked ();
  {
    GHashTableIter iter;
    gpointer server;

    g_hash_table_iter_init (&iter, pool->fork_servers);
    while (g_hash_table_iter_next (&iter, NULL, &server))
      stats->fork_servers_ready += convoke_worker_fork_server_is_ready (server);
  }
  for (guint i = 0; i < pool->workers->len; i++)
    {
      if (convoke_worker_is_waiting (g_ptr_array_index (pool->workers, i)))
        stats->ready++;
      else
        stats->starting++;
    }
}
