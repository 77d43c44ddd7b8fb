/* A topology module for testing the worker host and the worker supervisor
 * without media: "grouptest". Its worker runs a tiny live pipeline and
 * answers commands; its daemon side relays between a participant and the
 * worker.
 *
 * Worker commands (module bodies, `cmd`):
 *   echo {…}                → event {"event":"echo","body":{…}}
 *   option {"key":K}        → event {"event":"option","key":K,"value":V|null}
 *   fail {"reason":R}       → worker_fail (R)
 *   thread-event            → event {"event":"from-thread"} sent from a new thread
 *   thread-fail {"reason"}  → worker_fail (R) from a new thread
 *   try {"call":C,"path":P} → makes system call C as a compromised worker
 *                             would (group-sandbox-test.c); if the sandbox
 *                             lets it return: event {"event":"tried",
 *                             "call":C,"result":R,"errno":E}
 *
 * Its workers may load only the plugins in test_worker_plugins (the
 * module's worker_plugins): an "elements" option naming an element of
 * another plugin fails the room's set-up.
 *
 * Option teardown-marker=PATH: worker_teardown() takes 300 ms, then sends
 * "torn down" to the Unix datagram socket at PATH (a file write would be
 * refused by the worker's sandbox).
 *
 * Daemon side: participant_joined → echo {"participant":sid}; worker event
 * echo → {"type":"echo","participant":sid} to that participant; signaling
 * message "to-worker" {"body":{…}} → that body to the worker.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <convoke/topology.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

static const ConvokeCoreApi *core;
static const ConvokeWorkerApi *worker_api;

/* Daemon side */

static gboolean
test_module_init (const ConvokeCoreApi *core_api, GError **error)
{
  core = core_api;
  return TRUE;
}

static gboolean
test_room_create (ConvokeRoom *room, gpointer *room_data, GError **error)
{
  return TRUE;
}

static void
test_participant_joined (ConvokeRoom *room, gpointer room_data,
                         ConvokeParticipant *participant)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (body, "cmd", "echo");
  json_object_set_string_member (body, "participant",
                                 core->participant_get_sid (participant));
  if (!core->worker_send (room, body, &error))
    core->participant_send_error (participant, error->code, error->message);
}

static gboolean
test_handle_message (ConvokeRoom *room, gpointer room_data, ConvokeParticipant *from,
                     const char *type, JsonObject *message, GError **error)
{
  JsonNode *body = json_object_get_member (message, "body");

  if (g_strcmp0 (type, "to-worker") != 0 || body == NULL
      || !JSON_NODE_HOLDS_OBJECT (body))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, 53004, "grouptest: unexpected “%s”",
                   type);
      return FALSE;
    }
  return core->worker_send (room, json_node_get_object (body), error);
}

static void
test_worker_event (ConvokeRoom *room, gpointer room_data, JsonObject *event)
{
  const char *sid;
  ConvokeParticipant *participant;
  g_autoptr (JsonObject) message = NULL;
  JsonObject *body;

  if (g_strcmp0 (json_object_get_string_member_with_default (event, "event", ""), "echo")
      != 0)
    return;
  body = json_object_get_object_member (event, "body");
  sid = body != NULL
            ? json_object_get_string_member_with_default (body, "participant", NULL)
            : NULL;
  participant = sid != NULL ? core->room_find_participant (room, sid) : NULL;
  if (participant == NULL)
    return;
  message = json_object_new ();
  json_object_set_string_member (message, "type", "echo");
  json_object_set_string_member (message, "participant", sid);
  core->participant_send (participant, message);
}

/* Worker side */

typedef struct
{
  ConvokeWorker *worker;
  char *reason;
} ThreadCall;

static gpointer
thread_event_main (gpointer data)
{
  ThreadCall *call = data;

  if (call->reason != NULL)
    worker_api->worker_fail (call->worker, call->reason);
  else
    {
      g_autoptr (JsonObject) event = json_object_new ();

      json_object_set_string_member (event, "event", "from-thread");
      worker_api->worker_send_event (call->worker, event);
    }
  g_free (call->reason);
  g_free (call);
  return NULL;
}

/* The calls group-sandbox-test.c makes the worker try. Returns the
 * result; errno says why it failed. */
static long
try_call (const char *call, const char *path)
{
  static char *const argv[] = { "/bin/true", NULL };
  long result = -1;

  errno = 0;
  if (g_str_equal (call, "execve"))
    result = execve ("/bin/true", argv, argv + 1);
  else if (g_str_equal (call, "ptrace"))
    result = ptrace (PTRACE_ATTACH, getppid (), NULL, NULL);
  else if (g_str_equal (call, "kill-parent"))
    result = kill (getppid (), 0);
  else if (g_str_equal (call, "fork"))
    {
      result = fork ();
      if (result == 0)
        _exit (0);
    }
  else if (g_str_equal (call, "open-write") || g_str_equal (call, "open-read"))
    {
      gboolean for_writing = g_str_equal (call, "open-write");

      result = open (path, for_writing ? O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
                                 : O_RDONLY | O_CLOEXEC,
                     0600);
      if (result >= 0)
        {
          if (for_writing && (gsize) write (result, "convoke\n", 8) != 8)
            result = -1;
          close (result >= 0 ? result : -1);
        }
    }
  else
    {
      static const struct
      {
        const char *name;
        int family, type, protocol;
      } sockets[] = {
        { "socket-packet", AF_PACKET, SOCK_RAW, 0 },
        { "socket-raw", AF_INET, SOCK_RAW, IPPROTO_ICMP },
        { "socket-netlink-route", AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 },
        { "socket-netlink-uevent", AF_NETLINK, SOCK_DGRAM, 15 /* KOBJECT_UEVENT */ },
        { "socket-udp", AF_INET, SOCK_DGRAM, 0 },
        { "socket-tcp6", AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0 },
        { "socket-unix", AF_UNIX, SOCK_DGRAM, 0 },
      };

      for (guint i = 0; i < G_N_ELEMENTS (sockets); i++)
        if (g_str_equal (call, sockets[i].name))
          {
            result = socket (sockets[i].family, sockets[i].type, sockets[i].protocol);
            if (result >= 0)
              close (result);
          }
    }
  return result;
}

