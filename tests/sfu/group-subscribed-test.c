/* REST's SubscribedTracks against real rooms: a real convoked, its media
 * worker and convoke-client processes (webrtcbin) on loopback. In a group
 * room each participant must be listed as receiving exactly the audio and
 * video tracks the others publish, until a publisher leaves; in a
 * peer-to-peer room, whose media the server never sees, the list stays
 * empty. Every answer is checked against Twilio's OpenAPI description.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "group-client.h"
#include "openapi-validator.h"
#include "test-daemon.h"

#define MEDIA_TIMEOUT_MS 20000
#define REST_TIMEOUT_MS 10000
#define POLL_INTERVAL_US (100 * 1000)

#define LIST_SPEC "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/SubscribedTracks"
#define FETCH_SPEC LIST_SPEC "/{Sid}"
#define PUBLISHED_SPEC "/v1/Rooms/{RoomSid}/Participants/{ParticipantSid}/PublishedTracks"

/* NULL when the reference file is absent: schema checks are skipped. */
static OpenApiValidator *validator;

static char *
create_room (TestDaemon *d, const char *name, const char *type)
{
  const char *form[] = { "UniqueName", name, "Type", type, NULL };
  g_autoptr (JsonNode) body = NULL;

  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", TRUE, form, &body, NULL), ==, 201);
  return g_strdup (json_object_get_string_member (json_node_get_object (body), "sid"));
}

/* GET @path, which must answer 200 with a body matching @spec's schema. */
static JsonNode *
get_valid (TestDaemon *d, const char *spec, const char *path)
{
  JsonNode *body = NULL;

  g_assert_cmpuint (test_http (d, "GET", path, TRUE, NULL, &body, NULL), ==, 200);
  g_assert_nonnull (body);
  openapi_assert_response (validator, spec, "get", "200", body);
  return body;
}

static JsonArray *
member_array (JsonNode *node, const char *member)
{
  JsonObject *object = json_node_get_object (node);

  g_assert_true (json_object_has_member (object, member));
  return json_object_get_array_member (object, member);
}

static const char *
member_string (JsonObject *object, const char *member)
{
  return json_object_get_string_member_with_default (object, member, NULL);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* @items (char*) sorted and joined with ";". */
static char *
join_sorted (GPtrArray *items)
{
  g_ptr_array_sort (items, compare_strings);
  g_ptr_array_add (items, NULL);
  return g_strjoinv (";", (char **) items->pdata);
}

static char *
subscribed_path (const char *room, const char *participant)
{
  return g_strdup_printf ("/v1/Rooms/%s/Participants/%s/SubscribedTracks", room,
                          participant);
}

/* What REST says @participant receives: "PUBLISHER KIND TRACK-SID NAME"
 * items, sorted. Checks each item's other fields on the way. */
static char *
listed_subscriptions (TestDaemon *d, const char *room, const char *participant)
{
  g_autofree char *path = subscribed_path (room, participant);
  g_autoptr (JsonNode) body = get_valid (d, LIST_SPEC, path);
  JsonArray *tracks = member_array (body, "subscribed_tracks");
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *joined = NULL;

  for (guint i = 0; i < json_array_get_length (tracks); i++)
    {
      JsonObject *track = json_array_get_object_element (tracks, i);
      g_autofree char *url_tail
          = g_strdup_printf ("%s/%s", path, member_string (track, "sid"));

      g_assert_cmpstr (member_string (track, "participant_sid"), ==, participant);
      g_assert_cmpstr (member_string (track, "room_sid"), ==, room);
      g_assert_true (json_object_get_boolean_member (track, "enabled"));
      g_assert_true (g_str_has_suffix (member_string (track, "url"), url_tail));
      g_assert_nonnull (member_string (track, "date_created"));
      g_ptr_array_add (items, g_strdup_printf ("%s %s %s %s",
                                               member_string (track, "publisher_sid"),
                                               member_string (track, "kind"),
                                               member_string (track, "sid"),
                                               member_string (track, "name")));
    }
  joined = join_sorted (items);
  return g_steal_pointer (&joined);
}

/* What @participant should receive: every track each of @publishers
 * publishes, as listed_subscriptions() prints them. Each publisher must
 * publish exactly one audio and one video track. */
static char *
expected_subscriptions (TestDaemon *d, const char *room, GPtrArray *publishers)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < publishers->len; i++)
    {
      const char *publisher = g_ptr_array_index (publishers, i);
      g_autofree char *path = g_strdup_printf (
          "/v1/Rooms/%s/Participants/%s/PublishedTracks", room, publisher);
      g_autoptr (JsonNode) body = get_valid (d, PUBLISHED_SPEC, path);
      JsonArray *tracks = member_array (body, "published_tracks");
      gboolean audio = FALSE, video = FALSE;

      g_assert_cmpuint (json_array_get_length (tracks), ==, 2);
      for (guint j = 0; j < json_array_get_length (tracks); j++)
        {
          JsonObject *track = json_array_get_object_element (tracks, j);
          const char *kind = member_string (track, "kind");

          audio |= g_strcmp0 (kind, "audio") == 0;
          video |= g_strcmp0 (kind, "video") == 0;
          g_ptr_array_add (items, g_strdup_printf ("%s %s %s %s", publisher, kind,
                                                   member_string (track, "sid"),
                                                   member_string (track, "name")));
        }
      g_assert_true (audio && video);
    }
  return join_sorted (items);
}

