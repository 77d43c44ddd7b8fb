/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "openapi-validator.h"

#include <string.h>

#define SPEC_FILE "twilio_video_v1.openapi.json"

/* Twilio documents its error body in prose only. */
static const char error_schema_json[]
    = "{\"type\":\"object\",\"required\":[\"code\",\"message\",\"more_info\",\"status\"],"
      "\"properties\":{\"code\":{\"type\":\"integer\",\"minimum\":10000,\"maximum\":"
      "99999},"
      "\"message\":{\"type\":\"string\",\"minLength\":1},"
      "\"more_info\":{\"type\":\"string\",\"format\":\"uri\"},"
      "\"status\":{\"type\":\"integer\",\"minimum\":400,\"maximum\":599}}}";

struct _OpenApiValidator
{
  JsonParser *spec;
  JsonParser *error_schema;
  GHashTable *regexes; /* pattern → GRegex* */
};

OpenApiValidator *
openapi_validator_load (GError **error)
{
  const char *dir = g_getenv ("CONVOKE_SHARED_REFERENCE");
  g_autofree char *path = NULL;
  g_autoptr (OpenApiValidator) self = NULL;

  if (dir == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "CONVOKE_SHARED_REFERENCE is not set");
      return NULL;
    }
  path = g_build_filename (dir, SPEC_FILE, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s does not exist", path);
      return NULL;
    }
  self = g_new0 (OpenApiValidator, 1);
  self->regexes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_regex_unref);
  self->spec = json_parser_new ();
  if (!json_parser_load_from_file (self->spec, path, error))
    return NULL;
  self->error_schema = json_parser_new ();
  if (!json_parser_load_from_data (self->error_schema, error_schema_json, -1, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
openapi_validator_free (OpenApiValidator *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->spec);
  g_clear_object (&self->error_schema);
  g_clear_pointer (&self->regexes, g_hash_table_unref);
  g_free (self);
}

/* Follows a local JSON pointer such as "#/components/schemas/video.v1.room". */
static JsonNode *
resolve_pointer (OpenApiValidator *self, const char *ref)
{
  JsonNode *node = json_parser_get_root (self->spec);
  g_auto (GStrv) parts = NULL;

  if (!g_str_has_prefix (ref, "#/"))
    return NULL;
  parts = g_strsplit (ref + 2, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autoptr (GString) key = g_string_new (parts[i]);

      g_string_replace (key, "~1", "/", 0);
      g_string_replace (key, "~0", "~", 0);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        return NULL;
      node = json_object_get_member (json_node_get_object (node), key->str);
    }
  return node;
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                       : NULL;
}

JsonObject *
openapi_validator_component (OpenApiValidator *self, const char *name)
{
  JsonObject *root = json_node_get_object (json_parser_get_root (self->spec));

  return member_object (member_object (member_object (root, "components"), "schemas"),
                        name);
}

JsonObject *
openapi_validator_response_schema (OpenApiValidator *self, const char *path,
                                   const char *method, const char *status)
{
  JsonObject *root = json_node_get_object (json_parser_get_root (self->spec));
  JsonObject *o = member_object (member_object (root, "paths"), path);

  o = member_object (member_object (member_object (o, method), "responses"), status);
  o = member_object (member_object (member_object (o, "content"), "application/json"),
                     "schema");
  return o;
}

JsonObject *
openapi_validator_error_schema (OpenApiValidator *self)
{
  return json_node_get_object (json_parser_get_root (self->error_schema));
}

static void problem (GString *problems, const char *where, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static void
problem (GString *problems, const char *where, const char *format, ...)
{
  va_list args;

  g_string_append_printf (problems, "%s: ", *where ? where : "(root)");
  va_start (args, format);
  g_string_append_vprintf (problems, format, args);
  va_end (args);
  g_string_append_c (problems, '\n');
}

static const char *
node_type_name (JsonNode *node)
{
  if (JSON_NODE_HOLDS_NULL (node))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "array";
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return "string";
    case G_TYPE_INT64:
      return "integer";
    case G_TYPE_DOUBLE:
      return "number";
    case G_TYPE_BOOLEAN:
      return "boolean";
    default:
      return "unknown";
    }
}

static gboolean
type_matches (const char *type, JsonNode *node)
{
  const char *actual = node_type_name (node);

  if (g_str_equal (type, "number"))
    return g_str_equal (actual, "integer") || g_str_equal (actual, "number");
  return g_str_equal (type, actual);
}

static void check_node (OpenApiValidator *self, JsonObject *schema, JsonNode *node,
                        const char *where, GString *problems);

static void
check_string (OpenApiValidator *self, JsonObject *schema, const char *value,
              const char *where, GString *problems)
{
  const char *pattern
      = json_object_get_string_member_with_default (schema, "pattern", NULL);
  const char *format
      = json_object_get_string_member_with_default (schema, "format", NULL);
  glong length = g_utf8_strlen (value, -1);

  if (json_object_has_member (schema, "minLength")
      && length < json_object_get_int_member (schema, "minLength"))
    problem (problems, where, "“%s” is shorter than %" G_GINT64_FORMAT, value,
             json_object_get_int_member (schema, "minLength"));
  if (json_object_has_member (schema, "maxLength")
      && length > json_object_get_int_member (schema, "maxLength"))
    problem (problems, where, "“%s” is longer than %" G_GINT64_FORMAT, value,
             json_object_get_int_member (schema, "maxLength"));
  if (pattern != NULL)
    {
      GRegex *regex = g_hash_table_lookup (self->regexes, pattern);

      if (regex == NULL)
        {
          g_autoptr (GError) error = NULL;

          regex = g_regex_new (pattern, 0, 0, &error);
          g_assert_no_error (error);
          g_hash_table_insert (self->regexes, g_strdup (pattern), regex);
        }
      if (!g_regex_match (regex, value, 0, NULL))
        problem (problems, where, "“%s” does not match %s", value, pattern);
    }
  if (g_strcmp0 (format, "date-time") == 0)
    {
      g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (value, NULL);

      if (when == NULL)
        problem (problems, where, "“%s” is not an ISO 8601 date-time", value);
    }
  else if (g_strcmp0 (format, "uri") == 0
           && !g_uri_is_valid (value, G_URI_FLAGS_NONE, NULL))
    problem (problems, where, "“%s” is not an absolute URI", value);
}

static void
check_enum (JsonArray *allowed, JsonNode *node, const char *where, GString *problems)
{
  g_autoptr (GString) list = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (allowed); i++)
    {
      JsonNode *candidate = json_array_get_element (allowed, i);

      if (json_node_equal (candidate, node))
        return;
      if (JSON_NODE_HOLDS_VALUE (candidate)
          && json_node_get_value_type (candidate) == G_TYPE_STRING)
        g_string_append_printf (list, "%s%s", list->len ? ", " : "",
                                json_node_get_string (candidate));
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    problem (problems, where, "“%s” is not one of %s", json_node_get_string (node),
             list->str);
  else
    problem (problems, where, "a %s is not one of %s", node_type_name (node), list->str);
}

static void
check_object (OpenApiValidator *self, JsonObject *schema, JsonObject *object,
              const char *where, GString *problems)
{
  JsonObject *properties = member_object (schema, "properties");
  JsonNode *required = json_object_get_member (schema, "required");

  if (properties != NULL)
    {
      g_autoptr (GList) names = json_object_get_members (properties);

      for (GList *l = names; l != NULL; l = l->next)
        {
          const char *name = l->data;
          g_autofree char *child = g_strdup_printf ("%s.%s", where, name);
          JsonNode *value = json_object_get_member (object, name);

          if (value == NULL)
            problem (problems, child, "missing");
          else
            check_node (self, member_object (properties, name), value, child, problems);
        }
    }
  if (required != NULL && JSON_NODE_HOLDS_ARRAY (required))
    {
      JsonArray *names = json_node_get_array (required);

      for (guint i = 0; i < json_array_get_length (names); i++)
        {
          const char *name = json_array_get_string_element (names, i);

          if (!json_object_has_member (object, name))
            problem (problems, where, "required member “%s” is missing", name);
        }
    }
}

static void
check_node (OpenApiValidator *self, JsonObject *schema, JsonNode *node, const char *where,
            GString *problems)
{
  const char *type;
  JsonNode *enum_node;

  if (schema == NULL)
    return;
  if (json_object_has_member (schema, "$ref"))
    {
      const char *ref = json_object_get_string_member (schema, "$ref");
      JsonNode *target = resolve_pointer (self, ref);

      if (target == NULL || !JSON_NODE_HOLDS_OBJECT (target))
        {
          problem (problems, where, "cannot resolve %s", ref);
          return;
        }
      /* A $ref'd schema is never nullable here (Twilio puts nullable on
       * the referencing property only for inline schemas). */
      schema = json_node_get_object (target);
    }

  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (!json_object_get_boolean_member_with_default (schema, "nullable", FALSE))
        problem (problems, where, "is null but not nullable");
      return;
    }

  type = json_object_get_string_member_with_default (schema, "type", NULL);
  if (type == NULL && json_object_has_member (schema, "properties"))
    type = "object";
  if (type != NULL && !type_matches (type, node))
    {
      problem (problems, where, "is a %s, not a %s", node_type_name (node), type);
      return;
    }

  enum_node = json_object_get_member (schema, "enum");
  if (enum_node != NULL && JSON_NODE_HOLDS_ARRAY (enum_node))
    check_enum (json_node_get_array (enum_node), node, where, problems);

  if (JSON_NODE_HOLDS_OBJECT (node))
    check_object (self, schema, json_node_get_object (node), where, problems);
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      JsonObject *items = member_object (schema, "items");

      for (guint i = 0; items != NULL && i < json_array_get_length (array); i++)
        {
          g_autofree char *child = g_strdup_printf ("%s[%u]", where, i);
          check_node (self, items, json_array_get_element (array, i), child, problems);
        }
    }
  else if (json_node_get_value_type (node) == G_TYPE_STRING)
    check_string (self, schema, json_node_get_string (node), where, problems);
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 value = json_node_get_int (node);

      if (json_object_has_member (schema, "minimum")
          && value < json_object_get_int_member (schema, "minimum"))
        problem (problems, where, "%" G_GINT64_FORMAT " is below the minimum", value);
      if (json_object_has_member (schema, "maximum")
          && value > json_object_get_int_member (schema, "maximum"))
        problem (problems, where, "%" G_GINT64_FORMAT " is above the maximum", value);
    }
}

