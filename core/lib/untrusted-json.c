/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "untrusted-json.h"

#include <gio/gio.h>
#include <string.h>

#include "i18n.h"

typedef struct
{
  const char *data;
  gsize length;
  gsize pos;
  GError **error;
} Scan;

static gboolean
fail (Scan *s, const char *what)
{
  g_set_error (s->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("%s at byte %zu"), what,
               s->pos);
  return FALSE;
}

static int
peek (Scan *s)
{
  return s->pos < s->length ? (guchar)s->data[s->pos] : -1;
}

static void
skip_space (Scan *s)
{
  while (s->pos < s->length
         && (s->data[s->pos] == ' ' || s->data[s->pos] == '\t'
             || s->data[s->pos] == '\n' || s->data[s->pos] == '\r'))
    s->pos++;
}

/* The value of the four hex digits after "\u", or -1. */
static int
hex4 (Scan *s, gsize at)
{
  int value = 0;

  if (at + 4 > s->length)
    return -1;
  for (gsize i = at; i < at + 4; i++)
    {
      int digit = g_ascii_xdigit_value (s->data[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/* A string, from its opening quote. */
static gboolean
scan_string (Scan *s)
{
  s->pos++;
  while (s->pos < s->length)
    {
      guchar c = s->data[s->pos];

      if (c == '"')
        {
          s->pos++;
          return TRUE;
        }
      /* RFC 8259 wants control characters escaped, but json-glib 1.6's
       * own generator writes U+001F raw (and its parser takes any), so
       * clients built on it would be refused. Only NUL is: json-glib's
       * scanner stops there. */
      if (c == 0)
        return fail (s, _ ("a string holds a NUL byte"));
      if (c != '\\')
        {
          s->pos++;
          continue;
        }
      if (s->pos + 1 >= s->length)
        break;
      switch (s->data[s->pos + 1])
        {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          s->pos += 2;
          break;
        case 'u':
          {
            int unit = hex4 (s, s->pos + 2);

            if (unit < 0)
              return fail (s, _ ("a \\u escape needs four hexadecimal digits"));
            if (unit == 0)
              return fail (s, _ ("strings may not contain \\u0000"));
            if (unit >= 0xDC00 && unit <= 0xDFFF)
              return fail (s, _ ("a string holds an unpaired UTF-16 surrogate"));
            if (unit >= 0xD800 && unit <= 0xDBFF)
              {
                int low = s->pos + 11 < s->length && s->data[s->pos + 6] == '\\'
                                  && s->data[s->pos + 7] == 'u'
                              ? hex4 (s, s->pos + 8)
                              : -1;

                if (low < 0xDC00 || low > 0xDFFF)
                  return fail (s, _ ("a string holds an unpaired UTF-16 surrogate"));
                s->pos += 6;
              }
            s->pos += 6;
            break;
          }
        default:
          return fail (s, _ ("a string holds an unknown escape"));
        }
    }
  return fail (s, _ ("a string is not terminated"));
}

static gboolean
scan_digits (Scan *s)
{
  gsize start = s->pos;

  while (s->pos < s->length && g_ascii_isdigit (s->data[s->pos]))
    s->pos++;
  return s->pos > start;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean
scan_number (Scan *s)
{
  if (peek (s) == '-')
    s->pos++;
  if (peek (s) == '0')
    s->pos++;
  else if (!scan_digits (s))
    return fail (s, _ ("a number is malformed"));
  if (peek (s) == '.')
    {
      s->pos++;
      if (!scan_digits (s))
        return fail (s, _ ("a number is malformed"));
    }
  if (peek (s) == 'e' || peek (s) == 'E')
    {
      s->pos++;
      if (peek (s) == '+' || peek (s) == '-')
        s->pos++;
      if (!scan_digits (s))
        return fail (s, _ ("a number is malformed"));
    }
  return TRUE;
}

static gboolean
scan_literal (Scan *s)
{
  static const char *const literals[] = { "true", "false", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    {
      gsize n = strlen (literals[i]);

      if (s->length - s->pos >= n && memcmp (s->data + s->pos, literals[i], n) == 0)
        {
          s->pos += n;
          return TRUE;
        }
    }
  return fail (s, _ ("unexpected character (only strict JSON is accepted: no comments, "
                     "no single quotes)"));
}

/* Walks the whole input with an explicit stack of at most @max_depth open
 * containers: no recursion, whatever the input. */
static gboolean
check_strict (Scan *s, guint max_depth)
{
  g_autofree char *open = g_malloc (max_depth + 1);
  guint depth = 0;
  gboolean want_key = FALSE;

  skip_space (s);
  for (;;)
    {
      /* A value (or, in an object, a "key": value pair) is next. */
      if (want_key)
        {
          if (peek (s) != '"')
            return fail (s, _ ("an object member name must be a string"));
          if (!scan_string (s))
            return FALSE;
          skip_space (s);
          if (peek (s) != ':')
            return fail (s, _ ("“:” expected after an object member name"));
          s->pos++;
          skip_space (s);
        }
      switch (peek (s))
        {
        case '{':
        case '[':
          if (depth == max_depth)
            {
              g_set_error (s->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _ ("nested deeper than %u levels"), max_depth);
              return FALSE;
            }
          open[depth++] = s->data[s->pos++];
          skip_space (s);
          if (peek (s) == (open[depth - 1] == '{' ? '}' : ']'))
            {
              s->pos++;
              depth--;
              break;
            }
          want_key = open[depth - 1] == '{';
          continue;
        case '"':
          if (!scan_string (s))
            return FALSE;
          break;
        case -1:
          return fail (s, _ ("the input ends where a value was expected"));
        default:
          if (peek (s) == '-' || g_ascii_isdigit (peek (s)))
            {
              if (!scan_number (s))
                return FALSE;
            }
          else if (!scan_literal (s))
            return FALSE;
          break;
        }

      /* After a value: a separator, the end of containers, or the end. */
      for (;;)
        {
          skip_space (s);
          if (depth == 0)
            return s->pos == s->length
                       ? TRUE
                       : fail (s, _ ("unexpected data after the JSON value"));
          if (peek (s) == ',')
            {
              s->pos++;
              skip_space (s);
              want_key = open[depth - 1] == '{';
              break;
            }
          if (peek (s) != (open[depth - 1] == '{' ? '}' : ']'))
            return fail (s, open[depth - 1] == '{' ? _ ("“,” or “}” expected")
                                                  : _ ("“,” or “]” expected"));
          s->pos++;
          depth--;
        }
    }
}

JsonNode *
convoke_untrusted_json_parse (const char *data, gssize length, guint max_depth,
                              GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) parse_error = NULL;
  Scan scan = { data, 0, 0, error };
  const char *invalid = NULL;
  JsonNode *root;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (max_depth > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  scan.length = length < 0 ? strlen (data) : (gsize)length;
  if (!g_utf8_validate_len (data, scan.length, &invalid))
    {
      scan.pos = invalid - data;
      fail (&scan, _ ("bytes that are not UTF-8"));
      return NULL;
    }
  if (!check_strict (&scan, max_depth))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, scan.length, &parse_error))
    {
      /* Not expected after the strict check; json-glib's message quotes
       * input bytes, which are UTF-8 by now. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           parse_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _ ("the input holds no JSON value"));
      return NULL;
    }
  return json_node_ref (root);
}
