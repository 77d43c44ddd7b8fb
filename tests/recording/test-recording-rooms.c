/* Recording in group rooms, end to end: a real convoked, its workers and
 * convoke-client processes talking on loopback; the files are read back
 * with GStreamer and the Recordings API and status callbacks are checked.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "group-proc-checks.h"
#include "recording-room-fixture.h"
#include "recording-test-util.h"

/* Deadlines, as base figures (the fixture's waits scale them) ... */
#define MEDIA_TIMEOUT_MS 20000
#define RECORDINGS_TIMEOUT_MS 15000
/* ... and a duration, which is not scaled: how long the clients talk (long
 * enough for several key frames and a duration check to the second). */
#define TALK_MS 4000

typedef struct
{
  gint64 started;  /* clients started */
  gint64 media_ok; /* every client decodes every other */
  gint64 stopped;  /* clients stopped */
} Talk;

static double
seconds_between (gint64 from, gint64 to)
{
  return (double) (to - from) / G_USEC_PER_SEC;
}

/* Two clients in @room, talking for @ms once every one decodes the other. */
static GPtrArray *
talk (RecordingFixture *fixture, const char *room, guint ms, Talk *times)
{
  GPtrArray *clients;

  times->started = g_get_monotonic_time ();
  clients = recording_fixture_start_clients (fixture, room, 2);
  g_assert_true (group_clients_wait_media (clients, 15, MEDIA_TIMEOUT_MS));
  times->media_ok = g_get_monotonic_time ();
  g_test_message ("media flows %.2f s after the clients started",
                  seconds_between (times->started, times->media_ok));
  recording_fixture_sleep (ms);
  return clients;
}

static void
stop_clients (GPtrArray *clients, Talk *times)
{
  for (guint i = 0; i < clients->len; i++)
    group_client_stop (g_ptr_array_index (clients, i));
  times->stopped = g_get_monotonic_time ();
}

static JsonObject *
grouping (JsonObject *recording)
{
  return json_object_get_object_member (recording, "grouping_sids");
}

static char *
file_of (RecordingFixture *fixture, const char *room_sid, JsonObject *recording,
         gboolean encrypted)
{
  g_autofree char *name
      = g_strdup_printf ("%s.%s%s", json_object_get_string_member (recording, "sid"),
                         json_object_get_string_member (recording, "container_format"),
                         encrypted ? ".enc" : "");

  return g_build_filename (fixture->recording_dir, room_sid, name, NULL);
}

/* The file holds @recording's codec, and lasts as long as the REST API
 * says (within a second) and as long as the talk (media flowed from
 * media_ok at the latest until the clients stopped). */
static void
check_file (const char *path, JsonObject *recording, const Talk *times)
{
  const char *type = json_object_get_string_member (recording, "type");
  const char *codec = json_object_get_string_member (recording, "codec");
  g_auto (RecordingInfo) info = { 0 };
  double seconds;

  recording_test_read (path, &info);
  seconds = (double) info.duration / GST_SECOND;
  g_test_message ("%s: %s, %u frames, %.2f s, %u decoded (talk %.2f s, media %.2f s)",
                  path, info.media_type, info.buffers, seconds, info.decoded,
                  seconds_between (times->started, times->stopped),
                  seconds_between (times->media_ok, times->stopped));
  g_assert_null (info.error);
  if (g_str_equal (type, "audio"))
    {
      g_assert_cmpstr (codec, ==, "OPUS");
      g_assert_cmpstr (info.media_type, ==, "audio/x-opus");
    }
  else
    {
      g_assert_cmpstr (codec, ==, "VP8");
      g_assert_cmpstr (info.media_type, ==, "video/x-vp8");
      g_assert_true (info.first_is_keyframe);
    }
  g_assert_cmpuint (info.decoded, >, 0);
  g_assert_cmpfloat (fabs (seconds - json_object_get_int_member (recording, "duration")),
                     <=, 1.0);
  g_assert_cmpfloat (seconds, >=,
                     seconds_between (times->media_ok, times->stopped) - 1.0);
  g_assert_cmpfloat (seconds, <=, seconds_between (times->started, times->stopped) + 1.0);
}

