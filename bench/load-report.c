/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load-report.h"

#include <sys/resource.h>

#include "load-proc.h"

static double
self_cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (double) usage.ru_utime.tv_sec + (double) usage.ru_utime.tv_usec / 1e6
         + (double) usage.ru_stime.tv_sec + (double) usage.ru_stime.tv_usec / 1e6;
}

static void
snapshot_peer (LoadPeer *peer, GArray *peers)
{
  LoadPeerSnapshot snapshot = { 0 };

  if (peer != NULL)
    load_peer_snapshot (peer, &snapshot);
  else
    snapshot.rx = g_array_new (FALSE, TRUE, sizeof (LoadRxStream));
  g_array_append_val (peers, snapshot);
}

void
load_run_snapshot_take (LoadRun *run, GArray *server_pids, LoadRunSnapshot *snapshot)
{
  snapshot->at_us = g_get_monotonic_time ();
  snapshot->self_cpu_s = self_cpu_seconds ();
  snapshot->server_cpu_s = g_array_new (FALSE, TRUE, sizeof (double));
  snapshot->server_user_s = g_array_new (FALSE, TRUE, sizeof (double));
  for (guint i = 0; server_pids != NULL && i < server_pids->len; i++)
    {
      double user = 0.0, system = 0.0, total;

      load_proc_cpu_times (g_array_index (server_pids, pid_t, i), &user, &system);
      total = user + system;
      g_array_append_val (snapshot->server_cpu_s, total);
      g_array_append_val (snapshot->server_user_s, user);
    }
  snapshot->peers = g_array_new (FALSE, TRUE, sizeof (LoadPeerSnapshot));
  g_array_set_clear_func (snapshot->peers, (GDestroyNotify) load_peer_snapshot_clear);
  for (guint i = 0; i < run->participants->len; i++)
    {
      LoadParticipant *p = g_ptr_array_index (run->participants, i);

      snapshot_peer (p->peer, snapshot->peers);
      snapshot_peer (p->recv_peer, snapshot->peers);
    }
}

void
load_run_snapshot_clear (LoadRunSnapshot *snapshot)
{
  g_clear_pointer (&snapshot->server_cpu_s, g_array_unref);
  g_clear_pointer (&snapshot->server_user_s, g_array_unref);
  g_clear_pointer (&snapshot->peers, g_array_unref);
}

static guint
streams_flowing (const LoadPeerSnapshot *snapshot)
{
  guint count = 0;

  for (guint i = 0; i < snapshot->rx->len; i++)
    count += g_array_index (snapshot->rx, LoadRxStream, i).packets > 0;
  return count;
}

guint
load_run_count_complete (LoadRun *run)
{
  guint complete = 0;

  for (guint i = 0; i < run->participants->len; i++)
    {
      LoadParticipant *p = g_ptr_array_index (run->participants, i);
      g_auto (LoadPeerSnapshot) a = { 0 };
      g_auto (LoadPeerSnapshot) b = { 0 };
      guint seen = 0;

      if (p->peer != NULL)
        {
          load_peer_snapshot (p->peer, &a);
          seen += streams_flowing (&a);
        }
      if (p->recv_peer != NULL)
        {
          load_peer_snapshot (p->recv_peer, &b);
          seen += streams_flowing (&b);
        }
      complete += seen >= p->expected_streams;
    }
  return complete;
}

static const LoadRxStream *
find_rx (const LoadPeerSnapshot *snapshot, guint32 ssrc)
{
  for (guint i = 0; i < snapshot->rx->len; i++)
    if (g_array_index (snapshot->rx, LoadRxStream, i).ssrc == ssrc)
      return &g_array_index (snapshot->rx, LoadRxStream, i);
  return NULL;
}

/* The load participant that publishes what @stream carries. */
static LoadParticipant *
stream_publisher (LoadRun *run, LoadParticipant *receiver, const LoadRxStream *stream)
{
  const char *source = stream->msid;

  if (receiver->mid_sources != NULL && stream->mid != NULL)
    source = g_hash_table_lookup (receiver->mid_sources, stream->mid);
  for (guint i = 0; source != NULL && i < run->participants->len; i++)
    {
      LoadParticipant *p = g_ptr_array_index (run->participants, i);

      if (p->room == receiver->room && g_strcmp0 (p->server_id, source) == 0)
        return p;
    }
  return NULL;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

void
load_report_add_distribution (JsonBuilder *builder, const char *name, GArray *values)
{
  double sum = 0.0;

  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, double, i);
  g_array_sort (values, compare_doubles);
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, values->len);
  json_builder_set_member_name (builder, "sum");
  json_builder_add_double_value (builder, sum);
  if (values->len > 0)
    {
      json_builder_set_member_name (builder, "mean");
      json_builder_add_double_value (builder, sum / values->len);
      json_builder_set_member_name (builder, "p50");
      json_builder_add_double_value (
          builder, g_array_index (values, double, (values->len - 1) / 2));
      json_builder_set_member_name (builder, "p95");
      json_builder_add_double_value (
          builder, g_array_index (values, double, (values->len - 1) * 95 / 100));
      json_builder_set_member_name (builder, "max");
      json_builder_add_double_value (builder,
                                     g_array_index (values, double, values->len - 1));
    }
  json_builder_end_object (builder);
}

