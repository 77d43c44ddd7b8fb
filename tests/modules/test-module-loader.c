/* The topology module loader: what it accepts, what it refuses and what
 * it says when it refuses.
 *
 * The refusals are real files: test modules built by meson.build with one
 * flaw each, and a text file named like a module.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <unistd.h>

#include "module-loader.h"

#include "../harness/test-daemon.h"

static char *
test_module_path (const char *name)
{
  g_autofree char *file_name = convoke_module_file_name (name);

  return g_build_filename (TEST_MODULES_DIR, file_name, NULL);
}

static char *
example_module_path (void)
{
  return g_build_filename (test_program ("CONVOKE_MODULE_DIR"),
                           "libconvoke-topology-example.so", NULL);
}

/* Asserts @error is @code and that its message names @path and says
 * @what. */
static void
assert_refusal (const GError *error, int code, const char *path, const char *what)
{
  g_assert_nonnull (error);
  g_test_message ("refusal: %s", error->message);
  g_assert_error (error, CONVOKE_MODULE_ERROR, code);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, what));
}

static void
test_file_name (void)
{
  g_autofree char *file_name = convoke_module_file_name ("mesh");

  g_assert_cmpstr (file_name, ==, "libconvoke-topology-mesh.so");
}

static void
test_open_example (void)
{
  g_autofree char *path = example_module_path ();
  g_autoptr (GError) error = NULL;
  ConvokeLoadedModule *module = convoke_module_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (module);
  g_assert_cmpstr (module->name, ==, "example");
  g_assert_cmpstr (module->path, ==, path);
  g_assert_nonnull (module->gmodule);
  g_assert_cmpuint (module->vtable->abi_version, ==, CONVOKE_TOPOLOGY_ABI_VERSION);
  g_assert_cmpuint (module->vtable->struct_size, ==, sizeof (ConvokeTopologyModule));
  g_assert_cmpstr (module->vtable->client_topology, ==, "mesh");
  g_assert_false (module->vtable->needs_media_worker);
  g_assert_nonnull (module->vtable->module_init);
  g_assert_nonnull (module->vtable->room_create);
  g_assert_nonnull (module->vtable->handle_message);
  convoke_loaded_module_free (module);
}

static void
test_refuse_wrong_abi (void)
{
  g_autofree char *path = test_module_path ("wrongabi");
  g_autofree char *expected
      = g_strdup_printf ("built for module ABI %d, this convoked speaks ABI %d",
                         CONVOKE_TOPOLOGY_ABI_VERSION + 1, CONVOKE_TOPOLOGY_ABI_VERSION);
  g_autoptr (GError) error = NULL;

  g_assert_null (convoke_module_open (path, &error));
  assert_refusal (error, CONVOKE_MODULE_ERROR_ABI_MISMATCH, path, expected);
}

static void
test_refuse_small_descriptor (void)
{
  g_autofree char *path = test_module_path ("tiny");
  g_autoptr (GError) error = NULL;

  g_assert_null (convoke_module_open (path, &error));
  assert_refusal (error, CONVOKE_MODULE_ERROR_ABI_MISMATCH, path,
                  "module descriptor is 16 bytes");
}

static void
test_refuse_no_entry (void)
{
  g_autofree char *path = test_module_path ("noentry");
  g_autoptr (GError) error = NULL;

  g_assert_null (convoke_module_open (path, &error));
  assert_refusal (error, CONVOKE_MODULE_ERROR_NO_ENTRY, path,
                  "does not export convoke_topology_module_entry()");
}

static void
test_refuse_not_elf (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "libconvoke-topology-notes.so", NULL);
  g_autoptr (GError) error = NULL;

  /* Longer than an ELF header. */
  g_file_set_contents (path,
                       "These are notes about modules, not a module: a text file that\n"
                       "happens to carry a module's file name must be refused cleanly.\n",
                       -1, &error);
  g_assert_no_error (error);

  g_assert_null (convoke_module_open (path, &error));
  assert_refusal (error, CONVOKE_MODULE_ERROR_OPEN, path,
                  "cannot be loaded as a shared object");
  /* The loader's own check, before dlopen(). */
  g_assert_nonnull (strstr (error->message, "not an ELF file"));
  g_clear_error (&error);

  /* A whole ELF file for another machine passes that check; dlopen's own
   * reason follows, without the path a second time. */
  {
    g_autofree char *original = example_module_path ();
    g_autofree char *contents = NULL;
    const guint16 em_s390 = 22;
    gsize size;

    g_assert_true (g_file_get_contents (original, &contents, &size, &error));
    /* e_machine, at offset 18 in this machine's byte order. */
    memcpy (contents + 18, &em_s390, sizeof em_s390);
    g_assert_true (g_file_set_contents (path, contents, size, &error));
  }
  g_assert_null (convoke_module_open (path, &error));
  assert_refusal (error, CONVOKE_MODULE_ERROR_OPEN, path,
                  "cannot be loaded as a shared object");
  g_assert_null (strstr (error->message, "not an ELF file"));
  g_assert_null (strstr (strstr (error->message, path) + strlen (path), path));
  test_rm_rf (dir);
}

