/* Session descriptions of group rooms without any network: parsing a
 * client's SDP (and refusing bad ones with a useful message), answering a
 * browser's offer, and the server's offers as participants come and go.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/sdp/sdp.h>
#include <string.h>

#include <convoke/topology.h>

#include "group-session.h"
#include "twilio-error.h"

#define FINGERPRINT                                                                      \
  "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:" \
  "66:"                                                                                  \
  "77:88:99"

#define TRANSPORT                                                                        \
  "a=ice-ufrag:abcd\r\n"                                                                 \
  "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"                                               \
  "a=ice-options:trickle\r\n"                                                            \
  "a=fingerprint:sha-256 " FINGERPRINT "\r\n"

/* What Chromium offers to publish a camera and a microphone, with a data
 * channel, trimmed to the lines that matter. */
static const char chrome_offer[]
    = "v=0\r\n"
      "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0 1 2\r\n"
      "a=extmap-allow-mixed\r\n"
      "a=msid-semantic: WMS stream\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "a=rtcp:9 IN IP4 0.0.0.0\r\n"
      "a=candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host generation 0\r\n" TRANSPORT
      "a=setup:actpass\r\n"
      "a=mid:0\r\n"
      "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
      "a=sendrecv\r\n"
      "a=msid:stream track-audio\r\n"
      "a=rtcp-mux\r\n"
      "a=rtpmap:111 opus/48000/2\r\n"
      "a=rtcp-fb:111 transport-cc\r\n"
      "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
      "a=rtpmap:63 red/48000/2\r\n"
      "a=fmtp:63 111/111\r\n"
      "a=rtpmap:9 G722/8000\r\n"
      "a=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:8 PCMA/8000\r\n"
      "a=rtpmap:13 CN/8000\r\n"
      "a=rtpmap:110 telephone-event/48000\r\n"
      "a=rtpmap:126 telephone-event/8000\r\n"
      "a=ssrc:1001 cname:abc\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 98 99 102 103 127 121\r\n"
      "c=IN IP4 0.0.0.0\r\n" TRANSPORT "a=setup:actpass\r\n"
      "a=mid:1\r\n"
      "a=extmap:2 urn:ietf:params:rtp-hdrext:toffset\r\n"
      "a=sendrecv\r\n"
      "a=msid:stream track-video\r\n"
      "a=rtcp-mux\r\n"
      "a=rtcp-rsize\r\n"
      "a=rtpmap:98 VP8/90000\r\n"
      "a=rtcp-fb:98 goog-remb\r\n"
      "a=rtcp-fb:98 nack\r\n"
      "a=rtcp-fb:98 nack pli\r\n"
      "a=rtpmap:99 rtx/90000\r\n"
      "a=fmtp:99 apt=98\r\n"
      "a=rtpmap:102 H264/90000\r\n"
      "a=fmtp:102 "
      "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
      "a=rtpmap:103 rtx/90000\r\n"
      "a=fmtp:103 apt=102\r\n"
      "a=rtpmap:127 H264/90000\r\n"
      "a=fmtp:127 "
      "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n"
      "a=rtpmap:121 rtx/90000\r\n"
      "a=fmtp:121 apt=127\r\n"
      "a=ssrc-group:FID 2001 2002\r\n"
      "a=ssrc:2001 cname:abc\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "c=IN IP4 0.0.0.0\r\n" TRANSPORT "a=setup:actpass\r\n"
      "a=mid:2\r\n"
      "a=sctp-port:5000\r\n";

static GroupCodec *opus, *vp8, *h264;

static GroupRemoteDescription *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  GroupRemoteDescription *description = group_remote_description_parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (description);
  return description;
}

static void
assert_refused (const char *text, const char *expected_part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GroupRemoteDescription) description
      = group_remote_description_parse (text, &error);

  g_assert_null (description);
  g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, expected_part));
}

static char *
media_section (const char *kind, const char *proto, const char *mid, const char *extra)
{
  return g_strdup_printf ("m=%s 9 %s 96\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\n"
                          "a=rtpmap:96 VP8/90000\r\n%s",
                          kind, proto, mid, extra);
}

static void
test_parse_refuses_bad_sdp (void)
{
  static const char head[] = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  g_autofree char *no_ice = NULL, *no_fingerprint = NULL, *no_mux = NULL, *md5 = NULL;
  g_autofree char *avp = NULL, *two_ufrags = NULL, *bad_setup = NULL;
  g_autofree char *m0 = NULL, *m1 = NULL;

  assert_refused ("", "empty");
  assert_refused ("hello world", "not SDP");
  assert_refused ("v=1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", "not SDP");
  assert_refused (head, "no m-line");

  m0 = media_section ("video", "UDP/TLS/RTP/SAVPF", "0",
                      "a=rtcp-mux\r\na=fingerprint:sha-256 " FINGERPRINT "\r\n");
  no_ice = g_strconcat (head, m0, NULL);
  assert_refused (no_ice, "m-line 0 has no a=ice-ufrag");

  g_clear_pointer (&m0, g_free);
  m0 = media_section (
      "video", "UDP/TLS/RTP/SAVPF", "0",
      "a=rtcp-mux\r\na=ice-ufrag:u\r\na=ice-pwd:pppppppppppppppppppppp\r\n");
  no_fingerprint = g_strconcat (head, m0, NULL);
  assert_refused (no_fingerprint, "a=fingerprint");

  g_clear_pointer (&m0, g_free);
  m0 = media_section ("video", "UDP/TLS/RTP/SAVPF", "0", TRANSPORT);
  no_mux = g_strconcat (head, m0, NULL);
  assert_refused (no_mux, "a=rtcp-mux");

  g_clear_pointer (&m0, g_free);
  m0 = media_section (
      "video", "UDP/TLS/RTP/SAVPF", "0",
      "a=rtcp-mux\r\na=ice-ufrag:u\r\na=ice-pwd:pppppppppppppppppppppp\r\n"
      "a=fingerprint:md5 00:11\r\n");
  md5 = g_strconcat (head, m0, NULL);
  assert_refused (md5, "md5");

  g_clear_pointer (&m0, g_free);
  m0 = media_section ("video", "RTP/AVP", "0", "a=rtcp-mux\r\n" TRANSPORT);
  avp = g_strconcat (head, m0, NULL);
  assert_refused (avp, "RTP/AVP");

  g_clear_pointer (&m0, g_free);
  m0 = media_section ("audio", "UDP/TLS/RTP/SAVPF", "0", "a=rtcp-mux\r\n" TRANSPORT);
  m1 = media_section (
      "video", "UDP/TLS/RTP/SAVPF", "1",
      "a=rtcp-mux\r\na=ice-ufrag:other\r\na=ice-pwd:pppppppppppppppppppppp\r\n"
      "a=fingerprint:sha-256 " FINGERPRINT "\r\n");
  two_ufrags = g_strconcat (head, m0, m1, NULL);
  assert_refused (two_ufrags, "m-line 1 has other ICE credentials");

  g_clear_pointer (&m0, g_free);
  m0 = media_section ("video", "UDP/TLS/RTP/SAVPF", "0",
                      "a=rtcp-mux\r\na=setup:sideways\r\n" TRANSPORT);
  bad_setup = g_strconcat (head, m0, NULL);
  assert_refused (bad_setup, "a=setup:sideways");
}

