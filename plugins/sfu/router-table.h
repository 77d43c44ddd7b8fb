/* The routing state of convokerouter: who publishes which stream, which
 * slot of which subscriber carries it, and how packets are rewritten on
 * the way. GStreamer-agnostic apart from buffers and pads, so the element
 * stays a thin shell of pads (router-pads.c), properties and signals
 * (gstconvokerouter.c).
 *
 * Every function takes the table's lock itself. Packets to send are not
 * pushed under the lock: they are appended to a RouterPushes array that
 * the caller pushes once the lock is dropped, so a slow or flushing
 * subscriber never blocks the routing table, and new-stream notifications
 * are collected the same way (RouterStreamEvent) so that signal handlers
 * may call back into the table.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "convokerouter-pads.h"

G_BEGIN_DECLS

typedef struct _RouterTable RouterTable;
typedef struct _RouterParticipant RouterParticipant;

/* One packet for one pad; both references are owned. */
typedef struct
{
  GstPad *pad;
  GstBuffer *buffer;
} RouterPush;

typedef enum
{
  ROUTER_EVENT_STREAM,           /* a stream started or ended */
  ROUTER_EVENT_DOMINANT_SPEAKER, /* @participant (NULL: none) is the dominant speaker */
  ROUTER_EVENT_NETWORK_QUALITY,  /* @participant's network quality is now @level */
} RouterEventKind;

typedef struct
{
  gboolean started; /* FALSE: ended */
  char *participant;
  guint32 ssrc;
  const char *media; /* "audio" or "video", static */
  RouterEventKind kind;
  int level; /* ROUTER_EVENT_NETWORK_QUALITY: 0–5 */
} RouterStreamEvent;

/* Arrays of RouterPush and RouterStreamEvent that clear their elements. */
GArray *router_pushes_new (void);
GArray *router_stream_events_new (void);

/* What a new table starts with; convokerouter's property defaults. */
#define ROUTER_TABLE_DEFAULT_KEYFRAME_REQUEST_INTERVAL 500 /* ms */
#define ROUTER_TABLE_DEFAULT_CACHE_SIZE 512                /* packets per stream */

/* @element: the router that owns the table; log lines name it. */
RouterTable *router_table_new (GstElement *element);
void router_table_free (RouterTable *table);

void router_table_set_max_bitrate (RouterTable *table, guint bits_per_second);
/* router-table-activity.c: whether to follow the RFC 6464 audio levels of
 * publishers that negotiated them (set-payloads' extmap-N) and announce
 * the dominant speaker (ROUTER_EVENT_DOMINANT_SPEAKER), and whether to
 * rate each participant's link from RTCP at every tick
 * (ROUTER_EVENT_NETWORK_QUALITY, on change). Both start off. */
void router_table_set_dominant_speaker (RouterTable *table, gboolean enabled);
void router_table_set_network_quality (RouterTable *table, gboolean enabled);
/* router-table-estimate.c: whether each subscriber's REMB and receiver
 * reports choose the simulcast layers it gets (below the one it asked
 * for). Starts on. */
void router_table_set_bandwidth_estimation (RouterTable *table, gboolean enabled);
void router_table_set_keyframe_request_interval (RouterTable *table, guint ms);
/* Applies to streams that start afterwards. */
void router_table_set_retransmission_cache_size (RouterTable *table, guint packets);

/* Returns a new reference to the participant called @id, creating it. */
RouterParticipant *router_table_ensure_participant (RouterTable *table, const char *id);
RouterParticipant *router_participant_ref (RouterParticipant *participant);
void router_participant_unref (RouterParticipant *participant);

/* Pads are borrowed: attach a pad when it is added to the element and
 * detach it before it is removed. */
void router_table_attach_pad (RouterTable *table, RouterParticipant *participant,
                              ConvokeRouterPad kind, GstPad *pad);
void router_table_detach_pad (RouterTable *table, RouterParticipant *participant,
                              ConvokeRouterPad kind, GstPad *pad);

gboolean router_table_remove_participant (RouterTable *table, const char *id,
                                          GArray *events);
