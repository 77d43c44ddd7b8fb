/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-sdp-private.h"

#include <convoke/topology.h>
#include <gst/sdp/sdp.h>
#include <string.h>

#include "i18n.h"
#include "twilio-error.h"

/* Far above any real description; the daemon caps messages lower still. */
#define MAX_SDP_LENGTH (256 * 1024)

GroupCodec *
group_codec_new (int pt, const char *encoding, guint clock_rate, guint channels,
                 const char *fmtp)
{
  GroupCodec *codec = g_new0 (GroupCodec, 1);

  codec->pt = pt;
  codec->encoding = g_strdup (encoding);
  codec->clock_rate = clock_rate;
  codec->channels = channels;
  codec->fmtp = g_strdup (fmtp);
  codec->rtx_pt = -1;
  return codec;
}

GroupCodec *
group_codec_copy (const GroupCodec *codec)
{
  GroupCodec *copy = group_codec_new (codec->pt, codec->encoding, codec->clock_rate,
                                      codec->channels, codec->fmtp);

  copy->rtx_pt = codec->rtx_pt;
  return copy;
}

void
group_codec_free (GroupCodec *codec)
{
  if (codec == NULL)
    return;
  g_free (codec->encoding);
  g_free (codec->fmtp);
  g_free (codec);
}

/* The value of @key in an fmtp parameter list "a=1;b=2", or NULL. */
static char *
fmtp_get (const char *fmtp, const char *key)
{
  g_auto (GStrv) params = NULL;

  if (fmtp == NULL)
    return NULL;
  params = g_strsplit (fmtp, ";", -1);
  for (guint i = 0; params[i] != NULL; i++)
    {
      char *param = g_strstrip (params[i]);
      gsize key_len = strlen (key);

      if (g_ascii_strncasecmp (param, key, key_len) == 0 && param[key_len] == '=')
        return g_strdup (param + key_len + 1);
    }
  return NULL;
}

gboolean
group_codec_matches (const GroupCodec *offered, const GroupCodec *wanted)
{
  if (g_ascii_strcasecmp (offered->encoding, wanted->encoding) != 0
      || offered->clock_rate != wanted->clock_rate)
    return FALSE;
  if (g_ascii_strcasecmp (wanted->encoding, "H264") == 0)
    {
      g_autofree char *mode = fmtp_get (offered->fmtp, "packetization-mode");
      g_autofree char *profile = fmtp_get (offered->fmtp, "profile-level-id");
      g_autofree char *wanted_profile = fmtp_get (wanted->fmtp, "profile-level-id");

      /* Forwarded packets must be decodable by everyone: the same
       * packetization and profile (the first byte of profile-level-id)
       * as ours. Without profile-level-id it is baseline (RFC 6184). */
      if (g_strcmp0 (mode, "1") != 0 || (profile != NULL && strlen (profile) != 6))
        return FALSE;
      if (wanted_profile != NULL
          && g_ascii_strncasecmp (profile ? profile : "42", wanted_profile, 2) != 0)
        return FALSE;
    }
  return TRUE;
}

gboolean
group_remote_media_is_data (const GroupRemoteMedia *media)
{
  return g_strcmp0 (media->kind, "application") == 0 && media->proto != NULL
         && strstr (media->proto, "SCTP") != NULL
         && g_strcmp0 (media->formats, "webrtc-datachannel") == 0;
}

/* a=sctp-port and a=max-message-size of a data channel m-line; out of
 * range values count as not given. */
static void
parse_sctp (GroupRemoteMedia *remote, const GstSDPMedia *media)
{
  const char *port = gst_sdp_media_get_attribute_val (media, "sctp-port");
  const char *size = gst_sdp_media_get_attribute_val (media, "max-message-size");
  guint64 value;

  remote->sctp_port = GROUP_SCTP_PORT;
  remote->max_message_size = 65536;
  if (port != NULL && g_ascii_string_to_unsigned (port, 10, 1, 65535, &value, NULL))
    remote->sctp_port = (guint) value;
  /* 0 means "no limit" (RFC 8841 section 6). */
  if (size != NULL && g_ascii_string_to_unsigned (size, 10, 0, G_MAXUINT64, &value, NULL))
    remote->max_message_size = value == 0 ? G_MAXUINT64 : value;
}

