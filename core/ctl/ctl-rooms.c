/* convokectl rooms … and participants …: the REST resources of
 * docs/rest-api.md shown as tables, or as the server's JSON with --json.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "ctl-commands.h"
#include "ctl-output.h"
#include "i18n.h"

/* Twilio's largest page: one request lists every room in practice. */
#define PAGE_SIZE "1000"

static char *list_status;
static char *list_name;
static char *create_type;
/* G_MININT: not given, so the server applies the type's limit. */
static int create_max_participants = G_MININT;
static gboolean create_record;
static char *pipeline_format;
static char *participants_status;

static void
clear_options (void)
{
  g_clear_pointer (&list_status, g_free);
  g_clear_pointer (&list_name, g_free);
  g_clear_pointer (&create_type, g_free);
  g_clear_pointer (&pipeline_format, g_free);
  g_clear_pointer (&participants_status, g_free);
}

/* Prints the first page as the server sent it (--json), or every room of
 * every page in a table built by @add_row. */
static int
list_resource (CtlGlobals *globals, const char *path, const char *const *form,
               const char *list_key, CtlTable *table,
               void (*add_row) (CtlClient *, CtlTable *, JsonObject *))
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CtlClient) client = ctl_globals_connect (globals, &error);
  g_autoptr (JsonArray) items = NULL;

  if (client == NULL)
    return ctl_report_error (error);
  if (globals->json)
    {
      g_autoptr (GBytes) body = ctl_client_request (client, "GET", path, form, &error);

      if (body == NULL)
        return ctl_report_error (error);
      ctl_print_body (body);
      return CTL_EXIT_OK;
    }
  items = ctl_client_list_all (client, path, form, list_key, &error);
  if (items == NULL)
    return ctl_report_error (error);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *item = json_array_get_element (items, i);

      if (JSON_NODE_HOLDS_OBJECT (item))
        add_row (client, table, json_node_get_object (item));
    }
  ctl_table_print (table);
  return CTL_EXIT_OK;
}

/* Connected participants of an in-progress room, or -1 when unknown. */
static int
count_connected (CtlClient *client, JsonObject *room)
{
  g_autofree char *sid = ctl_json_member_text (room, "sid");
  g_autofree char *status = ctl_json_member_text (room, "status");
  g_autofree char *path = NULL;
  g_autoptr (JsonArray) participants = NULL;
  const char *const form[] = { "Status", "connected", "PageSize", PAGE_SIZE, NULL };

  if (sid == NULL || g_strcmp0 (status, "in-progress") != 0)
    return g_strcmp0 (status, "in-progress") == 0 ? -1 : 0;
  path = ctl_client_path ("v1", "Rooms", sid, "Participants", NULL);
  participants = ctl_client_list_all (client, path, form, "participants", NULL);
  return participants ? (int)json_array_get_length (participants) : -1;
}

/* "2/50": connected out of the room's maximum. */
static char *
participants_cell (CtlClient *client, JsonObject *room)
{
  int connected = count_connected (client, room);
  g_autofree char *max = ctl_json_member_text (room, "max_participants");
  g_autofree char *count
      = connected >= 0 ? g_strdup_printf ("%d", connected) : g_strdup ("?");

  return max ? g_strdup_printf ("%s/%s", count, max) : g_steal_pointer (&count);
}

static void
add_room_row (CtlClient *client, CtlTable *table, JsonObject *room)
{
  g_autofree char *sid = ctl_json_member_text (room, "sid");
  g_autofree char *name = ctl_json_member_text (room, "unique_name");
  g_autofree char *type = ctl_json_member_text (room, "type");
  g_autofree char *status = ctl_json_member_text (room, "status");
  g_autofree char *created = ctl_json_member_text (room, "date_created");
  g_autofree char *participants = participants_cell (client, room);

  ctl_table_add_row (table, sid, name, type, status, participants, created);
}

