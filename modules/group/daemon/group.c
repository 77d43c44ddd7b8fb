/* The group topology module, daemon side, and the module descriptor.
 *
 * Group rooms are SFU rooms: each participant has one peer connection, to
 * the room's media worker (a convoke-room-worker process that runs the
 * worker side, modules/group/worker/). This side only relays:
 * participants' offer/answer/candidate messages addressed to "server" go
 * to the worker as module commands, and the worker's descriptions,
 * candidates and errors go back to the participant they concern. It also
 * keeps the per-worker limits, and tells the core which tracks each
 * participant publishes and receives as the worker sees them (REST's
 * PublishedTracks and SubscribedTracks). docs/group-rooms.md and the
 * "Group module bodies" of docs/worker-protocol.md describe both
 * directions.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-group"

#include <string.h>

#include <convoke/topology.h>

#include "group-announce.h"
#include "group-sdp.h"
#include "group-worker.h"
#include "i18n.h"
#include "twilio-error.h"

#define DEFAULT_WORKER_MAX_PARTICIPANTS 50
#define DEFAULT_WORKER_MAX_TRACKS 100
#define LIMIT_MAX 10000

static const ConvokeCoreApi *core;

typedef struct
{
  guint max_participants; /* worker-max-participants */
  guint max_tracks;       /* worker-max-tracks */
  /* participant sid → tracks the participant's latest description
   * publishes (GUINT_TO_POINTER); a key per participant in the worker. */
  GHashTable *published;
  guint published_total;
  /* "PA…/audio", "PA…/video" → the sid of the track this module published
   * for it when the worker saw its media (see group_worker_event). */
  GHashTable *media_tracks;
  /* subscriber sid → set of "PA…/kind" it was subscribed to in the core,
   * from the worker's latest subscribed-tracks report for it. */
  GHashTable *subscriptions;
  char *lost_reason; /* set once the worker is gone */
  GroupAnnounce *announce; /* dominant speaker, network quality */
} GroupDaemonRoom;

static void
group_daemon_room_free (GroupDaemonRoom *room_data)
{
  g_hash_table_unref (room_data->published);
  g_hash_table_unref (room_data->media_tracks);
  g_hash_table_unref (room_data->subscriptions);
  g_free (room_data->lost_reason);
  group_announce_free (room_data->announce);
  g_free (room_data);
}

static gboolean
group_module_init (const ConvokeCoreApi *core_api, GError **error)
{
  core = core_api;
  return TRUE;
}

static gboolean
read_limit (ConvokeRoom *room, const char *key, guint fallback, guint *value,
            GError **error)
{
  const char *text = core->room_get_option (room, key);
  guint64 parsed;

  if (text == NULL)
    {
      *value = fallback;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 1, LIMIT_MAX, &parsed, NULL))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_ROOM_INVALID_PARAMETERS,
                   _ ("[type:%s] %s: expected a whole number from 1 to %d, got “%s”"),
                   core->room_get_type (room), key, LIMIT_MAX, text);
      return FALSE;
    }
  *value = parsed;
  return TRUE;
}

static gboolean
group_room_create (ConvokeRoom *room, gpointer *room_data, GError **error)
{
  g_autofree GroupDaemonRoom *data = g_new0 (GroupDaemonRoom, 1);

  if (!read_limit (room, "worker-max-participants", DEFAULT_WORKER_MAX_PARTICIPANTS,
                   &data->max_participants, error)
      || !read_limit (room, "worker-max-tracks", DEFAULT_WORKER_MAX_TRACKS,
                      &data->max_tracks, error))
    return FALSE;
  data->published = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  data->announce = group_announce_new (core);
  data->media_tracks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  data->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_hash_table_unref);
  *room_data = g_steal_pointer (&data);
  return TRUE;
}

static void
group_room_destroy (ConvokeRoom *room, gpointer room_data)
{
  group_daemon_room_free (room_data);
}

