/* What a client's answers and offers change in a participant's session:
 * its codecs, what it sends and receives on each m-line, its data m-line
 * (group-session.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-session-private.h"

#include <string.h>

#include <convoke/topology.h>

#include "i18n.h"
#include "twilio-error.h"

static const GroupCodec *
find_codec_by_pt (GPtrArray *codecs, int pt)
{
  for (guint i = 0; i < codecs->len; i++)
    {
      const GroupCodec *codec = g_ptr_array_index (codecs, i);

      if (codec->pt == pt)
        return codec;
    }
  return NULL;
}

/* The remote's codec we use on an m-line: @current's payload type when it
 * is still offered, else the first one like the room's. */
static const GroupCodec *
choose_codec (GPtrArray *remote_codecs, const GroupCodec *current, const GroupCodec *room)
{
  const GroupCodec *codec
      = current ? find_codec_by_pt (remote_codecs, current->pt) : NULL;

  if (codec != NULL && group_codec_matches (codec, room))
    return codec;
  for (guint i = 0; i < remote_codecs->len; i++)
    {
      codec = g_ptr_array_index (remote_codecs, i);
      if (group_codec_matches (codec, room))
        return codec;
    }
  return NULL;
}

static gboolean
check_same_mlines (GPtrArray *mlines, const GroupRemoteDescription *remote, guint count,
                   GError **error)
{
  for (guint i = 0; i < count; i++)
    {
      const GroupMLine *mline = g_ptr_array_index (mlines, i);
      const GroupRemoteMedia *media = g_ptr_array_index (remote->media, i);

      if (g_strcmp0 (media->kind, mline->kind) != 0)
        {
          g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                       _ ("m-line %u is “%s”; it was negotiated as “%s”"), i, media->kind,
                       mline->kind);
          return FALSE;
        }
      if (media->mid != NULL && mline->mid != NULL
          && g_strcmp0 (media->mid, mline->mid) != 0)
        {
          g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                       _ ("m-line %u has a=mid:%s; it was negotiated as a=mid:%s"), i,
                       media->mid, mline->mid);
          return FALSE;
        }
    }
  return TRUE;
}

/* Whether an m-line other than @mline already carries the client's
 * first track of @mline's kind. */
static gboolean
has_first_track (GPtrArray *mlines, const GroupMLine *mline)
{
  for (guint i = 0; i < mlines->len; i++)
    {
      const GroupMLine *other = g_ptr_array_index (mlines, i);

      if (other != mline && other->role != GROUP_MLINE_REJECTED
          && g_strcmp0 (other->kind, mline->kind) == 0 && other->publish_track == NULL
          && (other->role == GROUP_MLINE_PUBLISH
              || (other->remote_sends && other->publish_named)))
        return TRUE;
    }
  return FALSE;
}

/* The layers @media says the client sends. RIDs only count with the RID
 * header extension: without it, packets would not say their layer. */
static void
simulcast_update (GroupMLineSimulcast *simulcast, const GroupRemoteMedia *media)
{
  gboolean by_rid = media->rids[0] != NULL;

  memset (simulcast, 0, sizeof (*simulcast));
  if (media->n_layers < 2 || (by_rid && media->extensions.rid == 0))
    return;
  simulcast->n_layers = media->n_layers;
  for (guint i = 0; i < media->n_layers; i++)
    {
      if (by_rid)
        g_strlcpy (simulcast->rids[i], media->rids[i], sizeof (simulcast->rids[i]));
      simulcast->ssrcs[i] = media->layer_ssrcs[i];
      simulcast->rtx_ssrcs[i] = media->layer_rtx_ssrcs[i];
    }
  if (by_rid)
    simulcast->extensions = media->extensions;
}

/* What the client says it sends on @mline (one of @mlines): its track
 * name, the first time it sends, and its msid and SSRCs. */
