/* convokecryptsink: a file sink that encrypts as it writes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * SECTION:element-convokecryptsink
 * @title: convokecryptsink
 *
 * Writes the bytes it receives to #GstConvokeCryptSink:location encrypted
 * to the RSA public key in #GstConvokeCryptSink:public-key, in the format
 * of docs/recording.md: a header with a random AES-256-GCM file key
 * wrapped with RSA-OAEP (SHA-256), then sealed chunks of at most
 * #GstConvokeCryptSink:chunk-size bytes, the last one marked final at
 * end of stream. Plaintext never reaches the disk.
 *
 * A chunk is sealed when it is full, and also once its first byte has
 * waited #GstConvokeCryptSink:seal-interval milliseconds, so that a file
 * cut short by a crash still decrypts up to a point close to the crash
 * (`convokectl recordings decrypt` reports it as truncated). A file that
 * never got end of stream lacks its final chunk and reads as truncated
 * too.
 *
 * The file is created with mode 0600 and never overwritten: an existing
 * file is an error. The sink does not seek, so upstream muxers must write
 * a streamable format (matroskamux streamable=true).
 *
 * ## Example
 * |[
 *   gst-launch-1.0 audiotestsrc num-buffers=100 ! opusenc ! matroskamux streamable=true \
 *       ! convokecryptsink location=tone.mka.enc public-key=recording-key.pem
 *   convokectl recordings decrypt --key recording-private.pem tone.mka.enc tone.mka
 * ]|
 */

#include "gstconvokecryptsink.h"

#include <gio/gio.h>

#include "i18n.h"
#include "recording-crypt.h"

GST_DEBUG_CATEGORY_STATIC (gst_convoke_crypt_sink_debug);
#define GST_CAT_DEFAULT gst_convoke_crypt_sink_debug

#define DEFAULT_CHUNK_SIZE CONVOKE_RECORDING_CHUNK_SIZE_DEFAULT
#define DEFAULT_SEAL_INTERVAL 1000 /* ms */

struct _GstConvokeCryptSink
{
  GstBaseSink parent;

  /* Properties, under the object lock. */
  char *location;
  char *public_key;
  guint chunk_size;
  guint seal_interval;

  /* Streaming thread only, between start() and stop(). */
  GOutputStream *out;
  ConvokeRecordingEncryptor *encryptor;
  gint64 pending_since_us; /* 0: nothing waits to be sealed */
};

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_PUBLIC_KEY,
  PROP_CHUNK_SIZE,
  PROP_SEAL_INTERVAL,
};

static GstStaticPadTemplate sink_template
    = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstConvokeCryptSink, gst_convoke_crypt_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (convokecryptsink, "convokecryptsink", GST_RANK_NONE,
                             GST_TYPE_CONVOKE_CRYPT_SINK);

static gboolean
crypt_sink_start (GstBaseSink *sink)
{
  GstConvokeCryptSink *self = GST_CONVOKE_CRYPT_SINK (sink);
  g_autofree char *location = NULL;
  g_autofree char *public_key = NULL;
  g_autoptr (ConvokeRecordingKey) key = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  guint chunk_size;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  public_key = g_strdup (self->public_key);
  chunk_size = self->chunk_size;
  GST_OBJECT_UNLOCK (self);

  if (location == NULL || public_key == NULL)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
                         (_ ("convokecryptsink needs both a location and a public-key")),
                         ("location=%s public-key=%s", GST_STR_NULL (location),
                          GST_STR_NULL (public_key)));
      return FALSE;
    }
  key = convoke_recording_key_load_public (public_key, &error);
  if (key != NULL)
    self->encryptor = convoke_recording_encryptor_new (key, chunk_size, &error);
  if (self->encryptor == NULL)
    {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message), (NULL));
      return FALSE;
    }

  file = g_file_new_for_path (location);
  self->out = G_OUTPUT_STREAM (g_file_create (file, G_FILE_CREATE_PRIVATE, NULL, &error));
  if (self->out == NULL)
    {
      GST_ELEMENT_ERROR (
          self, RESOURCE, OPEN_WRITE,
          (_ ("Cannot create the encrypted recording %s: %s"), location, error->message),
          (NULL));
      g_clear_pointer (&self->encryptor, convoke_recording_encryptor_free);
      return FALSE;
    }
  self->pending_since_us = 0;
  GST_INFO_OBJECT (self, "writing %s encrypted to key %s", location,
                   convoke_recording_key_get_fingerprint (key));
  return TRUE;
}

