/* A convokerouter with three participants, A, B and C, each with four
 * pads of ours linked to it: we push RTP and RTCP in and collect what the
 * router sends. Shared by the router's unit tests.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/rtp/rtp.h>

G_BEGIN_DECLS

#define PT_VP8_IN 100
#define PT_OPUS_IN 101
#define PT_VP8_OUT 96
#define PT_OPUS_OUT 111
#define SSRC_A_VIDEO 0xa0000001u
#define SSRC_A_AUDIO 0xa0000002u
#define SSRC_C_VIDEO 0xc0000001u
#define SLOT_B_VIDEO 0xb0000001u
#define SLOT_B_AUDIO 0xb0000002u
#define SLOT_C_VIDEO 0xc1000001u

typedef struct
{
  GMutex lock;
  GQueue buffers;
} Collected;

typedef struct
{
  char *id;
  GstPad *rtp_in, *rtcp_in;   /* ours, pushing into the router */
  GstPad *rtp_out, *rtcp_out; /* ours, collecting what the router sends */
  Collected rtp, rtcp;
} Peer;

typedef struct
{
  GstElement *router;
  Peer peers[3]; /* "A", "B", "C" */
} Fixture;

typedef struct
{
  guint32 ssrc;
  guint16 seq;
  guint32 rtp_time;
  guint8 pt;
  gboolean extension;
  guint payload_len;
  guint8 payload[64];
} Parsed;

/* What the router sent, oldest first; NULL when nothing waits. */
GstBuffer *collected_pop (Collected *collected);
guint collected_count (Collected *collected);
void collected_clear (Collected *collected);
void fixture_set_up (Fixture *f, gconstpointer data);
void fixture_tear_down (Fixture *f, gconstpointer data);
void set_payloads (Fixture *f, const char *id);
void set_slot (Fixture *f, const char *subscriber, guint ssrc, const char *media, gint pt,
               const char *publisher);
void set_sending (Fixture *f, const char *id);
/* A VP8 packet: a key frame's first packet, or a delta frame's. */
GstBuffer *vp8_packet (guint32 ssrc, guint16 seq, guint32 rtp_time, gboolean keyframe,
                       gboolean with_extension);
/* The same with a payload of @payload_len bytes (20 at least). */
GstBuffer *vp8_packet_sized (guint32 ssrc, guint16 seq, guint32 rtp_time,
                             gboolean keyframe, gboolean with_extension,
                             guint payload_len);
GstBuffer *opus_packet (guint32 ssrc, guint16 seq, guint32 rtp_time);
void push (GstPad *pad, GstBuffer *buffer);
Parsed parse_rtp (GstBuffer *buffer);
/* The first RTCP packet of @type (and feedback @fb_type, or -1) in
 * @buffer; mapped into @rtcp when found. */
gboolean find_rtcp (GstBuffer *buffer, GstRTCPType type, gint fb_type,
                    GstRTCPPacket *packet, GstRTCPBuffer *rtcp);
/* How many PLIs for @media_ssrc wait in @collected (all are consumed). */
guint count_plis (Collected *collected, guint32 media_ssrc);
GstBuffer *feedback_packet (GstRTCPType type, guint fb_type, guint32 media_ssrc,
                            const guint8 *fci, guint fci_words);
/* A counter of convokerouter's "stats" for participant @id. */
guint64 router_stat (Fixture *f, const char *id, const char *counter);
/* A publishes VP8 and Opus; B has a video and an audio slot carrying A;
 * both may be sent to. */
void publish_a_to_b (Fixture *f);

G_END_DECLS