static void
publish_update_sender (GPtrArray *mlines, GroupMLine *mline,
                       const GroupRemoteMedia *media)
{
  if (mline->remote_sends && !mline->publish_named)
    {
      /* The first time the client sends on it: a track of its own, unless
       * it is the client's first of the kind. */
      mline->publish_named = TRUE;
      if (has_first_track (mlines, mline))
        mline->publish_track = g_strdup_printf ("%s-%s", mline->kind, mline->mid);
    }
  if (media->msid_track != NULL)
    {
      g_free (mline->publish_msid);
      mline->publish_msid = g_strdup (media->msid_track);
    }
  if (media->ssrc != 0)
    {
      mline->remote_ssrc = media->ssrc;
      mline->remote_rtx_ssrc = media->rtx_ssrc;
    }
  if (mline->role == GROUP_MLINE_PUBLISH)
    mline->audio_level_id = media->audio_level_id;
  if (g_strcmp0 (mline->kind, "video") == 0)
    simulcast_update (&mline->simulcast, media);
}

/* A data m-line as the client's latest description has it: refused (port
 * 0, or not the SCTP data channel form) leaves no SCTP port. */
static void
data_update (GroupMLine *mline, const GroupRemoteMedia *media)
{
  gboolean accepted = !media->rejected && group_remote_media_is_data (media);

  mline->sctp_port = accepted ? media->sctp_port : 0;
  mline->max_message_size = accepted ? media->max_message_size : 0;
}

gboolean
group_session_apply_answer (GroupSession *session, const GroupRemoteDescription *answer,
                            GError **error)
{
  GPtrArray *mlines = session->pending;

  if (mlines == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("Got an answer, but the server has no offer outstanding"));
      return FALSE;
    }
  if (answer->media->len != mlines->len)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The answer has %u m-lines; the offer had %u"), answer->media->len,
                   mlines->len);
      return FALSE;
    }
  if (!check_same_mlines (mlines, answer, mlines->len, error))
    return FALSE;
  if (answer->setup != NULL && g_strcmp0 (answer->setup, "actpass") == 0)
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
          _ ("An answer must have a=setup:active or a=setup:passive, not actpass"));
      return FALSE;
    }

  for (guint i = 0; i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);
      const GroupRemoteMedia *media = g_ptr_array_index (answer->media, i);
      const GroupCodec *answered
          = !media->rejected && mline->codec != NULL
                ? find_codec_by_pt (media->codecs, mline->codec->pt)
                : NULL;
      gboolean accepted = answered != NULL;

      /* RTX only when the answer kept it for this codec (RFC 4588). */
      if (answered != NULL && answered->rtx_pt < 0)
        mline->codec->rtx_pt = -1;

      if (mline->role == GROUP_MLINE_REJECTED)
        continue;
      if (mline->role == GROUP_MLINE_DATA)
        {
          data_update (mline, media);
          continue;
        }
      mline->remote_sends = accepted && GROUP_DIRECTION_SENDS (media->direction);
      if (mline->role == GROUP_MLINE_SLOT)
        mline->remote_receives = accepted && GROUP_DIRECTION_RECEIVES (media->direction);
      publish_update_sender (mlines, mline, media);
    }

  g_ptr_array_unref (session->mlines);
  session->mlines = g_steal_pointer (&session->pending);
  session->negotiated = TRUE;
  return TRUE;
}

static GroupMLine *
rejected_mline (const GroupRemoteMedia *media)
{
  GroupMLine *mline
      = group_mline_new (GROUP_MLINE_REJECTED, media->kind, g_strdup (media->mid), NULL);

  mline->rejected_proto = g_strdup (media->proto);
  mline->rejected_formats = g_strdup (media->formats);
  return mline;
}

static guint
count_publish (GPtrArray *mlines, const char *kind)
{
  guint count = 0;

  for (guint i = 0; i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);

      if (mline->role == GROUP_MLINE_PUBLISH
          && (kind == NULL || g_strcmp0 (mline->kind, kind) == 0))
        count++;
    }
  return count;
}

/* A client's new m-line: audio and video are its uplink, up to
 * GROUP_MAX_PUBLISH; its first data channel m-line is its SCTP
 * association; anything else is refused. */
