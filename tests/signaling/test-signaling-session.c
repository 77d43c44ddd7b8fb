/* Signaling against a real convoked: join, presence, relay in mesh rooms,
 * go rooms, token refusals, REST kicks and participant records, TURN
 * credentials in `joined`, and no media worker for mesh rooms.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "access-token.h"
#include "sid.h"
#include "signaling-test-client.h"

#define WAIT_MS 5000
#define TURN_SECRET "turn-test-secret"
#define TURN_TTL 600

static TestDaemon *daemon_;

static const char *config_text = "[rooms]\n"
                                 "default-type=peer-to-peer\n"
                                 "auto-create=true\n"
                                 "[type:peer-to-peer]\n"
                                 "module=mesh\n"
                                 "max-participants=10\n"
                                 "[type:go]\n"
                                 "module=mesh\n"
                                 "max-participants=2\n"
                                 "[media]\n"
                                 "stun-server=stun:127.0.0.1:3478\n"
                                 /* no-worker counts worker processes:
                                  * none may wait for a group room. */
                                 "worker-pool=0\n"
                                 "[turn]\n"
                                 "urls=turn:127.0.0.1:3478?transport=udp;"
                                 "turn:127.0.0.1:3478?transport=tcp\n"
                                 "secret=" TURN_SECRET "\n"
                                 "ttl=600\n"
                                 "[signaling]\n"
                                 "keepalive-interval=10\n";

/* An SDP with CRLFs, tabs, trailing spaces, a lone LF, escapes JSON must
 * carry, and characters from outside the BMP: anything that re-encoding
 * or parsing would disturb. */
static const char *odd_sdp = "v=0\r\n"
                             "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
                             "s=Réunion  ünïcødé 会议 🎥\t \r\n"
                             "t=0 0\r\n"
                             "a=x-quote:\"q\" \\ back\\slash /slash\n"
                             "a=x-control:\x01\x1f end   \r\n"
                             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\r\n";

static JsonObject *
object_at (JsonObject *object, const char *member)
{
  g_assert_true (json_object_has_member (object, member));
  return json_object_get_object_member (object, member);
}

