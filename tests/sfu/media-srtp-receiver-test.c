/* GroupSrtpReceiver (modules/group/worker/group-srtp-receiver.h): what a
 * participant's libsrtp2 protected comes out decrypted on the right pad,
 * DTLS goes on untouched, and what must not pass is dropped and counted.
 *
 * The element stands alone: packets go in with gst_pad_chain() and come
 * out on test pads linked to its three source pads.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/gst.h>
#include <srtp2/srtp.h>
#include <string.h>

#include "group-srtp-receiver.h"

#define SSRC 0x55667788u

typedef struct
{
  GroupSrtpReceiver *receiver;
  GstPad *sink;
  GstPad *rtp_out, *rtcp_out, *dtls_out; /* test pads, linked to the receiver's */
  GPtrArray *rtp, *rtcp, *dtls;          /* GBytes each pad got */
  guint8 key[30];
  srtp_t peer; /* the participant's sending session */
} Fixture;

static GstFlowReturn
collect (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  GPtrArray *into = gst_pad_get_element_private (pad);
  GstMapInfo map;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  g_ptr_array_add (into, g_bytes_new (map.data, map.size));
  gst_buffer_unmap (buffer, &map);
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

static GstPad *
test_sink_for (Fixture *f, const char *name, GPtrArray *into)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (GST_ELEMENT (f->receiver), name);
  GstPad *pad = gst_pad_new (name, GST_PAD_SINK);

  gst_pad_set_element_private (pad, into);
  gst_pad_set_chain_function (pad, collect);
  g_assert_cmpint (gst_pad_link (src, pad), ==, GST_PAD_LINK_OK);
  g_assert_true (gst_pad_set_active (pad, TRUE));
  g_assert_true (gst_pad_set_active (src, TRUE));
  return pad;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  srtp_policy_t policy = { 0 };
  GstSegment segment;

  f->receiver = gst_object_ref_sink (group_srtp_receiver_new ());
  f->rtp = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->rtcp = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->dtls = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->rtp_out = test_sink_for (f, "rtp_src", f->rtp);
  f->rtcp_out = test_sink_for (f, "rtcp_src", f->rtcp);
  f->dtls_out = test_sink_for (f, "dtls_src", f->dtls);
  f->sink = gst_element_get_static_pad (GST_ELEMENT (f->receiver), "sink");
  g_assert_true (gst_pad_set_active (f->sink, TRUE));
  /* What nicesrc sends first. */
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_pad_send_event (f->sink, gst_event_new_stream_start ("nicesrc")));
  g_assert_true (gst_pad_send_event (f->sink, gst_event_new_segment (&segment)));

  for (guint i = 0; i < sizeof f->key; i++)
    f->key[i] = g_random_int_range (0, 256);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = f->key;
  policy.window_size = 128;
  policy.allow_repeat_tx = 1;
  g_assert_cmpint (srtp_create (&f->peer, &policy), ==, srtp_err_status_ok);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gst_pad_set_active (f->sink, FALSE);
  gst_object_unref (f->sink);
  gst_object_unref (f->rtp_out);
  gst_object_unref (f->rtcp_out);
  gst_object_unref (f->dtls_out);
  gst_object_unref (f->receiver);
  g_ptr_array_unref (f->rtp);
  g_ptr_array_unref (f->rtcp);
  g_ptr_array_unref (f->dtls);
  srtp_dealloc (f->peer);
}

/* An RTP packet with payload type 96; @marker sets the marker bit, which
 * puts the second byte at 224, just above RTCP's range. */
static GBytes *
rtp_packet (guint16 seq, gboolean marker)
{
  guint8 *data = g_malloc0 (12 + 200);

  data[0] = 0x80;
  data[1] = (marker ? 0x80 : 0) | 96;
  data[2] = seq >> 8;
  data[3] = seq & 0xff;
  for (guint i = 0; i < 4; i++)
    data[8 + i] = SSRC >> (24 - 8 * i);
  for (guint i = 0; i < 200; i++)
    data[12 + i] = (guint8) (i * 7 + seq);
  return g_bytes_new_take (data, 12 + 200);
}

