/* The REST API end to end: a real convoked on an ephemeral port, driven
 * over HTTP, every response checked against Twilio's OpenAPI schemas.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "access-token.h"
#include "rest-test-util.h"

#define FORM(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Peer-to-peer by default: those rooms need no media worker. */
#define TEST_CONFIG                                                                      \
  "[rooms]\n"                                                                            \
  "default-type=peer-to-peer\n"                                                          \
  "[server]\n"                                                                           \
  "max-body-size=1024\n"

static void
assert_room_fields (TestDaemon *d, JsonNode *room, const char *name, const char *type,
                    const char *status)
{
  g_autofree char *url = NULL;
  const char *sid = rest_json_string (room, "sid");
  JsonObject *links;

  g_assert_cmpstr (rest_json_string (room, "unique_name"), ==, name ? name : sid);
  g_assert_cmpstr (rest_json_string (room, "type"), ==, type);
  g_assert_cmpstr (rest_json_string (room, "status"), ==, status);
  g_assert_cmpstr (rest_json_string (room, "account_sid"), ==, TEST_ACCOUNT_SID);
  url = g_strdup_printf ("%s/v1/Rooms/%s", d->base_url, sid);
  g_assert_cmpstr (rest_json_string (room, "url"), ==, url);
  links = json_object_get_object_member (json_node_get_object (room), "links");
  g_assert_true (
      g_str_has_prefix (json_object_get_string_member (links, "participants"), url));
  g_assert_true (rest_json_is_null (room, "pending_type"));
  g_assert_true (g_str_equal (status, "in-progress")
                 == rest_json_is_null (room, "end_time"));
  g_assert_true (g_str_equal (status, "in-progress")
                 == rest_json_is_null (room, "duration"));
}

static void
test_create_and_get (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (JsonNode) room = NULL;
  g_autoptr (JsonNode) plain = NULL;
  g_autoptr (JsonNode) go = NULL;
  g_autoptr (JsonNode) ignored = NULL;
  g_autoptr (JsonNode) participants = NULL;
  g_autofree char *path = NULL;
  const char *sid;

  room = rest_create_room (d, FORM ("UniqueName", "standup", "Type", "peer-to-peer",
                                    "MaxParticipants", "4", "EmptyRoomTimeout", "7",
                                    "UnusedRoomTimeout", "9"));
  assert_room_fields (d, room, "standup", "peer-to-peer", "in-progress");
  g_assert_cmpint (rest_json_int (room, "max_participants"), ==, 4);
  g_assert_cmpint (rest_json_int (room, "empty_room_timeout"), ==, 7);
  g_assert_cmpint (rest_json_int (room, "unused_room_timeout"), ==, 9);
  g_assert_true (rest_json_is_null (room, "status_callback"));
  g_assert_cmpstr (rest_json_string (room, "status_callback_method"), ==, "POST");
  sid = rest_json_string (room, "sid");

  /* By sid and by name: the same room. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (JsonNode) got = NULL;
      g_autofree char *p = g_strdup_printf ("/v1/Rooms/%s", i == 0 ? sid : "standup");

      g_assert_cmpuint (test_http (d, "GET", p, TRUE, NULL, &got, NULL), ==, 200);
      openapi_assert_response (rest_test_validator, "/v1/Rooms/{Sid}", "get", "200", got);
      g_assert_cmpstr (rest_json_string (got, "sid"), ==, sid);
      g_assert_cmpint (rest_json_int (got, "max_participants"), ==, 4);
    }

  path = g_strdup_printf ("/v1/Rooms/standup/Participants");
  g_assert_cmpuint (test_http (d, "GET", path, TRUE, NULL, &participants, NULL), ==, 200);
  openapi_assert_response (rest_test_validator, "/v1/Rooms/{RoomSid}/Participants", "get",
                           "200", participants);
  g_assert_cmpuint (
      json_array_get_length (rest_json_array (participants, "participants")), ==, 0);

  /* No parameters: named after its sid, the default type and its limit. */
  plain = rest_create_room (d, NULL);
  assert_room_fields (d, plain, NULL, "peer-to-peer", "in-progress");
  g_assert_cmpint (rest_json_int (plain, "max_participants"), ==, 10);

  go = rest_create_room (d, FORM ("Type", "go"));
  g_assert_cmpstr (rest_json_string (go, "type"), ==, "go");
  g_assert_cmpint (rest_json_int (go, "max_participants"), ==, 2);

  /* Twilio parameters Convoke accepts and ignores. */
  ignored = rest_create_room (
      d, FORM ("UniqueName", "ignored", "VideoCodecs", "H264", "MediaRegion", "de1",
               "AudioOnly", "true", "EnableTurn", "false", "MaxParticipantDuration",
               "600", "LargeRoom", "false", "RecordingRules", "[]"));
  g_assert_cmpstr (rest_json_string (ignored, "unique_name"), ==, "ignored");

  test_daemon_stop (d);
}

