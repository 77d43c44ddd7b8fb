/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The shapes follow libsrtp2's own OpenSSL back end (crypto/cipher/
 * aes_icm_ossl.c, crypto/hash/hmac_ossl.c), which Debian does not build:
 * AES-ICM is AES-CTR whose initial counter is salt XOR IV, and libsrtp2
 * keeps packets far below the 2^16 blocks at which SRTP's 16-bit block
 * counter and OpenSSL's 128-bit one would part ways. */
#include "srtp-openssl.h"

#include <gio/gio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <string.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include "i18n.h"

#define SHA1_SIZE 20
#define AES_BLOCK 16

/* Fetched once, before any sandbox: an implicit fetch inside a session's
 * set-up could read OpenSSL's configuration after the worker lost the
 * right to (and costs a lookup each time). Never freed: they live as long
 * as the types that use them. */
static EVP_CIPHER *aes_ctr[3]; /* 128, 192, 256 */
static EVP_MAC *hmac_mac;
static const char *crypto_name = "libsrtp2";

/* ---- AES-ICM ---------------------------------------------------------------- */

typedef struct
{
  guint8 counter[AES_BLOCK];
  guint8 offset[AES_BLOCK]; /* the salt, then two zero octets */
  int key_size;
  EVP_CIPHER_CTX *ctx;
} AesIcm;

static const srtp_cipher_type_t aes_icm_128, aes_icm_192, aes_icm_256;

static srtp_err_status_t
aes_icm_alloc (srtp_cipher_t **cipher, int key_len, int tag_len)
{
  const srtp_cipher_type_t *type;
  AesIcm *icm;
  int key_size, algorithm;

  (void)tag_len;
  switch (key_len)
    {
    case SRTP_AES_ICM_128_KEY_LEN_WSALT:
      type = &aes_icm_128, key_size = SRTP_AES_128_KEY_LEN, algorithm = SRTP_AES_ICM_128;
      break;
    case SRTP_AES_ICM_192_KEY_LEN_WSALT:
      type = &aes_icm_192, key_size = SRTP_AES_192_KEY_LEN, algorithm = SRTP_AES_ICM_192;
      break;
    case SRTP_AES_ICM_256_KEY_LEN_WSALT:
      type = &aes_icm_256, key_size = SRTP_AES_256_KEY_LEN, algorithm = SRTP_AES_ICM_256;
      break;
    default:
      return srtp_err_status_bad_param;
    }
  icm = g_new0 (AesIcm, 1);
  icm->key_size = key_size;
  icm->ctx = EVP_CIPHER_CTX_new ();
  if (icm->ctx == NULL)
    {
      g_free (icm);
      return srtp_err_status_alloc_fail;
    }
  *cipher = g_new0 (srtp_cipher_t, 1);
  (*cipher)->type = type;
  (*cipher)->state = icm;
  (*cipher)->key_len = key_len;
  (*cipher)->algorithm = algorithm;
  return srtp_err_status_ok;
}

static srtp_err_status_t
aes_icm_dealloc (srtp_cipher_t *cipher)
{
  AesIcm *icm;

  if (cipher == NULL)
    return srtp_err_status_bad_param;
  icm = cipher->state;
  if (icm != NULL)
    {
      EVP_CIPHER_CTX_free (icm->ctx);
      OPENSSL_cleanse (icm, sizeof *icm); /* the salt is key material */
      g_free (icm);
    }
  g_free (cipher);
  return srtp_err_status_ok;
}

