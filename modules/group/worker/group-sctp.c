/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-sctp.h"

#include <gst/sctp/sctpreceivemeta.h>
#include <gst/sctp/sctpsendmeta.h>

#include <stdio.h>

GST_DEBUG_CATEGORY_STATIC (group_sctp_debug);
#define GST_CAT_DEFAULT group_sctp_debug

/* The highest stream id used: sctpassociation.c asks usrsctp for 1024
 * streams each way. */
#define MAX_STREAM 1023

typedef enum
{
  STREAM_REMOTE = 1, /* the participant opened it */
  STREAM_OURS = 2,
  STREAM_REFUSED = 3, /* the participant's, over the limit: its messages are dropped */
} StreamOwner;

struct _GroupSctp
{
  GstBin parent;

  GMainContext *context;
  GstElement *dec;
  GstElement *enc;
  gboolean started; /* main context */
  gint connected;   /* atomic */
  gint shut_down;   /* atomic */
  guint next_stream;

  /* Stream id → StreamOwner, for the streams that are open. */
  GMutex lock;
  GHashTable *streams;

  GThreadPool *sender;
  gint queued; /* atomic: bytes waiting for the sender */
  guint64 dropped;
  /* Sender thread only: stream id → sctpenc request pad. */
  GHashTable *enc_pads;
};

G_DEFINE_FINAL_TYPE (GroupSctp, group_sctp, GST_TYPE_BIN)

