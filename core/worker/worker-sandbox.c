/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <grp.h>
#include <signal.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "i18n.h"

/* Landlock rights newer than some installed headers. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6; older kernels are given the
 * prefix they know. */
typedef struct
{
  guint64 handled_access_fs;
  guint64 handled_access_net; /* ABI 4 */
  guint64 scoped;             /* ABI 6 */
} RulesetAttr;

struct _ConvokeWorkerSandbox
{
  char *room_sid;
  gboolean switch_user;
  uid_t uid;
  gid_t gid;
  int recording_dir_fd; /* O_PATH, -1 when the room does not record */
  int public_key_fd;    /* a sealed memfd, -1 */
  gboolean landlock;
  gboolean without_seccomp;
  pid_t parent; /* the daemon, whose death must end the worker */
};

ConvokeWorkerSandbox *
convoke_worker_sandbox_new (const char *room_sid, gboolean switch_user, uid_t uid,
                            gid_t gid)
{
  ConvokeWorkerSandbox *sandbox = g_new0 (ConvokeWorkerSandbox, 1);

  sandbox->room_sid = g_strdup (room_sid);
  sandbox->switch_user = switch_user;
  sandbox->uid = uid;
  sandbox->gid = gid;
  sandbox->recording_dir_fd = -1;
  sandbox->public_key_fd = -1;
  sandbox->parent = getppid ();
  return sandbox;
}

void
convoke_worker_sandbox_leave_out_seccomp (ConvokeWorkerSandbox *sandbox)
{
  sandbox->without_seccomp = TRUE;
  g_printerr (_ ("convoke-room-worker: room %s: running without the system call filter "
                 "(--without-seccomp)\n"),
              sandbox->room_sid);
}

void
convoke_worker_sandbox_set_room_sid (ConvokeWorkerSandbox *sandbox, const char *room_sid)
{
  g_free (sandbox->room_sid);
  sandbox->room_sid = g_strdup (room_sid);
}

void
convoke_worker_sandbox_free (ConvokeWorkerSandbox *sandbox)
{
  if (sandbox == NULL)
    return;
  /* The descriptors stay open: options point at them until the end. */
  g_free (sandbox->room_sid);
  g_free (sandbox);
}

gboolean
convoke_worker_sandbox_has_landlock (ConvokeWorkerSandbox *sandbox)
{
  return sandbox->landlock;
}

static gboolean
fail_errno (GError **error, const char *step)
{
  int saved_errno = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _ ("The worker's sandbox could not be set up: %s failed: %s"), step,
               g_strerror (saved_errno));
  return FALSE;
}

int
convoke_worker_count_threads (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "\nThreads:");
  return line != NULL ? atoi (line + strlen ("\nThreads:")) : -1;
}

/* The recording directory, opened while the daemon's user can still walk
 * to it, and handed to the worker's user as /proc/self/fd/N: a path that
 * leads straight to the open directory, so the modes of the directories
 * above it (a 0700 home, a private temp dir) no longer matter. */
static gboolean
open_recording_dir (ConvokeWorkerSandbox *sandbox, GHashTable *options, GError **error)
{
  const char *dir = g_hash_table_lookup (options, "recording-dir");
  struct stat st;

  if (dir == NULL || *dir == '\0' || !g_path_is_absolute (dir))
    return TRUE; /* the module reports a relative one */
  sandbox->recording_dir_fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (sandbox->recording_dir_fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _ ("The recording directory %s of room %s cannot be opened: %s"), dir,
                   sandbox->room_sid, g_strerror (saved_errno));
      return FALSE;
    }
  /* The daemon made it 0700 for its own user; the worker's user writes
   * the files. */
  if (sandbox->switch_user
      && (fstatat (sandbox->recording_dir_fd, "", &st, AT_EMPTY_PATH) != 0
          || ((st.st_uid != sandbox->uid || st.st_gid != sandbox->gid)
              && fchownat (sandbox->recording_dir_fd, "", sandbox->uid, sandbox->gid,
                           AT_EMPTY_PATH)
                     != 0)))
    return fail_errno (error, "fchownat (recording-dir)");
  g_hash_table_insert (options, g_strdup ("recording-dir"),
                       g_strdup_printf ("/proc/self/fd/%d", sandbox->recording_dir_fd));
  return TRUE;
}

/* The public key, read now and kept in a sealed memfd: the key file may
 * sit where the worker's user cannot read it. */
