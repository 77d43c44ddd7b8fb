/* Uplink estimation in the routing table: each publisher's packets and
 * the loss the router measures of them feed its RouterUplink
 * (router-uplink.h), whose estimate is the REMB the router sends it.
 *
 * The REMB goes with each receiver report (the lower of the estimate and
 * the room's max-bitrate), and at once, on a packet, when the estimate
 * falls (a second's wait would let a queue in front of a capped link
 * fill and drop) or a decrease is undone.
 *
 * The same lock contract as router-table.c: every function here expects
 * the table's lock held. On the packet path only the reference stream's
 * packets do any work, and a decision is taken once per bucket (50 ms).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-table-private.h"

#include "router-rtcp.h"

GST_DEBUG_CATEGORY_EXTERN (gst_convoke_router_debug);
#define GST_CAT_DEFAULT gst_convoke_router_debug

/* Everything arriving from @publisher, retransmissions included. */
static guint64
incoming_rate (RouterParticipant *publisher, gint64 now_us)
{
  guint64 bps = 0;

  for (guint track = 0; track < ROUTER_MAX_TRACKS; track++)
    if (publisher->streams[track] != NULL)
      bps += router_rate_meter_get (&publisher->streams[track]->rate, now_us);
  return bps;
}

guint64
router_uplink_remb_bitrate (RouterTable *table, RouterParticipant *publisher)
{
  guint64 estimate = table->bandwidth_estimation ? router_uplink_get (&publisher->uplink) : 0;

  /* Chromium holds the last REMB it got until another comes: once one
   * limited the publisher, unlimited must be said, not left unsaid. */
  if (estimate == 0 && table->max_bitrate == 0 && publisher->uplink.overuses > 0)
    return ROUTER_UPLINK_MAX_BPS;
  if (estimate == 0)
    return table->max_bitrate;
  if (table->max_bitrate == 0)
    return estimate;
  return MIN (estimate, (guint64) table->max_bitrate);
}

static void
push_remb (RouterTable *table, RouterParticipant *publisher, gint64 now_us, GArray *pushes)
{
  guint32 ssrcs[ROUTER_MAX_TRACKS];
  guint n = 0;

  if (!publisher->sending || publisher->pads[CONVOKE_ROUTER_PAD_SEND_RTCP] == NULL)
    return;
  for (guint track = 0; track < ROUTER_MAX_TRACKS; track++)
    if (publisher->streams[track] != NULL)
      ssrcs[n++] = publisher->streams[track]->ssrc;
  GST_DEBUG_OBJECT (table->element,
                    "%s: uplink estimate changed (queue %" G_GINT64_FORMAT " µs, loss %.3f, incoming %"
                    G_GUINT64_FORMAT "): REMB %" G_GUINT64_FORMAT,
                    publisher->id, router_uplink_queue_delay (&publisher->uplink, now_us),
                    publisher->uplink.loss, incoming_rate (publisher, now_us),
                    router_uplink_remb_bitrate (table, publisher));
  router_pushes_add (pushes, publisher, publisher->pads[CONVOKE_ROUTER_PAD_SEND_RTCP],
                     router_rtcp_build_remb (publisher->local_ssrc, ROUTER_CNAME, ssrcs, n,
                                             router_uplink_remb_bitrate (table, publisher)));
}

void
router_uplink_rtp (RouterTable *table, RouterParticipant *from, RouterStream *stream,
                   GstRTPBuffer *rtp, gint64 now_us, GArray *pushes)
{
  /* Audio, when there is some: steady packets stamped when sampled. */
  RouterStream *reference = from->streams[ROUTER_TRACK_AUDIO] != NULL
                                ? from->streams[ROUTER_TRACK_AUDIO]
                                : from->streams[ROUTER_TRACK_VIDEO];

  if (!table->bandwidth_estimation)
    return;
  router_uplink_bytes (&from->uplink, gst_rtp_buffer_get_packet_len (rtp), now_us);
  if (stream != reference
      || !router_uplink_packet (&from->uplink, stream->ssrc,
                                gst_rtp_buffer_get_timestamp (rtp), stream->clock_rate,
                                now_us))
    return;
  if (router_uplink_update (&from->uplink, incoming_rate (from, now_us), now_us))
    push_remb (table, from, now_us, pushes);
}

void
router_uplink_tick (RouterTable *table, RouterParticipant *publisher,
                    RouterStream *const *streams, const RouterReportBlock *blocks,
                    guint n_blocks, gint64 now_us)
{
  double loss_sum = 0, weight = 0, loss_max = 0;

  if (!table->bandwidth_estimation || n_blocks == 0)
    return;
  for (guint i = 0; i < n_blocks; i++)
    {
      double loss = blocks[i].fraction_lost / 256.0;
      /* A lost packet of a busy stream says more than one of a quiet one. */
      double w = (double) router_rate_meter_get (&streams[i]->rate, now_us);

      loss_sum += loss * w;
      weight += w;
      loss_max = MAX (loss_max, loss);
    }
  router_uplink_loss (&publisher->uplink, weight > 0 ? loss_sum / weight : loss_max, now_us);
  /* The REMB this would send goes with the report anyway. */
  router_uplink_update (&publisher->uplink, incoming_rate (publisher, now_us), now_us);
}

void
router_uplink_stats (RouterParticipant *participant, GstStructure *stats)
{
  gst_structure_set (stats, "uplink-estimate", G_TYPE_UINT64,
                     router_uplink_get (&participant->uplink), "uplink-overuses",
                     G_TYPE_UINT64, participant->uplink.overuses, "uplink-overuses-undone",
                     G_TYPE_UINT64, participant->uplink.reverted, NULL);
}
