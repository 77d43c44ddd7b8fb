/* The Recordings resources of the REST API (docs/recording.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rest-recordings.h"

#include <string.h>

#include "i18n.h"
#include "recording-store.h"
#include "twilio-error.h"

static const char *const recording_statuses[]
    = { "processing", "completed", "deleted", "failed", NULL };
static const char *const media_types[] = { "audio", "video", "data", NULL };

/* Which of Twilio's two shapes a reply takes. */
typedef enum
{
  SCOPE_ACCOUNT, /* video.v1.recording, under /v1/Recordings */
  SCOPE_ROOM,    /* video.v1.room.room_recording, under /v1/Rooms/{RoomSid} */
} Scope;

static char *
recording_url (ConvokeRestRequest *req, ConvokeRecording *recording, Scope scope)
{
  if (scope == SCOPE_ROOM)
    return convoke_rest_url (req, "/v1/Rooms/%s/Recordings/%s", recording->room_sid,
                             recording->sid);
  return convoke_rest_url (req, "/v1/Recordings/%s", recording->sid);
}

static void
add_nullable_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  if (value >= 0)
    json_builder_add_int_value (b, value);
  else
    json_builder_add_null_value (b);
}

static JsonNode *
recording_to_json (ConvokeRestRequest *req, ConvokeRecording *recording, Scope scope)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *url = recording_url (req, recording, scope);
  g_autofree char *media_url = g_strconcat (url, "/Media", NULL);
  ConvokeRoom *room = convoke_room_registry_lookup (req->registry, recording->room_sid);
  gint64 size = recording->status == CONVOKE_RECORDING_PROCESSING
                    ? convoke_recording_current_size (recording)
                    : recording->size;

  json_builder_begin_object (b);
  convoke_rest_add_string (b, "account_sid", req->config->account_sid);
  convoke_rest_add_string (b, "status",
                           convoke_recording_status_to_string (recording->status));
  convoke_rest_add_date (b, "date_created", recording->date_created);
  convoke_rest_add_string (b, "sid", recording->sid);
  convoke_rest_add_string (b, "source_sid", recording->source_sid);
  add_nullable_int (b, "size", size);
  convoke_rest_add_string (b, "url", url);
  convoke_rest_add_string (b, "type", recording->type);
  add_nullable_int (b, "duration", convoke_recording_duration_seconds (recording));
  convoke_rest_add_string (b, "container_format", recording->container);
  convoke_rest_add_string (b, "codec", recording->codec);
  json_builder_set_member_name (b, "grouping_sids");
  json_builder_begin_object (b);
  convoke_rest_add_string (b, "room_sid", recording->room_sid);
  convoke_rest_add_string (b, "participant_sid", recording->participant_sid);
  json_builder_end_object (b);
  /* Twilio: "If no name is given, the source_sid is used." */
  convoke_rest_add_string (b, "track_name",
                           recording->track_name != NULL ? recording->track_name
                                                         : recording->source_sid);
  json_builder_set_member_name (b, "offset");
  json_builder_add_int_value (b, recording->offset_ms);
  convoke_rest_add_string (b, "media_external_location", NULL);
  if (scope == SCOPE_ROOM)
    convoke_rest_add_string (b, "room_sid", recording->room_sid);
  else
    {
      /* Recordings report to their room's callback. */
      convoke_rest_add_string (b, "status_callback",
                               room != NULL ? room->status_callback : NULL);
      convoke_rest_add_string (b, "status_callback_method",
                               room != NULL && room->status_callback != NULL
                                   ? room->status_callback_method
                                   : NULL);
    }
  json_builder_set_member_name (b, "links");
  json_builder_begin_object (b);
  convoke_rest_add_string (b, "media", media_url);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static const char *
recording_sid_of (gpointer item)
{
  return ((ConvokeRecording *) item)->sid;
}

static JsonNode *
account_item_to_json (ConvokeRestRequest *req, gpointer item)
{
  return recording_to_json (req, item, SCOPE_ACCOUNT);
}

static JsonNode *
room_item_to_json (ConvokeRestRequest *req, gpointer item)
{
  return recording_to_json (req, item, SCOPE_ROOM);
}

