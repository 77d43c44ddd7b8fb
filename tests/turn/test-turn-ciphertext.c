/* The relay only ever sees ciphertext.
 *
 * Two relay-only participants exchange media through a real coturn while
 * dumpcap records every datagram on the relay's ports: a convoke-client
 * process, and a participant in this process built on the same library
 * (libconvoke-client) that keeps a copy of every RTP packet before
 * webrtcbin encrypts it and after webrtcbin decrypted it. Then:
 *
 *   - no captured datagram holds any 32-byte window of any plaintext RTP
 *     payload, in either direction;
 *   - every RTP packet the relay carried (inside ChannelData, Send/Data
 *     indications or between relay ports) is SRTP: the captured packet
 *     of a known sequence number carries the authentication tag of the
 *     negotiated profile and its payload differs from the plaintext;
 *     every RTCP packet is SRTCP with its encryption flag set;
 *   - what keys the media never crosses the relay: not the SRTP master
 *     key and salt (read back from webrtcbin's srtpenc), not the ICE
 *     passwords or DTLS fingerprints of the SDP (signaling carries those).
 *     DTLS itself does cross it: its handshake is the key exchange.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#include "client-runner.h"
#include "relay-capture.h"
#include "relay-publisher.h"

#define WINDOW 32
/* Windows with fewer distinct bytes than this (runs of zeros, fill) can
 * occur in any protocol by chance, so they say nothing about leaks. */
#define MIN_DISTINCT_BYTES 8
#define MEDIA_TIMEOUT_MS 30000
#define WANT_VIDEO_FRAMES 30
#define WANT_AUDIO_BUFFERS 10
#define WANT_RECEIVED_PACKETS 200
/* Enough matched packets in each direction that "every RTP packet is
 * SRTP" is a statement about media, not about an empty capture. */
#define WANT_MATCHED_PACKETS 100
#define DTLS_HANDSHAKE 22

typedef enum
{
  SENT,     /* by the participant in this process */
  RECEIVED, /* by it, from the convoke-client process */
} Direction;

typedef struct
{
  GBytes *packet; /* plaintext RTP */
  gsize payload_offset;
  gsize payload_len;
  Direction direction;
} PlainPacket;

typedef struct
{
  GHashTable *by_ssrc_seq; /* gint64* → PlainPacket* */
  GHashTable *windows;     /* const guint8* (32 bytes) → itself */
  guint n_windows;
} Plaintext;

static guint
window_hash (gconstpointer key)
{
  const guint8 *p = key;
  guint32 h = 2166136261u; /* FNV-1a */

  for (int i = 0; i < WINDOW; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static gboolean
window_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, WINDOW) == 0;
}

static gboolean
window_is_distinctive (const guint8 *p)
{
  guint8 seen[256] = { 0 };
  guint distinct = 0;

  for (int i = 0; i < WINDOW; i++)
    if (!seen[p[i]]++)
      distinct++;
  return distinct >= MIN_DISTINCT_BYTES;
}

static void
plain_packet_free (gpointer data)
{
  PlainPacket *plain = data;

  g_bytes_unref (plain->packet);
  g_free (plain);
}

static gint64
ssrc_seq_key (guint32 ssrc, guint16 seq)
{
  return ((gint64) ssrc << 16) | seq;
}