/* A copy of a real module cut short (a copy that did not finish) is
 * refused with an error naming the file, at every length: before the
 * loader checked the ELF headers against the file size, dlopen() mapped
 * the missing pages and the process died of SIGBUS. */
static void
test_refuse_truncated (void)
{
  g_autofree char *original = example_module_path ();
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "libconvoke-topology-example.so", NULL);
  g_autofree char *contents = NULL;
  gsize size;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (original, &contents, &size, &error));
  g_assert_cmpuint (size, >, 8192);
  {
    /* Inside the ELF header, inside the program headers, inside each
     * page of the loaded segments, and one byte short of the end. */
    const gsize lengths[]
        = { 0,    1,        16,       63,       64,          100,       600,     4096,
            4196, 8192 + 7, size / 3, size / 2, size - 4096, size - 64, size - 1 };

    for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
      {
        ConvokeLoadedModule *module;

        g_test_message ("truncated to %zu of %zu bytes", lengths[i], size);
        g_assert_true (g_file_set_contents (path, contents, lengths[i], &error));
        module = convoke_module_open (path, &error);
        g_assert_null (module);
        assert_refusal (error, CONVOKE_MODULE_ERROR_OPEN, path, "truncated");
        g_clear_error (&error);
      }
  }

  /* The whole copy loads: the check refuses only what is cut short. */
  g_assert_true (g_file_set_contents (path, contents, size, &error));
  {
    ConvokeLoadedModule *module = convoke_module_open (path, &error);

    g_assert_no_error (error);
    g_assert_nonnull (module);
    convoke_loaded_module_free (module);
  }
  test_rm_rf (dir);
}

static void
test_refuse_missing_file (void)
{
  g_autofree char *path = test_module_path ("doesnotexist");
  g_autoptr (GError) error = NULL;

  g_assert_null (convoke_module_open (path, &error));
  assert_refusal (error, CONVOKE_MODULE_ERROR_NOT_FOUND, path, "no such module file");
}

static void
test_refuse_renamed (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *target = example_module_path ();
  g_autofree char *path = g_build_filename (dir, "libconvoke-topology-renamed.so", NULL);
  g_autoptr (GError) error = NULL;

  /* A module found under another name could be listed under one name and
   * configured under another; the loader insists they agree. */
  g_assert_cmpint (symlink (target, path), ==, 0);
  g_assert_null (convoke_module_open (path, &error));
  assert_refusal (error, CONVOKE_MODULE_ERROR_INVALID, path,
                  "calls itself “example”, so its file must be named "
                  "libconvoke-topology-example.so");
  test_rm_rf (dir);
}

static void
test_refuse_incomplete (void)
{
  g_autofree char *no_room_create = test_module_path ("noroomcreate");
  g_autofree char *bad_topology = test_module_path ("badtopology");
  g_autoptr (GError) error = NULL;

  g_assert_null (convoke_module_open (no_room_create, &error));
  assert_refusal (error, CONVOKE_MODULE_ERROR_INVALID, no_room_create,
                  "lacks the required callback room_create()");
  g_clear_error (&error);

  g_assert_null (convoke_module_open (bad_topology, &error));
  assert_refusal (error, CONVOKE_MODULE_ERROR_INVALID, bad_topology,
                  "client_topology “star”");
}

/* Counters inside a loaded test module; see test-module.c. */
static int
module_counter (const char *path, const char *symbol)
{
  g_autoptr (GError) error = NULL;
  GModule *gmodule = g_module_open_full (path, G_MODULE_BIND_LOCAL, &error);
  gpointer address = NULL;
  int value;

  g_assert_no_error (error);
  g_assert_true (g_module_symbol (gmodule, symbol, &address));
  value = *(int *) address;
  g_module_close (gmodule);
  return value;
}