static void
check_schemas (RecordingFixture *fixture, const char *room_sid, JsonObject *recording)
{
  g_autofree char *one = g_strdup_printf (
      "/v1/Recordings/%s", json_object_get_string_member (recording, "sid"));
  g_autofree char *room_list = g_strdup_printf ("/v1/Rooms/%s/Recordings", room_sid);
  g_autofree char *room_one
      = g_strdup_printf ("/v1/Rooms/%s/Recordings/%s", room_sid,
                         json_object_get_string_member (recording, "sid"));
  g_autoptr (JsonNode) list = recording_fixture_get (fixture, "/v1/Recordings");
  g_autoptr (JsonNode) fetched = recording_fixture_get (fixture, one);
  g_autoptr (JsonNode) room_page = recording_fixture_get (fixture, room_list);
  g_autoptr (JsonNode) room_fetched = recording_fixture_get (fixture, room_one);

  openapi_assert_response (rest_test_validator, "/v1/Recordings", "get", "200", list);
  openapi_assert_response (rest_test_validator, "/v1/Recordings/{Sid}", "get", "200",
                           fetched);
  openapi_assert_response (rest_test_validator, "/v1/Rooms/{RoomSid}/Recordings", "get",
                           "200", room_page);
  openapi_assert_response (rest_test_validator, "/v1/Rooms/{RoomSid}/Recordings/{Sid}",
                           "get", "200", room_fetched);
  g_assert_cmpstr (rest_json_string (room_fetched, "room_sid"), ==, room_sid);
}

/* Two clients talk in a recording room: one file per audio and video
 * track, the right codecs and durations, the API and the callbacks. */
