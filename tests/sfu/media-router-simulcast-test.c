/* convokerouter with a simulcast publisher: A sends its video as three
 * layers, announced by SSRC (a=ssrc-group:SIM, set-track-layer) or by RID
 * (set-track-rids, learned from the RID header extension); B and C each
 * have a slot carrying A's video and get one layer each, switching when
 * asked at the new layer's key frame.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "media-router-fixture.h"

#include <string.h>

#define N_LAYERS 3
#define MID_ID 4
#define RID_ID 10

static const guint32 layer_ssrcs[N_LAYERS] = { 0xa1000000u, 0xa1000001u, 0xa1000002u };
static const char *const rids[N_LAYERS + 1] = { "q", "h", "f", NULL };

/* A's layers: their sequence numbers, timestamps and picture ids. */
typedef struct
{
  guint16 seq[N_LAYERS];
  guint32 ts[N_LAYERS];
  guint16 picture_id[N_LAYERS];
  gboolean with_rid;
  /* Each layer's payload size (0: 20 bytes), for tests that need the
   * layers' bitrates to differ. */
  guint payload_size[N_LAYERS];
} Publisher;

/* A one-packet VP8 frame of @layer, with a 15-bit picture id, and the
 * layer's number in the payload so that we can tell what was forwarded. */
static GstBuffer *
layer_packet (Publisher *p, guint layer, gboolean keyframe)
{
  guint size = p->payload_size[layer] > 0 ? p->payload_size[layer] : 20;
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (size, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, PT_VP8_IN);
  gst_rtp_buffer_set_ssrc (&rtp, layer_ssrcs[layer]);
  gst_rtp_buffer_set_seq (&rtp, p->seq[layer]++);
  gst_rtp_buffer_set_timestamp (&rtp, p->ts[layer]);
  gst_rtp_buffer_set_marker (&rtp, TRUE);
  payload = gst_rtp_buffer_get_payload (&rtp);
  memset (payload, 0x40, size);
  payload[0] = 0x90; /* X, S, PID 0 */
  payload[1] = 0x80; /* I: a picture id */
  payload[2] = 0x80 | (guint8) (p->picture_id[layer] >> 8);
  payload[3] = (guint8) p->picture_id[layer];
  payload[4] = keyframe ? 0x10 : 0x11; /* P bit of the VP8 header */
  payload[5] = (guint8) layer;
  gst_rtp_buffer_unmap (&rtp);
  if (p->with_rid)
    {
      gst_rtp_buffer_map (buffer, GST_MAP_READWRITE, &rtp);
      g_assert_true (gst_rtp_buffer_add_extension_onebyte_header (&rtp, MID_ID, "1", 1));
      g_assert_true (gst_rtp_buffer_add_extension_onebyte_header (
          &rtp, RID_ID, rids[layer], strlen (rids[layer])));
      gst_rtp_buffer_unmap (&rtp);
    }
  p->ts[layer] += 3000;
  p->picture_id[layer] = (p->picture_id[layer] + 1) & 0x7fff;
  return buffer;
}

/* One frame of every layer; @keyframes has a bit per layer. (A slot
 * takes the best layer it has seen so far, so the tests start with a frame
 * of delta frames: every layer is known before the first key frames.) */
static void
push_frame (Fixture *f, Publisher *p, guint keyframes)
{
  for (guint layer = 0; layer < N_LAYERS; layer++)
    push (f->peers[0].rtp_in, layer_packet (p, layer, (keyframes >> layer) & 1));
}

/* What @peer got since the last call: the layer of each packet, checking
 * that it all came as one stream on @slot (SSRC, sequence numbers one
 * apart, picture ids one apart, rising timestamps). */
typedef struct
{
  guint16 last_seq;
  guint32 last_ts;
  guint16 last_picture_id;
  gboolean started;
} Received;

