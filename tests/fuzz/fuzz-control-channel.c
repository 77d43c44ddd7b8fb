/* Fuzz target: the daemon ↔ worker control channel framing
 * (core/protocol/control-channel.c, docs/worker-protocol.md "Framing").
 *
 * The input is what the peer writes on the socket before closing it. The
 * target runs it through:
 *
 * 1. a real ConvokeControlChannel on one end of a Unix socketpair, exactly
 *    as convoked and convoke-room-worker use it: every "message" must be
 *    a JSON object with a string `type`, and "closed" must come once, at
 *    EOF, without an error;
 * 2. the bounded line reader with a tiny line limit (1 to 64 bytes, from
 *    the first input byte), which makes the overlong-line paths reachable
 *    that the real 16 MiB limit hides: every delivered line must be within
 *    the limit and free of newlines, and EOF must be reported once.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control-channel.h"
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

typedef struct
{
  guint messages;
  guint closed;
} ChannelRun;

static void
on_message (ConvokeControlChannel *channel, JsonObject *message, gpointer user_data)
{
  ChannelRun *run = user_data;

  if (run->closed > 0 || message == NULL
      || json_object_get_string_member_with_default (message, "type", NULL) == NULL)
    abort ();
  run->messages++;
}

static void
on_closed (ConvokeControlChannel *channel, GError *error, gpointer user_data)
{
  ChannelRun *run = user_data;

  /* The peer only wrote and closed: EOF, never a read error. */
  if (error != NULL)
    abort ();
  run->closed++;
}

static gboolean
channel_closed (gpointer user_data)
{
  return ((ChannelRun *) user_data)->closed > 0;
}

static void
run_channel (const uint8_t *data, size_t size)
{
  g_autoptr (ConvokeControlChannel) channel = NULL;
  g_autoptr (GError) error = NULL;
  ChannelRun run = { 0 };
  int fds[2];
  int sndbuf = 1 << 20;
  size_t written = 0;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    abort ();
  setsockopt (fds[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  channel = convoke_control_channel_new_from_fd (fds[0], "fuzz peer", &error);
  if (channel == NULL)
    abort ();
  g_signal_connect (channel, "message", G_CALLBACK (on_message), &run);
  g_signal_connect (channel, "closed", G_CALLBACK (on_closed), &run);
  convoke_control_channel_start (channel);

  /* libFuzzer's inputs are far below the socket buffer; a partial write
   * just means the channel must read first. */
  while (written < size)
    {
      ssize_t n = send (fds[1], data + written, size - written, MSG_DONTWAIT | MSG_NOSIGNAL);

      if (n > 0)
        written += n;
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        abort ();
      else
        g_main_context_iteration (NULL, FALSE);
    }
  shutdown (fds[1], SHUT_WR);
  if (!fuzz_iterate_until (channel_closed, &run, 5000))
    abort ();
  close (fds[1]);
  /* Nothing may come after "closed". */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (run.closed != 1)
    abort ();
}

typedef struct
{
  gsize max_line;
  gboolean ended;
  guint lines;
  guint overflows;
} ReaderRun;

static void
on_line (const char *line, const GError *error, gpointer user_data)
{
  ReaderRun *run = user_data;

  if (run->ended)
    abort ();
  if (line != NULL)
    {
      if (error != NULL || strlen (line) > run->max_line || strchr (line, '\n') != NULL)
        abort ();
      run->lines++;
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    run->overflows++;
  else if (error == NULL)
    run->ended = TRUE;
  else
    abort ();
}

static gboolean
reader_ended (gpointer user_data)
{
  return ((ReaderRun *) user_data)->ended;
}

static void
run_line_reader (const uint8_t *data, size_t size)
{
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (ConvokeLineReader) reader = NULL;
  ReaderRun run = { 0 };

  if (size == 0)
    return;
  run.max_line = 1 + data[0] % 64;
  stream = g_memory_input_stream_new_from_data (data + 1, size - 1, NULL);
  reader = convoke_line_reader_new (stream, run.max_line, on_line, &run);
  if (!fuzz_iterate_until (reader_ended, &run, 5000))
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  run_channel (data, size);
  run_line_reader (data, size);
  return 0;
}
