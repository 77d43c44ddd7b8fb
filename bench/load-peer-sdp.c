/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/sdp/sdp.h>
#include <string.h>

#include "i18n.h"
#include "load-peer-private.h"

#define OPUS_PT 111
#define VP8_PT 96

/* The process-wide DTLS certificate: every dtlssrtpdec without "pem" uses
 * the same one, so one throw-away decoder tells its fingerprint. */
const char *
load_peer_local_fingerprint (GError **error)
{
  static char *fingerprint;
  static GMutex lock;
  g_autoptr (GstElement) dec = NULL;
  g_autofree char *pem = NULL;
  const char *result;

  g_mutex_lock (&lock);
  if (fingerprint == NULL)
    {
      dec = gst_element_factory_make ("dtlssrtpdec", NULL);
      if (dec != NULL)
        {
          gst_object_ref_sink (dec);
          g_object_get (dec, "pem", &pem, NULL);
        }
      if (pem == NULL)
        g_set_error (error, LOAD_PEER_ERROR, 0,
                     _ ("dtlssrtpdec (gstreamer1.0-plugins-bad) gave no certificate"));
      else
        fingerprint = group_certificate_fingerprint (pem, G_CHECKSUM_SHA256, error);
    }
  result = fingerprint;
  g_mutex_unlock (&lock);
  return result;
}

/* Which SSRC each m-line sends, from its a=ssrc and a=msid lines. */
static void
learn_remote_ssrcs (LoadPeer *peer, const char *sdp)
{
  g_autoptr (GstSDPMessage) message = NULL;

  if (gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK)
    return;
  g_mutex_lock (&peer->lock);
  for (guint i = 0; i < gst_sdp_message_medias_len (message); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (message, i);
      const char *mid = gst_sdp_media_get_attribute_val (media, "mid");
      const char *msid = gst_sdp_media_get_attribute_val (media, "msid");

      for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
        {
          const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);
          guint64 ssrc;
          char *end = NULL;
          RemoteSsrc *remote;

          if (g_strcmp0 (attribute->key, "ssrc") != 0 || attribute->value == NULL)
            continue;
          ssrc = g_ascii_strtoull (attribute->value, &end, 10);
          if (end == attribute->value || ssrc > G_MAXUINT32)
            continue;
          remote = g_new0 (RemoteSsrc, 1);
          remote->mid = g_strdup (mid);
          if (msid != NULL)
            remote->msid = g_strndup (msid, strcspn (msid, " "));
          else if (g_str_has_prefix (end, " msid:"))
            remote->msid = g_strndup (end + 6, strcspn (end + 6, " "));
          g_hash_table_replace (peer->remote_ssrcs, GUINT_TO_POINTER ((guint32) ssrc),
                                remote);
        }
    }
  g_mutex_unlock (&peer->lock);
}

gboolean
load_peer_apply_remote (LoadPeer *peer, const char *sdp, gboolean is_offer,
                        GError **error)
{
  g_autoptr (GroupRemoteDescription) remote = group_remote_description_parse (sdp, error);

  if (remote == NULL)
    return FALSE;
  if (remote->ice_ufrag == NULL)
    {
      g_set_error (error, LOAD_PEER_ERROR, 0,
                   _ ("The remote description has no accepted m-line"));
      return FALSE;
    }
  if (!peer->remote_applied)
    group_transport_set_controlling (peer->transport, !is_offer);
  if (!group_transport_set_remote (peer->transport, remote->ice_ufrag, remote->ice_pwd,
                                   remote->fingerprint_hash, remote->fingerprint, is_offer,
                                   error))
    return FALSE;
  /* Our answer says which; to our actpass offer the remote chose. */
  group_transport_set_dtls_client (peer->transport,
                                   is_offer ? !peer->answer_passive
                                            : g_strcmp0 (remote->setup, "passive") == 0);
  for (guint i = 0; i < remote->candidates->len; i++)
    load_peer_add_remote_candidate (peer, g_ptr_array_index (remote->candidates, i));
  if (remote->end_of_candidates)
    group_transport_remote_gathering_done (peer->transport);
  peer->remote_applied = TRUE;
  learn_remote_ssrcs (peer, sdp);
  g_mutex_lock (&peer->lock);
  for (guint i = 0; i < remote->media->len; i++)
    {
      const GroupRemoteMedia *media = g_ptr_array_index (remote->media, i);

      if (media->ssrc != 0 && media->rtx_ssrc != 0)
        g_hash_table_insert (peer->rtx_ssrcs, GUINT_TO_POINTER (media->rtx_ssrc),
                             GUINT_TO_POINTER (media->ssrc));
    }
  g_mutex_unlock (&peer->lock);
  return TRUE;
}

void
load_peer_add_remote_candidate (LoadPeer *peer, const char *candidate)
{
  g_autoptr (GError) error = NULL;

  if (candidate == NULL || *candidate == '\0')
    {
      group_transport_remote_gathering_done (peer->transport);
      return;
    }
  if (!group_transport_add_remote_candidate (peer->transport, candidate, &error))
    g_message ("%s: %s", peer->name, error->message);
}