static void
test_group_room_records (void)
{
  g_autoptr (RecordingFixture) fixture = recording_fixture_new (FALSE);
  g_autofree char *room = recording_fixture_create_room (fixture, "rec", TRUE);
  g_autoptr (GPtrArray) clients = NULL;
  g_autoptr (JsonArray) recordings = NULL;
  g_autofree char *grouping_path = NULL;
  g_autoptr (JsonNode) by_participant = NULL;
  g_autofree char *participant = NULL;
  g_autoptr (GHashTable) seen
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Talk times;
  pid_t worker;

  clients = talk (fixture, "rec", TALK_MS / 2, &times);
  /* A recording worker writes into its room's directory and nowhere else. */
  worker = recording_fixture_worker (fixture, room);
  g_assert_cmpint (worker, >, 0);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) writable = group_proc_writable_files (worker, &error);
    g_autofree char *room_dir = g_build_filename (fixture->recording_dir, room, NULL);

    g_assert_no_error (error);
    g_assert_cmpuint (writable->len, ==, 4);
    for (guint i = 0; i < writable->len; i++)
      g_assert_nonnull (strstr (g_ptr_array_index (writable, i), room_dir));
  }
  recording_fixture_sleep (TALK_MS / 2);
  participant = recording_fixture_participant_sid (fixture, room, "rec-user0");
  stop_clients (clients, &times);

  recordings
      = recording_fixture_wait_recordings (fixture, room, 4, RECORDINGS_TIMEOUT_MS);
  g_assert_nonnull (recordings);
  g_assert_cmpuint (json_array_get_length (recordings), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *recording = json_array_get_object_element (recordings, i);
      const char *sid = json_object_get_string_member (recording, "sid");
      const char *participant_sid
          = json_object_get_string_member (grouping (recording), "participant_sid");
      g_autofree char *path = file_of (fixture, room, recording, FALSE);
      g_autofree char *key = g_strdup_printf (
          "%s/%s", participant_sid, json_object_get_string_member (recording, "type"));
      GStatBuf st;

      g_assert_cmpstr (json_object_get_string_member (recording, "status"), ==,
                       "completed");
      g_assert_cmpstr (json_object_get_string_member (grouping (recording), "room_sid"),
                       ==, room);
      g_assert_true (g_str_has_prefix (
          json_object_get_string_member (recording, "source_sid"), "MT"));
      g_assert_cmpstr (
          json_object_get_string_member (recording, "container_format"), ==,
          g_str_equal (json_object_get_string_member (recording, "type"), "audio")
              ? "mka"
              : "mkv");
      /* One audio and one video recording per participant. */
      g_assert_true (g_hash_table_add (seen, g_steal_pointer (&key)));
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpint (json_object_get_int_member (recording, "size"), ==, st.st_size);
      check_file (path, recording, &times);
      g_assert_nonnull (
          callback_receiver_find (fixture->receiver, "recording-started", sid));
    }
  g_assert_true (
      recording_fixture_wait_callbacks (fixture, "recording-completed", 4, 5000));
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *recording = json_array_get_object_element (recordings, i);
      GHashTable *call
          = callback_receiver_find (fixture->receiver, "recording-completed",
                                    json_object_get_string_member (recording, "sid"));

      g_assert_nonnull (call);
      g_assert_cmpstr (g_hash_table_lookup (call, "RoomSid"), ==, room);
      g_assert_cmpstr (
          g_hash_table_lookup (call, "ParticipantSid"), ==,
          json_object_get_string_member (grouping (recording), "participant_sid"));
      g_assert_cmpstr (g_hash_table_lookup (call, "SourceSid"), ==,
                       json_object_get_string_member (recording, "source_sid"));
    }
  check_schemas (fixture, room, json_array_get_object_element (recordings, 0));

  grouping_path = g_strdup_printf ("/v1/Recordings?GroupingSid=%s", participant);
  by_participant = recording_fixture_get (fixture, grouping_path);
  g_assert_cmpuint (
      json_array_get_length (rest_json_array (by_participant, "recordings")), ==, 2);
}

/* The room is completed over REST while both are still talking: the
 * worker finishes every file before it exits, and none is failed. */
static void
test_room_completed (void)
{
  g_autoptr (RecordingFixture) fixture = recording_fixture_new (FALSE);
  g_autofree char *room = recording_fixture_create_room (fixture, "ended", TRUE);
  g_autofree char *room_path = g_strdup_printf ("/v1/Rooms/%s", room);
  const char *form[] = { "Status", "completed", NULL };
  g_autoptr (GPtrArray) clients = NULL;
  g_autoptr (JsonArray) recordings = NULL;
  Talk times;

  clients = talk (fixture, "ended", 2000, &times);
  g_assert_cmpuint (
      test_http (fixture->daemon, "POST", room_path, TRUE, form, NULL, NULL), ==, 202);
  times.stopped = g_get_monotonic_time ();
  recordings
      = recording_fixture_wait_recordings (fixture, room, 4, RECORDINGS_TIMEOUT_MS);
  g_assert_nonnull (recordings);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *recording = json_array_get_object_element (recordings, i);
      g_autofree char *path = file_of (fixture, room, recording, FALSE);

      g_assert_cmpstr (json_object_get_string_member (recording, "status"), ==,
                       "completed");
      check_file (path, recording, &times);
    }
  g_assert_true (
      recording_fixture_wait_callbacks (fixture, "recording-completed", 4, 5000));
  g_assert_cmpuint (callback_receiver_count (fixture->receiver, "recording-failed"), ==,
                    0);
}

/* The daemon stops (SIGTERM) while a room records: the worker finishes
 * its files and the daemon waits for its reports; the next daemon lists
 * the recordings, completed, and serves them. */