/* Parses @data as RTP with GstRTPBuffer; FALSE when it is not. */
static gboolean
parse_rtp (GBytes *data, guint32 *ssrc, guint16 *seq, gsize *payload_offset,
           gsize *payload_len)
{
  g_autoptr (GstBuffer) buffer = gst_buffer_new_wrapped_bytes (data);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return FALSE;
  *ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  *seq = gst_rtp_buffer_get_seq (&rtp);
  *payload_offset = gst_rtp_buffer_get_header_len (&rtp);
  *payload_len = gst_rtp_buffer_get_payload_len (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return TRUE;
}

/* Indexes @packets, which must outlive @plaintext: the windows point
 * into them. */
static void
plaintext_add (Plaintext *plaintext, GPtrArray *packets, Direction direction)
{
  for (guint i = 0; i < packets->len; i++)
    {
      PlainPacket *plain = g_new0 (PlainPacket, 1);
      guint32 ssrc = 0;
      guint16 seq = 0;
      gint64 key;
      const guint8 *payload;

      plain->packet = g_bytes_ref (g_ptr_array_index (packets, i));
      plain->direction = direction;
      g_assert_true (parse_rtp (plain->packet, &ssrc, &seq, &plain->payload_offset,
                                &plain->payload_len));
      payload = (const guint8 *) g_bytes_get_data (plain->packet, NULL)
                + plain->payload_offset;
      for (gsize offset = 0; offset + WINDOW <= plain->payload_len; offset++)
        if (window_is_distinctive (payload + offset))
          g_hash_table_add (plaintext->windows, (gpointer) (payload + offset));
      key = ssrc_seq_key (ssrc, seq);
      g_hash_table_replace (plaintext->by_ssrc_seq, g_memdup2 (&key, sizeof key), plain);
    }
  plaintext->n_windows = g_hash_table_size (plaintext->windows);
}

static void
plaintext_init (Plaintext *plaintext)
{
  plaintext->by_ssrc_seq
      = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, plain_packet_free);
  plaintext->windows = g_hash_table_new (window_hash, window_equal);
}

static void
plaintext_clear (Plaintext *plaintext)
{
  /* The windows point into the packets: drop them first. */
  g_clear_pointer (&plaintext->windows, g_hash_table_unref);
  g_clear_pointer (&plaintext->by_ssrc_seq, g_hash_table_unref);
}

/* The offset of the first plaintext window inside @data, or -1. */
static gssize
find_plaintext (Plaintext *plaintext, GBytes *data)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (data, &len);

  for (gsize offset = 0; offset + WINDOW <= len; offset++)
    if (g_hash_table_contains (plaintext->windows, p + offset))
      return (gssize) offset;
  return -1;
}

typedef struct
{
  guint datagrams;
  guint unwrapped;
  guint stun, dtls, dtls_handshakes, rtp, rtcp, other;
  guint matched_rtp[2]; /* by Direction */
  guint unmatched_rtp;
} Findings;

/* One RTP packet the relay carried, against the plaintext of the same
 * SSRC and sequence number. */
static void
check_srtp (Plaintext *plaintext, GBytes *data, guint tag_len, Findings *findings)
{
  const guint8 *captured = g_bytes_get_data (data, NULL);
  guint32 ssrc = 0;
  guint16 seq = 0;
  gsize offset = 0, len = 0;
  gint64 key;
  PlainPacket *plain;
  const guint8 *plain_payload;

  /* SRTP leaves the RTP header in the clear, so it still parses as RTP;
   * the "payload" is the ciphertext followed by the tag. */
  if (!parse_rtp (data, &ssrc, &seq, &offset, &len))
    {
      findings->unmatched_rtp++;
      return;
    }
  key = ssrc_seq_key (ssrc, seq);
  plain = g_hash_table_lookup (plaintext->by_ssrc_seq, &key);
  if (plain == NULL)
    {
      findings->unmatched_rtp++;
      return;
    }
  findings->matched_rtp[plain->direction]++;
  if (len != plain->payload_len + tag_len)
    g_error (
        "RTP ssrc %08x seq %u crossed the relay with %zu payload bytes; the plaintext "
        "had %zu, so it does not carry the %u-byte SRTP tag",
        ssrc, seq, len, plain->payload_len, tag_len);
  plain_payload
      = (const guint8 *) g_bytes_get_data (plain->packet, NULL) + plain->payload_offset;
  if (memcmp (captured + offset, plain_payload, plain->payload_len) == 0)
    g_error ("RTP ssrc %08x seq %u crossed the relay unencrypted", ssrc, seq);
}

/* SRTCP (RFC 3711 section 3.4): the E flag and index follow the encrypted
 * part; with HMAC the tag comes last, with AES-GCM the index does. */
static void
check_srtcp (GBytes *data, guint tag_len)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (data, &len);
  gsize index_at;

  g_assert_cmpuint (tag_len, >, 0);
  g_assert_cmpuint (len, >=, 8 + 4 + (tag_len == 16 ? 0 : 10));
  index_at = tag_len == 16 ? len - 4 : len - 10 - 4;
  if ((p[index_at] & 0x80) == 0)
    g_error ("an RTCP packet of %zu bytes crossed the relay without SRTCP's "
             "encryption flag",
             len);
}

