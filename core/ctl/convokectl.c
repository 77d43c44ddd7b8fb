/* convokectl: the admin CLI. Global options, command dispatch, and what
 * every command shares; the commands live in ctl-rooms.c and ctl-local.c.
 *
 * Options are parsed twice: a lenient pass that only finds the command
 * (global options may come before or after it), then a strict pass with
 * the command's own options so that typos are refused and --help shows
 * everything that applies.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ctl-commands.h"
#include "ctl-output.h"
#include "i18n.h"
#include "twilio-error.h"

#define DEFAULT_URL "http://127.0.0.1:7880"

static char *opt_url;
static char *opt_api_key;
static char *opt_api_secret;
static char *opt_config;
static gboolean opt_json;
static gboolean opt_version;

static const GOptionEntry global_entries[] = {
  { "url", 0, 0, G_OPTION_ARG_STRING, &opt_url,
    N_ ("The server's base URL (default: $CONVOKE_URL, else http://127.0.0.1:7880)"),
    N_ ("URL") },
  { "api-key", 0, 0, G_OPTION_ARG_STRING, &opt_api_key,
    N_ ("API key (default: --config's [auth] api-key, else $CONVOKE_API_KEY)"),
    N_ ("KEY") },
  { "api-secret", 0, 0, G_OPTION_ARG_STRING, &opt_api_secret,
    N_ ("API secret (default: --config's [auth] api-secret, else $CONVOKE_API_SECRET)"),
    N_ ("SECRET") },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
    N_ ("Read the URL, API key and secret from this convoked config file"), N_ ("FILE") },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json,
    N_ ("Print the server's JSON instead of tables"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_ ("Print the version and exit"),
    NULL },
  { NULL },
};

static const CtlCommand *const command_tables[]
    = { ctl_room_commands, ctl_local_commands, ctl_recording_commands };

static void
clear_globals (void)
{
  g_clear_pointer (&opt_url, g_free);
  g_clear_pointer (&opt_api_key, g_free);
  g_clear_pointer (&opt_api_secret, g_free);
  g_clear_pointer (&opt_config, g_free);
  opt_json = FALSE;
  opt_version = FALSE;
}

int
ctl_usage_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("convokectl: %s\n", message);
  return CTL_EXIT_USAGE;
}

int
ctl_report_error (const GError *error)
{
  g_autofree char *message = ctl_printable (error->message);

  if (error->domain == CONVOKE_ERROR)
    g_printerr ("convokectl: %s (%d)\n", message, error->code);
  else
    g_printerr ("convokectl: %s\n", message);
  if (error->domain == CONVOKE_ERROR && error->code == CONVOKE_ERROR_AUTHENTICATION)
    g_printerr ("convokectl: %s\n",
                _ ("Check the API key and secret (--api-key, --api-secret or --config)"));
  return CTL_EXIT_FAILED;
}

gboolean
ctl_globals_check_credentials (CtlGlobals *globals, GError **error)
{
  if ((globals->api_key == NULL || globals->api_secret == NULL) && globals->config != NULL
      && globals->config->secret_generated)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("%s has no [auth] api-secret, so convoked makes up new credentials "
                      "at each start; pass the ones it printed with --api-key and "
                      "--api-secret"),
                   globals->config_path);
      return FALSE;
    }
  if (globals->api_key == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("No API key: pass --api-key, set CONVOKE_API_KEY, or use "
                              "--config FILE"));
      return FALSE;
    }
  if (globals->api_secret == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("No API secret: pass --api-secret, set CONVOKE_API_SECRET, "
                              "or use --config FILE"));
      return FALSE;
    }
  return TRUE;
}

CtlClient *
ctl_globals_connect (CtlGlobals *globals, GError **error)
{
  if (!ctl_globals_check_credentials (globals, error))
    return NULL;
  return ctl_client_new (globals->url, globals->api_key, globals->api_secret, error);
}

static const char *
nonempty_env (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? value : NULL;
}

/* Command line, then --config, then environment, then built-in default. */
static gboolean
resolve_globals (CtlGlobals *globals, GError **error)
{
  ConvokeConfig *config = NULL;
  gboolean config_has_credentials;

  if (opt_config != NULL)
    {
      config = convoke_config_load_file (opt_config, error);
      if (config == NULL)
        return FALSE;
    }
  globals->config = config;
  globals->config_path = g_strdup (opt_config);
  globals->json = opt_json;
  /* Without an api-secret the loader makes up random credentials, which
   * are not the ones the running daemon made up. */
  config_has_credentials = config != NULL && !config->secret_generated;

  if (opt_url != NULL)
    globals->url = g_strdup (opt_url);
  else if (config != NULL && (config->public_url != NULL || config->listen_port != 0))
    globals->url = convoke_config_base_url (config, config->listen_port);
  else if (nonempty_env ("CONVOKE_URL") != NULL)
    globals->url = g_strdup (nonempty_env ("CONVOKE_URL"));
  else
    globals->url = g_strdup (DEFAULT_URL);

  if (opt_api_key != NULL)
    globals->api_key = g_strdup (opt_api_key);
  else if (config_has_credentials)
    globals->api_key = g_strdup (config->api_key);
  else
    globals->api_key = g_strdup (nonempty_env ("CONVOKE_API_KEY"));

  if (opt_api_secret != NULL)
    globals->api_secret = g_strdup (opt_api_secret);
  else if (config_has_credentials)
    globals->api_secret = g_strdup (config->api_secret);
  else
    globals->api_secret = g_strdup (nonempty_env ("CONVOKE_API_SECRET"));

  if (config_has_credentials)
    globals->account_sid = g_strdup (config->account_sid);
  else
    globals->account_sid = g_strdup (nonempty_env ("CONVOKE_ACCOUNT_SID"));
  return TRUE;
}

