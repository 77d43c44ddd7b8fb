/* GstConvokeBin: the base class of convokesrc and convokesink.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * SECTION:gstconvokebin
 * @title: GstConvokeBin
 * @short_description: Base class of convokesrc and convokesink
 *
 * A #GstBin that joins a Convoke room as one participant. It holds what
 * both elements share: the properties that say where and as whom to join,
 * the bus messages and the errors.
 *
 * The signaling connection and the WebRTC peer connections
 * (`webrtcbin`s, added inside the bin) run on a thread of the element's
 * own with its own #GMainContext, so the elements work in applications
 * that run no GLib main loop. The thread starts in the NULL→READY change
 * and stops in READY→NULL. The element joins in READY→PAUSED (convokesink
 * waits for the caps of every requested pad first) and leaves the room in
 * PAUSED→READY.
 *
 * ## Bus messages
 *
 * Element messages, posted by the element:
 *
 * - `convoke-joined`: the server accepted the join. Fields: `room-sid`,
 *   `room-name`, `sid` (the element's own participant sid), `identity`,
 *   `topology` (`mesh` for peer-to-peer and go rooms, `sfu` for group
 *   rooms), all strings.
 * - `convoke-participant-connected`: another participant is in the room
 *   (when joining) or joined it. Fields: `sid`, `identity` (strings).
 * - `convoke-participant-disconnected`: that participant left. Fields:
 *   `sid`, `identity` (strings).
 * - `convoke-data-message`: a message on another participant's data
 *   track. Fields: `sid` (the publisher), `label` (its track's channel
 *   label: its msid), and `text` (string) or, for a binary message, `data`
 *   (#GBytes).
 * - `convoke-error`: the session ended with an error (it is followed by
 *   an ERROR message). Fields: `code` (int, the Twilio error code, e.g.
 *   20107 for a token with a bad signature, 53105 for a full room) and
 *   `message` (string, the server's explanation).
 *
 * An ERROR message's details (gst_message_parse_error_details()) are the
 * same `convoke-error` structure.
 *
 * What fails inside one peer connection (an ERROR posted from inside a
 * `webrtcbin`: a remote peer's broken media, a pad whose downstream
 * refuses its caps) is posted as a WARNING instead: that connection's
 * media stops, the element and the other connections go on.
 *
 * Since: 0.1
 */

#include "gstconvokebin.h"

#include "context-dispatch.h"
#include "gstconvokebusmessages.h"
#include "gstconvokeelement-properties.h"

#include "i18n.h"

/* Not static: the bus messages (gstconvokebusmessages.c) log here too. */
GST_DEBUG_CATEGORY (gst_convoke_bin_debug);
#define GST_CAT_DEFAULT gst_convoke_bin_debug

/* The library gives the server 2 s to close the socket after `leave`. */
#define LEAVE_WAIT_US (3 * G_USEC_PER_SEC)

/* The id of the first of the properties in gstconvokeelement-properties.c,
 * the only ones of the class. */
#define PROP_FIRST_SETTING 1
/* The class's own, after them. */
#define PROP_DATA_TRACK (PROP_FIRST_SETTING + GST_CONVOKE_SETTINGS_N_PROPERTIES)

enum
{
  SIGNAL_PARTICIPANT_CONNECTED,
  SIGNAL_PARTICIPANT_DISCONNECTED,
  SIGNAL_DATA_MESSAGE,
  SIGNAL_SEND_DATA,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

typedef struct
{
  /* The properties, under the object lock. */
  GstConvokeSettings settings;
  char *data_track;

  /* What this run joins with: set before the session exists, read on
   * the session thread. */
  GstConvokeRun *run;

  /* The session thread. */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;

  /* Under lock: the session and whether it has closed. */
  GMutex lock;
  GCond cond;
  ConvokeClientSession *session;
  gboolean session_closed;
  gboolean session_failed;
  gboolean stopping;
  gboolean connect_requested;
} GstConvokeBinPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GstConvokeBin, gst_convoke_bin, GST_TYPE_BIN)

#define PRIV(self) ((GstConvokeBinPrivate *) gst_convoke_bin_get_instance_private (self))

/* ---- the session thread ------------------------------------------------ */

