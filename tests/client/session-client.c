/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "session-client.h"

#include "test-daemon.h"

/* ---- a client session and what it reported ----------------------------- */

static void
on_joined (ConvokeClientSession *session, Client *client)
{
  client->joined = TRUE;
}

static void
on_participant_connected (ConvokeClientSession *session, const char *sid,
                          const char *identity, Client *client)
{
  g_ptr_array_add (client->connected, g_strdup (sid));
}

static GstPadProbeReturn
count_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

static void
on_track_added (ConvokeClientSession *session, ConvokeRemoteTrack *track, Client *client)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");
  guint *count = g_new0 (guint, 1);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (client->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, count, NULL);
  g_assert_cmpint (gst_pad_link (convoke_remote_track_get_pad (track), sink_pad), ==,
                   GST_PAD_LINK_OK);
  g_hash_table_insert (client->buffers, g_object_ref (track), count);
  g_ptr_array_add (client->tracks, g_object_ref (track));
}

static void
on_track_removed (ConvokeClientSession *session, ConvokeRemoteTrack *track,
                  Client *client)
{
  g_assert_true (g_ptr_array_remove (client->tracks, track));
  g_ptr_array_add (client->removed, g_object_ref (track));
}

static void
on_warning (ConvokeClientSession *session, GError *error, Client *client)
{
  g_test_message ("warning: %s (%d)", error->message, error->code);
  client->n_warnings++;
}

static void
on_error (ConvokeClientSession *session, GError *error, Client *client)
{
  g_assert_null (client->error);
  g_assert_false (client->closed);
  client->error = g_error_copy (error);
}

static void
on_closed (ConvokeClientSession *session, Client *client)
{
  g_assert_false (client->closed);
  client->closed = TRUE;
}

Client *
client_new (gboolean trickle, gboolean with_tracks)
{
  Client *client = g_new0 (Client, 1);
  const char *local[] = { "127.0.0.1", NULL };

  client->pipeline = GST_PIPELINE (gst_pipeline_new (NULL));
  client->session = convoke_client_session_new (GST_BIN (client->pipeline));
  g_object_set (client->session, "trickle", trickle, "local-addresses", local, NULL);
  client->connected = g_ptr_array_new_with_free_func (g_free);
  client->tracks = g_ptr_array_new_with_free_func (g_object_unref);
  client->removed = g_ptr_array_new_with_free_func (g_object_unref);
  client->buffers = g_hash_table_new_full (NULL, NULL, g_object_unref, g_free);
  g_signal_connect (client->session, "joined", G_CALLBACK (on_joined), client);
  g_signal_connect (client->session, "participant-connected",
                    G_CALLBACK (on_participant_connected), client);
  g_signal_connect (client->session, "track-added", G_CALLBACK (on_track_added), client);
  g_signal_connect (client->session, "track-removed", G_CALLBACK (on_track_removed),
                    client);
  g_signal_connect (client->session, "warning", G_CALLBACK (on_warning), client);
  g_signal_connect (client->session, "error", G_CALLBACK (on_error), client);
  g_signal_connect (client->session, "closed", G_CALLBACK (on_closed), client);

  if (with_tracks)
    {
      const char *kinds[] = { "audio", "video" };
      const char *sources[] = { AUDIO_SOURCE, VIDEO_SOURCE };
      const char *caps_text[] = { AUDIO_CAPS, VIDEO_CAPS };

      for (guint i = 0; i < 2; i++)
        {
          g_autoptr (GError) error = NULL;
          GstElement *source = gst_parse_bin_from_description (sources[i], TRUE, &error);
          g_autoptr (GstCaps) caps = gst_caps_from_string (caps_text[i]);

          g_assert_no_error (error);
          g_assert_true (convoke_client_session_add_track (
              client->session, kinds[i], kinds[i], source, caps, &error));
          g_assert_no_error (error);
        }
    }
  gst_element_set_state (GST_ELEMENT (client->pipeline), GST_STATE_PLAYING);
  return client;
}

void
client_free (Client *client)
{
  gst_element_set_state (GST_ELEMENT (client->pipeline), GST_STATE_NULL);
  g_clear_object (&client->session);
  gst_clear_object (&client->pipeline);
  g_clear_error (&client->error);
  g_ptr_array_unref (client->connected);
  g_ptr_array_unref (client->tracks);
  g_ptr_array_unref (client->removed);
  g_hash_table_unref (client->buffers);
  g_free (client);
}

gboolean
client_joined (gpointer data)
{
  return ((Client *) data)->joined;
}

gboolean
client_closed (gpointer data)
{
  return ((Client *) data)->closed;
}

gboolean
client_saw_participant (gpointer data)
{
  Client *client = data;

  return client->connected->len > 0 || client->closed;
}

void
client_join (Client *client, FakeSignaling *server, JsonObject *joined)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) message = NULL;

  g_assert_true (convoke_client_session_connect (
      client->session, fake_signaling_url (server), "token-text", "fake", &error));
  g_assert_no_error (error);
  message = fake_signaling_wait_message (server, "join", TIMEOUT_MS);
  g_assert_nonnull (message);
  fake_signaling_send (server, joined);
  g_assert_true (test_wait_until (client_joined, client, TIMEOUT_MS));
}