gboolean
openapi_validator_check (OpenApiValidator *self, JsonObject *schema, JsonNode *instance,
                         GString *problems)
{
  gsize before = problems->len;

  if (instance == NULL)
    {
      problem (problems, "", "no JSON body");
      return FALSE;
    }
  check_node (self, schema, instance, "", problems);
  return problems->len == before;
}

static void
assert_schema (OpenApiValidator *self, JsonObject *schema, const char *what,
               JsonNode *instance)
{
  g_autoptr (GString) problems = g_string_new (NULL);

  /* Without the reference file, tests still check behaviour, not shape. */
  if (self == NULL)
    return;
  if (schema == NULL)
    g_error ("no schema for %s in the OpenAPI file", what);
  openapi_validator_check (self, schema, instance, problems);
  if (problems->len > 0)
    {
      g_autofree char *text
          = instance ? json_to_string (instance, TRUE) : g_strdup ("(none)");
      g_test_message ("%s does not match its schema:\n%s\nbody: %s", what, problems->str,
                      text);
    }
  /* Comparing with "" puts the problems in the failure message. */
  g_assert_cmpstr (problems->str, ==, "");
}

void
openapi_assert_component (OpenApiValidator *self, const char *name, JsonNode *instance)
{
  if (self != NULL)
    assert_schema (self, openapi_validator_component (self, name), name, instance);
}

void
openapi_assert_response (OpenApiValidator *self, const char *path, const char *method,
                         const char *status, JsonNode *instance)
{
  g_autofree char *what = g_strdup_printf ("%s %s → %s", method, path, status);

  if (self == NULL)
    return;
  assert_schema (self, openapi_validator_response_schema (self, path, method, status),
                 what, instance);
}

void
openapi_assert_error (OpenApiValidator *self, JsonNode *instance, guint http_status,
                      int code)
{
  JsonObject *object;

  g_assert_nonnull (instance);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (instance));
  if (self != NULL)
    assert_schema (self, openapi_validator_error_schema (self), "error body", instance);
  object = json_node_get_object (instance);
  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, code);
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, http_status);
}
