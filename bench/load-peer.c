/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/app/gstappsrc.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#include "i18n.h"
#include "load-peer-private.h"

static void
remote_ssrc_free (gpointer data)
{
  RemoteSsrc *remote = data;

  g_free (remote->mid);
  g_free (remote->msid);
  g_free (remote);
}

static void
rx_state_free (gpointer data)
{
  RxState *state = data;

  g_free (state->stats.mid);
  g_free (state->stats.msid);
  load_receiver_free (state->receiver);
  g_free (state);
}

void
load_peer_snapshot_clear (LoadPeerSnapshot *snapshot)
{
  if (snapshot->rx != NULL)
    {
      for (guint i = 0; i < snapshot->rx->len; i++)
        {
          g_free (g_array_index (snapshot->rx, LoadRxStream, i).mid);
          g_free (g_array_index (snapshot->rx, LoadRxStream, i).msid);
        }
      g_clear_pointer (&snapshot->rx, g_array_unref);
    }
}

/* A compound RTCP packet (RR first, RFC 3550 §6.1) with one feedback
 * message; @fill writes its type and FCI. */
static GstBuffer *
feedback_new (LoadPeer *peer, GstRTCPType type, GstRTCPPacket *packet, GstRTCPBuffer *rtcp)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1400);

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, rtcp);
  gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_RR, packet);
  gst_rtcp_packet_rr_set_ssrc (packet, peer->rtcp_ssrc);
  gst_rtcp_buffer_add_packet (rtcp, type, packet);
  return buffer;
}

/* A generic NACK (RFC 4585 §6.2.1) for @seqs, ascending but for wraps:
 * one PID+BLP word per run of up to 17. */
static void
send_nack (LoadPeer *peer, guint32 media_ssrc, const guint16 *seqs, guint n_seqs)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstBuffer *buffer = feedback_new (peer, GST_RTCP_TYPE_RTPFB, &packet, &rtcp);
  guint16 words[2 * 32];
  guint n_words = 0;
  guint8 *fci;

  for (guint i = 0; i < n_seqs; i++)
    {
      guint16 offset = n_words > 0 ? (guint16) (seqs[i] - words[2 * (n_words - 1)]) : 0;

      if (n_words > 0 && offset >= 1 && offset <= 16)
        words[2 * (n_words - 1) + 1] |= (guint16) (1u << (offset - 1));
      else if (n_words == 0 || offset != 0)
        {
          words[2 * n_words] = seqs[i];
          words[2 * n_words + 1] = 0;
          n_words++;
        }
    }
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_RTPFB_TYPE_NACK);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, peer->rtcp_ssrc);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, media_ssrc);
  gst_rtcp_packet_fb_set_fci_length (&packet, (guint16) n_words);
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  for (guint i = 0; i < n_words; i++)
    {
      GST_WRITE_UINT16_BE (fci + i * 4, words[2 * i]);
      GST_WRITE_UINT16_BE (fci + i * 4 + 2, words[2 * i + 1]);
    }
  gst_rtcp_buffer_unmap (&rtcp);

  g_mutex_lock (&peer->lock);
  peer->rtcp.nack_sent++;
  peer->rtcp.nack_seqs_sent += n_seqs;
  g_mutex_unlock (&peer->lock);
  gst_app_src_push_buffer (GST_APP_SRC (peer->rtcp_out), buffer);
}

/* A picture loss indication (RFC 4585 §6.3.1): what a browser sends when
 * its decoder lost the chain of references. */
static void
send_pli (LoadPeer *peer, guint32 media_ssrc)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstBuffer *buffer = feedback_new (peer, GST_RTCP_TYPE_PSFB, &packet, &rtcp);

  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_PLI);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, peer->rtcp_ssrc);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, media_ssrc);
  gst_rtcp_buffer_unmap (&rtcp);

  g_mutex_lock (&peer->lock);
  peer->rtcp.pli_sent++;
  g_mutex_unlock (&peer->lock);
  gst_app_src_push_buffer (GST_APP_SRC (peer->rtcp_out), buffer);
}

/* How often a receiver reports, as browsers do about every second: Janus
 * sizes its retransmission buffer from the round trip it measures from
 * these reports (LSR/DLSR), and keeps none before it has one. */
#define RECEIVER_REPORT_INTERVAL_US G_USEC_PER_SEC

