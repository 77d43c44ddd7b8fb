/* ConvokeDaemon: wires config, modules, the room registry and the HTTP
 * listener together, and applies reloads.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-daemon"

#include "daemon.h"

#include <stdio.h>

#include "build-config.h"
#include "core-api.h"
#include "http-listener.h"
#include "i18n.h"
#include "cluster.h"
#include "metrics.h"
#include "rest-server.h"
#include "signaling-server.h"
#include "status-callbacks.h"
#include "web-client.h"
#include "worker-pool.h"

/* Editors save in several steps (truncate, write, rename); reloading on
 * the first event would read a half-written file. */
#define RELOAD_DEBOUNCE_MS 200

struct _ConvokeDaemon
{
  GObject parent_instance;

  ConvokeConfig *config;
  char *config_path;         /* NULL: the embedded default, nothing to reload */
  ConvokeWorkerPool *worker_pool;
  char *module_dir_override; /* --module-dir */
  ConvokeModuleSet *modules;
  ConvokeRoomRegistry *registry;
  SoupServer *server;
  ConvokeHttpListener *listener;
  char *base_url;
  ConvokeMetrics *metrics;
  ConvokeSignalingServer *signaling;
  ConvokeStatusCallbacks *callbacks;
  ConvokeCluster *cluster;
  GFileMonitor *monitor;
  char *config_checksum; /* SHA-256 of the file as last read */
  guint reload_timeout;
  gboolean running;
  gboolean force_dev_tokens; /* --dev-tokens: survives reloads */
};

G_DEFINE_TYPE (ConvokeDaemon, convoke_daemon, G_TYPE_OBJECT)

/* --module-dir (@override), then $CONVOKE_MODULE_DIR, then [modules] dir,
 * then the directory chosen at build time. */
static const char *
resolve_module_dir (const char *override, ConvokeConfig *config)
{
  const char *env = g_getenv ("CONVOKE_MODULE_DIR");

  if (override != NULL)
    return override;
  if (env != NULL && *env != '\0')
    return env;
  if (config->module_dir != NULL)
    return config->module_dir;
  return CONVOKE_MODULE_DIR;
}

static const char *
module_dir (ConvokeDaemon *self, ConvokeConfig *config)
{
  return resolve_module_dir (self->module_dir_override, config);
}

static int
compare_type_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (((const ConvokeRoomType *)a)->name,
                    ((const ConvokeRoomType *)b)->name);
}

/* Loads every module a configured type names. Also refuses a type that
 * records by default on a module that never sees media, which the config
 * file alone cannot know. */
