/* The daemon's ConvokeCoreApi, on a real room registry with the example
 * module loaded: what a module reads through the table matches the
 * registry, and what it does through it (send, disconnect, worker_send)
 * reaches the participant's transport or fails cleanly.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "core-api.h"
#include "fake-transport.h"
#include "room-registry.h"
#include "twilio-error.h"

#include "test-daemon.h"

/* Stands in for a signaling connection. */
typedef struct
{
  ConvokeConfig *config;
  ConvokeModuleSet *modules;
  ConvokeRoomRegistry *registry;
  ConvokeRoom *room;
  const ConvokeCoreApi *api;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  static const char config_text[] = "[auth]\n"
                                    "api-key=" TEST_API_KEY "\n"
                                    "api-secret=" TEST_API_SECRET "\n"
                                    "[type:demo]\n"
                                    "module=example\n"
                                    "max-participants=3\n"
                                    "greeting=hi there\n";
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  g_autoptr (GError) error = NULL;

  f->api = convoke_core_api_get ();
  f->config = convoke_config_load_data (config_text, -1, "test-core-api", &error);
  g_assert_no_error (error);
  f->modules = convoke_module_set_new (f->api);
  g_assert_nonnull (convoke_module_set_require (
      f->modules, test_program ("CONVOKE_MODULE_DIR"), "example", &error));
  g_assert_no_error (error);
  f->registry = convoke_room_registry_new (f->config, f->modules);

  params.unique_name = "standup";
  params.type = "demo";
  f->room = convoke_room_registry_create_room (f->registry, &params, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->room);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  convoke_room_registry_end_room (f->registry, f->room, CONVOKE_ROOM_COMPLETED, NULL);
  g_clear_object (&f->registry);
  g_clear_pointer (&f->modules, convoke_module_set_free);
  g_clear_pointer (&f->config, convoke_config_unref);
}

static ConvokeParticipant *
join (Fixture *f, const char *identity, TestFakeTransport *transport)
{
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *p = convoke_room_registry_join (
      f->registry, "standup", identity, &test_fake_transport_vtable, transport, &error);

  g_assert_no_error (error);
  g_assert_nonnull (p);
  return p;
}

static void
test_version_fields (void)
{
  const ConvokeCoreApi *api = convoke_core_api_get ();

  g_assert_cmpuint (api->abi_version, ==, CONVOKE_TOPOLOGY_ABI_VERSION);
  g_assert_cmpuint (api->struct_size, ==, sizeof (ConvokeCoreApi));
  g_assert_true (api->error_quark () == CONVOKE_ERROR);
  g_assert_true (api->error_quark () == CONVOKE_TOPOLOGY_ERROR);
}

static void
test_room_fields (Fixture *f, gconstpointer data)
{
  const ConvokeCoreApi *api = f->api;

  g_assert_cmpstr (api->room_get_sid (f->room), ==, f->room->sid);
  g_assert_true (g_str_has_prefix (api->room_get_sid (f->room), "RM"));
  g_assert_cmpstr (api->room_get_name (f->room), ==, "standup");
  g_assert_cmpstr (api->room_get_type (f->room), ==, "demo");
  g_assert_cmpuint (api->room_get_max_participants (f->room), ==, 3);
  g_assert_cmpstr (api->room_get_option (f->room, "greeting"), ==, "hi there");
  g_assert_cmpstr (api->room_get_option (f->room, "module"), ==, "example");
  g_assert_null (api->room_get_option (f->room, "no-such-option"));
}

