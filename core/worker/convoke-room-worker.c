/* convoke-room-worker: one process per group room, spawned by convoked's
 * worker supervisor. The command line and the control protocol are in
 * docs/worker-protocol.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "i18n.h"
#include "sid.h"
#include "worker-fork-server.h"
#include "worker-host.h"

/* Before anything else: a room's process must neither leave a core file
 * with its keys and media behind, nor be readable by its neighbours, nor
 * outlive the daemon that supervises it. Returns the step that failed, or
 * NULL; errno says why. */
static const char *
harden_process (pid_t parent)
{
  const struct rlimit no_core = { 0, 0 };

  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return "prctl (PR_SET_DUMPABLE)";
  if (setrlimit (RLIMIT_CORE, &no_core) != 0)
    return "setrlimit (RLIMIT_CORE)";
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    return "prctl (PR_SET_PDEATHSIG)";
  /* The daemon may have died before the prctl above took effect: the
   * death signal would then never come. */
  if (getppid () != parent)
    {
      errno = ESRCH;
      return "getppid";
    }
  return NULL;
}

static int
worker_main (int argc, char **argv)
{
  gint64 started_us = g_get_monotonic_time ();
  pid_t parent = getppid ();
  const char *failed_step = harden_process (parent);
  int saved_errno = errno;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *room_sid = NULL;
  g_autofree char *pooled = NULL;
  char *title_slot = NULL;
  g_autofree char *module_name = NULL;
  g_autofree char *module_dir = NULL;
  g_auto (GStrv) options = NULL;
  int control_fd = -1;
  int certificate_fd = -1;
  gint64 uid = -1, gid = -1;
  gboolean without_seccomp = FALSE;
  ConvokeWorkerConfig config;
  const GOptionEntry entries[] = {
    { "room-sid", 0, 0, G_OPTION_ARG_STRING, &room_sid, N_ ("The room's sid"), "RM…" },
    { "pooled", 0, 0, G_OPTION_ARG_STRING, &pooled,
      N_ ("Start without a room and wait for one (a placeholder as long as a room sid, "
          "replaced by the sid once assigned)"),
      N_ ("PLACEHOLDER") },
    { "module", 0, 0, G_OPTION_ARG_STRING, &module_name,
      N_ ("The topology module to host"), N_ ("NAME") },
    { "module-dir", 0, 0, G_OPTION_ARG_FILENAME, &module_dir,
      N_ ("The directory holding the module"), N_ ("DIR") },
    { "control-fd", 0, 0, G_OPTION_ARG_INT, &control_fd,
      N_ ("The inherited control socket"), "FD" },
    { "certificate-fd", 0, 0, G_OPTION_ARG_INT, &certificate_fd,
      N_ ("An inherited pipe holding the DTLS certificate and key (PEM)"), "FD" },
    { "uid", 0, 0, G_OPTION_ARG_INT64, &uid,
      N_ ("The user to run as once set up (required when started as root)"), "UID" },
    { "gid", 0, 0, G_OPTION_ARG_INT64, &gid, N_ ("The group to run as once set up"),
      "GID" },
    { "option", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options,
      N_ ("An option for the module (repeatable)"), N_ ("KEY=VALUE") },
    /* valgrind cannot run a process under a seccomp filter (it emulates
     * the system calls itself): bench/run-all's profile passes this from
     * a wrapper set as the worker program. convoked never passes it. */
    { "without-seccomp", 0, 0, G_OPTION_ARG_NONE, &without_seccomp,
      N_ ("Leave out the system call filter, for profiling under valgrind; every other "
          "layer of the sandbox stays"),
      NULL },
    G_OPTION_ENTRY_NULL,
  };

  convoke_i18n_init ();

  if (failed_step != NULL)
    {
      if (g_str_equal (failed_step, "getppid"))
        g_printerr (
            _ ("convoke-room-worker: the daemon (pid %d) exited before the worker "
               "started; exiting\n"),
            (int) parent);
      else
        g_printerr (_ ("convoke-room-worker: %s failed: %s\n"), failed_step,
                    g_strerror (saved_errno));
      return 1;
    }

  /* GOption copies values: the placeholder must be found in argv's own
   * memory, which is what /proc/PID/cmdline reads. */
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--pooled") && i + 1 < argc)
        title_slot = argv[i + 1];
      else if (g_str_has_prefix (argv[i], "--pooled="))
        title_slot = argv[i] + strlen ("--pooled=");
    }

  context = g_option_context_new (NULL);
  g_option_context_set_summary (
      context, _ ("Runs the media pipeline of one room for convoked. Not "
                  "meant to be started by hand: see "
                  "docs/worker-protocol.md."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("convoke-room-worker: %s\n", error->message);
      return 2;
    }

  if (pooled != NULL && room_sid != NULL)
    {
      g_printerr (_ ("convoke-room-worker: --pooled and --room-sid exclude each other\n"));
      return 2;
    }
  if (pooled == NULL && !convoke_sid_is_valid (room_sid, "RM"))
    {
      g_printerr (
          _ ("convoke-room-worker: --room-sid “%s” is not a room sid (RM and 32 hex "
             "digits)\n"),
          room_sid != NULL ? room_sid : "");
      return 2;
    }
  if (module_name == NULL || *module_name == '\0' || strchr (module_name, '/') != NULL)
    {
      g_printerr (_ ("convoke-room-worker: --module “%s” is not a module name\n"),
                  module_name != NULL ? module_name : "");
      return 2;
    }
  if (module_dir == NULL || !g_file_test (module_dir, G_FILE_TEST_IS_DIR))
    {
      g_printerr (_ ("convoke-room-worker: --module-dir “%s” is not a directory\n"),
                  module_dir != NULL ? module_dir : "");
      return 2;
    }
  if (control_fd < 0)
    {
      g_printerr (_ ("convoke-room-worker: --control-fd is required\n"));
      return 2;
    }

  /* The worker switches user itself, after it has started: a program
   * under a directory that user cannot enter (a build tree in /root)
   * could not be run as that user. */
  if ((uid >= 0) != (gid >= 0) || uid == 0 || gid == 0 || uid > G_MAXUINT32 - 1
      || gid > G_MAXUINT32 - 1)
    {
      g_printerr (_ ("convoke-room-worker: --uid and --gid go together, and name a user "
                     "and group other than root\n"));
      return 2;
    }
  if (uid < 0 && (getuid () == 0 || geteuid () == 0))
    {
      g_printerr (_ ("convoke-room-worker: refusing to handle media as root: pass --uid "
                     "and --gid (convoked passes [media] worker-user)\n"));
      return 2;
    }

  config = (ConvokeWorkerConfig){
    .room_sid = room_sid,
    .title_slot = title_slot,
    .module_name = module_name,
    .module_dir = module_dir,
    .control_fd = control_fd,
    .certificate_fd = certificate_fd,
    .options = options,
    .started_us = started_us,
    .switch_user = uid >= 0,
    .without_seccomp = without_seccomp,
    .uid = (uid_t) uid,
    .gid = (gid_t) gid,
  };
  return convoke_worker_run (&config);
}

int
main (int argc, char **argv)
{
  /* convoked's fork server: returns in each worker it forks, with that
   * worker's command line (worker-fork-server.c). */
  if (argc > 1 && g_str_equal (argv[1], "--fork-server"))
    {
      int status = convoke_worker_fork_server_run (argc, argv, &argc, &argv);

      if (status >= 0)
        return status;
    }
  return worker_main (argc, argv);
}
