/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "signaling-connection.h"

#include <string.h>

#include "i18n.h"
#include "twilio-error.h"
#include "untrusted-json.h"
#include "ws-limit-stream.h"

#define DEFAULT_MAX_MESSAGE_SIZE 65536
/* docs/signaling.md: `join` within 10 s, shorter when the keepalive says
 * a silent client is dead sooner (an idle unjoined socket should not
 * outlive an idle joined one). */
#define JOIN_DEADLINE_SECONDS 10
#define SILENT_INTERVALS 3
/* A connection that keeps flooding for this long is closed. */
#define FLOOD_CLOSE_USEC (5 * G_USEC_PER_SEC)
/* Drops further apart than this start a new flood. */
#define FLOOD_GAP_USEC G_USEC_PER_SEC
/* Close frames carry at most 123 bytes of reason. */
#define MAX_CLOSE_REASON 123

struct _ConvokeSignalingConnection
{
  GObject parent_instance;

  SoupWebsocketConnection *ws;
  char *peer;
  ConvokeSignalingLimits limits;
  gboolean open;
  gboolean self_ref_held;

  ConvokeParticipant *participant;
  gboolean trickle;
  gboolean reuses_mlines;
  GHashTable *join_flags; /* names of the opt-in flags set in `join`, or NULL */

  /* Token bucket: tokens refill at max_messages_per_second up to twice
   * that; a message without a token is dropped. */
  double tokens;
  gint64 tokens_updated;
  gint64 flood_started;
  gint64 last_drop;
  gint64 last_rate_error;

  gint64 last_heard;
  guint keepalive_source;
  guint join_deadline_seconds;
  guint join_deadline_source;

  guint hold_count;
  GQueue held; /* char*: serialised messages */

  /* How errors are worded on the wire: NULL for the native `error`. */
  ConvokeSignalingErrorBuilder error_builder;
  /* The message the join deadline waits for, for its error text. */
  const char *first_message;
  /* A malformed frame closes the connection (1008) after its error. */
  gboolean invalid_is_fatal;

  /* Cluster mode: while a join waits for Redis, frames that pass the
   * limits wait here (GBytes*) instead of being handled; once relayed,
   * they go to @relay as text instead of being parsed. */
  guint input_paused;
  GQueue paused_frames;
  ConvokeSignalingRelayFunc relay;
  gpointer relay_data;
  gboolean forwarded;
};

enum
{
  SIGNAL_MESSAGE,
  SIGNAL_ERROR_SENT,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConvokeSignalingConnection, convoke_signaling_connection,
                     G_TYPE_OBJECT)

static void
convoke_signaling_connection_dispose (GObject *object)
{
  ConvokeSignalingConnection *self = CONVOKE_SIGNALING_CONNECTION (object);

  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  g_clear_handle_id (&self->join_deadline_source, g_source_remove);
  if (self->ws != NULL)
    g_signal_handlers_disconnect_by_data (self->ws, self);
  g_clear_object (&self->ws);
  g_clear_pointer (&self->participant, convoke_participant_unref);
  g_queue_clear_full (&self->held, g_free);
  g_queue_clear_full (&self->paused_frames, (GDestroyNotify) g_bytes_unref);

  G_OBJECT_CLASS (convoke_signaling_connection_parent_class)->dispose (object);
}

static void
convoke_signaling_connection_finalize (GObject *object)
{
  ConvokeSignalingConnection *self = CONVOKE_SIGNALING_CONNECTION (object);

  g_free (self->peer);
  g_clear_pointer (&self->join_flags, g_hash_table_unref);

  G_OBJECT_CLASS (convoke_signaling_connection_parent_class)->finalize (object);
}

