/* Simulcast in group rooms' session descriptions, without any network:
 * the RID form Chromium offers for sendEncodings (a=rid, a=simulcast and
 * the RID header extensions) and the legacy a=ssrc-group:SIM that
 * twilio-video.js writes; what the session keeps of each, and how the
 * server answers and re-offers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/sdp/sdp.h>
#include <string.h>

#include "group-session.h"

#define FINGERPRINT                                                                      \
  "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:" \
  "66:77:88:99"

#define TRANSPORT                                                                        \
  "a=ice-ufrag:abcd\r\n"                                                                 \
  "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"                                               \
  "a=fingerprint:sha-256 " FINGERPRINT "\r\n"                                            \
  "a=setup:actpass\r\n"                                                                  \
  "a=rtcp-mux\r\n"

#define HEAD "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"

/* What Chromium offers for a camera published with three sendEncodings
 * (rid q, h, f), trimmed to the lines that matter. No a=ssrc: the SSRCs
 * come with the first packets, marked with their RID. */
#define CHROME_VIDEO_HEAD                                                                \
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"                                                \
  "c=IN IP4 0.0.0.0\r\n" TRANSPORT "a=mid:0\r\n"                                         \
  "a=extmap:2 urn:ietf:params:rtp-hdrext:toffset\r\n"                                    \
  "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"                                   \
  "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"                        \
  "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"               \
  "a=sendonly\r\n"                                                                       \
  "a=msid:stream camera\r\n"                                                             \
  "a=rtpmap:96 VP8/90000\r\n"                                                            \
  "a=rtcp-fb:96 nack pli\r\n"                                                            \
  "a=rtpmap:97 rtx/90000\r\n"                                                            \
  "a=fmtp:97 apt=96\r\n"                                                                 \
  "a=rid:q send\r\n"                                                                     \
  "a=rid:h send\r\n"                                                                     \
  "a=rid:f send\r\n"

static const char chrome_rid_offer[]
    = HEAD CHROME_VIDEO_HEAD "a=simulcast:send q;h;f\r\n";

/* What twilio-video.js offers with simulcast on: plain SSRCs, grouped. */
static const char twilio_sim_offer[] = HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                                            "c=IN IP4 0.0.0.0\r\n" TRANSPORT "a=mid:0\r\n"
                                            "a=sendonly\r\n"
                                            "a=rtpmap:96 VP8/90000\r\n"
                                            "a=rtpmap:97 rtx/90000\r\n"
                                            "a=fmtp:97 apt=96\r\n"
                                            "a=ssrc-group:FID 111 211\r\n"
                                            "a=ssrc-group:FID 112 212\r\n"
                                            "a=ssrc-group:FID 113 213\r\n"
                                            "a=ssrc-group:SIM 111 112 113\r\n"
                                            "a=ssrc:111 cname:c\r\n"
                                            "a=ssrc:112 cname:c\r\n"
                                            "a=ssrc:113 cname:c\r\n"
                                            "a=ssrc:211 cname:c\r\n"
                                            "a=ssrc:212 cname:c\r\n"
                                            "a=ssrc:213 cname:c\r\n";

static GroupCodec *opus, *vp8;

static GroupRemoteDescription *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  GroupRemoteDescription *description = group_remote_description_parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (description);
  return description;
}

static const GroupRemoteMedia *
first_media (const GroupRemoteDescription *description)
{
  return g_ptr_array_index (description->media, 0);
}

static GstSDPMessage *
sdp_of (GPtrArray *media)
{
  GroupLocalDescription description = {
    .session_id = 42,
    .session_version = 1,
    .ice_ufrag = "srvu",
    .ice_pwd = "serverpasswordserverpass",
    .fingerprint = FINGERPRINT,
    .setup = "passive",
    .media = media,
  };
  g_autofree char *text = group_local_description_write (&description);
  GstSDPMessage *sdp = NULL;

  g_test_message ("%s", text);
  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  return sdp;
}

/* The values of every @key attribute of m-line @index, joined by "|". */
static char *
attributes (GstSDPMessage *sdp, guint index, const char *key)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (sdp, index);
  g_autoptr (GString) values = g_string_new (NULL);

  for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
    {
      const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);

      if (g_str_equal (attribute->key, key))
        g_string_append_printf (values, "%s%s", values->len > 0 ? "|" : "",
                                attribute->value ? attribute->value : "");
    }
  return g_strdup (values->str);
}

/* @offer with @from replaced by @to. */
static GroupRemoteDescription *
parse_variant (const char *offer, const char *from, const char *to)
{
  g_autoptr (GString) text = g_string_new (offer);

  g_assert_cmpuint (g_string_replace (text, from, to, 1), ==, 1);
  return parse_ok (text->str);
}

