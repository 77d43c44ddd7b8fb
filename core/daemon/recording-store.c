/* Recordings of group rooms, daemon side (docs/recording.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-recording"

#include "recording-store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "i18n.h"
#include "sid.h"
#include "twilio-error.h"
#include "untrusted-json.h"

#define STORE_KEY "convoke-recording-store"
#define FAILURE_MAX 500 /* bytes of a worker's failure message kept */

/* What the store decided for a room when its worker was spawned. */
typedef struct
{
  char *dir;
  gboolean encrypted;
} RoomSetup;

struct _ConvokeRecordingStore
{
  GObject parent;
  ConvokeRoomRegistry *registry; /* not owned: it owns us */
  GPtrArray *recordings;         /* ConvokeRecording*, oldest first, owned */
  GHashTable *by_sid;            /* sid → ConvokeRecording* */
  GHashTable *rooms;             /* room sid → RoomSetup* */
};

enum
{
  SIGNAL_RECORDING_CHANGED,
  N_SIGNALS,
};

static guint store_signals[N_SIGNALS];

G_DEFINE_TYPE (ConvokeRecordingStore, convoke_recording_store, G_TYPE_OBJECT)

/* Indexed by ConvokeRecordingStatus. */
static const char *const status_names[]
    = { "processing", "completed", "deleted", "failed", NULL };

const char *
convoke_recording_status_to_string (ConvokeRecordingStatus status)
{
  return status <= CONVOKE_RECORDING_FAILED ? status_names[status] : "failed";
}

static void
recording_free (ConvokeRecording *recording)
{
  g_free (recording->sid);
  g_free (recording->room_sid);
  g_free (recording->participant_sid);
  g_free (recording->source_sid);
  g_free (recording->track_name);
  g_free (recording->type);
  g_free (recording->codec);
  g_free (recording->container);
  g_free (recording->path);
  g_free (recording->failure);
  g_clear_pointer (&recording->date_created, g_date_time_unref);
  g_clear_pointer (&recording->date_updated, g_date_time_unref);
  g_free (recording);
}

static void
room_setup_free (RoomSetup *setup)
{
  g_free (setup->dir);
  g_free (setup);
}

gint64
convoke_recording_duration_seconds (ConvokeRecording *recording)
{
  if (recording->duration_ms < 0)
    return -1;
  if (recording->duration_ms == 0)
    return 0;
  /* Twilio: rounded, and sub-second tracks last 1 second. */
  return MAX (1, (recording->duration_ms + 500) / 1000);
}

gint64
convoke_recording_current_size (ConvokeRecording *recording)
{
  GStatBuf st;

  if (recording->status == CONVOKE_RECORDING_DELETED
      || g_stat (recording->path, &st) != 0)
    return -1;
  return st.st_size;
}

/* ---- the RT….json beside each file ---------------------------------------- */

static char *
sidecar_path (ConvokeRecording *recording)
{
  g_autofree char *dir = g_path_get_dirname (recording->path);
  g_autofree char *name = g_strconcat (recording->sid, ".json", NULL);

  return g_build_filename (dir, name, NULL);
}

static char *
media_path (const char *dir, const char *sid, const char *container, gboolean encrypted)
{
  g_autofree char *name
      = g_strdup_printf ("%s.%s%s", sid, container, encrypted ? ".enc" : "");

  return g_build_filename (dir, name, NULL);
}

static void
add_member (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
recording_save (ConvokeRecording *recording)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *created = convoke_format_date (recording->date_created);
  g_autofree char *updated = convoke_format_date (recording->date_updated);
  g_autofree char *text = NULL;
  g_autofree char *path = sidecar_path (recording);
  g_autoptr (GError) error = NULL;

  json_builder_begin_object (b);
  add_member (b, "sid", recording->sid);
  add_member (b, "room_sid", recording->room_sid);
  add_member (b, "participant_sid", recording->participant_sid);
  add_member (b, "source_sid", recording->source_sid);
  add_member (b, "track_name", recording->track_name);
  add_member (b, "type", recording->type);
  add_member (b, "codec", recording->codec);
  add_member (b, "container", recording->container);
  json_builder_set_member_name (b, "encrypted");
  json_builder_add_boolean_value (b, recording->encrypted);
  add_member (b, "status", convoke_recording_status_to_string (recording->status));
  add_member (b, "failure", recording->failure);
  add_member (b, "date_created", created);
  add_member (b, "date_updated", updated);
  add_int (b, "duration_ms", recording->duration_ms);
  add_int (b, "size", recording->size);
  add_int (b, "offset_ms", recording->offset_ms);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &error))
    g_warning (_ ("Cannot save the state of recording %s: %s"), recording->sid,
               error->message);
}
static gint64
object_int (JsonObject *object, const char *name, gint64 fallback)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

