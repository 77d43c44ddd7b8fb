/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ws-limit-stream.h"

#include <string.h>

/* RFC 6455 5.2: 2 bytes, up to 8 of extended length, 4 of mask. */
#define MAX_HEADER 14
#define READ_CHUNK 4096

/* ---- the input side: frames in, limited frames out ---------------------- */

#define LIMIT_TYPE_INPUT (limit_input_get_type ())
G_DECLARE_FINAL_TYPE (LimitInput, limit_input, LIMIT, INPUT, GInputStream)

struct _LimitInput
{
  GInputStream parent_instance;

  GInputStream *base; /* pollable */
  ConvokeWsLimitStream *owner; /* not owned: it owns us */
  guint64 max_message_size;

  guint8 in[READ_CHUNK]; /* read from @base, not yet looked at */
  gsize in_pos, in_len;

  guint8 header[MAX_HEADER];
  gsize header_len;  /* bytes collected */
  gsize header_need; /* bytes this header has, once known */
  gsize header_sent; /* of a complete header being passed on */
  gboolean header_ready;

  guint64 payload_left;
  gboolean dropping; /* the payload being read is not passed on */
  guint64 message_size;
  gboolean tripped;
};

static void limit_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LimitInput, limit_input, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      limit_input_pollable_init))

struct _ConvokeWsLimitStream
{
  GIOStream parent_instance;

  GIOStream *base;
  LimitInput *input;
  guint notify_source;
};

G_DEFINE_FINAL_TYPE (ConvokeWsLimitStream, convoke_ws_limit_stream, G_TYPE_IO_STREAM)

enum
{
  SIGNAL_TOO_LARGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule_too_large (ConvokeWsLimitStream *self);

/* A whole frame header is in: decide whether its payload passes. */
static void
header_complete (LimitInput *self)
{
  guint8 opcode = self->header[0] & 0x0f;
  gboolean fin = (self->header[0] & 0x80) != 0;
  guint8 len7 = self->header[1] & 0x7f;
  guint64 length = len7;

  if (len7 == 126)
    length = ((guint64)self->header[2] << 8) | self->header[3];
  else if (len7 == 127)
    {
      length = 0;
      for (int i = 2; i < 10; i++)
        length = (length << 8) | self->header[i];
    }
  self->payload_left = length;
  self->header_need = 2;

  /* Control frames (opcode 8 and up) are never part of a message. */
  if (opcode >= 8)
    {
      self->dropping = FALSE;
      self->header_ready = TRUE;
      self->header_sent = 0;
      return;
    }
  if (opcode != 0)
    self->message_size = 0;
  if (!self->tripped
      && (length > self->max_message_size
          || self->message_size + length > self->max_message_size))
    {
      self->tripped = TRUE;
      self->message_size = MIN (G_MAXUINT64 - length, self->message_size) + length;
      if (self->owner != NULL)
        schedule_too_large (self->owner);
    }
  if (self->tripped)
    {
      /* libsoup has every frame before this one whole, so dropping whole
       * frames from here on keeps its framing intact. */
      self->dropping = TRUE;
      self->header_len = 0;
      return;
    }
  self->message_size += length;
  if (fin)
    self->message_size = 0;
  self->dropping = FALSE;
  self->header_ready = TRUE;
  self->header_sent = 0;
}

/* Moves what @in holds into @buffer (at most @count bytes), keeping back
 * the header of a frame until it is whole. Returns the bytes written. */
static gsize
process (LimitInput *self, guint8 *buffer, gsize count)
{
  gsize out = 0;

  while (out < count)
    {
      if (self->header_ready)
        {
          gsize n = MIN (self->header_len - self->header_sent, count - out);

          memcpy (buffer + out, self->header + self->header_sent, n);
          out += n;
          self->header_sent += n;
          if (self->header_sent == self->header_len)
            {
              self->header_ready = FALSE;
              self->header_len = 0;
            }
          continue;
        }
      if (self->in_pos == self->in_len)
        break;
      if (self->payload_left > 0)
        {
          gsize n = MIN (self->payload_left, self->in_len - self->in_pos);

          if (!self->dropping)
            {
              n = MIN (n, count - out);
              memcpy (buffer + out, self->in + self->in_pos, n);
              out += n;
            }
          self->in_pos += n;
          self->payload_left -= n;
          continue;
        }
      self->header[self->header_len++] = self->in[self->in_pos++];
      if (self->header_len == 2)
        {
          guint8 len7 = self->header[1] & 0x7f;

          self->header_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0)
                              + ((self->header[1] & 0x80) != 0 ? 4 : 0);
        }
      if (self->header_len >= 2 && self->header_len == self->header_need)
        header_complete (self);
    }
  return out;
}

