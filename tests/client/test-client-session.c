/* ConvokeClientSession (the library) against a scripted signaling server:
 * the join handshake, refusals, hostile server messages, trickle and
 * non-trickle offers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "session-client.h"
#include "test-daemon.h"

/* ---- the join handshake ------------------------------------------------ */

static void
test_join_refused (void)
{
  g_autoptr (FakeSignaling) server = fake_signaling_new ();
  Client *client = client_new (TRUE, FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) message = NULL;
  g_autoptr (JsonObject) refusal
      = fake_json_object ("{\"type\":\"error\",\"id\":1,\"code\":53105,"
                          "\"message\":\"Room contains too many Participants\"}");

  g_assert_true (convoke_client_session_connect (
      client->session, fake_signaling_url (server), "token-text", "full-room", &error));
  message = fake_signaling_wait_message (server, "join", TIMEOUT_MS);
  g_assert_nonnull (message);
  g_assert_cmpstr (fake_signaling_requested_protocols (server), ==,
                   "convoke-signaling-1");
  g_assert_cmpstr (json_object_get_string_member (message, "token"), ==, "token-text");
  g_assert_cmpstr (json_object_get_string_member (message, "room"), ==, "full-room");
  g_assert_true (json_object_get_boolean_member (message, "trickle"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (message, "client"),
                                   "convoke-client/"));
  g_assert_cmpint (json_object_get_int_member (message, "id"), ==, 1);

  fake_signaling_send (server, refusal);
  g_assert_true (test_wait_until (client_closed, client, TIMEOUT_MS));
  g_assert_error (client->error, g_quark_from_static_string ("convoke-topology-error"),
                  53105);
  g_assert_cmpstr (client->error->message, ==, "Room contains too many Participants");
  g_assert_false (client->joined);
  g_assert_cmpint (convoke_client_session_get_state (client->session), ==,
                   CONVOKE_CLIENT_SESSION_STATE_CLOSED);
  client_free (client);
}

static void
test_bad_url (void)
{
  Client *client = client_new (TRUE, FALSE);
  g_autoptr (GError) error = NULL;

  g_assert_false (convoke_client_session_connect (client->session, "ftp://127.0.0.1:1",
                                                  "token", NULL, &error));
  g_assert_error (error, g_quark_from_static_string ("convoke-topology-error"), 53000);
  g_assert_nonnull (strstr (error->message, "ftp://127.0.0.1:1"));
  g_clear_error (&error);
  g_assert_false (convoke_client_session_connect (client->session, "not a url", "token",
                                                  NULL, &error));
  g_assert_nonnull (strstr (error->message, "not a url"));
  g_assert_cmpint (convoke_client_session_get_state (client->session), ==,
                   CONVOKE_CLIENT_SESSION_STATE_IDLE);
  client_free (client);
}

