/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-fork-server.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "twilio-error.h"
#include "worker-shared.h"

/* A fork server that exits is started again after this long, doubling up
 * to the maximum: a worker program that cannot be one (a test's stand-in,
 * a broken install) must not be restarted in a tight loop. Meanwhile
 * workers start with exec. */
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 60000
/* The fork server answers within milliseconds (two forks); one that does
 * not is stuck, and the daemon's main loop must not wait on it for long. */
#define ANSWER_TIMEOUT_MS 1000
/* The fork server's last argument, which a forked worker's command line
 * overwrites (ps shows it). Pooled and cold command lines are a few
 * hundred bytes; a room's options (recording paths) may add some. */
#define COMMAND_LINE_SPACE 4096

/* The exit watch outlives a fork server freed while its process runs. */
typedef struct
{
  ConvokeWorkerForkServer *server; /* NULL once freed */
} ExitWatch;

struct _ConvokeWorkerForkServer
{
  ConvokeRoomRegistry *registry;     /* borrowed: the daemon owns both */
  const ConvokeLoadedModule *module; /* borrowed */
  char *worker_path;                 /* the program it runs */
  GSubprocess *process;              /* NULL while none runs */
  int pid;                           /* its pid, for logs after its exit */
  int socket_fd;                     /* -1 while none runs */
  guint ready_watch;                 /* waiting for `ready` */
  gboolean ready;
  guint restart_source;
  guint backoff_ms;
  ExitWatch *exit_watch;              /* the running process's */
  ConvokeWorkerForkServerFunc notify;
  gpointer notify_data;
};

static guint64 forked_total;

static void fork_server_start (ConvokeWorkerForkServer *server);

static void
fork_server_close (ConvokeWorkerForkServer *server)
{
  server->ready = FALSE;
  g_clear_handle_id (&server->ready_watch, g_source_remove);
  if (server->socket_fd >= 0)
    close (server->socket_fd);
  server->socket_fd = -1;
}

static gboolean
fork_server_restart (gpointer user_data)
{
  ConvokeWorkerForkServer *server = user_data;

  server->restart_source = 0;
  fork_server_start (server);
  return G_SOURCE_REMOVE;
}

static void
fork_server_schedule_restart (ConvokeWorkerForkServer *server)
{
  server->backoff_ms = server->backoff_ms == 0 ? BACKOFF_FIRST_MS
                                               : MIN (server->backoff_ms * 2, BACKOFF_MAX_MS);
  if (server->restart_source == 0)
    server->restart_source = g_timeout_add (server->backoff_ms, fork_server_restart, server);
}


static void
fork_server_on_exit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ExitWatch *watch = user_data;
  ConvokeWorkerForkServer *server = watch->server;
  GSubprocess *process = G_SUBPROCESS (source);

  g_subprocess_wait_finish (process, result, NULL);
  if (server != NULL && server->process == process)
    {
      server->exit_watch = NULL;
      /* The workers it forked are the daemon's and run on. */
      fork_server_close (server);
      fork_server_schedule_restart (server);
      g_message (_ ("The media workers' fork server of module %s (pid %d) exited with "
                    "status %d; workers start with exec until it is back in %u ms"),
                 server->module->name, server->pid,
                 g_subprocess_get_status (process), server->backoff_ms);
      g_clear_object (&server->process);
      if (server->notify != NULL)
        server->notify (server, server->notify_data);
    }
  g_object_unref (process);
  g_free (watch);
}

static gboolean
fork_server_on_ready (int fd, GIOCondition condition, gpointer user_data)
{
  ConvokeWorkerForkServer *server = user_data;
  char answer[16];
  gssize length = recv (fd, answer, sizeof answer, MSG_DONTWAIT);

  server->ready_watch = 0;
  if (length == 5 && memcmp (answer, "ready", 5) == 0)
    {
      server->ready = TRUE;
      server->backoff_ms = 0;
      g_debug ("fork server of module %s: ready", server->module->name);
      if (server->notify != NULL)
        server->notify (server, server->notify_data);
      return G_SOURCE_REMOVE;
    }
  if (length < 0 && (errno == EAGAIN || errno == EINTR))
    {
      server->ready_watch
          = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, fork_server_on_ready, server);
      return G_SOURCE_REMOVE;
    }
  /* It failed to load (its message is on the daemon's stderr) or is not
   * a fork server: its exit, or our kill, restarts it later. */
  if (server->process != NULL)
    g_subprocess_force_exit (server->process);
  return G_SOURCE_REMOVE;
}