static void
test_parse_chrome_offer (void)
{
  g_autoptr (GroupRemoteDescription) offer = parse_ok (chrome_offer);
  GroupRemoteMedia *video;

  g_assert_cmpuint (offer->media->len, ==, 3);
  g_assert_cmpstr (offer->ice_ufrag, ==, "abcd");
  g_assert_cmpstr (offer->fingerprint_hash, ==, "sha-256");
  g_assert_cmpstr (offer->fingerprint, ==, FINGERPRINT);
  g_assert_cmpstr (offer->setup, ==, "actpass");
  g_assert_cmpuint (offer->candidates->len, ==, 1);
  g_assert_true (
      g_str_has_prefix (g_ptr_array_index (offer->candidates, 0), "candidate:1 1 udp"));
  video = g_ptr_array_index (offer->media, 1);
  g_assert_cmpstr (video->mid, ==, "1");
  g_assert_cmpint (video->direction, ==, GROUP_DIRECTION_SENDRECV);
  g_assert_cmpuint (video->codecs->len, ==, 6);
}

static GstSDPMessage *
sdp_of (GPtrArray *media, const char *setup)
{
  GroupLocalDescription description = {
    .session_id = 42,
    .session_version = 1,
    .ice_ufrag = "srvu",
    .ice_pwd = "serverpasswordserverpass",
    .fingerprint = FINGERPRINT,
    .setup = setup,
    .trickle = TRUE,
    .media = media,
  };
  g_autofree char *text = group_local_description_write (&description);
  GstSDPMessage *sdp = NULL;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  return sdp;
}

static const char *
attribute (GstSDPMessage *sdp, guint mline, const char *key)
{
  return gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, mline), key);
}

static void
test_answer_chrome_offer (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GroupRemoteDescription) offer = parse_ok (chrome_offer);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) answer = group_session_apply_offer (session, offer, &error);
  GstSDPMessage *sdp;
  const GstSDPMedia *video, *data;

  g_assert_no_error (error);
  g_assert_nonnull (answer);
  g_assert_true (group_session_publishes (session, "audio"));
  g_assert_true (group_session_publishes (session, "video"));
  g_assert_true (group_session_is_stable (session));

  sdp = sdp_of (answer, "passive");
  g_assert_cmpstr (gst_sdp_message_get_attribute_val (sdp, "group"), ==, "BUNDLE 0 1 2");
  g_assert_cmpuint (gst_sdp_message_medias_len (sdp), ==, 3);
  /* One payload type each: Chromium's own numbers for Opus and VP8. */
  g_assert_cmpuint (gst_sdp_media_formats_len (gst_sdp_message_get_media (sdp, 0)), ==,
                    1);
  g_assert_cmpstr (gst_sdp_media_get_format (gst_sdp_message_get_media (sdp, 0), 0), ==,
                   "111");
  video = gst_sdp_message_get_media (sdp, 1);
  g_assert_cmpstr (gst_sdp_media_get_format (video, 0), ==, "98");
  g_assert_cmpstr (attribute (sdp, 1, "rtpmap"), ==, "98 VP8/90000");
  g_assert_nonnull (attribute (sdp, 1, "recvonly"));
  g_assert_cmpstr (attribute (sdp, 1, "setup"), ==, "passive");
  g_assert_cmpstr (attribute (sdp, 1, "mid"), ==, "1");
  g_assert_null (attribute (sdp, 1, "extmap"));
  /* The data channel m-line is the participant's SCTP association. */
  data = gst_sdp_message_get_media (sdp, 2);
  g_assert_cmpuint (gst_sdp_media_get_port (data), ==, 9);
  g_assert_cmpstr (gst_sdp_media_get_media (data), ==, "application");
  g_assert_cmpstr (gst_sdp_media_get_proto (data), ==, "UDP/DTLS/SCTP");
  g_assert_cmpstr (gst_sdp_media_get_format (data, 0), ==, "webrtc-datachannel");
  g_assert_cmpstr (attribute (sdp, 2, "mid"), ==, "2");
  g_assert_cmpstr (attribute (sdp, 2, "sctp-port"), ==, "5000");
  g_assert_cmpstr (attribute (sdp, 2, "max-message-size"), ==, "16384");
  g_assert_null (attribute (sdp, 2, "rtcp-mux"));
  {
    guint port = 0;
    guint64 size = 0;

    g_assert_true (group_session_get_data (session, &port, &size));
    g_assert_cmpuint (port, ==, 5000);
    g_assert_cmpuint (size, ==, 65536); /* not said: RFC 8841 default */
  }
  g_assert_cmpstr (gst_sdp_message_get_attribute_val (sdp, "fingerprint"), ==,
                   "sha-256 " FINGERPRINT);
  gst_sdp_message_free (sdp);
}

static void
test_answer_chrome_offer_h264 (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, h264);
  g_autoptr (GroupRemoteDescription) offer = parse_ok (chrome_offer);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) answer = group_session_apply_offer (session, offer, &error);
  GroupLocalMedia *video;

  g_assert_no_error (error);
  video = g_ptr_array_index (answer, 1);
  /* packetization-mode=0 (127) would not forward: 102 it is. */
  g_assert_cmpint (video->codec->pt, ==, 102);
  g_assert_nonnull (strstr (video->codec->fmtp, "packetization-mode=1"));
}

/* A client's answer to @offer_sdp: every m-line accepted with the offered
 * payload type, publish m-lines sendonly, slots recvonly. */
