/* libsrtp2 sessions for one participant's media, keyed from DTLS
 * (RFC 5764): the sending half (group-srtp-sender.h) and the receiving
 * half (group-srtp-receiver.h) of a GroupTransport.
 *
 * libsrtp2 must be initialised first: the worker does that when it puts
 * OpenSSL's AES and HMAC-SHA1 inside it (core/srtp/srtp-openssl.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <srtp2/srtp.h>

G_BEGIN_DECLS

/* The SRTP protection profile, as the DTLS elements name it in their
 * "srtp-cipher" and "srtp-auth" properties (GstDtlsSrtpCipher,
 * GstDtlsSrtpAuth) and srtpenc in "rtp-cipher" and "rtp-auth". */
typedef enum
{
  GROUP_SRTP_CIPHER_AES_128_ICM = 1,
  GROUP_SRTP_CIPHER_AES_256_ICM = 2,
  GROUP_SRTP_CIPHER_AES_128_GCM = 3,
  GROUP_SRTP_CIPHER_AES_256_GCM = 4,
} GroupSrtpCipher;

typedef enum
{
  GROUP_SRTP_AUTH_NULL = 0, /* with the GCM ciphers, which authenticate */
  GROUP_SRTP_AUTH_HMAC_SHA1_32 = 1,
  GROUP_SRTP_AUTH_HMAC_SHA1_80 = 2,
} GroupSrtpAuth;

/* Which SSRCs a session protects or unprotects. */
typedef enum
{
  GROUP_SRTP_INBOUND_ANY,  /* every SSRC the peer sends */
  GROUP_SRTP_OUTBOUND_ANY, /* every SSRC this side sends */
  GROUP_SRTP_OUTBOUND_ONE, /* the one SSRC @ssrc this side sends */
} GroupSrtpStreams;

/* A session for @streams (@ssrc counts only for GROUP_SRTP_OUTBOUND_ONE).
 * @key is the master key then the master salt, as dtlsenc's
 * "encoder-key" and dtlsdec's "decoder-key" give them. @window is the
 * replay window in packets (64 to 0x7fff). An outbound session lets a
 * repeat of an index through (libsrtp2's allow_repeat_tx). NULL, with an
 * error that says why, when the profile is not one of the above or the
 * key does not fit it.
 *
 * Why one SSRC per outbound session: libsrtp2 2.5 (Debian 12's) finds a
 * packet's stream by walking a linked list of its session's streams, one
 * cache line or more apart; with the 10-20 SSRCs a subscriber gets in a
 * room of 6 that walk was 3% of the worker's time (perf). */
srtp_t group_srtp_session_new (GroupSrtpCipher cipher, GroupSrtpAuth auth, GBytes *key,
                               GroupSrtpStreams streams, guint32 ssrc, guint window,
                               GError **error);

/* Reads the key DTLS exported from @element: the GstBuffer property
 * @key_property (dtlsdec's "decoder-key", srtpenc's "key") and the
 * profile in @cipher_property and @auth_property, into *@cipher, *@auth
 * and a new *@key. FALSE, with an error, when there is no key. */
gboolean group_srtp_read_key (GstElement *element, const char *key_property,
                              const char *cipher_property, const char *auth_property,
                              GroupSrtpCipher *cipher, GroupSrtpAuth *auth, GBytes **key,
                              GError **error);

G_END_DECLS
