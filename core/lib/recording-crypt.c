/* Encrypted recordings; the byte layout is documented in docs/recording.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "recording-crypt.h"

#include <inttypes.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "i18n.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)

#define FORMAT_VERSION 1
#define ALGORITHM_RSA_OAEP_SHA256_AES_256_GCM 1
#define FILE_KEY_LEN 32
#define FINGERPRINT_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16
#define WORD_LEN 4
#define FINAL_FLAG 0x80000000u
/* magic, version, algorithm, chunk size, fingerprint, wrapped key length */
#define FIXED_HEADER_LEN (CONVOKE_RECORDING_MAGIC_LEN + 1 + 1 + 4 + FINGERPRINT_LEN + 2)
/* RSA-16384 would be 2048 bytes; anything larger is not a header of ours. */
#define WRAPPED_KEY_MAX 2048
#define MIN_RSA_BITS 2048

G_DEFINE_QUARK (convoke - recording - crypt - error - quark,
                convoke_recording_crypt_error)

/* libcrypto's reason for the last failure, for the end of a message. */
static char *
openssl_reason (void)
{
  unsigned long code = ERR_get_error ();
  char text[256];

  ERR_clear_error ();
  if (code == 0)
    return g_strdup (_ ("no reason given by OpenSSL"));
  ERR_error_string_n (code, text, sizeof text);
  return g_strdup (text);
}

static void
set_openssl_error (GError **error, const char *what)
{
  g_autofree char *reason = openssl_reason ();

  g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR, CONVOKE_RECORDING_CRYPT_ERROR_FAILED,
               "%s: %s", what, reason);
}

/* ---- keys ---------------------------------------------------------------- */

struct _ConvokeRecordingKey
{
  EVP_PKEY *pkey;
  char *path;
  char *fingerprint; /* lowercase hex */
  guint8 fingerprint_raw[FINGERPRINT_LEN];
};

void
convoke_recording_key_free (ConvokeRecordingKey *key)
{
  if (key == NULL)
    return;
  EVP_PKEY_free (key->pkey);
  g_free (key->path);
  g_free (key->fingerprint);
  g_free (key);
}

const char *
convoke_recording_key_get_fingerprint (ConvokeRecordingKey *key)
{
  return key->fingerprint;
}

static ConvokeRecordingKey *
key_new (EVP_PKEY *pkey, const char *path, GError **error)
{
  g_autoptr (ConvokeRecordingKey) key = g_new0 (ConvokeRecordingKey, 1);
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *der = NULL;
  guint8 *cursor;
  gsize digest_len = FINGERPRINT_LEN;
  int der_len;

  key->pkey = pkey;
  key->path = g_strdup (path);
  if (!EVP_PKEY_is_a (pkey, "RSA"))
    {
      g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                   CONVOKE_RECORDING_CRYPT_ERROR_KEY,
                   _ ("The key in %s is a %s key; recordings need an RSA key"), path,
                   EVP_PKEY_get0_type_name (pkey));
      return NULL;
    }
  if (EVP_PKEY_get_bits (pkey) < MIN_RSA_BITS)
    {
      g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                   CONVOKE_RECORDING_CRYPT_ERROR_KEY,
                   _ ("The RSA key in %s has %d bits; recordings need at least %d"), path,
                   EVP_PKEY_get_bits (pkey), MIN_RSA_BITS);
      return NULL;
    }

  /* The public half's DER, whichever half we hold, so that the writer's
   * and the reader's fingerprints agree. */
  der_len = i2d_PUBKEY (pkey, NULL);
  if (der_len <= 0)
    {
      set_openssl_error (error, _ ("Cannot encode the public key"));
      return NULL;
    }
  der = g_malloc (der_len);
  cursor = der;
  i2d_PUBKEY (pkey, &cursor);
  g_checksum_update (checksum, der, der_len);
  g_checksum_get_digest (checksum, key->fingerprint_raw, &digest_len);
  key->fingerprint = g_strdup (g_checksum_get_string (checksum));
  return g_steal_pointer (&key);
}