static GDateTime *
parse_date (const char *text)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();

  return text != NULL ? g_date_time_new_from_iso8601 (text, utc) : NULL;
}

static void store_add (ConvokeRecordingStore *self, ConvokeRecording *recording);

/* One RT….json of an earlier run; anything that does not add up is
 * skipped with a warning rather than trusted. */
static void
load_sidecar (ConvokeRecordingStore *self, const char *room_dir, const char *room_sid,
              const char *name)
{
  g_autofree char *path = g_build_filename (room_dir, name, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *sid = g_strndup (name, strlen (name) - strlen (".json"));
  ConvokeRecording *recording;
  JsonObject *object;
  const char *type, *container, *status;

  if (!convoke_sid_is_valid (sid, CONVOKE_SID_RECORDING)
      || g_hash_table_contains (self->by_sid, sid))
    return;
  if (!json_parser_load_from_file (parser, path, &error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_warning (_ ("Skipping the recording state %s: %s"), path,
                 error ? error->message : _ ("not a JSON object"));
      return;
    }
  object = json_node_get_object (json_parser_get_root (parser));
  type = convoke_json_get_string (object, "type");
  container = convoke_json_get_string (object, "container");
  status = convoke_json_get_string (object, "status");
  if (g_strcmp0 (convoke_json_get_string (object, "sid"), sid) != 0
      || g_strcmp0 (convoke_json_get_string (object, "room_sid"), room_sid) != 0
      || (g_strcmp0 (type, "audio") != 0 && g_strcmp0 (type, "video") != 0)
      || (g_strcmp0 (container, "mka") != 0 && g_strcmp0 (container, "mkv") != 0)
      || status == NULL || !g_strv_contains ((const char *const *) status_names, status))
    {
      g_warning (_ ("Skipping the recording state %s: its sid, room, type, container or "
                    "status is missing or wrong"),
                 path);
      return;
    }

  recording = g_new0 (ConvokeRecording, 1);
  recording->sid = g_steal_pointer (&sid);
  recording->room_sid = g_strdup (room_sid);
  recording->participant_sid
      = g_strdup (convoke_json_get_string (object, "participant_sid"));
  recording->source_sid = g_strdup (convoke_json_get_string (object, "source_sid"));
  recording->track_name = g_strdup (convoke_json_get_string (object, "track_name"));
  recording->type = g_strdup (type);
  recording->codec = g_strdup (convoke_json_get_string (object, "codec"));
  recording->container = g_strdup (container);
  recording->encrypted
      = json_object_get_boolean_member_with_default (object, "encrypted", FALSE);
  recording->path
      = media_path (room_dir, recording->sid, container, recording->encrypted);
  for (guint i = 0; status_names[i] != NULL; i++)
    if (g_str_equal (status_names[i], status))
      recording->status = (ConvokeRecordingStatus) i;
  recording->failure = g_strdup (convoke_json_get_string (object, "failure"));
  recording->date_created = parse_date (convoke_json_get_string (object, "date_created"));
  recording->date_updated = parse_date (convoke_json_get_string (object, "date_updated"));
  if (recording->date_created == NULL)
    recording->date_created = g_date_time_new_now_utc ();
  if (recording->date_updated == NULL)
    recording->date_updated = g_date_time_ref (recording->date_created);
  recording->duration_ms = object_int (object, "duration_ms", -1);
  recording->size = object_int (object, "size", -1);
  recording->offset_ms = object_int (object, "offset_ms", 0);
  if (recording->status == CONVOKE_RECORDING_PROCESSING)
    {
      /* The daemon went away while this was recorded. */
      recording->status = CONVOKE_RECORDING_FAILED;
      recording->failure
          = g_strdup (_ ("convoked stopped before the recording finished"));
      recording->size = convoke_recording_current_size (recording);
      recording_save (recording);
    }
  store_add (self, recording);
}

static int
compare_created (gconstpointer a, gconstpointer b)
{
  const ConvokeRecording *ra = *(ConvokeRecording *const *) a;
  const ConvokeRecording *rb = *(ConvokeRecording *const *) b;

  return g_date_time_compare (ra->date_created, rb->date_created);
}

static void
load_dir (ConvokeRecordingStore *self, const char *dir)
{
  g_autoptr (GDir) top = g_dir_open (dir, 0, NULL);
  const char *room_sid;

  if (top == NULL)
    return;
  while ((room_sid = g_dir_read_name (top)) != NULL)
    {
      g_autofree char *room_dir = g_build_filename (dir, room_sid, NULL);
      g_autoptr (GDir) room = NULL;
      const char *name;

      if (!convoke_sid_is_valid (room_sid, CONVOKE_SID_ROOM)
          || (room = g_dir_open (room_dir, 0, NULL)) == NULL)
        continue;
      while ((name = g_dir_read_name (room)) != NULL)
        if (g_str_has_suffix (name, ".json"))
          load_sidecar (self, room_dir, room_sid, name);
    }
  /* Directory order is arbitrary; the API lists by creation. */
  g_ptr_array_sort (self->recordings, compare_created);
}

/* ---- the store ------------------------------------------------------------ */

static void
store_add (ConvokeRecordingStore *self, ConvokeRecording *recording)
{
  g_ptr_array_add (self->recordings, recording);
  g_hash_table_insert (self->by_sid, recording->sid, recording);
}

static void
convoke_recording_store_finalize (GObject *object)
{
  ConvokeRecordingStore *self = CONVOKE_RECORDING_STORE (object);

  g_hash_table_unref (self->by_sid);
  g_hash_table_unref (self->rooms);
  g_ptr_array_unref (self->recordings);
  G_OBJECT_CLASS (convoke_recording_store_parent_class)->finalize (object);
}

static void
convoke_recording_store_init (ConvokeRecordingStore *self)
{
  self->recordings = g_ptr_array_new_with_free_func ((GDestroyNotify) recording_free);
  self->by_sid = g_hash_table_new (g_str_hash, g_str_equal);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) room_setup_free);
}

