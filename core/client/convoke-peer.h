/* ConvokePeer: one webrtcbin peer connection inside the caller's bin.
 *
 * A peer sends what its local tracks produce (one tee branch per track)
 * and hands every remote stream it receives back as a pad. It knows
 * nothing about signaling: it emits its local descriptions and candidates
 * as signals, and takes the remote ones through methods.
 *
 * Every signal is emitted on the main context that was the thread default
 * when the peer was created, never on a GStreamer streaming thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

typedef struct
{
  /* FALSE: hold each local description until ICE gathering completes so
   * that it carries every candidate, and never emit "local-candidate". */
  gboolean trickle;
  gboolean relay_only;
  /* webrtcbin's jitter buffer latency, in ms: how long a lost packet's
   * retransmission may take to arrive (NACK, the round trip, jitter). */
  guint latency_ms;
  /* "stun://host:port", or NULL */
  char *stun_server;
  /* "turn://user:password@host:port?transport=udp" URIs (user and
   * password URI-escaped); NULL-terminated, may be NULL */
  char **turn_servers;
  /* Restricts ICE gathering to these local addresses (e.g. "127.0.0.1");
   * NULL-terminated, NULL or empty: every interface. */
  char **local_addresses;
  /* Give the first offer a data m-line even without data channels of
   * ours (a pre-negotiated channel that carries nothing), so that both
   * sides' data channels need no renegotiation later: mesh connections. */
  gboolean data_m_line;
} ConvokePeerConfig;

ConvokePeerConfig *convoke_peer_config_copy (const ConvokePeerConfig *config);
void convoke_peer_config_free (ConvokePeerConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokePeerConfig, convoke_peer_config_free)

#define CONVOKE_TYPE_PEER (convoke_peer_get_type ())
G_DECLARE_FINAL_TYPE (ConvokePeer, convoke_peer, CONVOKE, PEER, GObject)

/* Signals:
 *   "local-description" (const char *type, const char *sdp)
 *       type is "offer" or "answer"; the description is already set
 *       locally.
 *   "local-candidate"   (guint mline_index, const char *candidate)
 *       only when trickle is on; "" once gathering is complete.
 *   "remote-pad"        (GstPad *pad, const char *kind, const char *mid,
 *                        const char *msid)
 *       a remote stream. The pad carries RTP. It is held blocked while
 *       the signal runs, so handlers can link it before data flows; it is
 *       linked to a fakesink afterwards when no handler linked it.
 *       kind: "audio" or "video"; msid may be NULL.
 *   "failed"            (GError *error)
 *       negotiation or the media connection failed (CONVOKE_ERROR).
 *   "connected"         ()
 *       the peer connection reached the connected state.
 *   "data-channel"      (const char *label, const char *protocol)
 *       a data channel the other side opened is open.
 *   "data-message"      (const char *label, const char *protocol,
 *                        GBytes *data, gboolean binary)
 *       a message on a data channel the other side opened.
 */

/* Timers of the library's objects, on the main context the object was
 * created on: g_timeout_add() and g_source_remove() use the global
 * default context, which may belong to another thread. */
guint convoke_timeout_add (GMainContext *context, guint interval_ms, GSourceFunc func,
                           gpointer data);
/* Removes the timer *@id (if not 0) from @context and sets *@id to 0. */
void convoke_timeout_clear (GMainContext *context, guint *id);

/* Switches off UPnP port mapping in @webrtcbin's ICE agent, as every
 * peer does for its own webrtcbin. Call before gathering starts. */
void convoke_webrtcbin_disable_upnp (GstElement *webrtcbin);

/* Adds a new webrtcbin to @bin, syncing it with @bin's state. */
ConvokePeer *convoke_peer_new (GstBin *bin, const char *remote_id,
                               const ConvokePeerConfig *config, GError **error);

const char *convoke_peer_get_remote_id (ConvokePeer *self);
/* g_get_monotonic_time() when the peer was created. */
gint64 convoke_peer_get_created_time (ConvokePeer *self);
GstElement *convoke_peer_get_webrtcbin (ConvokePeer *self);
GstWebRTCPeerConnectionState convoke_peer_get_connection_state (ConvokePeer *self);

/* Sends what @tee carries (RTP with @caps) on a new transceiver of
 * @direction. @msid becomes the stream id in the SDP's a=msid. Call
 * before the first offer or answer. */
gboolean convoke_peer_add_local_track (ConvokePeer *self, GstElement *tee, GstCaps *caps,
                                       const char *msid,
                                       GstWebRTCRTPTransceiverDirection direction,
                                       GError **error);

/* Adds a receive-only transceiver of @kind ("audio" or "video") offering
 * the codecs Convoke clients send, so that an offer can receive a kind
 * that no local track sends. Call before the first offer. */
void convoke_peer_add_receiver (ConvokePeer *self, const char *kind);

/* Opens a data channel labelled @label (a data track's id): ordered or
 * not; @max_retransmits or @max_packet_lifetime (ms) limit its
 * reliability (-1: not limited). Call before the offer or answer that
 * should carry the data m-line. */
gboolean convoke_peer_add_data_channel (ConvokePeer *self, const char *label,
                                        gboolean ordered, gint max_retransmits,
                                        gint max_packet_lifetime, GError **error);
/* Whether this side opened data channels. */
gboolean convoke_peer_has_data_channels (ConvokePeer *self);
/* Whether the current remote description has a data m-line. */
gboolean convoke_peer_remote_has_data (ConvokePeer *self);
/* Sends one message on our channel @label; FALSE (53300) when it is not
 * open (yet). */
gboolean convoke_peer_send_data (ConvokePeer *self, const char *label, GBytes *data,
                                 gboolean binary, GError **error);

/* Creates an offer, sets it locally and emits "local-description". One
 * exchange at a time: while a remote offer is being answered, or our
 * previous offer waits for its answer, the offer is made once that is
 * done (docs/signaling.md, *Crossing offers*). */
void convoke_peer_create_offer (ConvokePeer *self);

/* Whether an offer of ours waits for its answer (from the moment it is
 * asked for): a remote offer that arrives meanwhile is ignored, since the
 * server withdraws an offer that crossed ours and offers again after
 * answering. */
gboolean convoke_peer_offer_outstanding (ConvokePeer *self);

/* Applies a remote description. For an offer, answers it: transceivers
 * without a local track receive only; an offer that crossed ours is
 * ignored (convoke_peer_offer_outstanding()). Returns FALSE (53402) when
 * @sdp is not valid SDP; failures inside webrtcbin are reported with
 * "failed". */
gboolean convoke_peer_set_remote_description (ConvokePeer *self, GstWebRTCSDPType type,
                                              const char *sdp, GError **error);

/* The media description of the current remote description that has
 * @mid, or NULL. Valid until the next remote description. */
const GstSDPMedia *convoke_peer_find_remote_media (ConvokePeer *self, const char *mid);

void convoke_peer_add_remote_candidate (ConvokePeer *self, guint mline_index,
                                        const char *candidate);

/* Tears the webrtcbin down (NULL state, out of the bin) and releases the
 * tee branches, without disturbing anything else in the bin. Idempotent;
 * no signal is emitted afterwards. */
void convoke_peer_close (ConvokePeer *self);

G_END_DECLS