gboolean router_table_set_payloads (RouterTable *table, const char *id,
                                    const GstCaps *payloads);
gboolean router_table_set_slot (RouterTable *table, const char *subscriber, guint32 ssrc,
                                const char *media, gint pt, const char *publisher,
                                GArray *pushes);
/* Which of its source's tracks the slot carries: @track_key as announced
 * with router_table_set_track_ssrc(), or NULL for the source's first track
 * of the slot's media (what router_table_set_slot() starts with). FALSE
 * when there is no such slot. */
gboolean router_table_set_slot_track (RouterTable *table, const char *subscriber,
                                      guint32 ssrc, const char *track_key, GArray *pushes);
/* Announces that @publisher's stream @ssrc (repaired as RFC 4588 RTX on
 * @rtx_ssrc, 0: none) is its track @track_key (NULL: whichever of its
 * media comes first). Streams not announced are told apart by media only,
 * so a publisher sending two video tracks must announce at least the
 * second. FALSE when an argument is invalid. */
gboolean router_table_set_track_ssrc (RouterTable *table, const char *publisher,
                                      guint32 ssrc, guint32 rtx_ssrc,
                                      const char *track_key);
/* Simulcast (router-table-simulcast.c). @publisher's stream @ssrc
 * (repaired on @rtx_ssrc, 0: none) is layer @layer (0 the lowest) of its
 * track @track_key, as a=ssrc-group:SIM lists them. FALSE when an
 * argument is invalid. */
gboolean router_table_set_track_layer (RouterTable *table, const char *publisher,
                                       guint32 ssrc, guint32 rtx_ssrc,
                                       const char *track_key, guint layer);
/* @publisher's m-line @mid sends its track @track_key as the layers
 * @rids (lowest first; NULL or empty: none), RID-based simulcast: each
 * layer's SSRC is learned from the RID header extension of its first
 * packets (set-payloads' extmap-N names the MID, RID and repaired RID
 * extensions). Replaces what was said of @mid before. */
gboolean router_table_set_track_rids (RouterTable *table, const char *publisher,
                                      const char *track_key, const char *mid,
                                      const char *const *rids);
/* The layer (0 the lowest; ROUTER_SIMULCAST_MAX_LAYERS - 1 or more: the
 * highest there is, the default) the slot should carry when its source
 * sends simulcast. The switch waits for a key frame of that layer, which
 * is requested. FALSE when there is no such slot. */
gboolean router_table_set_slot_layer (RouterTable *table, const char *subscriber,
                                      guint32 ssrc, guint layer, GArray *pushes);
/* Answers the slot's NACKs as RFC 4588 RTX on @rtx_ssrc with payload type
 * @rtx_pt, or, with @rtx_pt -1, by sending the packet again. FALSE when
 * there is no such slot or the arguments are invalid. */
gboolean router_table_set_slot_rtx (RouterTable *table, const char *subscriber_id,
                                    guint32 ssrc, guint32 rtx_ssrc, gint rtx_pt);
gboolean router_table_remove_slot (RouterTable *table, const char *subscriber,
                                   guint32 ssrc);
gboolean router_table_set_sending (RouterTable *table, const char *id, gboolean sending,
                                   GArray *pushes);
gboolean router_table_request_keyframe (RouterTable *table, const char *publisher,
                                        GArray *pushes);

/* @buffer is borrowed. @now_us is g_get_monotonic_time(). */
void router_table_handle_rtp (RouterTable *table, RouterParticipant *from,
                              GstBuffer *buffer, gint64 now_us, GArray *pushes,
                              GArray *events);
void router_table_handle_rtcp (RouterTable *table, RouterParticipant *from,
                               GstBuffer *buffer, gint64 now_us, GArray *pushes,
                               GArray *events);
/* Receiver reports, REMB, postponed key frame requests and, when enabled,
 * network quality (@events may be NULL). */
void router_table_tick (RouterTable *table, gint64 now_us, GArray *pushes,
                        GArray *events);

GstStructure *router_table_get_stats (RouterTable *table);

G_END_DECLS
