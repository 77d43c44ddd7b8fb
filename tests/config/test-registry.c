/* The room registry in process, with a recording topology module and fake
 * participant transports: joins, limits, duplicate identities, kicks, the
 * end of a room, the empty/unused room timers and pending types.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <locale.h>
#include <string.h>

#include "core-api.h"
#include "fake-transport.h"
#include "metrics.h"
#include "room-registry.h"
#include "test-time.h"
#include "twilio-error.h"

#define CONFIG_TEXT                                                                      \
  "[auth]\napi-key=SK00000000000000000000000000000001\n"                                 \
  "api-secret=0123456789abcdef0123\n"                                                    \
  "[rooms]\ndefault-type=t\nempty-room-timeout=2\nunused-room-timeout=3\n"               \
  "[type:t]\nmodule=registrytest\nmax-participants=3\n"                                  \
  "[type:small]\nmodule=registrytest\nmax-participants=1\n"                              \
  "[type:t2]\nmodule=registrytest\n"                                                     \
  "[room:standup]\ntype=t\n"

/* One "minute" of room timeouts in this test. */
#define UNIT_MS 20

typedef struct
{
  ConvokeModuleSet *modules;
  ConvokeRoomRegistry *registry;
  GString *events; /* the registry's signals, one line each */
  GString **module_log;
  TestFakeTransport transports[6];
} Fixture;

static void
on_room (ConvokeRoomRegistry *registry, ConvokeRoom *room, gpointer data)
{
  Fixture *f = data;
  g_string_append_printf (f->events, "room %s %s\n", room->unique_name,
                          convoke_room_status_to_string (room->status));
}

static void
on_participant (ConvokeRoomRegistry *registry, ConvokeParticipant *p, gpointer data)
{
  Fixture *f = data;
  g_string_append_printf (f->events, "participant %s %s\n", p->identity,
                          convoke_participant_status_to_string (p->status));
}

static void
on_track (ConvokeRoomRegistry *registry, ConvokeParticipant *p, ConvokeTrack *track,
          gpointer data)
{
  Fixture *f = data;
  g_string_append_printf (f->events, "track %s %s %s\n", p->identity, track->kind,
                          track->name);
}

static ConvokeConfig *
load_config (const char *extra)
{
  g_autofree char *text = g_strconcat (CONFIG_TEXT, extra, NULL);
  g_autoptr (GError) error = NULL;
  ConvokeConfig *config = convoke_config_load_data (text, -1, "test.conf", &error);

  g_assert_no_error (error);
  return config;
}

static void
fixture_set_up_with (Fixture *f, const char *extra)
{
  g_autoptr (ConvokeConfig) config = load_config (extra);
  g_autoptr (GError) error = NULL;
  const ConvokeLoadedModule *module;

  f->modules = convoke_module_set_new (convoke_core_api_get ());
  module
      = convoke_module_set_require (f->modules, TEST_MODULE_DIR, "registrytest", &error);
  g_assert_no_error (error);
  g_assert_true (
      g_module_symbol (module->gmodule, "registrytest_log", (gpointer *)&f->module_log));
  g_string_truncate (*f->module_log, 0);
  f->registry = convoke_room_registry_new (config, f->modules);
  f->events = g_string_new (NULL);
  g_signal_connect (f->registry, "room-created", G_CALLBACK (on_room), f);
  g_signal_connect (f->registry, "room-ended", G_CALLBACK (on_room), f);
  g_signal_connect (f->registry, "participant-connected", G_CALLBACK (on_participant), f);
  g_signal_connect (f->registry, "participant-disconnected", G_CALLBACK (on_participant),
                    f);
  g_signal_connect (f->registry, "track-added", G_CALLBACK (on_track), f);
  g_signal_connect (f->registry, "track-removed", G_CALLBACK (on_track), f);
  for (gsize i = 0; i < G_N_ELEMENTS (f->transports); i++)
    test_fake_transport_init (&f->transports[i]);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  fixture_set_up_with (f, data);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->registry);
  g_clear_pointer (&f->modules, convoke_module_set_free);
  g_string_free (f->events, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (f->transports); i++)
    test_fake_transport_clear (&f->transports[i]);
}