static void
convoke_signaling_connection_class_init (ConvokeSignalingConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = convoke_signaling_connection_dispose;
  object_class->finalize = convoke_signaling_connection_finalize;

  signals[SIGNAL_MESSAGE] = g_signal_new (
      "message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_POINTER, G_TYPE_STRING, G_TYPE_POINTER);
  signals[SIGNAL_ERROR_SENT]
      = g_signal_new ("error-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_DISCONNECTED]
      = g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                      NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
convoke_signaling_connection_init (ConvokeSignalingConnection *self)
{
  self->trickle = TRUE;
  g_queue_init (&self->held);
  g_queue_init (&self->paused_frames);
}

/* ---- going away --------------------------------------------------------- */

/* Stops the timers and tells the server, once. The object itself lives on
 * until the WebSocket's close handshake is over. */
static void
mark_disconnected (ConvokeSignalingConnection *self)
{
  if (!self->open)
    return;
  self->open = FALSE;
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  g_clear_handle_id (&self->join_deadline_source, g_source_remove);
  g_queue_clear_full (&self->held, g_free);
  g_queue_clear_full (&self->paused_frames, (GDestroyNotify) g_bytes_unref);
  g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0);
}

static void
on_ws_closed (SoupWebsocketConnection *ws, ConvokeSignalingConnection *self)
{
  g_debug ("signaling: %s closed (code %u)", self->peer,
           soup_websocket_connection_get_close_code (ws));
  mark_disconnected (self);
  if (self->self_ref_held)
    {
      self->self_ref_held = FALSE;
      g_object_unref (self);
    }
}

static void
on_ws_error (SoupWebsocketConnection *ws, GError *error, ConvokeSignalingConnection *self)
{
  /* libsoup closes the socket itself after this; "closed" follows. */
  g_debug ("signaling: %s: %s", self->peer, error->message);
}

/* @text cut to at most MAX_CLOSE_REASON bytes without splitting a
 * character, since peers reject close reasons that are not UTF-8. */
static char *
close_reason (const char *text)
{
  const char *end;

  if (text == NULL)
    return NULL;
  if (strlen (text) <= MAX_CLOSE_REASON)
    return g_strdup (text);
  end = g_utf8_find_prev_char (text, text + MAX_CLOSE_REASON + 1);
  return g_strndup (text, end != NULL ? (gsize)(end - text) : 0);
}

static void
close_ws (ConvokeSignalingConnection *self, gushort close_code, const char *reason)
{
  g_autofree char *cut = close_reason (reason);

  if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, close_code, cut);
  mark_disconnected (self);
}

/* ---- sending ------------------------------------------------------------ */

static void
send_text (ConvokeSignalingConnection *self, char *text)
{
  if (!self->open
      || soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    {
      g_free (text);
      return;
    }
  /* Incoming strings are checked, but a module could still hand us bytes
   * that are not UTF-8; libsoup would refuse them with a critical. */
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_warning ("signaling: not sending a message to %s: it is not UTF-8", self->peer);
      g_free (text);
      return;
    }
  if (self->hold_count > 0)
    {
      g_queue_push_tail (&self->held, text);
      return;
    }
  soup_websocket_connection_send_text (self->ws, text);
  g_free (text);
}

void
convoke_signaling_connection_send (ConvokeSignalingConnection *self, JsonObject *message,
                                   JsonNode *id)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) copy = NULL;

  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  g_return_if_fail (message != NULL);

  if (!self->open)
    return;

  if (id != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      /* A shallow copy with `id` first, so the caller's object (which may
       * be going to several participants) stays as it was. */
      copy = json_object_new ();
      json_object_set_member (copy, "id", json_node_copy (id));
      json_object_iter_init (&iter, message);
      while (json_object_iter_next (&iter, &name, &value))
        if (!g_str_equal (name, "id"))
          json_object_set_member (copy, name, json_node_ref (value));
      message = copy;
    }

  json_node_set_object (root, message);
  send_text (self, json_to_string (root, FALSE));

  if (g_strcmp0 (convoke_json_get_string (message, "type"), "error") == 0)
    {
      JsonNode *code = json_object_get_member (message, "code");

      g_signal_emit (self, signals[SIGNAL_ERROR_SENT], 0,
                     code != NULL && JSON_NODE_HOLDS_VALUE (code)
                             && json_node_get_value_type (code) == G_TYPE_INT64
                         ? (int)json_node_get_int (code)
                         : 0);
    }
}

