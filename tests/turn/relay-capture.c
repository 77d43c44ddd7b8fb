/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "relay-capture.h"

#include <signal.h>
#include <string.h>

#include "test-daemon.h"
#include "test-process.h"

#define CAPTURE_READY_TIMEOUT_MS 10000
#define CAPTURE_STOP_TIMEOUT_MS 10000

struct _RelayCapture
{
  GSubprocess *dumpcap;
  char *pcap_path;
  char *stderr_path;
};

static char *
find_program (const char *name)
{
  char *path = g_find_program_in_path (name);

  if (path == NULL)
    g_error ("%s is not on PATH: install the tshark package (listed in .ci/test-deps)",
             name);
  return path;
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static gboolean
capturing (gpointer data)
{
  RelayCapture *capture = data;
  g_autofree char *err = read_text (capture->stderr_path);

  return g_subprocess_get_identifier (capture->dumpcap) == NULL
         || strstr (err, "Capturing on") != NULL;
}

RelayCapture *
relay_capture_start (TestTurnServer *turn, const char *dir)
{
  RelayCapture *capture = g_new0 (RelayCapture, 1);
  g_autofree char *dumpcap = find_program ("dumpcap");
  g_autofree char *filter = NULL;
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GError) error = NULL;

  capture->pcap_path = g_build_filename (dir, "relay.pcap", NULL);
  capture->stderr_path = g_build_filename (dir, "dumpcap.stderr", NULL);
  filter = g_strdup_printf ("udp and (port %u or portrange %u-%u)", turn->port,
                            turn->relay_min, turn->relay_max);
  g_subprocess_launcher_set_stderr_file_path (launcher, capture->stderr_path);
  g_subprocess_launcher_set_child_setup (launcher, test_die_with_parent, NULL, NULL);
  /* -P: classic pcap; the loopback device carries each datagram once. */
  capture->dumpcap
      = g_subprocess_launcher_spawn (launcher, &error, dumpcap, "-q", "-P", "-i", "lo",
                                     "-f", filter, "-w", capture->pcap_path, NULL);
  g_assert_no_error (error);
  test_wait_until (capturing, capture, CAPTURE_READY_TIMEOUT_MS);
  if (g_subprocess_get_identifier (capture->dumpcap) == NULL || !capturing (capture))
    {
      g_autofree char *err = read_text (capture->stderr_path);

      g_error ("dumpcap does not capture on lo (it needs root or CAP_NET_RAW and "
               "CAP_NET_ADMIN): %s",
               err);
    }
  g_test_message ("capturing \"%s\" into %s", filter, capture->pcap_path);
  return capture;
}

static void
datagram_free (gpointer data)
{
  CapturedDatagram *datagram = data;

  g_bytes_unref (datagram->payload);
  g_free (datagram);
}

static GBytes *
hex_decode (const char *hex)
{
  gsize len = strlen (hex);
  g_autoptr (GByteArray) bytes = g_byte_array_sized_new (len / 2);

  if (len % 2 != 0)
    return NULL;
  for (gsize i = 0; i < len; i += 2)
    {
      int high = g_ascii_xdigit_value (hex[i]);
      int low = g_ascii_xdigit_value (hex[i + 1]);
      guint8 byte;

      if (high < 0 || low < 0)
        return NULL;
      byte = (guint8) (high << 4 | low);
      g_byte_array_append (bytes, &byte, 1);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

/* One line of `tshark -T fields`: source port, destination port, UDP
 * length and the payload in hex. The length is checked against the
 * payload, so that a dissector that ever claimed part of a datagram
 * could not hide bytes from the test. */
static CapturedDatagram *
parse_line (const char *line)
{
  g_auto (GStrv) fields = g_strsplit (line, "\t", -1);
  CapturedDatagram *datagram;
  guint64 udp_length;

  g_assert_cmpuint (g_strv_length (fields), ==, 4);
  datagram = g_new0 (CapturedDatagram, 1);
  datagram->src_port = (guint16) g_ascii_strtoull (fields[0], NULL, 10);
  datagram->dst_port = (guint16) g_ascii_strtoull (fields[1], NULL, 10);
  udp_length = g_ascii_strtoull (fields[2], NULL, 10);
  datagram->payload = hex_decode (fields[3]);
  g_assert_nonnull (datagram->payload);
  g_assert_cmpuint (g_bytes_get_size (datagram->payload) + 8, ==, udp_length);
  return datagram;
}

static gboolean
process_gone (gpointer data)
{
  return g_subprocess_get_identifier (G_SUBPROCESS (data)) == NULL;
}

GPtrArray *
relay_capture_stop (RelayCapture *capture)
{
  g_autofree char *tshark = find_program ("tshark");
  g_autoptr (GSubprocess) reader = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *datagrams = g_ptr_array_new_with_free_func (datagram_free);

  /* SIGINT makes dumpcap flush and close the file. */
  g_subprocess_send_signal (capture->dumpcap, SIGINT);
  if (!test_wait_until (process_gone, capture->dumpcap, CAPTURE_STOP_TIMEOUT_MS))
    g_error ("dumpcap did not stop within %u ms",
             test_scaled_ms (CAPTURE_STOP_TIMEOUT_MS));
  g_subprocess_wait (capture->dumpcap, NULL, NULL);
  err = read_text (capture->stderr_path);
  g_test_message ("dumpcap: %s", err);
  g_clear_pointer (&err, g_free);

  reader = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, tshark,
      "-n", "-r", capture->pcap_path, "-T", "fields", "-E", "separator=/t", "-e",
      "udp.srcport", "-e", "udp.dstport", "-e", "udp.length", "-e", "udp.payload", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (reader, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (reader) || g_subprocess_get_exit_status (reader) != 0)
    g_error ("tshark could not read %s: %s", capture->pcap_path, err);

  lines = g_strsplit (out, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    if (**line != '\0')
      g_ptr_array_add (datagrams, parse_line (*line));

  g_clear_object (&capture->dumpcap);
  g_free (capture->pcap_path);
  g_free (capture->stderr_path);
  g_free (capture);
  return datagrams;
}

GBytes *
relay_capture_application_data (TestTurnServer *turn, const CapturedDatagram *datagram)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (datagram->payload, &len);

  if (datagram->src_port == turn->port || datagram->dst_port == turn->port)
    return test_turn_unwrap_application_data (data, len);
  return g_bytes_ref (datagram->payload);
}

RelayedKind
relayed_kind (GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (len < 2)
    return RELAYED_OTHER;
  if (data[0] <= 3)
    return RELAYED_STUN;
  if (data[0] >= 20 && data[0] <= 63)
    return RELAYED_DTLS;
  if (data[0] >= 128 && data[0] <= 191)
    /* RFC 5761: RTCP packet types 192-223 sit where RTP's marker bit and
     * payload types 64-95 would, which RTP on a shared port avoids. */
    return data[1] >= 192 && data[1] <= 223 ? RELAYED_RTCP : RELAYED_RTP;
  return RELAYED_OTHER;
}
