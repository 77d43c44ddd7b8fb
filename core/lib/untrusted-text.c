/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "untrusted-text.h"

char *
convoke_quote_untrusted (const char *text, glong max_chars)
{
  g_autoptr (GString) out = g_string_new (NULL);
  /* Parsers' error messages quote raw input, and json-glib decodes a lone
   * "\ud800" escape into bytes that are not UTF-8: U+FFFD for those. */
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  glong chars = g_utf8_strlen (valid, -1);
  g_autofree char *cut = g_utf8_substring (valid, 0, MIN (chars, max_chars));

  for (const char *p = cut; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_c (out, '?');
      else
        g_string_append_unichar (out, c);
    }
  if (chars > max_chars)
    g_string_append (out, "…");
  return g_string_free (g_steal_pointer (&out), FALSE);
}
