/* The simulcast layer switcher (plugins/sfu/router-simulcast.c) with
 * synthetic VP8 packets from a made-up publisher: three layers, each its
 * own SSRC, sequence numbers, timestamps and picture ids, sending 30
 * frames a second of two packets each on a made-up clock.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "router-simulcast.h"

#include <string.h>

#define N_LAYERS 3
#define OUT_SSRC 0x5eed0001u
#define FRAME_US (G_USEC_PER_SEC / 30)
#define FRAME_TICKS 3000 /* 90 kHz */
#define PAYLOAD 40

/* One publisher layer's RTP and VP8 state. */
typedef struct
{
  guint32 ssrc;
  guint16 seq;
  guint32 ts;
  guint16 picture_id;
  guint8 tl0;
  guint8 picture_id_bits; /* 7, 15, or 0 for none */
  gboolean with_tl0;
  gboolean with_extension; /* an RTP header extension (a RID, say) */
} Layer;

typedef struct
{
  guint8 data[12 + 8 + 6 + PAYLOAD];
  gsize size;
} Packet;

/* What the subscriber got. */
typedef struct
{
  RouterSimulcast sc;
  Layer layers[N_LAYERS];
  gint64 now_us;
  GArray *out; /* Packet, rewritten */
  guint requests[N_LAYERS];
  gint forwarded_layer; /* of the last packet forwarded */
} Fixture;

static guint16
be16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* One packet of @layer: the first or second of its current frame. */
static Packet
make_packet (Layer *layer, gboolean first, gboolean keyframe)
{
  Packet packet = { { 0 }, 0 };
  guint8 *p = packet.data;
  gsize o = 12;
  guint8 extension = 0;

  p[0] = 0x80 | (layer->with_extension ? 0x10 : 0);
  p[1] = 96 | (first ? 0 : 0x80); /* marker on the frame's last packet */
  p[2] = (guint8) (layer->seq >> 8);
  p[3] = (guint8) layer->seq;
  p[4] = (guint8) (layer->ts >> 24);
  p[5] = (guint8) (layer->ts >> 16);
  p[6] = (guint8) (layer->ts >> 8);
  p[7] = (guint8) layer->ts;
  p[8] = (guint8) (layer->ssrc >> 24);
  p[9] = (guint8) (layer->ssrc >> 16);
  p[10] = (guint8) (layer->ssrc >> 8);
  p[11] = (guint8) layer->ssrc;
  if (layer->with_extension)
    {
      /* RFC 8285 one-byte header, one element (id 10, "1"), padded. */
      p[o++] = 0xbe, p[o++] = 0xde, p[o++] = 0, p[o++] = 1;
      p[o++] = 0xa0, p[o++] = '1', p[o++] = 0, p[o++] = 0;
    }
  if (layer->picture_id_bits != 0)
    extension |= 0x80;
  if (layer->with_tl0)
    extension |= 0x40 | 0x20; /* TL0PICIDX and TID */
  p[o++] = (extension != 0 ? 0x80 : 0) | (first ? 0x10 : 0);
  if (extension != 0)
    p[o++] = extension;
  if (layer->picture_id_bits == 15)
    {
      p[o++] = 0x80 | (guint8) (layer->picture_id >> 8);
      p[o++] = (guint8) layer->picture_id;
    }
  else if (layer->picture_id_bits == 7)
    p[o++] = (guint8) (layer->picture_id & 0x7f);
  if (layer->with_tl0)
    {
      p[o++] = layer->tl0;
      p[o++] = 0; /* TID 0 */
    }
  /* VP8 payload header: P (bit 0) is 0 for a key frame. */
  memset (p + o, 0xaa, PAYLOAD);
  p[o] = keyframe ? 0x10 : 0x11;
  packet.size = o + PAYLOAD;
  layer->seq++;
  return packet;
}

