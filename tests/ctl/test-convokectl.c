/* convokectl against a real convoked: every command runs as a separate
 * process, as an admin would run it, and its effect is checked through
 * the REST API or the signaling connection it should have changed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "access-token.h"
#include "ctl-run.h"
#include "signaling-test-client.h"
#include "test-daemon.h"
#include "twilio-error.h"

/* Mesh rooms need no media worker, so these tests exercise convokectl and
 * the REST API only. */
#define TEST_CONFIG "[rooms]\ndefault-type=peer-to-peer\n"

/* A port nothing listens on: the first of the reserved TCP ports. */
#define UNREACHABLE_URL "http://127.0.0.1:1"

/* The room as the REST API shows it. */
static JsonObject *
get_room (TestDaemon *d, const char *room)
{
  g_autofree char *escaped = g_uri_escape_string (room, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/v1/Rooms/", escaped, NULL);
  g_autoptr (JsonNode) json = NULL;

  g_assert_cmpuint (test_http (d, "GET", path, TRUE, NULL, &json, NULL), ==, 200);
  return json_object_ref (json_node_get_object (json));
}

static void
test_help (void)
{
  g_autoptr (CtlResult) help = run_ctl (NULL, "--help");
  g_autoptr (CtlResult) version = run_ctl (NULL, "--version");
  g_autoptr (CtlResult) none = run_ctlv (NULL, NULL, (const char *const[]){ NULL });
  g_autoptr (CtlResult) unknown = run_ctl (NULL, "frobnicate", "now");
  g_autoptr (CtlResult) unknown_verb = run_ctl (NULL, "rooms", "frobnicate");
  g_autoptr (CtlResult) bad_option = run_ctl (NULL, "rooms", "list", "--bogus");
  g_autoptr (CtlResult) missing = run_ctl (NULL, "rooms", "show");
  g_autoptr (CtlResult) extra = run_ctl (NULL, "rooms", "show", "a", "b");
  g_autoptr (CtlResult) command_help = run_ctl (NULL, "rooms", "create", "--help");
  const char *const commands[]
      = { "rooms list",        "rooms create",   "rooms show",
          "rooms complete",    "rooms pipeline", "participants list",
          "participants kick", "token create",   "config check" };

  g_assert_cmpint (help->status, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    assert_contains (help->out, commands[i]);
  assert_contains (help->out, "--api-key");

  g_assert_cmpint (version->status, ==, 0);
  g_assert_true (g_str_has_prefix (version->out, "convokectl "));

  g_assert_cmpint (none->status, ==, 2);
  assert_contains (none->err, "rooms list");

  g_assert_cmpint (unknown->status, ==, 2);
  assert_contains (unknown->err, "“frobnicate”");
  g_assert_cmpint (unknown_verb->status, ==, 2);
  assert_contains (unknown_verb->err, "“rooms frobnicate”");
  g_assert_cmpint (bad_option->status, ==, 2);
  assert_contains (bad_option->err, "--bogus");
  g_assert_cmpint (missing->status, ==, 2);
  assert_contains (missing->err, "rooms show ROOM");
  g_assert_cmpint (extra->status, ==, 2);
  assert_contains (extra->err, "“b”");

  g_assert_cmpint (command_help->status, ==, 0);
  assert_contains (command_help->out, "--max-participants");
  assert_contains (command_help->out, "--record");
  assert_contains (command_help->out, "--url");
}

static void
test_rooms (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (CtlResult) created = NULL;
  g_autoptr (CtlResult) other = NULL;
  g_autoptr (CtlResult) wide = NULL;
  g_autoptr (CtlResult) list = NULL;
  g_autoptr (CtlResult) by_name = NULL;
  g_autoptr (CtlResult) show = NULL;
  g_autoptr (CtlResult) complete = NULL;
  g_autoptr (CtlResult) in_progress = NULL;
  g_autoptr (CtlResult) completed = NULL;
  g_autoptr (JsonObject) room = NULL;
  g_autoptr (JsonObject) ended = NULL;
  g_autofree char *header = NULL;
  g_autofree char *row = NULL;
  const char *sid;

  /* create: the server holds the room with the options given. */
  created = run_ctl (d, "rooms", "create", "standup", "--type", "peer-to-peer",
                     "--max-participants", "3");
  other = run_ctl (d, "rooms", "create", "retro");
  wide = run_ctl (d, "rooms", "create", "réunion-日本");
  g_assert_cmpint (created->status, ==, 0);
  g_assert_cmpint (wide->status, ==, 0);
  room = get_room (d, "standup");
  sid = json_object_get_string_member (room, "sid");
  g_assert_cmpint (other->status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (room, "type"), ==, "peer-to-peer");
  g_assert_cmpint (json_object_get_int_member (room, "max_participants"), ==, 3);
  assert_contains (created->out, sid);
  assert_contains (created->out, "standup");

  /* list: one aligned row per room, the columns under their headings. */
  list = run_ctl (d, "rooms", "list");
  g_assert_cmpint (list->status, ==, 0);
  header = table_line (list->out, "SID");
  row = table_line (list->out, sid);
  assert_contains (header, "NAME");
  assert_contains (header, "PARTICIPANTS");
  g_assert_true (g_str_has_prefix (row, sid));
  g_assert_cmpint (strstr (header, "NAME") - header, ==, strstr (row, "standup") - row);
  g_assert_cmpint (strstr (header, "TYPE") - header, ==,
                   strstr (row, "peer-to-peer") - row);
  g_assert_cmpint (strstr (header, "STATUS") - header, ==,
                   strstr (row, "in-progress") - row);
  g_assert_cmpint (strstr (header, "PARTICIPANTS") - header, ==,
                   strstr (row, "0/3") - row);
  assert_contains (list->out, "retro");
  /* Accented and double-width characters are measured as displayed. */
  {
    g_autofree char *wide_row = table_line (list->out, "réunion-日本");

    g_assert_cmpint (display_column (header, strstr (header, "TYPE")), ==,
                     display_column (wide_row, strstr (wide_row, "peer-to-peer")));
  }

  /* Names are percent-encoded into one path segment. */
  {
    g_autoptr (CtlResult) odd = run_ctl (d, "rooms", "create", "weekly sync #3 ?ü&x=1");
    g_autoptr (CtlResult) odd_show
        = run_ctl (d, "rooms", "show", "weekly sync #3 ?ü&x=1");
    g_autoptr (CtlResult) odd_list
        = run_ctl (d, "rooms", "list", "--name", "weekly sync #3 ?ü&x=1");

    g_assert_cmpint (odd->status, ==, 0);
    g_assert_cmpint (odd_show->status, ==, 0);
    {
      g_autofree char *name_row = table_line (odd_show->out, "unique_name:");
      g_assert_true (g_str_has_suffix (name_row, " weekly sync #3 ?ü&x=1"));
    }
    g_assert_cmpint (odd_list->status, ==, 0);
    assert_contains (odd_list->out, "weekly sync #3 ?ü&x=1");
    assert_not_contains (odd_list->out, "retro");
  }

  by_name = run_ctl (d, "rooms", "list", "--name", "standup");
  g_assert_cmpint (by_name->status, ==, 0);
  assert_contains (by_name->out, sid);
  assert_not_contains (by_name->out, "retro");

  /* show, by name and by sid. */
  show = run_ctl (d, "rooms", "show", "standup");
  g_assert_cmpint (show->status, ==, 0);
  {
    g_autofree char *sid_row = table_line (show->out, "sid:");
    g_autofree char *name_row = table_line (show->out, "unique_name:");
    g_autofree char *max_row = table_line (show->out, "max_participants:");

    assert_contains (sid_row, sid);
    assert_contains (name_row, "standup");
    assert_contains (max_row, "3");
  }
  {
    g_autoptr (CtlResult) by_sid = run_ctl (d, "rooms", "show", sid);
    g_assert_cmpint (by_sid->status, ==, 0);
    assert_contains (by_sid->out, "standup");
  }

  /* complete: the server ends it; listings follow. */
  complete = run_ctl (d, "rooms", "complete", "standup");
  g_assert_cmpint (complete->status, ==, 0);
  assert_contains (complete->out, sid);
  ended = get_room (d, sid);
  g_assert_cmpstr (json_object_get_string_member (ended, "status"), ==, "completed");
  in_progress = run_ctl (d, "rooms", "list", "--status", "in-progress");
  assert_not_contains (in_progress->out, sid);
  assert_contains (in_progress->out, "retro");
  completed = run_ctl (d, "rooms", "list", "--status", "completed");
  g_assert_cmpint (completed->status, ==, 0);
  assert_contains (completed->out, sid);
  assert_not_contains (completed->out, "retro");

  test_daemon_stop (d);
}

static void
test_json_output (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (CtlResult) created = run_ctl (d, "--json", "rooms", "create", "standup");
  g_autoptr (CtlResult) list = run_ctl (d, "rooms", "list", "--json");
  g_autoptr (CtlResult) show = run_ctl (d, "rooms", "show", "standup", "--json");
  g_autoptr (CtlResult) participants
      = run_ctl (d, "participants", "list", "standup", "--json");
  g_autoptr (JsonNode) created_json = NULL;
  g_autoptr (JsonNode) list_json = NULL;
  g_autoptr (JsonNode) show_json = NULL;
  g_autoptr (JsonNode) participants_json = NULL;
  JsonArray *rooms;
  const char *sid;

  g_assert_cmpint (created->status, ==, 0);
  created_json = parse_json (created->out);
  sid = json_object_get_string_member (json_node_get_object (created_json), "sid");
  g_assert_true (g_str_has_prefix (sid, "RM"));

  g_assert_cmpint (list->status, ==, 0);
  list_json = parse_json (list->out);
  rooms = json_object_get_array_member (json_node_get_object (list_json), "rooms");
  g_assert_cmpuint (json_array_get_length (rooms), ==, 1);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (rooms, 0), "sid"), ==,
      sid);

  g_assert_cmpint (show->status, ==, 0);
  show_json = parse_json (show->out);
  g_assert_cmpstr (
      json_object_get_string_member (json_node_get_object (show_json), "sid"), ==, sid);

  g_assert_cmpint (participants->status, ==, 0);
  participants_json = parse_json (participants->out);
  g_assert_true (
      json_object_has_member (json_node_get_object (participants_json), "participants"));
  test_daemon_stop (d);
}