static gboolean
has_buffered (LimitInput *self)
{
  return self->header_ready || self->in_pos < self->in_len;
}

/* Reads into @in when it is empty and nothing is waiting to be passed on;
 * the result is that of the base read (0: end of stream, -1: error). */
static gssize
fill (LimitInput *self, gboolean blocking, GCancellable *cancellable, GError **error)
{
  gssize n;

  if (blocking)
    n = g_input_stream_read (self->base, self->in, sizeof self->in, cancellable, error);
  else
    n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base),
                                                  self->in, sizeof self->in,
                                                  cancellable, error);
  if (n > 0)
    {
      self->in_pos = 0;
      self->in_len = n;
    }
  return n;
}

static gssize
read_common (LimitInput *self, void *buffer, gsize count, gboolean blocking,
             GCancellable *cancellable, GError **error)
{
  for (;;)
    {
      gsize out;
      gssize n;

      out = process (self, buffer, count);
      if (out > 0 || count == 0)
        return out;
      /* Everything read so far was dropped (or was a partial header). */
      n = fill (self, blocking, cancellable, error);
      if (n <= 0)
        return n;
    }
}

static gssize
limit_input_read (GInputStream *stream, void *buffer, gsize count,
                  GCancellable *cancellable, GError **error)
{
  return read_common (LIMIT_INPUT (stream), buffer, count, TRUE, cancellable, error);
}

static gssize
limit_input_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count,
                              GError **error)
{
  return read_common (LIMIT_INPUT (stream), buffer, count, FALSE, NULL, error);
}

static gboolean
limit_input_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  /* The base is closed with the GIOStream that owns both. */
  return TRUE;
}

static gboolean
limit_input_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
limit_input_is_readable (GPollableInputStream *stream)
{
  LimitInput *self = LIMIT_INPUT (stream);

  return has_buffered (self)
         || g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static GSource *
limit_input_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  LimitInput *self = LIMIT_INPUT (stream);
  GSource *source;

  if (has_buffered (self))
    {
      /* The base will not wake anyone for bytes already read from it. */
      source = g_pollable_source_new_full (stream, NULL, cancellable);
      g_source_set_ready_time (source, 0);
      return source;
    }
  {
    g_autoptr (GSource) base_source = g_pollable_input_stream_create_source (
        G_POLLABLE_INPUT_STREAM (self->base), cancellable);

    return g_pollable_source_new_full (stream, base_source, cancellable);
  }
}

static void
limit_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = limit_input_can_poll;
  iface->is_readable = limit_input_is_readable;
  iface->create_source = limit_input_create_source;
  iface->read_nonblocking = limit_input_read_nonblocking;
}

static void
limit_input_finalize (GObject *object)
{
  g_clear_object (&LIMIT_INPUT (object)->base);
  G_OBJECT_CLASS (limit_input_parent_class)->finalize (object);
}

static void
limit_input_class_init (LimitInputClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = limit_input_finalize;
  stream_class->read_fn = limit_input_read;
  stream_class->close_fn = limit_input_close;
}

static void
limit_input_init (LimitInput *self)
{
  self->header_need = 2;
}

