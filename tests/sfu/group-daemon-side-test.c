/* The daemon side of the group module (modules/group/daemon/group.c) against a
 * fake ConvokeCoreApi: the trickle flag it sends the worker, the tracks
 * it publishes and unpublishes for participants as the worker reports
 * their media (track-started, track-ended), without duplicating what a
 * client announced itself, the subscriptions it records as the worker
 * reports what each participant receives (subscribed-tracks); and how it
 * behaves on cores that predate those functions (ABI 1.0, 1.1).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <convoke/topology.h>

struct _ConvokeRoom
{
  const char *sid;
};

struct _ConvokeParticipant
{
  const char *sid;
  gboolean trickle;
  gboolean present;
  gboolean has_kind[2]; /* audio, video: a track of that kind is listed */
};

static ConvokeRoom room = { "RM0001" };
static ConvokeParticipant alice = { "PA0001", FALSE, TRUE, { FALSE, FALSE } };
static ConvokeParticipant bob = { "PA0002", TRUE, TRUE, { FALSE, FALSE } };
static ConvokeParticipant carol = { "PA0003", TRUE, TRUE, { FALSE, FALSE } };

static GPtrArray *worker_bodies; /* JsonObject*: what went to the worker */
static GPtrArray *calls; /* char*: "publish PA… video", "unpublish PA… MT…" */
static GPtrArray *messages_sent; /* char*: "PA… {json}", each signaling message sent */
static guint next_track;

static int
kind_index (const char *kind)
{
  return g_strcmp0 (kind, "video") == 0 ? 1 : 0;
}

static const char *
fake_room_get_sid (ConvokeRoom *r)
{
  return r->sid;
}

static const char *
fake_room_get_name (ConvokeRoom *r)
{
  return "room";
}

static const char *
fake_room_get_type (ConvokeRoom *r)
{
  return "group";
}

static const char *fake_max_tracks; /* worker-max-tracks, or NULL */

static const char *
fake_room_get_option (ConvokeRoom *r, const char *key)
{
  return g_strcmp0 (key, "worker-max-tracks") == 0 ? fake_max_tracks : NULL;
}

static ConvokeParticipant *
fake_room_find_participant (ConvokeRoom *r, const char *sid)
{
  ConvokeParticipant *all[] = { &alice, &bob, &carol };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (all[i]->present && g_strcmp0 (all[i]->sid, sid) == 0)
      return all[i];
  return NULL;
}

static const char *
fake_participant_get_sid (ConvokeParticipant *p)
{
  return p->sid;
}

static const char *
fake_participant_get_identity (ConvokeParticipant *p)
{
  return p == &alice ? "alice" : p == &bob ? "bob" : "carol";
}

static void
fake_participant_send (ConvokeParticipant *p, JsonObject *message)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), message);
  g_autofree char *text = json_to_string (node, FALSE);

  g_ptr_array_add (messages_sent, g_strdup_printf ("%s %s", p->sid, text));
}

static GList *
fake_room_list_participants (ConvokeRoom *r)
{
  ConvokeParticipant *all[] = { &alice, &bob, &carol };
  GList *list = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (all[i]->present)
      list = g_list_append (list, all[i]);
  return list;
}

/* Alice opts in to both, Bob to nothing, Carol to network quality. */
static gboolean
fake_participant_get_join_flag (ConvokeParticipant *p, const char *feature)
{
  if (p == &alice)
    return g_str_equal (feature, "dominant_speaker")
           || g_str_equal (feature, "network_quality");
  return p == &carol && g_str_equal (feature, "network_quality");
}

static void
fake_participant_send_error (ConvokeParticipant *p, int code, const char *message)
{
}

static gboolean
fake_worker_send (ConvokeRoom *r, JsonObject *message, GError **error)
{
  g_ptr_array_add (worker_bodies, json_object_ref (message));
  return TRUE;
}

static GQuark
fake_error_quark (void)
{
  return CONVOKE_TOPOLOGY_ERROR;
}

static gboolean
fake_participant_get_trickle (ConvokeParticipant *p)
{
  return p->trickle;
}

/* What the real core does: nothing when a track of that kind is listed. */
static const char *
fake_participant_publish_track (ConvokeParticipant *p, const char *name, const char *kind)
{
  static char sid[16];

  g_ptr_array_add (calls, g_strdup_printf ("publish %s %s", p->sid, kind));
  if (p->has_kind[kind_index (kind)])
    return NULL;
  p->has_kind[kind_index (kind)] = TRUE;
  g_snprintf (sid, sizeof (sid), "MT%u", ++next_track);
  return sid;
}