void
convoke_signaling_connection_send_first (ConvokeSignalingConnection *self,
                                         JsonObject *message, JsonNode *id)
{
  g_autoptr (GQueue) later = NULL;

  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));

  /* Park what is held, send (or hold) this one, then put the rest back
   * behind it, so the order on the wire is this message first. */
  later = g_queue_copy (&self->held);
  g_queue_clear (&self->held);
  convoke_signaling_connection_send (self, message, id);
  while (!g_queue_is_empty (later))
    {
      char *text = g_queue_pop_head (later);

      if (self->open)
        g_queue_push_tail (&self->held, text);
      else
        g_free (text);
    }
}

void
convoke_signaling_connection_send_error (ConvokeSignalingConnection *self, JsonNode *id,
                                         int code, const char *message)
{
  g_autoptr (JsonObject) error = NULL;

  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));

  if (!self->open)
    return;
  if (self->error_builder != NULL)
    {
      error = self->error_builder (code, message != NULL ? message : "");
      convoke_signaling_connection_send (self, error, NULL);
      g_signal_emit (self, signals[SIGNAL_ERROR_SENT], 0, code);
      return;
    }
  error = json_object_new ();
  json_object_set_string_member (error, "type", "error");
  json_object_set_int_member (error, "code", code);
  json_object_set_string_member (error, "message", message != NULL ? message : "");
  convoke_signaling_connection_send (self, error, id);
}

void
convoke_signaling_connection_fail (ConvokeSignalingConnection *self, JsonNode *id,
                                   int code, const char *message, gushort close_code)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));

  if (!self->open)
    return;
  g_debug ("signaling: closing %s with %u after error %d: %s", self->peer, close_code,
           code, message);
  /* The error must go out before the close frame, even mid-join. */
  self->hold_count = 0;
  while (!g_queue_is_empty (&self->held))
    send_text (self, g_queue_pop_head (&self->held));
  convoke_signaling_connection_send_error (self, id, code, message);
  close_ws (self, close_code, message);
}

void
convoke_signaling_connection_close (ConvokeSignalingConnection *self, gushort close_code)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));

  if (!self->open)
    return;
  convoke_signaling_connection_release (self);
  close_ws (self, close_code, NULL);
}

void
convoke_signaling_connection_hold (ConvokeSignalingConnection *self)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  self->hold_count++;
}

void
convoke_signaling_connection_release (ConvokeSignalingConnection *self)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));

  if (self->hold_count == 0)
    return;
  if (--self->hold_count > 0)
    return;
  while (!g_queue_is_empty (&self->held))
    send_text (self, g_queue_pop_head (&self->held));
}

/* ---- receiving ---------------------------------------------------------- */