static BIO *
read_key_file (const char *path, char **contents, GError **error)
{
  gsize length = 0;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, contents, &length, &local))
    {
      g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                   CONVOKE_RECORDING_CRYPT_ERROR_KEY, _ ("Cannot read the key file: %s"),
                   local->message);
      return NULL;
    }
  return BIO_new_mem_buf (*contents, (int) MIN (length, G_MAXINT));
}

ConvokeRecordingKey *
convoke_recording_key_load_public (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (BIO) bio = read_key_file (path, &contents, error);
  EVP_PKEY *pkey;

  if (bio == NULL)
    return NULL;
  pkey = PEM_read_bio_PUBKEY (bio, NULL, NULL, NULL);
  if (pkey == NULL)
    {
      g_autofree char *reason = openssl_reason ();

      if (strstr (contents, "PRIVATE KEY-----") != NULL)
        g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                     CONVOKE_RECORDING_CRYPT_ERROR_KEY,
                     _ ("%s holds a private key; recordings are encrypted to the public "
                        "key only (make it with: openssl pkey -in %s -pubout)"),
                     path, path);
      else
        g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                     CONVOKE_RECORDING_CRYPT_ERROR_KEY,
                     _ ("%s is not a PEM public key (“-----BEGIN PUBLIC KEY-----”): %s"),
                     path, reason);
      return NULL;
    }
  return key_new (pkey, path, error);
}

ConvokeRecordingKey *
convoke_recording_key_load_private (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (BIO) bio = read_key_file (path, &contents, error);
  gboolean holds_public;
  EVP_PKEY *pkey;

  if (bio == NULL)
    return NULL;
  pkey = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  holds_public = strstr (contents, "PUBLIC KEY-----") != NULL;
  OPENSSL_cleanse (contents, strlen (contents));
  if (pkey == NULL)
    {
      g_autofree char *reason = openssl_reason ();

      if (holds_public)
        g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                     CONVOKE_RECORDING_CRYPT_ERROR_KEY,
                     _ ("%s holds a public key; decrypting needs the private key"), path);
      else
        g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                     CONVOKE_RECORDING_CRYPT_ERROR_KEY,
                     _ ("%s is not a PEM private key (or its passphrase was wrong): %s"),
                     path, reason);
      return NULL;
    }
  return key_new (pkey, path, error);
}

/* ---- chunks -------------------------------------------------------------- */

static void
put_be32 (guint8 *to, guint32 value)
{
  value = GUINT32_TO_BE (value);
  memcpy (to, &value, 4);
}

static guint32
get_be32 (const guint8 *from)
{
  guint32 value;

  memcpy (&value, from, 4);
  return GUINT32_FROM_BE (value);
}

static void
chunk_nonce (guint64 index, guint8 nonce[NONCE_LEN])
{
  guint64 be = GUINT64_TO_BE (index);

  memset (nonce, 0, NONCE_LEN);
  memcpy (nonce + NONCE_LEN - 8, &be, 8);
}

/* What each chunk authenticates besides its bytes: the header (by its
 * digest) and the chunk's own length word, which carries the final flag. */
static void
chunk_aad (const guint8 header_digest[32], const guint8 word[WORD_LEN],
           guint8 aad[32 + WORD_LEN])
{
  memcpy (aad, header_digest, 32);
  memcpy (aad + 32, word, WORD_LEN);
}

static void
sha256 (const guint8 *data, gsize size, guint8 digest[32])
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize digest_len = 32;

  g_checksum_update (checksum, data, size);
  g_checksum_get_digest (checksum, digest, &digest_len);
}

/* ---- writing -------------------------------------------------------------- */

struct _ConvokeRecordingEncryptor
{
  guint8 file_key[FILE_KEY_LEN];
  guint8 header_digest[32];
  GByteArray *header; /* NULL once written */
  GByteArray *pending;
  GByteArray *record;
  guint chunk_size;
  guint64 index;
  gboolean finished;
  EVP_CIPHER_CTX *cipher;
};