static void
test_join_contents (void)
{
  SigClient *alice = sig_client_connect (daemon_);
  SigClient *bob = sig_client_connect (daemon_);
  g_autofree char *alice_token = test_daemon_token (daemon_, "alice", "standup");
  g_autofree char *bob_token = test_daemon_token (daemon_, "bob", NULL);
  g_autoptr (JsonObject) joined = NULL;
  g_autoptr (JsonObject) bob_joined = NULL;
  g_autoptr (JsonObject) published = NULL;
  g_autoptr (JsonObject) connected = NULL;
  g_autoptr (JsonObject) seen = NULL;
  g_autoptr (JsonObject) unpublished = NULL;
  g_autoptr (JsonObject) gone = NULL;
  g_autoptr (JsonObject) error = NULL;
  JsonObject *object;
  JsonArray *array;
  const char *camera_sid;
  const char *mic_sid;

  sig_client_sendf (alice,
                    "{\"type\":\"join\",\"id\":7,\"token\":\"%s\",\"room\":\"standup\","
                    "\"client\":\"test\",\"unknown-member\":[1,2]}",
                    alice_token);
  joined = sig_client_wait_for (alice, "joined", WAIT_MS);
  g_assert_nonnull (joined);
  g_assert_cmpint (json_object_get_int_member (joined, "id"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (joined, "version"), ==, 1);
  object = object_at (joined, "participant");
  g_assert_true (
      convoke_sid_is_valid (json_object_get_string_member (object, "sid"), "PA"));
  g_assert_cmpstr (json_object_get_string_member (object, "identity"), ==, "alice");
  alice->sid = g_strdup (json_object_get_string_member (object, "sid"));
  object = object_at (joined, "room");
  g_assert_true (
      convoke_sid_is_valid (json_object_get_string_member (object, "sid"), "RM"));
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "standup");
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "peer-to-peer");
  alice->room_sid = g_strdup (json_object_get_string_member (object, "sid"));
  g_assert_cmpstr (json_object_get_string_member (joined, "topology"), ==, "mesh");
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (joined, "participants")), ==,
      0);
  g_assert_cmpint (json_object_get_int_member (joined, "keepalive_interval"), ==, 10);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (joined, "ice_servers")), ==,
      2);

  /* A track published before bob comes is listed in bob's `joined`. */
  sig_client_send_text (alice, "{\"type\":\"track-published\",\"id\":\"t1\","
                               "\"track\":{\"name\":\"camera\",\"kind\":\"video\"}}");
  published = sig_client_wait_for (alice, "track-published", WAIT_MS);
  g_assert_nonnull (published);
  g_assert_cmpstr (json_object_get_string_member (published, "id"), ==, "t1");
  g_assert_cmpstr (json_object_get_string_member (published, "participant"), ==,
                   alice->sid);
  object = object_at (published, "track");
  camera_sid = json_object_get_string_member (object, "sid");
  g_assert_true (convoke_sid_is_valid (camera_sid, "MT"));
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "camera");
  g_assert_cmpstr (json_object_get_string_member (object, "kind"), ==, "video");

  /* Bob names the room by sid; his token grants any room. */
  sig_client_sendf (
      bob, "{\"type\":\"join\",\"token\":\"%s\",\"room\":\"%s\",\"trickle\":false}",
      bob_token, alice->room_sid);
  bob_joined = sig_client_wait_for (bob, "joined", WAIT_MS);
  g_assert_nonnull (bob_joined);
  g_assert_false (json_object_has_member (bob_joined, "id"));
  bob->sid = g_strdup (
      json_object_get_string_member (object_at (bob_joined, "participant"), "sid"));
  g_assert_cmpstr (json_object_get_string_member (object_at (bob_joined, "room"), "sid"),
                   ==, alice->room_sid);
  array = json_object_get_array_member (bob_joined, "participants");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "sid"), ==, alice->sid);
  g_assert_cmpstr (json_object_get_string_member (object, "identity"), ==, "alice");
  g_assert_true (json_object_get_boolean_member (object, "trickle"));
  array = json_object_get_array_member (object, "tracks");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "sid"), ==, camera_sid);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "camera");
  g_assert_cmpstr (json_object_get_string_member (object, "kind"), ==, "video");

  connected = sig_client_wait_for (alice, "participant-connected", WAIT_MS);
  g_assert_nonnull (connected);
  object = object_at (connected, "participant");
  g_assert_cmpstr (json_object_get_string_member (object, "sid"), ==, bob->sid);
  g_assert_cmpstr (json_object_get_string_member (object, "identity"), ==, "bob");
  g_assert_false (json_object_get_boolean_member (object, "trickle"));
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (object, "tracks")), ==, 0);

  /* Publishing and unpublishing reach the other participant. */
  sig_client_send_text (alice, "{\"type\":\"track-published\","
                               "\"track\":{\"name\":\"mic\",\"kind\":\"audio\"}}");
  seen = sig_client_wait_for (bob, "track-published", WAIT_MS);
  g_assert_nonnull (seen);
  g_assert_cmpstr (json_object_get_string_member (seen, "participant"), ==, alice->sid);
  object = object_at (seen, "track");
  mic_sid = json_object_get_string_member (object, "sid");
  g_assert_true (convoke_sid_is_valid (mic_sid, "MT"));
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "mic");
  g_assert_cmpstr (json_object_get_string_member (object, "kind"), ==, "audio");
  json_object_unref (sig_client_wait_for (alice, "track-published", WAIT_MS));

  sig_client_sendf (
      alice, "{\"type\":\"track-unpublished\",\"id\":3,\"track\":{\"sid\":\"%s\"}}",
      mic_sid);
  unpublished = sig_client_wait_for (bob, "track-unpublished", WAIT_MS);
  g_assert_nonnull (unpublished);
  g_assert_cmpstr (json_object_get_string_member (unpublished, "participant"), ==,
                   alice->sid);
  g_assert_cmpstr (
      json_object_get_string_member (object_at (unpublished, "track"), "sid"), ==,
      mic_sid);
  g_clear_pointer (&unpublished, json_object_unref);
  unpublished = sig_client_wait_for (alice, "track-unpublished", WAIT_MS);
  g_assert_nonnull (unpublished);
  g_assert_cmpint (json_object_get_int_member (unpublished, "id"), ==, 3);

  /* Invalid tracks are refused without harm. */
  sig_client_send_text (alice, "{\"type\":\"track-published\",\"id\":9,"
                               "\"track\":{\"name\":\"x\",\"kind\":\"smell\"}}");
  error = sig_client_expect_error (alice, 53300, WAIT_MS);
  g_assert_cmpint (json_object_get_int_member (error, "id"), ==, 9);
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), "smell"));
  g_clear_pointer (&error, json_object_unref);
  sig_client_sendf (alice, "{\"type\":\"track-unpublished\",\"track\":{\"sid\":\"%s\"}}",
                    mic_sid);
  error = sig_client_expect_error (alice, 53300, WAIT_MS);
  g_clear_pointer (&error, json_object_unref);
  sig_client_send_text (alice, "{\"type\":\"track-published\","
                               "\"track\":{\"name\":\"camera\",\"kind\":\"video\"}}");
  error = sig_client_expect_error (alice, 53300, WAIT_MS);
  g_assert_nonnull (
      strstr (json_object_get_string_member (error, "message"), camera_sid));

  /* Without a name, a track is named by its sid. */
  g_clear_pointer (&published, json_object_unref);
  sig_client_send_text (alice,
                        "{\"type\":\"track-published\",\"track\":{\"kind\":\"data\"}}");
  published = sig_client_wait_for (alice, "track-published", WAIT_MS);
  g_assert_nonnull (published);
  object = object_at (published, "track");
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==,
                   json_object_get_string_member (object, "sid"));
  g_clear_pointer (&seen, json_object_unref);
  seen = sig_client_wait_for (bob, "track-published", WAIT_MS);
  g_assert_nonnull (seen);
  g_assert_cmpstr (json_object_get_string_member (object_at (seen, "track"), "kind"), ==,
                   "data");

  /* A second join on a joined connection is refused, not fatal. */
  g_clear_pointer (&error, json_object_unref);
  sig_client_sendf (bob, "{\"type\":\"join\",\"id\":\"again\",\"token\":\"%s\"}",
                    bob_token);
  error = sig_client_expect_error (bob, 53004, WAIT_MS);
  g_assert_cmpstr (json_object_get_string_member (error, "id"), ==, "again");
  sig_client_sync (bob);

  sig_client_send_text (bob, "{\"type\":\"leave\"}");
  sig_client_expect_close (bob, SOUP_WEBSOCKET_CLOSE_NORMAL, WAIT_MS);
  gone = sig_client_wait_for (alice, "participant-disconnected", WAIT_MS);
  g_assert_nonnull (gone);
  g_assert_cmpstr (json_object_get_string_member (object_at (gone, "participant"), "sid"),
                   ==, bob->sid);
  g_assert_cmpstr (
      json_object_get_string_member (object_at (gone, "participant"), "identity"), ==,
      "bob");
  sig_client_sync (alice);

  sig_client_free (bob);
  sig_client_free (alice);
}

