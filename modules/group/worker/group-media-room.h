/* Private to the group worker: a room's media state and its participants.
 * group-worker.c holds the room (set-up, options, message dispatch,
 * router events); group-participant.c a participant's life (transport,
 * negotiation, routing).
 *
 * Everything here runs on the worker's main context.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <convoke/topology.h>

#include "convokerouter-pads.h"

#include "group-sctp.h"
#include "group-sdp.h"
#include "group-session.h"
#include "group-transport.h"
#include "group-turn.h"

G_BEGIN_DECLS

/* The worker half's GStreamer debug category, "convokegroup" (the worker
 * logs its debug lines through GStreamer; group-transport.c has
 * "convokegrouptransport"). */
GST_DEBUG_CATEGORY_EXTERN (group_media_debug);

typedef struct _GroupMediaRoom GroupMediaRoom;
typedef struct _GroupParticipant GroupParticipant;
typedef struct _GroupDataTrack GroupDataTrack;

struct _GroupMediaRoom
{
  /* An atomic rc box: router callbacks from streaming threads hold it. */
  ConvokeWorker *worker;
  const ConvokeWorkerApi *api;
  GMainContext *context;
  GstPipeline *pipeline;
  GstElement *router;
  GHashTable *participants; /* sid → GroupParticipant* (owned) */
  GPtrArray *order;         /* GroupParticipant*, join order (borrowed) */

  /* From the worker options, see docs/group-media.md. */
  char *pem;         /* NULL: the DTLS elements' shared certificate */
  char *fingerprint; /* SHA-256 of our certificate */
  char **addresses;
  guint port_min, port_max;
  char *stun_host;
  guint stun_port;
  GroupTurnCache turn_cache; /* the turn-servers option, parsed */
  GroupCodec *audio_codec;
  GroupCodec *video_codec;

  GPtrArray *data_tracks; /* GroupDataTrack* (group-data-tracks.c) */

  gboolean tearing_down;
  struct _GroupRecording *recording; /* group-recording.c; NULL: not recording */
  struct _GroupActivity *activity;   /* group-activity.c */
};

struct _GroupParticipant
{
  GroupMediaRoom *room;
  char *sid;
  gboolean trickle;
  GroupTransport *transport;
  GroupSctp *sctp; /* its data channels (group-data-tracks.c) */
  /* Media signaling channels of ours to it: label → stream + 1 (0: not
   * open yet), and the latest message per label waiting for it. */
  GHashTable *msp_streams;
  GHashTable *msp_pending;
  GHashTable *msp_last; /* label → the latest message sent on it */
  gboolean dtls_connected;
  GroupSession *session;
  GstPad *router_pads[CONVOKE_ROUTER_N_PADS]; /* indexed by ConvokeRouterPad */
  GHashTable *router_slots; /* SSRCs set on the router */
  /* GroupSource*: what it publishes, as announced to the others */
  GPtrArray *published;
  gboolean description_sent;
  gboolean end_of_candidates_sent;
  gboolean offer_wanted;
  guint offer_source;
  GPtrArray *held_answer; /* GroupLocalMedia*: waits for gathering */
  char *held_answer_setup;
  gboolean failed; /* ICE or DTLS gave up: error sent, nothing more to it */
};

/* Events to the daemon (docs/worker-protocol.md). */
void group_media_room_send_event (GroupMediaRoom *room, JsonObject *event);
void group_media_room_send_error (GroupMediaRoom *room, const char *participant, int code,
                                  const char *message);

/* group-participant.c */
GroupParticipant *group_participant_add (GroupMediaRoom *room, const char *sid,
                                         const char *identity, gboolean trickle,
                                         GError **error);
/* Tears the participant's media down and frees it; @notify_others asks
 * the others to update what they receive (their slots of it go idle). */
void group_participant_remove (GroupParticipant *participant, gboolean notify_others);
void group_participant_request_offer (GroupParticipant *participant);
gboolean group_participant_apply_description (GroupParticipant *participant,
                                              const char *sdp_type, const char *sdp,
                                              GError **error);
/* Tells the daemon what the participant receives now (`subscribed-tracks`). */
void group_participant_report_subscriptions (GroupParticipant *participant);
gboolean group_participant_add_candidate (GroupParticipant *participant,
                                          const char *candidate, gint mline_index,
                                          const char *mid, GError **error);

/* Which simulcast layer (0 the lowest) of @publisher's video the
 * participant gets, on the slot it receives it on as the track id @track
 * (its a=msid; NULL: the first of that publisher's video slots). When
 * the publisher does not send simulcast, it gets the one stream there is.
 * FALSE (53004) when it receives no such video. */
gboolean group_participant_set_video_layer (GroupParticipant *participant,
                                            const char *publisher, const char *track,
                                            guint layer, GError **error);

/* group-data-tracks.c */
void group_data_tracks_init (GroupMediaRoom *room);
/* Adds the participant's SCTP bin, linked to its transport. */
gboolean group_data_participant_added (GroupParticipant *participant, GError **error);
/* Starts its SCTP association once DTLS is up and a data m-line is
 * negotiated; call after each of those. */
void group_data_participant_update (GroupParticipant *participant);
/* Sends @message (JSON text) on the media signaling channel @label of
 * ours to the participant (the Twilio SDK's MSP), opening it first; until
 * its SCTP association is up only the latest message per label waits. */
void group_data_participant_msp (GroupParticipant *participant, const char *label,
                                 const char *message);
/* Adds {publisher, kind: "data"} to @tracks for each publisher whose data
 * track the participant receives (once per publisher). */
void group_data_list_subscriptions (GroupParticipant *participant, JsonArray *tracks);
/* Ends its data tracks and its subscriptions, and removes its SCTP bin. */
void group_data_participant_removed (GroupParticipant *participant);

G_END_DECLS
