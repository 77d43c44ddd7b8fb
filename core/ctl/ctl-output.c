/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ctl-output.h"

#include <stdio.h>
#include <string.h>

#define COLUMN_GAP 2

struct _CtlTable
{
  GPtrArray *headings; /* char* */
  GPtrArray *rows;     /* GStrv, one cell per heading */
};

gsize
ctl_display_width (const char *text)
{
  gsize width = 0;

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

CtlTable *
ctl_table_new (const char *first_heading, ...)
{
  CtlTable *table = g_new0 (CtlTable, 1);
  va_list args;

  table->headings = g_ptr_array_new_with_free_func (g_free);
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  va_start (args, first_heading);
  for (const char *h = first_heading; h != NULL; h = va_arg (args, const char *))
    g_ptr_array_add (table->headings, g_strdup (h));
  va_end (args);
  return table;
}

void
ctl_table_free (CtlTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref (table->headings);
  g_ptr_array_unref (table->rows);
  g_free (table);
}

char *
ctl_printable (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return g_strdup ("-");
  valid = g_utf8_make_valid (text, -1);
  out = g_string_new (NULL);
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_c (out, '?');
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

void
ctl_table_add_row (CtlTable *table, const char *first_cell, ...)
{
  char **row = g_new0 (char *, table->headings->len + 1);
  va_list args;

  va_start (args, first_cell);
  for (guint i = 0; i < table->headings->len; i++)
    row[i] = ctl_printable (i == 0 ? first_cell : va_arg (args, const char *));
  va_end (args);
  g_ptr_array_add (table->rows, row);
}

static void
print_padded (const char *text, gsize width, gboolean last)
{
  fputs (text, stdout);
  if (last)
    return;
  for (gsize i = ctl_display_width (text); i < width + COLUMN_GAP; i++)
    fputc (' ', stdout);
}

void
ctl_table_print (CtlTable *table)
{
  guint n = table->headings->len;
  g_autofree gsize *widths = g_new0 (gsize, n);

  for (guint c = 0; c < n; c++)
    {
      widths[c] = ctl_display_width (g_ptr_array_index (table->headings, c));
      for (guint r = 0; r < table->rows->len; r++)
        {
          char **row = g_ptr_array_index (table->rows, r);
          widths[c] = MAX (widths[c], ctl_display_width (row[c]));
        }
    }
  for (guint c = 0; c < n; c++)
    print_padded (g_ptr_array_index (table->headings, c), widths[c], c == n - 1);
  fputc ('\n', stdout);
  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);

      for (guint c = 0; c < n; c++)
        print_padded (row[c], widths[c], c == n - 1);
      fputc ('\n', stdout);
    }
}

char *
ctl_json_member_text (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_DOUBLE)
    return g_strdup_printf ("%g", json_node_get_double (node));
  if (type == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  return NULL;
}

void
ctl_print_fields (const char *const *pairs)
{
  gsize width = 0;

  for (guint i = 0; pairs[i] != NULL; i += 2)
    width = MAX (width, ctl_display_width (pairs[i]));
  for (guint i = 0; pairs[i] != NULL; i += 2)
    {
      g_autofree char *value = ctl_printable (pairs[i + 1]);

      fputs (pairs[i], stdout);
      fputc (':', stdout);
      for (gsize w = ctl_display_width (pairs[i]); w < width + 1; w++)
        fputc (' ', stdout);
      printf ("%s\n", value);
    }
}

void
ctl_print_body (GBytes *body)
{
  gsize size;
  const char *data = g_bytes_get_data (body, &size);

  fwrite (data, 1, size, stdout);
  if (size == 0 || data[size - 1] != '\n')
    fputc ('\n', stdout);
}
