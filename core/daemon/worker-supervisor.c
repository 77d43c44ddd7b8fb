/* One convoke-room-worker per room whose module needs one: spawning,
 * the control channel (docs/worker-protocol.md), logging the worker's
 * output, stopping it, and failing the room when it dies.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-supervisor-private.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control-channel.h"
#include "i18n.h"
#include "recording-store.h"
#include "twilio-error.h"
#include "worker-fork-server.h"
#include "worker-shared.h"
#include "worker-turn.h"

#define GRACE_PERIOD_MS 2000 /* shutdown → SIGTERM → SIGKILL */
#define OUTPUT_MAX_LINE 65536 /* a worker's stdout/stderr lines */
#define ORPHAN_GRACE_MS 1000  /* socket closed, process still there */
/* A worker not PLAYING by then is stuck (a pipeline waiting for a preroll
 * that never comes); commands would pile up unanswered. */
#define READY_TIMEOUT_MS 30000


static guint workers_running;    /* every worker process, pooled or not */
static guint workers_unassigned; /* pooled ones without a room yet */
static guint channels_open; /* workers whose last reports may still come */

ConvokeWorkerHandle *
convoke_worker_ref (ConvokeWorkerHandle *worker)
{
  g_ref_count_inc (&worker->ref);
  return worker;
}

void
convoke_worker_unref (ConvokeWorkerHandle *worker)
{
  if (!g_ref_count_dec (&worker->ref))
    return;
  g_assert (!worker->running);
  g_assert (g_hash_table_size (worker->dumps) == 0);
  if (worker->channel != NULL)
    {
      g_signal_handlers_disconnect_by_data (worker->channel, worker);
      convoke_control_channel_close (worker->channel);
      g_clear_object (&worker->channel);
      if (worker->room != NULL)
        convoke_recording_worker_gone (worker->room);
    }
  g_clear_object (&worker->process);
  g_hash_table_unref (worker->dumps);
  convoke_room_unref (worker->room);
  g_free (worker->failure_reason);
  g_free (worker->label);
  g_free (worker);
}


/* CONVOKE_WORKER_READY_TIMEOUT_MS shortens the wait for tests only. */
static guint
worker_ready_timeout_ms (void)
{
  const char *text = g_getenv ("CONVOKE_WORKER_READY_TIMEOUT_MS");
  guint64 value;

  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &value, NULL))
    return (guint) value;
  return READY_TIMEOUT_MS;
}

/* ---- the worker's death ------------------------------------------------ */

/* The reason the room fails with; participants read it in their 53119
 * error, so it starts with what happened to them. A reason we or the
 * worker recorded comes first: when we killed it, the signal says
 * nothing. */
static char *
worker_describe_exit (ConvokeWorkerHandle *worker)
{
  if (worker->failure_reason != NULL)
    return g_strdup_printf (_ ("Media server failed: %s"), worker->failure_reason);
  if (WIFSIGNALED (worker->wait_status))
    {
      int signal_number = WTERMSIG (worker->wait_status);

      if (signal_number == SIGSYS)
        return g_strdup_printf (
            _ ("Media server failed: its worker process (pid %d) made a system call "
               "its sandbox forbids, and was killed by signal %d (%s)"),
            (int) worker->pid, signal_number, g_strsignal (signal_number));
      return g_strdup_printf (
          _ ("Media server failed: its worker process (pid %d) was killed "
             "by signal %d (%s)"),
          (int) worker->pid, signal_number, g_strsignal (signal_number));
    }
  return g_strdup_printf (
      _ ("Media server failed: its worker process (pid %d) exited with "
         "status %d"),
      (int) worker->pid, WEXITSTATUS (worker->wait_status));
}

/* Signals the worker while it runs: until its exit is handled the pid is
 * not reaped, so it cannot name another process. */
static void
worker_kill (ConvokeWorkerHandle *worker, int signal_number)
{
  if (!worker->running)
    return;
  if (worker->process != NULL)
    g_subprocess_send_signal (worker->process, signal_number);
  else
    kill (worker->pid, signal_number);
}

