/* Test helper: a relay-only participant inside the test process, built on
 * libconvoke-client (the library convoke-client runs on), that keeps a
 * copy of every plaintext RTP packet it publishes (taken before webrtcbin
 * encrypts it) and of every one it receives (after webrtcbin decrypted
 * it), and can read the secrets its peer connection negotiated.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-daemon.h"

G_BEGIN_DECLS

typedef struct _RelayPublisher RelayPublisher;

/* Joins @room on @d as @identity, relay-only, publishing VP8 video and
 * Opus audio. Waits until joined (fails the test otherwise). */
RelayPublisher *relay_publisher_join (TestDaemon *d, const char *identity,
                                      const char *room);
/* Leaves, waits for the session to close and frees. */
void relay_publisher_leave (RelayPublisher *publisher);

/* Copies of the RTP packets (GBytes*) so far: published, received. */
GPtrArray *relay_publisher_sent (RelayPublisher *publisher);
GPtrArray *relay_publisher_received (RelayPublisher *publisher);
guint relay_publisher_n_received (RelayPublisher *publisher);

/* The SRTP master key and salt that webrtcbin's srtpenc encrypts with
 * (DTLS-SRTP derived them), and the length of the SRTP authentication
 * tag that its profile appends. NULL before DTLS completed. */
GBytes *relay_publisher_srtp_key (RelayPublisher *publisher, guint *tag_len);
/* The ICE passwords and DTLS fingerprints of both session descriptions:
 * what signaling carries and the relay must never see. */
GPtrArray *relay_publisher_sdp_secrets (RelayPublisher *publisher);

G_END_DECLS
