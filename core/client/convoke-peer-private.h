/* Internal: ConvokePeer's state, shared by the peer object
 * (convoke-peer.c: life cycle, tracks, remote pads, the way from
 * webrtcbin's threads to the main context), its negotiation
 * (convoke-peer-negotiation.c: offers, answers, non-trickle descriptions)
 * and its ICE side (convoke-peer-ice.c: STUN/TURN/relay-only settings,
 * candidates, gathering and connection state).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/sdp/sdp.h>

#include "convoke-peer.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (convoke_peer_debug);

typedef struct
{
  GstElement *tee;
  GstPad *tee_pad;
  GstElement *queue;
  GstPad *sink_pad;
  GstWebRTCRTPTransceiver *transceiver;
} LocalBranch;

typedef struct
{
  guint mline_index;
  char *candidate;
} GatheredCandidate;

struct _ConvokePeer
{
  GObject parent_instance;

  GMainContext *context;
  GstBin *bin;
  GstElement *webrtcbin;
  char *remote_id;
  ConvokePeerConfig *config;
  gint64 created_time;
  gboolean closed;

  GPtrArray *branches;       /* LocalBranch* */
  /* GstWebRTCDataChannel*: the ones we opened and the ones the other side
   * did (convoke-peer-data.c); data_lock guards both arrays, which
   * webrtcbin's threads add to. */
  GMutex data_lock;
  GPtrArray *local_channels;
  GPtrArray *remote_channels;
  GPtrArray *fallback_sinks; /* fakesinks for remote pads nobody linked */

  GstSDPMessage *remote_sdp;

  /* ICE gathering as far as the main context has been told: the state of
   * the last notification delivered, never webrtcbin's current one, which
   * can already be "complete" while candidates wait in the queue. */
  GstWebRTCICEGatheringState gathering_state;

  /* Non-trickle: the description waiting for gathering to complete. */
  char *pending_type;
  gboolean pending_local_set;
  GArray *gathered; /* GatheredCandidate */
  guint gathering_timeout_id;

  /* One exchange at a time (docs/signaling.md, *Crossing offers*): an
   * offer made while webrtcbin is in have-remote-offer fails to apply
   * ("Not in the correct state"), yet would already be on its way in
   * trickle mode, and the server would withdraw the offer we answer.
   * offering: our offer, from asking for it until its answer is applied.
   * answering: a remote offer, from applying it until our answer is both
   * set and sent (trickle sends first, non-trickle sets first).
   * offer_wanted: an offer asked for during either, made after. */
  gboolean offering;
  gboolean answering;
  gboolean answer_set;
  gboolean answer_sent;
  gboolean offer_wanted;

  /* The offer or answer to create once every local track has caps. */
  GstWebRTCSDPType pending_create;
  guint caps_timeout_id;

  /* Relay-only: without a relayed candidate ICE has nothing to check, so
   * webrtcbin never reports the connection as failed. The peer says so
   * itself, once. */
  guint relay_candidates;
  gboolean relay_failure_reported;
};

/* Everything webrtcbin reports arrives on its own threads. A PeerCall
 * carries it to the peer's main context, with a reference that keeps the
 * peer alive until then. */
typedef struct _PeerCall PeerCall;
typedef void (*PeerCallFunc) (ConvokePeer *self, PeerCall *call);

struct _PeerCall
{
  ConvokePeer *peer;
  PeerCallFunc func;
  GstWebRTCSDPType sdp_type;
  GstStructure *reply; /* promise reply, may be NULL */
  GstPromiseResult result;
  GstPad *pad;
  gulong probe_id;
  GstWebRTCICEGatheringState gathering_state;
};

/* convoke-peer.c */

/* Runs @func(@call) on the peer's main context, always deferred. */
void convoke_peer_invoke (ConvokePeer *self, PeerCallFunc func, PeerCall *call);
/* A promise whose reply reaches @func on the main context. */
GstPromise *convoke_peer_promise_new (ConvokePeer *self, PeerCallFunc func,
                                      GstWebRTCSDPType sdp_type);
/* NULL when the promise of @call succeeded; otherwise why it did not. */
char *convoke_peer_call_error_message (PeerCall *call);
void convoke_peer_emit_failed (ConvokePeer *self, int code, const char *message);
void convoke_peer_emit_local_description (ConvokePeer *self, const char *type,
                                          const char *sdp);
/* "" as @candidate: gathering is complete. */
void convoke_peer_emit_local_candidate (ConvokePeer *self, guint mline_index,
                                        const char *candidate);
void convoke_peer_emit_connected (ConvokePeer *self);
void convoke_peer_emit_data_channel (ConvokePeer *self, const char *label,
                                     const char *protocol);
void convoke_peer_emit_data_message (ConvokePeer *self, const char *label,
                                     const char *protocol, GBytes *data, gboolean binary);

/* convoke-peer-data.c */

/* Follows the channels the other side opens; @bootstrap adds the channel
 * that gives a mesh connection's first offer its data m-line. */
void convoke_peer_setup_data (ConvokePeer *self, gboolean bootstrap);
/* Forgets every channel (at close). */
void convoke_peer_close_data (ConvokePeer *self);

/* convoke-peer-negotiation.c */

const char *convoke_peer_sdp_type_name (GstWebRTCSDPType type);
/* Probe on each local track's webrtcbin sink pad: caps arriving may
 * release an offer or answer waiting for them. */
GstPadProbeReturn convoke_peer_on_local_caps (GstPad *pad, GstPadProbeInfo *info,
                                              gpointer user_data);
/* Sends the non-trickle description once gathering is complete. */
void convoke_peer_maybe_send_pending_description (ConvokePeer *self);

/* convoke-peer-ice.c */

/* Applies the config's ICE settings to the new webrtcbin and follows its
 * candidates, gathering and connection state. FALSE when webrtcbin
 * refuses a TURN server or local address. */
gboolean convoke_peer_setup_ice (ConvokePeer *self, GError **error);

G_END_DECLS
