/* GroupSrtpSender (modules/group/worker/group-srtp-sender.h): what it
 * sends through a libnice component is what libsrtp2 on the other side
 * decrypts back to the packets the router gave it.
 *
 * The receiver is a plain UDP socket on loopback that the agent is told
 * to send to (nice_agent_set_selected_remote_candidate, no connectivity
 * checks), and a libsrtp2 session of its own with the same key.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <gst/gst.h>
#include <nice/agent.h>
#include <srtp2/srtp.h>
#include <string.h>

#include "group-srtp-sender.h"
#include "test-time.h"

#define SSRC 0x11223344u
#define RECEIVE_MS 2000 /* a deadline: a packet sent on loopback arrives */
#define SILENCE_MS 200  /* an observation window: nothing arrives */

typedef struct
{
  NiceAgent *agent;
  guint stream_id;
  GSocket *receiver;
  GroupSrtpSender *sender;
  GstPad *rtp_sink, *rtcp_sink;
  guint8 key[30];
} Fixture;

/* What the router's output pads send before their first packet. */
static void
start_stream (GstPad *sink, const char *caps)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_pad_send_event (sink, gst_event_new_stream_start (GST_PAD_NAME (sink))));
  g_assert_true (gst_pad_send_event (sink, gst_event_new_caps (gst_caps_new_empty_simple (caps))));
  g_assert_true (gst_pad_send_event (sink, gst_event_new_segment (&segment)));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) bind_address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  NiceAddress local, remote;
  NiceCandidate *candidate;

  f->receiver = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                              G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (f->receiver, bind_address, FALSE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (f->receiver, &error);
  g_assert_no_error (error);

  f->agent = nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);
  g_object_set (f->agent, "upnp", FALSE, NULL);
  nice_address_init (&local);
  g_assert_true (nice_address_set_from_string (&local, "127.0.0.1"));
  g_assert_true (nice_agent_add_local_address (f->agent, &local));
  f->stream_id = nice_agent_add_stream (f->agent, 1);
  g_assert_cmpuint (f->stream_id, >, 0);
  g_assert_true (nice_agent_gather_candidates (f->agent, f->stream_id));

  candidate = nice_candidate_new (NICE_CANDIDATE_TYPE_HOST);
  candidate->stream_id = f->stream_id;
  candidate->component_id = 1;
  candidate->transport = NICE_CANDIDATE_TRANSPORT_UDP;
  nice_address_init (&remote);
  g_assert_true (nice_address_set_from_string (&remote, "127.0.0.1"));
  nice_address_set_port (&remote,
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  candidate->addr = remote;
  g_assert_true (nice_agent_set_selected_remote_candidate (f->agent, f->stream_id, 1,
                                                           candidate));
  nice_candidate_free (candidate);

  f->sender = gst_object_ref_sink (group_srtp_sender_new (f->agent, f->stream_id, 1));
  f->rtp_sink = gst_element_get_static_pad (GST_ELEMENT (f->sender), "rtp_sink");
  f->rtcp_sink = gst_element_get_static_pad (GST_ELEMENT (f->sender), "rtcp_sink");
  g_assert_nonnull (f->rtp_sink);
  g_assert_nonnull (f->rtcp_sink);
  g_assert_true (gst_pad_set_active (f->rtp_sink, TRUE));
  g_assert_true (gst_pad_set_active (f->rtcp_sink, TRUE));
  start_stream (f->rtp_sink, "application/x-rtp");
  start_stream (f->rtcp_sink, "application/x-rtcp");
  for (guint i = 0; i < sizeof f->key; i++)
    f->key[i] = g_random_int_range (0, 256);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gst_pad_set_active (f->rtp_sink, FALSE);
  gst_pad_set_active (f->rtcp_sink, FALSE);
  gst_object_unref (f->rtp_sink);
  gst_object_unref (f->rtcp_sink);
  gst_object_unref (f->sender);
  g_object_unref (f->agent);
  g_object_unref (f->receiver);
}

