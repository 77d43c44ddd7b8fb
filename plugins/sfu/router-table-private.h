/* Private to the routing table (router-table.c: participants, streams,
 * slots; router-table-forward.c: how a slot rewrites what it forwards;
 * router-table-simulcast.c: layers of simulcast tracks;
 * router-table-tracks.c: a publisher's several tracks;
 * router-table-rtcp.c: what arrives as RTCP, the periodic reports and
 * statistics; router-table-activity.c: speakers and network quality;
 * router-table-estimate.c: bandwidth estimation per subscriber;
 * router-table-uplink.c: per publisher).
 * Every function here expects the table's lock to be held.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtp/rtp.h>

#include "router-estimator.h"
#include "router-loss.h"
#include "router-quality.h"
#include "router-rtp.h"
#include "router-rtx.h"
#include "router-simulcast.h"
#include "router-speaker.h"
#include "router-uplink.h"
#include "router-table.h"

G_BEGIN_DECLS

/* The CNAME of the router's own RTCP (receiver reports, PLI, REMB). */
#define ROUTER_CNAME "convoke"
/* Late packets of a replaced stream must not bring it back. */
#define RETIRED_SSRCS 4
#define RETIRED_HOLD_US (2 * G_USEC_PER_SEC)
/* Caps the work one NACK packet can cause. */
#define MAX_RETRANSMISSIONS_PER_NACK 64
/* Each subscriber has a budget of bytes it may be retransmitted: it grows by
 * 1/RETRANSMIT_SHARE of every packet forwarded to it and holds at most
 * RETRANSMIT_BURST_BYTES, which is also where a new subscriber starts. A
 * receiver that NACKs everything, lossy or hostile, so costs the worker at
 * most a quarter more than its streams; 5% loss needs a twentieth. */
#define RETRANSMIT_SHARE 4
#define RETRANSMIT_BURST_BYTES (64 * 1024)
/* A slot that switches layers has at least this much budget again: a
 * bound of one refill per switch, and switches are rare (up after a 2 s
 * hold, down only under congestion). */
#define RETRANSMIT_SWITCH_BYTES (32 * 1024)
/* A receiver repeats its NACK for a packet until the packet comes, every
 * few milliseconds when its round trip is short (Chromium: about once a
 * round trip). Answering each repeat sends the packet again and again into
 * the link whose congestion lost it: on a link capped at 300 kbit/s
 * Chromium's NACKs had the same three packets sent every 15 ms, which
 * filled the queue and lost the new layer's key frame (2 s of frozen
 * picture). So a packet goes again only once a round trip has passed
 * since it last went (RESENT_MIN_US without a measured one; not under
 * RESENT_FLOOR_US), as mediasoup and libwebrtc do. */
#define RESENT_LOG_SIZE 512
#define RESENT_MIN_US (100 * 1000)
#define RESENT_FLOOR_US (20 * 1000)
#define N_PAYLOAD_TYPES 128
/* The header extensions the router reads (set-payloads' extmap-N). */
#define ROUTER_AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define ROUTER_MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"
#define ROUTER_RID_URI "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define ROUTER_REPAIRED_RID_URI "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
/* Streams one publisher may send at once: its first audio and video
 * (ROUTER_TRACK_AUDIO/VIDEO, found by media alone, for publishers whose
 * SSRCs nobody announced) and a few more announced by SSRC (a screen
 * share beside a camera, the upper layers of a simulcast track). Bounds
 * what one publisher makes the router keep. */
#define ROUTER_MAX_TRACKS 12
#define ROUTER_TRACK_AUDIO 0
#define ROUTER_TRACK_VIDEO 1

typedef enum
{
  MEDIA_AUDIO,
  MEDIA_VIDEO,
  N_MEDIA,
} RouterMedia;

extern const char *const router_media_names[N_MEDIA];

typedef struct
{
  gboolean known;
  RouterMedia media;
  RouterCodec codec;
  guint clock_rate;
  gboolean rtx; /* RFC 4588 retransmissions of payload type @apt */
  guint8 apt;
  /* The RFC 6464 audio level header extension's id (1–255), 0: none. */
  guint8 audio_level_id;
  /* Simulcast by RID (router-table-simulcast.c): the ids of the MID, RID
   * and repaired RID header extensions, 0: none. */
  guint8 mid_id;
  guint8 rid_id;
  guint8 repaired_rid_id;
} RouterPayload;

