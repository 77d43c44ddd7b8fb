/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "srtp-floor-measure.h"

#include <gst/rtp/rtp.h>
#include <srtp2/srtp.h>
#include <string.h>
#include <time.h>

#include "i18n.h"

/* Packets per batch: enough that the two clock reads around a batch are
 * noise, few enough that the batch stays in the CPU caches, as a packet
 * an SFU just received does. */
#define BATCH 256
#define SLOT_BYTES 1500
#define KEY_BYTES 30 /* 128-bit master key + 112-bit salt */
#define RTP_HEADER_BYTES 12
#define MIN_PACKET_BYTES (RTP_HEADER_BYTES + 1)
#define MAX_PACKET_BYTES (SLOT_BYTES - SRTP_MAX_TRAILER_LEN - 16)
#define BENCH_SSRC 0x42454e43u

#define BENCH_SRTP_ERROR (g_quark_from_static_string ("bench-srtp-error"))

static gint64
cpu_now_ns (void)
{
  struct timespec now;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &now);
  return (gint64) now.tv_sec * G_GINT64_CONSTANT (1000000000) + now.tv_nsec;
}

static gboolean
check_status (srtp_err_status_t status, const char *call, GError **error)
{
  if (status == srtp_err_status_ok)
    return TRUE;
  g_set_error (error, BENCH_SRTP_ERROR, (int) status,
               _ ("libsrtp2 %s failed with status %d"), call, (int) status);
  return FALSE;
}

static gpointer
init_srtp_once (gpointer data)
{
  return GINT_TO_POINTER (srtp_init ());
}

static gboolean
ensure_srtp (GError **error)
{
  static GOnce once = G_ONCE_INIT;
  srtp_err_status_t status;

  g_once (&once, init_srtp_once, NULL);
  status = (srtp_err_status_t) GPOINTER_TO_INT (once.retval);
  /* bad_param: the kernel already runs (convoke_srtp_use_openssl() started
   * it), and only its debug module could not be loaded twice. */
  if (status == srtp_err_status_bad_param)
    return TRUE;
  return check_status (status, "srtp_init", error);
}

const char *
bench_srtp_version (void)
{
  return srtp_get_version_string ();
}

/* Every session of one measurement shares @key: the publisher's session
 * encrypts with it, the SFU's inbound session decrypts with it and its
 * outbound session re-encrypts with it (an SFU uses other keys towards
 * each receiver, which costs the same). */
static gboolean
session_new (BenchSrtpProfile profile, srtp_t *session, srtp_ssrc_type_t ssrc_type,
             guchar *key, GError **error)
{
  srtp_policy_t policy;

  memset (&policy, 0, sizeof (policy));
  if (profile == BENCH_SRTP_AEAD_AES_128_GCM)
    {
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
    }
  else
    {
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
    }
  policy.ssrc.type = ssrc_type;
  policy.ssrc.value = ssrc_type == ssrc_specific ? BENCH_SSRC : 0;
  policy.key = key;
  policy.window_size = 128;
  return check_status (srtp_create (session, &policy), "srtp_create", error);
}

/* One plain RTP packet, as a VP8 or Opus packet would look on the wire:
 * a 12-byte header and a payload of random bytes. */
static gsize
write_rtp_packet (guint8 *out, gsize packet_bytes, guint16 seq)
{
  g_autoptr (GstBuffer) buffer
      = gst_rtp_buffer_new_allocate ((guint) (packet_bytes - RTP_HEADER_BYTES), 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;
  gsize written;

  gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_ssrc (&rtp, BENCH_SSRC);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, (guint32) seq * 3000u);
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  payload = gst_rtp_buffer_get_payload (&rtp);
  for (guint i = 0; i < gst_rtp_buffer_get_payload_len (&rtp); i++)
    payload[i] = (guint8) g_random_int ();
  gst_rtp_buffer_unmap (&rtp);

  written = gst_buffer_extract (buffer, 0, out, packet_bytes);
  return written;
}

typedef struct
{
  guint8 *plain; /* BATCH × SLOT_BYTES: the RTP packets */
  guint8 *srtp;  /* BATCH × SLOT_BYTES: the same, encrypted */
  int srtp_len[BATCH];
  guint8 *work; /* BATCH × SLOT_BYTES: decrypted, then re-encrypted, in place */
  int work_len[BATCH];
} Batch;

static void
batch_clear (Batch *batch)
{
  g_free (batch->plain);
  g_free (batch->srtp);
  g_free (batch->work);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Batch, batch_clear)

static gboolean
batch_prepare (BenchSrtpProfile profile, Batch *batch, gsize packet_bytes, guchar *key,
               GError **error)
{
  srtp_t publisher = NULL;

  batch->plain = g_malloc0 (BATCH * SLOT_BYTES);
  batch->srtp = g_malloc0 (BATCH * SLOT_BYTES);
  batch->work = g_malloc0 (BATCH * SLOT_BYTES);
  if (!session_new (profile, &publisher, ssrc_specific, key, error))
    return FALSE;
  for (guint i = 0; i < BATCH; i++)
    {
      guint8 *plain = batch->plain + i * SLOT_BYTES;
      guint8 *srtp = batch->srtp + i * SLOT_BYTES;

      write_rtp_packet (plain, packet_bytes, (guint16) i);
      memcpy (srtp, plain, packet_bytes);
      batch->srtp_len[i] = (int) packet_bytes;
      if (!check_status (srtp_protect (publisher, srtp, &batch->srtp_len[i]),
                         "srtp_protect", error))
        {
          srtp_dealloc (publisher);
          return FALSE;
        }
    }
  srtp_dealloc (publisher);
  return TRUE;
}

