/* ConvokeClientSession in an sfu room, with a webrtcbin playing the
 * room's media server the way docs/signaling.md describes it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-peer.h"
#include "session-client.h"
#include "test-daemon.h"

/* ---- an sfu room ------------------------------------------------------- */

/* The media server's part, played by a webrtcbin that offers like the
 * group worker: recvonly audio and video to publish on, then one sendonly
 * m-line per remote track with a=ssrc … msid:<publisher sid>. */
typedef struct
{
  FakeSignaling *signaling;
  GstElement *pipeline;
  GstElement *webrtc;
  GPtrArray *sink_pads;    /* the sendonly tracks' webrtcbin pads */
  GAsyncQueue *candidates; /* JsonObject*, from webrtcbin's thread */
  guint pump_id;
  gint received[2]; /* buffers from the client: audio, video */
  /* The client's candidate messages, in the order they arrived. */
  guint client_candidates;
  gboolean client_candidates_ended;
} FakeSfu;

static void
on_sfu_candidate (GstElement *webrtc, guint mline, const char *candidate, FakeSfu *sfu)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "type", "candidate");
  json_object_set_string_member (message, "from", "server");
  json_object_set_string_member (message, "candidate", candidate);
  json_object_set_int_member (message, "sdpMLineIndex", mline);
  g_async_queue_push (sfu->candidates, message);
}

/* Relays candidates both ways, from the test's main context. */
static gboolean
pump_candidates (gpointer user_data)
{
  FakeSfu *sfu = user_data;
  JsonObject *message;

  while ((message = g_async_queue_try_pop (sfu->candidates)) != NULL)
    {
      if (fake_signaling_connected (sfu->signaling))
        fake_signaling_send (sfu->signaling, message);
      json_object_unref (message);
    }
  while ((message = fake_signaling_pop_message (sfu->signaling, "candidate")) != NULL)
    {
      const char *candidate = json_object_get_string_member (message, "candidate");

      g_assert_cmpstr (json_object_get_string_member (message, "to"), ==, "server");
      /* Every real candidate precedes the one end marker. */
      g_assert_false (sfu->client_candidates_ended);
      if (*candidate != '\0')
        {
          sfu->client_candidates++;
          g_signal_emit_by_name (
              sfu->webrtc, "add-ice-candidate",
              (guint) json_object_get_int_member (message, "sdpMLineIndex"), candidate);
        }
      else
        {
          g_assert_cmpuint (sfu->client_candidates, >=, 1);
          sfu->client_candidates_ended = TRUE;
        }
      json_object_unref (message);
    }
  return G_SOURCE_CONTINUE;
}