typedef struct
{
  guint32 ssrc;
  guint8 fraction_lost;
  gint32 packets_lost;
  guint32 highest_seq;
  guint32 lsr, dlsr;
} ReportBlock;

/* Called with the peer's lock held: a report block for each stream
 * received (at most 31, what one RR holds). */
static guint
collect_report_blocks (LoadPeer *peer, gint64 now_us, ReportBlock *blocks)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, peer->rx);
  while (n < 31 && g_hash_table_iter_next (&iter, NULL, &value))
    {
      RxState *state = value;
      guint64 expected = state->stats.expected;
      guint64 received = state->stats.packets - state->stats.late;
      guint64 expected_interval = expected - state->expected_prior;
      guint64 received_interval = received - state->received_prior;
      ReportBlock *block = &blocks[n++];

      block->ssrc = state->stats.ssrc;
      block->fraction_lost
          = expected_interval > received_interval && expected_interval > 0
                ? (guint8) MIN (255, ((expected_interval - received_interval) << 8)
                                         / expected_interval)
                : 0;
      block->packets_lost = (gint32) CLAMP ((gint64) expected - (gint64) received, 0, 0x7fffff);
      block->highest_seq = (guint32) state->max_ext;
      block->lsr = state->last_sr_ntp;
      /* Units of 1/65536 s. */
      block->dlsr = state->last_sr_us > 0
                        ? (guint32) ((now_us - state->last_sr_us) * 65536 / G_USEC_PER_SEC)
                        : 0;
      state->expected_prior = expected;
      state->received_prior = received;
    }
  return n;
}

static void
send_receiver_report (LoadPeer *peer, const ReportBlock *blocks, guint n_blocks)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet);
  gst_rtcp_packet_rr_set_ssrc (&packet, peer->rtcp_ssrc);
  for (guint i = 0; i < n_blocks; i++)
    gst_rtcp_packet_add_rb (&packet, blocks[i].ssrc, blocks[i].fraction_lost,
                            blocks[i].packets_lost, blocks[i].highest_seq, 0, blocks[i].lsr,
                            blocks[i].dlsr);
  gst_rtcp_buffer_unmap (&rtcp);
  gst_app_src_push_buffer (GST_APP_SRC (peer->rtcp_out), buffer);
}

/* Called with the peer's lock held. An RTX packet (RFC 4588 §4) restored
 * into @restored as the packet it repairs: its media SSRC and payload
 * type, the original sequence number from the first two payload bytes.
 * FALSE when @data is not RTX, or is padding only (bandwidth probes). */
static gboolean
restore_rtx (LoadPeer *peer, const guint8 *data, gsize size, guint8 *restored,
             gsize *restored_size, gboolean *is_rtx)
{
  gsize header;
  int apt = peer->rtx_apt[data[1] & 0x7f];
  guint32 media_ssrc;

  *is_rtx = apt >= 0;
  if (apt < 0)
    return FALSE;
  media_ssrc = GPOINTER_TO_UINT (
      g_hash_table_lookup (peer->rtx_ssrcs, GUINT_TO_POINTER (GST_READ_UINT32_BE (data + 8))));
  header = 12 + 4 * (gsize) (data[0] & 0x0f);
  if ((data[0] & 0x10) != 0 && size >= header + 4)
    header += 4 + 4 * (gsize) GST_READ_UINT16_BE (data + header + 2);
  if ((data[0] & 0x20) != 0 && size > header)
    size -= data[size - 1]; /* padding */
  if (media_ssrc == 0 || size < header + 2 || size - 2 > 1500)
    return FALSE;
  memcpy (restored, data, header);
  restored[0] &= (guint8) ~0x20;
  restored[1] = (guint8) ((data[1] & 0x80) | apt);
  memcpy (restored + 2, data + header, 2);
  GST_WRITE_UINT32_BE (restored + 8, media_ssrc);
  memcpy (restored + header, data + header + 2, size - header - 2);
  *restored_size = size - 2;
  return TRUE;
}