static void
test_errors (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (CtlResult) missing = run_ctl (d, "rooms", "show", "no-such-room");
  g_autoptr (CtlResult) first = run_ctl (d, "rooms", "create", "standup");
  g_autoptr (CtlResult) duplicate = run_ctl (d, "rooms", "create", "standup");
  g_autoptr (CtlResult) bad_type
      = run_ctl (d, "rooms", "create", "x", "--type", "hologram");
  g_autoptr (CtlResult) bad_secret
      = run_ctl (d, "--api-secret", "wrong", "rooms", "list");
  g_autoptr (CtlResult) refused = run_ctl (d, "--url", UNREACHABLE_URL, "rooms", "list");
  g_autoptr (CtlResult) bad_url
      = run_ctl (d, "--url", "ftp://example.org", "rooms", "list");
  g_autoptr (CtlResult) no_key = run_ctl (NULL, "rooms", "list");
  g_autoptr (CtlResult) kick_nobody
      = run_ctl (d, "participants", "kick", "standup", "ghost");
  g_autoptr (CtlResult) pipeline = run_ctl (d, "rooms", "pipeline", "standup");
  g_autoptr (CtlResult) bad_format
      = run_ctl (d, "rooms", "pipeline", "standup", "--format", "svg");
  g_autoptr (JsonNode) server_error = NULL;
  const char *server_message;
  g_autofree char *expected = NULL;

  /* The server's own message and code, word for word. */
  g_assert_cmpuint (
      test_http (d, "GET", "/v1/Rooms/no-such-room", TRUE, NULL, &server_error, NULL), ==,
      404);
  server_message
      = json_object_get_string_member (json_node_get_object (server_error), "message");
  expected = g_strdup_printf (
      "convokectl: %s (%" G_GINT64_FORMAT ")\n", server_message,
      json_object_get_int_member (json_node_get_object (server_error), "code"));
  g_assert_cmpint (missing->status, ==, 1);
  g_assert_cmpstr (missing->err, ==, expected);
  g_assert_cmpstr (missing->out, ==, "");

  g_assert_cmpint (first->status, ==, 0);
  g_assert_cmpint (duplicate->status, ==, 1);
  assert_contains (duplicate->err, "(53113)");
  g_assert_cmpint (bad_type->status, ==, 1);
  assert_contains (bad_type->err, "(53108)");
  assert_contains (bad_type->err, "hologram");

  g_assert_cmpint (bad_secret->status, ==, 1);
  assert_contains (bad_secret->err, "(20003)");
  assert_contains (bad_secret->err, "--api-secret");

  g_assert_cmpint (refused->status, ==, 1);
  assert_contains (refused->err, "convokectl: ");
  assert_contains (refused->err, UNREACHABLE_URL);
  g_assert_cmpint (bad_url->status, ==, 1);
  assert_contains (bad_url->err, "“ftp://example.org”");
  g_assert_cmpint (no_key->status, ==, 1);
  assert_contains (no_key->err, "--api-key");

  g_assert_cmpint (kick_nobody->status, ==, 1);
  assert_contains (kick_nobody->err, "convokectl: ");

  /* Until group rooms serve /Pipeline, whatever the server answers is
   * reported; a bad --format never reaches it. */
  g_assert_cmpint (pipeline->status, !=, 2);
  if (pipeline->status != 0)
    assert_contains (pipeline->err, "convokectl: ");
  g_assert_cmpint (bad_format->status, ==, 2);
  assert_contains (bad_format->err, "“svg”");

  test_daemon_stop (d);
}

