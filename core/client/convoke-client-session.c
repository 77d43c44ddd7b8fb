/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-client-session-private.h"

#include "i18n.h"
#include "twilio-error.h"

GST_DEBUG_CATEGORY (convoke_client_debug);
#define GST_CAT_DEFAULT convoke_client_debug

/* After `leave`, how long to wait for the server to close the socket. */
#define LEAVE_TIMEOUT_SECONDS 2

G_DEFINE_ENUM_TYPE (ConvokeClientSessionState, convoke_client_session_state,
                    G_DEFINE_ENUM_VALUE (CONVOKE_CLIENT_SESSION_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (CONVOKE_CLIENT_SESSION_STATE_CONNECTING,
                                         "connecting"),
                    G_DEFINE_ENUM_VALUE (CONVOKE_CLIENT_SESSION_STATE_JOINED, "joined"),
                    G_DEFINE_ENUM_VALUE (CONVOKE_CLIENT_SESSION_STATE_CLOSED, "closed"))

G_DEFINE_TYPE (ConvokeClientSession, convoke_client_session, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_BIN,
  PROP_TRICKLE,
  PROP_RELAY_ONLY,
  PROP_LATENCY,
  PROP_LOCAL_ADDRESSES,
  PROP_CLIENT_NAME,
  PROP_STATE,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_JOINED,
  SIGNAL_PARTICIPANT_CONNECTED,
  SIGNAL_PARTICIPANT_DISCONNECTED,
  SIGNAL_TRACK_ADDED,
  SIGNAL_TRACK_REMOVED,
  SIGNAL_DATA_MESSAGE,
  SIGNAL_WARNING,
  SIGNAL_ERROR,
  SIGNAL_CLOSED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
local_track_free (ConvokeLocalTrack *track)
{
  g_free (track->name);
  g_free (track->kind);
  gst_clear_object (&track->tee);
  gst_clear_caps (&track->caps);
  g_free (track);
}

static void
remote_participant_free (ConvokeRemoteParticipant *participant)
{
  g_free (participant->sid);
  g_free (participant->identity);
  g_free (participant);
}

static void
remote_track_entry_free (ConvokeRemoteTrackEntry *entry)
{
  g_clear_object (&entry->track);
  g_free (entry);
}

static void
set_state (ConvokeClientSession *self, ConvokeClientSessionState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* ---- ending the session ------------------------------------------------ */

void
convoke_client_session_close_all_peers (ConvokeClientSession *self)
{
  g_autofree gpointer *ids = NULL;
  guint n_ids = 0;

  ids = g_hash_table_get_keys_as_array (self->peers, &n_ids);
  for (guint i = 0; i < n_ids; i++)
    {
      g_autofree char *id = g_strdup (ids[i]);

      convoke_client_session_close_peer (self, id);
    }
}

void
convoke_client_session_finish (ConvokeClientSession *self, const GError *error)
{
  if (self->state == CONVOKE_CLIENT_SESSION_STATE_CLOSED)
    return;
  g_object_ref (self);
  convoke_timeout_clear (self->context, &self->join_timeout_id);
  convoke_timeout_clear (self->context, &self->keepalive_id);
  convoke_timeout_clear (self->context, &self->leave_timeout_id);
  g_cancellable_cancel (self->cancellable);
  set_state (self, CONVOKE_CLIENT_SESSION_STATE_CLOSED);
  convoke_client_session_close_all_peers (self);

  if (error != NULL)
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
  if (self->connection != NULL
      && soup_websocket_connection_get_state (self->connection)
             == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
  g_object_unref (self);
}

void
convoke_client_session_fail (ConvokeClientSession *self, int code, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (CONVOKE_ERROR, code, message);

  convoke_client_session_finish (self, error);
}

void
convoke_client_session_warn (ConvokeClientSession *self, GError *error)
{
  GST_WARNING ("%s (%d)", error->message, error->code);
  g_signal_emit (self, signals[SIGNAL_WARNING], 0, error);
}

void
convoke_client_session_warn_literal (ConvokeClientSession *self, int code,
                                     const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (CONVOKE_ERROR, code, message);

  convoke_client_session_warn (self, error);
}

/* ---- remote tracks ----------------------------------------------------- */

static void
remove_tracks_where (ConvokeClientSession *self, ConvokePeer *peer,
                     const char *participant_sid, const char *mid)
{
  /* Collected first: handlers may add or remove tracks. */
  g_autoptr (GPtrArray) removed = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->remote_tracks->len;)
    {
      ConvokeRemoteTrackEntry *entry = g_ptr_array_index (self->remote_tracks, i);
      ConvokeRemoteTrack *track = entry->track;

      if ((peer == NULL || entry->peer == peer)
          && (participant_sid == NULL
              || g_strcmp0 (convoke_remote_track_get_participant_sid (track),
                            participant_sid)
                     == 0)
          && (mid == NULL || g_strcmp0 (convoke_remote_track_get_mid (track), mid) == 0))
        {
          g_ptr_array_add (removed, g_object_ref (track));
          g_ptr_array_remove_index (self->remote_tracks, i);
        }
      else
        i++;
    }
  for (guint i = 0; i < removed->len; i++)
    g_signal_emit (self, signals[SIGNAL_TRACK_REMOVED], 0,
                   g_ptr_array_index (removed, i));
}

void
convoke_client_session_remove_tracks_of (ConvokeClientSession *self,
                                         const char *participant_sid)
{
  remove_tracks_where (self, NULL, participant_sid, NULL);
}

void
convoke_client_session_remove_track_by_mid (ConvokeClientSession *self, ConvokePeer *peer,
                                            const char *mid)
{
  remove_tracks_where (self, peer, NULL, mid);
}

ConvokeRemoteTrack *
convoke_client_session_lookup_track (ConvokeClientSession *self, ConvokePeer *peer,
                                     const char *mid)
{
  for (guint i = 0; i < self->remote_tracks->len; i++)
    {
      ConvokeRemoteTrackEntry *entry = g_ptr_array_index (self->remote_tracks, i);

      if (entry->peer == peer
          && g_strcmp0 (convoke_remote_track_get_mid (entry->track), mid) == 0)
        return entry->track;
    }
  return NULL;
}

static void
on_peer_remote_pad (ConvokePeer *peer, GstPad *pad, const char *kind, const char *mid,
                    const char *msid, ConvokeClientSession *self)
{
  g_autofree char *owner = self->topology->track_owner (self, peer, mid, msid);
  ConvokeRemoteParticipant *participant;
  ConvokeRemoteTrackEntry *entry;

  if (owner == NULL)
    {
      GST_WARNING ("a %s stream from %s (mid %s) belongs to no known participant", kind,
                   convoke_peer_get_remote_id (peer), mid);
      return;
    }
  participant = convoke_client_session_lookup_participant (self, owner);
  entry = g_new0 (ConvokeRemoteTrackEntry, 1);
  entry->peer = peer;
  entry->track
      = convoke_remote_track_new (owner, participant ? participant->identity : NULL, kind,
                                  mid, pad, convoke_peer_get_created_time (peer));
  g_ptr_array_add (self->remote_tracks, entry);
  g_signal_emit (self, signals[SIGNAL_TRACK_ADDED], 0, entry->track);
}

void
convoke_client_session_emit_data_message (ConvokeClientSession *self, const char *publisher,
                                          const char *label, GBytes *data, gboolean binary)
{
  g_signal_emit (self, signals[SIGNAL_DATA_MESSAGE], 0, publisher, label, data, binary);
}

/* ---- peers ------------------------------------------------------------- */

static void
on_peer_local_description (ConvokePeer *peer, const char *type, const char *sdp,
                           ConvokeClientSession *self)
{
  g_autoptr (JsonObject) message
      = convoke_client_signaling_message_new (type, convoke_peer_get_remote_id (peer));

  json_object_set_string_member (message, "sdp", sdp);
  convoke_client_signaling_send (self, message);
  if (g_str_equal (type, "answer") && self->topology != NULL
      && self->topology->answered != NULL)
    self->topology->answered (self, peer);
}

static void
on_peer_local_candidate (ConvokePeer *peer, guint mline_index, const char *candidate,
                         ConvokeClientSession *self)
{
  g_autoptr (JsonObject) message = convoke_client_signaling_message_new (
      "candidate", convoke_peer_get_remote_id (peer));

  json_object_set_string_member (message, "candidate", candidate);
  json_object_set_int_member (message, "sdpMLineIndex", mline_index);
  convoke_client_signaling_send (self, message);
}

static void
on_peer_failed (ConvokePeer *peer, GError *error, ConvokeClientSession *self)
{
  convoke_client_session_warn (self, error);
}

ConvokePeer *
convoke_client_session_open_peer (ConvokeClientSession *self, const char *remote_id,
                                  gboolean remote_trickles,
                                  GstWebRTCRTPTransceiverDirection direction,
                                  GError **error)
{
  g_autoptr (ConvokePeer) peer = NULL;
  ConvokePeerConfig config = self->peer_config;

  convoke_client_session_close_peer (self, remote_id);
  /* Towards a non-trickle peer, behave as one (docs/signaling.md). */
  config.trickle = self->trickle && remote_trickles;
  /* Mesh connections carry a data m-line from the first offer on, as
   * convoke.js's do, so that data tracks need no renegotiation. */
  config.data_m_line = g_strcmp0 (self->topology->name, "mesh") == 0;
  peer = convoke_peer_new (self->bin, remote_id, &config, error);
  if (peer == NULL)
    return NULL;
  for (guint i = 0; i < self->local_tracks->len; i++)
    {
      ConvokeLocalTrack *track = g_ptr_array_index (self->local_tracks, i);

      if (!convoke_peer_add_local_track (peer, track->tee, track->caps,
                                         self->participant_sid, direction, error))
        {
          convoke_peer_close (peer);
          return NULL;
        }
    }
  g_signal_connect (peer, "local-description", G_CALLBACK (on_peer_local_description),
                    self);
  g_signal_connect (peer, "local-candidate", G_CALLBACK (on_peer_local_candidate), self);
  g_signal_connect (peer, "remote-pad", G_CALLBACK (on_peer_remote_pad), self);
  g_signal_connect (peer, "failed", G_CALLBACK (on_peer_failed), self);
  if (!convoke_client_session_attach_data (self, peer, error))
    {
      convoke_peer_close (peer);
      return NULL;
    }
  g_hash_table_insert (self->peers, g_strdup (remote_id), g_object_ref (peer));
  GST_INFO ("opened a peer connection to %s", remote_id);
  return peer;
}

ConvokePeer *
convoke_client_session_lookup_peer (ConvokeClientSession *self, const char *remote_id)
{
  return remote_id ? g_hash_table_lookup (self->peers, remote_id) : NULL;
}

void
convoke_client_session_close_peer (ConvokeClientSession *self, const char *remote_id)
{
  ConvokePeer *peer = convoke_client_session_lookup_peer (self, remote_id);

  if (peer == NULL)
    return;
  g_object_ref (peer);
  g_signal_handlers_disconnect_by_data (peer, self);
  /* The tracks go after the webrtcbin has stopped, so that handlers can
   * take their branches down without meeting a pad that still pushes. */
  convoke_peer_close (peer);
  remove_tracks_where (self, peer, NULL, NULL);
  g_hash_table_remove (self->peers, remote_id);
  g_object_unref (peer);
}

/* ---- participants ------------------------------------------------------ */

ConvokeRemoteParticipant *
convoke_client_session_lookup_participant (ConvokeClientSession *self, const char *sid)
{
  return sid ? g_hash_table_lookup (self->participants, sid) : NULL;
}

ConvokeRemoteParticipant *
convoke_client_session_add_participant (ConvokeClientSession *self, const char *sid,
                                        const char *identity, gboolean trickle)
{
  ConvokeRemoteParticipant *participant;

  if (sid == NULL || g_strcmp0 (sid, self->participant_sid) == 0
      || g_hash_table_contains (self->participants, sid))
    return NULL;
  participant = g_new0 (ConvokeRemoteParticipant, 1);
  participant->sid = g_strdup (sid);
  participant->identity = g_strdup (identity);
  participant->trickle = trickle;
  g_hash_table_insert (self->participants, participant->sid, participant);
  GST_INFO ("participant %s (%s) is in the room", sid, identity);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_CONNECTED], 0, participant->sid,
                 participant->identity);
  return participant;
}

void
convoke_client_session_remove_participant (ConvokeClientSession *self, const char *sid)
{
  ConvokeRemoteParticipant *participant
      = convoke_client_session_lookup_participant (self, sid);
  g_autofree char *identity = NULL;
  g_autofree char *participant_sid = NULL;

  if (participant == NULL)
    return;
  self->topology->participant_left (self, participant);
  /* The sid and identity outlive the table entry for the signal. */
  participant_sid = g_strdup (participant->sid);
  identity = g_strdup (participant->identity);
  g_hash_table_remove (self->participants, participant_sid);
  GST_INFO ("participant %s (%s) left", participant_sid, identity);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_DISCONNECTED], 0, participant_sid,
                 identity);
}

