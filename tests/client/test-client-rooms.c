/* convoke-client against a real convoked: peer-to-peer and go rooms.
 *
 * Every case starts its own daemon on an ephemeral port and real
 * convoke-client processes, and judges them by their --stats-json files,
 * their output and their exit status.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "client-runner.h"

/* The group types run on the mesh module here, so that these cases do not
 * depend on the group module and its media worker. */
#define ROOMS_CONFIG                                                                     \
  "[rooms]\n"                                                                            \
  "default-type=peer-to-peer\n"                                                          \
  "auto-create=true\n"                                                                   \
  "[type:group]\n"                                                                       \
  "module=mesh\n"                                                                        \
  "[type:group-small]\n"                                                                 \
  "module=mesh\n"

/* The acceptance bar: 30 frames and some audio from each peer within 20 s
 * of the last client starting. */
#define MEDIA_TIMEOUT_MS 20000
#define WANT_VIDEO_FRAMES 30
#define WANT_AUDIO_BUFFERS 10

static void
create_room (TestDaemon *d, const char *name, const char *type)
{
  const char *form[] = { "UniqueName", name, "Type", type, NULL };
  g_autoptr (JsonNode) json = NULL;
  guint status = test_http (d, "POST", "/v1/Rooms", TRUE, form, &json, NULL);

  g_assert_cmpuint (status, ==, 201);
}

typedef struct
{
  TestClient *client;
  const char *sid_or_identity;
} PeerGone;

static gboolean
peer_reported_gone (gpointer data)
{
  PeerGone *gone = data;
  g_autoptr (JsonObject) stats = test_client_stats (gone->client);
  JsonObject *participant
      = stats ? test_stats_participant (stats, gone->sid_or_identity) : NULL;

  return participant != NULL
         && !json_object_get_boolean_member_with_default (participant, "connected", TRUE);
}

static void
assert_peer_gone (TestClient *client, const char *sid_or_identity)
{
  PeerGone gone = { client, sid_or_identity };
  g_autofree char *out = NULL;

  g_assert_true (test_wait_until (peer_reported_gone, &gone, 10000));
  out = test_client_stdout (client);
  g_assert_nonnull (strstr (out, "participant disconnected"));
}

static void
assert_clean_stop (TestClient *client)
{
  g_assert_cmpint (test_client_stop (client), ==, 0);
}

/* Three clients in a peer-to-peer room each decode the other two. */
static void
test_peer_to_peer_three (void)
{
  TestDaemon *d = test_client_daemon_start (ROOMS_CONFIG);
  TestClient *clients[4] = { NULL };

  create_room (d, "p2p-three", "peer-to-peer");
  clients[0] = test_client_start (d, "alice", "p2p-three", NULL);
  clients[1] = test_client_start (d, "bob", "p2p-three", NULL);
  clients[2] = test_client_start (d, "carol", "p2p-three", NULL);

  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (JsonObject) stats = test_client_stats (clients[i]);
      JsonArray *participants = json_object_get_array_member (stats, "participants");

      g_assert_cmpstr (json_object_get_string_member (stats, "status"), ==, "joined");
      g_assert_cmpstr (json_object_get_string_member (stats, "topology"), ==, "mesh");
      g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (stats, "error")));
      g_assert_cmpuint (json_array_get_length (participants), ==, 2);
      for (guint j = 0; j < 2; j++)
        {
          JsonObject *participant = json_array_get_object_element (participants, j);
          JsonObject *video = json_object_get_object_member (
              json_object_get_object_member (participant, "tracks"), "video");

          g_assert_cmpint (json_object_get_int_member (video, "bytes_received"), >, 0);
          g_assert_cmpint (
              json_object_get_int_member (video, "first_frame_ms_from_connection"), >=,
              0);
        }
    }
  for (guint i = 0; i < 3; i++)
    assert_clean_stop (clients[i]);
  test_daemon_stop (d);
}

typedef struct
{
  TestClient *client;
  const char *identity;
  gint64 above;
} FramesAbove;

static gboolean
frames_rose (gpointer data)
{
  FramesAbove *want = data;

  return test_client_frames_from (want->client, want->identity, "video") > want->above;
}

/* A go room admits two; the third is refused with 53105 and the first two
 * keep receiving. */