static int
run_rooms_list (CtlGlobals *globals, char **args)
{
  g_autoptr (CtlTable) table
      = ctl_table_new (_ ("SID"), _ ("NAME"), _ ("TYPE"), _ ("STATUS"),
                       _ ("PARTICIPANTS"), _ ("CREATED"), NULL);
  g_autoptr (GPtrArray) form = g_ptr_array_new ();

  g_ptr_array_add (form, "PageSize");
  g_ptr_array_add (form, PAGE_SIZE);
  if (list_status != NULL)
    {
      g_ptr_array_add (form, "Status");
      g_ptr_array_add (form, list_status);
    }
  if (list_name != NULL)
    {
      g_ptr_array_add (form, "UniqueName");
      g_ptr_array_add (form, list_name);
    }
  g_ptr_array_add (form, NULL);
  return list_resource (globals, "/v1/Rooms", (const char *const *)form->pdata, "rooms",
                        table, add_room_row);
}

/* The room members worth a line each, in reading order. Members the
 * server adds beyond these are printed after them. */
static const char *const room_fields[] = { "sid",
                                           "unique_name",
                                           "type",
                                           "status",
                                           "max_participants",
                                           "record_participants_on_connect",
                                           "date_created",
                                           "date_updated",
                                           "end_time",
                                           "duration",
                                           "empty_room_timeout",
                                           "unused_room_timeout",
                                           "status_callback",
                                           "status_callback_method",
                                           "url",
                                           NULL };

static void
print_room (CtlClient *client, JsonObject *room)
{
  g_autoptr (GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GList) members = json_object_get_members (room);

  for (guint i = 0; room_fields[i] != NULL; i++)
    {
      if (!json_object_has_member (room, room_fields[i]))
        continue;
      g_ptr_array_add (pairs, g_strdup (room_fields[i]));
      g_ptr_array_add (pairs, ctl_json_member_text (room, room_fields[i]));
    }
  for (GList *m = members; m != NULL; m = m->next)
    {
      g_autofree char *value = NULL;

      if (g_strv_contains (room_fields, m->data))
        continue;
      value = ctl_json_member_text (room, m->data);
      /* Objects such as links are for programs, and unset extras are
       * noise; --json shows both. */
      if (value == NULL)
        continue;
      g_ptr_array_add (pairs, g_strdup (m->data));
      g_ptr_array_add (pairs, g_steal_pointer (&value));
    }
  /* Not a member of the room resource: counted with another request. */
  g_ptr_array_add (pairs, g_strdup ("participants"));
  g_ptr_array_add (pairs, participants_cell (client, room));
  g_ptr_array_add (pairs, NULL);
  ctl_print_fields ((const char *const *)pairs->pdata);
}

static void
print_completed (CtlClient *client, JsonObject *room)
{
  g_autofree char *name = ctl_json_member_text (room, "unique_name");
  g_autofree char *sid = ctl_json_member_text (room, "sid");

  /* TRANSLATORS: the room's unique name, then its sid. */
  printf (_ ("Room “%s” (%s) completed."), name ? name : "-", sid ? sid : "-");
  printf ("\n");
}

/* One request whose answer is a room: the server's JSON with --json, else
 * @print's rendering. */
static int
room_request (CtlGlobals *globals, const char *method, const char *path,
              const char *const *form, void (*print) (CtlClient *, JsonObject *))
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CtlClient) client = ctl_globals_connect (globals, &error);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) room = NULL;

  if (client == NULL)
    return ctl_report_error (error);
  room = ctl_client_request_json (client, method, path, form, &body, &error);
  if (room == NULL)
    return ctl_report_error (error);
  if (globals->json)
    ctl_print_body (body);
  else
    print (client, json_node_get_object (room));
  return CTL_EXIT_OK;
}

static int
run_rooms_show (CtlGlobals *globals, char **args)
{
  g_autofree char *path = ctl_client_path ("v1", "Rooms", args[0], NULL);

  return room_request (globals, "GET", path, NULL, print_room);
}

static int
run_rooms_create (CtlGlobals *globals, char **args)
{
  g_autoptr (GPtrArray) form = g_ptr_array_new_with_free_func (g_free);

  if (args[0] != NULL)
    {
      g_ptr_array_add (form, g_strdup ("UniqueName"));
      g_ptr_array_add (form, g_strdup (args[0]));
    }
  if (create_type != NULL)
    {
      g_ptr_array_add (form, g_strdup ("Type"));
      g_ptr_array_add (form, g_strdup (create_type));
    }
  if (create_max_participants != G_MININT)
    {
      g_ptr_array_add (form, g_strdup ("MaxParticipants"));
      g_ptr_array_add (form, g_strdup_printf ("%d", create_max_participants));
    }
  if (create_record)
    {
      g_ptr_array_add (form, g_strdup ("RecordParticipantsOnConnect"));
      g_ptr_array_add (form, g_strdup ("true"));
    }
  g_ptr_array_add (form, NULL);
  return room_request (globals, "POST", "/v1/Rooms", (const char *const *)form->pdata,
                       print_room);
}

