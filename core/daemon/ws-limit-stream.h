/* A GIOStream between a server-side WebSocket and its socket that bounds
 * the size of incoming messages as their frames arrive.
 *
 * libsoup 3.2 checks each frame against max-incoming-payload-size but
 * appends the fragments of a message without any bound, so a client that
 * sends continuation frames without FIN grows the daemon's memory until
 * it dies. This stream reads the frame headers on their way to libsoup
 * and adds up the payload lengths of the current message. When the sum
 * would pass the limit, that frame and every later data frame is read and
 * dropped instead of being passed on (control frames still pass, so the
 * close handshake works), and "too-large" is emitted from the main loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CONVOKE_TYPE_WS_LIMIT_STREAM (convoke_ws_limit_stream_get_type ())
G_DECLARE_FINAL_TYPE (ConvokeWsLimitStream, convoke_ws_limit_stream, CONVOKE,
                      WS_LIMIT_STREAM, GIOStream)

/* Wraps @base (a stream stolen from a SoupServerMessage after the
 * handshake; its input and output must be pollable). Messages whose
 * frames add up to more than @max_message_size bytes are cut off.
 * Signal "too-large" (guint64 bytes announced so far), once.
 * Main thread only. */
ConvokeWsLimitStream *convoke_ws_limit_stream_new (GIOStream *base,
                                                   guint64 max_message_size);

G_END_DECLS
