/* convoke_quote_untrusted(): whatever bytes come in, what goes out is
 * short, printable UTF-8 (log lines, error messages, close reasons).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "untrusted-text.h"

static void
test_quotes (void)
{
  static const struct
  {
    const char *in;
    glong max;
    const char *out;
  } cases[] = {
    { "alice", 10, "alice" },
    { "a\nb\rc\td\x1b[31m", 20, "a?b?c?d?[31m" },
    { "0123456789", 4, "0123…" },
    { "", 5, "" },
    /* Not UTF-8: a lone continuation byte, a truncated sequence, and the
     * bytes json-glib makes of a "\ud800" escape (a surrogate). */
    { "x\x80y", 10, "x\xef\xbf\xbdy" },
    { "z\xe2\x82", 10, "z\xef\xbf\xbd\xef\xbf\xbd" },
    { "HS2\xed\xa0\x80" "56", 10, "HS2\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "56" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *quoted = convoke_quote_untrusted (cases[i].in, cases[i].max);

      g_assert_true (g_utf8_validate (quoted, -1, NULL));
      g_assert_cmpstr (quoted, ==, cases[i].out);
    }
}

/* Random bytes: always valid UTF-8, never a control character, never more
 * than the limit (plus the ellipsis). */
static void
test_random_bytes (void)
{
  for (guint round = 0; round < 5000; round++)
    {
      guint8 bytes[64];
      gsize length = g_test_rand_int_range (0, sizeof (bytes));
      g_autofree char *text = NULL, *quoted = NULL;
      glong max = g_test_rand_int_range (1, 40);

      for (gsize i = 0; i < length; i++)
        bytes[i] = (guint8) g_test_rand_int_range (1, 256);
      text = g_strndup ((const char *) bytes, length);
      quoted = convoke_quote_untrusted (text, max);
      g_assert_true (g_utf8_validate (quoted, -1, NULL));
      g_assert_cmpint (g_utf8_strlen (quoted, -1), <=, max + 1);
      for (const char *p = quoted; *p; p = g_utf8_next_char (p))
        g_assert_false (g_unichar_iscntrl (g_utf8_get_char (p)));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lib/untrusted-text/quotes", test_quotes);
  g_test_add_func ("/lib/untrusted-text/random-bytes", test_random_bytes);
  return g_test_run ();
}
