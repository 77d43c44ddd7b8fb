/* What convokesrc and convokesink post on the bus: the element messages
 * about the room (convoke-joined, convoke-participant-connected and
 * -disconnected, convoke-track-added and -removed, convoke-error) and the
 * ERRORs and WARNINGs a session ends or stumbles with. Applications match
 * on these names and fields, as documented with GstConvokeBin and
 * convokesrc and in docs/gstreamer.md: they change only with those docs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "convoke-client-session.h"

G_BEGIN_DECLS

/* convoke-joined, with what the server's answer to the join says. */
void gst_convoke_post_joined (GstElement *element, ConvokeClientSession *session);

/* convoke-participant-connected / -disconnected about another
 * participant. */
/* `convoke-data-message`: a message on another participant's data track;
 * `text` (string) or, for a binary message, `data` (GBytes). */
void gst_convoke_post_data_message (GstElement *element, const char *sid,
                                    const char *label, GBytes *data, gboolean binary);
void gst_convoke_post_participant_connected (GstElement *element, const char *sid,
                                             const char *identity);
void gst_convoke_post_participant_disconnected (GstElement *element, const char *sid,
                                                const char *identity);

/* convoke-track-added / -removed: @track is (or was) exposed on the pad
 * named @pad_name. */
void gst_convoke_post_track_added (GstElement *element, ConvokeRemoteTrack *track,
                                   const char *pad_name);
void gst_convoke_post_track_removed (GstElement *element, ConvokeRemoteTrack *track,
                                     const char *pad_name);

/* The session ended with @error (its code a Twilio error code): a
 * convoke-error element message, then an ERROR whose details are the
 * same structure. The text names the room (@room, or NULL when the token
 * named it) and @url, and says whether the session had @joined. */
void gst_convoke_post_session_error (GstElement *element, const GError *error,
                                     const char *url, const char *room, gboolean joined);

/* The session could not even start to join at @url: an ERROR with a
 * convoke-error structure as details. */
void gst_convoke_post_connect_error (GstElement *element, const GError *error,
                                     const char *url);

/* Something the session survives went wrong: a WARNING. */
void gst_convoke_post_session_warning (GstElement *element, const GError *error);

/* The server closed the session at @url though nobody asked it to: a
 * WARNING, as the pipeline may go on. */
void gst_convoke_post_unexpected_close (GstElement *element, const char *url);

/* The element's properties cannot work: an ERROR with @error's domain,
 * code and message (one that names the property and the value). */
void gst_convoke_post_settings_error (GstElement *element, const GError *error);

/* For GstBin::handle_message of a bin with webrtcbins inside: what of
 * @message, posted by a child, goes on. Takes @message; returns NULL for
 * the children's EOS (the element posts its own), a WARNING in place of
 * an ERROR from inside a peer connection (one failing connection does
 * not end the element), and @message otherwise. */
GstMessage *gst_convoke_filter_child_message (GstBin *bin, GstMessage *message);

G_END_DECLS