static gboolean
group_participant_admit (ConvokeRoom *room, gpointer room_data,
                         ConvokeParticipant *participant, GError **error)
{
  GroupDaemonRoom *data = room_data;

  if (data->lost_reason != NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                   _ ("The media server of room “%s” failed: %s"),
                   core->room_get_name (room), data->lost_reason);
      return FALSE;
    }
  if (g_hash_table_size (data->published) >= data->max_participants)
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_EXCEEDED,
          g_dngettext (GETTEXT_PACKAGE,
                       "Room “%s” is full: its media server takes %u participant "
                       "([type:%s] worker-max-participants)",
                       "Room “%s” is full: its media server takes %u participants "
                       "([type:%s] worker-max-participants)",
                       data->max_participants),
          core->room_get_name (room), data->max_participants, core->room_get_type (room));
      return FALSE;
    }
  return TRUE;
}

/* Sends a command body to the room's worker. A failure means the worker is
 * gone and the room is about to fail; callers that cannot report it just
 * log it. */
static gboolean
send_command (ConvokeRoom *room, JsonObject *body, GError **error)
{
  return core->worker_send (room, body, error);
}

static void
group_participant_joined (ConvokeRoom *room, gpointer room_data,
                          ConvokeParticipant *participant)
{
  GroupDaemonRoom *data = room_data;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (GError) error = NULL;
  const char *sid = core->participant_get_sid (participant);

  g_hash_table_replace (data->published, g_strdup (sid), GUINT_TO_POINTER (0));
  json_object_set_string_member (body, "cmd", "add-participant");
  json_object_set_string_member (body, "participant", sid);
  json_object_set_string_member (body, "identity",
                                 core->participant_get_identity (participant));
  /* An older core cannot tell: every description of the worker holds the
   * candidates gathered by then, which on a host-only setup is all of
   * them, so a non-trickle client still connects. */
  json_object_set_boolean_member (body, "trickle",
                                  CONVOKE_CORE_API_HAS (core, participant_get_trickle)
                                      ? core->participant_get_trickle (participant)
                                      : TRUE);
  json_object_set_boolean_member (body, "reuse-mlines",
                                  CONVOKE_CORE_API_HAS (core, participant_get_reuses_mlines)
                                      && core->participant_get_reuses_mlines (participant));
  group_announce_add_flags (data->announce, participant, body);
  if (!send_command (room, body, &error))
    g_message ("room %s: participant %s not added: %s", core->room_get_sid (room), sid,
               error->message);
  group_announce_joined (data->announce, participant);
}

static void
group_participant_left (ConvokeRoom *room, gpointer room_data,
                        ConvokeParticipant *participant)
{
  GroupDaemonRoom *data = room_data;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (GError) error = NULL;
  const char *sid = core->participant_get_sid (participant);
  g_autofree char *key = NULL;
  gpointer published;

  if (g_hash_table_steal_extended (data->published, sid, (gpointer *) &key, &published))
    data->published_total -= GPOINTER_TO_UINT (published);
  /* The core unpublishes a leaving participant's tracks itself. */
  for (guint i = 0; i < G_N_ELEMENTS (group_media_kinds); i++)
    {
      g_autofree char *media_key = g_strdup_printf ("%s/%s", sid, group_media_kinds[i]);

      g_hash_table_remove (data->media_tracks, media_key);
    }
  /* The core drops its subscriptions, as subscriber and as publisher. */
  g_hash_table_remove (data->subscriptions, sid);
  group_announce_left (data->announce, participant);

  if (data->lost_reason != NULL)
    return;
  json_object_set_string_member (body, "cmd", "remove-participant");
  json_object_set_string_member (body, "participant", sid);
  if (!send_command (room, body, &error))
    g_debug ("room %s: %s", core->room_get_sid (room), error->message);
}

/* How many tracks @remote publishes: the m-lines that carry media (a
 * port, or port 0 with a=bundle-only) and whose direction sends. */
static guint
count_published_tracks (const GroupRemoteDescription *remote)
{
  guint count = 0;

  for (guint i = 0; i < remote->media->len; i++)
    {
      const GroupRemoteMedia *media = g_ptr_array_index (remote->media, i);

      if (!media->rejected && g_strcmp0 (media->kind, "application") != 0
          && GROUP_DIRECTION_SENDS (media->direction))
        count++;
    }
  return count;
}

