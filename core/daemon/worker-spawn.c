/* Starting a worker's process: its command line, its control socket and
 * certificate pipe, and forking it through the fork server or executing
 * it (docs/worker-protocol.md). The rest of the worker's life is
 * worker-supervisor.c's.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-supervisor-private.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "i18n.h"
#include "twilio-error.h"
#include "worker-shared.h"

/* The command line; @room NULL for a pooled worker, whose room and
 * options come later in `assign`. */
static GPtrArray *
worker_build_argv (ConvokeRoomRegistry *registry, const ConvokeLoadedModule *module,
                   ConvokeRoom *room, const char *worker_path, gboolean with_certificate,
                   GError **error)
{
  g_autoptr (ConvokeConfig) config
      = convoke_config_ref (convoke_room_registry_get_config (registry));
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (worker_path));
  if (room != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--room-sid"));
      g_ptr_array_add (argv, g_strdup (room->sid));
    }
  else
    {
      /* As long as a sid: the worker writes its room's sid over it, so
       * that ps names the room of every worker alike. */
      g_ptr_array_add (argv, g_strdup ("--pooled"));
      g_ptr_array_add (argv, g_strdup ("RM--------------------------------"));
    }
  g_ptr_array_add (argv, g_strdup ("--module"));
  g_ptr_array_add (argv, g_strdup (module->name));
  g_ptr_array_add (argv, g_strdup ("--module-dir"));
  /* The directory the daemon loaded the module from: both processes run
   * the same file. */
  g_ptr_array_add (argv, g_path_get_dirname (module->path));
  g_ptr_array_add (argv, g_strdup ("--control-fd"));
  g_ptr_array_add (argv, g_strdup ("3"));
  if (with_certificate)
    {
      g_ptr_array_add (argv, g_strdup ("--certificate-fd"));
      g_ptr_array_add (argv, g_strdup ("4"));
    }

  /* A root daemon's worker becomes [media] worker-user once it has
   * started (docs/security.md); any other daemon's keeps its user. */
  if (geteuid () == 0)
    {
      uid_t uid;
      gid_t gid;

      if (!convoke_worker_resolve_user (config->worker_user, &uid, &gid, error))
        return NULL;
      g_ptr_array_add (argv, g_strdup ("--uid"));
      g_ptr_array_add (argv, g_strdup_printf ("%u", (guint) uid));
      g_ptr_array_add (argv, g_strdup ("--gid"));
      g_ptr_array_add (argv, g_strdup_printf ("%u", (guint) gid));
    }

  if (room != NULL)
    {
      g_autoptr (GHashTable) options = convoke_worker_room_options (room);
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, options);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_ptr_array_add (argv, g_strdup ("--option"));
          g_ptr_array_add (argv, g_strdup_printf ("%s=%s", (char *) key, (char *) value));
        }
    }
  g_ptr_array_add (argv, NULL);
  return g_steal_pointer (&argv);
}

/* Forks the worker through @server. @control_fd and @certificate_fd stay
 * the caller's either way (an exec can still use them). */
static gboolean
worker_fork (ConvokeWorkerHandle *worker, ConvokeWorkerForkServer *server,
             GPtrArray *argv, int control_fd, int certificate_fd, GInputStream **out,
             GInputStream **err)
{
  g_autoptr (GError) error = NULL;
  int out_pipe[2], err_pipe[2];
  int fds[4];
  gsize length = 0;
  GPid pid;

  for (guint i = 0; i + 1 < argv->len; i++)
    length += strlen (g_ptr_array_index (argv, i)) + 1;
  if (length > convoke_worker_fork_server_max_command_line ())
    return FALSE; /* ps could not show it: such a room's worker starts with exec */
  if (!g_unix_open_pipe (out_pipe, FD_CLOEXEC, &error))
    {
      g_message ("%s; the worker starts with exec", error->message);
      return FALSE;
    }
  if (!g_unix_open_pipe (err_pipe, FD_CLOEXEC, &error))
    {
      g_message ("%s; the worker starts with exec", error->message);
      close (out_pipe[0]);
      close (out_pipe[1]);
      return FALSE;
    }
  fds[0] = control_fd;
  fds[1] = out_pipe[1];
  fds[2] = err_pipe[1];
  fds[3] = certificate_fd;
  pid = convoke_worker_fork_server_spawn (server, (const char *const *) argv->pdata, fds,
                                          certificate_fd >= 0 ? 4 : 3, &error);
  close (out_pipe[1]);
  close (err_pipe[1]);
  if (pid == 0)
    {
      g_message ("room %s: %s; the worker starts with exec",
                 worker->room != NULL ? worker->room->sid : "(pooled)", error->message);
      close (out_pipe[0]);
      close (err_pipe[0]);
      return FALSE;
    }
  worker->pid = pid;
  *out = g_unix_input_stream_new (out_pipe[0], TRUE);
  *err = g_unix_input_stream_new (err_pipe[0], TRUE);
  return TRUE;
}