static GBytes *
rtp_packet_of (guint32 ssrc, guint16 seq, gsize payload_size)
{
  guint8 *data = g_malloc (12 + payload_size);

  data[0] = 0x80;
  data[1] = 96;
  data[2] = seq >> 8;
  data[3] = seq & 0xff;
  for (guint i = 0; i < 4; i++)
    {
      data[4 + i] = (seq * 3000u) >> (24 - 8 * i);
      data[8 + i] = ssrc >> (24 - 8 * i);
    }
  for (gsize i = 0; i < payload_size; i++)
    data[12 + i] = (guint8) (seq + i);
  return g_bytes_new_take (data, 12 + payload_size);
}

static GBytes *
rtp_packet (guint16 seq, gsize payload_size)
{
  return rtp_packet_of (SSRC, seq, payload_size);
}

/* A receiver report with no blocks. */
static GBytes *
rtcp_packet (void)
{
  static const guint8 rr[] = { 0x80, 201, 0, 1, 0x11, 0x22, 0x33, 0x44 };

  return g_bytes_new_static (rr, sizeof rr);
}

/* The same from @ssrc. */
static GBytes *
rtcp_packet_of (guint32 ssrc)
{
  guint8 rr[] = { 0x80, 201, 0, 1, 0, 0, 0, 0 };

  GST_WRITE_UINT32_BE (rr + 4, ssrc);
  return g_bytes_new (rr, sizeof rr);
}

static GstBuffer *
buffer_of (GBytes *packet)
{
  return gst_buffer_new_wrapped_bytes (packet);
}

/* The router gives each subscriber its own header over shared payload
 * memory: a buffer of two memories. */
static GstBuffer *
split_buffer_of (GBytes *packet)
{
  gsize size = g_bytes_get_size (packet);
  g_autoptr (GBytes) header = g_bytes_new_from_bytes (packet, 0, 12);
  g_autoptr (GBytes) payload = g_bytes_new_from_bytes (packet, 12, size - 12);
  GstBuffer *buffer = gst_buffer_new_wrapped_bytes (header);

  gst_buffer_append_memory (buffer, gst_memory_new_wrapped (
                                        GST_MEMORY_FLAG_READONLY,
                                        (gpointer) g_bytes_get_data (payload, NULL),
                                        size - 12, 0, size - 12, g_bytes_ref (payload),
                                        (GDestroyNotify) g_bytes_unref));
  return buffer;
}

/* The next datagram, or NULL when none comes within @timeout_ms. */
static GBytes *
receive (Fixture *f, guint timeout_ms)
{
  guint8 data[4096];
  g_autoptr (GError) error = NULL;
  gssize got;

  g_socket_set_timeout (f->receiver, 0);
  if (!g_socket_condition_timed_wait (f->receiver, G_IO_IN, (gint64) timeout_ms * 1000, NULL,
                                      NULL))
    return NULL;
  got = g_socket_receive (f->receiver, (char *) data, sizeof data, NULL, &error);
  g_assert_no_error (error);
  return g_bytes_new (data, got);
}

static srtp_t
receiver_session (const guint8 *key, gboolean tag_32)
{
  srtp_policy_t policy = { 0 };
  srtp_t session = NULL;

  if (tag_32)
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&policy.rtp);
  else
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  policy.ssrc.type = ssrc_any_inbound;
  policy.key = (unsigned char *) key;
  policy.window_size = 128;
  g_assert_cmpint (srtp_create (&session, &policy), ==, srtp_err_status_ok);
  return session;
}

/* Unprotects @protected with @session and checks that it gives @plain
 * back, and that the trailer is @trailer bytes. */
static void
assert_decrypts_to (srtp_t session, GBytes *protected, GBytes *plain, gboolean rtcp,
                    gsize trailer)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (protected, &size);
  g_autofree guint8 *copy = g_memdup2 (data, size);
  int length = (int) size;

  g_assert_cmpuint (size, ==, g_bytes_get_size (plain) + trailer);
  g_assert_cmpint (rtcp ? srtp_unprotect_rtcp (session, copy, &length)
                        : srtp_unprotect (session, copy, &length),
                   ==, srtp_err_status_ok);
  g_assert_cmpmem (copy, length, g_bytes_get_data (plain, NULL), g_bytes_get_size (plain));
}

