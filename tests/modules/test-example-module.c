/* The example topology module, driven through the real loader with a core
 * table of our own: rooms and participants are opaque to modules, so the
 * test can define them and record every message the module sends.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "module-loader.h"

#include "../harness/test-daemon.h"

struct _ConvokeRoom
{
  const char *sid;
  const char *name;
  const char *type;
  GHashTable *options;
  guint max_participants;
  GPtrArray *participants; /* ConvokeParticipant* */
};

struct _ConvokeParticipant
{
  char *sid;
  char *identity;
  gboolean connected;
  /* What the module sent, serialised at send time as the real core does,
   * so a module that changes an object after sending it gets caught. */
  GPtrArray *inbox; /* char* */
};

static const char *
fake_room_get_sid (ConvokeRoom *room)
{
  return room->sid;
}

static const char *
fake_room_get_name (ConvokeRoom *room)
{
  return room->name;
}

static const char *
fake_room_get_type (ConvokeRoom *room)
{
  return room->type;
}

static guint
fake_room_get_max_participants (ConvokeRoom *room)
{
  return room->max_participants;
}

static const char *
fake_room_get_option (ConvokeRoom *room, const char *key)
{
  return g_hash_table_lookup (room->options, key);
}

static GList *
fake_room_list_participants (ConvokeRoom *room)
{
  GList *list = NULL;

  for (guint i = 0; i < room->participants->len; i++)
    {
      ConvokeParticipant *p = room->participants->pdata[i];

      if (p->connected)
        list = g_list_append (list, p);
    }
  return list;
}

static ConvokeParticipant *
fake_room_find_participant (ConvokeRoom *room, const char *sid)
{
  for (guint i = 0; i < room->participants->len; i++)
    {
      ConvokeParticipant *p = room->participants->pdata[i];

      if (p->connected && g_strcmp0 (p->sid, sid) == 0)
        return p;
    }
  return NULL;
}

static const char *
fake_participant_get_sid (ConvokeParticipant *participant)
{
  return participant->sid;
}

static const char *
fake_participant_get_identity (ConvokeParticipant *participant)
{
  return participant->identity;
}

static void
fake_participant_send (ConvokeParticipant *participant, JsonObject *message)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), message);

  g_ptr_array_add (participant->inbox, json_to_string (node, FALSE));
}

static void
fake_participant_send_error (ConvokeParticipant *participant, int code,
                             const char *message)
{
  g_ptr_array_add (participant->inbox, g_strdup_printf ("error %d %s", code, message));
}

static void
fake_participant_disconnect (ConvokeParticipant *participant, int code,
                             const char *reason)
{
  participant->connected = FALSE;
}

static gboolean
fake_worker_send (ConvokeRoom *room, JsonObject *message, GError **error)
{
  g_set_error (error, CONVOKE_TOPOLOGY_ERROR, 53119, "no worker in this test");
  return FALSE;
}

static GQuark
fake_error_quark (void)
{
  return CONVOKE_TOPOLOGY_ERROR;
}

static const ConvokeCoreApi fake_core = {
  .abi_version = CONVOKE_TOPOLOGY_ABI_VERSION,
  .struct_size = sizeof (ConvokeCoreApi),
  .room_get_sid = fake_room_get_sid,
  .room_get_name = fake_room_get_name,
  .room_get_type = fake_room_get_type,
  .room_get_max_participants = fake_room_get_max_participants,
  .room_get_option = fake_room_get_option,
  .room_list_participants = fake_room_list_participants,
  .room_find_participant = fake_room_find_participant,
  .participant_get_sid = fake_participant_get_sid,
  .participant_get_identity = fake_participant_get_identity,
  .participant_send = fake_participant_send,
  .participant_send_error = fake_participant_send_error,
  .participant_disconnect = fake_participant_disconnect,
  .worker_send = fake_worker_send,
  .error_quark = fake_error_quark,
};

typedef struct
{
  ConvokeLoadedModule *module;
  const ConvokeTopologyModule *vtable;
  ConvokeRoom room;
  gpointer room_data;
  gboolean room_created;
} Fixture;

static ConvokeParticipant *
add_participant (Fixture *f, const char *identity)
{
  ConvokeParticipant *p = g_new0 (ConvokeParticipant, 1);

  p->sid = g_strdup_printf ("PA%032x", f->room.participants->len + 1);
  p->identity = g_strdup (identity);
  p->connected = TRUE;
  p->inbox = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (f->room.participants, p);
  return p;
}

static void
participant_free (ConvokeParticipant *p)
{
  g_free (p->sid);
  g_free (p->identity);
  g_ptr_array_unref (p->inbox);
  g_free (p);
}