static gboolean
fake_participant_unpublish_track (ConvokeParticipant *p, const char *track_sid)
{
  g_ptr_array_add (calls, g_strdup_printf ("unpublish %s %s", p->sid, track_sid));
  return TRUE;
}

/* Refuses what the real core refuses for participants of one room. */
static gboolean
fake_participant_subscribe_track (ConvokeParticipant *subscriber,
                                  ConvokeParticipant *publisher, const char *kind)
{
  g_ptr_array_add (calls, g_strdup_printf ("subscribe %s %s %s", subscriber->sid,
                                           publisher->sid, kind));
  return subscriber != publisher && subscriber->present && publisher->present
         && (g_strcmp0 (kind, "audio") == 0 || g_strcmp0 (kind, "video") == 0
             || g_strcmp0 (kind, "data") == 0);
}

static gboolean
fake_participant_unsubscribe_track (ConvokeParticipant *subscriber,
                                    ConvokeParticipant *publisher, const char *kind)
{
  g_ptr_array_add (calls, g_strdup_printf ("unsubscribe %s %s %s", subscriber->sid,
                                           publisher->sid, kind));
  return TRUE;
}

/* Browsers say they can take recycled m-lines; the test's "bob" does. */
static gboolean
fake_participant_get_reuses_mlines (ConvokeParticipant *participant)
{
  return participant == &bob;
}

static const ConvokeCoreApi fake_core = {
  .abi_version = CONVOKE_TOPOLOGY_ABI_VERSION,
  .struct_size = sizeof (ConvokeCoreApi),
  .room_get_sid = fake_room_get_sid,
  .room_get_name = fake_room_get_name,
  .room_get_type = fake_room_get_type,
  .room_get_option = fake_room_get_option,
  .room_find_participant = fake_room_find_participant,
  .room_list_participants = fake_room_list_participants,
  .participant_get_sid = fake_participant_get_sid,
  .participant_get_identity = fake_participant_get_identity,
  .participant_send = fake_participant_send,
  .participant_send_error = fake_participant_send_error,
  .worker_send = fake_worker_send,
  .error_quark = fake_error_quark,
  .participant_get_trickle = fake_participant_get_trickle,
  .participant_publish_track = fake_participant_publish_track,
  .participant_unpublish_track = fake_participant_unpublish_track,
  .participant_subscribe_track = fake_participant_subscribe_track,
  .participant_unsubscribe_track = fake_participant_unsubscribe_track,
  .participant_get_reuses_mlines = fake_participant_get_reuses_mlines,
  .participant_get_join_flag = fake_participant_get_join_flag,
};

static void
reset (void)
{
  g_ptr_array_set_size (worker_bodies, 0);
  g_ptr_array_set_size (calls, 0);
  g_ptr_array_set_size (messages_sent, 0);
  alice.present = bob.present = carol.present = TRUE;
  memset (alice.has_kind, 0, sizeof (alice.has_kind));
  memset (bob.has_kind, 0, sizeof (bob.has_kind));
}

static void
worker_event (const ConvokeTopologyModule *module, gpointer data, const char *name,
              const char *participant, const char *kind)
{
  g_autoptr (JsonObject) event = json_object_new ();

  json_object_set_string_member (event, "event", name);
  json_object_set_string_member (event, "participant", participant);
  json_object_set_string_member (event, "kind", kind);
  json_object_set_int_member (event, "ssrc", 1234);
  module->worker_event (&room, data, event);
}

/* A subscribed-tracks event: @tracks is "PUBLISHER/kind" items; the
 * whole event is @raw instead when it is not NULL. */
static void
subscribed_event (const ConvokeTopologyModule *module, gpointer data,
                  const char *participant, const char *const *tracks, const char *raw)
{
  g_autoptr (JsonObject) event = NULL;

  if (raw != NULL)
    {
      g_autoptr (JsonNode) node = json_from_string (raw, NULL);

      g_assert_nonnull (node);
      event = json_object_ref (json_node_get_object (node));
    }
  else
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; tracks[i] != NULL; i++)
        {
          g_auto (GStrv) parts = g_strsplit (tracks[i], "/", 2);
          JsonObject *track = json_object_new ();

          json_object_set_string_member (track, "publisher", parts[0]);
          json_object_set_string_member (track, "kind", parts[1]);
          json_array_add_object_element (array, track);
        }
      event = json_object_new ();
      json_object_set_string_member (event, "event", "subscribed-tracks");
      json_object_set_string_member (event, "participant", participant);
      json_object_set_array_member (event, "tracks", array);
    }
  module->worker_event (&room, data, event);
}