static void
test_relay (void)
{
  SigClient *a = sig_client_new_joined (daemon_, "relay-a", "relay");
  SigClient *b = sig_client_new_joined (daemon_, "relay-b", "relay");
  SigClient *c = sig_client_new_joined (daemon_, "relay-c", "relay");
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) candidate = NULL;
  g_autoptr (JsonObject) end = NULL;

  sig_client_check_relay (a, b, odd_sdp);

  sig_client_sendf (b, "{\"type\":\"answer\",\"to\":\"%s\",\"sdp\":\"v=0\\r\\n\"}",
                    a->sid);
  answer = sig_client_wait_for (a, "answer", WAIT_MS);
  g_assert_nonnull (answer);
  g_assert_cmpstr (json_object_get_string_member (answer, "from"), ==, b->sid);
  g_assert_cmpstr (json_object_get_string_member (answer, "sdp"), ==, "v=0\r\n");

  sig_client_sendf (
      a,
      "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":\"candidate:1 1 UDP "
      "2122252543 127.0.0.1 50000 typ host\",\"sdpMLineIndex\":0,"
      "\"sdpMid\":\"0\"}",
      b->sid);
  candidate = sig_client_wait_for (b, "candidate", WAIT_MS);
  g_assert_nonnull (candidate);
  g_assert_cmpstr (json_object_get_string_member (candidate, "from"), ==, a->sid);
  g_assert_cmpstr (json_object_get_string_member (candidate, "candidate"), ==,
                   "candidate:1 1 UDP 2122252543 127.0.0.1 50000 typ host");
  g_assert_cmpint (json_object_get_int_member (candidate, "sdpMLineIndex"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (candidate, "sdpMid"), ==, "0");

  /* End of candidates: an empty string, relayed as such. */
  sig_client_sendf (a, "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":\"\"}",
                    b->sid);
  end = sig_client_wait_for (b, "candidate", WAIT_MS);
  g_assert_nonnull (end);
  g_assert_cmpstr (json_object_get_string_member (end, "candidate"), ==, "");

  /* The addressed participant only. */
  sig_client_sync (c);
  sig_client_sync (a);
  g_assert_false (sig_client_has (c, "offer"));
  g_assert_false (sig_client_has (c, "answer"));
  g_assert_false (sig_client_has (c, "candidate"));
  g_assert_false (sig_client_has (a, "offer"));
  g_assert_false (sig_client_has (a, "error"));
  g_assert_false (sig_client_has (b, "error"));

  sig_client_free (c);
  sig_client_free (b);
  sig_client_free (a);
}