static void
convoke_recording_store_class_init (ConvokeRecordingStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = convoke_recording_store_finalize;
  store_signals[SIGNAL_RECORDING_CHANGED]
      = g_signal_new ("recording-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                      0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_STRING);
}

ConvokeRecordingStore *
convoke_recording_store_get (ConvokeRoomRegistry *registry)
{
  ConvokeRecordingStore *self = g_object_get_data (G_OBJECT (registry), STORE_KEY);
  ConvokeConfig *config;

  if (self != NULL)
    return self;
  self = g_object_new (CONVOKE_TYPE_RECORDING_STORE, NULL);
  self->registry = registry;
  g_object_set_data_full (G_OBJECT (registry), STORE_KEY, self, g_object_unref);
  config = convoke_room_registry_get_config (registry);
  if (config != NULL && config->recording_dir != NULL)
    load_dir (self, config->recording_dir);
  return self;
}

static void
emit_changed (ConvokeRecordingStore *self, ConvokeRecording *recording, const char *event)
{
  g_signal_emit (self, store_signals[SIGNAL_RECORDING_CHANGED], 0, recording, event);
}

void
convoke_recording_add_worker_options (ConvokeRoom *room, GHashTable *options)
{
  ConvokeRecordingStore *self = convoke_recording_store_get (room->registry);
  ConvokeConfig *config = convoke_room_registry_get_config (room->registry);
  g_autofree char *dir = NULL;
  RoomSetup *setup;

  if (!room->record_participants_on_connect)
    return;
  if (config->recording_dir == NULL)
    {
      g_warning (_ ("Room %s records participants, but [recording] dir is not set in %s: "
                    "nothing is recorded"),
                 room->sid, config->origin);
      return;
    }
  dir = g_build_filename (config->recording_dir, room->sid, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_warning (_ ("Room %s records participants, but its recording directory %s cannot "
                    "be made: %s; nothing is recorded"),
                 room->sid, dir, g_strerror (saved_errno));
      return;
    }
  setup = g_new0 (RoomSetup, 1);
  setup->dir = g_strdup (dir);
  setup->encrypted = config->recording_public_key != NULL;
  g_hash_table_replace (self->rooms, g_strdup (room->sid), setup);
  g_hash_table_insert (options, "recording-dir", g_steal_pointer (&dir));
  if (config->recording_public_key != NULL)
    g_hash_table_insert (options, "recording-public-key",
                         g_strdup (config->recording_public_key));
}

/* The published track of @participant that a recording of @kind is the
 * source of: the latest one of that kind. */
static ConvokeTrack *
find_track (ConvokeParticipant *participant, const char *kind)
{
  for (guint i = participant->published_tracks->len; i > 0; i--)
    {
      ConvokeTrack *track = g_ptr_array_index (participant->published_tracks, i - 1);

      if (g_strcmp0 (track->kind, kind) == 0)
        return track;
    }
  return NULL;
}

static void
fill_source (ConvokeRecording *recording, ConvokeRoom *room)
{
  ConvokeParticipant *participant;
  ConvokeTrack *track;

  if (recording->source_sid != NULL)
    return;
  participant = convoke_room_find_participant (room, recording->participant_sid, FALSE);
  track = participant != NULL ? find_track (participant, recording->type) : NULL;
  if (track == NULL)
    return;
  recording->source_sid = g_strdup (track->sid);
  recording->track_name = g_strdup (track->name);
}

static const char *
twilio_codec (const char *codec)
{
  static const char *const known[][2]
      = { { "opus", "OPUS" }, { "vp8", "VP8" }, { "h264", "H264" } };

  for (guint i = 0; codec != NULL && i < G_N_ELEMENTS (known); i++)
    if (g_ascii_strcasecmp (codec, known[i][0]) == 0)
      return known[i][1];
  return NULL;
}

static void
on_started (ConvokeRecordingStore *self, ConvokeRoom *room, RoomSetup *setup,
            JsonObject *body)
{
  const char *sid = convoke_json_get_string (body, "recording");
  const char *participant_sid = convoke_json_get_string (body, "participant");
  const char *kind = convoke_json_get_string (body, "kind");
  const char *codec = twilio_codec (convoke_json_get_string (body, "codec"));
  gboolean audio = g_strcmp0 (kind, "audio") == 0;
  ConvokeRecording *recording;

  if (!convoke_sid_is_valid (sid, CONVOKE_SID_RECORDING)
      || g_hash_table_contains (self->by_sid, sid)
      || convoke_room_find_participant (room, participant_sid, FALSE) == NULL
      || (!audio && g_strcmp0 (kind, "video") != 0) || codec == NULL
      || (audio != g_str_equal (codec, "OPUS")))
    {
      g_message ("room %s: malformed or duplicate recording-started from the worker; "
                 "ignored",
                 room->sid);
      return;
    }

  recording = g_new0 (ConvokeRecording, 1);
  recording->sid = g_strdup (sid);
  recording->room_sid = g_strdup (room->sid);
  recording->participant_sid = g_strdup (participant_sid);
  recording->type = g_strdup (kind);
  recording->codec = g_strdup (codec);
  recording->container = g_strdup (audio ? "mka" : "mkv");
  recording->encrypted = setup->encrypted;
  recording->path = media_path (setup->dir, sid, recording->container, setup->encrypted);
  recording->status = CONVOKE_RECORDING_PROCESSING;
  recording->date_created = g_date_time_new_now_utc ();
  recording->date_updated = g_date_time_ref (recording->date_created);
  recording->duration_ms = -1;
  recording->size = -1;
  recording->offset_ms = object_int (body, "offset", g_get_real_time () / 1000);
  fill_source (recording, room);
  store_add (self, recording);
  recording_save (recording);
  emit_changed (self, recording, "recording-started");
}

static void
recording_end (ConvokeRecordingStore *self, ConvokeRecording *recording,
               ConvokeRoom *room, ConvokeRecordingStatus status, const char *failure,
               gint64 duration_ms)
{
  recording->status = status;
  g_clear_pointer (&recording->failure, g_free);
  if (failure != NULL)
    {
      g_autofree char *valid = g_utf8_make_valid (failure, -1);

      recording->failure
          = g_utf8_substring (valid, 0, MIN (g_utf8_strlen (valid, -1), FAILURE_MAX));
    }
  if (recording->failure != NULL)
    g_message ("room %s: recording %s failed: %s", recording->room_sid, recording->sid,
               recording->failure);
  recording->duration_ms = duration_ms;
  recording->size = convoke_recording_current_size (recording);
  g_clear_pointer (&recording->date_updated, g_date_time_unref);
  recording->date_updated = g_date_time_new_now_utc ();
  if (room != NULL)
    fill_source (recording, room);
  recording_save (recording);
  emit_changed (self, recording,
                status == CONVOKE_RECORDING_COMPLETED ? "recording-completed"
                                                      : "recording-failed");
}

gboolean
convoke_recording_take_worker_event (ConvokeRoom *room, JsonObject *body)
{
  const char *event = convoke_json_get_string (body, "event");
  ConvokeRecordingStore *self;
  RoomSetup *setup;
  ConvokeRecording *recording;

  if (event == NULL || !g_str_has_prefix (event, "recording-"))
    return FALSE;
  self = convoke_recording_store_get (room->registry);
  setup = g_hash_table_lookup (self->rooms, room->sid);
  if (setup == NULL)
    {
      /* Only a worker the daemon asked to record may report recordings. */
      g_message ("room %s: %s from a worker that was not asked to record; ignored",
                 room->sid, event);
      return TRUE;
    }
  if (g_str_equal (event, "recording-started"))
    {
      on_started (self, room, setup, body);
      return TRUE;
    }

  recording = convoke_recording_store_lookup (
      self, convoke_json_get_string (body, "recording"));
  if (recording == NULL || g_strcmp0 (recording->room_sid, room->sid) != 0
      || recording->status != CONVOKE_RECORDING_PROCESSING)
    g_message ("room %s: %s for an unknown or finished recording; ignored", room->sid,
               event);
  else if (g_str_equal (event, "recording-completed"))
    recording_end (self, recording, room, CONVOKE_RECORDING_COMPLETED, NULL,
                   MAX (0, object_int (body, "duration", 0)));
  else if (g_str_equal (event, "recording-failed"))
    recording_end (self, recording, room, CONVOKE_RECORDING_FAILED,
                   convoke_json_get_string (body, "message") != NULL
                       ? convoke_json_get_string (body, "message")
                       : _ ("the media worker gave no reason"),
                   -1);
  else
    g_message ("room %s: unknown recording event “%s”; ignored", room->sid, event);
  return TRUE;
}

void
convoke_recording_worker_gone (ConvokeRoom *room)
{
  ConvokeRecordingStore *self = convoke_recording_store_get (room->registry);

  for (guint i = 0; i < self->recordings->len; i++)
    {
      ConvokeRecording *recording = g_ptr_array_index (self->recordings, i);

      if (recording->status == CONVOKE_RECORDING_PROCESSING
          && g_str_equal (recording->room_sid, room->sid))
        recording_end (self, recording, room, CONVOKE_RECORDING_FAILED,
                       _ ("The media worker stopped before the recording was finished; "
                          "the file holds what was recorded until then"),
                       -1);
    }
  g_hash_table_remove (self->rooms, room->sid);
}

GPtrArray *
convoke_recording_store_list (ConvokeRecordingStore *self, const char *room_sid,
                              const char *status, const char *source_sid,
                              const char *grouping_sid, const char *type,
                              GDateTime *created_after, GDateTime *created_before)
{
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = self->recordings->len; i > 0; i--)
    {
      ConvokeRecording *r = g_ptr_array_index (self->recordings, i - 1);

      if ((room_sid != NULL && g_strcmp0 (r->room_sid, room_sid) != 0)
          || (status != NULL
              && g_strcmp0 (convoke_recording_status_to_string (r->status), status) != 0)
          || (source_sid != NULL && g_strcmp0 (r->source_sid, source_sid) != 0)
          || (grouping_sid != NULL && g_strcmp0 (r->room_sid, grouping_sid) != 0
              && g_strcmp0 (r->participant_sid, grouping_sid) != 0)
          || (type != NULL && g_strcmp0 (r->type, type) != 0)
          || (created_after != NULL
              && g_date_time_compare (r->date_created, created_after) < 0)
          || (created_before != NULL
              && g_date_time_compare (r->date_created, created_before) >= 0))
        continue;
      g_ptr_array_add (list, r);
    }
  return list;
}

