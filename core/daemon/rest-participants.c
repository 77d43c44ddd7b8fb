/* /v1/Rooms/{RoomSid}/Participants… : Twilio's room_participant,
 * room_participant_published_track and room_participant_subscribed_track
 * resources.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "i18n.h"
#include "rest-private.h"
#include "room-participants.h"
#include "sid.h"
#include "twilio-error.h"
#include "untrusted-text.h"

/* A sid is 34 characters; more is someone else's text. */
#define QUOTED_SID_MAX_CHARS 40

static const char *const participant_statuses[]
    = { "connected", "disconnected", "reconnecting", NULL };

static char *
participant_url (ConvokeRestRequest *req, ConvokeParticipant *participant)
{
  return convoke_rest_url (req, "/v1/Rooms/%s/Participants/%s", participant->room->sid,
                           participant->sid);
}

static JsonNode *
participant_to_json (ConvokeRestRequest *req, gpointer item)
{
  ConvokeParticipant *participant = item;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *url = participant_url (req, participant);
  g_autofree char *published = g_strconcat (url, "/PublishedTracks", NULL);
  g_autofree char *subscribed = g_strconcat (url, "/SubscribedTracks", NULL);

  json_builder_begin_object (b);
  convoke_rest_add_string (b, "sid", participant->sid);
  convoke_rest_add_string (b, "room_sid", participant->room->sid);
  convoke_rest_add_string (b, "account_sid", req->config->account_sid);
  convoke_rest_add_string (b, "status",
                           convoke_participant_status_to_string (participant->status));
  convoke_rest_add_string (b, "identity", participant->identity);
  convoke_rest_add_date (b, "date_created", participant->start_time);
  convoke_rest_add_date (b, "date_updated",
                         participant->date_updated ? participant->date_updated
                                                   : participant->start_time);
  convoke_rest_add_date (b, "start_time", participant->start_time);
  convoke_rest_add_date (b, "end_time", participant->end_time);
  /* Twilio: "Populated only after the participant is disconnected". */
  convoke_rest_add_duration (b, "duration", participant->start_time,
                             participant->end_time);
  convoke_rest_add_string (b, "url", url);
  json_builder_set_member_name (b, "links");
  json_builder_begin_object (b);
  convoke_rest_add_string (b, "published_tracks", published);
  convoke_rest_add_string (b, "subscribed_tracks", subscribed);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static const char *
participant_sid_of (gpointer item)
{
  return ((ConvokeParticipant *) item)->sid;
}

typedef struct
{
  ConvokeParticipant *participant;
  ConvokeTrack *track;
} TrackItem;

static JsonNode *
track_to_json (ConvokeRestRequest *req, gpointer item)
{
  TrackItem *ti = item;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *base = participant_url (req, ti->participant);
  g_autofree char *url = g_strconcat (base, "/PublishedTracks/", ti->track->sid, NULL);

  json_builder_begin_object (b);
  convoke_rest_add_string (b, "sid", ti->track->sid);
  convoke_rest_add_string (b, "participant_sid", ti->participant->sid);
  convoke_rest_add_string (b, "room_sid", ti->participant->room->sid);
  convoke_rest_add_string (b, "name", ti->track->name);
  /* A published track does not change after it is published. */
  convoke_rest_add_date (b, "date_created", ti->track->date_created);
  convoke_rest_add_date (b, "date_updated", ti->track->date_created);
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, ti->track->enabled);
  convoke_rest_add_string (b, "kind", ti->track->kind);
  convoke_rest_add_string (b, "url", url);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static const char *
track_sid_of (gpointer item)
{
  return ((TrackItem *) item)->track->sid;
}

static ConvokeParticipant *
find_participant (ConvokeRoom *room, const char *sid_or_identity)
{
  ConvokeParticipant *participant;

  /* An identity names the connected participant first; one that has left
   * is still reachable by its identity once no one else holds it. */
  participant = convoke_room_find_participant (room, sid_or_identity, TRUE);
  if (participant == NULL)
    participant = convoke_room_find_participant (room, sid_or_identity, FALSE);
  return participant;
}

static void
list_participants (ConvokeRestRequest *req, ConvokeRoom *room)
{
  const char *status = NULL;
  const char *identity = g_hash_table_lookup (req->query, "Identity");
  g_autoptr (GDateTime) after = NULL;
  g_autoptr (GDateTime) before = NULL;
  g_autoptr (GPtrArray) filtered = g_ptr_array_new ();
  g_autofree char *path = NULL;

  if (!convoke_rest_param_enum (req, req->query, "Status", participant_statuses,
                                CONVOKE_ERROR_INVALID_PARAMETER, &status)
      || !convoke_rest_param_date (req, req->query, "DateCreatedAfter", &after)
      || !convoke_rest_param_date (req, req->query, "DateCreatedBefore", &before))
    return;

  for (guint i = 0; room->participants != NULL && i < room->participants->len; i++)
    {
      ConvokeParticipant *participant = g_ptr_array_index (room->participants, i);

      if (status != NULL
          && strcmp (status, convoke_participant_status_to_string (participant->status))
                 != 0)
        continue;
      if (identity != NULL && g_strcmp0 (identity, participant->identity) != 0)
        continue;
      if (after != NULL && g_date_time_compare (participant->start_time, after) < 0)
        continue;
      if (before != NULL && g_date_time_compare (participant->start_time, before) >= 0)
        continue;
      g_ptr_array_add (filtered, participant);
    }

  path = g_strdup_printf ("/v1/Rooms/%s/Participants", room->sid);
  {
    /* The order of Twilio's own example URLs. */
    /* clang-format off */
    const char *const filters[] = {
      "Status", status,
      "DateCreatedAfter", g_hash_table_lookup (req->query, "DateCreatedAfter"),
      "DateCreatedBefore", g_hash_table_lookup (req->query, "DateCreatedBefore"),
      "Identity", identity,
      NULL,
    };
    /* clang-format on */
    convoke_rest_reply_page (req, path, filters, "participants", filtered,
                             participant_sid_of, participant_to_json);
  }
}

static void
update_participant (ConvokeRestRequest *req, ConvokeParticipant *participant)
{
  const char *status = g_hash_table_lookup (req->form, "Status");

  if (g_strcmp0 (status, "disconnected") != 0)
    {
      convoke_rest_reply_error (
          req, CONVOKE_ERROR_INVALID_PARAMETER,
          _ ("Status “%s” is not a valid update: the only update is "
             "Status=disconnected"),
          status ? status : "");
      return;
    }
  /* Disconnecting someone who already left changes nothing. */
  if (participant->status == CONVOKE_PARTICIPANT_CONNECTED)
    convoke_room_registry_kick (req->registry, participant);
  convoke_rest_reply_json (req, SOUP_STATUS_ACCEPTED,
                           participant_to_json (req, participant));
}

static void
handle_published_tracks (ConvokeRestRequest *req, ConvokeParticipant *participant)
{
  GPtrArray *tracks = participant->published_tracks;
  g_autofree TrackItem *items = NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  g_autofree char *path = NULL;
  guint n = tracks ? tracks->len : 0;

  if (g_strcmp0 (req->method, SOUP_METHOD_GET) != 0)
    {
      convoke_rest_reply_method_not_allowed (req, "GET");
      return;
    }
  items = g_new0 (TrackItem, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      items[i].participant = participant;
      items[i].track = g_ptr_array_index (tracks, i);
      if (req->n_segments == 6
          && (g_strcmp0 (items[i].track->sid, req->segments[5]) == 0
              || g_strcmp0 (items[i].track->name, req->segments[5]) == 0))
        {
          convoke_rest_reply_json (req, SOUP_STATUS_OK, track_to_json (req, &items[i]));
          return;
        }
      g_ptr_array_add (list, &items[i]);
    }
  if (req->n_segments == 6)
    {
      convoke_rest_reply_not_found (req, _ ("No published track “%s” for participant %s"),
                                    req->segments[5], participant->sid);
      return;
    }
  path = g_strdup_printf ("/v1/Rooms/%s/Participants/%s/PublishedTracks",
                          participant->room->sid, participant->sid);
  convoke_rest_reply_page (req, path, NULL, "published_tracks", list, track_sid_of,
                           track_to_json);
}

static JsonNode *
subscribed_track_to_json (ConvokeRestRequest *req, gpointer item)
{
  ConvokeSubscribedTrack *st = item;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *base = participant_url (req, st->subscriber);
  g_autofree char *url = g_strconcat (base, "/SubscribedTracks/", st->track->sid, NULL);

  json_builder_begin_object (b);
  /* Twilio's subscribed track is addressed by the track's own sid. */
  convoke_rest_add_string (b, "sid", st->track->sid);
  convoke_rest_add_string (b, "participant_sid", st->subscriber->sid);
  convoke_rest_add_string (b, "publisher_sid", st->publisher->sid);
  convoke_rest_add_string (b, "room_sid", st->subscriber->room->sid);
  convoke_rest_add_string (b, "name", st->track->name);
  convoke_rest_add_date (b, "date_created", st->since);
  convoke_rest_add_date (b, "date_updated", st->since);
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, st->track->enabled);
  convoke_rest_add_string (b, "kind", st->track->kind);
  convoke_rest_add_string (b, "url", url);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static const char *
subscribed_track_sid_of (gpointer item)
{
  return ((ConvokeSubscribedTrack *) item)->track->sid;
}

static void
handle_subscribed_tracks (ConvokeRestRequest *req, ConvokeParticipant *participant)
{
  g_autoptr (GPtrArray) tracks = NULL;
  g_autofree char *path = NULL;
  g_autofree char *quoted = NULL;

  if (g_strcmp0 (req->method, SOUP_METHOD_GET) != 0)
    {
      convoke_rest_reply_method_not_allowed (req, "GET");
      return;
    }
  tracks = convoke_participant_list_subscribed_tracks (participant);
  if (req->n_segments == 6)
    {
      /* By sid only: names need not be unique among what one participant
       * receives. */
      for (guint i = 0; i < tracks->len; i++)
        {
          ConvokeSubscribedTrack *st = g_ptr_array_index (tracks, i);

          if (g_strcmp0 (st->track->sid, req->segments[5]) == 0)
            {
              convoke_rest_reply_json (req, SOUP_STATUS_OK,
                                       subscribed_track_to_json (req, st));
              return;
            }
        }
      quoted = convoke_quote_untrusted (req->segments[5], QUOTED_SID_MAX_CHARS);
      convoke_rest_reply_not_found (req,
                                    _ ("No subscribed track “%s” for participant %s"),
                                    quoted, participant->sid);
      return;
    }
  path = g_strdup_printf ("/v1/Rooms/%s/Participants/%s/SubscribedTracks",
                          participant->room->sid, participant->sid);
  convoke_rest_reply_page (req, path, NULL, "subscribed_tracks", tracks,
                           subscribed_track_sid_of, subscribed_track_to_json);
}

void
convoke_rest_handle_participants (ConvokeRestRequest *req, ConvokeRoom *room)
{
  gboolean is_get = g_strcmp0 (req->method, SOUP_METHOD_GET) == 0;
  gboolean is_post = g_strcmp0 (req->method, SOUP_METHOD_POST) == 0;
  g_autoptr (ConvokeParticipant) participant = NULL;
  ConvokeParticipant *found;

  if (req->n_segments == 3)
    {
      if (is_get)
        list_participants (req, room);
      else
        convoke_rest_reply_method_not_allowed (req, "GET");
      return;
    }

  found = find_participant (room, req->segments[3]);
  if (found == NULL)
    {
      convoke_rest_reply_not_found (req, _ ("No participant “%s” in room %s"),
                                    req->segments[3], room->sid);
      return;
    }
  /* A kick below makes the room drop the participant from its connected
   * set; keep it alive for the reply. */
  participant = convoke_participant_ref (found);

  if (req->n_segments == 4)
    {
      if (is_get)
        convoke_rest_reply_json (req, SOUP_STATUS_OK,
                                 participant_to_json (req, participant));
      else if (is_post)
        update_participant (req, participant);
      else
        convoke_rest_reply_method_not_allowed (req, "GET, POST");
      return;
    }
  if (req->n_segments <= 6 && strcmp (req->segments[4], "PublishedTracks") == 0)
    handle_published_tracks (req, participant);
  else if (req->n_segments <= 6 && strcmp (req->segments[4], "SubscribedTracks") == 0)
    handle_subscribed_tracks (req, participant);
  else
    convoke_rest_reply_not_found (req, _ ("No resource at %s"), req->path);
}
