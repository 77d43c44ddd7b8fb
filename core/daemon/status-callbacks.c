/* Twilio-style status callbacks (docs/rest-api.md, "Status callbacks").
 *
 * Each room with a StatusCallback has its own queue so that its events
 * arrive in SequenceNumber order even when one of them has to be retried;
 * rooms do not wait for each other. Events are snapshots (strings only),
 * so a queue never points at a room or a participant.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "status-callbacks.h"

#include "untrusted-json.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "recording-store.h"
#include "sid.h"

#define MAX_RETRIES 3
#define DEFAULT_RETRY_MS 1000
#define REQUEST_TIMEOUT_S 15

struct _ConvokeStatusCallbacks
{
  ConvokeDaemon *daemon;         /* not owned: the daemon owns us */
  ConvokeRoomRegistry *registry; /* owned ref */
  SoupSession *session;
  GCancellable *cancellable;
  GHashTable *queues;  /* room sid → RoomQueue* (one ref) */
  GArray *handler_ids; /* gulong */
  guint retry_base_ms;
};

typedef struct
{
  char *url;
  char *method;       /* "POST" or "GET" */
  GHashTable *params; /* char* → char* */
  char *event;        /* StatusCallbackEvent, for log messages */
  guint attempt;      /* failed attempts so far */
} CallbackEvent;

/* Reference-counted (g_rc_box): the table holds one ref, and so does each
 * request in flight and each pending retry timer, so a late completion
 * after convoke_status_callbacks_free() finds the queue still valid and
 * its owner cleared. */
typedef struct
{
  ConvokeStatusCallbacks *owner; /* NULL once the owner is freed */
  char *room_sid;
  GQueue events; /* CallbackEvent* */
  gboolean busy; /* a request or a retry timer is pending */
  gboolean room_ended;
  guint retry_source;
} RoomQueue;

static void
callback_event_free (CallbackEvent *event)
{
  g_free (event->url);
  g_free (event->method);
  g_clear_pointer (&event->params, g_hash_table_unref);
  g_free (event->event);
  g_free (event);
}

static void
room_queue_clear (gpointer data)
{
  RoomQueue *queue = data;

  g_free (queue->room_sid);
  g_queue_clear_full (&queue->events, (GDestroyNotify) callback_event_free);
}

static RoomQueue *
room_queue_ref (RoomQueue *queue)
{
  return g_rc_box_acquire (queue);
}

static void
room_queue_unref (gpointer queue)
{
  g_rc_box_release_full (queue, room_queue_clear);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Twilio's RequestValidator: the URL followed by every parameter's name
 * and value, parameters sorted by name, HMAC-SHA1 with the secret, base64. */
char *
convoke_twilio_signature (const char *secret, const char *url, GHashTable *params)
{
  g_autoptr (GHmac) hmac
      = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  g_autofree const char **names = NULL;
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  guint n = 0;

  g_hmac_update (hmac, (const guchar *) url, -1);
  if (params != NULL)
    {
      names = (const char **) g_hash_table_get_keys_as_array (params, &n);
      qsort (names, n, sizeof (char *), compare_names);
    }
  for (guint i = 0; i < n; i++)
    {
      g_hmac_update (hmac, (const guchar *) names[i], -1);
      g_hmac_update (hmac, (const guchar *) g_hash_table_lookup (params, names[i]), -1);
    }
  g_hmac_get_digest (hmac, digest, &digest_len);
  return g_base64_encode (digest, digest_len);
}

/* Delivery */

static void send_head (RoomQueue *queue);

static SoupMessage *
build_message (ConvokeStatusCallbacks *self, CallbackEvent *event, GError **error)
{
  ConvokeConfig *config = convoke_daemon_get_config (self->daemon);
  g_autoptr (GUri) uri = g_uri_parse (event->url, SOUP_HTTP_URI_FLAGS, error);
  g_autofree char *encoded = NULL;
  g_autofree char *signature = NULL;
  SoupMessage *msg;

  if (uri == NULL)
    return NULL;
  encoded = soup_form_encode_hash (event->params);
  if (strcmp (event->method, "GET") == 0)
    {
      const char *query = g_uri_get_query (uri);
      g_autofree char *full_query
          = query ? g_strconcat (query, "&", encoded, NULL) : g_strdup (encoded);
      g_autoptr (GUri) full
          = soup_uri_copy (uri, SOUP_URI_QUERY, full_query, SOUP_URI_NONE);
      g_autofree char *full_url = g_uri_to_string (full);

      /* For GET, Twilio signs the whole URL, query included, and nothing
       * else. */
      msg = soup_message_new_from_uri (SOUP_METHOD_GET, full);
      signature = convoke_twilio_signature (config->api_secret, full_url, NULL);
    }
  else
    {
      gsize length = strlen (encoded);
      g_autoptr (GBytes) body = g_bytes_new_take (g_steal_pointer (&encoded), length);

      msg = soup_message_new_from_uri (SOUP_METHOD_POST, uri);
      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded",
                                                body);
      signature
          = convoke_twilio_signature (config->api_secret, event->url, event->params);
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "X-Twilio-Signature", signature);
  return msg;
}