static gboolean
require_modules (ConvokeModuleSet *modules, const char *dir, ConvokeConfig *config,
                 GError **error)
{
  /* By name, so that the error reported is the same at every start. */
  g_autoptr (GList) types
      = g_list_sort (g_hash_table_get_values (config->types), compare_type_names);

  for (GList *l = types; l != NULL; l = l->next)
    {
      ConvokeRoomType *type = l->data;
      const ConvokeLoadedModule *module;
      g_autoptr (GError) local = NULL;

      module = convoke_module_set_lookup (modules, type->module);
      if (module == NULL)
        module = convoke_module_set_require (modules, dir, type->module, &local);
      if (module == NULL)
        {
          g_set_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_REFERENCE,
                       _ ("%s: [type:%s] module: cannot load module “%s”: %s"),
                       config->origin, type->name, type->module, local->message);
          return FALSE;
        }
      if (type->recording && !module->vtable->needs_media_worker)
        {
          g_set_error (
              error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_INVALID_VALUE,
              _ ("%s: [type:%s] recording: module “%s” never sees media, so rooms "
                 "of this type cannot record"),
              config->origin, type->name, type->module);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr (GInetAddress) address = NULL;

  if (g_str_equal (host, "localhost"))
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static void
announce_generated_credentials (ConvokeConfig *config)
{
  /* Printed once, to stdout only: the operator needs them to use the API,
   * and nothing else should ever record them. */
  g_print (_ ("No [auth] api-secret is configured; generated credentials for this run:\n"
              "  api-key:     %s\n"
              "  api-secret:  %s\n"
              "  account-sid: %s\n"),
           config->api_key, config->api_secret, config->account_sid);
  fflush (stdout);
}

static gboolean
check_generated_secret (ConvokeConfig *config, const char *listen_host, GError **error)
{
  if (!config->secret_generated || host_is_loopback (listen_host))
    return TRUE;
  g_set_error (
      error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_MISSING_KEY,
      _ ("%s: [auth] api-secret: not set, so only 127.0.0.1 may be listened on, but "
         "[server] listen is “%s”; set api-key and api-secret"),
      config->origin, listen_host);
  return FALSE;
}

static GSocketAddress *
listen_address (ConvokeConfig *config)
{
  g_autoptr (GInetAddress) inet = NULL;

  if (g_str_equal (config->listen_host, "localhost"))
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (config->listen_host);
  return g_inet_socket_address_new (inet, (guint16)config->listen_port);
}

static guint
bound_port (SoupServer *server)
{
  GSList *uris = soup_server_get_uris (server);
  guint port = uris != NULL ? (guint)g_uri_get_port (uris->data) : 0;

  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  return port;
}

static char *
config_file_checksum (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length;

  /* Not g_file_get_contents(): the path may now name /dev/zero or a FIFO. */
  if (!convoke_config_read_file (path, &contents, &length, NULL))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents,
                                      length);
}

/* A save that changed nothing (or a SIGHUP that already read this file)
 * needs no second reload, nor a second warning for the same mistake. */
static gboolean
config_file_unchanged (ConvokeDaemon *self)
{
  g_autofree char *checksum = config_file_checksum (self->config_path);

  return checksum != NULL && g_strcmp0 (checksum, self->config_checksum) == 0;
}

static gboolean
reload_timeout_cb (gpointer data)
{
  ConvokeDaemon *self = data;
  g_autoptr (GError) error = NULL;

  self->reload_timeout = 0;
  if (config_file_unchanged (self))
    return G_SOURCE_REMOVE;
  if (!convoke_daemon_reload (self, &error))
    g_warning (_ ("Configuration not reloaded, the previous one stays in force: %s"),
               error->message);
  return G_SOURCE_REMOVE;
}

static void
config_file_changed (GFileMonitor *monitor, GFile *file, GFile *other,
                     GFileMonitorEvent event, gpointer data)
{
  ConvokeDaemon *self = data;

  if (event != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT
      && event != G_FILE_MONITOR_EVENT_CREATED && event != G_FILE_MONITOR_EVENT_MOVED_IN
      && event != G_FILE_MONITOR_EVENT_RENAMED && event != G_FILE_MONITOR_EVENT_CHANGED)
    return;
  g_clear_handle_id (&self->reload_timeout, g_source_remove);
  self->reload_timeout = g_timeout_add (RELOAD_DEBOUNCE_MS, reload_timeout_cb, self);
}

static void
watch_config_file (ConvokeDaemon *self)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;

  if (self->config_path == NULL)
    return;
  /* What main() loaded; close enough, as a change since then is rare and
   * only costs one more reload. */
  self->config_checksum = config_file_checksum (self->config_path);
  file = g_file_new_for_path (self->config_path);
  /* WATCH_MOVES: saving through rename(2), as g_file_set_contents and most
   * editors do, arrives as one RENAMED event. */
  self->monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    {
      g_message ("not watching %s (reload with SIGHUP): %s", self->config_path,
                 error->message);
      return;
    }
  g_signal_connect (self->monitor, "changed", G_CALLBACK (config_file_changed), self);
}

gboolean
convoke_daemon_start (ConvokeDaemon *self, GError **error)
{
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) local = NULL;
  ConvokeConfig *config = self->config;

  g_return_val_if_fail (CONVOKE_IS_DAEMON (self), FALSE);
  g_return_val_if_fail (!self->running, FALSE);

  if (!check_generated_secret (config, config->listen_host, error))
    return FALSE;

  self->modules = convoke_module_set_new (convoke_core_api_get ());
  /* Loading the whole dir logs every refused file, which is how an admin
   * learns that a module is broken before any type asks for it. */
  convoke_module_set_load_dir (self->modules, module_dir (self, config), NULL);
  if (!require_modules (self->modules, module_dir (self, config), config, error))
    return FALSE;

  self->registry = convoke_room_registry_new (config, self->modules);
  self->worker_pool = convoke_worker_pool_new (self->registry, self->modules);
  convoke_room_registry_set_worker_pool (self->registry, self->worker_pool);
  self->server = soup_server_new ("server-header", "convoked/" PACKAGE_VERSION " ", NULL);
  address = listen_address (config);
  self->listener = convoke_http_listener_new (self, self->server, address, &local);
  if (self->listener == NULL)
    {
      g_set_error (error, G_IO_ERROR, local->code,
                   _ ("Cannot listen on %s:%u ([server] listen in %s): %s"),
                   config->listen_host, config->listen_port, config->origin,
                   local->message);
      return FALSE;
    }
  self->base_url = convoke_config_base_url (config, bound_port (self->server));

  /* The handlers read the base URL, so they come after the listener; no
   * request is served before the main loop runs anyway. */
  self->metrics = convoke_metrics_new (self->registry);
  convoke_rest_api_register (self, self->server);
  convoke_web_client_register (self, self->server);
  self->signaling = convoke_signaling_server_new (self, self->server);
  self->callbacks = convoke_status_callbacks_new (self);
  self->cluster = convoke_cluster_new (self);
  if (self->cluster != NULL)
    convoke_metrics_set_node (self->metrics, convoke_cluster_get_node_id (self->cluster));
  watch_config_file (self);
  self->running = TRUE;

  if (config->secret_generated)
    announce_generated_credentials (config);
  return TRUE;
}