static GroupRemoteDescription *
client_answer (GstSDPMessage *offer_sdp, gboolean publish)
{
  g_autoptr (GString) text
      = g_string_new ("v=0\r\no=- 7 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");

  for (guint i = 0; i < gst_sdp_message_medias_len (offer_sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (offer_sdp, i);
      const char *format = gst_sdp_media_get_format (media, 0);
      gboolean recvonly_offered
          = gst_sdp_media_get_attribute_val (media, "recvonly") != NULL;

      g_string_append_printf (
          text,
          "m=%s 9 UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\n"
          "a=rtpmap:%s\r\na=rtcp-mux\r\na=setup:active\r\n%s"
          "a=%s\r\n",
          gst_sdp_media_get_media (media), format,
          gst_sdp_media_get_attribute_val (media, "mid"),
          gst_sdp_media_get_attribute_val (media, "rtpmap"), TRANSPORT,
          recvonly_offered ? (publish ? "sendonly" : "inactive") : "recvonly");
    }
  return parse_ok (text->str);
}

static GPtrArray *
sources (const char *first, ...)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) group_source_free);
  va_list args;

  va_start (args, first);
  for (const char *publisher = first; publisher != NULL;
       publisher = va_arg (args, const char *))
    {
      g_ptr_array_add (list, group_source_new (publisher, "audio"));
      g_ptr_array_add (list, group_source_new (publisher, "video"));
    }
  va_end (args);
  return list;
}

/* Once the room has data for it, our next offer adds a data channel
 * m-line (and only one); the answer's a=sctp-port is the participant's. */
static void
test_server_offers_data (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GPtrArray) none = sources (NULL);
  g_autoptr (GPtrArray) offer = group_session_create_offer (session, none);
  g_autoptr (GPtrArray) offer2 = NULL, offer3 = NULL;
  g_autoptr (GroupRemoteDescription) answer = NULL;
  g_autoptr (GString) text = NULL;
  g_autoptr (GError) error = NULL;
  GstSDPMessage *sdp;

  sdp = sdp_of (offer, "actpass");
  answer = client_answer (sdp, TRUE);
  gst_sdp_message_free (sdp);
  g_assert_true (group_session_apply_answer (session, answer, &error));
  g_clear_pointer (&answer, group_remote_description_free);
  g_assert_false (group_session_get_data (session, NULL, NULL));
  g_assert_false (group_session_needs_offer (session, none));

  group_session_want_data (session);
  g_assert_true (group_session_needs_offer (session, none));
  offer2 = group_session_create_offer (session, none);
  g_assert_cmpuint (offer2->len, ==, 3);
  sdp = sdp_of (offer2, "actpass");
  g_assert_cmpstr (gst_sdp_media_get_media (gst_sdp_message_get_media (sdp, 2)), ==,
                   "application");
  g_assert_cmpstr (gst_sdp_media_get_proto (gst_sdp_message_get_media (sdp, 2)), ==,
                   "UDP/DTLS/SCTP");
  g_assert_cmpstr (attribute (sdp, 2, "sctp-port"), ==, "5000");
  g_assert_cmpstr (gst_sdp_message_get_attribute_val (sdp, "group"), ==, "BUNDLE 0 1 2");
  gst_sdp_message_free (sdp);

  text = g_string_new ("v=0\r\no=- 7 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
                       "a=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\na=setup:active\r\n" TRANSPORT
                       "a=sendonly\r\n"
                       "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
                       "a=rtpmap:96 VP8/90000\r\na=rtcp-mux\r\na=setup:active\r\n" TRANSPORT
                       "a=sendonly\r\n"
                       "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                       "c=IN IP4 0.0.0.0\r\na=mid:2\r\na=setup:active\r\n" TRANSPORT
                       "a=sctp-port:5001\r\na=max-message-size:262144\r\n");
  answer = parse_ok (text->str);
  g_assert_true (group_session_apply_answer (session, answer, &error));
  g_assert_no_error (error);
  {
    guint port = 0;
    guint64 size = 0;

    g_assert_true (group_session_get_data (session, &port, &size));
    g_assert_cmpuint (port, ==, 5001);
    g_assert_cmpuint (size, ==, 262144);
  }
  /* Published media only: the data m-line is no track. */
  {
    g_autoptr (GPtrArray) published = group_session_list_published (session, "PA1");

    g_assert_cmpuint (published->len, ==, 2);
  }
  /* No second data m-line. */
  g_assert_false (group_session_needs_offer (session, none));
  offer3 = group_session_create_offer (session, none);
  g_assert_cmpuint (offer3->len, ==, 3);
}

