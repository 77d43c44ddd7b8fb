/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-shared.h"

#include <glib-unix.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "recording-store.h"
#include "room-registry.h"
#include "twilio-error.h"

/* The certificate workers share is renewed this often; each one is valid
 * 30 days, so a long-running worker never outlives its certificate. */
#define CERTIFICATE_MAX_AGE_US (24 * G_TIME_SPAN_HOUR)

static char *shared_certificate;
static gint64 shared_certificate_time;

/* GST_PLUGIN_LOADING_WHITELIST's value for @plugins: GStreamer reads
 * comma-separated plugin names as one entry. */
static char *
plugin_whitelist (const char *const *plugins)
{
  return g_strjoinv (",", (char **) plugins);
}

/* Where workers' registry caches go: decided once, NULL when no
 * directory is writable. */
static const char *
registry_dir (void)
{
  static char *dir;
  static gboolean decided;

  if (decided)
    return dir;
  decided = TRUE;
  dir = g_build_filename (g_get_user_runtime_dir (), "convoke", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_message ("%s is not writable; workers use GStreamer's default registry", dir);
      g_clear_pointer (&dir, g_free);
    }
  return dir;
}

/* GST_REGISTRY for workers: one cache per plugin set, so that the first
 * worker pays for the plugin scan and the others load the result. A
 * whitelisted scan leaves the other plugins out of the cache, so the
 * whitelist is part of what names it, and such a cache is never the file
 * the environment chose (other programs may read that one): it goes
 * beside it. */
char *
convoke_worker_registry_path (const char *worker_path, const char *const *plugins)
{
  static const char *const plugin_variables[]
      = { "GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0", "GST_PLUGIN_SYSTEM_PATH",
          "GST_PLUGIN_SYSTEM_PATH_1_0", "GST_PLUGIN_SCANNER",
          "GST_PLUGIN_LOADING_WHITELIST" };
  const char *chosen = g_getenv ("GST_REGISTRY");
  g_autoptr (GChecksum) checksum = NULL;
  const char *dir = NULL;

  if (chosen != NULL && plugins == NULL)
    return NULL;
  if (chosen == NULL && (dir = registry_dir ()) == NULL)
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
  if (plugins != NULL)
    {
      g_autofree char *whitelist = plugin_whitelist (plugins);

      g_checksum_update (checksum, (const guchar *) "\nplugins=", -1);
      g_checksum_update (checksum, (const guchar *) whitelist, -1);
    }
  if (chosen != NULL)
    return g_strdup_printf ("%s.%.16s", chosen, g_checksum_get_string (checksum));
  return g_strdup_printf ("%s/gst-registry-%.16s.bin", dir,
                          g_checksum_get_string (checksum));
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
int
convoke_worker_certificate_pipe (const char *pem, GError **error)
{
  int fds[2];
  gsize length = strlen (pem);
  gssize written;

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return -1;
  written = write (fds[1], pem, length);
  close (fds[1]);
  if (written != (gssize) length)
    {
      close (fds[0]);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("Could not hand the DTLS certificate to the worker"));
      return -1;
    }
  return fds[0];
}

void
convoke_worker_keep_certificate (const char *pem)
{
  if (convoke_worker_shared_certificate () != NULL)
    return;
  shared_certificate = g_strdup (pem);
  shared_certificate_time = g_get_monotonic_time ();
}

gboolean
convoke_worker_resolve_user (const char *name, uid_t *uid, gid_t *gid, GError **error)
{
  static GHashTable *warned; /* names already reported missing */
  struct passwd *entry = getpwnam (name);

  if (entry == NULL)
    {
      if (warned == NULL)
        warned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      entry = getpwnam ("nobody");
      if (entry != NULL && g_hash_table_add (warned, g_strdup (name)))
        g_warning (_ ("[media] worker-user: there is no user “%s”; media workers run "
                      "as “nobody”, which other programs may share. Create it: "
                      "useradd --system --no-create-home --shell /usr/sbin/nologin %s"),
                   name, name);
    }
  if (entry == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("[media] worker-user: there is no user “%s”, nor “nobody”, for "
                      "media workers to run as"),
                   name);
      return FALSE;
    }
  if (entry->pw_uid == 0 || entry->pw_gid == 0)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("[media] worker-user: user “%s” is root or in group root; media "
                      "workers must run unprivileged"),
                   entry->pw_name);
      return FALSE;
    }
  *uid = entry->pw_uid;
  *gid = entry->pw_gid;
  return TRUE;
}

