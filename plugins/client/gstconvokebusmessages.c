/* What convokesrc and convokesink post on the bus.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gstconvokebusmessages.h"

#include <stdarg.h>

#include "i18n.h"
#include "twilio-error.h"

/* Logged under the elements' category, defined in
 * gstconvokebin.c: these are the elements' messages. */
GST_DEBUG_CATEGORY_EXTERN (gst_convoke_bin_debug);
#define GST_CAT_DEFAULT gst_convoke_bin_debug

/* ---- element messages -------------------------------------------------- */

static void post_element_message (GstElement *element, const char *name,
                                  const char *first_field, ...) G_GNUC_NULL_TERMINATED;

static void
post_element_message (GstElement *element, const char *name, const char *first_field, ...)
{
  GstStructure *structure;
  va_list args;

  va_start (args, first_field);
  structure = gst_structure_new_valist (name, first_field, args);
  va_end (args);
  gst_element_post_message (element,
                            gst_message_new_element (GST_OBJECT (element), structure));
}

void
gst_convoke_post_joined (GstElement *element, ConvokeClientSession *session)
{
  GST_INFO_OBJECT (element, "joined room %s as %s (%s), topology %s",
                   convoke_client_session_get_room_name (session),
                   convoke_client_session_get_identity (session),
                   convoke_client_session_get_participant_sid (session),
                   convoke_client_session_get_topology (session));
  post_element_message (
      element, "convoke-joined", "room-sid", G_TYPE_STRING,
      convoke_client_session_get_room_sid (session), "room-name", G_TYPE_STRING,
      convoke_client_session_get_room_name (session), "sid", G_TYPE_STRING,
      convoke_client_session_get_participant_sid (session), "identity", G_TYPE_STRING,
      convoke_client_session_get_identity (session), "topology", G_TYPE_STRING,
      convoke_client_session_get_topology (session), NULL);
}

void
gst_convoke_post_participant_connected (GstElement *element, const char *sid,
                                        const char *identity)
{
  post_element_message (element, "convoke-participant-connected", "sid", G_TYPE_STRING,
                        sid, "identity", G_TYPE_STRING, identity, NULL);
}

void
gst_convoke_post_participant_disconnected (GstElement *element, const char *sid,
                                           const char *identity)
{
  post_element_message (element, "convoke-participant-disconnected", "sid", G_TYPE_STRING,
                        sid, "identity", G_TYPE_STRING, identity, NULL);
}

void
gst_convoke_post_data_message (GstElement *element, const char *sid, const char *label,
                               GBytes *data, gboolean binary)
{
  if (binary)
    post_element_message (element, "convoke-data-message", "sid", G_TYPE_STRING, sid,
                          "label", G_TYPE_STRING, label, "data", G_TYPE_BYTES, data, NULL);
  else
    {
      g_autofree char *text
          = g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data));

      post_element_message (element, "convoke-data-message", "sid", G_TYPE_STRING, sid,
                            "label", G_TYPE_STRING, label, "text", G_TYPE_STRING, text,
                            NULL);
    }
}

static void
post_track_message (GstElement *element, const char *name, ConvokeRemoteTrack *track,
                    const char *pad_name)
{
  post_element_message (
      element, name, "sid", G_TYPE_STRING,
      convoke_remote_track_get_participant_sid (track), "identity", G_TYPE_STRING,
      convoke_remote_track_get_participant_identity (track), "kind", G_TYPE_STRING,
      convoke_remote_track_get_kind (track), "pad", G_TYPE_STRING, pad_name, NULL);
}

void
gst_convoke_post_track_added (GstElement *element, ConvokeRemoteTrack *track,
                              const char *pad_name)
{
  post_track_message (element, "convoke-track-added", track, pad_name);
}

void
gst_convoke_post_track_removed (GstElement *element, ConvokeRemoteTrack *track,
                                const char *pad_name)
{
  post_track_message (element, "convoke-track-removed", track, pad_name);
}

/* ---- errors and warnings ----------------------------------------------- */

/* The GStreamer error code closest to a Twilio error code, for
 * applications that handle errors without knowing Convoke. */