static GPtrArray *
names_of (JsonNode *list)
{
  JsonArray *rooms = rest_json_array (list, "rooms");
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (rooms); i++)
    g_ptr_array_add (names,
                     g_strdup (json_object_get_string_member (
                         json_array_get_object_element (rooms, i), "unique_name")));
  return names;
}

static JsonNode *
get_list (TestDaemon *d, const char *path)
{
  JsonNode *list = NULL;

  g_assert_cmpuint (test_http (d, "GET", path, TRUE, NULL, &list, NULL), ==, 200);
  openapi_assert_response (rest_test_validator, "/v1/Rooms", "get", "200", list);
  return list;
}

static JsonNode *
meta_of (JsonNode *list)
{
  return json_object_get_member (json_node_get_object (list), "meta");
}

static void
test_list_paging (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *first_url = NULL;
  g_autofree char *next = g_strdup ("/v1/Rooms?PageSize=2");
  g_autofree char *page1_prev = NULL;
  g_autoptr (GPtrArray) page1_names = NULL;
  guint page = 0;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("pg-%u", i);
      g_autoptr (JsonNode) room = rest_create_room (d, FORM ("UniqueName", name));
    }

  first_url = g_strdup_printf ("%s/v1/Rooms?PageSize=2&Page=0", d->base_url);
  while (next != NULL)
    {
      g_autoptr (JsonNode) list = get_list (d, next);
      g_autoptr (GPtrArray) names = names_of (list);
      JsonNode *meta = meta_of (list);

      g_assert_cmpint (rest_json_int (meta, "page"), ==, page);
      g_assert_cmpint (rest_json_int (meta, "page_size"), ==, 2);
      g_assert_cmpstr (rest_json_string (meta, "key"), ==, "rooms");
      g_assert_cmpstr (rest_json_string (meta, "first_page_url"), ==, first_url);
      g_assert_true (rest_json_is_null (meta, "previous_page_url") == (page == 0));
      g_assert_cmpuint (names->len, ==, page < 2 ? 2 : 1);
      for (guint i = 0; i < names->len; i++)
        g_ptr_array_add (seen, g_strdup (names->pdata[i]));
      if (page == 1)
        {
          page1_names = g_ptr_array_ref (names);
          page1_prev
              = g_strdup (rest_path_of (d, rest_json_string (meta, "previous_page_url")));
        }
      g_clear_pointer (&next, g_free);
      if (!rest_json_is_null (meta, "next_page_url"))
        next = g_strdup (rest_path_of (d, rest_json_string (meta, "next_page_url")));
      page++;
      g_assert_cmpuint (page, <=, 3);
    }
  g_assert_cmpuint (page, ==, 3);
  /* Newest first, each room once. */
  g_assert_cmpuint (seen->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *expected = g_strdup_printf ("pg-%u", 4 - i);
      g_assert_cmpstr (seen->pdata[i], ==, expected);
    }

  /* previous_page_url of page 1 is page 0; Page=1 alone is page 1. */
  {
    g_autoptr (JsonNode) prev = get_list (d, page1_prev);
    g_autoptr (GPtrArray) prev_names = names_of (prev);
    g_autoptr (JsonNode) by_number = get_list (d, "/v1/Rooms?PageSize=2&Page=1");
    g_autoptr (GPtrArray) number_names = names_of (by_number);

    g_assert_cmpint (rest_json_int (meta_of (prev), "page"), ==, 0);
    g_assert_cmpstr (prev_names->pdata[0], ==, "pg-4");
    g_assert_cmpstr (prev_names->pdata[1], ==, "pg-3");
    g_assert_cmpstr (number_names->pdata[0], ==, page1_names->pdata[0]);
    g_assert_cmpstr (number_names->pdata[1], ==, page1_names->pdata[1]);
  }

  /* Filters, echoed into the page URLs. */
  {
    g_autoptr (JsonNode) one = get_list (d, "/v1/Rooms?UniqueName=pg-3");
    g_autoptr (JsonNode) completed = get_list (d, "/v1/Rooms?Status=completed");
    g_autoptr (JsonNode) future = get_list (d, "/v1/Rooms?DateCreatedAfter=2999-01-01");
    g_autoptr (JsonNode) past = get_list (d, "/v1/Rooms?DateCreatedBefore=2999-01-01");
    g_autoptr (JsonNode) since
        = get_list (d, "/v1/Rooms?DateCreatedAfter=2000-01-01T00:00:00Z");
    g_autofree char *url = g_strdup_printf (
        "%s/v1/Rooms?Status=completed&PageSize=50&Page=0", d->base_url);

    g_assert_cmpuint (json_array_get_length (rest_json_array (one, "rooms")), ==, 1);
    g_assert_nonnull (
        strstr (rest_json_string (meta_of (one), "url"), "UniqueName=pg-3&"));
    g_assert_cmpuint (json_array_get_length (rest_json_array (completed, "rooms")), ==,
                      0);
    g_assert_cmpstr (rest_json_string (meta_of (completed), "url"), ==, url);
    g_assert_cmpuint (json_array_get_length (rest_json_array (future, "rooms")), ==, 0);
    g_assert_cmpuint (json_array_get_length (rest_json_array (past, "rooms")), ==, 5);
    g_assert_cmpuint (json_array_get_length (rest_json_array (since, "rooms")), ==, 5);
  }

  /* Bad paging and filters. */
  {
    static const char *const bad[] = {
      "/v1/Rooms?PageSize=0",
      "/v1/Rooms?PageSize=1001",
      "/v1/Rooms?PageSize=ten",
      "/v1/Rooms?Page=-1",
      "/v1/Rooms?PageToken=nonsense",
      "/v1/Rooms?Status=running",
      "/v1/Rooms?DateCreatedAfter=last-week",
      "/v1/Rooms?UniqueName=%C3%28",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      g_free (rest_expect_error (d, "GET", bad[i], NULL, 400, 21200));
  }
  rest_assert_serving (d);
  test_daemon_stop (d);
}