static GString *
received_layers (Peer *peer, guint32 slot, Received *r)
{
  GString *layers = g_string_new (NULL);
  GstBuffer *buffer;

  while ((buffer = collected_pop (&peer->rtp)) != NULL)
    {
      Parsed parsed = parse_rtp (buffer); /* takes @buffer */
      guint16 picture_id
          = (guint16) (((parsed.payload[2] & 0x7f) << 8) | parsed.payload[3]);

      g_assert_cmphex (parsed.ssrc, ==, slot);
      g_assert_cmpuint (parsed.pt, ==, PT_VP8_OUT);
      g_assert_false (parsed.extension);
      if (r->started)
        {
          g_assert_cmpuint ((guint16) (parsed.seq - r->last_seq), ==, 1);
          g_assert_cmpuint ((guint16) (picture_id - r->last_picture_id) & 0x7fff, ==, 1);
          g_assert_cmpuint (parsed.rtp_time - r->last_ts, >=, 3000);
          g_assert_cmpuint (parsed.rtp_time - r->last_ts, <, 90000);
        }
      r->started = TRUE;
      r->last_seq = parsed.seq;
      r->last_ts = parsed.rtp_time;
      r->last_picture_id = picture_id;
      g_string_append_printf (layers, "%u", parsed.payload[5]);
    }
  return layers;
}

static void
publish (Fixture *f, gboolean by_rid)
{
  gboolean ok = FALSE;

  if (by_rid)
    {
      g_autoptr (GstCaps) caps = gst_caps_from_string (
          "application/x-rtp, payload=(int)100, media=(string)video, "
          "encoding-name=(string)VP8, clock-rate=(int)90000, "
          "extmap-4=(string)urn:ietf:params:rtp-hdrext:sdes:mid, "
          "extmap-10=(string)urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");

      g_signal_emit_by_name (f->router, "set-payloads", "A", caps, &ok);
      g_assert_true (ok);
      g_signal_emit_by_name (f->router, "set-track-rids", "A", NULL, "1", rids, &ok);
      g_assert_true (ok);
    }
  else
    {
      set_payloads (f, "A");
      for (guint layer = 0; layer < N_LAYERS; layer++)
        {
          g_signal_emit_by_name (f->router, "set-track-layer", "A", layer_ssrcs[layer], 0,
                                 NULL, layer, &ok);
          g_assert_true (ok);
        }
    }
  /* Every key frame request goes out at once, so that they can be counted. */
  g_object_set (f->router, "keyframe-request-interval", 0, NULL);
  set_slot (f, "B", SLOT_B_VIDEO, "video", PT_VP8_OUT, "A");
  set_slot (f, "C", SLOT_C_VIDEO, "video", PT_VP8_OUT, "A");
  set_sending (f, "A");
  set_sending (f, "B");
  set_sending (f, "C");
}

static void
test_one_layer_each (Fixture *f, gconstpointer data)
{
  gboolean by_rid = GPOINTER_TO_UINT (data);
  Publisher p
      = { { 100, 20000, 65530 }, { 1, 500000, 90000000 }, { 5, 300, 32760 }, by_rid };
  Received b = { 0 }, c = { 0 };
  g_autoptr (GString) to_b = NULL, to_c = NULL, more_b = NULL, more_c = NULL;
  g_autoptr (GString) after_b = NULL, after_c = NULL;
  gboolean ok = FALSE;

  publish (f, by_rid);
  /* C asks for the low layer before anything flows. */
  g_signal_emit_by_name (f->router, "set-slot-layer", "C", SLOT_C_VIDEO, 0, &ok);
  g_assert_true (ok);
  push_frame (f, &p, 0);
  push_frame (f, &p, 0x7);
  for (guint i = 0; i < 4; i++)
    push_frame (f, &p, 0);
  to_b = received_layers (&f->peers[1], SLOT_B_VIDEO, &b);
  to_c = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_cmpstr (to_b->str, ==, "22222");
  g_assert_cmpstr (to_c->str, ==, "00000");

  /* C goes up and B down: each waits for its new layer's key frame,
   * which is asked for, and carries its old layer meanwhile. */
  collected_clear (&f->peers[0].rtcp);
  g_signal_emit_by_name (f->router, "set-slot-layer", "C", SLOT_C_VIDEO, 2, &ok);
  g_signal_emit_by_name (f->router, "set-slot-layer", "B", SLOT_B_VIDEO, 1, &ok);
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, layer_ssrcs[2]), ==, 1);
  push_frame (f, &p, 0);
  push_frame (f, &p, 0x1); /* a key frame of a layer nobody waits for */
  more_b = received_layers (&f->peers[1], SLOT_B_VIDEO, &b);
  more_c = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_cmpstr (more_b->str, ==, "22");
  g_assert_cmpstr (more_c->str, ==, "00");
  push_frame (f, &p, 0x6);
  push_frame (f, &p, 0);
  after_b = received_layers (&f->peers[1], SLOT_B_VIDEO, &b);
  after_c = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  /* (C's layer 0 frame came before layer 2's key frame in that frame.) */
  g_assert_cmpstr (after_b->str, ==, "11");
  g_assert_cmpstr (after_c->str, ==, "022");
  /* Each layer is a stream of A's, reported on and known to the router. */
  g_assert_cmpuint (router_stat (f, "A", "rtp-received"), ==, 10 * N_LAYERS);
}