static void
worker_exited (ConvokeWorkerHandle *worker)
{
  g_autofree char *reason = NULL;
  ConvokeRoom *room = worker->room;

  worker->running = FALSE;
  workers_running--;
  if (room == NULL)
    workers_unassigned--;
  g_clear_handle_id (&worker->escalation_source, g_source_remove);
  g_clear_handle_id (&worker->orphan_source, g_source_remove);
  g_clear_handle_id (&worker->ready_source, g_source_remove);
  g_clear_handle_id (&worker->turn_source, g_source_remove);
  /* The socket is read to its end: the last reports (recordings the worker
   * finished as it stopped) were sent before it exited. */
  convoke_worker_fail_dumps (worker);

  if (room == NULL)
    {
      /* A pooled worker no room had yet: only the pool cares. */
      if (!worker->stop_requested)
        {
          reason = worker_describe_exit (worker);
          g_message ("%s: exited before it had a room (%s)", worker->label, reason);
        }
      else
        g_debug ("%s: stopped before it had a room", worker->label);
      if (worker->pool_func != NULL)
        worker->pool_func (worker, CONVOKE_WORKER_POOL_EXITED, worker->pool_data);
      return;
    }
  if (worker->stop_requested || room->status != CONVOKE_ROOM_IN_PROGRESS)
    {
      if (WIFEXITED (worker->wait_status))
        g_debug ("%s: exited with status %d", worker->label,
                 WEXITSTATUS (worker->wait_status));
      else
        g_debug ("%s: ended by signal %d", worker->label, WTERMSIG (worker->wait_status));
      return;
    }
  reason = worker_describe_exit (worker);

  /* Nobody asked it to go: the room cannot carry media any more. */
  g_message ("%s: %s; room %s fails", worker->label, reason, room->sid);
  if (room->module != NULL && room->module->vtable->worker_lost != NULL)
    room->module->vtable->worker_lost (room, room->module_data, reason);
  convoke_room_registry_end_room (worker->registry, room, CONVOKE_ROOM_FAILED, reason);
}

/* The exit of a worker started with exec… */
static void
worker_on_exit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ConvokeWorkerHandle) worker = user_data; /* the process watch's ref */

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  worker->wait_status = g_subprocess_get_status (G_SUBPROCESS (source));
  worker_exited (worker);
}

/* … and of one forked by the fork server, a child of ours all the same. */
static void
worker_on_child_exit (GPid pid, int wait_status, gpointer user_data)
{
  ConvokeWorkerHandle *worker = user_data; /* the watch's ref, dropped after */

  worker->wait_status = wait_status;
  worker_exited (worker);
}

static gboolean
worker_escalate (gpointer user_data)
{
  ConvokeWorkerHandle *worker = user_data;

  if (worker->escalation_step++ == 0)
    {
      g_message ("%s: no exit %d ms after shutdown; sending SIGTERM", worker->label,
                 GRACE_PERIOD_MS);
      worker_kill (worker, SIGTERM);
      return G_SOURCE_CONTINUE;
    }
  g_message ("%s: still running after SIGTERM; killing it", worker->label);
  worker_kill (worker, SIGKILL);
  worker->escalation_source = 0;
  return G_SOURCE_REMOVE;
}

/* ---- messages from the worker ------------------------------------------ */

