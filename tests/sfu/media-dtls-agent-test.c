/* GStreamer's process-wide DTLS agent takes the room's key instead of
 * generating one (modules/group/worker/group-dtls-agent.c). The agent is
 * made once per process, so the cases run in this order in one process.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/gst.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "group-dtls-agent.h"
#include "worker-certificate.h"

static EVP_PKEY *
read_public_key (const char *pem)
{
  BIO *in = BIO_new_mem_buf (pem, -1);
  X509 *cert = PEM_read_bio_X509 (in, NULL, NULL, NULL);
  EVP_PKEY *key;

  g_assert_nonnull (cert);
  key = X509_get_pubkey (cert);
  X509_free (cert);
  BIO_free (in);
  return key;
}

/* The key of the certificate dtlssrtpdec's agent shows without a pem. */
static EVP_PKEY *
agent_public_key (void)
{
  GstElement *dec = gst_element_factory_make ("dtlssrtpdec", NULL);
  g_autofree char *pem = NULL;
  EVP_PKEY *key;

  g_assert_nonnull (dec);
  g_object_get (dec, "pem", &pem, NULL);
  gst_object_unref (gst_object_ref_sink (dec));
  g_assert_nonnull (pem);
  key = read_public_key (pem);
  return key;
}

/* An ECDSA key cannot stand in for RSA-2048: nothing is made or changed,
 * so the next case still finds no agent. */
static void
test_ecdsa_refused (void)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  BIO *out = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long length;
  g_autofree char *pem = NULL;

  g_assert_true (PEM_write_bio_PrivateKey (out, key, NULL, NULL, 0, NULL, NULL));
  length = BIO_get_mem_data (out, &data);
  pem = g_strndup (data, length);
  g_assert_false (group_dtls_agent_use_key (pem));
  BIO_free (out);
  EVP_PKEY_free (key);
}

/* The agent built after the call has the room's key, in a certificate of
 * its own, and every later dtlssrtpdec shares that agent; OpenSSL's
 * default RSA method is the one it was before the call. */
static void
test_room_key_taken (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *pem = convoke_worker_certificate_generate (&error);
  EVP_PKEY *room, *agent;
  const RSA_METHOD *default_method;
  gint64 started;

  g_assert_no_error (error);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  default_method = RSA_get_default_method ();
  G_GNUC_END_IGNORE_DEPRECATIONS
  started = g_get_monotonic_time ();
  g_assert_true (group_dtls_agent_use_key (pem));
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_assert_true (RSA_get_default_method () == default_method);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_test_message ("the first dtlsdec took %" G_GINT64_FORMAT " us",
                  g_get_monotonic_time () - started);

  room = read_public_key (pem);
  agent = agent_public_key ();
  g_assert_cmpint (EVP_PKEY_eq (room, agent), ==, 1);
  EVP_PKEY_free (agent);
  agent = agent_public_key ();
  g_assert_cmpint (EVP_PKEY_eq (room, agent), ==, 1);
  EVP_PKEY_free (agent);
  EVP_PKEY_free (room);

  /* The agent exists now: a second call cannot change it, and says so. */
  g_assert_false (group_dtls_agent_use_key (pem));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/dtls-agent/ecdsa-refused", test_ecdsa_refused);
  g_test_add_func ("/media/dtls-agent/room-key-taken", test_room_key_taken);
  return g_test_run ();
}