/* A NACK from C names a packet it got from the layer it is on: answered
 * with that packet, rewritten as it was the first time. */
static void
test_nack_on_layer (Fixture *f, gconstpointer data)
{
  Publisher p = { { 100, 200, 300 }, { 1, 2, 3 }, { 1, 2, 3 }, FALSE };
  Received c = { 0 };
  g_autoptr (GString) to_c = NULL;
  GstBuffer *first, *again; /* parse_rtp takes them */
  Parsed sent, resent;
  guint8 fci[4];
  gboolean ok = FALSE;

  (void) data;
  publish (f, FALSE);
  g_signal_emit_by_name (f->router, "set-slot-layer", "C", SLOT_C_VIDEO, 1, &ok);
  push_frame (f, &p, 0);
  push_frame (f, &p, 0x7);
  first = collected_pop (&f->peers[2].rtp);
  g_assert_nonnull (first);
  sent = parse_rtp (first);
  push_frame (f, &p, 0);
  to_c = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_cmpstr (to_c->str, ==, "1");

  fci[0] = (guint8) (sent.seq >> 8);
  fci[1] = (guint8) sent.seq;
  fci[2] = fci[3] = 0;
  push (f->peers[2].rtcp_in,
        feedback_packet (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, SLOT_C_VIDEO, fci,
                         1));
  again = collected_pop (&f->peers[2].rtp);
  g_assert_nonnull (again);
  resent = parse_rtp (again);
  g_assert_cmphex (resent.ssrc, ==, SLOT_C_VIDEO);
  g_assert_cmpuint (resent.seq, ==, sent.seq);
  g_assert_cmpuint (resent.rtp_time, ==, sent.rtp_time);
  g_assert_cmpmem (resent.payload, resent.payload_len, sent.payload, sent.payload_len);
  g_assert_cmpuint (resent.payload[5], ==, 1);
}

/* A PLI from a subscriber asks for a key frame of the layer it gets. */
static void
test_pli_to_current_layer (Fixture *f, gconstpointer data)
{
  Publisher p = { { 100, 200, 300 }, { 1, 2, 3 }, { 1, 2, 3 }, FALSE };
  gboolean ok = FALSE;

  (void) data;
  publish (f, FALSE);
  g_signal_emit_by_name (f->router, "set-slot-layer", "C", SLOT_C_VIDEO, 0, &ok);
  push_frame (f, &p, 0);
  push_frame (f, &p, 0x7);
  collected_clear (&f->peers[0].rtcp);
  push (f->peers[2].rtcp_in, feedback_packet (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI,
                                              SLOT_C_VIDEO, NULL, 0));
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, layer_ssrcs[0]), ==, 1);
  push (f->peers[1].rtcp_in, feedback_packet (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI,
                                              SLOT_B_VIDEO, NULL, 0));
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, layer_ssrcs[2]), ==, 1);
}

/* A slot that starts while the layers flow goes straight for the top one:
 * the key frame asked for is that layer's, and it does not start on a
 * lower layer whose key frame comes first. */
