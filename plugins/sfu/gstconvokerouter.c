/* convokerouter: the forwarding core of a group room.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * SECTION:element-convokerouter
 * @title: convokerouter
 *
 * Forwards RTP between the participants of a group room (an SFU) without
 * decoding it. Each participant has up to four request pads, named after
 * it: what it sends enters on `recv_rtp_sink_%s`/`recv_rtcp_sink_%s`
 * (link them to its `dtlssrtpdec`'s `rtp_src`/`rtcp_src`), and what it is
 * sent leaves on `send_rtp_src_%s`/`send_rtcp_src_%s` (link them to its
 * `dtlssrtpenc`'s `rtp_sink_0`/`rtcp_sink_0`). Releasing a pad detaches it.
 *
 * Routing is configured with action signals:
 *
 * - #GstConvokeRouter::set-payloads tells the router which payload types a
 *   participant sends and what they carry. Its first packet with a new SSRC
 *   and a known payload type starts a stream
 *   (#GstConvokeRouter::stream-started); packets of unknown payload types
 *   are dropped. A participant publishes at most one audio and one video
 *   stream: a new SSRC of the same media replaces the previous one, unless
 *   its SSRCs were announced as tracks of their own
 *   (#GstConvokeRouter::set-track-ssrc) or as simulcast layers of one
 *   track (#GstConvokeRouter::set-track-layer,
 *   #GstConvokeRouter::set-track-rids), of which each slot forwards one
 *   (#GstConvokeRouter::set-slot-layer).
 * - #GstConvokeRouter::set-slot gives a subscriber a *slot*: an SSRC of the
 *   router's choosing (the one announced in the subscriber's SDP with
 *   `a=ssrc`) that carries a publisher's audio or video. The router
 *   rewrites SSRC, payload type, sequence numbers and timestamps per slot;
 *   when the slot's source changes (or the publisher restarts with a new
 *   SSRC), sequence numbers and timestamps continue where they were, so the
 *   subscriber sees one continuous stream. RTP header extensions are
 *   removed, since their ids were negotiated with the publisher only.
 * - #GstConvokeRouter::set-sending opens a participant's output. Nothing is
 *   pushed on its source pads before that: `dtlssrtpenc` must not see a
 *   packet before its `on-key-set`.
 *
 * Video sent to a subscriber always starts with a key frame (VP8 key
 * frames and H.264 SPS/IDR are recognised; other codecs are passed as
 * they come). Key frames are requested from the publisher with an RTCP PLI
 * on its `send_rtcp_src_%s` pad when a subscriber starts receiving, when a
 * slot starts carrying a stream, and when a subscriber sends PLI or FIR.
 * Requests for one publisher are merged: at most one PLI per
 * #GstConvokeRouter:keyframe-request-interval; a request arriving inside
 * the interval is sent when it ends unless a key frame passes first.
 *
 * Generic NACKs from subscribers are answered from a per-stream
 * retransmission cache of the last
 * #GstConvokeRouter:retransmission-cache-size video packets, rewritten for
 * that subscriber, within a per-subscriber budget; NACKs are not forwarded
 * to publishers. Instead the router NACKs a publisher itself for the
 * video packets missing from what it receives (at once, then twice more
 * 100 ms apart), and forwards those that arrive late. Sender reports
 * from publishers are forwarded to every subscriber of the stream, with
 * the slot's SSRC, timestamp offset and counts and the publisher's
 * identifier as CNAME, so that subscribers can synchronise its audio and
 * video. Every #GstConvokeRouter:report-interval the router sends each
 * publisher an RTCP receiver report about its streams and, when
 * #GstConvokeRouter:max-bitrate is set, a REMB with that bitrate.
 *
 * With #GstConvokeRouter:bandwidth-estimation (the default), each
 * subscriber's REMB and the loss in its receiver reports estimate its
 * link, and each of its slots carrying simulcast video gets the highest
 * layer that fits, never above the one it asked for
 * (#GstConvokeRouter::set-slot-layer). Audio is never held back.
 *
 * Packets are forwarded on the publisher's streaming thread, straight
 * into each subscriber's pad, without queues.
 *
 * ## Example
 *
 * The worker of a group room (modules/group/worker/group-worker.c) builds, per
 * participant:
 * |[
 *   nicesrc ! dtlssrtpdec name=dec
 *   dec.rtp_src ! router.recv_rtp_sink_PA1   dec.rtcp_src ! router.recv_rtcp_sink_PA1
 *   router.send_rtp_src_PA1 ! enc.rtp_sink_0  router.send_rtcp_src_PA1 ! enc.rtcp_sink_0
 *   dtlssrtpenc name=enc ! nicesink
 * ]|
 */