static gint
compare_calls (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Like assert_calls, in any order: the module walks hash tables. */
static void
assert_calls_unordered (const char *const *expected)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr (GPtrArray) wanted = g_ptr_array_new ();

  for (guint i = 0; i < calls->len; i++)
    g_ptr_array_add (sorted, calls->pdata[i]);
  for (guint i = 0; expected[i] != NULL; i++)
    g_ptr_array_add (wanted, (gpointer) expected[i]);
  g_ptr_array_sort (sorted, compare_calls);
  g_ptr_array_sort (wanted, compare_calls);
  for (guint i = 0; i < wanted->len; i++)
    {
      g_assert_cmpuint (i, <, sorted->len);
      g_assert_cmpstr (sorted->pdata[i], ==, wanted->pdata[i]);
    }
  g_assert_cmpuint (sorted->len, ==, wanted->len);
  g_ptr_array_set_size (calls, 0);
}

static void
assert_calls (const char *const *expected)
{
  for (guint i = 0; expected[i] != NULL; i++)
    {
      g_assert_cmpuint (i, <, calls->len);
      g_assert_cmpstr (calls->pdata[i], ==, expected[i]);
    }
  g_assert_cmpuint (calls->len, ==, g_strv_length ((char **) expected));
}

static gboolean
added_with_trickle (guint index)
{
  JsonObject *body = g_ptr_array_index (worker_bodies, index);

  g_assert_cmpstr (json_object_get_string_member (body, "cmd"), ==, "add-participant");
  return json_object_get_boolean_member (body, "trickle");
}

static void
raw_event (const ConvokeTopologyModule *module, gpointer data, const char *json)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  module->worker_event (&room, data, json_node_get_object (node));
}

static void
assert_sent (const char *const *expected)
{
  for (guint i = 0; expected[i] != NULL; i++)
    {
      g_assert_cmpuint (i, <, messages_sent->len);
      g_assert_cmpstr (messages_sent->pdata[i], ==, expected[i]);
    }
  g_assert_cmpuint (messages_sent->len, ==, g_strv_length ((char **) expected));
  g_ptr_array_set_size (messages_sent, 0);
}

/* The opt-in flags reach the worker, and its dominant-speaker and
 * network-quality events reach those that opted in, and only them; a
 * newcomer that opted in learns the current state. */
static void
test_speaker_and_quality (void)
{
  const ConvokeTopologyModule *module = convoke_topology_module_entry ();
  g_autoptr (GError) error = NULL;
  gpointer data = NULL;
  JsonObject *body;

  reset ();
  g_assert_true (module->module_init (&fake_core, &error));
  g_assert_true (module->room_create (&room, &data, &error));
  carol.present = FALSE;
  module->participant_joined (&room, data, &alice);
  module->participant_joined (&room, data, &bob);
  body = g_ptr_array_index (worker_bodies, 0);
  g_assert_true (json_object_get_boolean_member (body, "dominant-speaker"));
  g_assert_true (json_object_get_boolean_member (body, "network-quality"));
  body = g_ptr_array_index (worker_bodies, 1);
  g_assert_false (json_object_get_boolean_member (body, "dominant-speaker"));
  g_assert_false (json_object_get_boolean_member (body, "network-quality"));

  raw_event (module, data, "{\"event\":\"dominant-speaker\",\"speaker\":\"PA0002\"}");
  raw_event (module, data, "{\"event\":\"dominant-speaker\",\"speaker\":\"PA0002\"}");
  raw_event (module, data,
             "{\"event\":\"network-quality\",\"levels\":{\"PA0001\":5,\"PA0002\":2}}");
  {
    const char *expected[] = {
      "PA0001 {\"type\":\"dominant-speaker\",\"participant\":\"PA0002\"}",
      "PA0001 {\"type\":\"network-quality\",\"levels\":{\"PA0001\":5,\"PA0002\":2}}", NULL
    };
    assert_sent (expected);
  }
  /* Nothing new, someone absent, or nonsense: nothing is sent. */
  raw_event (module, data,
             "{\"event\":\"network-quality\",\"levels\":{\"PA0001\":5,\"PA0003\":1,"
             "\"PA0002\":9,\"x\":\"y\"}}");
  raw_event (module, data, "{\"event\":\"network-quality\",\"levels\":3}");
  raw_event (module, data, "{\"event\":\"dominant-speaker\",\"speaker\":\"PA0003\"}");
  {
    const char *expected[]
        = { "PA0001 {\"type\":\"dominant-speaker\",\"participant\":null}", NULL };
    assert_sent (expected);
  }

  /* Carol joins, opted in to network quality: she learns the levels. */
  raw_event (module, data, "{\"event\":\"dominant-speaker\",\"speaker\":\"PA0001\"}");
  g_ptr_array_set_size (messages_sent, 0);
  carol.present = TRUE;
  module->participant_joined (&room, data, &carol);
  {
    const char *expected[] = {
      "PA0003 {\"type\":\"network-quality\",\"levels\":{\"PA0001\":5,\"PA0002\":2}}", NULL
    };
    assert_sent (expected);
  }
  /* Bob leaves: his level is forgotten. */
  bob.present = FALSE;
  module->participant_left (&room, data, &bob);
  raw_event (module, data, "{\"event\":\"network-quality\",\"levels\":{\"PA0003\":4}}");
  {
    const char *expected[] = {
      "PA0001 {\"type\":\"network-quality\",\"levels\":{\"PA0001\":5,\"PA0003\":4}}",
      "PA0003 {\"type\":\"network-quality\",\"levels\":{\"PA0001\":5,\"PA0003\":4}}", NULL
    };
    assert_sent (expected);
  }
  module->room_destroy (&room, data);
}

