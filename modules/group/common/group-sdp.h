/* Session descriptions of group rooms: what the worker reads from a
 * client's SDP and how it writes its own, with GstSDPMessage.
 *
 * Only what an SFU with one bundled ICE/DTLS transport per participant
 * needs is kept: per m-line its kind, mid, direction and codecs; per
 * session the ICE credentials, DTLS fingerprint and role, and candidates.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The kinds of media a group room carries, in the order of the worker's
 * per-kind arrays: audio is 0, video 1. */
#define GROUP_N_MEDIA_KINDS 2
extern const char *const group_media_kinds[GROUP_N_MEDIA_KINDS];

/* RFC 6464: the level of each audio packet, for the dominant speaker. The
 * only RTP header extension group rooms negotiate, on audio m-lines the
 * participant publishes on; our offers give it this id. */
#define GROUP_AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define GROUP_AUDIO_LEVEL_ID 1

/* Simulcast (group-sdp-simulcast.c, docs/group-media.md): a client sends
 * one video track as several layers, lowest resolution first. RID-based
 * simulcast (RFC 8853, what Chromium writes for sendEncodings) names them
 * in a=rid and a=simulcast and marks each stream's first packets with
 * these header extensions, which are answered where offered; the legacy
 * form (a=ssrc-group:SIM, what twilio-video.js writes) lists their SSRCs. */
#define GROUP_MAX_SIMULCAST_LAYERS 4
#define GROUP_MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"
#define GROUP_RID_URI "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define GROUP_REPAIRED_RID_URI "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
/* RFC 8851 allows longer ids; a one-byte header extension carries 16. */
#define GROUP_MAX_RID_LENGTH 16

/* Header extension ids (1–14, 0: none) for the URIs above. */
typedef struct
{
  guint mid;
  guint rid;
  guint repaired_rid;
} GroupSimulcastExtensions;

/* Bit 0: sends, bit 1: receives, from the point of view of the side that
 * wrote the description. */
typedef enum
{
  GROUP_DIRECTION_INACTIVE = 0,
  GROUP_DIRECTION_SENDONLY = 1,
  GROUP_DIRECTION_RECVONLY = 2,
  GROUP_DIRECTION_SENDRECV = 3,
} GroupDirection;

#define GROUP_DIRECTION_SENDS(d) (((d) &GROUP_DIRECTION_SENDONLY) != 0)
#define GROUP_DIRECTION_RECEIVES(d) (((d) &GROUP_DIRECTION_RECVONLY) != 0)

typedef struct
{
  int pt;
  char *encoding; /* as written: "opus", "VP8", "H264" */
  guint clock_rate;
  guint channels; /* 0: not given */
  char *fmtp;     /* parameters after "a=fmtp:PT ", or NULL */
  /* The RFC 4588 retransmission payload type (rtx, apt=@pt) that goes with
   * it, or -1: set from an "a=rtpmap:N rtx/…" + "a=fmtp:N apt=PT" pair in
   * a remote description, and written as such in ours. */
  int rtx_pt;
} GroupCodec;

GroupCodec *group_codec_new (int pt, const char *encoding, guint clock_rate,
                             guint channels, const char *fmtp);
GroupCodec *group_codec_copy (const GroupCodec *codec);
void group_codec_free (GroupCodec *codec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GroupCodec, group_codec_free)
/* Same encoding (case-insensitive), clock rate and, for H.264, a
 * packetization-mode=1 baseline profile like @wanted's. */
gboolean group_codec_matches (const GroupCodec *offered, const GroupCodec *wanted);