ConvokeRecording *
convoke_recording_store_lookup (ConvokeRecordingStore *self, const char *sid)
{
  return sid != NULL ? g_hash_table_lookup (self->by_sid, sid) : NULL;
}

gboolean
convoke_recording_store_delete (ConvokeRecordingStore *self, ConvokeRecording *recording,
                                GError **error)
{
  if (recording->status == CONVOKE_RECORDING_PROCESSING)
    {
      g_set_error (
          error, CONVOKE_ERROR, CONVOKE_ERROR_INVALID_PARAMETER,
          _ ("Recording %s is still being recorded; delete it once its status is "
             "completed or failed"),
          recording->sid);
      return FALSE;
    }
  if (recording->status == CONVOKE_RECORDING_DELETED)
    return TRUE;
  if (g_unlink (recording->path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("Cannot delete the file of recording %s (%s): %s"), recording->sid,
                   recording->path, g_strerror (saved_errno));
      return FALSE;
    }
  recording->status = CONVOKE_RECORDING_DELETED;
  g_clear_pointer (&recording->date_updated, g_date_time_unref);
  recording->date_updated = g_date_time_new_now_utc ();
  recording_save (recording);
  return TRUE;
}

static void
set_param (GHashTable *params, const char *name, char *value)
{
  g_hash_table_replace (params, (gpointer) name, value != NULL ? value : g_strdup (""));
}