void
convoke_recording_encryptor_free (ConvokeRecordingEncryptor *self)
{
  if (self == NULL)
    return;
  OPENSSL_cleanse (self->file_key, sizeof self->file_key);
  g_clear_pointer (&self->header, g_byte_array_unref);
  if (self->pending != NULL)
    OPENSSL_cleanse (self->pending->data, self->pending->len);
  g_clear_pointer (&self->pending, g_byte_array_unref);
  g_clear_pointer (&self->record, g_byte_array_unref);
  EVP_CIPHER_CTX_free (self->cipher);
  g_free (self);
}

static gboolean
wrap_file_key (ConvokeRecordingKey *public_key, const guint8 *file_key,
               GByteArray *header, GError **error)
{
  g_autoptr (EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new (public_key->pkey, NULL);
  g_autofree guint8 *wrapped = NULL;
  size_t wrapped_len = 0;
  guint16 be_len;

  if (ctx == NULL || EVP_PKEY_encrypt_init (ctx) <= 0
      || EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_OAEP_PADDING) <= 0
      || EVP_PKEY_CTX_set_rsa_oaep_md (ctx, EVP_sha256 ()) <= 0
      || EVP_PKEY_CTX_set_rsa_mgf1_md (ctx, EVP_sha256 ()) <= 0
      || EVP_PKEY_encrypt (ctx, NULL, &wrapped_len, file_key, FILE_KEY_LEN) <= 0)
    {
      set_openssl_error (error, _ ("Cannot set up RSA-OAEP with the recording key"));
      return FALSE;
    }
  wrapped = g_malloc (wrapped_len);
  if (EVP_PKEY_encrypt (ctx, wrapped, &wrapped_len, file_key, FILE_KEY_LEN) <= 0
      || wrapped_len > WRAPPED_KEY_MAX)
    {
      set_openssl_error (error, _ ("Cannot wrap the file key with RSA-OAEP"));
      return FALSE;
    }
  be_len = GUINT16_TO_BE ((guint16) wrapped_len);
  g_byte_array_append (header, (const guint8 *) &be_len, 2);
  g_byte_array_append (header, wrapped, wrapped_len);
  return TRUE;
}

ConvokeRecordingEncryptor *
convoke_recording_encryptor_new (ConvokeRecordingKey *public_key, guint chunk_size,
                                 GError **error)
{
  g_autoptr (ConvokeRecordingEncryptor) self = g_new0 (ConvokeRecordingEncryptor, 1);
  guint8 byte, size_be[4];

  g_return_val_if_fail (public_key != NULL, NULL);
  g_return_val_if_fail (chunk_size > 0 && chunk_size <= CONVOKE_RECORDING_CHUNK_SIZE_MAX,
                        NULL);

  self->chunk_size = chunk_size;
  self->pending = g_byte_array_sized_new (chunk_size);
  self->record = g_byte_array_sized_new (WORD_LEN + chunk_size + TAG_LEN);
  self->cipher = EVP_CIPHER_CTX_new ();
  if (self->cipher == NULL || RAND_bytes (self->file_key, FILE_KEY_LEN) != 1)
    {
      set_openssl_error (error, _ ("Cannot make a random file key"));
      return NULL;
    }

  self->header = g_byte_array_new ();
  g_byte_array_append (self->header, (const guint8 *) CONVOKE_RECORDING_MAGIC,
                       CONVOKE_RECORDING_MAGIC_LEN);
  byte = FORMAT_VERSION;
  g_byte_array_append (self->header, &byte, 1);
  byte = ALGORITHM_RSA_OAEP_SHA256_AES_256_GCM;
  g_byte_array_append (self->header, &byte, 1);
  put_be32 (size_be, chunk_size);
  g_byte_array_append (self->header, size_be, 4);
  g_byte_array_append (self->header, public_key->fingerprint_raw, FINGERPRINT_LEN);
  if (!wrap_file_key (public_key, self->file_key, self->header, error))
    return NULL;
  sha256 (self->header->data, self->header->len, self->header_digest);
  return g_steal_pointer (&self);
}

