/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "relay-publisher.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>

#include "convoke-client-session.h"

#define JOIN_TIMEOUT_MS 15000
#define CLOSE_TIMEOUT_MS 10000

/* The same encoders and RTP caps as convoke-client. */
#define VIDEO_SOURCE                                                                     \
  "videotestsrc is-live=true pattern=ball ! "                                            \
  "video/x-raw,width=320,height=240,framerate=15/1 ! videoconvert ! "                    \
  "vp8enc deadline=1 cpu-used=4 keyframe-max-dist=45 ! "                                 \
  "rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit"
#define VIDEO_CAPS                                                                       \
  "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
#define AUDIO_SOURCE                                                                     \
  "audiotestsrc is-live=true wave=pink-noise ! audioconvert ! audioresample ! "          \
  "opusenc ! rtpopuspay pt=111"
#define AUDIO_CAPS                                                                       \
  "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,"       \
  "encoding-params=(string)2"

typedef struct
{
  GMutex lock;
  GPtrArray *packets; /* GBytes* */
} PacketLog;

struct _RelayPublisher
{
  GstPipeline *pipeline;
  ConvokeClientSession *session;
  PacketLog sent;
  PacketLog received;
  gboolean joined;
  gboolean closed;
};

static void
packet_log_init (PacketLog *log)
{
  g_mutex_init (&log->lock);
  log->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
packet_log_clear (PacketLog *log)
{
  g_clear_pointer (&log->packets, g_ptr_array_unref);
  g_mutex_clear (&log->lock);
}

static gboolean
log_buffer (GstBuffer **buffer, guint idx, gpointer user_data)
{
  PacketLog *log = user_data;
  GstMapInfo map;

  if (!gst_buffer_map (*buffer, &map, GST_MAP_READ))
    return TRUE;
  g_mutex_lock (&log->lock);
  g_ptr_array_add (log->packets, g_bytes_new (map.data, map.size));
  g_mutex_unlock (&log->lock);
  gst_buffer_unmap (*buffer, &map);
  return TRUE;
}

/* Runs on streaming threads. */
static GstPadProbeReturn
log_packets (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

      log_buffer (&buffer, 0, user_data);
    }
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), log_buffer,
                             user_data);
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstPad *pad, PacketLog *log)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     log_packets, log, NULL);
}

static void
publish (RelayPublisher *publisher, const char *kind, const char *description,
         const char *caps_text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_text);
  g_autoptr (GstPad) src = NULL;
  GstElement *bin = gst_parse_bin_from_description (description, TRUE, &error);

  g_assert_no_error (error);
  /* What the payloader hands to webrtcbin is the plaintext. */
  src = gst_element_get_static_pad (bin, "src");
  add_probe (src, &publisher->sent);
  g_assert_true (convoke_client_session_add_track (publisher->session, kind, kind, bin,
                                                   caps, &error));
  g_assert_no_error (error);
}

/* What webrtcbin hands out is decrypted: log it, then throw it away. */
static void
on_track_added (ConvokeClientSession *session, ConvokeRemoteTrack *track,
                RelayPublisher *publisher)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (publisher->pipeline), sink);
  add_probe (sink_pad, &publisher->received);
  gst_element_sync_state_with_parent (sink);
  g_assert_cmpint (gst_pad_link (convoke_remote_track_get_pad (track), sink_pad), ==,
                   GST_PAD_LINK_OK);
}

static void
on_joined (ConvokeClientSession *session, RelayPublisher *publisher)
{
  publisher->joined = TRUE;
}

static void
on_warning (ConvokeClientSession *session, GError *error, RelayPublisher *publisher)
{
  g_test_message ("relay publisher: warning: %s (%d)", error->message, error->code);
}

static void
on_error (ConvokeClientSession *session, GError *error, RelayPublisher *publisher)
{
  g_test_message ("relay publisher: error: %s (%d)", error->message, error->code);
}

static void
on_closed (ConvokeClientSession *session, RelayPublisher *publisher)
{
  publisher->closed = TRUE;
}

static gboolean
joined_or_closed (gpointer data)
{
  RelayPublisher *publisher = data;

  return publisher->joined || publisher->closed;
}

