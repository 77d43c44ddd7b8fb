/* What a group room's worker sends to one participant: RTP and RTCP from
 * the router, protected with SRTP and handed straight to the
 * participant's ICE component.
 *
 * A GstElement with two always sink pads, `rtp_sink` and `rtcp_sink`, and
 * no source pad. Each buffer is copied once, into a packet on the
 * pushing thread's stack, protected there with libsrtp2 (OpenSSL's
 * AES-CTR and HMAC-SHA1 inside it, srtp-openssl.h) and sent with
 * nice_agent_send(). It replaces `dtlssrtpenc`'s SRTP half
 * (srtpenc ! funnel) and `nicesink` for media: per packet and subscriber,
 * those cost three more pad pushes with their locks, a GstBuffer for the
 * protected packet and a GstBaseSink's preroll lock, which together were
 * most of the forwarding path's CPU outside the kernel
 * (docs/benchmarks.md, "Profile"). DTLS itself and the data channel's
 * SCTP still go through `dtlssrtpenc ! nicesink`.
 *
 * Until group_srtp_sender_set_key() the sender drops what it gets: the
 * keys come from the DTLS handshake, and nothing may leave unprotected.
 * A packet libsrtp2 refuses is dropped, never an element error, so one
 * bad packet cannot end a participant's media.
 *
 * Each SSRC sent has an SRTP session of its own, made at its first
 * packet (group-srtp-session.h says why), all with the same key.
 *
 * Threads: any number of publishers' streaming threads push at once; one
 * mutex per sender keeps the SRTP sessions (libsrtp2's srtp_t is not
 * thread-safe) and is held only while a packet is protected and sent.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <nice/agent.h>

#include "group-srtp-session.h"

G_BEGIN_DECLS

#define GROUP_TYPE_SRTP_SENDER (group_srtp_sender_get_type ())
G_DECLARE_FINAL_TYPE (GroupSrtpSender, group_srtp_sender, GROUP, SRTP_SENDER, GstElement)

/* Sends on @agent's @stream_id, component @component_id; keeps a
 * reference to @agent. */
GroupSrtpSender *group_srtp_sender_new (NiceAgent *agent, guint stream_id, guint component_id);

/* Starts protecting with @key (master key then master salt, as
 * dtlsenc's "encoder-key" gives them). Fails, and the sender goes on
 * dropping, when the profile is not one of the above or the key's
 * length does not fit it. A repeat of an index already sent is allowed
 * when it reaches back at most @repeat_window packets (the router's
 * retransmission cache; see group-transport-dtls.c). From any thread. */
gboolean group_srtp_sender_set_key (GroupSrtpSender *self, GroupSrtpCipher cipher,
                                    GroupSrtpAuth auth, GBytes *key, guint repeat_window,
                                    GError **error);

typedef struct
{
  guint64 sent;         /* packets nice_agent_send() took */
  guint64 before_key;   /* dropped: no key yet */
  guint64 refused;      /* dropped: libsrtp2 refused to protect, or no SSRC */
  guint64 unsent;       /* dropped: too large, or ICE had no pair */
} GroupSrtpSenderStats;

void group_srtp_sender_get_stats (GroupSrtpSender *self, GroupSrtpSenderStats *stats);

G_END_DECLS
