/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Why a fork server: a worker started with exec pays, for every room, the
 * dynamic loading of about 90 libraries, gst_init(), libsrtp2's start and
 * self-tests, the module and its plugins: 40–150 ms of CPU depending on
 * the machine, before it does anything for its room. Fifty rooms at once
 * are then seconds of CPU. Forked from a process that did all that once,
 * a worker only pays for what is its own: its sandbox and its pipeline.
 *
 * What stays as with exec:
 * - The worker is convoked's child. The fork server forks twice and the
 *   middle process exits, so that the worker is handed to convoked, which
 *   made itself a child subreaper (PR_SET_CHILD_SUBREAPER). convoked waits
 *   for it, reads its exit status and kills it as it does a worker it
 *   executed; the worker's parent-death signal is set for convoked, so it
 *   dies with convoked and not with the fork server, and a crashed fork
 *   server takes no room with it.
 * - Its sandbox: the worker sets it all up itself after the fork, from its
 *   own command line, exactly as after an exec (worker-sandbox.c). The
 *   fork server never switches user and never handles media.
 * - Its descriptors: 0 is /dev/null, 1 and 2 are the pipes convoked reads,
 *   3 the control socket, 4 the certificate pipe; the fork server's own
 *   socket is not among them.
 * - What ps shows: the worker writes its command line over the fork
 *   server's (which ends in a long --title-space argument for that).
 *
 * What a forked worker shares with its siblings is the fork server's
 * memory as it was before the fork, copy-on-write: libraries, GStreamer's
 * registry, the module. No key, no room, no media is in it. OpenSSL
 * reseeds its random generators in a forked child (its fork handler);
 * GLib's global one is seeded here from getrandom().
 *
 * The protocol (docs/worker-protocol.md, "The fork server"): one
 * SOCK_SEQPACKET socket, --control-fd. The fork server sends `ready` once
 * it has loaded everything. Each request is one message: `spawn`, then the
 * worker's command line, each string ending in a NUL byte, with 3 or 4
 * descriptors (SCM_RIGHTS): control socket, stdout, stderr and, when the
 * command line has --certificate-fd, the certificate pipe. Each gets one
 * answer: `pid N` or `error TEXT`. The fork server exits when the socket
 * closes. */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-fork-server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "worker-host.h"
#include "worker-sandbox.h"

#define REQUEST_MAX 65536
#define REQUEST_FDS 4
/* How long a forked worker waits to be handed to convoked: the middle
 * process exits right after its fork, so this is microseconds, unless
 * convoked is gone (then the worker must not start at all). */
#define REPARENT_TIMEOUT_US (2 * G_USEC_PER_SEC)

/* Mappings larger than this are left alone: the sanitizers' shadow memory
 * is terabytes of address space, and the pages a worker shares with the
 * fork server are in the heap and the libraries' data. */
#define UNSHARE_MAX_MAPPING (64 * 1024 * 1024)
#define PAGEMAP_PRESENT (G_GUINT64_CONSTANT (1) << 63)
#define PAGEMAP_EXCLUSIVE (G_GUINT64_CONSTANT (1) << 56)

static void record_file_pages (void);

typedef struct
{
  int control_fd;
  pid_t daemon;
  char worker_comm[16]; /* what the kernel named us at exec */
  char *title;          /* argv[0] through the end of the last argument */
  gsize title_length;
} ForkServer;

static void
send_text (ForkServer *server, const char *text)
{
  /* A daemon that stopped reading closes the socket; the next recvmsg()
   * sees it. */
  while (send (server->control_fd, text, strlen (text), MSG_NOSIGNAL) < 0 && errno == EINTR)
    ;
}

static void
send_error (ForkServer *server, const char *what, int error_number)
{
  g_autofree char *text = g_strdup_printf ("error %s: %s", what, g_strerror (error_number));

  send_text (server, text);
}

/* In the forked worker: waits to be convoked's child, then sets up what
 * harden_process() in main() set up in the fork server (the death signal
 * does not survive a fork). */
static gboolean
child_join_daemon (ForkServer *server)
{
  gint64 deadline = g_get_monotonic_time () + REPARENT_TIMEOUT_US;

  while (getppid () != server->daemon)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (50);
    }
  return prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0 && getppid () == server->daemon;
}

/* In the forked worker: the request's descriptors at the numbers its
 * command line names, and nothing of the fork server's. */
