/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-srtp-session.h"

#include <convoke/topology.h>

#include "i18n.h"
#include "twilio-error.h"

/* RFC 5764, section 4.1.2: with the 32-bit tag profiles, SRTCP still
 * carries an 80-bit tag, as libwebrtc expects. */
static gboolean
set_crypto_policy (srtp_policy_t *policy, GroupSrtpCipher cipher, GroupSrtpAuth auth)
{
  switch (cipher)
    {
    case GROUP_SRTP_CIPHER_AES_128_ICM:
      if (auth == GROUP_SRTP_AUTH_HMAC_SHA1_80)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtp);
      else if (auth == GROUP_SRTP_AUTH_HMAC_SHA1_32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&policy->rtp);
      else
        return FALSE;
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtcp);
      return TRUE;
    case GROUP_SRTP_CIPHER_AES_256_ICM:
      if (auth == GROUP_SRTP_AUTH_HMAC_SHA1_80)
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (&policy->rtp);
      else if (auth == GROUP_SRTP_AUTH_HMAC_SHA1_32)
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32 (&policy->rtp);
      else
        return FALSE;
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (&policy->rtcp);
      return TRUE;
    case GROUP_SRTP_CIPHER_AES_128_GCM:
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtcp);
      return auth == GROUP_SRTP_AUTH_NULL;
    case GROUP_SRTP_CIPHER_AES_256_GCM:
      srtp_crypto_policy_set_aes_gcm_256_16_auth (&policy->rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth (&policy->rtcp);
      return auth == GROUP_SRTP_AUTH_NULL;
    }
  return FALSE;
}

srtp_t
group_srtp_session_new (GroupSrtpCipher cipher, GroupSrtpAuth auth, GBytes *key,
                        GroupSrtpStreams streams, guint32 ssrc, guint window,
                        GError **error)
{
  srtp_policy_t policy = { 0 };
  srtp_t session = NULL;
  srtp_err_status_t status;
  gsize key_length = 0;
  const guint8 *key_data = g_bytes_get_data (key, &key_length);

  if (!set_crypto_policy (&policy, cipher, auth))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The SRTP protection profile (cipher %d, authentication %d) is not "
                      "one Convoke supports"),
                   cipher, auth);
      return NULL;
    }
  if (key_length != (gsize) policy.rtp.cipher_key_len)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The SRTP master key and salt from DTLS are %u bytes long; the "
                      "profile needs %d"),
                   (guint) key_length, policy.rtp.cipher_key_len);
      return NULL;
    }
  switch (streams)
    {
    case GROUP_SRTP_INBOUND_ANY:
      policy.ssrc.type = ssrc_any_inbound;
      break;
    case GROUP_SRTP_OUTBOUND_ANY:
      policy.ssrc.type = ssrc_any_outbound;
      break;
    case GROUP_SRTP_OUTBOUND_ONE:
      policy.ssrc.type = ssrc_specific;
      policy.ssrc.value = ssrc;
      break;
    }
  policy.key = (unsigned char *) key_data;
  /* libsrtp2 accepts windows of 64 to 0x7fff packets. */
  policy.window_size = CLAMP (window, 64, 0x7fff);
  policy.allow_repeat_tx = streams != GROUP_SRTP_INBOUND_ANY;
  status = srtp_create (&session, &policy);
  if (status != srtp_err_status_ok)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("libsrtp2 could not make an SRTP session (status %d)"), status);
      return NULL;
    }
  return session;
}

gboolean
group_srtp_read_key (GstElement *element, const char *key_property,
                     const char *cipher_property, const char *auth_property,
                     GroupSrtpCipher *cipher, GroupSrtpAuth *auth, GBytes **key,
                     GError **error)
{
  g_autoptr (GstBuffer) buffer = NULL;
  gint cipher_value = 0, auth_value = 0;
  GstMapInfo map;

  g_object_get (element, key_property, &buffer, cipher_property, &cipher_value, auth_property,
                &auth_value, NULL);
  if (buffer == NULL || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("DTLS gave %s no SRTP key"), GST_OBJECT_NAME (element));
      return FALSE;
    }
  *key = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  *cipher = cipher_value;
  *auth = auth_value;
  return TRUE;
}
