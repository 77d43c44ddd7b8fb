/* The webrtcbin clients of the media tests: they publish a test pattern and
 * a tone, answer (or make) offers through the fake worker host, and count
 * what they decode per publisher.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define GST_USE_UNSTABLE_API
#include "media-test-private.h"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "test-time.h"

void
media_client_free (MediaClient *client)
{
  g_clear_pointer (&client->mid_publisher, g_hash_table_unref);
  g_clear_pointer (&client->video_frames, g_hash_table_unref);
  g_clear_pointer (&client->audio_buffers, g_hash_table_unref);
  g_clear_pointer (&client->first_frame, g_hash_table_unref);
  g_clear_pointer (&client->video_received, g_hash_table_unref);
  g_mutex_clear (&client->lock);
  g_free (client->sid);
  g_free (client);
}

void
media_client_stop (MediaClient *client)
{
  client->left = TRUE;
  if (client->pipeline != NULL)
    {
      gst_element_set_state (client->pipeline, GST_STATE_NULL);
      gst_clear_object (&client->pipeline);
      client->webrtc = NULL;
    }
}

/* Work handed from webrtcbin's threads to the main thread. */
typedef void (*ClientFunc) (MediaClient *client, gpointer data);

typedef struct
{
  MediaClient *client;
  ClientFunc func;
  gpointer data;
  GDestroyNotify destroy;
} ClientCall;

static gboolean
client_call_run (gpointer user_data)
{
  ClientCall *call = user_data;

  if (!call->client->left)
    call->func (call->client, call->data);
  return G_SOURCE_REMOVE;
}

static void
client_call_free (gpointer user_data)
{
  ClientCall *call = user_data;

  if (call->destroy != NULL && call->data != NULL)
    call->destroy (call->data);
  g_free (call);
}

static void
client_invoke (MediaClient *client, ClientFunc func, gpointer data,
               GDestroyNotify destroy)
{
  ClientCall *call = g_new0 (ClientCall, 1);

  call->client = client;
  call->func = func;
  call->data = data;
  call->destroy = destroy;
  /* An idle source, not g_main_context_invoke(), which would run the call
   * on this thread whenever the main context is not being iterated. */
  g_idle_add_full (G_PRIORITY_DEFAULT, client_call_run, call, client_call_free);
}

static void
client_send_command (MediaClient *client, const char *cmd, const char *first_member, ...)
{
  g_autoptr (JsonObject) command = json_object_new ();
  const char *member;
  va_list args;

  json_object_set_string_member (command, "cmd", cmd);
  json_object_set_string_member (command, "participant", client->sid);
  va_start (args, first_member);
  for (member = first_member; member != NULL; member = va_arg (args, const char *))
    json_object_set_string_member (command, member, va_arg (args, const char *));
  va_end (args);
  media_room_command (client->room, command);
}

static void
client_send_description (MediaClient *client, GstWebRTCSessionDescription *description)
{
  g_autofree char *sdp = gst_sdp_message_as_text (description->sdp);

  client_send_command (client, "remote-description", "sdp_type",
                       gst_webrtc_sdp_type_to_string (description->type), "sdp", sdp,
                       NULL);
}

/* Without trickle, the answer goes once gathering is complete, with
 * every candidate inside. */