static void
remote_media_free (gpointer data)
{
  GroupRemoteMedia *media = data;

  g_free (media->kind);
  g_free (media->mid);
  g_free (media->proto);
  g_free (media->formats);
  g_free (media->msid_track);
  for (guint i = 0; i < G_N_ELEMENTS (media->rids); i++)
    g_free (media->rids[i]);
  g_ptr_array_unref (media->codecs);
  g_free (media);
}

/* @remote's a=msid track id and its SSRCs (GroupRemoteMedia). */
static void
parse_sender (GroupRemoteMedia *remote, const GstSDPMedia *media)
{
  const char *msid = gst_sdp_media_get_attribute_val (media, "msid");

  for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
    {
      const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);
      guint64 first = 0, second = 0;
      char *end = NULL;

      if (attribute->value == NULL)
        continue;
      if (g_str_equal (attribute->key, "ssrc-group")
          && g_str_has_prefix (attribute->value, "FID ") && remote->rtx_ssrc == 0)
        {
          first = g_ascii_strtoull (attribute->value + 4, &end, 10);
          if (end != NULL && *end == ' ')
            second = g_ascii_strtoull (end + 1, NULL, 10);
          if (first > 0 && first <= G_MAXUINT32 && second > 0 && second <= G_MAXUINT32)
            {
              remote->ssrc = (guint32) first;
              remote->rtx_ssrc = (guint32) second;
            }
        }
      else if (g_str_equal (attribute->key, "extmap"))
        {
          /* "ID[/DIRECTION] URI[ ATTRIBUTES]"; one-byte header ids only
           * (RFC 8285: 1–14), which is what browsers offer for it. */
          const char *uri = NULL;

          first = g_ascii_strtoull (attribute->value, &end, 10);
          if (end != attribute->value && (*end == ' ' || *end == '/'))
            uri = strchr (end, ' ');
          if (uri != NULL && first >= 1 && first <= 14
              && g_str_has_prefix (uri + 1, GROUP_AUDIO_LEVEL_URI)
              && (uri[1 + strlen (GROUP_AUDIO_LEVEL_URI)] == '\0'
                  || uri[1 + strlen (GROUP_AUDIO_LEVEL_URI)] == ' '))
            remote->audio_level_id = (guint) first;
        }
      else if (g_str_equal (attribute->key, "ssrc"))
        {
          first = g_ascii_strtoull (attribute->value, &end, 10);
          if (remote->ssrc == 0 && first > 0 && first <= G_MAXUINT32)
            remote->ssrc = (guint32) first;
          /* "N msid:STREAM TRACK", for SDP without a media-level a=msid */
          if (msid == NULL && end != NULL && g_str_has_prefix (end, " msid:"))
            msid = end + strlen (" msid:");
        }
    }
  if (msid != NULL)
    {
      const char *space = strchr (msid, ' ');

      if (space != NULL && space[1] != '\0' && strlen (space + 1) <= 256)
        remote->msid_track = g_strstrip (g_strdup (space + 1));
    }
}

void
group_remote_description_free (GroupRemoteDescription *description)
{
  if (description == NULL)
    return;
  g_ptr_array_unref (description->media);
  g_ptr_array_unref (description->candidates);
  g_free (description->ice_ufrag);
  g_free (description->ice_pwd);
  g_free (description->fingerprint_hash);
  g_free (description->fingerprint);
  g_free (description->setup);
  g_free (description);
}

static const char *
media_or_session_attribute (const GstSDPMessage *message, const GstSDPMedia *media,
                            const char *key)
{
  const char *value = gst_sdp_media_get_attribute_val (media, key);

  return value != NULL ? value : gst_sdp_message_get_attribute_val (message, key);
}

const char *const group_media_kinds[GROUP_N_MEDIA_KINDS] = { "audio", "video" };