/* The room's published tracks are counted per participant, for
 * worker-max-tracks. The count must never be lower than what the worker
 * holds, or the limit can be bypassed:
 *
 * - A description the worker's parser refuses (garbage, no fingerprint)
 *   is refused here with the worker's own message and code (53403), so it
 *   never reaches the worker and never changes the count. Counting it as
 *   0 let a participant publish, send garbage, and free its share while
 *   the worker kept its tracks.
 * - A description that parses can still be refused by the worker for its
 *   negotiation state (an answer with no offer outstanding, an offer
 *   while the previous answer is held), and then the worker keeps the
 *   previous one. The worker acknowledges nothing: its `error` events
 *   also come for candidates and ICE failures, its `subscribed-tracks`
 *   also when other participants change. So the daemon cannot know when a
 *   lower count is in force, and a participant's count only goes up: it
 *   is the most tracks any of its descriptions published since it joined,
 *   and goes when it leaves. Counting too many refuses a publisher early;
 *   counting too few would let the room exceed the limit. */
static gboolean
forward_description (ConvokeRoom *room, GroupDaemonRoom *data, const char *sid,
                     const char *type, JsonObject *message, GError **error)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GroupRemoteDescription) remote = NULL;
  const char *sdp = json_object_get_string_member_with_default (message, "sdp", NULL);
  guint previous, publishing, others, counted;

  if (sdp == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("An “%s” needs a string member “sdp”"), type);
      return FALSE;
    }
  /* Also refuses an empty SDP before gst_sdp_message_new_from_text(),
   * which asserts on one (a GStreamer-SDP-CRITICAL in the daemon). */
  remote = group_remote_description_parse (sdp, error);
  if (remote == NULL)
    return FALSE;

  previous = GPOINTER_TO_UINT (g_hash_table_lookup (data->published, sid));
  publishing = count_published_tracks (remote);
  others = data->published_total - previous;
  if (others + publishing > data->max_tracks)
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_TRACK_INVALID,
          g_dngettext (GETTEXT_PACKAGE,
                       "This %s would publish %u track, but room “%s” already carries "
                       "%u of the %u its media server takes ([type:%s] "
                       "worker-max-tracks)",
                       "This %s would publish %u tracks, but room “%s” already carries "
                       "%u of the %u its media server takes ([type:%s] "
                       "worker-max-tracks)",
                       publishing),
          type, publishing, core->room_get_name (room), others, data->max_tracks,
          core->room_get_type (room));
      return FALSE;
    }

  body = json_object_new ();
  json_object_set_string_member (body, "cmd", "remote-description");
  json_object_set_string_member (body, "participant", sid);
  json_object_set_string_member (body, "sdp_type", type);
  json_object_set_string_member (body, "sdp", sdp);
  if (!send_command (room, body, error))
    return FALSE;
  counted = MAX (previous, publishing);
  g_hash_table_replace (data->published, g_strdup (sid), GUINT_TO_POINTER (counted));
  data->published_total = others + counted;
  return TRUE;
}

static gboolean
forward_candidate (ConvokeRoom *room, const char *sid, JsonObject *message,
                   GError **error)
{
  g_autoptr (JsonObject) body = json_object_new ();
  JsonNode *candidate = json_object_get_member (message, "candidate");
  JsonNode *index = json_object_get_member (message, "sdpMLineIndex");
  JsonNode *mid = json_object_get_member (message, "sdpMid");

  if (candidate == NULL || json_node_get_value_type (candidate) != G_TYPE_STRING)
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
          _ ("A “candidate” needs a string member “candidate” (empty for the end of "
             "candidates)"));
      return FALSE;
    }
  if (index != NULL && !JSON_NODE_HOLDS_NULL (index)
      && (json_node_get_value_type (index) != G_TYPE_INT64
          || json_node_get_int (index) < 0 || json_node_get_int (index) > G_MAXINT))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("A “candidate”'s “sdpMLineIndex” must be a whole number from 0"));
      return FALSE;
    }
  if (mid != NULL && !JSON_NODE_HOLDS_NULL (mid)
      && json_node_get_value_type (mid) != G_TYPE_STRING)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("A “candidate”'s “sdpMid” must be a string"));
      return FALSE;
    }

  json_object_set_string_member (body, "cmd", "remote-candidate");
  json_object_set_string_member (body, "participant", sid);
  json_object_set_string_member (body, "candidate", json_node_get_string (candidate));
  if (index != NULL && !JSON_NODE_HOLDS_NULL (index))
    json_object_set_int_member (body, "sdpMLineIndex", json_node_get_int (index));
  if (mid != NULL && !JSON_NODE_HOLDS_NULL (mid))
    json_object_set_string_member (body, "sdpMid", json_node_get_string (mid));
  return send_command (room, body, error);
}