static gboolean
contains (GBytes *data, const void *needle, gsize needle_len)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (data, &len);

  return needle_len > 0 && memmem (p, len, needle, needle_len) != NULL;
}

static void
check_secrets (GBytes *datagram, GBytes *srtp_key, GPtrArray *sdp_secrets)
{
  gsize key_len = 0;
  const guint8 *key = g_bytes_get_data (srtp_key, &key_len);

  /* The master key (16 bytes for AES-128) and the salt (14) after it. */
  if (contains (datagram, key, MIN (key_len, 16))
      || (key_len > 16 && contains (datagram, key + 16, key_len - 16)))
    g_error ("the SRTP master key or salt crossed the relay");
  for (guint i = 0; i < sdp_secrets->len; i++)
    {
      const char *secret = g_ptr_array_index (sdp_secrets, i);

      if (contains (datagram, secret, strlen (secret)))
        g_error ("\"%s\" from the session description crossed the relay", secret);
    }
  if (contains (datagram, "a=fingerprint:", strlen ("a=fingerprint:"))
      || contains (datagram, "a=ice-pwd:", strlen ("a=ice-pwd:")))
    g_error ("SDP text crossed the relay");
}

static void
analyse (TestTurnServer *turn, GPtrArray *datagrams, Plaintext *plaintext, guint tag_len,
         GBytes *srtp_key, GPtrArray *sdp_secrets, Findings *findings)
{
  for (guint i = 0; i < datagrams->len; i++)
    {
      CapturedDatagram *datagram = g_ptr_array_index (datagrams, i);
      g_autoptr (GBytes) inner = relay_capture_application_data (turn, datagram);
      gssize leak = find_plaintext (plaintext, datagram->payload);

      findings->datagrams++;
      if (leak >= 0)
        g_error ("datagram %u (port %u → %u, %zu bytes) holds plaintext RTP payload at "
                 "offset %zd",
                 i, datagram->src_port, datagram->dst_port,
                 g_bytes_get_size (datagram->payload), leak);
      check_secrets (datagram->payload, srtp_key, sdp_secrets);
      if (inner == NULL)
        continue; /* TURN's own requests and answers */
      findings->unwrapped++;
      switch (relayed_kind (inner))
        {
        case RELAYED_STUN:
          findings->stun++;
          break;
        case RELAYED_DTLS:
          findings->dtls++;
          if (((const guint8 *) g_bytes_get_data (inner, NULL))[0] == DTLS_HANDSHAKE)
            findings->dtls_handshakes++;
          break;
        case RELAYED_RTP:
          findings->rtp++;
          check_srtp (plaintext, inner, tag_len, findings);
          break;
        case RELAYED_RTCP:
          findings->rtcp++;
          check_srtcp (inner, tag_len);
          break;
        case RELAYED_OTHER:
        default:
          findings->other++;
          break;
        }
    }
}

typedef struct
{
  TestClient *watcher;
  RelayPublisher *publisher;
} MediaWait;

static gboolean
media_flowing_both_ways (gpointer data)
{
  MediaWait *wait = data;
  const char *const publisher[] = { "publisher", NULL };

  return relay_publisher_n_received (wait->publisher) >= WANT_RECEIVED_PACKETS
         && test_client_receives_from (wait->watcher, publisher, WANT_VIDEO_FRAMES,
                                       WANT_AUDIO_BUFFERS);
}

/* The detector itself must find plaintext where there is some, or its
 * silence would prove nothing. */
static void
assert_detector_works (Plaintext *plaintext, GPtrArray *sent)
{
  for (guint i = 0; i < sent->len; i++)
    {
      GBytes *packet = g_ptr_array_index (sent, i);

      if (g_bytes_get_size (packet) >= 200)
        {
          g_assert_cmpint (find_plaintext (plaintext, packet), >=, 0);
          return;
        }
    }
  g_assert_not_reached ();
}