static void
test_duplicate_and_complete (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (JsonNode) room = rest_create_room (d, FORM ("UniqueName", "daily"));
  g_autofree char *sid = g_strdup (rest_json_string (room, "sid"));
  g_autofree char *path = g_strdup_printf ("/v1/Rooms/%s", sid);
  g_autofree char *message = NULL;
  g_autoptr (JsonNode) done = NULL;
  g_autoptr (JsonNode) again = NULL;
  g_autoptr (JsonNode) fetched = NULL;
  g_autoptr (JsonNode) reborn = NULL;

  message = rest_expect_error (d, "POST", "/v1/Rooms", FORM ("UniqueName", "daily"), 409,
                               53113);
  g_assert_nonnull (strstr (message, "daily"));

  g_assert_cmpuint (
      test_http (d, "POST", path, TRUE, FORM ("Status", "completed"), &done, NULL), ==,
      202);
  openapi_assert_response (rest_test_validator, "/v1/Rooms/{Sid}", "post", "202", done);
  assert_room_fields (d, done, "daily", "peer-to-peer", "completed");
  g_assert_cmpint (rest_json_int (done, "duration"), >=, 0);

  g_assert_cmpuint (test_http (d, "GET", path, TRUE, NULL, &fetched, NULL), ==, 200);
  g_assert_cmpstr (rest_json_string (fetched, "status"), ==, "completed");
  /* A name only addresses a room in progress. */
  g_clear_pointer (&message, g_free);
  message = rest_expect_error (d, "GET", "/v1/Rooms/daily", NULL, 404, 20404);
  g_assert_nonnull (strstr (message, "daily"));

  {
    g_autoptr (JsonNode) active = get_list (d, "/v1/Rooms");
    g_autoptr (JsonNode) completed = get_list (d, "/v1/Rooms?Status=completed");

    g_assert_cmpuint (json_array_get_length (rest_json_array (active, "rooms")), ==, 0);
    g_assert_cmpuint (json_array_get_length (rest_json_array (completed, "rooms")), ==,
                      1);
  }

  /* Completing twice leaves it completed; other updates are refused. */
  g_assert_cmpuint (
      test_http (d, "POST", path, TRUE, FORM ("Status", "completed"), &again, NULL), ==,
      202);
  g_assert_cmpstr (rest_json_string (again, "status"), ==, "completed");
  g_assert_cmpstr (rest_json_string (again, "end_time"), ==,
                   rest_json_string (done, "end_time"));
  g_free (
      rest_expect_error (d, "POST", path, FORM ("Status", "in-progress"), 400, 53112));
  g_free (rest_expect_error (d, "POST", path, NULL, 400, 53112));

  /* The name is free again. */
  reborn = rest_create_room (d, FORM ("UniqueName", "daily"));
  g_assert_cmpstr (rest_json_string (reborn, "sid"), !=, sid);
  test_daemon_stop (d);
}