#define ADD_INT(builder, name, value)                                                    \
  G_STMT_START                                                                           \
  {                                                                                      \
    json_builder_set_member_name (builder, name);                                        \
    json_builder_add_int_value (builder, (gint64) (value));                              \
  }                                                                                      \
  G_STMT_END
#define ADD_DOUBLE(builder, name, value)                                                 \
  G_STMT_START                                                                           \
  {                                                                                      \
    json_builder_set_member_name (builder, name);                                        \
    json_builder_add_double_value (builder, (double) (value));                           \
  }                                                                                      \
  G_STMT_END

typedef struct
{
  guint64 rx_packets[LOAD_N_KINDS], rx_bytes[LOAD_N_KINDS], lost[LOAD_N_KINDS], late;
  guint64 tx_packets[LOAD_N_KINDS], tx_bytes[LOAD_N_KINDS];
  LoadRtcpStats publisher_rtcp, receiver_rtcp;
  guint streams_flowing, streams_seen, streams_expected, complete;
  guint64 keyframe_jumps;
  /* Video as a browser would have shown it (load-receiver.h): summed over
   * every received video stream, and the worst stream's freeze time. */
  LoadReceiverStats video;
  guint video_streams;
  guint64 worst_freeze_us;
  GArray *join_latency_ms, *setup_ms;
  JsonArray *stream_details;
} WindowTotals;

static void
add_rtcp (LoadRtcpStats *sum, const LoadRtcpStats *end, const LoadRtcpStats *start)
{
  sum->pli += end->pli - start->pli;
  sum->fir += end->fir - start->fir;
  sum->nack += end->nack - start->nack;
  sum->nack_seqs += end->nack_seqs - start->nack_seqs;
  sum->remb += end->remb - start->remb;
  sum->sr += end->sr - start->sr;
  sum->rr += end->rr - start->rr;
  sum->bye += end->bye - start->bye;
  sum->nack_sent += end->nack_sent - start->nack_sent;
  sum->nack_seqs_sent += end->nack_seqs_sent - start->nack_seqs_sent;
  sum->pli_sent += end->pli_sent - start->pli_sent;
}

/* The first join of the run: stream timings are relative to it. */
static gint64
run_start_us (LoadRun *run)
{
  gint64 start = G_MAXINT64;

  for (guint i = 0; i < run->participants->len; i++)
    {
      LoadParticipant *p = g_ptr_array_index (run->participants, i);

      if (p->join_us > 0)
        start = MIN (start, p->join_us);
    }
  return start == G_MAXINT64 ? 0 : start;
}