static void
test_late_slot (Fixture *f, gconstpointer data)
{
  Publisher p = { { 100, 200, 300 }, { 1, 2, 3 }, { 1, 2, 3 }, FALSE };
  Received c = { 0 };
  g_autoptr (GString) first = NULL, then = NULL;
  gboolean ok = FALSE;

  (void) data;
  publish (f, FALSE);
  g_signal_emit_by_name (f->router, "remove-slot", "C", SLOT_C_VIDEO, &ok);
  g_assert_true (ok);
  push_frame (f, &p, 0x7);
  push_frame (f, &p, 0);
  collected_clear (&f->peers[0].rtcp);
  set_slot (f, "C", SLOT_C_VIDEO, "video", PT_VP8_OUT, "A");
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, layer_ssrcs[2]), ==, 1);
  push_frame (f, &p, 0x1);
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, layer_ssrcs[0]), ==, 0);
  first = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_cmpstr (first->str, ==, "");
  push_frame (f, &p, 0x4);
  push_frame (f, &p, 0);
  then = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_cmpstr (then->str, ==, "22");
}

/* RID simulcast with RTX: a retransmission on an SSRC nobody announced,
 * whose repaired RID header extension names layer "h", repairs that
 * layer's stream, and what it carries reaches the subscriber on "h". */
static void
test_rid_rtx (Fixture *f, gconstpointer data)
{
  Publisher p = { { 100, 200, 300 }, { 1, 2, 3 }, { 1, 2, 3 }, TRUE };
  g_autoptr (GstCaps) caps = gst_caps_from_string (
      "application/x-rtp, payload=(int)100, media=(string)video, "
      "encoding-name=(string)VP8, clock-rate=(int)90000, "
      "extmap-4=(string)urn:ietf:params:rtp-hdrext:sdes:mid, "
      "extmap-10=(string)urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id; "
      "application/x-rtp, payload=(int)102, media=(string)video, "
      "encoding-name=(string)RTX, clock-rate=(int)90000, apt=(int)100, "
      "extmap-4=(string)urn:ietf:params:rtp-hdrext:sdes:mid, "
      "extmap-11=(string)urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id");
  GstBuffer *lost, *rtx;
  GstRTPBuffer in = GST_RTP_BUFFER_INIT, out = GST_RTP_BUFFER_INIT;
  guint16 lost_seq;
  guint8 *payload;
  gboolean ok = FALSE;
  guint n = 0;
  Parsed parsed;

  (void) data;
  publish (f, TRUE);
  g_signal_emit_by_name (f->router, "set-payloads", "A", caps, &ok);
  g_assert_true (ok);
  g_signal_emit_by_name (f->router, "set-slot-layer", "B", SLOT_B_VIDEO, 1, &ok);
  push_frame (f, &p, 0);
  push_frame (f, &p, 0x7);
  collected_clear (&f->peers[1].rtp);

  /* Layer h's next packet is lost on the way; its RTX comes later. */
  lost_seq = p.seq[1];
  lost = layer_packet (&p, 1, FALSE);
  push_frame (f, &p, 0);
  g_assert_cmpuint (collected_count (&f->peers[1].rtp), ==, 1);
  collected_clear (&f->peers[1].rtp);

  gst_rtp_buffer_map (lost, GST_MAP_READ, &in);
  rtx = gst_rtp_buffer_new_allocate (gst_rtp_buffer_get_payload_len (&in) + 2, 0, 0);
  gst_rtp_buffer_map (rtx, GST_MAP_WRITE, &out);
  gst_rtp_buffer_set_payload_type (&out, 102);
  gst_rtp_buffer_set_ssrc (&out, 0xa1990001u);
  gst_rtp_buffer_set_seq (&out, 7);
  gst_rtp_buffer_set_timestamp (&out, gst_rtp_buffer_get_timestamp (&in));
  payload = gst_rtp_buffer_get_payload (&out);
  payload[0] = (guint8) (lost_seq >> 8);
  payload[1] = (guint8) lost_seq;
  memcpy (payload + 2, gst_rtp_buffer_get_payload (&in),
          gst_rtp_buffer_get_payload_len (&in));
  gst_rtp_buffer_unmap (&out);
  gst_rtp_buffer_unmap (&in);
  gst_buffer_unref (lost);
  gst_rtp_buffer_map (rtx, GST_MAP_READWRITE, &out);
  g_assert_true (gst_rtp_buffer_add_extension_onebyte_header (&out, MID_ID, "1", 1));
  g_assert_true (gst_rtp_buffer_add_extension_onebyte_header (&out, 11, "h", 1));
  gst_rtp_buffer_unmap (&out);
  push (f->peers[0].rtp_in, rtx);

  n = collected_count (&f->peers[1].rtp);
  g_assert_cmpuint (n, ==, 1);
  parsed = parse_rtp (collected_pop (&f->peers[1].rtp));
  g_assert_cmphex (parsed.ssrc, ==, SLOT_B_VIDEO);
  g_assert_cmpuint (parsed.payload[5], ==, 1);
  g_assert_cmpuint (router_stat (f, "A", "rtx-received"), ==, 1);
}

