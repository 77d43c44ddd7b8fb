/* The ConvokeCoreApi table that the daemon hands to every topology
 * module's module_init(): the only way a module reaches rooms,
 * participants and media workers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <convoke/topology.h>

G_BEGIN_DECLS

/* The daemon's table; static, never freed. Pass it to
 * convoke_module_set_new(). */
const ConvokeCoreApi *convoke_core_api_get (void);

G_END_DECLS