static GroupDirection
parse_direction (const GstSDPMessage *message, const GstSDPMedia *media)
{
  static const struct
  {
    const char *name;
    GroupDirection direction;
  } directions[] = {
    { "sendrecv", GROUP_DIRECTION_SENDRECV },
    { "sendonly", GROUP_DIRECTION_SENDONLY },
    { "recvonly", GROUP_DIRECTION_RECVONLY },
    { "inactive", GROUP_DIRECTION_INACTIVE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (directions); i++)
    if (gst_sdp_media_get_attribute_val (media, directions[i].name) != NULL)
      return directions[i].direction;
  for (guint i = 0; i < G_N_ELEMENTS (directions); i++)
    if (gst_sdp_message_get_attribute_val (message, directions[i].name) != NULL)
      return directions[i].direction;
  return GROUP_DIRECTION_SENDRECV;
}

/* "PT rest": the rest when the attribute is about @pt. */
static const char *
attribute_for_pt (const char *value, int pt)
{
  char prefix[8];

  g_snprintf (prefix, sizeof (prefix), "%d ", pt);
  if (value == NULL || !g_str_has_prefix (value, prefix))
    return NULL;
  return value + strlen (prefix);
}

/* Each "rtx" entry names the codec it retransmits with apt=PT (RFC 4588
 * section 8.6); that codec gets it as its rtx_pt. The rtx entries stay in
 * the list: no room codec matches them. */
static void
link_rtx (GPtrArray *codecs)
{
  for (guint i = 0; i < codecs->len; i++)
    {
      const GroupCodec *rtx = g_ptr_array_index (codecs, i);
      g_autofree char *apt = NULL;
      guint64 apt_pt;

      if (g_ascii_strcasecmp (rtx->encoding, "rtx") != 0)
        continue;
      apt = fmtp_get (rtx->fmtp, "apt");
      if (apt == NULL || !g_ascii_string_to_unsigned (apt, 10, 0, 127, &apt_pt, NULL))
        continue;
      for (guint j = 0; j < codecs->len; j++)
        {
          GroupCodec *codec = g_ptr_array_index (codecs, j);

          if (codec->pt == (int) apt_pt && codec->rtx_pt < 0
              && g_ascii_strcasecmp (codec->encoding, "rtx") != 0)
            codec->rtx_pt = rtx->pt;
        }
    }
}

static GPtrArray *
parse_codecs (const GstSDPMedia *media)
{
  GPtrArray *codecs = g_ptr_array_new_with_free_func ((GDestroyNotify) group_codec_free);

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++)
    {
      guint64 pt;
      const char *rtpmap = NULL, *fmtp = NULL;
      g_auto (GStrv) parts = NULL;
      guint64 clock_rate, channels = 0;

      if (!g_ascii_string_to_unsigned (gst_sdp_media_get_format (media, i), 10, 0, 127,
                                       &pt, NULL))
        continue;
      for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
        {
          const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);

          if (g_strcmp0 (attribute->key, "rtpmap") == 0 && rtpmap == NULL)
            rtpmap = attribute_for_pt (attribute->value, (int) pt);
          else if (g_strcmp0 (attribute->key, "fmtp") == 0 && fmtp == NULL)
            fmtp = attribute_for_pt (attribute->value, (int) pt);
        }
      if (rtpmap == NULL)
        continue;
      /* ENCODING/RATE[/CHANNELS] */
      parts = g_strsplit (rtpmap, "/", 3);
      if (g_strv_length (parts) < 2 || *parts[0] == '\0'
          || !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT32, &clock_rate, NULL)
          || (parts[2] != NULL
              && !g_ascii_string_to_unsigned (parts[2], 10, 1, 255, &channels, NULL)))
        continue;
      g_ptr_array_add (codecs, group_codec_new ((int) pt, parts[0], (guint) clock_rate,
                                                (guint) channels, fmtp));
    }
  link_rtx (codecs);
  return codecs;
}

static gboolean
parse_fingerprint (GroupRemoteDescription *description, const char *value, guint index,
                   GError **error)
{
  static const char *const hashes[] = { "sha-1", "sha-256", "sha-384", "sha-512" };
  g_auto (GStrv) parts = g_strsplit (value, " ", 2);
  g_autofree char *hash = NULL;
  gboolean known = FALSE;

  if (g_strv_length (parts) != 2 || *g_strstrip (parts[1]) == '\0')
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("m-line %u: a=fingerprint:%s is not “HASH XX:XX:…”"), index, value);
      return FALSE;
    }
  hash = g_ascii_strdown (parts[0], -1);
  for (guint i = 0; i < G_N_ELEMENTS (hashes); i++)
    known |= g_str_equal (hash, hashes[i]);
  if (!known)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("m-line %u: a=fingerprint uses the unsupported hash “%s”"), index,
                   parts[0]);
      return FALSE;
    }
  if (description->fingerprint == NULL)
    {
      description->fingerprint_hash = g_steal_pointer (&hash);
      description->fingerprint = g_ascii_strup (parts[1], -1);
    }
  return TRUE;
}

