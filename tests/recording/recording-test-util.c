/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "recording-test-util.h"

#include <gio/gio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "recording-crypt.h"
#include "test-daemon.h"

/* A deadline, as a base figure: scaled by the suite's one knob. */
#define READ_TIMEOUT ((GstClockTime) test_scaled_ms (30000) * GST_MSECOND)

static void
write_pem (const char *path, EVP_PKEY *key, gboolean private)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long size;
  g_autoptr (GError) error = NULL;

  if (private)
    g_assert_cmpint (PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL), ==,
                     1);
  else
    g_assert_cmpint (PEM_write_bio_PUBKEY (bio, key), ==, 1);
  size = BIO_get_mem_data (bio, &data);
  g_assert_true (g_file_set_contents_full (path, data, size, G_FILE_SET_CONTENTS_NONE,
                                           0600, &error));
  g_assert_no_error (error);
  BIO_free (bio);
}

char *
recording_test_make_keys (const char *dir, const char *name, guint bits,
                          char **public_path)
{
  EVP_PKEY *key = EVP_RSA_gen (bits);
  g_autofree char *private_name = g_strconcat (name, ".pem", NULL);
  g_autofree char *public_name = g_strconcat (name, ".pub.pem", NULL);
  char *private_path = g_build_filename (dir, private_name, NULL);

  g_assert_nonnull (key);
  *public_path = g_build_filename (dir, public_name, NULL);
  write_pem (private_path, key, TRUE);
  write_pem (*public_path, key, FALSE);
  EVP_PKEY_free (key);
  return private_path;
}

void
recording_info_clear (RecordingInfo *info)
{
  g_clear_pointer (&info->media_type, g_free);
  g_clear_pointer (&info->error, g_free);
}

typedef struct
{
  RecordingInfo *info;
  GstElement *sink;
  gboolean decoding;
  GstClockTime last_end;
} ReadPass;

static void
on_handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer user_data)
{
  ReadPass *pass = user_data;
  RecordingInfo *info = pass->info;
  GstClockTime pts = GST_BUFFER_PTS (buffer);

  if (pass->decoding)
    {
      info->decoded++;
      return;
    }
  if (info->buffers++ == 0)
    {
      g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

      info->media_type
          = g_strdup (gst_structure_get_name (gst_caps_get_structure (caps, 0)));
      info->first_pts = pts;
      info->first_is_keyframe
          = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    }
  if (GST_CLOCK_TIME_IS_VALID (pts))
    {
      GstClockTime end
          = pts
            + (GST_BUFFER_DURATION_IS_VALID (buffer) ? GST_BUFFER_DURATION (buffer) : 0);

      if (!GST_CLOCK_TIME_IS_VALID (pass->last_end) || end > pass->last_end)
        pass->last_end = end;
    }
}

static void
on_pad_added (GstElement *element, GstPad *pad, gpointer user_data)
{
  GstElement *next = user_data;
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (next, "sink");

  if (!gst_pad_is_linked (sink_pad))
    gst_pad_link (pad, sink_pad);
}

static void
run_pass (const char *path, ReadPass *pass)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;
  GstElement *source = gst_element_factory_make ("filesrc", NULL);
  GstElement *demuxer = gst_element_factory_make ("matroskademux", NULL);
  GstElement *decoder
      = pass->decoding ? gst_element_factory_make ("decodebin", NULL) : NULL;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_assert_nonnull (source);
  g_assert_nonnull (demuxer);
  g_assert_nonnull (sink);
  g_object_set (source, "location", path, NULL);
  g_object_set (sink, "signal-handoffs", TRUE, "sync", FALSE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), pass);
  gst_bin_add_many (GST_BIN (pipeline), source, demuxer, sink, NULL);
  g_assert_true (gst_element_link (source, demuxer));
  if (decoder != NULL)
    {
      gst_bin_add (GST_BIN (pipeline), decoder);
      g_signal_connect (demuxer, "pad-added", G_CALLBACK (on_pad_added), decoder);
      g_signal_connect (decoder, "pad-added", G_CALLBACK (on_pad_added), sink);
    }
  else
    g_signal_connect (demuxer, "pad-added", G_CALLBACK (on_pad_added), sink);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, READ_TIMEOUT,
                                        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (message == NULL)
    pass->info->error = g_strdup_printf ("reading %s timed out", path);
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR && pass->info->error == NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *debug = NULL;

      gst_message_parse_error (message, &error, &debug);
      pass->info->error = g_strdup_printf ("%s (%s)", error->message, debug);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

void
recording_test_read (const char *path, RecordingInfo *info)
{
  ReadPass demux = { info, NULL, FALSE, GST_CLOCK_TIME_NONE };
  ReadPass decode = { info, NULL, TRUE, GST_CLOCK_TIME_NONE };

  memset (info, 0, sizeof *info);
  info->first_pts = GST_CLOCK_TIME_NONE;
  run_pass (path, &demux);
  if (info->buffers > 0 && GST_CLOCK_TIME_IS_VALID (info->first_pts)
      && GST_CLOCK_TIME_IS_VALID (demux.last_end))
    info->duration = demux.last_end - info->first_pts;
  run_pass (path, &decode);
}

char *
recording_test_decrypt (const char *path, const char *private_key, GError **error)
{
  g_autoptr (ConvokeRecordingKey) key
      = convoke_recording_key_load_private (private_key, error);
  g_autofree char *out_path = g_strconcat (path, ".decrypted", NULL);
  g_autoptr (GFile) in_file = g_file_new_for_path (path);
  g_autoptr (GFile) out_file = g_file_new_for_path (out_path);
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GOutputStream) out = NULL;

  if (key == NULL)
    return NULL;
  in = G_INPUT_STREAM (g_file_read (in_file, NULL, error));
  if (in == NULL)
    return NULL;
  out = G_OUTPUT_STREAM (
      g_file_replace (out_file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL));
  g_assert_nonnull (out);
  convoke_recording_decrypt (key, in, out, path, NULL, NULL, error);
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_steal_pointer (&out_path);
}

gboolean
recording_test_contains (GBytes *haystack, const char *needle)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (haystack, &size);

  return memmem (data, size, needle, strlen (needle)) != NULL;
}