/* @key: the key, then the 14-octet salt. */
static srtp_err_status_t
aes_icm_init (void *state, const uint8_t *key)
{
  AesIcm *icm = state;
  EVP_CIPHER *evp = aes_ctr[icm->key_size == SRTP_AES_128_KEY_LEN   ? 0
                            : icm->key_size == SRTP_AES_192_KEY_LEN ? 1
                                                                    : 2];

  memset (icm->offset, 0, sizeof icm->offset);
  memcpy (icm->offset, key + icm->key_size, SRTP_SALT_LEN);
  memcpy (icm->counter, icm->offset, sizeof icm->counter);
  if (!EVP_CIPHER_CTX_reset (icm->ctx) || !EVP_EncryptInit_ex2 (icm->ctx, evp, key, NULL, NULL))
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
aes_icm_set_iv (void *state, uint8_t *iv, srtp_cipher_direction_t direction)
{
  AesIcm *icm = state;

  (void)direction; /* counter mode: the same either way */
  for (guint i = 0; i < AES_BLOCK; i++)
    icm->counter[i] = icm->offset[i] ^ iv[i];
  if (!EVP_EncryptInit_ex2 (icm->ctx, NULL, NULL, icm->counter, NULL))
    return srtp_err_status_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
aes_icm_encrypt (void *state, uint8_t *buffer, unsigned int *length)
{
  AesIcm *icm = state;
  int out = 0, tail = 0;

  if (*length > G_MAXINT || !EVP_EncryptUpdate (icm->ctx, buffer, &out, buffer, (int)*length)
      || !EVP_EncryptFinal_ex (icm->ctx, buffer + out, &tail))
    return srtp_err_status_cipher_fail;
  *length = (unsigned int)(out + tail);
  return srtp_err_status_ok;
}

/* RFC 3711, B.2; and libsrtp2's own vectors for 192 and 256-bit keys.
 * libsrtp2 checks them when the type is registered. */
static const uint8_t zeros[32];
static uint8_t zero_index[16];

static const uint8_t aes_icm_128_key[SRTP_AES_ICM_128_KEY_LEN_WSALT]
    = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
        0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd };
static const uint8_t aes_icm_128_ciphertext[32]
    = { 0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
        0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab };
static const uint8_t aes_icm_192_key[SRTP_AES_ICM_192_KEY_LEN_WSALT]
    = { 0xea, 0xb2, 0x34, 0x76, 0x4e, 0x51, 0x7b, 0x2d, 0x3d, 0x16, 0x0d, 0x58, 0x7d,
        0x8c, 0x86, 0x21, 0x97, 0x40, 0xf6, 0x5f, 0x99, 0xb6, 0xbc, 0xf7, 0xf0, 0xf1,
        0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd };
static const uint8_t aes_icm_192_ciphertext[32]
    = { 0x35, 0x09, 0x6c, 0xba, 0x46, 0x10, 0x02, 0x8d, 0xc1, 0xb5, 0x75, 0x03, 0x80, 0x4c, 0xe3, 0x7c,
        0x5d, 0xe9, 0x86, 0x29, 0x1d, 0xcc, 0xe1, 0x61, 0xd5, 0x16, 0x5e, 0xc4, 0x56, 0x8f, 0x5c, 0x9a };
static const uint8_t aes_icm_256_key[SRTP_AES_ICM_256_KEY_LEN_WSALT]
    = { 0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
        0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
        0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd };
static const uint8_t aes_icm_256_ciphertext[32]
    = { 0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
        0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac };

#define AES_ICM_CASE(bits)                                                                         \
  static const srtp_cipher_test_case_t aes_icm_##bits##_case = {                                   \
    sizeof aes_icm_##bits##_key, aes_icm_##bits##_key, zero_index, 32, zeros, 32,                  \
    aes_icm_##bits##_ciphertext, 0, NULL, 0, NULL,                                                 \
  };
AES_ICM_CASE (128)
AES_ICM_CASE (192)
AES_ICM_CASE (256)

#define AES_ICM_TYPE(bits)                                                                         \
  static const srtp_cipher_type_t aes_icm_##bits = {                                               \
    aes_icm_alloc,   aes_icm_dealloc, aes_icm_init,                                                \
    NULL,            aes_icm_encrypt, aes_icm_encrypt,                                             \
    aes_icm_set_iv,  NULL,            "AES-" #bits " counter mode (OpenSSL, via Convoke)",        \
    &aes_icm_##bits##_case,           SRTP_AES_ICM_##bits,                                         \
  };
AES_ICM_TYPE (128)
AES_ICM_TYPE (192)
AES_ICM_TYPE (256)

/* ---- HMAC-SHA1 -------------------------------------------------------------- */

static const srtp_auth_type_t hmac_sha1;