static gpointer
module_core_pointer (const char *path)
{
  GModule *gmodule = g_module_open_full (path, G_MODULE_BIND_LOCAL, NULL);
  gpointer address = NULL;
  gpointer value;

  g_assert_nonnull (gmodule);
  g_assert_true (g_module_symbol (gmodule, "test_module_core", &address));
  value = *(gpointer *) address;
  g_module_close (gmodule);
  return value;
}

static void
link_into (const char *dir, const char *target, const char *file_name)
{
  g_autofree char *path = g_build_filename (dir, file_name, NULL);

  g_assert_cmpint (symlink (target, path), ==, 0);
}

static void
test_set_load_dir (void)
{
  /* The loader only hands the table to module_init(), so a dummy with the
   * version fields is enough to check that it arrives. */
  static const ConvokeCoreApi fake_core = {
    .abi_version = CONVOKE_TOPOLOGY_ABI_VERSION,
    .struct_size = sizeof (ConvokeCoreApi),
  };
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *example = example_module_path ();
  g_autofree char *good = test_module_path ("good");
  g_autofree char *good_link
      = g_build_filename (dir, "libconvoke-topology-good.so", NULL);
  g_autoptr (GPtrArray) refusals
      = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;
  ConvokeModuleSet *set;
  const ConvokeLoadedModule *module;
  const char *const refused[] = { "wrongabi", "noentry", "initfails", "tiny", NULL };
  GLogLevelFlags old_fatal;
  int init_calls_before = module_counter (good, "test_module_init_calls");
  int shutdown_calls_before = module_counter (good, "test_module_shutdown_calls");

  link_into (dir, example, "libconvoke-topology-example.so");
  link_into (dir, good, "libconvoke-topology-good.so");
  for (guint i = 0; refused[i] != NULL; i++)
    {
      g_autofree char *target = test_module_path (refused[i]);
      g_autofree char *file_name = convoke_module_file_name (refused[i]);

      link_into (dir, target, file_name);
    }
  {
    g_autofree char *notes = g_build_filename (dir, "libconvoke-topology-notes.so", NULL);
    g_autofree char *readme = g_build_filename (dir, "README", NULL);

    g_file_set_contents (notes, "not ELF", -1, &error);
    g_assert_no_error (error);
    /* Files not named like modules are none of the loader's business. */
    g_file_set_contents (readme, "not a module either", -1, &error);
    g_assert_no_error (error);
  }

  set = convoke_module_set_new (&fake_core);
  /* Refusals are logged as warnings, which GTest makes fatal; the
   * refusals array is what this test checks instead. */
  old_fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  convoke_module_set_load_dir (set, dir, refusals);
  g_log_set_always_fatal (old_fatal);

  names = convoke_module_set_list (set);
  g_assert_cmpstrv (names, ((const char *const[]){ "example", "good", NULL }));

  g_assert_cmpuint (refusals->len, ==, 5);
  for (guint i = 0; i < refusals->len; i++)
    {
      const GError *refusal = refusals->pdata[i];

      g_test_message ("refused: %s", refusal->message);
      g_assert_true (refusal->domain == CONVOKE_MODULE_ERROR);
      g_assert_nonnull (strstr (refusal->message, dir));
    }
  /* Name order: initfails, noentry, notes, tiny, wrongabi. */
  g_assert_error ((GError *) refusals->pdata[0], CONVOKE_MODULE_ERROR,
                  CONVOKE_MODULE_ERROR_INIT_FAILED);
  g_assert_nonnull (strstr (((GError *) refusals->pdata[0])->message,
                            "test module refuses on purpose"));
  g_assert_error ((GError *) refusals->pdata[1], CONVOKE_MODULE_ERROR,
                  CONVOKE_MODULE_ERROR_NO_ENTRY);
  g_assert_error ((GError *) refusals->pdata[2], CONVOKE_MODULE_ERROR,
                  CONVOKE_MODULE_ERROR_OPEN);
  g_assert_error ((GError *) refusals->pdata[3], CONVOKE_MODULE_ERROR,
                  CONVOKE_MODULE_ERROR_ABI_MISMATCH);
  g_assert_error ((GError *) refusals->pdata[4], CONVOKE_MODULE_ERROR,
                  CONVOKE_MODULE_ERROR_ABI_MISMATCH);

  /* module_init() ran once, with the table the set was made with. */
  g_assert_cmpint (module_counter (good_link, "test_module_init_calls"), ==,
                   init_calls_before + 1);
  g_assert_true (module_core_pointer (good_link) == &fake_core);

  /* Requiring a module already loaded hands back the same one and does
   * not initialise it again. */
  module = convoke_module_set_lookup (set, "good");
  g_assert_nonnull (module);
  g_assert_true (convoke_module_set_require (set, dir, "good", &error) == module);
  g_assert_no_error (error);
  g_assert_cmpint (module_counter (good_link, "test_module_init_calls"), ==,
                   init_calls_before + 1);
  g_assert_null (convoke_module_set_lookup (set, "wrongabi"));

  /* Requiring a module that was refused gives the refusal as an error. */
  g_assert_null (convoke_module_set_require (set, dir, "wrongabi", &error));
  g_assert_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_ABI_MISMATCH);
  g_clear_error (&error);

  g_assert_null (convoke_module_set_require (set, dir, "nosuchthing", &error));
  g_assert_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "libconvoke-topology-nosuchthing.so"));
  g_clear_error (&error);

  /* Module names come from the config; one must not reach outside the
   * module dir. */
  g_assert_null (convoke_module_set_require (set, dir, "../example", &error));
  g_assert_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "“../example” is not valid"));
  g_clear_error (&error);

  convoke_module_set_free (set);
  g_assert_cmpint (module_counter (good_link, "test_module_shutdown_calls"), ==,
                   shutdown_calls_before + 1);
  test_rm_rf (dir);
}