static gboolean
retry_cb (gpointer data)
{
  RoomQueue *queue = data;

  queue->retry_source = 0;
  send_head (queue);
  return G_SOURCE_REMOVE;
}

static void
drop_head (RoomQueue *queue)
{
  callback_event_free (g_queue_pop_head (&queue->events));
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  RoomQueue *queue = data;
  SoupSession *session = SOUP_SESSION (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) stream = soup_session_send_finish (session, result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (session, result);
  guint status = msg ? soup_message_get_status (msg) : 0;
  CallbackEvent *event;

  /* The body is not needed; closing frees the connection. */
  if (stream != NULL)
    g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (queue->owner == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      room_queue_unref (queue);
      return;
    }

  event = g_queue_peek_head (&queue->events);
  if (error == NULL && SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      drop_head (queue);
      send_head (queue);
    }
  else
    {
      g_autofree char *reason
          = error ? g_strdup (error->message)
                  : g_strdup_printf ("HTTP %u %s", status,
                                     soup_message_get_reason_phrase (msg));

      event->attempt++;
      if (event->attempt > MAX_RETRIES)
        {
          g_warning (
              _("Status callback %s for room %s to %s failed (%s); gave up after %u "
                "attempts"),
              event->event, queue->room_sid, event->url, reason, event->attempt);
          drop_head (queue);
          send_head (queue);
        }
      else
        {
          guint delay = queue->owner->retry_base_ms << (event->attempt - 1);

          g_warning (
              _("Status callback %s for room %s to %s failed (%s); retrying in %u ms"),
              event->event, queue->room_sid, event->url, reason, delay);
          queue->retry_source
              = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, retry_cb,
                                    room_queue_ref (queue), room_queue_unref);
        }
    }
  room_queue_unref (queue);
}

static void
send_head (RoomQueue *queue)
{
  ConvokeStatusCallbacks *self = queue->owner;
  CallbackEvent *event;

  while ((event = g_queue_peek_head (&queue->events)) != NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SoupMessage) msg = build_message (self, event, &error);

      if (msg != NULL)
        {
          queue->busy = TRUE;
          soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_sent, room_queue_ref (queue));
          return;
        }
      /* Unreachable for URLs the REST API checked, but never wedge the
       * queue on one bad event. */
      g_warning (_("Status callback %s for room %s: cannot use URL %s: %s"),
                 event->event, queue->room_sid, event->url, error->message);
      drop_head (queue);
    }
  queue->busy = FALSE;
  if (queue->room_ended)
    g_hash_table_remove (self->queues, queue->room_sid);
}

/* Events */

static void
set_param (GHashTable *params, const char *name, const char *value)
{
  g_hash_table_replace (params, (gpointer) name, g_strdup (value ? value : ""));
}