#include "gstconvokerouter.h"

#include "router-pads.h"
#include "router-simulcast-signals.h"

GST_DEBUG_CATEGORY (gst_convoke_router_debug);
#define GST_CAT_DEFAULT gst_convoke_router_debug

#define DEFAULT_MAX_BITRATE 0
#define DEFAULT_KEYFRAME_REQUEST_INTERVAL ROUTER_TABLE_DEFAULT_KEYFRAME_REQUEST_INTERVAL
#define DEFAULT_REPORT_INTERVAL 1000
#define DEFAULT_RETRANSMISSION_CACHE_SIZE ROUTER_TABLE_DEFAULT_CACHE_SIZE
#define DEFAULT_BANDWIDTH_ESTIMATION TRUE

struct _GstConvokeRouter
{
  GstElement parent;

  RouterTable *table;

  /* Properties and the report timer, under the object lock. */
  guint max_bitrate;
  guint keyframe_request_interval;
  guint report_interval;
  guint retransmission_cache_size;
  gboolean dominant_speaker;
  gboolean network_quality;
  gboolean bandwidth_estimation;
  GstClockID report_clock_id;
};

enum
{
  PROP_0,
  PROP_MAX_BITRATE,
  PROP_KEYFRAME_REQUEST_INTERVAL,
  PROP_REPORT_INTERVAL,
  PROP_RETRANSMISSION_CACHE_SIZE,
  PROP_STATS,
  PROP_DOMINANT_SPEAKER,
  PROP_NETWORK_QUALITY,
  PROP_BANDWIDTH_ESTIMATION,
};

enum
{
  SIGNAL_STREAM_STARTED,
  SIGNAL_STREAM_ENDED,
  SIGNAL_DOMINANT_SPEAKER_CHANGED,
  SIGNAL_NETWORK_QUALITY_CHANGED,
  SIGNAL_ADD_PARTICIPANT,
  SIGNAL_REMOVE_PARTICIPANT,
  SIGNAL_SET_PAYLOADS,
  SIGNAL_SET_SLOT,
  SIGNAL_SET_SLOT_RTX,
  SIGNAL_SET_SLOT_TRACK,
  SIGNAL_SET_TRACK_SSRC,
  SIGNAL_REMOVE_SLOT,
  SIGNAL_SET_SENDING,
  SIGNAL_REQUEST_KEYFRAME,
  N_SIGNALS,
};

static guint router_signals[N_SIGNALS];

G_DEFINE_TYPE (GstConvokeRouter, gst_convoke_router, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (convokerouter, "convokerouter", GST_RANK_NONE,
                             GST_TYPE_CONVOKE_ROUTER);

RouterTable *
gst_convoke_router_get_table (GstElement *router)
{
  return GST_CONVOKE_ROUTER (router)->table;
}

static void
router_emit_stream_events (GstConvokeRouter *self, GArray *events)
{
  for (guint i = 0; i < events->len; i++)
    {
      RouterStreamEvent *event = &g_array_index (events, RouterStreamEvent, i);

      if (event->kind == ROUTER_EVENT_DOMINANT_SPEAKER)
        {
          g_signal_emit (self, router_signals[SIGNAL_DOMINANT_SPEAKER_CHANGED], 0,
                         event->participant);
          continue;
        }
      if (event->kind == ROUTER_EVENT_NETWORK_QUALITY)
        {
          g_signal_emit (self, router_signals[SIGNAL_NETWORK_QUALITY_CHANGED], 0,
                         event->participant, event->level);
          continue;
        }
      g_signal_emit (
          self,
          router_signals[event->started ? SIGNAL_STREAM_STARTED : SIGNAL_STREAM_ENDED], 0,
          event->participant, event->ssrc, event->media);
    }
  g_array_set_size (events, 0);
}

static GstFlowReturn
router_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  GstConvokeRouter *self = GST_CONVOKE_ROUTER (parent);
  RouterParticipant *from = router_pad_get_participant (pad);
  RouterPadScratch *scratch = router_pad_get_scratch (pad);
  GArray *pushes = scratch->pushes;
  GArray *events = scratch->events;

  if (from != NULL)
    {
      if (router_pad_get_kind (pad) == CONVOKE_ROUTER_PAD_RECV_RTP)
        router_table_handle_rtp (self->table, from, buffer, router_pad_arrival_time (buffer),
                                 pushes, events);
      else
        router_table_handle_rtcp (self->table, from, buffer, g_get_monotonic_time (), pushes,
                                  events);
    }
  gst_buffer_unref (buffer);

  router_emit_stream_events (self, events);
  router_pads_push (GST_ELEMENT (self), pushes);
  return GST_FLOW_OK;
}

