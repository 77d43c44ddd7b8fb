/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-client-stats.h"

struct _ConvokeTrackStats
{
  ConvokeClientStats *owner;
  char *kind;
  gint64 connection_created;
  gboolean active;
  guint64 decoded;
  guint64 bytes;
  gint64 first_decoded; /* monotonic µs, 0: none yet */
  gint64 last_decoded;  /* monotonic µs */
  gint64 longest_gap;   /* µs between two decoded frames */
  guint64 stalls;       /* gaps of STALL_US or more */
  gint64 stall_time;    /* µs spent in them */
  gint64 last_stall_end; /* monotonic µs of the frame that ended the last one */
};

/* A gap this long between two decoded frames is a stall (a video freeze),
 * the measure the real-network tests and benchmarks judge by. */
#define STALL_US G_USEC_PER_SEC

/* A file that a long run keeps rewriting stays small: only the latest
 * warnings are kept, and how many there were in all. */
#define MAX_WARNINGS 20

typedef struct
{
  int code;
  char *message;
  gint64 time; /* monotonic µs */
} WarningStats;

/* Messages listed per data track; a long run only counts the rest. */
#define MAX_DATA_MESSAGES 256

typedef struct
{
  char *label;
  GPtrArray *messages; /* char*, the first MAX_DATA_MESSAGES */
  guint64 total;
} DataTrackStats;

typedef struct
{
  char *sid;
  char *identity;
  gboolean connected;
  GPtrArray *tracks; /* ConvokeTrackStats* */
  GPtrArray *data;   /* DataTrackStats* */
} ParticipantStats;

struct _ConvokeClientStats
{
  GMutex lock;
  gint64 start_time;
  char *status;
  int error_code;
  char *error_message;
  char *identity;
  char *participant_sid;
  char *room_sid;
  char *room_name;
  char *topology;
  gint64 join_time;
  GPtrArray *participants; /* ParticipantStats*, in the order first seen */
  GPtrArray *warnings;     /* WarningStats*, oldest first */
  guint64 warnings_total;
};

static void
track_stats_free (ConvokeTrackStats *track)
{
  g_free (track->kind);
  g_free (track);
}

static void
warning_stats_free (WarningStats *warning)
{
  g_free (warning->message);
  g_free (warning);
}

static void
data_track_stats_free (DataTrackStats *data)
{
  g_free (data->label);
  g_ptr_array_unref (data->messages);
  g_free (data);
}

static void
participant_stats_free (ParticipantStats *participant)
{
  g_free (participant->sid);
  g_free (participant->identity);
  g_ptr_array_unref (participant->tracks);
  g_ptr_array_unref (participant->data);
  g_free (participant);
}

ConvokeClientStats *
convoke_client_stats_new (void)
{
  ConvokeClientStats *stats = g_new0 (ConvokeClientStats, 1);

  g_mutex_init (&stats->lock);
  stats->start_time = g_get_monotonic_time ();
  stats->status = g_strdup ("connecting");
  stats->participants
      = g_ptr_array_new_with_free_func ((GDestroyNotify) participant_stats_free);
  stats->warnings = g_ptr_array_new_with_free_func ((GDestroyNotify) warning_stats_free);
  return stats;
}

void
convoke_client_stats_free (ConvokeClientStats *stats)
{
  if (stats == NULL)
    return;
  g_ptr_array_unref (stats->participants);
  g_ptr_array_unref (stats->warnings);
  g_free (stats->status);
  g_free (stats->error_message);
  g_free (stats->identity);
  g_free (stats->participant_sid);
  g_free (stats->room_sid);
  g_free (stats->room_name);
  g_free (stats->topology);
  g_mutex_clear (&stats->lock);
  g_free (stats);
}

void
convoke_client_stats_set_status (ConvokeClientStats *stats, const char *status)
{
  g_mutex_lock (&stats->lock);
  g_free (stats->status);
  stats->status = g_strdup (status);
  g_mutex_unlock (&stats->lock);
}