/* ---- the GIOStream -------------------------------------------------------- */

static gboolean
emit_too_large (gpointer data)
{
  ConvokeWsLimitStream *self = data;

  self->notify_source = 0;
  g_signal_emit (self, signals[SIGNAL_TOO_LARGE], 0, self->input->message_size);
  return G_SOURCE_REMOVE;
}

/* From inside libsoup's read loop: the handler runs from the main loop. */
static void
schedule_too_large (ConvokeWsLimitStream *self)
{
  if (self->notify_source == 0)
    self->notify_source = g_idle_add_full (G_PRIORITY_DEFAULT, emit_too_large,
                                           g_object_ref (self), g_object_unref);
}

static GInputStream *
convoke_ws_limit_stream_get_input (GIOStream *stream)
{
  return G_INPUT_STREAM (CONVOKE_WS_LIMIT_STREAM (stream)->input);
}

static GOutputStream *
convoke_ws_limit_stream_get_output (GIOStream *stream)
{
  return g_io_stream_get_output_stream (CONVOKE_WS_LIMIT_STREAM (stream)->base);
}

static gboolean
convoke_ws_limit_stream_close (GIOStream *stream, GCancellable *cancellable,
                               GError **error)
{
  return g_io_stream_close (CONVOKE_WS_LIMIT_STREAM (stream)->base, cancellable, error);
}

static void
base_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* GIOStream's own close_async runs close_fn in a thread; libsoup's
 * streams are not thread-safe, so close the base from this thread. */
static void
convoke_ws_limit_stream_close_async (GIOStream *stream, int io_priority,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_io_stream_close_async (CONVOKE_WS_LIMIT_STREAM (stream)->base, io_priority,
                           cancellable, base_closed, task);
}

static gboolean
convoke_ws_limit_stream_close_finish (GIOStream *stream, GAsyncResult *result,
                                      GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
convoke_ws_limit_stream_dispose (GObject *object)
{
  ConvokeWsLimitStream *self = CONVOKE_WS_LIMIT_STREAM (object);

  g_clear_handle_id (&self->notify_source, g_source_remove);
  if (self->input != NULL)
    self->input->owner = NULL;
  G_OBJECT_CLASS (convoke_ws_limit_stream_parent_class)->dispose (object);
}

static void
convoke_ws_limit_stream_finalize (GObject *object)
{
  ConvokeWsLimitStream *self = CONVOKE_WS_LIMIT_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->base);
  G_OBJECT_CLASS (convoke_ws_limit_stream_parent_class)->finalize (object);
}

static void
convoke_ws_limit_stream_class_init (ConvokeWsLimitStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->dispose = convoke_ws_limit_stream_dispose;
  object_class->finalize = convoke_ws_limit_stream_finalize;
  stream_class->get_input_stream = convoke_ws_limit_stream_get_input;
  stream_class->get_output_stream = convoke_ws_limit_stream_get_output;
  stream_class->close_fn = convoke_ws_limit_stream_close;
  stream_class->close_async = convoke_ws_limit_stream_close_async;
  stream_class->close_finish = convoke_ws_limit_stream_close_finish;

  signals[SIGNAL_TOO_LARGE]
      = g_signal_new ("too-large", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);
}

static void
convoke_ws_limit_stream_init (ConvokeWsLimitStream *self)
{
}

ConvokeWsLimitStream *
convoke_ws_limit_stream_new (GIOStream *base, guint64 max_message_size)
{
  ConvokeWsLimitStream *self;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (base)),
                        NULL);

  self = g_object_new (CONVOKE_TYPE_WS_LIMIT_STREAM, NULL);
  self->base = g_object_ref (base);
  self->input = g_object_new (LIMIT_TYPE_INPUT, NULL);
  self->input->base = g_object_ref (g_io_stream_get_input_stream (base));
  self->input->owner = self;
  self->input->max_message_size = max_message_size;
  return self;
}
