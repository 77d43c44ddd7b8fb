/* The daemon side of the group module (modules/group/daemon/group.c) against a
 * real convoked and real group workers, with bare WebSocket participants:
 * relaying, validation of what participants send, per-worker limits.
 * No media flows here; tests/sfu/group-media-test.c does that.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "group-ws-participant.h"
#include "test-daemon.h"

#define WAIT_MS 20000

static const char config[] = "[type:tiny]\n"
                             "module=group\n"
                             "worker-max-participants=1\n"
                             "worker-max-tracks=1\n"
                             "[type:broken]\n"
                             "module=group\n"
                             "worker-max-participants=lots\n";

/* Two published m-lines (audio and video, both sendonly), with what the
 * worker's parser requires (ICE, fingerprint, rtcp-mux), which the daemon
 * side applies before counting. */
#define TWO_TRACK_SDP                                                                    \
  "v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n"                          \
  "a=ice-ufrag:abcd\\r\\na=ice-pwd:0123456789abcdefghijkl\\r\\n"                         \
  "a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"               \
  "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\\r\\n"                                \
  "m=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\nc=IN IP4 "                                       \
  "0.0.0.0\\r\\na=mid:0\\r\\na=rtcp-mux\\r\\na=sendonly\\r\\n"                           \
  "a=rtpmap:111 opus/48000/2\\r\\n"                                                      \
  "m=video 9 UDP/TLS/RTP/SAVPF 96\\r\\nc=IN IP4 "                                        \
  "0.0.0.0\\r\\na=mid:1\\r\\na=rtcp-mux\\r\\na=sendonly\\r\\n"                           \
  "a=rtpmap:96 VP8/90000\\r\\n"

static void
create_room (TestDaemon *d, const char *name, const char *type)
{
  const char *form[] = { "UniqueName", name, "Type", type, NULL };

  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, NULL, NULL), ==, 201);
}

/* The next `error` after index *@from; fails the test when none comes. */
static JsonObject *
expect_error (GroupWsParticipant *p, guint *from, gint64 code, const char *text)
{
  JsonObject *error = group_ws_wait (p, "error", from, WAIT_MS);
  const char *message;

  g_assert_nonnull (error);
  message = json_object_get_string_member (error, "message");
  g_test_message ("error %" G_GINT64_FORMAT ": %s",
                  json_object_get_int_member (error, "code"), message);
  if (code != 0)
    g_assert_cmpint (json_object_get_int_member (error, "code"), ==, code);
  if (text != NULL)
    g_assert_nonnull (strstr (message, text));
  return error;
}

static void
test_relay_and_validation (void)
{
  TestDaemon *d = test_daemon_start (config, NULL);
  g_autoptr (GroupWsParticipant) alice = NULL;
  g_autofree char *misaddressed = NULL;
  JsonObject *offer;
  guint from = 0;

  create_room (d, "tiny-room", "tiny");
  alice = group_ws_join (d, "tiny-room", "alice");

  /* The worker offers first, relayed as from "server". */
  offer = group_ws_wait (alice, "offer", NULL, WAIT_MS);
  g_assert_nonnull (offer);
  g_assert_cmpstr (json_object_get_string_member (offer, "from"), ==, "server");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (offer, "sdp"), "v=0"));

  misaddressed = g_strdup_printf ("{\"type\":\"answer\",\"to\":\"%s\",\"sdp\":\"v=0\"}",
                                  alice->sid);
  group_ws_send (alice, misaddressed);
  expect_error (alice, &from, 53004, "server");

  group_ws_send (alice, "{\"type\":\"answer\",\"to\":\"server\"}");
  expect_error (alice, &from, 53004, "sdp");

  group_ws_send (alice, "{\"type\":\"candidate\",\"to\":\"server\",\"candidate\":5}");
  expect_error (alice, &from, 53004, "candidate");

  group_ws_send (alice, "{\"type\":\"candidate\",\"to\":\"server\",\"candidate\":\"\","
                        "\"sdpMLineIndex\":-1}");
  expect_error (alice, &from, 53004, "sdpMLineIndex");

  group_ws_send (alice, "{\"type\":\"candidate\",\"to\":\"server\",\"candidate\":\"\","
                        "\"sdpMid\":7}");
  expect_error (alice, &from, 53004, "sdpMid");

  /* worker-max-tracks=1: publishing two tracks is refused, not forwarded. */
  group_ws_send (alice,
                 "{\"type\":\"answer\",\"to\":\"server\",\"sdp\":\"" TWO_TRACK_SDP "\"}");
  expect_error (alice, &from, 53300, "worker-max-tracks");

  /* An empty SDP is refused by the daemon (it used to log a
   * GStreamer-SDP-CRITICAL there, fatal under G_DEBUG=fatal-criticals). */
  group_ws_send (alice, "{\"type\":\"offer\",\"to\":\"server\",\"sdp\":\"\"}");
  expect_error (alice, &from, 53403, "empty");
  g_assert_false (alice->closed);

  /* Garbage SDP is refused by the daemon with the worker's own parser and
   * code, to alice only, and she stays connected. */
  group_ws_send (alice, "{\"type\":\"answer\",\"to\":\"server\",\"sdp\":\"not an sdp\"}");
  expect_error (alice, &from, 53403, "v=0");
  g_assert_false (alice->closed);

  group_ws_free (g_steal_pointer (&alice));
  test_daemon_stop (d);
}

