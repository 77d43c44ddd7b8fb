/* The ConvokeCoreApi functions added in 1.1 and 1.2 for the group module,
 * on a real room registry (the example module's rooms): the participant's
 * trickle flag; track publication on a participant's behalf, which must
 * reach REST's bookkeeping and the registry's signals like a
 * `track-published` does, and never list one kind of media twice; and
 * subscriptions, which REST lists as the publisher's tracks.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "core-api.h"
#include "fake-transport.h"
#include "room-participants.h"
#include "room-registry.h"

#include "test-daemon.h"

typedef struct
{
  ConvokeConfig *config;
  ConvokeModuleSet *modules;
  ConvokeRoomRegistry *registry;
  ConvokeRoom *room;
  const ConvokeCoreApi *api;
  GPtrArray *events; /* char*: "added PA… audio MT…", "removed PA… MT…" */
  /* Participants' connections: the room closes them when it ends, after
   * the test function returned. */
  TestFakeTransport transports[3];
} Fixture;

static void
on_track_added (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                ConvokeTrack *track, Fixture *f)
{
  g_ptr_array_add (f->events, g_strdup_printf ("added %s %s %s", participant->sid,
                                               track->kind, track->sid));
}

static void
on_track_removed (ConvokeRoomRegistry *registry, ConvokeParticipant *participant,
                  ConvokeTrack *track, Fixture *f)
{
  g_ptr_array_add (f->events,
                   g_strdup_printf ("removed %s %s", participant->sid, track->sid));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  static const char config_text[] = "[auth]\n"
                                    "api-key=" TEST_API_KEY "\n"
                                    "api-secret=" TEST_API_SECRET "\n"
                                    "[type:demo]\n"
                                    "module=example\n";
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  g_autoptr (GError) error = NULL;

  f->api = convoke_core_api_get ();
  f->events = g_ptr_array_new_with_free_func (g_free);
  /* The first one trickles (test_trickle's alice, everyone elsewhere). */
  f->transports[0].trickle = TRUE;
  f->config = convoke_config_load_data (config_text, -1, "group-core-api", &error);
  g_assert_no_error (error);
  f->modules = convoke_module_set_new (f->api);
  g_assert_nonnull (convoke_module_set_require (
      f->modules, test_program ("CONVOKE_MODULE_DIR"), "example", &error));
  g_assert_no_error (error);
  f->registry = convoke_room_registry_new (f->config, f->modules);
  g_signal_connect (f->registry, "track-added", G_CALLBACK (on_track_added), f);
  g_signal_connect (f->registry, "track-removed", G_CALLBACK (on_track_removed), f);

  params.unique_name = "standup";
  params.type = "demo";
  f->room = convoke_room_registry_create_room (f->registry, &params, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  convoke_room_registry_end_room (f->registry, f->room, CONVOKE_ROOM_COMPLETED, NULL);
  g_clear_object (&f->registry);
  g_clear_pointer (&f->modules, convoke_module_set_free);
  g_clear_pointer (&f->config, convoke_config_unref);
  g_ptr_array_unref (f->events);
  for (guint i = 0; i < G_N_ELEMENTS (f->transports); i++)
    test_fake_transport_clear (&f->transports[i]);
}

static ConvokeParticipant *
join (Fixture *f, const char *identity, const ConvokeParticipantTransport *vtable,
      TestFakeTransport *transport)
{
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *p = convoke_room_registry_join (f->registry, "standup", identity,
                                                      vtable, transport, &error);

  g_assert_no_error (error);
  g_assert_nonnull (p);
  return p;
}

static void
test_available (void)
{
  const ConvokeCoreApi *api = convoke_core_api_get ();

  g_assert_cmpuint (api->abi_version, ==, 1);
  g_assert_true (CONVOKE_CORE_API_HAS (api, participant_get_trickle));
  g_assert_true (CONVOKE_CORE_API_HAS (api, participant_publish_track));
  g_assert_true (CONVOKE_CORE_API_HAS (api, participant_unpublish_track));
  g_assert_nonnull (api->participant_get_trickle);
  g_assert_nonnull (api->participant_publish_track);
  g_assert_nonnull (api->participant_unpublish_track);
  g_assert_true (CONVOKE_CORE_API_HAS (api, participant_subscribe_track));
  g_assert_true (CONVOKE_CORE_API_HAS (api, participant_unsubscribe_track));
  g_assert_nonnull (api->participant_subscribe_track);
  g_assert_nonnull (api->participant_unsubscribe_track);
  /* A module built against ABI 1.0 sees a table that ends at error_quark;
   * the new members are then reported missing. */
  {
    ConvokeCoreApi old = *api;

    old.struct_size = G_STRUCT_OFFSET (ConvokeCoreApi, error_quark) + sizeof (gpointer);
    g_assert_true (CONVOKE_CORE_API_HAS (&old, error_quark));
    g_assert_false (CONVOKE_CORE_API_HAS (&old, participant_get_trickle));
    g_assert_false (CONVOKE_CORE_API_HAS (&old, participant_unpublish_track));
  }
  /* One built against 1.1 ends at participant_unpublish_track. */
  {
    ConvokeCoreApi old = *api;

    old.struct_size = G_STRUCT_OFFSET (ConvokeCoreApi, participant_unpublish_track)
                      + sizeof (gpointer);
    g_assert_true (CONVOKE_CORE_API_HAS (&old, participant_unpublish_track));
    g_assert_false (CONVOKE_CORE_API_HAS (&old, participant_subscribe_track));
    g_assert_false (CONVOKE_CORE_API_HAS (&old, participant_unsubscribe_track));
  }
}

static void
test_trickle (Fixture *f, gconstpointer data)
{
  TestFakeTransport *trickles = &f->transports[0], *does_not = &f->transports[1];
  ConvokeParticipant *alice, *bob, *carol;

  alice = join (f, "alice", &test_fake_transport_trickle_vtable, trickles);
  bob = join (f, "bob", &test_fake_transport_trickle_vtable, does_not);
  carol = join (f, "carol", &test_fake_transport_vtable, &f->transports[2]);

  g_assert_true (f->api->participant_get_trickle (alice));
  g_assert_false (f->api->participant_get_trickle (bob));
  /* No flag: the protocol's default. */
  g_assert_true (f->api->participant_get_trickle (carol));
  convoke_room_registry_leave (f->registry, bob);
  g_assert_true (f->api->participant_get_trickle (bob));
}

static void
test_publish (Fixture *f, gconstpointer data)
{
  const ConvokeCoreApi *api = f->api;
  TestFakeTransport *transport = &f->transports[0];
  ConvokeParticipant *alice
      = join (f, "alice", &test_fake_transport_trickle_vtable, transport);
  ConvokeParticipant *bob
      = join (f, "bob", &test_fake_transport_trickle_vtable, transport);
  g_autofree char *video = NULL, *expected = NULL;
  ConvokeTrack *announced;
  const char *sid;

  sid = api->participant_publish_track (alice, NULL, "video");
  g_assert_nonnull (sid);
  g_assert_true (g_str_has_prefix (sid, "MT"));
  video = g_strdup (sid);
  g_assert_cmpuint (alice->published_tracks->len, ==, 1);
  /* Without a name, the track is named by its sid, as announced ones. */
  g_assert_cmpstr (((ConvokeTrack *) alice->published_tracks->pdata[0])->name, ==, video);
  expected = g_strdup_printf ("added %s video %s", alice->sid, video);
  g_assert_cmpuint (f->events->len, ==, 1);
  g_assert_cmpstr (f->events->pdata[0], ==, expected);

  /* One track per kind: a second video, or a name already taken, is not
   * published. */
  g_assert_null (api->participant_publish_track (alice, "screen", "video"));
  g_assert_null (api->participant_publish_track (alice, video, "audio"));
  /* Kinds the protocol does not know. */
  g_assert_null (api->participant_publish_track (alice, NULL, "smell"));
  g_assert_null (api->participant_publish_track (alice, NULL, NULL));
  g_assert_cmpuint (alice->published_tracks->len, ==, 1);
  g_assert_cmpuint (f->events->len, ==, 1);

  /* A client that announced its audio keeps that one. */
  announced = convoke_participant_add_track (bob, "microphone", "audio");
  g_assert_nonnull (announced);
  g_assert_null (api->participant_publish_track (bob, NULL, "audio"));
  g_assert_cmpuint (bob->published_tracks->len, ==, 1);
  g_assert_nonnull (api->participant_publish_track (bob, "camera", "video"));
  g_assert_cmpuint (bob->published_tracks->len, ==, 2);

  /* Unpublishing: only a track of that participant, once. */
  g_assert_false (api->participant_unpublish_track (bob, video));
  g_assert_false (api->participant_unpublish_track (alice, NULL));
  g_assert_true (api->participant_unpublish_track (alice, video));
  g_assert_false (api->participant_unpublish_track (alice, video));
  g_assert_cmpuint (alice->published_tracks->len, ==, 0);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("removed %s %s", alice->sid, video);
  g_assert_cmpstr (f->events->pdata[f->events->len - 1], ==, expected);

  /* After leaving, nothing is published. */
  convoke_room_registry_leave (f->registry, alice);
  g_assert_null (api->participant_publish_track (alice, NULL, "audio"));
  g_assert_cmpuint (alice->published_tracks->len, ==, 0);
}

/* What REST would list for @subscriber: "PUBLISHER-SID KIND TRACK-SID"
 * items joined with ";". */
static char *
subscribed (ConvokeParticipant *subscriber)
{
  g_autoptr (GPtrArray) tracks = convoke_participant_list_subscribed_tracks (subscriber);
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < tracks->len; i++)
    {
      ConvokeSubscribedTrack *st = g_ptr_array_index (tracks, i);

      g_assert_true (st->subscriber == subscriber);
      g_assert_true (g_ptr_array_find (st->publisher->published_tracks, st->track, NULL));
      /* Never before the subscription, never before the track. */
      g_assert_cmpint (g_date_time_compare (st->since, st->track->date_created), >=, 0);
      g_string_append_printf (text, "%s%s %s %s", i > 0 ? ";" : "", st->publisher->sid,
                              st->track->kind, st->track->sid);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

#define assert_subscribed(subscriber, ...)                                               \
  G_STMT_START                                                                           \
  {                                                                                      \
    g_autofree char *actual_ = subscribed (subscriber);                                  \
    g_autofree char *expected_ = g_strdup_printf (__VA_ARGS__);                          \
    g_assert_cmpstr (actual_, ==, expected_);                                            \
  }                                                                                      \
  G_STMT_END

static void
test_subscribe (Fixture *f, gconstpointer data)
{
  const ConvokeCoreApi *api = f->api;
  TestFakeTransport *transport = &f->transports[0];
  ConvokeParticipant *alice
      = join (f, "alice", &test_fake_transport_trickle_vtable, transport);
  ConvokeParticipant *bob
      = join (f, "bob", &test_fake_transport_trickle_vtable, transport);
  ConvokeParticipant *carol
      = join (f, "carol", &test_fake_transport_trickle_vtable, transport);
  ConvokeRoomCreateParams params = CONVOKE_ROOM_CREATE_PARAMS_INIT;
  g_autoptr (GError) error = NULL;
  ConvokeParticipant *stranger;
  ConvokeTrack *microphone;
  g_autofree char *video = NULL, *video_again = NULL;

  /* Media whose track is not published yet is subscribed, but not
   * listed until the track exists. */
  g_assert_true (api->participant_subscribe_track (alice, bob, "video"));
  assert_subscribed (alice, "%s", "");
  video = g_strdup (api->participant_publish_track (bob, NULL, "video"));
  g_assert_nonnull (video);
  assert_subscribed (alice, "%s video %s", bob->sid, video);
  /* Subscribing again changes nothing. */
  g_assert_true (api->participant_subscribe_track (alice, bob, "video"));
  assert_subscribed (alice, "%s video %s", bob->sid, video);

  /* An announced track counts as much as one the module published; the
   * list keeps the order of the subscriptions. */
  microphone = convoke_participant_add_track (bob, "microphone", "audio");
  g_assert_true (api->participant_subscribe_track (alice, bob, "audio"));
  assert_subscribed (alice, "%s video %s;%s audio %s", bob->sid, video, bob->sid,
                     microphone->sid);
  g_assert_true (api->participant_subscribe_track (carol, bob, "video"));
  g_assert_true (api->participant_subscribe_track (bob, carol, "audio"));
  assert_subscribed (carol, "%s video %s", bob->sid, video);
  assert_subscribed (bob, "%s", "");

  /* Refused: oneself, unknown kinds, someone of another room. */
  g_assert_false (api->participant_subscribe_track (alice, alice, "audio"));
  g_assert_false (api->participant_subscribe_track (alice, carol, "smell"));
  g_assert_false (api->participant_subscribe_track (alice, carol, NULL));
  params.unique_name = "elsewhere";
  params.type = "demo";
  g_assert_nonnull (convoke_room_registry_create_room (f->registry, &params, &error));
  g_assert_no_error (error);
  stranger = convoke_room_registry_join (f->registry, "elsewhere", "dave",
                                         &test_fake_transport_trickle_vtable, transport,
                                         &error);
  g_assert_no_error (error);
  g_assert_false (api->participant_subscribe_track (alice, stranger, "audio"));
  g_assert_false (api->participant_subscribe_track (stranger, alice, "audio"));
  g_assert_cmpuint (alice->subscriptions->len, ==, 2);

  /* Unsubscribing: once. */
  g_assert_true (api->participant_unsubscribe_track (alice, bob, "audio"));
  g_assert_false (api->participant_unsubscribe_track (alice, bob, "audio"));
  g_assert_false (api->participant_unsubscribe_track (alice, carol, "video"));
  g_assert_false (api->participant_unsubscribe_track (alice, bob, NULL));
  assert_subscribed (alice, "%s video %s", bob->sid, video);

  /* The track goes and comes back under a new sid (its media stopped and
   * started again): the subscription follows it. */
  g_assert_true (api->participant_unpublish_track (bob, video));
  assert_subscribed (carol, "%s", "");
  video_again = g_strdup (api->participant_publish_track (bob, NULL, "video"));
  g_assert_cmpstr (video_again, !=, video);
  assert_subscribed (carol, "%s video %s", bob->sid, video_again);

  /* A publisher that leaves takes its subscriptions along; so does a
   * subscriber. */
  convoke_room_registry_leave (f->registry, bob);
  assert_subscribed (alice, "%s", "");
  assert_subscribed (carol, "%s", "");
  g_assert_cmpuint (alice->subscriptions->len, ==, 0);
  g_assert_cmpuint (bob->subscriptions->len, ==, 0);
  g_assert_false (api->participant_subscribe_track (alice, bob, "video"));
  g_assert_false (api->participant_subscribe_track (bob, alice, "video"));
  g_assert_true (api->participant_subscribe_track (alice, carol, "audio"));
  convoke_room_registry_leave (f->registry, alice);
  g_assert_cmpuint (alice->subscriptions->len, ==, 0);
  g_assert_false (api->participant_unsubscribe_track (alice, carol, "audio"));
  convoke_room_registry_leave (f->registry, stranger);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/group/core-api/available", test_available);
  g_test_add ("/group/core-api/trickle", Fixture, NULL, fixture_set_up, test_trickle,
              fixture_tear_down);
  g_test_add ("/group/core-api/publish", Fixture, NULL, fixture_set_up, test_publish,
              fixture_tear_down);
  g_test_add ("/group/core-api/subscribe", Fixture, NULL, fixture_set_up, test_subscribe,
              fixture_tear_down);
  return g_test_run ();
}