/* Executes the worker; takes @control_fd and @certificate_fd. */
static gboolean
worker_exec (ConvokeWorkerHandle *worker, GPtrArray *argv, int control_fd,
             int certificate_fd, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) environment = NULL;

  /* stdin stays /dev/null; stdout and stderr are pipes we read, so the
   * worker has no file of its own open for writing. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, "/");
  g_subprocess_launcher_take_fd (launcher, control_fd, 3);
  if (certificate_fd >= 0)
    g_subprocess_launcher_take_fd (launcher, certificate_fd, 4);
  environment = convoke_worker_module_environment (g_ptr_array_index (argv, 0),
                                                   worker->module->vtable->worker_plugins);
  g_subprocess_launcher_set_environ (launcher, environment);
  worker->process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &local_error);
  if (worker->process == NULL)
    {
      /* GSubprocess's message already names the program and the cause. */
      g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                           local_error->message);
      return FALSE;
    }
  worker->pid = atoi (g_subprocess_get_identifier (worker->process));
  return TRUE;
}

/* The control socket pair (the worker's end is [1]) and, when the daemon
 * keeps a certificate, a pipe holding it (else *@certificate_fd is -1). */
static gboolean
worker_open_channel (ConvokeRoom *room, int pair[2], int *certificate_fd, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  const char *certificate = convoke_worker_shared_certificate ();

  *certificate_fd = -1;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("Could not create the control socket of the media worker: %s"),
                   g_strerror (saved_errno));
      return FALSE;
    }
  if (certificate != NULL
      && (*certificate_fd = convoke_worker_certificate_pipe (certificate, &local_error)) < 0)
    g_message ("room %s: %s; the worker makes its own",
               room != NULL ? room->sid : "(pooled)", local_error->message);
  return TRUE;
}

static void
worker_close_channel (int pair[2], int certificate_fd)
{
  close (pair[0]);
  close (pair[1]);
  if (certificate_fd >= 0)
    close (certificate_fd);
}


gboolean
convoke_worker_start_process (ConvokeWorkerHandle *worker,
                              ConvokeWorkerForkServer *fork_server, int *control_fd,
                              GInputStream **stdout_stream, GInputStream **stderr_stream,
                              GError **error)
{
  g_autoptr (GPtrArray) argv = NULL;
  ConvokeRoom *room = worker->room;
  int certificate_fd = -1;
  int pair[2];

  if (!worker_open_channel (room, pair, &certificate_fd, error))
    return FALSE;
  argv = worker_build_argv (worker->registry, worker->module, room,
                            convoke_worker_program (), certificate_fd >= 0, error);
  if (argv == NULL)
    {
      worker_close_channel (pair, certificate_fd);
      return FALSE;
    }

  if (convoke_worker_fork_server_is_ready (fork_server))
    {
      if (worker_fork (worker, fork_server, argv, pair[1], certificate_fd, stdout_stream,
                       stderr_stream))
        worker->forked = TRUE;
      else
        {
          /* A fork server that timed out may still fork this one late:
           * the executed worker gets descriptors of its own, and a late
           * one finds its control socket closed and exits. */
          gboolean had_certificate = certificate_fd >= 0;

          worker_close_channel (pair, certificate_fd);
          if (!worker_open_channel (room, pair, &certificate_fd, error))
            return FALSE;
          if (had_certificate != (certificate_fd >= 0))
            {
              worker_close_channel (pair, certificate_fd);
              g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                           _ ("Could not hand the DTLS certificate to the worker"));
              return FALSE;
            }
        }
    }
  if (worker->forked)
    {
      close (pair[1]);
      if (certificate_fd >= 0)
        close (certificate_fd);
    }
  else if (!worker_exec (worker, argv, pair[1], certificate_fd, error))
    {
      close (pair[0]);
      return FALSE;
    }
  else
    {
      *stdout_stream = g_object_ref (g_subprocess_get_stdout_pipe (worker->process));
      *stderr_stream = g_object_ref (g_subprocess_get_stderr_pipe (worker->process));
    }
  *control_fd = pair[0];
  return TRUE;
}