/* ICE and DTLS parameters of one bundled m-line; the first one sets them,
 * the others must agree. */
static gboolean
parse_transport (GroupRemoteDescription *description, const GstSDPMessage *message,
                 const GstSDPMedia *media, guint index, GError **error)
{
  const char *ufrag = media_or_session_attribute (message, media, "ice-ufrag");
  const char *pwd = media_or_session_attribute (message, media, "ice-pwd");
  const char *fingerprint = media_or_session_attribute (message, media, "fingerprint");
  const char *setup = media_or_session_attribute (message, media, "setup");

  if (ufrag == NULL || pwd == NULL || *ufrag == '\0' || *pwd == '\0')
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("m-line %u has no a=ice-ufrag and a=ice-pwd"), index);
      return FALSE;
    }
  if (fingerprint == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("m-line %u has no a=fingerprint"), index);
      return FALSE;
    }
  if (strstr (gst_sdp_media_get_proto (media), "RTP/") != NULL
      && gst_sdp_media_get_attribute_val (media, "rtcp-mux") == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("m-line %u has no a=rtcp-mux, which group rooms require"), index);
      return FALSE;
    }
  if (setup != NULL && g_strcmp0 (setup, "active") != 0
      && g_strcmp0 (setup, "passive") != 0 && g_strcmp0 (setup, "actpass") != 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("m-line %u: a=setup:%s is not active, passive or actpass"), index,
                   setup);
      return FALSE;
    }
  if (description->ice_ufrag == NULL)
    {
      description->ice_ufrag = g_strdup (ufrag);
      description->ice_pwd = g_strdup (pwd);
      /* RFC 4145: a missing a=setup means active. */
      description->setup = g_strdup (setup ? setup : "active");
    }
  else if (g_strcmp0 (description->ice_ufrag, ufrag) != 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("m-line %u has other ICE credentials than the first m-line: group "
                      "rooms need every m-line in one BUNDLE transport"),
                   index);
      return FALSE;
    }
  return parse_fingerprint (description, fingerprint, index, error);
}

static void
collect_candidates (GroupRemoteDescription *description, const GstSDPMedia *media)
{
  for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
    {
      const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);

      if (g_strcmp0 (attribute->key, "candidate") == 0 && attribute->value != NULL)
        g_ptr_array_add (description->candidates,
                         g_strconcat ("candidate:", attribute->value, NULL));
      else if (g_strcmp0 (attribute->key, "end-of-candidates") == 0)
        description->end_of_candidates = TRUE;
    }
}

static char *
join_formats (const GstSDPMedia *media)
{
  GString *formats = g_string_new (NULL);

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++)
    {
      if (i > 0)
        g_string_append_c (formats, ' ');
      g_string_append (formats, gst_sdp_media_get_format (media, i));
    }
  return g_string_free (formats, FALSE);
}

GroupRemoteDescription *
group_remote_description_parse (const char *text, GError **error)
{
  g_autoptr (GroupRemoteDescription) description = g_new0 (GroupRemoteDescription, 1);
  GstSDPMessage *message = NULL;
  gboolean ok = FALSE;
  guint n_media;

  description->media = g_ptr_array_new_with_free_func (remote_media_free);
  description->candidates = g_ptr_array_new_with_free_func (g_free);

  /* gst_sdp_message_new_from_text() asserts on an empty string. */
  if (text == NULL || *text == '\0' || strlen (text) > MAX_SDP_LENGTH
      || !g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The session description is empty, too long or not UTF-8"));
      return NULL;
    }
  if (gst_sdp_message_new_from_text (text, &message) != GST_SDP_OK
      || g_strcmp0 (gst_sdp_message_get_version (message), "0") != 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The session description is not SDP: it does not start with v=0"));
      goto out;
    }
  n_media = gst_sdp_message_medias_len (message);
  if (n_media == 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The session description has no m-line"));
      goto out;
    }

  for (guint i = 0; i < n_media; i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (message, i);
      GroupRemoteMedia *remote = g_new0 (GroupRemoteMedia, 1);
      gboolean bundle_only;

      g_ptr_array_add (description->media, remote);
      remote->kind = g_strdup (gst_sdp_media_get_media (media));
      remote->mid = g_strdup (gst_sdp_media_get_attribute_val (media, "mid"));
      remote->proto = g_strdup (gst_sdp_media_get_proto (media));
      remote->formats = join_formats (media);
      /* Port 0 with a=bundle-only is not a refusal: the m-line rides on
       * the BUNDLE transport (RFC 8843; webrtcbin offers this way). */
      bundle_only = gst_sdp_media_get_attribute_val (media, "bundle-only") != NULL;
      remote->rejected = gst_sdp_media_get_port (media) == 0 && !bundle_only;
      remote->direction = parse_direction (message, media);
      remote->codecs = parse_codecs (media);
      parse_sender (remote, media);
      group_sdp_parse_simulcast (remote, media);
      if (group_remote_media_is_data (remote))
        parse_sctp (remote, media);
      if (remote->kind == NULL || remote->proto == NULL)
        {
          g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                       _ ("m-line %u is incomplete"), i);
          goto out;
        }
      if (remote->rejected)
        continue;
      if ((g_str_equal (remote->kind, "audio") || g_str_equal (remote->kind, "video"))
          && strstr (remote->proto, "RTP/SAVP") == NULL)
        {
          g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                       _ ("m-line %u uses the transport “%s”; group rooms need "
                          "UDP/TLS/RTP/SAVPF"),
                       i, remote->proto);
          goto out;
        }
      if ((!bundle_only
           || media_or_session_attribute (message, media, "ice-ufrag") != NULL)
          && !parse_transport (description, message, media, i, error))
        goto out;
      collect_candidates (description, media);
    }
  if (gst_sdp_message_get_attribute_val (message, "end-of-candidates") != NULL)
    description->end_of_candidates = TRUE;
  ok = TRUE;