static gboolean
worker_needs_variable (const char *name)
{
  static const char *const exact[]
      = { "G_DEBUG", "G_MESSAGES_DEBUG", "NICE_DEBUG", "LANG", "LANGUAGE",
          "CONVOKE_LOCALEDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };

  if (g_str_has_prefix (name, "GST_") || g_str_has_prefix (name, "LC_"))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (exact); i++)
    if (g_str_equal (name, exact[i]))
      return TRUE;
  return FALSE;
}

char **
convoke_worker_environment (const char *registry_path, const char *const *plugins)
{
  g_auto (GStrv) daemon_environment = g_get_environ ();
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  /* Not the daemon's: its secrets (the API secret may come from the
   * environment of a service manager), paths and test switches are none
   * of a worker's business, and a variable such as LD_PRELOAD must not
   * reach it. */
  for (char **entry = daemon_environment; *entry != NULL; entry++)
    {
      g_autofree char *name = g_strndup (*entry, strcspn (*entry, "="));

      if (worker_needs_variable (name)
          && !(registry_path != NULL && g_str_equal (name, "GST_REGISTRY"))
          && !(plugins != NULL && g_str_equal (name, "GST_PLUGIN_LOADING_WHITELIST")))
        g_strv_builder_add (builder, *entry);
    }
  if (plugins != NULL)
    {
      g_autofree char *whitelist = plugin_whitelist (plugins);
      g_autofree char *entry = g_strdup_printf ("GST_PLUGIN_LOADING_WHITELIST=%s", whitelist);

      g_strv_builder_add (builder, entry);
    }
  if (registry_path != NULL)
    {
      g_autofree char *registry = g_strdup_printf ("GST_REGISTRY=%s", registry_path);

      g_strv_builder_add (builder, registry);
    }
  return g_strv_builder_end (builder);
}

const char *
convoke_worker_program (void)
{
  const char *path = g_getenv ("CONVOKE_WORKER");

  if (path == NULL || *path == '\0')
    return CONVOKE_LIBEXECDIR "/convoke-room-worker";
  return path;
}

char **
convoke_worker_module_environment (const char *worker_path, const char *const *plugins)
{
  g_autofree char *registry_path = convoke_worker_registry_path (worker_path, plugins);

  /* A whitelisted scan writes a cache without the other plugins: only
   * into a cache of its own. */
  if (registry_path == NULL)
    plugins = NULL;
  return convoke_worker_environment (registry_path, plugins);
}

GHashTable *
convoke_worker_room_options (ConvokeRoom *room)
{
  ConvokeConfig *config = convoke_room_registry_get_config (room->registry);
  GHashTable *options = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  GHashTableIter iter;
  gpointer key, value;

  if (room->type != NULL && room->type->options != NULL)
    {
      g_hash_table_iter_init (&iter, room->type->options);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (options, key, g_strdup (value));
    }
  g_hash_table_insert (options, "max-participants",
                       g_strdup_printf ("%u", room->max_participants));
  g_hash_table_insert (
      options, "max-bitrate",
      g_strdup_printf ("%u", room->type != NULL ? room->type->max_bitrate : 0));
  g_hash_table_insert (options, "room-name", g_strdup (room->unique_name));

  if (config->port_min != 0 || config->port_max != 0)
    g_hash_table_insert (options, "port-range",
                         g_strdup_printf ("%u-%u", config->port_min, config->port_max));
  if (config->stun_server != NULL)
    g_hash_table_insert (options, "stun-server", g_strdup (config->stun_server));
  convoke_recording_add_worker_options (room, options);
  return options;
}