static GstPad *
router_request_new_pad (GstElement *element, GstPadTemplate *templ, const char *name,
                        const GstCaps *caps)
{
  GstConvokeRouter *self = GST_CONVOKE_ROUTER (element);

  return router_pads_request (element, self->table, templ, name, router_chain);
}

static void
router_release_pad (GstElement *element, GstPad *pad)
{
  GstConvokeRouter *self = GST_CONVOKE_ROUTER (element);

  router_pads_release (element, self->table, pad);
}

static gboolean
router_report_tick (GstClock *clock, GstClockTime time, GstClockID id, gpointer user_data)
{
  GstConvokeRouter *self = user_data;
  g_autoptr (GArray) pushes = router_pushes_new ();
  g_autoptr (GArray) events = router_stream_events_new ();

  router_table_tick (self->table, g_get_monotonic_time (), pushes, events);
  router_emit_stream_events (self, events);
  router_pads_push (GST_ELEMENT (self), pushes);
  return TRUE;
}

static void
router_start_reports (GstConvokeRouter *self)
{
  GstClock *clock = gst_system_clock_obtain ();
  GstClockTime interval;

  GST_OBJECT_LOCK (self);
  interval = self->report_interval * GST_MSECOND;
  self->report_clock_id = gst_clock_new_periodic_id (
      clock, gst_clock_get_time (clock) + interval, interval);
  gst_clock_id_wait_async (self->report_clock_id, router_report_tick,
                           gst_object_ref (self), gst_object_unref);
  GST_OBJECT_UNLOCK (self);
  gst_object_unref (clock);
}

static void
router_stop_reports (GstConvokeRouter *self)
{
  GstClockID id;

  GST_OBJECT_LOCK (self);
  id = g_steal_pointer (&self->report_clock_id);
  GST_OBJECT_UNLOCK (self);
  if (id != NULL)
    {
      gst_clock_id_unschedule (id);
      gst_clock_id_unref (id);
    }
}

static GstStateChangeReturn
router_change_state (GstElement *element, GstStateChange transition)
{
  GstConvokeRouter *self = GST_CONVOKE_ROUTER (element);
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (gst_convoke_router_parent_class)
            ->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition)
    {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      router_start_reports (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      router_stop_reports (self);
      break;
    default:
      break;
    }
  return ret;
}

static gboolean
router_add_participant (GstConvokeRouter *self, const char *id)
{
  if (id == NULL || *id == '\0')
    return FALSE;
  router_participant_unref (router_table_ensure_participant (self->table, id));
  return TRUE;
}

static gboolean
router_remove_participant (GstConvokeRouter *self, const char *id)
{
  g_autoptr (GArray) events = router_stream_events_new ();
  gboolean removed;

  if (id == NULL)
    return FALSE;
  removed = router_table_remove_participant (self->table, id, events);
  router_emit_stream_events (self, events);
  return removed;
}

static gboolean
router_set_payloads (GstConvokeRouter *self, const char *id, const GstCaps *payloads)
{
  if (id == NULL)
    return FALSE;
  return router_table_set_payloads (self->table, id, payloads);
}