void
convoke_daemon_stop (ConvokeDaemon *self)
{
  g_return_if_fail (CONVOKE_IS_DAEMON (self));
  if (!self->running)
    return;
  self->running = FALSE;

  g_clear_handle_id (&self->reload_timeout, g_source_remove);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);

  /* Rooms end while their connections still exist, so participants get a
   * reason before the sockets go. */
  {
    g_autoptr (GPtrArray) rooms
        = convoke_room_registry_list (self->registry, "in-progress", NULL);
    for (guint i = 0; i < rooms->len; i++)
      convoke_room_registry_end_room (self->registry, g_ptr_array_index (rooms, i),
                                      CONVOKE_ROOM_COMPLETED, NULL);
  }
  /* Waiting workers stop too; convoke_worker_wait_all() waits for them. */
  if (self->worker_pool != NULL)
    convoke_worker_pool_stop (self->worker_pool);
  g_clear_pointer (&self->signaling, convoke_signaling_server_free);
  g_clear_pointer (&self->cluster, convoke_cluster_free);
  g_clear_pointer (&self->callbacks, convoke_status_callbacks_free);
  g_clear_pointer (&self->listener, convoke_http_listener_free);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
}

/* A reloaded config whose secret was generated again would change the
 * credentials under running clients; keep the ones already announced. */
static gboolean
carry_over_credentials (ConvokeDaemon *self, ConvokeConfig *next, GError **error)
{
  ConvokeConfig *current = self->config;

  if (!next->secret_generated)
    return TRUE;
  if (!check_generated_secret (next, current->listen_host, error))
    return FALSE;
  if (current->secret_generated)
    {
      g_free (next->api_key);
      g_free (next->api_secret);
      g_free (next->account_sid);
      next->api_key = g_strdup (current->api_key);
      next->api_secret = g_strdup (current->api_secret);
      next->account_sid = g_strdup (current->account_sid);
    }
  else
    announce_generated_credentials (next);
  return TRUE;
}

gboolean
convoke_daemon_reload (ConvokeDaemon *self, GError **error)
{
  g_autoptr (ConvokeConfig) next = NULL;

  g_return_val_if_fail (CONVOKE_IS_DAEMON (self), FALSE);
  if (self->config_path == NULL)
    {
      g_message ("running with the embedded default configuration: nothing to reload");
      return TRUE;
    }
  g_free (self->config_checksum);
  self->config_checksum = config_file_checksum (self->config_path);
  next = convoke_config_load_file (self->config_path, error);
  if (next == NULL)
    return FALSE;
  /* A config is immutable once shared; @next is still ours alone. */
  if (self->force_dev_tokens)
    next->dev_tokens = TRUE;
  if (self->running
      && !require_modules (self->modules, module_dir (self, next), next, error))
    return FALSE;
  if (self->running && !carry_over_credentials (self, next, error))
    return FALSE;

  if (g_strcmp0 (next->listen_host, self->config->listen_host) != 0
      || next->listen_port != self->config->listen_port)
    g_warning (_ ("%s: [server] listen changed to %s:%u; the daemon keeps listening on "
                  "%s until it is restarted"),
               next->origin, next->listen_host, next->listen_port, self->base_url);

  g_clear_pointer (&self->config, convoke_config_unref);
  self->config = convoke_config_ref (next);
  if (self->registry != NULL)
    convoke_room_registry_set_config (self->registry, next);
  if (self->worker_pool != NULL && self->running)
    convoke_worker_pool_reconfigure (self->worker_pool);
  g_message ("configuration reloaded from %s", self->config_path);
  return TRUE;
}

