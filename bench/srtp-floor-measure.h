/* The SRTP floor: what one SFU hop costs at the very least, measured with
 * libsrtp2 directly. An SFU must decrypt every packet it receives
 * (srtp_unprotect) and encrypt it again for each receiver (srtp_protect);
 * nothing it does per packet can be cheaper than that.
 *
 * The profile is AES_CM_128_HMAC_SHA1_80, which webrtcbin, dtlssrtpenc and
 * browsers negotiate here. CPU time is this process's
 * (CLOCK_PROCESS_CPUTIME_ID). A memcpy of the same packet, timed in the
 * same run, is the baseline: report the floor as a ratio to it, never as a
 * bare number to compare across machines.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gsize packet_bytes;  /* RTP packet size before encryption */
  guint64 packets;     /* how many were measured */
  double unprotect_ns; /* CPU ns per srtp_unprotect */
  double protect_ns;   /* CPU ns per srtp_protect */
  double memcpy_ns;    /* CPU ns per memcpy of the SRTP packet (baseline) */
} BenchSrtpResult;

/* The floor of one forwarded packet: one unprotect plus one protect. */
#define BENCH_SRTP_FLOOR_NS(result) ((result)->unprotect_ns + (result)->protect_ns)

/* Measures at least @packets packets of @packet_bytes (12–1400) bytes. Each
 * decrypted packet is checked against what was encrypted, so a broken
 * session set-up fails instead of timing an error path. Errors name the
 * libsrtp call and its status. */
/* The SRTP protection profile measured. */
typedef enum
{
  BENCH_SRTP_AES_CM_128_HMAC_SHA1_80, /* what DTLS-SRTP negotiates in Convoke */
  BENCH_SRTP_AEAD_AES_128_GCM,        /* RFC 7714, measured for comparison */
} BenchSrtpProfile;

/* AES_CM_128_HMAC_SHA1_80. */
gboolean bench_srtp_measure (gsize packet_bytes, guint64 packets, BenchSrtpResult *result,
                             GError **error);
gboolean bench_srtp_measure_profile (BenchSrtpProfile profile, gsize packet_bytes,
                                     guint64 packets, BenchSrtpResult *result, GError **error);
const char *bench_srtp_profile_name (BenchSrtpProfile profile);

/* libsrtp's own version string, e.g. "libsrtp2 2.5.0". */
const char *bench_srtp_version (void);

G_END_DECLS
