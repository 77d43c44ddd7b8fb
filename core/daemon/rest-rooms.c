/* /v1/Rooms and /v1/Rooms/{Sid}: Twilio's video.v1.room resource.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "rest-private.h"
#include "rest-recordings.h"
#include "sid.h"
#include "twilio-error.h"
#include "worker-supervisor.h"

/* Twilio: "Valid values range from 1 to 60 minutes". */
#define ROOM_TIMEOUT_MIN 1
#define ROOM_TIMEOUT_MAX 60

static const char *const room_statuses[] = { "in-progress", "completed", "failed", NULL };
static const char *const callback_methods[] = { "POST", "GET", NULL };
static const char *const pipeline_formats[] = { "dot", "text", NULL };

static const char *
room_unique_name (ConvokeRoom *room)
{
  /* Twilio names an unnamed room after its sid. */
  return room->unique_name ? room->unique_name : room->sid;
}

static void
add_video_codecs (JsonBuilder *b, ConvokeRoom *room)
{
  const char *topology = NULL;

  if (room->module != NULL && room->module->vtable != NULL)
    topology = room->module->vtable->client_topology;
  json_builder_set_member_name (b, "video_codecs");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "VP8");
  /* Mesh rooms relay SDP untouched, so peers may agree on H.264 too; the
   * SFU forwards VP8 only. */
  if (g_strcmp0 (topology, "sfu") != 0)
    json_builder_add_string_value (b, "H264");
  json_builder_end_array (b);
}

JsonNode *
convoke_rest_room_to_json (ConvokeRestRequest *req, ConvokeRoom *room)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *url = convoke_rest_url (req, "/v1/Rooms/%s", room->sid);
  g_autofree char *participants_url = g_strconcat (url, "/Participants", NULL);

  json_builder_begin_object (b);
  convoke_rest_add_string (b, "sid", room->sid);
  convoke_rest_add_string (b, "status", convoke_room_status_to_string (room->status));
  convoke_rest_add_date (b, "date_created", room->date_created);
  convoke_rest_add_date (b, "date_updated", room->date_updated);
  convoke_rest_add_string (b, "account_sid", req->config->account_sid);
  json_builder_set_member_name (b, "enable_turn");
  json_builder_add_boolean_value (b, TRUE);
  convoke_rest_add_string (b, "unique_name", room_unique_name (room));
  convoke_rest_add_string (b, "status_callback", room->status_callback);
  convoke_rest_add_string (b, "status_callback_method",
                           room->status_callback_method ? room->status_callback_method
                                                        : "POST");
  convoke_rest_add_date (b, "end_time", room->end_time);
  convoke_rest_add_duration (b, "duration", room->date_created, room->end_time);
  convoke_rest_add_string (b, "type", room->type ? room->type->name : NULL);
  json_builder_set_member_name (b, "max_participants");
  json_builder_add_int_value (b, room->max_participants);
  /* Not enforced: 0 says "no limit" rather than claiming Twilio's 4 h. */
  json_builder_set_member_name (b, "max_participant_duration");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "max_concurrent_published_tracks");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "record_participants_on_connect");
  json_builder_add_boolean_value (b, room->record_participants_on_connect);
  add_video_codecs (b, room);
  convoke_rest_add_string (b, "media_region", NULL);
  json_builder_set_member_name (b, "audio_only");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "empty_room_timeout");
  json_builder_add_int_value (b, room->empty_room_timeout);
  json_builder_set_member_name (b, "unused_room_timeout");
  json_builder_add_int_value (b, room->unused_room_timeout);
  json_builder_set_member_name (b, "large_room");
  json_builder_add_boolean_value (b, FALSE);
  convoke_rest_add_string (b, "url", url);
  json_builder_set_member_name (b, "links");
  json_builder_begin_object (b);
  convoke_rest_add_string (b, "participants", participants_url);
  json_builder_end_object (b);
  convoke_rest_add_string (b, "pending_type", room->pending_type);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static const char *
room_sid_of (gpointer item)
{
  return ((ConvokeRoom *) item)->sid;
}