static void
set_seconds (GHashTable *params, const char *name, GDateTime *start, GDateTime *end)
{
  if (start == NULL || end == NULL)
    return;
  g_hash_table_replace (
      params, (gpointer) name,
      g_strdup_printf ("%" G_GINT64_FORMAT, MAX (0, g_date_time_difference (end, start))
                                                / G_TIME_SPAN_SECOND));
}

/* The parameters every event carries. Names are static strings. */
static GHashTable *
room_params (ConvokeStatusCallbacks *self, ConvokeRoom *room, const char *event)
{
  GHashTable *params = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *timestamp = convoke_format_date (now);

  set_param (params, "AccountSid", convoke_daemon_get_config (self->daemon)->account_sid);
  set_param (params, "RoomSid", room->sid);
  set_param (params, "RoomName", room->unique_name ? room->unique_name : room->sid);
  set_param (params, "RoomStatus", convoke_room_status_to_string (room->status));
  set_param (params, "RoomType", room->type ? room->type->name : NULL);
  set_param (params, "StatusCallbackEvent", event);
  set_param (params, "Timestamp", timestamp);
  g_hash_table_replace (
      params, (gpointer) "SequenceNumber",
      g_strdup_printf ("%" G_GUINT64_FORMAT, room->callback_sequence++));
  return params;
}

static void
participant_params (GHashTable *params, ConvokeParticipant *participant)
{
  set_param (params, "ParticipantSid", participant->sid);
  set_param (params, "ParticipantIdentity", participant->identity);
  set_param (params, "ParticipantStatus",
             convoke_participant_status_to_string (participant->status));
  set_seconds (params, "ParticipantDuration", participant->start_time,
               participant->end_time);
}

static void
enqueue_to (ConvokeStatusCallbacks *self, const char *room_sid, const char *url,
            const char *method, gboolean room_ended, GHashTable *params)
{
  RoomQueue *queue = g_hash_table_lookup (self->queues, room_sid);
  CallbackEvent *event = g_new0 (CallbackEvent, 1);

  if (queue == NULL)
    {
      queue = g_rc_box_new0 (RoomQueue);
      queue->owner = self;
      queue->room_sid = g_strdup (room_sid);
      g_queue_init (&queue->events);
      g_hash_table_insert (self->queues, queue->room_sid, queue);
    }
  /* Events that trail room-ended (late disconnects) still let the queue
   * go once it drains. */
  if (room_ended)
    queue->room_ended = TRUE;

  event->url = g_strdup (url);
  event->method = g_strdup (g_strcmp0 (method, "GET") == 0 ? "GET" : "POST");
  event->event = g_strdup (g_hash_table_lookup (params, "StatusCallbackEvent"));
  event->params = params;
  g_queue_push_tail (&queue->events, event);
  if (!queue->busy)
    send_head (queue);
}

static void
enqueue (ConvokeStatusCallbacks *self, ConvokeRoom *room, GHashTable *params)
{
  enqueue_to (self, room->sid, room->status_callback, room->status_callback_method,
              room->status != CONVOKE_ROOM_IN_PROGRESS, params);
}

/* The parameters of a room whose node died, from its record. */
static GHashTable *
remote_room_params (ConvokeStatusCallbacks *self, JsonObject *room, const char *event,
                    gint64 sequence)
{
  GHashTable *params = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *timestamp = convoke_format_date (now);

  set_param (params, "AccountSid", convoke_daemon_get_config (self->daemon)->account_sid);
  set_param (params, "RoomSid", convoke_json_get_string (room, "sid"));
  set_param (params, "RoomName", convoke_json_get_string (room, "unique_name"));
  set_param (params, "RoomStatus", "failed");
  set_param (params, "RoomType", convoke_json_get_string (room, "type"));
  set_param (params, "StatusCallbackEvent", event);
  set_param (params, "Timestamp", timestamp);
  g_hash_table_replace (params, (gpointer) "SequenceNumber",
                        g_strdup_printf ("%" G_GINT64_FORMAT, sequence));
  return params;
}