gboolean
convoke_daemon_check_config (ConvokeConfig *config, const char *module_dir_override,
                             GError **error)
{
  g_autoptr (ConvokeModuleSet) modules = NULL;
  const char *dir;

  g_return_val_if_fail (config != NULL, FALSE);

  if (!check_generated_secret (config, config->listen_host, error))
    return FALSE;
  /* The modules are loaded and initialised for real, as a start does,
   * and shut down again when @modules goes. Files in the dir that no type
   * needs are tried too: a start logs their refusals as warnings. */
  dir = resolve_module_dir (module_dir_override, config);
  modules = convoke_module_set_new (convoke_core_api_get ());
  convoke_module_set_load_dir (modules, dir, NULL);
  return require_modules (modules, dir, config, error);
}

ConvokeConfig *
convoke_daemon_get_config (ConvokeDaemon *self)
{
  g_return_val_if_fail (CONVOKE_IS_DAEMON (self), NULL);
  return self->config;
}

ConvokeRoomRegistry *
convoke_daemon_get_registry (ConvokeDaemon *self)
{
  g_return_val_if_fail (CONVOKE_IS_DAEMON (self), NULL);
  return self->registry;
}

ConvokeHttpListener *
convoke_daemon_get_http_listener (ConvokeDaemon *self)
{
  g_return_val_if_fail (CONVOKE_IS_DAEMON (self), NULL);
  return self->listener;
}

SoupServer *
convoke_daemon_get_server (ConvokeDaemon *self)
{
  g_return_val_if_fail (CONVOKE_IS_DAEMON (self), NULL);
  return self->server;
}

const char *
convoke_daemon_get_base_url (ConvokeDaemon *self)
{
  g_return_val_if_fail (CONVOKE_IS_DAEMON (self), NULL);
  return self->base_url;
}

struct _ConvokeStatusCallbacks *
convoke_daemon_get_status_callbacks (ConvokeDaemon *self)
{
  return self->callbacks;
}

ConvokeCluster *
convoke_daemon_get_cluster (ConvokeDaemon *self)
{
  return self->cluster;
}

ConvokeMetrics *
convoke_daemon_get_metrics (ConvokeDaemon *self)
{
  g_return_val_if_fail (CONVOKE_IS_DAEMON (self), NULL);
  return self->metrics;
}

static void
convoke_daemon_dispose (GObject *object)
{
  ConvokeDaemon *self = CONVOKE_DAEMON (object);

  convoke_daemon_stop (self);
  g_clear_object (&self->server);
  G_OBJECT_CLASS (convoke_daemon_parent_class)->dispose (object);
}

static void
convoke_daemon_finalize (GObject *object)
{
  ConvokeDaemon *self = CONVOKE_DAEMON (object);

  g_clear_pointer (&self->metrics, convoke_metrics_free);
  if (self->registry != NULL)
    convoke_room_registry_set_worker_pool (self->registry, NULL);
  g_clear_pointer (&self->worker_pool, convoke_worker_pool_free);
  g_clear_object (&self->registry);
  /* After the registry: room_destroy() ran when the rooms ended, and
   * module_shutdown() must be the last call into a module. */
  g_clear_pointer (&self->modules, convoke_module_set_free);
  g_clear_pointer (&self->config, convoke_config_unref);
  g_free (self->config_path);
  g_free (self->config_checksum);
  g_free (self->module_dir_override);
  g_free (self->base_url);
  G_OBJECT_CLASS (convoke_daemon_parent_class)->finalize (object);
}

static void
convoke_daemon_class_init (ConvokeDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = convoke_daemon_dispose;
  object_class->finalize = convoke_daemon_finalize;
}

static void
convoke_daemon_init (ConvokeDaemon *self)
{
}

ConvokeDaemon *
convoke_daemon_new (ConvokeConfig *config, const char *config_path,
                    const char *module_dir)
{
  ConvokeDaemon *self;

  g_return_val_if_fail (config != NULL, NULL);
  self = g_object_new (CONVOKE_TYPE_DAEMON, NULL);
  self->config = convoke_config_ref (config);
  self->config_path = g_strdup (config_path);
  self->module_dir_override = g_strdup (module_dir);
  return self;
}

void
convoke_daemon_force_dev_tokens (ConvokeDaemon *self)
{
  g_return_if_fail (CONVOKE_IS_DAEMON (self));
  g_return_if_fail (!self->running);
  self->force_dev_tokens = TRUE;
  self->config->dev_tokens = TRUE;
}