static void
clear_resolved (CtlGlobals *globals)
{
  g_clear_pointer (&globals->url, g_free);
  g_clear_pointer (&globals->api_key, g_free);
  g_clear_pointer (&globals->api_secret, g_free);
  g_clear_pointer (&globals->account_sid, g_free);
  g_clear_pointer (&globals->config_path, g_free);
  g_clear_pointer (&globals->config, convoke_config_unref);
}

static char *
command_usage (const CtlCommand *command)
{
  const char *arguments = command->arguments[0] ? _ (command->arguments) : "";

  return g_strdup_printf ("%s %s%s%s", command->group, command->verb,
                          *arguments ? " " : "", arguments);
}

/* The command list printed by --help; only @group's when not NULL. */
static char *
commands_description (const char *group)
{
  g_autoptr (GString) text = g_string_new (_ ("Commands:"));
  gsize width = 0;

  g_string_append_c (text, '\n');
  for (guint t = 0; t < G_N_ELEMENTS (command_tables); t++)
    for (const CtlCommand *c = command_tables[t]; c->group != NULL; c++)
      {
        g_autofree char *usage = command_usage (c);
        width = MAX (width, ctl_display_width (usage));
      }
  for (guint t = 0; t < G_N_ELEMENTS (command_tables); t++)
    for (const CtlCommand *c = command_tables[t]; c->group != NULL; c++)
      {
        g_autofree char *usage = command_usage (c);

        if (group != NULL && !g_str_equal (group, c->group))
          continue;
        g_string_append_printf (text, "  %s", usage);
        for (gsize w = ctl_display_width (usage); w < width + 2; w++)
          g_string_append_c (text, ' ');
        g_string_append_printf (text, "%s\n", _ (c->summary));
      }
  g_string_append_c (text, '\n');
  g_string_append (text,
                   _ ("Run “convokectl COMMAND --help” for a command's own options. "
                      "See docs/convokectl.md."));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* @command_entries (may be NULL) come first in --help: they are what the
 * reader of a command's help is looking for. */
static GOptionContext *
new_context (const char *parameter_string, const char *summary,
             const GOptionEntry *command_entries)
{
  GOptionContext *context = g_option_context_new (parameter_string);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (summary != NULL)
    g_option_context_set_summary (context, summary);
  if (command_entries != NULL)
    g_option_context_add_main_entries (context, command_entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, global_entries, GETTEXT_PACKAGE);
  return context;
}

static int
print_main_help (const char *group, gboolean requested)
{
  g_autoptr (GOptionContext) context
      = new_context (_ ("COMMAND [ARGUMENTS…]"),
                     _ ("Administer a Convoke server over its REST API."), NULL);
  g_autofree char *description = commands_description (group);
  g_autofree char *help = NULL;

  g_option_context_set_description (context, description);
  help = g_option_context_get_help (context, TRUE, NULL);
  if (requested)
    fputs (help, stdout);
  else
    fputs (help, stderr);
  return requested ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}

static const CtlCommand *
find_command (const char *group, const char *verb, gboolean *group_known)
{
  *group_known = FALSE;
  for (guint t = 0; t < G_N_ELEMENTS (command_tables); t++)
    for (const CtlCommand *c = command_tables[t]; c->group != NULL; c++)
      {
        if (!g_str_equal (c->group, group))
          continue;
        *group_known = TRUE;
        if (verb != NULL && g_str_equal (c->verb, verb))
          return c;
      }
  return NULL;
}

/* The one command of a group that has only one (`nodes list`), which runs
 * without its verb too (`convokectl nodes`); else NULL. */
static const CtlCommand *
only_command (const char *group)
{
  const CtlCommand *found = NULL;

  for (guint t = 0; t < G_N_ELEMENTS (command_tables); t++)
    for (const CtlCommand *c = command_tables[t]; c->group != NULL; c++)
      if (g_str_equal (c->group, group))
        {
          if (found != NULL)
            return NULL;
          found = c;
        }
  return found;
}

static gboolean
is_help_option (const char *arg)
{
  return g_str_equal (arg, "--help") || g_str_equal (arg, "-h") || g_str_equal (arg, "-?")
         || g_str_has_prefix (arg, "--help-");
}

/* Parses the command's options, leaves its positional arguments in
 * *args and returns the exit status to use, or -1 to go on. */
static int
parse_command_line (const CtlCommand *command, char ***args)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *usage = command_usage (command);
  g_autoptr (GOptionContext) context
      = new_context (usage, _ (command->summary), command->entries);
  g_autoptr (GPtrArray) positional = g_ptr_array_new_with_free_func (g_free);
  guint count;

  clear_globals ();
  if (!g_option_context_parse_strv (context, args, &error))
    return ctl_usage_error ("%s", error->message);

  /* (*args)[0] is the program; then the group and verb words, in that
   * order, with the positional arguments around them. */
  for (guint i = 1, words = 0; (*args)[i] != NULL; i++)
    {
      if (words < 2
          && g_str_equal ((*args)[i], words == 0 ? command->group : command->verb))
        words++;
      else if (g_str_equal ((*args)[i], "--"))
        continue;
      else
        g_ptr_array_add (positional, g_strdup ((*args)[i]));
    }
  count = positional->len;
  if (count < command->min_args)
    return ctl_usage_error (_ ("“%s” is missing an argument; usage: convokectl %s"),
                            command->verb, usage);
  if (count > command->max_args)
    return ctl_usage_error (_ ("Unexpected argument “%s”; usage: convokectl %s"),
                            (char *)g_ptr_array_index (positional, command->max_args),
                            usage);
  g_ptr_array_add (positional, NULL);
  g_strfreev (*args);
  *args = (char **)g_ptr_array_free (g_steal_pointer (&positional), FALSE);
  return -1;
}