static void
test_participants (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (CtlResult) created
      = run_ctl (d, "rooms", "create", "standup", "--type", "peer-to-peer");
  g_autoptr (CtlResult) token
      = run_ctl (d, "token", "create", "--identity", "alice", "--room", "standup");
  g_autoptr (CtlResult) list = NULL;
  g_autoptr (CtlResult) rooms = NULL;
  g_autoptr (CtlResult) kick = NULL;
  g_autoptr (CtlResult) after = NULL;
  g_autoptr (JsonObject) joined = NULL;
  g_autoptr (JsonObject) removed = NULL;
  SigClient *alice;
  g_autofree char *row = NULL;
  g_autofree char *alice_sid = NULL;

  g_assert_cmpint (created->status, ==, 0);
  g_assert_cmpint (token->status, ==, 0);
  g_strstrip (token->out);

  /* The token convokectl made locally is one the daemon accepts. */
  alice = sig_client_connect (d);
  joined = sig_client_join (alice, token->out, "standup");
  alice_sid = g_strdup (alice->sid);

  list = run_ctl (d, "participants", "list", "standup");
  g_assert_cmpint (list->status, ==, 0);
  row = table_line (list->out, alice_sid);
  assert_contains (row, "alice");
  assert_contains (row, "connected");
  rooms = run_ctl (d, "rooms", "list");
  {
    g_autofree char *room_row = table_line (rooms->out, "standup");
    assert_contains (room_row, " 1/");
  }

  kick = run_ctl (d, "participants", "kick", "standup", "alice");
  g_assert_cmpint (kick->status, ==, 0);
  assert_contains (kick->out, alice_sid);
  assert_contains (kick->out, "alice");
  removed = sig_client_expect_error (alice, CONVOKE_ERROR_PARTICIPANT_REMOVED, 5000);
  g_assert_true (sig_client_wait_closed (alice, 5000));

  after = run_ctl (d, "participants", "list", "standup", "--status", "disconnected");
  g_assert_cmpint (after->status, ==, 0);
  {
    g_autofree char *after_row = table_line (after->out, alice_sid);
    assert_contains (after_row, "disconnected");
  }

  sig_client_free (alice);
  test_daemon_stop (d);
}