void
convoke_client_session_mark_joined (ConvokeClientSession *self)
{
  self->join_time = g_get_monotonic_time ();
  set_state (self, CONVOKE_CLIENT_SESSION_STATE_JOINED);
  g_signal_emit (self, signals[SIGNAL_JOINED], 0);
}

/* ---- public API -------------------------------------------------------- */

gboolean
convoke_client_session_connect (ConvokeClientSession *self, const char *url,
                                const char *token, const char *room, GError **error)
{
  g_autofree char *uri = NULL;

  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), FALSE);
  g_return_val_if_fail (url != NULL && token != NULL, FALSE);
  g_return_val_if_fail (self->state == CONVOKE_CLIENT_SESSION_STATE_IDLE, FALSE);

  uri = convoke_client_signaling_uri (url, error);
  if (uri == NULL)
    return FALSE;
  set_state (self, CONVOKE_CLIENT_SESSION_STATE_CONNECTING);
  convoke_client_signaling_open (self, uri, token, room);
  return TRUE;
}

static gboolean
on_leave_timeout (gpointer user_data)
{
  ConvokeClientSession *self = user_data;

  self->leave_timeout_id = 0;
  convoke_client_session_finish (self, NULL);
  return G_SOURCE_REMOVE;
}

void
convoke_client_session_leave (ConvokeClientSession *self)
{
  g_autoptr (JsonObject) leave = convoke_client_signaling_message_new ("leave", NULL);

  g_return_if_fail (CONVOKE_IS_CLIENT_SESSION (self));

  if (self->state != CONVOKE_CLIENT_SESSION_STATE_JOINED)
    {
      convoke_client_session_finish (self, NULL);
      return;
    }
  if (self->leaving)
    return;
  self->leaving = TRUE;
  convoke_client_session_close_all_peers (self);
  convoke_client_signaling_send (self, leave);
  self->leave_timeout_id = convoke_timeout_add (
      self->context, LEAVE_TIMEOUT_SECONDS * 1000, on_leave_timeout, self);
}