void
convoke_status_callbacks_room_failed_elsewhere (ConvokeStatusCallbacks *self,
                                                JsonObject *room, JsonObject *callback,
                                                JsonArray *connected)
{
  const char *url = convoke_json_get_string (callback, "url");
  const char *method = convoke_json_get_string (callback, "method");
  const char *sid = convoke_json_get_string (room, "sid");
  gint64 sequence = json_object_get_int_member_with_default (callback, "sequence", 0);
  JsonNode *duration = room != NULL ? json_object_get_member (room, "duration") : NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  GHashTable *params;

  if (self == NULL || url == NULL || sid == NULL)
    return;
  for (guint i = 0; connected != NULL && i < json_array_get_length (connected); i++)
    {
      JsonNode *node = json_array_get_element (connected, i);
      JsonObject *participant = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                              : NULL;
      const char *start_text = convoke_json_get_string (participant, "start_time");
      g_autoptr (GDateTime) start
          = start_text != NULL ? g_date_time_new_from_iso8601 (start_text, NULL) : NULL;

      if (convoke_json_get_string (participant, "sid") == NULL)
        continue;
      params = remote_room_params (self, room, "participant-disconnected", sequence++);
      set_param (params, "ParticipantSid", convoke_json_get_string (participant, "sid"));
      set_param (params, "ParticipantIdentity", convoke_json_get_string (participant, "identity"));
      set_param (params, "ParticipantStatus", "disconnected");
      set_seconds (params, "ParticipantDuration", start, now);
      enqueue_to (self, sid, url, method, TRUE, params);
    }
  params = remote_room_params (self, room, "room-ended", sequence);
  if (duration != NULL && JSON_NODE_HOLDS_VALUE (duration))
    g_hash_table_replace (params, (gpointer) "RoomDuration",
                          g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (duration)));
  enqueue_to (self, sid, url, method, TRUE, params);
}

static void
on_room_created (ConvokeRoomRegistry *registry, ConvokeRoom *room, gpointer data)
{
  ConvokeStatusCallbacks *self = data;

  if (room->status_callback != NULL)
    enqueue (self, room, room_params (self, room, "room-created"));
}

static void
on_room_ended (ConvokeRoomRegistry *registry, ConvokeRoom *room, gpointer data)
{
  ConvokeStatusCallbacks *self = data;
  GHashTable *params;

  if (room->status_callback == NULL)
    return;
  params = room_params (self, room, "room-ended");
  set_seconds (params, "RoomDuration", room->date_created, room->end_time);
  enqueue (self, room, params);
}

static void
on_participant (ConvokeParticipant *participant, gpointer data, const char *event)
{
  ConvokeStatusCallbacks *self = data;
  ConvokeRoom *room = participant->room;
  GHashTable *params;

  if (room == NULL || room->status_callback == NULL)
    return;
  params = room_params (self, room, event);
  participant_params (params, participant);
  enqueue (self, room, params);
}

static void
on_participant_connected (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                          gpointer data)
{
  on_participant (participant, data, "participant-connected");
}

static void
on_participant_disconnected (ConvokeRoomRegistry *registry,
                             ConvokeParticipant *participant, gpointer data)
{
  on_participant (participant, data, "participant-disconnected");
}

static void
on_track (ConvokeParticipant *participant, ConvokeTrack *track, gpointer data,
          const char *event)
{
  ConvokeStatusCallbacks *self = data;
  ConvokeRoom *room = participant->room;
  GHashTable *params;

  if (room == NULL || room->status_callback == NULL)
    return;
  params = room_params (self, room, event);
  participant_params (params, participant);
  set_param (params, "TrackSid", track->sid);
  set_param (params, "TrackName", track->name);
  set_param (params, "TrackKind", track->kind);
  enqueue (self, room, params);
}

static void
on_track_added (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                ConvokeTrack *track, gpointer data)
{
  on_track (participant, track, data, "track-added");
}

static void
on_track_removed (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                  ConvokeTrack *track, gpointer data)
{
  on_track (participant, track, data, "track-removed");
}

/* recording-started, -completed, -failed (recording-store.c); they may
 * trail room-ended, so the room is looked up by sid. */