typedef struct _RouterSlot RouterSlot;

/* One RTP stream a publisher sends (one SSRC). */
typedef struct
{
  guint32 ssrc;
  RouterParticipant *publisher; /* owns the stream */
  guint track;                  /* its index in publisher->streams */
  /* Simulcast: the index of its track's layer 0 (@track when it is
   * layer 0, or no layer at all), and its layer. Slots bind to layer 0's
   * stream and get every layer's packets from there. */
  guint base_track;
  guint layer;
  gint64 last_packet_us; /* when its last packet arrived */
  RouterMedia media;
  RouterCodec codec;
  guint clock_rate;
  RouterReceiveStats stats;
  RouterRetransmitCache cache;
  RouterLossTracker loss; /* video only: what to NACK the publisher for */
  gint64 last_keyframe_request_us;
  gboolean keyframe_request_pending;
  GPtrArray *slots; /* RouterSlot* carrying this stream, borrowed */
  /* Its bitrate as it arrives: what a simulcast layer costs a
   * subscriber (router-table-estimate.c). */
  RouterRateMeter rate;
  /* What the last tick measured of its way to us (router-table-activity.c):
   * a subscriber's report includes it, and that is not its link's fault. */
  double uplink_loss;
  double uplink_jitter_ms;
} RouterStream;

/* One sendonly m-line of a subscriber: an SSRC of ours that carries
 * whichever stream its source publisher currently sends. */
struct _RouterSlot
{
  guint32 ssrc;
  RouterParticipant *subscriber; /* owns the slot */
  RouterMedia media;
  gint pt; /* -1: keep the publisher's */
  char *source;
  /* Which of the source's tracks (router_table_set_track_ssrc); NULL: its
   * first of @media. */
  char *source_track;
  RouterStream *stream;
  gboolean need_keyframe;
  /* Rewriting state: out = in + delta, valid for packets of in_ssrc. */
  gboolean started;
  guint32 in_ssrc;
  guint16 seq_delta;
  guint32 ts_delta;
  /* RFC 4588: NACKs are answered on @rtx_ssrc with @rtx_pt, numbered from
   * @rtx_seq; @rtx_pt -1 resends the packet itself. */
  guint32 rtx_ssrc;
  gint rtx_pt;
  guint16 rtx_seq;
  guint16 first_in_seq;
  guint16 last_seq;
  guint32 last_ts;
  gint64 last_time_us;
  guint32 packet_count;
  guint32 octet_count;
  /* The last sender report sent on it (the middle 32 bits of its NTP
   * time, as a receiver report's LSR names it) and when: for the RTT. */
  guint32 sr_ntp_middle;
  gint64 sr_sent_us;
  /* The round trip its last receiver report measured (0: none yet). */
  gint64 rtt_us;
  /* The packets retransmitted on it lately, by outgoing sequence number
   * (RESENT_LOG_SIZE entries, allocated with the first NACK): a packet is
   * sent again at most once a round trip (router-table-rtcp.c). */
  guint16 *resent_seqs;
  gint64 *resent_us;
  /* The first RTX sequence number of the current probe's padding on it
   * (@probe_rtx_valid: padding went out since the probe began): a report
   * of its RTX stream that has not got that far is about what came
   * before, not the probe. */
  guint16 probe_rtx_start;
  gboolean probe_rtx_valid;
  /* Simulcast (router-table-simulcast.c): the layer the subscriber asked
   * for, and, once its source sends layers, the switcher that picks them
   * (@simulcast: in use; the rewriting state above then mirrors it). */
  guint target_layer;
  gboolean simulcast;
  RouterSimulcast sc;
  /* Bandwidth estimation (router-table-estimate.c): what it forwards, and
   * the layer the subscriber's estimate lets it have. The switcher's
   * target is the lower of that and @target_layer
   * (router_slot_target_layer). */
  RouterRateMeter forwarded;
  RouterLayerChoice choice;
};

