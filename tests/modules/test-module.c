/* One small topology module, built several times by meson.build, each
 * build broken in exactly one way that the loader must refuse (or not
 * broken at all, for "good"). TEST_MODULE_NAME is the name the file is
 * built under.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <convoke/topology.h>

#ifndef TEST_MODULE_NAME
#error "meson.build defines TEST_MODULE_NAME"
#endif

/* Read by the tests through their own g_module_open() of this file, which
 * returns the handle the loader already holds, so they see the same
 * counters the loader's calls changed. */
G_MODULE_EXPORT int test_module_init_calls;
G_MODULE_EXPORT int test_module_shutdown_calls;
G_MODULE_EXPORT const ConvokeCoreApi *test_module_core;

#ifndef TEST_NO_ENTRY
static gboolean
test_module_init (const ConvokeCoreApi *core, GError **error)
{
  test_module_init_calls++;
  test_module_core = core;
#ifdef TEST_INIT_FAILS
  g_set_error (error, CONVOKE_TOPOLOGY_ERROR, 20500, "test module refuses on purpose");
  return FALSE;
#else
  return TRUE;
#endif
}

static void
test_module_shutdown (void)
{
  test_module_shutdown_calls++;
}

#ifndef TEST_NO_ROOM_CREATE
static gboolean
test_room_create (ConvokeRoom *room, gpointer *room_data, GError **error)
{
  return TRUE;
}
#endif

static ConvokeTopologyModule test_module = {
  CONVOKE_TOPOLOGY_MODULE_INIT,
  .name = TEST_MODULE_NAME,
  .description = "loader test module",
#ifdef TEST_CLIENT_TOPOLOGY
  .client_topology = TEST_CLIENT_TOPOLOGY,
#else
  .client_topology = "mesh",
#endif
  .module_init = test_module_init,
  .module_shutdown = test_module_shutdown,
#ifndef TEST_NO_ROOM_CREATE
  .room_create = test_room_create,
#endif
};

CONVOKE_TOPOLOGY_MODULE_EXPORT const ConvokeTopologyModule *
convoke_topology_module_entry (void)
{
#ifdef TEST_ABI_VERSION
  test_module.abi_version = TEST_ABI_VERSION;
#endif
#ifdef TEST_STRUCT_SIZE
  test_module.struct_size = TEST_STRUCT_SIZE;
#endif
  return &test_module;
}
#else
/* Exported, so that the file is a perfectly good shared object whose only
 * flaw is the missing entry point. */
G_MODULE_EXPORT int not_a_topology_module (void);

int
not_a_topology_module (void)
{
  return 1;
}
#endif