static guint
raw_request (TestDaemon *d, const char *method, const char *path,
             const char *authorization, char **header_out, const char *header_name)
{
  g_autofree char *url = g_strconcat (d->base_url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  authorization);
  body = soup_session_send_and_read (d->session, msg, NULL, &error);
  g_assert_no_error (error);
  if (header_out != NULL)
    *header_out = g_strdup (soup_message_headers_get_one (
        soup_message_get_response_headers (msg), header_name));
  return soup_message_get_status (msg);
}

static void
test_auth (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonNode) health = NULL;
  g_autoptr (GBytes) metrics = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *metrics_text = NULL;
  static const char *const garbage[]
      = { "Basic !!!", "Bearer abc", "Basic ", "Basic Og==" };

  g_assert_cmpuint (test_http (d, "GET", "/v1/Rooms", FALSE, NULL, &body, NULL), ==, 401);
  openapi_assert_error (rest_test_validator, body, 401, 20003);
  g_clear_pointer (&body, json_node_unref);

  g_assert_cmpuint (test_http_full (d, "GET", "/v1/Rooms", TEST_API_KEY, "wrong-secret",
                                    NULL, NULL, &body, NULL),
                    ==, 401);
  openapi_assert_error (rest_test_validator, body, 401, 20003);
  g_clear_pointer (&body, json_node_unref);
  g_assert_cmpuint (test_http_full (d, "GET", "/v1/Rooms", "SKwrong", TEST_API_SECRET,
                                    NULL, NULL, &body, NULL),
                    ==, 401);
  openapi_assert_error (rest_test_validator, body, 401, 20003);
  g_clear_pointer (&body, json_node_unref);
  /* A secret that is right but for one extra byte. */
  g_assert_cmpuint (test_http_full (d, "GET", "/v1/Rooms", TEST_API_KEY,
                                    TEST_API_SECRET "x", NULL, NULL, &body, NULL),
                    ==, 401);
  g_clear_pointer (&body, json_node_unref);

  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    g_assert_cmpuint (raw_request (d, "GET", "/v1/Rooms", garbage[i], NULL, NULL), ==,
                      401);
  g_assert_cmpuint (
      raw_request (d, "GET", "/v1/Rooms", NULL, &challenge, "WWW-Authenticate"), ==, 401);
  g_assert_true (g_str_has_prefix (challenge, "Basic "));

  /* Refused before anything happens: no room is created, and unknown
   * paths do not leak whether they exist. */
  g_assert_cmpuint (test_http (d, "POST", "/v1/Rooms", FALSE,
                               FORM ("UniqueName", "sneaky"), NULL, NULL),
                    ==, 401);
  g_assert_cmpuint (test_http (d, "GET", "/v1/Nothing", FALSE, NULL, NULL, NULL), ==,
                    401);
  g_assert_cmpuint (test_http (d, "GET", "/v1/Rooms/sneaky", TRUE, NULL, NULL, NULL), ==,
                    404);

  /* Health and metrics need no credentials. */
  g_assert_cmpuint (test_http (d, "GET", "/healthz", FALSE, NULL, &health, NULL), ==,
                    200);
  g_assert_cmpstr (rest_json_string (health, "status"), ==, "ok");
  g_assert_cmpuint (test_http (d, "GET", "/metrics", FALSE, NULL, NULL, &metrics), ==,
                    200);
  metrics_text = g_strndup (g_bytes_get_data (metrics, NULL), g_bytes_get_size (metrics));
  g_assert_nonnull (strstr (metrics_text, "surface=\"rest\",code=\"20003\""));
  g_assert_nonnull (strstr (metrics_text, "surface=\"rest\",code=\"20404\""));
  g_assert_cmpuint (test_http (d, "POST", "/healthz", FALSE, NULL, NULL, NULL), ==, 405);

  rest_assert_serving (d);
  test_daemon_stop (d);
}