static srtp_err_status_t
hmac_alloc (srtp_auth_t **auth, int key_len, int out_len)
{
  EVP_MAC_CTX *ctx;

  if (out_len < 0 || out_len > SHA1_SIZE || key_len < 0)
    return srtp_err_status_bad_param;
  ctx = EVP_MAC_CTX_new (hmac_mac);
  if (ctx == NULL)
    return srtp_err_status_alloc_fail;
  *auth = g_new0 (srtp_auth_t, 1);
  (*auth)->type = &hmac_sha1;
  (*auth)->state = ctx;
  (*auth)->out_len = out_len;
  (*auth)->key_len = key_len;
  (*auth)->prefix_len = 0;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_dealloc (srtp_auth_t *auth)
{
  EVP_MAC_CTX_free (auth->state); /* OpenSSL cleanses the key schedule */
  g_free (auth);
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_init (void *state, const uint8_t *key, int key_len)
{
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
    OSSL_PARAM_construct_end (),
  };

  if (key_len < 0 || !EVP_MAC_init (state, key, (size_t)key_len, params))
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

/* Once per packet: the same key again (OpenSSL ≥ 3.0.3 keeps it). */
static srtp_err_status_t
hmac_start (void *state)
{
  return EVP_MAC_init (state, NULL, 0, NULL) ? srtp_err_status_ok : srtp_err_status_auth_fail;
}

static srtp_err_status_t
hmac_update (void *state, const uint8_t *message, int length)
{
  if (length < 0 || !EVP_MAC_update (state, message, (size_t)length))
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_compute (void *state, const uint8_t *message, int length, int tag_len, uint8_t *result)
{
  guint8 digest[SHA1_SIZE];
  size_t digest_len = 0;

  if (tag_len < 0 || tag_len > SHA1_SIZE || length < 0)
    return srtp_err_status_bad_param;
  if (!EVP_MAC_update (state, message, (size_t)length)
      || !EVP_MAC_final (state, digest, &digest_len, sizeof digest)
      || digest_len < (size_t)tag_len)
    return srtp_err_status_auth_fail;
  memcpy (result, digest, tag_len);
  return srtp_err_status_ok;
}

/* RFC 2202, test case 1 (what libsrtp2 checks its own with). */
static const uint8_t hmac_key[20] = { 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                      0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b };
static const uint8_t hmac_data[8] = { 'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e' };
static const uint8_t hmac_tag[20] = { 0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
                                      0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00 };
static const srtp_auth_test_case_t hmac_case = {
  sizeof hmac_key, hmac_key, sizeof hmac_data, hmac_data, sizeof hmac_tag, hmac_tag, NULL,
};

static const srtp_auth_type_t hmac_sha1 = {
  hmac_alloc,  hmac_dealloc, hmac_init, hmac_compute,
  hmac_update, hmac_start,   "HMAC-SHA1 (OpenSSL, via Convoke)",
  &hmac_case,  SRTP_HMAC_SHA1,
};

/* ---- registration ----------------------------------------------------------- */

static gboolean
fail (GError **error, const char *what, int status)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _ ("OpenSSL's SRTP crypto could not be used (%s, libsrtp2 status %d); "
                  "libsrtp2's own stays"),
               what, status);
  return FALSE;
}

static gboolean
register_types (GError **error)
{
  static const char *const names[] = { "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" };
  static const struct
  {
    const srtp_cipher_type_t *type;
    srtp_cipher_type_id_t id;
  } ciphers[] = {
    { &aes_icm_128, SRTP_AES_ICM_128 },
    { &aes_icm_192, SRTP_AES_ICM_192 },
    { &aes_icm_256, SRTP_AES_ICM_256 },
  };
  srtp_err_status_t status;

  /* Before any replacement: a kernel initialised later would try to load
   * its own types over ours and fail. Calling it again later (gstsrtp
   * does, ignoring the result) leaves a running kernel as it is, and
   * answers bad_param for its debug module, which is then loaded twice. */
  status = srtp_init ();
  if (status != srtp_err_status_ok && status != srtp_err_status_bad_param)
    return fail (error, "srtp_init", status);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if ((aes_ctr[i] = EVP_CIPHER_fetch (NULL, names[i], NULL)) == NULL)
      return fail (error, names[i], srtp_err_status_cipher_fail);
  if ((hmac_mac = EVP_MAC_fetch (NULL, "HMAC", NULL)) == NULL)
    return fail (error, "HMAC", srtp_err_status_auth_fail);

  /* libsrtp2 runs each type's self-test (the vectors above) and keeps its
   * own type when that fails. */
  for (guint i = 0; i < G_N_ELEMENTS (ciphers); i++)
    {
      status = srtp_replace_cipher_type (ciphers[i].type, ciphers[i].id);
      if (status != srtp_err_status_ok)
        return fail (error, ciphers[i].type->description, status);
    }
  status = srtp_replace_auth_type (&hmac_sha1, SRTP_HMAC_SHA1);
  if (status != srtp_err_status_ok)
    return fail (error, hmac_sha1.description, status);
  crypto_name = "openssl";
  return TRUE;
}

gboolean
convoke_srtp_use_openssl (GError **error)
{
  static gsize once;
  static gboolean ok;
  static char *message;

  if (g_once_init_enter (&once))
    {
      g_autoptr (GError) local = NULL;

      ok = register_types (&local);
      if (!ok)
        message = g_strdup (local->message);
      g_once_init_leave (&once, 1);
    }
  if (!ok)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, message);
  return ok;
}

const char *
convoke_srtp_crypto_name (void)
{
  return crypto_name;
}