static void
fixture_init (Fixture *f, guint8 picture_id_bits)
{
  router_simulcast_init (&f->sc, OUT_SSRC, 90000, TRUE);
  /* Layer 2's sequence numbers wrap soon. */
  static const guint16 seqs[N_LAYERS] = { 1000, 30000, 65500 };

  for (guint i = 0; i < N_LAYERS; i++)
    {
      f->layers[i] = (Layer){ 0x1000 + i,
                              seqs[i],
                              0x10000000u * (i + 1),
                              (guint16) (100 * (i + 1)),
                              (guint8) (50 * (i + 1)),
                              picture_id_bits,
                              FALSE,
                              FALSE };
    }
  f->now_us = 1000 * G_USEC_PER_SEC;
  f->out = g_array_new (FALSE, FALSE, sizeof (Packet));
  memset (f->requests, 0, sizeof (f->requests));
  f->forwarded_layer = -1;
}

static void
fixture_clear (Fixture *f)
{
  g_array_unref (f->out);
}

static void
feed (Fixture *f, guint layer, Packet packet)
{
  RouterSimulcastAction action = router_simulcast_packet (&f->sc, layer, packet.data,
                                                          packet.size, FALSE, f->now_us);

  if (action & ROUTER_SIMULCAST_REQUEST_KEYFRAME)
    {
      gint wanted = router_simulcast_wanted_layer (&f->sc, f->now_us);

      g_assert_cmpint (wanted, >=, 0);
      f->requests[wanted]++;
    }
  if (action & ROUTER_SIMULCAST_FORWARD)
    {
      g_assert_true (router_simulcast_rewrite (&f->sc, packet.data, packet.size));
      g_array_append_val (f->out, packet);
      f->forwarded_layer = (gint) layer;
    }
}

/* One frame time: every layer sends a frame of two packets; a layer in
 * @keyframes (bit per layer) sends a key frame. */
static void
frame (Fixture *f, guint keyframes)
{
  for (guint i = 0; i < N_LAYERS; i++)
    {
      Layer *layer = &f->layers[i];
      gboolean key = (keyframes >> i) & 1;

      feed (f, i, make_packet (layer, TRUE, key));
      feed (f, i, make_packet (layer, FALSE, key));
      layer->ts += FRAME_TICKS;
      layer->picture_id
          = (layer->picture_id + 1) & (layer->picture_id_bits == 7 ? 0x7f : 0x7fff);
      if (key)
        layer->tl0++;
    }
  f->now_us += FRAME_US;
}

#define ALL_KEYS ((1u << N_LAYERS) - 1)

/* A frame of every layer, forgetting what it asked for: every layer is
 * known to send. (Before, the subscriber wants the best layer seen so
 * far, so a start asks for each layer as it appears.) */
static void
warm_up (Fixture *f)
{
  frame (f, 0);
  memset (f->requests, 0, sizeof (f->requests));
}

static const Packet *
out_packet (Fixture *f, guint i)
{
  return &g_array_index (f->out, Packet, i);
}

/* The offset of the VP8 descriptor in a packet of ours. */
static gsize
payload_offset (const Packet *p)
{
  gsize o = 12;

  if (p->data[0] & 0x10)
    o += 4 + 4 * be16 (p->data + 14);
  return o;
}

static gint
out_picture_id (const Packet *p, guint8 bits)
{
  RouterVp8Descriptor vp8;
  gsize o = payload_offset (p);

  g_assert_true (router_vp8_parse (p->data + o, p->size - o, &vp8));
  g_assert_cmpuint (vp8.picture_id_bits, ==, bits);
  return vp8.picture_id;
}

/* Everything the subscriber got is one stream: our SSRC, sequence numbers
 * without a gap, timestamps that never go back and rise by at least a
 * frame between frames, picture ids one apart from frame to frame. A
 * switch may cut the old layer's last frame short (its last packet never
 * comes); the decoder drops it and starts from the key frame after it. */
static void
assert_continuous (Fixture *f, guint8 picture_id_bits)
{
  guint16 mask = picture_id_bits == 7 ? 0x7f : 0x7fff;

  g_assert_cmpuint (f->out->len, >, 1);
  for (guint i = 0; i < f->out->len; i++)
    g_assert_cmphex (be32 (out_packet (f, i)->data + 8), ==, OUT_SSRC);
  for (guint i = 1; i < f->out->len; i++)
    {
      const Packet *a = out_packet (f, i - 1), *b = out_packet (f, i);
      guint32 ts_step = be32 (b->data + 4) - be32 (a->data + 4);

      g_assert_cmpuint ((guint16) (be16 (b->data + 2) - be16 (a->data + 2)), ==, 1);
      /* Within a frame one timestamp; from frame to frame at least a
       * frame's worth (more across the gap of a stopped layer). */
      if (ts_step != 0)
        {
          g_assert_cmpuint (ts_step, >=, FRAME_TICKS);
          g_assert_cmpuint (ts_step, <, 60 * FRAME_TICKS);
        }
      if (picture_id_bits != 0)
        g_assert_cmpuint (
            (out_picture_id (b, picture_id_bits) - out_picture_id (a, picture_id_bits))
                & mask,
            ==, ts_step != 0 ? 1 : 0);
    }
}

