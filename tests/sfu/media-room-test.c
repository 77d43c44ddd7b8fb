/* The group room's media path end to end, in one process: the worker side
 * of the group module with its convokerouter, and four webrtcbin clients
 * on 127.0.0.1 that publish VP8 and Opus and decode each other.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "group-srtp-sender.h"
#include "media-test-client.h"
#include "test-time.h"

#define MIN_VIDEO_FRAMES 30
#define MIN_AUDIO_BUFFERS 25
/* Deadlines, as base figures: media_wait_until scales them, and so is the
 * bound on a late joiner's first frame (an upper bound on latency, which
 * load stretches like any deadline). pause_ms is not scaled: its pauses
 * only space joins and let stray work show. */
#define DECODE_TIMEOUT_MS 20000
#define LATE_JOIN_FIRST_FRAME_MS 1000

typedef struct
{
  MediaClient **clients;
  guint n_clients;
  /* Per receiver × publisher: counts to exceed (a snapshot, or 0). */
  guint *video_base;
  guint *audio_base;
  guint video_more;
  guint audio_more;
} Everyone;

static gboolean
everyone_decodes (gpointer data)
{
  Everyone *everyone = data;

  for (guint r = 0; r < everyone->n_clients; r++)
    for (guint p = 0; p < everyone->n_clients; p++)
      {
        const char *publisher = media_client_get_sid (everyone->clients[p]);
        guint i = r * everyone->n_clients + p;

        if (r == p)
          continue;
        if (media_client_video_frames (everyone->clients[r], publisher)
                < everyone->video_base[i] + everyone->video_more
            || media_client_audio_buffers (everyone->clients[r], publisher)
                   < everyone->audio_base[i] + everyone->audio_more)
          return FALSE;
      }
  return TRUE;
}

static void
report_counts (Everyone *everyone)
{
  for (guint r = 0; r < everyone->n_clients; r++)
    for (guint p = 0; p < everyone->n_clients; p++)
      if (r != p)
        {
          const char *publisher = media_client_get_sid (everyone->clients[p]);

          g_test_message ("%s from %s: %u video frames, %u audio buffers",
                          media_client_get_sid (everyone->clients[r]), publisher,
                          media_client_video_frames (everyone->clients[r], publisher),
                          media_client_audio_buffers (everyone->clients[r], publisher));
        }
}

/* Waits until every client decoded @video_more frames and @audio_more
 * audio buffers from every other one, counted from now when @from_now. */
static void
assert_everyone_decodes (MediaClient **clients, guint n_clients, guint video_more,
                         guint audio_more, gboolean from_now, const char *what)
{
  g_autofree guint *video_base = g_new0 (guint, n_clients * n_clients);
  g_autofree guint *audio_base = g_new0 (guint, n_clients * n_clients);
  Everyone everyone
      = { clients, n_clients, video_base, audio_base, video_more, audio_more };
  gint64 start = g_get_monotonic_time ();
  gboolean ok;

  for (guint r = 0; from_now && r < n_clients; r++)
    for (guint p = 0; p < n_clients; p++)
      {
        const char *publisher = media_client_get_sid (clients[p]);

        video_base[r * n_clients + p] = media_client_video_frames (clients[r], publisher);
        audio_base[r * n_clients + p]
            = media_client_audio_buffers (clients[r], publisher);
      }
  ok = media_wait_until (everyone_decodes, &everyone, DECODE_TIMEOUT_MS);
  report_counts (&everyone);
  g_test_message ("%s: %s after %.1f s", what, ok ? "done" : "TIMED OUT",
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_true (ok);
}

typedef struct
{
  MediaClient *client;
  MediaClient **publishers;
  guint n_publishers;
} FirstFrames;

static gboolean
first_frames_arrived (gpointer data)
{
  FirstFrames *first = data;

  for (guint i = 0; i < first->n_publishers; i++)
    if (media_client_first_frame_time (first->client,
                                       media_client_get_sid (first->publishers[i]))
        == 0)
      return FALSE;
  return media_client_connected_time (first->client) != 0;
}

static void
pause_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
}

static JsonObject *
find_error (MediaRoom *room, const char *sid, guint *count)
{
  GPtrArray *errors = media_room_get_errors (room);
  JsonObject *found = NULL;

  *count = 0;
  for (guint i = 0; i < errors->len; i++)
    {
      JsonObject *error = g_ptr_array_index (errors, i);

      if (g_strcmp0 (json_object_get_string_member (error, "participant"), sid) == 0)
        {
          found = error;
          (*count)++;
        }
    }
  return found;
}

