/* A client that has not joined sends one text message as an endless run
 * of 64 KiB continuation frames without FIN, over a raw TCP socket. The
 * daemon must not buffer it: its resident memory stays bounded, the
 * connection gets error 53009 and close 1009, and two joined participants
 * keep exchanging messages.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "signaling-test-client.h"

/* A deadline, as a base figure: scaled (test_deadline, test_scaled_ms). */
#define WAIT_MS 10000
#define FRAME_PAYLOAD (64 * 1024)
/* How long the offender keeps sending (it stops earlier when the server
 * closes): at loopback speed, far more than the daemon could buffer. A
 * duration, not a deadline: not scaled. */
#define SEND_SECONDS 6
/* The daemon may grow by this much while under attack; unbounded
 * buffering grows by hundreds of MiB in the time above. */
#define MAX_GROWTH_KIB (48 * 1024)

static TestDaemon *daemon_;

static const char *config_text = "[rooms]\n"
                                 "default-type=peer-to-peer\n";

static guint64
daemon_rss_kib (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)daemon_->pid);
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

static GSocketConnection *
raw_connect (void)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  const char *port = strrchr (daemon_->base_url, ':') + 1;
  GSocketConnection *conn = g_socket_client_connect_to_host (
      client, "127.0.0.1", (guint16)g_ascii_strtoull (port, NULL, 10), NULL, &error);

  g_assert_no_error (error);
  return conn;
}

/* Sends the opening handshake and reads the answer up to its blank line. */
static void
raw_handshake (GSocket *socket)
{
  static const char request[] = "GET /v1/Signaling HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\n"
                                "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n"
                                "Sec-WebSocket-Protocol: convoke-signaling-1\r\n\r\n";
  g_autoptr (GString) answer = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  g_socket_set_timeout (socket, (test_scaled_ms (WAIT_MS) + 999) / 1000);
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, &error), ==,
                   (gssize)strlen (request));
  g_assert_no_error (error);
  while (strstr (answer->str, "\r\n\r\n") == NULL)
    {
      char c;

      /* One byte at a time: nothing after the blank line may be eaten. */
      g_assert_cmpint (g_socket_receive (socket, &c, 1, NULL, &error), ==, 1);
      g_string_append_c (answer, c);
    }
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 101"));
  g_socket_set_timeout (socket, 0);
  g_socket_set_blocking (socket, FALSE);
}

/* A masked client frame header for @payload_length bytes, with an all-zero
 * mask so the payload goes out as it is. */
static gsize
frame_header (guint8 *out, gboolean fin, guint8 opcode, guint64 payload_length)
{
  gsize n = 0;

  out[n++] = (fin ? 0x80 : 0) | opcode;
  if (payload_length < 126)
    out[n++] = 0x80 | (guint8)payload_length;
  else if (payload_length <= 0xffff)
    {
      out[n++] = 0x80 | 126;
      out[n++] = payload_length >> 8;
      out[n++] = payload_length & 0xff;
    }
  else
    {
      out[n++] = 0x80 | 127;
      for (int shift = 56; shift >= 0; shift -= 8)
        out[n++] = (payload_length >> shift) & 0xff;
    }
  memset (out + n, 0, 4);
  return n + 4;
}

typedef struct
{
  GByteArray *in;      /* server frames not yet parsed */
  gboolean eof;
  gboolean got_close;
  gushort close_code;
  GPtrArray *texts;    /* text frames from the server */
} ServerFrames;

/* Parses the unmasked frames the server sent so far. */
static void
parse_server_frames (ServerFrames *f)
{
  for (;;)
    {
      const guint8 *d = f->in->data;
      gsize have = f->in->len, header = 2;
      guint64 length;

      if (have < 2)
        return;
      length = d[1] & 0x7f;
      if (length == 126)
        {
          header = 4;
          if (have < header)
            return;
          length = ((guint64)d[2] << 8) | d[3];
        }
      else if (length == 127)
        {
          header = 10;
          if (have < header)
            return;
          length = 0;
          for (int i = 2; i < 10; i++)
            length = (length << 8) | d[i];
        }
      if (have < header + length)
        return;
      if ((d[0] & 0x0f) == 0x8 && length >= 2)
        {
          f->got_close = TRUE;
          f->close_code = (d[header] << 8) | d[header + 1];
        }
      else if ((d[0] & 0x0f) == 0x1)
        g_ptr_array_add (f->texts, g_strndup ((const char *)d + header, length));
      g_byte_array_remove_range (f->in, 0, header + length);
    }
}

static void
read_available (GSocket *socket, ServerFrames *f)
{
  guint8 buffer[4096];
  gssize n = -1;

  while (!f->eof
         && (n = g_socket_receive (socket, (char *)buffer, sizeof buffer, NULL, NULL)) != 0)
    {
      if (n < 0)
        return; /* would block, or reset */
      g_byte_array_append (f->in, buffer, n);
    }
  if (n == 0)
    f->eof = TRUE;
}