static void
fill_local_description (LoadPeer *peer, GroupLocalDescription *description,
                        const char *setup, char **ufrag, char **pwd)
{
  group_transport_get_local_credentials (peer->transport, ufrag, pwd);
  description->session_id = peer->session_id;
  description->session_version = ++peer->session_version;
  description->ice_ufrag = *ufrag;
  description->ice_pwd = *pwd;
  description->fingerprint = load_peer_local_fingerprint (NULL);
  description->setup = setup;
  description->trickle = FALSE;
  description->candidates = group_transport_get_local_candidates (peer->transport);
  description->end_of_candidates = TRUE;
  description->media
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_local_media_free);
}

static void
set_sending (LoadPeer *peer, GroupLocalMedia *media, LoadKind kind)
{
  media->direction = GROUP_DIRECTION_SENDONLY;
  media->ssrc = peer->ssrc[kind];
  media->msid_stream = g_strdup (peer->name);
  media->msid_track = g_strdup_printf ("%s-%s", peer->name, load_kind_name (kind));
  media->cname = g_strdup (peer->name);
  peer->send_pt[kind] = media->codec->pt;
}

char *
load_peer_write_answer (LoadPeer *peer, const char *offer, gboolean publish,
                        GError **error)
{
  g_autoptr (GroupRemoteDescription) remote
      = group_remote_description_parse (offer, error);
  g_autoptr (GroupCodec) opus = group_codec_new (OPUS_PT, "opus", 48000, 2, NULL);
  g_autoptr (GroupCodec) vp8 = group_codec_new (VP8_PT, "VP8", 90000, 0, NULL);
  GroupLocalDescription description = { 0 };
  g_autofree char *ufrag = NULL;
  g_autofree char *pwd = NULL;
  gboolean sending[LOAD_N_KINDS] = { FALSE, FALSE };
  char *text;

  if (remote == NULL)
    return NULL;
  fill_local_description (peer, &description, peer->answer_passive ? "passive" : "active",
                          &ufrag, &pwd);
  for (guint i = 0; i < remote->media->len; i++)
    {
      const GroupRemoteMedia *offered = g_ptr_array_index (remote->media, i);
      GroupLocalMedia *media = group_local_media_new ();
      int kind = g_strcmp0 (offered->kind, "audio") == 0   ? LOAD_KIND_AUDIO
                 : g_strcmp0 (offered->kind, "video") == 0 ? LOAD_KIND_VIDEO
                                                           : -1;
      const GroupCodec *codec = NULL;

      g_ptr_array_add (description.media, media);
      media->kind = g_strdup (offered->kind);
      media->mid = g_strdup (offered->mid);
      for (guint c = 0; kind >= 0 && c < offered->codecs->len && codec == NULL; c++)
        if (group_codec_matches (g_ptr_array_index (offered->codecs, c),
                                 kind == LOAD_KIND_AUDIO ? opus : vp8))
          codec = g_ptr_array_index (offered->codecs, c);
      if (offered->rejected || codec == NULL || offered->mid == NULL)
        {
          media->rejected = TRUE;
          media->rejected_proto = g_strdup (offered->proto);
          media->rejected_formats = g_strdup (offered->formats);
          continue;
        }
      media->codec = group_codec_copy (codec);
      if (GROUP_DIRECTION_SENDS (offered->direction))
        {
          media->direction = GROUP_DIRECTION_RECVONLY;
          g_mutex_lock (&peer->lock);
          peer->pt_kind[codec->pt & 127] = kind;
          /* Retransmissions on their own SSRC, as browsers take them. */
          if (codec->rtx_pt >= 0)
            peer->rtx_apt[codec->rtx_pt & 127] = codec->pt;
          g_mutex_unlock (&peer->lock);
        }
      else if (GROUP_DIRECTION_RECEIVES (offered->direction) && publish && !sending[kind])
        {
          set_sending (peer, media, (LoadKind) kind);
          sending[kind] = TRUE;
        }
      else
        media->direction = GROUP_DIRECTION_INACTIVE;
    }
  text = group_local_description_write (&description);
  g_ptr_array_unref (description.media);
  return text;
}

char *
load_peer_write_offer (LoadPeer *peer)
{
  GroupLocalDescription description = { 0 };
  g_autofree char *ufrag = NULL;
  g_autofree char *pwd = NULL;
  GroupLocalMedia *audio = group_local_media_new ();
  GroupLocalMedia *video = group_local_media_new ();
  char *text;

  fill_local_description (peer, &description, "actpass", &ufrag, &pwd);
  audio->kind = g_strdup ("audio");
  audio->mid = g_strdup ("0");
  audio->codec
      = group_codec_new (OPUS_PT, "opus", 48000, 2, "minptime=10;useinbandfec=1");
  set_sending (peer, audio, LOAD_KIND_AUDIO);
  video->kind = g_strdup ("video");
  video->mid = g_strdup ("1");
  video->codec = group_codec_new (VP8_PT, "VP8", 90000, 0, NULL);
  set_sending (peer, video, LOAD_KIND_VIDEO);
  g_ptr_array_add (description.media, audio);
  g_ptr_array_add (description.media, video);
  text = group_local_description_write (&description);
  g_ptr_array_unref (description.media);
  return text;
}
