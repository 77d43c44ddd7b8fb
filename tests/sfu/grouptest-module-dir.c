/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "grouptest-module-dir.h"

#include <unistd.h>

#include "test-daemon.h"

char *
grouptest_module_dir_new (void)
{
  char *dir = test_mkdtemp ();
  const char *links[][2] = {
    { g_getenv ("CONVOKE_MODULE_DIR"), "libconvoke-topology-mesh.so" },
    { g_getenv ("GROUP_TEST_MODULE_DIR"), "libconvoke-topology-grouptest.so" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *target = g_build_filename (links[i][0], links[i][1], NULL);
      g_autofree char *link = g_build_filename (dir, links[i][1], NULL);

      g_assert_true (g_file_test (target, G_FILE_TEST_EXISTS));
      g_assert_cmpint (symlink (target, link), ==, 0);
    }
  return dir;
}