static gboolean
write_bytes (GOutputStream *out, const guint8 *data, gsize size, GError **error)
{
  return g_output_stream_write_all (out, data, size, NULL, NULL, error);
}

static gboolean
seal (ConvokeRecordingEncryptor *self, GOutputStream *out, const guint8 *data, gsize size,
      gboolean final, GError **error)
{
  guint8 nonce[NONCE_LEN], aad[32 + WORD_LEN];
  guint8 *word, *sealed;
  int len = 0, tail = 0;

  g_byte_array_set_size (self->record, WORD_LEN + size + TAG_LEN);
  word = self->record->data;
  sealed = word + WORD_LEN;
  put_be32 (word, (guint32) size | (final ? FINAL_FLAG : 0));
  chunk_nonce (self->index, nonce);
  chunk_aad (self->header_digest, word, aad);

  if (EVP_EncryptInit_ex (self->cipher, EVP_aes_256_gcm (), NULL, self->file_key, nonce)
          != 1
      || EVP_EncryptUpdate (self->cipher, NULL, &len, aad, sizeof aad) != 1
      || (size > 0
          && EVP_EncryptUpdate (self->cipher, sealed, &len, data, (int) size) != 1)
      || EVP_EncryptFinal_ex (self->cipher, sealed + len, &tail) != 1
      || EVP_CIPHER_CTX_ctrl (self->cipher, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, sealed + size)
             != 1)
    {
      set_openssl_error (error, _ ("AES-256-GCM encryption failed"));
      return FALSE;
    }

  if (self->header != NULL)
    {
      if (!write_bytes (out, self->header->data, self->header->len, error))
        return FALSE;
      g_clear_pointer (&self->header, g_byte_array_unref);
    }
  if (!write_bytes (out, self->record->data, self->record->len, error))
    return FALSE;
  self->index++;
  return TRUE;
}

gboolean
convoke_recording_encryptor_write (ConvokeRecordingEncryptor *self, GOutputStream *out,
                                   const void *data, gsize size, GError **error)
{
  const guint8 *bytes = data;

  g_return_val_if_fail (!self->finished, FALSE);
  while (size > 0)
    {
      gsize take = MIN (size, self->chunk_size - self->pending->len);

      /* Whole chunks that arrive in one piece skip the copy. */
      if (self->pending->len == 0 && take == self->chunk_size)
        {
          if (!seal (self, out, bytes, take, FALSE, error))
            return FALSE;
        }
      else
        {
          g_byte_array_append (self->pending, bytes, take);
          if (self->pending->len == self->chunk_size
              && !convoke_recording_encryptor_flush (self, out, error))
            return FALSE;
        }
      bytes += take;
      size -= take;
    }
  return TRUE;
}

gboolean
convoke_recording_encryptor_flush (ConvokeRecordingEncryptor *self, GOutputStream *out,
                                   GError **error)
{
  gboolean ok;

  if (self->pending->len == 0 || self->finished)
    return TRUE;
  ok = seal (self, out, self->pending->data, self->pending->len, FALSE, error);
  OPENSSL_cleanse (self->pending->data, self->pending->len);
  g_byte_array_set_size (self->pending, 0);
  return ok;
}

gboolean
convoke_recording_encryptor_finish (ConvokeRecordingEncryptor *self, GOutputStream *out,
                                    GError **error)
{
  gboolean ok;

  if (self->finished)
    return TRUE;
  ok = seal (self, out, self->pending->data, self->pending->len, TRUE, error);
  OPENSSL_cleanse (self->pending->data, self->pending->len);
  g_byte_array_set_size (self->pending, 0);
  self->finished = TRUE;
  return ok;
}

