/* Fuzz target: the Twilio SDK's signaling, TCMP v2 frames carrying RSP v2
 * messages (docs/twilio-video-sdk.md), as the daemon receives them at
 * /signaling: core/daemon/tcmp-front-end.c (hello/welcome, msg,
 * heartbeat, bye; sessions and `sync`), rsp-session.c, rsp-state.c and
 * rsp-peer-connection.c (connect, update, disconnect: tracks, descriptions,
 * ICE lists, revisions, glare), over signaling-connection.c's limits, with
 * the room registry and two modules behind them: mesh for the rooms
 * "standup" (go, 2 participants) and "p2p" (peer-to-peer), and for every
 * other room (group rooms) tests/fuzz/modules/fuzzsfu.c, which answers and
 * offers as a media server would, without one.
 *
 * The input is the frames of up to four SDK clients, one WebSocket text
 * frame per line. After each frame the daemon runs until it has nothing
 * left to do, so that a later frame can use what it answered. Lines that
 * start with '@' steer instead:
 *
 *   @0 … @3  the following frames are client N's (client 0 at the start);
 *            its socket to /signaling opens when it has none
 *   @drop    the client's socket closes without a close frame, as when a
 *            network drops (its session waits for `sync`)
 *   @close   the client sends a close frame (1000) and waits for the end
 *
 * A line starting with '!' is sent as a binary frame (without the '!').
 * In a text frame, "$TOKEN" becomes a valid access token (any room) for
 * the client's identity (alice, bob, carol, dave), "$SESSION" the session
 * id of the latest `connected` or `synced` any client got, and "$PC" the
 * id of the latest peer connection the daemon named to this client. At
 * the end each client still connected sends a close frame and waits for
 * the daemon to close; then the daemon stops (fuzz_daemon_reset()), which
 * ends the sessions still waiting for `sync`.
 *
 * Every frame the daemon sends must be what the SDK can take (it throws
 * in the page, or ignores the state, otherwise; docs/twilio-video-sdk.md
 * and the SDK's lib/twilioconnection.js):
 * - a text frame in UTF-8 holding a JSON object whose `type` is one of
 *   TCMP's: `welcome`, `msg`, `heartbeat`, `bad`; or a control frame
 *   (a close reason in UTF-8);
 * - `welcome` at most once per socket, with an integer `negotiatedTimeout`
 *   of 1000–30000 ms; before it, nothing but `bad` or an RSP `error`;
 * - `msg` with an object `body` whose `type` is `iced`, `connected`,
 *   `synced`, `update`, `error` (an integer `code` and a string `message`)
 *   or `disconnected`; `connected` and `synced` carry a string `session`;
 * - no `update` on a socket before its `connected` or `synced`;
 * - `published` and `subscribed` revisions grow within a session.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access-token.h"
#include "fuzz-common.h"
#include "fuzz-daemon.h"

#define MAX_LINES 64
#define N_CLIENTS 4
#define SETTLE_MS 2000
#define CLOSE_MS 5000

/* The SDK asks for no subprotocol. */
static const char handshake[]
    = "GET /signaling HTTP/1.1\r\n"
      "Host: 127.0.0.1:7880\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "\r\n";

static const char *const identities[N_CLIENTS] = { "alice", "bob", "carol", "dave" };
static char *tokens[N_CLIENTS];

typedef struct
{
  FuzzClient *client; /* NULL: no socket */
  /* How much of fuzz_client_received() was checked; 0 before the
   * handshake's answer. */
  gsize checked;
  gboolean welcomed;
  gboolean in_state; /* got `connected` or `synced` */
  /* "published SE…", "subscribed SE…" → the last revision (gint64 *) */
  GHashTable *revisions;
} Socket;

/* One input's clients. */
static Socket sockets[N_CLIENTS];
static char *last_session;
static char *last_pc[N_CLIENTS];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init_logging ();
  for (guint i = 0; i < N_CLIENTS; i++)
    tokens[i] = convoke_access_token_create (FUZZ_API_KEY, FUZZ_API_SECRET,
                                             FUZZ_ACCOUNT_SID, identities[i], NULL,
                                             24 * 3600);
  return 0;
}

/* ---- what the daemon sends ----------------------------------------------- */

static G_NORETURN void
fail (const char *what, const guint8 *payload, gsize length)
{
  fprintf (stderr, "the daemon sent %s: %.*s\n", what, (int) MIN (length, 2000),
           (const char *) payload);
  abort ();
}

static gboolean
is_int (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_INT64;
}

