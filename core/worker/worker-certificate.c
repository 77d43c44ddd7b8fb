/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-certificate.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "i18n.h"

#define VALIDITY_DAYS 30

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)

/* OpenSSL's own words for the last failure, for the end of our messages. */
static const char *
openssl_reason (void)
{
  unsigned long code = ERR_get_error ();
  const char *reason = code != 0 ? ERR_reason_error_string (code) : NULL;

  ERR_clear_error ();
  return reason != NULL ? reason : "unknown OpenSSL error";
}

char *
convoke_worker_certificate_generate (GError **error)
{
  g_autoptr (EVP_PKEY) key = NULL;
  g_autoptr (X509) cert = NULL;
  g_autoptr (BIO) out = NULL;
  X509_NAME *name;
  char *data = NULL;
  long length;
  guint64 serial;

  /* RSA-2048, the key dtlssrtpdec would make: 70–700 ms once a day for
   * the daemon, after which every worker gets it through the pipe and
   * the group module gives it to GStreamer's process-wide DTLS agent
   * instead of that agent generating one per worker
   * (modules/group/worker/group-dtls-agent.c). An ECDSA key would cost
   * 3 ms here but leave each worker its own RSA key to make. */
  key = EVP_RSA_gen (2048);
  cert = X509_new ();
  if (key == NULL || cert == NULL)
    goto failed;

  /* Positive and unpredictable, as RFC 5280 asks of serial numbers. */
  serial = ((guint64) g_random_int () << 31) ^ g_random_int ();
  if (!X509_set_version (cert, 2)
      || !ASN1_INTEGER_set_uint64 (X509_get_serialNumber (cert), serial)
      /* A day of slack for peers whose clock is behind ours. */
      || X509_gmtime_adj (X509_getm_notBefore (cert), -24L * 3600) == NULL
      || X509_gmtime_adj (X509_getm_notAfter (cert), VALIDITY_DAYS * 24L * 3600) == NULL
      || !X509_set_pubkey (cert, key))
    goto failed;

  name = X509_get_subject_name (cert);
  if (!X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const guchar *) "convoke",
                                   -1, -1, 0)
      || !X509_set_issuer_name (cert, name) || X509_sign (cert, key, EVP_sha256 ()) == 0)
    goto failed;

  out = BIO_new (BIO_s_mem ());
  if (out == NULL || !PEM_write_bio_X509 (out, cert)
      || !PEM_write_bio_PrivateKey (out, key, NULL, NULL, 0, NULL, NULL))
    goto failed;

  length = BIO_get_mem_data (out, &data);
  return g_strndup (data, length);

failed:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _ ("Could not generate the DTLS certificate: %s"), openssl_reason ());
  return NULL;
}

gboolean
convoke_worker_certificate_validate (const char *pem, GError **error)
{
  g_autoptr (BIO) in = NULL;
  g_autoptr (X509) cert = NULL;
  g_autoptr (EVP_PKEY) key = NULL;

  in = BIO_new_mem_buf (pem, -1);
  cert = in != NULL ? PEM_read_bio_X509 (in, NULL, NULL, NULL) : NULL;
  if (cert == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The DTLS certificate holds no PEM certificate: %s"),
                   openssl_reason ());
      return FALSE;
    }

  /* The key may come before or after the certificate. */
  BIO_reset (in);
  key = PEM_read_bio_PrivateKey (in, NULL, NULL, NULL);
  if (key == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The DTLS certificate comes without its private key: %s"),
                   openssl_reason ());
      return FALSE;
    }
  if (X509_check_private_key (cert, key) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("The private key does not match the DTLS certificate: %s"),
                   openssl_reason ());
      return FALSE;
    }
  ERR_clear_error ();
  return TRUE;
}

char *
convoke_worker_certificate_read_fd (int fd, GError **error)
{
  g_autoptr (GInputStream) in = g_unix_input_stream_new (fd, TRUE);
  g_autoptr (GByteArray) pem = g_byte_array_new ();
  guint8 chunk[4096];

  for (;;)
    {
      gssize got = g_input_stream_read (in, chunk, sizeof chunk, NULL, error);

      if (got < 0)
        {
          g_prefix_error (error, _ ("Could not read the DTLS certificate from fd %d: "),
                          fd);
          return NULL;
        }
      if (got == 0)
        break;
      if (pem->len + got > CONVOKE_CERTIFICATE_MAX_PEM)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       _ ("The DTLS certificate on fd %d is over %d bytes"), fd,
                       CONVOKE_CERTIFICATE_MAX_PEM);
          return NULL;
        }
      g_byte_array_append (pem, chunk, got);
    }
  /* The stream closes the fd when it is freed; close it now so the worker
   * holds nothing it does not need while it runs. */
  g_input_stream_close (in, NULL, NULL);

  g_byte_array_append (pem, (const guint8 *) "", 1);
  if (!convoke_worker_certificate_validate ((const char *) pem->data, error))
    {
      g_prefix_error (error, _ ("fd %d: "), fd);
      return NULL;
    }
  return (char *) g_byte_array_free (g_steal_pointer (&pem), FALSE);
}