static void
create_room (const char *unique_name, const char *type, char **sid_out)
{
  const char *form[] = { "UniqueName", unique_name, "Type", type, NULL };
  g_autoptr (JsonNode) json = NULL;
  guint status = test_http (daemon_, "POST", "/v1/Rooms", TRUE, form, &json, NULL);

  g_assert_cmpuint (status, ==, 201);
  g_assert_nonnull (json);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "type"),
                   ==, type);
  *sid_out
      = g_strdup (json_object_get_string_member (json_node_get_object (json), "sid"));
}

static void
test_go_room_full (void)
{
  g_autofree char *room_sid = NULL;
  SigClient *a, *b, *c;
  g_autofree char *token = test_daemon_token (daemon_, "go-c", "go-room");
  g_autoptr (JsonObject) error = NULL;
  g_autoptr (JsonObject) joined = NULL;

  create_room ("go-room", "go", &room_sid);
  a = sig_client_new_joined (daemon_, "go-a", "go-room");
  b = sig_client_new_joined (daemon_, "go-b", "go-room");
  g_assert_cmpstr (a->room_sid, ==, room_sid);
  json_object_unref (sig_client_wait_for (a, "participant-connected", WAIT_MS));

  c = sig_client_connect (daemon_);
  sig_client_sendf (c, "{\"type\":\"join\",\"id\":1,\"token\":\"%s\"}", token);
  error = sig_client_expect_error (c, 53105, WAIT_MS);
  g_assert_cmpint (json_object_get_int_member (error, "id"), ==, 1);
  sig_client_expect_close (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, WAIT_MS);

  /* The two inside noticed nothing and still talk. */
  sig_client_check_relay (a, b, odd_sdp);
  sig_client_check_relay (b, a, "v=0\r\n");
  g_assert_false (sig_client_has (a, "participant-connected"));
  g_assert_false (a->closed);
  g_assert_false (b->closed);

  sig_client_free (c);
  sig_client_free (b);
  sig_client_free (a);
}

/* Joins with @token, expects the refusal @code and close 1008. */
static void
expect_token_refused (const char *token, const char *room, int code)
{
  SigClient *c = sig_client_connect (daemon_);
  g_autoptr (JsonObject) error = NULL;

  if (room != NULL)
    sig_client_sendf (c, "{\"type\":\"join\",\"token\":\"%s\",\"room\":\"%s\"}", token,
                      room);
  else
    sig_client_sendf (c, "{\"type\":\"join\",\"token\":\"%s\"}", token);
  error = sig_client_expect_error (c, code, WAIT_MS);
  sig_client_expect_close (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, WAIT_MS);
  g_assert_null (c->sid);
  sig_client_free (c);
}

/* The opt-in flags of `join` must be booleans: anything else is 53004,
 * not fatal, naming the flag; the client may join again on the same
 * connection. */
static void
test_join_flags (void)
{
  SigClient *c = sig_client_connect (daemon_);
  g_autofree char *token = test_daemon_token (daemon_, "flags", "flags");
  g_autoptr (JsonObject) error = NULL;
  g_autoptr (JsonObject) joined = NULL;

  sig_client_sendf (c,
                    "{\"type\":\"join\",\"token\":\"%s\",\"room\":\"flags\","
                    "\"network_quality\":true,\"dominant_speaker\":\"yes\"}",
                    token);
  error = sig_client_expect_error (c, 53004, WAIT_MS);
  g_assert_nonnull (
      strstr (json_object_get_string_member (error, "message"), "dominant_speaker"));
  sig_client_sendf (c,
                    "{\"type\":\"join\",\"token\":\"%s\",\"room\":\"flags\","
                    "\"network_quality\":true,\"dominant_speaker\":false}",
                    token);
  joined = sig_client_wait_for (c, "joined", WAIT_MS);
  g_assert_nonnull (joined);
  sig_client_free (c);
}