static GstPadProbeReturn
count_received (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

static void
on_sfu_pad_added (GstElement *webrtc, GstPad *pad, FakeSfu *sfu)
{
  g_autoptr (GstCaps) caps = NULL;
  GstElement *sink;
  g_autoptr (GstPad) sink_pad = NULL;
  const char *media;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  g_assert_nonnull (caps);
  media = gst_structure_get_string (gst_caps_get_structure (caps, 0), "media");
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (sfu->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER, count_received,
                     &sfu->received[g_strcmp0 (media, "video") == 0], NULL);
  g_assert_cmpint (gst_pad_link (pad, sink_pad), ==, GST_PAD_LINK_OK);
}

static void
sfu_add_track (FakeSfu *sfu, const char *description, const char *caps_text,
               const char *publisher_sid)
{
  g_autoptr (GError) error = NULL;
  GstElement *source = gst_parse_bin_from_description (description, TRUE, &error);
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_text);
  GstPadTemplate *templ = gst_element_get_pad_template (sfu->webrtc, "sink_%u");
  GstPad *pad = gst_element_request_pad (sfu->webrtc, templ, NULL, caps);
  g_autoptr (GstPad) source_pad = gst_element_get_static_pad (source, "src");
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

  g_assert_no_error (error);
  g_object_get (pad, "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "codec-preferences", caps, NULL);
  g_object_set (pad, "msid", publisher_sid, NULL);
  gst_bin_add (GST_BIN (sfu->pipeline), source);
  g_assert_cmpint (gst_pad_link (source_pad, pad), ==, GST_PAD_LINK_OK);
  gst_element_sync_state_with_parent (source);
  g_ptr_array_add (sfu->sink_pads, pad);
}

static FakeSfu *
fake_sfu_new (FakeSignaling *signaling)
{
  FakeSfu *sfu = g_new0 (FakeSfu, 1);
  g_autoptr (GstObject) ice = NULL;
  const char *kinds[] = { AUDIO_CAPS, VIDEO_CAPS };
  gboolean added = FALSE;

  sfu->signaling = signaling;
  sfu->sink_pads = g_ptr_array_new_with_free_func (gst_object_unref);
  sfu->candidates = g_async_queue_new_full ((GDestroyNotify) json_object_unref);
  sfu->pipeline = gst_pipeline_new ("fake-sfu");
  sfu->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_object_set (sfu->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  /* gupnp has aborted test runs on a GLib critical (G_DEBUG=fatal-criticals);
   * the library switches UPnP off in its own webrtcbins the same way. */
  convoke_webrtcbin_disable_upnp (sfu->webrtc);
  g_object_get (sfu->webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &added);
  g_assert_true (added);
  gst_bin_add (GST_BIN (sfu->pipeline), sfu->webrtc);
  g_signal_connect (sfu->webrtc, "on-ice-candidate", G_CALLBACK (on_sfu_candidate), sfu);
  g_signal_connect (sfu->webrtc, "pad-added", G_CALLBACK (on_sfu_pad_added), sfu);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr (GstCaps) caps = gst_caps_from_string (kinds[i]);
      g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

      g_signal_emit_by_name (sfu->webrtc, "add-transceiver",
                             GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps,
                             &transceiver);
      g_assert_nonnull (transceiver);
    }
  sfu_add_track (sfu, VIDEO_SOURCE, VIDEO_CAPS, REMOTE_A_SID);
  sfu_add_track (sfu, AUDIO_SOURCE, AUDIO_CAPS, REMOTE_A_SID);
  gst_element_set_state (sfu->pipeline, GST_STATE_PLAYING);
  sfu->pump_id = g_timeout_add (20, pump_candidates, sfu);
  return sfu;
}

static void
fake_sfu_free (FakeSfu *sfu)
{
  g_source_remove (sfu->pump_id);
  gst_element_set_state (sfu->pipeline, GST_STATE_NULL);
  g_ptr_array_unref (sfu->sink_pads);
  gst_object_unref (sfu->pipeline);
  g_async_queue_unref (sfu->candidates);
  g_free (sfu);
}

static gboolean
sfu_tracks_have_caps (gpointer data)
{
  FakeSfu *sfu = data;

  for (guint i = 0; i < sfu->sink_pads->len; i++)
    if (!gst_pad_has_current_caps (g_ptr_array_index (sfu->sink_pads, i)))
      return FALSE;
  return TRUE;
}

static GstWebRTCSessionDescription *
sfu_wait_description (GstPromise *promise, const char *field)
{
  GstWebRTCSessionDescription *desc = NULL;

  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  if (field != NULL)
    gst_structure_get (gst_promise_get_reply (promise), field,
                       GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  return desc;
}

/* Sends an offer and applies the client's answer; returns the answer. */
static GstSDPMessage *
sfu_negotiate (FakeSfu *sfu)
{
  g_autoptr (GstPromise) offer_promise = gst_promise_new ();
  g_autoptr (GstPromise) local_promise = gst_promise_new ();
  g_autoptr (GstPromise) remote_promise = gst_promise_new ();
  g_autoptr (GstWebRTCSessionDescription) offer = NULL;
  g_autoptr (GstWebRTCSessionDescription) answer = NULL;
  g_autoptr (JsonObject) message = json_object_new ();
  g_autoptr (JsonObject) reply = NULL;
  g_autofree char *text = NULL;
  GstSDPMessage *answer_sdp = NULL;

  /* Without caps there would be no a=ssrc, and no way to tell tracks apart. */
  g_assert_true (test_wait_until (sfu_tracks_have_caps, sfu, TIMEOUT_MS));
  g_signal_emit_by_name (sfu->webrtc, "create-offer", NULL, offer_promise);
  offer = sfu_wait_description (offer_promise, "offer");
  g_assert_nonnull (offer);
  g_signal_emit_by_name (sfu->webrtc, "set-local-description", offer, local_promise);
  sfu_wait_description (local_promise, NULL);

  text = gst_sdp_message_as_text (offer->sdp);
  json_object_set_string_member (message, "type", "offer");
  json_object_set_string_member (message, "from", "server");
  json_object_set_string_member (message, "sdp", text);
  fake_signaling_send (sfu->signaling, message);

  reply = fake_signaling_wait_message (sfu->signaling, "answer", TIMEOUT_MS);
  g_assert_nonnull (reply);
  g_assert_cmpstr (json_object_get_string_member (reply, "to"), ==, "server");
  g_assert_cmpint (gst_sdp_message_new_from_text (
                       json_object_get_string_member (reply, "sdp"), &answer_sdp),
                   ==, GST_SDP_OK);
  {
    GstSDPMessage *copy = NULL;

    gst_sdp_message_copy (answer_sdp, &copy);
    answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, copy);
  }
  g_signal_emit_by_name (sfu->webrtc, "set-remote-description", answer, remote_promise);
  sfu_wait_description (remote_promise, NULL);
  return answer_sdp;
}

static gboolean
media_has_flag (const GstSDPMedia *media, const char *flag)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    if (g_strcmp0 (gst_sdp_media_get_attribute (media, i)->key, flag) == 0)
      return TRUE;
  return FALSE;
}

