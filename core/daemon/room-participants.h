/* What a participant receives: the subscriptions a topology module
 * records through the core API (participant_subscribe_track), and the
 * tracks they stand for, which REST lists as SubscribedTracks.
 *
 * A subscription names the publisher and a kind of media rather than a
 * track, because that is what an SFU knows (an m-line carries one
 * publisher's audio or video) and because the track may be published
 * only after the media is flowing. It stands for the publisher's track of
 * that kind for as long as the publisher has one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "room-registry.h"

G_BEGIN_DECLS

typedef struct
{
  /* Borrowed: a subscription ends when either participant leaves, and
   * the room keeps every participant that ever joined. */
  ConvokeParticipant *publisher;
  char *kind; /* "audio", "video" or "data" */
  GDateTime *date_created;
} ConvokeSubscription;

/* One subscribed track as REST shows it. Everything is borrowed from the
 * room: valid until the main loop runs again. */
typedef struct
{
  ConvokeParticipant *subscriber;
  ConvokeParticipant *publisher;
  ConvokeTrack *track;
  /* The later of the subscription and the track's publication. */
  GDateTime *since;
} ConvokeSubscribedTrack;

/* Records that @subscriber receives @publisher's media of @kind. TRUE
 * when the subscription exists afterwards; FALSE when either is not
 * connected, they are the same participant or in different rooms, or
 * @kind is not a track kind. */
gboolean convoke_participant_subscribe (ConvokeParticipant *subscriber,
                                        ConvokeParticipant *publisher, const char *kind);
/* FALSE when there was no such subscription. */
gboolean convoke_participant_unsubscribe (ConvokeParticipant *subscriber,
                                          ConvokeParticipant *publisher,
                                          const char *kind);

/* The tracks @subscriber receives now (ConvokeSubscribedTrack*, owned by
 * the array), in the order they were subscribed: for each subscription,
 * the publisher's earliest published track of that kind, when it has
 * one. */
GPtrArray *convoke_participant_list_subscribed_tracks (ConvokeParticipant *subscriber);

G_END_DECLS