static void
test_limits (void)
{
  TestDaemon *d = test_daemon_start (config, NULL);
  const char *broken[] = { "UniqueName", "broken-room", "Type", "broken", NULL };
  g_autoptr (GroupWsParticipant) alice = NULL;
  g_autoptr (GroupWsParticipant) bob = NULL;
  g_autoptr (JsonNode) body = NULL;
  JsonObject *error;
  guint status;

  /* An unusable option value refuses the room, naming the type and key. */
  status = test_http (d, "POST", "/v1/Rooms", TRUE, broken, &body, NULL);
  g_assert_cmpuint (status, ==, 400);
  error = json_node_get_object (body);
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, 53114);
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"),
                            "[type:broken] worker-max-participants"));
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), "lots"));

  /* worker-max-participants=1: the second participant is refused, the
   * first stays. */
  create_room (d, "one-seat", "tiny");
  alice = group_ws_join (d, "one-seat", "alice");
  bob = group_ws_connect (d, "one-seat", "bob");
  error = group_ws_wait (bob, "error", NULL, WAIT_MS);
  g_assert_nonnull (error);
  g_test_message ("bob: %s", json_object_get_string_member (error, "message"));
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, 53105);
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"),
                            "worker-max-participants"));
  g_assert_true (group_ws_wait_closed (bob, WAIT_MS));
  g_assert_null (group_ws_wait (bob, "joined", NULL, 0));
  g_assert_false (alice->closed);
  group_ws_send (alice, "{\"type\":\"ping\"}");
  g_assert_nonnull (group_ws_wait (alice, "pong", NULL, WAIT_MS));

  group_ws_free (g_steal_pointer (&alice));
  test_daemon_stop (d);
}

/* The client's `trickle` flag reaches the worker: a non-trickle client's
 * offer holds every candidate and a=end-of-candidates and no
 * a=ice-options:trickle, and no `candidate` message follows it. */
static void
test_trickle_flag (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);
  g_autoptr (GroupWsParticipant) alice = NULL;
  g_autoptr (GroupWsParticipant) bob = NULL;
  JsonObject *offer;
  const char *sdp;
  guint from = 0;

  create_room (d, "trickle-room", "group");
  alice = group_ws_join (d, "trickle-room", "alice");
  bob = group_ws_join_non_trickle (d, "trickle-room", "bob");

  offer = group_ws_wait (alice, "offer", NULL, WAIT_MS);
  g_assert_nonnull (offer);
  g_assert_nonnull (
      strstr (json_object_get_string_member (offer, "sdp"), "a=ice-options:trickle"));

  offer = group_ws_wait (bob, "offer", &from, WAIT_MS);
  g_assert_nonnull (offer);
  sdp = json_object_get_string_member (offer, "sdp");
  g_test_message ("offer to the non-trickle client:\n%s", sdp);
  g_assert_null (strstr (sdp, "a=ice-options:trickle"));
  g_assert_nonnull (strstr (sdp, "a=candidate:"));
  g_assert_nonnull (strstr (sdp, "a=end-of-candidates"));
  /* (Alice may get hers inside the SDP too: on loopback gathering is done
   * by the time the offer is written.) */
  g_assert_null (group_ws_watch (bob, "candidate", &from, 1000));

  group_ws_free (g_steal_pointer (&alice));
  group_ws_free (g_steal_pointer (&bob));
  test_daemon_stop (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/group/module/relay-and-validation", test_relay_and_validation);
  g_test_add_func ("/group/module/limits", test_limits);
  g_test_add_func ("/group/module/trickle-flag", test_trickle_flag);
  return g_test_run ();
}