static void
test_parse_vp8 (void)
{
  Layer layer = { 1, 1, 1, 0x1234, 7, 15, TRUE, FALSE };
  Packet p = make_packet (&layer, TRUE, TRUE);
  RouterVp8Descriptor vp8;
  const guint8 short7[] = { 0x90, 0x80, 0x05 };
  const guint8 not_start[] = { 0x00, 0x10 };

  g_assert_true (router_vp8_parse (p.data + 12, p.size - 12, &vp8));
  g_assert_true (vp8.keyframe);
  g_assert_cmpuint (vp8.picture_id_bits, ==, 15);
  g_assert_cmpuint (vp8.picture_id, ==, 0x1234);
  g_assert_cmpuint (vp8.tl0, ==, 7);
  g_assert_cmpuint (vp8.header_offset, ==, 6);

  layer.picture_id_bits = 7;
  layer.picture_id = 0x55;
  layer.with_tl0 = FALSE;
  p = make_packet (&layer, TRUE, FALSE);
  g_assert_true (router_vp8_parse (p.data + 12, p.size - 12, &vp8));
  g_assert_false (vp8.keyframe);
  g_assert_cmpuint (vp8.picture_id_bits, ==, 7);
  g_assert_cmpuint (vp8.picture_id, ==, 0x55);
  g_assert_cmpuint (vp8.tl0_offset, ==, 0);

  /* A descriptor announcing more than is there. */
  g_assert_false (router_vp8_parse (short7, sizeof short7, &vp8));
  /* A continuation packet is no key frame whatever its first byte says. */
  g_assert_true (router_vp8_parse (not_start, sizeof not_start, &vp8));
  g_assert_false (vp8.keyframe);
}

/* The subscriber starts on the highest layer at its first key frame, and
 * nothing of the other layers reaches it. */
static void
test_starts_at_keyframe_of_target (void)
{
  Fixture f;

  fixture_init (&f, 15);
  for (int i = 0; i < 5; i++)
    frame (&f, 0);
  g_assert_cmpuint (f.out->len, ==, 0);
  /* It wants the top layer and asked for a key frame of it, once (and of
   * each lower layer as it appeared before the top one). */
  g_assert_cmpuint (f.requests[2], ==, 1);
  g_assert_cmpuint (f.requests[0], ==, 1);
  g_assert_cmpuint (f.requests[1], ==, 1);
  /* Key frames of the other layers do not start it. */
  frame (&f, 0x3);
  g_assert_cmpuint (f.out->len, ==, 0);
  frame (&f, 0x4);
  for (int i = 0; i < 10; i++)
    frame (&f, 0);
  g_assert_cmpuint (f.out->len, ==, 22);
  g_assert_cmpint (f.sc.current, ==, 2);
  g_assert_cmpint (f.forwarded_layer, ==, 2);
  assert_continuous (&f, 15);
  /* A retry while a switch is still waiting, not one request a packet. */
  g_assert_cmpuint (f.requests[2], ==, 1);
  fixture_clear (&f);
}

/* Down to layer 0 and up again: each switch waits for the new layer's key
 * frame while the old layer keeps flowing, and the subscriber sees one
 * stream throughout. */