void
convoke_client_stats_set_error (ConvokeClientStats *stats, int code, const char *message)
{
  g_mutex_lock (&stats->lock);
  stats->error_code = code;
  g_free (stats->error_message);
  stats->error_message = g_strdup (message);
  g_mutex_unlock (&stats->lock);
}

void
convoke_client_stats_add_warning (ConvokeClientStats *stats, int code,
                                  const char *message)
{
  WarningStats *warning = g_new0 (WarningStats, 1);

  warning->code = code;
  warning->message = g_strdup (message);
  warning->time = g_get_monotonic_time ();
  g_mutex_lock (&stats->lock);
  if (stats->warnings->len == MAX_WARNINGS)
    g_ptr_array_remove_index (stats->warnings, 0);
  g_ptr_array_add (stats->warnings, warning);
  stats->warnings_total++;
  g_mutex_unlock (&stats->lock);
}

void
convoke_client_stats_set_joined (ConvokeClientStats *stats, const char *identity,
                                 const char *participant_sid, const char *room_sid,
                                 const char *room_name, const char *topology,
                                 gint64 join_time)
{
  g_mutex_lock (&stats->lock);
  g_free (stats->status);
  stats->status = g_strdup ("joined");
  g_free (stats->identity);
  stats->identity = g_strdup (identity);
  g_free (stats->participant_sid);
  stats->participant_sid = g_strdup (participant_sid);
  g_free (stats->room_sid);
  stats->room_sid = g_strdup (room_sid);
  g_free (stats->room_name);
  stats->room_name = g_strdup (room_name);
  g_free (stats->topology);
  stats->topology = g_strdup (topology);
  stats->join_time = join_time;
  g_mutex_unlock (&stats->lock);
}

/* Called with the lock held. */
static ParticipantStats *
find_participant (ConvokeClientStats *stats, const char *sid, const char *identity,
                  gboolean create)
{
  ParticipantStats *participant;

  for (guint i = 0; i < stats->participants->len; i++)
    {
      participant = g_ptr_array_index (stats->participants, i);
      if (g_strcmp0 (participant->sid, sid) == 0)
        {
          if (participant->identity == NULL && identity != NULL)
            participant->identity = g_strdup (identity);
          return participant;
        }
    }
  if (!create)
    return NULL;
  participant = g_new0 (ParticipantStats, 1);
  participant->sid = g_strdup (sid);
  participant->identity = g_strdup (identity);
  participant->connected = TRUE;
  participant->tracks
      = g_ptr_array_new_with_free_func ((GDestroyNotify) track_stats_free);
  participant->data
      = g_ptr_array_new_with_free_func ((GDestroyNotify) data_track_stats_free);
  g_ptr_array_add (stats->participants, participant);
  return participant;
}

void
convoke_client_stats_data_message (ConvokeClientStats *stats, const char *participant_sid,
                                   const char *label, const char *text)
{
  ParticipantStats *participant;
  DataTrackStats *data = NULL;

  g_mutex_lock (&stats->lock);
  participant = find_participant (stats, participant_sid, NULL, TRUE);
  for (guint i = 0; i < participant->data->len && data == NULL; i++)
    if (g_strcmp0 (((DataTrackStats *) g_ptr_array_index (participant->data, i))->label,
                   label)
        == 0)
      data = g_ptr_array_index (participant->data, i);
  if (data == NULL)
    {
      data = g_new0 (DataTrackStats, 1);
      data->label = g_strdup (label);
      data->messages = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (participant->data, data);
    }
  data->total++;
  if (data->messages->len < MAX_DATA_MESSAGES)
    g_ptr_array_add (data->messages, g_strdup (text));
  g_mutex_unlock (&stats->lock);
}

void
convoke_client_stats_participant_connected (ConvokeClientStats *stats, const char *sid,
                                            const char *identity)
{
  g_mutex_lock (&stats->lock);
  find_participant (stats, sid, identity, TRUE)->connected = TRUE;
  g_mutex_unlock (&stats->lock);
}