static void
fixture_set_up (Fixture *f, gconstpointer options)
{
  g_autofree char *path = g_build_filename (test_program ("CONVOKE_MODULE_DIR"),
                                            "libconvoke-topology-example.so", NULL);
  g_autoptr (GError) error = NULL;
  const char *const *pairs = options;

  /* Every ABI 1 member is present in a table of ABI 1's size. */
  g_assert_true (CONVOKE_CORE_API_HAS (&fake_core, error_quark));
  g_assert_true (CONVOKE_CORE_API_HAS (&fake_core, room_get_sid));

  f->module = convoke_module_open (path, &error);
  g_assert_no_error (error);
  f->vtable = f->module->vtable;
  g_assert_true (f->vtable->module_init (&fake_core, &error));
  g_assert_no_error (error);

  f->room.sid = "RM00000000000000000000000000000001";
  f->room.name = "standup";
  f->room.type = "demo";
  f->room.max_participants = 3;
  f->room.options = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
    g_hash_table_insert (f->room.options, (gpointer) pairs[i], (gpointer) pairs[i + 1]);
  f->room.participants
      = g_ptr_array_new_with_free_func ((GDestroyNotify) participant_free);
}

static void
create_room (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (f->vtable->room_create (&f->room, &f->room_data, &error));
  g_assert_no_error (error);
  f->room_created = TRUE;
}

static void
fixture_tear_down (Fixture *f, gconstpointer options)
{
  if (f->room_created)
    f->vtable->room_destroy (&f->room, f->room_data);
  g_ptr_array_unref (f->room.participants);
  g_hash_table_unref (f->room.options);
  convoke_loaded_module_free (f->module);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static const char *const no_options[] = { NULL };

static void
test_guests_refused_by_default (Fixture *f, gconstpointer options)
{
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *alice, *guest;

  create_room (f);
  alice = add_participant (f, "alice");
  guest = add_participant (f, "guest-bob");

  g_assert_true (f->vtable->participant_admit (&f->room, f->room_data, alice, &error));
  g_assert_no_error (error);

  g_assert_false (f->vtable->participant_admit (&f->room, f->room_data, guest, &error));
  g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, 53200);
  g_assert_nonnull (strstr (error->message, "“guest-bob”"));
  g_assert_nonnull (strstr (error->message, "“demo”"));
}

static const char *const allow_guests[] = { "allow-guests", "true", NULL };

static void
test_guests_allowed (Fixture *f, gconstpointer options)
{
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *guest;

  create_room (f);
  guest = add_participant (f, "guest-bob");
  g_assert_true (f->vtable->participant_admit (&f->room, f->room_data, guest, &error));
  g_assert_no_error (error);
}

static const char *const bad_allow_guests[] = { "allow-guests", "maybe", NULL };

static void
test_bad_option_refuses_room (Fixture *f, gconstpointer options)
{
  g_autoptr (GError) error = NULL;
  gpointer room_data = NULL;

  g_assert_false (f->vtable->room_create (&f->room, &room_data, &error));
  g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, 53114);
  g_assert_nonnull (strstr (error->message, "[type:demo] allow-guests=maybe"));
  g_assert_null (room_data);
}

static const char *const custom_greeting[] = { "greeting", "Hello, be nice", NULL };

static void
test_custom_greeting (Fixture *f, gconstpointer options)
{
  ConvokeParticipant *alice, *bob;

  create_room (f);
  alice = add_participant (f, "alice");
  bob = add_participant (f, "bob");
  f->vtable->participant_joined (&f->room, f->room_data, alice);

  g_assert_cmpuint (alice->inbox->len, ==, 1);
  g_assert_cmpstr (alice->inbox->pdata[0], ==,
                   "{\"type\":\"example-greeting\",\"message\":\"Hello, be nice\","
                   "\"max_participants\":3}");
  g_assert_cmpuint (bob->inbox->len, ==, 0);
}

static void
test_default_greeting (Fixture *f, gconstpointer options)
{
  g_autoptr (JsonObject) greeting = NULL;
  ConvokeParticipant *alice;

  create_room (f);
  alice = add_participant (f, "alice");
  f->vtable->participant_joined (&f->room, f->room_data, alice);

  g_assert_cmpuint (alice->inbox->len, ==, 1);
  greeting = parse_object (alice->inbox->pdata[0]);
  g_assert_cmpstr (json_object_get_string_member (greeting, "message"), ==,
                   "Welcome to standup");
}