static void
test_token_create (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr (CtlResult) scoped = run_ctl (d, "token", "create", "--identity", "zoë",
                                          "--room", "standup", "--ttl", "600");
  g_autoptr (CtlResult) any
      = run_ctl (d, "token", "create", "--identity", "bob", "--json");
  g_autoptr (CtlResult) no_identity = run_ctl (d, "token", "create");
  g_autoptr (CtlResult) bad_ttl
      = run_ctl (d, "token", "create", "--identity", "a", "--ttl", "0");
  g_autoptr (CtlResult) no_secret = run_ctl (NULL, "token", "create", "--identity", "a");
  g_autoptr (ConvokeAccessToken) token = NULL;
  g_autoptr (ConvokeAccessToken) any_token = NULL;
  g_autoptr (ConvokeAccessToken) wrong_room = NULL;
  g_autoptr (JsonNode) any_json = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (scoped->status, ==, 0);
  g_strstrip (scoped->out);
  token = convoke_access_token_verify (scoped->out, TEST_API_KEY, TEST_API_SECRET,
                                       "standup", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token->identity, ==, "zoë");
  g_assert_cmpstr (token->room, ==, "standup");
  g_assert_cmpint (token->expires, >=, now + 600);
  g_assert_cmpint (token->expires, <=, now + 605);
  wrong_room = convoke_access_token_verify (scoped->out, TEST_API_KEY, TEST_API_SECRET,
                                            "retro", 0, &error);
  g_assert_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_GRANTS_INVALID);
  g_clear_error (&error);

  g_assert_cmpint (any->status, ==, 0);
  any_json = parse_json (any->out);
  any_token = convoke_access_token_verify (
      json_object_get_string_member (json_node_get_object (any_json), "token"),
      TEST_API_KEY, TEST_API_SECRET, "anything", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (any_token->identity, ==, "bob");
  g_assert_null (any_token->room);

  g_assert_cmpint (no_identity->status, ==, 2);
  assert_contains (no_identity->err, "--identity");
  g_assert_cmpint (bad_ttl->status, ==, 2);
  assert_contains (bad_ttl->err, "--ttl 0");
  g_assert_cmpint (no_secret->status, ==, 2);
  assert_contains (no_secret->err, "--api-key");
  test_daemon_stop (d);
}