static ConvokeParticipant *
join (Fixture *f, const char *room, const char *identity, guint transport, GError **error)
{
  return convoke_room_registry_join (f->registry, room, identity,
                                     &test_fake_transport_vtable,
                                     &f->transports[transport], error);
}

static ConvokeParticipant *
join_ok (Fixture *f, const char *room, const char *identity, guint transport)
{
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *p = join (f, room, identity, transport, &error);

  g_assert_no_error (error);
  g_assert_nonnull (p);
  return p;
}

static guint
count_rooms (Fixture *f, const char *status, const char *name)
{
  g_autoptr (GPtrArray) rooms = convoke_room_registry_list (f->registry, status, name);
  return rooms->len;
}

static void
test_join_creates_room (Fixture *f, gconstpointer data)
{
  ConvokeParticipant *alice = join_ok (f, "alpha", "alice", 0);
  ConvokeRoom *room = alice->room;

  g_assert_cmpstr (room->unique_name, ==, "alpha");
  g_assert_cmpstr (room->type->name, ==, "t");
  g_assert_cmpint (room->status, ==, CONVOKE_ROOM_IN_PROGRESS);
  g_assert_cmpuint (room->max_participants, ==, 3);
  g_assert_cmpuint (room->empty_room_timeout, ==, 2);
  g_assert_cmpuint (room->unused_room_timeout, ==, 3);
  g_assert_true (room->ever_joined);
  g_assert_true (g_str_has_prefix (room->sid, "RM"));
  g_assert_true (g_str_has_prefix (alice->sid, "PA"));
  g_assert_nonnull (alice->start_time);
  g_assert_null (alice->end_time);
  g_assert_cmpint (alice->status, ==, CONVOKE_PARTICIPANT_CONNECTED);
  g_assert_true (convoke_room_registry_lookup (f->registry, "alpha") == room);
  g_assert_true (convoke_room_registry_lookup (f->registry, room->sid) == room);
  g_assert_true (convoke_room_find_participant (room, "alice", TRUE) == alice);
  g_assert_true (convoke_room_find_participant (room, alice->sid, TRUE) == alice);
  g_assert_cmpstr (f->events->str, ==,
                   "room alpha in-progress\nparticipant alice connected\n");
  g_assert_cmpstr ((*f->module_log)->str, ==, "create alpha\njoined alice\n");

  /* Joining by sid reaches the same room. */
  g_assert_true (join_ok (f, room->sid, "bob", 1)->room == room);
  g_assert_cmpuint (convoke_room_count_connected (room), ==, 2);
}

static void
test_max_participants (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *a = join_ok (f, "full", "a", 0);

  join_ok (f, "full", "b", 1);
  join_ok (f, "full", "c", 2);
  g_assert_null (join (f, "full", "d", 3, &error));
  g_assert_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "full"));
  /* The others are untouched. */
  g_assert_cmpuint (convoke_room_count_connected (a->room), ==, 3);
  g_assert_cmpuint (a->room->participants->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (f->transports[i].closes, ==, 0);
  g_assert_null (strstr ((*f->module_log)->str, "joined d"));

  /* A place frees up when someone leaves. */
  convoke_room_registry_leave (f->registry, a);
  join_ok (f, "full", "d", 3);
}

static void
test_duplicate_identity (Fixture *f, gconstpointer data)
{
  ConvokeParticipant *first = join_ok (f, "dup", "alice", 0);
  ConvokeParticipant *second = join_ok (f, "dup", "alice", 1);

  g_assert_true (first != second);
  g_assert_cmpuint (f->transports[0].closes, ==, 1);
  g_assert_cmpint (f->transports[0].close_code, ==,
                   CONVOKE_ERROR_PARTICIPANT_DUPLICATE_IDENTITY);
  g_assert_cmpuint (f->transports[1].closes, ==, 0);
  g_assert_cmpint (first->status, ==, CONVOKE_PARTICIPANT_DISCONNECTED);
  g_assert_nonnull (first->end_time);
  g_assert_cmpint (second->status, ==, CONVOKE_PARTICIPANT_CONNECTED);
  g_assert_cmpuint (convoke_room_count_connected (second->room), ==, 1);
  g_assert_true (convoke_room_find_participant (second->room, "alice", FALSE) == second);
  g_assert_cmpstr ((*f->module_log)->str, ==,
                   "create dup\njoined alice\nleft alice\njoined alice\n");
}

