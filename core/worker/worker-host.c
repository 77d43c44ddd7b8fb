/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-host.h"

#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "context-dispatch.h"
#include "control-channel.h"
#include "i18n.h"
#include "module-loader.h"
#include "sid.h"
#include "worker-certificate.h"
#include "worker-fork-server.h"
#include "worker-pipeline-dump.h"
#include "srtp-openssl.h"
#include "worker-sandbox.h"

/* How long the exit path waits for the last messages (`failed`, a pipeline
 * dump) to reach the daemon. */
#define FLUSH_TIMEOUT_MS 2000

struct _ConvokeWorker
{
  const ConvokeWorkerConfig *config;
  /* The room's sid; "(pooled)" in a pooled worker until `assign` names
   * its room. */
  char *room_sid;
  gboolean assigned; /* a pooled worker got its room */
  /* Messages that came before `ready` on a channel already started (a
   * pooled worker's): handled, in order, once the pipeline plays. */
  GQueue early_messages;
  GHashTable *options; /* char* → char* */
  JsonObject *timings;

  ConvokeLoadedModule *module;
  GstElement *pipeline;
  gpointer module_data;
  gboolean module_set_up;

  ConvokeWorkerSandbox *sandbox;
  ConvokeControlChannel *channel;
  GMainContext *context;
  GMainLoop *loop;
  gboolean ready;
  gboolean stopping;
  gboolean failed;
  int exit_status;
};

static void
worker_note_time (ConvokeWorker *worker, const char *what)
{
  gint64 elapsed = g_get_monotonic_time () - worker->config->started_us;

  json_object_set_int_member (worker->timings, what, elapsed / 1000);
}

/* Ends the main loop; the exit path in convoke_worker_run does the rest.
 * The first reason wins: a failure is not turned into a clean exit by a
 * shutdown racing it. */
static void
worker_stop (ConvokeWorker *worker, int exit_status)
{
  if (worker->stopping)
    return;
  worker->stopping = TRUE;
  worker->exit_status = exit_status;
  if (worker->loop != NULL)
    g_main_loop_quit (worker->loop);
}

static void
worker_send_failed (ConvokeWorker *worker, const char *reason)
{
  g_autoptr (JsonObject) message = json_object_new ();

  /* One `failed` per process: the first reason is the one the room gets. */
  if (worker->failed)
    return;
  worker->failed = TRUE;
  g_warning ("room %s: %s", worker->room_sid, reason);
  json_object_set_string_member (message, "type", "failed");
  json_object_set_string_member (message, "reason", reason);
  convoke_control_channel_send (worker->channel, message);
  worker_stop (worker, 1);
}

/* ConvokeWorkerApi. Modules are told to call it from the main thread, but
 * GStreamer signals fire on streaming threads and a slip there must not
 * corrupt the channel, so calls from other threads are marshalled. */

static const char *
api_get_room_sid (ConvokeWorker *worker)
{
  return worker->room_sid;
}

static const char *
api_get_option (ConvokeWorker *worker, const char *key)
{
  return key != NULL ? g_hash_table_lookup (worker->options, key) : NULL;
}

typedef struct
{
  ConvokeWorker *worker;
  JsonNode *event; /* a private deep copy */
  char *reason;    /* for worker_fail */
} MarshalledCall;

static void
marshalled_call_free (MarshalledCall *call)
{
  g_clear_pointer (&call->event, json_node_unref);
  g_free (call->reason);
  g_free (call);
}

static void
worker_send_event_now (ConvokeWorker *worker, JsonObject *event)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", "module");
  json_object_set_object_member (message, "body", json_object_ref (event));
  convoke_control_channel_send (worker->channel, message);
}

static gboolean
marshalled_call_run (gpointer data)
{
  MarshalledCall *call = data;

  if (call->event != NULL)
    worker_send_event_now (call->worker, json_node_get_object (call->event));
  else
    worker_send_failed (call->worker, call->reason);
  return G_SOURCE_REMOVE;
}

