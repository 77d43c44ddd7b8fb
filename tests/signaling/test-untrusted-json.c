/* convoke_untrusted_json_parse(): strict JSON only, bounded nesting, and
 * the same tree as json-glib for everything it accepts.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <string.h>

#include "untrusted-json.h"

static void
test_accepts_strict_json (void)
{
  static const char *const cases[] = {
    "{}", "[]", " {\"a\" : [1, -2.5e+3, 0, true, false, null, \"\"]}\r\n",
    "\"just a string\"", "0", "-0.0E-1",
    "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}",
    "{\"nested\":{\"deeper\":[[{}]]}}",
    "{\"utf8\":\"é😀\"}",
    /* json-glib's generator writes U+001F raw; its messages must pass. */
    "{\"raw\":\"tab\there\x1f\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = convoke_untrusted_json_parse (cases[i], -1, 32, &error);
      g_autoptr (JsonNode) expected = json_from_string (cases[i], NULL);
      g_autofree char *got_text = NULL;
      g_autofree char *expected_text = NULL;

      g_test_message ("case %u: %s", i, cases[i]);
      g_assert_no_error (error);
      g_assert_nonnull (root);
      got_text = json_to_string (root, FALSE);
      expected_text = json_to_string (expected, FALSE);
      g_assert_cmpstr (got_text, ==, expected_text);
    }
}

static void
test_refuses (void)
{
  static const char *const cases[] = {
    "", "   ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}",
    "{\"a\":'x'}", "[1] /* c */", "[1 /* c */]", "// c\n[1]", "[1] x", "[01]",
    "[1.]", "[.5]", "[+1]", "[1e]", "[tru]", "[nul]", "[\"\\x\"]", "[\"\\u12\"]",
    "[\"\\u0000\"]", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]",
"[\"unterminated]", "[1]]", "{\"a\":1}}", "[\"\xff\"]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = convoke_untrusted_json_parse (cases[i], -1, 32, &error);

      g_test_message ("case %u: %s", i, cases[i]);
      g_assert_null (root);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_depth (void)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) ok = NULL;
  g_autoptr (JsonNode) deep = NULL;
  g_autoptr (JsonNode) hidden = NULL;

  for (int i = 0; i < 4; i++)
    g_string_append (text, "[{\"a\":");
  g_string_append (text, "1");
  for (int i = 0; i < 4; i++)
    g_string_append (text, "}]");
  ok = convoke_untrusted_json_parse (text->str, -1, 8, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ok);
  deep = convoke_untrusted_json_parse (text->str, -1, 7, &error);
  g_assert_null (deep);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "7"));
  g_clear_error (&error);

  /* A million levels: refused without recursing. */
  g_string_truncate (text, 0);
  g_string_append (text, "{'x':'\"','y':");
  for (int i = 0; i < 1000000; i++)
    g_string_append_c (text, '[');
  hidden = convoke_untrusted_json_parse (text->str, text->len, 32, &error);
  g_assert_null (hidden);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_length_not_nul_terminated (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = convoke_untrusted_json_parse ("[1]garbage", 3, 32, &error);
  g_autoptr (JsonNode) nul = convoke_untrusted_json_parse ("[1]\0[2]", 7, 32, &error);
  g_autoptr (GError) string_error = NULL;
  g_autoptr (JsonNode) nul_in_string
      = convoke_untrusted_json_parse ("[\"a\0b\"]", 7, 32, &string_error);

  g_assert_nonnull (root);
  g_assert_null (nul);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (nul_in_string);
  g_assert_error (string_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/untrusted-json/accepts-strict-json", test_accepts_strict_json);
  g_test_add_func ("/untrusted-json/refuses", test_refuses);
  g_test_add_func ("/untrusted-json/depth", test_depth);
  g_test_add_func ("/untrusted-json/length", test_length_not_nul_terminated);
  return g_test_run ();
}