/* A rejoining identity replaces itself even in a full room. */
static void
test_duplicate_identity_in_full_room (Fixture *f, gconstpointer data)
{
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  g_autoptr (GError) error = NULL;

  params.unique_name = "solo";
  params.type = "small";
  g_assert_nonnull (convoke_room_registry_create_room (f->registry, &params, &error));
  join_ok (f, "solo", "alice", 0);
  g_assert_null (join (f, "solo", "bob", 1, &error));
  g_assert_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_EXCEEDED);
  join_ok (f, "solo", "alice", 2);
  g_assert_cmpint (f->transports[0].close_code, ==,
                   CONVOKE_ERROR_PARTICIPANT_DUPLICATE_IDENTITY);
}

static void
test_admit_refusal (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *ok = join_ok (f, "club", "member", 0);

  g_assert_null (join (f, "club", "banned-eve", 1, &error));
  g_assert_error (error, CONVOKE_ERROR, CONVOKE_ERROR_PARTICIPANT_IDENTITY_INVALID);
  g_assert_cmpuint (ok->room->participants->len, ==, 1);
  g_assert_null (strstr (f->events->str, "banned-eve"));
}

static void
test_bad_identity_and_room (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  g_autofree char *long_name = g_strnfill (129, 'x');

  g_assert_null (join (f, "r", "", 0, &e1));
  g_assert_error (e1, CONVOKE_ERROR, CONVOKE_ERROR_PARTICIPANT_IDENTITY_INVALID);
  g_assert_null (join (f, "r", "\xff\xfe", 0, &e2));
  g_assert_error (e2, CONVOKE_ERROR, CONVOKE_ERROR_PARTICIPANT_IDENTITY_INVALID);
  g_assert_null (join (f, long_name, "alice", 0, &e3));
  g_assert_error (e3, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_NAME_TOO_LONG);
  g_assert_cmpuint (f->events->len, ==, 0);
}

static void
test_leave_and_kick (Fixture *f, gconstpointer data)
{
  ConvokeParticipant *alice = join_ok (f, "k", "alice", 0);
  ConvokeParticipant *bob = join_ok (f, "k", "bob", 1);

  convoke_room_registry_leave (f->registry, alice);
  convoke_room_registry_leave (f->registry, alice);
  g_assert_cmpint (alice->status, ==, CONVOKE_PARTICIPANT_DISCONNECTED);
  g_assert_nonnull (alice->end_time);
  g_assert_null (alice->transport);
  /* Leaving is the participant's own doing: nothing to close. */
  g_assert_cmpuint (f->transports[0].closes, ==, 0);

  convoke_room_registry_kick (f->registry, bob);
  g_assert_cmpuint (f->transports[1].closes, ==, 1);
  g_assert_cmpint (f->transports[1].close_code, ==, CONVOKE_ERROR_PARTICIPANT_REMOVED);
  g_assert_cmpint (bob->status, ==, CONVOKE_PARTICIPANT_DISCONNECTED);
  convoke_room_registry_kick (f->registry, bob);
  g_assert_cmpuint (f->transports[1].closes, ==, 1);
  g_assert_cmpstr (f->events->str, ==,
                   "room k in-progress\nparticipant alice connected\n"
                   "participant bob connected\nparticipant alice disconnected\n"
                   "participant bob disconnected\n");
}

static void
test_end_room (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *alice = join_ok (f, "end", "alice", 0);
  ConvokeRoom *room = alice->room;
  ConvokeParticipant *again;

  join_ok (f, "end", "bob", 1);
  convoke_room_registry_end_room (f->registry, room, CONVOKE_ROOM_COMPLETED, NULL);
  g_assert_cmpint (room->status, ==, CONVOKE_ROOM_COMPLETED);
  g_assert_nonnull (room->end_time);
  g_assert_cmpuint (room->timeout_source, ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpuint (f->transports[i].closes, ==, 1);
      g_assert_cmpint (f->transports[i].close_code, ==, CONVOKE_ERROR_ROOM_COMPLETED);
    }
  g_assert_cmpuint (convoke_room_count_connected (room), ==, 0);
  g_assert_true (g_str_has_suffix (f->events->str, "room end completed\n"));
  g_assert_true (g_str_has_suffix ((*f->module_log)->str, "destroy end\n"));

  /* Idempotent. */
  convoke_room_registry_end_room (f->registry, room, CONVOKE_ROOM_FAILED, "late");
  g_assert_cmpint (room->status, ==, CONVOKE_ROOM_COMPLETED);
  g_assert_null (room->failure_reason);

  /* The name is free again; the sid still finds the ended room. */
  g_assert_true (convoke_room_registry_lookup (f->registry, room->sid) == room);
  g_assert_null (convoke_room_registry_lookup (f->registry, "end"));
  g_assert_null (join (f, room->sid, "carol", 2, &error));
  g_assert_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_COMPLETED);
  again = join_ok (f, "end", "carol", 2);
  g_assert_true (again->room != room);
  g_assert_cmpuint (count_rooms (f, "completed", "end"), ==, 1);
}

