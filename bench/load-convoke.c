/* The Convoke side of convoke-load: rooms over REST (docs/rest-api.md),
 * participants over the signaling protocol (docs/signaling.md, sfu
 * rooms: the server offers, the client answers).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load-convoke.h"

#include <inttypes.h>
#include <string.h>

#include "access-token.h"
#include "i18n.h"
#include "load-proc.h"

#define REST_TIMEOUT_MS 20000
#define TOKEN_TTL 3600

typedef struct
{
  LoadRun *run;
  GPtrArray *room_sids; /* char*, NULL until created */
  guint pending;
} ConvokeRun;

typedef struct
{
  LoadParticipant *participant; /* the signal handlers' data */
  SoupWebsocketConnection *ws;
  GCancellable *cancellable;
  char *pending_offer; /* arrived before our candidates were gathered */
} ConvokeParticipant;

static void
convoke_participant_free (gpointer data)
{
  ConvokeParticipant *cp = data;

  g_cancellable_cancel (cp->cancellable);
  g_clear_object (&cp->cancellable);
  if (cp->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (cp->ws, cp->participant);
      g_clear_object (&cp->ws);
    }
  g_free (cp->pending_offer);
  g_free (cp);
}

SoupMessage *
load_convoke_rest_message (LoadRun *run, const char *method, const char *path,
                           GBytes *form)
{
  g_autofree char *url = g_strconcat (run->options->url, path, NULL);
  g_autofree char *credentials
      = g_strdup_printf ("%s:%s", run->options->api_key, run->options->api_secret);
  g_autofree char *encoded
      = g_base64_encode ((const guchar *) credentials, strlen (credentials));
  g_autofree char *authorization = g_strconcat ("Basic ", encoded, NULL);
  SoupMessage *message = soup_message_new (method, url);

  if (message == NULL)
    return NULL;
  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", authorization);
  if (form != NULL)
    soup_message_set_request_body_from_bytes (message,
                                              "application/x-www-form-urlencoded", form);
  return message;
}

char *
load_convoke_signaling_url (LoadRun *run)
{
  const char *url = run->options->url;

  if (g_str_has_prefix (url, "https://"))
    return g_strconcat ("wss://", url + 8, "/v1/Signaling", NULL);
  if (g_str_has_prefix (url, "http://"))
    return g_strconcat ("ws://", url + 7, "/v1/Signaling", NULL);
  return g_strconcat (url, "/v1/Signaling", NULL);
}

char *
load_convoke_token (LoadRun *run, const char *identity, const char *room)
{
  const LoadOptions *options = run->options;

  return convoke_access_token_create (options->api_key, options->api_secret,
                                      options->account_sid, identity, room, TOKEN_TTL);
}

/* The JSON body of a REST answer, or NULL with the error recorded. */
JsonObject *
load_convoke_rest_finish (LoadRun *run, SoupSession *session, GAsyncResult *result,
                          const char *what)
{
  SoupMessage *message = soup_session_get_async_result_message (session, result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (session, result, &error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (body == NULL)
    {
      load_run_error (run, _ ("%s: %s"), what, error->message);
      return NULL;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message))
      || !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                      (gssize) g_bytes_get_size (body), NULL)
      || !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser))))
    {
      load_run_error (run, _ ("%s: HTTP %u: %.*s"), what,
                      soup_message_get_status (message),
                      (int) MIN (g_bytes_get_size (body), 300),
                      (const char *) g_bytes_get_data (body, NULL));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

typedef struct
{
  ConvokeRun *crun;
  guint room;
} RoomCall;

static void
on_room_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RoomCall *call = user_data;
  ConvokeRun *crun = call->crun;
  g_autofree char *what
      = g_strdup_printf (_ ("Creating room %s"),
                         (char *) g_ptr_array_index (crun->run->room_names, call->room));
  g_autoptr (JsonObject) room
      = load_convoke_rest_finish (crun->run, SOUP_SESSION (source), result, what);

  if (room != NULL)
    {
      g_free (crun->room_sids->pdata[call->room]);
      crun->room_sids->pdata[call->room]
          = g_strdup (json_object_get_string_member_with_default (room, "sid", NULL));
    }
  crun->pending--;
  g_free (call);
}

static gboolean
nothing_pending (gpointer data)
{
  return ((ConvokeRun *) data)->pending == 0;
}