static void
test_server_offers (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GPtrArray) first_sources = sources ("PA2", NULL);
  g_autoptr (GPtrArray) later_sources = sources ("PA3", NULL);
  g_autoptr (GPtrArray) offer = group_session_create_offer (session, first_sources);
  g_autoptr (GPtrArray) offer2 = NULL;
  g_autoptr (GroupRemoteDescription) answer = NULL, answer2 = NULL;
  g_autoptr (GError) error = NULL;
  GstSDPMessage *sdp;
  guint32 old_ssrc;
  GroupMLine *slot;

  /* Two m-lines to publish on, two slots carrying PA2. */
  g_assert_cmpuint (offer->len, ==, 4);
  g_assert_false (group_session_is_stable (session));
  sdp = sdp_of (offer, "actpass");
  g_assert_cmpstr (gst_sdp_message_get_attribute_val (sdp, "group"), ==,
                   "BUNDLE 0 1 2 3");
  g_assert_nonnull (attribute (sdp, 0, "recvonly"));
  g_assert_nonnull (attribute (sdp, 1, "recvonly"));
  g_assert_cmpstr (attribute (sdp, 0, "candidate"), ==, NULL);
  g_assert_nonnull (attribute (sdp, 2, "sendonly"));
  g_assert_cmpstr (attribute (sdp, 2, "msid"), ==, "PA2 PA2-audio");
  g_assert_cmpstr (attribute (sdp, 3, "msid"), ==, "PA2 PA2-video");
  g_assert_nonnull (strstr (attribute (sdp, 3, "ssrc"), " cname:PA2"));
  g_assert_nonnull (attribute (sdp, 3, "rtcp-fb"));
  {
    /* A subscriber's video m-line offers REMB and not transport-cc, so
     * that Chromium, receiving, sends the REMB convokerouter's bandwidth
     * estimation reads. */
    const GstSDPMedia *video = gst_sdp_message_get_media (sdp, 3);
    gboolean remb = FALSE;
    const char *value;

    for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (video, "rtcp-fb", i));
         i++)
      {
        remb = remb || g_str_has_suffix (value, " goog-remb");
        g_assert_null (strstr (value, "transport-cc"));
      }
    g_assert_true (remb);
  }
  g_assert_true (group_session_knows_mline (session, 3, "3"));
  g_assert_false (group_session_knows_mline (session, 4, NULL));
  g_assert_false (group_session_knows_mline (session, -1, "nope"));

  answer = client_answer (sdp, TRUE);
  gst_sdp_message_free (sdp);
  g_assert_true (group_session_apply_answer (session, answer, &error));
  g_assert_no_error (error);
  g_assert_true (group_session_is_stable (session));
  g_assert_true (group_session_publishes (session, "video"));
  g_assert_true (group_session_carries (session, first_sources));
  g_assert_false (group_session_carries (session, later_sources));

  /* A second answer has nothing to answer. */
  g_assert_false (group_session_apply_answer (session, answer, &error));
  g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE);
  g_clear_error (&error);

  /* PA2 left, PA3 came: PA2's slots stay as they were, idle; PA3 gets
   * m-lines of its own. */
  slot = g_ptr_array_index (group_session_get_mlines (session), 3);
  old_ssrc = slot->ssrc;
  g_assert_true (slot->live);
  offer2 = group_session_create_offer (session, later_sources);
  g_assert_cmpuint (offer2->len, ==, 6);
  g_assert_cmpstr (((GroupLocalMedia *) g_ptr_array_index (offer2, 3))->msid_stream, ==,
                   "PA2");
  g_assert_cmpint (((GroupLocalMedia *) g_ptr_array_index (offer2, 3))->direction, ==,
                   GROUP_DIRECTION_SENDONLY);
  g_assert_cmpuint (((GroupLocalMedia *) g_ptr_array_index (offer2, 3))->ssrc, ==,
                    old_ssrc);
  g_assert_cmpstr (((GroupLocalMedia *) g_ptr_array_index (offer2, 5))->msid_stream, ==,
                   "PA3");
  g_assert_cmpuint (((GroupLocalMedia *) g_ptr_array_index (offer2, 5))->ssrc, !=,
                    old_ssrc);

  /* An answer with the wrong number of m-lines changes nothing. */
  sdp = sdp_of (offer, "actpass");
  answer2 = client_answer (sdp, TRUE);
  gst_sdp_message_free (sdp);
  g_ptr_array_remove_index (answer2->media, 3);
  g_assert_false (group_session_apply_answer (session, answer2, &error));
  g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE);
  g_assert_nonnull (strstr (error->message, "3 m-lines"));
  g_assert_false (group_session_is_stable (session));
  g_assert_true (group_session_carries (session, later_sources));

  /* A client's offer crossing ours wins: ours is withdrawn. */
  group_session_rollback (session);
  g_assert_true (group_session_is_stable (session));
  g_assert_true (group_session_carries (session, first_sources));
}

/* RFC 6464 audio levels: the server offers them on its audio uplink
 * m-line (never on slots: it strips extensions from what it forwards),
 * answers them where a client offered them, with the client's id, and
 * keeps what the client's latest description said. */