static void
total_peer (LoadRun *run, LoadParticipant *p, const LoadPeerSnapshot *end,
            const LoadPeerSnapshot *start, WindowTotals *totals, gint64 *last_first_rx)
{
  for (guint k = 0; k < LOAD_N_KINDS; k++)
    if (end->tx_active[k])
      {
        totals->tx_packets[k] += end->tx[k].packets - start->tx[k].packets;
        totals->tx_bytes[k] += end->tx[k].bytes - start->tx[k].bytes;
        totals->keyframe_jumps += end->tx[k].keyframe_jumps;
      }
  add_rtcp (end->tx_active[LOAD_KIND_VIDEO] ? &totals->publisher_rtcp
                                            : &totals->receiver_rtcp,
            &end->rtcp, &start->rtcp);

  for (guint i = 0; i < end->rx->len; i++)
    {
      const LoadRxStream *e = &g_array_index (end->rx, LoadRxStream, i);
      const LoadRxStream *s = find_rx (start, e->ssrc);
      LoadRxStream zero = { 0 };
      guint64 packets, expected;
      LoadParticipant *publisher;

      if (s == NULL)
        s = &zero;
      packets = e->packets - s->packets;
      expected = (s->expected > 0 ? e->expected - s->expected : e->expected);
      totals->rx_packets[e->kind] += packets;
      totals->rx_bytes[e->kind] += e->bytes - s->bytes;
      totals->lost[e->kind] += expected > packets ? expected - packets : 0;
      totals->late += e->late - s->late;
      if (e->kind == LOAD_KIND_VIDEO && packets > 0)
        {
          guint64 freeze_us = e->frames.freeze_us - s->frames.freeze_us;

          totals->video.frames_played += e->frames.frames_played - s->frames.frames_played;
          totals->video.frames_dropped += e->frames.frames_dropped - s->frames.frames_dropped;
          totals->video.freezes += e->frames.freezes - s->frames.freezes;
          totals->video.freeze_us += freeze_us;
          totals->video.keyframes_wanted
              += e->frames.keyframes_wanted - s->frames.keyframes_wanted;
          totals->video.nacks_resent += e->frames.nacks_resent - s->frames.nacks_resent;
          totals->video.packets_too_late
              += e->frames.packets_too_late - s->frames.packets_too_late;
          totals->video_streams++;
          totals->worst_freeze_us = MAX (totals->worst_freeze_us, freeze_us);
        }
      totals->streams_flowing += packets > 0;
      totals->streams_seen += e->packets > 0;
      *last_first_rx = MAX (*last_first_rx, e->first_rx_us);

      publisher = stream_publisher (run, p, e);
      if (publisher != NULL && publisher->peer != NULL && p->join_us > 0
          && publisher->join_us > 0)
        {
          g_auto (LoadPeerSnapshot) sent = { 0 };
          gint64 origin = run_start_us (run);
          gint64 since = MAX (p->join_us, publisher->join_us);
          double latency_ms = (double) (e->first_rx_us - since) / 1000.0;
          JsonObject *detail = json_object_new ();

          load_peer_snapshot (publisher->peer, &sent);
          g_array_append_val (totals->join_latency_ms, latency_ms);
          json_object_set_string_member (detail, "receiver", p->name);
          json_object_set_string_member (detail, "publisher", publisher->name);
          json_object_set_string_member (detail, "kind", load_kind_name (e->kind));
          json_object_set_double_member (detail, "receiver_join_ms",
                                         (double) (p->join_us - origin) / 1000.0);
          json_object_set_double_member (detail, "publisher_join_ms",
                                         (double) (publisher->join_us - origin) / 1000.0);
          json_object_set_double_member (
              detail, "publisher_first_send_ms",
              sent.tx[e->kind].first_send_us > 0
                  ? (double) (sent.tx[e->kind].first_send_us - origin) / 1000.0
                  : -1.0);
          json_object_set_double_member (detail, "first_packet_ms",
                                         (double) (e->first_rx_us - origin) / 1000.0);
          json_object_set_int_member (detail, "packets", (gint64) e->packets);
          json_object_set_int_member (
              detail, "lost",
              (gint64) (e->expected > e->packets ? e->expected - e->packets : 0));
          json_array_add_object_element (totals->stream_details, detail);
        }
    }
}

static void
add_kinds (JsonBuilder *builder, const char *name, const guint64 *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  for (guint k = 0; k < LOAD_N_KINDS; k++)
    ADD_INT (builder, load_kind_name (k), values[k]);
  json_builder_end_object (builder);
}

static void
add_rtcp_object (JsonBuilder *builder, const char *name, const LoadRtcpStats *rtcp)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  ADD_INT (builder, "pli", rtcp->pli);
  ADD_INT (builder, "fir", rtcp->fir);
  ADD_INT (builder, "nack", rtcp->nack);
  ADD_INT (builder, "nack_seqs", rtcp->nack_seqs);
  ADD_INT (builder, "remb", rtcp->remb);
  ADD_INT (builder, "sr", rtcp->sr);
  ADD_INT (builder, "rr", rtcp->rr);
  ADD_INT (builder, "bye", rtcp->bye);
  ADD_INT (builder, "nack_sent", rtcp->nack_sent);
  ADD_INT (builder, "nack_seqs_sent", rtcp->nack_seqs_sent);
  ADD_INT (builder, "pli_sent", rtcp->pli_sent);
  json_builder_end_object (builder);
}

