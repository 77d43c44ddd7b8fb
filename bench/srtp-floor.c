/* srtp-floor: the CPU cost of one srtp_unprotect plus one srtp_protect of
 * a 1,200-byte video and a 100-byte audio RTP packet, against a memcpy of
 * the same packet in the same run. See docs/benchmarks.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "i18n.h"
#include "srtp-floor-measure.h"
#include "srtp-openssl.h"

#define VIDEO_PACKET_BYTES 1200
#define AUDIO_PACKET_BYTES 100

static void
add_result (JsonBuilder *builder, const char *name, const BenchSrtpResult *result)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "packet_bytes");
  json_builder_add_int_value (builder, (gint64) result->packet_bytes);
  json_builder_set_member_name (builder, "packets");
  json_builder_add_int_value (builder, (gint64) result->packets);
  json_builder_set_member_name (builder, "unprotect_ns");
  json_builder_add_double_value (builder, result->unprotect_ns);
  json_builder_set_member_name (builder, "protect_ns");
  json_builder_add_double_value (builder, result->protect_ns);
  json_builder_set_member_name (builder, "floor_ns");
  json_builder_add_double_value (builder, BENCH_SRTP_FLOOR_NS (result));
  json_builder_set_member_name (builder, "memcpy_ns");
  json_builder_add_double_value (builder, result->memcpy_ns);
  json_builder_set_member_name (builder, "floor_to_memcpy");
  json_builder_add_double_value (builder, BENCH_SRTP_FLOOR_NS (result)
                                              / MAX (result->memcpy_ns, 0.001));
  json_builder_end_object (builder);
}

static void
print_text (const char *name, const BenchSrtpResult *result)
{
  g_print ("%s %" G_GSIZE_FORMAT " B: unprotect %.0f ns + protect %.0f ns = floor %.0f "
           "ns/packet; memcpy %.1f ns (floor = %.0f x memcpy), %" G_GUINT64_FORMAT
           " packets\n",
           name, result->packet_bytes, result->unprotect_ns, result->protect_ns,
           BENCH_SRTP_FLOOR_NS (result), result->memcpy_ns,
           BENCH_SRTP_FLOOR_NS (result) / MAX (result->memcpy_ns, 0.001),
           result->packets);
}

int
main (int argc, char **argv)
{
  gint64 packets = 200000;
  gboolean json = FALSE;
  g_autofree char *crypto = NULL;
  g_autofree char *library = NULL;
  g_autofree char *profile_name = NULL;
  BenchSrtpProfile profile = BENCH_SRTP_AES_CM_128_HMAC_SHA1_80;
  const GOptionEntry entries[] = {
    { "crypto", 0, 0, G_OPTION_ARG_STRING, &crypto,
      N_ ("The crypto inside libsrtp2: “openssl” (what Convoke's processes use, the "
          "default) or “libsrtp2” (its own, on NSS in Debian)"),
      N_ ("NAME") },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile_name,
      N_ ("The SRTP profile: “aes-cm-128-hmac-sha1-80” (what DTLS-SRTP negotiates, the "
          "default) or “aead-aes-128-gcm” (RFC 7714, for comparison)"),
      N_ ("NAME") },
    { "packets", 'n', 0, G_OPTION_ARG_INT64, &packets,
      N_ ("Packets to measure per size (default 200000)"), N_ ("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print one JSON object"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  BenchSrtpResult video, audio;

  convoke_i18n_init ();
  context = g_option_context_new (NULL);
  g_option_context_set_summary (
      context, _ ("Measures the SRTP floor: one srtp_unprotect and one srtp_protect "
                  "(AES_CM_128_HMAC_SHA1_80) per forwarded packet."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (packets < 1)
    {
      g_printerr (_ ("--packets must be at least 1, not %" PRId64 "\n"),
                  packets);
      return 2;
    }
  if (crypto == NULL)
    crypto = g_strdup ("openssl");
  if (!g_str_equal (crypto, "openssl") && !g_str_equal (crypto, "libsrtp2"))
    {
      g_printerr (_ ("--crypto must be “openssl” or “libsrtp2”, not “%s”\n"), crypto);
      return 2;
    }
  if (profile_name != NULL && g_str_equal (profile_name, "aead-aes-128-gcm"))
    profile = BENCH_SRTP_AEAD_AES_128_GCM;
  else if (profile_name != NULL && !g_str_equal (profile_name, "aes-cm-128-hmac-sha1-80"))
    {
      g_printerr (_ ("--profile must be “aes-cm-128-hmac-sha1-80” or “aead-aes-128-gcm”, "
                     "not “%s”\n"),
                  profile_name);
      return 2;
    }
  gst_init (&argc, &argv);
  if (g_str_equal (crypto, "openssl") && !convoke_srtp_use_openssl (&error))
    {
      g_printerr (_ ("srtp-floor: %s\n"), error->message);
      return 1;
    }
  library = g_strdup_printf ("%s, %s crypto", bench_srtp_version (), convoke_srtp_crypto_name ());

  if (!bench_srtp_measure_profile (profile, VIDEO_PACKET_BYTES, (guint64) packets, &video,
                                   &error)
      || !bench_srtp_measure_profile (profile, AUDIO_PACKET_BYTES, (guint64) packets, &audio,
                                      &error))
    {
      g_printerr (_ ("srtp-floor: %s\n"), error->message);
      return 1;
    }

  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonGenerator) generator = json_generator_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "library");
      json_builder_add_string_value (builder, library);
      json_builder_set_member_name (builder, "profile");
      json_builder_add_string_value (builder, bench_srtp_profile_name (profile));
      add_result (builder, "video", &video);
      add_result (builder, "audio", &audio);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      text = json_generator_to_data (generator, NULL);
      g_print ("%s\n", text);
    }
  else
    {
      g_print ("%s, %s\n", library, bench_srtp_profile_name (profile));
      print_text ("video", &video);
      print_text ("audio", &audio);
    }
  return 0;
}
