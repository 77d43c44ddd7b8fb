/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctl-run.h"

#include <string.h>

/* Everything that changes convokectl's behaviour from outside. */
static const char *const controlled_env[] = { "LANG",
                                              "LANGUAGE",
                                              "LC_MESSAGES",
                                              "CONVOKE_URL",
                                              "CONVOKE_API_KEY",
                                              "CONVOKE_API_SECRET",
                                              "CONVOKE_ACCOUNT_SID",
                                              NULL };

void
ctl_result_free (CtlResult *r)
{
  g_free (r->out);
  g_free (r->err);
  g_free (r);
}

typedef struct
{
  CtlResult *result;
  GError *error;
  gboolean done;
} Communication;

static void
on_communicated (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Communication *c = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &c->result->out,
                                        &c->result->err, &c->error);
  c->done = TRUE;
}

CtlResult *
ctl_run_env (const char *const *env, const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  Communication c = { g_new0 (CtlResult, 1), NULL, FALSE };

  for (guint i = 0; controlled_env[i] != NULL; i++)
    g_subprocess_launcher_unsetenv (launcher, controlled_env[i]);
  /* C.UTF-8 is a real locale to glibc, so LANGUAGE is honoured under it;
   * without LANGUAGE the messages stay English. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL && env[i + 1] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);

  g_ptr_array_add (args, (gpointer)test_program ("CONVOKECTL"));
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer)argv[i]);
  g_ptr_array_add (args, NULL);

  process
      = g_subprocess_launcher_spawnv (launcher, (const char *const *)args->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, &c);
  while (!c.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (c.error);
  g_assert_true (g_subprocess_get_if_exited (process));
  c.result->status = g_subprocess_get_exit_status (process);

  line = g_strjoinv (" ", (char **)argv);
  g_test_message ("convokectl %s → %d\n--- stdout\n%s--- stderr\n%s", line,
                  c.result->status, c.result->out, c.result->err);
  return c.result;
}

CtlResult *
run_ctlv (TestDaemon *d, const char *language, const char *const *argv)
{
  const char *env[9] = { NULL };
  guint n = 0;

  if (d != NULL)
    {
      env[n++] = "CONVOKE_URL";
      env[n++] = d->base_url;
      env[n++] = "CONVOKE_API_KEY";
      env[n++] = d->api_key;
      env[n++] = "CONVOKE_API_SECRET";
      env[n++] = d->api_secret;
    }
  if (language != NULL)
    {
      env[n++] = "LANGUAGE";
      env[n++] = language;
    }
  return ctl_run_env (env, argv);
}

void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack, needle);
}

void
assert_not_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) != NULL)
    g_error ("“%s” contains “%s”", haystack, needle);
}

JsonNode *
parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_copy (json_parser_get_root (parser));
}

char *
table_line (const char *table, const char *needle)
{
  g_auto (GStrv) lines = g_strsplit (table, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      return g_strdup (lines[i]);
  g_error ("no line of “%s” contains “%s”", table, needle);
  return NULL;
}

glong
display_column (const char *line, const char *at)
{
  glong width = 0;

  for (const char *p = line; p < at; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return width;
}
