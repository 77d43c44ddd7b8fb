/* convokerouter's request pads as its users see them: the four kinds a
 * participant has and the name of each (a prefix, then the participant's
 * id: recv_rtp_sink_PA…). The element (plugins/sfu/router-pads.c) and the
 * pipelines that link to it (the group worker,
 * modules/group/worker/group-participant.c) share this one table.
 *
 * Header-only: the group module uses the element through GStreamer and
 * does not link the plugin.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sink pads come first: what a participant sends enters on them. */
typedef enum
{
  CONVOKE_ROUTER_PAD_RECV_RTP,  /* sink: RTP the participant publishes */
  CONVOKE_ROUTER_PAD_RECV_RTCP, /* sink: RTCP from the participant */
  CONVOKE_ROUTER_PAD_SEND_RTP,  /* src: RTP forwarded to the participant */
  CONVOKE_ROUTER_PAD_SEND_RTCP, /* src: RTCP for the participant */
  CONVOKE_ROUTER_N_PADS,
} ConvokeRouterPad;

#define CONVOKE_ROUTER_PAD_IS_SINK(kind) ((kind) <= CONVOKE_ROUTER_PAD_RECV_RTCP)

/* The name prefixes, as literals for the element's pad templates. */
#define CONVOKE_ROUTER_RECV_RTP_PREFIX "recv_rtp_sink_"
#define CONVOKE_ROUTER_RECV_RTCP_PREFIX "recv_rtcp_sink_"
#define CONVOKE_ROUTER_SEND_RTP_PREFIX "send_rtp_src_"
#define CONVOKE_ROUTER_SEND_RTCP_PREFIX "send_rtcp_src_"

/* A packet entering a recv_rtp pad may carry its arrival time: a
 * GstReferenceTimestampMeta with these caps, whose timestamp is
 * g_get_monotonic_time() × 1000 (ns) when it arrived. Without one the
 * router takes the time it sees the packet. The uplink estimate measures
 * delay from arrival times, so tests hand-make them this way. */
#define CONVOKE_ROUTER_ARRIVAL_CAPS "timestamp/x-convoke-arrival"

/* The name prefix of @kind's pads: the pad of participant ID is the
 * prefix followed by ID. */
static inline const char *
convoke_router_pad_prefix (ConvokeRouterPad kind)
{
  static const char *const prefixes[CONVOKE_ROUTER_N_PADS] = {
    [CONVOKE_ROUTER_PAD_RECV_RTP] = CONVOKE_ROUTER_RECV_RTP_PREFIX,
    [CONVOKE_ROUTER_PAD_RECV_RTCP] = CONVOKE_ROUTER_RECV_RTCP_PREFIX,
    [CONVOKE_ROUTER_PAD_SEND_RTP] = CONVOKE_ROUTER_SEND_RTP_PREFIX,
    [CONVOKE_ROUTER_PAD_SEND_RTCP] = CONVOKE_ROUTER_SEND_RTCP_PREFIX,
  };

  g_return_val_if_fail ((guint) kind < CONVOKE_ROUTER_N_PADS, NULL);
  return prefixes[kind];
}

G_END_DECLS