static gboolean
router_set_slot_rtx (GstConvokeRouter *self, const char *subscriber, guint ssrc,
                     guint rtx_ssrc, gint rtx_pt)
{
  return router_table_set_slot_rtx (self->table, subscriber, ssrc, rtx_ssrc, rtx_pt);
}

static gboolean
router_set_slot (GstConvokeRouter *self, const char *subscriber, guint ssrc,
                 const char *media, gint pt, const char *publisher)
{
  g_autoptr (GArray) pushes = router_pushes_new ();
  gboolean ok;

  ok = router_table_set_slot (self->table, subscriber, ssrc, media, pt, publisher,
                              pushes);
  router_pads_push (GST_ELEMENT (self), pushes);
  return ok;
}

static gboolean
router_set_slot_track (GstConvokeRouter *self, const char *subscriber, guint ssrc,
                       const char *track)
{
  g_autoptr (GArray) pushes = router_pushes_new ();
  gboolean ok;

  if (subscriber == NULL)
    return FALSE;
  ok = router_table_set_slot_track (self->table, subscriber, ssrc, track, pushes);
  router_pads_push (GST_ELEMENT (self), pushes);
  return ok;
}

static gboolean
router_set_track_ssrc (GstConvokeRouter *self, const char *publisher, guint ssrc,
                       guint rtx_ssrc, const char *track)
{
  return router_table_set_track_ssrc (self->table, publisher, ssrc, rtx_ssrc, track);
}

static gboolean
router_remove_slot (GstConvokeRouter *self, const char *subscriber, guint ssrc)
{
  if (subscriber == NULL)
    return FALSE;
  return router_table_remove_slot (self->table, subscriber, ssrc);
}

static gboolean
router_set_sending (GstConvokeRouter *self, const char *id, gboolean sending)
{
  g_autoptr (GArray) pushes = router_pushes_new ();
  gboolean ok;

  if (id == NULL)
    return FALSE;
  ok = router_table_set_sending (self->table, id, sending, pushes);
  router_pads_push (GST_ELEMENT (self), pushes);
  return ok;
}

static gboolean
router_request_keyframe (GstConvokeRouter *self, const char *publisher)
{
  g_autoptr (GArray) pushes = router_pushes_new ();
  gboolean ok;

  if (publisher == NULL)
    return FALSE;
  ok = router_table_request_keyframe (self->table, publisher, pushes);
  router_pads_push (GST_ELEMENT (self), pushes);
  return ok;
}

static void
router_set_property (GObject *object, guint prop_id, const GValue *value,
                     GParamSpec *pspec)
{
  GstConvokeRouter *self = GST_CONVOKE_ROUTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_MAX_BITRATE:
      self->max_bitrate = g_value_get_uint (value);
      router_table_set_max_bitrate (self->table, self->max_bitrate);
      break;
    case PROP_KEYFRAME_REQUEST_INTERVAL:
      self->keyframe_request_interval = g_value_get_uint (value);
      router_table_set_keyframe_request_interval (self->table,
                                                  self->keyframe_request_interval);
      break;
    case PROP_REPORT_INTERVAL:
      self->report_interval = g_value_get_uint (value);
      break;
    case PROP_RETRANSMISSION_CACHE_SIZE:
      self->retransmission_cache_size = g_value_get_uint (value);
      router_table_set_retransmission_cache_size (self->table,
                                                  self->retransmission_cache_size);
      break;
    case PROP_DOMINANT_SPEAKER:
      self->dominant_speaker = g_value_get_boolean (value);
      router_table_set_dominant_speaker (self->table, self->dominant_speaker);
      break;
    case PROP_NETWORK_QUALITY:
      self->network_quality = g_value_get_boolean (value);
      router_table_set_network_quality (self->table, self->network_quality);
      break;
    case PROP_BANDWIDTH_ESTIMATION:
      self->bandwidth_estimation = g_value_get_boolean (value);
      router_table_set_bandwidth_estimation (self->table, self->bandwidth_estimation);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  GST_OBJECT_UNLOCK (self);
}