static void
worker_on_message (ConvokeControlChannel *channel, JsonObject *message,
                   gpointer user_data)
{
  g_autoptr (ConvokeWorkerHandle) worker = convoke_worker_ref (user_data);
  const char *type = json_object_get_string_member (message, "type");
  ConvokeRoom *room = worker->room;

  if (g_str_equal (type, "module"))
    {
      JsonNode *body = json_object_get_member (message, "body");

      if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body) || room == NULL)
        g_message ("%s: a module event without an object body or a room; dropped",
                   worker->label);
      else if (convoke_recording_take_worker_event (room, json_node_get_object (body)))
        return; /* the daemon's own, taken even after the room ended */
      else if (room->status == CONVOKE_ROOM_IN_PROGRESS && room->module != NULL
               && room->module->vtable->worker_event != NULL)
        room->module->vtable->worker_event (room, room->module_data,
                                            json_node_get_object (body));
    }
  else if (g_str_equal (type, "ready"))
    {
      JsonNode *timings = json_object_get_member (message, "timings");
      g_autofree char *text = timings != NULL ? json_to_string (timings, FALSE) : NULL;

      worker->ready = TRUE;
      g_clear_handle_id (&worker->ready_source, g_source_remove);
      g_debug ("%s: ready, timings (ms) %s", worker->label, text != NULL ? text : "none");
    }
  else if (g_str_equal (type, "waiting") && room == NULL && !worker->waiting)
    {
      JsonNode *timings = json_object_get_member (message, "timings");
      g_autofree char *text = timings != NULL ? json_to_string (timings, FALSE) : NULL;

      worker->waiting = TRUE;
      g_clear_handle_id (&worker->ready_source, g_source_remove);
      g_debug ("%s: waiting for a room, timings (ms) %s", worker->label,
               text != NULL ? text : "none");
      if (worker->pool_func != NULL)
        worker->pool_func (worker, CONVOKE_WORKER_POOL_WAITING, worker->pool_data);
    }
  else if (g_str_equal (type, "pipeline"))
    convoke_worker_take_pipeline (worker, message);
  else if (g_str_equal (type, "certificate"))
    {
      const char *pem = json_object_get_string_member_with_default (message, "pem", NULL);

      if (pem != NULL && g_str_has_prefix (pem, "-----BEGIN "))
        convoke_worker_keep_certificate (pem);
    }
  else if (g_str_equal (type, "failed"))
    {
      const char *reason
          = json_object_get_string_member_with_default (message, "reason", "");

      if (worker->failure_reason == NULL)
        worker->failure_reason = g_utf8_make_valid (reason, -1);
    }
  else
    g_message ("%s: unknown message type “%s”; ignored", worker->label, type);
}