/* ---- local tracks ------------------------------------------------------ */

gboolean
convoke_client_session_add_track_pad (ConvokeClientSession *self, const char *name,
                                      const char *kind, GstPad *pad, GstCaps *caps,
                                      GError **error)
{
  ConvokeLocalTrack *track;
  g_autoptr (GstPad) tee_sink = NULL;
  GstPadLinkReturn link;

  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), FALSE);
  g_return_val_if_fail (name != NULL && kind != NULL, FALSE);
  g_return_val_if_fail (GST_IS_PAD (pad) && GST_IS_CAPS (caps), FALSE);
  g_return_val_if_fail (self->state == CONVOKE_CLIENT_SESSION_STATE_IDLE, FALSE);

  if (!g_str_equal (kind, "audio") && !g_str_equal (kind, "video"))
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("the track \"%s\" has the kind \"%s\"; it must be audio or video"),
                   name, kind);
      return FALSE;
    }

  track = g_new0 (ConvokeLocalTrack, 1);
  track->name = g_strdup (name);
  track->kind = g_strdup (kind);
  track->caps = gst_caps_ref (caps);
  /* One tee per track feeds every peer connection; with no peer yet its
   * buffers go nowhere, which is fine. */
  track->tee = gst_object_ref (gst_element_factory_make ("tee", NULL));
  g_object_set (track->tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add (self->bin, track->tee);
  tee_sink = gst_element_get_static_pad (track->tee, "sink");
  link = gst_pad_link (pad, tee_sink);
  if (link != GST_PAD_LINK_OK)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("could not link the %s track \"%s\": %s"), kind, name,
                   gst_pad_link_get_name (link));
      gst_element_set_state (track->tee, GST_STATE_NULL);
      gst_bin_remove (self->bin, track->tee);
      local_track_free (track);
      return FALSE;
    }
  gst_element_sync_state_with_parent (track->tee);
  g_ptr_array_add (self->local_tracks, track);
  return TRUE;
}

