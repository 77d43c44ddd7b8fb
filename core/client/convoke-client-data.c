/* ConvokeClientSession's data tracks: the ones it publishes (a data
 * channel of each on every peer connection) and the messages on the ones
 * others publish (docs/convoke-client.md, *The library*).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-client-session-private.h"

#include <string.h>

#include "i18n.h"
#include "twilio-error.h"

/* A message on a remote data track: through the media server, the
 * channel's protocol names the publisher (docs/signaling.md, *Data
 * tracks*); in mesh rooms the peer is the publisher. */
static void
on_peer_data_message (ConvokePeer *peer, const char *label, const char *protocol,
                      GBytes *data, gboolean binary, ConvokeClientSession *self)
{
  const char *publisher = g_strcmp0 (self->topology->name, "sfu") == 0
                              ? protocol
                              : convoke_peer_get_remote_id (peer);

  if (publisher == NULL || *publisher == '\0')
    return;
  convoke_client_session_emit_data_message (self, publisher, label, data, binary);
}

void
convoke_client_session_offer_data_if_needed (ConvokeClientSession *self,
                                             ConvokePeer *peer)
{
  if (convoke_peer_has_data_channels (peer) && !convoke_peer_remote_has_data (peer))
    convoke_peer_create_offer (peer);
}

gboolean
convoke_client_session_add_data_track (ConvokeClientSession *self, const char *name,
                                       GError **error)
{
  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), FALSE);

  if (name == NULL || *name == '\0' || strlen (name) > 128)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("A data track needs a name of 1 to 128 bytes"));
      return FALSE;
    }
  for (guint i = 0; i < self->data_tracks->len; i++)
    if (g_str_equal (g_ptr_array_index (self->data_tracks, i), name))
      {
        g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                     _ ("There is a data track named “%s” already"), name);
        return FALSE;
      }
  g_ptr_array_add (self->data_tracks, g_strdup (name));
  return TRUE;
}

gboolean
convoke_client_session_send_data (ConvokeClientSession *self, const char *name,
                                  GBytes *data, gboolean binary, GError **error)
{
  GHashTableIter iter;
  gpointer peer;
  gboolean sent = FALSE;

  g_return_val_if_fail (CONVOKE_IS_CLIENT_SESSION (self), FALSE);

  if (g_bytes_get_size (data) > CONVOKE_CLIENT_MAX_DATA_MESSAGE)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("A data track message of %u bytes is too large: at most %u bytes "
                      "are allowed"),
                   (guint) MIN (g_bytes_get_size (data), G_MAXUINT),
                   CONVOKE_CLIENT_MAX_DATA_MESSAGE);
      return FALSE;
    }
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &peer))
    sent |= convoke_peer_send_data (peer, name, data, binary, NULL);
  if (!sent)
    g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                 _ ("No data channel of the track “%s” is open yet"), name);
  return sent;
}

gboolean
convoke_client_session_attach_data (ConvokeClientSession *self, ConvokePeer *peer,
                                    GError **error)
{
  g_signal_connect (peer, "data-message", G_CALLBACK (on_peer_data_message), self);
  for (guint i = 0; i < self->data_tracks->len; i++)
    if (!convoke_peer_add_data_channel (peer, g_ptr_array_index (self->data_tracks, i),
                                        TRUE, -1, -1, error))
      return FALSE;
  return TRUE;
}