static JsonObject *
get_object (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* The SDK ignores a `published` or `subscribed` whose revision is not
 * above the last one it applied. */
static void
check_revision (Socket *socket, JsonObject *body, const char *member, const guint8 *payload,
                gsize length)
{
  JsonObject *state = get_object (body, member);
  g_autofree char *key = NULL;
  gint64 *last;
  gint64 revision;

  if (state == NULL)
    return;
  if (!is_int (state, "revision"))
    fail ("a state without an integer revision", payload, length);
  revision = json_object_get_int_member (state, "revision");
  key = g_strdup_printf ("%s %s", member,
                         json_object_get_string_member_with_default (body, "session", ""));
  last = g_hash_table_lookup (socket->revisions, key);
  if (last != NULL && revision <= *last)
    fail ("a revision that did not grow", payload, length);
  g_hash_table_insert (socket->revisions, g_steal_pointer (&key),
                       g_memdup2 (&revision, sizeof revision));
}

/* The last peer connection @body names, for "$PC". */
static void
note_peer_connection (guint client, JsonObject *body)
{
  JsonNode *node = json_object_get_member (body, "peer_connections");
  JsonArray *list;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  list = json_node_get_array (node);
  for (guint i = json_array_get_length (list); i > 0; i--)
    {
      JsonNode *element = json_array_get_element (list, i - 1);
      const char *id;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      id = json_object_get_string_member_with_default (json_node_get_object (element), "id",
                                                       NULL);
      if (id != NULL)
        {
          g_free (last_pc[client]);
          last_pc[client] = g_strdup (id);
          return;
        }
    }
}

static void
check_body (Socket *socket, guint client, JsonObject *body, const guint8 *payload,
            gsize length)
{
  static const char *const types[]
      = { "iced", "connected", "synced", "update", "error", "disconnected" };
  const char *type = json_object_get_string_member_with_default (body, "type", NULL);

  if (type == NULL || !g_strv_contains (types, type))
    fail ("an RSP message of no known type", payload, length);
  if (g_str_equal (type, "error"))
    {
      if (!is_int (body, "code")
          || json_object_get_string_member_with_default (body, "message", NULL) == NULL)
        fail ("an error without an integer code and a string message", payload, length);
      return;
    }
  if (!socket->welcomed)
    fail ("an RSP message before welcome", payload, length);
  if (g_str_equal (type, "connected") || g_str_equal (type, "synced"))
    {
      const char *session = json_object_get_string_member_with_default (body, "session", NULL);

      if (session == NULL)
        fail ("a state without a session", payload, length);
      socket->in_state = TRUE;
      g_free (last_session);
      last_session = g_strdup (session);
    }
  else if (g_str_equal (type, "update") && !socket->in_state)
    fail ("an update before connected or synced", payload, length);
  check_revision (socket, body, "published", payload, length);
  check_revision (socket, body, "subscribed", payload, length);
  note_peer_connection (client, body);
}

static void
check_text (Socket *socket, guint client, const guint8 *payload, gsize length)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *frame;
  const char *type;

  if (!g_utf8_validate ((const char *) payload, (gssize) length, NULL)
      || !json_parser_load_from_data (parser, (const char *) payload, (gssize) length, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    fail ("a frame that is not a JSON object", payload, length);
  frame = json_node_get_object (root);
  type = json_object_get_string_member_with_default (frame, "type", NULL);
  if (type == NULL)
    fail ("a frame without a type", payload, length);
  if (g_str_equal (type, "welcome"))
    {
      gint64 timeout = is_int (frame, "negotiatedTimeout")
                           ? json_object_get_int_member (frame, "negotiatedTimeout")
                           : 0;

      if (socket->welcomed)
        fail ("a second welcome", payload, length);
      if (timeout < 1000 || timeout > 30000)
        fail ("a negotiatedTimeout out of 1000-30000", payload, length);
      socket->welcomed = TRUE;
    }
  else if (g_str_equal (type, "msg"))
    {
      JsonObject *body = get_object (frame, "body");

      if (body == NULL)
        fail ("a msg without an object body", payload, length);
      check_body (socket, client, body, payload, length);
    }
  else if (g_str_equal (type, "heartbeat"))
    {
      if (!socket->welcomed)
        fail ("a heartbeat before welcome", payload, length);
    }
  else if (!g_str_equal (type, "bad"))
    fail ("a TCMP message of no known type", payload, length);
}

/* Checks what the daemon sent @client's socket since the last call. */
static void
check_socket (guint client)
{
  Socket *socket = &sockets[client];
  GByteArray *received;
  guint8 opcode;
  const guint8 *payload;
  gsize length;

  if (socket->client == NULL)
    return;
  received = fuzz_client_received (socket->client);
  if (socket->checked == 0)
    {
      const guint8 *end = memmem (received->data, received->len, "\r\n\r\n", 4);

      if (end == NULL)
        return;
      if (received->len < 12 || memcmp (received->data, "HTTP/1.1 101", 12) != 0)
        abort ();
      socket->checked = end + 4 - received->data;
    }
  while (fuzz_next_server_frame (received->data, received->len, &socket->checked, &opcode,
                                 &payload, &length))
    {
      if (opcode == 0x1)
        check_text (socket, client, payload, length);
      else if (opcode == 0x8)
        {
          /* RFC 6455 §5.5.1: a close reason is UTF-8; clients fail the
           * connection otherwise. */
          if (length > 2 && !g_utf8_validate ((const char *) payload + 2, (gssize) length - 2,
                                              NULL))
            fail ("a close reason that is not UTF-8", payload, length);
        }
      else if (opcode != 0x9 && opcode != 0xa)
        fail ("a frame that is neither text nor control", payload, length);
    }
}

/* ---- the clients --------------------------------------------------------- */

static void
open_socket (guint client)
{
  Socket *socket = &sockets[client];

  socket->client = fuzz_client_connect ();
  socket->revisions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fuzz_client_send (socket->client, handshake, strlen (handshake));
  if (!fuzz_client_wait (socket->client, "\r\n\r\n", CLOSE_MS))
    abort ();
  check_socket (client);
}

static void
free_socket (guint client)
{
  Socket *socket = &sockets[client];

  check_socket (client);
  fuzz_client_log (socket->client);
  g_clear_pointer (&socket->client, fuzz_client_free);
  g_clear_pointer (&socket->revisions, g_hash_table_unref);
  memset (socket, 0, sizeof *socket);
}

static void
send_close (guint client)
{
  static const guint8 close_payload[2] = { 0x03, 0xe8 }; /* 1000, normal */

  fuzz_client_send_frame (sockets[client].client, 0x8, close_payload, sizeof close_payload);
}

static void
settle (void)
{
  FuzzClient *clients[N_CLIENTS];

  for (guint i = 0; i < N_CLIENTS; i++)
    clients[i] = sockets[i].client;
  fuzz_clients_settle (clients, N_CLIENTS, SETTLE_MS);
  for (guint i = 0; i < N_CLIENTS; i++)
    check_socket (i);
}

/* @line with its placeholders filled in for @client. */
static char *
expand (const char *line, guint client)
{
  const char *names[] = { "$TOKEN", "$SESSION", "$PC" };
  const char *values[] = { tokens[client], last_session, last_pc[client] };
  char *text = g_strdup (line);

  /* $PC last: a peer connection id may be the fuzzer's own words. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_auto (GStrv) pieces = NULL;

      if (strstr (text, names[i]) == NULL)
        continue;
      pieces = g_strsplit (text, names[i], -1);
      g_free (text);
      text = g_strjoinv (values[i] != NULL ? values[i] : "", pieces);
    }
  return text;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_strndup (data, size);
  g_auto (GStrv) lines = g_strsplit (text, "\n", MAX_LINES + 1);
  guint client = 0;

  for (guint i = 0; lines[i] != NULL && i < MAX_LINES; i++)
    {
      const char *line = lines[i];

      if (line[0] == '\0' && lines[i + 1] == NULL)
        break; /* the newline at the end of the last line */
      if (line[0] == '@')
        {
          if (line[1] >= '0' && line[1] < '0' + N_CLIENTS && line[2] == '\0')
            client = line[1] - '0';
          else if (g_str_equal (line, "@drop") && sockets[client].client != NULL)
            free_socket (client);
          else if (g_str_equal (line, "@close") && sockets[client].client != NULL)
            {
              send_close (client);
              fuzz_client_wait (sockets[client].client, NULL, CLOSE_MS);
              free_socket (client);
            }
          settle ();
          continue;
        }
      if (sockets[client].client == NULL)
        open_socket (client);
      if (line[0] == '!')
        fuzz_client_send_frame (sockets[client].client, 0x2, line + 1, strlen (line + 1));
      else
        {
          g_autofree char *frame = expand (line, client);

          fuzz_client_send_frame (sockets[client].client, 0x1, frame, strlen (frame));
        }
      settle ();
    }

  for (guint i = 0; i < N_CLIENTS; i++)
    if (sockets[i].client != NULL)
      send_close (i);
  for (guint i = 0; i < N_CLIENTS; i++)
    if (sockets[i].client != NULL)
      {
        fuzz_client_wait (sockets[i].client, NULL, CLOSE_MS);
        free_socket (i);
      }
  fuzz_daemon_reset ();
  g_clear_pointer (&last_session, g_free);
  for (guint i = 0; i < N_CLIENTS; i++)
    g_clear_pointer (&last_pc[i], g_free);
  return 0;
}