/* Answers a frame that is not a well-formed message. */
static void
reject_invalid (ConvokeSignalingConnection *self, JsonNode *id, const char *text)
{
  if (self->invalid_is_fatal)
    convoke_signaling_connection_fail (self, id, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                                       text, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  else
    convoke_signaling_connection_send_error (self, id,
                                             CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE, text);
}

/* Whether a message may pass the token bucket; answers or closes the
 * connection when it may not. */
static gboolean
take_token (ConvokeSignalingConnection *self)
{
  guint rate = self->limits.max_messages_per_second;
  gint64 now = g_get_monotonic_time ();
  double burst = 2.0 * rate;

  if (rate == 0)
    return TRUE;

  self->tokens += (double)(now - self->tokens_updated) * rate / G_USEC_PER_SEC;
  self->tokens = MIN (self->tokens, burst);
  self->tokens_updated = now;
  if (self->tokens >= 1.0)
    {
      self->tokens -= 1.0;
      return TRUE;
    }

  if (self->last_drop == 0 || now - self->last_drop > FLOOD_GAP_USEC)
    self->flood_started = now;
  self->last_drop = now;

  if (now - self->flood_started >= FLOOD_CLOSE_USEC)
    {
      g_autofree char *text
          = g_strdup_printf (_ ("Message rate stayed over the limit of %u messages per "
                                "second for %d seconds"),
                             rate, (int)(FLOOD_CLOSE_USEC / G_USEC_PER_SEC));

      g_message ("signaling: %s flooded; closing", self->peer);
      convoke_signaling_connection_fail (self, NULL, CONVOKE_ERROR_SIGNALING_RATE, text,
                                         SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
      return FALSE;
    }

  /* One error per second at most: a flooding client that does not read
   * would otherwise make the server queue an error per dropped message. */
  if (self->last_rate_error == 0 || now - self->last_rate_error >= G_USEC_PER_SEC)
    {
      g_autofree char *text = g_strdup_printf (
          _ ("Message rate over the limit of %u messages per second; message dropped"),
          rate);

      self->last_rate_error = now;
      convoke_signaling_connection_send_error (self, NULL, CONVOKE_ERROR_SIGNALING_RATE,
                                               text);
    }
  return FALSE;
}

/* The client's `id` when it is a string or an integer. */
static JsonNode *
message_id (JsonObject *object)
{
  JsonNode *id = json_object_get_member (object, "id");
  GType type;

  if (id == NULL || !JSON_NODE_HOLDS_VALUE (id))
    return NULL;
  type = json_node_get_value_type (id);
  return type == G_TYPE_STRING || type == G_TYPE_INT64 ? id : NULL;
}

static void
handle_text (ConvokeSignalingConnection *self, GBytes *bytes)
{
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;
  JsonNode *id;
  const char *type;

  root = convoke_untrusted_json_parse (data, length, CONVOKE_UNTRUSTED_JSON_MAX_DEPTH,
                                       &error);
  if (root == NULL)
    {
      g_autofree char *text
          = g_strdup_printf (_ ("Message is not valid JSON: %s"), error->message);

      reject_invalid (self, NULL, text);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      reject_invalid (
          self, NULL,
          _ ("Message is not a JSON object; every message is an object with a “type”"));
      return;
    }
  object = json_node_get_object (root);
  id = message_id (object);

  type = convoke_json_get_string (object, "type");
  if (type == NULL || *type == '\0')
    {
      reject_invalid (self, id,
                      _ ("Message has no “type” member, or it is not a non-empty string"));
      return;
    }

  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, object, type, id);
}

static void
on_ws_message (SoupWebsocketConnection *ws, gint data_type, GBytes *bytes,
               ConvokeSignalingConnection *self)
{
  G_GNUC_UNUSED g_autoptr (ConvokeSignalingConnection) hold = g_object_ref (self);
  gsize max_size = self->limits.max_message_size;

  if (!self->open)
    return;
  self->last_heard = g_get_monotonic_time ();

  if (!take_token (self))
    return;

  if (g_bytes_get_size (bytes) > max_size)
    {
      g_autofree char *text = g_strdup_printf (
          _("Message of %zu bytes is over the limit of %zu bytes "
            "([signaling] max-message-size)"),
          g_bytes_get_size (bytes), (size_t) max_size);

      convoke_signaling_connection_fail (self, NULL,
                                         CONVOKE_ERROR_SIGNALING_MESSAGE_TOO_LARGE, text,
                                         SOUP_WEBSOCKET_CLOSE_TOO_BIG);
      return;
    }

  if (data_type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      reject_invalid (self, NULL,
                      _ ("Binary frames are not accepted; send each message as a text frame"));
      return;
    }

  if (self->input_paused > 0)
    g_queue_push_tail (&self->paused_frames, g_bytes_ref (bytes));
  else if (self->relay != NULL)
    self->relay (self, bytes, self->relay_data);
  else
    handle_text (self, bytes);
}

void
convoke_signaling_connection_pause_input (ConvokeSignalingConnection *self)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  self->input_paused++;
}

void
convoke_signaling_connection_resume_input (ConvokeSignalingConnection *self)
{
  G_GNUC_UNUSED g_autoptr (ConvokeSignalingConnection) hold = NULL;

  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  if (self->input_paused == 0 || --self->input_paused > 0)
    return;
  hold = g_object_ref (self);
  /* A frame may pause input again (another join), or close us. */
  while (self->open && self->input_paused == 0 && !g_queue_is_empty (&self->paused_frames))
    {
      g_autoptr (GBytes) bytes = g_queue_pop_head (&self->paused_frames);

      if (self->relay != NULL)
        self->relay (self, bytes, self->relay_data);
      else
        handle_text (self, bytes);
    }
}

void
convoke_signaling_connection_set_relay (ConvokeSignalingConnection *self,
                                        ConvokeSignalingRelayFunc relay, gpointer user_data)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  self->relay = relay;
  self->relay_data = user_data;
  /* The node that hosts the room applies its own deadline. */
  g_clear_handle_id (&self->join_deadline_source, g_source_remove);
}

