/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "signaling-test-client.h"

#include <string.h>

#define CONNECT_TIMEOUT_MS 5000
#define REPLY_TIMEOUT_MS 5000

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, SigClient *c)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);
  JsonNode *root;

  if (type != SOUP_WEBSOCKET_DATA_TEXT
      || !json_parser_load_from_data (parser, data, length, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      c->n_non_json++;
      return;
    }
  g_queue_push_tail (&c->received, json_object_ref (json_node_get_object (root)));
}

static void
on_closed (SoupWebsocketConnection *ws, SigClient *c)
{
  c->closed = TRUE;
  c->close_code = soup_websocket_connection_get_close_code (ws);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SigClient *c = user_data;

  c->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                 &c->connect_error);
  c->connect_done = TRUE;
}

static gboolean
connect_done (gpointer data)
{
  return ((SigClient *) data)->connect_done;
}

gboolean
sig_client_spin_until (SigClient *c, gboolean (*cond) (gpointer), gpointer data,
                       guint timeout_ms)
{
  gint64 deadline = test_deadline (timeout_ms);
  gboolean result;

  if (c->context == NULL)
    return test_wait_until (cond, data, timeout_ms); /* scales it itself */
  /* libsoup attaches each new source of the socket to the thread-default
   * context of the moment; keep that @c's own. */
  g_main_context_push_thread_default (c->context);
  while (!(result = cond (data)) && g_get_monotonic_time () <= deadline)
    if (!g_main_context_iteration (c->context, FALSE))
      g_usleep (5 * 1000);
  g_main_context_pop_thread_default (c->context);
  return result;
}

/* Connects to @url offering @protocol (NULL: none), which the server must
 * have chosen. */
static SigClient *
connect_url (const char *url, const char *protocol, GMainContext *context)
{
  SigClient *c = g_new0 (SigClient, 1);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  char *protocols[] = { (char *) protocol, NULL };

  g_queue_init (&c->received);
  c->context = context != NULL ? g_main_context_ref (context) : NULL;

  /* The socket's sources attach to the thread-default context at the
   * time it is made. */
  if (context != NULL)
    g_main_context_push_thread_default (context);
  c->session = soup_session_new ();
  soup_session_websocket_connect_async (c->session, msg, NULL,
                                        protocol != NULL ? protocols : NULL,
                                        G_PRIORITY_DEFAULT, NULL, on_connected, c);
  sig_client_spin_until (c, connect_done, c, CONNECT_TIMEOUT_MS);
  if (context != NULL)
    g_main_context_pop_thread_default (context);

  g_assert_true (c->connect_done);
  g_assert_no_error (c->connect_error);
  g_assert_cmpstr (soup_websocket_connection_get_protocol (c->ws), ==, protocol);
  g_signal_connect (c->ws, "message", G_CALLBACK (on_message), c);
  g_signal_connect (c->ws, "closed", G_CALLBACK (on_closed), c);
  return c;
}

SigClient *
sig_client_connect_on (TestDaemon *d, GMainContext *context)
{
  g_autofree char *url = test_daemon_signaling_url (d);

  return connect_url (url, "convoke-signaling-1", context);
}

SigClient *
sig_client_connect_path (TestDaemon *d, const char *path, const char *protocol)
{
  g_autofree char *url = NULL;

  g_assert_true (g_str_has_prefix (d->base_url, "http"));
  g_assert_true (path[0] == '/');
  url = g_strdup_printf ("ws%s%s", d->base_url + strlen ("http"), path);
  return connect_url (url, protocol, NULL);
}

SigClient *
sig_client_connect (TestDaemon *d)
{
  return sig_client_connect_on (d, NULL);
}