static char *
grouping_sids_json (ConvokeRecording *recording)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  add_member (b, "room_sid", recording->room_sid);
  add_member (b, "participant_sid", recording->participant_sid);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

void
convoke_recording_add_callback_params (ConvokeRecording *recording, GHashTable *params,
                                       const char *base_url)
{
  g_autofree char *uri = g_strdup_printf ("/v1/Recordings/%s", recording->sid);
  gint64 duration = convoke_recording_duration_seconds (recording);

  set_param (params, "RecordingSid", g_strdup (recording->sid));
  set_param (params, "RecordingUri", g_strdup (uri));
  set_param (params, "MediaUri", g_strconcat (base_url, uri, "/Media", NULL));
  set_param (params, "RecordingStatus",
             g_strdup (convoke_recording_status_to_string (recording->status)));
  set_param (params, "SourceSid", g_strdup (recording->source_sid));
  set_param (params, "TrackSid", g_strdup (recording->source_sid));
  set_param (
      params, "TrackName",
      g_strdup (recording->track_name ? recording->track_name : recording->source_sid));
  set_param (params, "TrackKind", g_strdup (recording->type));
  set_param (params, "Type", g_strdup (recording->type));
  set_param (params, "Container", g_strdup (recording->container));
  set_param (params, "Codec", g_strdup (recording->codec));
  set_param (params, "ParticipantSid", g_strdup (recording->participant_sid));
  set_param (params, "GroupingSids", grouping_sids_json (recording));
  set_param (params, "OffsetFromTwilioVideoEpoch",
             g_strdup_printf ("%" G_GINT64_FORMAT, recording->offset_ms));
  if (recording->status != CONVOKE_RECORDING_PROCESSING)
    {
      if (duration >= 0)
        set_param (params, "RecordingDuration",
                   g_strdup_printf ("%" G_GINT64_FORMAT, duration));
      if (recording->size >= 0)
        set_param (params, "RecordingSize",
                   g_strdup_printf ("%" G_GINT64_FORMAT, recording->size));
    }
  if (recording->failure != NULL)
    set_param (params, "FailedOperation", g_strdup (recording->failure));
}