static void
test_switch_continuity (gconstpointer data)
{
  guint8 bits = (guint8) GPOINTER_TO_UINT (data);
  Fixture f;
  guint before;

  fixture_init (&f, bits);
  warm_up (&f);
  if (bits == 7)
    {
      /* Layers about to wrap their 7-bit ids. */
      f.layers[0].picture_id = 120;
      f.layers[2].picture_id = 125;
    }
  frame (&f, ALL_KEYS);
  for (int i = 0; i < 5; i++)
    frame (&f, 0);
  g_assert_cmpint (f.forwarded_layer, ==, 2);

  g_assert_cmpint (router_simulcast_set_target (&f.sc, 0, f.now_us), ==, 0);
  before = f.out->len;
  for (int i = 0; i < 5; i++)
    frame (&f, 0);
  /* Still the high layer: no key frame of layer 0 yet. */
  g_assert_cmpint (f.forwarded_layer, ==, 2);
  g_assert_cmpuint (f.out->len, ==, before + 10);
  frame (&f, 0x1);
  g_assert_cmpint (f.sc.current, ==, 0);
  g_assert_cmpint (f.forwarded_layer, ==, 0);
  for (int i = 0; i < 200; i++) /* past the 7-bit wrap and a 16-bit seq wrap */
    frame (&f, 0);

  g_assert_cmpint (router_simulcast_set_target (&f.sc, 2, f.now_us), ==, 2);
  frame (&f, 0x2); /* a key frame, but of the wrong layer */
  g_assert_cmpint (f.forwarded_layer, ==, 0);
  frame (&f, 0x4);
  g_assert_cmpint (f.forwarded_layer, ==, 2);
  for (int i = 0; i < 5; i++)
    frame (&f, 0);
  assert_continuous (&f, bits);
  /* Only the key frames of the layers switched to were asked for. */
  g_assert_cmpuint (f.requests[1], ==, 0);
  fixture_clear (&f);
}

/* Layers with TL0PICIDX: it continues too. */
static void
test_tl0picidx_continuity (void)
{
  Fixture f;
  guint8 last = 0;

  fixture_init (&f, 15);
  warm_up (&f);
  for (guint i = 0; i < N_LAYERS; i++)
    f.layers[i].with_tl0 = TRUE;
  frame (&f, ALL_KEYS);
  frame (&f, ALL_KEYS);
  router_simulcast_set_target (&f.sc, 1, f.now_us);
  frame (&f, 0x2);
  frame (&f, 0x2);
  for (guint i = 0; i < f.out->len; i += 2)
    {
      const Packet *p = out_packet (&f, i);
      RouterVp8Descriptor vp8;
      gsize o = payload_offset (p);

      g_assert_true (router_vp8_parse (p->data + o, p->size - o, &vp8));
      g_assert_cmpuint (vp8.tl0_offset, !=, 0);
      if (i > 0)
        g_assert_cmpuint ((guint8) (vp8.tl0 - last), ==, 1);
      last = vp8.tl0;
    }
  g_assert_cmpuint (f.out->len, ==, 8);
  assert_continuous (&f, 15);
  fixture_clear (&f);
}

/* Header extensions (the RID) stay and are stepped over. */
static void
test_header_extension (void)
{
  Fixture f;

  fixture_init (&f, 15);
  warm_up (&f);
  for (guint i = 0; i < N_LAYERS; i++)
    f.layers[i].with_extension = TRUE;
  frame (&f, ALL_KEYS);
  router_simulcast_set_target (&f.sc, 0, f.now_us);
  frame (&f, 0x1);
  frame (&f, 0);
  g_assert_cmpuint (f.out->len, ==, 6);
  assert_continuous (&f, 15);
  fixture_clear (&f);
}

/* The target layer stops (the publisher's uplink shrank): the subscriber
 * moves to the next one down, and back up when it returns. */
static void
test_inactive_layer_falls_back (void)
{
  Fixture f;

  fixture_init (&f, 15);
  warm_up (&f);
  frame (&f, ALL_KEYS);
  g_assert_cmpint (f.forwarded_layer, ==, 2);
  /* Layer 2 goes silent; the others go on. */
  for (int i = 0; i < 45; i++)
    {
      for (guint l = 0; l < 2; l++)
        {
          feed (&f, l, make_packet (&f.layers[l], TRUE, i == 40));
          feed (&f, l, make_packet (&f.layers[l], FALSE, i == 40));
          f.layers[l].ts += FRAME_TICKS;
          f.layers[l].picture_id++;
        }
      f.now_us += FRAME_US;
    }
  g_assert_cmpuint (f.requests[1], ==, 1);
  g_assert_cmpint (f.sc.current, ==, 1);
  /* It comes back: up again at its key frame. */
  for (int i = 0; i < 3; i++)
    frame (&f, i == 1 ? 0x4 : 0);
  g_assert_cmpuint (f.requests[2], >=, 1);
  g_assert_cmpint (f.sc.current, ==, 2);
  g_assert_cmpint (f.forwarded_layer, ==, 2);
  assert_continuous (&f, 15);
  fixture_clear (&f);
}