static void
client_maybe_send_gathered_answer (MediaClient *client, gpointer unused)
{
  GstWebRTCICEGatheringState state;
  GstWebRTCSessionDescription *description = NULL;

  if (!client->answer_waits)
    return;
  g_object_get (client->webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  client->answer_waits = FALSE;
  g_object_get (client->webrtc, "local-description", &description, NULL);
  client_send_description (client, description);
  gst_webrtc_session_description_free (description);
}

static void
client_on_local_set_main (MediaClient *client, gpointer data)
{
  GstWebRTCSessionDescription *description = data;

  if (description->type == GST_WEBRTC_SDP_TYPE_ANSWER
      && (client->flags & MEDIA_CLIENT_NO_TRICKLE))
    {
      client->answer_waits = TRUE;
      client_maybe_send_gathered_answer (client, NULL);
      return;
    }
  client_send_description (client, description);
}

typedef struct
{
  MediaClient *client;
  GstWebRTCSessionDescription *description;
} LocalSet;

static void
client_on_local_set (GstPromise *promise, gpointer user_data)
{
  LocalSet *set = user_data;

  gst_promise_unref (promise);
  client_invoke (set->client, client_on_local_set_main, set->description,
                 (GDestroyNotify) gst_webrtc_session_description_free);
  g_free (set);
}

static void
client_set_local_main (MediaClient *client, gpointer data)
{
  LocalSet *set = g_new0 (LocalSet, 1);

  set->client = client;
  set->description = gst_webrtc_session_description_copy (data);
  g_signal_emit_by_name (
      client->webrtc, "set-local-description", data,
      gst_promise_new_with_change_func (client_on_local_set, set, NULL));
}

static void
client_on_created (GstPromise *promise, gpointer user_data)
{
  MediaClient *client = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *description = NULL;

  if (reply != NULL)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &description,
                       NULL);
  if (reply != NULL && description == NULL)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &description,
                       NULL);
  gst_promise_unref (promise);
  g_assert_nonnull (description);
  client_invoke (client, client_set_local_main, description,
                 (GDestroyNotify) gst_webrtc_session_description_free);
}

static void
client_create_answer_main (MediaClient *client, gpointer unused)
{
  g_signal_emit_by_name (
      client->webrtc, "create-answer", NULL,
      gst_promise_new_with_change_func (client_on_created, client, NULL));
}

static void
client_on_remote_offer_set (GstPromise *promise, gpointer user_data)
{
  gst_promise_unref (promise);
  client_invoke (user_data, client_create_answer_main, NULL, NULL);
}

/* Which publisher each mid carries, from a=msid in the server's SDP. */
static void
client_learn_mids (MediaClient *client, GstSDPMessage *sdp)
{
  g_mutex_lock (&client->lock);
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
      const char *mid = gst_sdp_media_get_attribute_val (media, "mid");
      const char *msid = gst_sdp_media_get_attribute_val (media, "msid");

      if (mid != NULL && msid != NULL)
        g_hash_table_insert (client->mid_publisher, g_strdup (mid),
                             g_strndup (msid, strcspn (msid, " ")));
    }
  g_mutex_unlock (&client->lock);
}