/* Twilio's pattern for SourceSid and GroupingSid: two letters, 32 hex. */
static gboolean
param_sid (ConvokeRestRequest *req, const char *name, const char **out)
{
  const char *value = g_hash_table_lookup (req->query, name);
  gboolean valid = value != NULL && strlen (value) == 34 && g_ascii_isalpha (value[0])
                   && g_ascii_isalpha (value[1]);

  for (const char *p = value != NULL ? value + 2 : NULL; valid && *p != '\0'; p++)
    valid = g_ascii_isxdigit (*p);
  if (value == NULL)
    return TRUE;
  if (!valid)
    {
      convoke_rest_reply_error (req, CONVOKE_ERROR_INVALID_PARAMETER,
                                _ ("%s “%s” is not a sid: two letters and 32 hexadecimal "
                                   "digits, such as MT… or PA…"),
                                name, value);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

static void
list_recordings (ConvokeRestRequest *req, ConvokeRoom *room)
{
  ConvokeRecordingStore *store = convoke_recording_store_get (req->registry);
  const char *status = NULL, *source_sid = NULL, *grouping_sid = NULL, *media_type = NULL;
  g_autoptr (GDateTime) after = NULL;
  g_autoptr (GDateTime) before = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autofree char *path = NULL;

  if (!convoke_rest_param_enum (req, req->query, "Status", recording_statuses,
                                CONVOKE_ERROR_INVALID_PARAMETER, &status)
      || !param_sid (req, "SourceSid", &source_sid)
      /* Twilio filters a room's list by these two only account-wide;
       * taking them everywhere costs nothing. */
      || !param_sid (req, "GroupingSid", &grouping_sid)
      || !convoke_rest_param_enum (req, req->query, "MediaType", media_types,
                                   CONVOKE_ERROR_INVALID_PARAMETER, &media_type)
      || !convoke_rest_param_date (req, req->query, "DateCreatedAfter", &after)
      || !convoke_rest_param_date (req, req->query, "DateCreatedBefore", &before))
    return;

  items = convoke_recording_store_list (store, room != NULL ? room->sid : NULL, status,
                                        source_sid, grouping_sid, media_type, after,
                                        before);
  path = room != NULL ? g_strdup_printf ("/v1/Rooms/%s/Recordings", room->sid)
                      : g_strdup ("/v1/Recordings");
  {
    /* clang-format off */
    const char *const filters[] = {
      "Status", status,
      "SourceSid", source_sid,
      "MediaType", media_type,
      "GroupingSid", grouping_sid,
      "DateCreatedAfter", g_hash_table_lookup (req->query, "DateCreatedAfter"),
      "DateCreatedBefore", g_hash_table_lookup (req->query, "DateCreatedBefore"),
      NULL,
    };
    /* clang-format on */
    convoke_rest_reply_page (req, path, filters, "recordings", items, recording_sid_of,
                             room != NULL ? room_item_to_json : account_item_to_json);
  }
}

static void
serve_media (ConvokeRestRequest *req, ConvokeRecording *recording)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *disposition = NULL;
  SoupMessageHeaders *headers;
  const char *content_type;

  if (recording->status == CONVOKE_RECORDING_PROCESSING)
    {
      convoke_rest_reply_error (req, CONVOKE_ERROR_INVALID_PARAMETER,
                                _ ("Recording %s is still being recorded; its media is "
                                   "available once its status is completed or failed"),
                                recording->sid);
      return;
    }
  if (recording->status == CONVOKE_RECORDING_DELETED)
    {
      convoke_rest_reply_not_found (req, _ ("The media of recording %s was deleted"),
                                    recording->sid);
      return;
    }
  file = g_mapped_file_new (recording->path, FALSE, &error);
  if (file == NULL)
    {
      convoke_rest_reply_not_found (req,
                                    _ ("The media of recording %s is not available: %s"),
                                    recording->sid, error->message);
      return;
    }

  if (recording->encrypted)
    content_type = "application/octet-stream";
  else if (g_str_equal (recording->container, "mka"))
    content_type = "audio/x-matroska";
  else
    content_type = "video/x-matroska";
  basename = g_path_get_basename (recording->path);
  disposition = g_strdup_printf ("attachment; filename=\"%s\"", basename);
  headers = soup_server_message_get_response_headers (req->msg);
  soup_message_headers_replace (headers, "Content-Disposition", disposition);
  soup_message_headers_set_content_type (headers, content_type, NULL);
  bytes = g_mapped_file_get_bytes (file);
  soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg),
                                  bytes);
  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
}

static void
delete_recording (ConvokeRestRequest *req, ConvokeRecording *recording)
{
  g_autoptr (GError) error = NULL;

  if (!convoke_recording_store_delete (convoke_recording_store_get (req->registry),
                                       recording, &error))
    {
      convoke_rest_reply_gerror (req, error);
      return;
    }
  soup_server_message_set_status (req->msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* @segments: what follows "Recordings" in the path; @room: the room it is
 * under, or NULL for /v1/Recordings. */
static void
handle (ConvokeRestRequest *req, ConvokeRoom *room, char **segments, guint n_segments)
{
  gboolean is_get = g_strcmp0 (req->method, SOUP_METHOD_GET) == 0;
  gboolean is_delete = g_strcmp0 (req->method, SOUP_METHOD_DELETE) == 0;
  Scope scope = room != NULL ? SCOPE_ROOM : SCOPE_ACCOUNT;
  ConvokeRecording *recording;

  if (n_segments == 0)
    {
      if (is_get)
        list_recordings (req, room);
      else
        convoke_rest_reply_method_not_allowed (req, "GET");
      return;
    }

  recording = convoke_recording_store_lookup (convoke_recording_store_get (req->registry),
                                              segments[0]);
  if (recording == NULL
      || (room != NULL && g_strcmp0 (recording->room_sid, room->sid) != 0))
    {
      convoke_rest_reply_not_found (req, _ ("No recording “%s”"), segments[0]);
      return;
    }
  if (n_segments == 1)
    {
      if (is_get)
        convoke_rest_reply_json (req, SOUP_STATUS_OK,
                                 recording_to_json (req, recording, scope));
      else if (is_delete)
        delete_recording (req, recording);
      else
        convoke_rest_reply_method_not_allowed (req, "GET, DELETE");
      return;
    }
  if (n_segments == 2 && strcmp (segments[1], "Media") == 0)
    {
      if (is_get)
        serve_media (req, recording);
      else
        convoke_rest_reply_method_not_allowed (req, "GET");
      return;
    }
  convoke_rest_reply_not_found (req, _ ("No resource at %s"), req->path);
}

void
convoke_rest_handle_recordings (ConvokeRestRequest *req)
{
  handle (req, NULL, req->segments + 1, req->n_segments - 1);
}

void
convoke_rest_handle_room_recordings (ConvokeRestRequest *req, ConvokeRoom *room)
{
  handle (req, room, req->segments + 3, req->n_segments - 3);
}
