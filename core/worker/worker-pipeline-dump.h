/* Renderings of a live pipeline for `dump-pipeline` (docs/worker-protocol.md).
 *
 * Both are redacted: negotiated caps of an SRTP pipeline carry the session
 * keys (srtp-key), and element properties may hold a PEM private key. A
 * graph shown to an operator must not let anyone decrypt the room.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* One line per element (indented by bin depth) and one per pad. */
char *convoke_pipeline_dump_text (GstBin *bin);

/* gst_debug_bin_to_dot_data() with every detail, keys redacted. */
char *convoke_pipeline_dump_dot (GstBin *bin);

G_END_DECLS
