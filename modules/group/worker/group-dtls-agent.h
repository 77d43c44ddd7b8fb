/* GStreamer's process-wide DTLS agent, made without a key of its own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Creates the first dtlsdec of the process so that the agent every
 * dtlsdec builds on its creation (GStreamer 1.22, whatever pem it is given
 * later) takes the RSA key of @pem, the room's certificate and key, rather
 * than generating one. Call on the main thread, before any other dtlsdec
 * exists. Returns FALSE, having changed nothing, when @pem holds no
 * RSA-2048 key or the agent exists already; the agent then generates its
 * key as it would have. */
gboolean group_dtls_agent_use_key (const char *pem);

G_END_DECLS
