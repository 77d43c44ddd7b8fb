/* ConvokeRemoteTrack: one track that a remote participant publishes, as
 * ConvokeClientSession's "track-added" and "track-removed" hand it over.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CONVOKE_TYPE_REMOTE_TRACK (convoke_remote_track_get_type ())
G_DECLARE_FINAL_TYPE (ConvokeRemoteTrack, convoke_remote_track, CONVOKE, REMOTE_TRACK,
                      GObject)

/* Read-only properties:
 *   "participant-sid"      the publisher's sid ("PA…")
 *   "participant-identity" the publisher's identity
 *   "kind"                 "audio" or "video"
 *   "mid"                  the SDP media id the track arrives on
 *   "pad"                  the GstPad carrying its RTP (application/x-rtp)
 *   "connection-created"   g_get_monotonic_time() when the peer connection
 *                          that carries it was created
 */

ConvokeRemoteTrack *convoke_remote_track_new (const char *participant_sid,
                                              const char *participant_identity,
                                              const char *kind, const char *mid,
                                              GstPad *pad, gint64 connection_created);

const char *convoke_remote_track_get_participant_sid (ConvokeRemoteTrack *self);
const char *convoke_remote_track_get_participant_identity (ConvokeRemoteTrack *self);
const char *convoke_remote_track_get_kind (ConvokeRemoteTrack *self);
const char *convoke_remote_track_get_mid (ConvokeRemoteTrack *self);
GstPad *convoke_remote_track_get_pad (ConvokeRemoteTrack *self);
gint64 convoke_remote_track_get_connection_created (ConvokeRemoteTrack *self);

G_END_DECLS
