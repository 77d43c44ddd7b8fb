/* Internal: what a topology (mesh, sfu) adds to ConvokeClientSession.
 *
 * The session does the signaling, the participant list and the peer
 * bookkeeping; a topology only decides which peer connections exist, who
 * offers, and whom a remote track belongs to.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "convoke-client-session.h"
#include "convoke-peer.h"

G_BEGIN_DECLS

typedef struct
{
  char *sid;
  char *identity;
  gboolean trickle;
} ConvokeRemoteParticipant;

typedef struct
{
  const char *name; /* the `topology` of `joined` */

  /* After `joined`; @present lists the participants already in the room
   * (ConvokeRemoteParticipant*), in the server's order. */
  void (*joined) (ConvokeClientSession *session, GPtrArray *present);
  /* Before "participant-disconnected" is emitted. */
  void (*participant_left) (ConvokeClientSession *session,
                            ConvokeRemoteParticipant *participant);
  /* An offer or answer from @from (a participant sid or "server"). */
  void (*description) (ConvokeClientSession *session, const char *from,
                       GstWebRTCSDPType type, const char *sdp);
  /* The sid of the participant who publishes what arrives on @peer's
   * media @mid (with a=msid stream id @msid, may be NULL); NULL when
   * unknown. Free with g_free(). */
  char *(*track_owner) (ConvokeClientSession *session, ConvokePeer *peer, const char *mid,
                        const char *msid);
  /* After an answer of ours to @peer went out; may be NULL. */
  void (*answered) (ConvokeClientSession *session, ConvokePeer *peer);
} ConvokeClientTopology;

extern const ConvokeClientTopology convoke_client_topology_mesh;
extern const ConvokeClientTopology convoke_client_topology_sfu;

/* Creates the peer connection to @remote_id, with every local track on a
 * transceiver of @direction. It trickles only when the session does and
 * @remote_trickles. */
ConvokePeer *convoke_client_session_open_peer (ConvokeClientSession *self,
                                               const char *remote_id,
                                               gboolean remote_trickles,
                                               GstWebRTCRTPTransceiverDirection direction,
                                               GError **error);
ConvokePeer *convoke_client_session_lookup_peer (ConvokeClientSession *self,
                                                 const char *remote_id);
/* Closes the peer, then emits "track-removed" for what arrived on it. */
void convoke_client_session_close_peer (ConvokeClientSession *self,
                                        const char *remote_id);
/* Emits "track-removed" for every track @participant_sid published. */
void convoke_client_session_remove_tracks_of (ConvokeClientSession *self,
                                              const char *participant_sid);
/* Emits "track-removed" for the track that arrives on @peer's media @mid. */
void convoke_client_session_remove_track_by_mid (ConvokeClientSession *self,
                                                 ConvokePeer *peer, const char *mid);
/* The track that arrives on @peer's media @mid, or NULL. */
ConvokeRemoteTrack *convoke_client_session_lookup_track (ConvokeClientSession *self,
                                                         ConvokePeer *peer,
                                                         const char *mid);
ConvokeRemoteParticipant *
convoke_client_session_lookup_participant (ConvokeClientSession *self, const char *sid);
/* Emits "warning". */
void convoke_client_session_warn (ConvokeClientSession *self, GError *error);

G_END_DECLS