static void
test_participants (Fixture *f, gconstpointer data)
{
  const ConvokeCoreApi *api = f->api;
  g_autoptr (TestFakeTransport) alice_t = test_fake_transport_new ();
  g_autoptr (TestFakeTransport) bob_t = test_fake_transport_new ();
  ConvokeParticipant *alice, *bob;
  GList *list;

  alice = join (f, "alice", alice_t);
  bob = join (f, "bob", bob_t);

  g_assert_cmpstr (api->participant_get_identity (alice), ==, "alice");
  g_assert_cmpstr (api->participant_get_sid (alice), ==, alice->sid);

  list = api->room_list_participants (f->room);
  g_assert_cmpuint (g_list_length (list), ==, 2);
  g_assert_true (list->data == alice);
  g_assert_true (list->next->data == bob);
  g_list_free (list);

  g_assert_true (api->room_find_participant (f->room, bob->sid) == bob);
  /* Sids only: an identity is not an address. */
  g_assert_null (api->room_find_participant (f->room, "bob"));
  g_assert_null (api->room_find_participant (f->room, NULL));

  /* The example greeted each of them through participant_send(). */
  g_assert_cmpuint (alice_t->sent->len, >=, 1);
  g_assert_nonnull (strstr (alice_t->sent->pdata[0], "\"hi there\""));

  convoke_room_registry_leave (f->registry, bob);
  list = api->room_list_participants (f->room);
  g_assert_cmpuint (g_list_length (list), ==, 1);
  g_assert_true (list->data == alice);
  g_list_free (list);
  g_assert_null (api->room_find_participant (f->room, bob->sid));

  convoke_room_registry_leave (f->registry, alice);
}

static void
test_disconnect (Fixture *f, gconstpointer data)
{
  const ConvokeCoreApi *api = f->api;
  g_autoptr (TestFakeTransport) alice_t = test_fake_transport_new ();
  ConvokeParticipant *alice = join (f, "alice", alice_t);
  guint sent_before;
  GList *list;

  api->participant_disconnect (alice, 53205, "replaced by the test");
  g_assert_cmpint (alice_t->close_code, ==, 53205);
  g_assert_cmpstr (alice_t->close_reason, ==, "replaced by the test");
  g_assert_cmpint (alice->status, ==, CONVOKE_PARTICIPANT_DISCONNECTED);
  list = api->room_list_participants (f->room);
  g_assert_null (list);

  /* Once gone, the participant is left alone: no second close, and
   * sending does nothing. */
  alice_t->close_code = 0;
  sent_before = alice_t->sent->len;
  api->participant_disconnect (alice, 53205, "again");
  g_assert_cmpint (alice_t->close_code, ==, 0);
  {
    g_autoptr (JsonObject) message = json_object_new ();

    json_object_set_string_member (message, "type", "late");
    api->participant_send (alice, message);
  }
  g_assert_cmpuint (alice_t->sent->len, ==, sent_before);
}

static void
test_worker_send_without_worker (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonObject) message = json_object_new ();
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (message, "type", "hello");
  g_assert_false (f->api->worker_send (f->room, message, &error));
  g_assert_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED);
  g_assert_nonnull (strstr (error->message, f->room->sid));
}

static void
test_admit_refusal_reaches_joiner (Fixture *f, gconstpointer data)
{
  g_autoptr (TestFakeTransport) guest_t = test_fake_transport_new ();
  g_autoptr (GError) error = NULL;
  GList *list;

  g_assert_null (convoke_room_registry_join (
      f->registry, "standup", "guest-eve", &test_fake_transport_vtable, guest_t, &error));
  g_assert_error (error, CONVOKE_ERROR, 53200);
  g_assert_nonnull (strstr (error->message, "guest-eve"));
  list = f->api->room_list_participants (f->room);
  g_assert_null (list);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/modules/core-api/version-fields", test_version_fields);
  g_test_add ("/modules/core-api/room-fields", Fixture, NULL, fixture_set_up,
              test_room_fields, fixture_tear_down);
  g_test_add ("/modules/core-api/participants", Fixture, NULL, fixture_set_up,
              test_participants, fixture_tear_down);
  g_test_add ("/modules/core-api/disconnect", Fixture, NULL, fixture_set_up,
              test_disconnect, fixture_tear_down);
  g_test_add ("/modules/core-api/worker-send-without-worker", Fixture, NULL,
              fixture_set_up, test_worker_send_without_worker, fixture_tear_down);
  g_test_add ("/modules/core-api/admit-refusal", Fixture, NULL, fixture_set_up,
              test_admit_refusal_reaches_joiner, fixture_tear_down);
  return g_test_run ();
}