static void
test_token_refusals (void)
{
  SigClient *a = sig_client_new_joined (daemon_, "tok-a", "tokens");
  SigClient *b = sig_client_new_joined (daemon_, "tok-b", "tokens");
  g_autofree char *other_room = test_daemon_token (daemon_, "mallory", "elsewhere");
  g_autofree char *forged = convoke_access_token_create (
      TEST_API_KEY, "not-the-secret", TEST_ACCOUNT_SID, "mallory", "tokens", 3600);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  /* Expired two minutes ago: beyond the 30 s clock skew. */
  g_autofree char *payload = g_strdup_printf (
      "{\"jti\":\"" TEST_API_KEY "-%" G_GINT64_FORMAT "\",\"iss\":\"" TEST_API_KEY
      "\",\"sub\":\"" TEST_ACCOUNT_SID "\",\"iat\":%" G_GINT64_FORMAT
      ",\"exp\":%" G_GINT64_FORMAT ",\"grants\":{\"identity\":\"mallory\","
      "\"video\":{\"room\":\"tokens\"}}}",
      now, now - 3720, now - 120);
  g_autofree char *expired = sig_make_jwt (TEST_API_SECRET, payload);

  json_object_unref (sig_client_wait_for (a, "participant-connected", WAIT_MS));
  expect_token_refused (other_room, "tokens", 20106);
  expect_token_refused (expired, NULL, 20104);
  expect_token_refused (forged, NULL, 20107);
  expect_token_refused ("not.a.jwt", "tokens", 20101);

  sig_client_check_relay (a, b, odd_sdp);
  g_assert_false (sig_client_has (a, "participant-connected"));
  sig_client_free (b);
  sig_client_free (a);
}

static JsonObject *
get_participant (const char *room_sid, const char *participant_sid)
{
  g_autofree char *path
      = g_strdup_printf ("/v1/Rooms/%s/Participants/%s", room_sid, participant_sid);
  g_autoptr (JsonNode) json = NULL;

  g_assert_cmpuint (test_http (daemon_, "GET", path, TRUE, NULL, &json, NULL), ==, 200);
  g_assert_nonnull (json);
  return json_object_ref (json_node_get_object (json));
}

static void
test_kick_and_rest (void)
{
  SigClient *a = sig_client_new_joined (daemon_, "kick-a", "kick");
  SigClient *b = sig_client_new_joined (daemon_, "kick-b", "kick");
  SigClient *c = sig_client_new_joined (daemon_, "kick-c", "kick");
  g_autofree char *path
      = g_strdup_printf ("/v1/Rooms/%s/Participants/%s", b->room_sid, b->sid);
  const char *form[] = { "Status", "disconnected", NULL };
  g_autoptr (JsonNode) json = NULL;
  g_autoptr (JsonObject) gone_a = NULL;
  g_autoptr (JsonObject) gone_c = NULL;
  g_autoptr (JsonObject) record_a = NULL;
  g_autoptr (JsonObject) record_b = NULL;

  /* While connected: a start time and nothing else. */
  record_b = get_participant (b->room_sid, b->sid);
  g_assert_cmpstr (json_object_get_string_member (record_b, "status"), ==, "connected");
  g_assert_nonnull (json_object_get_string_member (record_b, "start_time"));
  g_assert_true (json_object_get_null_member (record_b, "end_time"));
  g_assert_true (json_object_get_null_member (record_b, "duration"));
  g_clear_pointer (&record_b, json_object_unref);

  g_assert_cmpuint (test_http (daemon_, "POST", path, TRUE, form, &json, NULL), ==, 202);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "status"),
                   ==, "disconnected");

  json_object_unref (sig_client_expect_error (b, 53216, WAIT_MS));
  sig_client_expect_close (b, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, WAIT_MS);
  gone_a = sig_client_wait_for (a, "participant-disconnected", WAIT_MS);
  gone_c = sig_client_wait_for (c, "participant-disconnected", WAIT_MS);
  g_assert_nonnull (gone_a);
  g_assert_nonnull (gone_c);
  g_assert_cmpstr (
      json_object_get_string_member (object_at (gone_a, "participant"), "sid"), ==,
      b->sid);
  g_assert_cmpstr (
      json_object_get_string_member (object_at (gone_c, "participant"), "sid"), ==,
      b->sid);

  record_b = get_participant (b->room_sid, b->sid);
  g_assert_cmpstr (json_object_get_string_member (record_b, "status"), ==,
                   "disconnected");
  g_assert_nonnull (json_object_get_string_member (record_b, "start_time"));
  g_assert_nonnull (json_object_get_string_member (record_b, "end_time"));
  g_assert_cmpint (json_object_get_int_member (record_b, "duration"), >=, 0);
  record_a = get_participant (a->room_sid, a->sid);
  g_assert_cmpstr (json_object_get_string_member (record_a, "status"), ==, "connected");
  g_assert_true (json_object_get_null_member (record_a, "end_time"));

  /* The others carry on. */
  sig_client_check_relay (a, c, odd_sdp);

  sig_client_free (c);
  sig_client_free (b);
  sig_client_free (a);
}