typedef struct
{
  guint64 rtp_received;
  guint64 rtp_sent;
  guint64 rtcp_received;
  guint64 rtcp_sent;
  guint64 dropped;
  guint64 keyframe_requests_received;
  guint64 plis_sent;
  guint64 nacks_received;
  guint64 retransmitted;
  guint64 retransmissions_refused; /* over the subscriber's budget */
  guint64 retransmissions_repeated; /* NACKed again within a round trip */
  guint64 nacks_sent;              /* sequence numbers asked of it as a publisher */
  guint64 rtx_received;            /* RTX packets from it, padding included */
  guint64 packets_recovered;       /* of those, how many arrived */
  guint64 rembs_received;          /* as a subscriber: its REMB feedback */
  guint64 padding_sent;            /* bytes of probe padding (RTX copies) */
} RouterCounters;

typedef struct
{
  guint32 ssrc;
  gint64 until_us;
} RouterRetiredSsrc;

struct _RouterParticipant
{
  gatomicrefcount ref;
  char *id;
  gboolean removed;
  GstPad *pads[CONVOKE_ROUTER_N_PADS]; /* borrowed, see router_table_attach_pad */
  RouterPayload payloads[N_PAYLOAD_TYPES];
  /* By track: [ROUTER_TRACK_AUDIO] and [ROUTER_TRACK_VIDEO] by media,
   * the others named by track_keys[]. */
  RouterStream *streams[ROUTER_MAX_TRACKS];
  char *track_keys[ROUTER_MAX_TRACKS];
  GHashTable *ssrc_tracks; /* announced SSRC → track key (owned) */
  GHashTable *rtx_ssrcs;   /* announced RTX SSRC → the SSRC it repairs */
  /* Simulcast: streams[i] is layer layer[i] of the track at layer_of[i]
   * (i itself, layer 0, for other tracks). */
  guint8 layer_of[ROUTER_MAX_TRACKS];
  guint8 layer[ROUTER_MAX_TRACKS];
  GHashTable *ssrc_layers; /* SSRC announced as a layer → the layer + 1 */
  GHashTable *rids;        /* "MID RID" → RouterRid* (owned) */
  RouterRetiredSsrc retired[RETIRED_SSRCS];
  guint retired_next;
  GHashTable *slots; /* our ssrc → RouterSlot* (owned) */
  gboolean sending;
  guint32 local_ssrc; /* sender SSRC of the RTCP we send it */
  gsize retransmit_budget; /* bytes, see RETRANSMIT_SHARE */
  RouterCounters counters;
  /* What its report blocks said of its downlink since the last tick, and
   * the network quality level last announced (-1: none yet). */
  NetworkQualityInput downlink;
  int quality_level;
  /* As a subscriber: how much its link takes (router-table-estimate.c),
   * what it was forwarded at the last update, and the padding a probe
   * still owes it (bytes) as of @pad_us. */
  RouterEstimator estimator;
  guint64 estimate_forwarded_bps;
  double pad_owed;
  gint64 pad_us;
  /* As a publisher: how much its uplink takes (router-table-uplink.c). */
  RouterUplink uplink;
};

struct _RouterTable
{
  GstElement *element; /* the router, for log lines; not referenced */
  GMutex lock;
  GHashTable *participants; /* id → RouterParticipant* (a reference) */
  guint max_bitrate;
  guint keyframe_request_interval_ms;
  guint cache_size;
  SpeakerDetector *speaker; /* NULL: dominant speaker off */
  gboolean network_quality;
  gboolean bandwidth_estimation;
};

void router_pushes_add (GArray *pushes, RouterParticipant *to, GstPad *pad,
                        GstBuffer *buffer);
void router_events_add (GArray *events, gboolean started, RouterStream *stream);
RouterStream *router_participant_find_stream (RouterParticipant *participant,
                                              guint32 ssrc);
void router_participant_end_stream (RouterParticipant *participant, guint track,
                                    gint64 now_us, GArray *events);
/* A PLI now, or once the publisher's request interval allows. */
void router_stream_request_keyframe (RouterTable *table, RouterStream *stream,
                                     gint64 now_us, GArray *pushes);
