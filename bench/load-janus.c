/* The Janus side of convoke-load: the VideoRoom plugin over Janus's
 * WebSocket transport (subprotocol janus-protocol), as its own JavaScript
 * client drives it:
 *
 *   create (session) → attach (handle) → join as publisher → configure
 *   with our offer → Janus answers;
 *   attach a second handle → join as subscriber to every other feed →
 *   Janus offers → start with our answer;
 *   keepalive every 20 s; destroy at the end.
 *
 * Rooms are created (and destroyed) by a session of the run's own.
 * Subscriptions in a room start once all its publishers are configured,
 * so that every subscriber takes every feed in one negotiation.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "i18n.h"
#include "load-janus-conn.h"
#define ROOMS_TIMEOUT_MS 20000
#define JANUS_ROOM_EXISTS 427

typedef struct
{
  JanusConn conn;
  gint64 room_handle;
  guint64 room_base;
  guint *configured; /* per room: publishers whose PeerConnection is up */
  guint rooms_pending;
  gboolean rooms_failed;
} JanusRun;

typedef struct
{
  JanusConn conn;
  LoadParticipant *p;
  gint64 pub_handle, sub_handle;
  gboolean pub_joined, configure_sent;
  char *sub_offer; /* waiting for our candidates */
  guint subscribe_source;
} JanusParticipant;

/* Rooms */

static void
on_room_created (JanusConn *conn, JsonObject *reply, gpointer data)
{
  JanusRun *jrun = (JanusRun *) conn;
  JsonObject *result = janus_plugin_data (conn, reply, "create");

  if (result == NULL
      || (json_object_has_member (result, "error_code")
          && json_object_get_int_member (result, "error_code") != JANUS_ROOM_EXISTS))
    {
      if (result != NULL)
        load_run_error (conn->run, _ ("Janus could not create a room: %s"),
                        json_object_get_string_member_with_default (result, "error", ""));
      jrun->rooms_failed = TRUE;
    }
  jrun->rooms_pending--;
}

static void
on_room_handle (JanusConn *conn, JsonObject *reply, gpointer data)
{
  JanusRun *jrun = (JanusRun *) conn;
  const LoadOptions *options = conn->run->options;

  jrun->room_handle = janus_reply_id (conn, reply, "attach");
  if (jrun->room_handle == 0)
    {
      jrun->rooms_failed = TRUE;
      return;
    }
  for (int r = 0; r < options->rooms; r++)
    {
      g_autoptr (JsonObject) body = json_object_new ();

      json_object_set_string_member (body, "request", "create");
      json_object_set_int_member (body, "room", (gint64) (jrun->room_base + (guint) r));
      json_object_set_int_member (body, "publishers", MAX (options->publishers + 1, 3));
      /* No REMB cap and no periodic key frame requests: Convoke's group
       * rooms have neither by default. */
      json_object_set_int_member (body, "bitrate", 0);
      json_object_set_int_member (body, "fir_freq", 0);
      json_object_set_string_member (body, "audiocodec", "opus");
      json_object_set_string_member (body, "videocodec", "vp8");
      json_object_set_boolean_member (body, "notify_joining", FALSE);
      json_object_set_boolean_member (body, "permanent", FALSE);
      jrun->rooms_pending++;
      janus_conn_plugin_message (conn, jrun->room_handle, body, NULL, NULL,
                                 on_room_created, NULL);
    }
  jrun->rooms_pending--; /* the attach itself */
}

static void
on_run_session (JanusConn *conn, gpointer data)
{
  janus_conn_attach (conn, on_room_handle, NULL);
}

static gboolean
rooms_done (gpointer data)
{
  JanusRun *jrun = data;

  return jrun->rooms_pending == 0 || jrun->rooms_failed;
}

static gboolean
janus_prepare (LoadRun *run, GError **error)
{
  JanusRun *jrun = g_new0 (JanusRun, 1);

  run->driver_data = jrun;
  jrun->room_base = 1000000u + 1000u * (guint) g_random_int_range (1, 100000);
  jrun->configured = g_new0 (guint, (gsize) run->options->rooms);
  jrun->rooms_pending = 1;
  jrun->conn.ready = on_run_session;
  janus_conn_open (&jrun->conn, run, "rooms");
  if (!load_run_wait (rooms_done, jrun, ROOMS_TIMEOUT_MS) || jrun->rooms_failed)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("Janus at %s did not create the %d rooms within %d s"),
                   run->options->url, run->options->rooms, ROOMS_TIMEOUT_MS / 1000);
      return FALSE;
    }
  return TRUE;
}

