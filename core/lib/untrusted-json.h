/* JSON that came from a client, a token, a worker or a file, read without
 * trusting it.
 *
 * Parsing: json-glib 1.6 parses and frees recursively, so nesting without
 * bound exhausts the stack; and it is lenient (single-quoted strings,
 * comments), so a depth check that does not tokenize exactly as it does
 * can be fooled. convoke_untrusted_json_parse() therefore first checks
 * that the input is strict JSON (RFC 8259), with a loop and a bounded
 * stack, and only then hands it to json-glib: every input json-glib sees
 * is one whose structure the check has already walked.
 *
 * Reading: json-glib's own getters (json_object_get_string_member() and
 * friends) g_return_val_if_fail() on a member of the wrong type, a
 * critical that the sender controls and that tests make fatal.
 * convoke_json_get_string() just says "not there". It is inline, so that
 * code which includes the core's headers without linking libconvoke-core
 * (the in-tree group module) uses the same one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Signaling messages and access tokens nest two or three levels. */
#define CONVOKE_UNTRUSTED_JSON_MAX_DEPTH 32

/* Parses @data (@length bytes, or NUL-terminated when -1) as strict JSON
 * nested at most @max_depth arrays/objects deep. Also refused: bytes that
 * are not UTF-8, a NUL byte or "\u0000" escape (json-glib would cut the string short
 * there) and an unpaired UTF-16 surrogate escape (json-glib would make a
 * string that is not UTF-8). Returns the root (owned), or NULL with
 * @error set (G_IO_ERROR_INVALID_DATA, a translated message saying what
 * is wrong and where).
 *
 * Since: 0.1. Thread-safe: keeps no state. */
JsonNode *convoke_untrusted_json_parse (const char *data, gssize length, guint max_depth,
                                        GError **error);

/* The member @name of @object when it is a string, else NULL: absent,
 * null, a number, an array or an object. @object may be NULL. The string
 * belongs to @object. Since: 0.1 */
static inline const char *
convoke_json_get_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

G_END_DECLS