typedef struct
{
  Client *client;
  const char *sid;
  const char *kind;
} TrackWant;

static ConvokeRemoteTrack *
find_track (Client *client, const char *sid, const char *kind)
{
  for (guint i = 0; i < client->tracks->len; i++)
    {
      ConvokeRemoteTrack *track = g_ptr_array_index (client->tracks, i);

      if (g_strcmp0 (convoke_remote_track_get_participant_sid (track), sid) == 0
          && g_strcmp0 (convoke_remote_track_get_kind (track), kind) == 0)
        return track;
    }
  return NULL;
}

static gboolean
track_flows (gpointer data)
{
  TrackWant *want = data;
  ConvokeRemoteTrack *track = find_track (want->client, want->sid, want->kind);
  guint *count = track ? g_hash_table_lookup (want->client->buffers, track) : NULL;

  return count != NULL && g_atomic_int_get ((gint *) count) >= 20;
}

static gboolean
sfu_receives (gpointer data)
{
  FakeSfu *sfu = data;

  return g_atomic_int_get (&sfu->received[0]) >= 20
         && g_atomic_int_get (&sfu->received[1]) >= 20;
}

static gboolean
sfu_heard_end_of_candidates (gpointer data)
{
  return ((FakeSfu *) data)->client_candidates_ended;
}

static gboolean
client_removed_a_track (gpointer data)
{
  return ((Client *) data)->removed->len > 0;
}

