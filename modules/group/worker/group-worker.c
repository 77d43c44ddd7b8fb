/* The worker side of the group topology module: set-up, options, the
 * daemon's commands, and the router's stream notifications.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-worker.h"

#include <gio/gio.h>
#include <nice/interfaces.h>
#include <string.h>

#include "context-dispatch.h"
#include "group-activity.h"
#include "group-dtls-agent.h"
#include "group-recording.h"
#include "group-media-room.h"
#include "i18n.h"
#include "twilio-error.h"
#include "untrusted-json.h"

#define DEFAULT_STUN_PORT 3478

GST_DEBUG_CATEGORY (group_media_debug);
#define GST_CAT_DEFAULT group_media_debug

void
group_media_room_send_event (GroupMediaRoom *room, JsonObject *event)
{
  if (!room->tearing_down)
    room->api->worker_send_event (room->worker, event);
}

void
group_media_room_send_error (GroupMediaRoom *room, const char *participant, int code,
                             const char *message)
{
  g_autoptr (JsonObject) event = json_object_new ();

  json_object_set_string_member (event, "event", "error");
  json_object_set_string_member (event, "participant", participant);
  json_object_set_int_member (event, "code", code);
  json_object_set_string_member (event, "message", message);
  group_media_room_send_event (room, event);
}

static void
room_clear (gpointer data)
{
  GroupMediaRoom *room = data;

  g_clear_pointer (&room->participants, g_hash_table_unref);
  g_clear_pointer (&room->order, g_ptr_array_unref);
  g_clear_pointer (&room->data_tracks, g_ptr_array_unref);
  g_clear_pointer (&room->context, g_main_context_unref);
  g_free (room->pem);
  g_free (room->fingerprint);
  g_strfreev (room->addresses);
  g_free (room->stun_host);
  group_turn_cache_clear (&room->turn_cache);
  group_codec_free (room->audio_codec);
  group_codec_free (room->video_codec);
}

static void
room_release (GroupMediaRoom *room)
{
  g_atomic_rc_box_release_full (room, room_clear);
}

typedef struct
{
  GroupMediaRoom *room;
  gboolean started;
  char *participant;
  guint ssrc;
  char *kind;
} StreamNotice;

static void
stream_notice_free (gpointer data)
{
  StreamNotice *notice = data;

  room_release (notice->room);
  g_free (notice->participant);
  g_free (notice->kind);
  g_free (notice);
}

static gboolean
stream_notice_deliver (gpointer data)
{
  StreamNotice *notice = data;
  g_autoptr (JsonObject) event = NULL;

  if (notice->room->tearing_down
      || !g_hash_table_contains (notice->room->participants, notice->participant))
    return G_SOURCE_REMOVE;
  event = json_object_new ();
  json_object_set_string_member (event, "event",
                                 notice->started ? "track-started" : "track-ended");
  json_object_set_string_member (event, "participant", notice->participant);
  json_object_set_string_member (event, "kind", notice->kind);
  json_object_set_int_member (event, "ssrc", notice->ssrc);
  group_media_room_send_event (notice->room, event);
  group_recording_stream_changed (notice->room->recording, notice->participant,
                                  notice->ssrc, notice->kind, notice->started);
  return G_SOURCE_REMOVE;
}

/* Emitted on streaming threads. */
static void
on_router_stream (GstElement *router, const char *participant, guint ssrc,
                  const char *kind, GroupMediaRoom *room, gboolean started)
{
  StreamNotice *notice = g_new0 (StreamNotice, 1);

  notice->room = g_atomic_rc_box_acquire (room);
  notice->started = started;
  notice->participant = g_strdup (participant);
  notice->ssrc = ssrc;
  notice->kind = g_strdup (kind);
  convoke_context_dispatch (room->context, stream_notice_deliver, notice,
                            stream_notice_free);
}

static void
on_stream_started (GstElement *router, const char *participant, guint ssrc,
                   const char *kind, gpointer user_data)
{
  on_router_stream (router, participant, ssrc, kind, user_data, TRUE);
}

static void
on_stream_ended (GstElement *router, const char *participant, guint ssrc,
                 const char *kind, gpointer user_data)
{
  on_router_stream (router, participant, ssrc, kind, user_data, FALSE);
}

static gboolean
parse_uint_option (GroupMediaRoom *room, const char *key, guint max, guint *value,
                   GError **error)
{
  const char *text = room->api->worker_get_option (room->worker, key);
  guint64 number;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &number, NULL))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("Worker option %s=%s is not a number from 0 to %u"), key, text,
                   max);
      return FALSE;
    }
  *value = (guint) number;
  return TRUE;
}

