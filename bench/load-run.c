/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "load-run.h"

#include "i18n.h"

/* The first failures are kept for the report; the rest are counted. */
#define MAX_KEPT_ERRORS 20
/* Streaming threads update counters without waking the main context, so
 * waits poll their condition this often. */
#define POLL_MS 50

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
keep_polling (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
load_run_wait (gboolean (*done) (gpointer), gpointer data, guint timeout_ms)
{
  gboolean expired = FALSE;
  guint timer = g_timeout_add (timeout_ms, set_flag, &expired);
  guint poll = g_timeout_add (POLL_MS, keep_polling, NULL);

  while (!(done != NULL && done (data)) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (timer);
  g_source_remove (poll);
  return done != NULL && done (data);
}

void
load_run_sleep (guint ms)
{
  load_run_wait (NULL, NULL, ms);
}

void
load_run_error (LoadRun *run, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("convoke-load: %s\n", text);
  run->error_count++;
  if (run->errors->len < MAX_KEPT_ERRORS)
    g_ptr_array_add (run->errors, g_steal_pointer (&text));
}

typedef struct
{
  LoadParticipant *participant;
  void (*gathered) (LoadPeer *, gpointer);
  void (*connected) (LoadPeer *, gpointer);
} PeerHooks;

static void
hook_gathered (LoadPeer *peer, gpointer data)
{
  PeerHooks *hooks = data;

  if (hooks->gathered != NULL)
    hooks->gathered (peer, hooks->participant);
}

static void
hook_connected (LoadPeer *peer, gpointer data)
{
  PeerHooks *hooks = data;

  if (hooks->connected != NULL)
    hooks->connected (peer, hooks->participant);
}

static void
hook_failed (LoadPeer *peer, const char *message, gpointer data)
{
  PeerHooks *hooks = data;

  if (!hooks->participant->left)
    load_run_error (hooks->participant->run, _ ("%s: media: %s"),
                    load_peer_get_name (peer), message);
}

LoadPeer *
load_run_new_peer (LoadRun *run, LoadParticipant *participant, const char *suffix,
                   void (*gathered) (LoadPeer *, gpointer),
                   void (*connected) (LoadPeer *, gpointer))
{
  static const LoadPeerCallbacks callbacks
      = { hook_gathered, hook_connected, hook_failed };
  g_autofree char *name = suffix ? g_strdup_printf ("%s-%s", participant->name, suffix)
                                 : g_strdup (participant->name);
  g_autoptr (GError) error = NULL;
  /* Kept until the run ends: a peer may call back until it is freed. */
  PeerHooks *hooks = g_new0 (PeerHooks, 1);
  LoadPeer *peer;

  hooks->participant = participant;
  hooks->gathered = gathered;
  hooks->connected = connected;
  g_ptr_array_add (run->peer_hooks, hooks);
  peer = load_peer_new (name, run->options->ice_address, run->sender, &callbacks, hooks,
                        &error);
  if (peer == NULL)
    load_run_error (run, _ ("%s: %s"), name, error->message);
  else
    load_peer_set_answer_passive (peer, run->options->dtls_passive);
  return peer;
}

void
load_ws_send (SoupWebsocketConnection *connection, JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *text = json_to_string (node, FALSE);

  soup_websocket_connection_send_text (connection, text);
}

JsonObject *
load_ws_parse (LoadRun *run, const char *who, GBytes *message)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize length;
  const char *text = g_bytes_get_data (message, &length);
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, (gssize) length, &error))
    {
      load_run_error (run, _ ("%s: a message that is not JSON: %s"), who, error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      load_run_error (run, _ ("%s: a message that is not a JSON object"), who);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}
