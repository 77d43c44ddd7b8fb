/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rest-test-util.h"

#include <string.h>

OpenApiValidator *rest_test_validator;

void
rest_test_init (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  g_test_init (argc, argv, NULL);
  rest_test_validator = openapi_validator_load (&error);
  if (rest_test_validator == NULL)
    g_test_message ("schema checks skipped: %s", error->message);
}

int
rest_test_run (void)
{
  int status = g_test_run ();

  g_clear_pointer (&rest_test_validator, openapi_validator_free);
  return status;
}

const char *
rest_json_string (JsonNode *node, const char *member)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_get_string_member_with_default (json_node_get_object (node), member,
                                                     NULL);
}

gint64
rest_json_int (JsonNode *node, const char *member)
{
  g_assert_nonnull (node);
  g_assert_true (json_object_has_member (json_node_get_object (node), member));
  return json_object_get_int_member (json_node_get_object (node), member);
}

gboolean
rest_json_is_null (JsonNode *node, const char *member)
{
  JsonNode *value = json_object_get_member (json_node_get_object (node), member);

  g_assert_nonnull (value);
  return JSON_NODE_HOLDS_NULL (value);
}

JsonArray *
rest_json_array (JsonNode *node, const char *member)
{
  g_assert_nonnull (node);
  return json_object_get_array_member (json_node_get_object (node), member);
}

JsonNode *
rest_create_room (TestDaemon *d, const char *const *form)
{
  JsonNode *room = NULL;
  guint status = test_http (d, "POST", "/v1/Rooms", TRUE, form, &room, NULL);

  if (status != 201)
    {
      g_autofree char *text = room ? json_to_string (room, FALSE) : g_strdup ("(none)");
      g_error ("POST /v1/Rooms answered %u: %s", status, text);
    }
  openapi_assert_response (rest_test_validator, "/v1/Rooms", "post", "201", room);
  return room;
}

char *
rest_expect_error (TestDaemon *d, const char *method, const char *path,
                   const char *const *form, guint http_status, int code)
{
  g_autoptr (JsonNode) body = NULL;
  guint status = test_http (d, method, path, TRUE, form, &body, NULL);

  if (status != http_status)
    {
      g_autofree char *text = body ? json_to_string (body, FALSE) : g_strdup ("(none)");
      g_error ("%s %s answered %u, expected %u: %s", method, path, status, http_status,
               text);
    }
  openapi_assert_error (rest_test_validator, body, http_status, code);
  g_test_message ("%s %s → %u %d %s", method, path, status, code,
                  rest_json_string (body, "message"));
  return g_strdup (rest_json_string (body, "message"));
}

const char *
rest_path_of (TestDaemon *d, const char *url)
{
  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, d->base_url));
  return url + strlen (d->base_url);
}

void
rest_assert_serving (TestDaemon *d)
{
  g_autoptr (JsonNode) list = NULL;

  g_assert_true (test_daemon_alive (d));
  g_assert_cmpuint (test_http (d, "GET", "/v1/Rooms", TRUE, NULL, &list, NULL), ==, 200);
  openapi_assert_response (rest_test_validator, "/v1/Rooms", "get", "200", list);
}