static gboolean
count_rtp (GstBuffer **buffer, guint index, gpointer user_data)
{
  LoadPeer *peer = user_data;
  GstMapInfo map;
  guint32 ssrc;
  guint pt;
  RxState *state;
  LoadReceiverActions actions = { 0 };
  ReportBlock blocks[31];
  guint n_blocks = 0;
  gint64 now_us = g_get_monotonic_time ();
  guint8 restored[1500];
  gsize size;
  const guint8 *data;
  gboolean is_rtx;

  if (!gst_buffer_map (*buffer, &map, GST_MAP_READ))
    return TRUE;
  if (map.size < 12)
    {
      gst_buffer_unmap (*buffer, &map);
      return TRUE;
    }
  data = map.data;
  size = map.size;

  g_mutex_lock (&peer->lock);
  if (restore_rtx (peer, map.data, map.size, restored, &size, &is_rtx))
    data = restored;
  else if (is_rtx)
    {
      /* Padding only, or a stream nobody announced: nothing to count. */
      g_mutex_unlock (&peer->lock);
      gst_buffer_unmap (*buffer, &map);
      return TRUE;
    }
  ssrc = GST_READ_UINT32_BE (data + 8);
  pt = data[1] & 0x7f;
  state = g_hash_table_lookup (peer->rx, GUINT_TO_POINTER (ssrc));
  if (state == NULL)
    {
      RemoteSsrc *remote
          = g_hash_table_lookup (peer->remote_ssrcs, GUINT_TO_POINTER (ssrc));

      state = g_new0 (RxState, 1);
      state->stats.ssrc = ssrc;
      state->stats.kind
          = peer->pt_kind[pt] >= 0 ? (LoadKind) peer->pt_kind[pt] : LOAD_KIND_AUDIO;
      state->stats.first_rx_us = g_get_monotonic_time ();
      if (remote != NULL)
        {
          state->stats.mid = g_strdup (remote->mid);
          state->stats.msid = g_strdup (remote->msid);
        }
      if (state->stats.kind == LOAD_KIND_VIDEO)
        state->receiver = load_receiver_new (
            90000, load_sender_get_clip (peer->sender)->tracks[LOAD_KIND_VIDEO].frame_period_us);
      state->base_ext = state->max_ext = GST_READ_UINT16_BE (data + 2);
      g_hash_table_insert (peer->rx, GUINT_TO_POINTER (ssrc), state);
    }
  else
    {
      gint16 delta = (gint16) (GST_READ_UINT16_BE (data + 2) - (guint16) state->max_ext);

      if (delta > 0)
        state->max_ext += (guint64) delta;
      else
        state->stats.late++;
    }
  state->stats.packets++;
  state->stats.bytes += map.size; /* as received: RTX overhead included */
  state->stats.expected = state->max_ext - state->base_ext + 1;
  if (state->receiver != NULL)
    load_receiver_packet (state->receiver, data, size, now_us, &actions);
  if (now_us - peer->last_rr_us >= RECEIVER_REPORT_INTERVAL_US)
    {
      peer->last_rr_us = now_us;
      n_blocks = collect_report_blocks (peer, now_us, blocks);
    }
  g_mutex_unlock (&peer->lock);
  gst_buffer_unmap (*buffer, &map);

  if (g_atomic_int_get (&peer->connected))
    {
      if (actions.n_nack > 0)
        send_nack (peer, ssrc, actions.nack, actions.n_nack);
      if (actions.want_keyframe)
        send_pli (peer, ssrc);
      /* One report per stream, as libwebrtc sends them (one RTP/RTCP
       * module per stream): Janus reads a round trip from the first block
       * only, for the m-line that block is about. */
      for (guint i = 0; i < n_blocks; i++)
        send_receiver_report (peer, &blocks[i], 1);
    }
  return TRUE;
}

static GstPadProbeReturn
on_rtp_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

      count_rtp (&buffer, 0, user_data);
    }
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), count_rtp, user_data);
  return GST_PAD_PROBE_OK;
}

static void
keyframe_wanted (LoadPeer *peer, guint32 media_ssrc)
{
  LoadStream *video = g_atomic_pointer_get (&peer->streams[LOAD_KIND_VIDEO]);

  /* Servers may address PLIs to the SSRC or to 0; both mean our video. */
  if (video != NULL && (media_ssrc == 0 || media_ssrc == load_stream_get_ssrc (video)))
    load_stream_request_keyframe (video);
}

/* Packets a NACK's bitmask of following lost packets names. */
static guint
bits_set (guint16 mask)
{
  guint count = 0;

  for (; mask != 0; mask &= (guint16) (mask - 1))
    count++;
  return count;
}