gboolean
convoke_client_session_add_track (ConvokeClientSession *self, const char *name,
                                  const char *kind, GstElement *source, GstCaps *caps,
                                  GError **error)
{
  g_autoptr (GstPad) pad = NULL;

  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), FALSE);
  g_return_val_if_fail (GST_IS_ELEMENT (source), FALSE);

  pad = gst_element_get_static_pad (source, "src");
  if (pad == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("the source of the %s track \"%s\" has no src pad"), kind, name);
      return FALSE;
    }
  if (GST_OBJECT_PARENT (source) == NULL)
    gst_bin_add (self->bin, source);
  if (!convoke_client_session_add_track_pad (self, name, kind, pad, caps, error))
    return FALSE;
  gst_element_sync_state_with_parent (source);
  return TRUE;
}

/* ---- getters ----------------------------------------------------------- */

ConvokeClientSessionState
convoke_client_session_get_state (ConvokeClientSession *self)
{
  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self),
                        CONVOKE_CLIENT_SESSION_STATE_CLOSED);
  return self->state;
}

const char *
convoke_client_session_get_participant_sid (ConvokeClientSession *self)
{
  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), NULL);
  return self->participant_sid;
}

const char *
convoke_client_session_get_identity (ConvokeClientSession *self)
{
  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), NULL);
  return self->identity;
}