static void
test_daemon_restart (void)
{
  g_autoptr (RecordingFixture) fixture = recording_fixture_new (FALSE);
  g_autofree char *room = recording_fixture_create_room (fixture, "restart", TRUE);
  g_autofree char *grouping_path
      = g_strdup_printf ("/v1/Recordings?GroupingSid=%s", room);
  g_autoptr (GPtrArray) clients = NULL;
  g_autoptr (JsonNode) list = NULL;
  JsonArray *recordings;
  Talk times;

  clients = talk (fixture, "restart", 2000, &times);
  recording_fixture_restart (fixture);
  times.stopped = g_get_monotonic_time ();
  g_clear_pointer (&clients, g_ptr_array_unref);

  list = recording_fixture_get (fixture, grouping_path);
  recordings = rest_json_array (list, "recordings");
  g_assert_cmpuint (json_array_get_length (recordings), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *recording = json_array_get_object_element (recordings, i);
      g_autofree char *path = file_of (fixture, room, recording, FALSE);
      g_autofree char *media = g_strdup_printf (
          "/v1/Recordings/%s/Media", json_object_get_string_member (recording, "sid"));

      g_assert_cmpstr (json_object_get_string_member (recording, "status"), ==,
                       "completed");
      g_assert_cmpstr (json_object_get_string_member (grouping (recording), "room_sid"),
                       ==, room);
      check_file (path, recording, &times);
      g_assert_cmpuint (test_http (fixture->daemon, "GET", media, TRUE, NULL, NULL, NULL),
                        ==, 200);
    }
}

/* The media endpoint serves the file; DELETE removes it and keeps the
 * resource as deleted. */
static void
test_media_and_delete (void)
{
  g_autoptr (RecordingFixture) fixture = recording_fixture_new (FALSE);
  g_autofree char *room = recording_fixture_create_room (fixture, "media", TRUE);
  g_autoptr (GPtrArray) clients = NULL;
  g_autoptr (JsonArray) recordings = NULL;
  g_autoptr (GBytes) served = NULL;
  g_autoptr (GBytes) on_disk = NULL;
  g_autoptr (JsonNode) after = NULL;
  g_autofree char *path = NULL;
  g_autofree char *media = NULL;
  g_autofree char *one = NULL;
  g_autofree char *message = NULL;
  JsonObject *recording;
  Talk times;

  clients = talk (fixture, "media", 1000, &times);
  stop_clients (clients, &times);
  recordings
      = recording_fixture_wait_recordings (fixture, room, 4, RECORDINGS_TIMEOUT_MS);
  g_assert_nonnull (recordings);
  recording = json_array_get_object_element (recordings, 0);
  path = file_of (fixture, room, recording, FALSE);
  one = g_strdup_printf ("/v1/Recordings/%s",
                         json_object_get_string_member (recording, "sid"));
  media = g_strconcat (one, "/Media", NULL);

  g_assert_cmpuint (test_http (fixture->daemon, "GET", media, TRUE, NULL, NULL, &served),
                    ==, 200);
  {
    g_autoptr (GFile) file = g_file_new_for_path (path);
    on_disk = g_file_load_bytes (file, NULL, NULL, NULL);
  }
  g_assert_true (g_bytes_equal (served, on_disk));
  g_assert_cmpuint (test_http (fixture->daemon, "GET", media, FALSE, NULL, NULL, NULL),
                    ==, 401);

  g_assert_cmpuint (test_http (fixture->daemon, "DELETE", one, TRUE, NULL, NULL, NULL),
                    ==, 204);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  after = recording_fixture_get (fixture, one);
  g_assert_cmpstr (rest_json_string (after, "status"), ==, "deleted");
  message = rest_expect_error (fixture->daemon, "GET", media, NULL, 404, 20404);
  g_clear_pointer (&message, g_free);
  message = rest_expect_error (fixture->daemon, "GET",
                               "/v1/Recordings/RT00000000000000000000000000000000", NULL,
                               404, 20404);
  g_clear_pointer (&message, g_free);
  message = rest_expect_error (fixture->daemon, "GET", "/v1/Recordings?MediaType=smell",
                               NULL, 400, 21200);
  g_assert_nonnull (strstr (message, "smell"));
  g_clear_pointer (&message, g_free);
  message = rest_expect_error (fixture->daemon, "GET", "/v1/Recordings?GroupingSid=nope",
                               NULL, 400, 21200);
  g_assert_nonnull (strstr (message, "nope"));
}