enum
{
  SIGNAL_CONNECTED,
  SIGNAL_CHANNEL_OPENED,
  SIGNAL_CHANNEL_CLOSED,
  SIGNAL_MESSAGE,
  SIGNAL_FAILED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* sctpenc and sctpdec find their association by a process-wide id. */
static gint last_association_id;

/* ---- What the sender thread does ---- */

typedef enum
{
  OP_SEND,
  OP_CLOSE,
} OpType;

typedef struct
{
  OpType type;
  guint stream;
  guint32 ppid;
  gboolean ordered;
  GstSctpSendMetaPartiallyReliability pr;
  guint32 pr_param;
  GBytes *payload;
} SendOp;

static void
send_op_free (SendOp *op)
{
  g_clear_pointer (&op->payload, g_bytes_unref);
  g_free (op);
}

static GstPad *
sender_get_pad (GroupSctp *self, guint stream)
{
  GstPad *pad = g_hash_table_lookup (self->enc_pads, GUINT_TO_POINTER (stream));
  g_autofree char *name = NULL;

  if (pad != NULL)
    return pad;
  name = g_strdup_printf ("sink_%u", stream);
  /* NULL until the association is up; nothing is queued before that. */
  pad = gst_element_request_pad_simple (self->enc, name);
  if (pad != NULL)
    {
      GstSegment segment;

      /* Buffers are chained in directly, with no upstream element: the
       * pad gets the sticky events one would have sent first (sctpenc
       * ignores them; GStreamer warns of data flow without them). */
      gst_segment_init (&segment, GST_FORMAT_BYTES);
      gst_pad_send_event (pad, gst_event_new_stream_start (name));
      gst_pad_send_event (pad, gst_event_new_segment (&segment));
      g_hash_table_insert (self->enc_pads, GUINT_TO_POINTER (stream), pad);
    }
  return pad;
}

static void
sender_run (gpointer data, gpointer user_data)
{
  SendOp *op = data;
  GroupSctp *self = user_data;
  gsize size = op->payload ? g_bytes_get_size (op->payload) : 0;
  GstPad *pad;

  if (g_atomic_int_get (&self->shut_down))
    goto out;
  if (op->type == OP_CLOSE)
    {
      pad = g_hash_table_lookup (self->enc_pads, GUINT_TO_POINTER (op->stream));
      if (pad != NULL)
        {
          /* sctpenc resets the outgoing stream (RFC 8831 section 6.7). */
          gst_element_release_request_pad (self->enc, pad);
          g_hash_table_remove (self->enc_pads, GUINT_TO_POINTER (op->stream));
        }
      else
        g_signal_emit_by_name (self->dec, "reset-stream", op->stream);
      goto out;
    }

  pad = sender_get_pad (self, op->stream);
  if (pad == NULL)
    GST_WARNING_OBJECT (self, "no SCTP stream %u: message dropped", op->stream);
  else
    {
      GstBuffer *buffer = gst_buffer_new_wrapped_bytes (op->payload);
      GstFlowReturn flow;

      gst_sctp_buffer_add_send_meta (buffer, op->ppid, op->ordered, op->pr, op->pr_param);
      flow = gst_pad_chain (pad, buffer);
      if (flow != GST_FLOW_OK)
        GST_DEBUG_OBJECT (self, "stream %u: %s", op->stream, gst_flow_get_name (flow));
    }
out:
  g_atomic_int_add (&self->queued, -(gint) size);
  send_op_free (op);
}

/* Waits for what is queued to be done (or dropped, once shut down). */
static void
stop_sender (GroupSctp *self)
{
  GThreadPool *sender;

  GST_OBJECT_LOCK (self);
  sender = g_steal_pointer (&self->sender);
  GST_OBJECT_UNLOCK (self);
  if (sender != NULL)
    g_thread_pool_free (sender, FALSE, TRUE);
}

static gboolean
queue_op (GroupSctp *self, SendOp *op)
{
  gsize size = op->payload ? g_bytes_get_size (op->payload) : 0;

  if (op->type == OP_SEND
      && g_atomic_int_get (&self->queued) + (gint) size > GROUP_SCTP_MAX_QUEUED)
    {
      self->dropped++;
      GST_WARNING_OBJECT (self,
                          "%d bytes wait for the participant already: a message "
                          "of %" G_GSIZE_FORMAT " bytes dropped",
                          g_atomic_int_get (&self->queued), size);
      send_op_free (op);
      return FALSE;
    }
  GST_OBJECT_LOCK (self);
  if (self->sender == NULL)
    {
      GST_OBJECT_UNLOCK (self);
      send_op_free (op);
      return FALSE;
    }
  g_atomic_int_add (&self->queued, (gint) size);
  g_thread_pool_push (self->sender, op, NULL);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static SendOp *
send_op_new (guint stream, guint32 ppid, GBytes *payload)
{
  SendOp *op = g_new0 (SendOp, 1);

  op->type = OP_SEND;
  op->stream = stream;
  op->ppid = ppid;
  op->ordered = TRUE;
  op->pr = GST_SCTP_SEND_META_PARTIAL_RELIABILITY_NONE;
  op->payload = payload;
  return op;
}

static SendOp *
close_op_new (guint stream)
{
  SendOp *op = g_new0 (SendOp, 1);

  op->type = OP_CLOSE;
  op->stream = stream;
  return op;
}

/* ---- Delivery on the main context ---- */

typedef struct
{
  GroupSctp *self;
  guint signal;
  guint stream;
  gboolean binary;
  GBytes *payload;
  GroupDataChannelInfo *info;
  char *text;
} Delivery;

static gboolean
deliver_on_context (gpointer data)
{
  Delivery *delivery = data;
  GroupSctp *self = delivery->self;

  if (g_atomic_int_get (&self->shut_down))
    return G_SOURCE_REMOVE;
  switch (delivery->signal)
    {
    case SIGNAL_CONNECTED:
      g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
      break;
    case SIGNAL_CHANNEL_OPENED:
      g_signal_emit (self, signals[SIGNAL_CHANNEL_OPENED], 0, delivery->stream,
                     delivery->info);
      break;
    case SIGNAL_CHANNEL_CLOSED:
      g_signal_emit (self, signals[SIGNAL_CHANNEL_CLOSED], 0, delivery->stream);
      break;
    case SIGNAL_MESSAGE:
      g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, delivery->stream, delivery->binary,
                     delivery->payload);
      break;
    case SIGNAL_FAILED:
      g_signal_emit (self, signals[SIGNAL_FAILED], 0, delivery->text);
      break;
    default:
      g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  gst_object_unref (delivery->self);
  g_clear_pointer (&delivery->payload, g_bytes_unref);
  group_data_channel_info_free (delivery->info);
  g_free (delivery->text);
  g_free (delivery);
}

/* Takes @payload, @info and @text. From any thread; in the order asked. */
static void
deliver (GroupSctp *self, guint signal, guint stream, gboolean binary, GBytes *payload,
         GroupDataChannelInfo *info, char *text)
{
  Delivery *delivery = g_new0 (Delivery, 1);

  delivery->self = gst_object_ref (self);
  delivery->signal = signal;
  delivery->stream = stream;
  delivery->binary = binary;
  delivery->payload = payload;
  delivery->info = info;
  delivery->text = text;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, deliver_on_context,
                              delivery, delivery_free);
}

/* ---- What the participant sends (sctpdec's streaming threads) ---- */

static void
receive_dcep (GroupSctp *self, guint stream, const guint8 *data, gsize size)
{
  g_autoptr (GroupDataChannelInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  StreamOwner owner;
  guint open;

  switch (group_dcep_parse (data, size, &info, &error))
    {
    case GROUP_DCEP_MESSAGE_ACK:
      return; /* our channels are usable before it (RFC 8832 section 6) */
    case GROUP_DCEP_MESSAGE_INVALID:
      GST_INFO_OBJECT (self, "stream %u: %s; the stream is closed", stream,
                       error->message);
      queue_op (self, close_op_new (stream));
      return;
    case GROUP_DCEP_MESSAGE_OPEN:
      break;
    }

  g_mutex_lock (&self->lock);
  open = g_hash_table_size (self->streams);
  owner = g_hash_table_contains (self->streams, GUINT_TO_POINTER (stream))
              ? STREAM_REFUSED
          : open >= GROUP_SCTP_MAX_CHANNELS ? STREAM_REFUSED
                                            : STREAM_REMOTE;
  if (owner == STREAM_REMOTE)
    g_hash_table_insert (self->streams, GUINT_TO_POINTER (stream),
                         GUINT_TO_POINTER (owner));
  g_mutex_unlock (&self->lock);

  if (owner == STREAM_REFUSED)
    {
      GST_INFO_OBJECT (self,
                       "stream %u: a second open, or %u channels open already; "
                       "refused",
                       stream, open);
      queue_op (self, close_op_new (stream));
      return;
    }
  GST_DEBUG_OBJECT (self, "stream %u: channel “%s” (protocol “%s”, type 0x%02x) opened",
                    stream, info->label, info->protocol, info->channel_type);
  queue_op (self, send_op_new (stream, GROUP_PPID_DCEP, group_dcep_write_ack ()));
  deliver (self, SIGNAL_CHANNEL_OPENED, stream, FALSE, NULL, g_steal_pointer (&info),
           NULL);
}

static GstPadProbeReturn
on_stream_buffer (GstPad *pad, GstPadProbeInfo *probe_info, gpointer user_data)
{
  GroupSctp *self = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (probe_info);
  GstSctpReceiveMeta *meta = gst_sctp_buffer_get_receive_meta (buffer);
  guint stream
      = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (pad), "group-sctp-stream"));
  StreamOwner owner;
  GstMapInfo map;

