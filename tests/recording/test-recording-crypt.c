/* The encrypted recording format (core/lib/recording-crypt.c) on its own:
 * round trips, the wrong key, truncation, tampering, and that nothing of
 * the plaintext shows in the file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "recording-crypt.h"
#include "recording-test-util.h"
#include "test-daemon.h"

#define SMALL_CHUNK 1000
#define HEADER_LEN(wrapped) (46 + (wrapped))
#define RECORD_OVERHEAD 20 /* length word and tag */

typedef struct
{
  char *dir;
  char *private_path;
  char *public_path;
  char *other_private_path;
  char *other_public_path;
} Keys;

static Keys keys;

static GBytes *
make_plaintext (gsize size)
{
  guint8 *data = g_malloc (size);
  /* Repetitive on purpose: any plaintext leaking through would show. */
  for (gsize i = 0; i < size; i++)
    data[i] = "MATROSKA-PLAINTEXT-"[i % 19];
  return g_bytes_new_take (data, size);
}

/* Encrypts @plain in pieces of @piece bytes, sealing early after each
 * piece when @flush_each. */
static GBytes *
encrypt (GBytes *plain, guint chunk_size, gsize piece, gboolean flush_each)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeRecordingKey) key
      = convoke_recording_key_load_public (keys.public_path, &error);
  g_autoptr (ConvokeRecordingEncryptor) encryptor = NULL;
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (plain, &size);

  g_assert_no_error (error);
  encryptor = convoke_recording_encryptor_new (key, chunk_size, &error);
  g_assert_no_error (error);
  for (gsize at = 0; at < size; at += piece)
    {
      g_assert_true (convoke_recording_encryptor_write (encryptor, out, data + at,
                                                        MIN (piece, size - at), &error));
      g_assert_no_error (error);
      if (flush_each)
        g_assert_true (convoke_recording_encryptor_flush (encryptor, out, &error));
    }
  g_assert_true (convoke_recording_encryptor_finish (encryptor, out, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

static GBytes *
decrypt (GBytes *sealed, const char *private_path, guint64 *written, GError **error)
{
  g_autoptr (GError) key_error = NULL;
  g_autoptr (ConvokeRecordingKey) key
      = convoke_recording_key_load_private (private_path, &key_error);
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_bytes (sealed);
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();

  g_assert_no_error (key_error);
  convoke_recording_decrypt (key, in, out, "test.enc", written, NULL, error);
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

static gsize
wrapped_key_len (GBytes *sealed)
{
  const guint8 *data = g_bytes_get_data (sealed, NULL);

  return (data[44] << 8) | data[45];
}

static void
test_round_trip (void)
{
  const gsize sizes[]
      = { 0, 1, SMALL_CHUNK - 1, SMALL_CHUNK, SMALL_CHUNK + 1, 10 * SMALL_CHUNK + 7 };
  const gsize pieces[] = { 1, 333, SMALL_CHUNK, 5000 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    for (guint j = 0; j < G_N_ELEMENTS (pieces); j++)
      for (int flush = 0; flush < 2; flush++)
        {
          g_autoptr (GBytes) plain = make_plaintext (sizes[i]);
          g_autoptr (GBytes) sealed = encrypt (plain, SMALL_CHUNK, pieces[j], flush);
          g_autoptr (GError) error = NULL;
          guint64 written = 0;
          g_autoptr (GBytes) opened
              = decrypt (sealed, keys.private_path, &written, &error);

          g_assert_no_error (error);
          g_assert_cmpuint (written, ==, sizes[i]);
          g_assert_true (g_bytes_equal (plain, opened));
          /* Each file has its own key: encrypting again differs. */
          if (sizes[i] > 0)
            {
              g_autoptr (GBytes) again = encrypt (plain, SMALL_CHUNK, pieces[j], flush);
              g_assert_false (g_bytes_equal (sealed, again));
            }
        }
}

static void
test_no_plaintext (void)
{
  /* A Matroska file's first bytes (EBML magic and doctype) and the
   * muxer's writing-app string, repeated. */
  static const guint8 ebml[] = { 0x1a, 0x45, 0xdf, 0xa3 };
  g_autoptr (GByteArray) array = g_byte_array_new ();
  g_autoptr (GBytes) plain = NULL;
  g_autoptr (GBytes) sealed = NULL;
  gsize size = 0;
  const guint8 *data;

  for (int i = 0; i < 500; i++)
    {
      g_byte_array_append (array, ebml, sizeof ebml);
      g_byte_array_append (array, (const guint8 *) "matroska Convoke V_VP8 A_OPUS", 29);
    }
  plain = g_byte_array_free_to_bytes (g_steal_pointer (&array));
  sealed = encrypt (plain, CONVOKE_RECORDING_CHUNK_SIZE_DEFAULT, 4096, FALSE);
  data = g_bytes_get_data (sealed, &size);

  g_assert_cmpmem (data, 6, CONVOKE_RECORDING_MAGIC, 6);
  g_assert_null (memmem (data, size, ebml, sizeof ebml));
  g_assert_false (recording_test_contains (sealed, "matroska"));
  g_assert_false (recording_test_contains (sealed, "Convoke"));
  g_assert_false (recording_test_contains (sealed, "V_VP8"));
  g_assert_true (recording_test_contains (plain, "V_VP8"));
}

static void
test_wrong_key (void)
{
  g_autoptr (GBytes) plain = make_plaintext (5000);
  g_autoptr (GBytes) sealed = encrypt (plain, SMALL_CHUNK, 5000, FALSE);
  g_autoptr (GError) error = NULL;
  guint64 written = 1;
  g_autoptr (GBytes) opened = decrypt (sealed, keys.other_private_path, &written, &error);

  g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                  CONVOKE_RECORDING_CRYPT_ERROR_WRONG_KEY);
  /* It names the file, the key given and both fingerprints. */
  g_assert_nonnull (strstr (error->message, "test.enc"));
  g_assert_nonnull (strstr (error->message, keys.other_private_path));
  g_assert_cmpuint (written, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (opened), ==, 0);
}

static void
test_key_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *garbage = g_build_filename (keys.dir, "garbage.pem", NULL);
  g_autofree char *small_public = NULL;
  g_autofree char *small_private
      = recording_test_make_keys (keys.dir, "small", 1024, &small_public);
  g_autofree char *missing = g_build_filename (keys.dir, "missing.pem", NULL);

  g_assert_true (g_file_set_contents (garbage, "not a key\n", -1, NULL));

  g_assert_null (convoke_recording_key_load_public (keys.private_path, &error));
  g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                  CONVOKE_RECORDING_CRYPT_ERROR_KEY);
  g_assert_nonnull (strstr (error->message, "private key"));
  g_clear_error (&error);

  g_assert_null (convoke_recording_key_load_private (keys.public_path, &error));
  g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                  CONVOKE_RECORDING_CRYPT_ERROR_KEY);
  g_assert_nonnull (strstr (error->message, "public key"));
  g_clear_error (&error);

  g_assert_null (convoke_recording_key_load_public (garbage, &error));
  g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                  CONVOKE_RECORDING_CRYPT_ERROR_KEY);
  g_assert_nonnull (strstr (error->message, garbage));
  g_clear_error (&error);

  g_assert_null (convoke_recording_key_load_public (small_public, &error));
  g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                  CONVOKE_RECORDING_CRYPT_ERROR_KEY);
  g_assert_nonnull (strstr (error->message, "1024"));
  g_clear_error (&error);

  g_assert_null (convoke_recording_key_load_public (missing, &error));
  g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                  CONVOKE_RECORDING_CRYPT_ERROR_KEY);
  g_assert_nonnull (strstr (error->message, "missing.pem"));
}