static gboolean
worker_on_ready_timeout (gpointer user_data)
{
  ConvokeWorkerHandle *worker = user_data;

  worker->ready_source = 0;
  if (worker->running && !worker->ready && !worker->stop_requested
      && (worker->room != NULL || !worker->waiting))
    {
      g_message ("%s: not ready after %u ms; killing it", worker->label,
                 worker_ready_timeout_ms ());
      if (worker->failure_reason == NULL)
        worker->failure_reason = g_strdup_printf (
            _ ("its worker process (pid %d) did not start within %u ms"),
            (int) worker->pid, worker_ready_timeout_ms ());
      worker_kill (worker, SIGKILL);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
worker_on_orphaned (gpointer user_data)
{
  ConvokeWorkerHandle *worker = user_data;

  worker->orphan_source = 0;
  if (worker->running && !worker->stop_requested)
    {
      g_message ("%s: closed its control socket but keeps running; killing it",
                 worker->label);
      if (worker->failure_reason == NULL)
        worker->failure_reason = g_strdup_printf (
            _ ("its worker process (pid %d) closed its control socket"),
            (int) worker->pid);
      worker_kill (worker, SIGKILL);
    }
  return G_SOURCE_REMOVE;
}

static void
worker_on_channel_closed (ConvokeControlChannel *channel, GError *error,
                          gpointer user_data)
{
  ConvokeWorkerHandle *worker = user_data;

  if (worker->room != NULL)
    convoke_recording_worker_gone (worker->room);
  if (error != NULL)
    g_message ("%s: control socket: %s", worker->label, error->message);
  /* Normal when the process is on its way out, so its exit status gets a
   * moment to arrive first. A worker that closes its socket and runs on
   * cannot be steered any more. */
  if (worker->running && !worker->stop_requested && worker->orphan_source == 0)
    worker->orphan_source
        = g_timeout_add_full (G_PRIORITY_DEFAULT, ORPHAN_GRACE_MS, worker_on_orphaned,
                              convoke_worker_ref (worker), (GDestroyNotify) convoke_worker_unref);
  channels_open--;
  convoke_worker_unref (worker); /* the channel's */
}

/* Each output reader holds a reference until its pipe ends, so that the
 * last lines of a crashing worker are logged even after its exit was
 * handled. */
static void
worker_output_line (ConvokeWorkerHandle *worker, ConvokeLineReader **reader,
                    const char *line, const GError *error)
{
  g_autofree char *valid = NULL;

  if (line != NULL && *line == '\0')
    return; /* GLib puts an empty line before each warning it prints */
  if (line != NULL)
    {
      /* Re-logged at message level whatever the worker said: a worker's
       * CRITICAL must not become fatal in the daemon
       * (G_DEBUG=fatal-criticals). */
      valid = g_utf8_make_valid (line, -1);
      g_message ("%s: %s", worker->label, valid);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    {
      g_message ("%s: %s", worker->label, error->message);
      return;
    }
  g_clear_pointer (reader, convoke_line_reader_free);
  convoke_worker_unref (worker);
}

static void
worker_on_stdout_line (const char *line, const GError *error, gpointer user_data)
{
  ConvokeWorkerHandle *worker = user_data;

  worker_output_line (worker, &worker->stdout_reader, line, error);
}

static void
worker_on_stderr_line (const char *line, const GError *error, gpointer user_data)
{
  ConvokeWorkerHandle *worker = user_data;

  worker_output_line (worker, &worker->stderr_reader, line, error);
}

/* ---- TURN credentials for the worker ------------------------------------ */

static gboolean worker_on_turn_refresh (gpointer user_data);

/* Sends the worker TURN options from the current config and, while
 * worker-turn is on, schedules fresh ones. A reload that switches it off
 * takes them away at the next refresh; one that switches it on reaches
 * the rooms started afterwards. */
static void
worker_send_turn (ConvokeWorkerHandle *worker)
{
  g_autoptr (ConvokeConfig) config
      = convoke_config_ref (convoke_room_registry_get_config (worker->registry));
  g_autoptr (JsonObject) message = NULL;

  if (worker->channel == NULL || worker->stop_requested || worker->room == NULL
      || (!config->worker_turn && !worker->turn_sent))
    return;
  message = convoke_worker_turn_message (config, worker->room->sid,
                                         g_get_real_time () / G_USEC_PER_SEC);
  if (!convoke_control_channel_send (worker->channel, message))
    return;
  worker->turn_sent = config->worker_turn;
  if (config->worker_turn)
    worker->turn_source = g_timeout_add_full (
        G_PRIORITY_DEFAULT, convoke_worker_turn_refresh_ms (config),
        worker_on_turn_refresh, convoke_worker_ref (worker), (GDestroyNotify) convoke_worker_unref);
}

static gboolean
worker_on_turn_refresh (gpointer user_data)
{
  ConvokeWorkerHandle *worker = user_data;

  worker->turn_source = 0;
  if (worker->running)
    worker_send_turn (worker);
  return G_SOURCE_REMOVE;
}

/* ---- public API ---------------------------------------------------------- */

/* Starts a worker for @room, or a pooled one (@room NULL) that waits for
 * `assign`: forked by @fork_server when it is ready (may be NULL), else
 * executed. */
static ConvokeWorkerHandle *
worker_launch (ConvokeRoomRegistry *registry, const ConvokeLoadedModule *module,
               ConvokeRoom *room, ConvokeWorkerForkServer *fork_server, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GInputStream) stdout_stream = NULL;
  g_autoptr (GInputStream) stderr_stream = NULL;
  ConvokeWorkerHandle *worker;
  int control_fd;

  worker = g_new0 (ConvokeWorkerHandle, 1);
  g_ref_count_init (&worker->ref); /* the room's */
  worker->registry = registry;
  worker->room = room != NULL ? convoke_room_ref (room) : NULL;
  worker->module = module;
  worker->dumps = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  if (!convoke_worker_start_process (worker, fork_server, &control_fd, &stdout_stream,
                                     &stderr_stream, error))
    {
      convoke_worker_unref (worker);
      return NULL;
    }

  if (room != NULL)
    worker->label = g_strdup_printf ("worker %s (pid %d)", room->sid, (int) worker->pid);
  else
    worker->label = g_strdup_printf ("pooled worker (pid %d)", (int) worker->pid);
  worker->running = TRUE;
  workers_running++;
  if (room == NULL)
    workers_unassigned++;

  worker->channel
      = convoke_control_channel_new_from_fd (control_fd, worker->label, &local_error);
  if (worker->channel == NULL)
    {
      /* Cannot happen for a fresh socketpair; without a channel the worker
       * cannot be used, so it goes. */
      g_message ("%s: %s", worker->label, local_error->message);
      close (control_fd);
      worker->stop_requested = TRUE;
      worker_kill (worker, SIGKILL);
    }
  else
    {
      g_signal_connect (worker->channel, "message", G_CALLBACK (worker_on_message),
                        worker);
      g_signal_connect (worker->channel, "closed", G_CALLBACK (worker_on_channel_closed),
                        worker);
      /* The channel's, until it ends: reports sent just before an exit count. */
      convoke_worker_ref (worker);
      channels_open++;
      convoke_control_channel_start (worker->channel);
      /* Before any module message: the first participant's agent
       * already allocates a relay. A pooled worker gets its own with
       * its room. */
      if (room != NULL)
        worker_send_turn (worker);
    }
  worker->stdout_reader = convoke_line_reader_new (
      stdout_stream, OUTPUT_MAX_LINE, worker_on_stdout_line, convoke_worker_ref (worker));
  worker->stderr_reader = convoke_line_reader_new (
      stderr_stream, OUTPUT_MAX_LINE, worker_on_stderr_line, convoke_worker_ref (worker));
  if (worker->process != NULL)
    g_subprocess_wait_async (worker->process, NULL, worker_on_exit,
                             convoke_worker_ref (worker));
  else
    g_child_watch_add_full (G_PRIORITY_DEFAULT, worker->pid, worker_on_child_exit,
                            convoke_worker_ref (worker),
                            (GDestroyNotify) convoke_worker_unref);
  worker->ready_source = g_timeout_add_full (
      G_PRIORITY_DEFAULT, worker_ready_timeout_ms (), worker_on_ready_timeout,
      convoke_worker_ref (worker), (GDestroyNotify) convoke_worker_unref);

  g_debug ("%s: %s for module %s", worker->label, worker->forked ? "forked" : "started",
           module->name);
  return worker;
}

ConvokeWorkerHandle *
convoke_worker_spawn (ConvokeRoomRegistry *registry, ConvokeRoom *room,
                      ConvokeWorkerForkServer *fork_server, GError **error)
{
  g_return_val_if_fail (room != NULL && room->module != NULL, NULL);
  return worker_launch (registry, room->module, room, fork_server, error);
}

ConvokeWorkerHandle *
convoke_worker_spawn_pooled (ConvokeRoomRegistry *registry,
                             const ConvokeLoadedModule *module,
                             ConvokeWorkerForkServer *fork_server,
                             ConvokeWorkerPoolFunc func, gpointer user_data,
                             GError **error)
{
  ConvokeWorkerHandle *worker;

  g_return_val_if_fail (module != NULL && func != NULL, NULL);
  worker = worker_launch (registry, module, NULL, fork_server, error);
  if (worker != NULL)
    {
      worker->pool_func = func;
      worker->pool_data = user_data;
    }
  return worker;
}

gboolean
convoke_worker_is_waiting (ConvokeWorkerHandle *worker)
{
  return worker->room == NULL && worker->waiting && worker->running
         && !worker->stop_requested && worker->channel != NULL;
}

gboolean
convoke_worker_has_waited (ConvokeWorkerHandle *worker)
{
  return worker->waiting;
}

GPid
convoke_worker_get_pid (ConvokeWorkerHandle *worker)
{
  return worker->pid;
}

const ConvokeLoadedModule *
convoke_worker_get_module (ConvokeWorkerHandle *worker)
{
  return worker->module;
}

gboolean
convoke_worker_assign (ConvokeWorkerHandle *worker, ConvokeRoom *room, GError **error)
{
  g_autoptr (JsonObject) message = json_object_new ();
  g_autoptr (JsonObject) options_json = json_object_new ();
  g_autoptr (GHashTable) options = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (room != NULL && room->module == worker->module, FALSE);
  if (!convoke_worker_is_waiting (worker))
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The pooled media worker (pid %d) is not waiting for a room"),
                   (int) worker->pid);
      return FALSE;
    }
  options = convoke_worker_room_options (room);
  g_hash_table_iter_init (&iter, options);
  while (g_hash_table_iter_next (&iter, &key, &value))
    json_object_set_string_member (options_json, key, value);
  json_object_set_string_member (message, "type", "assign");
  json_object_set_string_member (message, "room-sid", room->sid);
  json_object_set_object_member (message, "options", g_steal_pointer (&options_json));
  if (!convoke_control_channel_send (worker->channel, message))
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The control socket of the pooled media worker (pid %d) is closed"),
                   (int) worker->pid);
      return FALSE;
    }

  /* From here on it is the room's, as a cold worker is from its start. */
  worker->room = convoke_room_ref (room);
  worker->pool_func = NULL;
  worker->pool_data = NULL;
  workers_unassigned--;
  g_free (worker->label);
  worker->label = g_strdup_printf ("worker %s (pid %d)", room->sid, (int) worker->pid);
  worker_send_turn (worker);
  worker->ready_source = g_timeout_add_full (
      G_PRIORITY_DEFAULT, worker_ready_timeout_ms (), worker_on_ready_timeout,
      convoke_worker_ref (worker), (GDestroyNotify) convoke_worker_unref);
  g_debug ("%s: pooled worker assigned", worker->label);
  return TRUE;
}

