/* SFU rooms (group): one peer connection to the room's media server,
 * addressed as "server". The server makes every offer: the first one has
 * a recvonly audio and video m-line to publish on (the local tracks'
 * sendonly transceivers match them), later ones add a sendonly m-line per
 * remote track, whose a=msid names the publishing participant.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-client-session-private.h"

#include <gst/sdp/sdp.h>

#include "i18n.h"
#include "twilio-error.h"

#define GST_CAT_DEFAULT convoke_client_debug

#define SERVER_ID "server"

static void
sfu_joined (ConvokeClientSession *session, GPtrArray *present)
{
  g_autoptr (GError) error = NULL;

  /* The server trickles exactly when the client does. */
  if (convoke_client_session_open_peer (
          session, SERVER_ID, TRUE, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, &error)
      == NULL)
    /* Without its one peer connection the participant has no media at
     * all, so this ends the session. */
    convoke_client_session_fail (session, error->code, error->message);
}

static void
sfu_participant_left (ConvokeClientSession *session,
                      ConvokeRemoteParticipant *participant)
{
  convoke_client_session_remove_tracks_of (session, participant->sid);
}

static gboolean
media_has_flag (const GstSDPMedia *media, const char *flag)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    if (g_strcmp0 (gst_sdp_media_get_attribute (media, i)->key, flag) == 0)
      return TRUE;
  return FALSE;
}

/* The stream id of the media's a=msid, which the server sets to the
 * publisher's sid. */
static char *
media_msid_stream (const GstSDPMedia *media)
{
  const char *msid = media ? gst_sdp_media_get_attribute_val (media, "msid") : NULL;
  const char *space;

  if (msid == NULL || *msid == '\0')
    return NULL;
  space = strchr (msid, ' ');
  return space ? g_strndup (msid, space - msid) : g_strdup (msid);
}

/* A renegotiation stops a remote track by rejecting or deactivating its
 * m-line. */
static void
remove_stopped_tracks (ConvokeClientSession *session, ConvokePeer *peer, const char *text)
{
  g_autoptr (GstSDPMessage) sdp = NULL;

  if (gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK)
    return;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
      const char *mid = gst_sdp_media_get_attribute_val (media, "mid");
      ConvokeRemoteTrack *track
          = convoke_client_session_lookup_track (session, peer, mid);
      g_autofree char *owner = NULL;

      if (track == NULL)
        continue;
      /* Port 0 rejects an m-line, unless it is bundle-only (RFC 8843). */
      if ((gst_sdp_media_get_port (media) == 0 && !media_has_flag (media, "bundle-only"))
          || media_has_flag (media, "inactive") || media_has_flag (media, "recvonly"))
        {
          convoke_client_session_remove_track_by_mid (session, peer, mid);
          continue;
        }
      owner = media_msid_stream (media);
      if (owner != NULL
          && g_strcmp0 (owner, convoke_remote_track_get_participant_sid (track)) != 0)
        GST_WARNING ("the server moved mid %s from %s to %s; still reported as %s's", mid,
                     convoke_remote_track_get_participant_sid (track), owner,
                     convoke_remote_track_get_participant_sid (track));
    }
}

static void
sfu_description (ConvokeClientSession *session, const char *from, GstWebRTCSDPType type,
                 const char *sdp)
{
  ConvokePeer *peer = convoke_client_session_lookup_peer (session, SERVER_ID);
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (from, SERVER_ID) != 0 || peer == NULL)
    {
      g_autofree char *text = g_strdup_printf (
          _ ("ignoring an SDP from \"%s\": in an sfu room only the server negotiates"),
          from);

      convoke_client_session_warn_literal (session,
                                           CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE, text);
      return;
    }
  /* An offer that crossed ours is ignored by the peer: the server
   * withdrew it (docs/signaling.md, *Crossing offers*). */
  if (type == GST_WEBRTC_SDP_TYPE_OFFER && !convoke_peer_offer_outstanding (peer))
    remove_stopped_tracks (session, peer, sdp);
  if (!convoke_peer_set_remote_description (peer, type, sdp, &error))
    convoke_client_session_warn (session, error);
}

/* After our answer: data tracks need a data m-line, which the server
 * offers only once the room has data for us; until then we offer it
 * ourselves (docs/signaling.md allows a client's offer in sfu rooms). */
static void
sfu_answered (ConvokeClientSession *session, ConvokePeer *peer)
{
  convoke_client_session_offer_data_if_needed (session, peer);
}

static char *
sfu_track_owner (ConvokeClientSession *session, ConvokePeer *peer, const char *mid,
                 const char *msid)
{
  if (msid != NULL && *msid != '\0')
    return g_strdup (msid);
  return media_msid_stream (convoke_peer_find_remote_media (peer, mid));
}

const ConvokeClientTopology convoke_client_topology_sfu = {
  .name = "sfu",
  .joined = sfu_joined,
  .participant_left = sfu_participant_left,
  .description = sfu_description,
  .track_owner = sfu_track_owner,
  .answered = sfu_answered,
};