/* One round over the batch with fresh SFU sessions (the batch's sequence
 * numbers start again each round, which an old session would refuse as
 * replays). Adds CPU ns to the three sums. */
static gboolean
batch_round (BenchSrtpProfile profile, Batch *batch, gsize packet_bytes, guchar *key,
             gboolean verify,
             gint64 *copy_ns, gint64 *unprotect_ns, gint64 *protect_ns, GError **error)
{
  srtp_t inbound = NULL, outbound = NULL;
  gboolean ok = FALSE;
  gint64 start, copied, decrypted, encrypted;
  srtp_err_status_t status = srtp_err_status_ok;
  const char *failed_call = NULL;

  if (!session_new (profile, &inbound, ssrc_any_inbound, key, error)
      || !session_new (profile, &outbound, ssrc_any_outbound, key, error))
    goto out;

  /* The baseline alone first, then the same copy followed by the
   * decryption; the difference is the decryption. */
  start = cpu_now_ns ();
  for (guint i = 0; i < BATCH; i++)
    memcpy (batch->work + i * SLOT_BYTES, batch->srtp + i * SLOT_BYTES,
            (gsize) batch->srtp_len[i]);
  copied = cpu_now_ns ();
  for (guint i = 0; i < BATCH && status == srtp_err_status_ok; i++)
    {
      memcpy (batch->work + i * SLOT_BYTES, batch->srtp + i * SLOT_BYTES,
              (gsize) batch->srtp_len[i]);
      batch->work_len[i] = batch->srtp_len[i];
      status
          = srtp_unprotect (inbound, batch->work + i * SLOT_BYTES, &batch->work_len[i]);
    }
  decrypted = cpu_now_ns ();
  if (status != srtp_err_status_ok)
    {
      failed_call = "srtp_unprotect";
      goto out;
    }
  for (guint i = 0; i < BATCH && status == srtp_err_status_ok; i++)
    status = srtp_protect (outbound, batch->work + i * SLOT_BYTES, &batch->work_len[i]);
  encrypted = cpu_now_ns ();
  if (status != srtp_err_status_ok)
    {
      failed_call = "srtp_protect";
      goto out;
    }

  if (verify)
    {
      /* Same key, same packets: the re-encrypted packets must be the
       * publisher's bytes again, so both directions really ran. */
      for (guint i = 0; i < BATCH; i++)
        if (batch->work_len[i] != batch->srtp_len[i]
            || memcmp (batch->work + i * SLOT_BYTES, batch->srtp + i * SLOT_BYTES,
                       (gsize) batch->srtp_len[i])
                   != 0)
          {
            g_set_error (error, BENCH_SRTP_ERROR, 0,
                         _ ("Packet %u of %zu"
                            " bytes did not survive srtp_unprotect and srtp_protect "
                            "unchanged"),
                         i, packet_bytes);
            goto out;
          }
    }

  *copy_ns += copied - start;
  *unprotect_ns += (decrypted - copied) - (copied - start);
  *protect_ns += encrypted - decrypted;
  ok = TRUE;

out:
  if (failed_call != NULL)
    check_status (status, failed_call, error);
  if (inbound != NULL)
    srtp_dealloc (inbound);
  if (outbound != NULL)
    srtp_dealloc (outbound);
  return ok;
}

gboolean
bench_srtp_measure (gsize packet_bytes, guint64 packets, BenchSrtpResult *result,
                    GError **error)
{
  return bench_srtp_measure_profile (BENCH_SRTP_AES_CM_128_HMAC_SHA1_80, packet_bytes, packets,
                                     result, error);
}

const char *
bench_srtp_profile_name (BenchSrtpProfile profile)
{
  return profile == BENCH_SRTP_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM"
                                                : "AES_CM_128_HMAC_SHA1_80";
}

gboolean
bench_srtp_measure_profile (BenchSrtpProfile profile, gsize packet_bytes, guint64 packets,
                            BenchSrtpResult *result, GError **error)
{
  g_auto (Batch) batch = { 0 };
  guchar key[KEY_BYTES];
  guint64 rounds = MAX ((packets + BATCH - 1) / BATCH, 1);
  gint64 copy_ns = 0, unprotect_ns = 0, protect_ns = 0;

  g_return_val_if_fail (result != NULL, FALSE);

  if (packet_bytes < MIN_PACKET_BYTES || packet_bytes > MAX_PACKET_BYTES)
    {
      g_set_error (error, BENCH_SRTP_ERROR, 0,
                   _ ("Packet size %zu is out of range: it must be from "
                      "%d to %d bytes"),
                   packet_bytes, MIN_PACKET_BYTES, MAX_PACKET_BYTES);
      return FALSE;
    }
  if (!ensure_srtp (error))
    return FALSE;

  for (guint i = 0; i < KEY_BYTES; i++)
    key[i] = (guchar) g_random_int ();
  if (!batch_prepare (profile, &batch, packet_bytes, key, error))
    return FALSE;

  for (guint64 round = 0; round < rounds; round++)
    if (!batch_round (profile, &batch, packet_bytes, key, round == 0, &copy_ns, &unprotect_ns,
                      &protect_ns, error))
      return FALSE;

  result->packet_bytes = packet_bytes;
  result->packets = rounds * BATCH;
  result->memcpy_ns = (double) copy_ns / (double) result->packets;
  result->unprotect_ns = MAX ((double) unprotect_ns, 0.0) / (double) result->packets;
  result->protect_ns = (double) protect_ns / (double) result->packets;
  return TRUE;
}