static void
test_audio_levels (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GroupSession) answering = group_session_new (opus, vp8);
  g_autoptr (GPtrArray) first_sources = sources ("PA2", NULL);
  g_autoptr (GPtrArray) offer = group_session_create_offer (session, first_sources);
  g_autoptr (GroupRemoteDescription) chrome = parse_ok (chrome_offer);
  g_autoptr (GroupRemoteDescription) answer = NULL, other = NULL;
  g_autoptr (GPtrArray) chrome_answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text = NULL;
  GstSDPMessage *sdp = sdp_of (offer, "actpass");
  GroupMLine *audio;

  g_assert_cmpstr (attribute (sdp, 0, "extmap"), ==,
                   "1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  for (guint i = 1; i < 4; i++)
    g_assert_null (attribute (sdp, i, "extmap"));

  /* The client echoes it (as "ID/DIRECTION URI"): the uplink has levels. */
  answer = client_answer (sdp, TRUE);
  gst_sdp_message_free (sdp);
  ((GroupRemoteMedia *) g_ptr_array_index (answer->media, 0))->audio_level_id = 1;
  g_assert_true (group_session_apply_answer (session, answer, &error));
  g_assert_no_error (error);
  audio = g_ptr_array_index (group_session_get_mlines (session), 0);
  g_assert_cmpuint (audio->audio_level_id, ==, 1);
  text = g_string_new (chrome_offer);
  g_string_replace (text, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                    "a=extmap:5/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level", 1);
  other = parse_ok (text->str);
  g_assert_cmpuint (
      ((GroupRemoteMedia *) g_ptr_array_index (other->media, 0))->audio_level_id, ==, 5);
  g_clear_pointer (&other, group_remote_description_free);
  /* A look-alike URI, or an id a one-byte header cannot carry, is not it. */
  g_string_replace (text, "5/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                    "5 urn:ietf:params:rtp-hdrext:ssrc-audio-level-x", 1);
  other = parse_ok (text->str);
  g_assert_cmpuint (
      ((GroupRemoteMedia *) g_ptr_array_index (other->media, 0))->audio_level_id, ==, 0);
  g_clear_pointer (&other, group_remote_description_free);
  g_string_replace (text, "5 urn:ietf:params:rtp-hdrext:ssrc-audio-level-x",
                    "15 urn:ietf:params:rtp-hdrext:ssrc-audio-level", 1);
  other = parse_ok (text->str);
  g_assert_cmpuint (
      ((GroupRemoteMedia *) g_ptr_array_index (other->media, 0))->audio_level_id, ==, 0);
  /* Cut short: an id alone, or with a direction and nothing after (the
   * parser once read past the end of these; the ASan build shows it). */
  for (guint i = 0; i < 4; i++)
    {
      static const char *const cut[] = { "3", "3/", "3 ", "x" };
      g_autoptr (GString) short_text = g_string_new (chrome_offer);
      g_autofree char *line = g_strdup_printf ("a=extmap:%s\r\n", cut[i]);
      g_autoptr (GroupRemoteDescription) parsed = NULL;

      g_string_replace (short_text,
                        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
                        line, 1);
      parsed = parse_ok (short_text->str);
      g_assert_cmpuint (
          ((GroupRemoteMedia *) g_ptr_array_index (parsed->media, 0))->audio_level_id, ==,
          0);
    }

  /* Chromium offers it as id 1 on its audio: answered with that id, and
   * not on video. */
  g_assert_cmpuint (
      ((GroupRemoteMedia *) g_ptr_array_index (chrome->media, 0))->audio_level_id, ==, 1);
  g_assert_cmpuint (
      ((GroupRemoteMedia *) g_ptr_array_index (chrome->media, 1))->audio_level_id, ==, 0);
  chrome_answer = group_session_apply_offer (answering, chrome, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (
      ((GroupLocalMedia *) g_ptr_array_index (chrome_answer, 0))->audio_level_id, ==, 1);
  g_assert_cmpuint (
      ((GroupLocalMedia *) g_ptr_array_index (chrome_answer, 1))->audio_level_id, ==, 0);
  sdp = sdp_of (chrome_answer, "passive");
  g_assert_cmpstr (attribute (sdp, 0, "extmap"), ==,
                   "1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  gst_sdp_message_free (sdp);
}

/* Whether @mline of @sdp is sendonly with a=msid @msid and a=ssrc @ssrc. */
static void
assert_slot (GstSDPMessage *sdp, guint mline, const char *msid, const char *ssrc)
{
  g_assert_nonnull (attribute (sdp, mline, "sendonly"));
  g_assert_cmpstr (attribute (sdp, mline, "msid"), ==, msid);
  g_assert_cmpstr (attribute (sdp, mline, "ssrc"), ==, ssrc);
}

/* Joins, leaves, rejoins (a new sid each time) and pauses in random order:
 * no re-offer may change an m-line's direction, a=msid or a=ssrc (webrtcbin
 * 1.22 cannot apply a direction change, see group-session.h); only new
 * m-lines are appended, for publishers that have none. Liveness follows
 * the sources, and a pause and resume need no offer at all. */
/* A client publishing a second video (a screen share) on an m-line of
 * its own, and, as Twilio's SDK does, on a slot m-line it reuses: each is
 * a track of its own, named by its m-line and known by its SSRCs, and the
 * reused slot is sendrecv from then on. Slots for a publisher's further
 * tracks carry the publisher's own msid track id. */
static void
test_several_tracks (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GString) text = g_string_new (chrome_offer);
  g_autoptr (GroupRemoteDescription) offer = NULL;
  g_autoptr (GroupRemoteDescription) answer = NULL, reoffer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) local = NULL, server_offer = NULL, reanswer = NULL;
  g_autoptr (GPtrArray) published = NULL, sources_list = NULL;
  GroupSource *screen;
  GroupLocalMedia *slot_media;
  GstSDPMessage *sdp;

  /* Chromium's offer, plus a screen share on mid 3. */
  g_string_replace (text, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2 3", 1);
  g_string_append (text, "m=video 9 UDP/TLS/RTP/SAVPF 98 99\r\n"
                         "c=IN IP4 0.0.0.0\r\n" TRANSPORT "a=setup:actpass\r\n"
                         "a=mid:3\r\n"
                         "a=sendonly\r\n"
                         "a=msid:- track-screen\r\n"
                         "a=rtcp-mux\r\n"
                         "a=rtpmap:98 VP8/90000\r\n"
                         "a=rtpmap:99 rtx/90000\r\n"
                         "a=fmtp:99 apt=98\r\n"
                         "a=ssrc-group:FID 3001 3002\r\n"
                         "a=ssrc:3001 cname:abc\r\n"
                         "a=ssrc:3002 cname:abc\r\n");
  offer = parse_ok (text->str);
  g_assert_cmpstr (((GroupRemoteMedia *) g_ptr_array_index (offer->media, 3))->msid_track,
                   ==, "track-screen");
  g_assert_cmpuint (((GroupRemoteMedia *) g_ptr_array_index (offer->media, 3))->ssrc, ==,
                    3001);
  g_assert_cmpuint (((GroupRemoteMedia *) g_ptr_array_index (offer->media, 3))->rtx_ssrc,
                    ==, 3002);
  g_assert_cmpuint (((GroupRemoteMedia *) g_ptr_array_index (offer->media, 1))->ssrc, ==,
                    2001);

  local = group_session_apply_offer (session, offer, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((GroupLocalMedia *) g_ptr_array_index (local, 3))->direction, ==,
                   GROUP_DIRECTION_RECVONLY);
  published = group_session_list_published (session, "PA1");
  g_assert_cmpuint (published->len, ==, 3);
  g_assert_null (((GroupSource *) g_ptr_array_index (published, 1))->track);
  screen = g_ptr_array_index (published, 2);
  g_assert_cmpstr (screen->kind, ==, "video");
  g_assert_cmpstr (screen->track, ==, "video-3");
  g_assert_cmpstr (screen->msid_track, ==, "track-screen");

  /* What a subscriber of PA1 is offered: two video slots, the second
   * under PA1's own id for its screen. */
  {
    g_autoptr (GroupSession) subscriber = group_session_new (opus, vp8);

    sources_list = g_ptr_array_new_with_free_func ((GDestroyNotify) group_source_free);
    for (guint i = 0; i < published->len; i++)
      {
        GroupSource *source = g_ptr_array_index (published, i);

        g_ptr_array_add (sources_list,
                         group_source_new_track (source->publisher, source->kind,
                                                 source->track, source->msid_track));
      }
    server_offer = group_session_create_offer (subscriber, sources_list);
    g_assert_cmpuint (server_offer->len, ==, 5);
    slot_media = g_ptr_array_index (server_offer, 3);
    g_assert_cmpstr (slot_media->msid_track, ==, "PA1-video");
    slot_media = g_ptr_array_index (server_offer, 4);
    g_assert_cmpstr (slot_media->msid_stream, ==, "PA1");
    g_assert_cmpstr (slot_media->msid_track, ==, "track-screen");
    g_assert_true (group_session_carries (subscriber, sources_list));

    /* The subscriber answers, then starts sending on PA1's audio slot
     * (mid 2) in an offer of its own, as the SDK does with a transceiver
     * it recycles. */
    sdp = sdp_of (server_offer, "actpass");
    answer = client_answer (sdp, TRUE);
    gst_sdp_message_free (sdp);
    g_assert_true (group_session_apply_answer (subscriber, answer, &error));
    g_assert_no_error (error);
    {
      g_autoptr (GString) again = g_string_new ("v=0\r\no=- 7 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");

      for (guint i = 0; i < server_offer->len; i++)
        {
          GroupLocalMedia *m = g_ptr_array_index (server_offer, i);
          const char *direction = i < 2 ? "sendonly" : i == 2 ? "sendrecv" : "recvonly";

          g_string_append_printf (
              again,
              "m=%s 9 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\n"
              "a=rtpmap:%d %s/%u%s\r\na=rtcp-mux\r\na=setup:actpass\r\n%sa=%s\r\n%s",
              m->kind, m->codec->pt, m->mid, m->codec->pt, m->codec->encoding,
              m->codec->clock_rate, g_str_equal (m->kind, "audio") ? "/2" : "", TRANSPORT,
              direction, i == 2 ? "a=msid:- track-mic2\r\na=ssrc:4001 cname:x\r\n" : "");
        }
      reoffer = parse_ok (again->str);
    }
    reanswer = group_session_apply_offer (subscriber, reoffer, &error);
    g_assert_no_error (error);
    g_assert_cmpint (((GroupLocalMedia *) g_ptr_array_index (reanswer, 2))->direction, ==,
                     GROUP_DIRECTION_SENDRECV);
    {
      g_autoptr (GPtrArray) its_tracks = group_session_list_published (subscriber, "PA9");
      GroupSource *reused = NULL;

      for (guint i = 0; i < its_tracks->len; i++)
        if (g_strcmp0 (((GroupSource *) g_ptr_array_index (its_tracks, i))->msid_track,
                       "track-mic2")
            == 0)
          reused = g_ptr_array_index (its_tracks, i);
      g_assert_nonnull (reused);
      g_assert_cmpstr (reused->kind, ==, "audio");
      /* Its first audio is on mid 0: this one is a track of its own. */
      g_assert_cmpstr (reused->track, ==, "audio-2");
    }
  }
}

/* With reuse (browsers), a departed publisher's slots go inactive in the
 * next offer, and once that is answered a newcomer takes them over under
 * its own msid and a new SSRC: the m-line count stays. */
static void
test_slots_reused (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GPtrArray) with_pa2 = sources ("PA2", NULL);
  g_autoptr (GPtrArray) nobody = sources (NULL);
  g_autoptr (GPtrArray) with_pa3 = sources ("PA3", NULL);
  g_autoptr (GError) error = NULL;
  guint32 old_ssrc;

  group_session_set_reuse (session, TRUE);
  for (guint round = 0; round < 3; round++)
    {
      GPtrArray *wanted = round == 0 ? with_pa2 : round == 1 ? nobody : with_pa3;
      g_autoptr (GPtrArray) offer = NULL;
      g_autoptr (GroupRemoteDescription) answer = NULL;
      GstSDPMessage *sdp;

      g_assert_true (round == 0 || group_session_needs_offer (session, wanted));
      offer = group_session_create_offer (session, wanted);
      /* Two to publish on, two slots: never more. */
      g_assert_cmpuint (offer->len, ==, 4);
      if (round == 0)
        old_ssrc = ((GroupLocalMedia *) g_ptr_array_index (offer, 3))->ssrc;
      for (guint i = 2; i < 4; i++)
        {
          GroupLocalMedia *slot = g_ptr_array_index (offer, i);

          if (round == 1)
            {
              g_assert_cmpint (slot->direction, ==, GROUP_DIRECTION_INACTIVE);
              g_assert_null (slot->msid_stream);
            }
          else
            {
              g_assert_cmpint (slot->direction, ==, GROUP_DIRECTION_SENDONLY);
              g_assert_cmpstr (slot->msid_stream, ==, round == 0 ? "PA2" : "PA3");
            }
        }
      if (round == 2)
        g_assert_cmpuint (((GroupLocalMedia *) g_ptr_array_index (offer, 3))->ssrc, !=,
                          old_ssrc);
      sdp = sdp_of (offer, "actpass");
      answer = client_answer (sdp, TRUE);
      gst_sdp_message_free (sdp);
      g_assert_true (group_session_apply_answer (session, answer, &error));
      g_assert_no_error (error);
    }
  g_assert_false (group_session_needs_offer (session, with_pa3));

  /* Without reuse (webrtcbin), the slots stay as they are. */
  {
    g_autoptr (GroupSession) plain = group_session_new (opus, vp8);
    g_autoptr (GPtrArray) offer = group_session_create_offer (plain, with_pa2);
    g_autoptr (GroupRemoteDescription) answer = NULL;
    GstSDPMessage *sdp = sdp_of (offer, "actpass");

    answer = client_answer (sdp, TRUE);
    gst_sdp_message_free (sdp);
    g_assert_true (group_session_apply_answer (plain, answer, &error));
    g_assert_false (group_session_needs_offer (plain, nobody));
  }
}

static void
test_slots_keep_direction (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GPtrArray) current
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_source_free);
  g_autoptr (GPtrArray) stopped
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_source_free);
  g_autoptr (GPtrArray) known = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) offered_msid = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) offered_ssrc = g_ptr_array_new_with_free_func (g_free);
  guint next_sid = 1;
  gboolean resumed_without_offer = FALSE;

  for (guint round = 0; round < 200; round++)
    {
      guint action = g_test_rand_int_range (0, 3);
      g_autoptr (GPtrArray) offer = NULL;
      g_autoptr (GroupRemoteDescription) answer = NULL;
      g_autoptr (GError) error = NULL;
      GstSDPMessage *sdp;
      GPtrArray *mlines;

      if (action == 2 && stopped->len > 0)
        /* A publisher sends that kind again: its slot is still there. */
        g_ptr_array_add (current, g_ptr_array_steal_index (stopped, 0));
      else if (action == 0 || current->len == 0)
        {
          g_autofree char *sid = g_strdup_printf ("PA%u", next_sid++);

          g_ptr_array_add (current, group_source_new (sid, "audio"));
          g_ptr_array_add (current, group_source_new (sid, "video"));
        }
      else
        /* A leave, or a publisher that stops sending one kind. */
        g_ptr_array_add (stopped,
                         g_ptr_array_steal_index (
                             current, g_test_rand_int_range (0, (gint32) current->len)));

      if (group_session_has_negotiated (session)
          && group_session_carries (session, current))
        {
          group_session_set_live (session, current);
          g_assert_true (group_session_is_stable (session));
          resumed_without_offer |= action == 2;
        }
      else
        {
          offer = group_session_create_offer (session, current);
          sdp = sdp_of (offer, "actpass");
          for (guint i = 0; i < offered_msid->len; i++)
            {
              if (g_ptr_array_index (offered_msid, i) == NULL)
                continue;
              assert_slot (sdp, i, g_ptr_array_index (offered_msid, i),
                           g_ptr_array_index (offered_ssrc, i));
            }
          for (guint i = offered_msid->len; i < gst_sdp_message_medias_len (sdp); i++)
            {
              const char *msid = attribute (sdp, i, "msid");

              g_ptr_array_add (offered_msid, g_strdup (msid));
              g_ptr_array_add (offered_ssrc, g_strdup (attribute (sdp, i, "ssrc")));
              if (msid != NULL)
                {
                  /* A new m-line only ever for a publisher without one. */
                  g_autofree char *track = g_strdup (msid);

                  g_assert_false (
                      g_ptr_array_find_with_equal_func (known, track, g_str_equal, NULL));
                  g_ptr_array_add (known, g_steal_pointer (&track));
                }
            }
          answer = client_answer (sdp, TRUE);
          gst_sdp_message_free (sdp);
          g_assert_true (group_session_apply_answer (session, answer, &error));
          g_assert_no_error (error);
        }

      g_assert_true (group_session_carries (session, current));
      mlines = group_session_get_mlines (session);
      for (guint i = 0; i < mlines->len; i++)
        {
          GroupMLine *mline = g_ptr_array_index (mlines, i);
          gboolean wanted = FALSE;

          if (mline->role != GROUP_MLINE_SLOT)
            continue;
          for (guint k = 0; k < current->len && !wanted; k++)
            {
              GroupSource *source = g_ptr_array_index (current, k);

              wanted = g_str_equal (source->publisher, mline->source)
                       && g_str_equal (source->kind, mline->kind);
            }
          g_assert_cmpint (mline->live, ==, wanted);
        }
    }
  g_assert_true (resumed_without_offer);
}

