/* The mesh topology module: peer-to-peer and go rooms.
 *
 * Media flows directly between participants, so the daemon only relays
 * offer/answer/candidate messages from one participant to the one it
 * addresses. The SDP and candidate strings are handed on untouched and
 * never parsed: this module links no SDP, ICE or DTLS code, and a client's
 * description reaches its peer byte for byte.
 *
 * The room size cap (53105) is the registry's job (max-participants of
 * the room type: 10 for peer-to-peer, 2 for go), so admission needs no
 * callback here.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define GETTEXT_PACKAGE "convoke"
#include <glib/gi18n-lib.h>

#include <convoke/topology.h>

/* Twilio's "invalid signaling message" code. mesh is built against
 * <convoke/topology.h> alone, as an out-of-tree module is, so it names the
 * code itself; the in-tree-only group module takes it from the core's
 * twilio-error.h. */
#define MESH_ERROR_INVALID_MESSAGE 53004
#define MAX_QUOTED_CHARS 64

static const ConvokeCoreApi *core;

static gboolean
mesh_module_init (const ConvokeCoreApi *api, GError **error)
{
  core = api;
  return TRUE;
}

static void
mesh_module_shutdown (void)
{
  core = NULL;
}

static gboolean
mesh_room_create (ConvokeRoom *room, gpointer *room_data, GError **error)
{
  /* Everything the relay needs is the room's participant list, which the
   * core keeps. */
  *room_data = NULL;
  return TRUE;
}

/* The member that carries the payload of each relayed type; it must be a
 * string (an empty candidate means end of candidates). */
static const char *
payload_member_for (const char *type)
{
  if (g_str_equal (type, "offer") || g_str_equal (type, "answer"))
    return "sdp";
  if (g_str_equal (type, "candidate"))
    return "candidate";
  return NULL;
}

static gboolean
member_is_string (JsonObject *message, const char *name)
{
  JsonNode *node = json_object_get_member (message, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* A client-chosen string cut short enough to quote in an error, on a
 * character boundary so that the error stays UTF-8. */
static char *
shorten (const char *text)
{
  glong chars = g_utf8_strlen (text, -1);
  g_autofree char *cut = g_utf8_substring (text, 0, MIN (chars, MAX_QUOTED_CHARS));

  return chars > MAX_QUOTED_CHARS ? g_strconcat (cut, "…", NULL) : g_steal_pointer (&cut);
}

static gboolean
mesh_handle_message (ConvokeRoom *room, gpointer room_data, ConvokeParticipant *from,
                     const char *type, JsonObject *message, GError **error)
{
  const char *payload = payload_member_for (type);
  const char *to;
  ConvokeParticipant *target;
  g_autoptr (JsonObject) relayed = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (payload == NULL)
    {
      g_autofree char *quoted = shorten (type);

      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, MESH_ERROR_INVALID_MESSAGE,
                   _ ("Unknown message type “%s” (a mesh room relays offer, answer and "
                      "candidate)"),
                   quoted);
      return FALSE;
    }
  if (!member_is_string (message, "to"))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, MESH_ERROR_INVALID_MESSAGE,
                   _ ("“%s” needs a string member “to” naming a participant sid"), type);
      return FALSE;
    }
  if (!member_is_string (message, payload))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, MESH_ERROR_INVALID_MESSAGE,
                   _ ("“%s” needs a string member “%s”"), type, payload);
      return FALSE;
    }

  /* The core looks among this room's connected participants only, so a
   * sid from another room, or of someone who left, is never a target. */
  to = json_object_get_string_member (message, "to");
  target = core->room_find_participant (room, to);
  if (target == NULL)
    {
      g_autofree char *quoted = shorten (to);

      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, MESH_ERROR_INVALID_MESSAGE,
                   _ ("“to” names “%s”, which is not a connected participant of room %s"),
                   quoted, core->room_get_sid (room));
      return FALSE;
    }
  if (target == from)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, MESH_ERROR_INVALID_MESSAGE,
                   _ ("“to” names the sender itself (%s)"), to);
      return FALSE;
    }

  /* Copy every member but the addressing: `to` becomes `from`, and `id`
   * belongs to the sender's own request/reply pairing, so the recipient
   * must not see it echoed as if it were one of its ids. Values are
   * copied node by node, so strings keep their exact bytes. */
  relayed = json_object_new ();
  json_object_iter_init (&iter, message);
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (g_str_equal (name, "to") || g_str_equal (name, "id")
          || g_str_equal (name, "from"))
        continue;
      json_object_set_member (relayed, name, json_node_copy (value));
    }
  json_object_set_string_member (relayed, "from", core->participant_get_sid (from));

  core->participant_send (target, relayed);
  return TRUE;
}

static const ConvokeTopologyModule mesh_module = {
  CONVOKE_TOPOLOGY_MODULE_INIT,
  .name = "mesh",
  .description = "Peer-to-peer and go rooms: relays offer, answer and candidate messages "
                 "between participants; media flows directly between them",
  .client_topology = "mesh",
  .needs_media_worker = FALSE,
  .module_init = mesh_module_init,
  .module_shutdown = mesh_module_shutdown,
  .room_create = mesh_room_create,
  .handle_message = mesh_handle_message,
};

CONVOKE_TOPOLOGY_MODULE_EXPORT const ConvokeTopologyModule *
convoke_topology_module_entry (void)
{
  return &mesh_module;
}
