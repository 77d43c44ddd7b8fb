/* convokectl recordings …: the Recordings resources of docs/recording.md
 * over REST, and decrypting an encrypted recording locally.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <stdio.h>
#include <unistd.h>

#include "ctl-commands.h"
#include "ctl-output.h"
#include "i18n.h"
#include "recording-crypt.h"

/* Decrypted up to a cut: OUT holds what came before it. Documented in
 * docs/recording.md. */
#define CTL_EXIT_TRUNCATED 3

#define PAGE_SIZE "1000"

static char *decrypt_key;
static char *list_room;
static char *list_status;
static char *list_participant;

static void
clear_options (void)
{
  g_clear_pointer (&decrypt_key, g_free);
  g_clear_pointer (&list_room, g_free);
  g_clear_pointer (&list_status, g_free);
  g_clear_pointer (&list_participant, g_free);
}

/* ---- decrypt ------------------------------------------------------------ */

static GInputStream *
open_input (const char *path, GError **error)
{
  g_autoptr (GFile) file = NULL;

  if (g_str_equal (path, "-"))
    return g_unix_input_stream_new (STDIN_FILENO, FALSE);
  file = g_file_new_for_commandline_arg (path);
  return G_INPUT_STREAM (g_file_read (file, NULL, error));
}

/* A new file only: decrypting never overwrites anything. */
static GOutputStream *
open_output (const char *path, GError **error)
{
  g_autoptr (GFile) file = NULL;

  if (g_str_equal (path, "-"))
    return g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  file = g_file_new_for_commandline_arg (path);
  return G_OUTPUT_STREAM (g_file_create (file, G_FILE_CREATE_PRIVATE, NULL, error));
}

static int
run_recordings_decrypt (CtlGlobals *globals, char **args)
{
  const char *in_path = args[0], *out_path = args[1];
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) close_error = NULL;
  g_autoptr (ConvokeRecordingKey) key = NULL;
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GOutputStream) out = NULL;
  guint64 written = 0;
  gboolean ok, truncated;

  if (decrypt_key == NULL)
    return ctl_usage_error (_ ("recordings decrypt needs --key PRIVATE-KEY.pem"));
  key = convoke_recording_key_load_private (decrypt_key, &error);
  if (key == NULL)
    return ctl_report_error (error);
  in = open_input (in_path, &error);
  if (in == NULL)
    return ctl_report_error (error);
  out = open_output (out_path, &error);
  if (out == NULL)
    return ctl_report_error (error);

  ok = convoke_recording_decrypt (key, in, out, in_path, &written, NULL, &error);
  truncated = g_error_matches (error, CONVOKE_RECORDING_CRYPT_ERROR,
                               CONVOKE_RECORDING_CRYPT_ERROR_TRUNCATED);
  if (!g_output_stream_close (out, NULL, &close_error) && error == NULL)
    g_propagate_error (&error, g_steal_pointer (&close_error));
  if (ok && error == NULL)
    return CTL_EXIT_OK;

  if (truncated && written > 0)
    {
      g_printerr ("convokectl: %s\n", error->message);
      return CTL_EXIT_TRUNCATED;
    }
  /* Nothing trustworthy came out: leave no half-written file behind. */
  if (!g_str_equal (out_path, "-"))
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (out_path);

      g_file_delete (file, NULL, NULL);
    }
  return ctl_report_error (error);
}

/* ---- REST --------------------------------------------------------------- */

static void
add_recording_row (CtlTable *table, JsonObject *recording)
{
  g_autofree char *sid = ctl_json_member_text (recording, "sid");
  g_autofree char *status = ctl_json_member_text (recording, "status");
  g_autofree char *type = ctl_json_member_text (recording, "type");
  g_autofree char *codec = ctl_json_member_text (recording, "codec");
  g_autofree char *duration = ctl_json_member_text (recording, "duration");
  g_autofree char *size = ctl_json_member_text (recording, "size");
  g_autofree char *participant = NULL;
  g_autofree char *created = ctl_json_member_text (recording, "date_created");
  JsonNode *grouping = json_object_get_member (recording, "grouping_sids");

  if (grouping != NULL && JSON_NODE_HOLDS_OBJECT (grouping))
    participant
        = ctl_json_member_text (json_node_get_object (grouping), "participant_sid");
  ctl_table_add_row (table, sid, status, type, codec, duration, size, participant,
                     created);
}

static int
run_recordings_list (CtlGlobals *globals, char **args)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CtlClient) client = NULL;
  g_autoptr (JsonArray) items = NULL;
  g_autoptr (GPtrArray) form = g_ptr_array_new ();
  g_autofree char *path = NULL;
  g_autoptr (CtlTable) table
      = ctl_table_new (_ ("SID"), _ ("STATUS"), _ ("TYPE"), _ ("CODEC"), _ ("DURATION"),
                       _ ("SIZE"), _ ("PARTICIPANT"), _ ("CREATED"), NULL);

  /* A room by name is only known under /v1/Rooms; its sid works there too. */
  path = list_room != NULL
             ? ctl_client_path ("v1", "Rooms", list_room, "Recordings", NULL)
             : g_strdup ("/v1/Recordings");
  g_ptr_array_add (form, "PageSize");
  g_ptr_array_add (form, PAGE_SIZE);
  if (list_status != NULL)
    {
      g_ptr_array_add (form, "Status");
      g_ptr_array_add (form, list_status);
    }
  if (list_participant != NULL)
    {
      g_ptr_array_add (form, "GroupingSid");
      g_ptr_array_add (form, list_participant);
    }
  g_ptr_array_add (form, NULL);

  client = ctl_globals_connect (globals, &error);
  if (client == NULL)
    return ctl_report_error (error);
  if (globals->json)
    {
      g_autoptr (GBytes) body = ctl_client_request (
          client, "GET", path, (const char *const *) form->pdata, &error);

      if (body == NULL)
        return ctl_report_error (error);
      ctl_print_body (body);
      return CTL_EXIT_OK;
    }
  items = ctl_client_list_all (client, path, (const char *const *) form->pdata,
                               "recordings", &error);
  if (items == NULL)
    return ctl_report_error (error);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *item = json_array_get_element (items, i);

      if (JSON_NODE_HOLDS_OBJECT (item))
        add_recording_row (table, json_node_get_object (item));
    }
  ctl_table_print (table);
  return CTL_EXIT_OK;
}