static gpointer
session_thread_main (gpointer data)
{
  GstConvokeBinPrivate *priv = data;

  g_main_context_push_thread_default (priv->context);
  g_main_loop_run (priv->loop);
  /* Whatever was invoked before the quit still runs, so that no caller
   * waits forever and nothing is freed on another thread. */
  while (g_main_context_iteration (priv->context, FALSE))
    ;
  g_main_context_pop_thread_default (priv->context);
  return NULL;
}

static void
start_thread (GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);

  priv->context = g_main_context_new ();
  priv->loop = g_main_loop_new (priv->context, FALSE);
  priv->thread = g_thread_new ("convoke-session", session_thread_main, priv);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
stop_thread (GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);

  if (priv->thread == NULL)
    return;
  convoke_context_dispatch (priv->context, quit_loop, priv->loop, NULL);
  g_thread_join (g_steal_pointer (&priv->thread));
  g_clear_pointer (&priv->loop, g_main_loop_unref);
  g_clear_pointer (&priv->context, g_main_context_unref);
}

typedef struct
{
  GstConvokeBin *self;
  void (*func) (GstConvokeBin *self);
  gboolean done;
} SyncCall;

static gboolean
sync_call_dispatch (gpointer data)
{
  SyncCall *call = data;
  GstConvokeBinPrivate *priv = PRIV (call->self);

  call->func (call->self);
  g_mutex_lock (&priv->lock);
  call->done = TRUE;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
  return G_SOURCE_REMOVE;
}

/* Runs @func on the session thread and waits for it. */
static void
call_on_session_thread (GstConvokeBin *self, void (*func) (GstConvokeBin *self))
{
  GstConvokeBinPrivate *priv = PRIV (self);
  SyncCall call = { self, func, FALSE };

  if (g_thread_self () == priv->thread)
    {
      func (self);
      return;
    }
  convoke_context_dispatch (priv->context, sync_call_dispatch, &call, NULL);
  g_mutex_lock (&priv->lock);
  while (!call.done)
    g_cond_wait (&priv->cond, &priv->lock);
  g_mutex_unlock (&priv->lock);
}

/* ---- session events (session thread) ----------------------------------- */

static void
on_joined (ConvokeClientSession *session, GstConvokeBin *self)
{
  gst_convoke_post_joined (GST_ELEMENT (self), session);
}

static void
on_participant_connected (ConvokeClientSession *session, const char *sid,
                          const char *identity, GstConvokeBin *self)
{
  gst_convoke_post_participant_connected (GST_ELEMENT (self), sid, identity);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_CONNECTED], 0, sid, identity);
}

static void
on_participant_disconnected (ConvokeClientSession *session, const char *sid,
                             const char *identity, GstConvokeBin *self)
{
  gst_convoke_post_participant_disconnected (GST_ELEMENT (self), sid, identity);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_DISCONNECTED], 0, sid, identity);
}

static void
on_data_message (ConvokeClientSession *session, const char *sid, const char *label,
                 GBytes *data, gboolean binary, GstConvokeBin *self)
{
  gst_convoke_post_data_message (GST_ELEMENT (self), sid, label, data, binary);
  g_signal_emit (self, signals[SIGNAL_DATA_MESSAGE], 0, sid, label, data, binary);
}

typedef struct
{
  GstConvokeBin *self;
  GBytes *data;
  gboolean binary;
  gboolean sent;
  gboolean done;
} SendCall;

static gboolean
send_call_dispatch (gpointer data)
{
  SendCall *call = data;
  GstConvokeBinPrivate *priv = PRIV (call->self);
  g_autoptr (ConvokeClientSession) session = gst_convoke_bin_ref_session (call->self);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;

  GST_OBJECT_LOCK (call->self);
  name = g_strdup (priv->data_track);
  GST_OBJECT_UNLOCK (call->self);
  if (session != NULL && name != NULL)
    call->sent = convoke_client_session_send_data (session, name, call->data, call->binary,
                                                   &error);
  if (error != NULL)
    GST_DEBUG_OBJECT (call->self, "%s", error->message);
  g_mutex_lock (&priv->lock);
  call->done = TRUE;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
  return G_SOURCE_REMOVE;
}

/* The "send-data" action: runs on the session thread, which owns the
 * session, and waits for it. */