/* Polls REST until @participant is listed as receiving exactly what
 * @publishers publish, then asserts it (so a timeout fails with both
 * lists in the message). */
static void
assert_receives (TestDaemon *d, const char *room, const char *participant,
                 GPtrArray *publishers)
{
  gint64 deadline = test_deadline (REST_TIMEOUT_MS);
  g_autofree char *expected = expected_subscriptions (d, room, publishers);
  g_autofree char *listed = NULL;

  for (;;)
    {
      g_free (listed);
      listed = listed_subscriptions (d, room, participant);
      if (g_str_equal (listed, expected) || g_get_monotonic_time () > deadline)
        break;
      g_usleep (POLL_INTERVAL_US);
    }
  g_test_message ("%s receives: %s", participant, listed);
  g_assert_cmpstr (listed, ==, expected);
}

/* Each listed track can be fetched by its sid alone, and is the same
 * object as in the list. */
static void
check_fetch (TestDaemon *d, const char *room, const char *participant)
{
  g_autofree char *path = subscribed_path (room, participant);
  g_autoptr (JsonNode) list = get_valid (d, LIST_SPEC, path);
  JsonArray *tracks = member_array (list, "subscribed_tracks");

  g_assert_cmpuint (json_array_get_length (tracks), >, 0);
  for (guint i = 0; i < json_array_get_length (tracks); i++)
    {
      JsonNode *listed = json_array_get_element (tracks, i);
      JsonObject *track = json_node_get_object (listed);
      g_autofree char *one_path
          = g_strdup_printf ("%s/%s", path, member_string (track, "sid"));
      g_autofree char *by_name
          = g_strdup_printf ("%s/%s", path, member_string (track, "name"));
      g_autoptr (JsonNode) one = get_valid (d, FETCH_SPEC, one_path);
      g_autoptr (JsonNode) error = NULL;

      g_assert_true (json_node_equal (one, listed));
      /* Names need not be unique among what one participant receives:
       * only the sid addresses a subscribed track (the client names its
       * tracks, so the name is never the sid here). */
      g_assert_cmpstr (member_string (track, "name"), !=, member_string (track, "sid"));
      g_assert_cmpuint (test_http (d, "GET", by_name, TRUE, NULL, &error, NULL), ==, 404);
      openapi_assert_error (validator, error, 404, 20404);
    }
}

/* Twilio's paging works on this list too: pages of 3 and then 1 hold
 * the same four tracks as the whole list. */