/* No recording: the directory stays empty and the worker never holds a
 * file open for writing. */
static void
test_not_recording (void)
{
  g_autoptr (RecordingFixture) fixture = recording_fixture_new (FALSE);
  g_autofree char *room = recording_fixture_create_room (fixture, "quiet", FALSE);
  g_autoptr (GPtrArray) clients = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (JsonNode) list = NULL;
  g_autofree char *room_list = g_strdup_printf ("/v1/Rooms/%s/Recordings", room);
  Talk times;
  pid_t worker;

  clients = talk (fixture, "quiet", 1000, &times);
  worker = recording_fixture_worker (fixture, room);
  g_assert_cmpint (worker, >, 0);
  for (int sample = 0; sample < 8; sample++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) writable = group_proc_writable_files (worker, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < writable->len; i++)
        g_test_message ("writable: %s", (char *) g_ptr_array_index (writable, i));
      g_assert_cmpuint (writable->len, ==, 0);
      recording_fixture_sleep (500);
    }
  stop_clients (clients, &times);

  dir = g_dir_open (fixture->recording_dir, 0, NULL);
  g_assert_nonnull (dir);
  g_assert_null (g_dir_read_name (dir));
  list = recording_fixture_get (fixture, room_list);
  g_assert_cmpuint (json_array_get_length (rest_json_array (list, "recordings")), ==, 0);
  g_assert_cmpuint (callback_receiver_count (fixture->receiver, "recording-started"), ==,
                    0);
}

/* With a public key: the files are sealed, served as such, and
 * `convokectl recordings decrypt` gives back Matroska. */
static void
test_encrypted (void)
{
  g_autoptr (RecordingFixture) fixture = recording_fixture_new (TRUE);
  g_autofree char *room = recording_fixture_create_room (fixture, "sealed", TRUE);
  g_autoptr (GPtrArray) clients = NULL;
  g_autoptr (JsonArray) recordings = NULL;
  Talk times;

  clients = talk (fixture, "sealed", 3000, &times);
  stop_clients (clients, &times);
  recordings
      = recording_fixture_wait_recordings (fixture, room, 4, RECORDINGS_TIMEOUT_MS);
  g_assert_nonnull (recordings);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *recording = json_array_get_object_element (recordings, i);
      g_autofree char *path = file_of (fixture, room, recording, TRUE);
      g_autofree char *plain = g_strconcat (path, ".plain", NULL);
      g_autofree char *media = g_strdup_printf (
          "/v1/Recordings/%s/Media", json_object_get_string_member (recording, "sid"));
      g_autoptr (GBytes) served = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (GSubprocess) ctl = NULL;

      g_assert_cmpstr (json_object_get_string_member (recording, "status"), ==,
                       "completed");
      g_assert_cmpuint (
          test_http (fixture->daemon, "GET", media, TRUE, NULL, NULL, &served), ==, 200);
      g_assert_cmpmem (g_bytes_get_data (served, NULL), 6, "CVKREC", 6);
      g_assert_false (recording_test_contains (served, "A_OPUS"));
      g_assert_false (recording_test_contains (served, "V_VP8"));

      ctl = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                              test_program ("CONVOKECTL"), "recordings", "decrypt",
                              "--key", fixture->private_key, path, plain, NULL);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_wait_check (ctl, NULL, &error));
      g_assert_no_error (error);
      check_file (plain, recording, &times);
    }
}

