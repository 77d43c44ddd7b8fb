/* Newline-delimited JSON over a stream socket: the daemon ↔ worker control
 * channel of docs/worker-protocol.md. Both processes use it, so both
 * apply the same framing and limits.
 *
 * Also a bounded line reader, which the daemon uses for the worker's
 * stdout and stderr.
 *
 * Everything runs on the thread-default main context of the caller.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A line longer than this is dropped: neither side may make the other
 * buffer without bound. Pipeline dumps of large rooms stay far below. */
#define CONVOKE_CONTROL_MAX_LINE (16 * 1024 * 1024)

/* Bounded line reader. @line is NUL-terminated without its newline, or
 * NULL once: at EOF (@error NULL) or on a read error. @overflow lines are
 * reported as an error of G_IO_ERROR_MESSAGE_TOO_LARGE and reading goes
 * on with the next line. */
typedef void (*ConvokeLineFunc) (const char *line, const GError *error,
                                 gpointer user_data);

typedef struct _ConvokeLineReader ConvokeLineReader;

/* Starts reading @stream at once. The reader keeps a ref on @stream. */
ConvokeLineReader *convoke_line_reader_new (GInputStream *stream, gsize max_line,
                                            ConvokeLineFunc func, gpointer user_data);
/* Stops reading; @func is not called again. */
void convoke_line_reader_free (ConvokeLineReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeLineReader, convoke_line_reader_free)

#define CONVOKE_TYPE_CONTROL_CHANNEL (convoke_control_channel_get_type ())
G_DECLARE_FINAL_TYPE (ConvokeControlChannel, convoke_control_channel, CONVOKE,
                      CONTROL_CHANNEL, GObject)

/* Signals:
 *   "message" (JsonObject *message)  one parsed line with a string `type`
 *   "closed"  (GError *error)        EOF (error NULL) or a read/write
 *                                    failure; emitted once, nothing after
 */

/* Takes ownership of @fd, a connected stream socket. @peer names the other
 * side in log messages ("worker RM…", "daemon"). */
ConvokeControlChannel *convoke_control_channel_new_from_fd (int fd, const char *peer,
                                                            GError **error);
/* Starts emitting "message"; call once the handlers are connected. */
void convoke_control_channel_start (ConvokeControlChannel *self);
/* Queues @message as one line; writes happen in order, asynchronously.
 * Returns FALSE when the channel is already closed. */
gboolean convoke_control_channel_send (ConvokeControlChannel *self, JsonObject *message);
/* TRUE when nothing is queued or being written (or the channel closed). */
gboolean convoke_control_channel_is_flushed (ConvokeControlChannel *self);
/* Closes the socket at once; queued output is dropped, "closed" is not
 * emitted. */
void convoke_control_channel_close (ConvokeControlChannel *self);

G_END_DECLS
