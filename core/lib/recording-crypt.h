/* Encrypted recordings: the file format of docs/recording.md ("Encrypted
 * recordings"), written by the `convokecryptsink` GStreamer element and
 * read by `convokectl recordings decrypt`.
 *
 * Each file has its own random AES-256-GCM key, wrapped with RSA-OAEP
 * (SHA-256) to the administrator's public key in the header. The media
 * bytes follow as a sequence of sealed chunks, each with its own nonce
 * (the chunk's index) and tag, the last one flagged final. A file cut
 * short (a crash) decrypts up to its last whole chunk and is reported as
 * truncated; a reordered, altered or spliced chunk fails authentication.
 *
 * Every primitive is OpenSSL's libcrypto; nothing here is home-made
 * cryptography.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CONVOKE_RECORDING_CRYPT_ERROR (convoke_recording_crypt_error_quark ())
GQuark convoke_recording_crypt_error_quark (void);

typedef enum
{
  CONVOKE_RECORDING_CRYPT_ERROR_KEY,    /* key file missing, unreadable or unsuitable */
  CONVOKE_RECORDING_CRYPT_ERROR_FORMAT, /* not an encrypted recording, or a bad header */
  CONVOKE_RECORDING_CRYPT_ERROR_WRONG_KEY, /* encrypted to another public key */
  CONVOKE_RECORDING_CRYPT_ERROR_CORRUPT, /* a chunk failed authentication or is malformed
                                          */
  CONVOKE_RECORDING_CRYPT_ERROR_TRUNCATED, /* ends before its final chunk */
  CONVOKE_RECORDING_CRYPT_ERROR_FAILED,    /* libcrypto refused an operation */
} ConvokeRecordingCryptError;

/* The largest chunk a file may declare, and the default. */
#define CONVOKE_RECORDING_CHUNK_SIZE_MAX (16 * 1024 * 1024)
#define CONVOKE_RECORDING_CHUNK_SIZE_DEFAULT (64 * 1024)
/* What an encrypted file's first bytes are. */
#define CONVOKE_RECORDING_MAGIC "CVKREC"
#define CONVOKE_RECORDING_MAGIC_LEN 6

/* An RSA key (at least 2048 bits) read from a PEM file: a public key
 * (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY") to encrypt to, or a private
 * key (PKCS#8 or PKCS#1) to decrypt with. */
typedef struct _ConvokeRecordingKey ConvokeRecordingKey;

ConvokeRecordingKey *convoke_recording_key_load_public (const char *path, GError **error);
/* A passphrase-protected key is asked for on the terminal by OpenSSL. */
ConvokeRecordingKey *convoke_recording_key_load_private (const char *path,
                                                         GError **error);
/* SHA-256 of the public key's DER, in lowercase hex: what a file's header
 * names its recipient by. */
const char *convoke_recording_key_get_fingerprint (ConvokeRecordingKey *key);
void convoke_recording_key_free (ConvokeRecordingKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeRecordingKey, convoke_recording_key_free)

/* Encrypts one file as it is written. Bytes given to _write() are
 * buffered and sealed each time @chunk_size of them are pending; _flush()
 * seals what is pending early (so that a crash loses less), _finish()
 * seals the final chunk. The header goes out with the first chunk. */
typedef struct _ConvokeRecordingEncryptor ConvokeRecordingEncryptor;

ConvokeRecordingEncryptor *
convoke_recording_encryptor_new (ConvokeRecordingKey *public_key, guint chunk_size,
                                 GError **error);
gboolean convoke_recording_encryptor_write (ConvokeRecordingEncryptor *self,
                                            GOutputStream *out, const void *data,
                                            gsize size, GError **error);
gboolean convoke_recording_encryptor_flush (ConvokeRecordingEncryptor *self,
                                            GOutputStream *out, GError **error);
gboolean convoke_recording_encryptor_finish (ConvokeRecordingEncryptor *self,
                                             GOutputStream *out, GError **error);
/* Bytes given to _write() and not sealed yet. */
gsize convoke_recording_encryptor_get_pending (ConvokeRecordingEncryptor *self);
/* Wipes the file key. */
void convoke_recording_encryptor_free (ConvokeRecordingEncryptor *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeRecordingEncryptor,
                               convoke_recording_encryptor_free)

/* Decrypts a whole file from @in to @out with @private_key. Every chunk
 * is authenticated before its plaintext is written. When the file ends
 * before its final chunk, what came before the cut has been written and
 * the error is CONVOKE_RECORDING_CRYPT_ERROR_TRUNCATED. @written (may be
 * NULL) gets the number of plaintext bytes written in every case.
 * @name names the input in messages (e.g. its path). */
gboolean convoke_recording_decrypt (ConvokeRecordingKey *private_key, GInputStream *in,
                                    GOutputStream *out, const char *name,
                                    guint64 *written, GCancellable *cancellable,
                                    GError **error);

G_END_DECLS