static void
client_handle_description (MediaClient *client, const char *type, const char *text)
{
  GstSDPMessage *sdp = NULL;
  GstWebRTCSessionDescription *description;
  gboolean offer = g_str_equal (type, "offer");

  /* The server gives way when offers cross; so does the browser-like
   * client here: it drops the server's offer and waits for the answer. */
  if (offer && client->offer_outstanding)
    return;
  if (!offer)
    client->offer_outstanding = FALSE;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  client_learn_mids (client, sdp);
  description = gst_webrtc_session_description_new (
      offer ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name (
      client->webrtc, "set-remote-description", description,
      offer ? gst_promise_new_with_change_func (client_on_remote_offer_set, client, NULL)
            : NULL);
  gst_webrtc_session_description_free (description);
}

void
media_client_handle_event (MediaClient *client, JsonObject *event)
{
  const char *name = json_object_get_string_member (event, "event");

  if (g_str_equal (name, "local-description"))
    client_handle_description (client, json_object_get_string_member (event, "sdp_type"),
                               json_object_get_string_member (event, "sdp"));
  else if (g_str_equal (name, "local-candidate"))
    {
      const char *candidate = json_object_get_string_member (event, "candidate");

      if (*candidate != '\0')
        g_signal_emit_by_name (
            client->webrtc, "add-ice-candidate",
            (guint) json_object_get_int_member (event, "sdpMLineIndex"), candidate);
    }
  else if (g_str_equal (name, "connected"))
    client->connected_us = g_get_monotonic_time ();
}

typedef struct
{
  guint mline;
  char *candidate;
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *candidate = data;

  g_free (candidate->candidate);
  g_free (candidate);
}

static void
client_send_candidate_main (MediaClient *client, gpointer data)
{
  Candidate *candidate = data;
  g_autoptr (JsonObject) command = json_object_new ();

  json_object_set_string_member (command, "cmd", "remote-candidate");
  json_object_set_string_member (command, "participant", client->sid);
  json_object_set_string_member (command, "candidate", candidate->candidate);
  json_object_set_int_member (command, "sdpMLineIndex", candidate->mline);
  media_room_command (client->room, command);
}

static void
client_on_ice_candidate (GstElement *webrtc, guint mline, const char *text,
                         gpointer user_data)
{
  MediaClient *client = user_data;
  Candidate *candidate;

  if (client->flags & MEDIA_CLIENT_NO_TRICKLE)
    return;
  candidate = g_new0 (Candidate, 1);
  candidate->mline = mline;
  candidate->candidate = g_strdup (text);
  client_invoke (client, client_send_candidate_main, candidate, candidate_free);
}

static void
client_on_gathering_state (GObject *webrtc, GParamSpec *pspec, gpointer user_data)
{
  client_invoke (user_data, client_maybe_send_gathered_answer, NULL, NULL);
}

typedef struct
{
  MediaClient *client;
  char *publisher;
  gboolean video;
} Counter;

static void
counter_free (gpointer data)
{
  Counter *counter = data;

  g_free (counter->publisher);
  g_free (counter);
}

static GstPadProbeReturn
count_decoded (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Counter *counter = user_data;
  MediaClient *client = counter->client;
  GHashTable *table;

  g_mutex_lock (&client->lock);
  table = counter->video ? client->video_frames : client->audio_buffers;
  g_hash_table_insert (
      table, g_strdup (counter->publisher),
      GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (table, counter->publisher))
                        + 1));
  if (counter->video && !g_hash_table_contains (client->first_frame, counter->publisher))
    g_hash_table_insert (
        client->first_frame, g_strdup (counter->publisher),
        g_memdup2 (&(gint64){ g_get_monotonic_time () }, sizeof (gint64)));
  g_mutex_unlock (&client->lock);
  return GST_PAD_PROBE_OK;
}

static void
video_received_free (gpointer data)
{
  MediaVideoReceived *received = data;

  gst_clear_object (&received->pad);
  g_free (received);
}