static void
test_truncated (void)
{
  g_autoptr (GBytes) plain = make_plaintext (10 * SMALL_CHUNK + 500);
  g_autoptr (GBytes) sealed = encrypt (plain, SMALL_CHUNK, 700, FALSE);
  gsize header = HEADER_LEN (wrapped_key_len (sealed));
  gsize record = SMALL_CHUNK + RECORD_OVERHEAD;
  gsize total = g_bytes_get_size (sealed);
  const guint8 *plain_data = g_bytes_get_data (plain, NULL);

  g_assert_cmpuint (total, ==, header + 10 * record + 500 + RECORD_OVERHEAD);
  /* Cut at every interesting place: inside the header, at a record
   * boundary, inside a record, just before the final record's end. */
  for (gsize cut = 3; cut < total; cut += (cut < header + 2 * record ? 97 : 611))
    {
      g_autoptr (GBytes) part = g_bytes_new_from_bytes (sealed, 0, cut);
      g_autoptr (GError) error = NULL;
      guint64 written = 0;
      g_autoptr (GBytes) opened = decrypt (part, keys.private_path, &written, &error);
      gsize whole = cut > header ? (cut - header) / record : 0;

      if (cut < 6)
        g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                        CONVOKE_RECORDING_CRYPT_ERROR_FORMAT);
      else
        g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                        CONVOKE_RECORDING_CRYPT_ERROR_TRUNCATED);
      /* Everything before the cut, in whole chunks, and nothing else. */
      g_assert_cmpuint (written, ==, MIN (whole, 10) * SMALL_CHUNK);
      g_assert_cmpuint (g_bytes_get_size (opened), ==, written);
      g_assert_cmpmem (g_bytes_get_data (opened, NULL), written, plain_data, written);
    }
}

