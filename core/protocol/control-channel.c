/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-control"

#include "control-channel.h"

#include <inttypes.h>
#include <string.h>

#include "i18n.h"
#include "untrusted-text.h"

#define READ_CHUNK 65536
/* Output queued towards a peer that does not read: past this the peer is
 * considered stuck and the channel is closed rather than grow forever. */
#define MAX_QUEUED_OUTPUT (64 * 1024 * 1024)

/* GDataInputStream would do the splitting, but it grows its buffer until
 * it finds a newline, without limit; a worker must not be able to make
 * the daemon do that. So lines are split here, with a cap. */
struct _ConvokeLineReader
{
  grefcount ref; /* the owner's, plus one while a read is in flight */
  GInputStream *stream;
  GCancellable *cancellable;
  GByteArray *pending;
  gsize max_line;
  gboolean discarding; /* inside an overlong line, skipping to its end */
  ConvokeLineFunc func;
  gpointer user_data;
};

static void
line_reader_unref (ConvokeLineReader *reader)
{
  if (!g_ref_count_dec (&reader->ref))
    return;
  g_object_unref (reader->stream);
  g_object_unref (reader->cancellable);
  g_byte_array_unref (reader->pending);
  g_free (reader);
}

/* Returns FALSE when the owner stopped the reader from inside @func. */
static gboolean
line_reader_report_overflow (ConvokeLineReader *reader)
{
  g_autoptr (GError) error = g_error_new (
      G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
      _ ("A line of more than %zu bytes was dropped"), reader->max_line);

  reader->func (NULL, error, reader->user_data);
  return !g_cancellable_is_cancelled (reader->cancellable);
}

/* Returns FALSE when the owner stopped the reader from inside @func. */
static gboolean
line_reader_deliver_lines (ConvokeLineReader *reader)
{
  guint8 *newline;

  while ((newline = memchr (reader->pending->data, '\n', reader->pending->len)) != NULL)
    {
      gsize length = newline - reader->pending->data;

      if (!reader->discarding && length > reader->max_line)
        {
          if (!line_reader_report_overflow (reader))
            return FALSE;
        }
      else if (!reader->discarding)
        {
          g_autofree char *line
              = g_strndup ((const char *) reader->pending->data, length);

          reader->func (line, NULL, reader->user_data);
          if (g_cancellable_is_cancelled (reader->cancellable))
            return FALSE;
        }
      reader->discarding = FALSE;
      g_byte_array_remove_range (reader->pending, 0, length + 1);
    }

  /* No newline in sight and already too long: drop what we have and skip
   * to the end of the line. */
  if (reader->pending->len > reader->max_line)
    {
      g_byte_array_set_size (reader->pending, 0);
      if (!reader->discarding)
        {
          reader->discarding = TRUE;
          if (!line_reader_report_overflow (reader))
            return FALSE;
        }
    }
  return TRUE;
}

static void
line_reader_on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  ConvokeLineReader *reader = user_data; /* the in-flight read's reference */

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (g_cancellable_is_cancelled (reader->cancellable))
    {
      line_reader_unref (reader);
      return;
    }

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      /* A last line without its newline still counts. */
      if (error == NULL && reader->pending->len > 0 && !reader->discarding)
        {
          g_byte_array_append (reader->pending, (const guint8 *) "\n", 1);
          if (!line_reader_deliver_lines (reader))
            {
              line_reader_unref (reader);
              return;
            }
        }
      reader->func (NULL, error, reader->user_data);
      line_reader_unref (reader);
      return;
    }

  g_byte_array_append (reader->pending, g_bytes_get_data (bytes, NULL),
                       g_bytes_get_size (bytes));
  if (!line_reader_deliver_lines (reader))
    {
      line_reader_unref (reader);
      return;
    }
  g_input_stream_read_bytes_async (reader->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   reader->cancellable, line_reader_on_read, reader);
}