static char *
write_temp (const char *dir, const char *name, const char *contents)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_config_check (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *valid = write_temp (dir, "valid.conf",
                                       "[server]\nlisten=127.0.0.1:7999\n"
                                       "[auth]\napi-key=" TEST_API_KEY "\n"
                                       "api-secret=" TEST_API_SECRET "\n");
  g_autofree char *bad_group = write_temp (dir, "group.conf", "[sever]\nlisten=x\n");
  g_autofree char *bad_value
      = write_temp (dir, "value.conf", "[server]\nlisten=nowhere\n");
  g_autofree char *not_keyfile
      = write_temp (dir, "syntax.conf", "this is not = [a key file\n");
  g_autofree char *missing = g_build_filename (dir, "missing.conf", NULL);
  g_autoptr (CtlResult) ok = run_ctl (NULL, "config", "check", valid);
  g_autoptr (CtlResult) ok_json = run_ctl (NULL, "config", "check", valid, "--json");
  g_autoptr (CtlResult) group = run_ctl (NULL, "config", "check", bad_group);
  g_autoptr (CtlResult) group_json
      = run_ctl (NULL, "--json", "config", "check", bad_group);
  g_autoptr (CtlResult) value = run_ctl (NULL, "config", "check", bad_value);
  g_autoptr (CtlResult) syntax = run_ctl (NULL, "config", "check", not_keyfile);
  g_autoptr (CtlResult) absent = run_ctl (NULL, "config", "check", missing);
  g_autoptr (CtlResult) as_global = NULL;
  g_autoptr (JsonNode) ok_node = NULL;
  g_autoptr (JsonNode) group_node = NULL;
  g_autofree char *ok_line = g_strdup_printf ("%s: OK\n", valid);

  g_assert_cmpint (ok->status, ==, 0);
  g_assert_cmpstr (ok->out, ==, ok_line);
  g_assert_cmpint (ok_json->status, ==, 0);
  ok_node = parse_json (ok_json->out);
  g_assert_true (
      json_object_get_boolean_member (json_node_get_object (ok_node), "valid"));

  g_assert_cmpint (group->status, ==, 1);
  assert_contains (group->err, "sever");
  g_assert_cmpint (group_json->status, ==, 1);
  group_node = parse_json (group_json->out);
  g_assert_false (
      json_object_get_boolean_member (json_node_get_object (group_node), "valid"));
  assert_contains (
      json_object_get_string_member (json_node_get_object (group_node), "error"),
      "sever");
  g_assert_cmpint (value->status, ==, 1);
  assert_contains (value->err, "nowhere");
  g_assert_cmpint (syntax->status, ==, 1);
  assert_contains (syntax->err, "convokectl: ");
  g_assert_cmpint (absent->status, ==, 1);
  assert_contains (absent->err, "missing.conf");

  /* --config gives the URL (from listen=) and credentials to any command:
   * nothing listens on 7999, and the error says so. */
  as_global = run_ctl (NULL, "--config", valid, "rooms", "list");
  g_assert_cmpint (as_global->status, ==, 1);
  assert_contains (as_global->err, "127.0.0.1:7999");

  test_rm_rf (dir);
}