static void
test_go_room_full (void)
{
  TestDaemon *d = test_client_daemon_start (ROOMS_CONFIG);
  TestClient *pair[3] = { NULL };
  TestClient *third;
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) refused = NULL;
  JsonObject *error;
  gint64 before[2];

  create_room (d, "go-full", "go");
  pair[0] = test_client_start (d, "alice", "go-full", NULL);
  pair[1] = test_client_start (d, "bob", "go-full", NULL);
  g_assert_true (test_clients_wait_all_receive (pair, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));

  third = test_client_start (d, "carol", "go-full", NULL);
  g_assert_cmpint (test_client_wait_exit (third, 15000), ==, 1);
  err = test_client_stderr (third);
  g_assert_nonnull (strstr (err, "(53105)"));
  g_assert_true (g_str_has_prefix (err, "convoke-client: "));
  refused = test_client_stats (third);
  g_assert_cmpstr (json_object_get_string_member (refused, "status"), ==, "failed");
  error = json_object_get_object_member (refused, "error");
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, 53105);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (refused, "participants")), ==,
      0);
  test_client_stop (third);

  before[0] = test_client_frames_from (pair[0], "bob", "video");
  before[1] = test_client_frames_from (pair[1], "alice", "video");
  for (guint i = 0; i < 2; i++)
    {
      FramesAbove want = { pair[i], i == 0 ? "bob" : "alice", before[i] + 15 };

      g_assert_true (test_wait_until (frames_rose, &want, 10000));
    }
  assert_clean_stop (pair[0]);
  assert_clean_stop (pair[1]);
  test_daemon_stop (d);
}

/* One participant leaves: the others see it go and keep their own
 * connection; it comes back and everyone exchanges media again. */
static void
test_leave_and_rejoin (void)
{
  TestDaemon *d = test_client_daemon_start (ROOMS_CONFIG);
  TestClient *clients[4] = { NULL };
  g_autofree char *carol_sid = NULL;
  g_autofree char *new_sid = NULL;
  const char *alice_only[] = { "alice", NULL };
  const char *bob_only[] = { "bob", NULL };
  FramesAbove still;

  create_room (d, "rejoin", "peer-to-peer");
  clients[0] = test_client_start (d, "alice", "rejoin", NULL);
  clients[1] = test_client_start (d, "bob", "rejoin", NULL);
  clients[2] = test_client_start (d, "carol", "rejoin", NULL);
  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));

  carol_sid = test_client_sid (clients[2]);
  g_assert_nonnull (carol_sid);
  assert_clean_stop (clients[2]);
  clients[2] = NULL;
  assert_peer_gone (clients[0], carol_sid);
  assert_peer_gone (clients[1], carol_sid);

  /* Tearing carol's connections down left alice ↔ bob alone. */
  still = (FramesAbove){ clients[0], "bob",
                         test_client_frames_from (clients[0], "bob", "video") + 15 };
  g_assert_true (test_wait_until (frames_rose, &still, 10000));
  g_assert_true (
      test_client_receives_from (clients[1], alice_only, WANT_VIDEO_FRAMES, 1));
  g_assert_true (test_client_receives_from (clients[0], bob_only, WANT_VIDEO_FRAMES, 1));

  clients[2] = test_client_start (d, "carol", "rejoin", NULL);
  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));
  new_sid = test_client_sid (clients[2]);
  g_assert_cmpstr (new_sid, !=, carol_sid);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (JsonObject) stats = test_client_stats (clients[i]);
      JsonObject *rejoined = test_stats_participant (stats, new_sid);

      g_assert_nonnull (rejoined);
      g_assert_true (json_object_get_boolean_member (rejoined, "connected"));
    }
  for (guint i = 0; i < 3; i++)
    assert_clean_stop (clients[i]);
  test_daemon_stop (d);
}

/* A client that puts its candidates in the SDP and one that trickles them
 * understand each other, both ways round. */