static void
test_client_offer_must_keep_mlines (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GroupRemoteDescription) offer = parse_ok (chrome_offer);
  g_autoptr (GPtrArray) answer = group_session_apply_offer (session, offer, NULL);
  g_autoptr (GroupRemoteDescription) shorter = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strdup (chrome_offer);
  char *cut;

  g_assert_nonnull (answer);
  cut = strstr (text, "m=video");
  *cut = '\0';
  shorter = parse_ok (text);
  g_assert_null (group_session_apply_offer (session, shorter, &error));
  g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE);
  g_assert_nonnull (strstr (error->message, "3 were negotiated"));
}

static void
test_codec_matches (void)
{
  g_autoptr (GroupCodec) baseline = group_codec_new (
      100, "h264", 90000, 0, "profile-level-id=42e01f;packetization-mode=1");
  g_autoptr (GroupCodec) high = group_codec_new (
      101, "H264", 90000, 0, "profile-level-id=640c1f;packetization-mode=1");
  g_autoptr (GroupCodec) single_nal = group_codec_new (
      102, "H264", 90000, 0, "profile-level-id=42e01f;packetization-mode=0");
  g_autoptr (GroupCodec) no_profile
      = group_codec_new (103, "H264", 90000, 0, "packetization-mode=1");
  g_autoptr (GroupCodec) vp8_low = group_codec_new (97, "vp8", 90000, 0, NULL);
  g_autoptr (GroupCodec) vp8_khz = group_codec_new (97, "VP8", 8000, 0, NULL);

  g_assert_true (group_codec_matches (baseline, h264));
  g_assert_false (group_codec_matches (high, h264));
  g_assert_false (group_codec_matches (single_nal, h264));
  /* RFC 6184: no profile-level-id means baseline. */
  g_assert_true (group_codec_matches (no_profile, h264));
  g_assert_true (group_codec_matches (vp8_low, vp8));
  g_assert_false (group_codec_matches (vp8_khz, vp8));
  g_assert_false (group_codec_matches (vp8_low, opus));
}