/* The daemon's own config (listen on port 0) supplies the credentials;
 * --url supplies the address it actually got. */
static void
test_config_credentials (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (CtlResult) list
      = run_ctl (NULL, "--config", d->config_path, "--url", d->base_url, "rooms", "list");
  g_autoptr (CtlResult) token
      = run_ctl (NULL, "-c", d->config_path, "token", "create", "--identity", "carol");
  g_autoptr (ConvokeAccessToken) verified = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (list->status, ==, 0);
  assert_contains (list->out, "SID");
  g_assert_cmpint (token->status, ==, 0);
  g_strstrip (token->out);
  verified = convoke_access_token_verify (token->out, TEST_API_KEY, TEST_API_SECRET, NULL,
                                          0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (verified->subject, ==, TEST_ACCOUNT_SID);
  test_daemon_stop (d);
}

/* With LANGUAGE=fr the messages come from build/po/fr/LC_MESSAGES. */
static void
test_french (void)
{
  g_autoptr (CtlResult) refused
      = run_ctlv (NULL, "fr",
                  (const char *const[]){ "--url", UNREACHABLE_URL, "--api-key", "k",
                                         "--api-secret", "s", "rooms", "list", NULL });
  g_autoptr (CtlResult) usage
      = run_ctlv (NULL, "fr", (const char *const[]){ "token", "create", NULL });
  g_autoptr (CtlResult) help
      = run_ctlv (NULL, "fr", (const char *const[]){ "--help", NULL });
  g_autoptr (CtlResult) english = run_ctl (NULL, "token", "create");

  g_assert_cmpint (refused->status, ==, 1);
  assert_contains (refused->err, "Impossible de joindre " UNREACHABLE_URL);
  g_assert_cmpint (usage->status, ==, 2);
  assert_contains (usage->err, "convokectl: token create nécessite --identity");
  g_assert_cmpint (english->status, ==, 2);
  assert_contains (english->err, "convokectl: token create needs --identity");
  g_assert_cmpint (help->status, ==, 0);
  assert_contains (help->out, "Lister les salles");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/convokectl/help", test_help);
  g_test_add_func ("/convokectl/rooms", test_rooms);
  g_test_add_func ("/convokectl/json", test_json_output);
  g_test_add_func ("/convokectl/errors", test_errors);
  g_test_add_func ("/convokectl/participants", test_participants);
  g_test_add_func ("/convokectl/token-create", test_token_create);
  g_test_add_func ("/convokectl/config-check", test_config_check);
  g_test_add_func ("/convokectl/config-credentials", test_config_credentials);
  g_test_add_func ("/convokectl/french", test_french);

  return g_test_run ();
}