static void
test_failed_room (Fixture *f, gconstpointer data)
{
  ConvokeParticipant *alice = join_ok (f, "boom", "alice", 0);

  convoke_room_registry_end_room (f->registry, alice->room, CONVOKE_ROOM_FAILED,
                                  "media worker crashed");
  g_assert_cmpint (alice->room->status, ==, CONVOKE_ROOM_FAILED);
  g_assert_cmpstr (alice->room->failure_reason, ==, "media worker crashed");
  g_assert_cmpint (f->transports[0].close_code, ==, CONVOKE_ERROR_ROOM_MEDIA_FAILED);
  g_assert_cmpstr (f->transports[0].close_reason, ==, "media worker crashed");
}

static void
test_auto_create_off (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  ConvokeParticipant *p;

  g_assert_false (convoke_room_registry_get_config (f->registry)->auto_create);
  g_assert_null (join (f, "nope", "alice", 0, &e1));
  g_assert_error (e1, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_NOT_FOUND);
  g_assert_nonnull (strstr (e1->message, "nope"));
  /* Named rooms open on first join regardless. */
  p = join_ok (f, "standup", "alice", 0);
  g_assert_cmpstr (p->room->type->name, ==, "t");
  /* An unknown sid never becomes a room name. */
  g_assert_null (join (f, "RM0123456789abcdef0123456789abcdef", "bob", 1, &e2));
  g_assert_error (e2, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_NOT_FOUND);
}

static void
test_create_errors (Fixture *f, gconstpointer data)
{
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  struct
  {
    const char *name, *type;
    gint max, empty;
    gboolean record;
    int code;
  } cases[] = {
    { "taken", NULL, -1, -1, FALSE, CONVOKE_ERROR_ROOM_EXISTS },
    { "x1", "huge", -1, -1, FALSE, CONVOKE_ERROR_ROOM_TYPE_INVALID },
    { "x2", NULL, 0, -1, FALSE, CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_OUT_OF_RANGE },
    { "x3", NULL, 4, -1, FALSE, CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_OUT_OF_RANGE },
    { "x4", NULL, -1, 61, FALSE, CONVOKE_ERROR_ROOM_TIMEOUT_OUT_OF_RANGE },
    { "x5", NULL, -1, 0, FALSE, CONVOKE_ERROR_ROOM_TIMEOUT_OUT_OF_RANGE },
    { "x6", NULL, -1, -1, TRUE, CONVOKE_ERROR_ROOM_RECORDING_NOT_SUPPORTED },
    { "refuse-me", NULL, -1, -1, FALSE, 53114 },
    { "a/b", NULL, -1, -1, FALSE, CONVOKE_ERROR_ROOM_NAME_INVALID },
  };
  g_autoptr (GError) error = NULL;
  guint rooms_before;

  params.unique_name = "taken";
  g_assert_nonnull (convoke_room_registry_create_room (f->registry, &params, &error));
  g_assert_no_error (error);
  rooms_before = count_rooms (f, NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ConvokeRoomCreateParams p = CONVOKE_ROOM_CREATE_PARAMS_INIT;
      g_autoptr (GError) e = NULL;

      p.unique_name = cases[i].name;
      p.type = cases[i].type;
      p.max_participants = cases[i].max;
      p.empty_room_timeout = cases[i].empty;
      p.record_participants_on_connect = cases[i].record;
      p.record_set = cases[i].record;
      g_assert_null (convoke_room_registry_create_room (f->registry, &p, &e));
      g_test_message ("%s: %s", cases[i].name, e->message);
      g_assert_error (e, CONVOKE_ERROR, cases[i].code);
    }
  g_assert_cmpuint (count_rooms (f, NULL, NULL), ==, rooms_before);
}