/* A switch that no key frame answers asks again, at most once a retry
 * interval. */
static void
test_request_retried (void)
{
  Fixture f;

  fixture_init (&f, 15);
  warm_up (&f);
  frame (&f, ALL_KEYS);
  g_assert_cmpint (router_simulcast_set_target (&f.sc, 0, f.now_us), ==, 0);
  /* Asked again right away: already asked. */
  g_assert_cmpint (router_simulcast_set_target (&f.sc, 0, f.now_us), ==, -1);
  /* 2.5 s of frames without a key frame of layer 0: a request per retry
   * interval. */
  for (int i = 0; i < 75; i++)
    frame (&f, 0);
  g_assert_cmpuint (f.requests[0], ==, 75 * FRAME_US / ROUTER_SIMULCAST_REQUEST_RETRY_US);
  g_assert_cmpint (f.sc.current, ==, 2);
  /* Back to the layer it is on: nothing to ask. */
  g_assert_cmpint (router_simulcast_set_target (&f.sc, 2, f.now_us), ==, -1);
  for (int i = 0; i < 75; i++)
    frame (&f, 0);
  g_assert_cmpuint (f.requests[0], ==, 75 * FRAME_US / ROUTER_SIMULCAST_REQUEST_RETRY_US);
  g_assert_cmpuint (f.requests[2], ==, 0);
  fixture_clear (&f);
}

/* A packet reordered from before the key frame a switch started on is
 * not sent: its number would fall among the old layer's. So is one of the
 * old layer arriving after the switch. */
static void
test_late_packets_dropped (void)
{
  Fixture f;
  Packet early, late;
  guint before;

  fixture_init (&f, 15);
  warm_up (&f);
  frame (&f, ALL_KEYS);
  router_simulcast_set_target (&f.sc, 0, f.now_us);
  early = make_packet (&f.layers[0], FALSE, FALSE);
  frame (&f, 0x1);
  g_assert_cmpint (f.sc.current, ==, 0);
  before = f.out->len;
  feed (&f, 0, early);
  late = make_packet (&f.layers[2], FALSE, FALSE);
  feed (&f, 2, late);
  g_assert_cmpuint (f.out->len, ==, before);
  frame (&f, 0);
  assert_continuous (&f, 15);
  fixture_clear (&f);
}

/* A layer restarting with another SSRC waits for that encoder's key frame;
 * a reset (the subscriber's decoder restarted) waits for one too, and
 * either way the stream continues. */
static void
test_ssrc_change_and_reset (void)
{
  Fixture f;
  guint before;

  fixture_init (&f, 15);
  warm_up (&f);
  frame (&f, ALL_KEYS);
  frame (&f, 0);
  f.layers[2].ssrc = 0x2222;
  f.layers[2].seq = 7;
  before = f.out->len;
  frame (&f, 0);
  g_assert_cmpuint (f.out->len, ==, before);
  g_assert_cmpuint (f.requests[2], ==, 1);
  frame (&f, 0x4);
  g_assert_cmpuint (f.out->len, ==, before + 2);

  router_simulcast_reset (&f.sc);
  frame (&f, 0);
  g_assert_cmpuint (f.out->len, ==, before + 2);
  g_assert_cmpuint (f.requests[2], ==, 2);
  frame (&f, 0x4);
  g_assert_cmpuint (f.out->len, ==, before + 4);
  assert_continuous (&f, 15);
  fixture_clear (&f);
}

/* NACKs name what the subscriber saw: mapped back to the current layer's
 * own numbers, nothing of an earlier layer's or from the future. */