static void
post_raw (TestDaemon *d, const char *content_type, const char *body, guint http_status,
          int code)
{
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr (JsonNode) reply = NULL;

  g_assert_cmpuint (test_http_full (d, "POST", "/v1/Rooms", TEST_API_KEY, TEST_API_SECRET,
                                    content_type, bytes, &reply, NULL),
                    ==, http_status);
  openapi_assert_error (rest_test_validator, reply, http_status, code);
  g_test_message ("%s → %s", body, rest_json_string (reply, "message"));
}

static void
test_bad_input (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (JsonNode) room = rest_create_room (d, FORM ("UniqueName", "kept"));
  g_autofree char *sid = g_strdup (rest_json_string (room, "sid"));
  g_autofree char *message = NULL;
  g_autoptr (JsonNode) list = NULL;
  static const struct
  {
    const char *name, *value;
    int code;
    const char *mentions;
  } params[] = {
    { "Type", "huge", 53108, "peer-to-peer" },
    { "MaxParticipants", "0", 53107, "MaxParticipants" },
    { "MaxParticipants", "11", 53107, "11" },
    { "MaxParticipants", "lots", 53107, "lots" },
    { "EmptyRoomTimeout", "0", 53109, "EmptyRoomTimeout" },
    { "EmptyRoomTimeout", "61", 53109, "61" },
    { "UnusedRoomTimeout", "soon", 53109, "UnusedRoomTimeout" },
    { "RecordParticipantsOnConnect", "true", 53117, "peer-to-peer" },
    { "RecordParticipantsOnConnect", "maybe", 21200, "maybe" },
    { "StatusCallback", "ftp://example.org/cb", 53111, "ftp://example.org/cb" },
    { "StatusCallback", "not a url", 53111, "not a url" },
    { "StatusCallback", "http://", 53111, "http://" },
    { "StatusCallbackMethod", "PUT", 53111, "PUT" },
    { "UniqueName", "a/b", 53100, "a/b" },
    { "UniqueName",
      "a-name-that-is-far-too-long-a-name-that-is-far-too-long-a-name-that-is-far-too-"
      "long-"
      "a-name-that-is-far-too-long-a-name-that-is-far-too-long",
      53101, "128" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (params); i++)
    {
      g_autofree char *msg = rest_expect_error (d, "POST", "/v1/Rooms",
                                                FORM (params[i].name, params[i].value),
                                                400, params[i].code);
      if (strstr (msg, params[i].mentions) == NULL)
        g_error ("%s=%s: message “%s” does not mention “%s”", params[i].name,
                 params[i].value, msg, params[i].mentions);
    }
  message = rest_expect_error (d, "POST", "/v1/Rooms", FORM ("Type", "huge"), 400, 53108);
  g_assert_nonnull (strstr (message, "huge"));
  g_assert_nonnull (strstr (message, "group"));

  /* Bodies that are not form encoding at all. */
  post_raw (d, NULL, "UniqueName=%zz", 400, 21200);
  post_raw (d, NULL, "UniqueName", 400, 21200);
  post_raw (d, NULL, "a=1&&b=2", 400, 21200);
  post_raw (d, NULL, "UniqueName=%ff%fe", 400, 21200);
  post_raw (d, "application/json", "{\"UniqueName\":\"json\"}", 400, 21200);

  /* Unknown resources and methods. */
  g_clear_pointer (&message, g_free);
  message = rest_expect_error (d, "GET", "/v1/Rooms/nope", NULL, 404, 20404);
  g_assert_nonnull (strstr (message, "nope"));
  g_free (rest_expect_error (d, "GET", "/v1/Foo", NULL, 404, 20404));
  g_free (rest_expect_error (d, "GET", "/v1/", NULL, 404, 20404));
  g_free (rest_expect_error (d, "GET", "/v1/Rooms//Participants", NULL, 404, 20404));
  {
    g_autofree char *p1 = g_strdup_printf ("/v1/Rooms/%s/Bogus", sid);
    g_autofree char *p2 = g_strdup_printf ("/v1/Rooms/%s/Participants/PA%032d", sid, 0);
    g_autofree char *p3
        = g_strdup_printf ("/v1/Rooms/%s/Participants/nobody/PublishedTracks", sid);
    g_autofree char *p4 = g_strdup_printf ("/v1/Rooms/%s", sid);
    g_autofree char *p5 = g_strdup_printf ("/v1/Rooms/%s/Participants", sid);

    g_free (rest_expect_error (d, "GET", p1, NULL, 404, 20404));
    g_free (rest_expect_error (d, "GET", p2, NULL, 404, 20404));
    g_free (rest_expect_error (d, "GET", p3, NULL, 404, 20404));
    g_free (rest_expect_error (d, "PUT", p4, NULL, 405, 20004));
    g_free (rest_expect_error (d, "POST", p5, NULL, 405, 20004));
  }
  g_free (rest_expect_error (d, "DELETE", "/v1/Rooms", NULL, 405, 20004));

  /* Nothing above created a room, and the daemon still serves. */
  list = get_list (d, "/v1/Rooms");
  g_assert_cmpuint (json_array_get_length (rest_json_array (list, "rooms")), ==, 1);
  rest_assert_serving (d);
  test_daemon_stop (d);
}

/* A body stream of unknown length, so libsoup sends it chunked. */
static guint
post_chunked (TestDaemon *d, gsize size, JsonNode **reply, gboolean expect_continue)
{
  g_autofree char *url = g_strconcat (d->base_url, "/v1/Rooms", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autofree char *data = g_malloc (size);
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *pair = g_strdup_printf ("%s:%s", TEST_API_KEY, TEST_API_SECRET);
  g_autofree char *b64 = g_base64_encode ((const guchar *) pair, strlen (pair));
  g_autofree char *auth = g_strconcat ("Basic ", b64, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  memset (data, 'a', size);
  memcpy (data, "UniqueName=", 11);
  soup_message_headers_replace (headers, "Authorization", auth);
  if (expect_continue)
    {
      soup_message_headers_set_expectations (headers, SOUP_EXPECTATION_CONTINUE);
      body = g_bytes_new_take (g_steal_pointer (&data), size);
      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded",
                                                body);
      g_clear_pointer (&body, g_bytes_unref);
    }
  else
    {
      stream
          = g_memory_input_stream_new_from_data (g_steal_pointer (&data), size, g_free);
      soup_message_set_request_body (msg, "application/x-www-form-urlencoded", stream,
                                     -1);
    }
  body = soup_session_send_and_read (d->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                             g_bytes_get_size (body), NULL));
  *reply = json_node_copy (json_parser_get_root (parser));
  return soup_message_get_status (msg);
}

static void
test_body_too_large (void)
{
  TestDaemon *d = test_daemon_start (TEST_CONFIG, NULL);
  g_autoptr (GString) big = g_string_new ("UniqueName=big&Pad=");
  g_autoptr (GString) fits = g_string_new ("UniqueName=fits&Pad=");
  g_autoptr (JsonNode) list = NULL;

  while (big->len <= 1024)
    g_string_append_c (big, 'x');
  post_raw (d, NULL, big->str, 413, 21617);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (JsonNode) reply = NULL;

      /* Chunked (no Content-Length), then announced with Expect: 100-continue. */
      g_assert_cmpuint (post_chunked (d, i == 2 ? 1 << 20 : 4096, &reply, i > 0), ==,
                        413);
      openapi_assert_error (rest_test_validator, reply, 413, 21617);
    }

  /* Just under the limit is fine. */
  while (fits->len < 1000)
    g_string_append_c (fits, 'y');
  {
    g_autoptr (GBytes) bytes = g_bytes_new (fits->str, fits->len);
    g_autoptr (JsonNode) room = NULL;

    g_assert_cmpuint (test_http_full (d, "POST", "/v1/Rooms", TEST_API_KEY,
                                      TEST_API_SECRET, NULL, bytes, &room, NULL),
                      ==, 201);
    g_assert_cmpstr (rest_json_string (room, "unique_name"), ==, "fits");
  }

  list = get_list (d, "/v1/Rooms");
  g_assert_cmpuint (json_array_get_length (rest_json_array (list, "rooms")), ==, 1);
  rest_assert_serving (d);
  test_daemon_stop (d);
}