static void
fork_server_start (ConvokeWorkerForkServer *server)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) environment = NULL;
  g_autofree char *title_space = g_strnfill (COMMAND_LINE_SPACE, '-');
  g_autofree char *module_dir = g_path_get_dirname (server->module->path);
  const char *argv[] = { server->worker_path, "--fork-server", "--module",
                         server->module->name, "--module-dir", module_dir,
                         "--control-fd", "3", "--title-space", title_space, NULL };
  int pair[2];
  ExitWatch *watch;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    {
      g_warning (_ ("Cannot start the media workers' fork server: socketpair: %s"),
                 g_strerror (errno));
      fork_server_schedule_restart (server);
      return;
    }
  /* Its stdout and stderr are the daemon's: it writes only when it cannot
   * start. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_cwd (launcher, "/");
  g_subprocess_launcher_take_fd (launcher, pair[1], 3);
  environment = convoke_worker_module_environment (server->worker_path,
                                                   server->module->vtable->worker_plugins);
  g_subprocess_launcher_set_environ (launcher, environment);
  server->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (server->process == NULL)
    {
      close (pair[0]);
      g_warning (_ ("Cannot start the media workers' fork server: %s"), error->message);
      fork_server_schedule_restart (server);
      return;
    }
  server->pid = atoi (g_subprocess_get_identifier (server->process));
  server->socket_fd = pair[0];
  server->ready_watch = g_unix_fd_add (server->socket_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                       fork_server_on_ready, server);
  watch = g_new0 (ExitWatch, 1);
  watch->server = server;
  server->exit_watch = watch;
  /* The process's reference, dropped when the watch fires. */
  g_subprocess_wait_async (g_object_ref (server->process), NULL, fork_server_on_exit,
                           watch);
}

ConvokeWorkerForkServer *
convoke_worker_fork_server_new (ConvokeRoomRegistry *registry,
                                const ConvokeLoadedModule *module)
{
  ConvokeWorkerForkServer *server = g_new0 (ConvokeWorkerForkServer, 1);

  /* The workers it forks are handed to the nearest subreaper when their
   * middle process exits: the daemon, which then waits for them as for
   * the workers it executes. */
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    {
      g_warning (_ ("Cannot start the media workers' fork server: "
                    "prctl (PR_SET_CHILD_SUBREAPER): %s; workers start with exec"),
                 g_strerror (errno));
      g_free (server);
      return NULL;
    }
  server->registry = registry;
  server->module = module;
  server->worker_path = g_strdup (convoke_worker_program ());
  server->socket_fd = -1;
  fork_server_start (server);
  return server;
}

void
convoke_worker_fork_server_free (ConvokeWorkerForkServer *server)
{
  if (server == NULL)
    return;
  g_clear_handle_id (&server->restart_source, g_source_remove);
  /* Closing the socket ends it; the exit watch outlives us. */
  fork_server_close (server);
  if (server->exit_watch != NULL)
    server->exit_watch->server = NULL;
  g_clear_object (&server->process);
  g_free (server->worker_path);
  g_free (server);
}

const ConvokeLoadedModule *
convoke_worker_fork_server_get_module (ConvokeWorkerForkServer *server)
{
  return server->module;
}

void
convoke_worker_fork_server_set_notify (ConvokeWorkerForkServer *server,
                                       ConvokeWorkerForkServerFunc func, gpointer user_data)
{
  server->notify = func;
  server->notify_data = user_data;
}