static GstPadProbeReturn
note_video_rtp (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  MediaVideoReceived *received = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  (void) pad;
  if (!gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  /* The client's lock guards the fields; the probe only writes them. */
  received->ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  received->last_seq = gst_rtp_buffer_get_seq (&rtp);
  received->seen = TRUE;
  gst_rtp_buffer_unmap (&rtp);
  return GST_PAD_PROBE_OK;
}

/* On a streaming thread: decode what a slot brings, counting per
 * publisher. */
static void
client_on_pad_added (GstElement *webrtc, GstPad *pad, gpointer user_data)
{
  MediaClient *client = user_data;
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *mid = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstPad) sink_pad = NULL;
  g_autoptr (GstPad) bin_pad = NULL;
  GstWebRTCKind kind;
  GstElement *bin;
  Counter *counter;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_object_get (pad, "transceiver", &transceiver, NULL);
  g_object_get (transceiver, "mid", &mid, "kind", &kind, NULL);

  if (kind == GST_WEBRTC_KIND_AUDIO)
    bin = gst_parse_bin_from_description (
        "rtpopusdepay ! opusdec ! fakesink name=sink sync=false async=false", TRUE,
        &error);
  else if (client->flags & MEDIA_CLIENT_H264)
    bin = gst_parse_bin_from_description ("rtph264depay ! h264parse ! openh264dec "
                                          "! fakesink name=sink sync=false async=false",
                                          TRUE, &error);
  else
    bin = gst_parse_bin_from_description (
        "rtpvp8depay ! vp8dec ! fakesink name=sink sync=false async=false", TRUE, &error);
  g_assert_no_error (error);

  counter = g_new0 (Counter, 1);
  counter->client = client;
  counter->video = kind == GST_WEBRTC_KIND_VIDEO;
  g_mutex_lock (&client->lock);
  counter->publisher = g_strdup (g_hash_table_lookup (client->mid_publisher, mid));
  g_mutex_unlock (&client->lock);
  if (counter->publisher == NULL)
    counter->publisher = g_strdup_printf ("unknown-mid-%s", mid);

  sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
  sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER, count_decoded, counter,
                     counter_free);
  if (counter->video)
    {
      MediaVideoReceived *received = g_new0 (MediaVideoReceived, 1);

      received->pad = gst_object_ref (pad);
      g_mutex_lock (&client->lock);
      g_hash_table_replace (client->video_received, g_strdup (counter->publisher),
                            received);
      g_mutex_unlock (&client->lock);
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, note_video_rtp, received, NULL);
    }

  gst_bin_add (GST_BIN (client->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  bin_pad = gst_element_get_static_pad (bin, "sink");
  g_assert_cmpint (gst_pad_link (pad, bin_pad), ==, GST_PAD_LINK_OK);
}

static void
client_set_sendonly (MediaClient *client, const char *pad_name, const char *preferences)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (client->webrtc, pad_name);
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

  g_assert_nonnull (pad);
  g_object_get (pad, "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                NULL);
  /* Without them webrtcbin matches the offer against the payloader's
   * caps, whose H.264 profile-level-id need not be the one offered. */
  if (preferences != NULL)
    {
      g_autoptr (GstCaps) caps = gst_caps_from_string (preferences);

      g_object_set (transceiver, "codec-preferences", caps, NULL);
    }
}

MediaClient *
media_client_new (MediaRoom *room, const char *sid, MediaClientFlags flags)
{
  /* The level element measures what the audio level extension carries. */
  static const char audio_format[]
      = "webrtcbin name=webrtc bundle-policy=max-bundle latency=100 "
        "audiotestsrc is-live=true wave=sine volume=%s "
        "! audio/x-raw,rate=48000,channels=1 "
        "! level audio-level-meta=true post-messages=false "
        "! opusenc bitrate=16000 "
        "! rtpopuspay pt=111 name=audiopay "
        "! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 "
        "! webrtc.sink_0 ";
  g_autofree char *audio
      = g_strdup_printf (audio_format, (flags & MEDIA_CLIENT_SILENT) ? "0" : "0.05");
  /* Key frames only when asked: late joiners depend on the router's PLIs. */
  static const char vp8[]
      = "videotestsrc is-live=true pattern=ball "
        "! video/x-raw,width=320,height=240,framerate=15/1 "
        "! vp8enc deadline=1 cpu-used=8 lag-in-frames=0 threads=1 target-bitrate=150000 "
        "keyframe-max-dist=3000 "
        "! rtpvp8pay pt=96 mtu=1200 "
        "! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 "
        "! webrtc.sink_1";
  static const char h264[]
      = "videotestsrc is-live=true pattern=ball "
        "! video/x-raw,width=320,height=240,framerate=15/1 "
        "! openh264enc bitrate=150000 gop-size=3000 complexity=low "
        "! video/x-h264,profile=constrained-baseline "
        "! rtph264pay pt=102 mtu=1200 config-interval=-1 aggregate-mode=zero-latency "
        "! application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000 "
        "! webrtc.sink_1";
  g_autofree char *description
      = g_strconcat (audio, (flags & MEDIA_CLIENT_H264) ? h264 : vp8, NULL);
  MediaClient *client = g_new0 (MediaClient, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;
  gboolean ok = FALSE;

  client->room = room;
  client->sid = g_strdup (sid);
  client->flags = flags;
  g_mutex_init (&client->lock);
  client->mid_publisher = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  client->video_frames = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  client->audio_buffers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  client->first_frame = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  client->video_received
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, video_received_free);
  g_ptr_array_add (room->all_clients, client);
  g_hash_table_insert (room->clients, client->sid, client);

  client->pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  client->webrtc = gst_bin_get_by_name (GST_BIN (client->pipeline), "webrtc");
  gst_object_unref (client->webrtc); /* the pipeline keeps it */
  if (flags & MEDIA_CLIENT_AUDIO_LEVELS)
    {
      g_autoptr (GstElement) pay
          = gst_bin_get_by_name (GST_BIN (client->pipeline), "audiopay");
      g_autoptr (GstRTPHeaderExtension) extension
          = gst_rtp_header_extension_create_from_uri (
              "urn:ietf:params:rtp-hdrext:ssrc-audio-level");

      g_assert_nonnull (extension);
      /* The id the server offers (group-sdp.h). */
      gst_rtp_header_extension_set_id (extension, 1);
      g_signal_emit_by_name (pay, "add-extension", extension);
    }

  /* libnice pins host candidates to their interface: both ends must be on
   * loopback to pair. */
  g_object_get (client->webrtc, "ice-agent", &ice, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  /* UPnP discovery would multicast on every interface of the machine. */
  g_object_set (agent, "upnp", FALSE, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &ok);
  g_assert_true (ok);

  client_set_sendonly (client, "sink_0", NULL);
  client_set_sendonly (
      client, "sink_1",
      (flags & MEDIA_CLIENT_H264)
          ? "application/x-rtp,media=video,encoding-name=H264,payload=102,"
            "clock-rate=90000,packetization-mode=(string)1"
          : NULL);
  g_signal_connect (client->webrtc, "on-ice-candidate",
                    G_CALLBACK (client_on_ice_candidate), client);
  g_signal_connect (client->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (client_on_gathering_state), client);
  g_signal_connect (client->webrtc, "pad-added", G_CALLBACK (client_on_pad_added),
                    client);
  g_assert_cmpint (gst_element_set_state (client->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  return client;
}

static void
client_create_offer_main (MediaClient *client, gpointer unused)
{
  g_signal_emit_by_name (
      client->webrtc, "create-offer", NULL,
      gst_promise_new_with_change_func (client_on_created, client, NULL));
}

void
media_client_join (MediaClient *client)
{
  g_autoptr (JsonObject) command = json_object_new ();

  json_object_set_string_member (command, "cmd", "add-participant");
  json_object_set_string_member (command, "participant", client->sid);
  json_object_set_string_member (command, "identity", client->sid);
  json_object_set_boolean_member (command, "trickle",
                                  !(client->flags & MEDIA_CLIENT_NO_TRICKLE));
  if (client->flags & MEDIA_CLIENT_AUDIO_LEVELS)
    {
      json_object_set_boolean_member (command, "dominant-speaker", TRUE);
      json_object_set_boolean_member (command, "network-quality", TRUE);
    }
  media_room_command (client->room, command);

  if (client->flags & MEDIA_CLIENT_OFFERS)
    {
      client->offer_outstanding = TRUE;
      client_create_offer_main (client, NULL);
    }
}

void
media_client_leave (MediaClient *client)
{
  client_send_command (client, "remove-participant", NULL);
  g_hash_table_remove (client->room->clients, client->sid);
  media_client_stop (client);
}

GstElement *
media_client_get_pipeline (MediaClient *client)
{
  return client->pipeline;
}

const char *
media_client_get_sid (MediaClient *client)
{
  return client->sid;
}

static guint
client_count (MediaClient *client, GHashTable *table, const char *publisher)
{
  guint count;

  g_mutex_lock (&client->lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (table, publisher));
  g_mutex_unlock (&client->lock);
  return count;
}

guint
media_client_video_frames (MediaClient *client, const char *publisher)
{
  return client_count (client, client->video_frames, publisher);
}

guint
media_client_audio_buffers (MediaClient *client, const char *publisher)
{
  return client_count (client, client->audio_buffers, publisher);
}

gint64
media_client_connected_time (MediaClient *client)
{
  return client->connected_us;
}

gint64
media_client_first_frame_time (MediaClient *client, const char *publisher)
{
  gint64 *time;
  gint64 value = 0;

  g_mutex_lock (&client->lock);
  time = g_hash_table_lookup (client->first_frame, publisher);
  if (time != NULL)
    value = *time;
  g_mutex_unlock (&client->lock);
  return value;
}

guint
media_client_nack_received_video (MediaClient *client, const char *publisher, guint back,
                                  guint count)
{
  MediaVideoReceived *received;
  g_autoptr (GstPad) pad = NULL;
  guint32 ssrc = 0;
  guint16 newest = 0;

  g_mutex_lock (&client->lock);
  received = g_hash_table_lookup (client->video_received, publisher);
  if (received != NULL && received->seen)
    {
      pad = gst_object_ref (received->pad);
      ssrc = received->ssrc;
      newest = received->last_seq;
    }
  g_mutex_unlock (&client->lock);
  if (pad == NULL)
    return 0;

  /* What rtpjitterbuffer sends when it misses a packet; the RTP session
   * behind webrtcbin's source pad turns it into an RTCP generic NACK. */
  for (guint i = 0; i < count; i++)
    {
      GstStructure *request = gst_structure_new (
          "GstRTPRetransmissionRequest", "seqnum", G_TYPE_UINT,
          (guint) (guint16) (newest - back - i), "ssrc", G_TYPE_UINT, ssrc, "delay",
          G_TYPE_UINT, 0, "deadline", G_TYPE_UINT, 100, "avg-rtt", G_TYPE_UINT, 0,
          "running-time", G_TYPE_UINT64, (guint64) 0, "retry", G_TYPE_UINT, 0,
          "frequency", G_TYPE_UINT, 0, NULL);

      gst_pad_send_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, request));
    }
  return count;
}

char *
media_client_server_fingerprint (MediaClient *client)
{
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  g_autoptr (GstWebRTCRTPSender) sender = NULL;
  g_autoptr (GstWebRTCDTLSTransport) transport = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GByteArray) der = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *hex = NULL;
  GString *fingerprint = g_string_new (NULL);

  g_signal_emit_by_name (client->webrtc, "get-transceiver", 0, &transceiver);
  g_object_get (transceiver, "sender", &sender, NULL);
  g_object_get (sender, "transport", &transport, NULL);
  g_object_get (transport, "remote-certificate", &pem, NULL);
  g_assert_nonnull (pem);
  certificate = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  g_object_get (certificate, "certificate", &der, NULL);
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  for (guint i = 0; hex[i] != '\0'; i += 2)
    g_string_append_printf (fingerprint, "%s%c%c", i ? ":" : "", g_ascii_toupper (hex[i]),
                            g_ascii_toupper (hex[i + 1]));
  return g_string_free (fingerprint, FALSE);
}

char *
media_sdp_fingerprint (const char *text)
{
  GstSDPMessage *sdp = NULL;
  const char *value;
  char *fingerprint;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  value = gst_sdp_message_get_attribute_val (sdp, "fingerprint");
  g_assert_nonnull (value);
  g_assert_true (g_str_has_prefix (value, "sha-256 "));
  fingerprint = g_strdup (value + strlen ("sha-256 "));
  gst_sdp_message_free (sdp);
  return fingerprint;
}

gboolean
media_wait_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = test_deadline (timeout_ms);

  while (!cond (data))
    {
      if (g_get_monotonic_time () >= deadline)
        return cond (data);
      /* Streaming threads change what cond reads without waking the
       * main loop: poll. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
  return TRUE;
}