const char *
convoke_client_session_get_room_sid (ConvokeClientSession *self)
{
  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), NULL);
  return self->room_sid;
}

const char *
convoke_client_session_get_room_name (ConvokeClientSession *self)
{
  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), NULL);
  return self->room_name;
}

const char *
convoke_client_session_get_topology (ConvokeClientSession *self)
{
  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), NULL);
  return self->topology ? self->topology->name : NULL;
}

gint64
convoke_client_session_get_join_time (ConvokeClientSession *self)
{
  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), 0);
  return self->join_time;
}

/* ---- GObject ----------------------------------------------------------- */

ConvokeClientSession *
convoke_client_session_new (GstBin *bin)
{
  g_return_val_if_fail (GST_IS_BIN (bin), NULL);
  return g_object_new (CONVOKE_TYPE_CLIENT_SESSION, "bin", bin, NULL);
}

static void
convoke_client_session_get_property (GObject *object, guint prop_id, GValue *value,
                                     GParamSpec *pspec)
{
  ConvokeClientSession *self = CONVOKE_CLIENT_SESSION (object);

  switch (prop_id)
    {
    case PROP_BIN:
      g_value_set_object (value, self->bin);
      break;
    case PROP_TRICKLE:
      g_value_set_boolean (value, self->trickle);
      break;
    case PROP_RELAY_ONLY:
      g_value_set_boolean (value, self->relay_only);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency_ms);
      break;
    case PROP_LOCAL_ADDRESSES:
      g_value_set_boxed (value, self->local_addresses);
      break;
    case PROP_CLIENT_NAME:
      g_value_set_string (value, self->client_name);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
convoke_client_session_set_property (GObject *object, guint prop_id, const GValue *value,
                                     GParamSpec *pspec)
{
  ConvokeClientSession *self = CONVOKE_CLIENT_SESSION (object);

  switch (prop_id)
    {
    case PROP_BIN:
      self->bin = g_value_dup_object (value);
      break;
    case PROP_TRICKLE:
      self->trickle = g_value_get_boolean (value);
      self->peer_config.trickle = self->trickle;
      break;
    case PROP_RELAY_ONLY:
      self->relay_only = g_value_get_boolean (value);
      self->peer_config.relay_only = self->relay_only;
      break;
    case PROP_LATENCY:
      self->latency_ms = g_value_get_uint (value);
      self->peer_config.latency_ms = self->latency_ms;
      break;
    case PROP_LOCAL_ADDRESSES:
      g_strfreev (self->local_addresses);
      self->local_addresses = g_value_dup_boxed (value);
      self->peer_config.local_addresses = self->local_addresses;
      break;
    case PROP_CLIENT_NAME:
      g_free (self->client_name);
      self->client_name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
convoke_client_session_dispose (GObject *object)
{
  ConvokeClientSession *self = CONVOKE_CLIENT_SESSION (object);

  convoke_timeout_clear (self->context, &self->join_timeout_id);
  convoke_timeout_clear (self->context, &self->keepalive_id);
  convoke_timeout_clear (self->context, &self->leave_timeout_id);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->peers != NULL)
    {
      GHashTableIter iter;
      gpointer peer;

      g_hash_table_iter_init (&iter, self->peers);
      while (g_hash_table_iter_next (&iter, NULL, &peer))
        {
          g_signal_handlers_disconnect_by_data (peer, self);
          convoke_peer_close (peer);
        }
      g_hash_table_remove_all (self->peers);
    }
  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      if (soup_websocket_connection_get_state (self->connection)
          == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->connection,
                                         SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      g_clear_object (&self->connection);
    }
  G_OBJECT_CLASS (convoke_client_session_parent_class)->dispose (object);
}

static void
convoke_client_session_finalize (GObject *object)
{
  ConvokeClientSession *self = CONVOKE_CLIENT_SESSION (object);

  g_clear_object (&self->soup);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->last_error);
  g_ptr_array_unref (self->local_tracks);
  g_ptr_array_unref (self->data_tracks);
  g_ptr_array_unref (self->remote_tracks);
  g_hash_table_unref (self->participants);
  g_hash_table_unref (self->peers);
  g_free (self->peer_config.stun_server);
  g_strfreev (self->peer_config.turn_servers);
  g_strfreev (self->local_addresses);
  g_free (self->client_name);
  g_free (self->participant_sid);
  g_free (self->identity);
  g_free (self->room_sid);
  g_free (self->room_name);
  gst_clear_object (&self->bin);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (convoke_client_session_parent_class)->finalize (object);
}

static void
convoke_client_session_init (ConvokeClientSession *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->trickle = TRUE;
  self->peer_config.trickle = TRUE;
  self->client_name = g_strdup ("convoke-client/" PACKAGE_VERSION);
  self->soup = soup_session_new ();
  self->cancellable = g_cancellable_new ();
  self->local_tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) local_track_free);
  self->data_tracks = g_ptr_array_new_with_free_func (g_free);
  self->remote_tracks
      = g_ptr_array_new_with_free_func ((GDestroyNotify) remote_track_entry_free);
  self->participants = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify) remote_participant_free);
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