static gboolean
child_take_fds (ForkServer *server, const int *fds, guint n_fds)
{
  int moved[REQUEST_FDS];
  int null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  const int targets[REQUEST_FDS] = { 3, 1, 2, 4 };

  if (null_fd < 0)
    return FALSE;
  /* Above every target first, so that no dup2() below closes a
   * descriptor still to be moved. */
  for (guint i = 0; i < n_fds; i++)
    {
      moved[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 10);
      if (moved[i] < 0)
        return FALSE;
      close (fds[i]);
    }
  if (server->control_fd != 3)
    close (server->control_fd);
  if (dup2 (null_fd, 0) < 0)
    return FALSE;
  for (guint i = 0; i < n_fds; i++)
    if (dup2 (moved[i], targets[i]) < 0)
      return FALSE;
  if (n_fds < REQUEST_FDS)
    close (4);
  close (null_fd);
  for (guint i = 0; i < n_fds; i++)
    close (moved[i]);
  return TRUE;
}

/* In the forked worker: its command line, written over the fork server's
 * so that ps and /proc/PID/cmdline show it, and handed to main(). */
static char **
child_take_command_line (ForkServer *server, char **args, guint n_args)
{
  char **argv = g_new0 (char *, n_args + 1);
  gsize needed = 0;
  char *at = server->title;

  for (guint i = 0; i < n_args; i++)
    needed += strlen (args[i]) + 1;
  if (needed > server->title_length)
    {
      /* The daemon checks the length first; should it not, the worker
       * still runs, only ps shows the fork server's command line. */
      for (guint i = 0; i < n_args; i++)
        argv[i] = g_strdup (args[i]);
      return argv;
    }
  for (guint i = 0; i < n_args; i++)
    {
      gsize length = strlen (args[i]) + 1;

      memmove (at, args[i], length);
      argv[i] = at;
      at += length;
    }
  memset (at, 0, server->title + server->title_length - at);
  return argv;
}

/* Forks a worker that convoked adopts. Returns its pid in the fork
 * server, 0 in the worker, or -errno. */
static pid_t
fork_worker (ForkServer *server)
{
  int pipe_fds[2];
  pid_t middle, worker = -EIO;
  int threads = convoke_worker_count_threads ();

  /* fork() copies the calling thread only: a lock another thread held
   * would stay locked in the worker for ever. */
  if (threads != 1)
    return -EDEADLK;
  if (pipe2 (pipe_fds, O_CLOEXEC) != 0)
    return -errno;
  middle = fork ();
  if (middle < 0)
    {
      int saved_errno = errno;

      close (pipe_fds[0]);
      close (pipe_fds[1]);
      return -saved_errno;
    }
  if (middle == 0)
    {
      pid_t child = fork ();

      if (child == 0)
        {
          close (pipe_fds[0]);
          close (pipe_fds[1]);
          return 0;
        }
      if (child < 0)
        child = -errno;
      if (write (pipe_fds[1], &child, sizeof child) != sizeof child)
        _exit (1);
      _exit (0);
    }
  close (pipe_fds[1]);
  while (read (pipe_fds[0], &worker, sizeof worker) < 0 && errno == EINTR)
    ;
  close (pipe_fds[0]);
  /* Once the middle process is reaped, the worker is convoked's. */
  while (waitpid (middle, NULL, 0) < 0 && errno == EINTR)
    ;
  return worker;
}

/* Serves one request. Returns TRUE in the forked worker, with its command
 * line; FALSE in the fork server once answered. */