static void
test_trickle_and_tracks (void)
{
  const ConvokeTopologyModule *module = convoke_topology_module_entry ();
  g_autoptr (GError) error = NULL;
  gpointer data = NULL;

  reset ();
  g_assert_true (module->module_init (&fake_core, &error));
  g_assert_true (module->room_create (&room, &data, &error));
  g_assert_no_error (error);

  /* The worker gets each client's own flag. */
  module->participant_joined (&room, data, &alice);
  module->participant_joined (&room, data, &bob);
  g_assert_false (added_with_trickle (0));
  g_assert_true (added_with_trickle (1));
  /* And whether it takes recycled m-lines. */
  g_assert_false (json_object_get_boolean_member (g_ptr_array_index (worker_bodies, 0),
                                                  "reuse-mlines"));
  g_assert_true (json_object_get_boolean_member (g_ptr_array_index (worker_bodies, 1),
                                                 "reuse-mlines"));

  /* Alice announces nothing: her media gets tracks while it flows. A new
   * SSRC for the same kind is the same track. */
  worker_event (module, data, "track-started", alice.sid, "video");
  worker_event (module, data, "track-started", alice.sid, "video");
  worker_event (module, data, "track-started", alice.sid, "audio");
  worker_event (module, data, "track-ended", alice.sid, "video");
  {
    const char *expected[] = { "publish PA0001 video", "publish PA0001 audio",
                               "unpublish PA0001 MT1", NULL };
    assert_calls (expected);
  }
  g_ptr_array_set_size (calls, 0);

  /* Bob announced his audio: the core publishes nothing, and so the
   * module must not unpublish his track when the media ends. */
  bob.has_kind[0] = TRUE;
  worker_event (module, data, "track-started", bob.sid, "audio");
  worker_event (module, data, "track-ended", bob.sid, "audio");
  /* Kinds the module does not publish. */
  worker_event (module, data, "track-started", bob.sid, "data");
  {
    const char *expected[] = { "publish PA0002 audio", NULL };
    assert_calls (expected);
  }
  g_ptr_array_set_size (calls, 0);

  /* Alice leaves (the core drops her tracks); the worker's late
   * track-ended for her audio changes nothing. */
  module->participant_left (&room, data, &alice);
  alice.present = FALSE;
  worker_event (module, data, "track-ended", alice.sid, "audio");
  g_assert_cmpuint (calls->len, ==, 0);

  module->participant_left (&room, data, &bob);
  module->room_destroy (&room, data);
}

/* The worker reports the whole set each participant receives; the core
 * is told only the changes, and what it refused is tried again. */