ConvokeLineReader *
convoke_line_reader_new (GInputStream *stream, gsize max_line, ConvokeLineFunc func,
                         gpointer user_data)
{
  ConvokeLineReader *reader = g_new0 (ConvokeLineReader, 1);

  g_ref_count_init (&reader->ref);
  reader->stream = g_object_ref (stream);
  reader->cancellable = g_cancellable_new ();
  reader->pending = g_byte_array_new ();
  reader->max_line = max_line;
  reader->func = func;
  reader->user_data = user_data;

  g_ref_count_inc (&reader->ref);
  g_input_stream_read_bytes_async (reader->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   reader->cancellable, line_reader_on_read, reader);
  return reader;
}

void
convoke_line_reader_free (ConvokeLineReader *reader)
{
  if (reader == NULL)
    return;
  /* The read in flight keeps the struct alive until it completes, as
   * cancelled, on a later iteration; this may also run from inside @func. */
  g_cancellable_cancel (reader->cancellable);
  line_reader_unref (reader);
}

struct _ConvokeControlChannel
{
  GObject parent_instance;

  char *peer;
  GSocketConnection *connection;
  ConvokeLineReader *reader;
  GCancellable *cancellable;
  GQueue output;      /* GBytes*, waiting */
  GBytes *in_flight;  /* being written */
  gsize queued_bytes; /* both of the above */
  gboolean started;
  gboolean closed;
};

enum
{
  SIGNAL_MESSAGE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConvokeControlChannel, convoke_control_channel, G_TYPE_OBJECT)

static void
control_channel_shut (ConvokeControlChannel *self)
{
  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->reader, convoke_line_reader_free);
  g_queue_clear_full (&self->output, (GDestroyNotify) g_bytes_unref);
  g_queue_init (&self->output);
  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
}

static void
control_channel_fail (ConvokeControlChannel *self, const GError *error)
{
  G_GNUC_UNUSED g_autoptr (ConvokeControlChannel) hold = g_object_ref (self);

  if (self->closed)
    return;
  control_channel_shut (self);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
}

static void
control_channel_on_line (const char *line, const GError *error, gpointer user_data)
{
  ConvokeControlChannel *self = user_data;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) parse_error = NULL;
  JsonNode *root;
  JsonObject *message;

  if (line == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
        {
          g_warning ("%s: %s", self->peer, error->message);
          return;
        }
      control_channel_fail (self, error);
      return;
    }

  if (*line == '\0')
    return;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, line, -1, &parse_error))
    {
      /* The parser quotes the offending text, which may be huge and not
       * UTF-8 (g_utf8_make_valid's length is the input's, not a cap). */
      g_autofree char *reason = convoke_quote_untrusted (parse_error->message, 200);

      g_warning (_ ("%s sent a control line that is not JSON (%s); dropped"), self->peer,
                 reason);
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || json_object_get_string_member_with_default (json_node_get_object (root), "type",
                                                     NULL)
             == NULL)
    {
      g_warning (_ ("%s sent a control message without a string “type”; dropped"),
                 self->peer);
      return;
    }

  message = json_node_get_object (root);
  {
    G_GNUC_UNUSED g_autoptr (ConvokeControlChannel) hold = g_object_ref (self);

    g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, message);
  }
}

static void control_channel_write_next (ConvokeControlChannel *self);

static void
control_channel_on_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ConvokeControlChannel) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  self->queued_bytes -= MIN (self->queued_bytes, g_bytes_get_size (self->in_flight));
  g_clear_pointer (&self->in_flight, g_bytes_unref);
  if (!ok)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        control_channel_fail (self, error);
      return;
    }
  control_channel_write_next (self);
}

static void
control_channel_write_next (ConvokeControlChannel *self)
{
  GOutputStream *out;

  if (self->closed || self->in_flight != NULL || g_queue_is_empty (&self->output))
    return;

  /* The bytes are ours until the write completes, even if the queue is
   * cleared meanwhile. */
  self->in_flight = g_queue_pop_head (&self->output);
  out = g_io_stream_get_output_stream (G_IO_STREAM (self->connection));
  g_output_stream_write_all_async (out, g_bytes_get_data (self->in_flight, NULL),
                                   g_bytes_get_size (self->in_flight), G_PRIORITY_DEFAULT,
                                   self->cancellable, control_channel_on_written,
                                   g_object_ref (self));
}

