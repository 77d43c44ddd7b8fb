/* ConvokeDaemon: owns the config, the modules, the room registry and the
 * HTTP listener, and wires the REST API, signaling, status callbacks,
 * metrics and the worker supervisor to them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "config-file.h"
#include "module-loader.h"
#include "room-registry.h"

G_BEGIN_DECLS

#define CONVOKE_TYPE_DAEMON (convoke_daemon_get_type ())
G_DECLARE_FINAL_TYPE (ConvokeDaemon, convoke_daemon, CONVOKE, DAEMON, GObject)

/* @config_path: the file to reload from, or NULL for the embedded default.
 * @module_dir: overrides [modules] dir and $CONVOKE_MODULE_DIR, or NULL. */
ConvokeDaemon *convoke_daemon_new (ConvokeConfig *config, const char *config_path,
                                   const char *module_dir);

/* Turns [server] dev-tokens on whatever the config says, now and after
 * every reload (convoked --dev-tokens, for the local demo). Call before
 * convoke_daemon_start(). */
void convoke_daemon_force_dev_tokens (ConvokeDaemon *self);

/* Loads the modules the config names, binds the listener and starts
 * serving. */
gboolean convoke_daemon_start (ConvokeDaemon *self, GError **error);
/* Ends every room and stops serving. */
void convoke_daemon_stop (ConvokeDaemon *self);

/* Re-reads the config file. An invalid file is refused: @error says why and
 * the old config stays in force. */
gboolean convoke_daemon_reload (ConvokeDaemon *self, GError **error);

/* What a start or a reload would check beyond the file itself, without
 * starting (convoked --check-config): every type's module loads from the
 * module dir (@module_dir_override as in convoke_daemon_new()) and
 * initialises, recording is only on types whose module sees media, and a
 * generated secret only on a loopback listener. The modules are shut down
 * again before it returns. */
gboolean convoke_daemon_check_config (ConvokeConfig *config,
                                      const char *module_dir_override, GError **error);

ConvokeConfig *convoke_daemon_get_config (ConvokeDaemon *self);
ConvokeRoomRegistry *convoke_daemon_get_registry (ConvokeDaemon *self);
SoupServer *convoke_daemon_get_server (ConvokeDaemon *self);
/* The listener in front of the server (http-listener.h); NULL before
 * start and after stop. */
struct _ConvokeHttpListener *convoke_daemon_get_http_listener (ConvokeDaemon *self);
/* "http://127.0.0.1:PORT" (or [server] public-url). */
const char *convoke_daemon_get_base_url (ConvokeDaemon *self);
/* Status callbacks (status-callbacks.h); NULL before start. */
struct _ConvokeStatusCallbacks *convoke_daemon_get_status_callbacks (ConvokeDaemon *self);
/* Cluster mode (cluster.h), or NULL when [cluster] redis is not set. */
struct _ConvokeCluster *convoke_daemon_get_cluster (ConvokeDaemon *self);
/* Counters for /metrics. */
struct _ConvokeMetrics *convoke_daemon_get_metrics (ConvokeDaemon *self);

G_END_DECLS