static void
on_recording (ConvokeRecordingStore *store, ConvokeRecording *recording, const char *event,
              gpointer data)
{
  ConvokeStatusCallbacks *self = data;
  ConvokeRoom *room = convoke_room_registry_lookup (self->registry, recording->room_sid);
  ConvokeParticipant *participant;
  GHashTable *params;

  if (room == NULL || room->status_callback == NULL)
    return;
  params = room_params (self, room, event);
  participant = convoke_room_find_participant (room, recording->participant_sid, FALSE);
  if (participant != NULL)
    participant_params (params, participant);
  convoke_recording_add_callback_params (recording, params,
                                         convoke_daemon_get_base_url (self->daemon));
  enqueue (self, room, params);
}

static guint
retry_base_from_env (void)
{
  const char *text = g_getenv ("CONVOKE_CALLBACK_RETRY_MS");
  guint64 value = DEFAULT_RETRY_MS;
  g_autoptr (GError) error = NULL;

  if (text == NULL)
    return DEFAULT_RETRY_MS;
  /* Bounded so that base << 2 cannot overflow. */
  if (!g_ascii_string_to_unsigned (text, 10, 1, 60000, &value, &error))
    {
      g_warning (_("CONVOKE_CALLBACK_RETRY_MS “%s” is not a delay in milliseconds (1 to "
                   "60000): %s; using %u"),
                 text, error->message, DEFAULT_RETRY_MS);
      return DEFAULT_RETRY_MS;
    }
  return (guint) value;
}

ConvokeStatusCallbacks *
convoke_status_callbacks_new (ConvokeDaemon *daemon)
{
  ConvokeStatusCallbacks *self = g_new0 (ConvokeStatusCallbacks, 1);
  struct
  {
    const char *signal;
    GCallback callback;
  } signals[] = {
    { "room-created", G_CALLBACK (on_room_created) },
    { "room-ended", G_CALLBACK (on_room_ended) },
    { "participant-connected", G_CALLBACK (on_participant_connected) },
    { "participant-disconnected", G_CALLBACK (on_participant_disconnected) },
    { "track-added", G_CALLBACK (on_track_added) },
    { "track-removed", G_CALLBACK (on_track_removed) },
  };

  self->daemon = daemon;
  self->registry = g_object_ref (convoke_daemon_get_registry (daemon));
  self->session = soup_session_new_with_options (
      "timeout", REQUEST_TIMEOUT_S, "user-agent", "Convoke/" PACKAGE_VERSION, NULL);
  self->cancellable = g_cancellable_new ();
  /* Keys are the queues' own room_sid strings. */
  self->queues = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, room_queue_unref);
  self->handler_ids = g_array_new (FALSE, FALSE, sizeof (gulong));
  self->retry_base_ms = retry_base_from_env ();

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      gulong id = g_signal_connect (self->registry, signals[i].signal,
                                    signals[i].callback, self);
      g_array_append_val (self->handler_ids, id);
    }
  g_signal_connect (convoke_recording_store_get (self->registry), "recording-changed",
                    G_CALLBACK (on_recording), self);
  return self;
}

void
convoke_status_callbacks_free (ConvokeStatusCallbacks *self)
{
  GHashTableIter iter;
  gpointer value;

  if (self == NULL)
    return;
  for (guint i = 0; i < self->handler_ids->len; i++)
    g_signal_handler_disconnect (self->registry,
                                 g_array_index (self->handler_ids, gulong, i));
  g_array_unref (self->handler_ids);
  g_signal_handlers_disconnect_by_data (convoke_recording_store_get (self->registry), self);

  /* Requests in flight complete later with G_IO_ERROR_CANCELLED and only
   * drop their queue reference. */
  g_cancellable_cancel (self->cancellable);
  g_hash_table_iter_init (&iter, self->queues);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RoomQueue *queue = value;

      queue->owner = NULL;
      g_clear_handle_id (&queue->retry_source, g_source_remove);
    }
  g_hash_table_unref (self->queues);
  g_object_unref (self->session);
  g_object_unref (self->cancellable);
  g_object_unref (self->registry);
  g_free (self);
}