RelayPublisher *
relay_publisher_join (TestDaemon *d, const char *identity, const char *room)
{
  RelayPublisher *publisher = g_new0 (RelayPublisher, 1);
  const char *loopback[] = { "127.0.0.1", NULL };
  g_autofree char *token = test_daemon_token (d, identity, room);
  g_autoptr (GError) error = NULL;

  packet_log_init (&publisher->sent);
  packet_log_init (&publisher->received);
  publisher->pipeline = GST_PIPELINE (gst_pipeline_new ("relay-publisher"));
  publisher->session = convoke_client_session_new (GST_BIN (publisher->pipeline));
  g_object_set (publisher->session, "relay-only", TRUE, "local-addresses", loopback,
                "client-name", "test-turn-ciphertext", NULL);
  g_signal_connect (publisher->session, "joined", G_CALLBACK (on_joined), publisher);
  g_signal_connect (publisher->session, "track-added", G_CALLBACK (on_track_added),
                    publisher);
  g_signal_connect (publisher->session, "warning", G_CALLBACK (on_warning), publisher);
  g_signal_connect (publisher->session, "error", G_CALLBACK (on_error), publisher);
  g_signal_connect (publisher->session, "closed", G_CALLBACK (on_closed), publisher);

  publish (publisher, "video", VIDEO_SOURCE, VIDEO_CAPS);
  publish (publisher, "audio", AUDIO_SOURCE, AUDIO_CAPS);
  g_assert_cmpint (
      gst_element_set_state (GST_ELEMENT (publisher->pipeline), GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_true (convoke_client_session_connect (publisher->session, d->base_url, token,
                                                 room, &error));
  g_assert_no_error (error);
  test_wait_until (joined_or_closed, publisher, JOIN_TIMEOUT_MS);
  g_assert_true (publisher->joined);
  return publisher;
}

static gboolean
closed (gpointer data)
{
  return ((RelayPublisher *) data)->closed;
}

void
relay_publisher_leave (RelayPublisher *publisher)
{
  convoke_client_session_leave (publisher->session);
  test_wait_until (closed, publisher, CLOSE_TIMEOUT_MS);
  gst_element_set_state (GST_ELEMENT (publisher->pipeline), GST_STATE_NULL);
  g_clear_object (&publisher->session);
  gst_clear_object (&publisher->pipeline);
  packet_log_clear (&publisher->sent);
  packet_log_clear (&publisher->received);
  g_free (publisher);
}

static GPtrArray *
packet_log_copy (PacketLog *log)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_mutex_lock (&log->lock);
  for (guint i = 0; i < log->packets->len; i++)
    g_ptr_array_add (copy, g_bytes_ref (g_ptr_array_index (log->packets, i)));
  g_mutex_unlock (&log->lock);
  return copy;
}

GPtrArray *
relay_publisher_sent (RelayPublisher *publisher)
{
  return packet_log_copy (&publisher->sent);
}

GPtrArray *
relay_publisher_received (RelayPublisher *publisher)
{
  return packet_log_copy (&publisher->received);
}

guint
relay_publisher_n_received (RelayPublisher *publisher)
{
  guint n;

  g_mutex_lock (&publisher->received.lock);
  n = publisher->received.packets->len;
  g_mutex_unlock (&publisher->received.lock);
  return n;
}

/* The first element made by @factory_name anywhere in the pipeline. */
static GstElement *
find_element (RelayPublisher *publisher, const char *factory_name)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (publisher->pipeline));
  g_auto (GValue) item = G_VALUE_INIT;
  GstElement *found = NULL;

  while (found == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *element = g_value_get_object (&item);
      GstElementFactory *factory = gst_element_get_factory (element);

      if (factory != NULL
          && g_strcmp0 (gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory)),
                        factory_name)
                 == 0)
        found = gst_object_ref (element);
      g_value_reset (&item);
    }
  return found;
}

static char *
enum_nick (GObject *object, const char *property)
{
  GParamSpec *pspec
      = g_object_class_find_property (G_OBJECT_GET_CLASS (object), property);
  g_auto (GValue) value = G_VALUE_INIT;
  GEnumValue *nick;

  g_assert_nonnull (pspec);
  g_value_init (&value, pspec->value_type);
  g_object_get_property (object, property, &value);
  nick = g_enum_get_value (G_PARAM_SPEC_ENUM (pspec)->enum_class,
                           g_value_get_enum (&value));
  return g_strdup (nick ? nick->value_nick : "?");
}

GBytes *
relay_publisher_srtp_key (RelayPublisher *publisher, guint *tag_len)
{
  g_autoptr (GstElement) srtpenc = find_element (publisher, "srtpenc");
  g_autoptr (GstBuffer) key = NULL;
  g_autofree char *cipher = NULL;
  g_autofree char *auth = NULL;
  GstMapInfo map;
  GBytes *bytes;

  if (srtpenc == NULL)
    return NULL;
  g_object_get (srtpenc, "key", &key, NULL);
  if (key == NULL || !gst_buffer_map (key, &map, GST_MAP_READ))
    return NULL;
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (key, &map);

  cipher = enum_nick (G_OBJECT (srtpenc), "rtp-cipher");
  auth = enum_nick (G_OBJECT (srtpenc), "rtp-auth");
  g_test_message ("SRTP profile: cipher %s, auth %s, %zu bytes of master key and salt",
                  cipher, auth, g_bytes_get_size (bytes));
  /* AES-GCM authenticates with its own 16-byte tag (RFC 7714). */
  if (strstr (cipher, "gcm") != NULL)
    *tag_len = 16;
  else if (g_str_equal (auth, "hmac-sha1-80"))
    *tag_len = 10;
  else if (g_str_equal (auth, "hmac-sha1-32"))
    *tag_len = 4;
  else
    *tag_len = 0;
  return bytes;
}

static void
collect_sdp_secrets (GstWebRTCSessionDescription *description, GPtrArray *secrets)
{
  g_autofree char *text = NULL;
  g_autoptr (GRegex) regex = NULL;
  g_autoptr (GMatchInfo) match = NULL;

  if (description == NULL)
    return;
  text = gst_sdp_message_as_text (description->sdp);
  regex = g_regex_new ("^a=(ice-pwd|fingerprint):(?:\\S+ )?(\\S+)\\s*$",
                       G_REGEX_MULTILINE, 0, NULL);
  for (g_regex_match (regex, text, 0, &match); g_match_info_matches (match);
       g_match_info_next (match, NULL))
    g_ptr_array_add (secrets, g_match_info_fetch (match, 2));
}

GPtrArray *
relay_publisher_sdp_secrets (RelayPublisher *publisher)
{
  g_autoptr (GstElement) webrtcbin = find_element (publisher, "webrtcbin");
  GPtrArray *secrets = g_ptr_array_new_with_free_func (g_free);
  GstWebRTCSessionDescription *local = NULL;
  GstWebRTCSessionDescription *remote = NULL;

  g_assert_nonnull (webrtcbin);
  g_object_get (webrtcbin, "current-local-description", &local,
                "current-remote-description", &remote, NULL);
  collect_sdp_secrets (local, secrets);
  collect_sdp_secrets (remote, secrets);
  g_clear_pointer (&local, gst_webrtc_session_description_free);
  g_clear_pointer (&remote, gst_webrtc_session_description_free);
  return secrets;
}