/* Media signaling (MSP) for an SDK participant: its RSP session asks for
 * a message on one of the data channels the worker opens to it
 * (docs/twilio-video-sdk.md, *Dominant speaker and network quality*). */
#define MSP_MAX_LABEL 64
#define MSP_MAX_MESSAGE 4096

static gboolean
forward_msp (ConvokeRoom *room, const char *sid, JsonObject *message, GError **error)
{
  g_autoptr (JsonObject) body = json_object_new ();
  const char *label = json_object_get_string_member_with_default (message, "label", NULL);
  const char *text = json_object_get_string_member_with_default (message, "message", NULL);

  if (label == NULL || *label == '\0' || strlen (label) > MSP_MAX_LABEL || text == NULL
      || strlen (text) > MSP_MAX_MESSAGE)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("An “msp” needs a “label” of 1 to %d bytes and a “message” of at "
                      "most %d"),
                   MSP_MAX_LABEL, MSP_MAX_MESSAGE);
      return FALSE;
    }
  json_object_set_string_member (body, "cmd", "msp-send");
  json_object_set_string_member (body, "participant", sid);
  json_object_set_string_member (body, "label", label);
  json_object_set_string_member (body, "message", text);
  return send_command (room, body, error);
}

/* Which simulcast layer of a publisher's video a subscriber gets
 * (docs/signaling.md, `set-video-layer`). The worker finds the slot by
 * the publisher and the track id the subscriber received it under. */
#define SIMULCAST_MAX_LAYER 3
#define MAX_TRACK_ID 256

static gboolean
forward_video_layer (ConvokeRoom *room, const char *sid, JsonObject *message,
                     GError **error)
{
  g_autoptr (JsonObject) body = json_object_new ();
  JsonNode *publisher = json_object_get_member (message, "publisher");
  JsonNode *track = json_object_get_member (message, "track");
  JsonNode *layer = json_object_get_member (message, "layer");

  if (publisher == NULL || json_node_get_value_type (publisher) != G_TYPE_STRING
      || layer == NULL || json_node_get_value_type (layer) != G_TYPE_INT64
      || json_node_get_int (layer) < 0 || json_node_get_int (layer) > SIMULCAST_MAX_LAYER
      || (track != NULL && !JSON_NODE_HOLDS_NULL (track)
          && (json_node_get_value_type (track) != G_TYPE_STRING
              || strlen (json_node_get_string (track)) > MAX_TRACK_ID)))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("A “set-video-layer” needs a “publisher” string, a “layer” from 0 "
                      "to %d and, if any, a “track” string of at most %d bytes"),
                   SIMULCAST_MAX_LAYER, MAX_TRACK_ID);
      return FALSE;
    }
  json_object_set_string_member (body, "cmd", "set-video-layer");
  json_object_set_string_member (body, "participant", sid);
  json_object_set_string_member (body, "publisher", json_node_get_string (publisher));
  if (track != NULL && !JSON_NODE_HOLDS_NULL (track))
    json_object_set_string_member (body, "track", json_node_get_string (track));
  json_object_set_int_member (body, "layer", json_node_get_int (layer));
  return send_command (room, body, error);
}