static GBytes *
modified (GBytes *sealed, void (*change) (GByteArray *, gsize), gsize header)
{
  g_autoptr (GByteArray) array = g_byte_array_new ();
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (sealed, &size);

  g_byte_array_append (array, data, size);
  change (array, header);
  return g_byte_array_free_to_bytes (g_steal_pointer (&array));
}

static void
flip_in_second_chunk (GByteArray *a, gsize header)
{
  a->data[header + SMALL_CHUNK + RECORD_OVERHEAD + 10] ^= 0x01;
}

static void
swap_first_chunks (GByteArray *a, gsize header)
{
  gsize record = SMALL_CHUNK + RECORD_OVERHEAD;
  g_autofree guint8 *first = g_memdup2 (a->data + header, record);

  memmove (a->data + header, a->data + header + record, record);
  memcpy (a->data + header + record, first, record);
}

static void
mark_first_final (GByteArray *a, gsize header)
{
  a->data[header] |= 0x80;
}

static void
append_garbage (GByteArray *a, gsize header)
{
  g_byte_array_append (a, (const guint8 *) "more", 4);
}

static void
flip_in_header (GByteArray *a, gsize header)
{
  a->data[9] ^= 0x01; /* the chunk size, still within the limit */
}

static void
test_tampered (void)
{
  g_autoptr (GBytes) plain = make_plaintext (3 * SMALL_CHUNK + 10);
  g_autoptr (GBytes) sealed = encrypt (plain, SMALL_CHUNK, 3 * SMALL_CHUNK + 10, FALSE);
  gsize header = HEADER_LEN (wrapped_key_len (sealed));
  void (*changes[]) (GByteArray *, gsize)
      = { flip_in_second_chunk, swap_first_chunks, mark_first_final, append_garbage,
          flip_in_header };

  for (guint i = 0; i < G_N_ELEMENTS (changes); i++)
    {
      g_autoptr (GBytes) bad = modified (sealed, changes[i], header);
      g_autoptr (GError) error = NULL;
      guint64 written = 0;
      g_autoptr (GBytes) opened = decrypt (bad, keys.private_path, &written, &error);

      g_test_message ("change %u: %s", i, error ? error->message : "(none)");
      g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                      CONVOKE_RECORDING_CRYPT_ERROR_CORRUPT);
      /* Only authenticated chunks before the damage came out. */
      g_assert_cmpuint (written, <=, i == 3 ? 3 * SMALL_CHUNK + 10 : SMALL_CHUNK);
    }
}

static void
test_not_encrypted (void)
{
  g_autoptr (GBytes) plain = make_plaintext (100);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) opened = decrypt (plain, keys.private_path, NULL, &error);
  g_autoptr (GBytes) opened_empty = NULL;

  g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                  CONVOKE_RECORDING_CRYPT_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "not an encrypted"));
  g_clear_error (&error);
  opened_empty = decrypt (empty, keys.private_path, NULL, &error);
  g_assert_error (error, CONVOKE_RECORDING_CRYPT_ERROR,
                  CONVOKE_RECORDING_CRYPT_ERROR_FORMAT);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  keys.dir = test_mkdtemp ();
  keys.private_path
      = recording_test_make_keys (keys.dir, "admin", 2048, &keys.public_path);
  keys.other_private_path
      = recording_test_make_keys (keys.dir, "other", 2048, &keys.other_public_path);

  g_test_add_func ("/recording/crypt/round-trip", test_round_trip);
  g_test_add_func ("/recording/crypt/no-plaintext", test_no_plaintext);
  g_test_add_func ("/recording/crypt/wrong-key", test_wrong_key);
  g_test_add_func ("/recording/crypt/key-files", test_key_files);
  g_test_add_func ("/recording/crypt/truncated", test_truncated);
  g_test_add_func ("/recording/crypt/tampered", test_tampered);
  g_test_add_func ("/recording/crypt/not-encrypted", test_not_encrypted);
  status = g_test_run ();

  test_rm_rf (keys.dir);
  g_free (keys.dir);
  g_free (keys.private_path);
  g_free (keys.public_path);
  g_free (keys.other_private_path);
  g_free (keys.other_public_path);
  return status;
}
