/* Recording in group rooms, worker side: one `appsrc ! convokerecorder`
 * pipeline per recorded stream, fed from a pad probe on the publisher's
 * router input (its decrypted RTP).
 *
 * A pipeline of its own per file keeps a slow disk or a failing file
 * away from the forwarding path: the probe only copies the buffer's
 * header into the appsrc queue, which drops new packets when full rather
 * than hold the publisher's thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-recording.h"

#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <string.h>

#include "context-dispatch.h"
#include "i18n.h"

#define GST_CAT_DEFAULT group_media_debug

/* How long the worker's exit waits for all its files to be finished. */
#define FINISH_TIMEOUT_MS 1500
/* Packets queued per recording before new ones are dropped: seconds of
 * video even at high bitrates. */
#define QUEUE_MAX_BYTES (8 * 1024 * 1024)

struct _GroupRecording
{
  GroupMediaRoom *room; /* borrowed: the room outlives us */
  char *dir;
  char *public_key;   /* NULL: plaintext files */
  GHashTable *tracks; /* recording sid → Track* (one ref) */
};

typedef struct
{
  gatomicrefcount ref;
  GroupRecording *owner; /* main thread; NULL once closed */
  char *sid;
  char *participant;
  char *kind;
  guint32 ssrc;
  char *encoding_name; /* as RTP caps spell it: OPUS, VP8, H264 */
  guint clock_rate;
  GMainContext *context;
  GstElement *pipeline;
  GstElement *source;
  GstElement *recorder;
  GstPad *tap; /* the publisher's router input */
  gulong tap_probe;
  gint payload; /* atomic: -1 until the first packet set the caps */
  guint bus_watch;
  gboolean finishing;
} Track;

static Track *
track_ref (Track *track)
{
  g_atomic_ref_count_inc (&track->ref);
  return track;
}

static void
track_unref (gpointer data)
{
  Track *track = data;

  if (!g_atomic_ref_count_dec (&track->ref))
    return;
  g_free (track->sid);
  g_free (track->participant);
  g_free (track->kind);
  g_free (track->encoding_name);
  g_main_context_unref (track->context);
  gst_clear_object (&track->tap);
  gst_clear_object (&track->recorder);
  gst_clear_object (&track->source);
  gst_clear_object (&track->pipeline);
  g_free (track);
}

static void
send_event (GroupRecording *self, JsonObject *event)
{
  /* Not group_media_room_send_event(): the last reports go out while the room
   * is being torn down. */
  self->room->api->worker_send_event (self->room->worker, event);
}

/* ---- the streaming side ---------------------------------------------------- */

/* Runs on the publisher's streaming thread, for every packet it sends. */
static void
track_take (Track *track, GstBuffer *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint32 ssrc;
  gint payload;
  GstBuffer *copy;

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return;
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  payload = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  if (ssrc != track->ssrc)
    return;

  if (g_atomic_int_compare_and_exchange (&track->payload, -1, payload))
    {
      /* The client chose the payload type; only now are the caps known. */
      g_autoptr (GstCaps) caps = gst_caps_new_simple (
          "application/x-rtp", "media", G_TYPE_STRING, track->kind, "encoding-name",
          G_TYPE_STRING, track->encoding_name, "clock-rate", G_TYPE_INT,
          (int) track->clock_rate, "payload", G_TYPE_INT, payload, NULL);

      g_object_set (track->source, "caps", caps, NULL);
    }
  else if (g_atomic_int_get (&track->payload) != payload)
    return;

  /* The router keeps the buffer; ours shares its memory. Its timestamps
   * belong to the room's pipeline, so the appsrc stamps it anew. */
  copy = gst_buffer_copy (buffer);
  GST_BUFFER_PTS (copy) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DTS (copy) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer (GST_APP_SRC (track->source), copy);
}

static GstPadProbeReturn
on_tapped (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Track *track = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    track_take (track, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    {
      GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

      for (guint i = 0; i < gst_buffer_list_length (list); i++)
        track_take (track, gst_buffer_list_get (list, i));
    }
  return GST_PAD_PROBE_OK;
}

static gboolean
request_keyframe (gpointer data)
{
  Track *track = data;
  gboolean ok = FALSE;

  if (track->owner != NULL && track->owner->room->router != NULL)
    g_signal_emit_by_name (track->owner->room->router, "request-keyframe",
                           track->participant, &ok);
  return G_SOURCE_REMOVE;
}

/* The recorder asks for a key frame (it starts, or lost packets); the
 * router turns that into a PLI to the publisher. Recording threads. */
static GstPadProbeReturn
on_upstream_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Track *track = user_data;

  if (gst_event_has_name (GST_PAD_PROBE_INFO_EVENT (info), "GstForceKeyUnit"))
    convoke_context_dispatch (track->context, request_keyframe, track_ref (track),
                              track_unref);
  return GST_PAD_PROBE_OK;
}

/* ---- the main thread ------------------------------------------------------- */

static void
track_stop_tap (Track *track)
{
  if (track->tap_probe != 0)
    gst_pad_remove_probe (track->tap, track->tap_probe);
  track->tap_probe = 0;
}