static void
test_endless_fragments (void)
{
  SigClient *witness_x = sig_client_new_joined (daemon_, "witness-x", "frag");
  SigClient *witness_y = sig_client_new_joined (daemon_, "witness-y", "frag");
  g_autoptr (GSocketConnection) conn = raw_connect ();
  GSocket *socket = g_socket_connection_get_socket (conn);
  g_autofree guint8 *frame = g_malloc0 (14 + FRAME_PAYLOAD);
  ServerFrames f = { g_byte_array_new (), FALSE, FALSE, 0,
                     g_ptr_array_new_with_free_func (g_free) };
  guint64 rss_before, rss_peak, sent_frames = 0;
  gint64 deadline;
  gboolean write_failed = FALSE;
  gboolean saw_53009 = FALSE;

  raw_handshake (socket);
  rss_before = rss_peak = daemon_rss_kib ();
  deadline = g_get_monotonic_time () + SEND_SECONDS * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline && !write_failed && !f.eof)
    {
      gsize header = frame_header (frame, FALSE, sent_frames == 0 ? 0x1 : 0x0,
                                   FRAME_PAYLOAD);
      gsize total = header + FRAME_PAYLOAD, done = 0;

      memset (frame + header, 'x', FRAME_PAYLOAD);
      while (done < total && !write_failed && g_get_monotonic_time () < deadline)
        {
          g_autoptr (GError) error = NULL;
          gssize n = g_socket_send (socket, (const char *)frame + done, total - done,
                                    NULL, &error);

          if (n > 0)
            done += n;
          else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_socket_condition_timed_wait (socket, G_IO_OUT, 10000, NULL, NULL);
          else
            write_failed = TRUE;
          read_available (socket, &f);
          g_main_context_iteration (NULL, FALSE);
        }
      sent_frames++;
      rss_peak = MAX (rss_peak, daemon_rss_kib ());
    }

  /* Whatever made the loop stop, the server's answer is due. */
  deadline = test_deadline (WAIT_MS);
  while (!f.got_close && !f.eof && g_get_monotonic_time () < deadline)
    {
      read_available (socket, &f);
      parse_server_frames (&f);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  parse_server_frames (&f);
  rss_peak = MAX (rss_peak, daemon_rss_kib ());
  g_test_message ("sent %" G_GUINT64_FORMAT " frames of 64 KiB; daemon RSS %" G_GUINT64_FORMAT
                  " KiB before, %" G_GUINT64_FORMAT " KiB at most",
                  sent_frames, rss_before, rss_peak);

  for (guint i = 0; i < f.texts->len; i++)
    if (strstr (g_ptr_array_index (f.texts, i), "53009") != NULL)
      saw_53009 = TRUE;
  g_assert_cmpuint (rss_peak - rss_before, <, MAX_GROWTH_KIB);
  g_assert_true (saw_53009);
  g_assert_true (f.got_close);
  g_assert_cmpuint (f.close_code, ==, SOUP_WEBSOCKET_CLOSE_TOO_BIG);

  g_assert_true (test_daemon_alive (daemon_));
  sig_client_check_relay (witness_x, witness_y, "v=0\r\n");
  sig_client_check_relay (witness_y, witness_x, "v=0\r\n");
  g_assert_false (witness_x->closed);
  g_assert_false (witness_y->closed);

  g_byte_array_unref (f.in);
  g_ptr_array_unref (f.texts);
  sig_client_free (witness_y);
  sig_client_free (witness_x);
}

/* A message in fragments that stays within the limit is delivered whole;
 * control frames between its fragments are fine. */
static void
test_fragments_within_limit (void)
{
  g_autoptr (GSocketConnection) conn = raw_connect ();
  GSocket *socket = g_socket_connection_get_socket (conn);
  static const char *const parts[] = { "{\"type\":", "\"ping\",", "\"id\":\"frag\"}" };
  ServerFrames f = { g_byte_array_new (), FALSE, FALSE, 0,
                     g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gint64 deadline;
  gboolean pong = FALSE;

  raw_handshake (socket);
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      guint8 header[14];
      gsize n = frame_header (header, i == G_N_ELEMENTS (parts) - 1, i == 0 ? 0x1 : 0x0,
                              strlen (parts[i]));

      g_byte_array_append (out, header, n);
      g_byte_array_append (out, (const guint8 *)parts[i], strlen (parts[i]));
      if (i == 0)
        {
          /* A WebSocket ping in the middle of the message. */
          n = frame_header (header, TRUE, 0x9, 0);
          g_byte_array_append (out, header, n);
        }
    }
  g_socket_set_blocking (socket, TRUE);
  g_assert_cmpint (g_socket_send (socket, (const char *)out->data, out->len, NULL, NULL),
                   ==, (gssize)out->len);
  g_socket_set_blocking (socket, FALSE);

  deadline = test_deadline (WAIT_MS);
  while (!pong && !f.eof && g_get_monotonic_time () < deadline)
    {
      read_available (socket, &f);
      parse_server_frames (&f);
      for (guint i = 0; i < f.texts->len; i++)
        if (strstr (g_ptr_array_index (f.texts, i), "\"pong\"") != NULL
            && strstr (g_ptr_array_index (f.texts, i), "\"frag\"") != NULL)
          pong = TRUE;
      g_usleep (1000);
    }
  g_assert_true (pong);
  g_assert_false (f.got_close);
  g_byte_array_unref (f.in);
  g_ptr_array_unref (f.texts);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
#if defined(__SANITIZE_ADDRESS__)
  /* ASan holds freed memory in a quarantine (256 MiB by default) before
   * reusing it, so the daemon's RSS grows with the bytes it handled even
   * when it keeps none of them: 63 MiB for 4 GiB of frames in one run.
   * A small quarantine makes RSS measure what is kept. */
  {
    const char *old = g_getenv ("ASAN_OPTIONS");
    g_autofree char *options = g_strdup_printf (
        "%s%squarantine_size_mb=4", old ? old : "", old && *old ? ":" : "");

    g_setenv ("ASAN_OPTIONS", options, TRUE);
  }
#endif
  daemon_ = test_daemon_start (config_text, NULL);

  g_test_add_func ("/signaling/fragments/within-limit", test_fragments_within_limit);
  g_test_add_func ("/signaling/fragments/endless", test_endless_fragments);

  status = g_test_run ();
  test_daemon_stop (daemon_);
  return status;
}