static void
test_create_defaults (Fixture *f, gconstpointer data)
{
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  g_autoptr (GError) error = NULL;
  ConvokeRoom *room;

  params.max_participants = 2;
  params.empty_room_timeout = 7;
  params.status_callback = "http://127.0.0.1:1/cb";
  room = convoke_room_registry_create_room (f->registry, &params, &error);
  g_assert_no_error (error);
  /* No UniqueName: the sid stands in, as with Twilio. */
  g_assert_cmpstr (room->unique_name, ==, room->sid);
  g_assert_cmpuint (room->max_participants, ==, 2);
  g_assert_cmpuint (room->empty_room_timeout, ==, 7);
  g_assert_cmpuint (room->unused_room_timeout, ==, 3);
  g_assert_cmpstr (room->status_callback_method, ==, "POST");
  g_assert_false (room->ever_joined);
  g_assert_cmpuint (room->timeout_source, !=, 0);
}

typedef struct
{
  ConvokeRoom *room;
  ConvokeRoomStatus status;
} StatusWait;

static gboolean
room_has_status (gpointer data)
{
  StatusWait *w = data;
  return w->room->status == w->status;
}

static gboolean
wait_for_status (ConvokeRoom *room, ConvokeRoomStatus status, guint timeout_ms)
{
  StatusWait w = { room, status };
  gint64 deadline = test_deadline (timeout_ms);

  while (!room_has_status (&w) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return room_has_status (&w);
}

/* Runs the main context for @ms: an observation window, not scaled. */
static void
spin (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

static void
test_unused_room_timeout (Fixture *f, gconstpointer data)
{
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  ConvokeRoom *room;

  params.unique_name = "unused";
  params.unused_room_timeout = 2;
  room = convoke_room_registry_create_room (f->registry, &params, &error);
  g_assert_no_error (error);
  g_assert_true (wait_for_status (room, CONVOKE_ROOM_COMPLETED, 5000));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (2 * UNIT_MS - 5) * 1000);
  g_assert_nonnull (room->end_time);
  g_assert_true (g_str_has_suffix ((*f->module_log)->str, "destroy unused\n"));
}

static void
test_empty_room_timeout (Fixture *f, gconstpointer data)
{
  ConvokeParticipant *alice = join_ok (f, "empty", "alice", 0);
  ConvokeRoom *room = alice->room;
  ConvokeParticipant *again;

  /* A join cancels the unused-room timer for good. */
  spin (5 * UNIT_MS);
  g_assert_cmpint (room->status, ==, CONVOKE_ROOM_IN_PROGRESS);

  /* Rejoining before the empty-room timer fires keeps the room. */
  convoke_room_registry_leave (f->registry, alice);
  again = join_ok (f, "empty", "alice", 1);
  g_assert_true (again->room == room);
  spin (4 * UNIT_MS);
  g_assert_cmpint (room->status, ==, CONVOKE_ROOM_IN_PROGRESS);

  convoke_room_registry_leave (f->registry, again);
  g_assert_true (wait_for_status (room, CONVOKE_ROOM_COMPLETED, 5000));
  g_assert_cmpuint (f->transports[1].closes, ==, 0);
}

static void
test_pending_type (Fixture *f, gconstpointer data)
{
  g_autoptr (ConvokeConfig) to_t2 = load_config ("[room:standup]\ntype=t2\n");
  g_autoptr (ConvokeConfig) back = load_config ("");
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *alice = join_ok (f, "standup", "alice", 0);
  ConvokeRoom *room = alice->room;
  ConvokeRoom *other, *next;

  /* A REST room with an explicit type is not a named room's business. */
  params.unique_name = "adhoc";
  params.type = "small";
  other = convoke_room_registry_create_room (f->registry, &params, &error);
  g_assert_no_error (error);

  convoke_room_registry_set_config (f->registry, to_t2);
  g_assert_true (convoke_room_registry_get_config (f->registry) == to_t2);
  g_assert_cmpstr (room->type->name, ==, "t");
  g_assert_cmpstr (room->pending_type, ==, "t2");
  g_assert_null (other->pending_type);
  /* Nobody was dropped. */
  g_assert_cmpint (alice->status, ==, CONVOKE_PARTICIPANT_CONNECTED);
  g_assert_cmpuint (f->transports[0].closes, ==, 0);

  convoke_room_registry_set_config (f->registry, back);
  g_assert_null (room->pending_type);
  convoke_room_registry_set_config (f->registry, to_t2);
  g_assert_cmpstr (room->pending_type, ==, "t2");

  convoke_room_registry_end_room (f->registry, room, CONVOKE_ROOM_COMPLETED, NULL);
  g_assert_null (room->pending_type);
  next = join_ok (f, "standup", "alice", 1)->room;
  g_assert_true (next != room);
  g_assert_cmpstr (next->type->name, ==, "t2");
  g_assert_null (next->pending_type);
  /* The ended room keeps the type it ran with. */
  g_assert_cmpstr (room->type->name, ==, "t");
}

static void
test_tracks (Fixture *f, gconstpointer data)
{
  ConvokeParticipant *alice = join_ok (f, "tracks", "alice", 0);
  ConvokeTrack *camera = convoke_participant_add_track (alice, "camera", "video");
  ConvokeTrack *mic = convoke_participant_add_track (alice, "mic", "audio");
  g_autofree char *mic_sid = NULL;

  g_assert_nonnull (camera);
  g_assert_nonnull (mic);
  g_assert_true (g_str_has_prefix (camera->sid, "MT"));
  g_assert_true (camera->enabled);
  g_assert_null (convoke_participant_add_track (alice, "x", "smell"));
  g_assert_null (convoke_participant_add_track (alice, "x", NULL));
  g_assert_cmpuint (alice->published_tracks->len, ==, 2);

  g_assert_true (convoke_participant_remove_track (alice, camera->sid));
  g_assert_false (convoke_participant_remove_track (alice, "MTnope"));
  g_assert_cmpuint (alice->published_tracks->len, ==, 1);
  mic_sid = g_strdup (mic->sid);

  /* Leaving unpublishes what is left. */
  convoke_room_registry_leave (f->registry, alice);
  g_assert_cmpuint (alice->published_tracks->len, ==, 0);
  g_assert_null (convoke_participant_add_track (alice, "late", "audio"));
  g_assert_cmpstr (f->events->str, ==,
                   "room tracks in-progress\nparticipant alice connected\n"
                   "track alice video camera\ntrack alice audio mic\n"
                   "track alice video camera\ntrack alice audio mic\n"
                   "participant alice disconnected\n");
}

static void
test_dispatch (Fixture *f, gconstpointer data)
{
  ConvokeParticipant *alice = join_ok (f, "msg", "alice", 0);
  g_autoptr (JsonObject) message = json_object_new ();
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;

  json_object_set_string_member (message, "type", "echo");
  json_object_set_string_member (message, "text", "héllo");
  g_assert_true (
      convoke_room_registry_dispatch (f->registry, alice, "echo", message, NULL));
  g_assert_cmpuint (f->transports[0].sent->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->transports[0].sent, 0), ==,
                   "{\"type\":\"echo\",\"text\":\"héllo\"}");

  g_assert_false (
      convoke_room_registry_dispatch (f->registry, alice, "what", message, &e1));
  g_assert_error (e1, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE);

  convoke_participant_send_error (alice, 53004, "bad");
  g_assert_cmpstr (g_ptr_array_index (f->transports[0].sent, 1), ==,
                   "{\"type\":\"error\",\"code\":53004,\"message\":\"bad\"}");

  convoke_room_registry_leave (f->registry, alice);
  g_assert_false (
      convoke_room_registry_dispatch (f->registry, alice, "echo", message, &e2));
  g_assert_error (e2, CONVOKE_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE);
  /* Nothing reaches a participant that left. */
  convoke_participant_send (alice, message);
  g_assert_cmpuint (f->transports[0].sent->len, ==, 2);
}