static void
test_parse_rids (void)
{
  g_autoptr (GroupRemoteDescription) offer = parse_ok (chrome_rid_offer);
  const GroupRemoteMedia *video = first_media (offer);

  g_assert_cmpuint (video->n_layers, ==, 3);
  g_assert_cmpstr (video->rids[0], ==, "q");
  g_assert_cmpstr (video->rids[1], ==, "h");
  g_assert_cmpstr (video->rids[2], ==, "f");
  g_assert_null (video->rids[3]);
  g_assert_cmpuint (video->layer_ssrcs[0], ==, 0);
  g_assert_cmpuint (video->extensions.mid, ==, 4);
  g_assert_cmpuint (video->extensions.rid, ==, 10);
  g_assert_cmpuint (video->extensions.repaired_rid, ==, 11);
  g_assert_cmpuint (video->ssrc, ==, 0);
}

/* What RFC 8853 allows around the plain form, and what is left out. */
static void
test_parse_rid_variants (void)
{
  static const struct
  {
    const char *simulcast; /* replaces "send q;h;f" */
    const char *expected;  /* the rids kept, joined by "," */
  } cases[] = {
    { "send q;~h;f", "q,h,f" },      /* paused: still a layer */
    { "send q,x;h;f", "q,h,f" },     /* alternatives: the first */
    { "recv a;b send q;h", "q,h" },  /* a receive part too */
    { "send q;h;f;zz", "q,h,f" },    /* zz has no a=rid line */
    { "send q;q;h", "q,h" },         /* a duplicate */
    { "send q;h$;f", "q,f" },        /* not a rid-id */
    { "send q", "" },                /* one layer is no simulcast */
    { "send q;h;f;q2;h2", "q,h,f" }, /* only rids it has */
    { "recv q;h;f", "" },            /* it does not send them */
    { "send", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("a=simulcast:%s\r\n", cases[i].simulcast);
      g_autoptr (GroupRemoteDescription) offer
          = parse_variant (chrome_rid_offer, "a=simulcast:send q;h;f\r\n", line);
      const GroupRemoteMedia *video = first_media (offer);
      g_autofree char *kept = g_strjoinv (",", (char **) video->rids);

      g_test_message ("a=simulcast:%s", cases[i].simulcast);
      g_assert_cmpstr (kept, ==, cases[i].expected);
      g_assert_cmpuint (video->n_layers, ==, g_strv_length ((char **) video->rids));
    }
  /* An extension id a one-byte header cannot carry is not one. */
  {
    g_autoptr (GroupRemoteDescription) offer
        = parse_variant (chrome_rid_offer, "a=extmap:10 urn", "a=extmap:15 urn");

    g_assert_cmpuint (first_media (offer)->extensions.rid, ==, 0);
  }
}

static void
test_parse_sim_group (void)
{
  g_autoptr (GroupRemoteDescription) offer = parse_ok (twilio_sim_offer);
  g_autoptr (GroupRemoteDescription) bad = NULL;
  const GroupRemoteMedia *video = first_media (offer);

  g_assert_cmpuint (video->n_layers, ==, 3);
  g_assert_null (video->rids[0]);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (video->layer_ssrcs[i], ==, 111 + i);
      g_assert_cmpuint (video->layer_rtx_ssrcs[i], ==, 211 + i);
    }
  /* The lowest layer is also the m-line's stream, as before simulcast. */
  g_assert_cmpuint (video->ssrc, ==, 111);
  g_assert_cmpuint (video->rtx_ssrc, ==, 211);

  /* An SSRC that is not a number spoils the group. */
  bad = parse_variant (twilio_sim_offer, "SIM 111 112 113", "SIM 111 x 113");
  g_assert_cmpuint (first_media (bad)->n_layers, ==, 0);
}

/* Chromium's offer is answered with the layers it offered, received, and
 * the RID, repaired RID and MID extensions with its ids; the session
 * keeps the layers, and the server's next offer repeats them. */
static void
test_answer_rids (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GroupRemoteDescription) offer = parse_ok (chrome_rid_offer);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) answer = group_session_apply_offer (session, offer, &error);
  g_autoptr (GPtrArray) sources
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_source_free);
  g_autoptr (GPtrArray) reoffer = NULL;
  const GroupMLine *mline;
  GstSDPMessage *sdp;
  g_autofree char *extmaps = NULL, *rids = NULL, *again = NULL;

  g_assert_no_error (error);
  sdp = sdp_of (answer);
  extmaps = attributes (sdp, 0, "extmap");
  g_assert_cmpstr (extmaps, ==,
                   "4 urn:ietf:params:rtp-hdrext:sdes:mid"
                   "|10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
                   "|11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id");
  rids = attributes (sdp, 0, "rid");
  g_assert_cmpstr (rids, ==, "q recv|h recv|f recv");
  g_assert_cmpstr (
      gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, 0), "simulcast"),
      ==, "recv q;h;f");
  g_assert_nonnull (
      gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, 0), "recvonly"));
  gst_sdp_message_free (sdp);

  mline = g_ptr_array_index (group_session_get_mlines (session), 0);
  g_assert_cmpuint (mline->simulcast.n_layers, ==, 3);
  g_assert_cmpstr (mline->simulcast.rids[0], ==, "q");
  g_assert_cmpstr (mline->simulcast.rids[2], ==, "f");
  g_assert_cmpuint (mline->simulcast.extensions.rid, ==, 10);

  /* Another publisher joins: our offer adds its slots and keeps the
   * simulcast of the client's m-line. */
  g_ptr_array_add (sources, group_source_new ("PA2", "video"));
  reoffer = group_session_create_offer (session, sources);
  sdp = sdp_of (reoffer);
  g_assert_cmpuint (gst_sdp_message_medias_len (sdp), ==, 2);
  again = attributes (sdp, 0, "rid");
  g_assert_cmpstr (again, ==, "q recv|h recv|f recv");
  g_assert_cmpstr (
      gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, 0), "simulcast"),
      ==, "recv q;h;f");
  /* Not on the slot. */
  g_assert_null (
      gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, 1), "simulcast"));
  gst_sdp_message_free (sdp);
}