static gboolean
set_key (Fixture *f, GroupSrtpAuth auth, GError **error)
{
  g_autoptr (GBytes) key = g_bytes_new (f->key, sizeof f->key);

  return group_srtp_sender_set_key (f->sender, GROUP_SRTP_CIPHER_AES_128_ICM, auth, key, 1024,
                                    error);
}

/* Nothing leaves before DTLS has given the keys. */
static void
test_drops_before_key (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) packet = rtp_packet (1, 100);
  g_autoptr (GBytes) got = NULL;
  GroupSrtpSenderStats stats;

  g_assert_cmpint (gst_pad_chain (f->rtp_sink, buffer_of (g_bytes_ref (packet))), ==,
                   GST_FLOW_OK);
  g_assert_cmpint (gst_pad_chain (f->rtcp_sink, buffer_of (rtcp_packet ())), ==, GST_FLOW_OK);
  got = receive (f, SILENCE_MS);
  g_assert_null (got);
  group_srtp_sender_get_stats (f->sender, &stats);
  g_assert_cmpuint (stats.before_key, ==, 2);
  g_assert_cmpuint (stats.sent, ==, 0);
}

static void
round_trip (Fixture *f, GroupSrtpAuth auth)
{
  gboolean tag_32 = auth == GROUP_SRTP_AUTH_HMAC_SHA1_32;
  gsize rtp_trailer = tag_32 ? 4 : 10;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) first = rtp_packet (1000, 1100);
  g_autoptr (GBytes) second = rtp_packet (1001, 40);
  g_autoptr (GBytes) rr = rtcp_packet ();
  g_autoptr (GBytes) got_first = NULL;
  g_autoptr (GBytes) got_second = NULL;
  g_autoptr (GBytes) got_rr = NULL;
  g_autoptr (GBytes) got_repeat = NULL;
  srtp_t session = receiver_session (f->key, tag_32);
  GroupSrtpSenderStats stats;

  g_assert_true (set_key (f, auth, &error));
  g_assert_no_error (error);

  g_assert_cmpint (gst_pad_chain (f->rtp_sink, buffer_of (g_bytes_ref (first))), ==,
                   GST_FLOW_OK);
  got_first = receive (f, test_scaled_ms (RECEIVE_MS));
  g_assert_nonnull (got_first);
  assert_decrypts_to (session, got_first, first, FALSE, rtp_trailer);

  g_assert_cmpint (gst_pad_chain (f->rtp_sink, split_buffer_of (g_bytes_ref (second))), ==,
                   GST_FLOW_OK);
  got_second = receive (f, test_scaled_ms (RECEIVE_MS));
  g_assert_nonnull (got_second);
  assert_decrypts_to (session, got_second, second, FALSE, rtp_trailer);

  /* SRTCP: a 4-byte index and, whatever the RTP tag, an 80-bit tag. */
  g_assert_cmpint (gst_pad_chain (f->rtcp_sink, buffer_of (g_bytes_ref (rr))), ==, GST_FLOW_OK);
  got_rr = receive (f, test_scaled_ms (RECEIVE_MS));
  g_assert_nonnull (got_rr);
  assert_decrypts_to (session, got_rr, rr, TRUE, 4 + 10);

  /* A NACK's answer: the same packet again, which libsrtp2 refuses by
   * default. It goes out, and byte for byte as the first time, so no
   * keystream met other plaintext. */
  g_assert_cmpint (gst_pad_chain (f->rtp_sink, buffer_of (g_bytes_ref (first))), ==,
                   GST_FLOW_OK);
  got_repeat = receive (f, test_scaled_ms (RECEIVE_MS));
  g_assert_nonnull (got_repeat);
  g_assert_true (g_bytes_equal (got_repeat, got_first));

  group_srtp_sender_get_stats (f->sender, &stats);
  g_assert_cmpuint (stats.sent, ==, 4);
  g_assert_cmpuint (stats.refused, ==, 0);
  g_assert_cmpuint (stats.unsent, ==, 0);
  srtp_dealloc (session);
}

static void
test_round_trip_80 (Fixture *f, gconstpointer data)
{
  round_trip (f, GROUP_SRTP_AUTH_HMAC_SHA1_80);
}