typedef struct
{
  MediaRoom *room;
  guint n_errors;
} ErrorWait;

static gboolean
errors_arrived (gpointer data)
{
  ErrorWait *wait = data;

  return media_room_get_errors (wait->room)->len >= wait->n_errors;
}

static void
assert_error (MediaRoom *room, const char *sid, gint64 code)
{
  guint count;
  JsonObject *error = find_error (room, sid, &count);

  g_assert_nonnull (error);
  g_assert_cmpuint (count, ==, 1);
  g_test_message ("error for %s: %" G_GINT64_FORMAT " %s", sid,
                  json_object_get_int_member (error, "code"),
                  json_object_get_string_member (error, "message"));
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
}

/* Bad input for three participants: each gets its own error, nobody else
 * does, and media keeps flowing for all four. */
static void
send_bad_input (MediaRoom *room, MediaClient **clients)
{
  g_autoptr (JsonObject) garbage = json_object_new ();
  g_autoptr (JsonObject) stray_answer = json_object_new ();
  g_autoptr (JsonObject) bad_candidate = json_object_new ();
  g_autoptr (JsonObject) no_sdp = json_object_new ();
  ErrorWait wait = { room, 4 };

  g_assert_cmpuint (media_room_get_errors (room)->len, ==, 0);

  json_object_set_string_member (garbage, "cmd", "remote-description");
  json_object_set_string_member (garbage, "participant",
                                 media_client_get_sid (clients[1]));
  json_object_set_string_member (garbage, "sdp_type", "offer");
  json_object_set_string_member (garbage, "sdp",
                                 "v=0\r\nthis is not a session description");
  media_room_command (room, garbage);

  /* Stable (its last offer was answered): an answer has nothing to answer. */
  json_object_set_string_member (stray_answer, "cmd", "remote-description");
  json_object_set_string_member (stray_answer, "participant",
                                 media_client_get_sid (clients[2]));
  json_object_set_string_member (stray_answer, "sdp_type", "answer");
  json_object_set_string_member (
      stray_answer, "sdp",
      media_room_last_description (room, media_client_get_sid (clients[2])));
  media_room_command (room, stray_answer);

  json_object_set_string_member (bad_candidate, "cmd", "remote-candidate");
  json_object_set_string_member (bad_candidate, "participant",
                                 media_client_get_sid (clients[0]));
  json_object_set_string_member (bad_candidate, "candidate",
                                 "candidate:1 1 UDP 2122252543 127.0.0.1 50000 typ host");
  json_object_set_int_member (bad_candidate, "sdpMLineIndex", 42);
  media_room_command (room, bad_candidate);

  json_object_set_string_member (no_sdp, "cmd", "remote-description");
  json_object_set_string_member (no_sdp, "participant",
                                 media_client_get_sid (clients[3]));
  json_object_set_string_member (no_sdp, "sdp_type", "answer");
  media_room_command (room, no_sdp);

  g_assert_true (media_wait_until (errors_arrived, &wait, 2000));
  pause_ms (200);
  g_assert_cmpuint (media_room_get_errors (room)->len, ==, 4);
  assert_error (room, media_client_get_sid (clients[0]), 53403);
  assert_error (room, media_client_get_sid (clients[1]), 53403);
  assert_error (room, media_client_get_sid (clients[2]), 53403);
  assert_error (room, media_client_get_sid (clients[3]), 53004);
}

/* What browsers check and webrtcbin does not: the certificate in the DTLS
 * handshake is the one the SDP announced. */
typedef struct
{
  MediaRoom *room;
  MediaClient **clients;
  guint n_clients;
} Subscriptions;

static gint
compare_sids (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* "PUBLISHER/audio;PUBLISHER/video;…" for every client but @self, sorted
 * as media_room_subscriptions() sorts. */
static char *
expected_subscriptions (Subscriptions *s, guint self)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < s->n_clients; i++)
    if (i != self)
      {
        g_ptr_array_add (
            items, g_strdup_printf ("%s/audio", media_client_get_sid (s->clients[i])));
        g_ptr_array_add (
            items, g_strdup_printf ("%s/video", media_client_get_sid (s->clients[i])));
      }
  g_ptr_array_sort (items, compare_sids);
  g_ptr_array_add (items, NULL);
  return g_strjoinv (";", (char **) items->pdata);
}