static int
run_rooms_complete (CtlGlobals *globals, char **args)
{
  g_autofree char *path = ctl_client_path ("v1", "Rooms", args[0], NULL);
  const char *const form[] = { "Status", "completed", NULL };

  return room_request (globals, "POST", path, form, print_completed);
}

static int
run_rooms_pipeline (CtlGlobals *globals, char **args)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CtlClient) client = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *path = ctl_client_path ("v1", "Rooms", args[0], "Pipeline", NULL);
  const char *format = pipeline_format ? pipeline_format : "text";
  const char *const form[] = { "format", format, NULL };

  if (!g_str_equal (format, "dot") && !g_str_equal (format, "text"))
    return ctl_usage_error (_ ("Unknown --format “%s”: use dot or text"), format);
  client = ctl_globals_connect (globals, &error);
  if (client == NULL)
    return ctl_report_error (error);
  body = ctl_client_request (client, "GET", path, form, &error);
  if (body == NULL)
    return ctl_report_error (error);
  ctl_print_body (body);
  return CTL_EXIT_OK;
}

static void
add_participant_row (CtlClient *client, CtlTable *table, JsonObject *participant)
{
  g_autofree char *sid = ctl_json_member_text (participant, "sid");
  g_autofree char *identity = ctl_json_member_text (participant, "identity");
  g_autofree char *status = ctl_json_member_text (participant, "status");
  g_autofree char *start = ctl_json_member_text (participant, "start_time");
  g_autofree char *end = ctl_json_member_text (participant, "end_time");
  g_autofree char *duration = ctl_json_member_text (participant, "duration");

  ctl_table_add_row (table, sid, identity, status, start, end, duration);
}

static int
run_participants_list (CtlGlobals *globals, char **args)
{
  g_autoptr (CtlTable) table
      = ctl_table_new (_ ("SID"), _ ("IDENTITY"), _ ("STATUS"), _ ("STARTED"),
                       _ ("ENDED"), _ ("DURATION"), NULL);
  g_autofree char *path = ctl_client_path ("v1", "Rooms", args[0], "Participants", NULL);
  const char *const form[]
      = { "PageSize", PAGE_SIZE, participants_status ? "Status" : NULL,
          participants_status, NULL };

  return list_resource (globals, path, form, "participants", table, add_participant_row);
}

static int
run_participants_kick (CtlGlobals *globals, char **args)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CtlClient) client = ctl_globals_connect (globals, &error);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) participant = NULL;
  g_autofree char *path
      = ctl_client_path ("v1", "Rooms", args[0], "Participants", args[1], NULL);
  const char *const form[] = { "Status", "disconnected", NULL };
  g_autofree char *identity = NULL;
  g_autofree char *sid = NULL;

  if (client == NULL)
    return ctl_report_error (error);
  participant = ctl_client_request_json (client, "POST", path, form, &body, &error);
  if (participant == NULL)
    return ctl_report_error (error);
  if (globals->json)
    {
      ctl_print_body (body);
      return CTL_EXIT_OK;
    }
  identity = ctl_json_member_text (json_node_get_object (participant), "identity");
  sid = ctl_json_member_text (json_node_get_object (participant), "sid");
  /* TRANSLATORS: identity, participant sid, room name or sid. */
  printf (_ ("Participant “%s” (%s) disconnected from room “%s”."),
          identity ? identity : "-", sid ? sid : "-", args[0]);
  printf ("\n");
  return CTL_EXIT_OK;
}

static const GOptionEntry rooms_list_entries[] = {
  { "status", 0, 0, G_OPTION_ARG_STRING, &list_status,
    N_ ("Only rooms with this status: in-progress, completed or failed"), N_ ("STATUS") },
  { "name", 0, 0, G_OPTION_ARG_STRING, &list_name,
    N_ ("Only rooms with this unique name"), N_ ("NAME") },
  { NULL },
};