typedef struct
{
  TestDaemon *d;
  const char *path;
} RoomPoll;

static gboolean
room_completed (gpointer data)
{
  RoomPoll *poll = data;
  g_autoptr (JsonNode) room = NULL;

  if (test_http (poll->d, "GET", poll->path, TRUE, NULL, &room, NULL) != 200)
    return FALSE;
  if (g_strcmp0 (rest_json_string (room, "status"), "completed") != 0)
    {
      g_usleep (20 * 1000);
      return FALSE;
    }
  return TRUE;
}

static void
test_unused_room_timeout (void)
{
  TestDaemon *d;
  g_autoptr (JsonNode) quick = NULL;
  g_autoptr (JsonNode) slow = NULL;
  g_autoptr (JsonNode) slow_now = NULL;
  g_autofree char *quick_path = NULL;
  g_autofree char *slow_path = NULL;
  RoomPoll poll;

  /* One "minute" of room timeouts lasts 100 ms for this daemon. */
  g_setenv ("CONVOKE_TIMEOUT_UNIT_MS", "100", TRUE);
  d = test_daemon_start (TEST_CONFIG, NULL);
  g_unsetenv ("CONVOKE_TIMEOUT_UNIT_MS");

  slow = rest_create_room (d, FORM ("UniqueName", "slow", "UnusedRoomTimeout", "60"));
  quick = rest_create_room (d, FORM ("UniqueName", "quick", "UnusedRoomTimeout", "1"));
  quick_path = g_strdup_printf ("/v1/Rooms/%s", rest_json_string (quick, "sid"));
  slow_path = g_strdup_printf ("/v1/Rooms/%s", rest_json_string (slow, "sid"));

  poll = (RoomPoll){ d, quick_path };
  g_assert_true (test_wait_until (room_completed, &poll, 5000));
  g_assert_cmpuint (test_http (d, "GET", slow_path, TRUE, NULL, &slow_now, NULL), ==,
                    200);
  g_assert_cmpstr (rest_json_string (slow_now, "status"), ==, "in-progress");
  test_daemon_stop (d);
}