static void
test_duplicate_identity (void)
{
  SigClient *first = sig_client_new_joined (daemon_, "twin", "dup");
  SigClient *other = sig_client_new_joined (daemon_, "dup-other", "dup");
  SigClient *second = sig_client_new_joined (daemon_, "twin", "dup");
  g_autoptr (JsonObject) gone = NULL;

  json_object_unref (sig_client_expect_error (first, 53205, WAIT_MS));
  sig_client_expect_close (first, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, WAIT_MS);
  gone = sig_client_wait_for (other, "participant-disconnected", WAIT_MS);
  g_assert_nonnull (gone);
  g_assert_cmpstr (json_object_get_string_member (object_at (gone, "participant"), "sid"),
                   ==, first->sid);
  sig_client_check_relay (other, second, odd_sdp);

  sig_client_free (second);
  sig_client_free (other);
  sig_client_free (first);
}

static void
test_room_completed (void)
{
  SigClient *a = sig_client_new_joined (daemon_, "end-a", "ending");
  SigClient *b = sig_client_new_joined (daemon_, "end-b", "ending");
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s", a->room_sid);
  const char *form[] = { "Status", "completed", NULL };

  g_assert_cmpuint (test_http (daemon_, "POST", path, TRUE, form, NULL, NULL), ==, 202);
  json_object_unref (sig_client_expect_error (a, 53118, WAIT_MS));
  json_object_unref (sig_client_expect_error (b, 53118, WAIT_MS));
  sig_client_expect_close (a, SOUP_WEBSOCKET_CLOSE_NORMAL, WAIT_MS);
  sig_client_expect_close (b, SOUP_WEBSOCKET_CLOSE_NORMAL, WAIT_MS);

  sig_client_free (b);
  sig_client_free (a);
}

/* Counts the daemon's children that are room workers ("comm" is cut to
 * 15 characters by the kernel). */
static guint
count_worker_children (GPid daemon_pid)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *close_paren;
      char state;
      int ppid;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue; /* exited meanwhile */
      /* "pid (comm) state ppid …"; comm may hold spaces and parens. */
      close_paren = strrchr (stat, ')');
      if (close_paren == NULL || sscanf (close_paren + 1, " %c %d", &state, &ppid) != 2)
        continue;
      if (ppid == daemon_pid && strstr (stat, "(convoke-room-wo") != NULL)
        n++;
    }
  return n;
}

static void
test_no_worker_for_mesh (void)
{
  SigClient *a = sig_client_new_joined (daemon_, "nw-a", "no-worker");
  SigClient *b = sig_client_new_joined (daemon_, "nw-b", "no-worker");

  sig_client_check_relay (a, b, "v=0\r\n");
  g_assert_cmpuint (count_worker_children (daemon_->pid), ==, 0);
  sig_client_free (b);
  sig_client_free (a);
}