static gboolean
open_public_key (ConvokeWorkerSandbox *sandbox, GHashTable *options, GError **error)
{
  const char *path = g_hash_table_lookup (options, "recording-public-key");
  g_autofree char *contents = NULL;
  gsize length;
  int fd;

  if (path == NULL || *path == '\0')
    return TRUE;
  /* Unreadable: the option stays, and the recording fails with the
   * error convokecryptsink gives for it. */
  if (!g_file_get_contents (path, &contents, &length, NULL))
    return TRUE;
  fd = memfd_create ("convoke-recording-public-key", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return fail_errno (error, "memfd_create");
  if (write (fd, contents, length) != (gssize) length
      || fcntl (fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
             != 0)
    {
      close (fd);
      return fail_errno (error, "memfd write");
    }
  sandbox->public_key_fd = fd;
  g_hash_table_insert (options, g_strdup ("recording-public-key"),
                       g_strdup_printf ("/proc/self/fd/%d", fd));
  return TRUE;
}

/* Capabilities the worker could regain through an exec or keep from a
 * daemon that had ambient ones. Dropping the bounding set needs
 * CAP_SETPCAP, which only a root worker has. */
static gboolean
drop_inheritable_capabilities (GError **error)
{
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return fail_errno (error, "prctl (PR_CAP_AMBIENT_CLEAR_ALL)");
  for (int cap = 0; prctl (PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
    if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EPERM)
      return fail_errno (error, "prctl (PR_CAPBSET_DROP)");
  return TRUE;
}

static gboolean
landlock_add_dir (int ruleset, int dir_fd, guint64 access, GError **error)
{
  struct landlock_path_beneath_attr rule = { .allowed_access = access,
                                             .parent_fd = dir_fd };

  if (syscall (SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
    return fail_errno (error, "landlock_add_rule");
  return TRUE;
}

/* Every way of writing to the file system is handled (so refused unless a
 * rule allows it); reading is left to the user's permissions, since
 * GStreamer loads plugins as it first needs them. */
/* GStreamer's registry cache: gst_init() may rewrite it (a temporary file
 * renamed over the old one). */
static char *
registry_dir (void)
{
  const char *registry = g_getenv ("GST_REGISTRY");
  g_autofree char *dir = registry != NULL && *registry != '\0'
                             ? g_path_get_dirname (registry)
                             : g_build_filename (g_get_user_cache_dir (), "gstreamer-1.0",
                                                 NULL);

  /* Made now, since making it is not among the rights granted below. */
  g_mkdir_with_parents (dir, 0700);
  return g_steal_pointer (&dir);
}

static gboolean
landlock_add_path (int ruleset, const char *path, guint64 access, GError **error)
{
  int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return TRUE; /* nothing there to write to */
  ok = landlock_add_dir (ruleset, fd, access, error);
  close (fd);
  return ok;
}

/* @with_registry: the first layer, before gst_init(); the second one,
 * without it, is stacked after (a thread then has the intersection). */
static gboolean
apply_landlock (ConvokeWorkerSandbox *sandbox, gboolean with_registry, GError **error)
{
  long abi = syscall (SYS_landlock_create_ruleset, NULL, 0,
                      LANDLOCK_CREATE_RULESET_VERSION);
  const char *dot_dir = g_getenv ("GST_DEBUG_DUMP_DOT_DIR");
  RulesetAttr attr = { 0 };
  guint64 write_files = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG;
  gsize attr_size = sizeof (guint64);
  int ruleset;
  gboolean ok = TRUE;

  if (abi < 1)
    {
      if (sandbox->recording_dir_fd >= 0 && with_registry)
        g_warning (_ ("Room %s: this kernel has no Landlock; the recording worker may "
                      "write wherever its user may (docs/security.md)"),
                   sandbox->room_sid);
      return TRUE;
    }
  attr.handled_access_fs
      = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR
        | LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR
        | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG
        | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO
        | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2)
    attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3)
    {
      attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
      write_files |= LANDLOCK_ACCESS_FS_TRUNCATE; /* fopen (…, "wb") */
    }
  if (abi >= 6)
    {
      /* No signal to, and no abstract socket of, any process outside
       * this worker: not even another room's worker of the same user. */
      attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
      attr_size = sizeof (RulesetAttr);
    }

  ruleset = syscall (SYS_landlock_create_ruleset, &attr, attr_size, 0);
  if (ruleset < 0)
    return fail_errno (error, "landlock_create_ruleset");
  if (sandbox->recording_dir_fd >= 0)
    ok = landlock_add_dir (ruleset, sandbox->recording_dir_fd, write_files, error);
  /* GStreamer writes a graph there when the pipeline reaches PLAYING
   * (docs/group-rooms.md, "Debugging a room"). */
  if (ok && dot_dir != NULL && *dot_dir != '\0')
    ok = landlock_add_path (ruleset, dot_dir, write_files, error);
  if (ok && with_registry)
    {
      g_autofree char *dir = registry_dir ();

      ok = landlock_add_path (ruleset, dir,
                              write_files | LANDLOCK_ACCESS_FS_REMOVE_FILE, error);
    }
  if (ok && syscall (SYS_landlock_restrict_self, ruleset, 0) != 0)
    ok = fail_errno (error, "landlock_restrict_self");
  close (ruleset);
  sandbox->landlock = ok;
  return ok;
}

gboolean
convoke_worker_sandbox_confine_early (ConvokeWorkerSandbox *sandbox, GHashTable *options,
                                      GError **error)
{
  int threads = convoke_worker_count_threads ();

  /* Landlock and no_new_privs bind the calling thread and the threads it
   * starts later: this must come before GLib or GStreamer start one. */
  if (threads != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("The worker's sandbox must be set up by its only thread, but it "
                      "has %d"),
                   threads);
      return FALSE;
    }
  if (!open_recording_dir (sandbox, options, error)
      || !open_public_key (sandbox, options, error))
    return FALSE;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail_errno (error, "prctl (PR_SET_NO_NEW_PRIVS)");
  return apply_landlock (sandbox, TRUE, error);
}

gboolean
convoke_worker_sandbox_confine_files (ConvokeWorkerSandbox *sandbox, GError **error)
{
  /* gst_init() may have started threads (a plugin scan in process, with
   * GST_REGISTRY_FORK=no): they keep the first layer, which lets them
   * write to the registry's directory too. That one belongs to the
   * daemon's user, so after the user switch they cannot. */
  if (!drop_inheritable_capabilities (error))
    return FALSE;
  if (!sandbox->landlock)
    return TRUE;
  return apply_landlock (sandbox, FALSE, error);
}

static gboolean
switch_user (ConvokeWorkerSandbox *sandbox, GError **error)
{
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;

  /* glibc applies each of these to every thread of the process. */
  if (setgroups (0, NULL) != 0)
    return fail_errno (error, "setgroups");
  if (setresgid (sandbox->gid, sandbox->gid, sandbox->gid) != 0)
    return fail_errno (error, "setresgid");
  if (setresuid (sandbox->uid, sandbox->uid, sandbox->uid) != 0)
    return fail_errno (error, "setresuid");
  if (getresuid (&ruid, &euid, &suid) != 0 || getresgid (&rgid, &egid, &sgid) != 0
      || ruid != sandbox->uid || euid != sandbox->uid || suid != sandbox->uid
      || rgid != sandbox->gid || egid != sandbox->gid || sgid != sandbox->gid
      || getgroups (0, NULL) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("The worker's sandbox could not be set up: it still runs as user "
                      "%u, group %u after switching to %u:%u"),
                   (guint) euid, (guint) egid, (guint) sandbox->uid,
                   (guint) sandbox->gid);
      return FALSE;
    }
  /* Belt and braces: a way back to root would void all of the above. */
  if (setuid (0) == 0 || seteuid (0) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("The worker's sandbox could not be set up: it could become root "
                      "again"));
      return FALSE;
    }
  /* Changing the effective user cleared the parent-death signal the
   * worker set at its start (prctl(2)): without it again, a worker whose
   * daemon dies lives on with its room's keys and media (test
   * group-worker parent-death, once under the sanitizers). The daemon
   * may have died in between, which the signal would then never say. */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    return fail_errno (error, "prctl (PR_SET_PDEATHSIG)");
  if (getppid () != sandbox->parent)
    {
      errno = ESRCH;
      return fail_errno (error, "getppid");
    }
  return TRUE;
}

