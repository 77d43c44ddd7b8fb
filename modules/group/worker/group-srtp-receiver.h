/* What a group room's worker receives from one participant, between
 * `nicesrc` and the router: SRTP and SRTCP decrypted in place and split
 * into RTP and RTCP (rtcp-mux, RFC 5761), and DTLS passed on to
 * `dtlssrtpdec` for the handshake and the data channel.
 *
 * A GstElement with an always sink pad `sink` (what nicesrc reads) and
 * three always source pads: `rtp_src`, `rtcp_src` (decrypted packets for
 * the router) and `dtls_src` (DTLS records, RFC 7983 first bytes 20 to
 * 63, for dtlssrtpdec). It replaces dtlssrtpdec's SRTP half
 * (dtlssrtpdemux ! srtpdec) for media: per packet, those cost two more
 * elements' pad pushes with their locks and srtpdec's own bookkeeping,
 * and the receive half was about as costly as the whole send half
 * (docs/benchmarks.md, "Profile"). The first packet on each of
 * `rtp_src` and `rtcp_src` starts its stream (stream-start, caps,
 * segment); the sink pad's events go to `dtls_src`, and EOS and flushes
 * to all three.
 *
 * Until group_srtp_receiver_set_key() SRTP is dropped: the keys come from
 * the DTLS handshake. A packet libsrtp2 refuses (a replay, a bad tag) is
 * dropped and counted. Anything that is neither DTLS nor SRTP is dropped
 * too: libnice has consumed STUN already.
 *
 * Threads: nicesrc's streaming thread pushes; the key is set from a DTLS
 * thread. One mutex keeps the SRTP session.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "group-srtp-session.h"

G_BEGIN_DECLS

#define GROUP_TYPE_SRTP_RECEIVER (group_srtp_receiver_get_type ())
G_DECLARE_FINAL_TYPE (GroupSrtpReceiver, group_srtp_receiver, GROUP, SRTP_RECEIVER, GstElement)

GroupSrtpReceiver *group_srtp_receiver_new (void);

/* Starts decrypting with @key (master key then master salt, as dtlsdec's
 * "decoder-key" gives them), with a replay window of @window packets.
 * Fails, and SRTP goes on being dropped, when the profile is not one
 * libsrtp2 can use or the key does not fit it. From any thread. */
gboolean group_srtp_receiver_set_key (GroupSrtpReceiver *self, GroupSrtpCipher cipher,
                                      GroupSrtpAuth auth, GBytes *key, guint window,
                                      GError **error);

typedef struct
{
  guint64 rtp;        /* RTP packets decrypted */
  guint64 rtcp;       /* RTCP packets decrypted */
  guint64 dtls;       /* DTLS records passed on */
  guint64 before_key; /* SRTP dropped: no key yet */
  guint64 refused;    /* SRTP dropped: libsrtp2 refused it */
  guint64 other;      /* dropped: neither DTLS nor SRTP */
} GroupSrtpReceiverStats;

void group_srtp_receiver_get_stats (GroupSrtpReceiver *self, GroupSrtpReceiverStats *stats);

G_END_DECLS