  if (meta == NULL || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_PAD_PROBE_DROP;
  if (meta->ppid == GROUP_PPID_DCEP)
    {
      receive_dcep (self, stream, map.data, map.size);
      gst_buffer_unmap (buffer, &map);
      return GST_PAD_PROBE_DROP;
    }

  g_mutex_lock (&self->lock);
  owner
      = GPOINTER_TO_UINT (g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream)));
  g_mutex_unlock (&self->lock);
  switch (owner == STREAM_REFUSED ? 0 : meta->ppid)
    {
    case GROUP_PPID_STRING:
    case GROUP_PPID_BINARY:
      deliver (self, SIGNAL_MESSAGE, stream, meta->ppid == GROUP_PPID_BINARY,
               g_bytes_new (map.data, map.size), NULL, NULL);
      break;
    case GROUP_PPID_STRING_EMPTY:
    case GROUP_PPID_BINARY_EMPTY:
      /* RFC 8831 section 6.6: an empty message is one byte, to be ignored. */
      deliver (self, SIGNAL_MESSAGE, stream, meta->ppid == GROUP_PPID_BINARY_EMPTY,
               g_bytes_new (NULL, 0), NULL, NULL);
      break;
    default:
      GST_LOG_OBJECT (self, "stream %u: PPID %u dropped", stream, meta->ppid);
      break;
    }
  gst_buffer_unmap (buffer, &map);
  return GST_PAD_PROBE_DROP;
}

/* sctpdec makes a pad per stream, as data arrives on it. Its messages are
 * taken in a probe and never reach the (unlinked) pad's peer: no element
 * per stream, and sctpdec treats the drop as a successful push. */
static void
on_dec_pad_added (GstElement *dec, GstPad *pad, gpointer user_data)
{
  GroupSctp *self = user_data;
  guint stream;

  if (sscanf (GST_PAD_NAME (pad), "src_%u", &stream) != 1)
    return;
  g_object_set_data (G_OBJECT (pad), "group-sctp-stream", GUINT_TO_POINTER (stream));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_stream_buffer, self, NULL);
}

/* The participant reset a stream: the channel on it is closed, whoever
 * opened it. */
static void
on_dec_pad_removed (GstElement *dec, GstPad *pad, gpointer user_data)
{
  GroupSctp *self = user_data;
  guint stream;
  gboolean known;

  if (sscanf (GST_PAD_NAME (pad), "src_%u", &stream) != 1)
    return;
  g_mutex_lock (&self->lock);
  known = g_hash_table_remove (self->streams, GUINT_TO_POINTER (stream));
  g_mutex_unlock (&self->lock);
  if (known)
    deliver (self, SIGNAL_CHANNEL_CLOSED, stream, FALSE, NULL, NULL, NULL);
}

