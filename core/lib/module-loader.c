/* Finds, version-checks and loads topology modules.
 *
 * The checks run in the order that keeps reading the descriptor safe: the
 * ABI version and the struct size are the only fields whose place never
 * changes, so nothing else is read until both are known to be ours.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "module-loader.h"

#include <stddef.h>
#include <string.h>

#include "i18n.h"
#include "module-file.h"

#define MODULE_FILE_PREFIX "libconvoke-topology-"
#define MODULE_FILE_SUFFIX "." G_MODULE_SUFFIX

/* The smallest descriptor an ABI 1 module can hand us: everything up to
 * and including the reserved tail. Later minor versions take fields out of
 * reserved[], so a v1 descriptor never shrinks below this. */
#define TOPOLOGY_MODULE_V1_SIZE                                                          \
  (offsetof (ConvokeTopologyModule, worker_warm_up) + 8 * sizeof (gpointer))

G_STATIC_ASSERT (TOPOLOGY_MODULE_V1_SIZE <= sizeof (ConvokeTopologyModule));

struct _ConvokeModuleSet
{
  const ConvokeCoreApi *core;
  /* Owns the modules, in the order they were initialised, so that
   * module_shutdown() can run in reverse order. */
  GPtrArray *modules;
  GHashTable *by_name; /* name → ConvokeLoadedModule*, borrowed from modules */
};

char *
convoke_module_file_name (const char *name)
{
  return g_strconcat (MODULE_FILE_PREFIX, name, MODULE_FILE_SUFFIX, NULL);
}

/* Module names come from the config and end up in a file path, so they
 * must not be able to climb out of the module dir. */
static gboolean
module_name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 64)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_'))
      return FALSE;
  return TRUE;
}

/* NULL when @file_name is not libconvoke-topology-NAME.so. */
static char *
module_name_from_file_name (const char *file_name)
{
  size_t len = strlen (file_name);
  size_t prefix_len = strlen (MODULE_FILE_PREFIX);
  size_t suffix_len = strlen (MODULE_FILE_SUFFIX);

  if (len <= prefix_len + suffix_len || !g_str_has_prefix (file_name, MODULE_FILE_PREFIX)
      || !g_str_has_suffix (file_name, MODULE_FILE_SUFFIX))
    return NULL;
  return g_strndup (file_name + prefix_len, len - prefix_len - suffix_len);
}

/* dlerror() usually starts with the path, which our messages already
 * lead with; saying it twice makes the log line hard to read. */
static const char *
strip_path_prefix (const char *message, const char *path)
{
  size_t path_len = strlen (path);

  if (strncmp (message, path, path_len) == 0
      && strncmp (message + path_len, ": ", 2) == 0)
    return message + path_len + 2;
  return message;
}

void
convoke_loaded_module_free (ConvokeLoadedModule *module)
{
  if (module == NULL)
    return;
  g_clear_pointer (&module->gmodule, g_module_close);
  g_free (module->name);
  g_free (module->path);
  g_free (module);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeLoadedModule, convoke_loaded_module_free)

static gboolean
check_descriptor (const ConvokeTopologyModule *vtable, const char *path, GError **error)
{
  g_autofree char *base_name = NULL;
  g_autofree char *expected_file = NULL;

  if (vtable->abi_version != CONVOKE_TOPOLOGY_ABI_VERSION)
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_ABI_MISMATCH,
                   _("%s: built for module ABI %u, this convoked speaks ABI %u; rebuild "
                     "the module against convoke-topology-1 of this release"),
                   path, (guint) vtable->abi_version,
                   (guint) CONVOKE_TOPOLOGY_ABI_VERSION);
      return FALSE;
    }
  if (vtable->struct_size < TOPOLOGY_MODULE_V1_SIZE)
    {
      g_set_error (
          error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_ABI_MISMATCH,
          _("%s: module descriptor is %u bytes, smaller than the %u bytes of ABI "
            "%u; start it with CONVOKE_TOPOLOGY_MODULE_INIT"),
          path, (guint) vtable->struct_size, (guint) TOPOLOGY_MODULE_V1_SIZE,
          (guint) CONVOKE_TOPOLOGY_ABI_VERSION);
      return FALSE;
    }

  if (!module_name_is_valid (vtable->name))
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_INVALID,
                   _("%s: module name “%s” is not valid: use 1 to 64 letters, digits, "
                     "“-” or “_”"),
                   path, vtable->name ? vtable->name : "(null)");
      return FALSE;
    }

  /* `[type:X] module=NAME` finds the file by name, so a module whose file
   * name disagrees with its own name could never be found that way, and
   * two files could claim one name. */
  base_name = g_path_get_basename (path);
  expected_file = convoke_module_file_name (vtable->name);
  if (strcmp (base_name, expected_file) != 0)
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_INVALID,
                   _("%s: module calls itself “%s”, so its file must be named %s"), path,
                   vtable->name, expected_file);
      return FALSE;
    }

  if (vtable->module_init == NULL || vtable->room_create == NULL)
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_INVALID,
                   _("%s: module “%s” lacks the required callback %s()"), path,
                   vtable->name,
                   vtable->module_init == NULL ? "module_init" : "room_create");
      return FALSE;
    }

  /* Clients build their peer connections from this string (the `topology`
   * member of `joined`), so anything else would leave them stranded. */
  if (g_strcmp0 (vtable->client_topology, "mesh") != 0
      && g_strcmp0 (vtable->client_topology, "sfu") != 0)
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_INVALID,
                   _("%s: module “%s” has client_topology “%s”; it must be “mesh” or "
                     "“sfu”"),
                   path, vtable->name,
                   vtable->client_topology ? vtable->client_topology : "(null)");
      return FALSE;
    }

  if (vtable->needs_media_worker && vtable->worker_setup == NULL)
    {
      g_set_error (
          error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_INVALID,
          _("%s: module “%s” sets needs_media_worker but has no worker_setup()"), path,
          vtable->name);
      return FALSE;
    }

  return TRUE;
}