static gboolean
convoke_prepare (LoadRun *run, GError **error)
{
  ConvokeRun *crun = g_new0 (ConvokeRun, 1);

  crun->run = run;
  crun->room_sids = g_ptr_array_new_with_free_func (g_free);
  run->driver_data = crun;
  for (guint r = 0; r < run->room_names->len; r++)
    {
      const char *name = g_ptr_array_index (run->room_names, r);
      char *text
          = soup_form_encode ("UniqueName", name, "Type", run->options->room_type, NULL);
      g_autoptr (GBytes) form = g_bytes_new_take (text, strlen (text));
      g_autoptr (SoupMessage) message = NULL;
      RoomCall *call = g_new0 (RoomCall, 1);

      message = load_convoke_rest_message (run, "POST", "/v1/Rooms", form);
      g_ptr_array_add (crun->room_sids, NULL);
      if (message == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _ ("--url “%s” is not a usable http:// URL"), run->options->url);
          g_free (call);
          return FALSE;
        }
      call->crun = crun;
      call->room = r;
      crun->pending++;
      soup_session_send_and_read_async (run->session, message, G_PRIORITY_DEFAULT, NULL,
                                        on_room_created, call);
    }
  if (!load_run_wait (nothing_pending, crun, REST_TIMEOUT_MS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   _ ("Convoke did not answer POST /v1/Rooms within %d s"),
                   REST_TIMEOUT_MS / 1000);
      return FALSE;
    }
  for (guint r = 0; r < crun->room_sids->len; r++)
    if (g_ptr_array_index (crun->room_sids, r) == NULL)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     _ ("Room %s could not be created"),
                     (char *) g_ptr_array_index (run->room_names, r));
        return FALSE;
      }
  return TRUE;
}

static void
send_answer (LoadParticipant *p, const char *offer)
{
  ConvokeParticipant *cp = p->driver_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;
  g_autoptr (JsonObject) message = json_object_new ();

  if (!load_peer_apply_remote (p->peer, offer, TRUE, &error)
      || (answer = load_peer_write_answer (p->peer, offer, p->publisher, &error)) == NULL)
    {
      load_run_error (p->run, _ ("%s: the server's offer: %s"), p->name, error->message);
      return;
    }
  json_object_set_string_member (message, "type", "answer");
  json_object_set_string_member (message, "to", "server");
  json_object_set_string_member (message, "sdp", answer);
  load_ws_send (cp->ws, message);
  if (p->answer_us == 0)
    p->answer_us = g_get_monotonic_time ();
}

static void
on_gathered (LoadPeer *peer, gpointer user_data)
{
  LoadParticipant *p = user_data;
  ConvokeParticipant *cp = p->driver_data;
  g_autofree char *offer = g_steal_pointer (&cp->pending_offer);

  if (offer != NULL)
    send_answer (p, offer);
}

static void
on_connected (LoadPeer *peer, gpointer user_data)
{
  LoadParticipant *p = user_data;

  p->connected_us = g_get_monotonic_time ();
  load_peer_start_sending (peer);
}

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *data, gpointer user_data)
{
  LoadParticipant *p = user_data;
  ConvokeParticipant *cp = p->driver_data;
  g_autoptr (JsonObject) message = load_ws_parse (p->run, p->name, data);
  const char *kind;

  if (message == NULL)
    return;
  kind = json_object_get_string_member_with_default (message, "type", "");
  if (g_str_equal (kind, "joined"))
    {
      JsonObject *self = json_object_get_object_member (message, "participant");

      g_free (p->server_id);
      p->server_id = g_strdup (
          self ? json_object_get_string_member_with_default (self, "sid", NULL) : NULL);
    }
  else if (g_str_equal (kind, "offer"))
    {
      const char *sdp = json_object_get_string_member_with_default (message, "sdp", NULL);

      if (p->offer_us == 0)
        p->offer_us = g_get_monotonic_time ();
      if (sdp == NULL)
        load_run_error (p->run, _ ("%s: an offer without “sdp”"), p->name);
      else if (!load_peer_is_gathered (p->peer))
        {
          g_free (cp->pending_offer);
          cp->pending_offer = g_strdup (sdp);
        }
      else
        send_answer (p, sdp);
    }
  else if (g_str_equal (kind, "candidate"))
    load_peer_add_remote_candidate (
        p->peer, json_object_get_string_member_with_default (message, "candidate", ""));
  else if (g_str_equal (kind, "error"))
    load_run_error (p->run, _ ("%s: error %" PRId64 ": %s"), p->name,
                    json_object_get_int_member_with_default (message, "code", 0),
                    json_object_get_string_member_with_default (message, "message", ""));
}

static void
on_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  LoadParticipant *p = user_data;

  if (!p->left)
    load_run_error (p->run, _ ("%s: the server closed the signaling connection (%u)"),
                    p->name, soup_websocket_connection_get_close_code (ws));
}

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadParticipant *p = user_data;
  ConvokeParticipant *cp;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_autoptr (JsonObject) join = json_object_new ();
  g_autofree char *token = NULL;
  const char *room;

  if (ws == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        load_run_error (p->run, _ ("%s: signaling connection: %s"), p->name,
                        error->message);
      return;
    }
  cp = p->driver_data;
  cp->ws = ws;
  g_signal_connect (ws, "message", G_CALLBACK (on_message), p);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), p);

  p->peer = load_run_new_peer (p->run, p, NULL, on_gathered, on_connected);
  if (p->peer == NULL)
    return;
  room = g_ptr_array_index (p->run->room_names, p->room);
  token = load_convoke_token (p->run, p->name, room);
  json_object_set_string_member (join, "type", "join");
  json_object_set_int_member (join, "id", 1);
  json_object_set_string_member (join, "token", token);
  json_object_set_string_member (join, "room", room);
  json_object_set_boolean_member (join, "trickle", FALSE);
  json_object_set_string_member (join, "client", "convoke-load");
  p->join_us = p->recv_join_us = g_get_monotonic_time ();
  load_ws_send (ws, join);
}