/* Reports the outcome and lets the track go. @failure NULL: completed. */
static void
track_close (Track *track, const char *failure)
{
  GroupRecording *self = track->owner;
  g_autoptr (JsonObject) event = json_object_new ();
  guint64 duration = 0;

  if (self == NULL)
    return;
  track->owner = NULL;
  track_stop_tap (track);
  g_clear_handle_id (&track->bus_watch, g_source_remove);
  if (track->recorder != NULL)
    g_object_get (track->recorder, "duration", &duration, NULL);
  if (track->pipeline != NULL)
    gst_element_set_state (track->pipeline, GST_STATE_NULL);

  json_object_set_string_member (event, "recording", track->sid);
  if (failure == NULL)
    {
      json_object_set_string_member (event, "event", "recording-completed");
      json_object_set_int_member (event, "duration", duration / GST_MSECOND);
    }
  else
    {
      g_warning ("room %s: recording %s of %s's %s failed: %s",
                 self->room->api->worker_get_room_sid (self->room->worker), track->sid,
                 track->participant, track->kind, failure);
      json_object_set_string_member (event, "event", "recording-failed");
      json_object_set_string_member (event, "message", failure);
    }
  send_event (self, event);
  g_hash_table_remove (self->tracks, track->sid);
}

static void
track_close_with_message (Track *track, GstMessage *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS)
    {
      track_close (track, NULL);
      return;
    }
  gst_message_parse_error (message, &error, &debug);
  track_close (track, error->message);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  Track *track = user_data;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_EOS
      && GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  /* track_close removes this watch; the source must not go twice. */
  track->bus_watch = 0;
  track_close_with_message (track, message);
  return G_SOURCE_REMOVE;
}

/* Sends end of stream through the recorder; the bus reports the file done. */
static void
track_finish (Track *track)
{
  if (track->finishing)
    return;
  track->finishing = TRUE;
  track_stop_tap (track);
  /* Without a first packet the recorder never learnt its codec: there is
   * no file, and nothing would report the end of one. */
  if (g_atomic_int_get (&track->payload) < 0)
    {
      track_close (track, _("No media of this track reached the recorder"));
      return;
    }
  gst_app_src_end_of_stream (GST_APP_SRC (track->source));
}

static char *
new_recording_sid (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *sid = g_string_new ("RT");

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (sid, *p);
  return g_string_free (sid, FALSE);
}

static gboolean
track_build (Track *track, const char *location, const char *public_key)
{
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstPad) source_pad = NULL;

  track->pipeline = gst_object_ref_sink (gst_pipeline_new (track->sid));
  track->source = gst_element_factory_make ("appsrc", NULL);
  track->recorder = gst_element_factory_make ("convokerecorder", NULL);
  if (track->source == NULL || track->recorder == NULL)
    return FALSE;
  gst_object_ref_sink (track->source);
  gst_object_ref_sink (track->recorder);
  g_object_set (track->source, "format", GST_FORMAT_TIME, "is-live", TRUE, "do-timestamp",
                TRUE, "max-bytes", (guint64) QUEUE_MAX_BYTES, "block", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (track->source), "leaky-type", "upstream");
  g_object_set (track->recorder, "location", location, "public-key", public_key, NULL);
  gst_bin_add_many (GST_BIN (track->pipeline), track->source, track->recorder, NULL);
  if (!gst_element_link (track->source, track->recorder))
    return FALSE;

  source_pad = gst_element_get_static_pad (track->source, "src");
  gst_pad_add_probe (source_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event,
                     track_ref (track), track_unref);
  bus = gst_pipeline_get_bus (GST_PIPELINE (track->pipeline));
  track->bus_watch = gst_bus_add_watch_full (bus, G_PRIORITY_DEFAULT, on_bus_message,
                                             track_ref (track), track_unref);
  return TRUE;
}