static void
test_original_seq (void)
{
  Fixture f;
  guint16 in_seq, first_out, out_seq;

  fixture_init (&f, 15);
  warm_up (&f);
  frame (&f, ALL_KEYS);
  router_simulcast_set_target (&f.sc, 0, f.now_us);
  frame (&f, 0x1);
  first_out = be16 (out_packet (&f, 2)->data + 2);
  frame (&f, 0);
  g_assert_true (router_simulcast_original_seq (&f.sc, first_out, &in_seq));
  g_assert_cmpuint (in_seq, ==, (guint16) (f.layers[0].seq - 4));
  out_seq = be16 (out_packet (&f, f.out->len - 1)->data + 2);
  g_assert_true (router_simulcast_original_seq (&f.sc, out_seq, &in_seq));
  g_assert_cmpuint (in_seq, ==, (guint16) (f.layers[0].seq - 1));
  g_assert_false (router_simulcast_original_seq (&f.sc, first_out - 1, &in_seq));
  g_assert_false (router_simulcast_original_seq (&f.sc, out_seq + 1, &in_seq));
  fixture_clear (&f);
}

/* Not an RTP packet, or a VP8 descriptor cut short: dropped. */
static void
test_malformed (void)
{
  RouterSimulcast sc;
  guint8 garbage[8] = { 0x80 };
  guint8 cut[13] = { 0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x80 };

  router_simulcast_init (&sc, OUT_SSRC, 90000, TRUE);
  g_assert_cmpint (router_simulcast_packet (&sc, 0, garbage, sizeof garbage, TRUE, 1), ==,
                   ROUTER_SIMULCAST_DROP);
  g_assert_cmpint (router_simulcast_packet (&sc, 0, cut, sizeof cut, TRUE, 1), ==,
                   ROUTER_SIMULCAST_DROP);
  g_assert_cmpint (router_simulcast_packet (&sc, ROUTER_SIMULCAST_MAX_LAYERS, cut,
                                            sizeof cut, TRUE, 1),
                   ==, ROUTER_SIMULCAST_DROP);
  g_assert_false (router_simulcast_rewrite (&sc, garbage, sizeof garbage));
}

/* Another codec: the caller says what a key frame is. */
static void
test_other_codec (void)
{
  RouterSimulcast sc;
  Layer layer = { 9, 100, 1000, 0, 0, 0, FALSE, FALSE };
  Packet a = make_packet (&layer, TRUE, FALSE), b = make_packet (&layer, TRUE, FALSE);

  router_simulcast_init (&sc, OUT_SSRC, 90000, FALSE);
  router_simulcast_set_target (&sc, 0, 1);
  g_assert_false (router_simulcast_packet (&sc, 0, a.data, a.size, FALSE, 2)
                  & ROUTER_SIMULCAST_FORWARD);
  g_assert_true (router_simulcast_packet (&sc, 0, b.data, b.size, TRUE, 3)
                 & ROUTER_SIMULCAST_FORWARD);
  g_assert_true (router_simulcast_rewrite (&sc, b.data, b.size));
  g_assert_cmphex (be32 (b.data + 8), ==, OUT_SSRC);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/router-simulcast/parse-vp8", test_parse_vp8);
  g_test_add_func ("/router-simulcast/starts-at-keyframe-of-target",
                   test_starts_at_keyframe_of_target);
  g_test_add_data_func ("/router-simulcast/switch-continuity/picture-id-15",
                        GUINT_TO_POINTER (15), test_switch_continuity);
  g_test_add_data_func ("/router-simulcast/switch-continuity/picture-id-7",
                        GUINT_TO_POINTER (7), test_switch_continuity);
  g_test_add_data_func ("/router-simulcast/switch-continuity/no-picture-id",
                        GUINT_TO_POINTER (0), test_switch_continuity);
  g_test_add_func ("/router-simulcast/tl0picidx", test_tl0picidx_continuity);
  g_test_add_func ("/router-simulcast/header-extension", test_header_extension);
  g_test_add_func ("/router-simulcast/inactive-layer-falls-back",
                   test_inactive_layer_falls_back);
  g_test_add_func ("/router-simulcast/request-retried", test_request_retried);
  g_test_add_func ("/router-simulcast/late-packets-dropped", test_late_packets_dropped);
  g_test_add_func ("/router-simulcast/ssrc-change-and-reset", test_ssrc_change_and_reset);
  g_test_add_func ("/router-simulcast/original-seq", test_original_seq);
  g_test_add_func ("/router-simulcast/malformed", test_malformed);
  g_test_add_func ("/router-simulcast/other-codec", test_other_codec);
  return g_test_run ();
}