static void
test_list (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) progress = NULL;
  ConvokeRoom *first = join_ok (f, "one", "a", 0)->room;
  ConvokeRoom *second = join_ok (f, "two", "b", 1)->room;

  convoke_room_registry_end_room (f->registry, first, CONVOKE_ROOM_COMPLETED, NULL);
  all = convoke_room_registry_list (f->registry, NULL, NULL);
  progress = convoke_room_registry_list (f->registry, "in-progress", NULL);
  g_assert_cmpuint (all->len, ==, 2);
  /* Newest first. */
  g_assert_true (g_ptr_array_index (all, 0) == second);
  g_assert_cmpuint (progress->len, ==, 1);
  g_assert_true (g_ptr_array_index (progress, 0) == second);
}

static void
assert_line (const char *text, const char *line)
{
  g_autofree char *needle = g_strconcat ("\n", line, "\n", NULL);

  if (strstr (text, needle) == NULL)
    g_error ("“%s” is not a line of:\n%s", line, text);
}

static void
test_metrics (Fixture *f, gconstpointer data)
{
  ConvokeMetrics *metrics = convoke_metrics_new (f->registry);
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  g_autofree char *text = NULL;
  ConvokeRoom *ended;

  join_ok (f, "m1", "a", 0);
  join_ok (f, "m1", "b", 1);
  ended = join_ok (f, "m2", "c", 2)->room;
  convoke_room_registry_end_room (f->registry, ended, CONVOKE_ROOM_COMPLETED, NULL);
  params.type = "small";
  g_assert_nonnull (convoke_room_registry_create_room (f->registry, &params, NULL));
  convoke_metrics_count_error (metrics, "rest", 20003);
  convoke_metrics_count_error (metrics, "rest", 20003);
  convoke_metrics_count_error (metrics, "signaling", 53004);

  text = convoke_metrics_render (metrics);
  assert_line (text, "# TYPE convoke_rooms gauge");
  assert_line (text, "convoke_rooms{type=\"t\",status=\"in-progress\"} 1");
  assert_line (text, "convoke_rooms{type=\"t\",status=\"completed\"} 1");
  assert_line (text, "convoke_rooms{type=\"small\",status=\"in-progress\"} 1");
  /* Configured types show up before their first room. */
  assert_line (text, "convoke_rooms{type=\"t2\",status=\"failed\"} 0");
  assert_line (text, "convoke_participants_connected 2");
  assert_line (text, "convoke_workers_running 0");
  assert_line (text, "# TYPE convoke_errors_total counter");
  assert_line (text, "convoke_errors_total{surface=\"rest\",code=\"20003\"} 2");
  assert_line (text, "convoke_errors_total{surface=\"signaling\",code=\"53004\"} 1");
  g_assert_true (g_str_has_suffix (text, "\n"));
  convoke_metrics_free (metrics);
}

