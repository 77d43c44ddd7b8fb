/* JSON that came from a client or a token, parsed without trusting it.
 *
 * json-glib 1.6 parses and frees recursively, so nesting without bound
 * exhausts the stack; and it is lenient (single-quoted strings, comments),
 * so a depth check that does not tokenize exactly as it does can be
 * fooled. convoke_untrusted_json_parse() therefore first checks that the
 * input is strict JSON (RFC 8259), with a loop and a bounded stack, and
 * only then hands it to json-glib: every input json-glib sees is one
 * whose structure the check has already walked.
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

G_END_DECLS