static void
marshal (ConvokeWorker *worker, MarshalledCall *call)
{
  call->worker = worker;
  convoke_context_dispatch (worker->context, marshalled_call_run, call,
                            (GDestroyNotify) marshalled_call_free);
}

static void
api_send_event (ConvokeWorker *worker, JsonObject *event)
{
  g_return_if_fail (event != NULL);

  if (!g_main_context_is_owner (worker->context))
    {
      MarshalledCall *call = g_new0 (MarshalledCall, 1);
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), event);

      /* JsonObject's refcount is not atomic: copy while still on the
       * caller's thread, which owns @event. */
      call->event = json_node_copy (node);
      json_node_seal (call->event);
      marshal (worker, call);
      return;
    }
  worker_send_event_now (worker, event);
}

static void
api_fail (ConvokeWorker *worker, const char *reason)
{
  if (reason == NULL || *reason == '\0')
    reason = _ ("the room's media module gave up without a reason");

  if (!g_main_context_is_owner (worker->context))
    {
      MarshalledCall *call = g_new0 (MarshalledCall, 1);

      call->reason = g_strdup (reason);
      marshal (worker, call);
      return;
    }
  worker_send_failed (worker, reason);
}

static const ConvokeWorkerApi worker_api = {
  .abi_version = CONVOKE_TOPOLOGY_ABI_VERSION,
  .struct_size = sizeof (ConvokeWorkerApi),
  .worker_get_room_sid = api_get_room_sid,
  .worker_get_option = api_get_option,
  .worker_send_event = api_send_event,
  .worker_fail = api_fail,
};

/* Control messages from the daemon */

static void
worker_answer_dump (ConvokeWorker *worker, JsonObject *request)
{
  g_autoptr (JsonObject) reply = json_object_new ();
  const char *format
      = json_object_get_string_member_with_default (request, "format", "dot");
  JsonNode *id = json_object_get_member (request, "id");
  g_autofree char *data = NULL;

  json_object_set_string_member (reply, "type", "pipeline");
  if (id != NULL)
    json_object_set_member (reply, "id", json_node_copy (id));

  if (g_strcmp0 (format, "dot") == 0)
    data = convoke_pipeline_dump_dot (GST_BIN (worker->pipeline));
  else if (g_strcmp0 (format, "text") == 0)
    data = convoke_pipeline_dump_text (GST_BIN (worker->pipeline));

  if (data == NULL)
    {
      g_autofree char *error = g_strdup_printf (
          _ ("Unknown pipeline format “%s”: expected “dot” or “text”"), format);

      json_object_set_string_member (reply, "error", error);
    }
  else
    {
      json_object_set_string_member (reply, "format", format);
      json_object_set_string_member (reply, "data", data);
    }
  convoke_control_channel_send (worker->channel, reply);
}

/* Options that change while the worker runs (fresh TURN credentials):
 * a string sets the key, null removes it. Modules read options when they
 * need them, so the next participant's agent uses the new values. */
static void
worker_set_options (ConvokeWorker *worker, JsonObject *message)
{
  JsonNode *node = json_object_get_member (message, "options");
  JsonObject *options;
  g_autoptr (GList) keys = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_warning (_ ("Room %s: a “set-options” control message without an object "
                    "“options”; dropped"),
                 worker->room_sid);
      return;
    }
  options = json_node_get_object (node);
  keys = json_object_get_members (options);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (options, key);

      if (g_str_equal (key, "certificate") || *key == '\0')
        g_warning (_ ("Room %s: option “%s” cannot be set at run time; ignored"),
                   worker->room_sid, key);
      else if (JSON_NODE_HOLDS_NULL (value))
        g_hash_table_remove (worker->options, key);
      else if (JSON_NODE_HOLDS_VALUE (value)
               && json_node_get_value_type (value) == G_TYPE_STRING)
        g_hash_table_insert (worker->options, g_strdup (key),
                             g_strdup (json_node_get_string (value)));
      else
        g_warning (_ ("Room %s: option “%s” in “set-options” is neither a string nor "
                      "null; ignored"),
                   worker->room_sid, key);
    }
}

