/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "client-runner.h"

#include "client-log.h"
#include "test-process.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

/* Tiny and cheap, so that several clients fit on a small test machine. */
#define TEST_VIDEO_SOURCE                                                                \
  "videotestsrc is-live=true pattern=ball ! "                                            \
  "video/x-raw,width=320,height=240,framerate=15/1"

TestDaemon *
test_client_daemon_start (const char *extra_config)
{
  TestDaemon *d = test_daemon_start (extra_config, NULL);

  test_kill_with_test (d->pid);
  return d;
}

TestClient *
test_client_start (TestDaemon *d, const char *identity, const char *room,
                   const char *const *extra_args)
{
  TestClient *client = g_new0 (TestClient, 1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError) error = NULL;

  client->identity = g_strdup (identity);
  client->dir = test_mkdtemp ();
  client->stats_path = g_build_filename (client->dir, "stats.json", NULL);
  client->stdout_path = g_build_filename (client->dir, "stdout", NULL);
  client->stderr_path = g_build_filename (client->dir, "stderr", NULL);

  g_ptr_array_add (argv, (char *) test_program ("CONVOKE_CLIENT"));
  g_ptr_array_add (argv, "--url");
  g_ptr_array_add (argv, d->base_url);
  g_ptr_array_add (argv, "--identity");
  g_ptr_array_add (argv, (char *) identity);
  if (room != NULL)
    {
      g_ptr_array_add (argv, "--room");
      g_ptr_array_add (argv, (char *) room);
    }
  test_daemon_add_client_credentials (d, argv);
  g_ptr_array_add (argv, "--video-source");
  g_ptr_array_add (argv, TEST_VIDEO_SOURCE);
  g_ptr_array_add (argv, "--stats-json");
  g_ptr_array_add (argv, client->stats_path);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) extra_args[i]);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent, NULL, NULL);
  test_client_launcher_allow_criticals (launcher);
  g_subprocess_launcher_set_stdout_file_path (launcher, client->stdout_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, client->stderr_path);
  client->process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  test_kill_with_test (
      (GPid) g_ascii_strtoll (g_subprocess_get_identifier (client->process), NULL, 10));
  g_test_message ("started convoke-client %s (pid %s), output in %s", identity,
                  g_subprocess_get_identifier (client->process), client->dir);
  return client;
}

static gboolean
process_exited (gpointer data)
{
  TestClient *client = data;

  return g_subprocess_get_identifier (client->process) == NULL;
}

int
test_client_wait_exit (TestClient *client, guint timeout_ms)
{
  if (!test_wait_until (process_exited, client, timeout_ms))
    return -1;
  g_subprocess_wait (client->process, NULL, NULL);
  return g_subprocess_get_if_exited (client->process)
             ? g_subprocess_get_exit_status (client->process)
             : -1;
}

static void
log_output (TestClient *client)
{
  g_autofree char *out = test_client_stdout (client);
  g_autofree char *err = test_client_stderr (client);

  g_test_message ("convoke-client %s stdout:\n%s", client->identity, out);
  g_test_message ("convoke-client %s stderr:\n%s", client->identity, err);
}

static void
check_criticals (TestClient *client)
{
  g_autofree char *err = test_client_stderr (client);

  test_client_log_check_criticals (client->identity, err);
}

int
test_client_stop (TestClient *client)
{
  int status;

  if (client == NULL)
    return -1;
  if (g_subprocess_get_identifier (client->process) != NULL)
    g_subprocess_send_signal (client->process, SIGTERM);
  status = test_client_wait_exit (client, 15000);
  if (status == -1 && g_subprocess_get_identifier (client->process) != NULL)
    {
      g_subprocess_force_exit (client->process);
      g_subprocess_wait (client->process, NULL, NULL);
    }
  log_output (client);
  check_criticals (client);
  g_clear_object (&client->process);
  test_rm_rf (client->dir);
  g_free (client->dir);
  g_free (client->stats_path);
  g_free (client->stdout_path);
  g_free (client->stderr_path);
  g_free (client->identity);
  g_free (client);
  return status;
}

JsonObject *
test_client_stats (TestClient *client)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_mapped_file (parser, client->stats_path, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

char *
test_client_stdout (TestClient *client)
{
  return read_text (client->stdout_path);
}

char *
test_client_stderr (TestClient *client)
{
  return read_text (client->stderr_path);
}

char *
test_client_sid (TestClient *client)
{
  g_autoptr (JsonObject) stats = test_client_stats (client);
  JsonNode *sid = stats ? json_object_get_member (stats, "participant_sid") : NULL;

  if (sid == NULL || JSON_NODE_HOLDS_NULL (sid))
    return NULL;
  return g_strdup (json_node_get_string (sid));
}

JsonObject *
test_stats_participant (JsonObject *stats, const char *sid_or_identity)
{
  JsonArray *participants = json_object_get_array_member (stats, "participants");
  JsonObject *found = NULL;

  for (guint i = 0; i < json_array_get_length (participants); i++)
    {
      JsonObject *participant = json_array_get_object_element (participants, i);
      const char *sid
          = json_object_get_string_member_with_default (participant, "sid", "");
      const char *identity
          = json_object_get_string_member_with_default (participant, "identity", "");

      if (g_str_equal (sid, sid_or_identity) || g_str_equal (identity, sid_or_identity))
        found = participant;
    }
  return found;
}

static gint64
frames_in (JsonObject *participant, const char *kind)
{
  JsonObject *tracks = json_object_get_object_member (participant, "tracks");
  JsonObject *track;

  if (tracks == NULL || !json_object_has_member (tracks, kind))
    return 0;
  track = json_object_get_object_member (tracks, kind);
  return json_object_get_int_member_with_default (track, "frames_decoded", 0);
}

gint64
test_client_frames_from (TestClient *client, const char *identity, const char *kind)
{
  g_autoptr (JsonObject) stats = test_client_stats (client);
  JsonObject *participant = stats ? test_stats_participant (stats, identity) : NULL;

  if (participant == NULL
      || !json_object_get_boolean_member_with_default (participant, "connected", FALSE))
    return -1;
  return frames_in (participant, kind);
}

gboolean
test_client_receives_from (TestClient *client, const char *const *identities,
                           gint64 video_frames, gint64 audio_frames)
{
  for (guint i = 0; identities[i] != NULL; i++)
    if (test_client_frames_from (client, identities[i], "video") < video_frames
        || test_client_frames_from (client, identities[i], "audio") < audio_frames)
      return FALSE;
  return TRUE;
}

typedef struct
{
  TestClient **clients;
  gint64 video_frames;
  gint64 audio_frames;
} AllReceive;

static gboolean
all_receive (gpointer data)
{
  AllReceive *want = data;

  for (guint i = 0; want->clients[i] != NULL; i++)
    {
      g_autoptr (GStrvBuilder) others = g_strv_builder_new ();
      g_auto (GStrv) identities = NULL;

      for (guint j = 0; want->clients[j] != NULL; j++)
        if (j != i)
          g_strv_builder_add (others, want->clients[j]->identity);
      identities = g_strv_builder_end (others);
      if (!test_client_receives_from (want->clients[i], (const char *const *) identities,
                                      want->video_frames, want->audio_frames))
        return FALSE;
    }
  return TRUE;
}

gboolean
test_clients_wait_all_receive (TestClient **clients, gint64 video_frames,
                               gint64 audio_frames, guint timeout_ms)
{
  AllReceive want = { clients, video_frames, audio_frames };

  return test_wait_until (all_receive, &want, timeout_ms);
}
