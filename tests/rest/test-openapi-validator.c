/* The schema validator the REST tests rely on: Twilio's own examples must
 * pass, and each kind of mistake must be caught.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "openapi-validator.h"

static OpenApiValidator *validator;

/* The endpoints Convoke implements, with the status of their success
 * response. */
static const struct
{
  const char *path, *method, *status;
} endpoints[] = {
  { "/v1/Rooms", "get", "200" },
  { "/v1/Rooms", "post", "201" },
  { "/v1/Rooms/{Sid}", "get", "200" },
  { "/v1/Rooms/{Sid}", "post", "202" },
  { "/v1/Rooms/{RoomSid}/Participants", "get", "200" },
  { "/v1/Rooms/{RoomSid}/Participants/{Sid}", "get", "200" },
  { "/v1/Rooms/{RoomSid}/Participants/{Sid}", "post", "202" },
  { "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/PublishedTracks", "get", "200" },
  { "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/PublishedTracks/{Sid}", "get",
    "200" },
  { "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/SubscribedTracks", "get", "200" },
};

static gboolean
need_validator (void)
{
  if (validator == NULL)
    g_test_skip (
        "CONVOKE_SHARED_REFERENCE/twilio_video_v1.openapi.json is not available");
  return validator != NULL;
}

static JsonObject *
examples_of (const char *path, const char *method, const char *status)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *file = g_build_filename (g_getenv ("CONVOKE_SHARED_REFERENCE"),
                                            "twilio_video_v1.openapi.json", NULL);
  JsonObject *o;

  g_assert_true (json_parser_load_from_file (parser, file, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  o = json_object_get_object_member (o, "paths");
  o = json_object_get_object_member (o, path);
  o = json_object_get_object_member (o, method);
  o = json_object_get_object_member (o, "responses");
  o = json_object_get_object_member (o, status);
  o = json_object_get_object_member (o, "content");
  o = json_object_get_object_member (o, "application/json");
  return json_object_ref (json_object_get_object_member (o, "examples"));
}

static void
test_twilio_examples_pass (void)
{
  guint checked = 0;

  if (!need_validator ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      g_autoptr (JsonObject) examples
          = examples_of (endpoints[i].path, endpoints[i].method, endpoints[i].status);
      JsonObject *schema = openapi_validator_response_schema (
          validator, endpoints[i].path, endpoints[i].method, endpoints[i].status);
      g_autoptr (GList) names = json_object_get_members (examples);

      g_assert_nonnull (schema);
      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonObject *example = json_object_get_object_member (examples, l->data);
          JsonNode *value = json_object_get_member (example, "value");
          g_autoptr (GString) problems = g_string_new (NULL);

          openapi_validator_check (validator, schema, value, problems);
          /* Twilio's examples omit a few properties here and there; those
           * are the only complaints allowed about Twilio's own data. */
          if (problems->len > 0)
            {
              g_auto (GStrv) lines = g_strsplit (problems->str, "\n", -1);

              for (guint k = 0; lines[k] != NULL && lines[k][0] != '\0'; k++)
                if (!g_str_has_suffix (lines[k], ": missing"))
                  g_error ("%s %s example %s: %s", endpoints[i].method, endpoints[i].path,
                           (char *) l->data, lines[k]);
            }
          checked++;
        }
    }
  g_assert_cmpuint (checked, >=, G_N_ELEMENTS (endpoints));
}

static JsonNode *
room_example (void)
{
  g_autoptr (JsonObject) examples = examples_of ("/v1/Rooms/{Sid}", "get", "200");
  JsonObject *fetch = json_object_get_object_member (examples, "fetch");

  return json_node_copy (json_object_get_member (fetch, "value"));
}

typedef struct
{
  const char *member;
  const char *json_value; /* NULL: remove the member */
  const char *expected;   /* a substring of the problem reported */
} Mutation;