static void worker_assign (ConvokeWorker *worker, JsonObject *message);
static void worker_handle_message (ConvokeWorker *worker, JsonObject *message);

static void
worker_on_message (ConvokeControlChannel *channel, JsonObject *message,
                   gpointer user_data)
{
  ConvokeWorker *worker = user_data;
  const char *type = json_object_get_string_member (message, "type");

  if (worker->stopping)
    return;

  if (g_str_equal (type, "shutdown"))
    {
      worker_stop (worker, 0);
      return;
    }
  if (g_str_equal (type, "assign"))
    {
      worker_assign (worker, message);
      return;
    }
  if (!worker->ready)
    {
      /* Only a pooled worker reads its channel this early. */
      g_queue_push_tail (&worker->early_messages, json_object_ref (message));
      return;
    }
  worker_handle_message (worker, message);
}

static void
worker_handle_message (ConvokeWorker *worker, JsonObject *message)
{
  const char *type = json_object_get_string_member (message, "type");

  if (g_str_equal (type, "module"))
    {
      JsonNode *body = json_object_get_member (message, "body");

      if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body))
        {
          g_warning (_ ("Room %s: a “module” control message without an object “body”; "
                        "dropped"),
                     worker->room_sid);
          return;
        }
      if (worker->module->vtable->worker_handle_message != NULL)
        worker->module->vtable->worker_handle_message (worker, worker->module_data,
                                                       json_node_get_object (body));
    }
  else if (g_str_equal (type, "set-options"))
    worker_set_options (worker, message);
  else if (g_str_equal (type, "dump-pipeline"))
    worker_answer_dump (worker, message);
  else
    g_warning (_ ("Room %s: unknown control message type “%s”; ignored"),
               worker->room_sid, type);
}

static void
worker_on_channel_closed (ConvokeControlChannel *channel, GError *error,
                          gpointer user_data)
{
  ConvokeWorker *worker = user_data;

  /* The daemon is gone or gave up on us; nobody is left to serve. */
  if (error != NULL)
    g_message ("room %s: control channel failed: %s", worker->room_sid,
               error->message);
  worker_stop (worker, worker->stopping ? worker->exit_status : 0);
}

static gboolean
worker_on_unix_signal (gpointer user_data)
{
  worker_stop (user_data, 0);
  return G_SOURCE_CONTINUE;
}

/* The pipeline */

static void
worker_send_ready (ConvokeWorker *worker)
{
  g_autoptr (JsonObject) message = json_object_new ();

  worker->ready = TRUE;
  worker_note_time (worker, "playing");
  json_object_set_string_member (message, "type", "ready");
  json_object_set_int_member (message, "pid", getpid ());
  json_object_set_string_member (message, "module", worker->config->module_name);
  json_object_set_object_member (message, "timings", json_object_ref (worker->timings));
  convoke_control_channel_send (worker->channel, message);

  /* Commands the daemon sent meanwhile waited in the socket (or, in a
   * pooled worker, in early_messages); now they may reach the module. */
  while (!g_queue_is_empty (&worker->early_messages) && !worker->stopping)
    {
      g_autoptr (JsonObject) early = g_queue_pop_head (&worker->early_messages);

      worker_handle_message (worker, early);
    }
  convoke_control_channel_start (worker->channel);
}