static GstResourceError
resource_error_for (int code)
{
  if (code >= CONVOKE_ERROR_TOKEN_INVALID
      && code <= CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID)
    return GST_RESOURCE_ERROR_NOT_AUTHORIZED;
  switch (code)
    {
    case CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_EXCEEDED:
      return GST_RESOURCE_ERROR_BUSY;
    case CONVOKE_ERROR_ROOM_NOT_FOUND:
      return GST_RESOURCE_ERROR_NOT_FOUND;
    case CONVOKE_ERROR_SIGNALING_CONNECTION:
    case CONVOKE_ERROR_SIGNALING_DISCONNECTED:
    case CONVOKE_ERROR_SIGNALING_TIMED_OUT:
      return GST_RESOURCE_ERROR_OPEN_READ_WRITE;
    default:
      return GST_RESOURCE_ERROR_FAILED;
    }
}

/* An ERROR message whose details are a convoke-error structure. */
static void
post_error (GstElement *element, int code, const char *text, const char *debug)
{
  GstStructure *details = gst_structure_new ("convoke-error", "code", G_TYPE_INT, code,
                                             "message", G_TYPE_STRING, text, NULL);

  gst_element_message_full_with_details (
      element, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR, resource_error_for (code),
      g_strdup (text), g_strdup (debug), __FILE__, GST_FUNCTION, __LINE__, details);
}

void
gst_convoke_post_session_error (GstElement *element, const GError *error, const char *url,
                                const char *room, gboolean joined)
{
  g_autofree char *text = NULL;
  g_autofree char *debug = NULL;

  post_element_message (element, "convoke-error", "code", G_TYPE_INT, error->code,
                        "message", G_TYPE_STRING, error->message, NULL);
  if (room == NULL)
    text = g_strdup_printf (
        joined ? _ ("Left the Convoke room named by the token at %s: %s (error %d)")
               : _ ("Could not join the Convoke room named by the token at %s: %s (error "
                    "%d)"),
        url, error->message, error->code);
  else
    text = g_strdup_printf (joined ? _ ("Left the Convoke room “%s” at %s: %s (error %d)")
                                   : _ ("Could not join the Convoke room “%s” at %s: %s "
                                        "(error %d)"),
                            room, url, error->message, error->code);
  debug = g_strdup_printf ("Twilio error code %d", error->code);
  post_error (element, error->code, text, debug);
}

void
gst_convoke_post_connect_error (GstElement *element, const GError *error, const char *url)
{
  g_autofree char *text = g_strdup_printf (
      _ ("Could not join the Convoke room at %s: %s"), url, error->message);

  post_error (element, error->code, text, NULL);
}

void
gst_convoke_post_session_warning (GstElement *element, const GError *error)
{
  g_autofree char *text = g_strdup_printf ("%s (%d)", error->message, error->code);

  gst_element_message_full (element, GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
                            GST_RESOURCE_ERROR_FAILED, g_steal_pointer (&text), NULL,
                            __FILE__, GST_FUNCTION, __LINE__);
}

void
gst_convoke_post_unexpected_close (GstElement *element, const char *url)
{
  GST_ELEMENT_WARNING (
      element, RESOURCE, READ,
      (_ ("The server closed the session in the Convoke room at %s"), url), (NULL));
}

void
gst_convoke_post_settings_error (GstElement *element, const GError *error)
{
  gst_element_message_full (element, GST_MESSAGE_ERROR, error->domain, error->code,
                            g_strdup (error->message), NULL, __FILE__, GST_FUNCTION,
                            __LINE__);
}

/* ---- what the children post -------------------------------------------- */

/* Whether @object is, or is inside, one of @bin's webrtcbins. */
static gboolean
is_inside_peer_connection (GstBin *bin, GstObject *object)
{
  for (GstObject *o = object; o != NULL && o != GST_OBJECT (bin);
       o = GST_OBJECT_PARENT (o))
    {
      GstElementFactory *factory
          = GST_IS_ELEMENT (o) ? gst_element_get_factory (GST_ELEMENT (o)) : NULL;

      if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "webrtcbin"))
        return TRUE;
    }
  return FALSE;
}

GstMessage *
gst_convoke_filter_child_message (GstBin *bin, GstMessage *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;
  GstMessage *warning;

  /* What the children post about EOS is internal (a webrtcbin's sinks,
   * the session's fallback sinks); the elements post their own. */
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS
      && GST_MESSAGE_SRC (message) != GST_OBJECT (bin))
    {
      gst_message_unref (message);
      return NULL;
    }
  /* A failure inside one peer connection (a remote peer's bad media, a
   * stream nobody can take) ends that connection's streams, not the
   * element. */
  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR
      || !is_inside_peer_connection (bin, GST_MESSAGE_SRC (message)))
    return message;
  gst_message_parse_error (message, &error, &debug);
  warning = gst_message_new_warning (GST_MESSAGE_SRC (message), error, debug);
  gst_message_unref (message);
  return warning;
}
