/* convokectl's human-readable output: aligned tables and key/value
 * listings, both measured in terminal columns so that accented and wide
 * characters line up.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _CtlTable CtlTable;

/* @first_heading and the following ones: NULL-terminated column headings. */
CtlTable *ctl_table_new (const char *first_heading, ...) G_GNUC_NULL_TERMINATED;
void ctl_table_free (CtlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlTable, ctl_table_free)

/* One row: as many cells as headings; NULL cells print as "-". */
void ctl_table_add_row (CtlTable *table, const char *first_cell, ...);
void ctl_table_print (CtlTable *table);

/* @text with invalid UTF-8 repaired and control characters replaced by
 * "?": a room name with a newline or an escape sequence from the server
 * must not break the layout or drive the terminal. NULL gives "-". */
char *ctl_printable (const char *text);

/* Terminal columns taken by @text. */
gsize ctl_display_width (const char *text);

/* A JSON member as text: strings as-is, numbers and booleans printed,
 * null and absent as NULL. */
char *ctl_json_member_text (JsonObject *object, const char *name);

/* Prints "name: value" lines, names padded to one width. @pairs:
 * name, value, … (values may be NULL: printed as "-"); ends with NULL. */
void ctl_print_fields (const char *const *pairs);

/* Writes @body to stdout with a final newline. */
void ctl_print_body (GBytes *body);

G_END_DECLS