static void
janus_finish (LoadRun *run)
{
  JanusRun *jrun = run->driver_data;

  if (jrun == NULL)
    return;
  for (int r = 0; r < run->options->rooms && jrun->room_handle != 0; r++)
    {
      g_autoptr (JsonObject) body = json_object_new ();

      json_object_set_string_member (body, "request", "destroy");
      json_object_set_int_member (body, "room", (gint64) (jrun->room_base + (guint) r));
      janus_conn_plugin_message (&jrun->conn, jrun->room_handle, body, NULL, NULL, NULL,
                                 NULL);
    }
  load_run_sleep (200);
  janus_conn_clear (&jrun->conn);
  g_free (jrun->configured);
  g_free (jrun);
  run->driver_data = NULL;
}

static void
janus_server_processes (LoadRun *run, GArray *pids, GPtrArray *roles)
{
  pid_t janus = run->options->server_pid;

  g_array_append_val (pids, janus);
  g_ptr_array_add (roles, (gpointer) "janus");
}

/* Participants */

static void subscribe (LoadParticipant *p);

static gint64
room_id (LoadParticipant *p)
{
  return (gint64) (((JanusRun *) p->run->driver_data)->room_base + p->room);
}

static gboolean
subscribe_later (gpointer data)
{
  LoadParticipant *p = data;
  JanusParticipant *jp = p->driver_data;

  jp->subscribe_source = 0;
  subscribe (p);
  return G_SOURCE_REMOVE;
}

/* Every publisher of @room is up: everyone in it subscribes. */
static void
room_published (LoadRun *run, guint room)
{
  for (guint i = 0; i < run->participants->len; i++)
    {
      LoadParticipant *other = g_ptr_array_index (run->participants, i);
      JanusParticipant *jp = other->driver_data;

      if (other->room != room || other->left || jp == NULL || jp->subscribe_source != 0)
        continue;
      /* Not from inside this event's handler: subscribe() sends. */
      jp->subscribe_source = g_idle_add (subscribe_later, other);
    }
}

static void
on_configured (JanusConn *conn, JsonObject *reply, gpointer data)
{
  JanusParticipant *jp = (JanusParticipant *) conn;
  LoadParticipant *p = jp->p;
  JsonObject *result = janus_plugin_data (conn, reply, "configure");
  JsonObject *jsep = janus_object_member (reply, "jsep");
  const char *sdp
      = jsep ? json_object_get_string_member_with_default (jsep, "sdp", NULL) : NULL;
  g_autoptr (GError) error = NULL;

  if (result == NULL)
    return;
  if (sdp == NULL)
    {
      load_run_error (
          p->run, _ ("%s: Janus answered configure without an SDP answer: %s"), p->name,
          json_object_get_string_member_with_default (result, "error", ""));
      return;
    }
  if (!load_peer_apply_remote (p->peer, sdp, FALSE, &error))
    load_run_error (p->run, _ ("%s: Janus's answer: %s"), p->name, error->message);
}

/* Janus takes subscriptions to a feed only once its PeerConnection is up
 * ("webrtcup"); before that it answers "No such feed". */
static void
publisher_up (LoadParticipant *p)
{
  JanusRun *jrun = p->run->driver_data;

  if (++jrun->configured[p->room] == (guint) p->run->options->publishers)
    room_published (p->run, p->room);
}

static void
maybe_configure (LoadParticipant *p)
{
  JanusParticipant *jp = p->driver_data;
  g_autoptr (JsonObject) body = NULL;
  g_autofree char *offer = NULL;

  if (!jp->pub_joined || jp->configure_sent || p->peer == NULL
      || !load_peer_is_gathered (p->peer))
    return;
  jp->configure_sent = TRUE;
  offer = load_peer_write_offer (p->peer);
  body = json_object_new ();
  json_object_set_string_member (body, "request", "configure");
  json_object_set_boolean_member (body, "audio", TRUE);
  json_object_set_boolean_member (body, "video", TRUE);
  janus_conn_plugin_message (&jp->conn, jp->pub_handle, body, "offer", offer,
                             on_configured, NULL);
}

static void
on_pub_joined (JanusConn *conn, JsonObject *reply, gpointer data)
{
  JanusParticipant *jp = (JanusParticipant *) conn;
  JsonObject *result = janus_plugin_data (conn, reply, "join");

  if (result == NULL)
    return;
  if (g_strcmp0 (json_object_get_string_member_with_default (result, "videoroom", ""),
                 "joined")
      != 0)
    {
      load_run_error (conn->run, _ ("%s: Janus refused the publisher join: %s"),
                      jp->p->name,
                      json_object_get_string_member_with_default (result, "error", ""));
      return;
    }
  g_free (jp->p->server_id);
  jp->p->server_id = g_strdup_printf (
      "%" G_GINT64_FORMAT, json_object_get_int_member_with_default (result, "id", 0));
  jp->pub_joined = TRUE;
  maybe_configure (jp->p);
}

