/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load-proc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fields after "(comm)", which may itself hold spaces and ')'. */
static char **
stat_fields (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  const char *close;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  close = strrchr (text, ')');
  if (close == NULL || close[1] == '\0')
    return NULL;
  return g_strsplit (close + 2, " ", -1);
}

gboolean
load_proc_cpu_times (pid_t pid, double *user, double *system)
{
  g_auto (GStrv) fields = stat_fields (pid);
  long ticks = sysconf (_SC_CLK_TCK);

  /* Fields 14 and 15 of proc(5), counted from "state" (field 3). */
  if (fields == NULL || g_strv_length (fields) < 13 || ticks <= 0)
    return FALSE;
  *user = (double) g_ascii_strtoull (fields[11], NULL, 10) / (double) ticks;
  *system = (double) g_ascii_strtoull (fields[12], NULL, 10) / (double) ticks;
  return TRUE;
}

gboolean
load_proc_cpu_seconds (pid_t pid, double *seconds)
{
  double user, system;

  if (!load_proc_cpu_times (pid, &user, &system))
    return FALSE;
  *seconds = user + system;
  return TRUE;
}

static guint64
proc_field_kib (pid_t pid, const char *file, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/%s", (int) pid, file);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  gsize field_len = strlen (field);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], field, field_len) == 0 && lines[i][field_len] == ':')
      return g_ascii_strtoull (lines[i] + field_len + 1, NULL, 10);
  return 0;
}

guint64
load_proc_status_kib (pid_t pid, const char *field)
{
  return proc_field_kib (pid, "status", field);
}

guint64
load_proc_smaps_kib (pid_t pid, const char *field)
{
  return proc_field_kib (pid, "smaps_rollup", field);
}

guint64
load_proc_private_kib (pid_t pid)
{
  return load_proc_smaps_kib (pid, "Private_Clean") + load_proc_smaps_kib (pid, "Private_Dirty");
}

/* "start-end perms …": hex digits up to the dash. */
static gboolean
is_mapping_header (const char *line)
{
  const char *p = line;

  while (g_ascii_isxdigit (*p))
    p++;
  return p > line && *p == '-' && g_ascii_isxdigit (p[1]);
}

GHashTable *
load_proc_rss_by_mapping (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/smaps", (int) pid);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GHashTable *by_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *current = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return by_path;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      /* A mapping's header: "start-end perms offset dev inode [path]". */
      if (is_mapping_header (line))
        {
          g_auto (GStrv) fields = g_strsplit (line, " ", 6);

          current = "(anonymous)";
          if (g_strv_length (fields) == 6)
            {
              const char *name = g_strchug (fields[5]);

              if (*name != '\0')
                current = g_intern_string (name);
            }
        }
      else if (current != NULL && strncmp (line, "Rss:", 4) == 0)
        {
          guint64 kib = g_ascii_strtoull (line + 4, NULL, 10);
          guint sum = GPOINTER_TO_UINT (g_hash_table_lookup (by_path, current));

          g_hash_table_replace (by_path, g_strdup (current), GUINT_TO_POINTER (sum + (guint) kib));
        }
    }
  return by_path;
}

static gboolean
cmdline_contains (pid_t pid, const char *needle)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *text = NULL;
  gsize length;

  if (!g_file_get_contents (path, &text, &length, NULL))
    return FALSE;
  /* Arguments are NUL-separated; look through all of them. */
  for (gsize i = 0; i < length; i += strlen (text + i) + 1)
    if (strstr (text + i, needle) != NULL)
      return TRUE;
  return FALSE;
}

GArray *
load_proc_children (pid_t parent, const char *needle)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_autoptr (GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      guint64 value;
      pid_t pid;
      g_auto (GStrv) fields = NULL;

      if (!g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &value, NULL))
        continue;
      pid = (pid_t) value;
      fields = stat_fields (pid);
      /* ppid is field 4, the second after "state". */
      if (fields == NULL || g_strv_length (fields) < 2
          || atoi (fields[1]) != (int) parent)
        continue;
      if (needle == NULL || cmdline_contains (pid, needle))
        g_array_append_val (pids, pid);
    }
  return pids;
}