static gboolean
group_handle_message (ConvokeRoom *room, gpointer room_data, ConvokeParticipant *from,
                      const char *type, JsonObject *message, GError **error)
{
  GroupDaemonRoom *data = room_data;
  const char *sid = core->participant_get_sid (from);
  const char *to;

  if (!g_str_equal (type, "offer") && !g_str_equal (type, "answer")
      && !g_str_equal (type, "candidate") && !g_str_equal (type, "msp")
      && !g_str_equal (type, "set-video-layer"))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("Message type “%s” is not used in group rooms"), type);
      return FALSE;
    }

  to = json_object_get_string_member_with_default (message, "to", NULL);
  /* Only ever for the server, so it need not say so. */
  if (g_str_equal (type, "set-video-layer") && to == NULL)
    to = "server";
  if (g_strcmp0 (to, "server") != 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("In a group room an “%s” goes to the media server: “to” must be "
                      "“server”, not “%s”"),
                   type, to != NULL ? to : "");
      return FALSE;
    }

  if (data->lost_reason != NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                   _ ("The media server of room “%s” failed: %s"),
                   core->room_get_name (room), data->lost_reason);
      return FALSE;
    }

  if (g_str_equal (type, "candidate"))
    return forward_candidate (room, sid, message, error);
  if (g_str_equal (type, "msp"))
    return forward_msp (room, sid, message, error);
  if (g_str_equal (type, "set-video-layer"))
    return forward_video_layer (room, sid, message, error);
  return forward_description (room, data, sid, type, message, error);
}

/* Copies @key from @event to @message when it is present, whatever its
 * type; the worker is trusted to have written what the protocol says. */
static void
copy_member (JsonObject *event, JsonObject *message, const char *key)
{
  JsonNode *node = json_object_get_member (event, key);

  if (node != NULL)
    json_object_set_member (message, key, json_node_copy (node));
}

static void
relay_to_participant (ConvokeRoom *room, ConvokeParticipant *participant,
                      const char *name, JsonObject *event)
{
  g_autoptr (JsonObject) message = json_object_new ();

  if (g_str_equal (name, "local-description"))
    {
      const char *sdp_type
          = json_object_get_string_member_with_default (event, "sdp_type", "");
      const char *sdp = json_object_get_string_member_with_default (event, "sdp", NULL);

      if ((!g_str_equal (sdp_type, "offer") && !g_str_equal (sdp_type, "answer"))
          || sdp == NULL)
        {
          g_message ("room %s: malformed local-description from the worker; dropped",
                     core->room_get_sid (room));
          return;
        }
      json_object_set_string_member (message, "type", sdp_type);
      json_object_set_string_member (message, "from", "server");
      json_object_set_string_member (message, "sdp", sdp);
    }
  else
    {
      json_object_set_string_member (message, "type", "candidate");
      json_object_set_string_member (message, "from", "server");
      copy_member (event, message, "candidate");
      copy_member (event, message, "sdpMLineIndex");
      copy_member (event, message, "sdpMid");
    }
  core->participant_send (participant, message);
}

/* The worker saw a participant's audio or video start or end. A client
 * that announces its tracks (track-published) has them listed already; for
 * one that does not, the module publishes the track while its media flows,
 * so that REST, status callbacks and the other participants know of it. */