void
sig_client_free (SigClient *c)
{
  if (c == NULL)
    return;
  if (c->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (c->ws, c);
      if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  g_clear_object (&c->ws);
  g_clear_object (&c->session);
  g_queue_clear_full (&c->received, (GDestroyNotify) json_object_unref);
  g_clear_pointer (&c->context, g_main_context_unref);
  g_clear_error (&c->connect_error);
  g_free (c->sid);
  g_free (c->room_sid);
  g_free (c);
}

void
sig_client_send_text (SigClient *c, const char *text)
{
  g_assert_nonnull (c->ws);
  g_assert_cmpint (soup_websocket_connection_get_state (c->ws), ==,
                   SOUP_WEBSOCKET_STATE_OPEN);
  if (c->context != NULL)
    g_main_context_push_thread_default (c->context);
  soup_websocket_connection_send_text (c->ws, text);
  if (c->context != NULL)
    g_main_context_pop_thread_default (c->context);
}

void
sig_client_sendf (SigClient *c, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  sig_client_send_text (c, text);
}

void
sig_client_send_object (SigClient *c, JsonObject *message)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  json_node_set_object (root, message);
  text = json_to_string (root, FALSE);
  sig_client_send_text (c, text);
}

static JsonObject *
take_queued (SigClient *c, const char *type)
{
  for (GList *l = c->received.head; l != NULL; l = l->next)
    {
      JsonObject *message = l->data;

      if (g_strcmp0 (json_object_get_string_member_with_default (message, "type", ""),
                     type)
          == 0)
        {
          g_queue_delete_link (&c->received, l);
          return message;
        }
    }
  return NULL;
}

gboolean
sig_client_has (SigClient *c, const char *type)
{
  for (GList *l = c->received.head; l != NULL; l = l->next)
    if (g_strcmp0 (json_object_get_string_member_with_default (l->data, "type", ""), type)
        == 0)
      return TRUE;
  return FALSE;
}

typedef struct
{
  SigClient *c;
  const char *type;
} WaitFor;

static gboolean
has_type_or_closed (gpointer data)
{
  WaitFor *w = data;

  return sig_client_has (w->c, w->type) || w->c->closed;
}

JsonObject *
sig_client_wait_for (SigClient *c, const char *type, guint timeout_ms)
{
  WaitFor w = { c, type };

  sig_client_spin_until (c, has_type_or_closed, &w, timeout_ms);
  return take_queued (c, type);
}

static gboolean
is_closed (gpointer data)
{
  return ((SigClient *) data)->closed;
}

gboolean
sig_client_wait_closed (SigClient *c, guint timeout_ms)
{
  return sig_client_spin_until (c, is_closed, c, timeout_ms);
}

typedef struct
{
  SigClient *c;
  char *id;
} WaitPong;

static gboolean
pong_arrived (gpointer data)
{
  WaitPong *w = data;

  for (GList *l = w->c->received.head; l != NULL; l = l->next)
    if (g_strcmp0 (json_object_get_string_member_with_default (l->data, "type", ""),
                   "pong")
            == 0
        && g_strcmp0 (json_object_get_string_member_with_default (l->data, "id", ""),
                      w->id)
               == 0)
      return TRUE;
  return w->c->closed;
}

void
sig_client_sync (SigClient *c)
{
  static guint counter;
  g_autofree char *id = g_strdup_printf ("sync-%u", ++counter);
  WaitPong w = { c, id };
  g_autoptr (JsonObject) pong = NULL;

  sig_client_sendf (c, "{\"type\":\"ping\",\"id\":\"%s\"}", id);
  g_assert_true (sig_client_spin_until (c, pong_arrived, &w, REPLY_TIMEOUT_MS));
  g_assert_false (c->closed);
  /* Pongs of earlier syncs may still be queued; drop them all. */
  while ((pong = take_queued (c, "pong")) != NULL)
    g_clear_pointer (&pong, json_object_unref);
}

JsonObject *
sig_client_join (SigClient *c, const char *token, const char *room)
{
  g_autoptr (JsonObject) join = json_object_new ();
  JsonObject *joined;

  json_object_set_string_member (join, "type", "join");
  json_object_set_string_member (join, "token", token);
  if (room != NULL)
    json_object_set_string_member (join, "room", room);
  sig_client_send_object (c, join);

  joined = sig_client_wait_for (c, "joined", REPLY_TIMEOUT_MS);
  if (joined == NULL)
    {
      g_autoptr (JsonObject) error = take_queued (c, "error");

      g_error ("no joined (closed: %d, error: %s)", c->closed,
               error ? json_object_get_string_member_with_default (error, "message", "?")
                     : "none");
    }
  c->sid = g_strdup (json_object_get_string_member (
      json_object_get_object_member (joined, "participant"), "sid"));
  c->room_sid = g_strdup (json_object_get_string_member (
      json_object_get_object_member (joined, "room"), "sid"));
  return joined;
}