static void
test_subscriptions (void)
{
  const ConvokeTopologyModule *module = convoke_topology_module_entry ();
  g_autoptr (GError) error = NULL;
  gpointer data = NULL;

  reset ();
  g_assert_true (module->module_init (&fake_core, &error));
  g_assert_true (module->room_create (&room, &data, &error));
  module->participant_joined (&room, data, &alice);
  module->participant_joined (&room, data, &bob);
  module->participant_joined (&room, data, &carol);

  {
    const char *tracks[] = { "PA0002/audio", "PA0002/video", NULL };
    const char *expected[]
        = { "subscribe PA0001 PA0002 audio", "subscribe PA0001 PA0002 video", NULL };

    subscribed_event (module, data, alice.sid, tracks, NULL);
    assert_calls_unordered (expected);
    /* The same report again (a re-negotiation that changed nothing). */
    subscribed_event (module, data, alice.sid, tracks, NULL);
    g_assert_cmpuint (calls->len, ==, 0);
  }
  {
    /* Carol's media arrives; Bob's video slot is no longer carried. */
    const char *tracks[] = { "PA0002/audio", "PA0003/audio", "PA0003/video", NULL };
    const char *expected[]
        = { "unsubscribe PA0001 PA0002 video", "subscribe PA0001 PA0003 audio",
            "subscribe PA0001 PA0003 video", NULL };

    subscribed_event (module, data, alice.sid, tracks, NULL);
    assert_calls_unordered (expected);
  }
  {
    /* A kind the core refuses is not remembered: the next report asks
     * again. */
    const char *tracks[]
        = { "PA0002/audio", "PA0003/audio", "PA0003/video", "PA0002/smell", NULL };
    const char *expected[] = { "subscribe PA0001 PA0002 smell", NULL };

    subscribed_event (module, data, alice.sid, tracks, NULL);
    assert_calls_unordered (expected);
    subscribed_event (module, data, alice.sid, tracks, NULL);
    assert_calls_unordered (expected);
  }

  /* Malformed reports change nothing and do not crash. */
  subscribed_event (module, data, NULL, NULL,
                    "{\"event\":\"subscribed-tracks\",\"participant\":\"PA0001\"}");
  subscribed_event (module, data, NULL, NULL,
                    "{\"event\":\"subscribed-tracks\",\"participant\":\"PA0001\","
                    "\"tracks\":{\"publisher\":\"PA0002\"}}");
  subscribed_event (module, data, NULL, NULL,
                    "{\"event\":\"subscribed-tracks\",\"participant\":\"PA0001\","
                    "\"tracks\":[1,null,\"PA0002/audio\",{\"publisher\":7,\"kind\":"
                    "\"audio\"},{\"publisher\":\"PA0002/x\",\"kind\":\"audio\"},"
                    "{\"publisher\":\"PA0002\",\"kind\":\"audio\"},"
                    "{\"publisher\":\"PA0003\",\"kind\":\"audio\"},"
                    "{\"publisher\":\"PA0003\",\"kind\":\"video\"}]}");
  g_assert_cmpuint (calls->len, ==, 0);
  subscribed_event (module, data, NULL, NULL,
                    "{\"event\":\"subscribed-tracks\",\"participant\":\"PA0009\","
                    "\"tracks\":[{\"publisher\":\"PA0002\",\"kind\":\"audio\"}]}");
  g_assert_cmpuint (calls->len, ==, 0);

  {
    /* Bob leaves: the core drops what concerns him by itself. A late
     * report that still names him subscribes nothing, and the report
     * without him unsubscribes nothing. */
    const char *late[] = { "PA0002/audio", "PA0003/audio", "PA0003/video", NULL };
    const char *after[] = { "PA0003/audio", "PA0003/video", NULL };

    module->participant_left (&room, data, &bob);
    bob.present = FALSE;
    g_ptr_array_set_size (worker_bodies, 0);
    subscribed_event (module, data, alice.sid, late, NULL);
    subscribed_event (module, data, alice.sid, after, NULL);
    g_assert_cmpuint (calls->len, ==, 0);
    subscribed_event (module, data, bob.sid, after, NULL);
    g_assert_cmpuint (calls->len, ==, 0);
  }
  {
    /* Alice leaves and her state goes with her: were she (impossibly)
     * reported again, everything would be new. */
    const char *tracks[] = { "PA0003/audio", NULL };
    const char *expected[] = { "subscribe PA0001 PA0003 audio", NULL };

    module->participant_left (&room, data, &alice);
    subscribed_event (module, data, alice.sid, tracks, NULL);
    assert_calls_unordered (expected);
  }

  module->participant_left (&room, data, &carol);
  module->room_destroy (&room, data);
}

