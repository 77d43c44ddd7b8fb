/* The web client: convoke.js and the demo page, served at "/".
 *
 * Files come from the daemon's GResource (data/web/), or from the
 * [server] web-root directory when the config sets one. docs/javascript.md
 * documents what is served and how.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon.h"

G_BEGIN_DECLS

/* Registers the "/" handler on @server. It answers every path no other
 * handler claims (so it must be registered with the REST and signaling
 * handlers, which take /v1, /healthz, /metrics and /dev/token). The config
 * is read per request, so a reload that changes web-root applies at once. */
void convoke_web_client_register (ConvokeDaemon *daemon, SoupServer *server);

G_END_DECLS