static void
test_relay_sees_only_ciphertext (void)
{
  TestTurnServer *turn = test_turn_server_start ();
  g_autofree char *capture_dir = test_mkdtemp ();
  RelayCapture *capture = relay_capture_start (turn, capture_dir);
  g_autofree char *turn_config = test_turn_server_daemon_config (turn, NULL);
  g_autofree char *config
      = g_strconcat (turn_config, "[rooms]\ndefault-type=peer-to-peer\n", NULL);
  TestDaemon *d = test_client_daemon_start (config);
  const char *const relay_only[] = { "--relay-only", NULL };
  RelayPublisher *publisher = relay_publisher_join (d, "publisher", "sealed");
  TestClient *watcher = test_client_start (d, "watcher", "sealed", relay_only);
  MediaWait wait = { watcher, publisher };
  g_autoptr (GBytes) srtp_key = NULL;
  g_autoptr (GPtrArray) sdp_secrets = NULL;
  g_autoptr (GPtrArray) sent = NULL;
  g_autoptr (GPtrArray) received = NULL;
  g_autoptr (GPtrArray) datagrams = NULL;
  Plaintext plaintext;
  Findings findings = { 0 };
  guint tag_len = 0;

  g_assert_true (test_wait_until (media_flowing_both_ways, &wait, MEDIA_TIMEOUT_MS));

  srtp_key = relay_publisher_srtp_key (publisher, &tag_len);
  g_assert_nonnull (srtp_key);
  g_assert_cmpuint (tag_len, >, 0);
  sdp_secrets = relay_publisher_sdp_secrets (publisher);
  /* Two ICE passwords and two fingerprints at least. */
  g_assert_cmpuint (sdp_secrets->len, >=, 4);

  datagrams = relay_capture_stop (capture);
  sent = relay_publisher_sent (publisher);
  received = relay_publisher_received (publisher);

  plaintext_init (&plaintext);
  plaintext_add (&plaintext, sent, SENT);
  plaintext_add (&plaintext, received, RECEIVED);
  g_test_message ("plaintext: %u packets sent, %u received, %u distinct %d-byte windows",
                  sent->len, received->len, plaintext.n_windows, WINDOW);
  g_assert_cmpuint (plaintext.n_windows, >=, 10000);
  assert_detector_works (&plaintext, sent);

  analyse (turn, datagrams, &plaintext, tag_len, srtp_key, sdp_secrets, &findings);
  g_test_message (
      "relay: %u datagrams, %u carrying application data: %u STUN, %u DTLS "
      "(%u handshake), %u RTP (matched to plaintext: %u sent, %u received; %u not), "
      "%u RTCP, %u other",
      findings.datagrams, findings.unwrapped, findings.stun, findings.dtls,
      findings.dtls_handshakes, findings.rtp, findings.matched_rtp[SENT],
      findings.matched_rtp[RECEIVED], findings.unmatched_rtp, findings.rtcp,
      findings.other);

  /* The media did cross this relay: ICE checks, the DTLS handshake and
   * RTP, most of it matched to plaintext we hold. */
  g_assert_cmpuint (findings.stun, >, 0);
  g_assert_cmpuint (findings.dtls_handshakes, >, 0);
  g_assert_cmpuint (findings.matched_rtp[SENT], >=, WANT_MATCHED_PACKETS);
  g_assert_cmpuint (findings.matched_rtp[RECEIVED], >=, WANT_MATCHED_PACKETS);
  g_assert_cmpuint (findings.unmatched_rtp, <=, findings.rtp / 10);
  g_assert_cmpuint (findings.rtcp, >, 0);
  g_assert_cmpuint (findings.other, ==, 0);

  plaintext_clear (&plaintext);
  g_assert_cmpint (test_client_stop (watcher), ==, 0);
  {
    /* libnice warns ("We still have alive TURN refreshes") when webrtcbin
     * drops an agent whose TURN allocations are still refreshed: GStreamer
     * 1.22's webrtcbin never closes its agent asynchronously. Harmless
     * (coturn lets the allocations expire) and not Convoke's to fix, but
     * GTest makes every warning fatal, and libnice logs it in a way that
     * g_test_log_set_fatal_handler() does not see. */
    GLogLevelFlags fatal
        = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

    relay_publisher_leave (publisher);
    g_log_set_always_fatal (fatal);
  }
  test_daemon_stop (d);
  test_turn_server_stop (turn);
  test_rm_rf (capture_dir);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/turn/relay/only-ciphertext", test_relay_sees_only_ciphertext);
  return g_test_run ();
}