gsize
convoke_recording_encryptor_get_pending (ConvokeRecordingEncryptor *self)
{
  return self->pending->len;
}

/* ---- reading -------------------------------------------------------------- */

typedef struct
{
  GInputStream *in;
  const char *name;
  GCancellable *cancellable;
  guint64 offset; /* bytes of the file consumed */
} Reader;

/* Reads exactly @size bytes. *@got (when not NULL) says how many came
 * before the end of the file; a short read is not an error here. */
static gboolean
read_exact (Reader *r, guint8 *buffer, gsize size, gsize *got, GError **error)
{
  gsize n = 0;

  if (!g_input_stream_read_all (r->in, buffer, size, &n, r->cancellable, error))
    return FALSE;
  r->offset += n;
  if (got != NULL)
    *got = n;
  return TRUE;
}

static gboolean
read_header (Reader *r, ConvokeRecordingKey *key, guint8 *file_key, guint *chunk_size,
             guint8 header_digest[32], GError **error)
{
  g_autoptr (GByteArray) header = g_byte_array_sized_new (FIXED_HEADER_LEN);
  g_autoptr (EVP_PKEY_CTX) ctx = NULL;
  guint8 unwrapped[512];
  size_t unwrapped_len = sizeof unwrapped;
  guint16 wrapped_len;
  const guint8 *h;
  gsize got = 0;

  g_byte_array_set_size (header, FIXED_HEADER_LEN);
  if (!read_exact (r, header->data, FIXED_HEADER_LEN, &got, error))
    return FALSE;
  h = header->data;
  if (got < CONVOKE_RECORDING_MAGIC_LEN
      || memcmp (h, CONVOKE_RECORDING_MAGIC, CONVOKE_RECORDING_MAGIC_LEN) != 0)
    {
      g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                   CONVOKE_RECORDING_CRYPT_ERROR_FORMAT,
                   _ ("%s is not an encrypted Convoke recording: it does not start with "
                      "“%s”"),
                   r->name, CONVOKE_RECORDING_MAGIC);
      return FALSE;
    }
  if (got < FIXED_HEADER_LEN)
    {
      g_set_error (
          error, CONVOKE_RECORDING_CRYPT_ERROR, CONVOKE_RECORDING_CRYPT_ERROR_TRUNCATED,
          _ ("%s ends inside its header (%zu bytes): nothing was "
             "recorded"),
          r->name, got);
      return FALSE;
    }
  if (h[6] != FORMAT_VERSION || h[7] != ALGORITHM_RSA_OAEP_SHA256_AES_256_GCM)
    {
      g_set_error (
          error, CONVOKE_RECORDING_CRYPT_ERROR, CONVOKE_RECORDING_CRYPT_ERROR_FORMAT,
          _ ("%s uses format version %u, algorithm %u; this program reads "
             "version %u, algorithm %u"),
          r->name, h[6], h[7], FORMAT_VERSION, ALGORITHM_RSA_OAEP_SHA256_AES_256_GCM);
      return FALSE;
    }
  *chunk_size = get_be32 (h + 8);
  if (*chunk_size == 0 || *chunk_size > CONVOKE_RECORDING_CHUNK_SIZE_MAX)
    {
      g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                   CONVOKE_RECORDING_CRYPT_ERROR_FORMAT,
                   _ ("%s declares a chunk size of %u bytes; it must be 1 to %u"),
                   r->name, *chunk_size, (guint) CONVOKE_RECORDING_CHUNK_SIZE_MAX);
      return FALSE;
    }
  if (memcmp (h + 12, key->fingerprint_raw, FINGERPRINT_LEN) != 0)
    {
      g_autoptr (GString) hex = g_string_new (NULL);

      for (guint i = 0; i < FINGERPRINT_LEN; i++)
        g_string_append_printf (hex, "%02x", h[12 + i]);
      g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                   CONVOKE_RECORDING_CRYPT_ERROR_WRONG_KEY,
                   _ ("%s was encrypted to another key: its header names the public key "
                      "with SHA-256 %s, but %s is the key with SHA-256 %s"),
                   r->name, hex->str, key->path, key->fingerprint);
      return FALSE;
    }

  memcpy (&wrapped_len, h + 44, 2);
  wrapped_len = GUINT16_FROM_BE (wrapped_len);
  if (wrapped_len == 0 || wrapped_len > WRAPPED_KEY_MAX)
    {
      g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                   CONVOKE_RECORDING_CRYPT_ERROR_FORMAT,
                   _ ("%s declares a wrapped key of %u bytes; it must be 1 to %u"),
                   r->name, wrapped_len, (guint) WRAPPED_KEY_MAX);
      return FALSE;
    }
  g_byte_array_set_size (header, FIXED_HEADER_LEN + wrapped_len);
  if (!read_exact (r, header->data + FIXED_HEADER_LEN, wrapped_len, &got, error))
    return FALSE;
  if (got < wrapped_len)
    {
      g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                   CONVOKE_RECORDING_CRYPT_ERROR_TRUNCATED,
                   _ ("%s ends inside its header: nothing was recorded"), r->name);
      return FALSE;
    }

  ctx = EVP_PKEY_CTX_new (key->pkey, NULL);
  if (ctx == NULL || EVP_PKEY_decrypt_init (ctx) <= 0
      || EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_OAEP_PADDING) <= 0
      || EVP_PKEY_CTX_set_rsa_oaep_md (ctx, EVP_sha256 ()) <= 0
      || EVP_PKEY_CTX_set_rsa_mgf1_md (ctx, EVP_sha256 ()) <= 0
      || EVP_PKEY_decrypt (ctx, unwrapped, &unwrapped_len,
                           header->data + FIXED_HEADER_LEN, wrapped_len)
             <= 0
      || unwrapped_len != FILE_KEY_LEN)
    {
      g_autofree char *reason = openssl_reason ();

      OPENSSL_cleanse (unwrapped, sizeof unwrapped);
      g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                   CONVOKE_RECORDING_CRYPT_ERROR_WRONG_KEY,
                   _ ("Cannot unwrap the file key of %s with the private key %s: %s"),
                   r->name, key->path, reason);
      return FALSE;
    }
  memcpy (file_key, unwrapped, FILE_KEY_LEN);
  OPENSSL_cleanse (unwrapped, sizeof unwrapped);
  sha256 (header->data, header->len, header_digest);
  return TRUE;
}

