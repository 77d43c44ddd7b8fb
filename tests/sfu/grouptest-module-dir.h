/* For the group tests that run real workers on the "grouptest" module
 * (group-test-module.c) inside a real convoked.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A fresh module dir (test_mkdtemp) holding links to the mesh module (the
 * built-in peer-to-peer and go types need it) and the grouptest module,
 * for convoked --module-dir. Remove it with test_rm_rf. */
char *grouptest_module_dir_new (void);

G_END_DECLS