static gboolean
gst_convoke_bin_send_data (GstConvokeBin *self, GBytes *data, gboolean binary)
{
  GstConvokeBinPrivate *priv = PRIV (self);
  SendCall call = { self, data, binary, FALSE, FALSE };

  if (data == NULL || priv->context == NULL)
    return FALSE;
  if (g_thread_self () == priv->thread)
    {
      send_call_dispatch (&call);
      return call.sent;
    }
  convoke_context_dispatch (priv->context, send_call_dispatch, &call, NULL);
  g_mutex_lock (&priv->lock);
  while (!call.done)
    g_cond_wait (&priv->cond, &priv->lock);
  g_mutex_unlock (&priv->lock);
  return call.sent;
}

static gboolean
send_data_action (GstConvokeBin *self, const char *text)
{
  g_autoptr (GBytes) data = text ? g_bytes_new (text, strlen (text)) : NULL;

  return gst_convoke_bin_send_data (self, data, FALSE);
}

static void
on_warning (ConvokeClientSession *session, GError *error, GstConvokeBin *self)
{
  gst_convoke_post_session_warning (GST_ELEMENT (self), error);
}

static void
on_error (ConvokeClientSession *session, GError *error, GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);

  g_mutex_lock (&priv->lock);
  priv->session_failed = TRUE;
  g_mutex_unlock (&priv->lock);
  gst_convoke_post_session_error (GST_ELEMENT (self), error, priv->run->url,
                                  priv->run->room,
                                  convoke_client_session_get_join_time (session) != 0);
}

static void
on_closed (ConvokeClientSession *session, GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);
  gboolean unexpected;

  g_mutex_lock (&priv->lock);
  priv->session_closed = TRUE;
  unexpected = !priv->stopping && !priv->session_failed;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
  /* A normal close (1000) that nobody asked for: the pipeline may go on,
   * but nothing more comes from or goes to the room. */
  if (unexpected)
    gst_convoke_post_unexpected_close (GST_ELEMENT (self), priv->run->url);
}

/* ---- settings ---------------------------------------------------------- */

/* Copies and checks the settings for this run; posts an error and returns
 * FALSE when they cannot work. */
static gboolean
prepare_run (GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);
  GstConvokeSettings settings = { NULL };
  g_autoptr (GError) error = NULL;

  GST_OBJECT_LOCK (self);
  gst_convoke_settings_copy (&priv->settings, &settings);
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&priv->run, gst_convoke_run_free);
  priv->run = gst_convoke_run_new (&settings, &error);
  gst_convoke_settings_clear (&settings);
  if (priv->run != NULL)
    return TRUE;
  gst_convoke_post_settings_error (GST_ELEMENT (self), error);
  return FALSE;
}

/* ---- session life cycle (session thread) ------------------------------- */

static void
create_session (GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);
  GstConvokeBinClass *klass = GST_CONVOKE_BIN_GET_CLASS (self);
  g_autoptr (ConvokeClientSession) session = NULL;
  g_autofree char *client_name = g_strdup_printf (
      "%s/%s", GST_OBJECT_NAME (gst_element_get_factory (GST_ELEMENT (self))),
      PACKAGE_VERSION);
  g_autofree char *data_track = NULL;
  g_autoptr (GError) error = NULL;
  gboolean relay_only;

  GST_OBJECT_LOCK (self);
  relay_only = priv->settings.relay_only;
  GST_OBJECT_UNLOCK (self);

  session = convoke_client_session_new (GST_BIN (self));
  g_object_set (session, "relay-only", relay_only, "local-addresses",
                priv->run->local_addresses, "client-name", client_name, NULL);
  g_signal_connect (session, "joined", G_CALLBACK (on_joined), self);
  g_signal_connect (session, "participant-connected",
                    G_CALLBACK (on_participant_connected), self);
  g_signal_connect (session, "participant-disconnected",
                    G_CALLBACK (on_participant_disconnected), self);
  g_signal_connect (session, "warning", G_CALLBACK (on_warning), self);
  g_signal_connect (session, "error", G_CALLBACK (on_error), self);
  g_signal_connect (session, "closed", G_CALLBACK (on_closed), self);
  g_signal_connect (session, "data-message", G_CALLBACK (on_data_message), self);
  GST_OBJECT_LOCK (self);
  data_track = g_strdup (priv->data_track);
  GST_OBJECT_UNLOCK (self);
  if (data_track != NULL && !convoke_client_session_add_data_track (session, data_track, &error))
    gst_convoke_post_session_warning (GST_ELEMENT (self), error);
  if (klass->session_created != NULL)
    klass->session_created (self, session);

  g_mutex_lock (&priv->lock);
  priv->session = g_steal_pointer (&session);
  priv->session_closed = FALSE;
  priv->session_failed = FALSE;
  priv->stopping = FALSE;
  priv->connect_requested = FALSE;
  g_mutex_unlock (&priv->lock);
}