/* A receiver report with no blocks. */
static GBytes *
rtcp_packet (void)
{
  static const guint8 rr[] = { 0x80, 201, 0, 1, 0x55, 0x66, 0x77, 0x88 };

  return g_bytes_new_static (rr, sizeof rr);
}

/* @plain protected by the participant's session. */
static GBytes *
protect (Fixture *f, GBytes *plain, gboolean rtcp)
{
  gsize size = g_bytes_get_size (plain);
  guint8 *data = g_malloc (size + SRTP_MAX_TRAILER_LEN);
  int length = (int) size;

  memcpy (data, g_bytes_get_data (plain, NULL), size);
  g_assert_cmpint (rtcp ? srtp_protect_rtcp (f->peer, data, &length)
                        : srtp_protect (f->peer, data, &length),
                   ==, srtp_err_status_ok);
  return g_bytes_new_take (data, length);
}

static void
push (Fixture *f, GBytes *packet)
{
  GstBuffer *buffer = gst_buffer_new_memdup (g_bytes_get_data (packet, NULL),
                                             g_bytes_get_size (packet));

  g_assert_cmpint (gst_pad_chain (f->sink, buffer), ==, GST_FLOW_OK);
}

static void
set_key (Fixture *f)
{
  g_autoptr (GBytes) key = g_bytes_new (f->key, sizeof f->key);
  g_autoptr (GError) error = NULL;

  g_assert_true (group_srtp_receiver_set_key (f->receiver, GROUP_SRTP_CIPHER_AES_128_ICM,
                                              GROUP_SRTP_AUTH_HMAC_SHA1_80, key, 1024,
                                              &error));
  g_assert_no_error (error);
}

/* Before the handshake's key: DTLS goes on byte for byte, SRTP is
 * dropped, and a packet that is neither (a stray STUN message) too. */
static void
test_before_key (Fixture *f, gconstpointer data)
{
  static const guint8 record[] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xaa };
  static const guint8 stun[] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
  g_autoptr (GBytes) dtls = g_bytes_new_static (record, sizeof record);
  g_autoptr (GBytes) other = g_bytes_new_static (stun, sizeof stun);
  g_autoptr (GBytes) plain = rtp_packet (1, FALSE);
  g_autoptr (GBytes) srtp = protect (f, plain, FALSE);
  GroupSrtpReceiverStats stats;

  push (f, dtls);
  push (f, srtp);
  push (f, other);
  g_assert_cmpuint (f->dtls->len, ==, 1);
  g_assert_true (g_bytes_equal (g_ptr_array_index (f->dtls, 0), dtls));
  g_assert_cmpuint (f->rtp->len, ==, 0);
  group_srtp_receiver_get_stats (f->receiver, &stats);
  g_assert_cmpuint (stats.dtls, ==, 1);
  g_assert_cmpuint (stats.before_key, ==, 1);
  g_assert_cmpuint (stats.other, ==, 1);
}

/* SRTP and SRTCP on one flow (rtcp-mux) come out decrypted, each on its
 * own pad, after the events that start a stream. */
