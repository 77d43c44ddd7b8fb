/* Finds, version-checks and loads topology modules (GModule).
 *
 * A module named NAME lives in the module dir as
 * libconvoke-topology-NAME.so. A file that is not a module, lacks the
 * entry point or was built for another ABI version is refused with an
 * error naming the file; the other modules still load.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gmodule.h>
#include <convoke/topology.h>

G_BEGIN_DECLS

#define CONVOKE_MODULE_ERROR (g_quark_from_static_string ("convoke-module-error"))

typedef enum
{
  CONVOKE_MODULE_ERROR_NOT_FOUND,
  CONVOKE_MODULE_ERROR_OPEN,          /* dlopen failed */
  CONVOKE_MODULE_ERROR_NO_ENTRY,      /* entry point missing */
  CONVOKE_MODULE_ERROR_ABI_MISMATCH,  /* built for another ABI version */
  CONVOKE_MODULE_ERROR_INVALID,       /* descriptor incomplete */
  CONVOKE_MODULE_ERROR_INIT_FAILED,   /* module_init() refused */
} ConvokeModuleErrorCode;

typedef struct
{
  char *name;
  char *path;
  GModule *gmodule;
  const ConvokeTopologyModule *vtable;
} ConvokeLoadedModule;

typedef struct _ConvokeModuleSet ConvokeModuleSet;

/* The file name a module called @name must have. */
char *convoke_module_file_name (const char *name);

/* Loads one module file without initialising it (the worker uses this). */
ConvokeLoadedModule *convoke_module_open (const char *path, GError **error);
void convoke_loaded_module_free (ConvokeLoadedModule *module);

/* A set of loaded and initialised modules, keyed by name. @core is handed
 * to each module's module_init(). */
ConvokeModuleSet *convoke_module_set_new (const ConvokeCoreApi *core);
void convoke_module_set_free (ConvokeModuleSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeModuleSet, convoke_module_set_free)

/* Loads every libconvoke-topology-*.so in @dir. Refusals are logged as
 * warnings (and appended to @refusals, when not NULL, as GError*). */
void convoke_module_set_load_dir (ConvokeModuleSet *set, const char *dir,
                                  GPtrArray *refusals);
/* Loads one module by name from @dir; used for names the config needs. */
const ConvokeLoadedModule *convoke_module_set_require (ConvokeModuleSet *set,
                                                       const char *dir,
                                                       const char *name, GError **error);
const ConvokeLoadedModule *convoke_module_set_lookup (ConvokeModuleSet *set, const char *name);
/* Names of loaded modules, sorted. Free with g_strfreev. */
char **convoke_module_set_list (ConvokeModuleSet *set);

G_END_DECLS
