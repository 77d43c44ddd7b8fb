/* Smoke test of the SRTP floor benchmark: it runs, decrypts what it
 * encrypted, and reports positive costs. No timing is asserted.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "srtp-floor-measure.h"

static void
test_measure_sizes (void)
{
  const gsize sizes[] = { 100, 1200 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (GError) error = NULL;
      BenchSrtpResult result = { 0 };

      g_assert_true (bench_srtp_measure (sizes[i], 300, &result, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (result.packet_bytes, ==, sizes[i]);
      g_assert_cmpuint (result.packets, >=, 300);
      g_assert_cmpfloat (result.protect_ns, >, 0.0);
      g_assert_cmpfloat (BENCH_SRTP_FLOOR_NS (&result), >, 0.0);
      g_assert_cmpfloat (result.memcpy_ns, >=, 0.0);
    }
}

/* AEAD_AES_128_GCM too: what it encrypted it decrypts, and the
 * re-encrypted packets are byte for byte the publisher's (the measure's
 * own check). */
static void
test_measure_gcm (void)
{
  g_autoptr (GError) error = NULL;
  BenchSrtpResult result = { 0 };

  g_assert_true (
      bench_srtp_measure_profile (BENCH_SRTP_AEAD_AES_128_GCM, 1200, 300, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (result.protect_ns, >, 0.0);
  g_assert_cmpfloat (result.unprotect_ns, >, 0.0);
}

static void
test_refuses_bad_size (void)
{
  g_autoptr (GError) error = NULL;
  BenchSrtpResult result = { 0 };

  g_assert_false (bench_srtp_measure (4, 10, &result, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "4"));
}

static double
member_double (JsonObject *object, const char *group, const char *name)
{
  JsonObject *inner = json_object_get_object_member (object, group);

  g_assert_nonnull (inner);
  return json_object_get_double_member (inner, name);
}

static void
test_command_line_json (void)
{
  const char *program = g_getenv ("SRTP_FLOOR");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  JsonObject *root;

  if (program == NULL)
    {
      g_test_skip ("SRTP_FLOOR is not set: run through meson test");
      return;
    }
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program, "--json",
                              "--packets", "512", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "profile"), ==,
                   "AES_CM_128_HMAC_SHA1_80");
  g_assert_true (
      g_str_has_prefix (json_object_get_string_member (root, "library"), "libsrtp"));
  g_assert_cmpfloat (member_double (root, "video", "floor_ns"), >, 0.0);
  g_assert_cmpfloat (member_double (root, "audio", "floor_ns"), >, 0.0);
  g_assert_cmpfloat (member_double (root, "video", "floor_to_memcpy"), >, 0.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/bench/srtp-floor/gcm", test_measure_gcm);
  g_test_add_func ("/bench/srtp-floor/measure", test_measure_sizes);
  g_test_add_func ("/bench/srtp-floor/bad-size", test_refuses_bad_size);
  g_test_add_func ("/bench/srtp-floor/command-line", test_command_line_json);
  return g_test_run ();
}