static void
test_ice_servers (void)
{
  SigClient *c = sig_client_connect (daemon_);
  g_autofree char *token = test_daemon_token (daemon_, "turn-user", "ice");
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr (JsonObject) joined = sig_client_join (c, token, NULL);
  gint64 after = g_get_real_time () / G_USEC_PER_SEC;
  JsonArray *servers = json_object_get_array_member (joined, "ice_servers");
  JsonObject *stun, *turn;
  JsonArray *urls;
  const char *username, *credential;
  g_auto (GStrv) parts = NULL;
  gint64 expiry;
  g_autoptr (GHmac) hmac = NULL;
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  g_autofree char *expected = NULL;

  g_assert_cmpuint (json_array_get_length (servers), ==, 2);
  stun = json_array_get_object_element (servers, 0);
  urls = json_object_get_array_member (stun, "urls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (urls, 0), ==, "stun:127.0.0.1:3478");
  g_assert_false (json_object_has_member (stun, "credential"));

  turn = json_array_get_object_element (servers, 1);
  urls = json_object_get_array_member (turn, "urls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (urls, 0), ==,
                   "turn:127.0.0.1:3478?transport=udp");
  g_assert_cmpstr (json_array_get_string_element (urls, 1), ==,
                   "turn:127.0.0.1:3478?transport=tcp");

  /* coturn's use-auth-secret: "<expiry>:<identity>" and
   * base64(HMAC-SHA1(secret, username)), computed here independently. */
  username = json_object_get_string_member (turn, "username");
  credential = json_object_get_string_member (turn, "credential");
  parts = g_strsplit (username, ":", 2);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  g_assert_cmpstr (parts[1], ==, "turn-user");
  expiry = g_ascii_strtoll (parts[0], NULL, 10);
  g_assert_cmpint (expiry, >=, before + TURN_TTL);
  g_assert_cmpint (expiry, <=, after + TURN_TTL);

  hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *)TURN_SECRET, strlen (TURN_SECRET));
  g_hmac_update (hmac, (const guchar *)username, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  expected = g_base64_encode (digest, digest_len);
  g_assert_cmpstr (credential, ==, expected);

  sig_client_free (c);
}

typedef struct
{
  SoupWebsocketConnection *ws;
  GError *error;
  gboolean done;
} Handshake;

static void
on_handshake (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Handshake *h = user_data;

  h->ws
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &h->error);
  h->done = TRUE;
}

static gboolean
handshake_done (gpointer data)
{
  return ((Handshake *)data)->done;
}

/* Opens the signaling socket offering @protocols (NULL: none). */
static Handshake
handshake (char **protocols)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = test_daemon_signaling_url (daemon_);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  Handshake h = { NULL, NULL, FALSE };

  soup_session_websocket_connect_async (session, msg, NULL, protocols, G_PRIORITY_DEFAULT,
                                        NULL, on_handshake, &h);
  g_assert_true (test_wait_until (handshake_done, &h, WAIT_MS));
  return h;
}

static void
test_subprotocol (void)
{
  char *wrong[] = { (char *)"convoke-signaling-0", (char *)"chat", NULL };
  Handshake refused = handshake (wrong);
  Handshake plain = handshake (NULL);

  g_assert_null (refused.ws);
  g_assert_nonnull (refused.error);
  g_clear_error (&refused.error);

  /* Offering no subprotocol at all is accepted. */
  g_assert_no_error (plain.error);
  g_assert_nonnull (plain.ws);
  soup_websocket_connection_close (plain.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&plain.ws);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  daemon_ = test_daemon_start (config_text, NULL);

  g_test_add_func ("/signaling/session/join-contents", test_join_contents);
  g_test_add_func ("/signaling/session/relay", test_relay);
  g_test_add_func ("/signaling/session/go-room-full", test_go_room_full);
  g_test_add_func ("/signaling/session/token-refusals", test_token_refusals);
  g_test_add_func ("/signaling/session/join-flags", test_join_flags);
  g_test_add_func ("/signaling/session/kick-and-rest", test_kick_and_rest);
  g_test_add_func ("/signaling/session/duplicate-identity", test_duplicate_identity);
  g_test_add_func ("/signaling/session/room-completed", test_room_completed);
  g_test_add_func ("/signaling/session/no-worker-for-mesh", test_no_worker_for_mesh);
  g_test_add_func ("/signaling/session/ice-servers", test_ice_servers);
  g_test_add_func ("/signaling/session/subprotocol", test_subprotocol);

  status = g_test_run ();
  test_daemon_stop (daemon_);
  return status;
}