static gboolean
count_rtcp (GstBuffer **buffer, guint index, gpointer user_data)
{
  LoadPeer *peer = user_data;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  LoadRtcpStats found = { 0 };
  gboolean more;

  if (!gst_rtcp_buffer_validate_reduced (*buffer)
      || !gst_rtcp_buffer_map (*buffer, GST_MAP_READ, &rtcp))
    return TRUE;
  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next (&packet))
    {
      switch (gst_rtcp_packet_get_type (&packet))
        {
        case GST_RTCP_TYPE_SR:
          {
            guint32 sender;
            guint64 ntp;
            RxState *state;

            found.sr++;
            gst_rtcp_packet_sr_get_sender_info (&packet, &sender, &ntp, NULL, NULL, NULL);
            g_mutex_lock (&peer->lock);
            state = g_hash_table_lookup (peer->rx, GUINT_TO_POINTER (sender));
            if (state != NULL)
              {
                state->last_sr_ntp = (guint32) (ntp >> 16);
                state->last_sr_us = g_get_monotonic_time ();
              }
            g_mutex_unlock (&peer->lock);
          }
          break;
        case GST_RTCP_TYPE_RR:
          found.rr++;
          break;
        case GST_RTCP_TYPE_BYE:
          found.bye++;
          break;
        case GST_RTCP_TYPE_RTPFB:
          if (gst_rtcp_packet_fb_get_type (&packet) == GST_RTCP_RTPFB_TYPE_NACK)
            {
              guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
              guint words = gst_rtcp_packet_fb_get_fci_length (&packet);

              found.nack++;
              for (guint i = 0; fci != NULL && i < words; i++)
                found.nack_seqs += 1 + bits_set (GST_READ_UINT16_BE (fci + i * 4 + 2));
            }
          break;
        case GST_RTCP_TYPE_PSFB:
          switch (gst_rtcp_packet_fb_get_type (&packet))
            {
            case GST_RTCP_PSFB_TYPE_PLI:
              found.pli++;
              keyframe_wanted (peer, gst_rtcp_packet_fb_get_media_ssrc (&packet));
              break;
            case GST_RTCP_PSFB_TYPE_FIR:
              found.fir++;
              keyframe_wanted (peer, 0);
              break;
            case GST_RTCP_PSFB_TYPE_AFB:
              {
                guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);

                if (fci != NULL && gst_rtcp_packet_fb_get_fci_length (&packet) >= 1
                    && memcmp (fci, "REMB", 4) == 0)
                  found.remb++;
              }
              break;
            default:
              break;
            }
          break;
        default:
          break;
        }
    }
  gst_rtcp_buffer_unmap (&rtcp);

  g_mutex_lock (&peer->lock);
  peer->rtcp.sr += found.sr;
  peer->rtcp.rr += found.rr;
  peer->rtcp.bye += found.bye;
  peer->rtcp.nack += found.nack;
  peer->rtcp.nack_seqs += found.nack_seqs;
  peer->rtcp.pli += found.pli;
  peer->rtcp.fir += found.fir;
  peer->rtcp.remb += found.remb;
  g_mutex_unlock (&peer->lock);
  return TRUE;
}

static GstPadProbeReturn
on_rtcp_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

      count_rtcp (&buffer, 0, user_data);
    }
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), count_rtcp,
                             user_data);
  return GST_PAD_PROBE_OK;
}

static void
on_gathering_done (GroupTransport *transport, gpointer user_data)
{
  LoadPeer *peer = user_data;

  peer->gathered = TRUE;
  if (peer->callbacks.gathered != NULL)
    peer->callbacks.gathered (peer, peer->user_data);
}

static void
on_connected (GroupTransport *transport, gpointer user_data)
{
  LoadPeer *peer = user_data;

  g_atomic_int_set (&peer->connected, 1);
  if (peer->callbacks.connected != NULL)
    peer->callbacks.connected (peer, peer->user_data);
}

static void
peer_fail (LoadPeer *peer, const char *message)
{
  if (peer->failed)
    return;
  peer->failed = TRUE;
  if (peer->callbacks.failed != NULL)
    peer->callbacks.failed (peer, message, peer->user_data);
}

