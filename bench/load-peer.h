/* One peer connection of the load generator, built from the same parts as
 * a group room's worker (modules/group/worker/group-transport.c: libnice,
 * dtlssrtpdec/dtlssrtpenc) rather than webrtcbin, so that a load client
 * costs little: nothing is decoded or encoded.
 *
 *   GroupTransport ── rtp_src ──► (probe: count, loss, NACK) ► fakesink
 *                  ── rtcp_src ─► (probe: PLI/FIR/NACK/REMB)  ► fakesink
 *   appsrc (RTP, from LoadSender) ──► rtp_sink
 *   appsrc (RTCP: NACKs we send)  ──► rtcp_sink
 *
 * Every description it writes is non-trickle: it holds all candidates
 * (host candidates on one address). Offers use a=setup:actpass, answers
 * a=setup:active, as browsers do, unless told to answer passive.
 *
 * Counting runs on the streaming threads; everything else on the main
 * context.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "group-sdp.h"
#include "load-clip.h"
#include "load-receiver.h"
#include "load-sender.h"

G_BEGIN_DECLS

typedef struct _LoadPeer LoadPeer;

typedef struct
{
  guint32 ssrc;
  LoadKind kind;
  guint64 packets; /* every packet, retransmissions included */
  guint64 bytes;
  guint64 expected; /* highest extended sequence number - first + 1 */
  guint64 late;     /* arrived behind the highest: retransmitted, reordered, duplicated */
  gint64 first_rx_us; /* g_get_monotonic_time () */
  char *mid;          /* the m-line the remote SDP announced its SSRC on */
  char *msid;         /* that m-line's msid stream id */
  LoadReceiverStats frames; /* video: what a browser could have shown (load-receiver.h) */
} LoadRxStream;

typedef struct
{
  guint64 pli, fir, nack, nack_seqs, remb, sr, rr, bye; /* RTCP received */
  guint64 nack_sent, nack_seqs_sent, pli_sent;          /* feedback we sent */
} LoadRtcpStats;

typedef struct
{
  GArray *rx; /* LoadRxStream, strings owned */
  LoadRtcpStats rtcp;
  gboolean tx_active[LOAD_N_KINDS];
  LoadStreamStats tx[LOAD_N_KINDS];
} LoadPeerSnapshot;

void load_peer_snapshot_clear (LoadPeerSnapshot *snapshot);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LoadPeerSnapshot, load_peer_snapshot_clear)

typedef struct
{
  void (*gathered) (LoadPeer *peer, gpointer user_data);
  void (*connected) (LoadPeer *peer, gpointer user_data);
  void (*failed) (LoadPeer *peer, const char *message, gpointer user_data);
} LoadPeerCallbacks;

/* A peer gathering host candidates on @ice_address. */
LoadPeer *load_peer_new (const char *name, const char *ice_address, LoadSender *sender,
                         const LoadPeerCallbacks *callbacks, gpointer user_data,
                         GError **error);
void load_peer_free (LoadPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadPeer, load_peer_free)

/* Answer a=setup:passive: the remote starts DTLS. Before the first
 * remote description. */
void load_peer_set_answer_passive (LoadPeer *peer, gboolean passive);
const char *load_peer_get_name (LoadPeer *peer);
gboolean load_peer_is_gathered (LoadPeer *peer);
gboolean load_peer_is_connected (LoadPeer *peer);

/* Applies the remote side's transport (ICE credentials and candidates,
 * fingerprint, DTLS role) and learns which SSRC each of its m-lines
 * sends. @is_offer: the remote side offered (we are ICE controlled). */
gboolean load_peer_apply_remote (LoadPeer *peer, const char *sdp, gboolean is_offer,
                                 GError **error);
/* "candidate:…" from a trickling remote; "" ends them. */
void load_peer_add_remote_candidate (LoadPeer *peer, const char *candidate);

/* Answers @offer (already applied): every m-line the remote sends on is
 * received; when @publish, the first audio and video m-lines the remote
 * receives on are sent on, with the payload type offered. Needs the
 * gathering done. */
char *load_peer_write_answer (LoadPeer *peer, const char *offer, gboolean publish,
                              GError **error);
/* An offer publishing Opus (111) and VP8 (96), sendonly. */
char *load_peer_write_offer (LoadPeer *peer);

/* Starts replaying the clip on the negotiated m-lines. Only once
 * connected; does nothing when nothing was negotiated for sending. */
void load_peer_start_sending (LoadPeer *peer);

void load_peer_snapshot (LoadPeer *peer, LoadPeerSnapshot *snapshot);

G_END_DECLS