int
main (int argc, char **argv)
{
  g_autofree char *unit = g_strdup_printf ("%d", UNIT_MS);

  setlocale (LC_ALL, "C.UTF-8");
  /* Read when the registry is created. */
  g_setenv ("CONVOKE_TIMEOUT_UNIT_MS", unit, TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, extra)                                                           \
  g_test_add ("/registry/" path, Fixture, extra, fixture_set_up, func, fixture_tear_down)
  ADD ("join-creates-room", test_join_creates_room, "");
  ADD ("max-participants", test_max_participants, "");
  ADD ("duplicate-identity", test_duplicate_identity, "");
  ADD ("duplicate-identity-in-full-room", test_duplicate_identity_in_full_room, "");
  ADD ("admit-refusal", test_admit_refusal, "");
  ADD ("bad-identity-and-room", test_bad_identity_and_room, "");
  ADD ("leave-and-kick", test_leave_and_kick, "");
  ADD ("end-room", test_end_room, "");
  ADD ("failed-room", test_failed_room, "");
  ADD ("auto-create-off", test_auto_create_off, "[rooms]\nauto-create=false\n");
  ADD ("create-errors", test_create_errors, "");
  ADD ("create-defaults", test_create_defaults, "");
  ADD ("unused-room-timeout", test_unused_room_timeout, "");
  ADD ("empty-room-timeout", test_empty_room_timeout, "");
  ADD ("pending-type", test_pending_type, "");
  ADD ("tracks", test_tracks, "");
  ADD ("dispatch", test_dispatch, "");
  ADD ("list", test_list, "");
  ADD ("metrics", test_metrics, "");
#undef ADD
  return g_test_run ();
}