static void
test_non_trickle (void)
{
  TestDaemon *d = test_client_daemon_start (ROOMS_CONFIG);
  const char *no_trickle[] = { "--no-trickle", NULL };
  TestClient *clients[4] = { NULL };

  create_room (d, "trickle", "peer-to-peer");
  /* alice answers as a non-trickle peer, carol offers as one. */
  clients[0] = test_client_start (d, "alice", "trickle", no_trickle);
  clients[1] = test_client_start (d, "bob", "trickle", NULL);
  clients[2] = test_client_start (d, "carol", "trickle", no_trickle);
  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));
  for (guint i = 0; i < 3; i++)
    assert_clean_stop (clients[i]);
  test_daemon_stop (d);
}

typedef struct
{
  TestClient *client;
  const char *const *from;
} PublishersReceived;

static gboolean
watcher_receives (gpointer data)
{
  PublishersReceived *want = data;

  return test_client_receives_from (want->client, want->from, WANT_VIDEO_FRAMES,
                                    WANT_AUDIO_BUFFERS);
}

/* A participant who publishes nothing still receives everything, whether
 * it offers (it joins last) or answers. */
static void
test_watcher (void)
{
  TestDaemon *d = test_client_daemon_start (ROOMS_CONFIG);
  const char *watch_only[] = { "--no-audio", "--no-video", NULL };
  const char *publishers[] = { "alice", "carol", NULL };
  TestClient *alice;
  TestClient *watcher;
  TestClient *carol;
  create_room (d, "watch", "peer-to-peer");
  alice = test_client_start (d, "alice", "watch", NULL);
  watcher = test_client_start (d, "watcher", "watch", watch_only);
  carol = test_client_start (d, "carol", "watch", NULL);
  {
    PublishersReceived want = { watcher, publishers };

    g_assert_true (test_wait_until (watcher_receives, &want, MEDIA_TIMEOUT_MS));
  }
  /* Nothing comes from the watcher. */
  g_assert_cmpint (test_client_frames_from (alice, "watcher", "video"), <=, 0);
  g_assert_cmpint (test_client_frames_from (carol, "watcher", "audio"), <=, 0);
  assert_clean_stop (alice);
  assert_clean_stop (watcher);
  assert_clean_stop (carol);
  test_daemon_stop (d);
}

/* Removing a participant through REST ends its client with 53216; the
 * others see it leave. */
static void
test_kick (void)
{
  TestDaemon *d = test_client_daemon_start (ROOMS_CONFIG);
  TestClient *clients[4] = { NULL };
  const char *form[] = { "Status", "disconnected", NULL };
  g_autofree char *carol_sid = NULL;
  g_autofree char *path = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) kicked = NULL;

  create_room (d, "kick", "peer-to-peer");
  clients[0] = test_client_start (d, "alice", "kick", NULL);
  clients[1] = test_client_start (d, "bob", "kick", NULL);
  clients[2] = test_client_start (d, "carol", "kick", NULL);
  g_assert_true (test_clients_wait_all_receive (clients, WANT_VIDEO_FRAMES,
                                                WANT_AUDIO_BUFFERS, MEDIA_TIMEOUT_MS));

  carol_sid = test_client_sid (clients[2]);
  path = g_strdup_printf ("/v1/Rooms/kick/Participants/%s", carol_sid);
  g_assert_cmpuint (test_http (d, "POST", path, TRUE, form, NULL, NULL), ==, 202);

  g_assert_cmpint (test_client_wait_exit (clients[2], 10000), ==, 1);
  err = test_client_stderr (clients[2]);
  g_assert_nonnull (strstr (err, "(53216)"));
  kicked = test_client_stats (clients[2]);
  g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (kicked, "error"), "code"),
                   ==, 53216);
  test_client_stop (clients[2]);
  clients[2] = NULL;

  assert_peer_gone (clients[0], carol_sid);
  assert_peer_gone (clients[1], carol_sid);
  assert_clean_stop (clients[0]);
  assert_clean_stop (clients[1]);
  test_daemon_stop (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/peer-to-peer/three", test_peer_to_peer_three);
  g_test_add_func ("/client/go/full", test_go_room_full);
  g_test_add_func ("/client/peer-to-peer/leave-rejoin", test_leave_and_rejoin);
  g_test_add_func ("/client/peer-to-peer/non-trickle", test_non_trickle);
  g_test_add_func ("/client/peer-to-peer/kick", test_kick);
  g_test_add_func ("/client/peer-to-peer/watcher", test_watcher);
  return g_test_run ();
}