static void
media_track_changed (ConvokeRoom *room, GroupDaemonRoom *data,
                     ConvokeParticipant *participant, const char *name, JsonObject *event)
{
  const char *kind = json_object_get_string_member_with_default (event, "kind", "");
  const char *sid = core->participant_get_sid (participant);
  /* A data track is the channel the client opened, named by its label. */
  const char *label = g_str_equal (kind, "data")
                          ? json_object_get_string_member_with_default (event, "name", NULL)
                          : NULL;
  g_autofree char *key = NULL;
  const char *track;

  g_debug ("room %s: %s %s %s (ssrc %" G_GINT64_FORMAT ")", core->room_get_sid (room),
           sid, name, kind, json_object_get_int_member_with_default (event, "ssrc", 0));
  if (!CONVOKE_CORE_API_HAS (core, participant_unpublish_track)
      || (!g_str_equal (kind, "audio") && !g_str_equal (kind, "video") && label == NULL))
    return;
  key = label != NULL ? g_strdup_printf ("%s/data/%s", sid, label)
                      : g_strdup_printf ("%s/%s", sid, kind);
  track = g_hash_table_lookup (data->media_tracks, key);

  if (g_str_equal (name, "track-ended"))
    {
      if (track != NULL)
        {
          core->participant_unpublish_track (participant, track);
          g_hash_table_remove (data->media_tracks, key);
        }
      return;
    }
  if (track != NULL)
    return; /* a new SSRC for media already published */
  /* NULL when the client announced a track of this kind itself. A label
   * that is no valid track name (too long, taken) publishes under the sid. */
  track = core->participant_publish_track (participant, label, kind);
  if (track == NULL && label != NULL)
    track = core->participant_publish_track (participant, NULL, kind);
  if (track != NULL)
    g_hash_table_insert (data->media_tracks, g_steal_pointer (&key), g_strdup (track));
}

/* "PA…/kind" → its publisher (connected, of this room) and kind, or
 * NULL. */
static ConvokeParticipant *
subscription_publisher (ConvokeRoom *room, const char *key, const char **kind)
{
  const char *slash = strchr (key, '/');
  g_autofree char *publisher = NULL;

  if (slash == NULL)
    return NULL;
  publisher = g_strndup (key, slash - key);
  *kind = slash + 1;
  return core->room_find_participant (room, publisher);
}

/* The worker reported everything @subscriber receives now (its answer
 * accepted the slot and the slot's publisher still publishes). The core
 * is told the difference from the previous report. */
static void
subscribed_tracks_changed (ConvokeRoom *room, GroupDaemonRoom *data,
                           ConvokeParticipant *subscriber, JsonObject *event)
{
  const char *sid = core->participant_get_sid (subscriber);
  JsonNode *tracks_node = json_object_get_member (event, "tracks");
  JsonArray *tracks;
  GHashTable *previous = g_hash_table_lookup (data->subscriptions, sid);
  g_autoptr (GHashTable) current
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer key;

  if (!CONVOKE_CORE_API_HAS (core, participant_unsubscribe_track))
    return;
  if (tracks_node == NULL || !JSON_NODE_HOLDS_ARRAY (tracks_node))
    {
      g_message ("room %s: subscribed-tracks for %s without a “tracks” array; ignored",
                 core->room_get_sid (room), sid);
      return;
    }
  tracks = json_node_get_array (tracks_node);
  for (guint i = 0; i < json_array_get_length (tracks); i++)
    {
      JsonNode *element = json_array_get_element (tracks, i);
      JsonObject *track;
      const char *publisher, *kind;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      track = json_node_get_object (element);
      publisher = json_object_get_string_member_with_default (track, "publisher", NULL);
      kind = json_object_get_string_member_with_default (track, "kind", NULL);
      if (publisher != NULL && kind != NULL && strchr (publisher, '/') == NULL)
        g_hash_table_add (current, g_strdup_printf ("%s/%s", publisher, kind));
    }

  if (previous != NULL)
    {
      g_hash_table_iter_init (&iter, previous);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          const char *kind = NULL;
          ConvokeParticipant *publisher;

          if (g_hash_table_contains (current, key))
            continue;
          /* NULL when the publisher left: the core dropped it then. */
          publisher = subscription_publisher (room, key, &kind);
          if (publisher != NULL)
            core->participant_unsubscribe_track (subscriber, publisher, kind);
        }
    }
  g_hash_table_iter_init (&iter, current);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *kind = NULL;
      ConvokeParticipant *publisher;

      if (previous != NULL && g_hash_table_contains (previous, key))
        continue;
      publisher = subscription_publisher (room, key, &kind);
      /* The worker may still route a publisher that has just left, or
       * name a kind the core does not know; such an entry is not kept,
       * so that a later report can try again. */
      if (publisher == NULL
          || !core->participant_subscribe_track (subscriber, publisher, kind))
        g_hash_table_iter_remove (&iter);
    }
  g_hash_table_replace (data->subscriptions, g_strdup (sid), g_steal_pointer (&current));
}