static void
worker_on_state_changed (GstBus *bus, GstMessage *message, gpointer user_data)
{
  ConvokeWorker *worker = user_data;
  g_autoptr (GError) error = NULL;
  GstState old_state, new_state;

  if (GST_MESSAGE_SRC (message) != GST_OBJECT (worker->pipeline))
    return;
  gst_message_parse_state_changed (message, &old_state, &new_state, NULL);
  if (new_state != GST_STATE_PLAYING)
    return;

  /* Writes a file only when GST_DEBUG_DUMP_DOT_DIR is set. */
  GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS (GST_BIN (worker->pipeline), GST_DEBUG_GRAPH_SHOW_ALL,
                                     worker->room_sid);
  if (worker->ready || worker->stopping)
    return;
  /* The last moment before the daemon's commands, and with them the
   * participants' media, reach the module. */
  if (!convoke_worker_sandbox_lock (worker->sandbox, &error))
    {
      worker_send_failed (worker, error->message);
      return;
    }
  worker_note_time (worker, "sandbox");
  worker_send_ready (worker);
}

/* Errors are logged, not fatal: one participant's transport failing must
 * not end the room. The module decides what is fatal (it connects to the
 * same bus signals and calls worker_fail()). */
static void
worker_on_bus_problem (GstBus *bus, GstMessage *message, gpointer user_data)
{
  ConvokeWorker *worker = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;
  gboolean is_error = GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR;

  if (is_error)
    gst_message_parse_error (message, &error, &debug);
  else
    gst_message_parse_warning (message, &error, &debug);
  g_message ("room %s: %s from %s: %s (%s)", worker->room_sid,
             is_error ? "error" : "warning", GST_MESSAGE_SRC_NAME (message),
             error->message, debug != NULL ? debug : "");
}

static gboolean
worker_parse_options (ConvokeWorker *worker, GError **error)
{
  for (char **option = worker->config->options; option != NULL && *option != NULL;
       option++)
    {
      const char *equals = strchr (*option, '=');

      if (equals == NULL || equals == *option)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _ ("--option “%s”: expected KEY=VALUE"), *option);
          return FALSE;
        }
      g_hash_table_insert (worker->options, g_strndup (*option, equals - *option),
                           g_strdup (equals + 1));
    }
  return TRUE;
}

static gboolean
worker_prepare_certificate (ConvokeWorker *worker, GError **error)
{
  g_autofree char *pem = NULL;

  if (worker->config->certificate_fd >= 0)
    pem = convoke_worker_certificate_read_fd (worker->config->certificate_fd, error);
  else
    {
      g_autoptr (JsonObject) message = json_object_new ();

      pem = convoke_worker_certificate_generate (error);
      if (pem == NULL)
        return FALSE;
      /* The daemon keeps it and hands it to the next workers. */
      json_object_set_string_member (message, "type", "certificate");
      json_object_set_string_member (message, "pem", pem);
      convoke_control_channel_send (worker->channel, message);
    }
  if (pem == NULL)
    return FALSE;
  g_hash_table_insert (worker->options, g_strdup ("certificate"), g_steal_pointer (&pem));
  worker_note_time (worker, "certificate");
  return TRUE;
}

/* What convoke_worker_preload() did; NULL in a worker started with exec. */
static ConvokeLoadedModule *preloaded_module;
static char *preloaded_module_dir;

static ConvokeLoadedModule *
open_worker_module (const char *module_name, const char *module_dir, GError **error)
{
  g_autofree char *file = convoke_module_file_name (module_name);
  g_autofree char *path = g_build_filename (module_dir, file, NULL);
  ConvokeLoadedModule *module;
  const ConvokeTopologyModule *vtable;

  module = convoke_module_open (path, error);
  if (module == NULL)
    return NULL;

  /* On failure the module stays open, as a loaded one does: GStreamer
   * may hold types it registered. */
  vtable = module->vtable;
  if (g_strcmp0 (vtable->name, module_name) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("%s: the module calls itself “%s”, not “%s”"), path,
                   vtable->name != NULL ? vtable->name : "", module_name);
      return NULL;
    }
  if (!vtable->needs_media_worker || vtable->worker_setup == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("%s: module “%s” has no worker side (needs_media_worker or "
                      "worker_setup is missing)"),
                   path, module_name);
      return NULL;
    }
  return module;
}

