/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-shared.h"

#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"

/* The certificate workers share is renewed this often; each one is valid
 * 30 days, so a long-running worker never outlives its certificate. */
#define CERTIFICATE_MAX_AGE_US (24 * G_TIME_SPAN_HOUR)

static char *shared_certificate;
static gint64 shared_certificate_time;

/* GST_REGISTRY for workers: one cache per plugin set, so that the first
 * worker pays for the plugin scan and the others load the result. NULL
 * when the environment already chose, or no directory is writable. */
const char *
convoke_worker_registry_path (const char *worker_path)
{
  static const char *const plugin_variables[]
      = { "GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0", "GST_PLUGIN_SYSTEM_PATH",
          "GST_PLUGIN_SYSTEM_PATH_1_0", "GST_PLUGIN_SCANNER" };
  static char *path;
  static gboolean decided;
  g_autoptr (GChecksum) checksum = NULL;
  g_autofree char *dir = NULL;

  if (decided)
    return path;
  decided = TRUE;
  if (g_getenv ("GST_REGISTRY") != NULL)
    return NULL;

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  for (guint i = 0; i < G_N_ELEMENTS (plugin_variables); i++)
    {
      const char *value = g_getenv (plugin_variables[i]);
      g_autofree char *entry
          = g_strdup_printf ("%s=%s\n", plugin_variables[i], value != NULL ? value : "");

      g_checksum_update (checksum, (const guchar *) entry, -1);
    }
  g_checksum_update (checksum, (const guchar *) worker_path, -1);

  dir = g_build_filename (g_get_user_runtime_dir (), "convoke", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_message ("%s is not writable; workers use GStreamer's default registry", dir);
      return NULL;
    }
  path = g_strdup_printf ("%s/gst-registry-%.16s.bin", dir,
                          g_checksum_get_string (checksum));
  return path;
}

const char *
convoke_worker_shared_certificate (void)
{
  if (shared_certificate != NULL
      && g_get_monotonic_time () - shared_certificate_time > CERTIFICATE_MAX_AGE_US)
    g_clear_pointer (&shared_certificate, g_free);
  return shared_certificate;
}

/* The certificate travels through a pipe so that it never touches the
 * disk. It is far below a pipe's capacity, so the write cannot block. */
gboolean
convoke_worker_pass_certificate (GSubprocessLauncher *launcher, const char *pem,
                                 GError **error)
{
  int fds[2];
  gsize length = strlen (pem);
  gssize written;

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return FALSE;
  written = write (fds[1], pem, length);
  close (fds[1]);
  if (written != (gssize) length)
    {
      close (fds[0]);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("Could not hand the DTLS certificate to the worker"));
      return FALSE;
    }
  g_subprocess_launcher_take_fd (launcher, fds[0], 4);
  return TRUE;
}

void
convoke_worker_keep_certificate (const char *pem)
{
  if (convoke_worker_shared_certificate () != NULL)
    return;
  shared_certificate = g_strdup (pem);
  shared_certificate_time = g_get_monotonic_time ();
}