gboolean
convoke_worker_fork_server_is_starting (ConvokeWorkerForkServer *server)
{
  return server != NULL && server->process != NULL && !server->ready;
}

gboolean
convoke_worker_fork_server_is_ready (ConvokeWorkerForkServer *server)
{
  return server != NULL && server->ready;
}

gsize
convoke_worker_fork_server_max_command_line (void)
{
  return COMMAND_LINE_SPACE;
}

guint64
convoke_worker_fork_server_count_forked (void)
{
  return forked_total;
}

/* A fork server that cannot answer is of no use; its exit restarts it. */
static GPid
fork_server_fail (ConvokeWorkerForkServer *server, GError **error, const char *what)
{
  g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
               _ ("The media workers' fork server did not fork a worker: %s"), what);
  fork_server_close (server);
  if (server->process != NULL)
    g_subprocess_force_exit (server->process);
  return 0;
}

GPid
convoke_worker_fork_server_spawn (ConvokeWorkerForkServer *server,
                                  const char *const *argv, const int *fds, guint n_fds,
                                  GError **error)
{
  g_autoptr (GByteArray) request = g_byte_array_new ();
  union
  {
    char buf[CMSG_SPACE (4 * sizeof (int))];
    struct cmsghdr align;
  } control = { { 0 } };
  struct iovec iov;
  struct msghdr message = { 0 };
  struct cmsghdr *header;
  struct pollfd poll_fd;
  char answer[512];
  gssize length;
  gint64 pid;
  int ready;

  g_return_val_if_fail (n_fds == 3 || n_fds == 4, 0);
  if (!convoke_worker_fork_server_is_ready (server))
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The media workers' fork server is not running"));
      return 0;
    }
  if (!g_str_equal (argv[0], server->worker_path))
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The media workers' fork server runs %s, not %s"),
                   server->worker_path, argv[0]);
      return 0;
    }

  g_byte_array_append (request, (const guint8 *) "spawn", sizeof "spawn");
  for (guint i = 0; argv[i] != NULL; i++)
    g_byte_array_append (request, (const guint8 *) argv[i], strlen (argv[i]) + 1);
  iov.iov_base = request->data;
  iov.iov_len = request->len;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control.buf;
  message.msg_controllen = CMSG_SPACE (n_fds * sizeof (int));
  header = CMSG_FIRSTHDR (&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN (n_fds * sizeof (int));
  memcpy (CMSG_DATA (header), fds, n_fds * sizeof (int));

  while ((length = sendmsg (server->socket_fd, &message, MSG_NOSIGNAL)) < 0
         && errno == EINTR)
    ;
  if (length < 0)
    return fork_server_fail (server, error, g_strerror (errno));

  poll_fd = (struct pollfd){ .fd = server->socket_fd, .events = POLLIN };
  while ((ready = poll (&poll_fd, 1, ANSWER_TIMEOUT_MS)) < 0 && errno == EINTR)
    ;
  if (ready <= 0)
    return fork_server_fail (server, error, _ ("no answer within a second"));
  length = recv (server->socket_fd, answer, sizeof answer - 1, MSG_DONTWAIT);
  if (length <= 0)
    return fork_server_fail (server, error, _ ("it closed its socket"));
  answer[length] = '\0';
  if (g_str_has_prefix (answer, "error "))
    {
      /* It is still fine: this one request failed (fork refused). */
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The media workers' fork server did not fork a worker: %s"),
                   answer + strlen ("error "));
      return 0;
    }
  if (!g_str_has_prefix (answer, "pid ")
      || !g_ascii_string_to_signed (answer + strlen ("pid "), 10, 2, G_MAXINT32, &pid,
                                    NULL))
    return fork_server_fail (server, error, _ ("its answer is not a pid"));
  {
    siginfo_t info = { 0 };

    /* The daemon waits for it and kills it by that pid: it must be ours. */
    if (waitid (P_PID, (id_t) pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
      return fork_server_fail (server, error, _ ("the pid it answered is not the daemon's child"));
  }
  forked_total++;
  return (GPid) pid;
}