static gboolean
subscriptions_reported (gpointer data)
{
  Subscriptions *s = data;

  for (guint i = 0; i < s->n_clients; i++)
    {
      g_autofree char *expected = expected_subscriptions (s, i);

      if (g_strcmp0 (
              media_room_subscriptions (s->room, media_client_get_sid (s->clients[i])),
              expected)
          != 0)
        return FALSE;
    }
  return TRUE;
}

/* The worker's latest subscribed-tracks report for each client lists
 * exactly the audio and video of every other one. */
static void
assert_subscriptions (MediaRoom *room, MediaClient **clients, guint n_clients)
{
  Subscriptions s = { room, clients, n_clients };

  media_wait_until (subscriptions_reported, &s, DECODE_TIMEOUT_MS);
  for (guint i = 0; i < n_clients; i++)
    {
      g_autofree char *expected = expected_subscriptions (&s, i);

      g_assert_cmpstr (media_room_subscriptions (room, media_client_get_sid (clients[i])),
                       ==, expected);
    }
}

static void
assert_fingerprint_matches (MediaRoom *room, MediaClient *client)
{
  g_autofree char *seen = media_client_server_fingerprint (client);
  g_autofree char *announced = media_sdp_fingerprint (
      media_room_last_description (room, media_client_get_sid (client)));

  g_assert_cmpstr (seen, ==, announced);
}

static void
test_four_participants (void)
{
  const char *options[] = { "max-bitrate", "400000", NULL };
  MediaRoom *room = media_room_new (options);
  MediaClient *clients[4];
  FirstFrames late = { NULL, clients, 3 };
  g_autoptr (GstElement) router = NULL;
  g_autoptr (GstStructure) stats = NULL;
  g_autofree char *stats_text = NULL;

  /* The protocol's default client, one without trickle, and one that
   * publishes with its own offer the way browsers do. */
  clients[0] = media_client_new (room, "PA00000000000000000000000000000001",
                                 MEDIA_CLIENT_ANSWERS);
  clients[1] = media_client_new (room, "PA00000000000000000000000000000002",
                                 MEDIA_CLIENT_NO_TRICKLE);
  clients[2] = media_client_new (room, "PA00000000000000000000000000000003",
                                 MEDIA_CLIENT_OFFERS);
  for (guint i = 0; i < 3; i++)
    {
      media_client_join (clients[i]);
      pause_ms (300);
    }
  assert_everyone_decodes (clients, 3, MIN_VIDEO_FRAMES, MIN_AUDIO_BUFFERS, FALSE,
                           "three participants");

  /* A late joiner starts from a key frame the router asks for at once. */
  clients[3] = media_client_new (room, "PA00000000000000000000000000000004",
                                 MEDIA_CLIENT_ANSWERS);
  media_client_join (clients[3]);
  late.client = clients[3];
  g_assert_true (media_wait_until (first_frames_arrived, &late, DECODE_TIMEOUT_MS));
  for (guint i = 0; i < 3; i++)
    {
      gint64 delay
          = media_client_first_frame_time (clients[3], media_client_get_sid (clients[i]))
            - media_client_connected_time (clients[3]);

      g_test_message ("late joiner: first frame from %s %.0f ms after connecting",
                      media_client_get_sid (clients[i]), delay / 1000.0);
      g_assert_cmpint (delay, <=,
                       (gint64) test_scaled_ms (LATE_JOIN_FIRST_FRAME_MS)
                           * G_TIME_SPAN_MILLISECOND);
    }
  assert_everyone_decodes (clients, 4, MIN_VIDEO_FRAMES, MIN_AUDIO_BUFFERS, FALSE,
                           "four participants");
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (media_room_tracks_started (room, media_client_get_sid (clients[i])),
                      ==, 2);
  assert_subscriptions (room, clients, 4);

  assert_fingerprint_matches (room, clients[0]);
  send_bad_input (room, clients);
  assert_everyone_decodes (clients, 4, 15, 15, TRUE, "after bad input");

  router = media_room_get_router (room);
  g_object_get (router, "stats", &stats, NULL);
  stats_text = gst_structure_to_string (stats);
  g_test_message ("router stats: %s", stats_text);

  /* A leave needs no renegotiation: the others' slots for it stay as they
   * were (a direction change would break webrtcbin) and go on, silent. */
  {
    static const guint stay[] = { 0, 2, 3 };
    char *before[G_N_ELEMENTS (stay)];

    for (guint i = 0; i < G_N_ELEMENTS (stay); i++)
      before[i] = g_strdup (
          media_room_last_description (room, media_client_get_sid (clients[stay[i]])));
    media_client_leave (clients[1]);
    clients[1] = clients[3];
    assert_everyone_decodes (clients, 3, 15, 15, TRUE, "after a leave");
    /* Nobody is reported as receiving the one who left. */
    assert_subscriptions (room, clients, 3);
    for (guint i = 0; i < G_N_ELEMENTS (stay); i++)
      {
        /* clients[3] is clients[1] now, and the sids stay. */
        const char *sid = media_client_get_sid (clients[stay[i] == 3 ? 1 : stay[i]]);

        g_assert_cmpstr (media_room_last_description (room, sid), ==, before[i]);
        g_free (before[i]);
      }
  }
  pause_ms (500);
  g_assert_cmpuint (media_room_get_errors (room)->len, ==, 4);

  media_room_free (room);
}