static double
add_server (JsonBuilder *builder, GArray *pids, GPtrArray *roles,
            const LoadRunSnapshot *start, const LoadRunSnapshot *end)
{
  double total = 0.0;

  json_builder_set_member_name (builder, "server_processes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < pids->len; i++)
    {
      pid_t pid = g_array_index (pids, pid_t, i);
      double cpu = g_array_index (end->server_cpu_s, double, i)
                   - g_array_index (start->server_cpu_s, double, i);

      total += cpu;
      json_builder_begin_object (builder);
      ADD_INT (builder, "pid", pid);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, g_ptr_array_index (roles, i));
      ADD_DOUBLE (builder, "cpu_s", cpu);
      ADD_DOUBLE (builder, "user_s",
                  g_array_index (end->server_user_s, double, i)
                      - g_array_index (start->server_user_s, double, i));
      ADD_INT (builder, "vm_hwm_kib", load_proc_status_kib (pid, "VmHWM"));
      ADD_INT (builder, "vm_rss_kib", load_proc_status_kib (pid, "VmRSS"));
      ADD_INT (builder, "threads", load_proc_status_kib (pid, "Threads"));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return total;
}

JsonNode *
load_report_build (LoadRun *run, GArray *pids, GPtrArray *roles,
                   const LoadRunSnapshot *start, const LoadRunSnapshot *end,
                   double setup_s)
{
  const LoadOptions *options = run->options;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  WindowTotals totals = { 0 };
  double window_s = (double) (end->at_us - start->at_us) / 1e6;
  double server_cpu, forwarded_packets;

  totals.join_latency_ms = g_array_new (FALSE, FALSE, sizeof (double));
  totals.stream_details = json_array_new ();
  totals.setup_ms = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; i < run->participants->len; i++)
    {
      LoadParticipant *p = g_ptr_array_index (run->participants, i);
      guint seen_before = totals.streams_seen;
      gint64 last_first_rx = 0;

      for (guint j = 0; j < 2; j++)
        total_peer (run, p, &g_array_index (end->peers, LoadPeerSnapshot, 2 * i + j),
                    &g_array_index (start->peers, LoadPeerSnapshot, 2 * i + j), &totals,
                    &last_first_rx);
      totals.streams_expected += p->expected_streams;
      if (totals.streams_seen - seen_before >= p->expected_streams)
        {
          double setup_ms = (double) (last_first_rx - p->join_us) / 1000.0;

          totals.complete++;
          if (p->expected_streams > 0)
            g_array_append_val (totals.setup_ms, setup_ms);
        }
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "label");
  json_builder_add_string_value (builder, options->label ? options->label : "");
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, run->driver->name);
  json_builder_set_member_name (builder, "command");
  json_builder_add_string_value (builder, options->command ? options->command : "");
  ADD_INT (builder, "rooms", options->rooms);
  ADD_INT (builder, "publishers_per_room", options->publishers);
  ADD_INT (builder, "subscribers_per_room", options->subscribers);
  ADD_INT (builder, "participants", run->participants->len);
  ADD_INT (builder, "participants_complete", totals.complete);
  ADD_DOUBLE (builder, "setup_s", setup_s);
  ADD_DOUBLE (builder, "window_s", window_s);
  ADD_INT (builder, "streams_expected", totals.streams_expected);
  ADD_INT (builder, "streams_seen", totals.streams_seen);
  ADD_INT (builder, "streams_forwarded", totals.streams_flowing);
  add_kinds (builder, "packets_published", totals.tx_packets);
  add_kinds (builder, "bytes_published", totals.tx_bytes);
  add_kinds (builder, "packets_forwarded", totals.rx_packets);
  add_kinds (builder, "bytes_forwarded", totals.rx_bytes);
  add_kinds (builder, "packets_lost", totals.lost);
  ADD_INT (builder, "packets_late", totals.late);
  add_rtcp_object (builder, "rtcp_at_publishers", &totals.publisher_rtcp);
  add_rtcp_object (builder, "rtcp_at_receivers", &totals.receiver_rtcp);
  ADD_INT (builder, "keyframe_jumps", totals.keyframe_jumps);
  json_builder_set_member_name (builder, "video_received");
  json_builder_begin_object (builder);
  ADD_INT (builder, "streams", totals.video_streams);
  ADD_INT (builder, "frames_played", totals.video.frames_played);
  ADD_INT (builder, "frames_dropped", totals.video.frames_dropped);
  ADD_DOUBLE (builder, "frames_per_second_per_stream",
              totals.video_streams > 0 && window_s > 0
                  ? (double) totals.video.frames_played / (totals.video_streams * window_s)
                  : 0.0);
  ADD_INT (builder, "freezes", totals.video.freezes);
  ADD_DOUBLE (builder, "freeze_s", (double) totals.video.freeze_us / G_USEC_PER_SEC);
  ADD_DOUBLE (builder, "worst_stream_freeze_s",
              (double) totals.worst_freeze_us / G_USEC_PER_SEC);
  ADD_INT (builder, "keyframes_wanted", totals.video.keyframes_wanted);
  ADD_INT (builder, "nacks_resent", totals.video.nacks_resent);
  ADD_INT (builder, "packets_too_late", totals.video.packets_too_late);
  json_builder_end_object (builder);
  load_report_add_distribution (builder, "join_to_first_packet_ms",
                                totals.join_latency_ms);
  load_report_add_distribution (builder, "join_to_all_streams_ms", totals.setup_ms);

  server_cpu = add_server (builder, pids, roles, start, end);
  forwarded_packets = (double) (totals.rx_packets[0] + totals.rx_packets[1]);
  ADD_DOUBLE (builder, "server_cpu_s", server_cpu);
  ADD_DOUBLE (builder, "server_cpu_per_stream_second",
              totals.streams_flowing > 0 && window_s > 0
                  ? server_cpu / (totals.streams_flowing * window_s)
                  : 0.0);
  ADD_DOUBLE (builder, "server_cpu_us_per_packet",
              forwarded_packets > 0 ? server_cpu * 1e6 / forwarded_packets : 0.0);
  ADD_DOUBLE (builder, "load_generator_cpu_s", end->self_cpu_s - start->self_cpu_s);
  json_builder_set_member_name (builder, "timeline");
  json_builder_begin_array (builder);
  for (guint i = 0; i < run->participants->len; i++)
    {
      LoadParticipant *p = g_ptr_array_index (run->participants, i);
      gint64 origin = run_start_us (run);
      const struct
      {
        const char *name;
        gint64 at;
      } marks[] = {
        { "join_ms", p->join_us },           { "subscribe_ms", p->recv_join_us },
        { "offer_ms", p->offer_us },         { "answer_ms", p->answer_us },
        { "connected_ms", p->connected_us },
      };

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "participant");
      json_builder_add_string_value (builder, p->name);
      for (guint m = 0; m < G_N_ELEMENTS (marks); m++)
        if (marks[m].at > 0)
          ADD_DOUBLE (builder, marks[m].name, (double) (marks[m].at - origin) / 1000.0);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "streams");
  json_builder_add_value (
      builder, json_node_init_array (json_node_alloc (), totals.stream_details));
  ADD_INT (builder, "errors", run->error_count);
  json_builder_set_member_name (builder, "first_errors");
  json_builder_begin_array (builder);
  for (guint i = 0; i < run->errors->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (run->errors, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  g_array_unref (totals.join_latency_ms);
  g_array_unref (totals.setup_ms);
  json_array_unref (totals.stream_details);
  return json_builder_get_root (builder);
}

static double
percentile (JsonObject *report, const char *name, const char *which)
{
  JsonObject *object = json_object_get_object_member (report, name);

  return object ? json_object_get_double_member_with_default (object, which, -1.0) : -1.0;
}

static guint64
kinds_sum (JsonObject *report, const char *name)
{
  JsonObject *object = json_object_get_object_member (report, name);

  return object
             ? (guint64) (json_object_get_int_member_with_default (object, "audio", 0)
                          + json_object_get_int_member_with_default (object, "video", 0))
             : 0;
}

char *
load_report_summary (JsonObject *report)
{
  double window = json_object_get_double_member_with_default (report, "window_s", 0.0);
  guint64 forwarded = kinds_sum (report, "packets_forwarded");
  guint64 lost = kinds_sum (report, "packets_lost");

  return g_strdup_printf (
      "%s %s: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
      " streams, %.0f packets/s forwarded, "
      "loss %.2f%%, join→first packet p50 %.0f ms p95 %.0f ms, server CPU %.3f s in %.1f "
      "s "
      "(%.1f µs/packet, %.2f ms per stream-second), %" G_GINT64_FORMAT " errors",
      json_object_get_string_member_with_default (report, "server", "?"),
      json_object_get_string_member_with_default (report, "label", ""),
      json_object_get_int_member_with_default (report, "streams_forwarded", 0),
      json_object_get_int_member_with_default (report, "streams_expected", 0),
      window > 0 ? (double) forwarded / window : 0.0,
      forwarded + lost > 0 ? 100.0 * (double) lost / (double) (forwarded + lost) : 0.0,
      percentile (report, "join_to_first_packet_ms", "p50"),
      percentile (report, "join_to_first_packet_ms", "p95"),
      json_object_get_double_member_with_default (report, "server_cpu_s", 0.0), window,
      json_object_get_double_member_with_default (report, "server_cpu_us_per_packet",
                                                  0.0),
      1000.0
          * json_object_get_double_member_with_default (
              report, "server_cpu_per_stream_second", 0.0),
      json_object_get_int_member_with_default (report, "errors", 0));
}