static void
on_association_established (GstElement *enc, gboolean established, gpointer user_data)
{
  GroupSctp *self = user_data;

  g_atomic_int_set (&self->connected, established);
  GST_DEBUG_OBJECT (self, "association %s", established ? "up" : "down");
  if (established)
    deliver (self, SIGNAL_CONNECTED, 0, FALSE, NULL, NULL, NULL);
}

static void
group_sctp_handle_message (GstBin *bin, GstMessage *message)
{
  GroupSctp *self = GROUP_SCTP (bin);

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) error = NULL;

      gst_message_parse_error (message, &error, NULL);
      GST_WARNING_OBJECT (self, "%s", error->message);
      deliver (self, SIGNAL_FAILED, 0, FALSE, NULL, NULL, g_strdup (error->message));
      gst_message_unref (message);
      return;
    }
  GST_BIN_CLASS (group_sctp_parent_class)->handle_message (bin, message);
}

/* ---- API (main context) ---- */

GroupSctp *
group_sctp_new (const char *name, GMainContext *context)
{
  GroupSctp *self = g_object_new (GROUP_TYPE_SCTP, "name", name, NULL);
  guint id = (guint) g_atomic_int_add (&last_association_id, 1) % G_MAXUINT16 + 1;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) src = NULL;

  self->context = g_main_context_ref (context);
  self->dec = gst_element_factory_make ("sctpdec", NULL);
  self->enc = gst_element_factory_make ("sctpenc", NULL);
  if (self->dec == NULL || self->enc == NULL)
    {
      g_clear_pointer (&self->dec, gst_object_unref);
      g_clear_pointer (&self->enc, gst_object_unref);
      gst_object_unref (gst_object_ref_sink (self));
      return NULL;
    }
  g_object_set (self->dec, "sctp-association-id", id, "local-sctp-port", GROUP_SCTP_PORT,
                NULL);
  /* As webrtcbin sets it; per-message reliability comes with each buffer. */
  g_object_set (self->enc, "sctp-association-id", id, "use-sock-stream", TRUE, NULL);
  gst_bin_add_many (GST_BIN (self), self->dec, self->enc, NULL);
  /* sctpenc starts the association as soon as it is PAUSED with a remote
   * port: held back until group_sctp_start(). */
  gst_element_set_locked_state (self->enc, TRUE);
  g_signal_connect (self->dec, "pad-added", G_CALLBACK (on_dec_pad_added), self);
  g_signal_connect (self->dec, "pad-removed", G_CALLBACK (on_dec_pad_removed), self);
  g_signal_connect (self->enc, "sctp-association-established",
                    G_CALLBACK (on_association_established), self);

  sink = gst_element_get_static_pad (self->dec, "sink");
  src = gst_element_get_static_pad (self->enc, "src");
  gst_element_add_pad (GST_ELEMENT (self), gst_ghost_pad_new ("sink", sink));
  gst_element_add_pad (GST_ELEMENT (self), gst_ghost_pad_new ("src", src));
  return self;
}

void
group_sctp_start (GroupSctp *self, guint remote_port, gboolean dtls_client)
{
  if (self->started || g_atomic_int_get (&self->shut_down))
    return;
  self->started = TRUE;
  self->next_stream = dtls_client ? 0 : 1;
  GST_DEBUG_OBJECT (self, "starting towards SCTP port %u as DTLS %s", remote_port,
                    dtls_client ? "client" : "server");
  g_object_set (self->enc, "remote-sctp-port", remote_port, NULL);
  gst_element_set_locked_state (self->enc, FALSE);
  gst_element_sync_state_with_parent (self->enc);
}

gboolean
group_sctp_is_started (GroupSctp *self)
{
  return self->started;
}

gboolean
group_sctp_is_connected (GroupSctp *self)
{
  return g_atomic_int_get (&self->connected);
}

gint
group_sctp_open_channel (GroupSctp *self, const GroupDataChannelInfo *info)
{
  gint stream = -1;

  g_return_val_if_fail (self->started, -1);
  g_mutex_lock (&self->lock);
  if (g_hash_table_size (self->streams) < GROUP_SCTP_MAX_CHANNELS)
    /* Ours have one parity (group_sctp_start), so half the ids are ours. */
    for (guint tries = 0; tries <= MAX_STREAM / 2 && stream < 0; tries++)
      {
        guint candidate = self->next_stream;

        self->next_stream = candidate + 2 > MAX_STREAM ? candidate % 2 : candidate + 2;
        if (!g_hash_table_contains (self->streams, GUINT_TO_POINTER (candidate)))
          {
            g_hash_table_insert (self->streams, GUINT_TO_POINTER (candidate),
                                 GUINT_TO_POINTER (STREAM_OURS));
            stream = (gint) candidate;
          }
      }
  g_mutex_unlock (&self->lock);
  if (stream < 0)
    return -1;
  queue_op (self,
            send_op_new ((guint) stream, GROUP_PPID_DCEP, group_dcep_write_open (info)));
  return stream;
}