/* A worker killed mid-recording: the room fails, every recording it was
 * making is marked failed, and the files play up to the kill. */
static void
test_worker_killed (void)
{
  g_autoptr (RecordingFixture) fixture = recording_fixture_new (FALSE);
  g_autofree char *room = recording_fixture_create_room (fixture, "crash", TRUE);
  g_autoptr (GPtrArray) clients = NULL;
  g_autoptr (JsonArray) recordings = NULL;
  g_autofree char *room_path = g_strdup_printf ("/v1/Rooms/%s", room);
  g_autoptr (JsonNode) room_after = NULL;
  Talk times;
  pid_t worker;
  gint64 killed;

  clients = talk (fixture, "crash", 3000, &times);
  worker = recording_fixture_worker (fixture, room);
  g_assert_cmpint (worker, >, 0);
  g_assert_cmpint (kill (worker, SIGKILL), ==, 0);
  killed = g_get_monotonic_time ();

  recordings
      = recording_fixture_wait_recordings (fixture, room, 4, RECORDINGS_TIMEOUT_MS);
  g_assert_nonnull (recordings);
  room_after = recording_fixture_get (fixture, room_path);
  g_assert_cmpstr (rest_json_string (room_after, "status"), ==, "failed");
  g_assert_true (recording_fixture_wait_callbacks (fixture, "recording-failed", 4, 5000));
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *recording = json_array_get_object_element (recordings, i);
      g_autofree char *path = file_of (fixture, room, recording, FALSE);
      g_auto (RecordingInfo) info = { 0 };

      g_assert_cmpstr (json_object_get_string_member (recording, "status"), ==, "failed");
      g_assert_true (
          JSON_NODE_HOLDS_NULL (json_object_get_member (recording, "duration")));
      g_assert_cmpint (json_object_get_int_member (recording, "size"), >, 0);
      recording_test_read (path, &info);
      g_test_message ("%s after the kill: %s, %.2f s, %u decoded (%s)", path,
                      info.media_type, (double) info.duration / GST_SECOND, info.decoded,
                      info.error ? info.error : "no error");
      g_assert_cmpuint (info.decoded, >, 0);
      g_assert_cmpfloat ((double) info.duration / GST_SECOND, >=,
                         seconds_between (times.media_ok, killed) - 1.0);
    }
  g_clear_pointer (&clients, g_ptr_array_unref);
}

/* Peer-to-peer rooms carry no media through the server: asking them to
 * record is Twilio's 53117. */
static void
test_peer_to_peer_refused (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);

  for (guint i = 0; i < 2; i++)
    {
      const char *form[] = { "Type", i == 0 ? "peer-to-peer" : "go",
                             "RecordParticipantsOnConnect", "true", NULL };
      g_autoptr (JsonNode) body = NULL;

      g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, &body, NULL), ==,
                        400);
      openapi_assert_error (rest_test_validator, body, 400, 53117);
      g_assert_nonnull (strstr (rest_json_string (body, "message"), form[1]));
    }
  test_daemon_stop (d);
}

int
main (int argc, char **argv)
{
  rest_test_init (&argc, &argv);
  gst_init (&argc, &argv);

  g_test_add_func ("/recording/rooms/peer-to-peer-refused", test_peer_to_peer_refused);
  g_test_add_func ("/recording/rooms/group-room-records", test_group_room_records);
  g_test_add_func ("/recording/rooms/room-completed", test_room_completed);
  g_test_add_func ("/recording/rooms/daemon-restart", test_daemon_restart);
  g_test_add_func ("/recording/rooms/media-and-delete", test_media_and_delete);
  g_test_add_func ("/recording/rooms/not-recording", test_not_recording);
  g_test_add_func ("/recording/rooms/encrypted", test_encrypted);
  g_test_add_func ("/recording/rooms/worker-killed", test_worker_killed);
  return rest_test_run ();
}
