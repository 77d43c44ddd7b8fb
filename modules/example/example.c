/* The "example" topology module: a worked example for module authors.
 *
 * Rooms of an example type carry signaling only, like peer-to-peer rooms:
 * every participant opens one peer connection per other participant
 * (client_topology "mesh"), and this module's whole job is to
 *
 *   1. refuse identities that start with "guest-", unless the room type
 *      sets `allow-guests=true`;
 *   2. greet each participant who joins with an `example-greeting`
 *      message, whose text the room type can set with `greeting=`;
 *   3. pass offer, answer and candidate messages to the participant they
 *      are addressed to.
 *
 * The core does everything else: it checks the access token, enforces the
 * room's max-participants (before participant_admit() is called), tells
 * everyone about arrivals, departures and tracks, and answers pings.
 *
 * Enable it with a room type in convoke.conf:
 *
 *   [type:demo]
 *   module=example
 *   max-participants=4
 *   allow-guests=false
 *   greeting=Welcome! Be nice.
 *
 * Read docs/writing-a-topology-module.md alongside this file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/* Error messages reach users, so they are translatable. Built inside the
 * Convoke tree the example shares Convoke's catalogue; the out-of-tree
 * meson.build defines a text domain of its own, as a third-party module
 * should. */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "convoke"
#endif
#include <glib/gi18n-lib.h>

#include <convoke/topology.h>

/* Modules only see topology.h, not Convoke's internal twilio-error.h, so
 * the few Twilio error codes this module reports are spelled out here.
 * Clients and the REST API know them by these numbers. */
enum
{
  TWILIO_IDENTITY_INVALID = 53200,        /* "Participant identity is invalid" */
  TWILIO_INVALID_MESSAGE = 53004,         /* the client sent a bad message */
  TWILIO_ROOM_INVALID_PARAMETERS = 53114, /* room type options are unusable */
};

#define GUEST_PREFIX "guest-"

/* The core table, handed to module_init(). Modules never link against the
 * daemon; every question about rooms and participants goes through it. */
static const ConvokeCoreApi *core;

/* What a room remembers between callbacks. The options are read once, in
 * room_create(), because a room keeps the type it was created with even
 * when the config is reloaded. */
typedef struct
{
  gboolean allow_guests;
  char *greeting;
} ExampleRoom;

static void
example_room_free (ExampleRoom *room)
{
  g_free (room->greeting);
  g_free (room);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ExampleRoom, example_room_free)

static gboolean
example_module_init (const ConvokeCoreApi *core_api, GError **error)
{
  /* The loader already refused modules built for another ABI, but the
   * table can be newer than our header; only its v1 members are used
   * here, and those are always present. */
  core = core_api;
  return TRUE;
}

static gboolean
example_room_create (ConvokeRoom *room, gpointer *room_data, GError **error)
{
  g_autoptr (ExampleRoom) state = g_new0 (ExampleRoom, 1);
  const char *allow_guests = core->room_get_option (room, "allow-guests");
  const char *greeting = core->room_get_option (room, "greeting");

  /* The config loader does not know this module's keys, so checking their
   * values is our job. Refusing the room names the key and value, which is
   * what the operator needs to fix the config. */
  if (allow_guests == NULL || g_strcmp0 (allow_guests, "false") == 0)
    state->allow_guests = FALSE;
  else if (g_strcmp0 (allow_guests, "true") == 0)
    state->allow_guests = TRUE;
  else
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, TWILIO_ROOM_INVALID_PARAMETERS,
                   _("[type:%s] allow-guests=%s is not valid: use true or false"),
                   core->room_get_type (room), allow_guests);
      return FALSE;
    }

  if (greeting != NULL)
    state->greeting = g_strdup (greeting);
  else
    state->greeting = g_strdup_printf (_("Welcome to %s"), core->room_get_name (room));

  *room_data = g_steal_pointer (&state);
  return TRUE;
}

static void
example_room_destroy (ConvokeRoom *room, gpointer room_data)
{
  example_room_free (room_data);
}

static gboolean
example_participant_admit (ConvokeRoom *room, gpointer room_data,
                           ConvokeParticipant *participant, GError **error)
{
  ExampleRoom *state = room_data;
  const char *identity = core->participant_get_identity (participant);

  /* No need to count participants: the core refused the join with 53105
   * before calling us if the room was already full. */
  if (!state->allow_guests && g_str_has_prefix (identity, GUEST_PREFIX))
    {
      /* The error goes to the participant, who is then disconnected. */
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, TWILIO_IDENTITY_INVALID,
                   _("Identity “%s” is a guest, and rooms of type “%s” do not admit "
                     "guests (allow-guests=false)"),
                   identity, core->room_get_type (room));
      return FALSE;
    }
  return TRUE;
}

