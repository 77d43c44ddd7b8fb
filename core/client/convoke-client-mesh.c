/* Mesh rooms (peer-to-peer, go): one peer connection per remote
 * participant. The newcomer offers to everyone listed in `joined`; the
 * participants already in the room answer. So two peers never offer to
 * each other at once.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-client-session-private.h"

#include "i18n.h"
#include "twilio-error.h"

#define GST_CAT_DEFAULT convoke_client_debug

/* An offer without an m-line of some kind could never receive that kind
 * from the peer: kinds that no local track sends are offered receive-only
 * (a participant that only watches publishes nothing at all). */
static void
receive_unpublished_kinds (ConvokeClientSession *session, ConvokePeer *peer)
{
  static const char *const kinds[] = { "audio", "video" };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      gboolean published = FALSE;

      for (guint i = 0; i < session->local_tracks->len && !published; i++)
        published = g_str_equal (
            ((ConvokeLocalTrack *) g_ptr_array_index (session->local_tracks, i))->kind,
            kinds[k]);
      if (!published)
        convoke_peer_add_receiver (peer, kinds[k]);
    }
}

static void
mesh_joined (ConvokeClientSession *session, GPtrArray *present)
{
  for (guint i = 0; i < present->len; i++)
    {
      ConvokeRemoteParticipant *participant = g_ptr_array_index (present, i);
      g_autoptr (GError) error = NULL;
      ConvokePeer *peer = convoke_client_session_open_peer (
          session, participant->sid, participant->trickle,
          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, &error);

      if (peer == NULL)
        convoke_client_session_warn (session, error);
      else
        {
          receive_unpublished_kinds (session, peer);
          convoke_peer_create_offer (peer);
        }
    }
}

static void
mesh_participant_left (ConvokeClientSession *session,
                       ConvokeRemoteParticipant *participant)
{
  convoke_client_session_close_peer (session, participant->sid);
}

static void
mesh_description (ConvokeClientSession *session, const char *from, GstWebRTCSDPType type,
                  const char *sdp)
{
  ConvokePeer *peer = convoke_client_session_lookup_peer (session, from);
  gboolean new_peer = FALSE;
  g_autoptr (GError) error = NULL;

  if (type == GST_WEBRTC_SDP_TYPE_OFFER && peer == NULL)
    {
      ConvokeRemoteParticipant *sender
          = convoke_client_session_lookup_participant (session, from);

      new_peer = TRUE;
      peer = convoke_client_session_open_peer (
          session, from, sender ? sender->trickle : TRUE,
          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, &error);
      if (peer == NULL)
        {
          convoke_client_session_warn (session, error);
          return;
        }
    }
  if (peer == NULL)
    {
      g_autofree char *text = g_strdup_printf (
          _ ("received an answer from %s, to whom no offer was made"), from);

      convoke_client_session_warn_literal (session,
                                           CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE, text);
      return;
    }
  if (!convoke_peer_set_remote_description (peer, type, sdp, &error))
    {
      /* A connection that never had a usable offer is of no use. */
      if (new_peer)
        convoke_client_session_close_peer (session, from);
      convoke_client_session_warn (session, error);
    }
}

static char *
mesh_track_owner (ConvokeClientSession *session, ConvokePeer *peer, const char *mid,
                  const char *msid)
{
  return g_strdup (convoke_peer_get_remote_id (peer));
}

const ConvokeClientTopology convoke_client_topology_mesh = {
  .name = "mesh",
  .joined = mesh_joined,
  .participant_left = mesh_participant_left,
  .description = mesh_description,
  .track_owner = mesh_track_owner,
};