void
convoke_client_stats_participant_disconnected (ConvokeClientStats *stats, const char *sid)
{
  ParticipantStats *participant;

  g_mutex_lock (&stats->lock);
  participant = find_participant (stats, sid, NULL, FALSE);
  if (participant != NULL)
    {
      participant->connected = FALSE;
      for (guint i = 0; i < participant->tracks->len; i++)
        ((ConvokeTrackStats *) g_ptr_array_index (participant->tracks, i))->active
            = FALSE;
    }
  g_mutex_unlock (&stats->lock);
}

ConvokeTrackStats *
convoke_client_stats_track (ConvokeClientStats *stats, const char *participant_sid,
                            const char *identity, const char *kind,
                            gint64 connection_created)
{
  ParticipantStats *participant;
  ConvokeTrackStats *track = NULL;

  g_mutex_lock (&stats->lock);
  participant = find_participant (stats, participant_sid, identity, TRUE);
  for (guint i = 0; i < participant->tracks->len && track == NULL; i++)
    {
      ConvokeTrackStats *candidate = g_ptr_array_index (participant->tracks, i);

      if (g_strcmp0 (candidate->kind, kind) == 0)
        track = candidate;
    }
  if (track == NULL)
    {
      track = g_new0 (ConvokeTrackStats, 1);
      track->owner = stats;
      track->kind = g_strdup (kind);
      track->connection_created = connection_created;
      g_ptr_array_add (participant->tracks, track);
    }
  track->active = TRUE;
  g_mutex_unlock (&stats->lock);
  return track;
}

void
convoke_client_stats_track_active (ConvokeClientStats *stats, ConvokeTrackStats *track,
                                   gboolean active)
{
  g_mutex_lock (&stats->lock);
  track->active = active;
  g_mutex_unlock (&stats->lock);
}

void
convoke_track_stats_add_bytes (ConvokeTrackStats *track, gsize bytes)
{
  g_mutex_lock (&track->owner->lock);
  track->bytes += bytes;
  g_mutex_unlock (&track->owner->lock);
}

void
convoke_track_stats_add_decoded (ConvokeTrackStats *track)
{
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&track->owner->lock);
  if (track->decoded++ == 0)
    track->first_decoded = now;
  else
    {
      gint64 gap = now - track->last_decoded;

      track->longest_gap = MAX (track->longest_gap, gap);
      if (gap >= STALL_US)
        {
          track->stalls++;
          track->stall_time += gap;
          track->last_stall_end = now;
        }
    }
  track->last_decoded = now;
  g_mutex_unlock (&track->owner->lock);
}

guint64
convoke_track_stats_get_decoded (ConvokeTrackStats *track)
{
  guint64 decoded;

  g_mutex_lock (&track->owner->lock);
  decoded = track->decoded;
  g_mutex_unlock (&track->owner->lock);
  return decoded;
}

