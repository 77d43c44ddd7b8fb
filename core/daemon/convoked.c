/* convoked: the Convoke video room server.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-daemon"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon.h"
#include "http-listener.h"
#include "i18n.h"
#include "worker-supervisor.h"

static gboolean verbose;
static gboolean dev_tokens;

/* --verbose turns on debug output for every "convoke*" log domain (the
 * daemon's and the modules'), not for GLib, libsoup or GStreamer. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if (verbose && (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0)
    {
      for (gsize i = 0; i < n_fields; i++)
        if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0
            && g_str_has_prefix (fields[i].value, "convoke"))
          {
            if (g_log_writer_is_journald (fileno (stderr)))
              return g_log_writer_journald (level, fields, n_fields, data);
            return g_log_writer_standard_streams (level, fields, n_fields, data);
          }
    }
  return g_log_writer_default (level, fields, n_fields, data);
}

typedef struct
{
  GMainLoop *loop;
  ConvokeDaemon *daemon;
} Context;

static gboolean
on_terminate (gpointer data)
{
  Context *ctx = data;

  g_message ("stopping");
  convoke_daemon_stop (ctx->daemon);
  g_main_loop_quit (ctx->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_hangup (gpointer data)
{
  Context *ctx = data;
  g_autoptr (GError) error = NULL;

  if (!convoke_daemon_reload (ctx->daemon, &error))
    g_warning (_ ("Configuration not reloaded, the previous one stays in force: %s"),
               error->message);
  return G_SOURCE_CONTINUE;
}

/* Like `nginx -t`: everything a start would check, modules included, so
 * that what passes here also passes a start or a reload. */
static int
check_config (const char *path, const char *module_dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config = convoke_config_load_file (path, &error);

  if (config == NULL || !convoke_daemon_check_config (config, module_dir, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  g_print (_ ("%s: the configuration is valid\n"), path);
  return EXIT_SUCCESS;
}

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *check_path = NULL;
  g_autofree char *module_dir = NULL;
  g_autofree char *url_file = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      N_ ("Configuration file (default: the embedded default)"), N_ ("FILE") },
    { "check-config", 0, 0, G_OPTION_ARG_FILENAME, &check_path,
      N_ ("Validate a configuration file and the modules it needs, and exit"),
      N_ ("FILE") },
    { "module-dir", 0, 0, G_OPTION_ARG_FILENAME, &module_dir,
      N_ ("Load topology modules from DIR"), N_ ("DIR") },
    { "url-file", 0, 0, G_OPTION_ARG_FILENAME, &url_file,
      N_ ("Once listening, write the base URL to FILE"), N_ ("FILE") },
    { "dev-tokens", 0, 0, G_OPTION_ARG_NONE, &dev_tokens,
      N_ ("Serve GET /dev/token for the demo page (unsafe in production)"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_ ("Log debug messages"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_ ("Print the version and exit"),
      NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) options = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config = NULL;
  g_autoptr (ConvokeDaemon) daemon = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  Context ctx;

  convoke_i18n_init ();
  g_log_set_writer_func (log_writer, NULL, NULL);

  options = g_option_context_new (NULL);
  g_option_context_set_summary (options, _ ("Convoke video room server."));
  g_option_context_add_main_entries (options, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("convoked %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (check_path != NULL)
    return check_config (check_path, module_dir);

  config = config_path ? convoke_config_load_file (config_path, &error)
                       : convoke_config_load_default (&error);
  if (config == NULL)
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  /* A dead client must not kill the daemon through a write. */
  signal (SIGPIPE, SIG_IGN);
  /* Every connection and worker pipe is a file descriptor; the usual soft
   * limit of 1024 is soon reached. The hard limit is the admin's. */
  convoke_http_raise_fd_limit ();

  loop = g_main_loop_new (NULL, FALSE);
  daemon = convoke_daemon_new (config, config_path, module_dir);
  if (dev_tokens)
    convoke_daemon_force_dev_tokens (daemon);
  if (!convoke_daemon_start (daemon, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  ctx = (Context){ loop, daemon };
  g_unix_signal_add (SIGTERM, on_terminate, &ctx);
  g_unix_signal_add (SIGINT, on_terminate, &ctx);
  g_unix_signal_add (SIGHUP, on_hangup, &ctx);

  /* The URL file first: whoever reads the banner may read the file next. */
  if (url_file != NULL)
    {
      g_autofree char *contents
          = g_strconcat (convoke_daemon_get_base_url (daemon), "\n", NULL);
      /* Atomic (write and rename), so a reader never sees half a URL. */
      if (!g_file_set_contents (url_file, contents, -1, &error))
        {
          g_printerr (_ ("Cannot write --url-file: %s\n"), error->message);
          convoke_daemon_stop (daemon);
          return EXIT_FAILURE;
        }
    }

  g_print (_ ("Convoke listening on %s\n"), convoke_daemon_get_base_url (daemon));
  fflush (stdout);
  g_main_loop_run (loop);
  /* Workers finish (and report) what they record before the daemon goes. */
  convoke_worker_wait_all (5000);
  return EXIT_SUCCESS;
}