static void
test_connection_refused (void)
{
  Client *client = client_new (TRUE, FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  /* A port that was free a moment ago: nothing listens there now. */
  g_socket_listener_close (listener);
  g_assert_no_error (error);
  {
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", port);

    g_assert_true (
        convoke_client_session_connect (client->session, url, "t", NULL, &error));
  }
  g_assert_true (test_wait_until (client_closed, client, TIMEOUT_MS));
  g_assert_error (client->error, g_quark_from_static_string ("convoke-topology-error"),
                  53000);
  client_free (client);
}

static void
test_server_closes (void)
{
  g_autoptr (FakeSignaling) server = fake_signaling_new ();
  Client *client = client_new (TRUE, FALSE);
  g_autoptr (JsonObject) joined
      = fake_signaling_joined (ALICE_SID, "alice", "mesh", NULL);

  client_join (client, server, joined);
  fake_signaling_close (server, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR);
  g_assert_true (test_wait_until (client_closed, client, TIMEOUT_MS));
  g_assert_error (client->error, g_quark_from_static_string ("convoke-topology-error"),
                  53001);
  g_assert_nonnull (strstr (client->error->message, "1011"));
  client_free (client);
}

/* A non-fatal error that the server then makes fatal (flooding) explains
 * the close. */
static void
test_flooded (void)
{
  g_autoptr (FakeSignaling) server = fake_signaling_new ();
  Client *client = client_new (TRUE, FALSE);
  g_autoptr (JsonObject) joined
      = fake_signaling_joined (ALICE_SID, "alice", "mesh", NULL);
  g_autoptr (JsonObject) flood = fake_json_object (
      "{\"type\":\"error\",\"code\":53010,\"message\":\"slow down\"}");

  client_join (client, server, joined);
  fake_signaling_send (server, flood);
  fake_signaling_close (server, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  g_assert_true (test_wait_until (client_closed, client, TIMEOUT_MS));
  g_assert_error (client->error, g_quark_from_static_string ("convoke-topology-error"),
                  53010);
  g_assert_cmpuint (client->n_warnings, ==, 1);
  client_free (client);
}

/* Nothing a broken server sends may crash the client or end its session
 * unless the protocol says the error is fatal. */
static void
test_hostile_server (void)
{
  g_autoptr (FakeSignaling) server = fake_signaling_new ();
  Client *client = client_new (TRUE, TRUE);
  g_autoptr (JsonObject) joined
      = fake_signaling_joined (ALICE_SID, "alice", "mesh", NULL);
  g_autoptr (JsonObject) welcome = fake_json_object (
      "{\"type\":\"participant-connected\",\"participant\":{\"sid\":\"" BOB_SID
      "\",\"identity\":\"bob\"}}");
  const char *junk[] = {
    "not json at all",
    "[1, 2, 3]",
    "{}",
    "{\"type\": 5}",
    "{\"type\": null}",
    "{\"type\": \"offer\"}",
    "{\"type\": \"offer\", \"from\": \"" BOB_SID "\", \"sdp\": 12}",
    "{\"type\": \"offer\", \"from\": \"" BOB_SID "\", \"sdp\": \"garbage\"}",
    "{\"type\": \"offer\", \"from\": \"" BOB_SID "\", \"sdp\": \"v=0\\r\\nm=foo\"}",
    "{\"type\": \"answer\", \"from\": \"PAnobody\", \"sdp\": \"v=0\"}",
    "{\"type\": \"candidate\", \"from\": \"PAnobody\", \"candidate\": \"candidate:1\"}",
    "{\"type\": \"candidate\", \"from\": \"" BOB_SID "\", \"candidate\": 7}",
    "{\"type\": \"participant-connected\"}",
    "{\"type\": \"participant-connected\", \"participant\": [] }",
    "{\"type\": \"participant-disconnected\", \"participant\": {\"sid\": \"PAnobody\"}}",
    "{\"type\": \"joined\", \"participant\": {\"sid\": \"PAother\"}, \"topology\": "
    "\"sfu\"}",
    "{\"type\": \"error\", \"code\": \"53105\"}",
    "{\"type\": \"error\", \"code\": 53004, \"message\": \"invalid message\"}",
    "{\"type\": \"track-published\", \"track\": 1}",
    "{\"type\": \"from-a-later-version\", \"x\": {\"y\": []}}",
    "{\"type\": \"pong\"}",
  };
  guint8 binary[] = { 0, 1, 2, 255 };

  client_join (client, server, joined);
  for (guint i = 0; i < G_N_ELEMENTS (junk); i++)
    fake_signaling_send_text (server, junk[i]);
  fake_signaling_send_binary (server, binary, sizeof binary);
  /* The session still listens: a well-formed message gets through. */
  fake_signaling_send (server, welcome);
  g_assert_true (test_wait_until (client_saw_participant, client, TIMEOUT_MS));

  g_assert_false (client->closed);
  g_assert_null (client->error);
  g_assert_cmpstr (g_ptr_array_index (client->connected, 0), ==, BOB_SID);
  g_assert_cmpint (convoke_client_session_get_state (client->session), ==,
                   CONVOKE_CLIENT_SESSION_STATE_JOINED);
  g_assert_cmpstr (convoke_client_session_get_participant_sid (client->session), ==,
                   ALICE_SID);
  g_assert_cmpstr (convoke_client_session_get_topology (client->session), ==, "mesh");
  /* Not JSON, not objects, no type, the binary frame, bad SDP twice, the
   * stray answer, the non-fatal 53004, the invalid error code. */
  g_assert_cmpuint (client->n_warnings, >=, 9);
  client_free (client);
}

/* ---- non-trickle ------------------------------------------------------- */

static gboolean
has_candidate_line (const char *sdp)
{
  return strstr (sdp, "\r\na=candidate:") != NULL;
}

/* A non-trickle client's offer holds its candidates, and no `candidate`
 * message ever follows; a trickle client does the same towards a
 * non-trickle peer. */
static void
check_non_trickle_offer (gboolean client_trickles)
{
  g_autoptr (FakeSignaling) server = fake_signaling_new ();
  Client *client = client_new (client_trickles, TRUE);
  g_autoptr (JsonObject) joined = fake_signaling_joined (
      ALICE_SID, "alice", "mesh",
      "[{\"sid\":\"" BOB_SID "\",\"identity\":\"bob\",\"trickle\":false,\"tracks\":[]}]");
  g_autoptr (JsonObject) offer = NULL;
  g_autoptr (JsonObject) join_message = NULL;
  g_autoptr (JsonObject) stray = NULL;
  const char *sdp;

  g_assert_true (convoke_client_session_connect (
      client->session, fake_signaling_url (server), "token-text", NULL, NULL));
  join_message = fake_signaling_wait_message (server, "join", TIMEOUT_MS);
  g_assert_cmpint (json_object_get_boolean_member (join_message, "trickle"), ==,
                   client_trickles);
  g_assert_false (json_object_has_member (join_message, "room"));
  fake_signaling_send (server, joined);

  offer = fake_signaling_wait_message (server, "offer", TIMEOUT_MS);
  g_assert_nonnull (offer);
  g_assert_cmpstr (json_object_get_string_member (offer, "to"), ==, BOB_SID);
  sdp = json_object_get_string_member (offer, "sdp");
  g_assert_true (g_str_has_prefix (sdp, "v=0\r\n"));
  g_assert_true (has_candidate_line (sdp));
  g_assert_nonnull (strstr (sdp, "127.0.0.1"));
  g_assert_nonnull (strstr (sdp, "a=end-of-candidates"));
  /* The local tracks carry our participant sid as their stream id. */
  g_assert_nonnull (strstr (sdp, "msid:" ALICE_SID));
  g_assert_nonnull (strstr (sdp, "m=audio"));
  g_assert_nonnull (strstr (sdp, "m=video"));

  stray = fake_signaling_watch_message (server, "candidate", 1500);
  g_assert_null (stray);
  client_free (client);
}

static void
test_non_trickle_offer (void)
{
  check_non_trickle_offer (FALSE);
}

static void
test_offer_to_non_trickle_peer (void)
{
  check_non_trickle_offer (TRUE);
}

/* A trickle client's offer goes first, then its candidates, each naming
 * the m-line, then one empty candidate: the end marker comes after every
 * real candidate of the peer connection, and only once. */
static void
test_trickle_offer (void)
{
  g_autoptr (FakeSignaling) server = fake_signaling_new ();
  Client *client = client_new (TRUE, TRUE);
  g_autoptr (JsonObject) joined = fake_signaling_joined (
      ALICE_SID, "alice", "mesh", "[{\"sid\":\"" BOB_SID "\",\"identity\":\"bob\"}]");
  g_autoptr (JsonObject) offer = NULL;
  g_autoptr (JsonObject) stray = NULL;
  gboolean saw_end = FALSE;
  guint n_candidates = 0;

  client_join (client, server, joined);
  offer = fake_signaling_wait_message (server, "offer", TIMEOUT_MS);
  g_assert_nonnull (offer);
  g_assert_false (has_candidate_line (json_object_get_string_member (offer, "sdp")));
  while (!saw_end)
    {
      g_autoptr (JsonObject) candidate
          = fake_signaling_wait_message (server, "candidate", TIMEOUT_MS);
      const char *text;

      g_assert_nonnull (candidate);
      g_assert_cmpstr (json_object_get_string_member (candidate, "to"), ==, BOB_SID);
      g_assert_cmpint (json_object_get_int_member (candidate, "sdpMLineIndex"), ==, 0);
      text = json_object_get_string_member (candidate, "candidate");
      if (*text == '\0')
        {
          /* Sent before any candidate, the marker would tell bob that
           * there is nothing to check. */
          g_assert_cmpuint (n_candidates, >=, 1);
          saw_end = TRUE;
        }
      else
        {
          g_assert_true (g_str_has_prefix (text, "candidate:"));
          g_assert_nonnull (strstr (text, " 127.0.0.1 "));
          n_candidates++;
        }
    }
  /* Nothing after the marker: no late candidate, no second marker. */
  stray = fake_signaling_watch_message (server, "candidate", 1000);
  if (stray != NULL)
    g_error ("candidate message after the end of candidates: \"%s\"",
             json_object_get_string_member (stray, "candidate"));
  client_free (client);
}

/* Peer connections that never got an answer (webrtcbin holds their
 * sending threads) close without hanging: when their participant leaves,
 * and when the server ends the session. */
static void
test_close_unnegotiated (void)
{
  g_autoptr (FakeSignaling) server = fake_signaling_new ();
  Client *client = client_new (TRUE, TRUE);
  g_autoptr (JsonObject) joined = fake_signaling_joined (
      ALICE_SID, "alice", "mesh",
      "[{\"sid\":\"" BOB_SID "\",\"identity\":\"bob\"},"
      "{\"sid\":\"" REMOTE_A_SID "\",\"identity\":\"remote-a\"}]");
  g_autoptr (JsonObject) bob_left = fake_json_object (
      "{\"type\":\"participant-disconnected\",\"participant\":{\"sid\":\"" BOB_SID
      "\"}}");
  g_autoptr (JsonObject) media_failed = fake_json_object (
      "{\"type\":\"error\",\"code\":53119,\"message\":\"media server failed\"}");
  g_autoptr (JsonObject) offer_bob = NULL;
  g_autoptr (JsonObject) offer_a = NULL;

  client_join (client, server, joined);
  offer_bob = fake_signaling_wait_message (server, "offer", TIMEOUT_MS);
  offer_a = fake_signaling_wait_message (server, "offer", TIMEOUT_MS);
  g_assert_nonnull (offer_bob);
  g_assert_nonnull (offer_a);
  /* Let the local tracks fill the unnegotiated branches. */
  g_usleep (300 * 1000);
  fake_signaling_send (server, bob_left);
  fake_signaling_send (server, media_failed);
  g_assert_true (test_wait_until (client_closed, client, TIMEOUT_MS));
  g_assert_error (client->error, g_quark_from_static_string ("convoke-topology-error"),
                  53119);
  client_free (client);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/session/join-refused", test_join_refused);
  g_test_add_func ("/client/session/bad-url", test_bad_url);
  g_test_add_func ("/client/session/connection-refused", test_connection_refused);
  g_test_add_func ("/client/session/server-closes", test_server_closes);
  g_test_add_func ("/client/session/flooded", test_flooded);
  g_test_add_func ("/client/session/hostile-server", test_hostile_server);
  g_test_add_func ("/client/session/non-trickle-offer", test_non_trickle_offer);
  g_test_add_func ("/client/session/offer-to-non-trickle-peer",
                   test_offer_to_non_trickle_peer);
  g_test_add_func ("/client/session/trickle-offer", test_trickle_offer);
  g_test_add_func ("/client/session/close-unnegotiated", test_close_unnegotiated);
  return g_test_run ();
}