typedef struct
{
  char *kind; /* "audio", "video", "application", … */
  char *mid;  /* NULL when the m-line has none */
  char *proto;
  char *formats;     /* the format list as written, for rejecting it */
  gboolean rejected; /* port 0 */
  GroupDirection direction;
  GPtrArray *codecs; /* GroupCodec* with an rtpmap, in preference order */
  /* What the remote sends on it, when it says: the track id of its
   * a=msid (media-level, else from its a=ssrc msid: lines), and the SSRC
   * of its stream with the RFC 4588 one that repairs it (the first
   * a=ssrc-group:FID, else the first a=ssrc). 0 / NULL: not said. */
  char *msid_track;
  guint32 ssrc;
  guint32 rtx_ssrc;
  /* Its a=extmap id for GROUP_AUDIO_LEVEL_URI (1–14), 0: none. */
  guint audio_level_id;
  /* Simulcast: the layers it sends, lowest first (n_layers 0: none, else
   * at least 2). With RIDs (a=simulcast:send, each also an a=rid:ID send;
   * a paused "~ID" still counts, alternatives after the first are left
   * out) @rids names them and their SSRCs come with their first packets;
   * with a=ssrc-group:SIM @layer_ssrcs lists them, each with the RTX SSRC
   * of its a=ssrc-group:FID in @layer_rtx_ssrcs (0: none). */
  guint n_layers;
  char *rids[GROUP_MAX_SIMULCAST_LAYERS + 1]; /* NULL-ended */
  guint32 layer_ssrcs[GROUP_MAX_SIMULCAST_LAYERS];
  guint32 layer_rtx_ssrcs[GROUP_MAX_SIMULCAST_LAYERS];
  GroupSimulcastExtensions extensions;
  /* A data channel m-line (group_remote_media_is_data()): the remote's
   * a=sctp-port (5000 when not said, RFC 8841) and a=max-message-size
   * (65536 when not said, RFC 8841 section 6.1). */
  guint sctp_port;
  guint64 max_message_size;
} GroupRemoteMedia;

/* Whether @media is an SCTP data channel m-line as WebRTC writes it
 * (`m=application … UDP/DTLS/SCTP webrtc-datachannel`, RFC 8841). The
 * older `DTLS/SCTP 5000` form is not one. */
gboolean group_remote_media_is_data (const GroupRemoteMedia *media);

/* The SCTP port of our data channel m-lines, and the largest data channel
 * message we take (a=max-message-size): 16 KiB, what Twilio allows and
 * what every browser can send and receive in one message. */
#define GROUP_SCTP_PORT 5000
#define GROUP_DATA_MAX_MESSAGE_SIZE 16384

typedef struct
{
  GPtrArray *media; /* GroupRemoteMedia* */
  char *ice_ufrag;
  char *ice_pwd;
  char *fingerprint_hash; /* "sha-256", lower case */
  char *fingerprint;      /* "AB:CD:…" */
  char *setup;            /* "active", "passive" or "actpass" */
  GPtrArray *candidates;  /* "candidate:…" strings, component 1 and 2 */
  gboolean end_of_candidates;
} GroupRemoteDescription;

/* Parses and checks a client's SDP. Errors are in CONVOKE_TOPOLOGY_ERROR
 * with code 53403 and name what was wrong (which m-line, which line). */
GroupRemoteDescription *group_remote_description_parse (const char *text, GError **error);
void group_remote_description_free (GroupRemoteDescription *description);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GroupRemoteDescription, group_remote_description_free)

typedef struct
{
  char *kind; /* "application": a data channel m-line (SCTP port GROUP_SCTP_PORT) */
  char *mid;
  /* Port 0, mirroring the remote's proto and formats. */
  gboolean rejected;
  char *rejected_proto;
  char *rejected_formats;
  GroupDirection direction;
  GroupCodec *codec; /* the one payload type offered or accepted */
  /* For media we send (sendonly): announced with a=msid and a=ssrc, and
   * when the codec has an rtx_pt, with a=ssrc-group:FID @ssrc @rtx_ssrc. */
  guint32 ssrc;
  guint32 rtx_ssrc;
  char *msid_stream;
  char *msid_track;
  char *cname;
  /* Written as a=extmap:ID GROUP_AUDIO_LEVEL_URI when not 0. */
  guint audio_level_id;
  /* Answering RID simulcast: a=rid:ID recv for each of @rids (NULL-ended,
   * lowest layer first) and a=simulcast:recv with them all, and the
   * extensions' a=extmap lines for those not 0 (RID simulcast is only
   * answered with the RID extension: without it the layers could not be
   * told apart). */
  GStrv rids;
  GroupSimulcastExtensions extensions;
} GroupLocalMedia;

typedef struct
{
  guint64 session_id;
  guint64 session_version;
  const char *ice_ufrag;
  const char *ice_pwd;
  const char *fingerprint; /* SHA-256, "AB:CD:…" */
  const char *setup;
  gboolean trickle;
  GPtrArray *candidates; /* "candidate:…" strings; may be NULL */
  gboolean end_of_candidates;
  GPtrArray *media; /* GroupLocalMedia* */
} GroupLocalDescription;

GroupLocalMedia *group_local_media_new (void);
void group_local_media_free (GroupLocalMedia *media);

char *group_local_description_write (const GroupLocalDescription *description);

G_END_DECLS