/* A module built for 1.2 on a 1.1 core: subscribed-tracks reports are
 * ignored, and nothing past the table's end is read. */
static void
test_core_without_subscriptions (void)
{
  const ConvokeTopologyModule *module = convoke_topology_module_entry ();
  g_autofree ConvokeCoreApi *old = g_memdup2 (&fake_core, sizeof (fake_core));
  g_autoptr (GError) error = NULL;
  const char *tracks[] = { "PA0002/audio", NULL };
  gpointer data = NULL;

  reset ();
  old->struct_size = G_STRUCT_OFFSET (ConvokeCoreApi, participant_subscribe_track);
  old->participant_subscribe_track = NULL;
  old->participant_unsubscribe_track = NULL;
  g_assert_true (module->module_init (old, &error));
  g_assert_true (module->room_create (&room, &data, &error));
  module->participant_joined (&room, data, &alice);
  module->participant_joined (&room, data, &bob);
  subscribed_event (module, data, alice.sid, tracks, NULL);
  g_assert_cmpuint (calls->len, ==, 0);
  /* The 1.1 functions still work. */
  worker_event (module, data, "track-started", alice.sid, "video");
  g_assert_cmpuint (calls->len, ==, 1);
  module->participant_left (&room, data, &alice);
  module->participant_left (&room, data, &bob);
  module->room_destroy (&room, data);
}

/* A module built for 1.1 on a 1.0 core: every client is taken to trickle
 * and no track is published, and nothing past the table's end is read. */
static void
test_old_core (void)
{
  const ConvokeTopologyModule *module = convoke_topology_module_entry ();
  g_autofree ConvokeCoreApi *old = g_memdup2 (&fake_core, sizeof (fake_core));
  g_autoptr (GError) error = NULL;
  gpointer data = NULL;

  reset ();
  old->struct_size = G_STRUCT_OFFSET (ConvokeCoreApi, participant_get_trickle);
  old->participant_get_trickle = NULL;
  old->participant_publish_track = NULL;
  old->participant_unpublish_track = NULL;
  old->participant_subscribe_track = NULL;
  old->participant_unsubscribe_track = NULL;
  g_assert_true (module->module_init (old, &error));
  g_assert_true (module->room_create (&room, &data, &error));
  module->participant_joined (&room, data, &alice);
  g_assert_true (added_with_trickle (0));
  worker_event (module, data, "track-started", alice.sid, "video");
  worker_event (module, data, "track-ended", alice.sid, "video");
  {
    const char *tracks[] = { "PA0002/video", NULL };

    subscribed_event (module, data, alice.sid, tracks, NULL);
  }
  g_assert_cmpuint (calls->len, ==, 0);
  module->participant_left (&room, data, &alice);
  module->room_destroy (&room, data);
}

/* An `offer` or `answer` from @from with @sdp (no "sdp" member when
 * NULL), through the module's handle_message(). */
static gboolean
send_description (const ConvokeTopologyModule *module, gpointer data,
                  ConvokeParticipant *from, const char *type, const char *sdp,
                  GError **error)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", type);
  json_object_set_string_member (message, "to", "server");
  if (sdp != NULL)
    json_object_set_string_member (message, "sdp", sdp);
  return module->handle_message (&room, data, from, type, message, error);
}

/* An empty SDP is refused by the daemon side itself (53403) and never
 * reaches the worker. It used to go to gst_sdp_message_new_from_text(),
 * whose assertion logged a GStreamer-SDP-CRITICAL in the daemon (fatal
 * here, as in every test). */
static void
test_empty_sdp (void)
{
  const ConvokeTopologyModule *module = convoke_topology_module_entry ();
  g_autoptr (GError) error = NULL;
  gpointer data = NULL;
  guint sent;

  reset ();
  g_assert_true (module->module_init (&fake_core, &error));
  g_assert_true (module->room_create (&room, &data, &error));
  module->participant_joined (&room, data, &alice);
  sent = worker_bodies->len;

  for (guint i = 0; i < 2; i++)
    {
      g_assert_false (
          send_description (module, data, &alice, i ? "answer" : "offer", "", &error));
      g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, 53403);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "empty"));
      g_clear_error (&error);
    }
  g_assert_cmpuint (worker_bodies->len, ==, sent);

  module->participant_left (&room, data, &alice);
  module->room_destroy (&room, data);
}