static void
send_teardown_marker (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  g_strlcpy (address.sun_path, path, sizeof address.sun_path);
  if (fd >= 0)
    {
      sendto (fd, "torn down", 9, 0, (struct sockaddr *) &address, sizeof address);
      close (fd);
    }
}

static gboolean
test_worker_setup (ConvokeWorker *worker, const ConvokeWorkerApi *api,
                   GstPipeline *pipeline, gpointer *worker_data, GError **error)
{
  const char *description = api->worker_get_option (worker, "elements");
  GstElement *bin;

  worker_api = api;
  if (g_strcmp0 (api->worker_get_option (worker, "setup"), "refuse") == 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, 53119, "grouptest refuses to set up");
      return FALSE;
    }
  bin = gst_parse_bin_from_description (
      description != NULL
          ? description
          : "audiotestsrc is-live=true wave=silence samplesperbuffer=4800 "
            "! fakesink name=sink",
      FALSE, error);
  if (bin == NULL)
    return FALSE;
  gst_object_set_name (GST_OBJECT (bin), "testbin");
  gst_bin_add (GST_BIN (pipeline), bin);
  return TRUE;
}

static void
test_worker_handle_message (ConvokeWorker *worker, gpointer worker_data,
                            JsonObject *message)
{
  const char *cmd = json_object_get_string_member_with_default (message, "cmd", "");
  g_autoptr (JsonObject) event = json_object_new ();

  if (g_str_equal (cmd, "echo"))
    {
      json_object_set_string_member (event, "event", "echo");
      json_object_set_object_member (event, "body", json_object_ref (message));
      worker_api->worker_send_event (worker, event);
    }
  else if (g_str_equal (cmd, "option"))
    {
      const char *key = json_object_get_string_member_with_default (message, "key", "");
      const char *value = worker_api->worker_get_option (worker, key);

      json_object_set_string_member (event, "event", "option");
      json_object_set_string_member (event, "key", key);
      if (value != NULL)
        json_object_set_string_member (event, "value", value);
      else
        json_object_set_null_member (event, "value");
      worker_api->worker_send_event (worker, event);
    }
  else if (g_str_equal (cmd, "fail"))
    worker_api->worker_fail (
        worker, json_object_get_string_member_with_default (message, "reason", ""));
  else if (g_str_equal (cmd, "thread-event") || g_str_equal (cmd, "thread-fail"))
    {
      ThreadCall *call = g_new0 (ThreadCall, 1);

      call->worker = worker;
      if (g_str_equal (cmd, "thread-fail"))
        call->reason = g_strdup (json_object_get_string_member_with_default (
            message, "reason", "from a thread"));
      g_thread_unref (g_thread_new ("grouptest", thread_event_main, call));
    }
  else if (g_str_equal (cmd, "try"))
    {
      const char *call = json_object_get_string_member_with_default (message, "call", "");
      long result = try_call (call, json_object_get_string_member_with_default (
                                        message, "path", "/nonexistent"));
      int saved_errno = errno;

      json_object_set_string_member (event, "event", "tried");
      json_object_set_string_member (event, "call", call);
      json_object_set_int_member (event, "result", result);
      json_object_set_int_member (event, "errno", result < 0 ? saved_errno : 0);
      worker_api->worker_send_event (worker, event);
    }
}

static void
test_worker_teardown (ConvokeWorker *worker, gpointer worker_data)
{
  g_autoptr (JsonObject) event = json_object_new ();
  const char *marker = worker_api->worker_get_option (worker, "teardown-marker");

  /* Lets the tests see that teardown ran before the process exited. */
  json_object_set_string_member (event, "event", "teardown");
  worker_api->worker_send_event (worker, event);
  /* A slow teardown, as a worker finishing a recording has: it completes
   * only if the daemon waits for its workers before exiting (their
   * PR_SET_PDEATHSIG kills them with it). */
  if (marker != NULL)
    {
      g_usleep (300 * G_TIME_SPAN_MILLISECOND);
      send_teardown_marker (marker);
    }
}

/* The default pipeline's, and appsrc for the "stuck" room type of
 * group-supervisor-test.c. */
static const char *const test_worker_plugins[]
    = { "coreelements", "audiotestsrc", "app", NULL };

static const ConvokeTopologyModule test_module = {
  CONVOKE_TOPOLOGY_MODULE_INIT,
  .name = "grouptest",
  .description = "Worker host test module",
  .client_topology = "sfu",
  .needs_media_worker = TRUE,
  .module_init = test_module_init,
  .room_create = test_room_create,
  .participant_joined = test_participant_joined,
  .handle_message = test_handle_message,
  .worker_event = test_worker_event,
  .worker_setup = test_worker_setup,
  .worker_handle_message = test_worker_handle_message,
  .worker_teardown = test_worker_teardown,
  .worker_plugins = test_worker_plugins,
};

CONVOKE_TOPOLOGY_MODULE_EXPORT const ConvokeTopologyModule *
convoke_topology_module_entry (void)
{
  return &test_module;
}