static void
convoke_control_channel_dispose (GObject *object)
{
  ConvokeControlChannel *self = CONVOKE_CONTROL_CHANNEL (object);

  if (!self->closed)
    control_channel_shut (self);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (convoke_control_channel_parent_class)->dispose (object);
}

static void
convoke_control_channel_finalize (GObject *object)
{
  ConvokeControlChannel *self = CONVOKE_CONTROL_CHANNEL (object);

  g_queue_clear_full (&self->output, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&self->in_flight, g_bytes_unref);
  g_clear_object (&self->cancellable);
  g_free (self->peer);
  G_OBJECT_CLASS (convoke_control_channel_parent_class)->finalize (object);
}

static void
convoke_control_channel_class_init (ConvokeControlChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = convoke_control_channel_dispose;
  object_class->finalize = convoke_control_channel_finalize;

  signals[SIGNAL_MESSAGE] = g_signal_new (
      "message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_CLOSED] = g_signal_new (
      "closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
convoke_control_channel_init (ConvokeControlChannel *self)
{
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->output);
}

ConvokeControlChannel *
convoke_control_channel_new_from_fd (int fd, const char *peer, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  ConvokeControlChannel *self;

  socket = g_socket_new_from_fd (fd, error);
  if (socket == NULL)
    return NULL;

  self = g_object_new (CONVOKE_TYPE_CONTROL_CHANNEL, NULL);
  self->peer = g_strdup (peer);
  self->connection = g_socket_connection_factory_create_connection (socket);
  return self;
}

void
convoke_control_channel_start (ConvokeControlChannel *self)
{
  GInputStream *in;

  g_return_if_fail (CONVOKE_IS_CONTROL_CHANNEL (self));

  if (self->started || self->closed)
    return;
  self->started = TRUE;
  in = g_io_stream_get_input_stream (G_IO_STREAM (self->connection));
  self->reader = convoke_line_reader_new (in, CONVOKE_CONTROL_MAX_LINE,
                                          control_channel_on_line, self);
}

gboolean
convoke_control_channel_send (ConvokeControlChannel *self, JsonObject *message)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;
  gsize length;

  g_return_val_if_fail (CONVOKE_IS_CONTROL_CHANNEL (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (self->closed)
    return FALSE;

  root = json_node_init_object (json_node_alloc (), message);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);

  if (length + 1 > CONVOKE_CONTROL_MAX_LINE)
    {
      g_warning (_ ("A control message of %zu bytes for %s is over the "
                    "%d-byte line limit; not sent"),
                 length, self->peer, CONVOKE_CONTROL_MAX_LINE);
      return FALSE;
    }

  if (self->queued_bytes + length + 1 > MAX_QUEUED_OUTPUT)
    {
      g_autoptr (GError) error
          = g_error_new (G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                         _ ("%s does not read its control socket: over %d bytes queued"),
                         self->peer, MAX_QUEUED_OUTPUT);

      control_channel_fail (self, error);
      return FALSE;
    }

  text = g_realloc (text, length + 2);
  text[length] = '\n';
  text[length + 1] = '\0';
  g_queue_push_tail (&self->output,
                     g_bytes_new_take (g_steal_pointer (&text), length + 1));
  self->queued_bytes += length + 1;
  control_channel_write_next (self);
  return TRUE;
}

gboolean
convoke_control_channel_is_flushed (ConvokeControlChannel *self)
{
  g_return_val_if_fail (CONVOKE_IS_CONTROL_CHANNEL (self), TRUE);

  return self->closed || (self->in_flight == NULL && g_queue_is_empty (&self->output));
}

void
convoke_control_channel_close (ConvokeControlChannel *self)
{
  g_return_if_fail (CONVOKE_IS_CONTROL_CHANNEL (self));

  if (!self->closed)
    control_channel_shut (self);
}