static gboolean
parse_port_range (GroupMediaRoom *room, GError **error)
{
  const char *text = room->api->worker_get_option (room->worker, "port-range");
  g_auto (GStrv) parts = NULL;
  guint64 min, max;

  if (text == NULL)
    return TRUE;
  parts = g_strsplit (text, "-", 2);
  if (g_strv_length (parts) != 2
      || !g_ascii_string_to_unsigned (parts[0], 10, 1, 65535, &min, NULL)
      || !g_ascii_string_to_unsigned (parts[1], 10, 1, 65535, &max, NULL) || min > max)
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
          _ ("Worker option port-range=%s is not MIN-MAX with 1 ≤ MIN ≤ MAX ≤ 65535"),
          text);
      return FALSE;
    }
  room->port_min = (guint) min;
  room->port_max = (guint) max;
  return TRUE;
}

/* "stun:HOST:PORT" or "HOST[:PORT]". libnice wants an address, so a name
 * is resolved once, here. */
static gboolean
parse_stun_server (GroupMediaRoom *room, GError **error)
{
  const char *text = room->api->worker_get_option (room->worker, "stun-server");
  g_autoptr (GSocketConnectable) connectable = NULL;
  g_autofree char *host = NULL;
  guint16 port = DEFAULT_STUN_PORT;
  g_autoptr (GInetAddress) literal = NULL;

  if (text == NULL || *text == '\0')
    return TRUE;
  if (g_str_has_prefix (text, "stun:"))
    text += strlen ("stun:");
  connectable = g_network_address_parse (text, DEFAULT_STUN_PORT, NULL);
  if (connectable == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("Worker option stun-server=%s is not stun:HOST:PORT"), text);
      return FALSE;
    }
  host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));
  literal = g_inet_address_new_from_string (host);
  if (literal == NULL)
    {
      g_autolist (GInetAddress) resolved
          = g_resolver_lookup_by_name (g_resolver_get_default (), host, NULL, NULL);

      if (resolved == NULL)
        {
          g_warning ("room %s: cannot resolve the STUN server %s; continuing without it",
                     room->api->worker_get_room_sid (room->worker), host);
          return TRUE;
        }
      g_free (host);
      host = g_inet_address_to_string (resolved->data);
    }
  room->stun_host = g_steal_pointer (&host);
  room->stun_port = port;
  return TRUE;
}

/* Loopback only unless told otherwise: "auto" adds every address of the
 * machine, anything else is a comma-separated list of addresses. */
static gboolean
parse_addresses (GroupMediaRoom *room, GError **error)
{
  const char *text = room->api->worker_get_option (room->worker, "ice-addresses");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  if (text == NULL || *text == '\0')
    g_strv_builder_add (builder, "127.0.0.1");
  else if (g_str_equal (text, "auto"))
    {
      GList *ips = nice_interfaces_get_local_ips (FALSE);

      g_strv_builder_add (builder, "127.0.0.1");
      for (GList *l = ips; l != NULL; l = l->next)
        g_strv_builder_add (builder, l->data);
      g_list_free_full (ips, g_free);
    }
  else
    {
      g_auto (GStrv) parts = g_strsplit (text, ",", -1);

      for (guint i = 0; parts[i] != NULL; i++)
        {
          g_autoptr (GInetAddress) address = NULL;

          if (*g_strstrip (parts[i]) == '\0')
            continue;
          address = g_inet_address_new_from_string (parts[i]);
          if (address == NULL)
            {
              g_set_error (
                  error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                  _ ("Worker option ice-addresses=%s: “%s” is not an IP address"), text,
                  parts[i]);
              return FALSE;
            }
          g_strv_builder_add (builder, parts[i]);
        }
    }
  room->addresses = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
parse_codecs (GroupMediaRoom *room, GError **error)
{
  const char *video = room->api->worker_get_option (room->worker, "video-codec");

  room->audio_codec
      = group_codec_new (111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
  if (video == NULL || g_ascii_strcasecmp (video, "VP8") == 0)
    room->video_codec = group_codec_new (96, "VP8", 90000, 0, NULL);
  else if (g_ascii_strcasecmp (video, "H264") == 0)
    room->video_codec = group_codec_new (
        102, "H264", 90000, 0,
        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  else
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("Worker option video-codec=%s is neither VP8 nor H264"), video);
      return FALSE;
    }
  /* Retransmissions on their own SSRC and payload type (RFC 4588), the
   * payload type after the codec's, as browsers number them. */
  room->video_codec->rtx_pt = room->video_codec->pt + 1;
  return TRUE;
}

/* The SHA-256 fingerprint every participant's description carries. */
static gboolean
room_load_certificate (GroupMediaRoom *room, GError **error)
{
  g_autofree char *shared_pem = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *pem = room->api->worker_get_option (room->worker, "certificate");

  if (pem != NULL)
    {
      room->pem = g_strdup (pem);
      /* Before any participant's dtlssrtpdec: see group-dtls-agent.c. */
      if (!group_dtls_agent_use_key (pem))
        GST_INFO ("the DTLS agent did not take the room's key: it made one");
    }
  else
    {
      /* Without a pem, every dtlssrtpdec of the process uses one
       * certificate, generated here the first time. */
      GstElement *dec = gst_element_factory_make ("dtlssrtpdec", NULL);

      if (dec == NULL)
        {
          g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                       _ ("The GStreamer element dtlssrtpdec is missing "
                          "(package gstreamer1.0-plugins-bad)"));
          return FALSE;
        }
      g_object_get (dec, "pem", &shared_pem, NULL);
      gst_object_unref (dec);
      pem = shared_pem;
    }
  if (pem == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("dtlssrtpdec has no certificate"));
      return FALSE;
    }
  room->fingerprint
      = group_certificate_fingerprint (pem, G_CHECKSUM_SHA256, &local_error);
  if (room->fingerprint == NULL)
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
          _ ("The DTLS certificate (worker option certificate) is not usable: %s"),
          local_error->message);
      return FALSE;
    }
  return TRUE;
}