static void
check_paging (TestDaemon *d, const char *room, const char *participant)
{
  g_autofree char *path = subscribed_path (room, participant);
  g_autofree char *first_path = g_strdup_printf ("%s?PageSize=3", path);
  g_autoptr (JsonNode) whole = get_valid (d, LIST_SPEC, path);
  g_autoptr (JsonNode) first = get_valid (d, LIST_SPEC, first_path);
  g_autoptr (JsonNode) second = NULL;
  g_autoptr (GPtrArray) all_sids = g_ptr_array_new ();
  g_autoptr (GPtrArray) paged_sids = g_ptr_array_new ();
  g_autofree char *all_joined = NULL, *paged_joined = NULL;
  JsonObject *meta = json_object_get_object_member (json_node_get_object (first), "meta");
  const char *next = member_string (meta, "next_page_url");

  g_assert_cmpuint (json_array_get_length (member_array (first, "subscribed_tracks")), ==,
                    3);
  g_assert_nonnull (next);
  g_assert_true (g_str_has_prefix (next, d->base_url));
  second = get_valid (d, LIST_SPEC, next + strlen (d->base_url));
  g_assert_cmpuint (json_array_get_length (member_array (second, "subscribed_tracks")),
                    ==, 1);

  for (guint i = 0; i < 4; i++)
    g_ptr_array_add (all_sids, (gpointer) member_string (
                                   json_array_get_object_element (
                                       member_array (whole, "subscribed_tracks"), i),
                                   "sid"));
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (paged_sids, (gpointer) member_string (
                                     json_array_get_object_element (
                                         member_array (first, "subscribed_tracks"), i),
                                     "sid"));
  g_ptr_array_add (paged_sids, (gpointer) member_string (
                                   json_array_get_object_element (
                                       member_array (second, "subscribed_tracks"), 0),
                                   "sid"));
  /* join_sorted() NULL-terminates the arrays it is given. */
  all_joined = join_sorted (all_sids);
  paged_joined = join_sorted (paged_sids);
  g_assert_cmpstr (paged_joined, ==, all_joined);
}

static void
check_refusals (TestDaemon *d, const char *room, const char *participant)
{
  g_autofree char *path = subscribed_path (room, participant);
  g_autofree char *unknown = g_strdup_printf ("%s/MT%032d", path, 0);
  g_autofree char *hostile = g_strdup_printf (
      "%s/%%01%%1b%s", path, "MTffffffffffffffffffffffffffffffffffffffff");
  g_autoptr (JsonNode) error = NULL;
  g_autoptr (JsonNode) hostile_error = NULL;
  g_autoptr (JsonNode) post_error = NULL;
  const char *message;

  g_assert_cmpuint (test_http (d, "GET", unknown, TRUE, NULL, &error, NULL), ==, 404);
  openapi_assert_error (validator, error, 404, 20404);
  /* Control characters and long text from the URL are not echoed raw. */
  g_assert_cmpuint (test_http (d, "GET", hostile, TRUE, NULL, &hostile_error, NULL), ==,
                    404);
  message = member_string (json_node_get_object (hostile_error), "message");
  g_assert_nonnull (message);
  g_assert_null (strchr (message, '\x1b'));
  g_assert_null (strstr (message, "ffffffffffffffffffffffffffffffffffffffff"));
  g_assert_cmpuint (test_http (d, "POST", path, TRUE, NULL, &post_error, NULL), ==, 405);
}

static GPtrArray *
start_clients (TestDaemon *d, const char *dir, const char *room, guint count)
{
  GPtrArray *clients
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_client_free);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *identity = g_strdup_printf ("%s-user%u", room, i);

      g_ptr_array_add (clients, group_client_start (d, dir, room, identity));
    }
  return clients;
}

static const char *
client_sid (GroupClient *client)
{
  g_assert_nonnull (client->stats);
  return json_object_get_string_member (client->stats, "participant_sid");
}

/* Everyone but @skip of @sids. */
static GPtrArray *
others (GPtrArray *sids, guint skip)
{
  GPtrArray *result = g_ptr_array_new ();

  for (guint i = 0; i < sids->len; i++)
    if (i != skip)
      g_ptr_array_add (result, g_ptr_array_index (sids, i));
  return result;
}

/* Three clients in a group room: each receives the other two's audio and
 * video; when one leaves, the two left receive only each other's. */
