/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-client.h"

#include "client-log.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

GroupClient *
group_client_start_full (TestDaemon *d, const char *dir, const char *room,
                         const char *identity, const GroupClientOptions *options)
{
  GroupClient *client = g_new0 (GroupClient, 1);
  g_autofree char *name = g_strdup_printf ("stats-%s-%s.json", room, identity);
  g_autofree char *log_name = g_strdup_printf ("stderr-%s-%s.log", room, identity);
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) wrapped = NULL;
  g_autoptr (GError) error = NULL;

  client->identity = g_strdup (identity);
  client->stats_path = g_build_filename (dir, name, NULL);
  client->log_path = g_build_filename (dir, log_name, NULL);
  g_unlink (client->stats_path);
  /* A file, not a pipe: nobody has to drain it while the test waits. */
  g_subprocess_launcher_set_stderr_file_path (launcher, client->log_path);
  test_client_launcher_allow_criticals (launcher);
  g_ptr_array_add (argv, (char *) test_program ("CONVOKE_CLIENT"));
  g_ptr_array_add (argv, "--url");
  g_ptr_array_add (argv, (char *) (options && options->url ? options->url : d->base_url));
  g_ptr_array_add (argv, "--room");
  g_ptr_array_add (argv, (char *) room);
  g_ptr_array_add (argv, "--identity");
  g_ptr_array_add (argv, (char *) identity);
  test_daemon_add_client_credentials (d, argv);
  g_ptr_array_add (argv, "--stats-json");
  g_ptr_array_add (argv, client->stats_path);
  g_ptr_array_add (argv, "--quiet");
  for (guint i = 0; options && options->extra_args && options->extra_args[i]; i++)
    g_ptr_array_add (argv, (char *) options->extra_args[i]);
  g_ptr_array_add (argv, NULL);
  if (options != NULL && options->wrap != NULL)
    wrapped = options->wrap ((const char *const *) argv->pdata, options->wrap_data);
  client->process = g_subprocess_launcher_spawnv (
      launcher,
      wrapped ? (const char *const *) wrapped : (const char *const *) argv->pdata,
      &error);
  g_assert_no_error (error);
  return client;
}

GroupClient *
group_client_start (TestDaemon *d, const char *dir, const char *room,
                    const char *identity)
{
  return group_client_start_full (d, dir, room, identity, NULL);
}

