/* The gettext catalog: po/POTFILES names every source with translatable
 * strings, po/fr.po is well-formed with format strings that match their
 * English originals (a mismatch would crash printf), and convokectl's and
 * the token code's strings are all translated.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

/* Sources whose strings must all have a French translation: the ones the
 * French translator (the convokectl owner) is responsible for. Strings of
 * other files are translated as they settle. */
static const char *const fully_translated[]
    = { "core/ctl/convokectl.c", "core/ctl/ctl-client.c",   "core/ctl/ctl-local.c",
        "core/ctl/ctl-rooms.c",  "core/lib/access-token.c", NULL };

/* Where translatable sources live. */
static const char *const source_dirs[] = { "core", "modules", "plugins", NULL };

static const char *
source_root (void)
{
  const char *root = g_getenv ("CONVOKE_SOURCE_ROOT");

  if (root == NULL)
    g_error ("CONVOKE_SOURCE_ROOT is not set: run the tests through `meson test`");
  return root;
}

/* Runs @argv; returns its exit status and its stderr in *err_out. */
static int
run (const char *const *argv, char **err_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = g_subprocess_newv (
      argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);

  if (process == NULL && g_error_matches (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
    {
      g_test_skip_printf ("%s is not installed (Debian package gettext)", argv[0]);
      return -1;
    }
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, err_out, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

static gboolean
has_translatable_strings (const char *path, GRegex *marker)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  return g_regex_match (marker, contents, 0, NULL);
}

static void
collect_sources (const char *root, const char *relative, GRegex *marker, GPtrArray *found)
{
  g_autofree char *path = g_build_filename (root, relative, NULL);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_relative = g_build_filename (relative, name, NULL);
      g_autofree char *child = g_build_filename (root, child_relative, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        collect_sources (root, child_relative, marker, found);
      else if (g_str_has_suffix (name, ".c") && has_translatable_strings (child, marker))
        g_ptr_array_add (found, g_steal_pointer (&child_relative));
    }
}

static GPtrArray *
read_potfiles (void)
{
  g_autofree char *path = g_build_filename (source_root (), "po", "POTFILES", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *entries = g_ptr_array_new_with_free_func (g_free);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] != '\0' && lines[i][0] != '#')
        g_ptr_array_add (entries, g_strdup (lines[i]));
    }
  return entries;
}

static gboolean
contains_string (GPtrArray *array, const char *text)
{
  return g_ptr_array_find_with_equal_func (array, text, g_str_equal, NULL);
}

static void
test_potfiles_complete (void)
{
  g_autoptr (GRegex) marker
      = g_regex_new ("(?<![A-Za-z0-9_])N?_ ?\\(\\s*\"", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) potfiles = read_potfiles ();
  g_autoptr (GString) problems = g_string_new (NULL);

  for (guint i = 0; source_dirs[i] != NULL; i++)
    collect_sources (source_root (), source_dirs[i], marker, sources);
  g_assert_cmpuint (sources->len, >, 0);

  for (guint i = 0; i < sources->len; i++)
    if (!contains_string (potfiles, g_ptr_array_index (sources, i)))
      g_string_append_printf (problems, "\n  missing from po/POTFILES: %s",
                              (char *)g_ptr_array_index (sources, i));
  for (guint i = 0; i < potfiles->len; i++)
    {
      g_autofree char *path
          = g_build_filename (source_root (), g_ptr_array_index (potfiles, i), NULL);

      /* xgettext stops at the first file it cannot read. */
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_string_append_printf (problems, "\n  listed in po/POTFILES but absent: %s",
                                (char *)g_ptr_array_index (potfiles, i));
    }
  if (problems->len > 0)
    g_error ("po/POTFILES is out of date:%s", problems->str);
}

static void
test_fr_po_valid (void)
{
  g_autofree char *po = g_build_filename (source_root (), "po", "fr.po", NULL);
  const char *const argv[] = { "msgfmt", "--check", "--output-file=/dev/null", po, NULL };
  g_autofree char *err = NULL;
  int status = run (argv, &err);

  if (status < 0)
    return;
  if (status != 0)
    g_error ("msgfmt --check %s failed:\n%s", po, err);
}

static void
test_fr_complete_for_ctl (void)
{
  g_autofree char *dir = g_dir_make_tmp ("convoke-po-XXXXXX", NULL);
  g_autofree char *pot = g_build_filename (dir, "ctl.pot", NULL);
  g_autofree char *po = g_build_filename (source_root (), "po", "fr.po", NULL);
  g_autofree char *output = g_strconcat ("--output=", pot, NULL);
  g_autofree char *directory = g_strconcat ("--directory=", source_root (), NULL);
  g_autoptr (GPtrArray) xgettext = g_ptr_array_new ();
  g_autofree char *err = NULL;
  int status;

  /* The same keywords as meson's glib preset. */
  for (const char *const *arg
       = (const char *const[]){ "xgettext", "--from-code=UTF-8", "--language=C",
                                "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2",
                                "--keyword=NC_:1c,2", "--keyword=g_dngettext:2,3",
                                "--flag=g_strdup_printf:1:c-format",
                                "--flag=g_set_error:4:c-format", NULL };
       *arg != NULL; arg++)
    g_ptr_array_add (xgettext, (gpointer)*arg);
  g_ptr_array_add (xgettext, output);
  g_ptr_array_add (xgettext, directory);
  for (guint i = 0; fully_translated[i] != NULL; i++)
    g_ptr_array_add (xgettext, (gpointer)fully_translated[i]);
  g_ptr_array_add (xgettext, NULL);

  status = run ((const char *const *)xgettext->pdata, &err);
  if (status < 0)
    return;
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&err, g_free);

  /* msgcmp counts untranslated and fuzzy entries as missing. */
  status = run ((const char *const[]){ "msgcmp", po, pot, NULL }, &err);
  g_remove (pot);
  g_rmdir (dir);
  if (status != 0)
    g_error ("po/fr.po lacks translations for convokectl or access-token strings "
             "(run ninja convoke-update-po and translate):\n%s",
             err);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/translations/potfiles-complete", test_potfiles_complete);
  g_test_add_func ("/translations/fr-po-valid", test_fr_po_valid);
  g_test_add_func ("/translations/fr-complete-for-ctl", test_fr_complete_for_ctl);

  return g_test_run ();
}