static void
set_truncated (GError **error, Reader *r, guint64 whole_chunks, guint64 written)
{
  g_set_error (
      error, CONVOKE_RECORDING_CRYPT_ERROR, CONVOKE_RECORDING_CRYPT_ERROR_TRUNCATED,
      _ ("%s is truncated: it ends before its final chunk (the recording was cut "
         "short, e.g. by a crash); the %" PRIu64
         " bytes of the %" PRIu64
         " whole chunks before the cut were decrypted"),
      r->name, written, whole_chunks);
}

/* Opens one record in place: @record holds the length word, the sealed
 * bytes and the tag; the plaintext goes to @plain. */
static gboolean
open_record (EVP_CIPHER_CTX *cipher, const guint8 *file_key, const guint8 *header_digest,
             guint64 index, const guint8 *record, gsize size, guint8 *plain)
{
  guint8 nonce[NONCE_LEN], aad[32 + WORD_LEN];
  int len = 0, tail = 0;

  chunk_nonce (index, nonce);
  chunk_aad (header_digest, record, aad);
  return EVP_DecryptInit_ex (cipher, EVP_aes_256_gcm (), NULL, file_key, nonce) == 1
         && EVP_DecryptUpdate (cipher, NULL, &len, aad, sizeof aad) == 1
         && (size == 0
             || EVP_DecryptUpdate (cipher, plain, &len, record + WORD_LEN, (int) size)
                    == 1)
         && EVP_CIPHER_CTX_ctrl (cipher, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
                                 (void *) (record + WORD_LEN + size))
                == 1
         && EVP_DecryptFinal_ex (cipher, plain + len, &tail) == 1;
}

