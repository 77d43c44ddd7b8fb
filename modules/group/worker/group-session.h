/* The offer/answer state of one participant of a group room, kept as a
 * list of m-lines:
 *
 * - PUBLISH: the participant's uplink. The server's first offer has one
 *   recvonly audio and one recvonly video m-line; a client offer may bring
 *   its own, up to GROUP_MAX_PUBLISH: its first audio and first video are
 *   its tracks by kind, any more (a screen share beside a camera) are
 *   tracks of their own, named by the m-line ("video-<mid>") and told
 *   apart in the router by the SSRCs the client's SDP announces.
 * - SLOT: a sendonly m-line of ours carrying one publisher's audio or video
 *   under an SSRC of ours. A slot belongs to its publisher for good and is
 *   offered sendonly, with the same a=msid and a=ssrc, in every later offer:
 *   when the publisher stops or leaves, the slot only stops being routed
 *   (it is no longer "live"), and a new publisher gets new m-lines. An
 *   m-line whose direction changes in a re-offer breaks webrtcbin 1.22
 *   ("transceiver direction changes are not implemented"), and a slot that
 *   changed owner would make clients attribute media to the wrong
 *   participant.
 *   With a participant whose client can take it (browsers:
 *   group_session_set_reuse()), a slot whose publisher left is offered
 *   inactive instead ("vacant"), and once the client has accepted that, a
 *   new publisher's track takes it over, under a new msid and SSRC: going
 *   through inactive makes the browser treat it as a new track. So a long
 *   room's SDP grows with the publishers present, not with all who came.
 * - DATA: the participant's one SCTP association for data channels
 *   (`m=application … webrtc-datachannel`): accepted in a client offer, and
 *   added to our offers once group_session_want_data() asked for it (the
 *   room has data to send it). A second data m-line is refused.
 * - REJECTED: an m-line we refused (port 0), kept so the indexes stay.
 *
 * Pure bookkeeping, no GStreamer: the worker feeds it parsed remote
 * descriptions and turns what it returns into SDP text.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "group-sdp.h"

G_BEGIN_DECLS

typedef enum
{
  GROUP_MLINE_PUBLISH,
  GROUP_MLINE_SLOT,
  GROUP_MLINE_REJECTED,
  GROUP_MLINE_DATA,
} GroupMLineRole;

/* The simulcast layers a client sends on a video m-line, lowest first,
 * as its latest description has them (GroupRemoteMedia): named by RID
 * (@rids, when it negotiated the RID header extension), or listed by
 * SSRC (a=ssrc-group:SIM; @rids empty). Fixed size, so m-lines copy it
 * as is. */
typedef struct
{
  guint n_layers; /* 0: no simulcast */
  char rids[GROUP_MAX_SIMULCAST_LAYERS][GROUP_MAX_RID_LENGTH + 1];
  guint32 ssrcs[GROUP_MAX_SIMULCAST_LAYERS];
  guint32 rtx_ssrcs[GROUP_MAX_SIMULCAST_LAYERS];
  /* RID form: the header extension ids the client offered, which our
   * descriptions of the m-line repeat. */
  GroupSimulcastExtensions extensions;
} GroupMLineSimulcast;

typedef struct
{
  GroupMLineRole role;
  char *kind;
  char *mid;
  char *rejected_proto;
  char *rejected_formats;
  GroupCodec *codec;
  gboolean remote_sends;    /* the participant sends on it (PUBLISH or SLOT) */
  /* What the participant sends on it, once it has: NULL when that is its
   * first track of the kind, else "<kind>-<mid>", for the life of the
   * m-line; with the client's a=msid track id and SSRCs from its latest
   * description. */
  char *publish_track;
  gboolean publish_named; /* publish_track was decided */
  char *publish_msid;
  guint32 remote_ssrc;
  guint32 remote_rtx_ssrc;
  /* PUBLISH audio: the RFC 6464 audio level id the participant's latest
   * description gave (GroupRemoteMedia), 0: none. */
  guint audio_level_id;
  /* PUBLISH or sending SLOT video: its layers, when it sends simulcast. */
  GroupMLineSimulcast simulcast;
  /* SLOT: which of the source's tracks it carries (its publish_track),
   * and the msid track id we announce it with (NULL: "<source>-<kind>"). */
  char *track;
  char *msid_track;
  guint32 ssrc;             /* SLOT */
  guint32 rtx_ssrc;         /* SLOT: for retransmissions, when codec->rtx_pt >= 0 */
  /* SLOT: the publisher's sid; it never changes, except that a vacant
   * slot (see above) has none and may get another */
  char *source;
  gboolean live;            /* SLOT: its publisher still publishes: route it */
  gboolean remote_receives; /* SLOT: the participant accepted it */
  gboolean vacant;          /* SLOT: no source; offered inactive */
  guint sctp_port;           /* DATA: the participant's a=sctp-port, once it said */
  guint64 max_message_size;  /* DATA: its a=max-message-size */
} GroupMLine;