SigClient *
sig_client_new_joined (TestDaemon *d, const char *identity, const char *room)
{
  SigClient *c = sig_client_connect (d);
  g_autofree char *token = test_daemon_token (d, identity, room);
  g_autoptr (JsonObject) joined = sig_client_join (c, token, NULL);

  return c;
}

JsonObject *
sig_client_expect_error (SigClient *c, int code, guint timeout_ms)
{
  JsonObject *error = sig_client_wait_for (c, "error", timeout_ms);

  if (error == NULL)
    g_error ("expected error %d, got none (closed: %d)", code, c->closed);
  if (json_object_get_int_member_with_default (error, "code", 0) != code)
    g_error ("expected error %d, got %" G_GINT64_FORMAT ": %s", code,
             json_object_get_int_member_with_default (error, "code", 0),
             json_object_get_string_member_with_default (error, "message", ""));
  g_assert_cmpstr (json_object_get_string_member_with_default (error, "message", ""), !=,
                   "");
  return error;
}

void
sig_client_expect_close (SigClient *c, gushort close_code, guint timeout_ms)
{
  g_assert_true (sig_client_wait_closed (c, timeout_ms));
  g_assert_cmpuint (c->close_code, ==, close_code);
}

void
sig_client_check_relay (SigClient *from, SigClient *to, const char *sdp)
{
  g_autoptr (JsonObject) offer = json_object_new ();
  g_autoptr (JsonObject) relayed = NULL;
  const char *got;

  json_object_set_string_member (offer, "type", "offer");
  json_object_set_string_member (offer, "to", to->sid);
  json_object_set_string_member (offer, "sdp", sdp);
  json_object_set_int_member (offer, "id", 4242);
  sig_client_send_object (from, offer);

  relayed = sig_client_wait_for (to, "offer", REPLY_TIMEOUT_MS);
  g_assert_nonnull (relayed);
  g_assert_cmpstr (json_object_get_string_member (relayed, "from"), ==, from->sid);
  g_assert_false (json_object_has_member (relayed, "to"));
  g_assert_false (json_object_has_member (relayed, "id"));
  got = json_object_get_string_member (relayed, "sdp");
  g_assert_cmpmem (got, strlen (got), sdp, strlen (sdp));
}

char *
sig_make_jwt (const char *secret, const char *payload_json)
{
  const char *header = "{\"typ\":\"JWT\",\"alg\":\"HS256\",\"cty\":\"twilio-fpa;v=1\"}";
  const char *parts[] = { header, payload_json };
  g_autoptr (GString) jwt = g_string_new (NULL);
  g_autoptr (GHmac) hmac = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  g_autofree char *signature = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autofree char *b64
          = g_base64_encode ((const guchar *) parts[i], strlen (parts[i]));

      if (i > 0)
        g_string_append_c (jwt, '.');
      g_string_append (jwt, b64);
    }
  /* base64url without padding, as JWT wants. */
  g_strdelimit (jwt->str, "+", '-');
  g_strdelimit (jwt->str, "/", '_');
  while (jwt->len > 0 && strchr (jwt->str, '=') != NULL)
    g_string_erase (jwt, strchr (jwt->str, '=') - jwt->str, 1);

  hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *) jwt->str, jwt->len);
  g_hmac_get_digest (hmac, digest, &digest_len);
  signature = g_base64_encode (digest, digest_len);
  g_strdelimit (signature, "+", '-');
  g_strdelimit (signature, "/", '_');
  g_strdelimit (signature, "=", '\0');
  g_string_append_printf (jwt, ".%s", signature);
  return g_string_free (g_steal_pointer (&jwt), FALSE);
}
