/* What a convoke-load run reports: counters of every peer and the
 * server's CPU at the start and end of the measurement window, and the
 * figures derived from them (docs/benchmarks.md lists each one).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "load-run.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 at_us;
  double self_cpu_s;     /* the load generator's own CPU */
  GArray *server_cpu_s;  /* double, one per server process */
  GArray *server_user_s; /* the user-space part of it */
  GArray *peers;         /* LoadPeerSnapshot: 2 per participant (peer, recv_peer) */
} LoadRunSnapshot;

void load_run_snapshot_take (LoadRun *run, GArray *server_pids,
                             LoadRunSnapshot *snapshot);
void load_run_snapshot_clear (LoadRunSnapshot *snapshot);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LoadRunSnapshot, load_run_snapshot_clear)

/* How many participants receive every stream they should. */
guint load_run_count_complete (LoadRun *run);

/* The report as a JSON object: the scenario, what flowed in the window
 * between @start and @end, join latencies, and the server's CPU and
 * memory. @setup_s: from the first join until every stream flowed (or
 * the setup timeout). */
JsonNode *load_report_build (LoadRun *run, GArray *server_pids, GPtrArray *roles,
                             const LoadRunSnapshot *start, const LoadRunSnapshot *end,
                             double setup_s);
/* One line of text with the main figures of a report. */
char *load_report_summary (JsonObject *report);

/* Adds @name: {count, sum, and when @values is not empty mean, p50, p95,
 * max} to the object @builder is in. Sorts @values. */
void load_report_add_distribution (JsonBuilder *builder, const char *name,
                                   GArray *values);

G_END_DECLS