static JsonNode *
room_item_to_json (ConvokeRestRequest *req, gpointer item)
{
  return convoke_rest_room_to_json (req, item);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
configured_type_names (ConvokeConfig *config)
{
  g_autofree const char **names = NULL;
  guint n = 0;

  names = (const char **) g_hash_table_get_keys_as_array (config->types, &n);
  qsort (names, n, sizeof (char *), compare_names);
  return g_strjoinv (", ", (char **) names);
}

static gboolean
is_http_url (const char *text)
{
  g_autoptr (GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *scheme;

  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return (g_ascii_strcasecmp (scheme, "http") == 0
          || g_ascii_strcasecmp (scheme, "https") == 0)
         && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static const char *
nonempty (GHashTable *params, const char *name)
{
  const char *value = g_hash_table_lookup (params, name);

  return value != NULL && *value != '\0' ? value : NULL;
}

void
convoke_rest_create_room (ConvokeRestRequest *req, const char *sid)
{
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  g_autoptr (GError) error = NULL;
  ConvokeRoomType *type;
  const char *type_name;
  const char *method = NULL;
  g_autofree char *method_upper = NULL;
  gint64 max_participants = -1, empty_timeout = -1, unused_timeout = -1;
  ConvokeRoom *room;

  params.unique_name = nonempty (req->form, "UniqueName");
  params.type = nonempty (req->form, "Type");
  params.status_callback = nonempty (req->form, "StatusCallback");

  /* Resolve the type the registry will pick, so that the range and type
   * errors can name it. */
  type_name = params.type;
  if (type_name == NULL && params.unique_name != NULL)
    type_name = convoke_config_named_room_type (req->config, params.unique_name);
  if (type_name == NULL)
    type_name = req->config->default_type;
  type = type_name ? convoke_config_lookup_type (req->config, type_name) : NULL;
  if (type == NULL)
    {
      g_autofree char *known = configured_type_names (req->config);
      convoke_rest_reply_error (
          req, CONVOKE_ERROR_ROOM_TYPE_INVALID,
          _("Type “%s” is not a configured room type; the types are: %s"),
          type_name ? type_name : "", known);
      return;
    }

  /* A type without a limit still takes Twilio's integer range. */
  if (!convoke_rest_param_int (req, req->form, "MaxParticipants", 1,
                               type->max_participants ? type->max_participants : G_MAXINT,
                               CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_OUT_OF_RANGE,
                               &max_participants)
      || !convoke_rest_param_int (req, req->form, "EmptyRoomTimeout", ROOM_TIMEOUT_MIN,
                                  ROOM_TIMEOUT_MAX,
                                  CONVOKE_ERROR_ROOM_TIMEOUT_OUT_OF_RANGE, &empty_timeout)
      || !convoke_rest_param_int (
          req, req->form, "UnusedRoomTimeout", ROOM_TIMEOUT_MIN, ROOM_TIMEOUT_MAX,
          CONVOKE_ERROR_ROOM_TIMEOUT_OUT_OF_RANGE, &unused_timeout)
      || !convoke_rest_param_bool (req, req->form, "RecordParticipantsOnConnect",
                                   &params.record_participants_on_connect,
                                   &params.record_set))
    return;

  if (params.status_callback != NULL && !is_http_url (params.status_callback))
    {
      convoke_rest_reply_error (req, CONVOKE_ERROR_ROOM_STATUS_CALLBACK_INVALID,
                                _("StatusCallback “%s” is not an http or https URL"),
                                params.status_callback);
      return;
    }
  if (nonempty (req->form, "StatusCallbackMethod") != NULL)
    {
      method_upper
          = g_ascii_strup (g_hash_table_lookup (req->form, "StatusCallbackMethod"), -1);
      g_hash_table_replace (req->form, g_strdup ("StatusCallbackMethod"),
                            g_steal_pointer (&method_upper));
      if (!convoke_rest_param_enum (req, req->form, "StatusCallbackMethod",
                                    callback_methods,
                                    CONVOKE_ERROR_ROOM_STATUS_CALLBACK_INVALID, &method))
        return;
    }
  params.status_callback_method = method ? method : "POST";
  params.type = type->name;
  params.max_participants = (gint) max_participants;
  params.empty_room_timeout = (gint) empty_timeout;
  params.unused_room_timeout = (gint) unused_timeout;
  params.sid = sid;
  /* EnableTurn, VideoCodecs, MediaRegion, AudioOnly, MaxParticipantDuration,
   * RecordingRules, LargeRoom and the transcription parameters are
   * accepted and ignored, as docs/rest-api.md says. */

  room = convoke_room_registry_create_room (req->registry, &params, &error);
  if (room == NULL)
    {
      convoke_rest_reply_gerror (req, error);
      return;
    }
  convoke_rest_reply_json (req, SOUP_STATUS_CREATED,
                           convoke_rest_room_to_json (req, room));
}

static void
list_rooms (ConvokeRestRequest *req)
{
  const char *status = "in-progress";
  const char *status_given = NULL;
  const char *unique_name = nonempty (req->query, "UniqueName");
  g_autoptr (GDateTime) after = NULL;
  g_autoptr (GDateTime) before = NULL;
  g_autoptr (GPtrArray) rooms = NULL;
  g_autoptr (GPtrArray) filtered = g_ptr_array_new ();

  if (!convoke_rest_param_enum (req, req->query, "Status", room_statuses,
                                CONVOKE_ERROR_INVALID_PARAMETER, &status_given)
      || !convoke_rest_param_date (req, req->query, "DateCreatedAfter", &after)
      || !convoke_rest_param_date (req, req->query, "DateCreatedBefore", &before))
    return;
  /* The spec: "Can be: in-progress (default) or completed". */
  if (status_given != NULL)
    status = status_given;

  rooms = convoke_room_registry_list (req->registry, status, unique_name);
  for (guint i = 0; rooms != NULL && i < rooms->len; i++)
    {
      ConvokeRoom *room = g_ptr_array_index (rooms, i);

      /* "on or after" and "before", as the spec words it. */
      if (after != NULL && g_date_time_compare (room->date_created, after) < 0)
        continue;
      if (before != NULL && g_date_time_compare (room->date_created, before) >= 0)
        continue;
      g_ptr_array_add (filtered, room);
    }

  {
    /* clang-format off */
    const char *const filters[] = {
      "Status", status_given,
      "UniqueName", unique_name,
      "DateCreatedAfter", g_hash_table_lookup (req->query, "DateCreatedAfter"),
      "DateCreatedBefore", g_hash_table_lookup (req->query, "DateCreatedBefore"),
      NULL,
    };
    /* clang-format on */
    if (!convoke_rest_cluster_list_rooms (req, filtered, status, unique_name, after, before,
                                          filters))
      convoke_rest_reply_page (req, "/v1/Rooms", filters, "rooms", filtered, room_sid_of,
                               room_item_to_json);
  }
}

static void
update_room (ConvokeRestRequest *req, ConvokeRoom *room)
{
  const char *status = g_hash_table_lookup (req->form, "Status");

  if (status == NULL)
    {
      convoke_rest_reply_error (
          req, CONVOKE_ERROR_ROOM_STATUS_INVALID,
          _("Status is required: the only update is Status=completed"));
      return;
    }
  if (strcmp (status, "completed") != 0)
    {
      convoke_rest_reply_error (
          req, CONVOKE_ERROR_ROOM_STATUS_INVALID,
          _("Status “%s” is not a valid update: the only update is "
            "Status=completed"),
          status);
      return;
    }
  /* Completing a room that has already ended leaves it as it is. */
  if (room->status == CONVOKE_ROOM_IN_PROGRESS)
    convoke_room_registry_end_room (req->registry, room, CONVOKE_ROOM_COMPLETED, NULL);
  convoke_rest_reply_json (req, SOUP_STATUS_ACCEPTED,
                           convoke_rest_room_to_json (req, room));
}

/* GET /v1/Rooms/{Sid}/Pipeline: the graph comes from the room's worker
 * process, so the message waits, paused, while the daemon's main loop
 * goes on serving everyone else. */
typedef struct
{
  ConvokeRestApi *api; /* a reference (g_rc_box) */
  SoupServerMessage *msg;
  const char *content_type; /* static */
  gulong finished_handler;
  gboolean finished; /* the client went away meanwhile: nothing to answer */
} PipelineRequest;

static void
pipeline_request_free (PipelineRequest *pending)
{
  if (pending->finished_handler != 0)
    g_signal_handler_disconnect (pending->msg, pending->finished_handler);
  g_object_unref (pending->msg);
  g_rc_box_release (pending->api);
  g_free (pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PipelineRequest, pipeline_request_free)

static void
pipeline_on_finished (SoupServerMessage *msg, gpointer user_data)
{
  ((PipelineRequest *) user_data)->finished = TRUE;
}

static void
pipeline_dumped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PipelineRequest) pending = user_data;
  g_autoptr (GError) error = NULL;
  /* The handle is not needed to finish, and may be gone by now. */
  g_autofree char *graph = convoke_worker_dump_pipeline_finish (NULL, result, &error);

  if (pending->finished)
    return;
  if (graph == NULL)
    convoke_rest_send_error (pending->api, pending->msg,
                             error->domain == CONVOKE_ERROR ? error->code
                                                            : CONVOKE_ERROR_INTERNAL,
                             0, error->message);
  else
    {
      gsize length = strlen (graph);

      soup_server_message_set_status (pending->msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (pending->msg, pending->content_type,
                                        SOUP_MEMORY_TAKE, g_steal_pointer (&graph),
                                        length);
    }
  soup_server_message_unpause (pending->msg);
}

static void
get_pipeline (ConvokeRestRequest *req, ConvokeRoom *room)
{
  const char *format = "dot";
  PipelineRequest *pending;

  if (!convoke_rest_param_enum (req, req->query, "format", pipeline_formats,
                                CONVOKE_ERROR_INVALID_PARAMETER, &format))
    return;
  if (room->worker == NULL)
    {
      convoke_rest_reply_error (
          req, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
          _ ("Room %s has no media worker: it is not a group room, or it has ended"),
          room->sid);
      return;
    }

  pending = g_new0 (PipelineRequest, 1);
  pending->api = g_rc_box_acquire (req->api);
  pending->msg = g_object_ref (req->msg);
  pending->content_type = g_str_equal (format, "dot") ? "text/vnd.graphviz; charset=utf-8"
                                                      : "text/plain; charset=utf-8";
  pending->finished_handler = g_signal_connect (
      req->msg, "finished", G_CALLBACK (pipeline_on_finished), pending);
  soup_server_message_pause (req->msg);
  convoke_worker_dump_pipeline_async (room->worker, format, pipeline_dumped, pending);
}

void
convoke_rest_handle_rooms (ConvokeRestRequest *req)
{
  gboolean is_get = g_strcmp0 (req->method, SOUP_METHOD_GET) == 0;
  gboolean is_post = g_strcmp0 (req->method, SOUP_METHOD_POST) == 0;
  g_autoptr (ConvokeRoom) room = NULL;
  ConvokeRoom *found;

  if (req->n_segments == 1)
    {
      if (is_get)
        list_rooms (req);
      else if (is_post)
        {
          if (!convoke_rest_cluster_create_room (req))
            convoke_rest_create_room (req, NULL);
        }
      else
        convoke_rest_reply_method_not_allowed (req, "GET, POST");
      return;
    }

  found = convoke_room_registry_lookup (req->registry, req->segments[1]);
  if (found == NULL && convoke_rest_cluster_handle_remote_room (req))
    return;
  if (found == NULL)
    {
      convoke_rest_reply_not_found (req, _("No room “%s”"), req->segments[1]);
      return;
    }
  /* Ending the room below may drop the registry's last other reference
   * holder's interest; keep it alive until the reply is built. */
  room = convoke_room_ref (found);

  if (req->n_segments == 2)
    {
      if (is_get)
        convoke_rest_reply_json (req, SOUP_STATUS_OK,
                                 convoke_rest_room_to_json (req, room));
      else if (is_post)
        update_room (req, room);
      else
        convoke_rest_reply_method_not_allowed (req, "GET, POST");
      return;
    }
  if (strcmp (req->segments[2], "Participants") == 0)
    {
      convoke_rest_handle_participants (req, room);
      return;
    }
  if (strcmp (req->segments[2], "Recordings") == 0)
    {
      convoke_rest_handle_room_recordings (req, room);
      return;
    }
  if (strcmp (req->segments[2], "Pipeline") == 0 && req->n_segments == 3)
    {
      if (is_get)
        get_pipeline (req, room);
      else
        convoke_rest_reply_method_not_allowed (req, "GET");
      return;
    }
  convoke_rest_reply_not_found (req, _("No resource at %s"), req->path);
}
