/* GET /metrics in the Prometheus text exposition format (version 0.0.4).
 *
 * Gauges are computed from the registry when scraped, so they can never
 * drift from the state REST shows; only the error counter is kept here.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-metrics"

#include "metrics.h"

#include <string.h>

#include "worker-pool.h"
#include "worker-supervisor.h"

struct _ConvokeMetrics
{
  ConvokeRoomRegistry *registry;
  /* "surface\ncode" → count; '\n' cannot appear in a surface name we
   * emit, so the key splits back unambiguously. */
  GHashTable *errors;
  char *node; /* cluster mode: every sample gets node="…" */
};

static const ConvokeRoomStatus all_statuses[]
    = { CONVOKE_ROOM_IN_PROGRESS, CONVOKE_ROOM_COMPLETED, CONVOKE_ROOM_FAILED };

ConvokeMetrics *
convoke_metrics_new (ConvokeRoomRegistry *registry)
{
  ConvokeMetrics *self = g_new0 (ConvokeMetrics, 1);

  self->registry = g_object_ref (registry);
  self->errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
convoke_metrics_free (ConvokeMetrics *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->registry);
  g_clear_pointer (&self->errors, g_hash_table_unref);
  g_free (self->node);
  g_free (self);
}

void
convoke_metrics_count_error (ConvokeMetrics *self, const char *surface, int code)
{
  g_autofree char *key = NULL;
  guint64 *count;

  if (self == NULL || surface == NULL)
    return;
  key = g_strdup_printf ("%s\n%d", surface, code);
  count = g_hash_table_lookup (self->errors, key);
  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (self->errors, g_steal_pointer (&key), count);
    }
  (*count)++;
}

/* Label values escape backslash, double quote and newline. */
static void
append_label_value (GString *out, const char *value)
{
  for (const char *p = value; *p; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\");
      else if (*p == '"')
        g_string_append (out, "\\\"");
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b, gpointer data)
{
  return g_strcmp0 (*(const char *const *)a, *(const char *const *)b);
}

/* Sorted keys, so that scrapes are stable and diffable. */
static const char **
sorted_keys (GHashTable *table, guint *n_keys)
{
  const char **keys = (const char **)g_hash_table_get_keys_as_array (table, n_keys);

  g_qsort_with_data (keys, *n_keys, sizeof (char *), compare_strings, NULL);
  return keys;
}

static void
render_rooms (ConvokeMetrics *self, GString *out)
{
  ConvokeConfig *config = convoke_room_registry_get_config (self->registry);
  g_autoptr (GHashTable) counts
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) rooms = convoke_room_registry_list (self->registry, NULL, NULL);
  g_autofree const char **types = NULL;
  GHashTableIter iter;
  gpointer name;
  guint n_types;

  /* Every configured type appears, with zeros, so that dashboards see the
   * series before the first room of a type exists. */
  g_hash_table_iter_init (&iter, config->types);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    for (gsize s = 0; s < G_N_ELEMENTS (all_statuses); s++)
      g_hash_table_insert (
          counts,
          g_strdup_printf ("%s\n%s", (char *)name,
                           convoke_room_status_to_string (all_statuses[s])),
          g_new0 (guint64, 1));
  for (guint i = 0; i < rooms->len; i++)
    {
      ConvokeRoom *room = g_ptr_array_index (rooms, i);
      g_autofree char *key = g_strdup_printf (
          "%s\n%s", room->type->name, convoke_room_status_to_string (room->status));
      guint64 *count = g_hash_table_lookup (counts, key);

      if (count == NULL)
        {
          count = g_new0 (guint64, 1);
          g_hash_table_insert (counts, g_steal_pointer (&key), count);
        }
      (*count)++;
    }

  g_string_append (out, "# HELP convoke_rooms Rooms known to the daemon, by type and "
                        "status.\n# TYPE convoke_rooms gauge\n");
  types = sorted_keys (counts, &n_types);
  for (guint i = 0; i < n_types; i++)
    {
      g_auto (GStrv) parts = g_strsplit (types[i], "\n", 2);

      g_string_append (out, "convoke_rooms{type=\"");
      append_label_value (out, parts[0]);
      g_string_append_printf (out, "\",status=\"%s\"} %" G_GUINT64_FORMAT "\n", parts[1],
                              *(guint64 *)g_hash_table_lookup (counts, types[i]));
    }
}

static guint
count_connected (ConvokeRoomRegistry *registry)
{
  g_autoptr (GPtrArray) rooms
      = convoke_room_registry_list (registry, "in-progress", NULL);
  guint n = 0;

  for (guint i = 0; i < rooms->len; i++)
    n += convoke_room_count_connected (g_ptr_array_index (rooms, i));
  return n;
}

