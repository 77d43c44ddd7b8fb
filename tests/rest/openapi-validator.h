/* A small validator for the subset of OpenAPI 3 schema keywords that
 * Twilio's Video v1 description uses: $ref, type, nullable, enum, pattern,
 * minLength/maxLength, minimum/maximum, format (date-time, uri),
 * properties, required and items.
 *
 * Twilio's schemas declare no `required` lists; Convoke promises every
 * documented property, so every declared property must be present.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _OpenApiValidator OpenApiValidator;

/* Loads $CONVOKE_SHARED_REFERENCE/twilio_video_v1.openapi.json. Returns
 * NULL with G_FILE_ERROR_NOENT when the file is not there. */
OpenApiValidator *openapi_validator_load (GError **error);
void openapi_validator_free (OpenApiValidator *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenApiValidator, openapi_validator_free)

/* components.schemas.@name, or NULL. */
JsonObject *openapi_validator_component (OpenApiValidator *self, const char *name);
/* The application/json schema of a response, e.g. ("/v1/Rooms", "get",
 * "200"), or NULL. */
JsonObject *openapi_validator_response_schema (OpenApiValidator *self, const char *path,
                                               const char *method, const char *status);
/* The Twilio error body {code, message, more_info, status}, which the
 * description does not spell out. */
JsonObject *openapi_validator_error_schema (OpenApiValidator *self);

/* Checks @instance against @schema. Appends one line per problem to
 * @problems (prefixed with the JSON path) and returns FALSE if any. */
gboolean openapi_validator_check (OpenApiValidator *self, JsonObject *schema,
                                  JsonNode *instance, GString *problems);

/* Test helpers: fail the test, listing the problems, unless @instance
 * matches. With @self NULL (no reference file) they check nothing but
 * the error's code and status. */
void openapi_assert_component (OpenApiValidator *self, const char *name,
                               JsonNode *instance);
void openapi_assert_response (OpenApiValidator *self, const char *path,
                              const char *method, const char *status, JsonNode *instance);
void openapi_assert_error (OpenApiValidator *self, JsonNode *instance, guint http_status,
                           int code);

G_END_DECLS