/* Returns the participant called @id, creating it (the table keeps it). */
RouterParticipant *router_table_ensure_locked (RouterTable *table, const char *id);
/* Points @slot at @stream (NULL: idle), asking a key frame when needed. */
void router_slot_bind (RouterTable *table, RouterSlot *slot, RouterStream *stream,
                       gint64 now_us, GArray *pushes);

/* router-table-tracks.c: the index in @publisher->streams of the track a
 * slot names (@key NULL: its first of @media), or -1 when it has none yet;
 * that track's stream, or NULL; and the index a new stream on @ssrc
 * takes (-1: none is left). */
gint router_participant_track_index (RouterParticipant *publisher, RouterMedia media,
                                     const char *key);
RouterStream *router_participant_track_stream (RouterParticipant *publisher,
                                               RouterMedia media, const char *key);
gint router_participant_track_for_ssrc (RouterParticipant *publisher, guint32 ssrc,
                                        RouterMedia media);

/* router-table-simulcast.c. A layer of a simulcast track announced by RID
 * (router_table_set_track_rids): its track, its layer, and its SSRC once
 * learned from a packet. */
typedef struct
{
  char *track_key; /* NULL: the first video track */
  guint layer;
  guint32 ssrc;
} RouterRid;

void router_rid_free (gpointer data);
/* The index in @publisher->streams of layer @layer of the track at
 * @base; with @create, one is given to a layer that has none yet.
 * -1 when there is none. */
gint router_participant_layer_track (RouterParticipant *publisher, guint base,
                                     guint layer, gboolean create);
/* The stream of layer 0 of @stream's track: @stream itself, unless it is
 * an upper layer. NULL when layer 0 sends nothing. */
RouterStream *router_stream_base (RouterStream *stream);
/* The stream whose packets @slot forwards now (a layer of its stream's
 * track, for simulcast), or NULL. */
RouterStream *router_slot_source_stream (RouterSlot *slot);
/* Which stream to ask for a key frame when @slot (re)starts on @stream:
 * @stream, or for a simulcast track the layer the slot will take (the
 * highest sending up to its target). */
RouterStream *router_slot_keyframe_stream (RouterSlot *slot, RouterStream *stream,
                                           gint64 now_us);
/* A packet of @from with an SSRC not seen yet: when its RID (or, for a
 * retransmission, repaired RID) header extension names an announced
 * layer, the SSRC is announced as that layer's. */
void router_simulcast_learn_ssrc (RouterParticipant *from, const RouterPayload *payload,
                                  GstRTPBuffer *rtp);
/* What @slot does with a packet of @stream, a layer of a simulcast track:
 * the copy to send, or NULL. May ask the publisher for a key frame. */
GstBuffer *router_slot_forward_layer (RouterTable *table, RouterSlot *slot,
                                      RouterStream *stream, GstRTPBuffer *rtp,
                                      gboolean keyframe, gint64 now_us, GArray *pushes);

/* The layer @slot's switcher targets: the subscriber's choice, or lower
 * when its bandwidth estimate says so. */
guint router_slot_target_layer (const RouterSlot *slot);
/* Points @slot's switcher at router_slot_target_layer(), asking the
 * publisher for a key frame of the layer it will switch to. */
void router_slot_apply_layer (RouterTable *table, RouterSlot *slot, gint64 now_us,
                              GArray *pushes);

/* router-table-estimate.c. What one RTCP compound packet from a
 * subscriber says of its link. */
typedef struct
{
  double loss_sum; /* fractions lost, each × its slot's rate */
  double weight;   /* the sum of those rates */
  double loss_max;
  guint n_loss;
  guint64 remb_bps; /* 0: no REMB */
  /* The highest fraction lost of its RTX streams (retransmissions and
   * probe padding; Chromium reports them like any stream); n_rtx_loss:
   * how many blocks. */
  double rtx_loss_max;
  guint n_rtx_loss;
} RouterEstimateInput;

/* The report blocks of an SR or RR from @from, about our slots. */
void router_estimate_report_blocks (RouterParticipant *from, GstRTCPPacket *packet,
                                    gint64 now_us, RouterEstimateInput *input);
/* A PSFB packet from @from: TRUE when it was a REMB (counted). */
gboolean router_estimate_feedback (RouterParticipant *from, GstRTCPPacket *packet,
                                   RouterEstimateInput *input);
