/* Fuzz target: native signaling messages (docs/signaling.md), as the
 * daemon receives them: core/daemon/signaling-connection.c (framing,
 * limits, JSON checks) and signaling-server.c with the room registry and
 * the mesh module behind it (join, tracks, relayed offers and answers).
 *
 * The input is the text of the client's messages, one WebSocket text
 * frame per line. "$TOKEN" anywhere in a line is replaced by a valid
 * access token for the identity "alice" (any room), so that `join` gets
 * past the token check; a line starting with '!' is sent as a binary
 * frame instead (without the '!').
 *
 * Each input is one connection to a ConvokeDaemon in this process
 * (fuzz-daemon.c): the WebSocket handshake, the frames, a close frame,
 * and then the target waits for the daemon to close. Every frame the
 * daemon sends back must be a text frame holding a JSON object with a
 * string `type` (in valid UTF-8), or a control frame (a close reason in
 * valid UTF-8). Rooms are ended after each input.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access-token.h"
#include "fuzz-common.h"
#include "fuzz-daemon.h"

#define MAX_FRAMES 64

static const char handshake[]
    = "GET /v1/Signaling HTTP/1.1\r\n"
      "Host: 127.0.0.1:7880\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: convoke-signaling-1\r\n"
      "\r\n";

static char *token;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init_logging ();
  token = convoke_access_token_create (FUZZ_API_KEY, FUZZ_API_SECRET, FUZZ_ACCOUNT_SID,
                                       "alice", NULL, 24 * 3600);
  return 0;
}

/* The server's frames after the handshake response: each text frame must
 * be a JSON object with a string type. Stops at a cut-off frame. */
static void
check_server_frames (const guint8 *data, gsize length)
{
  gsize offset = 0;
  guint8 opcode;
  const guint8 *payload;
  gsize payload_length;

  while (fuzz_next_server_frame (data, length, &offset, &opcode, &payload, &payload_length))
    {
      if (opcode == 0x1)
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          JsonNode *root;

          if (!g_utf8_validate ((const char *) payload, (gssize) payload_length, NULL)
              || !json_parser_load_from_data (parser, (const char *) payload,
                                              (gssize) payload_length, NULL)
              || (root = json_parser_get_root (parser)) == NULL
              || !JSON_NODE_HOLDS_OBJECT (root)
              || json_object_get_string_member_with_default (json_node_get_object (root),
                                                             "type", NULL)
                     == NULL)
            {
              fprintf (stderr, "the daemon sent a frame that is not a message: %.*s\n",
                       (int) MIN (payload_length, 2000), (const char *) payload);
              abort ();
            }
        }
      else if (opcode == 0x8)
        {
          /* RFC 6455 §5.5.1: a close reason is UTF-8; clients fail the
           * connection otherwise. */
          if (payload_length > 2
              && !g_utf8_validate ((const char *) payload + 2, (gssize) payload_length - 2,
                                   NULL))
            {
              fprintf (stderr, "the daemon sent a close reason that is not UTF-8\n");
              abort ();
            }
        }
      else if (opcode != 0x9 && opcode != 0xa)
        abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_strndup (data, size);
  g_auto (GStrv) lines = g_strsplit (text, "\n", MAX_FRAMES + 1);
  g_autoptr (FuzzClient) client = fuzz_client_connect ();
  static const guint8 close_payload[2] = { 0x03, 0xe8 }; /* 1000, normal */
  GByteArray *received;
  const guint8 *end_of_headers;

  fuzz_client_send (client, handshake, strlen (handshake));
  if (!fuzz_client_wait (client, "\r\n\r\n", 5000))
    abort ();
  received = fuzz_client_received (client);
  if (received->len < 12 || memcmp (received->data, "HTTP/1.1 101", 12) != 0)
    abort ();

  for (guint i = 0; lines[i] != NULL && i < MAX_FRAMES; i++)
    {
      g_autofree char *line = NULL;
      guint8 opcode = 0x1;

      if (lines[i][0] == '\0' && lines[i + 1] == NULL)
        break; /* the newline at the end of the last line */
      if (lines[i][0] == '!')
        {
          opcode = 0x2;
          line = g_strdup (lines[i] + 1);
        }
      else
        {
          g_auto (GStrv) pieces = g_strsplit (lines[i], "$TOKEN", -1);

          line = g_strjoinv (token, pieces);
        }
      fuzz_client_send_frame (client, opcode, line, strlen (line));
    }
  fuzz_client_send_frame (client, 0x8, (const char *) close_payload, sizeof close_payload);
  fuzz_client_wait (client, NULL, 5000);
  fuzz_client_log (client);

  received = fuzz_client_received (client);
  end_of_headers = memmem (received->data, received->len, "\r\n\r\n", 4);
  check_server_frames (end_of_headers + 4,
                       received->len - (end_of_headers + 4 - received->data));
  fuzz_client_free (g_steal_pointer (&client));
  fuzz_daemon_reset ();
  return 0;
}