static void
on_transport_failed (GroupTransport *transport, const char *message, gpointer user_data)
{
  peer_fail (user_data, message);
}

static void
on_bus_error (GstBus *bus, GstMessage *message, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  gst_message_parse_error (message, &error, NULL);
  peer_fail (user_data, error->message);
}

static GstElement *
make_sink (GstBin *bin)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, NULL);
  gst_bin_add (bin, sink);
  return sink;
}

static GstElement *
make_appsrc (GstBin *bin, const char *caps_text)
{
  GstElement *src = gst_element_factory_make ("appsrc", NULL);
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_text);

  /* Never block the sender thread: a stalled peer drops its own packets. */
  g_object_set (src, "caps", caps, "is-live", TRUE, "format", GST_FORMAT_TIME,
                "max-buffers", (guint64) 512, "leaky-type", GST_APP_LEAKY_TYPE_UPSTREAM,
                "block", FALSE, NULL);
  gst_bin_add (bin, src);
  return src;
}

LoadPeer *
load_peer_new (const char *name, const char *ice_address, LoadSender *sender,
               const LoadPeerCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_autoptr (LoadPeer) peer = g_new0 (LoadPeer, 1);
  const char *addresses[] = { ice_address, NULL };
  GroupTransportConfig config = { 0 };
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstPad) rtp_src = NULL;
  g_autoptr (GstPad) rtcp_src = NULL;
  GstElement *rtp_sink, *rtcp_sink, *srtp_sender;

  peer->name = g_strdup (name);
  peer->sender = sender;
  if (callbacks != NULL)
    peer->callbacks = *callbacks;
  peer->user_data = user_data;
  g_mutex_init (&peer->lock);
  for (guint i = 0; i < G_N_ELEMENTS (peer->pt_kind); i++)
    peer->pt_kind[i] = peer->rtx_apt[i] = -1;
  for (guint k = 0; k < LOAD_N_KINDS; k++)
    {
      peer->ssrc[k] = g_random_int ();
      peer->send_pt[k] = -1;
    }
  peer->rtcp_ssrc = g_random_int ();
  peer->session_id = g_random_int ();
  peer->remote_ssrcs = g_hash_table_new_full (NULL, NULL, NULL, remote_ssrc_free);
  peer->rx = g_hash_table_new_full (NULL, NULL, NULL, rx_state_free);
  peer->rtx_ssrcs = g_hash_table_new (NULL, NULL);

  if (load_peer_local_fingerprint (error) == NULL)
    return NULL;

  config.context = g_main_context_default ();
  config.addresses = addresses;
  peer->transport = group_transport_new (name, &config, error);
  if (peer->transport == NULL)
    return NULL;
  g_signal_connect (peer->transport, "gathering-done", G_CALLBACK (on_gathering_done),
                    peer);
  g_signal_connect (peer->transport, "connected", G_CALLBACK (on_connected), peer);
  g_signal_connect (peer->transport, "failed", G_CALLBACK (on_transport_failed), peer);

  peer->pipeline = gst_pipeline_new (name);
  gst_object_ref_sink (peer->pipeline);
  /* The transport's sender is not a child of its bin
   * (group_transport_get_sender()): it goes beside it. */
  srtp_sender = GST_ELEMENT (group_transport_get_sender (peer->transport));
  gst_bin_add_many (GST_BIN (peer->pipeline), GST_ELEMENT (peer->transport), srtp_sender,
                    NULL);
  peer->rtp_out = make_appsrc (GST_BIN (peer->pipeline), "application/x-rtp");
  peer->rtcp_out = make_appsrc (GST_BIN (peer->pipeline), "application/x-rtcp");
  rtp_sink = make_sink (GST_BIN (peer->pipeline));
  rtcp_sink = make_sink (GST_BIN (peer->pipeline));
  if (!gst_element_link_pads (peer->rtp_out, "src", srtp_sender, "rtp_sink")
      || !gst_element_link_pads (peer->rtcp_out, "src", srtp_sender, "rtcp_sink")
      || !gst_element_link_pads (GST_ELEMENT (peer->transport), "rtp_src", rtp_sink,
                                 "sink")
      || !gst_element_link_pads (GST_ELEMENT (peer->transport), "rtcp_src", rtcp_sink,
                                 "sink"))
    {
      g_set_error (error, LOAD_PEER_ERROR, 0,
                   _ ("Could not link the elements of peer %s"), name);
      return NULL;
    }
  rtp_src = gst_element_get_static_pad (GST_ELEMENT (peer->transport), "rtp_src");
  rtcp_src = gst_element_get_static_pad (GST_ELEMENT (peer->transport), "rtcp_src");
  gst_pad_add_probe (rtp_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_rtp_probe, peer, NULL);
  gst_pad_add_probe (rtcp_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_rtcp_probe, peer, NULL);

  bus = gst_element_get_bus (peer->pipeline);
  gst_bus_add_signal_watch (bus);
  g_signal_connect (bus, "message::error", G_CALLBACK (on_bus_error), peer);

  if (gst_element_set_state (peer->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, LOAD_PEER_ERROR, 0, _ ("The pipeline of peer %s did not start"),
                   name);
      return NULL;
    }
  if (!group_transport_gather (peer->transport, error))
    return NULL;
  return g_steal_pointer (&peer);
}