static void
test_dev_token (void)
{
  TestDaemon *off = test_daemon_start (TEST_CONFIG, NULL);
  TestDaemon *on;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (ConvokeAccessToken) token = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (
      test_http (off, "GET", "/dev/token?identity=alice", FALSE, NULL, &reply, NULL), ==,
      404);
  openapi_assert_error (rest_test_validator, reply, 404, 20404);
  g_clear_pointer (&reply, json_node_unref);
  test_daemon_stop (off);

  on = test_daemon_start (TEST_CONFIG "dev-tokens=true\n", NULL);
  g_assert_cmpuint (test_http (on, "GET", "/dev/token?identity=alice&room=standup", FALSE,
                               NULL, &reply, NULL),
                    ==, 200);
  g_assert_cmpstr (rest_json_string (reply, "identity"), ==, "alice");
  g_assert_cmpstr (rest_json_string (reply, "room"), ==, "standup");
  token = convoke_access_token_verify (rest_json_string (reply, "token"), TEST_API_KEY,
                                       TEST_API_SECRET, "standup", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token->identity, ==, "alice");
  g_clear_pointer (&reply, json_node_unref);

  g_assert_cmpuint (test_http (on, "GET", "/dev/token", FALSE, NULL, &reply, NULL), ==,
                    400);
  openapi_assert_error (rest_test_validator, reply, 400, 21200);
  g_assert_cmpuint (
      test_http (on, "POST", "/dev/token?identity=x", FALSE, NULL, NULL, NULL), ==, 405);
  test_daemon_stop (on);
}

int
main (int argc, char **argv)
{
  rest_test_init (&argc, &argv);
  g_test_add_func ("/rest/rooms/create-and-get", test_create_and_get);
  g_test_add_func ("/rest/rooms/list-paging", test_list_paging);
  g_test_add_func ("/rest/rooms/duplicate-and-complete", test_duplicate_and_complete);
  g_test_add_func ("/rest/rooms/unused-room-timeout", test_unused_room_timeout);
  g_test_add_func ("/rest/auth", test_auth);
  g_test_add_func ("/rest/bad-input", test_bad_input);
  g_test_add_func ("/rest/body-too-large", test_body_too_large);
  g_test_add_func ("/rest/dev-token", test_dev_token);
  return rest_test_run ();
}