static void
on_pub_gathered (LoadPeer *peer, gpointer user_data)
{
  maybe_configure (user_data);
}

static void
on_pub_connected (LoadPeer *peer, gpointer user_data)
{
  load_peer_start_sending (peer);
}

static void
on_pub_handle (JanusConn *conn, JsonObject *reply, gpointer data)
{
  JanusParticipant *jp = (JanusParticipant *) conn;
  LoadParticipant *p = jp->p;
  g_autoptr (JsonObject) body = json_object_new ();

  jp->pub_handle = janus_reply_id (conn, reply, "attach");
  if (jp->pub_handle == 0)
    return;
  p->peer = load_run_new_peer (p->run, p, NULL, on_pub_gathered, on_pub_connected);
  if (p->peer == NULL)
    return;
  json_object_set_string_member (body, "request", "join");
  json_object_set_string_member (body, "ptype", "publisher");
  json_object_set_int_member (body, "room", room_id (p));
  json_object_set_string_member (body, "display", p->name);
  janus_conn_plugin_message (conn, jp->pub_handle, body, NULL, NULL, on_pub_joined, NULL);
}

static void
send_start (LoadParticipant *p)
{
  JanusParticipant *jp = p->driver_data;
  g_autofree char *offer = g_steal_pointer (&jp->sub_offer);
  g_autofree char *answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = json_object_new ();

  if (!load_peer_apply_remote (p->recv_peer, offer, TRUE, &error)
      || (answer = load_peer_write_answer (p->recv_peer, offer, FALSE, &error)) == NULL)
    {
      load_run_error (p->run, _ ("%s: Janus's subscriber offer: %s"), p->name,
                      error->message);
      return;
    }
  json_object_set_string_member (body, "request", "start");
  janus_conn_plugin_message (&jp->conn, jp->sub_handle, body, "answer", answer, NULL,
                             NULL);
  p->answer_us = g_get_monotonic_time ();
}

static void
on_sub_gathered (LoadPeer *peer, gpointer user_data)
{
  LoadParticipant *p = user_data;
  JanusParticipant *jp = p->driver_data;

  if (jp->sub_offer != NULL)
    send_start (p);
}

static void
on_sub_connected (LoadPeer *peer, gpointer user_data)
{
  LoadParticipant *p = user_data;

  p->connected_us = g_get_monotonic_time ();
}

static void
on_sub_attached (JanusConn *conn, JsonObject *reply, gpointer data)
{
  JanusParticipant *jp = (JanusParticipant *) conn;
  LoadParticipant *p = jp->p;
  JsonObject *result = janus_plugin_data (conn, reply, "join as subscriber");
  JsonObject *jsep = janus_object_member (reply, "jsep");
  JsonArray *streams;

  if (result == NULL)
    return;
  streams = janus_array_member (result, "streams");
  if (jsep == NULL || streams == NULL)
    {
      load_run_error (
          p->run, _ ("%s: Janus answered the subscriber join without an offer: %s"),
          p->name, json_object_get_string_member_with_default (result, "error", ""));
      return;
    }
  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonObject *stream = json_array_get_object_element (streams, i);
      const char *mid = json_object_get_string_member_with_default (stream, "mid", NULL);

      if (mid != NULL && json_object_has_member (stream, "feed_id"))
        g_hash_table_replace (
            p->mid_sources, g_strdup (mid),
            g_strdup_printf ("%" G_GINT64_FORMAT,
                             json_object_get_int_member (stream, "feed_id")));
    }
  p->offer_us = g_get_monotonic_time ();
  g_free (jp->sub_offer);
  jp->sub_offer = g_strdup (json_object_get_string_member_with_default (jsep, "sdp", ""));
  if (load_peer_is_gathered (p->recv_peer))
    send_start (p);
}