void
load_peer_free (LoadPeer *peer)
{
  if (peer == NULL)
    return;
  for (guint k = 0; k < LOAD_N_KINDS; k++)
    if (peer->streams[k] != NULL)
      load_sender_stop_stream (peer->sender, peer->streams[k]);
  if (peer->transport != NULL)
    {
      g_signal_handlers_disconnect_by_data (peer->transport, peer);
      group_transport_shutdown (peer->transport);
    }
  if (peer->pipeline != NULL)
    {
      g_autoptr (GstBus) bus = gst_element_get_bus (peer->pipeline);

      g_signal_handlers_disconnect_by_data (bus, peer);
      gst_bus_remove_signal_watch (bus);
      gst_element_set_state (peer->pipeline, GST_STATE_NULL);
      gst_object_unref (peer->pipeline);
    }
  g_clear_object (&peer->transport);
  g_hash_table_unref (peer->remote_ssrcs);
  g_hash_table_unref (peer->rtx_ssrcs);
  g_hash_table_unref (peer->rx);
  g_mutex_clear (&peer->lock);
  g_free (peer->name);
  g_free (peer);
}

void
load_peer_set_answer_passive (LoadPeer *peer, gboolean passive)
{
  peer->answer_passive = passive;
}

const char *
load_peer_get_name (LoadPeer *peer)
{
  return peer->name;
}

gboolean
load_peer_is_gathered (LoadPeer *peer)
{
  return peer->gathered;
}

gboolean
load_peer_is_connected (LoadPeer *peer)
{
  return g_atomic_int_get (&peer->connected) != 0;
}

void
load_peer_start_sending (LoadPeer *peer)
{
  if (!load_peer_is_connected (peer))
    return;
  for (guint k = 0; k < LOAD_N_KINDS; k++)
    if (peer->send_pt[k] >= 0 && peer->streams[k] == NULL)
      g_atomic_pointer_set (
          &peer->streams[k],
          load_sender_add_stream (peer->sender, (LoadKind) k, GST_APP_SRC (peer->rtp_out),
                                  peer->ssrc[k], (guint8) peer->send_pt[k]));
}

void
load_peer_snapshot (LoadPeer *peer, LoadPeerSnapshot *snapshot)
{
  GHashTableIter iter;
  gpointer value;

  memset (snapshot, 0, sizeof (*snapshot));
  snapshot->rx = g_array_new (FALSE, TRUE, sizeof (LoadRxStream));
  g_mutex_lock (&peer->lock);
  g_hash_table_iter_init (&iter, peer->rx);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RxState *state = value;
      LoadRxStream copy = state->stats;

      if (state->receiver != NULL)
        {
          load_receiver_advance (state->receiver, g_get_monotonic_time ());
          load_receiver_get_stats (state->receiver, &copy.frames);
        }
      copy.mid = g_strdup (copy.mid);
      copy.msid = g_strdup (copy.msid);
      g_array_append_val (snapshot->rx, copy);
    }
  snapshot->rtcp = peer->rtcp;
  g_mutex_unlock (&peer->lock);
  for (guint k = 0; k < LOAD_N_KINDS; k++)
    if (peer->streams[k] != NULL)
      {
        snapshot->tx_active[k] = TRUE;
        load_sender_get_stats (peer->sender, peer->streams[k], &snapshot->tx[k]);
      }
}