static void
example_participant_joined (ConvokeRoom *room, gpointer room_data,
                            ConvokeParticipant *participant)
{
  ExampleRoom *state = room_data;
  g_autoptr (JsonObject) greeting = json_object_new ();

  /* A message type of our own, named so that it cannot clash with a core
   * message; clients not written for this room type should ignore it. */
  json_object_set_string_member (greeting, "type", "example-greeting");
  json_object_set_string_member (greeting, "message", state->greeting);
  json_object_set_int_member (greeting, "max_participants",
                              core->room_get_max_participants (room));
  /* participant_send() serialises the object at once, so it stays ours. */
  core->participant_send (participant, greeting);
}

/* json_object_get_string_member() complains (a critical, fatal in tests)
 * when the member is an array or object, and clients can send anything. */
static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* offer, answer and candidate share one shape: a `to` naming the
 * addressee and a payload member that the addressee needs. */
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
example_handle_message (ConvokeRoom *room, gpointer room_data, ConvokeParticipant *from,
                        const char *type, JsonObject *message, GError **error)
{
  const char *payload = payload_member_for (type);
  const char *to_sid;
  ConvokeParticipant *to;
  g_autoptr (JsonObject) relayed = NULL;
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;

  /* Messages come straight from clients: check every member we use, and
   * answer mistakes with an error rather than trusting them. Returning
   * FALSE sends the error to the sender only; the room carries on. */
  if (payload == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, TWILIO_INVALID_MESSAGE,
                   _("Message type “%s” is not known in rooms of type “%s”"), type,
                   core->room_get_type (room));
      return FALSE;
    }

  to_sid = string_member (message, "to");
  if (to_sid == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, TWILIO_INVALID_MESSAGE,
                   _("“%s” message has no “to” string naming a participant sid"), type);
      return FALSE;
    }
  if (string_member (message, payload) == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, TWILIO_INVALID_MESSAGE,
                   _("“%s” message has no “%s” string"), type, payload);
      return FALSE;
    }

  /* room_find_participant() only finds connected participants of this
   * room, so a client cannot reach anyone in another room. */
  to = core->room_find_participant (room, to_sid);
  if (to == NULL || to == from)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, TWILIO_INVALID_MESSAGE,
                   _("“%s” message is addressed to “%s”, which is not another "
                     "participant of this room"),
                   type, to_sid);
      return FALSE;
    }

  /* Pass everything on unchanged (the SDP byte for byte), except that the
   * addressee learns who sent it instead of who it is for, and the sender's
   * request `id`, which only means something to the sender, is dropped. */
  relayed = json_object_new ();
  json_object_iter_init (&iter, message);
  while (json_object_iter_next (&iter, &member, &value))
    if (!g_str_equal (member, "to") && !g_str_equal (member, "id"))
      json_object_set_member (relayed, member, json_node_copy (value));
  json_object_set_string_member (relayed, "from", core->participant_get_sid (from));

  core->participant_send (to, relayed);
  return TRUE;
}

/* The descriptor. CONVOKE_TOPOLOGY_MODULE_INIT fills in the ABI version and
 * struct size; callbacks left out are NULL, which the core treats as "do
 * nothing" (participant_left, worker_*, ...). */
static const ConvokeTopologyModule example_module = {
  CONVOKE_TOPOLOGY_MODULE_INIT,
  .name = "example",
  .description = "Signaling-only rooms that greet joiners and can keep guests out",
  .client_topology = "mesh",
  .needs_media_worker = FALSE,

  .module_init = example_module_init,
  .room_create = example_room_create,
  .room_destroy = example_room_destroy,
  .participant_admit = example_participant_admit,
  .participant_joined = example_participant_joined,
  .handle_message = example_handle_message,
};

/* The one symbol the loader looks up. It must return the same static
 * descriptor every time; the loader checks it before calling anything. */
CONVOKE_TOPOLOGY_MODULE_EXPORT const ConvokeTopologyModule *
convoke_topology_module_entry (void)
{
  return &example_module;
}