static gboolean
serve_request (ForkServer *server, char *buffer, gsize length, const int *fds,
               guint n_fds, char ***worker_argv)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  gboolean has_certificate = FALSE;
  pid_t pid;

  if (length == 0 || buffer[length - 1] != '\0')
    {
      send_text (server, "error the request does not end in a NUL byte");
      return FALSE;
    }
  for (gsize at = 0; at < length; at += strlen (buffer + at) + 1)
    g_ptr_array_add (args, buffer + at);
  if (!g_str_equal (args->pdata[0], "spawn") || args->len < 2)
    {
      send_text (server, "error the request is not `spawn` with a command line");
      return FALSE;
    }
  for (guint i = 1; i < args->len; i++)
    has_certificate |= g_str_equal (args->pdata[i], "--certificate-fd");
  if (n_fds != (has_certificate ? 4u : 3u))
    {
      send_text (server, "error the request's descriptors do not match its command line");
      return FALSE;
    }

  pid = fork_worker (server);
  if (pid == 0)
    {
      guint32 seed;

      if (!child_join_daemon (server))
        {
          g_printerr (_ ("convoke-room-worker: the daemon (pid %d) exited before the "
                         "worker started; exiting\n"),
                      (int) server->daemon);
          _exit (1);
        }
      prctl (PR_SET_NAME, server->worker_comm, 0, 0, 0);
      if (!child_take_fds (server, fds, n_fds))
        {
          g_printerr ("convoke-room-worker: cannot take the descriptors of the fork "
                      "server's request: %s\n",
                      g_strerror (errno));
          _exit (1);
        }
      if (getrandom (&seed, sizeof seed, 0) == sizeof seed)
        g_random_set_seed (seed);
      *worker_argv = child_take_command_line (server, (char **) args->pdata + 1,
                                              args->len - 1);
      return TRUE;
    }
  if (pid < 0)
    send_error (server, "fork", -pid);
  else
    {
      g_autofree char *answer = g_strdup_printf ("pid %d", (int) pid);

      send_text (server, answer);
    }
  return FALSE;
}

/* Receives requests until the daemon closes the socket. Returns TRUE in a
 * forked worker. */