static GroupMLine *
accept_new_mline (GroupSession *session, GPtrArray *mlines, const GroupRemoteMedia *media)
{
  const GroupCodec *codec;
  GroupMLine *mline;

  if (!media->rejected && media->mid != NULL && group_remote_media_is_data (media)
      && group_mlines_find_data (mlines) == NULL)
    {
      mline
          = group_mline_new (GROUP_MLINE_DATA, media->kind, g_strdup (media->mid), NULL);
      data_update (mline, media);
      return mline;
    }

  if (media->rejected || media->mid == NULL || !group_session_is_media_kind (media->kind)
      || count_publish (mlines, NULL) >= GROUP_MAX_PUBLISH)
    return rejected_mline (media);
  codec = choose_codec (media->codecs, NULL,
                        session->codecs[group_session_kind_index (media->kind)]);
  if (codec == NULL)
    return rejected_mline (media);

  mline
      = group_mline_new (GROUP_MLINE_PUBLISH, media->kind, g_strdup (media->mid), codec);
  mline->remote_sends = GROUP_DIRECTION_SENDS (media->direction);
  mline->publish_named = TRUE;
  if (has_first_track (mlines, mline))
    mline->publish_track = g_strdup_printf ("%s-%s", media->kind, media->mid);
  publish_update_sender (mlines, mline, media);
  /* From now on this participant's payload types are the ones it chose. */
  group_codec_free (session->codecs[group_session_kind_index (media->kind)]);
  session->codecs[group_session_kind_index (media->kind)] = group_codec_copy (codec);
  return mline;
}

GPtrArray *
group_session_apply_offer (GroupSession *session, const GroupRemoteDescription *offer,
                           GError **error)
{
  g_autoptr (GPtrArray) mlines = NULL;
  GroupCodec *saved_codecs[2];
  guint known = session->mlines->len;
  gboolean accepted = FALSE;

  g_return_val_if_fail (session->pending == NULL, NULL);

  if (offer->media->len < known)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The offer has %u m-lines; %u were negotiated before"),
                   offer->media->len, known);
      return NULL;
    }
  if (!check_same_mlines (session->mlines, offer, known, error))
    return NULL;

  saved_codecs[0] = group_codec_copy (session->codecs[0]);
  saved_codecs[1] = group_codec_copy (session->codecs[1]);
  mlines = group_mlines_copy (session->mlines);
  for (guint i = 0; i < offer->media->len; i++)
    {
      const GroupRemoteMedia *media = g_ptr_array_index (offer->media, i);
      GroupMLine *mline;
      const GroupCodec *codec;

      if (i >= known)
        {
          g_ptr_array_add (mlines, accept_new_mline (session, mlines, media));
          continue;
        }
      mline = g_ptr_array_index (mlines, i);
      if (mline->role == GROUP_MLINE_REJECTED)
        continue;
      if (mline->role == GROUP_MLINE_DATA)
        {
          data_update (mline, media);
          continue;
        }
      codec
          = media->rejected
                ? NULL
                : choose_codec (media->codecs, mline->codec,
                                session->codecs[group_session_kind_index (mline->kind)]);
      if (codec != NULL)
        {
          group_codec_free (mline->codec);
          mline->codec = group_codec_copy (codec);
        }
      mline->remote_sends = codec != NULL && GROUP_DIRECTION_SENDS (media->direction);
      if (mline->role == GROUP_MLINE_SLOT)
        mline->remote_receives
            = codec != NULL && GROUP_DIRECTION_RECEIVES (media->direction);
      publish_update_sender (mlines, mline, media);
    }

  for (guint i = 0; i < mlines->len && !accepted; i++)
    accepted
        = ((GroupMLine *) g_ptr_array_index (mlines, i))->role != GROUP_MLINE_REJECTED;
  if (!accepted)
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_NO_SUPPORTED_CODEC,
          _ ("The offer has no audio or video m-line with a codec this room uses "
             "(%s, %s)"),
          saved_codecs[0]->encoding, saved_codecs[1]->encoding);
      group_codec_free (session->codecs[0]);
      group_codec_free (session->codecs[1]);
      session->codecs[0] = saved_codecs[0];
      session->codecs[1] = saved_codecs[1];
      return NULL;
    }
  group_codec_free (saved_codecs[0]);
  group_codec_free (saved_codecs[1]);

  g_ptr_array_unref (session->mlines);
  session->mlines = g_steal_pointer (&mlines);
  session->negotiated = TRUE;
  return group_mlines_describe (session->mlines, FALSE);
}