/* Every value of the attributes @key of m-line @mline, joined with "|". */
static char *
attributes (GstSDPMessage *sdp, guint mline, const char *key)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (sdp, mline);
  g_autoptr (GString) values = g_string_new (NULL);
  const char *value;

  for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (media, key, i)) != NULL;
       i++)
    g_string_append_printf (values, "%s%s", values->len ? "|" : "", value);
  return g_string_free (g_steal_pointer (&values), FALSE);
}

/* An answer to @offer_sdp that keeps RTX on video m-lines when @rtx. */
static GroupRemoteDescription *
client_answer_rtx (GstSDPMessage *offer_sdp, gboolean rtx)
{
  g_autoptr (GString) text
      = g_string_new ("v=0\r\no=- 7 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");

  for (guint i = 0; i < gst_sdp_message_medias_len (offer_sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (offer_sdp, i);
      gboolean video = g_str_equal (gst_sdp_media_get_media (media), "video");
      const char *format = gst_sdp_media_get_format (media, 0);

      g_string_append_printf (
          text, "m=%s 9 UDP/TLS/RTP/SAVPF %s%s\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\n"
                "a=rtpmap:%s\r\na=rtcp-mux\r\na=setup:active\r\n%sa=%s\r\n",
          gst_sdp_media_get_media (media), format, video && rtx ? " 97" : "",
          gst_sdp_media_get_attribute_val (media, "mid"),
          gst_sdp_media_get_attribute_val (media, "rtpmap"), TRANSPORT,
          gst_sdp_media_get_attribute_val (media, "recvonly") ? "sendonly" : "recvonly");
      if (video && rtx)
        g_string_append (text, "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n");
    }
  return parse_ok (text->str);
}

/* RFC 4588: video m-lines offer rtx (apt = the codec) and slots tie their
 * RTX SSRC to the media SSRC with a=ssrc-group:FID, without a cname line of
 * its own (webrtcbin 1.22 would take it for a stream); the answer decides
 * whether RTX is used; a browser's offered rtx is accepted for its codec. */
static void
test_rtx (void)
{
  g_autoptr (GroupCodec) vp8_rtx = group_codec_copy (vp8);
  g_autoptr (GPtrArray) publishers = sources ("PA2", NULL);

  vp8_rtx->rtx_pt = 97;
  for (guint keep = 0; keep < 2; keep++)
    {
      g_autoptr (GroupSession) session = group_session_new (opus, vp8_rtx);
      g_autoptr (GPtrArray) offer = group_session_create_offer (session, publishers);
      g_autoptr (GPtrArray) reoffer = NULL;
      g_autoptr (GroupRemoteDescription) answer = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *rtpmaps = NULL, *fmtps = NULL, *ssrcs = NULL, *expected = NULL;
      g_autofree char *audio_fmtps = NULL, *again = NULL;
      GstSDPMessage *sdp = sdp_of (offer, "actpass");
      GroupMLine *slot, *publish;

      /* m-line 1: the video uplink; 3: PA2's video slot. */
      g_assert_cmpuint (gst_sdp_media_formats_len (gst_sdp_message_get_media (sdp, 1)), ==,
                        2);
      rtpmaps = attributes (sdp, 1, "rtpmap");
      fmtps = attributes (sdp, 1, "fmtp");
      g_assert_cmpstr (rtpmaps, ==, "96 VP8/90000|97 rtx/90000");
      g_assert_cmpstr (fmtps, ==, "97 apt=96");
      audio_fmtps = attributes (sdp, 0, "fmtp");
      g_assert_null (strstr (audio_fmtps, "apt="));
      answer = client_answer_rtx (sdp, keep);
      gst_sdp_message_free (sdp);
      g_assert_true (group_session_apply_answer (session, answer, &error));
      g_assert_no_error (error);

      publish = g_ptr_array_index (group_session_get_mlines (session), 1);
      slot = g_ptr_array_index (group_session_get_mlines (session), 3);
      g_assert_cmpint (publish->codec->rtx_pt, ==, keep ? 97 : -1);
      g_assert_cmpint (slot->codec->rtx_pt, ==, keep ? 97 : -1);
      g_assert_cmpuint (slot->rtx_ssrc, !=, 0);
      g_assert_cmpuint (slot->rtx_ssrc, !=, slot->ssrc);

      /* The next offer writes what was negotiated. */
      reoffer = group_session_create_offer (session, publishers);
      sdp = sdp_of (reoffer, "actpass");
      again = attributes (sdp, 3, "rtpmap");
      g_assert_cmpstr (again, ==, keep ? "96 VP8/90000|97 rtx/90000" : "96 VP8/90000");
      ssrcs = attributes (sdp, 3, "ssrc");
      if (keep)
        {
          g_autofree char *fid
              = g_strdup_printf ("FID %u %u", slot->ssrc, slot->rtx_ssrc);

          g_assert_cmpstr (attribute (sdp, 3, "ssrc-group"), ==, fid);
          expected = g_strdup_printf ("%u cname:PA2|%u msid:PA2 PA2-video|%u msid:PA2 PA2-video",
                                      slot->ssrc, slot->ssrc, slot->rtx_ssrc);
        }
      else
        {
          g_assert_null (attribute (sdp, 3, "ssrc-group"));
          expected = g_strdup_printf ("%u cname:PA2|%u msid:PA2 PA2-video", slot->ssrc,
                                      slot->ssrc);
        }
      g_assert_cmpstr (ssrcs, ==, expected);
      gst_sdp_message_free (sdp);
    }

  /* Chromium's offer: VP8 98 with rtx 99 (apt=98); the answer keeps both. */
  {
    g_autoptr (GroupSession) session = group_session_new (opus, vp8_rtx);
    g_autoptr (GroupRemoteDescription) offer = parse_ok (chrome_offer);
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) answer = group_session_apply_offer (session, offer, &error);
    g_autofree char *rtpmaps = NULL, *fmtps = NULL;
    GstSDPMessage *sdp;

    g_assert_no_error (error);
    sdp = sdp_of (answer, "passive");
    rtpmaps = attributes (sdp, 1, "rtpmap");
    fmtps = attributes (sdp, 1, "fmtp");
    g_assert_cmpstr (rtpmaps, ==, "98 VP8/90000|99 rtx/90000");
    g_assert_cmpstr (fmtps, ==, "99 apt=98");
    gst_sdp_message_free (sdp);
  }
}