static void
test_set_require_loads_on_demand (void)
{
  static const ConvokeCoreApi fake_core = {
    .abi_version = CONVOKE_TOPOLOGY_ABI_VERSION,
    .struct_size = sizeof (ConvokeCoreApi),
  };
  g_autoptr (ConvokeModuleSet) set = convoke_module_set_new (&fake_core);
  g_autoptr (GError) error = NULL;
  const ConvokeLoadedModule *module;

  module = convoke_module_set_require (set, test_program ("CONVOKE_MODULE_DIR"),
                                       "example", &error);
  g_assert_no_error (error);
  g_assert_nonnull (module);
  g_assert_cmpstr (module->name, ==, "example");
  g_assert_true (convoke_module_set_lookup (set, "example") == module);
}

static void
test_load_dir_missing (void)
{
  g_autoptr (ConvokeModuleSet) set = convoke_module_set_new (NULL);
  g_autoptr (GPtrArray) refusals
      = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_auto (GStrv) names = NULL;
  GLogLevelFlags old_fatal;

  old_fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  convoke_module_set_load_dir (set, "/nonexistent/convoke-modules", refusals);
  g_log_set_always_fatal (old_fatal);

  g_assert_cmpuint (refusals->len, ==, 1);
  g_assert_nonnull (
      strstr (((GError *) refusals->pdata[0])->message, "/nonexistent/convoke-modules"));
  names = convoke_module_set_list (set);
  g_assert_cmpuint (g_strv_length (names), ==, 0);
}

int
main (int argc, char **argv)
{
  /* No setlocale(): the refusal texts asserted here are the untranslated
   * ones. */
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/modules/loader/file-name", test_file_name);
  g_test_add_func ("/modules/loader/open-example", test_open_example);
  g_test_add_func ("/modules/loader/refuse-wrong-abi", test_refuse_wrong_abi);
  g_test_add_func ("/modules/loader/refuse-small-descriptor",
                   test_refuse_small_descriptor);
  g_test_add_func ("/modules/loader/refuse-no-entry", test_refuse_no_entry);
  g_test_add_func ("/modules/loader/refuse-not-elf", test_refuse_not_elf);
  g_test_add_func ("/modules/loader/refuse-truncated", test_refuse_truncated);
  g_test_add_func ("/modules/loader/refuse-missing-file", test_refuse_missing_file);
  g_test_add_func ("/modules/loader/refuse-renamed", test_refuse_renamed);
  g_test_add_func ("/modules/loader/refuse-incomplete", test_refuse_incomplete);
  g_test_add_func ("/modules/loader/set-load-dir", test_set_load_dir);
  g_test_add_func ("/modules/loader/set-require", test_set_require_loads_on_demand);
  g_test_add_func ("/modules/loader/load-dir-missing", test_load_dir_missing);
  return g_test_run ();
}