static gboolean
worker_load_module (ConvokeWorker *worker, GError **error)
{
  if (preloaded_module != NULL
      && g_str_equal (preloaded_module->vtable->name, worker->config->module_name)
      && g_str_equal (preloaded_module_dir, worker->config->module_dir))
    {
      worker->module = preloaded_module;
      return TRUE;
    }
  worker->module
      = open_worker_module (worker->config->module_name, worker->config->module_dir, error);
  return worker->module != NULL;
}

gboolean
convoke_worker_preload (const char *module_name, const char *module_dir, GError **error)
{
  g_return_val_if_fail (preloaded_module == NULL, FALSE);

  gst_init (NULL, NULL);
  if (!convoke_srtp_use_openssl (error))
    return FALSE;
  preloaded_module = open_worker_module (module_name, module_dir, error);
  if (preloaded_module == NULL)
    return FALSE;
  preloaded_module_dir = g_strdup (module_dir);
  if (preloaded_module->vtable->worker_warm_up != NULL)
    preloaded_module->vtable->worker_warm_up ();
  return TRUE;
}

static gboolean
worker_build_pipeline (ConvokeWorker *worker, GError **error)
{
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GError) setup_error = NULL;
  GstStateChangeReturn change;

  worker->pipeline = gst_pipeline_new (worker->room_sid);
  bus = gst_pipeline_get_bus (GST_PIPELINE (worker->pipeline));
  /* A signal watch rather than gst_bus_add_watch(): a bus has one watch
   * only, and the module needs to listen too. */
  gst_bus_add_signal_watch (bus);
  g_signal_connect (bus, "message::state-changed", G_CALLBACK (worker_on_state_changed),
                    worker);
  g_signal_connect (bus, "message::error", G_CALLBACK (worker_on_bus_problem), worker);
  g_signal_connect (bus, "message::warning", G_CALLBACK (worker_on_bus_problem), worker);

  if (!worker->module->vtable->worker_setup (worker, &worker_api,
                                             GST_PIPELINE (worker->pipeline),
                                             &worker->module_data, &setup_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("Module “%s” could not set up room %s: %s"),
                   worker->config->module_name, worker->room_sid,
                   setup_error != NULL ? setup_error->message : _ ("no reason given"));
      return FALSE;
    }
  worker->module_set_up = TRUE;
  worker_note_time (worker, "setup");

  change = gst_element_set_state (worker->pipeline, GST_STATE_PLAYING);
  if (change == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("The pipeline of room %s could not be set to PLAYING"),
                   worker->room_sid);
      return FALSE;
    }
  /* SUCCESS and NO_PREROLL post state-changed to PLAYING too; `ready` goes
   * out from that message so there is one path. */
  return TRUE;
}

/* A pooled worker: everything but the room is ready (GStreamer, the
 * certificate, the module); the daemon hands it a room with `assign`. */
static void
worker_wait_for_room (ConvokeWorker *worker)
{
  g_autoptr (JsonObject) message = json_object_new ();

  /* What the room's first participant would wait for, paid while no one
   * waits: still before the sandbox's last step, like worker_setup(). */
  if (worker->module->vtable->worker_warm_up != NULL)
    {
      worker->module->vtable->worker_warm_up ();
      worker_note_time (worker, "warm_up");
    }
  /* A forked worker still shares its heap with the fork server; its room
   * would pay for the copies on its first writes. */
  if (preloaded_module != NULL)
    {
      guint pages = convoke_worker_fork_server_unshare_pages ();

      worker_note_time (worker, "unshare");
      g_debug ("room (pooled): %u pages copied from the fork server", pages);
    }
  worker_note_time (worker, "waiting");
  json_object_set_string_member (message, "type", "waiting");
  json_object_set_int_member (message, "pid", getpid ());
  json_object_set_string_member (message, "module", worker->config->module_name);
  json_object_set_object_member (message, "timings", json_object_ref (worker->timings));
  convoke_control_channel_send (worker->channel, message);
  /* `assign` must get through; anything else waits for `ready`. */
  convoke_control_channel_start (worker->channel);
}