static void
add_optional_string (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* Milliseconds from @since to @when, or null when either is unknown. */
static void
add_latency (JsonBuilder *builder, const char *member, gint64 since, gint64 when)
{
  json_builder_set_member_name (builder, member);
  if (since > 0 && when > 0)
    json_builder_add_int_value (builder, (when - since) / 1000);
  else
    json_builder_add_null_value (builder);
}

static void
add_warnings (JsonBuilder *builder, ConvokeClientStats *stats)
{
  json_builder_set_member_name (builder, "warnings_total");
  json_builder_add_int_value (builder, (gint64) stats->warnings_total);
  json_builder_set_member_name (builder, "warnings");
  json_builder_begin_array (builder);
  for (guint i = 0; i < stats->warnings->len; i++)
    {
      WarningStats *warning = g_ptr_array_index (stats->warnings, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_int_value (builder, warning->code);
      add_optional_string (builder, "message", warning->message);
      add_latency (builder, "elapsed_ms", stats->start_time, warning->time);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* Stalls, and the gap that is going on now (a stall in progress has no
 * frame yet to end it). */
static void
add_gaps (JsonBuilder *builder, ConvokeClientStats *stats, ConvokeTrackStats *track)
{
  gint64 now = g_get_monotonic_time ();

  json_builder_set_member_name (builder, "longest_gap_ms");
  json_builder_add_int_value (builder, track->longest_gap / 1000);
  json_builder_set_member_name (builder, "current_gap_ms");
  if (track->decoded > 0)
    json_builder_add_int_value (builder, (now - track->last_decoded) / 1000);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "stalls");
  json_builder_add_int_value (builder, (gint64) track->stalls);
  json_builder_set_member_name (builder, "stall_ms");
  json_builder_add_int_value (builder, track->stall_time / 1000);
  add_latency (builder, "last_stall_end_ms", stats->start_time,
               track->stalls > 0 ? track->last_stall_end : 0);
}

static void
add_participant (JsonBuilder *builder, ConvokeClientStats *stats,
                 ParticipantStats *participant)
{
  json_builder_begin_object (builder);
  add_optional_string (builder, "sid", participant->sid);
  add_optional_string (builder, "identity", participant->identity);
  json_builder_set_member_name (builder, "connected");
  json_builder_add_boolean_value (builder, participant->connected);
  json_builder_set_member_name (builder, "tracks");
  json_builder_begin_object (builder);
  for (guint i = 0; i < participant->tracks->len; i++)
    {
      ConvokeTrackStats *track = g_ptr_array_index (participant->tracks, i);

      json_builder_set_member_name (builder, track->kind);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "active");
      json_builder_add_boolean_value (builder, track->active);
      json_builder_set_member_name (builder, "frames_decoded");
      json_builder_add_int_value (builder, (gint64) track->decoded);
      json_builder_set_member_name (builder, "bytes_received");
      json_builder_add_int_value (builder, (gint64) track->bytes);
      add_latency (builder, "first_frame_ms_from_connection", track->connection_created,
                   track->first_decoded);
      add_latency (builder, "first_frame_ms_from_join", stats->join_time,
                   track->first_decoded);
      add_gaps (builder, stats, track);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  for (guint i = 0; i < participant->data->len; i++)
    {
      DataTrackStats *data = g_ptr_array_index (participant->data, i);

      json_builder_set_member_name (builder, data->label);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "messages_total");
      json_builder_add_int_value (builder, (gint64) data->total);
      json_builder_set_member_name (builder, "messages");
      json_builder_begin_array (builder);
      for (guint m = 0; m < data->messages->len; m++)
        json_builder_add_string_value (builder, g_ptr_array_index (data->messages, m));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

JsonNode *
convoke_client_stats_to_json (ConvokeClientStats *stats)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_mutex_lock (&stats->lock);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "elapsed_ms");
  json_builder_add_int_value (builder,
                              (g_get_monotonic_time () - stats->start_time) / 1000);
  add_optional_string (builder, "status", stats->status);
  json_builder_set_member_name (builder, "error");
  if (stats->error_code != 0)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_int_value (builder, stats->error_code);
      add_optional_string (builder, "message", stats->error_message);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  add_optional_string (builder, "identity", stats->identity);
  add_optional_string (builder, "participant_sid", stats->participant_sid);
  add_optional_string (builder, "room_sid", stats->room_sid);
  add_optional_string (builder, "room_name", stats->room_name);
  add_optional_string (builder, "topology", stats->topology);
  add_latency (builder, "join_ms", stats->start_time, stats->join_time);
  add_warnings (builder, stats);
  json_builder_set_member_name (builder, "participants");
  json_builder_begin_array (builder);
  for (guint i = 0; i < stats->participants->len; i++)
    add_participant (builder, stats, g_ptr_array_index (stats->participants, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  g_mutex_unlock (&stats->lock);
  return json_builder_get_root (builder);
}

gboolean
convoke_client_stats_write (ConvokeClientStats *stats, const char *path, GError **error)
{
  g_autoptr (JsonNode) root = convoke_client_stats_to_json (stats);
  g_autofree char *text = json_to_string (root, TRUE);

  return g_file_set_contents (path, text, -1, error);
}