static void
router_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstConvokeRouter *self = GST_CONVOKE_ROUTER (object);

  switch (prop_id)
    {
    case PROP_STATS:
      g_value_take_boxed (value, router_table_get_stats (self->table));
      return;
    default:
      break;
    }

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_MAX_BITRATE:
      g_value_set_uint (value, self->max_bitrate);
      break;
    case PROP_KEYFRAME_REQUEST_INTERVAL:
      g_value_set_uint (value, self->keyframe_request_interval);
      break;
    case PROP_REPORT_INTERVAL:
      g_value_set_uint (value, self->report_interval);
      break;
    case PROP_RETRANSMISSION_CACHE_SIZE:
      g_value_set_uint (value, self->retransmission_cache_size);
      break;
    case PROP_DOMINANT_SPEAKER:
      g_value_set_boolean (value, self->dominant_speaker);
      break;
    case PROP_NETWORK_QUALITY:
      g_value_set_boolean (value, self->network_quality);
      break;
    case PROP_BANDWIDTH_ESTIMATION:
      g_value_set_boolean (value, self->bandwidth_estimation);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  GST_OBJECT_UNLOCK (self);
}

static void
router_finalize (GObject *object)
{
  GstConvokeRouter *self = GST_CONVOKE_ROUTER (object);

  g_clear_pointer (&self->table, router_table_free);
  G_OBJECT_CLASS (gst_convoke_router_parent_class)->finalize (object);
}

static void
gst_convoke_router_init (GstConvokeRouter *self)
{
  self->table = router_table_new (GST_ELEMENT (self));
  self->max_bitrate = DEFAULT_MAX_BITRATE;
  self->keyframe_request_interval = DEFAULT_KEYFRAME_REQUEST_INTERVAL;
  self->report_interval = DEFAULT_REPORT_INTERVAL;
  /* The table starts with the same defaults. */
  self->retransmission_cache_size = DEFAULT_RETRANSMISSION_CACHE_SIZE;
  self->bandwidth_estimation = DEFAULT_BANDWIDTH_ESTIMATION;
}

