/* convoke-client's own media: the encoders it publishes with and the
 * decoders it subscribes with. The library (ConvokeClientSession) only
 * moves RTP; this is where it is made and consumed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "convoke-client-stats.h"
#include "convoke-remote-track.h"

G_BEGIN_DECLS

/* 320x240 at 15 fps keeps several clients affordable on a small machine. */
#define CONVOKE_CLIENT_DEFAULT_VIDEO_SOURCE                                              \
  "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1"
#define CONVOKE_CLIENT_DEFAULT_AUDIO_SOURCE "audiotestsrc is-live=true"

/* A bin with a "src" pad producing RTP: @raw_source (a gst-launch
 * fragment producing raw video or audio) encoded with VP8 or Opus and
 * payloaded. *caps_out gets the RTP caps to publish with. */
GstElement *convoke_client_media_make_source (const char *kind, const char *raw_source,
                                              GstCaps **caps_out, GError **error);

typedef struct _ConvokeDecoder ConvokeDecoder;

/* Links @track's pad to a depayloader and decoder ending in a fakesink
 * inside @bin, counting received bytes and decoded frames into @stats.
 * Must run while the pad is blocked (in "track-added"). */
ConvokeDecoder *convoke_decoder_attach (GstBin *bin, ConvokeRemoteTrack *track,
                                        ConvokeTrackStats *stats, GError **error);
/* Takes the decoder down once its pad no longer pushes. */
void convoke_decoder_detach (ConvokeDecoder *decoder);
gboolean convoke_decoder_is_for (ConvokeDecoder *decoder, ConvokeRemoteTrack *track);

G_END_DECLS