gboolean
convoke_worker_send (ConvokeWorkerHandle *worker, JsonObject *message, GError **error)
{
  g_autoptr (JsonObject) envelope = NULL;

  g_return_val_if_fail (message != NULL, FALSE);

  if (worker == NULL || !worker->running || worker->stop_requested
      || worker->channel == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                   _ ("The media worker of room %s is not running"),
                   worker != NULL ? worker->room->sid : "?");
      return FALSE;
    }

  envelope = json_object_new ();
  json_object_set_string_member (envelope, "type", "module");
  json_object_set_object_member (envelope, "body", json_object_ref (message));
  if (!convoke_control_channel_send (worker->channel, envelope))
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                   _ ("The control socket of the media worker of room %s is closed"),
                   worker->room->sid);
      return FALSE;
    }
  return TRUE;
}

void
convoke_worker_stop (ConvokeWorkerHandle *worker)
{
  if (worker == NULL)
    return;

  /* A pooled worker being stopped is no longer the pool's concern. */
  worker->pool_func = NULL;
  worker->pool_data = NULL;
  if (worker->running && !worker->stop_requested)
    {
      g_autoptr (JsonObject) shutdown = json_object_new ();

      worker->stop_requested = TRUE;
      /* Its reference would keep the handle (and the room) for up to half
       * a TURN ttl. */
      g_clear_handle_id (&worker->turn_source, g_source_remove);
      json_object_set_string_member (shutdown, "type", "shutdown");
      if (worker->channel == NULL
          || !convoke_control_channel_send (worker->channel, shutdown))
        worker_kill (worker, SIGTERM);
      /* The timer's reference keeps the handle until it fires or the
       * process exits (worker_on_exit removes it). */
      worker->escalation_source
          = g_timeout_add_full (G_PRIORITY_DEFAULT, GRACE_PERIOD_MS, worker_escalate,
                                convoke_worker_ref (worker), (GDestroyNotify) convoke_worker_unref);
    }
  convoke_worker_unref (worker);
}

guint
convoke_worker_count_running (void)
{
  return workers_running - workers_unassigned;
}

static void
wait_all_on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

void
convoke_worker_wait_all (guint timeout_ms)
{
  gboolean expired = FALSE;
  guint timer;

  if (workers_running == 0 && channels_open == 0)
    return;
  timer = g_timeout_add_once (timeout_ms, wait_all_on_timeout, &expired);
  while ((workers_running > 0 || channels_open > 0) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (timer);
}