static int
run_recordings_show (CtlGlobals *globals, char **args)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CtlClient) client = ctl_globals_connect (globals, &error);
  g_autofree char *path = ctl_client_path ("v1", "Recordings", args[0], NULL);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  JsonObject *recording;
  g_autoptr (GList) members = NULL;

  if (client == NULL)
    return ctl_report_error (error);
  node = ctl_client_request_json (client, "GET", path, NULL, &body, &error);
  if (node == NULL)
    return ctl_report_error (error);
  if (globals->json)
    {
      ctl_print_body (body);
      return CTL_EXIT_OK;
    }
  recording = json_node_get_object (node);
  members = json_object_get_members (recording);
  for (GList *m = members; m != NULL; m = m->next)
    {
      JsonNode *value = json_object_get_member (recording, m->data);

      /* grouping_sids is the one object a person wants to read. */
      if (JSON_NODE_HOLDS_OBJECT (value) && g_str_equal (m->data, "grouping_sids"))
        {
          JsonObject *grouping = json_node_get_object (value);
          g_autoptr (GList) keys = json_object_get_members (grouping);

          for (GList *k = keys; k != NULL; k = k->next)
            {
              g_ptr_array_add (pairs, g_strdup (k->data));
              g_ptr_array_add (pairs, ctl_json_member_text (grouping, k->data));
            }
          continue;
        }
      if (!JSON_NODE_HOLDS_VALUE (value))
        continue;
      g_ptr_array_add (pairs, g_strdup (m->data));
      g_ptr_array_add (pairs, ctl_json_member_text (recording, m->data));
    }
  g_ptr_array_add (pairs, NULL);
  ctl_print_fields ((const char *const *) pairs->pdata);
  return CTL_EXIT_OK;
}

static int
run_recordings_delete (CtlGlobals *globals, char **args)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CtlClient) client = ctl_globals_connect (globals, &error);
  g_autofree char *path = ctl_client_path ("v1", "Recordings", args[0], NULL);
  g_autoptr (GBytes) body = NULL;

  if (client == NULL)
    return ctl_report_error (error);
  body = ctl_client_request (client, "DELETE", path, NULL, &error);
  if (body == NULL)
    return ctl_report_error (error);
  if (!globals->json)
    {
      /* TRANSLATORS: a recording sid. */
      printf (_ ("Recording %s deleted."), args[0]);
      printf ("\n");
    }
  return CTL_EXIT_OK;
}

static int
run_recordings_download (CtlGlobals *globals, char **args)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CtlClient) client = ctl_globals_connect (globals, &error);
  g_autofree char *path = ctl_client_path ("v1", "Recordings", args[0], "Media", NULL);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GOutputStream) out = NULL;
  gsize size = 0;
  const guint8 *data;

  if (client == NULL)
    return ctl_report_error (error);
  body = ctl_client_request (client, "GET", path, NULL, &error);
  if (body == NULL)
    return ctl_report_error (error);
  out = open_output (args[1], &error);
  data = g_bytes_get_data (body, &size);
  if (out == NULL || !g_output_stream_write_all (out, data, size, NULL, NULL, &error)
      || !g_output_stream_close (out, NULL, &error))
    return ctl_report_error (error);
  return CTL_EXIT_OK;
}

static const GOptionEntry decrypt_entries[] = {
  { "key", 0, 0, G_OPTION_ARG_FILENAME, &decrypt_key,
    N_ ("PEM file of the RSA private key the recordings were encrypted to (required)"),
    N_ ("FILE") },
  { NULL },
};

static const GOptionEntry list_entries[] = {
  { "room", 0, 0, G_OPTION_ARG_STRING, &list_room,
    N_ ("Only this room's recordings (sid, or unique name while in progress)"),
    N_ ("ROOM") },
  { "status", 0, 0, G_OPTION_ARG_STRING, &list_status,
    N_ ("Only recordings with this status: processing, completed, deleted or failed"),
    N_ ("STATUS") },
  { "participant", 0, 0, G_OPTION_ARG_STRING, &list_participant,
    N_ ("Only this participant's recordings (PA…)"), N_ ("SID") },
  { NULL },
};

const CtlCommand ctl_recording_commands[] = {
  { "recordings", "list", "", N_ ("List recordings, newest first"), list_entries, 0, 0,
    run_recordings_list, clear_options },
  { "recordings", "show", N_ ("RECORDING"), N_ ("Show one recording"), NULL, 1, 1,
    run_recordings_show, clear_options },
  { "recordings", "download", N_ ("RECORDING OUT"),
    N_ ("Save a recording's file (“-” for standard output)"), NULL, 2, 2,
    run_recordings_download, clear_options },
  { "recordings", "delete", N_ ("RECORDING"), N_ ("Delete a recording's file"), NULL, 1,
    1, run_recordings_delete, clear_options },
  { "recordings", "decrypt", N_ ("IN OUT"),
    N_ ("Decrypt an encrypted recording locally (“-” for standard input or output)"),
    decrypt_entries, 2, 2, run_recordings_decrypt, clear_options },
  { NULL },
};