char *
group_client_log_grep (GroupClient *client, const char *needle)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) found = NULL;

  if (!g_file_get_contents (client->log_path, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      {
        if (found == NULL)
          found = g_string_new (NULL);
        g_string_append_printf (found, "%s\n", lines[i]);
      }
  return found ? g_string_free (g_steal_pointer (&found), FALSE) : NULL;
}

gboolean
group_client_refresh (GroupClient *client)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  /* The client replaces the file atomically, so a read is never torn. */
  if (!json_parser_load_from_file (parser, client->stats_path, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  g_clear_pointer (&client->stats, json_object_unref);
  client->stats = json_object_ref (json_node_get_object (root));
  return TRUE;
}

/* The newest connected entry for @identity: a participant that rejoined
 * appears twice, and only the new connection carries media. */
static JsonObject *
find_peer (GroupClient *client, const char *identity)
{
  JsonArray *participants;

  if (client->stats == NULL || !json_object_has_member (client->stats, "participants"))
    return NULL;
  participants = json_object_get_array_member (client->stats, "participants");
  for (guint i = json_array_get_length (participants); i > 0; i--)
    {
      JsonObject *peer = json_array_get_object_element (participants, i - 1);

      if (g_strcmp0 (json_object_get_string_member_with_default (peer, "identity", NULL),
                     identity)
              == 0
          && json_object_get_boolean_member_with_default (peer, "connected", FALSE))
        return peer;
    }
  return NULL;
}

gint64
group_client_track_stat (GroupClient *client, const char *identity, const char *kind,
                         const char *member)
{
  JsonObject *peer = find_peer (client, identity);
  JsonObject *tracks, *track;

  if (peer == NULL)
    return 0;
  tracks = json_object_get_object_member (peer, "tracks");
  track = tracks != NULL && json_object_has_member (tracks, kind)
              ? json_object_get_object_member (tracks, kind)
              : NULL;
  return track != NULL ? json_object_get_int_member_with_default (track, member, 0) : 0;
}

guint64
group_client_decoded_from (GroupClient *client, const char *identity, const char *kind)
{
  return (guint64) group_client_track_stat (client, identity, kind, "frames_decoded");
}

const char *
group_client_peer_sid (GroupClient *client, const char *identity)
{
  JsonObject *peer = find_peer (client, identity);

  return peer != NULL ? json_object_get_string_member_with_default (peer, "sid", NULL)
                      : NULL;
}

gint64
group_client_error_code (GroupClient *client)
{
  JsonNode *error;

  if (client->stats == NULL)
    return 0;
  error = json_object_get_member (client->stats, "error");
  if (error == NULL || !JSON_NODE_HOLDS_OBJECT (error))
    return 0;
  return json_object_get_int_member_with_default (json_node_get_object (error), "code",
                                                  0);
}

gboolean
group_client_running (GroupClient *client)
{
  return client->process != NULL && g_subprocess_get_identifier (client->process) != NULL;
}

void
group_client_stop (GroupClient *client)
{
  if (group_client_running (client))
    {
      g_subprocess_send_signal (client->process, SIGTERM);
      g_subprocess_wait (client->process, NULL, NULL);
    }
  group_client_refresh (client);
}

void
group_client_free (GroupClient *client)
{
  g_autofree char *log = NULL;

  if (client == NULL)
    return;
  if (group_client_running (client))
    {
      g_subprocess_force_exit (client->process);
      g_subprocess_wait (client->process, NULL, NULL);
    }
  g_clear_object (&client->process);
  g_clear_pointer (&client->stats, json_object_unref);
  g_unlink (client->stats_path);
  if (g_file_get_contents (client->log_path, &log, NULL, NULL) && *log != '\0')
    {
      g_printerr ("[convoke-client %s]\n%s", client->identity, log);
      test_client_log_check_criticals (client->identity, log);
    }
  g_unlink (client->log_path);
  g_free (client->log_path);
  g_free (client->stats_path);
  g_free (client->identity);
  g_free (client);
}

typedef struct
{
  GPtrArray *clients;
  guint64 frames;
} MediaWait;

static gboolean
media_complete (gpointer data)
{
  MediaWait *wait = data;

  for (guint i = 0; i < wait->clients->len; i++)
    group_client_refresh (g_ptr_array_index (wait->clients, i));
  for (guint i = 0; i < wait->clients->len; i++)
    for (guint j = 0; j < wait->clients->len; j++)
      {
        GroupClient *receiver = g_ptr_array_index (wait->clients, i);
        GroupClient *sender = g_ptr_array_index (wait->clients, j);

        if (i == j)
          continue;
        if (group_client_decoded_from (receiver, sender->identity, "video") < wait->frames
            || group_client_decoded_from (receiver, sender->identity, "audio")
                   < wait->frames)
          return FALSE;
      }
  return TRUE;
}

gboolean
group_clients_wait_media (GPtrArray *clients, guint64 frames, guint timeout_ms)
{
  MediaWait wait = { clients, frames };

  if (test_wait_until (media_complete, &wait, timeout_ms))
    return TRUE;

  for (guint i = 0; i < clients->len; i++)
    for (guint j = 0; j < clients->len; j++)
      {
        GroupClient *receiver = g_ptr_array_index (clients, i);
        GroupClient *sender = g_ptr_array_index (clients, j);

        if (i != j)
          g_test_message ("%s from %s: %" G_GUINT64_FORMAT " video, %" G_GUINT64_FORMAT
                          " audio%s",
                          receiver->identity, sender->identity,
                          group_client_decoded_from (receiver, sender->identity, "video"),
                          group_client_decoded_from (receiver, sender->identity, "audio"),
                          group_client_running (receiver) ? "" : " (client exited)");
      }
  return FALSE;
}