/* RIDs without the RID extension could not be told apart: answered
 * without simulcast, so the browser sends one layer. */
static void
test_rids_need_extension (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GroupRemoteDescription) offer = parse_variant (
      chrome_rid_offer, "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n",
      "");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) answer = group_session_apply_offer (session, offer, &error);
  const GroupMLine *mline;
  GstSDPMessage *sdp;
  g_autofree char *extmaps = NULL, *rids = NULL;

  g_assert_no_error (error);
  mline = g_ptr_array_index (group_session_get_mlines (session), 0);
  g_assert_cmpuint (mline->simulcast.n_layers, ==, 0);
  sdp = sdp_of (answer);
  extmaps = attributes (sdp, 0, "extmap");
  rids = attributes (sdp, 0, "rid");
  g_assert_cmpstr (extmaps, ==, "");
  g_assert_cmpstr (rids, ==, "");
  g_assert_null (
      gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, 0), "simulcast"));
  gst_sdp_message_free (sdp);
}

/* twilio-video.js's form needs nothing in the answer; the session keeps
 * the layers' SSRCs, from its offers and from its answers alike. */
static void
test_sim_group_session (void)
{
  g_autoptr (GroupSession) session = group_session_new (opus, vp8);
  g_autoptr (GroupSession) answering = group_session_new (opus, vp8);
  g_autoptr (GroupRemoteDescription) offer = parse_ok (twilio_sim_offer);
  g_autoptr (GroupRemoteDescription) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) local = group_session_apply_offer (session, offer, &error);
  g_autoptr (GPtrArray) server_offer = NULL;
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  const GroupMLine *mline;
  GstSDPMessage *sdp;
  g_autofree char *extmaps = NULL;
  g_autoptr (GString) text = NULL;

  g_assert_no_error (error);
  mline = g_ptr_array_index (group_session_get_mlines (session), 0);
  g_assert_cmpuint (mline->simulcast.n_layers, ==, 3);
  g_assert_cmpstr (mline->simulcast.rids[0], ==, "");
  g_assert_cmpuint (mline->simulcast.ssrcs[1], ==, 112);
  g_assert_cmpuint (mline->simulcast.rtx_ssrcs[2], ==, 213);
  sdp = sdp_of (local);
  extmaps = attributes (sdp, 0, "extmap");
  g_assert_cmpstr (extmaps, ==, "");
  g_assert_null (
      gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, 0), "simulcast"));
  gst_sdp_message_free (sdp);

  /* The server offers first (audio mid 0, video mid 1); the client's
   * answer publishes simulcast video. */
  server_offer = group_session_create_offer (answering, none);
  text = g_string_new (HEAD);
  g_string_append (text,
                   "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n" TRANSPORT
                   "a=mid:0\r\na=inactive\r\na=rtpmap:111 opus/48000/2\r\n");
  g_string_append (text, strstr (twilio_sim_offer, "m=video"));
  g_string_replace (text, "a=mid:0\r\na=sendonly", "a=mid:1\r\na=sendonly", 1);
  g_string_replace (text, "a=setup:actpass", "a=setup:active", 0);
  answer = parse_ok (text->str);
  group_session_apply_answer (answering, answer, &error);
  g_assert_no_error (error);
  mline = g_ptr_array_index (group_session_get_mlines (answering), 1);
  g_assert_cmpstr (mline->kind, ==, "video");
  g_assert_cmpuint (mline->simulcast.n_layers, ==, 3);
  g_assert_cmpuint (mline->simulcast.ssrcs[0], ==, 111);
}

int
main (int argc, char **argv)
{
  int result;

  g_test_init (&argc, &argv, NULL);
  opus = group_codec_new (111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
  vp8 = group_codec_new (96, "VP8", 90000, 0, NULL);
  vp8->rtx_pt = 97;
  g_test_add_func ("/sfu/simulcast-sdp/parse-rids", test_parse_rids);
  g_test_add_func ("/sfu/simulcast-sdp/parse-rid-variants", test_parse_rid_variants);
  g_test_add_func ("/sfu/simulcast-sdp/parse-sim-group", test_parse_sim_group);
  g_test_add_func ("/sfu/simulcast-sdp/answer-rids", test_answer_rids);
  g_test_add_func ("/sfu/simulcast-sdp/rids-need-extension", test_rids_need_extension);
  g_test_add_func ("/sfu/simulcast-sdp/sim-group-session", test_sim_group_session);
  result = g_test_run ();
  group_codec_free (opus);
  group_codec_free (vp8);
  return result;
}