/* set-video-layer goes to the worker as it is, "to" or not; malformed
 * ones are refused (53004) and go nowhere. */
static void
test_video_layer (void)
{
  const ConvokeTopologyModule *module = convoke_topology_module_entry ();
  static const char *const bad[] = {
    "{\"publisher\":\"PA0001\"}",
    "{\"publisher\":\"PA0001\",\"layer\":4}",
    "{\"publisher\":\"PA0001\",\"layer\":-1}",
    "{\"publisher\":\"PA0001\",\"layer\":\"1\"}",
    "{\"publisher\":7,\"layer\":1}",
    "{\"layer\":1}",
    "{\"publisher\":\"PA0001\",\"layer\":1,\"track\":3}",
    "{\"publisher\":\"PA0001\",\"layer\":1,\"to\":\"PA0002\"}",
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  gpointer data = NULL;
  JsonObject *body;

  reset ();
  g_assert_true (module->module_init (&fake_core, &error));
  g_assert_true (module->room_create (&room, &data, &error));
  module->participant_joined (&room, data, &alice);
  module->participant_joined (&room, data, &bob);
  g_ptr_array_set_size (worker_bodies, 0);

  node = json_from_string ("{\"publisher\":\"PA0001\",\"track\":\"cam\",\"layer\":0}",
                           NULL);
  g_assert_true (module->handle_message (&room, data, &bob, "set-video-layer",
                                         json_node_get_object (node), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (worker_bodies->len, ==, 1);
  body = g_ptr_array_index (worker_bodies, 0);
  g_assert_cmpstr (json_object_get_string_member (body, "cmd"), ==, "set-video-layer");
  g_assert_cmpstr (json_object_get_string_member (body, "participant"), ==, "PA0002");
  g_assert_cmpstr (json_object_get_string_member (body, "publisher"), ==, "PA0001");
  g_assert_cmpstr (json_object_get_string_member (body, "track"), ==, "cam");
  g_assert_cmpint (json_object_get_int_member (body, "layer"), ==, 0);
  g_clear_pointer (&node, json_node_unref);

  node = json_from_string (
      "{\"publisher\":\"PA0001\",\"layer\":2,\"to\":\"server\"}", NULL);
  g_assert_true (module->handle_message (&room, data, &bob, "set-video-layer",
                                         json_node_get_object (node), &error));
  g_assert_cmpuint (worker_bodies->len, ==, 2);
  body = g_ptr_array_index (worker_bodies, 1);
  g_assert_false (json_object_has_member (body, "track"));
  g_assert_cmpint (json_object_get_int_member (body, "layer"), ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) message = json_from_string (bad[i], NULL);

      g_assert_false (module->handle_message (&room, data, &bob, "set-video-layer",
                                              json_node_get_object (message), &error));
      g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, 53004);
      g_test_message ("%s: %s", bad[i], error->message);
      g_clear_error (&error);
    }
  g_assert_cmpuint (worker_bodies->len, ==, 2);

  module->participant_left (&room, data, &bob);
  module->participant_left (&room, data, &alice);
  module->room_destroy (&room, data);
}

/* A client SDP the worker's parser accepts: @n_sending m-lines that
 * send (audio and video in turn), then @n_receiving recvonly ones. With
 * @bundle_only every m-line after the first has port 0 and
 * a=bundle-only, as webrtcbin offers them: it still carries media. */
static char *
client_sdp (guint n_sending, guint n_receiving, gboolean bundle_only)
{
  GString *sdp = g_string_new ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                               "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
                               "a=fingerprint:sha-256 "
                               "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                               "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n"
                               "a=setup:actpass\r\n");

  for (guint i = 0; i < n_sending + n_receiving; i++)
    {
      gboolean video = i % 2 == 1;
      gboolean port_zero = bundle_only && i > 0;

      g_string_append_printf (sdp, "m=%s %d UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n",
                              video ? "video" : "audio", port_zero ? 0 : 9,
                              video ? 96 : 111);
      g_string_append_printf (sdp, "a=mid:%u\r\na=rtcp-mux\r\na=%s\r\n", i,
                              i < n_sending ? "sendonly" : "recvonly");
      if (port_zero)
        g_string_append (sdp, "a=bundle-only\r\n");
      g_string_append (sdp, video ? "a=rtpmap:96 VP8/90000\r\n"
                                  : "a=rtpmap:111 opus/48000/2\r\n");
    }
  return g_string_free (sdp, FALSE);
}