void
convoke_metrics_set_node (ConvokeMetrics *self, const char *node_id)
{
  g_free (self->node);
  self->node = g_strdup (node_id);
}

/* Adds node="…" to every sample line, after the rest is rendered: one
 * place, so that no metric can be added without it. */
static char *
label_samples (const char *text, const char *node)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) label = g_string_new ("node=\"");
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  append_label_value (label, node);
  g_string_append_c (label, '"');
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *brace = strchr (line, '{');
      const char *space = strchr (line, ' ');

      if (i > 0)
        g_string_append_c (out, '\n');
      if (*line == '\0' || *line == '#' || space == NULL)
        g_string_append (out, line);
      else if (brace != NULL && brace < space)
        g_string_append_printf (out, "%.*s%s,%s", (int) (brace - line + 1), line,
                                label->str, brace + 1);
      else
        g_string_append_printf (out, "%.*s{%s}%s", (int) (space - line), line, label->str,
                                space);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
render_worker_pool (ConvokeMetrics *self, GString *out)
{
  ConvokeWorkerPoolStats stats;

  convoke_worker_pool_get_stats (convoke_room_registry_get_worker_pool (self->registry),
                                 &stats);
  g_string_append_printf (
      out,
      "# HELP convoke_worker_pool_size Media workers kept started ahead, per module "
      "with a worker half ([media] worker-pool).\n"
      "# TYPE convoke_worker_pool_size gauge\n"
      "convoke_worker_pool_size %u\n"
      "# HELP convoke_worker_pool_ready Pooled media workers waiting for a room.\n"
      "# TYPE convoke_worker_pool_ready gauge\n"
      "convoke_worker_pool_ready %u\n"
      "# HELP convoke_worker_pool_starting Pooled media workers starting.\n"
      "# TYPE convoke_worker_pool_starting gauge\n"
      "convoke_worker_pool_starting %u\n"
      "# HELP convoke_worker_pool_hits_total Rooms that got a pooled media worker.\n"
      "# TYPE convoke_worker_pool_hits_total counter\n"
      "convoke_worker_pool_hits_total %" G_GUINT64_FORMAT "\n"
      "# HELP convoke_worker_cold_starts_total Rooms whose media worker was started "
      "for them (pool empty or off, or a recording room).\n"
      "# TYPE convoke_worker_cold_starts_total counter\n"
      "convoke_worker_cold_starts_total %" G_GUINT64_FORMAT "\n"
      "# HELP convoke_worker_fork_servers_ready Fork servers ready to fork media "
      "workers, one per module with a worker half ([media] worker-fork-server).\n"
      "# TYPE convoke_worker_fork_servers_ready gauge\n"
      "convoke_worker_fork_servers_ready %u\n"
      "# HELP convoke_worker_forked_total Media workers (pooled or not) forked by a "
      "fork server rather than executed.\n"
      "# TYPE convoke_worker_forked_total counter\n"
      "convoke_worker_forked_total %" G_GUINT64_FORMAT "\n",
      stats.size, stats.ready, stats.starting, stats.hits, stats.cold,
      stats.fork_servers_ready, stats.forked);
}

char *
convoke_metrics_render (ConvokeMetrics *self)
{
  GString *out = g_string_new (NULL);
  g_autofree const char **errors = NULL;
  guint n_errors;

  render_rooms (self, out);
  g_string_append_printf (
      out,
      "# HELP convoke_participants_connected Participants connected now.\n"
      "# TYPE convoke_participants_connected gauge\n"
      "convoke_participants_connected %u\n",
      count_connected (self->registry));
  g_string_append_printf (
      out,
      "# HELP convoke_workers_running Media worker processes serving a room.\n"
      "# TYPE convoke_workers_running gauge\n"
      "convoke_workers_running %u\n",
      convoke_worker_count_running ());
  render_worker_pool (self, out);

  g_string_append (out,
                   "# HELP convoke_errors_total Errors returned to users, by surface "
                   "and Twilio error code.\n# TYPE convoke_errors_total counter\n");
  errors = sorted_keys (self->errors, &n_errors);
  for (guint i = 0; i < n_errors; i++)
    {
      g_auto (GStrv) parts = g_strsplit (errors[i], "\n", 2);

      g_string_append (out, "convoke_errors_total{surface=\"");
      append_label_value (out, parts[0]);
      g_string_append_printf (out, "\",code=\"%s\"} %" G_GUINT64_FORMAT "\n", parts[1],
                              *(guint64 *)g_hash_table_lookup (self->errors, errors[i]));
    }
  if (self->node != NULL)
    {
      g_autofree char *plain = g_string_free (out, FALSE);

      return label_samples (plain, self->node);
    }
  return g_string_free (out, FALSE);
}