out:
  if (message != NULL)
    gst_sdp_message_free (message);
  return ok ? g_steal_pointer (&description) : NULL;
}

GroupLocalMedia *
group_local_media_new (void)
{
  return g_new0 (GroupLocalMedia, 1);
}

void
group_local_media_free (GroupLocalMedia *media)
{
  if (media == NULL)
    return;
  g_free (media->kind);
  g_free (media->mid);
  g_free (media->rejected_proto);
  g_free (media->rejected_formats);
  group_codec_free (media->codec);
  g_free (media->msid_stream);
  g_free (media->msid_track);
  g_free (media->cname);
  g_strfreev (media->rids);
  g_free (media);
}

static const char *
direction_name (GroupDirection direction)
{
  switch (direction)
    {
    case GROUP_DIRECTION_SENDONLY:
      return "sendonly";
    case GROUP_DIRECTION_RECVONLY:
      return "recvonly";
    case GROUP_DIRECTION_SENDRECV:
      return "sendrecv";
    default:
      return "inactive";
    }
}

static void
add_rejected_media (GstSDPMedia *sdp_media, const GroupLocalDescription *description,
                    const GroupLocalMedia *media)
{
  g_auto (GStrv) formats
      = g_strsplit (media->rejected_formats ? media->rejected_formats : "0", " ", -1);

  gst_sdp_media_set_media (sdp_media, media->kind);
  gst_sdp_media_set_port_info (sdp_media, 0, 1);
  gst_sdp_media_set_proto (sdp_media, media->rejected_proto ? media->rejected_proto
                                                            : "UDP/TLS/RTP/SAVPF");
  for (guint i = 0; formats[i] != NULL; i++)
    if (*formats[i] != '\0')
      gst_sdp_media_add_format (sdp_media, formats[i]);
  gst_sdp_media_add_connection (sdp_media, "IN", "IP4", "0.0.0.0", 0, 0);
  if (media->mid != NULL)
    gst_sdp_media_add_attribute (sdp_media, "mid", media->mid);
  /* Meaningless on a refused m-line, but webrtcbin insists on them. */
  gst_sdp_media_add_attribute (sdp_media, "ice-ufrag", description->ice_ufrag);
  gst_sdp_media_add_attribute (sdp_media, "ice-pwd", description->ice_pwd);
  gst_sdp_media_add_attribute (sdp_media, "inactive", NULL);
}

