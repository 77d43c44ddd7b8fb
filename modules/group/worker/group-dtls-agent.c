/* Why this file exists. GStreamer 1.22's dtlsdec (inside dtlssrtpdec)
 * calls get_agent_by_pem (NULL) in its instance init, before any pem can
 * be set: the first dtlsdec of a process builds an agent whose
 * certificate has a freshly generated RSA-2048 key, kept for the life of
 * the process. Each transport then sets the room's pem, and that agent is
 * never shown to a participant; but its key costs 70–700 ms of CPU
 * (about 130 ms on average on the reference machine), most of what a
 * room's worker spends before its first offer, and with 50 rooms starting
 * at once on two cores, several seconds of the wait.
 *
 * The certificate's code creates the key with RSA_new () and
 * RSA_generate_key_ex (), so the key generation of the RSA method that
 * RSA_new () picks up by default decides it. For the one dtlsdec made
 * here, that default is a copy of OpenSSL's own method whose key
 * generation copies the room's key: no new key material, nothing a
 * participant sees changes, and the default goes back at once. The room's
 * key is RSA-2048 for this reason (core/worker/worker-certificate.c).
 *
 * The RSA_METHOD calls are deprecated in OpenSSL 3.0 but kept: there is no
 * provider-level way to reach a key made through the legacy call, which is
 * the one GStreamer makes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-dtls-agent.h"

#include <gst/gst.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

GST_DEBUG_CATEGORY_STATIC (group_dtls_agent_debug);
#define GST_CAT_DEFAULT group_dtls_agent_debug

G_GNUC_BEGIN_IGNORE_DEPRECATIONS

/* The room's key while the first dtlsdec is made, and whether the agent
 * took it; main thread only. */
static const RSA *room_key;
static gboolean room_key_copied;

static int
copy_room_key (RSA *rsa, int bits, BIGNUM *e, BN_GENCB *callback)
{
  const BIGNUM *n, *public_exponent, *d, *p, *q, *dmp1, *dmq1, *iqmp;

  if (room_key == NULL || RSA_bits (room_key) != bits)
    {
      /* Not the call this method is for: generate, with OpenSSL's own. */
      if (!RSA_set_method (rsa, RSA_PKCS1_OpenSSL ()))
        return 0;
      return RSA_generate_key_ex (rsa, bits, e, callback);
    }
  RSA_get0_key (room_key, &n, &public_exponent, &d);
  RSA_get0_factors (room_key, &p, &q);
  RSA_get0_crt_params (room_key, &dmp1, &dmq1, &iqmp);
  /* The set0 calls own what they are given only when they succeed; a
   * failed BN_dup is an allocation failure, which GLib aborts on too. */
  if (!RSA_set0_key (rsa, BN_dup (n), BN_dup (public_exponent), BN_dup (d))
      || !RSA_set0_factors (rsa, BN_dup (p), BN_dup (q))
      || !RSA_set0_crt_params (rsa, BN_dup (dmp1), BN_dup (dmq1), BN_dup (iqmp)))
    g_error ("out of memory copying an RSA key");
  room_key_copied = TRUE;
  return 1;
}

gboolean
group_dtls_agent_use_key (const char *pem)
{
  static gboolean done;
  BIO *in;
  EVP_PKEY *key;
  RSA_METHOD *method;
  const RSA_METHOD *saved;
  GstElement *dec;

  if (group_dtls_agent_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (group_dtls_agent_debug, "convokedtlsagent", 0,
                             "Convoke group rooms, GStreamer's DTLS agent");
  if (done)
    {
      GST_INFO ("the DTLS agent was made already");
      return FALSE;
    }
  in = BIO_new_mem_buf (pem, -1);
  key = in != NULL ? PEM_read_bio_PrivateKey (in, NULL, NULL, NULL) : NULL;
  BIO_free (in);
  room_key = key != NULL ? EVP_PKEY_get0_RSA (key) : NULL;
  if (room_key == NULL || RSA_bits (room_key) != 2048)
    {
      GST_INFO ("the room's key is not RSA-2048: the DTLS agent generates its own");
      room_key = NULL;
      EVP_PKEY_free (key);
      return FALSE;
    }

  method = RSA_meth_dup (RSA_PKCS1_OpenSSL ());
  if (method == NULL || !RSA_meth_set_keygen (method, copy_room_key))
    g_error ("out of memory copying OpenSSL's RSA method");
  saved = RSA_get_default_method ();
  RSA_set_default_method (method);
  dec = gst_element_factory_make ("dtlsdec", NULL);
  RSA_set_default_method (saved);
  room_key = NULL;
  EVP_PKEY_free (key);
  /* The agent's RSA object keeps pointing at the method: never freed. */

  if (dec != NULL)
    gst_object_unref (gst_object_ref_sink (dec));
  done = TRUE;
  GST_INFO ("the DTLS agent %s the room's key", room_key_copied ? "took" : "did not take");
  return room_key_copied;
}

G_GNUC_END_IGNORE_DEPRECATIONS