void
convoke_group_worker_warm_up (void)
{
  /* What a participant's transport and the room's router are made of. */
  static const char *const features[]
      = { "convokerouter", "nicesrc",  "nicesink", "dtlssrtpdec", "dtlssrtpenc",
          "sctpdec",       "sctpenc",  "funnel",   "clocksync" };

  for (guint i = 0; i < G_N_ELEMENTS (features); i++)
    {
      g_autoptr (GstElementFactory) factory = gst_element_factory_find (features[i]);
      g_autoptr (GstPluginFeature) loaded = NULL;

      if (factory != NULL)
        loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE (factory));
    }
  /* No dtlsdec is made here: the first one makes the process-wide DTLS
   * agent, which must take the room's key (group-dtls-agent.c). */
}

gboolean
convoke_group_worker_setup (ConvokeWorker *worker, const ConvokeWorkerApi *api,
                            GstPipeline *pipeline, gpointer *worker_data, GError **error)
{
  GroupMediaRoom *room = g_atomic_rc_box_new0 (GroupMediaRoom);
  guint max_bitrate = 0;

  if (group_media_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (group_media_debug, "convokegroup", 0,
                             "Convoke group rooms, worker side");
  room->worker = worker;
  room->api = api;
  room->pipeline = pipeline;
  room->context = g_main_context_ref_thread_default ();
  room->participants = g_hash_table_new (g_str_hash, g_str_equal);
  room->order = g_ptr_array_new ();
  group_data_tracks_init (room);

  if (!parse_addresses (room, error)
      || !parse_uint_option (room, "max-bitrate", G_MAXUINT, &max_bitrate, error)
      || !parse_port_range (room, error) || !parse_stun_server (room, error)
      || !parse_codecs (room, error) || !room_load_certificate (room, error))
    {
      room_release (room);
      return FALSE;
    }

  room->router = gst_element_factory_make ("convokerouter", "router");
  if (room->router == NULL)
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
          _ ("The GStreamer element convokerouter is missing: is libgstconvoke.so "
             "in the GStreamer plugin path (GST_PLUGIN_PATH)?"));
      room_release (room);
      return FALSE;
    }
  g_object_set (room->router, "max-bitrate", max_bitrate, NULL);
  g_signal_connect (room->router, "stream-started", G_CALLBACK (on_stream_started), room);
  g_signal_connect (room->router, "stream-ended", G_CALLBACK (on_stream_ended), room);
  gst_bin_add (GST_BIN (pipeline), room->router);
  room->recording = group_recording_new (room);
  room->activity = group_activity_new (room);

  *worker_data = room;
  return TRUE;
}