static void
track_start (GroupRecording *self, GroupParticipant *participant, guint ssrc,
             const char *kind)
{
  GroupMediaRoom *room = self->room;
  gboolean video = g_str_equal (kind, "video");
  const GroupCodec *codec = video ? room->video_codec : room->audio_codec;
  Track *track = g_new0 (Track, 1);
  g_autoptr (JsonObject) event = json_object_new ();
  g_autofree char *codec_name = g_ascii_strdown (codec->encoding, -1);
  g_autofree char *name = NULL;
  g_autofree char *location = NULL;
  gboolean ok = FALSE;

  g_atomic_ref_count_init (&track->ref);
  track->owner = self;
  track->sid = new_recording_sid ();
  track->participant = g_strdup (participant->sid);
  track->kind = g_strdup (kind);
  track->ssrc = ssrc;
  /* SDP writes "opus"; RTP caps spell encoding names in capitals. */
  track->encoding_name = g_ascii_strup (codec->encoding, -1);
  track->clock_rate = codec->clock_rate;
  track->context = g_main_context_ref (room->context);
  track->payload = -1;
  track->tap = gst_object_ref (participant->router_pads[CONVOKE_ROUTER_PAD_RECV_RTP]);
  g_hash_table_insert (self->tracks, track->sid, track);

  name = g_strdup_printf ("%s.%s%s", track->sid, video ? "mkv" : "mka",
                          self->public_key != NULL ? ".enc" : "");
  location = g_build_filename (self->dir, name, NULL);

  /* Announced first, so that a file that fails at once is reported as a
   * failed recording rather than not at all. */
  json_object_set_string_member (event, "event", "recording-started");
  json_object_set_string_member (event, "recording", track->sid);
  json_object_set_string_member (event, "participant", participant->sid);
  json_object_set_string_member (event, "kind", kind);
  json_object_set_string_member (event, "codec", codec_name);
  json_object_set_string_member (event, "container", video ? "mkv" : "mka");
  json_object_set_boolean_member (event, "encrypted", self->public_key != NULL);
  json_object_set_int_member (event, "ssrc", ssrc);
  json_object_set_int_member (event, "offset", g_get_real_time () / 1000);
  send_event (self, event);

  if (!track_build (track, location, self->public_key))
    {
      track_close (track,
                   _ ("The GStreamer elements appsrc or convokerecorder are missing"));
      return;
    }
  if (gst_element_set_state (track->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    {
      track_close (track, _ ("The recording pipeline did not start"));
      return;
    }
  track->tap_probe = gst_pad_add_probe (
      track->tap, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_tapped,
      track_ref (track), track_unref);
  /* The stream is under way: its next key frame is where the file starts. */
  if (video)
    g_signal_emit_by_name (room->router, "request-keyframe", participant->sid, &ok);
  GST_DEBUG_OBJECT (room->pipeline, "room %s: recording %s's %s (ssrc %u) to %s",
                    room->api->worker_get_room_sid (room->worker), participant->sid, kind,
                    ssrc, location);
}

GroupRecording *
group_recording_new (GroupMediaRoom *room)
{
  const char *dir = room->api->worker_get_option (room->worker, "recording-dir");
  const char *public_key
      = room->api->worker_get_option (room->worker, "recording-public-key");
  GroupRecording *self;

  if (dir == NULL || *dir == '\0')
    return NULL;
  if (!g_path_is_absolute (dir))
    {
      g_warning ("room %s: worker option recording-dir=%s is not an absolute path; not "
                 "recording",
                 room->api->worker_get_room_sid (room->worker), dir);
      return NULL;
    }
  self = g_new0 (GroupRecording, 1);
  self->room = room;
  self->dir = g_strdup (dir);
  self->public_key
      = public_key != NULL && *public_key != '\0' ? g_strdup (public_key) : NULL;
  self->tracks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, track_unref);
  return self;
}

static Track *
find_track (GroupRecording *self, const char *participant, guint ssrc)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Track *track = value;

      if (track->ssrc == ssrc && g_str_equal (track->participant, participant))
        return track;
    }
  return NULL;
}

void
group_recording_stream_changed (GroupRecording *self, const char *participant_sid,
                                guint ssrc, const char *kind, gboolean started)
{
  GroupParticipant *participant;
  Track *track;

  if (self == NULL)
    return;
  track = find_track (self, participant_sid, ssrc);
  if (!started)
    {
      if (track != NULL)
        track_finish (track);
      return;
    }
  participant = g_hash_table_lookup (self->room->participants, participant_sid);
  if (track != NULL || participant == NULL
      || participant->router_pads[CONVOKE_ROUTER_PAD_RECV_RTP] == NULL
      || (g_strcmp0 (kind, "audio") != 0 && g_strcmp0 (kind, "video") != 0))
    return;
  track_start (self, participant, ssrc, kind);
}

void
group_recording_participant_left (GroupRecording *self, const char *participant)
{
  GHashTableIter iter;
  gpointer value;

  if (self == NULL)
    return;
  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Track *track = value;

      if (g_str_equal (track->participant, participant))
        track_finish (track);
    }
}

void
group_recording_free (GroupRecording *self)
{
  GList *tracks;
  gint64 deadline = g_get_monotonic_time () + FINISH_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  if (self == NULL)
    return;
  /* Each closed track leaves the table; the list keeps them alive. */
  tracks = g_hash_table_get_values (self->tracks);
  for (GList *l = tracks; l != NULL; l = l->next)
    track_finish (track_ref (l->data));

  /* The main loop no longer runs: wait on each bus directly. */
  for (GList *l = tracks; l != NULL; l = l->next)
    {
      Track *track = l->data;
      g_autoptr (GstBus) bus = NULL;
      g_autoptr (GstMessage) message = NULL;
      gint64 left = MAX (0, deadline - g_get_monotonic_time ());

      if (track->owner == NULL)
        continue; /* already reported */
      g_clear_handle_id (&track->bus_watch, g_source_remove);
      bus = gst_pipeline_get_bus (GST_PIPELINE (track->pipeline));
      message = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
                                            GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
      if (message != NULL)
        track_close_with_message (track, message);
      else
        track_close (track, _ ("The recording was not finished in time when the room "
                               "ended; the file holds what was recorded until then"));
    }
  g_list_free_full (tracks, track_unref);
  g_hash_table_unref (self->tracks);
  g_free (self->dir);
  g_free (self->public_key);
  g_free (self);
}