void
convoke_signaling_connection_set_forwarded (ConvokeSignalingConnection *self,
                                            gboolean forwarded)
{
  self->forwarded = forwarded;
}

gboolean
convoke_signaling_connection_get_forwarded (ConvokeSignalingConnection *self)
{
  return self->forwarded;
}

void
convoke_signaling_connection_send_text (ConvokeSignalingConnection *self, const char *text)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  send_text (self, g_strdup (text));
}

/* The frames of one message add up to more than the limit: the rest of
 * it is being dropped as it arrives (ws-limit-stream.h). */
static void
on_too_large (ConvokeWsLimitStream *stream, guint64 size, ConvokeSignalingConnection *self)
{
  g_autofree char *text = NULL;

  /* A frame past libsoup's own per-frame limit is closed by libsoup. */
  if (!self->open
      || soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  text = g_strdup_printf (_ ("Message of at least %llu bytes is over the limit of %u "
                             "bytes ([signaling] max-message-size)"),
                          (unsigned long long)size, self->limits.max_message_size);
  convoke_signaling_connection_fail (self, NULL, CONVOKE_ERROR_SIGNALING_MESSAGE_TOO_LARGE,
                                     text, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
}

static void
on_ws_pong (SoupWebsocketConnection *ws, GBytes *message,
            ConvokeSignalingConnection *self)
{
  /* Answering the server's pings is enough to count as alive. */
  self->last_heard = g_get_monotonic_time ();
}

/* ---- timers ------------------------------------------------------------- */

static gboolean
on_keepalive_check (gpointer user_data)
{
  ConvokeSignalingConnection *self = user_data;
  guint silent_seconds = SILENT_INTERVALS * self->limits.keepalive_interval;
  g_autofree char *text = NULL;

  if (g_get_monotonic_time () - self->last_heard
      < (gint64)silent_seconds * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;

  self->keepalive_source = 0;
  text = g_strdup_printf (_ ("Nothing received for %u seconds (keepalive interval %u s)"),
                          silent_seconds, self->limits.keepalive_interval);
  g_message ("signaling: %s timed out", self->peer);
  convoke_signaling_connection_fail (self, NULL, CONVOKE_ERROR_SIGNALING_TIMED_OUT, text,
                                     SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  return G_SOURCE_REMOVE;
}

static gboolean
on_join_deadline (gpointer user_data)
{
  ConvokeSignalingConnection *self = user_data;
  g_autofree char *text
      = g_strdup_printf (_ ("No “%s” message within %u seconds of connecting"),
                         self->first_message, self->join_deadline_seconds);

  self->join_deadline_source = 0;
  convoke_signaling_connection_fail (self, NULL, CONVOKE_ERROR_SIGNALING_TIMED_OUT, text,
                                     SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  return G_SOURCE_REMOVE;
}

/* ---- construction and accessors ----------------------------------------- */

ConvokeSignalingConnection *
convoke_signaling_connection_new (SoupWebsocketConnection *ws,
                                  const ConvokeSignalingLimits *limits, const char *peer)
{
  ConvokeSignalingConnection *self;
  guint keepalive;

  g_return_val_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (ws), NULL);
  g_return_val_if_fail (limits != NULL, NULL);

  self = g_object_new (CONVOKE_TYPE_SIGNALING_CONNECTION, NULL);
  self->ws = g_object_ref (ws);
  self->peer = g_strdup (peer != NULL ? peer : "?");
  self->limits = *limits;
  if (self->limits.max_message_size == 0)
    self->limits.max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  self->open = TRUE;
  self->first_message = "join";
  self->tokens = 2.0 * self->limits.max_messages_per_second;
  self->tokens_updated = self->last_heard = g_get_monotonic_time ();

  /* libsoup refuses bigger frames before buffering them, but closes with
   * 1009 and no `error` message. Letting frames up to twice the limit
   * through gives oversize messages the documented 53009 first, while
   * memory per frame stays bounded. */
  soup_websocket_connection_set_max_incoming_payload_size (
      ws, 2 * (guint64)self->limits.max_message_size);
  /* libsoup 3.2 does not bound a message fragmented into many frames:
   * the signaling server puts a ConvokeWsLimitStream under @ws for that. */

  keepalive = self->limits.keepalive_interval;
  self->join_deadline_seconds
      = keepalive > 0 ? MIN (JOIN_DEADLINE_SECONDS, SILENT_INTERVALS * keepalive)
                      : JOIN_DEADLINE_SECONDS;
  if (keepalive > 0)
    {
      soup_websocket_connection_set_keepalive_interval (ws, keepalive);
      self->keepalive_source = g_timeout_add (keepalive * 1000, on_keepalive_check, self);
    }
  self->join_deadline_source
      = g_timeout_add_seconds (self->join_deadline_seconds, on_join_deadline, self);

  if (CONVOKE_IS_WS_LIMIT_STREAM (soup_websocket_connection_get_io_stream (ws)))
    g_signal_connect_object (soup_websocket_connection_get_io_stream (ws), "too-large",
                             G_CALLBACK (on_too_large), self, 0);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "pong", G_CALLBACK (on_ws_pong), self);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);

  /* Released when the WebSocket is closed, whoever closed it. */
  g_object_ref (self);
  self->self_ref_held = TRUE;

  return self;
}

const char *
convoke_signaling_connection_get_peer (ConvokeSignalingConnection *self)
{
  g_return_val_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self), NULL);
  return self->peer;
}