static void
on_sub_handle (JanusConn *conn, JsonObject *reply, gpointer data)
{
  JanusParticipant *jp = (JanusParticipant *) conn;
  LoadParticipant *p = jp->p;
  g_autoptr (JsonObject) body = json_object_new ();
  JsonArray *streams = json_array_new ();

  jp->sub_handle = janus_reply_id (conn, reply, "attach");
  if (jp->sub_handle == 0)
    {
      json_array_unref (streams);
      return;
    }
  for (guint i = 0; i < p->run->participants->len; i++)
    {
      LoadParticipant *other = g_ptr_array_index (p->run->participants, i);
      JsonObject *feed;

      if (other == p || other->room != p->room || !other->publisher
          || other->server_id == NULL)
        continue;
      feed = json_object_new ();
      json_object_set_int_member (feed, "feed",
                                  g_ascii_strtoll (other->server_id, NULL, 10));
      json_array_add_object_element (streams, feed);
    }
  p->recv_peer = load_run_new_peer (p->run, p, "sub", on_sub_gathered, on_sub_connected);
  json_object_set_string_member (body, "request", "join");
  json_object_set_string_member (body, "ptype", "subscriber");
  json_object_set_int_member (body, "room", room_id (p));
  json_object_set_array_member (body, "streams", streams);
  p->recv_join_us = g_get_monotonic_time ();
  if (p->recv_peer != NULL)
    janus_conn_plugin_message (conn, jp->sub_handle, body, NULL, NULL, on_sub_attached,
                               NULL);
}

static void
subscribe (LoadParticipant *p)
{
  JanusParticipant *jp = p->driver_data;

  /* A lone publisher has nobody to receive. */
  if (p->left || jp == NULL || jp->conn.session_id == 0 || jp->sub_handle != 0
      || p->expected_streams == 0)
    return;
  janus_conn_attach (&jp->conn, on_sub_handle, NULL);
}

static void
on_participant_event (JanusConn *conn, JsonObject *message, gpointer data)
{
  JanusParticipant *jp = (JanusParticipant *) conn;
  LoadParticipant *p = jp->p;
  const char *janus = json_object_get_string_member_with_default (message, "janus", "");
  gint64 sender = json_object_get_int_member_with_default (message, "sender", 0);
  LoadPeer *peer = sender == jp->pub_handle   ? p->peer
                   : sender == jp->sub_handle ? p->recv_peer
                                              : NULL;

  if (g_str_equal (janus, "trickle") && peer != NULL)
    {
      JsonObject *candidate = janus_object_member (message, "candidate");

      if (candidate != NULL
          && !json_object_get_boolean_member_with_default (candidate, "completed", FALSE))
        load_peer_add_remote_candidate (peer, json_object_get_string_member_with_default (
                                                  candidate, "candidate", ""));
      else
        load_peer_add_remote_candidate (peer, "");
    }
  else if (g_str_equal (janus, "webrtcup") && sender == jp->pub_handle && sender != 0)
    publisher_up (p);
  else if (g_str_equal (janus, "hangup"))
    load_run_error (p->run, _ ("%s: Janus hung up: %s"), p->name,
                    json_object_get_string_member_with_default (message, "reason", ""));
}

static void
on_participant_session (JanusConn *conn, gpointer data)
{
  JanusParticipant *jp = (JanusParticipant *) conn;
  LoadParticipant *p = jp->p;

  /* The participant's first message, as Convoke's join is. */
  p->join_us = conn->create_us;
  if (p->publisher)
    janus_conn_attach (conn, on_pub_handle, NULL);
  else
    {
      JanusRun *jrun = p->run->driver_data;

      /* Its room may be complete already. */
      if (jrun->configured[p->room] == (guint) p->run->options->publishers)
        subscribe (p);
    }
}

static void
janus_participant_free (gpointer data)
{
  JanusParticipant *jp = data;

  g_clear_handle_id (&jp->subscribe_source, g_source_remove);
  janus_conn_clear (&jp->conn);
  g_free (jp->sub_offer);
  g_free (jp);
}

static void
janus_start_participant (LoadRun *run, LoadParticipant *p)
{
  JanusParticipant *jp = g_new0 (JanusParticipant, 1);

  jp->p = p;
  jp->conn.ready = on_participant_session;
  jp->conn.event = on_participant_event;
  p->driver_data = jp;
  p->driver_data_free = janus_participant_free;
  janus_conn_open (&jp->conn, run, p->name);
}

static void
janus_stop_participant (LoadRun *run, LoadParticipant *p)
{
  JanusParticipant *jp = p->driver_data;

  p->left = TRUE;
  if (jp != NULL)
    janus_conn_close (&jp->conn);
}

const LoadDriver load_janus_driver = {
  .name = "janus",
  .prepare = janus_prepare,
  .start_participant = janus_start_participant,
  .stop_participant = janus_stop_participant,
  .finish = janus_finish,
  .server_processes = janus_server_processes,
};