static void
test_round_trip_32 (Fixture *f, gconstpointer data)
{
  round_trip (f, GROUP_SRTP_AUTH_HMAC_SHA1_32);
}

/* A key that does not fit the profile, or a profile libsrtp2 cannot send
 * with, is an error that says so; the sender goes on dropping. */
static void
test_bad_keys (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) short_key = g_bytes_new (f->key, 16);
  g_autoptr (GBytes) key = g_bytes_new (f->key, sizeof f->key);
  g_autoptr (GBytes) packet = rtp_packet (7, 100);
  g_autoptr (GBytes) got = NULL;
  GroupSrtpSenderStats stats;

  g_assert_false (group_srtp_sender_set_key (f->sender, GROUP_SRTP_CIPHER_AES_128_ICM,
                                             GROUP_SRTP_AUTH_HMAC_SHA1_80, short_key, 1024,
                                             &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "16 bytes"));
  g_assert_nonnull (strstr (error->message, "30"));
  g_clear_error (&error);

  g_assert_false (group_srtp_sender_set_key (f->sender, GROUP_SRTP_CIPHER_AES_128_ICM,
                                             GROUP_SRTP_AUTH_NULL, key, 1024, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "profile"));
  g_clear_error (&error);

  g_assert_cmpint (gst_pad_chain (f->rtp_sink, buffer_of (g_bytes_ref (packet))), ==,
                   GST_FLOW_OK);
  got = receive (f, SILENCE_MS);
  g_assert_null (got);
  group_srtp_sender_get_stats (f->sender, &stats);
  g_assert_cmpuint (stats.before_key, ==, 1);
}

/* A packet too large to protect in the sender's buffer is dropped and
 * counted, and the next one still goes. */
static void
test_oversized (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) huge = rtp_packet (1, 3000);
  g_autoptr (GBytes) next = rtp_packet (2, 100);
  g_autoptr (GBytes) got = NULL;
  srtp_t session = receiver_session (f->key, FALSE);
  GroupSrtpSenderStats stats;

  g_assert_true (set_key (f, GROUP_SRTP_AUTH_HMAC_SHA1_80, &error));
  g_assert_cmpint (gst_pad_chain (f->rtp_sink, buffer_of (g_bytes_ref (huge))), ==,
                   GST_FLOW_OK);
  g_assert_cmpint (gst_pad_chain (f->rtp_sink, buffer_of (g_bytes_ref (next))), ==,
                   GST_FLOW_OK);
  got = receive (f, test_scaled_ms (RECEIVE_MS));
  g_assert_nonnull (got);
  assert_decrypts_to (session, got, next, FALSE, 10);
  group_srtp_sender_get_stats (f->sender, &stats);
  g_assert_cmpuint (stats.unsent, ==, 1);
  g_assert_cmpuint (stats.sent, ==, 1);
  srtp_dealloc (session);
}

/* One outbound libsrtp2 session for every SSRC, as srtpenc keeps: what
 * the sender's sessions, one per SSRC, must send byte for byte. */
static srtp_t
reference_session (const guint8 *key)
{
  srtp_policy_t policy = { 0 };
  srtp_t session = NULL;

  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = (unsigned char *) key;
  policy.window_size = 128;
  g_assert_cmpint (srtp_create (&session, &policy), ==, srtp_err_status_ok);
  return session;
}

/* Packets of several SSRCs, interleaved as the router sends a
 * subscriber several publishers' tracks, RTCP among them: each leaves
 * exactly as one session for all SSRCs would have protected it (so the
 * SRTCP index, kept per SSRC, too), and the subscriber's one inbound
 * session decrypts them all. A packet too short to carry an SSRC is
 * refused and counted. */