static gboolean
crypt_sink_stop (GstBaseSink *sink)
{
  GstConvokeCryptSink *self = GST_CONVOKE_CRYPT_SINK (sink);
  g_autoptr (GError) error = NULL;

  /* Stopped without end of stream: the file stays without its final
   * chunk, which is how a reader knows it was not finished. */
  if (self->out != NULL && !g_output_stream_close (self->out, NULL, &error))
    GST_WARNING_OBJECT (self, "closing: %s", error->message);
  g_clear_object (&self->out);
  g_clear_pointer (&self->encryptor, convoke_recording_encryptor_free);
  return TRUE;
}

static GstFlowReturn
crypt_sink_fail_write (GstConvokeCryptSink *self, GError *error)
{
  g_autofree char *location = NULL;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_ERROR (
      self, RESOURCE, WRITE,
      (_ ("Cannot write the encrypted recording %s: %s"), location, error->message),
      (NULL));
  return GST_FLOW_ERROR;
}

static GstFlowReturn
crypt_sink_render (GstBaseSink *sink, GstBuffer *buffer)
{
  GstConvokeCryptSink *self = GST_CONVOKE_CRYPT_SINK (sink);
  g_autoptr (GError) error = NULL;
  gint64 now_us = g_get_monotonic_time ();
  GstMapInfo map;
  gboolean ok;
  guint interval;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL), ("cannot map the buffer"));
      return GST_FLOW_ERROR;
    }
  ok = convoke_recording_encryptor_write (self->encryptor, self->out, map.data, map.size,
                                          &error);
  gst_buffer_unmap (buffer, &map);
  if (!ok)
    return crypt_sink_fail_write (self, error);

  GST_OBJECT_LOCK (self);
  interval = self->seal_interval;
  GST_OBJECT_UNLOCK (self);
  if (convoke_recording_encryptor_get_pending (self->encryptor) == 0)
    self->pending_since_us = 0;
  else if (self->pending_since_us == 0)
    self->pending_since_us = now_us;
  else if (now_us - self->pending_since_us >= (gint64) interval * 1000)
    {
      if (!convoke_recording_encryptor_flush (self->encryptor, self->out, &error))
        return crypt_sink_fail_write (self, error);
      self->pending_since_us = 0;
    }
  return GST_FLOW_OK;
}

static gboolean
crypt_sink_event (GstBaseSink *sink, GstEvent *event)
{
  GstConvokeCryptSink *self = GST_CONVOKE_CRYPT_SINK (sink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->encryptor != NULL)
    {
      g_autoptr (GError) error = NULL;

      if (!convoke_recording_encryptor_finish (self->encryptor, self->out, &error))
        {
          crypt_sink_fail_write (self, error);
          gst_event_unref (event);
          return FALSE;
        }
      GST_DEBUG_OBJECT (self, "final chunk written");
    }
  return GST_BASE_SINK_CLASS (gst_convoke_crypt_sink_parent_class)->event (sink, event);
}

static gboolean
crypt_sink_query (GstBaseSink *sink, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_SEEKING)
    {
      /* Sealed chunks cannot be rewritten; muxers must not come back. */
      gst_query_set_seeking (query, GST_FORMAT_BYTES, FALSE, 0, -1);
      return TRUE;
    }
  return GST_BASE_SINK_CLASS (gst_convoke_crypt_sink_parent_class)->query (sink, query);
}