static void
install_properties (GObjectClass *object_class)
{
  /**
   * GstConvokeRouter:max-bitrate:
   *
   * The bitrate, in bits per second, announced to every publisher in an
   * RTCP REMB with each receiver report: the most a publisher should send
   * in total. 0 sends no REMB.
   */
  g_object_class_install_property (
      object_class, PROP_MAX_BITRATE,
      g_param_spec_uint ("max-bitrate", "Maximum bitrate",
                         "Bits per second announced to publishers with REMB (0 = none)",
                         0, G_MAXUINT, DEFAULT_MAX_BITRATE,
                         G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING
                             | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeRouter:keyframe-request-interval:
   *
   * The shortest time, in milliseconds, between two PLIs sent to one
   * publisher's stream. Requests inside the interval are merged into one
   * sent when it ends.
   */
  g_object_class_install_property (
      object_class, PROP_KEYFRAME_REQUEST_INTERVAL,
      g_param_spec_uint ("keyframe-request-interval", "Key frame request interval",
                         "Milliseconds between two key frame requests to one publisher",
                         0, 60000, DEFAULT_KEYFRAME_REQUEST_INTERVAL,
                         G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING
                             | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeRouter:report-interval:
   *
   * Milliseconds between two receiver reports (and REMBs) to each
   * publisher. Takes effect at the next READY to PAUSED change.
   */
  g_object_class_install_property (
      object_class, PROP_REPORT_INTERVAL,
      g_param_spec_uint ("report-interval", "Report interval",
                         "Milliseconds between receiver reports to publishers", 100,
                         60000, DEFAULT_REPORT_INTERVAL,
                         G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                             | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeRouter:retransmission-cache-size:
   *
   * How many recent packets of each video stream are kept to answer
   * NACKs. 0 disables retransmission. Applies to streams that start after
   * it is set.
   */
  g_object_class_install_property (
      object_class, PROP_RETRANSMISSION_CACHE_SIZE,
      g_param_spec_uint ("retransmission-cache-size", "Retransmission cache size",
                         "Packets kept per video stream to answer NACKs (0 = none)", 0,
                         8192, DEFAULT_RETRANSMISSION_CACHE_SIZE,
                         G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING
                             | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeRouter:stats:
   *
   * A structure named `application/x-convoke-router-stats` with one field
   * per participant, named by its identifier, holding a structure with
   * `sending` (boolean), `slots`, `audio-ssrc`, `video-ssrc` (uint, 0 when
   * none) and the uint64 counters `rtp-received`, `rtp-sent`,
   * `rtcp-received`, `rtcp-sent`, `dropped`, `keyframe-requests-received`
   * (PLI and FIR from it as a subscriber), `plis-sent` (to it as a
   * publisher), `nacks-received` (sequence numbers), `retransmitted` and
   * `retransmissions-refused` (NACKed packets over the subscriber's
   * retransmission budget: a quarter of the bytes forwarded to it, with a
   * 64 KiB burst), `retransmissions-repeated` (NACKed again less than a
   * round trip after the last retransmission, and not sent), and as a
   * publisher `nacks-sent` (sequence numbers the
   * router asked it for again), `rtx-received` (RFC 4588 packets, padding
   * included) and `packets-recovered` (missing packets that arrived late or
   * retransmitted).
   */
  /**
   * GstConvokeRouter:dominant-speaker:
   *
   * Follow the RFC 6464 audio levels of the publishers whose payload
   * types declare the extension (`extmap-N` in #GstConvokeRouter::set-payloads)
   * and emit #GstConvokeRouter::dominant-speaker-changed. Off: levels are
   * not even read.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      object_class, PROP_DOMINANT_SPEAKER,
      g_param_spec_boolean ("dominant-speaker", "Dominant speaker",
                            "Detect the dominant speaker from audio levels", FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeRouter:network-quality:
   *
   * Rate each participant's link, 0–5, from the loss and jitter of what it
   * sends, and the loss, jitter and round-trip time in its receiver
   * reports, every #GstConvokeRouter:report-interval, and emit
   * #GstConvokeRouter::network-quality-changed when a level changes.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      object_class, PROP_NETWORK_QUALITY,
      g_param_spec_boolean ("network-quality", "Network quality",
                            "Rate each participant's link from RTCP", FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  router_simulcast_property_install (object_class, PROP_BANDWIDTH_ESTIMATION,
                                     DEFAULT_BANDWIDTH_ESTIMATION);
  g_object_class_install_property (
      object_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics", "Per-participant counters",
                          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
install_signals (GObjectClass *object_class)
{
  GType type = G_TYPE_FROM_CLASS (object_class);

  /**
   * GstConvokeRouter::stream-started:
   * @router: the router
   * @participant: the publisher's identifier
   * @ssrc: the stream's SSRC
   * @media: "audio" or "video"
   *
   * The first packet of a new stream arrived. Emitted from a streaming
   * thread.
   */
  router_signals[SIGNAL_STREAM_STARTED]
      = g_signal_new ("stream-started", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstConvokeRouter::stream-ended:
   * @router: the router
   * @participant: the publisher's identifier
   * @ssrc: the stream's SSRC
   * @media: "audio" or "video"
   *
   * A stream ended: RTCP BYE, a new SSRC replacing it, or its publisher
   * was removed. Emitted from a streaming thread or the thread removing
   * the participant.
   */
  router_signals[SIGNAL_STREAM_ENDED]
      = g_signal_new ("stream-ended", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstConvokeRouter::dominant-speaker-changed:
   * @router: the router
   * @participant: (nullable): the new dominant speaker's identifier; NULL
   *   when the dominant speaker left and nobody has taken over yet
   *
   * With #GstConvokeRouter:dominant-speaker. Emitted from a streaming
   * thread or the thread removing a participant.
   *
   * Since: 0.1
   */
  router_signals[SIGNAL_DOMINANT_SPEAKER_CHANGED]
      = g_signal_new ("dominant-speaker-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstConvokeRouter::network-quality-changed:
   * @router: the router
   * @participant: the participant's identifier
   * @level: its network quality, 0 (unusable) to 5 (excellent)
   *
   * With #GstConvokeRouter:network-quality. Emitted from the clock thread
   * of the periodic reports.
   *
   * Since: 0.1
   */
  router_signals[SIGNAL_NETWORK_QUALITY_CHANGED]
      = g_signal_new ("network-quality-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT);
  /**
   * GstConvokeRouter::add-participant:
   * @router: the router
   * @participant: an identifier, not empty
   *
   * Creates the participant unless it exists (requesting one of its pads
   * does too). Returns TRUE.
   */
  router_signals[SIGNAL_ADD_PARTICIPANT] = g_signal_new_class_handler (
      "add-participant", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_add_participant), NULL, NULL, NULL, G_TYPE_BOOLEAN, 1,
      G_TYPE_STRING);
  /**
   * GstConvokeRouter::remove-participant:
   * @router: the router
   * @participant: the identifier
   *
   * Forgets the participant: its streams end (stream-ended is emitted for
   * each), slots of others that carried them go idle, its own slots are
   * removed and nothing more is sent to or accepted from its pads, which
   * the caller releases. Returns FALSE when it did not exist.
   */
  router_signals[SIGNAL_REMOVE_PARTICIPANT] = g_signal_new_class_handler (
      "remove-participant", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_remove_participant), NULL, NULL, NULL, G_TYPE_BOOLEAN, 1,
      G_TYPE_STRING);
  /**
   * GstConvokeRouter::set-payloads:
   * @router: the router
   * @participant: the identifier
   * @payloads: one structure per payload type the participant sends, e.g.
   *   `application/x-rtp, payload=(int)96, media=(string)video,
   *   encoding-name=(string)VP8, clock-rate=(int)90000`
   *
   * Replaces the participant's payload types. A structure with
   * `encoding-name=(string)RTX` and `apt=(int)PT` declares the RFC 4588
   * retransmissions of payload type PT: the router restores the packets
   * they carry and handles them as that stream's. Returns FALSE, changing
   * nothing, when a structure lacks `payload` (0–127), `media` ("audio" or
   * "video") or `clock-rate`, or an RTX one names no other payload type of
   * its media.
   */
  router_signals[SIGNAL_SET_PAYLOADS] = g_signal_new_class_handler (
      "set-payloads", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_set_payloads), NULL, NULL, NULL, G_TYPE_BOOLEAN, 2,
      G_TYPE_STRING, GST_TYPE_CAPS);
  /**
   * GstConvokeRouter::set-slot:
   * @router: the router
   * @subscriber: the identifier of the participant receiving the slot
   * @ssrc: the slot's SSRC (not 0), unique among the subscriber's slots
   * @media: "audio" or "video"
   * @pt: the payload type the subscriber expects, or -1 to keep the
   *   publisher's
   * @publisher: whose @media the slot carries, or NULL for an idle slot
   *
   * Creates or changes a slot. Returns FALSE for invalid arguments.
   */
  router_signals[SIGNAL_SET_SLOT] = g_signal_new_class_handler (
      "set-slot", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (router_set_slot),
      NULL, NULL, NULL, G_TYPE_BOOLEAN, 5, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING,
      G_TYPE_INT, G_TYPE_STRING);
  /**
   * GstConvokeRouter::set-slot-rtx:
   * @router: the router
   * @subscriber: the identifier of the participant receiving the slot
   * @ssrc: the slot's SSRC
   * @rtx_ssrc: the SSRC of the slot's retransmissions (not 0, not @ssrc)
   * @rtx_pt: the subscriber's RFC 4588 `rtx` payload type for the slot's
   *   codec, or -1 to answer NACKs by sending the packet again
   *
   * How the slot's NACKs are answered. A new slot resends packets as they
   * were; call this once the subscriber accepted RTX. Returns FALSE when
   * there is no such slot or an argument is invalid.
   */
  router_signals[SIGNAL_SET_SLOT_RTX] = g_signal_new_class_handler (
      "set-slot-rtx", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_set_slot_rtx), NULL, NULL, NULL, G_TYPE_BOOLEAN, 4, G_TYPE_STRING,
      G_TYPE_UINT, G_TYPE_UINT, G_TYPE_INT);
  /**
   * GstConvokeRouter::set-slot-track:
   * @router: the router
   * @subscriber: the identifier of the participant receiving the slot
   * @ssrc: the slot's SSRC
   * @track: one of the slot's publisher's tracks, as announced with
   *   #GstConvokeRouter::set-track-ssrc, or NULL for the publisher's first
   *   track of the slot's media (what a new slot carries)
   *
   * Which of its publisher's tracks the slot carries, for publishers that
   * send more than one of a media (a camera and a screen share). Returns
   * FALSE when there is no such slot.
   *
   * Since: 0.1
   */
  router_signals[SIGNAL_SET_SLOT_TRACK] = g_signal_new_class_handler (
      "set-slot-track", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_set_slot_track), NULL, NULL, NULL, G_TYPE_BOOLEAN, 3,
      G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstConvokeRouter::set-track-ssrc:
   * @router: the router
   * @publisher: the identifier of the publishing participant
   * @ssrc: an SSRC it sends (from its session description)
   * @rtx_ssrc: the SSRC of that stream's RFC 4588 retransmissions, or 0
   * @track: the name slots use for that stream (#GstConvokeRouter::set-slot-track),
   *   or NULL to forget the SSRC
   *
   * Without it, a publisher's streams are told apart by media only: a new
   * video SSRC replaces its video. Announced SSRCs keep a publisher's
   * tracks apart. Returns FALSE for invalid arguments.
   *
   * Since: 0.1
   */
  router_signals[SIGNAL_SET_TRACK_SSRC] = g_signal_new_class_handler (
      "set-track-ssrc", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_set_track_ssrc), NULL, NULL, NULL, G_TYPE_BOOLEAN, 4,
      G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstConvokeRouter::remove-slot:
   * @router: the router
   * @subscriber: the identifier
   * @ssrc: the slot's SSRC
   *
   * Returns FALSE when there was no such slot.
   */
  router_simulcast_signals_install (type);
  router_signals[SIGNAL_REMOVE_SLOT] = g_signal_new_class_handler (
      "remove-slot", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_remove_slot), NULL, NULL, NULL, G_TYPE_BOOLEAN, 2, G_TYPE_STRING,
      G_TYPE_UINT);
  /**
   * GstConvokeRouter::set-sending:
   * @router: the router
   * @participant: the identifier
   * @sending: whether packets may be pushed to its source pads
   *
   * Call with TRUE once the participant's `dtlssrtpenc` emitted
   * `on-key-set`. Each of its video slots then waits for a key frame,
   * which is requested. Returns TRUE.
   */
  router_signals[SIGNAL_SET_SENDING] = g_signal_new_class_handler (
      "set-sending", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_set_sending), NULL, NULL, NULL, G_TYPE_BOOLEAN, 2, G_TYPE_STRING,
      G_TYPE_BOOLEAN);
  /**
   * GstConvokeRouter::request-keyframe:
   * @router: the router
   * @publisher: the identifier
   *
   * Asks the publisher's video stream for a key frame, subject to
   * #GstConvokeRouter:keyframe-request-interval. Returns FALSE for an
   * unknown participant.
   */
  router_signals[SIGNAL_REQUEST_KEYFRAME] = g_signal_new_class_handler (
      "request-keyframe", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (router_request_keyframe), NULL, NULL, NULL, G_TYPE_BOOLEAN, 1,
      G_TYPE_STRING);
}

static void
gst_convoke_router_class_init (GstConvokeRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = router_set_property;
  object_class->get_property = router_get_property;
  object_class->finalize = router_finalize;
  install_properties (object_class);
  install_signals (object_class);

  element_class->request_new_pad = router_request_new_pad;
  element_class->release_pad = router_release_pad;
  element_class->change_state = router_change_state;
  router_pads_class_init (element_class);
  gst_element_class_set_static_metadata (
      element_class, "Convoke SFU router", "Filter/Network/RTP",
      "Forwards RTP and RTCP between the participants of a group room without decoding",
      "The Convoke authors");

  GST_DEBUG_CATEGORY_INIT (gst_convoke_router_debug, "convokerouter", 0,
                           "Convoke SFU router");
}