static void
test_relay (Fixture *f, gconstpointer options)
{
  /* CRLFs and odd spacing must survive: SDP is relayed byte for byte. */
  static const char sdp[] = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=  -\r\nt=0 0\r\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) offer = json_object_new ();
  g_autoptr (JsonObject) candidate = NULL;
  g_autoptr (JsonObject) received = NULL;
  g_autofree char *candidate_text = NULL;
  ConvokeParticipant *alice, *bob, *carol;

  create_room (f);
  alice = add_participant (f, "alice");
  bob = add_participant (f, "bob");
  carol = add_participant (f, "carol");

  json_object_set_string_member (offer, "type", "offer");
  json_object_set_int_member (offer, "id", 7);
  json_object_set_string_member (offer, "to", bob->sid);
  json_object_set_string_member (offer, "sdp", sdp);
  g_assert_true (
      f->vtable->handle_message (&f->room, f->room_data, alice, "offer", offer, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (bob->inbox->len, ==, 1);
  g_assert_cmpuint (alice->inbox->len, ==, 0);
  g_assert_cmpuint (carol->inbox->len, ==, 0);
  received = parse_object (bob->inbox->pdata[0]);
  g_assert_cmpstr (json_object_get_string_member (received, "type"), ==, "offer");
  g_assert_cmpstr (json_object_get_string_member (received, "from"), ==, alice->sid);
  g_assert_cmpstr (json_object_get_string_member (received, "sdp"), ==, sdp);
  g_assert_false (json_object_has_member (received, "to"));
  g_assert_false (json_object_has_member (received, "id"));
  /* The sender's object is left as it was. */
  g_assert_cmpstr (json_object_get_string_member (offer, "to"), ==, bob->sid);

  candidate_text = g_strdup_printf (
      "{\"type\":\"candidate\",\"to\":\"%s\",\"candidate\":\"candidate:1 1 UDP "
      "2122252543 127.0.0.1 50000 typ host\",\"sdpMLineIndex\":0,\"sdpMid\":\"0\"}",
      alice->sid);
  candidate = parse_object (candidate_text);
  g_assert_true (f->vtable->handle_message (&f->room, f->room_data, carol, "candidate",
                                            candidate, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (alice->inbox->len, ==, 1);
  g_clear_pointer (&received, json_object_unref);
  received = parse_object (alice->inbox->pdata[0]);
  g_assert_cmpstr (json_object_get_string_member (received, "from"), ==, carol->sid);
  g_assert_cmpint (json_object_get_int_member (received, "sdpMLineIndex"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (received, "sdpMid"), ==, "0");
}

static void
assert_refused (Fixture *f, ConvokeParticipant *from, const char *type, const char *json,
                const char *what)
{
  g_autoptr (JsonObject) message = parse_object (json);
  g_autoptr (GError) error = NULL;

  g_assert_false (
      f->vtable->handle_message (&f->room, f->room_data, from, type, message, &error));
  g_test_message ("%s → %s", json, error ? error->message : "(no error)");
  g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, 53004);
  g_assert_nonnull (strstr (error->message, what));
}

static void
test_relay_refusals (Fixture *f, gconstpointer options)
{
  ConvokeParticipant *alice, *bob, *gone;
  g_autofree char *to_self = NULL;
  g_autofree char *to_gone = NULL;
  g_autofree char *no_sdp = NULL;

  create_room (f);
  alice = add_participant (f, "alice");
  bob = add_participant (f, "bob");
  gone = add_participant (f, "gone");
  gone->connected = FALSE;

  assert_refused (f, alice, "offer",
                  "{\"type\":\"offer\",\"to\":\"PA_nobody\",\"sdp\":\"v=0\"}",
                  "“PA_nobody”");
  assert_refused (f, alice, "offer", "{\"type\":\"offer\",\"sdp\":\"v=0\"}", "“to”");
  assert_refused (f, alice, "offer", "{\"type\":\"offer\",\"to\":42,\"sdp\":\"v=0\"}",
                  "“to”");
  to_self = g_strdup_printf ("{\"type\":\"answer\",\"to\":\"%s\",\"sdp\":\"v=0\"}",
                             alice->sid);
  assert_refused (f, alice, "answer", to_self, alice->sid);
  to_gone = g_strdup_printf ("{\"type\":\"answer\",\"to\":\"%s\",\"sdp\":\"v=0\"}",
                             gone->sid);
  assert_refused (f, alice, "answer", to_gone, gone->sid);
  no_sdp = g_strdup_printf ("{\"type\":\"offer\",\"to\":\"%s\",\"sdp\":[1]}", bob->sid);
  assert_refused (f, alice, "offer", no_sdp, "“sdp”");
  assert_refused (f, alice, "chat", "{\"type\":\"chat\",\"text\":\"hi\"}", "“chat”");

  /* Refusals go back through the return value only; nobody was sent
   * anything. */
  for (guint i = 0; i < f->room.participants->len; i++)
    g_assert_cmpuint (((ConvokeParticipant *) f->room.participants->pdata[i])->inbox->len,
                      ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/modules/example/guests-refused-by-default", Fixture, no_options,
              fixture_set_up, test_guests_refused_by_default, fixture_tear_down);
  g_test_add ("/modules/example/guests-allowed", Fixture, allow_guests, fixture_set_up,
              test_guests_allowed, fixture_tear_down);
  g_test_add ("/modules/example/bad-option-refuses-room", Fixture, bad_allow_guests,
              fixture_set_up, test_bad_option_refuses_room, fixture_tear_down);
  g_test_add ("/modules/example/custom-greeting", Fixture, custom_greeting,
              fixture_set_up, test_custom_greeting, fixture_tear_down);
  g_test_add ("/modules/example/default-greeting", Fixture, no_options, fixture_set_up,
              test_default_greeting, fixture_tear_down);
  g_test_add ("/modules/example/relay", Fixture, no_options, fixture_set_up, test_relay,
              fixture_tear_down);
  g_test_add ("/modules/example/relay-refusals", Fixture, no_options, fixture_set_up,
              test_relay_refusals, fixture_tear_down);
  return g_test_run ();
}