/* An ECDSA P-256 certificate and key in PEM, like the one the worker host
 * passes as the "certificate" option; NULL without the openssl tool. */
static char *
make_certificate (void)
{
  g_autofree char *dir = g_dir_make_tmp ("media-room-test-XXXXXX", NULL);
  g_autofree char *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *cert = NULL, *key = NULL;
  g_autoptr (GSubprocess) openssl = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (dir);
  openssl = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
      "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=convoke-test",
      "-keyout", key_path, "-out", cert_path, NULL);
  if (openssl != NULL && g_subprocess_wait_check (openssl, NULL, &error))
    {
      g_assert_true (g_file_get_contents (cert_path, &cert, NULL, NULL));
      g_assert_true (g_file_get_contents (key_path, &key, NULL, NULL));
    }
  g_unlink (cert_path);
  g_unlink (key_path);
  g_rmdir (dir);
  return cert != NULL ? g_strconcat (cert, key, NULL) : NULL;
}

/* H.264 rooms forward H.264 as they get it; SPS/IDR start a subscriber.
 * The room also uses a certificate of its own, as under convoked. */
static void
test_h264 (void)
{
  g_autofree char *pem = make_certificate ();
  const char *options[] = { "video-codec", "H264", "certificate", pem, NULL };
  MediaRoom *room;

  if (pem == NULL)
    {
      g_test_skip ("the openssl tool is needed to make a certificate");
      return;
    }
  room = media_room_new (options);
  MediaClient *clients[2];

  clients[0]
      = media_client_new (room, "PA00000000000000000000000000000011", MEDIA_CLIENT_H264);
  clients[1] = media_client_new (room, "PA00000000000000000000000000000012",
                                 MEDIA_CLIENT_H264 | MEDIA_CLIENT_OFFERS);
  media_client_join (clients[0]);
  pause_ms (300);
  media_client_join (clients[1]);
  assert_everyone_decodes (clients, 2, MIN_VIDEO_FRAMES, MIN_AUDIO_BUFFERS, FALSE,
                           "two H.264 participants");
  g_assert_nonnull (
      strstr (media_room_last_description (room, "PA00000000000000000000000000000011"),
              "H264/90000"));
  g_assert_cmpuint (media_room_get_errors (room)->len, ==, 0);
  media_room_free (room);
}

static guint64
router_counter (MediaRoom *room, const char *sid, const char *name)
{
  g_autoptr (GstElement) router = media_room_get_router (room);
  g_autoptr (GstStructure) stats = NULL;
  const GstStructure *participant;
  guint64 value = 0;

  g_object_get (router, "stats", &stats, NULL);
  participant = gst_value_get_structure (gst_structure_get_value (stats, sid));
  g_assert_true (gst_structure_get_uint64 (participant, name, &value));
  return value;
}

/* Each subscriber's SRTP sender let every repeat through: libsrtp2
 * refused none of the packets the router sent again, as far back as its
 * cache reaches (group-srtp-sender.h). */
