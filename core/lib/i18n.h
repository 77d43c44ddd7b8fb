/* gettext for every user-visible string. Include this, never <libintl.h>.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "build-config.h"
#include <glib/gi18n-lib.h>

/* Binds the "convoke" text domain; call once at the start of main(). */
void convoke_i18n_init (void);