static void
test_sfu (void)
{
  g_autoptr (FakeSignaling) server = fake_signaling_new ();
  FakeSfu *sfu = fake_sfu_new (server);
  Client *client = client_new (TRUE, TRUE);
  g_autoptr (JsonObject) joined = fake_signaling_joined (
      ALICE_SID, "alice", "sfu",
      "[{\"sid\":\"" REMOTE_A_SID "\",\"identity\":\"remote-a\",\"tracks\":[]}]");
  g_autoptr (JsonObject) b_connected = fake_json_object (
      "{\"type\":\"participant-connected\",\"participant\":{\"sid\":\"" REMOTE_B_SID
      "\",\"identity\":\"remote-b\"}}");
  g_autoptr (JsonObject) b_disconnected = fake_json_object (
      "{\"type\":\"participant-disconnected\",\"participant\":{\"sid\":\"" REMOTE_B_SID
      "\",\"identity\":\"remote-b\"}}");
  g_autoptr (GstSDPMessage) answer = NULL;
  g_autoptr (GstSDPMessage) second_answer = NULL;
  g_autoptr (JsonObject) leave = NULL;
  TrackWant want[] = { { client, REMOTE_A_SID, "video" },
                       { client, REMOTE_A_SID, "audio" },
                       { client, REMOTE_B_SID, "video" } };

  client_join (client, server, joined);
  g_assert_cmpstr (convoke_client_session_get_topology (client->session), ==, "sfu");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (JsonObject) published
          = fake_signaling_wait_message (server, "track-published", TIMEOUT_MS);
      JsonObject *track = json_object_get_object_member (published, "track");

      g_assert_nonnull (track);
      g_assert_true (
          g_str_equal (json_object_get_string_member (track, "kind"), "audio")
          || g_str_equal (json_object_get_string_member (track, "kind"), "video"));
    }

  answer = sfu_negotiate (sfu);
  g_assert_cmpuint (gst_sdp_message_medias_len (answer), ==, 4);
  /* The client publishes on the recvonly m-lines, receives on the others. */
  g_assert_true (media_has_flag (gst_sdp_message_get_media (answer, 0), "sendonly"));
  g_assert_true (media_has_flag (gst_sdp_message_get_media (answer, 1), "sendonly"));
  g_assert_true (media_has_flag (gst_sdp_message_get_media (answer, 2), "recvonly"));
  g_assert_true (media_has_flag (gst_sdp_message_get_media (answer, 3), "recvonly"));

  g_assert_true (test_wait_until (track_flows, &want[0], TIMEOUT_MS));
  g_assert_true (test_wait_until (track_flows, &want[1], TIMEOUT_MS));
  g_assert_cmpstr (convoke_remote_track_get_participant_identity (
                       find_track (client, REMOTE_A_SID, "video")),
                   ==, "remote-a");
  g_assert_true (test_wait_until (sfu_receives, sfu, TIMEOUT_MS));
  g_assert_true (test_wait_until (sfu_heard_end_of_candidates, sfu, TIMEOUT_MS));

  /* A second publisher: the server renegotiates with one more m-line. */
  fake_signaling_send (server, b_connected);
  sfu_add_track (sfu, VIDEO_SOURCE, VIDEO_CAPS, REMOTE_B_SID);
  second_answer = sfu_negotiate (sfu);
  g_assert_cmpuint (gst_sdp_message_medias_len (second_answer), ==, 5);
  g_assert_true (
      media_has_flag (gst_sdp_message_get_media (second_answer, 4), "recvonly"));
  g_assert_true (test_wait_until (track_flows, &want[2], TIMEOUT_MS));
  g_assert_cmpstr (convoke_remote_track_get_participant_identity (
                       find_track (client, REMOTE_B_SID, "video")),
                   ==, "remote-b");
  g_assert_cmpuint (client->tracks->len, ==, 3);

  /* It leaves: its track goes, remote-a's stay. */
  fake_signaling_send (server, b_disconnected);
  g_assert_true (test_wait_until (client_removed_a_track, client, TIMEOUT_MS));
  g_assert_cmpuint (client->removed->len, ==, 1);
  g_assert_cmpstr (
      convoke_remote_track_get_participant_sid (g_ptr_array_index (client->removed, 0)),
      ==, REMOTE_B_SID);
  g_assert_null (find_track (client, REMOTE_B_SID, "video"));
  g_assert_nonnull (find_track (client, REMOTE_A_SID, "video"));

  convoke_client_session_leave (client->session);
  leave = fake_signaling_wait_message (server, "leave", TIMEOUT_MS);
  g_assert_nonnull (leave);
  fake_signaling_close (server, SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_assert_true (test_wait_until (client_closed, client, TIMEOUT_MS));
  g_assert_null (client->error);
  g_assert_cmpuint (client->tracks->len, ==, 0);

  client_free (client);
  fake_sfu_free (sfu);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/sfu/publish-subscribe-renegotiate", test_sfu);
  return g_test_run ();
}
