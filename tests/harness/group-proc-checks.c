/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-proc-checks.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

gboolean
group_proc_environ_readable_as (pid_t pid, uid_t uid, gid_t gid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/environ", (int) pid);
  pid_t child;
  int status = 0;

  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      /* Only async-signal-safe calls between fork and _exit: the test
       * process may have threads. */
      int fd;

      if (geteuid () == 0
          && (setgroups (0, NULL) != 0 || setgid (gid) != 0 || setuid (uid) != 0))
        _exit (3);
      if (geteuid () != uid)
        _exit (3);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        _exit (0);
      _exit (errno == EACCES || errno == EPERM ? 1 : 2);
    }
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), <=, 1);
  return WEXITSTATUS (status) == 0;
}

char *
group_proc_core_limit (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/limits", (int) pid);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      g_auto (GStrv) fields = NULL;

      if (!g_str_has_prefix (*line, "Max core file size"))
        continue;
      /* "Max core file size        0     0     bytes" */
      fields = g_strsplit_set (*line + strlen ("Max core file size"), " \t", -1);
      for (char **field = fields; *field != NULL; field++)
        if (**field != '\0')
          return g_strdup (*field);
    }
  return NULL;
}

static gboolean
fdinfo_flags (pid_t pid, const char *fd, guint *flags)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fdinfo/%s", (int) pid, fd);
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  line = strstr (contents, "flags:");
  if (line == NULL)
    return FALSE;
  *flags = (guint) strtoul (line + strlen ("flags:"), NULL, 8);
  return TRUE;
}

GPtrArray *
group_proc_writable_files (pid_t pid, GError **error)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, error);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename (dir_path, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      guint flags = 0;

      /* Pipes, sockets and anon inodes read as "pipe:[…]", "socket:[…]",
       * "anon_inode:…": not files. Anything else is a path. */
      if (target == NULL || target[0] != '/')
        continue;
      if (!fdinfo_flags (pid, name, &flags))
        continue; /* closed meanwhile */
      if ((flags & O_ACCMODE) != O_RDONLY)
        g_ptr_array_add (found,
                         g_strdup_printf ("%s -> %s (flags 0%o)", name, target, flags));
    }
  return g_steal_pointer (&found);
}

static gboolean
read_stat (pid_t pid, char *state, pid_t *parent, char **comm)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *contents = NULL;
  const char *open_paren, *close_paren;
  int ppid = 0;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  /* "PID (COMM) S PPID …"; COMM may hold spaces and parentheses. */
  open_paren = strchr (contents, '(');
  close_paren = strrchr (contents, ')');
  if (open_paren == NULL || close_paren == NULL
      || sscanf (close_paren + 1, " %c %d", state, &ppid) != 2)
    return FALSE;
  *parent = ppid;
  if (comm != NULL)
    *comm = g_strndup (open_paren + 1, close_paren - open_paren - 1);
  return TRUE;
}

pid_t
group_proc_parent (pid_t pid)
{
  char state;
  pid_t parent;

  return read_stat (pid, &state, &parent, NULL) ? parent : 0;
}

gboolean
group_proc_alive (pid_t pid)
{
  char state;
  pid_t parent;

  return read_stat (pid, &state, &parent, NULL) && state != 'Z' && state != 'X';
}

GArray *
group_proc_children (pid_t parent, const char *comm_prefix)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc", 0, NULL);
  GArray *children = g_array_new (FALSE, FALSE, sizeof (pid_t));
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm = NULL;
      char state;
      pid_t pid, ppid;

      if (!g_ascii_isdigit (name[0]))
        continue;
      pid = atoi (name);
      if (!read_stat (pid, &state, &ppid, &comm) || ppid != parent || state == 'Z')
        continue;
      if (g_str_has_prefix (comm, comm_prefix))
        g_array_append_val (children, pid);
    }
  return children;
}

pid_t
group_proc_find_worker (pid_t daemon, const char *room_sid)
{
  g_autoptr (GArray) workers = group_proc_children (daemon, GROUP_WORKER_COMM);

  for (guint i = 0; i < workers->len; i++)
    {
      pid_t pid = g_array_index (workers, pid_t, i);
      g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
      g_autofree char *cmdline = NULL;
      gsize length;

      if (!g_file_get_contents (path, &cmdline, &length, NULL))
        continue;
      for (const char *arg = cmdline; arg < cmdline + length; arg += strlen (arg) + 1)
        if (g_str_equal (arg, room_sid))
          return pid;
    }
  return 0;
}