/* After a compound packet from @subscriber (@input NULL: at a tick):
 * updates its estimate and moves its simulcast slots to the layers it
 * allows. */
void router_estimate_update (RouterTable *table, RouterParticipant *subscriber,
                             const RouterEstimateInput *input, gint64 now_us,
                             GArray *pushes);
/* After @slot sent its subscriber a packet: while the subscriber's
 * estimator probes with padding, RTX copies of packets just sent on that
 * slot (a simulcast video slot with RTX) fill the probe's rate. Paced by
 * the slot's own packets, so it comes as evenly as the media does. */
void router_estimate_pad (RouterTable *table, RouterSlot *slot, gint64 now_us,
                          GArray *pushes);
/* Adds @participant's remb-received, bandwidth-estimate (bits/s, 0:
 * nothing limits it) and layers-limited (its simulcast slots held below
 * the layer they asked for) to its @stats. */
void router_estimate_stats (RouterParticipant *participant, GstStructure *stats,
                            gint64 now_us);

/* router-table-uplink.c. A packet of @from's @stream arrived at @now_us:
 * its delay feeds @from's uplink estimate, and a REMB goes out at once
 * when that falls. */
void router_uplink_rtp (RouterTable *table, RouterParticipant *from, RouterStream *stream,
                        GstRTPBuffer *rtp, gint64 now_us, GArray *pushes);
/* At a tick, with the receiver report blocks about to be sent to
 * @publisher (about @streams): their loss feeds its uplink estimate. */
void router_uplink_tick (RouterTable *table, RouterParticipant *publisher,
                         RouterStream *const *streams, const RouterReportBlock *blocks,
                         guint n_blocks, gint64 now_us);
/* The REMB to send @publisher: the lower of its uplink estimate and the
 * room's max-bitrate, 0: none; once its estimate limited it, never none
 * (ROUTER_UPLINK_MAX_BPS when nothing limits it). */
guint64 router_uplink_remb_bitrate (RouterTable *table, RouterParticipant *publisher);
/* Adds @participant's uplink-estimate (bits/s, 0: unlimited),
 * uplink-overuses and uplink-overuses-undone (delay-based decreases
 * undone, the queue gone at once) to its @stats. */
void router_uplink_stats (RouterParticipant *participant, GstStructure *stats);

/* router-table-activity.c. An audio packet of @from's with @payload: its
 * audio level, when it carries one, goes to the speaker detector. */
void router_activity_audio_packet (RouterTable *table, RouterParticipant *from,
                                   const RouterPayload *payload, GstRTPBuffer *rtp,
                                   gint64 now_us, GArray *events);
/* @participant leaves: it is no longer a speaker. */
void router_activity_forget (RouterTable *table, RouterParticipant *participant,
                             GArray *events);
/* The report blocks of an SR or RR from @from, about our slots. */
void router_activity_report_blocks (RouterParticipant *from, GstRTCPPacket *packet,
                                    gint64 now_us);
/* At a tick: @participant's level from its downlink and the @n_blocks
 * report blocks (@blocks, about @streams) just made of its uplink. */
void router_activity_quality_tick (RouterTable *table, RouterParticipant *participant,
                                   RouterStream *const *streams,
                                   const RouterReportBlock *blocks, guint n_blocks,
                                   GArray *events);
/* The id of the header extension @uri from a set-payloads structure
 * (extmap-N fields), 0: none. */
guint8 router_payload_extension_id (const GstStructure *payload, const char *uri);

/* router-table-forward.c. A copy of @in as @slot sends it. */
GstBuffer *router_slot_rewrite (RouterSlot *slot, GstRTPBuffer *in);
/* @cached (a packet of the stream @slot carries) as @slot sends it again:
 * rewritten, then wrapped in RTX when the subscriber takes RTX. NULL when
 * it cannot be mapped. */
GstBuffer *router_slot_resend (RouterSlot *slot, GstBuffer *cached);
/* What @slot sends of a packet of @stream, the stream it carries (NULL:
 * nothing, it waits for a key frame or cannot send). */
GstBuffer *router_slot_forward (RouterSlot *slot, RouterStream *stream, GstRTPBuffer *rtp,
                                gboolean keyframe, gint64 now_us);

G_END_DECLS
