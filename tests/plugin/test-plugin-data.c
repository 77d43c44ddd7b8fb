/* Data tracks through the elements, in-process as an application would
 * use them: a convokesink with data-track= sends with the "send-data"
 * action and gets the others' messages as "data-message" signals and
 * `convoke-data-message` bus messages; a convoke-client publishes and
 * receives on the other side. In a group room and a peer-to-peer room.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/gst.h>

#include "client-runner.h"
#include "test-time.h"

#define ROOMS_CONFIG                                                                     \
  "[rooms]\n"                                                                            \
  "auto-create=true\n"                                                                   \
  "default-type=peer-to-peer\n"

#define MESSAGES 40
#define DATA_TIMEOUT_MS 30000


typedef struct
{
  GMutex lock;
  GPtrArray *from_gst; /* char*: the convoke-client's messages, as received */
} Received;

/* The session thread's signal. */
static void
on_data_message (GstElement *element, const char *sid, const char *label, GBytes *data,
                 gboolean binary, Received *received)
{
  g_autofree char *text
      = g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data));

  if (binary || !g_str_has_prefix (text, "gst:"))
    return;
  g_mutex_lock (&received->lock);
  g_ptr_array_add (received->from_gst, g_steal_pointer (&text));
  g_mutex_unlock (&received->lock);
}

/* At least 20 of the client's numbered messages, consecutive. */
static gboolean
received_in_order (Received *received)
{
  gboolean ok;

  g_mutex_lock (&received->lock);
  ok = received->from_gst->len >= 20;
  for (guint i = 1; ok && i < received->from_gst->len; i++)
    ok = g_ascii_strtoull (strchr (g_ptr_array_index (received->from_gst, i), ':') + 1,
                           NULL, 10)
         == g_ascii_strtoull (
                strchr (g_ptr_array_index (received->from_gst, i - 1), ':') + 1, NULL, 10)
                + 1;
  g_mutex_unlock (&received->lock);
  return ok;
}

static gboolean
bus_has_data_message (GstBus *bus)
{
  g_autoptr (GstMessage) message = NULL;

  while ((message = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL)
    {
      const GstStructure *s = gst_message_get_structure (message);

      if (gst_structure_has_name (s, "convoke-data-message")
          && g_str_has_prefix (gst_structure_get_string (s, "text"), "gst:")
          && gst_structure_get_string (s, "sid") != NULL)
        return TRUE;
      gst_clear_message (&message);
    }
  return FALSE;
}

/* The client's stats list the element's MESSAGES messages, in order. */
static gboolean
client_has_element_messages (TestClient *client)
{
  g_autoptr (JsonObject) stats = test_client_stats (client);
  JsonObject *from = stats ? test_stats_participant (stats, "elem") : NULL;
  JsonObject *data = from && json_object_has_member (from, "data")
                         ? json_object_get_object_member (from, "data")
                         : NULL;
  JsonObject *track = data && json_object_has_member (data, "elemchat")
                          ? json_object_get_object_member (data, "elemchat")
                          : NULL;
  JsonArray *messages = track ? json_object_get_array_member (track, "messages") : NULL;

  if (messages == NULL || json_array_get_length (messages) != MESSAGES)
    return FALSE;
  for (guint i = 0; i < MESSAGES; i++)
    {
      g_autofree char *want = g_strdup_printf ("elem:%u", i);

      if (g_strcmp0 (json_array_get_string_element (messages, i), want) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
exchange_in (const char *room, const char *type)
{
  const char *const client_args[]
      = { "--data-track", "gstchat", "--data-every", "50", "--no-video", NULL };
  const char *form[] = { "UniqueName", room, "Type", type, NULL };
  TestDaemon *d = test_client_daemon_start (ROOMS_CONFIG);
  Received received = { .from_gst = g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstBus) bus = NULL;
  gboolean bus_seen = FALSE;
  TestClient *client;
  gint64 deadline;

  g_mutex_init (&received.lock);
  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, NULL, NULL), ==, 201);
  client = test_client_start (d, "gst", room, client_args);

  /* A convokesink with no pads publishes nothing but its data track. */
  sink = gst_element_factory_make ("convokesink", "k");
  g_assert_nonnull (sink);
  g_object_set (sink, "url", d->base_url, "room", room, "identity", "elem", "api-key",
                d->api_key, "api-secret", d->api_secret, "data-track", "elemchat", NULL);
  gst_bin_add (GST_BIN (pipeline), gst_object_ref (sink));
  g_signal_connect (sink, "data-message", G_CALLBACK (on_data_message), &received);
  bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);

  /* The client's messages reach the element, as signals and on the bus. */
  deadline = test_deadline (DATA_TIMEOUT_MS);
  while (!received_in_order (&received) || !bus_seen)
    {
      bus_seen = bus_seen || bus_has_data_message (bus);
      if (g_get_monotonic_time () > deadline)
        g_error ("the element got %u of the client's messages (bus message: %s)",
                 received.from_gst->len, bus_seen ? "yes" : "no");
      g_usleep (50 * 1000);
    }

  /* The element's reach the client: each is sent once a channel is open. */
  deadline = test_deadline (DATA_TIMEOUT_MS);
  for (guint i = 0; i < MESSAGES;)
    {
      g_autofree char *text = g_strdup_printf ("elem:%u", i);
      gboolean sent = FALSE;

      g_signal_emit_by_name (sink, "send-data", text, &sent);
      if (sent)
        i++;
      else if (g_get_monotonic_time () > deadline)
        g_error ("send-data never found an open channel");
      else
        g_usleep (50 * 1000);
    }
  g_assert_true (test_wait_until ((GSourceFunc) client_has_element_messages, client,
                                  DATA_TIMEOUT_MS));
  /* Over 16 KiB is refused, not split. */
  {
    g_autofree char *large = g_strnfill (16385, 'x');
    gboolean sent = TRUE;

    g_signal_emit_by_name (sink, "send-data", large, &sent);
    g_assert_false (sent);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_cmpint (test_client_stop (client), ==, 0);
  test_daemon_stop (d);
  g_ptr_array_unref (received.from_gst);
  g_mutex_clear (&received.lock);
}

static void
test_group_data (void)
{
  exchange_in ("data-group", "group");
}

static void
test_peer_to_peer_data (void)
{
  exchange_in ("data-p2p", "peer-to-peer");
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plugin/group/data", test_group_data);
  g_test_add_func ("/plugin/peer-to-peer/data", test_peer_to_peer_data);
  return g_test_run ();
}
