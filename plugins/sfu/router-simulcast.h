/* Simulcast layer switching for one subscriber: a publisher sends one
 * video track as several RTP streams ("layers", 0 the lowest resolution),
 * and the subscriber gets exactly one of them, rewritten so that it sees
 * a single continuous stream whichever layer it is on and however often
 * that changes.
 *
 * A switch happens only at a key frame of the new layer, since a decoder
 * cannot continue from another encoder's delta frames; until then the old
 * layer keeps flowing, so a switch never stalls the picture. Packets are
 * rewritten to the subscriber's SSRC, with sequence numbers, RTP
 * timestamps and VP8 picture ids (RFC 7741 PictureID and TL0PICIDX) that
 * continue across switches: a receiver that saw a gap or a jump back in
 * any of them would wait for lost packets or drop frames as stale.
 *
 * Ownership and locking: a RouterSimulcast is plain state embedded in its
 * owner (the routing table's video slot), with no references, no
 * allocations and no lock of its own; the owner serialises every call
 * (the table calls it with its lock held). No GStreamer: packets are
 * bytes, so tests feed it synthetic ones.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Browsers send up to three (Chromium for VP8, twilio-video.js's
 * ssrc-group:SIM); one more costs nothing. */
#define ROUTER_SIMULCAST_MAX_LAYERS 4
/* A layer that sent nothing for this long is not chosen: a publisher
 * whose uplink shrinks stops its upper layers, and a subscriber that
 * stayed on one would freeze. Chromium's lowest layer sends at least a
 * few frames a second. */
#define ROUTER_SIMULCAST_LAYER_TIMEOUT_US (1 * G_USEC_PER_SEC)
/* A switch still waiting for its key frame asks again this often, in
 * case the request or the key frame was lost, or the encoder let it go:
 * Chromium ignored a PLI for the low layer that came 250 ms after one for
 * the middle layer, and the capped subscriber waiting for it froze 1 s
 * longer (browser-group-capped-subscriber). As often as the router lets
 * a publisher's stream be asked (keyframe-request-interval, 500 ms). */
#define ROUTER_SIMULCAST_REQUEST_RETRY_US (G_USEC_PER_SEC / 2)

/* What the VP8 payload descriptor (RFC 7741 section 4.2) says of a packet.
 * Offsets are from the start of the RTP payload; 0 means absent. */
typedef struct
{
  gboolean start;   /* S: first packet of a partition */
  guint8 partition; /* PID */
  gsize picture_id_offset;
  guint8 picture_id_bits; /* 7 or 15; 0: no PictureID */
  guint16 picture_id;
  gsize tl0_offset; /* TL0PICIDX */
  guint8 tl0;
  gsize header_offset; /* the VP8 payload header after the descriptor */
  /* The first packet of a key frame: S set, PID 0 and the payload
   * header's P bit 0 (RFC 7741 section 4.3). */
  gboolean keyframe;
} RouterVp8Descriptor;

/* FALSE when @payload is too short for the descriptor it announces. */
gboolean router_vp8_parse (const guint8 *payload, gsize size, RouterVp8Descriptor *vp8);

typedef enum
{
  ROUTER_SIMULCAST_DROP = 0,
  /* Rewrite the packet (router_simulcast_rewrite) and send it. */
  ROUTER_SIMULCAST_FORWARD = 1 << 0,
  /* Ask the publisher for a key frame of router_simulcast_wanted_layer():
   * the subscriber should be on that layer and is not yet. */
  ROUTER_SIMULCAST_REQUEST_KEYFRAME = 1 << 1,
} RouterSimulcastAction;

typedef struct
{
  /* Set up by router_simulcast_init. */
  guint32 out_ssrc;
  guint32 clock_rate;
  gboolean vp8; /* parse VP8 descriptors: key frames and picture ids */
  guint target;
  /* When each layer last sent a packet (0: never). */
  gint64 seen_us[ROUTER_SIMULCAST_MAX_LAYERS];
  /* The layer forwarded now (-1: none, wait for a key frame) and the
   * SSRC it had when forwarding began. */
  gint current;
  guint32 in_ssrc;
  /* The last key frame request: for which layer and when. */
  gint requested;
  gint64 requested_us;

  /* Rewriting: out = in + delta for the packets of the current run. */
  gboolean started; /* something was forwarded: the last_* are set */
  guint16 first_in_seq;
  guint16 seq_delta;
  guint32 ts_delta;
  guint16 picture_id_delta;
  guint8 tl0_delta;
  /* The newest values forwarded, as the subscriber saw them. */
  guint16 last_seq;
  guint32 last_ts;
  gint64 last_time_us;
  guint8 picture_id_bits; /* of last_picture_id; 0: none seen */
  guint16 last_picture_id;
  gboolean have_tl0;
  guint8 last_tl0;
} RouterSimulcast;

/* Starts on no layer, targeting the highest. @vp8: the stream is VP8, so
 * key frames and picture ids come from its payload descriptors; for
 * other codecs the caller says which packets start key frames. */
void router_simulcast_init (RouterSimulcast *sc, guint32 out_ssrc, guint32 clock_rate,
                            gboolean vp8);

/* The layer the subscriber should get (clamped to the highest there can
 * be). When it is already on the layer it will get, nothing changes;
 * otherwise the next packets say ROUTER_SIMULCAST_REQUEST_KEYFRAME.
 * Returns the layer to ask a key frame of right away, or -1. */
gint router_simulcast_set_target (RouterSimulcast *sc, guint layer, gint64 now_us);

/* Which layer the subscriber should be on now: the target, or, while the
 * target sends nothing, the nearest layer below it that sends (above it
 * when none below does); -1 when no layer sends. */
gint router_simulcast_wanted_layer (const RouterSimulcast *sc, gint64 now_us);

/* The decoder must restart (the subscriber's transport restarted, it
 * asked for a key frame): nothing more is forwarded until a key frame,
 * and then the stream continues where it was. */
void router_simulcast_reset (RouterSimulcast *sc);

/* One RTP packet (@packet, @size bytes from its first header byte) of
 * layer @layer. @keyframe says whether it starts a key frame, for codecs
 * other than VP8 (ignored for VP8). Returns what to do with it; a packet
 * to forward must then be passed to router_simulcast_rewrite. */
RouterSimulcastAction router_simulcast_packet (RouterSimulcast *sc, guint layer,
                                               const guint8 *packet, gsize size,
                                               gboolean keyframe, gint64 now_us);

/* Rewrites, in place, a packet that router_simulcast_packet said to
 * forward, or a copy of it (a retransmission, with or without its header
 * extension): SSRC, sequence number, timestamp and the VP8 picture ids.
 * FALSE when @packet is not an RTP packet. */
gboolean router_simulcast_rewrite (const RouterSimulcast *sc, guint8 *packet, gsize size);

/* For a NACK: the sequence number of the current layer's packet that went
 * out as @out_seq. FALSE when it was not one of that layer's, or was not
 * sent yet. */
gboolean router_simulcast_original_seq (const RouterSimulcast *sc, guint16 out_seq,
                                        guint16 *in_seq);

G_END_DECLS