static gboolean
connect_now (gpointer data)
{
  GstConvokeBin *self = data;
  GstConvokeBinPrivate *priv = PRIV (self);
  g_autoptr (ConvokeClientSession) session = gst_convoke_bin_ref_session (self);
  g_autoptr (GError) error = NULL;

  if (session == NULL
      || convoke_client_session_get_state (session) != CONVOKE_CLIENT_SESSION_STATE_IDLE)
    return G_SOURCE_REMOVE;
  GST_INFO_OBJECT (self, "joining %s at %s",
                   priv->run->room ? priv->run->room : "(token)", priv->run->url);
  if (!convoke_client_session_connect (session, priv->run->url, priv->run->token,
                                       priv->run->room, &error))
    gst_convoke_post_connect_error (GST_ELEMENT (self), error, priv->run->url);
  return G_SOURCE_REMOVE;
}

void
gst_convoke_bin_connect (GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);
  gboolean go;

  g_return_if_fail (GST_IS_CONVOKE_BIN (self));

  g_mutex_lock (&priv->lock);
  go = priv->session != NULL && !priv->stopping && !priv->connect_requested;
  if (go)
    priv->connect_requested = TRUE;
  g_mutex_unlock (&priv->lock);
  /* The session thread outlives every source attached to it (it drains
   * them before it exits), so @self needs no reference here. */
  if (go)
    convoke_context_dispatch (priv->context, connect_now, self, NULL);
}

ConvokeClientSession *
gst_convoke_bin_ref_session (GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);
  ConvokeClientSession *session = NULL;

  g_return_val_if_fail (GST_IS_CONVOKE_BIN (self), NULL);

  g_mutex_lock (&priv->lock);
  if (priv->session != NULL)
    session = g_object_ref (priv->session);
  g_mutex_unlock (&priv->lock);
  return session;
}

static void
begin_leave (GstConvokeBin *self)
{
  g_autoptr (ConvokeClientSession) session = gst_convoke_bin_ref_session (self);

  if (session != NULL)
    convoke_client_session_leave (session);
}

static void
destroy_session (GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);
  GstConvokeBinClass *klass = GST_CONVOKE_BIN_GET_CLASS (self);
  g_autoptr (ConvokeClientSession) session = NULL;

  g_mutex_lock (&priv->lock);
  session = g_steal_pointer (&priv->session);
  g_mutex_unlock (&priv->lock);
  if (session == NULL)
    return;
  g_signal_handlers_disconnect_by_data (session, self);
  if (klass->session_finished != NULL)
    klass->session_finished (self, session);
  /* The last reference goes here, on the thread the session lives on. */
}

static void
stop_session (GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);
  gint64 deadline = g_get_monotonic_time () + LEAVE_WAIT_US;

  g_mutex_lock (&priv->lock);
  priv->stopping = TRUE;
  g_mutex_unlock (&priv->lock);

  call_on_session_thread (self, begin_leave);
  g_mutex_lock (&priv->lock);
  while (priv->session != NULL && !priv->session_closed)
    if (!g_cond_wait_until (&priv->cond, &priv->lock, deadline))
      {
        GST_WARNING_OBJECT (self, "the server did not close the session in time");
        break;
      }
  g_mutex_unlock (&priv->lock);
  call_on_session_thread (self, destroy_session);
}

/* ---- GstBin / GstElement ----------------------------------------------- */

/* The session adds a webrtcbin per peer connection; the extra ICE
 * servers of ice-servers go on each before it leaves NULL. */