static void
assert_srtp_repeats_allowed (MediaRoom *room)
{
  g_autoptr (GstElement) router = media_room_get_router (room);
  g_autoptr (GstObject) pipeline = gst_object_get_parent (GST_OBJECT (router));
  g_autoptr (GstIterator) elements = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  guint senders = 0;

  while (gst_iterator_next (elements, &item) == GST_ITERATOR_OK)
    {
      GstElement *element = g_value_get_object (&item);

      if (GROUP_IS_SRTP_SENDER (element))
        {
          GroupSrtpSenderStats stats;

          group_srtp_sender_get_stats (GROUP_SRTP_SENDER (element), &stats);
          g_test_message ("%s: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT " refused",
                          GST_OBJECT_NAME (element), stats.sent, stats.refused);
          g_assert_cmpuint (stats.sent, >, 0);
          g_assert_cmpuint (stats.refused, ==, 0);
          senders++;
        }
      g_value_reset (&item);
    }
  g_value_unset (&item);
  g_assert_cmpuint (senders, ==, 2);
}

/* Every browser NACKs after a lost packet. The router answers from its
 * cache with the sequence number the subscriber already saw once; SRTP
 * must let that repeat through (it used to refuse it as a replay, and the
 * subscriber's transport died with 53405). Packets further back than the
 * SRTP replay window (128) are asked for too. */
static void
test_nack (void)
{
  MediaRoom *room = media_room_new (NULL);
  MediaClient *clients[2];
  const char *publisher;
  guint64 retransmitted;

  clients[0] = media_client_new (room, "PA00000000000000000000000000000021",
                                 MEDIA_CLIENT_ANSWERS);
  clients[1] = media_client_new (room, "PA00000000000000000000000000000022",
                                 MEDIA_CLIENT_OFFERS);
  media_client_join (clients[0]);
  pause_ms (300);
  media_client_join (clients[1]);
  assert_everyone_decodes (clients, 2, MIN_VIDEO_FRAMES, MIN_AUDIO_BUFFERS, FALSE,
                           "two participants");

  publisher = media_client_get_sid (clients[1]);
  for (guint round = 0; round < 20; round++)
    {
      /* Recent packets, and ones beyond the replay window. */
      g_assert_cmpuint (media_client_nack_received_video (clients[0], publisher, 1, 8), ==,
                        8);
      if (round % 5 == 0)
        media_client_nack_received_video (clients[0], publisher, 150 + round, 4);
      pause_ms (100);
    }
  retransmitted = router_counter (room, media_client_get_sid (clients[0]), "retransmitted");
  g_test_message ("NACKed sequence numbers: %" G_GUINT64_FORMAT
                  ", retransmitted: %" G_GUINT64_FORMAT,
                  router_counter (room, media_client_get_sid (clients[0]), "nacks-received"),
                  retransmitted);
  g_assert_cmpuint (retransmitted, >, 0);

  assert_everyone_decodes (clients, 2, 30, 30, TRUE, "after NACKs");
  g_assert_cmpuint (media_room_get_errors (room)->len, ==, 0);
  assert_srtp_repeats_allowed (room);
  media_room_free (room);
}

/* Bad worker options stop the room at set-up, naming option and value. */
static void
test_bad_options (void)
{
  static const struct
  {
    const char *key, *value, *expected;
  } cases[] = {
    { "port-range", "9-2", "port-range=9-2" },
    { "port-range", "many", "port-range=many" },
    { "max-bitrate", "fast", "max-bitrate=fast" },
    { "video-codec", "AV1", "video-codec=AV1" },
    { "ice-addresses", "127.0.0.1,localhost", "“localhost”" },
    { "stun-server", "stun:[::1", "stun-server" },
    { "certificate", "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
      "certificate" },
  };
  const char *fine[]
      = { "port-range", "40000-40100", "max-bitrate", "500000", "ice-addresses",
          "127.0.0.1",  "video-codec", "h264",        NULL };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *options[] = { cases[i].key, cases[i].value, NULL };

      g_assert_false (media_room_try_setup (options, &error));
      g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, 20500);
      g_test_message ("%s=%s: %s", cases[i].key, cases[i].value, error->message);
      g_assert_nonnull (strstr (error->message, cases[i].expected));
      g_clear_error (&error);
    }
  g_assert_true (media_room_try_setup (fine, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sfu/media/bad-options", test_bad_options);
  g_test_add_func ("/sfu/media/four-participants", test_four_participants);
  g_test_add_func ("/sfu/media/h264", test_h264);
  g_test_add_func ("/sfu/media/nack", test_nack);
  return g_test_run ();
}