ConvokeLoadedModule *
convoke_module_open (const char *path, GError **error)
{
  g_autofree char *abs_path = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (ConvokeLoadedModule) module = NULL;
  ConvokeTopologyEntryFunc entry = NULL;
  const ConvokeTopologyModule *vtable;

  g_return_val_if_fail (path != NULL, NULL);

  /* A bare file name would make dlopen() search the library path instead of
   * opening the file we were given. */
  abs_path = g_canonicalize_filename (path, NULL);

  if (!g_file_test (abs_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_NOT_FOUND,
                   _("%s: no such module file"), abs_path);
      return NULL;
    }

  /* dlopen() of a truncated file dies of SIGBUS rather than failing, so
   * the file must prove whole first (module-file.c). */
  if (!convoke_module_file_check (abs_path, error))
    return NULL;

  module = g_new0 (ConvokeLoadedModule, 1);
  module->path = g_steal_pointer (&abs_path);

  /* LOCAL keeps one module's symbols from resolving another's; no LAZY so
   * that a missing symbol is an error now rather than a crash mid-call. */
  module->gmodule = g_module_open_full (module->path, G_MODULE_BIND_LOCAL, &local_error);
  if (module->gmodule == NULL)
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_OPEN,
                   _("%s: cannot be loaded as a shared object: %s"), module->path,
                   strip_path_prefix (local_error->message, module->path));
      return NULL;
    }

  if (!g_module_symbol (module->gmodule, CONVOKE_TOPOLOGY_ENTRY_SYMBOL,
                        (gpointer *) &entry)
      || entry == NULL)
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_NO_ENTRY,
                   _("%s: not a Convoke topology module: it does not export %s()"),
                   module->path, CONVOKE_TOPOLOGY_ENTRY_SYMBOL);
      return NULL;
    }

  vtable = entry ();
  if (vtable == NULL)
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_INVALID,
                   _("%s: %s() returned no module descriptor"), module->path,
                   CONVOKE_TOPOLOGY_ENTRY_SYMBOL);
      return NULL;
    }

  if (!check_descriptor (vtable, module->path, error))
    return NULL;

  /* Modules may register GTypes or hand out pointers to their static data
   * (quarks, interned strings); unmapping them would leave those dangling,
   * so an accepted module stays mapped for the life of the process. */
  g_module_make_resident (module->gmodule);

  module->vtable = vtable;
  module->name = g_strdup (vtable->name);
  return g_steal_pointer (&module);
}

ConvokeModuleSet *
convoke_module_set_new (const ConvokeCoreApi *core)
{
  ConvokeModuleSet *set = g_new0 (ConvokeModuleSet, 1);

  set->core = core;
  set->modules
      = g_ptr_array_new_with_free_func ((GDestroyNotify) convoke_loaded_module_free);
  set->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return set;
}

void
convoke_module_set_free (ConvokeModuleSet *set)
{
  if (set == NULL)
    return;

  /* Later modules may rely on earlier ones having been set up first, so
   * tear down in the opposite order. */
  for (guint i = set->modules->len; i > 0; i--)
    {
      ConvokeLoadedModule *module = g_ptr_array_index (set->modules, i - 1);

      if (module->vtable->module_shutdown != NULL)
        module->vtable->module_shutdown ();
    }

  g_hash_table_unref (set->by_name);
  g_ptr_array_unref (set->modules);
  g_free (set);
}