guint
convoke_signaling_connection_get_keepalive_interval (ConvokeSignalingConnection *self)
{
  g_return_val_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self), 0);
  return self->limits.keepalive_interval;
}

void
convoke_signaling_connection_set_participant (ConvokeSignalingConnection *self,
                                              ConvokeParticipant *participant)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));

  if (participant != NULL)
    convoke_participant_ref (participant);
  g_clear_pointer (&self->participant, convoke_participant_unref);
  self->participant = participant;
  if (participant != NULL)
    g_clear_handle_id (&self->join_deadline_source, g_source_remove);
}

ConvokeParticipant *
convoke_signaling_connection_get_participant (ConvokeSignalingConnection *self)
{
  g_return_val_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self), NULL);
  return self->participant;
}

void
convoke_signaling_connection_set_trickle (ConvokeSignalingConnection *self,
                                          gboolean trickle)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  self->trickle = trickle;
}

gboolean
convoke_signaling_connection_get_trickle (ConvokeSignalingConnection *self)
{
  g_return_val_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self), TRUE);
  return self->trickle;
}

void
convoke_signaling_connection_set_dialect (ConvokeSignalingConnection *self,
                                          const char *first_message,
                                          ConvokeSignalingErrorBuilder error_builder,
                                          gboolean invalid_is_fatal)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  g_return_if_fail (first_message != NULL);

  self->first_message = first_message;
  self->error_builder = error_builder;
  self->invalid_is_fatal = invalid_is_fatal;
}

void
convoke_signaling_connection_stop_join_deadline (ConvokeSignalingConnection *self)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  g_clear_handle_id (&self->join_deadline_source, g_source_remove);
}

void
convoke_signaling_connection_set_reuses_mlines (ConvokeSignalingConnection *self,
                                                gboolean reuse)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self));
  self->reuses_mlines = reuse;
}

void
convoke_signaling_connection_set_join_flag (ConvokeSignalingConnection *self,
                                            const char *feature, gboolean value)
{
  g_return_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self) && feature != NULL);
  if (self->join_flags == NULL)
    self->join_flags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (value)
    g_hash_table_add (self->join_flags, g_strdup (feature));
  else
    g_hash_table_remove (self->join_flags, feature);
}

gboolean
convoke_signaling_connection_get_join_flag (ConvokeSignalingConnection *self,
                                            const char *feature)
{
  g_return_val_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self), FALSE);
  return self->join_flags != NULL && feature != NULL
         && g_hash_table_contains (self->join_flags, feature);
}

gboolean
convoke_signaling_connection_get_reuses_mlines (ConvokeSignalingConnection *self)
{
  g_return_val_if_fail (CONVOKE_IS_SIGNALING_CONNECTION (self), FALSE);
  return self->reuses_mlines;
}
