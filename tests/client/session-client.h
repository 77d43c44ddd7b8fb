/* Test helper: a ConvokeClientSession in its own pipeline, recording
 * every signal it emits, for tests that play the server's part.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include "convoke-client-session.h"
#include "fake-signaling.h"

G_BEGIN_DECLS

/* A deadline, as a base figure: test_wait_until and
 * fake_signaling_wait_message scale it. */
#define TIMEOUT_MS 15000
#define ALICE_SID "PA0000000000000000000000000000a11c"
#define BOB_SID "PA00000000000000000000000000000b0b"
#define REMOTE_A_SID "PA000000000000000000000000000000aa"
#define REMOTE_B_SID "PA000000000000000000000000000000bb"

#define VIDEO_CAPS                                                                       \
  "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
#define AUDIO_CAPS                                                                       \
  "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,"       \
  "encoding-params=(string)2"
#define VIDEO_SOURCE                                                                     \
  "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=15/1 ! "       \
  "vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96 ! capsfilter "               \
  "caps=\"" VIDEO_CAPS "\""
#define AUDIO_SOURCE                                                                     \
  "audiotestsrc is-live=true ! opusenc ! rtpopuspay pt=111 ! capsfilter "                \
  "caps=\"" AUDIO_CAPS "\""

typedef struct
{
  GstPipeline *pipeline;
  ConvokeClientSession *session;
  gboolean joined;
  gboolean closed;
  GError *error;
  guint n_warnings;
  GPtrArray *connected; /* sids */
  GPtrArray *tracks;    /* ConvokeRemoteTrack* added and not removed */
  GPtrArray *removed;   /* ConvokeRemoteTrack* */
  GHashTable *buffers;  /* ConvokeRemoteTrack* → guint* buffers received */
} Client;

/* A session restricted to 127.0.0.1, publishing a small VP8 and an Opus
 * test track when @with_tracks; its pipeline is PLAYING. */
Client *client_new (gboolean trickle, gboolean with_tracks);
void client_free (Client *client);
/* Conditions for test_wait_until(). */
gboolean client_joined (gpointer client);
gboolean client_closed (gpointer client);
gboolean client_saw_participant (gpointer client);
/* Connects @client to @server and answers its `join` with @joined. */
void client_join (Client *client, FakeSignaling *server, JsonObject *joined);

G_END_DECLS