static void
test_bad_arguments (Fixture *f, gconstpointer data)
{
  const char *const too_many[] = { "a", "b", "c", "d", "e", NULL };
  const char *const with_space[] = { "a b", NULL };
  gboolean ok = TRUE;

  (void) data;
  g_signal_emit_by_name (f->router, "set-track-layer", "A", 0u, 0u, NULL, 0u, &ok);
  g_assert_false (ok);
  g_signal_emit_by_name (f->router, "set-track-layer", "A", 5u, 0u, NULL, 9u, &ok);
  g_assert_false (ok);
  g_signal_emit_by_name (f->router, "set-track-rids", "A", NULL, "1", too_many, &ok);
  g_assert_false (ok);
  g_signal_emit_by_name (f->router, "set-track-rids", "A", NULL, "1", with_space, &ok);
  g_assert_false (ok);
  g_signal_emit_by_name (f->router, "set-track-rids", "A", NULL, NULL, NULL, &ok);
  g_assert_false (ok);
  g_signal_emit_by_name (f->router, "set-slot-layer", "B", 12345u, 0u, &ok);
  g_assert_false (ok);
}

/* A REMB from a subscriber: @bitrate (below 2^18) for @ssrc. */
static GstBuffer *
remb_packet (guint32 ssrc, guint32 bitrate)
{
  guint8 fci[12] = { 'R', 'E', 'M', 'B' };

  g_assert_cmpuint (bitrate, <, 1u << 18);
  fci[4] = 1; /* one SSRC, exponent 0 */
  fci[5] = (guint8) (bitrate >> 16);
  fci[6] = (guint8) (bitrate >> 8);
  fci[7] = (guint8) bitrate;
  fci[8] = (guint8) (ssrc >> 24);
  fci[9] = (guint8) (ssrc >> 16);
  fci[10] = (guint8) (ssrc >> 8);
  fci[11] = (guint8) ssrc;
  return feedback_packet (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_AFB, 0, fci, 3);
}

static guint
slot_stat (Fixture *f, const char *id, const char *field)
{
  g_autoptr (GstStructure) stats = NULL;
  const GstStructure *participant = NULL;
  guint value = 0;

  g_object_get (f->router, "stats", &stats, NULL);
  g_assert_true (gst_structure_get (stats, id, GST_TYPE_STRUCTURE, &participant, NULL));
  g_assert_true (gst_structure_get_uint (participant, field, &value));
  gst_structure_free ((GstStructure *) participant);
  return value;
}

/* Frames of every layer, 50 ms apart, for @n frames (the first of them
 * with @keyframes): the router measures each layer's bitrate over a
 * second. */
static void
push_frames_in_time (Fixture *f, Publisher *p, guint n, guint keyframes)
{
  for (guint i = 0; i < n; i++)
    {
      push_frame (f, p, i == 0 ? keyframes : 0);
      g_usleep (50 * 1000);
    }
}

