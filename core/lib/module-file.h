/* Checks a topology module file before it is loaded.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether @path is a whole ELF shared object of this machine's word size
 * and byte order: every byte range its ELF headers (program and section)
 * name lies within the file. A truncated module would otherwise crash the
 * process with SIGBUS inside dlopen(). On refusal @error is
 * CONVOKE_MODULE_ERROR_OPEN and its message starts with @path.
 *
 * Thread-safe; reads the file with pread(), never maps it. */
gboolean convoke_module_file_check (const char *path, GError **error);

G_END_DECLS