static void
convoke_start_participant (LoadRun *run, LoadParticipant *p)
{
  ConvokeParticipant *cp = g_new0 (ConvokeParticipant, 1);
  g_autofree char *url = load_convoke_signaling_url (run);
  g_autoptr (SoupMessage) message = soup_message_new ("GET", url);
  const char *protocols[] = { "convoke-signaling-1", NULL };

  cp->cancellable = g_cancellable_new ();
  cp->participant = p;
  p->driver_data = cp;
  p->driver_data_free = convoke_participant_free;
  if (message == NULL)
    {
      load_run_error (run, _ ("%s is not a usable WebSocket URL"), url);
      return;
    }
  soup_session_websocket_connect_async (run->session, message, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, cp->cancellable,
                                        on_ws_connected, p);
}

static void
convoke_stop_participant (LoadRun *run, LoadParticipant *p)
{
  ConvokeParticipant *cp = p->driver_data;

  p->left = TRUE;
  if (cp == NULL)
    return;
  g_cancellable_cancel (cp->cancellable);
  if (cp->ws != NULL
      && soup_websocket_connection_get_state (cp->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    {
      g_autoptr (JsonObject) leave = json_object_new ();

      json_object_set_string_member (leave, "type", "leave");
      load_ws_send (cp->ws, leave);
      soup_websocket_connection_close (cp->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
}

/* Outstanding REST calls; shared with their callbacks, which may outlive
 * the wait for them. */
typedef struct
{
  LoadRun *run;
  guint pending;
} PendingCalls;

static void
on_room_ended (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PendingCalls *calls = user_data;
  g_autoptr (JsonObject) room = load_convoke_rest_finish (
      calls->run, SOUP_SESSION (source), result, _ ("Ending a room"));

  calls->pending--;
  g_rc_box_release (calls);
}

static gboolean
no_call_pending (gpointer data)
{
  return ((PendingCalls *) data)->pending == 0;
}

void
load_convoke_end_rooms (LoadRun *run, GPtrArray *room_sids)
{
  PendingCalls *calls = g_rc_box_new0 (PendingCalls);

  calls->run = run;
  for (guint r = 0; r < room_sids->len; r++)
    {
      const char *sid = g_ptr_array_index (room_sids, r);
      g_autofree char *path = NULL;
      g_autoptr (GBytes) form = NULL;
      g_autoptr (SoupMessage) message = NULL;

      if (sid == NULL)
        continue;
      path = g_strconcat ("/v1/Rooms/", sid, NULL);
      form = g_bytes_new_static ("Status=completed", strlen ("Status=completed"));
      message = load_convoke_rest_message (run, "POST", path, form);
      if (message == NULL)
        continue;
      calls->pending++;
      soup_session_send_and_read_async (run->session, message, G_PRIORITY_DEFAULT, NULL,
                                        on_room_ended, g_rc_box_acquire (calls));
    }
  load_run_wait (no_call_pending, calls, REST_TIMEOUT_MS);
  g_rc_box_release (calls);
}

static void
convoke_finish (LoadRun *run)
{
  ConvokeRun *crun = run->driver_data;

  if (crun == NULL)
    return;
  load_convoke_end_rooms (run, crun->room_sids);
  g_ptr_array_unref (crun->room_sids);
  g_free (crun);
  run->driver_data = NULL;
}

void
load_convoke_worker_processes (LoadRun *run, GPtrArray *room_sids, GArray *pids,
                               GPtrArray *roles)
{
  for (guint r = 0; r < room_sids->len; r++)
    {
      const char *sid = g_ptr_array_index (room_sids, r);
      g_autoptr (GArray) workers = NULL;

      if (sid == NULL)
        continue;
      workers = load_proc_children (run->options->server_pid, sid);
      for (guint i = 0; i < workers->len; i++)
        {
          g_array_append_val (pids, g_array_index (workers, pid_t, i));
          g_ptr_array_add (roles, (gpointer) "worker");
        }
    }
}

static void
convoke_server_processes (LoadRun *run, GArray *pids, GPtrArray *roles)
{
  ConvokeRun *crun = run->driver_data;
  pid_t daemon = run->options->server_pid;

  g_array_append_val (pids, daemon);
  g_ptr_array_add (roles, (gpointer) "daemon");
  if (crun != NULL)
    load_convoke_worker_processes (run, crun->room_sids, pids, roles);
}

const LoadDriver load_convoke_driver = {
  .name = "convoke",
  .prepare = convoke_prepare,
  .start_participant = convoke_start_participant,
  .stop_participant = convoke_stop_participant,
  .finish = convoke_finish,
  .server_processes = convoke_server_processes,
};