/* C's REMB says its link takes less than the top layer: the router
 * moves C, and only C, to the middle layer, at that layer's key frame,
 * which it asks for. A REMB of 0 changes nothing. */
static void
test_remb_lowers_layer (Fixture *f, gconstpointer data)
{
  /* About 20, 70 and 260 kbit/s at 20 frames a second. */
  Publisher p = { { 100, 200, 300 }, { 1, 2, 3 }, { 1, 2, 3 }, FALSE, { 100, 400, 1600 } };
  Received b = { 0 }, c = { 0 };
  g_autoptr (GString) to_b = NULL, to_c = NULL, more_b = NULL, more_c = NULL;
  g_autoptr (GString) after_b = NULL, after_c = NULL;

  (void) data;
  publish (f, FALSE);
  g_assert_true (g_object_class_find_property (G_OBJECT_GET_CLASS (f->router),
                                               "bandwidth-estimation"));
  push_frame (f, &p, 0);
  push_frames_in_time (f, &p, 26, 0x7);
  to_b = received_layers (&f->peers[1], SLOT_B_VIDEO, &b);
  to_c = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_true (g_str_has_suffix (to_b->str, "2222"));
  g_assert_true (g_str_has_suffix (to_c->str, "2222"));

  /* B's REMB of nothing is counted and ignored. */
  push (f->peers[1].rtcp_in, remb_packet (SLOT_B_VIDEO, 0));
  g_assert_cmpuint (router_stat (f, "B", "remb-received"), ==, 1);
  g_assert_cmpuint (router_stat (f, "B", "bandwidth-estimate"), ==, 0);

  collected_clear (&f->peers[0].rtcp);
  push (f->peers[2].rtcp_in, remb_packet (SLOT_C_VIDEO, 100000));
  g_assert_cmpuint (router_stat (f, "C", "remb-received"), ==, 1);
  g_assert_cmpuint (router_stat (f, "C", "bandwidth-estimate"), ==, 100000);
  g_assert_cmpuint (slot_stat (f, "C", "layers-limited"), ==, 1);
  g_assert_cmpuint (slot_stat (f, "B", "layers-limited"), ==, 0);
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, layer_ssrcs[1]), ==, 1);

  /* Until the middle layer's key frame, C keeps the top one. */
  push_frame (f, &p, 0);
  push_frame (f, &p, 0x5);
  more_b = received_layers (&f->peers[1], SLOT_B_VIDEO, &b);
  more_c = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_cmpstr (more_b->str, ==, "22");
  g_assert_cmpstr (more_c->str, ==, "22");
  push_frame (f, &p, 0x2);
  push_frame (f, &p, 0);
  after_b = received_layers (&f->peers[1], SLOT_B_VIDEO, &b);
  after_c = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_cmpstr (after_b->str, ==, "22");
  g_assert_cmpstr (after_c->str, ==, "11");
}

/* A receiver report from C: @fraction_lost (of 256) of its video. */
static GstBuffer *
receiver_report (guint32 slot, guint8 fraction_lost)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1000);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet));
  gst_rtcp_packet_rr_set_ssrc (&packet, 0x12345678);
  g_assert_true (gst_rtcp_packet_add_rb (&packet, slot, fraction_lost, 10, 1000, 0, 0, 0));
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

/* C's receiver reports say a quarter of its packets are lost: its
 * estimate falls below the top layer, and it goes to the middle one. B,
 * whose reports show no loss, stays. */