void
group_sctp_close_channel (GroupSctp *self, guint stream)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->streams, GUINT_TO_POINTER (stream));
  g_mutex_unlock (&self->lock);
  queue_op (self, close_op_new (stream));
}

gboolean
group_sctp_send (GroupSctp *self, guint stream, const GroupDataChannelInfo *info,
                 gboolean binary, GBytes *payload)
{
  gsize size = g_bytes_get_size (payload);
  SendOp *op;

  if (size == 0)
    {
      static const guint8 empty[] = { 0 };

      op = send_op_new (stream,
                        binary ? GROUP_PPID_BINARY_EMPTY : GROUP_PPID_STRING_EMPTY,
                        g_bytes_new_static (empty, sizeof (empty)));
    }
  else
    op = send_op_new (stream, binary ? GROUP_PPID_BINARY : GROUP_PPID_STRING,
                      g_bytes_ref (payload));
  op->ordered = group_data_channel_info_ordered (info);
  switch (info->channel_type & ~GROUP_DCEP_UNORDERED)
    {
    case GROUP_DCEP_PARTIAL_RELIABLE_REXMIT:
      op->pr = GST_SCTP_SEND_META_PARTIAL_RELIABILITY_RTX;
      op->pr_param = info->reliability;
      break;
    case GROUP_DCEP_PARTIAL_RELIABLE_TIMED:
      op->pr = GST_SCTP_SEND_META_PARTIAL_RELIABILITY_TTL;
      op->pr_param = info->reliability;
      break;
    default:
      break;
    }
  return queue_op (self, op);
}

guint64
group_sctp_get_dropped (GroupSctp *self)
{
  return self->dropped;
}

void
group_sctp_shutdown (GroupSctp *self)
{
  if (g_atomic_int_get (&self->shut_down))
    return;
  g_atomic_int_set (&self->shut_down, TRUE);
  g_signal_handlers_disconnect_by_data (self->dec, self);
  g_signal_handlers_disconnect_by_data (self->enc, self);
  /* Flushing sctpenc wakes a sender waiting for SCTP window. */
  gst_element_set_locked_state (self->enc, FALSE);
  gst_element_set_state (GST_ELEMENT (self), GST_STATE_NULL);
  stop_sender (self);
}

static void
group_sctp_dispose (GObject *object)
{
  GroupSctp *self = GROUP_SCTP (object);

  g_atomic_int_set (&self->shut_down, TRUE);
  stop_sender (self);
  G_OBJECT_CLASS (group_sctp_parent_class)->dispose (object);
}

static void
group_sctp_finalize (GObject *object)
{
  GroupSctp *self = GROUP_SCTP (object);

  g_hash_table_unref (self->streams);
  g_hash_table_unref (self->enc_pads);
  g_mutex_clear (&self->lock);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (group_sctp_parent_class)->finalize (object);
}

static void
group_sctp_init (GroupSctp *self)
{
  g_mutex_init (&self->lock);
  self->streams = g_hash_table_new (NULL, NULL);
  self->enc_pads = g_hash_table_new_full (NULL, NULL, NULL, gst_object_unref);
  /* One thread, so that operations run in the order they were queued. */
  self->sender = g_thread_pool_new (sender_run, self, 1, FALSE, NULL);
}

static void
group_sctp_class_init (GroupSctpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  object_class->dispose = group_sctp_dispose;
  object_class->finalize = group_sctp_finalize;
  bin_class->handle_message = group_sctp_handle_message;

  signals[SIGNAL_CONNECTED]
      = g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CHANNEL_OPENED]
      = g_signal_new ("channel-opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                      NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_POINTER);
  signals[SIGNAL_CHANNEL_CLOSED]
      = g_signal_new ("channel-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                      NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_MESSAGE] = g_signal_new (
      "message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_BOOLEAN, G_TYPE_BYTES);
  signals[SIGNAL_FAILED]
      = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  GST_DEBUG_CATEGORY_INIT (group_sctp_debug, "convokegroupsctp", 0,
                           "Convoke group worker: data channels");
}