static void
crypt_sink_set_property (GObject *object, guint prop_id, const GValue *value,
                         GParamSpec *pspec)
{
  GstConvokeCryptSink *self = GST_CONVOKE_CRYPT_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_PUBLIC_KEY:
      g_free (self->public_key);
      self->public_key = g_value_dup_string (value);
      break;
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint (value);
      break;
    case PROP_SEAL_INTERVAL:
      self->seal_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  GST_OBJECT_UNLOCK (self);
}

static void
crypt_sink_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstConvokeCryptSink *self = GST_CONVOKE_CRYPT_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_PUBLIC_KEY:
      g_value_set_string (value, self->public_key);
      break;
    case PROP_CHUNK_SIZE:
      g_value_set_uint (value, self->chunk_size);
      break;
    case PROP_SEAL_INTERVAL:
      g_value_set_uint (value, self->seal_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  GST_OBJECT_UNLOCK (self);
}

static void
crypt_sink_finalize (GObject *object)
{
  GstConvokeCryptSink *self = GST_CONVOKE_CRYPT_SINK (object);

  g_free (self->location);
  g_free (self->public_key);
  G_OBJECT_CLASS (gst_convoke_crypt_sink_parent_class)->finalize (object);
}

static void
gst_convoke_crypt_sink_init (GstConvokeCryptSink *self)
{
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  self->seal_interval = DEFAULT_SEAL_INTERVAL;
  /* A file writer: no clock to wait for, no preroll to hold a live
   * pipeline back. */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
  gst_base_sink_set_async_enabled (GST_BASE_SINK (self), FALSE);
}

static void
gst_convoke_crypt_sink_class_init (GstConvokeCryptSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);

  object_class->set_property = crypt_sink_set_property;
  object_class->get_property = crypt_sink_get_property;
  object_class->finalize = crypt_sink_finalize;

  /**
   * GstConvokeCryptSink:location:
   *
   * The file to create. It must not exist yet.
   */
  g_object_class_install_property (
      object_class, PROP_LOCATION,
      g_param_spec_string (
          "location", "Location", "The file to create (must not exist)", NULL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeCryptSink:public-key:
   *
   * A PEM file with the RSA public key (2048 bits or more,
   * "-----BEGIN PUBLIC KEY-----") that the file key is wrapped to.
   */
  g_object_class_install_property (
      object_class, PROP_PUBLIC_KEY,
      g_param_spec_string (
          "public-key", "Public key", "PEM file of the RSA public key to encrypt to",
          NULL, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeCryptSink:chunk-size:
   *
   * The most plaintext bytes sealed in one chunk.
   */
  g_object_class_install_property (
      object_class, PROP_CHUNK_SIZE,
      g_param_spec_uint (
          "chunk-size", "Chunk size", "Most plaintext bytes per sealed chunk", 1,
          CONVOKE_RECORDING_CHUNK_SIZE_MAX, DEFAULT_CHUNK_SIZE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY | G_PARAM_STATIC_STRINGS));
  /**
   * GstConvokeCryptSink:seal-interval:
   *
   * Milliseconds after which a chunk that is not full is sealed anyway
   * (checked as data arrives). It bounds what a crash can lose; 0 seals
   * after every buffer.
   */
  g_object_class_install_property (
      object_class, PROP_SEAL_INTERVAL,
      g_param_spec_uint (
          "seal-interval", "Seal interval",
          "Milliseconds a partly filled chunk may wait before it is sealed", 0, G_MAXUINT,
          DEFAULT_SEAL_INTERVAL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS));

  sink_class->start = crypt_sink_start;
  sink_class->stop = crypt_sink_stop;
  sink_class->render = crypt_sink_render;
  sink_class->event = crypt_sink_event;
  sink_class->query = crypt_sink_query;

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (
      element_class, "Convoke encrypting file sink", "Sink/File",
      "Writes a stream to a file encrypted to an RSA public key (AES-256-GCM chunks)",
      "The Convoke authors");
  GST_DEBUG_CATEGORY_INIT (gst_convoke_crypt_sink_debug, "convokecryptsink", 0,
                           "Convoke encrypting file sink");
}
