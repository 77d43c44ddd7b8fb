/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "i18n.h"

#include <locale.h>

void
convoke_i18n_init (void)
{
  const char *dir = g_getenv ("CONVOKE_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* Tests and `meson devenv` point at the build tree's compiled catalogs. */
  bindtextdomain (GETTEXT_PACKAGE, dir ? dir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}