/* Opens @path and runs module_init(); on success the set owns the module. */
static const ConvokeLoadedModule *
module_set_add_file (ConvokeModuleSet *set, const char *path, GError **error)
{
  g_autoptr (ConvokeLoadedModule) module = NULL;
  g_autoptr (GError) init_error = NULL;
  const ConvokeLoadedModule *existing;

  module = convoke_module_open (path, error);
  if (module == NULL)
    return NULL;

  existing = g_hash_table_lookup (set->by_name, module->name);
  if (existing != NULL)
    {
      /* The same file reached twice (load_dir, then require from the same
       * dir) is not an error; two files claiming one name are. */
      if (strcmp (existing->path, module->path) == 0)
        return existing;
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_INVALID,
                   _("%s: module “%s” is already loaded from %s"), module->path,
                   module->name, existing->path);
      return NULL;
    }

  if (!module->vtable->module_init (set->core, &init_error))
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_INIT_FAILED,
                   _("%s: module “%s” refused to start: %s"), module->path, module->name,
                   init_error ? init_error->message : _("module_init() gave no reason"));
      return NULL;
    }

  g_hash_table_insert (set->by_name, module->name, module);
  g_ptr_array_add (set->modules, module);
  return g_steal_pointer (&module);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

void
convoke_module_set_load_dir (ConvokeModuleSet *set, const char *dir, GPtrArray *refusals)
{
  g_autoptr (GDir) gdir = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) file_names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  g_return_if_fail (set != NULL);
  g_return_if_fail (dir != NULL);

  gdir = g_dir_open (dir, 0, &error);
  if (gdir == NULL)
    {
      GError *refusal = g_error_new (CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_NOT_FOUND,
                                     _("module directory %s cannot be read: %s"), dir,
                                     error->message);

      g_warning ("%s", refusal->message);
      if (refusals != NULL)
        g_ptr_array_add (refusals, refusal);
      else
        g_error_free (refusal);
      return;
    }

  while ((entry = g_dir_read_name (gdir)) != NULL)
    {
      g_autofree char *name = module_name_from_file_name (entry);

      if (name != NULL)
        g_ptr_array_add (file_names, g_strdup (entry));
    }
  /* Directory order is arbitrary; loading in name order makes logs and
   * module_init() order the same on every start. */
  g_ptr_array_sort (file_names, compare_strings);

  for (guint i = 0; i < file_names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, file_names->pdata[i], NULL);
      GError *refusal = NULL;

      if (module_set_add_file (set, path, &refusal) != NULL)
        continue;

      g_warning ("%s", refusal->message);
      if (refusals != NULL)
        g_ptr_array_add (refusals, refusal);
      else
        g_error_free (refusal);
    }
}

const ConvokeLoadedModule *
convoke_module_set_require (ConvokeModuleSet *set, const char *dir, const char *name,
                            GError **error)
{
  const ConvokeLoadedModule *module;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (set != NULL, NULL);
  g_return_val_if_fail (dir != NULL, NULL);

  if (!module_name_is_valid (name))
    {
      g_set_error (
          error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_NOT_FOUND,
          _("module name “%s” is not valid: use 1 to 64 letters, digits, “-” or "
            "“_”"),
          name ? name : "(null)");
      return NULL;
    }

  module = convoke_module_set_lookup (set, name);
  if (module != NULL)
    return module;

  file_name = convoke_module_file_name (name);
  path = g_build_filename (dir, file_name, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_NOT_FOUND,
                   _("no topology module “%s”: %s does not exist"), name, path);
      return NULL;
    }

  return module_set_add_file (set, path, error);
}

const ConvokeLoadedModule *
convoke_module_set_lookup (ConvokeModuleSet *set, const char *name)
{
  g_return_val_if_fail (set != NULL, NULL);

  if (name == NULL)
    return NULL;
  return g_hash_table_lookup (set->by_name, name);
}

char **
convoke_module_set_list (ConvokeModuleSet *set)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  g_return_val_if_fail (set != NULL, NULL);

  for (guint i = 0; i < set->modules->len; i++)
    {
      ConvokeLoadedModule *module = g_ptr_array_index (set->modules, i);

      g_ptr_array_add (names, module->name);
    }
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    g_strv_builder_add (builder, names->pdata[i]);
  return g_strv_builder_end (builder);
}