static void
add_codec (GstSDPMedia *sdp_media, const GroupCodec *codec, gboolean video)
{
  g_autofree char *pt = g_strdup_printf ("%d", codec->pt);
  g_autofree char *rtpmap = NULL;

  gst_sdp_media_add_format (sdp_media, pt);
  if (codec->rtx_pt >= 0)
    {
      g_autofree char *rtx_pt = g_strdup_printf ("%d", codec->rtx_pt);

      gst_sdp_media_add_format (sdp_media, rtx_pt);
    }
  if (codec->channels > 0)
    rtpmap = g_strdup_printf ("%d %s/%u/%u", codec->pt, codec->encoding,
                              codec->clock_rate, codec->channels);
  else
    rtpmap = g_strdup_printf ("%d %s/%u", codec->pt, codec->encoding, codec->clock_rate);
  gst_sdp_media_add_attribute (sdp_media, "rtpmap", rtpmap);
  if (codec->fmtp != NULL)
    {
      g_autofree char *fmtp = g_strdup_printf ("%d %s", codec->pt, codec->fmtp);

      gst_sdp_media_add_attribute (sdp_media, "fmtp", fmtp);
    }
  if (video)
    {
      /* What convokerouter answers: NACK from its cache, PLI/FIR by asking
       * the publisher, REMB from its max-bitrate. */
      static const char *const feedback[]
          = { "nack", "nack pli", "ccm fir", "goog-remb" };

      for (guint i = 0; i < G_N_ELEMENTS (feedback); i++)
        {
          g_autofree char *value = g_strdup_printf ("%d %s", codec->pt, feedback[i]);

          gst_sdp_media_add_attribute (sdp_media, "rtcp-fb", value);
        }
    }
  if (codec->rtx_pt >= 0)
    {
      g_autofree char *rtx_map
          = g_strdup_printf ("%d rtx/%u", codec->rtx_pt, codec->clock_rate);
      g_autofree char *rtx_fmtp = g_strdup_printf ("%d apt=%d", codec->rtx_pt, codec->pt);

      gst_sdp_media_add_attribute (sdp_media, "rtpmap", rtx_map);
      gst_sdp_media_add_attribute (sdp_media, "fmtp", rtx_fmtp);
    }
}

static void
add_candidates (GstSDPMedia *sdp_media, const GroupLocalDescription *description,
                gboolean carries_candidates)
{
  if (!carries_candidates)
    return;
  /* In a BUNDLE group the candidates belong to the first m-line. */
  for (guint i = 0; description->candidates && i < description->candidates->len; i++)
    {
      const char *candidate = g_ptr_array_index (description->candidates, i);

      if (g_str_has_prefix (candidate, "candidate:"))
        gst_sdp_media_add_attribute (sdp_media, "candidate",
                                     candidate + strlen ("candidate:"));
    }
  if (description->end_of_candidates)
    gst_sdp_media_add_attribute (sdp_media, "end-of-candidates", NULL);
}