/* The options a room brings, as `set-options` reads them but stricter: an
 * option the sandbox needed before gst_init() cannot come now. */
static gboolean
worker_take_room_options (ConvokeWorker *worker, JsonObject *options, GError **error)
{
  g_autoptr (GList) keys = json_object_get_members (options);

  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (options, key);

      if (g_str_equal (key, "recording-dir") || g_str_equal (key, "recording-public-key"))
        {
          /* Landlock was set up without the room's directory. */
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _ ("A pooled worker cannot take option “%s”: its sandbox was set "
                          "up before it had a room"),
                       key);
          return FALSE;
        }
      if (g_str_equal (key, "certificate") || *key == '\0' || !JSON_NODE_HOLDS_VALUE (value)
          || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _ ("Option “%s” in “assign” is not a string the daemon may set"),
                       key);
          return FALSE;
        }
      g_hash_table_insert (worker->options, g_strdup (key),
                           g_strdup (json_node_get_string (value)));
    }
  return TRUE;
}

/* `assign`: the room a pooled worker serves, for the rest of its life. */
static void
worker_assign (ConvokeWorker *worker, JsonObject *message)
{
  const char *sid = json_object_get_string_member_with_default (message, "room-sid", NULL);
  JsonNode *options = json_object_get_member (message, "options");
  g_autoptr (GError) error = NULL;

  if (worker->config->room_sid != NULL || worker->assigned)
    {
      g_warning (_ ("Room %s: “assign” to a worker that has a room already; ignored"),
                 worker->room_sid);
      return;
    }
  if (!convoke_sid_is_valid (sid, "RM")
      || (options != NULL && !JSON_NODE_HOLDS_OBJECT (options)))
    {
      worker_send_failed (worker, _ ("“assign” needs a room sid (RM and 32 hex digits) "
                                     "and an object “options”"));
      return;
    }
  worker->assigned = TRUE;
  g_free (worker->room_sid);
  worker->room_sid = g_strdup (sid);
  /* ps and /proc/PID/cmdline name the room, as a cold worker's command
   * line does: the slot is the pooled placeholder, as long as a sid. */
  if (worker->config->title_slot != NULL
      && strlen (worker->config->title_slot) == strlen (sid))
    memcpy (worker->config->title_slot, sid, strlen (sid));
  convoke_worker_sandbox_set_room_sid (worker->sandbox, sid);
  worker_note_time (worker, "assigned");
  if ((options != NULL
       && !worker_take_room_options (worker, json_node_get_object (options), &error))
      || !worker_build_pipeline (worker, &error))
    worker_send_failed (worker, error->message);
}

static void
worker_on_flush_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
worker_finish (ConvokeWorker *worker)
{
  gboolean flush_expired = FALSE;
  guint flush_timer;

  if (worker->module_set_up && worker->module->vtable->worker_teardown != NULL)
    worker->module->vtable->worker_teardown (worker, worker->module_data);
  worker->module_set_up = FALSE;

  if (worker->pipeline != NULL)
    {
      g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (worker->pipeline));

      gst_element_set_state (worker->pipeline, GST_STATE_NULL);
      g_signal_handlers_disconnect_by_data (bus, worker);
      gst_bus_remove_signal_watch (bus);
      g_clear_object (&worker->pipeline);
    }

  /* The last messages (`failed`, a dump answer) must reach the daemon
   * before the process goes, but a daemon that stopped reading must not
   * keep us here. */
  flush_timer
      = g_timeout_add_once (FLUSH_TIMEOUT_MS, worker_on_flush_timeout, &flush_expired);
  while (!convoke_control_channel_is_flushed (worker->channel) && !flush_expired)
    g_main_context_iteration (worker->context, TRUE);
  if (!flush_expired)
    g_source_remove (flush_timer);
  convoke_control_channel_close (worker->channel);
}