static void
group_worker_event (ConvokeRoom *room, gpointer room_data, JsonObject *event)
{
  const char *name = json_object_get_string_member_with_default (event, "event", "");
  const char *sid
      = json_object_get_string_member_with_default (event, "participant", NULL);
  ConvokeParticipant *participant
      = sid != NULL ? core->room_find_participant (room, sid) : NULL;

  /* About the room, not one participant. */
  if (group_announce_worker_event (((GroupDaemonRoom *) room_data)->announce, room, name,
                                   event))
    return;
  if (participant == NULL)
    {
      /* It left while the worker was answering; nothing to deliver. */
      g_debug ("room %s: worker event “%s” for absent participant %s",
               core->room_get_sid (room), name, sid != NULL ? sid : "(none)");
      return;
    }

  if (g_str_equal (name, "local-description") || g_str_equal (name, "local-candidate"))
    relay_to_participant (room, participant, name, event);
  else if (g_str_equal (name, "error"))
    {
      gint64 code = json_object_get_int_member_with_default (event, "code", 0);
      const char *text
          = json_object_get_string_member_with_default (event, "message", "");

      core->participant_send_error (
          participant,
          code > 0 && code < G_MAXINT ? (int) code : CONVOKE_ERROR_SDP_SERVER_REMOTE,
          text);
    }
  else if (g_str_equal (name, "track-started") || g_str_equal (name, "track-ended"))
    media_track_changed (room, room_data, participant, name, event);
  else if (g_str_equal (name, "subscribed-tracks"))
    subscribed_tracks_changed (room, room_data, participant, event);
  else if (g_str_equal (name, "connected"))
    g_debug ("room %s: %s connected", core->room_get_sid (room), sid);
  else
    g_debug ("room %s: unknown worker event “%s”; ignored", core->room_get_sid (room),
             name);
}

static void
group_worker_lost (ConvokeRoom *room, gpointer room_data, const char *reason)
{
  GroupDaemonRoom *data = room_data;

  /* The core ends the room right after this and tells every participant
   * (53119); until then nothing more must go to the dead worker. */
  g_free (data->lost_reason);
  data->lost_reason = g_strdup (reason != NULL ? reason : "");
}

/* What the worker half makes: ICE, DTLS and SRTP per participant
 * (nice, dtls, srtp; dtlssrtpenc uses coreelements' funnel), SCTP for data
 * tracks (sctp, app), the router and recorder (convoke, coreelements'
 * clocksync and filesink), and a recording's chain (rtpmanager's
 * jitterbuffer, rtp's depayloaders, opusparse, videoparsersbad's
 * h264parse, matroska). */
static const char *const group_worker_plugins[]
    = { "coreelements", "nice",     "dtls",     "srtp",        "sctp",
        "app",          "convoke",  "rtp",      "rtpmanager",  "opusparse",
        "videoparsersbad", "matroska", NULL };

static const ConvokeTopologyModule group_module = {
  CONVOKE_TOPOLOGY_MODULE_INIT,
  .name = "group",
  .description
  = N_ ("Group rooms: every participant sends to and receives from the room's "
        "media server (SFU)"),
  .client_topology = "sfu",
  .needs_media_worker = TRUE,
  .module_init = group_module_init,
  .room_create = group_room_create,
  .room_destroy = group_room_destroy,
  .participant_admit = group_participant_admit,
  .participant_joined = group_participant_joined,
  .participant_left = group_participant_left,
  .handle_message = group_handle_message,
  .worker_event = group_worker_event,
  .worker_lost = group_worker_lost,
  .worker_setup = convoke_group_worker_setup,
  .worker_handle_message = convoke_group_worker_handle_message,
  .worker_teardown = convoke_group_worker_teardown,
  .worker_warm_up = convoke_group_worker_warm_up,
  .worker_plugins = group_worker_plugins,
};

CONVOKE_TOPOLOGY_MODULE_EXPORT const ConvokeTopologyModule *
convoke_topology_module_entry (void)
{
  return &group_module;
}
