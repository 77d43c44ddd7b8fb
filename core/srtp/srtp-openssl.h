/* SRTP crypto on OpenSSL inside libsrtp2.
 *
 * Debian's libsrtp2 is built on NSS, whose SHA-1 and AES-CTR use neither
 * SHA-NI nor AES-NI: its HMAC-SHA1 alone was 29% of a group worker's
 * instructions (docs/benchmarks.md, Profile). libsrtp2 lets a process
 * replace the implementation behind a cipher or auth type id
 * (srtp_replace_cipher_type(), srtp_replace_auth_type()); this registers
 * OpenSSL-backed AES-ICM (128, 192 and 256-bit keys) and HMAC-SHA1 there,
 * so that every SRTP session of the process uses them, GStreamer's
 * srtpenc/srtpdec included, with no change to GStreamer. AES-GCM stays
 * with libsrtp2's own.
 *
 * The bytes on the wire do not change: the same keys and packets give the
 * same ciphertext and tags (tests/lib/test-srtp-openssl.c checks this
 * against the unreplaced libsrtp2).
 *
 * Thread rules: call it once per process, from the main thread, before
 * any SRTP session exists (libsrtp2's crypto kernel is a global without a
 * lock). Further calls return the first call's result.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Initialises libsrtp2 (srtp_init()) and registers the OpenSSL types.
 * libsrtp2 runs its known-answer self-test on each; when one fails, or
 * OpenSSL lacks a cipher, returns FALSE with @error set and the process
 * keeps libsrtp2's own implementations (still correct, only slower). */
gboolean convoke_srtp_use_openssl (GError **error);

/* What convoke_srtp_use_openssl() left in place, for logs and reports:
 * "openssl" or "libsrtp2". */
const char *convoke_srtp_crypto_name (void);

G_END_DECLS