static gboolean
serve (ForkServer *server, char ***worker_argv)
{
  g_autofree char *buffer = g_malloc (REQUEST_MAX);

  for (;;)
    {
      union
      {
        char buf[CMSG_SPACE (REQUEST_FDS * sizeof (int))];
        struct cmsghdr align;
      } control;
      struct iovec iov = { buffer, REQUEST_MAX };
      struct msghdr message = { 0 };
      int fds[REQUEST_FDS];
      guint n_fds = 0;
      gssize length;
      gboolean in_worker;

      message.msg_iov = &iov;
      message.msg_iovlen = 1;
      message.msg_control = control.buf;
      message.msg_controllen = sizeof control.buf;
      length = recvmsg (server->control_fd, &message, MSG_CMSG_CLOEXEC);
      if (length < 0 && errno == EINTR)
        continue;
      if (length <= 0)
        return FALSE; /* the daemon is done with us */
      for (struct cmsghdr *c = CMSG_FIRSTHDR (&message); c != NULL;
           c = CMSG_NXTHDR (&message, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
          for (gsize i = 0; i < (c->cmsg_len - CMSG_LEN (0)) / sizeof (int); i++)
            {
              int fd;

              memcpy (&fd, CMSG_DATA (c) + i * sizeof (int), sizeof fd);
              if (n_fds < REQUEST_FDS)
                fds[n_fds++] = fd;
              else
                close (fd);
            }
      if (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
        send_text (server, "error the request is too long or has too many descriptors");
      else
        {
          in_worker = serve_request (server, buffer, length, fds, n_fds, worker_argv);
          if (in_worker)
            return TRUE;
        }
      for (guint i = 0; i < n_fds; i++)
        close (fds[i]);
    }
}

int
convoke_worker_fork_server_run (int argc, char **argv, int *worker_argc,
                                char ***worker_argv)
{
  g_autoptr (GError) error = NULL;
  const struct rlimit no_core = { 0, 0 };
  const char *module_name = NULL, *module_dir = NULL;
  ForkServer server = { .control_fd = -1, .daemon = getppid () };
  char **args = NULL;

  convoke_i18n_init ();
  /* As a worker, from the start (main()'s harden_process()): no core file,
   * not readable by others, gone with the daemon. */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || setrlimit (RLIMIT_CORE, &no_core) != 0
      || prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid () != server.daemon)
    {
      g_printerr ("convoke-room-worker: fork server: cannot harden the process: %s\n",
                  g_strerror (errno));
      return 1;
    }

  for (int i = 2; i + 1 < argc; i += 2)
    {
      if (g_str_equal (argv[i], "--module"))
        module_name = argv[i + 1];
      else if (g_str_equal (argv[i], "--module-dir"))
        module_dir = argv[i + 1];
      else if (g_str_equal (argv[i], "--control-fd"))
        server.control_fd = atoi (argv[i + 1]);
      else if (!g_str_equal (argv[i], "--title-space"))
        break;
    }
  if (module_name == NULL || module_dir == NULL || server.control_fd < 0 || argc % 2 != 0)
    {
      g_printerr (_ ("convoke-room-worker: --fork-server takes --module NAME, "
                     "--module-dir DIR, --control-fd FD and --title-space TEXT; it is "
                     "started by convoked only\n"));
      return 2;
    }
  server.title = argv[0];
  server.title_length = argv[argc - 1] + strlen (argv[argc - 1]) + 1 - argv[0];
  prctl (PR_GET_NAME, server.worker_comm, 0, 0, 0);

  if (!convoke_worker_preload (module_name, module_dir, &error))
    {
      g_printerr ("convoke-room-worker: fork server: %s\n", error->message);
      return 1;
    }
  /* Apart from the worker it names, ps tells it from the workers. */
  prctl (PR_SET_NAME, "convoke-forksrv", 0, 0, 0);
  record_file_pages ();
  send_text (&server, "ready");

  if (!serve (&server, &args))
    return 0;
  *worker_argc = (int) g_strv_length (args);
  *worker_argv = args;
  return -1;
}


/* Calls @func for each page present in our page tables in the mappings
 * whose /proc/self/maps line @wanted accepts, with its pagemap entry. */
static void
scan_present_pages (gboolean (*wanted) (const char *line, const char *perms),
                    void (*func) (guint64 address, guint64 entry))
{
  g_autofree char *maps = NULL;
  g_auto (GStrv) lines = NULL;
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  int pagemap;

  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return;
  pagemap = open ("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0)
    return;
  lines = g_strsplit (maps, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      guint64 start, end;
      char perms[5];
      g_autofree guint64 *entries = NULL;
      gsize n_pages;

      if (sscanf (*line, "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x %4s", &start,
                  &end, perms)
              != 3
          || end - start > UNSHARE_MAX_MAPPING || !wanted (*line, perms))
        continue;
      n_pages = (end - start) / page;
      entries = g_new (guint64, n_pages);
      if (pread (pagemap, entries, n_pages * sizeof (guint64),
                 (off_t) (start / page * sizeof (guint64)))
          != (gssize) (n_pages * sizeof (guint64)))
        continue;
      for (gsize i = 0; i < n_pages; i++)
        if (entries[i] & PAGEMAP_PRESENT)
          func (start + i * page, entries[i]);
    }
  close (pagemap);
}

/* The library pages the fork server had mapped once it had loaded
 * everything: a forked worker starts with none of them in its page tables
 * (fork() does not copy those of file mappings), and faults on each as it
 * first runs the code. What an executed worker had mapped by then. */
static GArray *fork_server_file_pages; /* guint64 addresses */

/* Read-only and code mappings of files (a path after the inode). */
static gboolean
is_file_text (const char *line, const char *perms)
{
  return perms[0] == 'r' && perms[1] == '-' && strchr (line, '/') != NULL;
}

static void
record_file_page (guint64 address, guint64 entry)
{
  g_array_append_val (fork_server_file_pages, address);
}

static void
record_file_pages (void)
{
  fork_server_file_pages = g_array_new (FALSE, FALSE, sizeof (guint64));
  scan_present_pages (is_file_text, record_file_page);
}

/* Private and writable: the only mappings copy-on-write applies to. The
 * stack is the worker's own already. */
static gboolean
is_private_data (const char *line, const char *perms)
{
  return g_str_equal (perms, "rw-p") && strstr (line, "[stack]") == NULL;
}

static guint pages_copied;

/* A write that changes nothing, atomic because another thread (GLib's
 * signal thread) may write to the same page meanwhile; the sanitizers
 * must not check it, as the page's first byte may lie in a red zone. Its
 * fault copies a page still shared with the fork server. */
__attribute__ ((no_sanitize_address)) static void
copy_shared_page (guint64 address, guint64 entry)
{
  if (entry & PAGEMAP_EXCLUSIVE)
    return;
  __atomic_fetch_or ((guint8 *) (gsize) address, 0, __ATOMIC_RELAXED);
  pages_copied++;
}

__attribute__ ((no_sanitize_address)) static void
map_page (const guint8 *at)
{
  (void) *(const volatile guint8 *) at;
}

guint
convoke_worker_fork_server_unshare_pages (void)
{
  pages_copied = 0;
  scan_present_pages (is_private_data, copy_shared_page);
  for (guint i = 0; fork_server_file_pages != NULL && i < fork_server_file_pages->len; i++)
    map_page ((const guint8 *) (gsize) g_array_index (fork_server_file_pages, guint64, i));
  return pages_copied;
}