/* Mutated browser offers: refused with an error or applied, never a
 * crash, a critical or a leak (the ASan build runs this too). */
static void
test_fuzz_offers (void)
{
  gsize length = strlen (chrome_offer);

  for (guint round = 0; round < 3000; round++)
    {
      g_autofree char *text = g_strdup (chrome_offer);
      g_autoptr (GroupSession) session = group_session_new (opus, vp8);
      g_autoptr (GroupRemoteDescription) offer = NULL;
      g_autoptr (GError) error = NULL;
      guint mutations = g_test_rand_int_range (1, 8);

      for (guint m = 0; m < mutations; m++)
        {
          gsize at = g_test_rand_int_range (0, (gint32) length);

          switch (g_test_rand_int_range (0, 4))
            {
            case 0: /* a printable byte */
              text[at] = (char) g_test_rand_int_range (0x20, 0x7f);
              break;
            case 1: /* a line break somewhere */
              text[at] = '\n';
              break;
            case 2: /* a digit, to bend numbers */
              text[at] = (char) g_test_rand_int_range ('0', '9' + 1);
              break;
            default: /* cut short */
              text[at] = '\0';
              break;
            }
        }
      offer = group_remote_description_parse (text, &error);
      if (offer == NULL)
        {
          g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE);
          continue;
        }
      g_autoptr (GPtrArray) answer = group_session_apply_offer (session, offer, &error);
      g_assert_true ((answer != NULL) == (error == NULL));
    }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  opus = group_codec_new (111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
  vp8 = group_codec_new (96, "VP8", 90000, 0, NULL);
  h264 = group_codec_new (
      102, "H264", 90000, 0,
      "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  g_test_add_func ("/sfu/session/parse-refuses-bad-sdp", test_parse_refuses_bad_sdp);
  g_test_add_func ("/sfu/session/parse-chrome-offer", test_parse_chrome_offer);
  g_test_add_func ("/sfu/session/answer-chrome-offer", test_answer_chrome_offer);
  g_test_add_func ("/sfu/session/answer-chrome-offer-h264",
                   test_answer_chrome_offer_h264);
  g_test_add_func ("/sfu/session/server-offers", test_server_offers);
  g_test_add_func ("/sfu/session/audio-levels", test_audio_levels);
  g_test_add_func ("/sfu/session/slots-keep-direction", test_slots_keep_direction);
  g_test_add_func ("/sfu/session/client-offer-keeps-mlines",
                   test_client_offer_must_keep_mlines);
  g_test_add_func ("/sfu/session/codec-matches", test_codec_matches);
  g_test_add_func ("/sfu/session/rtx", test_rtx);
  g_test_add_func ("/sfu/session/several-tracks", test_several_tracks);
  g_test_add_func ("/sfu/session/slots-reused", test_slots_reused);
  g_test_add_func ("/sfu/session/server-offers-data", test_server_offers_data);
  g_test_add_func ("/sfu/session/fuzz-offers", test_fuzz_offers);
  status = g_test_run ();
  group_codec_free (opus);
  group_codec_free (vp8);
  group_codec_free (h264);
  return status;
}