static void
test_decrypts_and_splits (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) first = rtp_packet (10, FALSE);
  g_autoptr (GBytes) marked = rtp_packet (11, TRUE);
  g_autoptr (GBytes) rr = rtcp_packet ();
  g_autoptr (GBytes) srtp_first = protect (f, first, FALSE);
  g_autoptr (GBytes) srtp_marked = protect (f, marked, FALSE);
  g_autoptr (GBytes) srtcp = protect (f, rr, TRUE);
  g_autoptr (GstCaps) rtp_caps = NULL;
  g_autoptr (GstCaps) rtcp_caps = NULL;
  GroupSrtpReceiverStats stats;

  set_key (f);
  push (f, srtp_first);
  push (f, srtcp);
  push (f, srtp_marked);

  g_assert_cmpuint (f->rtp->len, ==, 2);
  g_assert_true (g_bytes_equal (g_ptr_array_index (f->rtp, 0), first));
  g_assert_true (g_bytes_equal (g_ptr_array_index (f->rtp, 1), marked));
  g_assert_cmpuint (f->rtcp->len, ==, 1);
  g_assert_true (g_bytes_equal (g_ptr_array_index (f->rtcp, 0), rr));
  g_assert_cmpuint (f->dtls->len, ==, 0);

  rtp_caps = gst_pad_get_current_caps (f->rtp_out);
  rtcp_caps = gst_pad_get_current_caps (f->rtcp_out);
  g_assert_nonnull (rtp_caps);
  g_assert_nonnull (rtcp_caps);
  g_assert_true (gst_structure_has_name (gst_caps_get_structure (rtp_caps, 0),
                                         "application/x-rtp"));
  g_assert_true (gst_structure_has_name (gst_caps_get_structure (rtcp_caps, 0),
                                         "application/x-rtcp"));

  group_srtp_receiver_get_stats (f->receiver, &stats);
  g_assert_cmpuint (stats.rtp, ==, 2);
  g_assert_cmpuint (stats.rtcp, ==, 1);
  g_assert_cmpuint (stats.refused, ==, 0);
}

/* A replayed packet and one whose tag was altered are refused: nothing
 * comes out, and the next good packet still does. */
static void
test_refuses_replays_and_forgeries (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) first = rtp_packet (20, FALSE);
  g_autoptr (GBytes) second = rtp_packet (21, FALSE);
  g_autoptr (GBytes) third = rtp_packet (22, FALSE);
  g_autoptr (GBytes) srtp_first = protect (f, first, FALSE);
  g_autoptr (GBytes) srtp_second = protect (f, second, FALSE);
  g_autoptr (GBytes) srtp_third = protect (f, third, FALSE);
  gsize size = g_bytes_get_size (srtp_second);
  g_autofree guint8 *forged = g_memdup2 (g_bytes_get_data (srtp_second, NULL), size);
  g_autoptr (GBytes) srtp_forged = NULL;
  GroupSrtpReceiverStats stats;

  forged[size - 1] ^= 0x01;
  srtp_forged = g_bytes_new (forged, size);
  set_key (f);
  push (f, srtp_first);
  push (f, srtp_first);
  push (f, srtp_forged);
  push (f, srtp_third);

  g_assert_cmpuint (f->rtp->len, ==, 2);
  g_assert_true (g_bytes_equal (g_ptr_array_index (f->rtp, 0), first));
  g_assert_true (g_bytes_equal (g_ptr_array_index (f->rtp, 1), third));
  group_srtp_receiver_get_stats (f->receiver, &stats);
  g_assert_cmpuint (stats.refused, ==, 2);
  g_assert_cmpuint (stats.rtp, ==, 2);
}

/* A GCM key handed over with an HMAC authentication is a profile libsrtp2
 * cannot use: an error that says so, and SRTP is still dropped. */
static void
test_bad_profile (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) key = g_bytes_new (f->key, 28);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) plain = rtp_packet (30, FALSE);
  g_autoptr (GBytes) srtp = protect (f, plain, FALSE);
  GroupSrtpReceiverStats stats;

  g_assert_false (group_srtp_receiver_set_key (f->receiver, GROUP_SRTP_CIPHER_AES_128_GCM,
                                               GROUP_SRTP_AUTH_HMAC_SHA1_80, key, 1024,
                                               &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "profile"));
  push (f, srtp);
  g_assert_cmpuint (f->rtp->len, ==, 0);
  group_srtp_receiver_get_stats (f->receiver, &stats);
  g_assert_cmpuint (stats.before_key, ==, 1);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);

#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/srtp-receiver/before-key", test_before_key);
  ADD ("/srtp-receiver/decrypts-and-splits", test_decrypts_and_splits);
  ADD ("/srtp-receiver/refuses-replays-and-forgeries", test_refuses_replays_and_forgeries);
  ADD ("/srtp-receiver/bad-profile", test_bad_profile);
#undef ADD
  return g_test_run ();
}