static gboolean
decrypt_records (Reader *r, const guint8 *file_key, guint chunk_size,
                 const guint8 *header_digest, GOutputStream *out, guint64 *written,
                 GError **error)
{
  g_autofree guint8 *record = g_malloc (WORD_LEN + (gsize) chunk_size + TAG_LEN);
  g_autofree guint8 *plain = g_malloc ((gsize) chunk_size + 1);
  EVP_CIPHER_CTX *cipher = EVP_CIPHER_CTX_new ();
  gboolean ok = FALSE;

  if (cipher == NULL)
    {
      set_openssl_error (error, _ ("Cannot set up AES-256-GCM"));
      return FALSE;
    }
  for (guint64 index = 0;; index++)
    {
      guint64 record_offset = r->offset;
      gsize got = 0, size;
      guint32 word;
      gboolean final;

      if (!read_exact (r, record, WORD_LEN, &got, error))
        break;
      if (got < WORD_LEN)
        {
          set_truncated (error, r, index, *written);
          break;
        }
      word = get_be32 (record);
      final = (word & FINAL_FLAG) != 0;
      size = word & ~FINAL_FLAG;
      if (size > chunk_size)
        {
          g_set_error (
              error, CONVOKE_RECORDING_CRYPT_ERROR, CONVOKE_RECORDING_CRYPT_ERROR_CORRUPT,
              _ ("%s is damaged: chunk %" PRIu64 " (at byte %" PRIu64
                 ") claims %zu bytes, more than the %u the header "
                 "allows"),
              r->name, index, record_offset, size, chunk_size);
          break;
        }
      if (!read_exact (r, record + WORD_LEN, size + TAG_LEN, &got, error))
        break;
      if (got < size + TAG_LEN)
        {
          set_truncated (error, r, index, *written);
          break;
        }
      if (!open_record (cipher, file_key, header_digest, index, record, size, plain))
        {
          ERR_clear_error ();
          g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                       CONVOKE_RECORDING_CRYPT_ERROR_CORRUPT,
                       _ ("%s is damaged or was tampered with: chunk %" PRIu64
                          " (at byte %" PRIu64 ") fails authentication"),
                       r->name, index, record_offset);
          break;
        }
      if (!write_bytes (out, plain, size, error))
        break;
      *written += size;
      if (final)
        {
          /* One byte more than nothing tells appended data from the end. */
          if (!read_exact (r, plain, 1, &got, error))
            break;
          if (got > 0)
            {
              g_set_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                           CONVOKE_RECORDING_CRYPT_ERROR_CORRUPT,
                           _ ("%s is damaged: there are bytes after its final chunk (at "
                              "byte %" PRIu64 ")"),
                           r->name, r->offset - 1);
              break;
            }
          ok = TRUE;
          break;
        }
    }
  OPENSSL_cleanse (plain, chunk_size);
  EVP_CIPHER_CTX_free (cipher);
  return ok;
}

gboolean
convoke_recording_decrypt (ConvokeRecordingKey *private_key, GInputStream *in,
                           GOutputStream *out, const char *name, guint64 *written,
                           GCancellable *cancellable, GError **error)
{
  Reader reader = { in, name != NULL ? name : _ ("the recording"), cancellable, 0 };
  guint8 file_key[FILE_KEY_LEN], header_digest[32];
  guint64 total = 0;
  guint chunk_size = 0;
  gboolean ok;

  g_return_val_if_fail (private_key != NULL, FALSE);

  ok = read_header (&reader, private_key, file_key, &chunk_size, header_digest, error)
       && decrypt_records (&reader, file_key, chunk_size, header_digest, out, &total,
                           error);
  OPENSSL_cleanse (file_key, sizeof file_key);
  if (written != NULL)
    *written = total;
  return ok;
}