static void
convoke_client_session_class_init (ConvokeClientSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->get_property = convoke_client_session_get_property;
  object_class->set_property = convoke_client_session_set_property;
  object_class->dispose = convoke_client_session_dispose;
  object_class->finalize = convoke_client_session_finalize;

  properties[PROP_BIN] = g_param_spec_object (
      "bin", "Bin", "Where the peer connections are added", GST_TYPE_BIN,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRICKLE] = g_param_spec_boolean (
      "trickle", "Trickle ICE", "Send ICE candidates as they are found", TRUE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RELAY_ONLY]
      = g_param_spec_boolean ("relay-only", "Relay only", "Use TURN relays only", FALSE,
                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /* webrtcbin's own default. A lost packet comes back after the NACK
   * delay, a round trip and the jitter: 200 ms holds links up to about
   * 60 ms of round trip; an 80 ms one with 20 ms of jitter needs 400
   * (tests/sfu/group-lossy-test.c). */
  properties[PROP_LATENCY] = g_param_spec_uint (
      "latency", "Latency",
      "Jitter buffer latency in ms: how long a lost packet's retransmission may take",
      0, 10000, CONVOKE_CLIENT_DEFAULT_LATENCY_MS, G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOCAL_ADDRESSES] = g_param_spec_boxed (
      "local-addresses", "Local addresses",
      "Gather ICE candidates on these addresses only (NULL: every interface)",
      G_TYPE_STRV, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT_NAME]
      = g_param_spec_string ("client-name", "Client name", "Sent to the server in join",
                             NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] = g_param_spec_enum (
      "state", "State", "Where the session is", CONVOKE_TYPE_CLIENT_SESSION_STATE,
      CONVOKE_CLIENT_SESSION_STATE_IDLE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_JOINED] = g_signal_new ("joined", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_PARTICIPANT_CONNECTED]
      = g_signal_new ("participant-connected", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_PARTICIPANT_DISCONNECTED]
      = g_signal_new ("participant-disconnected", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_TRACK_ADDED]
      = g_signal_new ("track-added", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, CONVOKE_TYPE_REMOTE_TRACK);
  signals[SIGNAL_TRACK_REMOVED]
      = g_signal_new ("track-removed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, CONVOKE_TYPE_REMOTE_TRACK);
  signals[SIGNAL_DATA_MESSAGE]
      = g_signal_new ("data-message", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES,
                      G_TYPE_BOOLEAN);
  signals[SIGNAL_WARNING] = g_signal_new ("warning", type, G_SIGNAL_RUN_LAST, 0, NULL,
                                          NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_ERROR] = g_signal_new ("error", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                        NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 0);

  GST_DEBUG_CATEGORY_INIT (convoke_client_debug, "convokeclient", 0,
                           "Convoke client session");
}