static const GOptionEntry rooms_create_entries[] = {
  { "type", 0, 0, G_OPTION_ARG_STRING, &create_type,
    N_ ("Room type: group, group-small, peer-to-peer, go or a type from the config"),
    N_ ("TYPE") },
  { "max-participants", 0, 0, G_OPTION_ARG_INT, &create_max_participants,
    N_ ("Most participants connected at once (default: the type's limit)"), N_ ("N") },
  { "record", 0, 0, G_OPTION_ARG_NONE, &create_record,
    N_ ("Record participants when they connect"), NULL },
  { NULL },
};

static const GOptionEntry rooms_pipeline_entries[] = {
  { "format", 0, 0, G_OPTION_ARG_STRING, &pipeline_format,
    N_ ("Output format: text (default) or dot (Graphviz)"), N_ ("FORMAT") },
  { NULL },
};

static const GOptionEntry participants_list_entries[] = {
  { "status", 0, 0, G_OPTION_ARG_STRING, &participants_status,
    N_ ("Only participants with this status: connected or disconnected"), N_ ("STATUS") },
  { NULL },
};

/* Cluster mode: one line per live node; "*" marks the node asked. */
static void
add_node_row (CtlClient *client, CtlTable *table, JsonObject *node)
{
  g_autofree char *id = ctl_json_member_text (node, "id");
  g_autofree char *url = ctl_json_member_text (node, "url");
  g_autofree char *region = ctl_json_member_text (node, "region");
  g_autofree char *rooms = ctl_json_member_text (node, "rooms");
  g_autofree char *participants = ctl_json_member_text (node, "participants");
  g_autofree char *workers = ctl_json_member_text (node, "workers");
  g_autofree char *started = ctl_json_member_text (node, "started");
  g_autofree char *cpu = json_object_has_member (node, "cpu")
                             ? g_strdup_printf ("%.0f%%", json_object_get_double_member_with_default (node, "cpu", 0))
                             : NULL;
  g_autofree char *name = json_object_get_boolean_member_with_default (node, "this_node", FALSE)
                              ? g_strconcat (id, " *", NULL)
                              : g_strdup (id);

  ctl_table_add_row (table, name, url, region, rooms, participants, workers, cpu, started);
}

static int
run_nodes_list (CtlGlobals *globals, char **args)
{
  g_autoptr (CtlTable) table
      = ctl_table_new (_ ("NODE"), _ ("URL"), _ ("REGION"), _ ("ROOMS"), _ ("PARTICIPANTS"),
                       _ ("WORKERS"), _ ("CPU"), _ ("STARTED"), NULL);

  return list_resource (globals, "/v1/Nodes", NULL, "nodes", table, add_node_row);
}

const CtlCommand ctl_room_commands[] = {
  { "nodes", "list", "", N_ ("List the cluster's live nodes and their load"), NULL, 0, 0,
    run_nodes_list, NULL },
  { "rooms", "list", "", N_ ("List rooms, newest first"), rooms_list_entries, 0, 0,
    run_rooms_list, clear_options },
  { "rooms", "create", N_ ("[NAME]"), N_ ("Create a room"), rooms_create_entries, 0, 1,
    run_rooms_create, clear_options },
  { "rooms", "show", N_ ("ROOM"), N_ ("Show one room, by sid or unique name"), NULL, 1, 1,
    run_rooms_show, clear_options },
  { "rooms", "complete", N_ ("ROOM"), N_ ("End a room and disconnect everyone in it"),
    NULL, 1, 1, run_rooms_complete, clear_options },
  { "rooms", "pipeline", N_ ("ROOM"), N_ ("Print a group room's media pipeline"),
    rooms_pipeline_entries, 1, 1, run_rooms_pipeline, clear_options },
  { "participants", "list", N_ ("ROOM"), N_ ("List a room's participants"),
    participants_list_entries, 1, 1, run_participants_list, clear_options },
  { "participants", "kick", N_ ("ROOM PARTICIPANT"),
    N_ ("Disconnect a participant, by sid or identity"), NULL, 2, 2,
    run_participants_kick, clear_options },
  { NULL },
};