/* Sends @sdp as @type from @from and asserts the outcome: forwarded to
 * the worker (@code 0) or refused with @code, not forwarded. */
static void
assert_description (const ConvokeTopologyModule *module, gpointer data,
                    ConvokeParticipant *from, const char *type, const char *sdp, int code)
{
  g_autoptr (GError) error = NULL;
  guint sent = worker_bodies->len;
  gboolean ok = send_description (module, data, from, type, sdp, &error);

  if (error != NULL)
    g_test_message ("%s: %s", from->sid, error->message);
  if (code == 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (worker_bodies->len, ==, sent + 1);
      return;
    }
  g_assert_false (ok);
  g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, code);
  g_assert_cmpuint (worker_bodies->len, ==, sent);
}

/* worker-max-tracks counts what the worker may hold. Garbage SDP after a
 * valid offer used to count 0 tracks, so the room took more than its
 * limit; so did a valid description the worker then refused for its
 * state (an answer with no offer outstanding), and m-lines bundled with
 * port 0. */
static void
test_track_limit (void)
{
  const ConvokeTopologyModule *module = convoke_topology_module_entry ();
  g_autoptr (GError) error = NULL;
  g_autofree char *two = client_sdp (2, 0, FALSE);
  g_autofree char *one = client_sdp (1, 0, FALSE);
  g_autofree char *none = client_sdp (0, 2, FALSE);
  g_autofree char *three_bundled = client_sdp (3, 0, TRUE);
  g_autofree char *two_bundled = client_sdp (2, 0, TRUE);
  g_autofree char *no_fingerprint = NULL;
  gpointer data = NULL;

  reset ();
  fake_max_tracks = "2";
  g_assert_true (module->module_init (&fake_core, &error));
  g_assert_true (module->room_create (&room, &data, &error));
  module->participant_joined (&room, data, &alice);
  module->participant_joined (&room, data, &bob);

  /* Alice takes the room's two tracks. */
  assert_description (module, data, &alice, "offer", two, 0);
  assert_description (module, data, &bob, "offer", one, 53300);

  /* What the worker's parser refuses is refused here, and counts
   * nothing: not garbage, not an SDP without a fingerprint. */
  assert_description (module, data, &alice, "offer", "not an sdp", 53403);
  no_fingerprint = g_strdup (none);
  *strstr (no_fingerprint, "a=fingerprint") = 'b';
  assert_description (module, data, &alice, "answer", no_fingerprint, 53403);
  assert_description (module, data, &bob, "offer", one, 53300);

  /* A valid description that publishes nothing goes to the worker, which
   * may refuse it (here: an answer, with no offer outstanding) and keep
   * Alice's two tracks; the daemon cannot tell, so her count stays. */
  assert_description (module, data, &alice, "answer", none, 0);
  assert_description (module, data, &bob, "offer", one, 53300);
  assert_description (module, data, &alice, "offer", two_bundled, 0);

  /* Her tracks go with her. Bundled m-lines with port 0 count. */
  module->participant_left (&room, data, &alice);
  assert_description (module, data, &bob, "offer", three_bundled, 53300);
  assert_description (module, data, &bob, "offer", two_bundled, 0);

  module->participant_left (&room, data, &bob);
  module->room_destroy (&room, data);
  fake_max_tracks = NULL;
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  worker_bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  calls = g_ptr_array_new_with_free_func (g_free);
  messages_sent = g_ptr_array_new_with_free_func (g_free);

  g_test_add_func ("/group/daemon-side/trickle-and-tracks", test_trickle_and_tracks);
  g_test_add_func ("/group/daemon-side/subscriptions", test_subscriptions);
  g_test_add_func ("/group/daemon-side/old-core", test_old_core);
  g_test_add_func ("/group/daemon-side/core-without-subscriptions",
                   test_core_without_subscriptions);
  g_test_add_func ("/group/daemon-side/empty-sdp", test_empty_sdp);
  g_test_add_func ("/group/daemon-side/track-limit", test_track_limit);
  g_test_add_func ("/group/daemon-side/video-layer", test_video_layer);
  g_test_add_func ("/group/daemon-side/speaker-and-quality", test_speaker_and_quality);
  status = g_test_run ();
  g_ptr_array_unref (worker_bodies);
  g_ptr_array_unref (calls);
  g_ptr_array_unref (messages_sent);
  return status;
}