/* Audio and video m-lines one participant may publish on. */
#define GROUP_MAX_PUBLISH 6

/* A track a participant should receive: one of a publisher's audio or
 * video tracks. */
typedef struct
{
  char *publisher;
  char *kind;
  char *track;      /* NULL: the publisher's first of @kind (GroupMLine) */
  char *msid_track; /* the publisher's own track id, or NULL */
} GroupSource;

GroupSource *group_source_new (const char *publisher, const char *kind);
GroupSource *group_source_new_track (const char *publisher, const char *kind,
                                     const char *track, const char *msid_track);
void group_source_free (GroupSource *source);

typedef struct _GroupSession GroupSession;

/* @audio and @video: the room's codecs, the payload types of our offers. */
GroupSession *group_session_new (const GroupCodec *audio, const GroupCodec *video);
void group_session_free (GroupSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GroupSession, group_session_free)

/* Whether slots of departed publishers may be taken over by new ones
 * (see above). Off by default: webrtcbin 1.22 cannot apply a re-offer that
 * changes an m-line's direction. */
void group_session_set_reuse (GroupSession *session, gboolean reuse);

/* No offer of ours is waiting for an answer. */
gboolean group_session_is_stable (GroupSession *session);
/* At least one offer/answer exchange completed. */
gboolean group_session_has_negotiated (GroupSession *session);
/* The negotiated m-lines (GroupMLine*). */
GPtrArray *group_session_get_mlines (GroupSession *session);
/* Whether the latest m-lines (our pending offer's, else the negotiated
 * ones) have a slot for each of @sources (GroupSource*), so that no offer
 * is needed to carry them. Slots of publishers not in @sources do not
 * count against it: they stay, idle. */
gboolean group_session_carries (GroupSession *session, GPtrArray *sources);
/* Whether an offer is needed to carry @sources: a slot is missing, or
 * (with reuse) a slot of a publisher that left should go vacant. */
gboolean group_session_needs_offer (GroupSession *session, GPtrArray *sources);
/* Marks exactly the slots of @sources live, in the negotiated m-lines and
 * in our pending offer's. Returns whether a negotiated slot changed, that
 * is whether what the router sends this participant must be updated. */
gboolean group_session_set_live (GroupSession *session, GPtrArray *sources);
/* Whether the participant sends @kind on a negotiated PUBLISH m-line. */
gboolean group_session_publishes (GroupSession *session, const char *kind);
/* What the participant publishes now, as GroupSources of @publisher (its
 * sid): one per negotiated PUBLISH m-line it sends on. */
GPtrArray *group_session_list_published (GroupSession *session, const char *publisher);
/* The mid (and index, when @index is not NULL) our candidates are given
 * with: the first accepted m-line's. NULL before any description. */
const char *group_session_get_bundle_mid (GroupSession *session, guint *index);
/* Whether a remote candidate's sdpMLineIndex (-1: not given) and sdpMid
 * (NULL: not given) name an m-line of the latest description. */
gboolean group_session_knows_mline (GroupSession *session, gint index, const char *mid);

/* Asks for a data channel m-line in our next offers, when the
 * participant has none. */
void group_session_want_data (GroupSession *session);
/* Whether a data channel m-line is negotiated, with the participant's SCTP
 * port and largest message (either may be NULL). */
gboolean group_session_get_data (GroupSession *session, guint *sctp_port,
                                 guint64 *max_message_size);

guint64 group_session_get_id (GroupSession *session);
/* Increases with every description written. */
guint64 group_session_next_version (GroupSession *session);

/* Our next offer: the negotiated m-lines, unchanged apart from liveness,
 * plus a new slot for each of @sources that has none. Returns the m-lines
 * to write (GroupLocalMedia*, without transport attributes). */
GPtrArray *group_session_create_offer (GroupSession *session, GPtrArray *sources);
/* Withdraws our outstanding offer (when the client's crossed it). */
void group_session_rollback (GroupSession *session);
/* Errors (53403) leave the state unchanged. */
gboolean group_session_apply_answer (GroupSession *session,
                                     const GroupRemoteDescription *answer,
                                     GError **error);
/* Applies a client's offer and returns the m-lines of our answer. Call
 * only when stable. Errors (53403) leave the state unchanged. */
GPtrArray *group_session_apply_offer (GroupSession *session,
                                      const GroupRemoteDescription *offer,
                                      GError **error);

G_END_DECLS