static void
gst_convoke_bin_element_added (GstBin *bin, GstElement *child)
{
  GstConvokeBinPrivate *priv = PRIV (GST_CONVOKE_BIN (bin));
  GstElementFactory *factory = gst_element_get_factory (child);
  g_autofree char *stun = NULL;

  if (priv->run == NULL || factory == NULL
      || !g_str_equal (GST_OBJECT_NAME (factory), "webrtcbin"))
    return;
  g_object_get (child, "stun-server", &stun, NULL);
  if (stun == NULL && priv->run->stun_server != NULL)
    g_object_set (child, "stun-server", priv->run->stun_server, NULL);
  for (char **uri = priv->run->turn_servers; uri != NULL && *uri != NULL; uri++)
    {
      gboolean added = FALSE;

      g_signal_emit_by_name (child, "add-turn-server", *uri, &added);
      if (!added)
        GST_WARNING_OBJECT (bin, "webrtcbin refused a TURN server of ice-servers");
    }
}

static void
gst_convoke_bin_handle_message (GstBin *bin, GstMessage *message)
{
  message = gst_convoke_filter_child_message (bin, message);
  if (message != NULL)
    GST_BIN_CLASS (gst_convoke_bin_parent_class)->handle_message (bin, message);
}

static GstStateChangeReturn
gst_convoke_bin_change_state (GstElement *element, GstStateChange transition)
{
  GstConvokeBin *self = GST_CONVOKE_BIN (element);
  GstConvokeBinClass *klass = GST_CONVOKE_BIN_GET_CLASS (self);
  GstStateChangeReturn ret;

  switch (transition)
    {
    case GST_STATE_CHANGE_NULL_TO_READY:
      start_thread (self);
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!prepare_run (self))
        return GST_STATE_CHANGE_FAILURE;
      call_on_session_thread (self, create_session);
      break;
    default:
      break;
    }

  ret = GST_ELEMENT_CLASS (gst_convoke_bin_parent_class)
            ->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    {
      if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
        stop_session (self);
      else if (transition == GST_STATE_CHANGE_NULL_TO_READY)
        stop_thread (self);
      return ret;
    }

  switch (transition)
    {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (klass->ready_to_connect == NULL || klass->ready_to_connect (self))
        gst_convoke_bin_connect (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* After the chain-up: the children are stopped, so no streaming
       * thread meets what the session takes down. */
      stop_session (self);
      g_clear_pointer (&PRIV (self)->run, gst_convoke_run_free);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      stop_thread (self);
      break;
    default:
      break;
    }
  return ret;
}

/* ---- GObject ----------------------------------------------------------- */