static void
test_loss_lowers_layer (Fixture *f, gconstpointer data)
{
  Publisher p = { { 100, 200, 300 }, { 1, 2, 3 }, { 1, 2, 3 }, FALSE, { 100, 400, 1600 } };
  Received b = { 0 }, c = { 0 };
  g_autoptr (GString) to_b = NULL, to_c = NULL;

  (void) data;
  publish (f, FALSE);
  push_frame (f, &p, 0);
  push_frames_in_time (f, &p, 26, 0x7);
  g_string_free (received_layers (&f->peers[1], SLOT_B_VIDEO, &b), TRUE);
  g_string_free (received_layers (&f->peers[2], SLOT_C_VIDEO, &c), TRUE);

  push (f->peers[1].rtcp_in, receiver_report (SLOT_B_VIDEO, 0));
  collected_clear (&f->peers[0].rtcp);
  push (f->peers[2].rtcp_in, receiver_report (SLOT_C_VIDEO, 64));
  g_assert_cmpuint (router_stat (f, "B", "bandwidth-estimate"), ==, 0);
  g_assert_cmpuint (router_stat (f, "C", "bandwidth-estimate"), >, 0);
  g_assert_cmpuint (slot_stat (f, "C", "layers-limited"), ==, 1);
  g_assert_cmpuint (slot_stat (f, "B", "layers-limited"), ==, 0);
  g_assert_cmpuint (count_plis (&f->peers[0].rtcp, layer_ssrcs[1]), ==, 1);
  push_frame (f, &p, 0x2);
  push_frame (f, &p, 0);
  to_b = received_layers (&f->peers[1], SLOT_B_VIDEO, &b);
  to_c = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_cmpstr (to_b->str, ==, "22");
  g_assert_cmpstr (to_c->str, ==, "11");
}

/* The same REMB with bandwidth estimation off: C keeps the top layer. */
static void
test_remb_ignored_when_off (Fixture *f, gconstpointer data)
{
  Publisher p = { { 100, 200, 300 }, { 1, 2, 3 }, { 1, 2, 3 }, FALSE, { 100, 400, 1600 } };
  Received c = { 0 };
  g_autoptr (GString) to_c = NULL;

  (void) data;
  publish (f, FALSE);
  g_object_set (f->router, "bandwidth-estimation", FALSE, NULL);
  push_frame (f, &p, 0);
  push_frames_in_time (f, &p, 26, 0x7);
  push (f->peers[2].rtcp_in, remb_packet (SLOT_C_VIDEO, 100000));
  g_assert_cmpuint (router_stat (f, "C", "remb-received"), ==, 1);
  g_assert_cmpuint (slot_stat (f, "C", "layers-limited"), ==, 0);
  push_frame (f, &p, 0x7);
  push_frame (f, &p, 0);
  to_c = received_layers (&f->peers[2], SLOT_C_VIDEO, &c);
  g_assert_true (g_str_has_suffix (to_c->str, "2222"));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/media/router-simulcast/one-layer-each/ssrc-group", Fixture,
              GUINT_TO_POINTER (FALSE), fixture_set_up, test_one_layer_each,
              fixture_tear_down);
  g_test_add ("/media/router-simulcast/one-layer-each/rid", Fixture,
              GUINT_TO_POINTER (TRUE), fixture_set_up, test_one_layer_each,
              fixture_tear_down);
  g_test_add ("/media/router-simulcast/nack-on-layer", Fixture, NULL, fixture_set_up,
              test_nack_on_layer, fixture_tear_down);
  g_test_add ("/media/router-simulcast/pli-to-current-layer", Fixture, NULL,
              fixture_set_up, test_pli_to_current_layer, fixture_tear_down);
  g_test_add ("/media/router-simulcast/rid-rtx", Fixture, NULL, fixture_set_up,
              test_rid_rtx, fixture_tear_down);
  g_test_add ("/media/router-simulcast/late-slot", Fixture, NULL, fixture_set_up,
              test_late_slot, fixture_tear_down);
  g_test_add ("/media/router-simulcast/bad-arguments", Fixture, NULL, fixture_set_up,
              test_bad_arguments, fixture_tear_down);
  g_test_add ("/media/router-simulcast/remb-lowers-layer", Fixture, NULL, fixture_set_up,
              test_remb_lowers_layer, fixture_tear_down);
  g_test_add ("/media/router-simulcast/loss-lowers-layer", Fixture, NULL, fixture_set_up,
              test_loss_lowers_layer, fixture_tear_down);
  g_test_add ("/media/router-simulcast/remb-ignored-when-off", Fixture, NULL,
              fixture_set_up, test_remb_ignored_when_off, fixture_tear_down);
  return g_test_run ();
}