static gboolean
get_int (JsonObject *object, const char *name, gint64 *value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_boolean (JsonObject *object, const char *name, gboolean fallback)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

static void
handle_add_participant (GroupMediaRoom *room, const char *sid, JsonObject *message)
{
  g_autoptr (GError) error = NULL;

  if (g_hash_table_contains (room->participants, sid))
    {
      g_warning ("room %s: add-participant for %s, which is already in the room",
                 room->api->worker_get_room_sid (room->worker), sid);
      return;
    }
  GroupParticipant *participant
      = group_participant_add (room, sid, convoke_json_get_string (message, "identity"),
                               get_boolean (message, "trickle", TRUE), &error);

  if (participant == NULL)
    group_media_room_send_error (room, sid, error->code, error->message);
  else
    {
      group_session_set_reuse (participant->session,
                               get_boolean (message, "reuse-mlines", FALSE));
      group_activity_participant_added (room->activity, sid, message);
    }
}

static void
handle_remote_candidate (GroupMediaRoom *room, GroupParticipant *participant,
                         JsonObject *message, GError **error)
{
  const char *candidate = convoke_json_get_string (message, "candidate");
  gint64 index = -1;

  if (candidate == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("The candidate message has no string member “candidate”"));
      return;
    }
  if (get_int (message, "sdpMLineIndex", &index) && (index < 0 || index > G_MAXINT))
    index = G_MAXINT;
  group_participant_add_candidate (participant, candidate, (gint) index,
                                   convoke_json_get_string (message, "sdpMid"), error);
}

void
convoke_group_worker_handle_message (ConvokeWorker *worker, gpointer worker_data,
                                     JsonObject *message)
{
  GroupMediaRoom *room = worker_data;
  const char *cmd = convoke_json_get_string (message, "cmd");
  const char *sid = convoke_json_get_string (message, "participant");
  GroupParticipant *participant;
  g_autoptr (GError) error = NULL;

  if (cmd == NULL || sid == NULL)
    {
      g_warning ("room %s: ignoring a worker message without cmd or participant",
                 room->api->worker_get_room_sid (room->worker));
      return;
    }
  if (g_str_equal (cmd, "add-participant"))
    {
      handle_add_participant (room, sid, message);
      return;
    }

  participant = g_hash_table_lookup (room->participants, sid);
  if (participant == NULL)
    {
      /* It left, or its transport never started (it was told why). */
      GST_DEBUG_OBJECT (room->pipeline, "room %s: %s for unknown participant %s",
                        room->api->worker_get_room_sid (room->worker), cmd, sid);
      return;
    }

  if (g_str_equal (cmd, "remove-participant"))
    {
      group_activity_participant_removed (room->activity, sid);
      group_participant_remove (participant, TRUE);
    }
  else if (g_str_equal (cmd, "remote-description"))
    {
      const char *sdp = convoke_json_get_string (message, "sdp");

      if (sdp == NULL)
        g_set_error (&error, CONVOKE_TOPOLOGY_ERROR,
                     CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                     _ ("The %s message has no string member “sdp”"),
                     convoke_json_get_string (message, "sdp_type")
                         ? convoke_json_get_string (message, "sdp_type")
                         : "description");
      else
        group_participant_apply_description (
            participant, convoke_json_get_string (message, "sdp_type"), sdp, &error);
    }
  else if (g_str_equal (cmd, "remote-candidate"))
    handle_remote_candidate (room, participant, message, &error);
  else if (g_str_equal (cmd, "set-video-layer"))
    {
      gint64 layer = -1;
      const char *publisher = convoke_json_get_string (message, "publisher");

      if (publisher == NULL || !get_int (message, "layer", &layer) || layer < 0
          || layer > G_MAXINT)
        g_warning ("room %s: malformed set-video-layer command; ignored",
                   room->api->worker_get_room_sid (room->worker));
      else
        group_participant_set_video_layer (participant, publisher,
                                           convoke_json_get_string (message, "track"),
                                           (guint) layer, &error);
    }
  else if (g_str_equal (cmd, "msp-send"))
    group_data_participant_msp (participant, convoke_json_get_string (message, "label"),
                                convoke_json_get_string (message, "message"));
  else
    g_warning ("room %s: unknown worker command “%s”",
               room->api->worker_get_room_sid (room->worker), cmd);

  if (error != NULL)
    group_media_room_send_error (room, sid, error->code, error->message);
}

void
convoke_group_worker_teardown (ConvokeWorker *worker, gpointer worker_data)
{
  GroupMediaRoom *room = worker_data;

  room->tearing_down = TRUE;
  g_clear_pointer (&room->recording, group_recording_free);
  g_clear_pointer (&room->activity, group_activity_free);
  while (room->order->len > 0)
    group_participant_remove (g_ptr_array_index (room->order, 0), FALSE);

  /* No participant, no streaming thread: no signal can come any more. */
  g_signal_handlers_disconnect_by_data (room->router, room);
  gst_element_set_state (room->router, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (room->pipeline), room->router);
  room->router = NULL;
  room_release (room);
}