int
convoke_worker_run (const ConvokeWorkerConfig *config)
{
  g_autoptr (GError) srtp_error = NULL;
  g_autoptr (GError) error = NULL;
  ConvokeWorker worker = { 0 };
  guint sigterm_source = 0, sigint_source = 0;

  worker.config = config;
  worker.room_sid = g_strdup (config->room_sid != NULL ? config->room_sid : "(pooled)");
  g_queue_init (&worker.early_messages);
  worker.options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  worker.timings = json_object_new ();
  worker.context = g_main_context_default ();
  g_main_context_acquire (worker.context);

  worker.channel
      = convoke_control_channel_new_from_fd (config->control_fd, "daemon", &error);
  if (worker.channel == NULL)
    {
      g_printerr (_ ("convoke-room-worker: --control-fd %d is not a socket: %s\n"),
                  config->control_fd, error->message);
      return 1;
    }
  g_signal_connect (worker.channel, "message", G_CALLBACK (worker_on_message), &worker);
  g_signal_connect (worker.channel, "closed", G_CALLBACK (worker_on_channel_closed),
                    &worker);

  /* The options first: the sandbox opens the recording directory they
   * name, before gst_init() or the signal sources start any thread. */
  worker.sandbox = convoke_worker_sandbox_new (worker.room_sid, config->switch_user,
                                               config->uid, config->gid);
  if (config->without_seccomp)
    convoke_worker_sandbox_leave_out_seccomp (worker.sandbox);
  if (worker_parse_options (&worker, &error)
      && convoke_worker_sandbox_confine_early (worker.sandbox, worker.options, &error))
    {
      gst_init (NULL, NULL);
      worker_note_time (&worker, "gst_init");
      /* Before the first SRTP session (DTLS completes long after), while
       * OpenSSL may still read its configuration. A forked worker's fork
       * server did it. */
      if (preloaded_module == NULL && !convoke_srtp_use_openssl (&srtp_error))
        g_printerr ("convoke-room-worker: room %s: %s\n", worker.room_sid,
                    srtp_error->message);
      sigterm_source = g_unix_signal_add (SIGTERM, worker_on_unix_signal, &worker);
      sigint_source = g_unix_signal_add (SIGINT, worker_on_unix_signal, &worker);
      if (!convoke_worker_sandbox_confine_files (worker.sandbox, &error)
          || !worker_prepare_certificate (&worker, &error)
          || !worker_load_module (&worker, &error))
        worker_send_failed (&worker, error->message);
      else if (config->room_sid == NULL)
        worker_wait_for_room (&worker);
      else if (!worker_build_pipeline (&worker, &error))
        worker_send_failed (&worker, error->message);
    }
  else
    worker_send_failed (&worker, error->message);

  worker.loop = g_main_loop_new (worker.context, FALSE);
  if (!worker.stopping)
    g_main_loop_run (worker.loop);

  worker_finish (&worker);

  g_clear_handle_id (&sigterm_source, g_source_remove);
  g_clear_handle_id (&sigint_source, g_source_remove);
  g_clear_pointer (&worker.loop, g_main_loop_unref);
  g_clear_object (&worker.channel);
  /* The module stays loaded: GStreamer may still hold types it registered. */
  g_clear_pointer (&worker.timings, json_object_unref);
  g_clear_pointer (&worker.options, g_hash_table_unref);
  g_clear_pointer (&worker.sandbox, convoke_worker_sandbox_free);
  g_queue_clear_full (&worker.early_messages, (GDestroyNotify) json_object_unref);
  g_free (worker.room_sid);
  g_main_context_release (worker.context);
  return worker.exit_status;
}