/* Capabilities are per thread; the user switch cleared them in every
 * thread, and this clears the calling thread's in case a non-root daemon
 * passed some on. */
static gboolean
drop_capabilities (GError **error)
{
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

  if (syscall (SYS_capset, &header, data) != 0)
    return fail_errno (error, "capset");
  if (syscall (SYS_capget, &header, data) != 0)
    return fail_errno (error, "capget");
  for (guint i = 0; i < G_N_ELEMENTS (data); i++)
    if (data[i].effective != 0 || data[i].permitted != 0 || data[i].inheritable != 0)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     _ ("The worker's sandbox could not be set up: capabilities remain "
                        "after dropping them"));
        return FALSE;
      }
  return TRUE;
}

gboolean
convoke_worker_sandbox_lock (ConvokeWorkerSandbox *sandbox, GError **error)
{
  if (sandbox->switch_user && !switch_user (sandbox, error))
    return FALSE;
  if (geteuid () == 0 || getuid () == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _ ("The worker's sandbox could not be set up: it would run as root"));
      return FALSE;
    }
  if (!drop_capabilities (error))
    return FALSE;
  if (sandbox->without_seccomp)
    return TRUE;
  return convoke_worker_seccomp_install (sandbox->room_sid,
                                         sandbox->recording_dir_fd >= 0, error);
}
