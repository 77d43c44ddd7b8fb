/* Helpers shared by the REST end-to-end tests.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "openapi-validator.h"
#include "test-daemon.h"

G_BEGIN_DECLS

/* Loaded once by rest_test_init(); NULL when the reference file is absent
 * (schema checks are then skipped, behaviour checks still run). */
extern OpenApiValidator *rest_test_validator;

void rest_test_init (int *argc, char ***argv);
int rest_test_run (void);

const char *rest_json_string (JsonNode *node, const char *member);
gint64 rest_json_int (JsonNode *node, const char *member);
gboolean rest_json_is_null (JsonNode *node, const char *member);
JsonArray *rest_json_array (JsonNode *node, const char *member);

/* POST /v1/Rooms with @form; asserts 201 and a valid room; returns the
 * room's JSON. */
JsonNode *rest_create_room (TestDaemon *d, const char *const *form);

/* Asserts that @method @path answers @http_status with a Twilio error of
 * @code, and returns its message. */
char *rest_expect_error (TestDaemon *d, const char *method, const char *path,
                         const char *const *form, guint http_status, int code);

/* "/v1/…?…" from an absolute URL the daemon returned; asserts that it
 * starts with the daemon's base URL. */
const char *rest_path_of (TestDaemon *d, const char *url);

/* GET /v1/Rooms answers 200: the daemon still serves. */
void rest_assert_serving (TestDaemon *d);

G_END_DECLS