static void
add_media (GstSDPMedia *sdp_media, const GroupLocalDescription *description,
           const GroupLocalMedia *media, gboolean carries_candidates)
{
  g_autofree char *fingerprint = g_strdup_printf ("sha-256 %s", description->fingerprint);
  gboolean data = g_str_equal (media->kind, "application");

  gst_sdp_media_set_media (sdp_media, media->kind);
  gst_sdp_media_set_port_info (sdp_media, 9, 1);
  gst_sdp_media_set_proto (sdp_media, data ? "UDP/DTLS/SCTP" : "UDP/TLS/RTP/SAVPF");
  gst_sdp_media_add_connection (sdp_media, "IN", "IP4", "0.0.0.0", 0, 0);
  gst_sdp_media_add_attribute (sdp_media, "mid", media->mid);
  gst_sdp_media_add_attribute (sdp_media, "ice-ufrag", description->ice_ufrag);
  gst_sdp_media_add_attribute (sdp_media, "ice-pwd", description->ice_pwd);
  if (description->trickle)
    gst_sdp_media_add_attribute (sdp_media, "ice-options", "trickle");
  gst_sdp_media_add_attribute (sdp_media, "fingerprint", fingerprint);
  gst_sdp_media_add_attribute (sdp_media, "setup", description->setup);
  if (data)
    {
      g_autofree char *port = g_strdup_printf ("%u", GROUP_SCTP_PORT);
      g_autofree char *size = g_strdup_printf ("%u", GROUP_DATA_MAX_MESSAGE_SIZE);

      /* RFC 8841: no direction, no codecs; the format names the protocol. */
      gst_sdp_media_add_format (sdp_media, "webrtc-datachannel");
      gst_sdp_media_add_attribute (sdp_media, "sctp-port", port);
      gst_sdp_media_add_attribute (sdp_media, "max-message-size", size);
      add_candidates (sdp_media, description, carries_candidates);
      return;
    }
  gst_sdp_media_add_attribute (sdp_media, "rtcp-mux", NULL);
  gst_sdp_media_add_attribute (sdp_media, direction_name (media->direction), NULL);
  add_codec (sdp_media, media->codec, g_str_equal (media->kind, "video"));
  if (media->audio_level_id != 0)
    {
      g_autofree char *extmap
          = g_strdup_printf ("%u %s", media->audio_level_id, GROUP_AUDIO_LEVEL_URI);

      gst_sdp_media_add_attribute (sdp_media, "extmap", extmap);
    }
  group_sdp_write_simulcast (sdp_media, media);

  if (GROUP_DIRECTION_SENDS (media->direction) && media->ssrc != 0)
    {
      g_autofree char *msid
          = g_strdup_printf ("%s %s", media->msid_stream, media->msid_track);
      g_autofree char *cname = g_strdup_printf ("%u cname:%s", media->ssrc, media->cname);
      g_autofree char *ssrc_msid = g_strdup_printf ("%u msid:%s", media->ssrc, msid);

      gst_sdp_media_add_attribute (sdp_media, "msid", msid);
      if (media->codec->rtx_pt >= 0 && media->rtx_ssrc != 0)
        {
          g_autofree char *fid
              = g_strdup_printf ("FID %u %u", media->ssrc, media->rtx_ssrc);

          gst_sdp_media_add_attribute (sdp_media, "ssrc-group", fid);
        }
      gst_sdp_media_add_attribute (sdp_media, "ssrc", cname);
      gst_sdp_media_add_attribute (sdp_media, "ssrc", ssrc_msid);
      if (media->codec->rtx_pt >= 0 && media->rtx_ssrc != 0)
        {
          /* No cname line for the RTX SSRC: webrtcbin 1.22 takes every
           * "a=ssrc:N cname:" for a stream of its own, and its jitter
           * buffer for the RTX SSRC then warns (jitter_buffer_set_
           * retransmission: code should not be reached) and gets no
           * transceiver. The FID group is what ties the two SSRCs. */
          g_autofree char *rtx_msid = g_strdup_printf ("%u msid:%s", media->rtx_ssrc, msid);

          gst_sdp_media_add_attribute (sdp_media, "ssrc", rtx_msid);
        }
    }

  add_candidates (sdp_media, description, carries_candidates);
}

char *
group_local_description_write (const GroupLocalDescription *description)
{
  GstSDPMessage *message = NULL;
  g_autofree char *session_id
      = g_strdup_printf ("%" G_GUINT64_FORMAT, description->session_id);
  g_autofree char *version
      = g_strdup_printf ("%" G_GUINT64_FORMAT, description->session_version);
  g_autoptr (GString) bundle = g_string_new ("BUNDLE");
  g_autofree char *fingerprint = g_strdup_printf ("sha-256 %s", description->fingerprint);
  gboolean candidates_written = FALSE;
  char *text;

  gst_sdp_message_new (&message);
  gst_sdp_message_set_version (message, "0");
  gst_sdp_message_set_origin (message, "-", session_id, version, "IN", "IP4", "0.0.0.0");
  gst_sdp_message_set_session_name (message, "-");
  gst_sdp_message_add_time (message, "0", "0", NULL);

  for (guint i = 0; i < description->media->len; i++)
    {
      const GroupLocalMedia *media = g_ptr_array_index (description->media, i);

      if (!media->rejected)
        g_string_append_printf (bundle, " %s", media->mid);
    }
  gst_sdp_message_add_attribute (message, "group", bundle->str);
  /* Also at session level, so that rejected m-lines are covered too. */
  gst_sdp_message_add_attribute (message, "fingerprint", fingerprint);
  gst_sdp_message_add_attribute (message, "msid-semantic", " WMS *");

  for (guint i = 0; i < description->media->len; i++)
    {
      const GroupLocalMedia *media = g_ptr_array_index (description->media, i);
      GstSDPMedia *sdp_media = NULL;

      gst_sdp_media_new (&sdp_media);
      if (media->rejected)
        add_rejected_media (sdp_media, description, media);
      else
        {
          add_media (sdp_media, description, media, !candidates_written);
          candidates_written = TRUE;
        }
      gst_sdp_message_add_media (message, sdp_media);
      gst_sdp_media_free (sdp_media);
    }

  text = gst_sdp_message_as_text (message);
  gst_sdp_message_free (message);
  return text;
}
