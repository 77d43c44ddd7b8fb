/* OpenSSL's SRTP crypto inside libsrtp2 (core/srtp/srtp-openssl.h) must
 * change nothing on the wire: packets protected before the replacement,
 * by libsrtp2's own (NSS) implementation, and after it, by OpenSSL, are
 * byte for byte the same, for every profile a browser negotiates; each
 * side unprotects the other's; a forged packet is refused. libsrtp2 checks
 * the known-answer vectors when the types are registered.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <glib.h>
#include <srtp2/srtp.h>

#include "srtp-openssl.h"

#define PACKETS 40
#define BUFFER (1500 + SRTP_MAX_TRAILER_LEN)

typedef struct
{
  const char *name;
  void (*rtp) (srtp_crypto_policy_t *policy);
  void (*rtcp) (srtp_crypto_policy_t *policy);
  int key_len;
} Profile;

static const Profile profiles[] = {
  { "AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default,
    srtp_crypto_policy_set_rtcp_default, SRTP_AES_ICM_128_KEY_LEN_WSALT },
  { "AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
    srtp_crypto_policy_set_rtcp_default, SRTP_AES_ICM_128_KEY_LEN_WSALT },
  { "AES_256_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, SRTP_AES_ICM_256_KEY_LEN_WSALT },
  { "AES_192_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80,
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80, SRTP_AES_ICM_192_KEY_LEN_WSALT },
};

typedef struct
{
  guint8 data[BUFFER];
  int len;
} Packet;

/* What libsrtp2's own crypto made of the plaintext packets, per profile:
 * PACKETS RTP packets of growing size, then one RTCP packet. */
static Packet stock[G_N_ELEMENTS (profiles)][PACKETS + 1];

static void
make_rtp (Packet *p, guint i)
{
  static const guint sizes[] = { 12 + 1, 12 + 15, 12 + 16, 12 + 17, 12 + 160, 12 + 1188 };

  p->len = sizes[i % G_N_ELEMENTS (sizes)] + (int)i;
  memset (p->data, 0, sizeof p->data);
  p->data[0] = 0x80;
  p->data[1] = 96 | (i == PACKETS - 1 ? 0x80 : 0);
  p->data[2] = (guint8)((1000 + i) >> 8);
  p->data[3] = (guint8)(1000 + i);
  p->data[4] = 0x12, p->data[5] = 0x34, p->data[6] = (guint8)i, p->data[7] = 0x78;
  p->data[8] = 0xca, p->data[9] = 0xfe, p->data[10] = 0xba, p->data[11] = 0xbe;
  for (int k = 12; k < p->len; k++)
    p->data[k] = (guint8)(k * 7 + i);
}

static void
make_rtcp (Packet *p)
{
  /* A receiver report with no report blocks, then an SDES-sized tail. */
  static const guint8 rr[] = { 0x80, 201, 0x00, 0x01, 0xca, 0xfe, 0xba, 0xbe };

  memset (p->data, 0, sizeof p->data);
  memcpy (p->data, rr, sizeof rr);
  p->len = sizeof rr;
}

static srtp_t
make_session (const Profile *profile, srtp_ssrc_type_t direction)
{
  static guint8 key[SRTP_MAX_KEY_LEN];
  srtp_policy_t policy = { 0 };
  srtp_t session = NULL;

  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8)(0x5a ^ (i * 13));
  profile->rtp (&policy.rtp);
  profile->rtcp (&policy.rtcp);
  policy.ssrc.type = direction;
  policy.key = key;
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  g_assert_cmpint (srtp_create (&session, &policy), ==, srtp_err_status_ok);
  return session;
}

/* Protects the plaintext packets of @profile into @out. */
static void
protect_all (const Profile *profile, Packet *out)
{
  srtp_t sender = make_session (profile, ssrc_any_outbound);

  for (guint i = 0; i < PACKETS; i++)
    {
      make_rtp (&out[i], i);
      g_assert_cmpint (srtp_protect (sender, out[i].data, &out[i].len), ==,
                       srtp_err_status_ok);
    }
  make_rtcp (&out[PACKETS]);
  g_assert_cmpint (srtp_protect_rtcp (sender, out[PACKETS].data, &out[PACKETS].len), ==,
                   srtp_err_status_ok);
  srtp_dealloc (sender);
}

static void
test_same_bytes (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (convoke_srtp_crypto_name (), ==, "libsrtp2");
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++)
    protect_all (&profiles[p], stock[p]);

  /* libsrtp2 runs the known-answer self-test of every replaced type. */
  convoke_srtp_use_openssl (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (convoke_srtp_crypto_name (), ==, "openssl");
  /* Again, as gstsrtp and a second library in the process would: a no-op
   * (srtp_init() answers bad_param for its debug module, which gstsrtp
   * ignores, and keeps the kernel as it is). */
  g_assert_true (convoke_srtp_use_openssl (NULL));
  srtp_init ();

  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++)
    {
      Packet replaced[PACKETS + 1];

      g_test_message ("%s", profiles[p].name);
      protect_all (&profiles[p], replaced);
      for (guint i = 0; i <= PACKETS; i++)
        {
          g_assert_cmpint (replaced[i].len, ==, stock[p][i].len);
          g_assert_cmpmem (replaced[i].data, replaced[i].len, stock[p][i].data, stock[p][i].len);
        }
    }
}

/* The OpenSSL side unprotects what the stock side protected, and refuses
 * any packet with one bit changed. */
static void
test_unprotect_and_forgery (void)
{
  g_assert_true (convoke_srtp_use_openssl (NULL));
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++)
    {
      srtp_t receiver = make_session (&profiles[p], ssrc_any_inbound);

      for (guint i = 0; i < PACKETS; i++)
        {
          Packet packet = stock[p][i], forged = stock[p][i], plain;

          make_rtp (&plain, i);
          forged.data[forged.len / 2] ^= 0x01;
          g_assert_cmpint (srtp_unprotect (receiver, forged.data, &forged.len), ==,
                           srtp_err_status_auth_fail);
          g_assert_cmpint (srtp_unprotect (receiver, packet.data, &packet.len), ==,
                           srtp_err_status_ok);
          g_assert_cmpmem (packet.data, packet.len, plain.data, plain.len);
        }
      {
        Packet packet = stock[p][PACKETS], plain;

        make_rtcp (&plain);
        g_assert_cmpint (srtp_unprotect_rtcp (receiver, packet.data, &packet.len), ==,
                         srtp_err_status_ok);
        g_assert_cmpmem (packet.data, packet.len, plain.data, plain.len);
      }
      srtp_dealloc (receiver);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* In this order: the first protects with libsrtp2's own crypto, then
   * replaces it for the rest of the process. */
  g_test_add_func ("/srtp/openssl/same-bytes", test_same_bytes);
  g_test_add_func ("/srtp/openssl/unprotect-and-forgery", test_unprotect_and_forgery);
  return g_test_run ();
}