static void
test_mistakes_caught (void)
{
  static const Mutation mutations[] = {
    { "sid", "\"RMnothex\"", ".sid: “RMnothex” is shorter than 34" },
    { "sid", "\"XXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
      "does not match ^RM[0-9a-fA-F]{32}$" },
    { "account_sid", "\"ACzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"", ".account_sid: " },
    { "status", "\"running\"",
      ".status: “running” is not one of in-progress, completed, failed" },
    { "status", "null", ".status: is null but not nullable" },
    { "type", "\"huge\"", ".type: “huge” is not one of" },
    { "max_participants", "\"10\"", ".max_participants: is a string, not a integer" },
    { "max_participants", "null", ".max_participants: is null but not nullable" },
    { "duration", "1.5", ".duration: is a number, not a integer" },
    { "enable_turn", "\"yes\"", ".enable_turn: is a string, not a boolean" },
    { "unique_name", NULL, ".unique_name: missing" },
    { "date_created", "\"yesterday\"", ".date_created: “yesterday” is not an ISO 8601" },
    { "url", "\"/v1/Rooms/RM1\"", ".url: “/v1/Rooms/RM1” is not an absolute URI" },
    { "video_codecs", "[\"VP9\"]", ".video_codecs[0]: “VP9” is not one of VP8, H264" },
    { "video_codecs", "\"VP8\"", ".video_codecs: is a string, not a array" },
    { "links", "[]", ".links: is a array, not a object" },
  };
  JsonObject *schema;

  if (!need_validator ())
    return;
  schema = openapi_validator_component (validator, "video.v1.room");
  g_assert_nonnull (schema);

  {
    g_autoptr (JsonNode) good = room_example ();
    g_autoptr (GString) problems = g_string_new (NULL);

    g_assert_true (openapi_validator_check (validator, schema, good, problems));
    g_assert_cmpstr (problems->str, ==, "");
  }

  for (guint i = 0; i < G_N_ELEMENTS (mutations); i++)
    {
      g_autoptr (JsonNode) room = room_example ();
      JsonObject *object = json_node_get_object (room);
      g_autoptr (GString) problems = g_string_new (NULL);

      if (mutations[i].json_value == NULL)
        json_object_remove_member (object, mutations[i].member);
      else
        json_object_set_member (object, mutations[i].member,
                                json_from_string (mutations[i].json_value, NULL));
      g_assert_false (openapi_validator_check (validator, schema, room, problems));
      if (strstr (problems->str, mutations[i].expected) == NULL)
        g_error ("mutation %s=%s: expected “%s”, got:\n%s", mutations[i].member,
                 mutations[i].json_value, mutations[i].expected, problems->str);
    }
}

static void
test_error_body (void)
{
  static const char *const bad[] = {
    "{\"code\":20404,\"message\":\"x\",\"status\":404}",
    "{\"code\":\"20404\",\"message\":\"x\",\"more_info\":\"https://x.org/"
    "e\",\"status\":404}",
    "{\"code\":20404,\"message\":\"\",\"more_info\":\"https://x.org/e\",\"status\":404}",
    "{\"code\":20404,\"message\":\"x\",\"more_info\":\"https://x.org/e\",\"status\":200}",
    "[]",
  };
  g_autoptr (JsonNode) good = json_from_string (
      "{\"code\":20404,\"message\":\"No room “x”\","
      "\"more_info\":\"https://www.twilio.com/docs/errors/20404\",\"status\":404}",
      NULL);
  g_autoptr (GString) problems = g_string_new (NULL);
  JsonObject *schema;

  if (!need_validator ())
    return;
  schema = openapi_validator_error_schema (validator);
  g_assert_true (openapi_validator_check (validator, schema, good, problems));
  openapi_assert_error (validator, good, 404, 20404);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) node = json_from_string (bad[i], NULL);

      g_string_truncate (problems, 0);
      g_assert_false (openapi_validator_check (validator, schema, node, problems));
      g_test_message ("%s → %s", bad[i], problems->str);
    }
}

static void
test_list_meta (void)
{
  static const char *const bad_meta[] = {
    "{\"rooms\":[],\"meta\":{\"page\":0,\"page_size\":50,\"first_page_url\":\"x\","
    "\"previous_page_url\":null,\"url\":\"https://a/v1/Rooms\",\"next_page_url\":null,"
    "\"key\":\"rooms\"}}",
    "{\"rooms\":[],\"meta\":{\"page\":0,\"page_size\":50,"
    "\"first_page_url\":\"https://a/v1/Rooms\",\"previous_page_url\":null,"
    "\"url\":\"https://a/v1/Rooms\",\"next_page_url\":null}}",
    "{\"rooms\":{},\"meta\":{\"page\":0,\"page_size\":50,"
    "\"first_page_url\":\"https://a/v1/Rooms\",\"previous_page_url\":null,"
    "\"url\":\"https://a/v1/Rooms\",\"next_page_url\":null,\"key\":\"rooms\"}}",
    "{\"rooms\":[],\"meta\":{\"page\":0,\"page_size\":50,"
    "\"first_page_url\":\"https://a/v1/Rooms\",\"previous_page_url\":null,"
    "\"url\":null,\"next_page_url\":null,\"key\":\"rooms\"}}",
  };
  JsonObject *schema;

  if (!need_validator ())
    return;
  schema = openapi_validator_response_schema (validator, "/v1/Rooms", "get", "200");
  for (guint i = 0; i < G_N_ELEMENTS (bad_meta); i++)
    {
      g_autoptr (JsonNode) node = json_from_string (bad_meta[i], NULL);
      g_autoptr (GString) problems = g_string_new (NULL);

      g_assert_nonnull (node);
      g_assert_false (openapi_validator_check (validator, schema, node, problems));
    }
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  validator = openapi_validator_load (&error);
  if (validator == NULL)
    g_test_message ("no OpenAPI file: %s", error->message);

  g_test_add_func ("/openapi/twilio-examples-pass", test_twilio_examples_pass);
  g_test_add_func ("/openapi/mistakes-caught", test_mistakes_caught);
  g_test_add_func ("/openapi/error-body", test_error_body);
  g_test_add_func ("/openapi/list-meta", test_list_meta);
  status = g_test_run ();
  openapi_validator_free (validator);
  return status;
}