static int
run (int argc, char **argv)
{
  g_autoptr (GOptionContext) finder = new_context (NULL, NULL, NULL);
  g_auto (GStrv) lenient = g_strdupv (argv);
  g_auto (GStrv) strict = g_strdupv (argv);
  g_autoptr (GError) error = NULL;
  const char *words[2] = { NULL, NULL };
  gboolean help = FALSE;
  gboolean group_known;
  const CtlCommand *command;
  CtlGlobals globals = { 0 };
  int status;

  g_option_context_set_help_enabled (finder, FALSE);
  g_option_context_set_ignore_unknown_options (finder, TRUE);
  if (!g_option_context_parse_strv (finder, &lenient, &error))
    return ctl_usage_error ("%s", error->message);
  if (opt_version)
    {
      printf ("convokectl %s\n", PACKAGE_VERSION);
      return CTL_EXIT_OK;
    }
  for (guint i = 1, n = 0; lenient[i] != NULL; i++)
    {
      if (is_help_option (lenient[i]))
        help = TRUE;
      else if (lenient[i][0] != '-' && n < 2)
        words[n++] = lenient[i];
    }

  if (words[0] == NULL || g_str_equal (words[0], "help"))
    return print_main_help (NULL, help || words[0] != NULL);
  command = find_command (words[0], words[1], &group_known);
  if (command == NULL && !group_known)
    return ctl_usage_error (
        _ ("Unknown command “%s”; run “convokectl --help” for the list"), words[0]);
  if (command == NULL && !help && words[1] == NULL)
    command = only_command (words[0]);
  if (command == NULL && (help || words[1] == NULL))
    return print_main_help (words[0], help);
  if (command == NULL)
    return ctl_usage_error (
        _ ("Unknown command “%s %s”; run “convokectl %s --help” for the list"), words[0],
        words[1], words[0]);

  status = parse_command_line (command, &strict);
  if (status < 0)
    {
      if (!resolve_globals (&globals, &error))
        status = ctl_report_error (error);
      else
        status = command->run (&globals, strict);
    }
  clear_resolved (&globals);
  if (command->clear != NULL)
    command->clear ();
  return status;
}

int
main (int argc, char *argv[])
{
  int status;

  convoke_i18n_init ();
  g_set_prgname ("convokectl");
  status = run (argc, argv);
  clear_globals ();
  fflush (stdout);
  return status;
}
