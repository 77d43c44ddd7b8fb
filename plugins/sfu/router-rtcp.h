/* RTCP packets convokerouter writes: compound reports (RR or SR, always
 * followed by an SDES CNAME, as RFC 3550 requires of every compound
 * packet), PLI, NACK and REMB feedback.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtp/rtp.h>

#include "router-rtp.h"

G_BEGIN_DECLS

/* The most report blocks one RR carries (the count field has 5 bits). */
#define ROUTER_RTCP_MAX_REPORT_BLOCKS 31

/* A compound packet with an RR from @sender_ssrc holding @n_blocks report
 * blocks (about @source_ssrcs), an SDES CNAME and, when @remb_bitrate is
 * not 0, a REMB announcing that bitrate for @source_ssrcs. */
GstBuffer *router_rtcp_build_receiver_report (guint32 sender_ssrc, const char *cname,
                                              const guint32 *source_ssrcs,
                                              const RouterReportBlock *blocks,
                                              guint n_blocks, guint64 remb_bitrate);

/* A compound packet: an empty RR from @sender_ssrc, SDES, and a REMB
 * announcing @bitrate for @source_ssrcs: a lower estimate sent at once,
 * between two receiver reports. */
GstBuffer *router_rtcp_build_remb (guint32 sender_ssrc, const char *cname,
                                   const guint32 *source_ssrcs, guint n_ssrcs,
                                   guint64 bitrate);

/* A compound packet: an empty RR from @sender_ssrc, SDES, and a PLI
 * asking @media_ssrc for a key frame. */
GstBuffer *router_rtcp_build_pli (guint32 sender_ssrc, const char *cname,
                                  guint32 media_ssrc);

/* The most FCI items one NACK carries: 16 bits each cover 17 packets, and
 * the loss tracker never asks for more than 64 at once. */
#define ROUTER_RTCP_MAX_NACK_ITEMS 64

/* A compound packet: an empty RR from @sender_ssrc, SDES, and a generic
 * NACK (RTPFB, FMT 1) asking @media_ssrc for @seqs (ascending, modulo
 * 2^16). */
GstBuffer *router_rtcp_build_nack (guint32 sender_ssrc, const char *cname,
                                   guint32 media_ssrc, const guint16 *seqs, guint n_seqs);

/* A compound packet: an SR for @ssrc with the given sender info, and SDES. */
GstBuffer *router_rtcp_build_sender_report (guint32 ssrc, const char *cname,
                                            guint64 ntp_time, guint32 rtp_time,
                                            guint32 packet_count, guint32 octet_count);

/* The bitrate of a REMB (PSFB, FMT 15, draft-alvestrand-rmcat-remb) in
 * bits a second. FALSE when @packet is not one, or is cut short (fewer
 * FCI words than its SSRC count needs). */
gboolean router_rtcp_parse_remb (GstRTCPPacket *packet, guint64 *bitrate);

/* Calls @func for every sequence number a Generic NACK packet (RTPFB,
 * FMT 1) lists as lost. */
void router_rtcp_foreach_nack (GstRTCPPacket *packet,
                               void (*func) (guint16 seq, gpointer user_data),
                               gpointer user_data);

G_END_DECLS
