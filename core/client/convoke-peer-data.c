/* Data channels of a ConvokePeer: webrtcbin's GstWebRTCDataChannel, the
 * ones this side opens for its data tracks and the ones the other side
 * opens to it. Messages reach the main context in the order they came.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-peer-private.h"

#include "i18n.h"
#include "twilio-error.h"

#define GST_CAT_DEFAULT convoke_peer_debug

/* The channel every mesh connection carries so that its first offer has a
 * data m-line (docs/javascript.md: convoke.js does the same). */
#define BOOTSTRAP_LABEL "convoke"
#define BOOTSTRAP_ID 1023

typedef struct
{
  ConvokePeer *peer;
  char *label;
  char *protocol;
  GBytes *data;
  gboolean binary;
  gboolean opened; /* an "open" rather than a message */
} DataCall;

static void
data_call_free (gpointer data)
{
  DataCall *call = data;

  g_object_unref (call->peer);
  g_free (call->label);
  g_free (call->protocol);
  g_clear_pointer (&call->data, g_bytes_unref);
  g_free (call);
}

static gboolean
data_call_run (gpointer data)
{
  DataCall *call = data;

  if (call->peer->closed)
    return G_SOURCE_REMOVE;
  if (call->opened)
    convoke_peer_emit_data_channel (call->peer, call->label, call->protocol);
  else
    convoke_peer_emit_data_message (call->peer, call->label, call->protocol, call->data,
                                    call->binary);
  return G_SOURCE_REMOVE;
}

static void
data_call_post (GstWebRTCDataChannel *channel, ConvokePeer *self, GBytes *data,
                gboolean binary, gboolean opened)
{
  DataCall *call = g_new0 (DataCall, 1);

  call->peer = g_object_ref (self);
  g_object_get (channel, "label", &call->label, "protocol", &call->protocol, NULL);
  call->data = data;
  call->binary = binary;
  call->opened = opened;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, data_call_run, call,
                              data_call_free);
}

static void
on_message_string (GstWebRTCDataChannel *channel, const char *text, gpointer user_data)
{
  data_call_post (channel, user_data,
                  g_bytes_new (text ? text : "", text ? strlen (text) : 0), FALSE, FALSE);
}

static void
on_message_data (GstWebRTCDataChannel *channel, GBytes *data, gpointer user_data)
{
  data_call_post (channel, user_data, data ? g_bytes_ref (data) : g_bytes_new (NULL, 0),
                  TRUE, FALSE);
}

static void
on_remote_open (GstWebRTCDataChannel *channel, gpointer user_data)
{
  data_call_post (channel, user_data, NULL, FALSE, TRUE);
}

/* A channel the other side opened (webrtcbin's thread). */
static void
on_data_channel (GstElement *webrtcbin, GstWebRTCDataChannel *channel, gpointer user_data)
{
  ConvokePeer *self = user_data;
  GstWebRTCDataChannelState state;

  g_signal_connect_object (channel, "on-message-string", G_CALLBACK (on_message_string),
                           self, 0);
  g_signal_connect_object (channel, "on-message-data", G_CALLBACK (on_message_data), self,
                           0);
  g_object_get (channel, "ready-state", &state, NULL);
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    on_remote_open (channel, self);
  else
    g_signal_connect_object (channel, "on-open", G_CALLBACK (on_remote_open), self, 0);
  g_mutex_lock (&self->data_lock);
  g_ptr_array_add (self->remote_channels, g_object_ref (channel));
  g_mutex_unlock (&self->data_lock);
}

void
convoke_peer_setup_data (ConvokePeer *self, gboolean bootstrap)
{
  g_signal_connect (self->webrtcbin, "on-data-channel", G_CALLBACK (on_data_channel),
                    self);
  if (bootstrap)
    {
      g_autoptr (GstStructure) options
          = gst_structure_new ("options", "negotiated", G_TYPE_BOOLEAN, TRUE, "id",
                               G_TYPE_INT, BOOTSTRAP_ID, NULL);
      g_autoptr (GstWebRTCDataChannel) channel = NULL;

      g_signal_emit_by_name (self->webrtcbin, "create-data-channel", BOOTSTRAP_LABEL,
                             options, &channel);
    }
}

gboolean
convoke_peer_add_data_channel (ConvokePeer *self, const char *label, gboolean ordered,
                               gint max_retransmits, gint max_packet_lifetime,
                               GError **error)
{
  g_autoptr (GstStructure) options
      = gst_structure_new ("options", "ordered", G_TYPE_BOOLEAN, ordered, NULL);
  GstWebRTCDataChannel *channel = NULL;

  if (max_retransmits >= 0)
    gst_structure_set (options, "max-retransmits", G_TYPE_INT, max_retransmits, NULL);
  if (max_packet_lifetime >= 0)
    gst_structure_set (options, "max-packet-lifetime", G_TYPE_INT, max_packet_lifetime,
                       NULL);
  g_signal_emit_by_name (self->webrtcbin, "create-data-channel", label, options,
                         &channel);
  if (channel == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("webrtcbin could not create the data channel “%s”"), label);
      return FALSE;
    }
  g_mutex_lock (&self->data_lock);
  g_ptr_array_add (self->local_channels, channel);
  g_mutex_unlock (&self->data_lock);
  return TRUE;
}

gboolean
convoke_peer_has_data_channels (ConvokePeer *self)
{
  return self->local_channels->len > 0;
}

gboolean
convoke_peer_remote_has_data (ConvokePeer *self)
{
  for (guint i = 0;
       self->remote_sdp != NULL && i < gst_sdp_message_medias_len (self->remote_sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (self->remote_sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), "application") == 0
          && gst_sdp_media_get_port (media) != 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
convoke_peer_send_data (ConvokePeer *self, const char *label, GBytes *data,
                        gboolean binary, GError **error)
{
  g_autoptr (GstWebRTCDataChannel) found = NULL;
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;

  g_mutex_lock (&self->data_lock);
  for (guint i = 0; found == NULL && i < self->local_channels->len; i++)
    {
      GstWebRTCDataChannel *channel = g_ptr_array_index (self->local_channels, i);
      g_autofree char *channel_label = NULL;

      g_object_get (channel, "label", &channel_label, NULL);
      if (g_strcmp0 (channel_label, label) == 0)
        found = g_object_ref (channel);
    }
  g_mutex_unlock (&self->data_lock);
  if (found != NULL)
    g_object_get (found, "ready-state", &state, NULL);
  if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("The data channel “%s” to %s is not open"), label, self->remote_id);
      return FALSE;
    }
  if (binary)
    return gst_webrtc_data_channel_send_data_full (found, data, error);
  {
    g_autofree char *text
        = g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data));

    return gst_webrtc_data_channel_send_string_full (found, text, error);
  }
}

void
convoke_peer_close_data (ConvokePeer *self)
{
  g_autoptr (GPtrArray) local = NULL;
  g_autoptr (GPtrArray) remote = NULL;

  g_mutex_lock (&self->data_lock);
  local = g_steal_pointer (&self->local_channels);
  remote = g_steal_pointer (&self->remote_channels);
  self->local_channels = g_ptr_array_new_with_free_func (g_object_unref);
  self->remote_channels = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&self->data_lock);
  for (guint i = 0; i < remote->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (remote, i), self);
}