static void
gst_convoke_bin_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  GstConvokeBinPrivate *priv = PRIV (GST_CONVOKE_BIN (object));

  GST_OBJECT_LOCK (object);
  if (prop_id == PROP_DATA_TRACK)
    {
      g_free (priv->data_track);
      priv->data_track = g_value_dup_string (value);
    }
  else if (!gst_convoke_settings_set_property (&priv->settings, PROP_FIRST_SETTING, prop_id,
                                               value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  GST_OBJECT_UNLOCK (object);
}

static void
gst_convoke_bin_get_property (GObject *object, guint prop_id, GValue *value,
                              GParamSpec *pspec)
{
  GstConvokeBinPrivate *priv = PRIV (GST_CONVOKE_BIN (object));

  GST_OBJECT_LOCK (object);
  if (prop_id == PROP_DATA_TRACK)
    g_value_set_string (value, priv->data_track);
  else if (!gst_convoke_settings_get_property (&priv->settings, PROP_FIRST_SETTING, prop_id,
                                               value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  GST_OBJECT_UNLOCK (object);
}

static void
gst_convoke_bin_finalize (GObject *object)
{
  GstConvokeBin *self = GST_CONVOKE_BIN (object);
  GstConvokeBinPrivate *priv = PRIV (self);

  stop_thread (self);
  g_clear_pointer (&priv->run, gst_convoke_run_free);
  gst_convoke_settings_clear (&priv->settings);
  g_free (priv->data_track);
  g_mutex_clear (&priv->lock);
  g_cond_clear (&priv->cond);
  G_OBJECT_CLASS (gst_convoke_bin_parent_class)->finalize (object);
}

static void
gst_convoke_bin_init (GstConvokeBin *self)
{
  GstConvokeBinPrivate *priv = PRIV (self);

  gst_convoke_settings_init_defaults (&priv->settings);
  /* The webrtcbins inside hold sources and sinks; whether the element is
   * one is for the subclass to say. */
  gst_bin_set_suppressed_flags (GST_BIN (self),
                                GST_ELEMENT_FLAG_SOURCE | GST_ELEMENT_FLAG_SINK);
  g_mutex_init (&priv->lock);
  g_cond_init (&priv->cond);
}

static void
gst_convoke_bin_class_init (GstConvokeBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  object_class->set_property = gst_convoke_bin_set_property;
  object_class->get_property = gst_convoke_bin_get_property;
  object_class->finalize = gst_convoke_bin_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_convoke_bin_change_state);
  bin_class->element_added = gst_convoke_bin_element_added;
  bin_class->handle_message = GST_DEBUG_FUNCPTR (gst_convoke_bin_handle_message);

  gst_convoke_settings_install_properties (object_class, PROP_FIRST_SETTING);
  /**
   * GstConvokeBin:data-track:
   *
   * Publishes a data track with this name (also its data channels'
   * label): reliable and ordered. Send on it with the #GstConvokeBin::send-data
   * action. Read when the element joins.
   *
   * Since: 0.2
   */
  g_object_class_install_property (
      object_class, PROP_DATA_TRACK,
      g_param_spec_string ("data-track", "Data track",
                           "Publish a data track with this name (send with the "
                           "send-data action signal)",
                           NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                     | GST_PARAM_MUTABLE_READY));

  /**
   * GstConvokeBin::participant-connected:
   * @self: the element
   * @sid: the participant's sid (`PA…`)
   * @identity: the participant's identity
   *
   * Another participant is in the room when the element joins, or joined
   * it later. Emitted on the element's session thread.
   */
  signals[SIGNAL_PARTICIPANT_CONNECTED] = g_signal_new (
      "participant-connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstConvokeBin::participant-disconnected:
   * @self: the element
   * @sid: the participant's sid (`PA…`)
   * @identity: the participant's identity
   *
   * That participant left the room. Emitted on the element's session
   * thread, after the pads of its tracks are gone.
   */
  signals[SIGNAL_PARTICIPANT_DISCONNECTED] = g_signal_new (
      "participant-disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstConvokeBin::data-message:
   * @self: the element
   * @sid: the publisher's participant sid
   * @label: its data track's channel label (the track's msid)
   * @data: the message
   * @binary: whether it was sent as binary rather than text
   *
   * A message on another participant's data track. Emitted on the
   * element's session thread; the same goes to the bus as
   * `convoke-data-message`.
   *
   * Since: 0.2
   */
  signals[SIGNAL_DATA_MESSAGE] = g_signal_new (
      "data-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES, G_TYPE_BOOLEAN);
  /**
   * GstConvokeBin::send-data:
   * @self: the element
   * @text: the message (at most 16384 bytes)
   *
   * Sends @text on the #GstConvokeBin:data-track to every participant its
   * channels reach now. Returns %FALSE when the element has no data track,
   * none of its channels is open yet, or @text is too long.
   *
   * Since: 0.2
   */
  signals[SIGNAL_SEND_DATA] = g_signal_new_class_handler (
      "send-data", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (send_data_action), NULL, NULL, NULL, G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  gst_type_mark_as_plugin_api (GST_TYPE_CONVOKE_BIN, 0);
  GST_DEBUG_CATEGORY_INIT (gst_convoke_bin_debug, "convokebin", 0,
                           "Convoke room participant elements");
  /* Element messages and errors are translated in the convoke domain,
   * which an application never binds itself. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("CONVOKE_LOCALEDIR")
                                       ? g_getenv ("CONVOKE_LOCALEDIR")
                                       : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

char *
gst_convoke_bin_sanitize_name (const char *text)
{
  GString *name = g_string_new (NULL);

  for (const char *p = text ? text : ""; *p != '\0'; p++)
    g_string_append_c (name, g_ascii_isalnum (*p) ? *p : '_');
  if (name->len == 0)
    g_string_append_c (name, '_');
  return g_string_free (name, FALSE);
}

void
gst_convoke_bin_remove_element (GstConvokeBin *self, GstElement *element)
{
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (element) == GST_OBJECT (self))
    gst_bin_remove (GST_BIN (self), element);
}