static void
test_group_room (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *room = create_room (d, "subscribed", "group");
  g_autoptr (GPtrArray) clients = start_clients (d, dir, "subscribed", 3);
  g_autoptr (GPtrArray) sids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *departed_path = NULL;
  g_autoptr (JsonNode) departed_list = NULL;
  GroupClient *leaving;

  g_assert_true (group_clients_wait_media (clients, 10, MEDIA_TIMEOUT_MS));
  for (guint i = 0; i < clients->len; i++)
    g_ptr_array_add (sids, g_strdup (client_sid (g_ptr_array_index (clients, i))));

  for (guint i = 0; i < sids->len; i++)
    {
      g_autoptr (GPtrArray) publishers = others (sids, i);

      assert_receives (d, room, g_ptr_array_index (sids, i), publishers);
      check_fetch (d, room, g_ptr_array_index (sids, i));
    }
  check_paging (d, room, g_ptr_array_index (sids, 0));
  check_refusals (d, room, g_ptr_array_index (sids, 0));

  /* The last one leaves cleanly; the two left keep each other. */
  leaving = g_ptr_array_index (clients, 2);
  group_client_stop (leaving);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GPtrArray) publishers = g_ptr_array_new ();
      g_autofree char *listed = NULL;

      g_ptr_array_add (publishers, g_ptr_array_index (sids, 1 - i));
      assert_receives (d, room, g_ptr_array_index (sids, i), publishers);
      listed = listed_subscriptions (d, room, g_ptr_array_index (sids, i));
      g_assert_null (strstr (listed, g_ptr_array_index (sids, 2)));
    }
  /* Someone who left receives nothing. */
  departed_path = subscribed_path (room, g_ptr_array_index (sids, 2));
  departed_list = get_valid (d, LIST_SPEC, departed_path);
  g_assert_cmpuint (
      json_array_get_length (member_array (departed_list, "subscribed_tracks")), ==, 0);
  /* Media still flows between the two. */
  g_ptr_array_remove_index (clients, 2);
  g_assert_true (group_clients_wait_media (clients, 20, MEDIA_TIMEOUT_MS));

  g_clear_pointer (&clients, g_ptr_array_unref);
  test_daemon_stop (d);
  test_rm_rf (dir);
}

/* Two clients in a peer-to-peer room exchange media directly, so the
 * server never knows who receives what: the lists stay empty, while the
 * announced tracks are listed as published. */
static void
test_peer_to_peer_room (void)
{
  TestDaemon *d = test_daemon_start (NULL, NULL);
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *room = create_room (d, "direct", "peer-to-peer");
  g_autoptr (GPtrArray) clients = start_clients (d, dir, "direct", 2);

  g_assert_true (group_clients_wait_media (clients, 10, MEDIA_TIMEOUT_MS));
  for (guint i = 0; i < clients->len; i++)
    {
      GroupClient *client = g_ptr_array_index (clients, i);
      g_autofree char *path = subscribed_path (room, client_sid (client));
      g_autofree char *published_path = g_strdup_printf (
          "/v1/Rooms/%s/Participants/%s/PublishedTracks", room, client_sid (client));
      g_autoptr (JsonNode) list = get_valid (d, LIST_SPEC, path);
      g_autoptr (JsonNode) published = get_valid (d, PUBLISHED_SPEC, published_path);

      g_assert_cmpstr (json_object_get_string_member (client->stats, "topology"), ==,
                       "mesh");
      g_assert_cmpuint (json_array_get_length (member_array (list, "subscribed_tracks")),
                        ==, 0);
      g_assert_cmpuint (
          json_array_get_length (member_array (published, "published_tracks")), ==, 2);
    }

  g_clear_pointer (&clients, g_ptr_array_unref);
  test_daemon_stop (d);
  test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  validator = openapi_validator_load (&error);
  if (validator == NULL)
    g_test_message ("schema checks skipped: %s", error->message);

  g_test_add_func ("/group/subscribed/group-room", test_group_room);
  g_test_add_func ("/group/subscribed/peer-to-peer-room", test_peer_to_peer_room);
  status = g_test_run ();
  g_clear_pointer (&validator, openapi_validator_free);
  return status;
}