static void
test_many_ssrcs (Fixture *f, gconstpointer data)
{
  static const guint32 ssrcs[] = { 0x0a0a0a0a, 0x0b0b0b0b, 0x0c0c0c0c };
  static const guint8 runt[] = { 0x80, 96, 0, 1, 0, 0, 0, 1 };
  g_autoptr (GError) error = NULL;
  srtp_t session = receiver_session (f->key, FALSE);
  srtp_t reference = reference_session (f->key);
  GroupSrtpSenderStats stats;
  guint sent = 0;

  g_assert_true (set_key (f, GROUP_SRTP_AUTH_HMAC_SHA1_80, &error));
  g_assert_no_error (error);
  for (guint round = 0; round < 4; round++)
    for (guint i = 0; i < G_N_ELEMENTS (ssrcs); i++)
      {
        gboolean rtcp = (round + i) % 3 == 2;
        g_autoptr (GBytes) packet = rtcp ? rtcp_packet_of (ssrcs[i])
                                         : rtp_packet_of (ssrcs[i], 100 + round, 200 + i);
        g_autoptr (GBytes) got = NULL;
        gsize size = g_bytes_get_size (packet);
        g_autofree guint8 *expected = g_malloc (size + SRTP_MAX_TRAILER_LEN);
        int length = (int) size;

        memcpy (expected, g_bytes_get_data (packet, NULL), size);
        g_assert_cmpint (rtcp ? srtp_protect_rtcp (reference, expected, &length)
                              : srtp_protect (reference, expected, &length),
                         ==, srtp_err_status_ok);
        g_assert_cmpint (gst_pad_chain (rtcp ? f->rtcp_sink : f->rtp_sink,
                                        buffer_of (g_bytes_ref (packet))),
                         ==, GST_FLOW_OK);
        got = receive (f, test_scaled_ms (RECEIVE_MS));
        g_assert_nonnull (got);
        g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), expected,
                         length);
        assert_decrypts_to (session, got, packet, rtcp, rtcp ? 4 + 10 : 10);
        sent++;
      }

  g_assert_cmpint (gst_pad_chain (f->rtp_sink,
                                  buffer_of (g_bytes_new_static (runt, sizeof runt))),
                   ==, GST_FLOW_OK);
  g_assert_null (receive (f, SILENCE_MS));
  group_srtp_sender_get_stats (f->sender, &stats);
  g_assert_cmpuint (stats.sent, ==, sent);
  g_assert_cmpuint (stats.refused, ==, 1);
  srtp_dealloc (reference);
  srtp_dealloc (session);
}

/* More SSRCs than the sender gives a session of their own (1024, as a
 * long room's reused m-lines can bring): the ones past that still leave,
 * exactly as one session for all would have protected them. */
static void
test_past_own_sessions (Fixture *f, gconstpointer data)
{
  const guint n = 1024 + 8;
  g_autoptr (GError) error = NULL;
  srtp_t reference = reference_session (f->key);
  GroupSrtpSenderStats stats;

  g_assert_true (set_key (f, GROUP_SRTP_AUTH_HMAC_SHA1_80, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GBytes) packet = rtp_packet_of (0x50000000u + i, 7, 20);
      g_autoptr (GBytes) got = NULL;
      guint8 expected[12 + 20 + SRTP_MAX_TRAILER_LEN];
      int length = 12 + 20;

      memcpy (expected, g_bytes_get_data (packet, NULL), length);
      g_assert_cmpint (srtp_protect (reference, expected, &length), ==, srtp_err_status_ok);
      g_assert_cmpint (gst_pad_chain (f->rtp_sink, buffer_of (g_bytes_ref (packet))), ==,
                       GST_FLOW_OK);
      got = receive (f, test_scaled_ms (RECEIVE_MS));
      g_assert_nonnull (got);
      g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), expected,
                       length);
    }
  group_srtp_sender_get_stats (f->sender, &stats);
  g_assert_cmpuint (stats.sent, ==, n);
  g_assert_cmpuint (stats.refused, ==, 0);
  srtp_dealloc (reference);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);

#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/srtp-sender/drops-before-key", test_drops_before_key);
  ADD ("/srtp-sender/round-trip-80", test_round_trip_80);
  ADD ("/srtp-sender/round-trip-32", test_round_trip_32);
  ADD ("/srtp-sender/bad-keys", test_bad_keys);
  ADD ("/srtp-sender/oversized", test_oversized);
  ADD ("/srtp-sender/many-ssrcs", test_many_ssrcs);
  ADD ("/srtp-sender/past-own-sessions", test_past_own_sessions);
#undef ADD
  return g_test_run ();
}
