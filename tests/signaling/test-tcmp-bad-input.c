/* The Twilio SDK protocol (TCMP v2 framing RSP v2, WebSocket path
 * /signaling) against bad input, in peer-to-peer rooms of a real convoked
 * (mesh module, no media worker). Each case checks the answer and the
 * close code, and that a well-behaved SDK-style participant of the same
 * room keeps its socket, heartbeats and answers, that REST lists it as
 * connected (and a refused participant no longer), and that the daemon
 * lives:
 *
 * - TCMP garbage (not JSON, not an object, no type, a binary frame, an
 *   unknown TCMP type, `msg` before `hello`, a second `hello`, a wrong
 *   version, no body): `bad`, close 1008. After `connect` the participant
 *   stays, as after any dropped socket: `sync` resumes it.
 * - RSP refusals: `msg` {type:"error", code}, close 1000, the participant
 *   leaves. An unknown RSP type, `update` before `connect`, an offer whose
 *   revision goes backwards, ids the server never offered, over 64 ICE
 *   candidates (53004); bad tokens (20101, 20104, 20106, 20107); an
 *   unknown `sync` session (53001) or someone else's (20106); a `sync` for
 *   another session of the same identity on a socket that carries one
 *   (53004: the socket's own participant leaves, the other stays).
 * - Limits: a 1 MB SDP gets 53009 and close 1009, a flood 53010 and close
 *   1008 after 5 s; the participant leaves at once.
 * - A cumulative ICE list that shrinks under the same ufrag is no error
 *   (the SDK starts its list afresh after each local description): only
 *   candidates not relayed before reach the peer.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "access-token.h"
#include "signaling-test-client.h"

/* Deadlines are base figures, scaled by the harness (test-time.h). */
#define WAIT_MS 5000
#define RATE 10
#define SDP "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:u\r\n"

static TestDaemon *daemon_;

static const char *config_text = "[rooms]\n"
                                 "default-type=peer-to-peer\n"
                                 "auto-create=true\n"
                                 "[type:peer-to-peer]\n"
                                 "module=mesh\n"
                                 "max-participants=10\n"
                                 "[signaling]\n"
                                 "max-messages-per-second=" G_STRINGIFY (RATE) "\n";

/* An SDK-style participant: its socket (c->sid, c->room_sid set), and
 * what it needs to go on. */
typedef struct
{
  SigClient *c;
  char *token;
  char *session;
  gint64 revision; /* of the last `participant` state sent */
} Peer;

static void
peer_free (Peer *p)
{
  if (p == NULL)
    return;
  sig_client_free (p->c);
  g_free (p->token);
  g_free (p->session);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SigClient, sig_client_free)

/* ---- JSON and RSP bodies in the queue ------------------------------------ */

static const char *
str (JsonObject *object, const char *name)
{
  return object != NULL ? json_object_get_string_member_with_default (object, name, NULL)
                        : NULL;
}

static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                       : NULL;
}

static JsonArray *
array_member (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* The object in @array whose string @member is @value (NULL: the first). */
static JsonObject *
find_element (JsonArray *array, const char *member, const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *object
          = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (object != NULL
          && (value == NULL || g_strcmp0 (str (object, member), value) == 0))
        return object;
    }
  return NULL;
}

/* The body of a TCMP `msg` frame if its type is @type (NULL: any). */
static JsonObject *
frame_body (JsonObject *frame, const char *type)
{
  JsonObject *body = object_member (frame, "body");

  if (g_strcmp0 (str (frame, "type"), "msg") != 0 || body == NULL
      || (type != NULL && g_strcmp0 (str (body, "type"), type) != 0))
    return NULL;
  return body;
}

typedef gboolean (*BodyMatch) (JsonObject *body, gconstpointer data);

typedef struct
{
  SigClient *c;
  const char *type;
  BodyMatch match;
  gconstpointer data;
} BodyWait;

static GList *
find_body (BodyWait *w)
{
  for (GList *l = w->c->received.head; l != NULL; l = l->next)
    {
      JsonObject *body = frame_body (l->data, w->type);

      if (body != NULL && (w->match == NULL || w->match (body, w->data)))
        return l;
    }
  return NULL;
}

static gboolean
body_or_closed (gpointer data)
{
  BodyWait *w = data;

  return find_body (w) != NULL || w->c->closed;
}

/* The first queued body of @type that @match (NULL: any) accepts, taken
 * from the queue, waiting up to @timeout_ms; NULL when none came. */
static JsonObject *
take_body (SigClient *c, const char *type, BodyMatch match, gconstpointer data,
           guint timeout_ms)
{
  BodyWait w = { c, type, match, data };
  JsonObject *body;
  GList *l;

  sig_client_spin_until (c, body_or_closed, &w, timeout_ms);
  if ((l = find_body (&w)) == NULL)
    return NULL;
  body = json_object_ref (frame_body (l->data, type));
  json_object_unref (l->data);
  g_queue_delete_link (&c->received, l);
  return body;
}

static JsonObject *
wait_body (SigClient *c, const char *type)
{
  JsonObject *body = take_body (c, type, NULL, NULL, WAIT_MS);

  if (body == NULL)
    g_error ("no “%s” (closed: %d, code %u)", type, c->closed, c->close_code);
  return body;
}

/* Drops the queued `update`s @match accepts; returns how many. */
static guint
drop_updates (SigClient *c, BodyMatch match, gconstpointer data)
{
  JsonObject *body;
  guint n = 0;

  for (; (body = take_body (c, "update", match, data, 0)) != NULL; n++)
    json_object_unref (body);
  return n;
}

static JsonObject *
pc_entry (JsonObject *body, const char *id)
{
  return find_element (array_member (body, "peer_connections"), "id", id);
}

typedef struct
{
  const char *id; /* NULL: any */
  const char *type;
} PcDescription;

static gboolean
has_description (JsonObject *body, gconstpointer data)
{
  const PcDescription *want = data;

  return g_strcmp0 (
             str (object_member (pc_entry (body, want->id), "description"), "type"),
             want->type)
         == 0;
}

/* ICE for peer connection @data. */
static gboolean
has_ice (JsonObject *body, gconstpointer data)
{
  return object_member (pc_entry (body, data), "ice") != NULL;
}

/* `published` lists track @data as ready. */
static gboolean
publishes (JsonObject *body, gconstpointer data)
{
  JsonArray *tracks = array_member (object_member (body, "published"), "tracks");

  return g_strcmp0 (str (find_element (tracks, "id", data), "state"), "ready") == 0;
}

/* `participants` lists participant @data as disconnected. */
static gboolean
announces_gone (JsonObject *body, gconstpointer data)
{
  JsonArray *list = array_member (body, "participants");

  return g_strcmp0 (str (find_element (list, "sid", data), "state"), "disconnected") == 0;
}

static gboolean
lists_participants (JsonObject *body, gconstpointer data)
{
  return json_object_has_member (body, "participants");
}

/* ---- participants ---------------------------------------------------------- */

static SigClient *
open_socket (void)
{
  return sig_client_connect_path (daemon_, "/signaling", NULL);
}

/* `hello` as the SDK sends it (timeout 1000: heartbeats every 500 ms). */
static void
send_hello (SigClient *c, const char *body)
{
  sig_client_sendf (c,
                    "{\"type\":\"hello\",\"id\":\"h1\",\"timeout\":1000,\"version\":2,"
                    "\"body\":%s}",
                    body);
}

static void
send_msg (SigClient *c, const char *body)
{
  sig_client_sendf (c, "{\"type\":\"msg\",\"body\":%s}", body);
}

/* Joins @room as the SDK does: `ice` in `hello`, then `connect`. */
static Peer *
peer_connect (const char *identity, const char *room)
{
  Peer *p = g_new0 (Peer, 1);
  g_autofree char *ice = NULL;
  g_autofree char *connect = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) iced = NULL;
  g_autoptr (JsonObject) connected = NULL;
  JsonObject *participant;

  p->token = test_daemon_token (daemon_, identity, room);
  p->c = open_socket ();
  ice = g_strdup_printf (
      "{\"type\":\"ice\",\"version\":1,\"edge\":\"roaming\",\"token\":\"%s\"}", p->token);
  send_hello (p->c, ice);
  welcome = sig_client_wait_for (p->c, "welcome", WAIT_MS);
  g_assert_nonnull (welcome);
  g_assert_cmpint (json_object_get_int_member (welcome, "negotiatedTimeout"), ==, 1000);
  iced = wait_body (p->c, "iced");
  g_assert_true (json_object_has_member (iced, "ice_servers"));

  connect
      = g_strdup_printf ("{\"type\":\"connect\",\"version\":2,\"token\":\"%s\","
                         "\"name\":\"%s\",\"participant\":{\"revision\":1,\"tracks\":[]},"
                         "\"peer_connections\":[]}",
                         p->token, room);
  send_msg (p->c, connect);
  connected = wait_body (p->c, "connected");
  participant = json_object_get_object_member (connected, "participant");
  g_assert_cmpstr (str (participant, "identity"), ==, identity);
  p->c->sid = g_strdup (str (participant, "sid"));
  p->c->room_sid = g_strdup (str (connected, "sid"));
  p->session = g_strdup (str (connected, "session"));
  p->revision = 1;
  return p;
}

/* The second of a pair gets `create-offer`: the id to offer on. */
static char *
await_create_offer (Peer *p)
{
  static const PcDescription create = { NULL, "create-offer" };
  g_autoptr (JsonObject) update
      = take_body (p->c, "update", has_description, &create, WAIT_MS);

  g_assert_nonnull (update);
  return g_strdup (str (pc_entry (update, NULL), "id"));
}

static void
send_pc (Peer *p, const char *pc_state)
{
  g_autofree char *body = g_strdup_printf (
      "{\"type\":\"update\",\"version\":2,\"session\":\"%s\",\"peer_connections\":[%s]}",
      p->session, pc_state);

  send_msg (p->c, body);
}

static void
send_offer (Peer *p, const char *id, gint64 revision, const char *sdp)
{
  g_autofree char *state = NULL;
  g_autoptr (JsonNode) sdp_node = json_node_init_string (json_node_alloc (), sdp);
  g_autofree char *quoted = json_to_string (sdp_node, FALSE);

  state = g_strdup_printf (
      "{\"id\":\"%s\",\"description\":{\"type\":\"offer\",\"revision\":%" G_GINT64_FORMAT
      ",\"sdp\":%s}}",
      id, revision, quoted);
  send_pc (p, state);
}

/* Candidates @first … @first + @n - 1 under ufrag "u". */
static void
send_ice (Peer *p, const char *id, guint first, guint n, gint64 revision)
{
  g_autoptr (GString) state = g_string_new (NULL);

  g_string_printf (
      state,
      "{\"id\":\"%s\",\"ice\":{\"ufrag\":\"u\",\"revision\":%" G_GINT64_FORMAT
      ",\"candidates\":[",
      id, revision);
  for (guint i = first; i < first + n; i++)
    g_string_append_printf (state,
                            "%s{\"candidate\":\"candidate:%u 1 udp 2122260223 "
                            "192.0.2.1 %u typ host\",\"sdpMid\":\"0\","
                            "\"sdpMLineIndex\":0}",
                            i > first ? "," : "", i, 40000 + i);
  g_string_append (state, "]}}");
  send_pc (p, state->str);
}

/* @p publishes a fresh data track and waits for `published` with it: the
 * socket is open and answered, and what the server sent before is in. */
static void
peer_roundtrip (Peer *p)
{
  g_autofree char *track = g_strdup_printf ("probe-%" G_GINT64_FORMAT, ++p->revision);
  g_autofree char *body
      = g_strdup_printf ("{\"type\":\"update\",\"version\":2,\"session\":\"%s\","
                         "\"participant\":{\"revision\":%" G_GINT64_FORMAT
                         ",\"tracks\":[{\"id\":\"%s\",\"kind\":\"data\",\"name\":\"%s\","
                         "\"enabled\":true,\"priority\":\"standard\"}]}}",
                         p->session, p->revision, track, track);
  g_autoptr (JsonObject) published = NULL;

  send_msg (p->c, body);
  published = take_body (p->c, "update", publishes, track, WAIT_MS);
  g_assert_nonnull (published);
  g_assert_false (p->c->closed);
}

static void
assert_no_error (SigClient *c)
{
  g_autoptr (JsonObject) error = take_body (c, "error", NULL, NULL, 0);

  if (error != NULL)
    g_error ("unexpected error %" G_GINT64_FORMAT ": %s",
             json_object_get_int_member_with_default (error, "code", 0),
             str (error, "message"));
  g_assert_false (sig_client_has (c, "bad"));
}

/* Whether REST lists @sid among the connected participants of @room_sid. */
static gboolean
rest_lists (const char *room_sid, const char *sid)
{
  g_autofree char *path
      = g_strdup_printf ("/v1/Rooms/%s/Participants?Status=connected", room_sid);
  g_autoptr (JsonNode) json = NULL;

  g_assert_cmpuint (test_http (daemon_, "GET", path, TRUE, NULL, &json, NULL), ==, 200);
  return find_element (array_member (json_node_get_object (json), "participants"), "sid",
                       sid)
         != NULL;
}

/* @good noticed nothing but, when @gone is set, that participant leaving:
 * it still gets heartbeats and answers, and REST agrees. */
static void
assert_unharmed (Peer *good, const char *gone)
{
  g_autoptr (JsonObject) heartbeat = NULL;

  if (gone != NULL)
    {
      g_autoptr (JsonObject) left
          = take_body (good->c, "update", announces_gone, gone, WAIT_MS);

      g_assert_nonnull (left);
      g_assert_false (rest_lists (good->c->room_sid, gone));
    }
  while ((heartbeat = sig_client_wait_for (good->c, "heartbeat", 0)) != NULL)
    g_clear_pointer (&heartbeat, json_object_unref);
  heartbeat = sig_client_wait_for (good->c, "heartbeat", WAIT_MS);
  g_assert_nonnull (heartbeat);
  sig_client_send_text (good->c, "{\"type\":\"heartbeat\"}");
  peer_roundtrip (good);
  assert_no_error (good->c);
  g_assert_false (good->c->closed);
  g_assert_true (test_daemon_alive (daemon_));
  g_assert_true (rest_lists (good->c->room_sid, good->c->sid));
}

/* ---- what the offender must get ------------------------------------------- */

static void
expect_bad (SigClient *c)
{
  g_autoptr (JsonObject) bad = sig_client_wait_for (c, "bad", WAIT_MS);

  if (bad == NULL)
    g_error ("no “bad” (closed: %d, code %u)", c->closed, c->close_code);
  g_assert_cmpstr (json_object_get_string_member_with_default (bad, "reason", ""), !=,
                   "");
  sig_client_expect_close (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, WAIT_MS);
  g_assert_null (take_body (c, "error", NULL, NULL, 0));
}

/* RSP `error` @code, whose message holds @in_message (or NULL), then the
 * close with @close_code. */
static void
expect_error (SigClient *c, int code, const char *in_message, gushort close_code)
{
  g_autoptr (JsonObject) error = wait_body (c, "error");
  const char *message = json_object_get_string_member_with_default (error, "message", "");

  g_assert_cmpint (json_object_get_int_member_with_default (error, "code", 0), ==, code);
  g_assert_cmpstr (message, !=, "");
  if (in_message != NULL && strstr (message, in_message) == NULL)
    g_error ("error %d: “%s” does not mention “%s”", code, message, in_message);
  g_assert_false (sig_client_has (c, "bad"));
  sig_client_expect_close (c, close_code, WAIT_MS);
}

/* ---- TCMP garbage ---------------------------------------------------------- */

static void
test_garbage_before_connect (void)
{
  static const char *const cases[] = {
    "this is {not json",
    "[1,2,3]",
    "{\"body\":{\"type\":\"ice\"}}",
    "{\"type\":\"dance\",\"body\":{}}",
    "{\"type\":\"msg\",\"body\":{\"type\":\"connect\",\"version\":2}}",
    "{\"type\":\"hello\",\"version\":1,\"body\":{\"type\":\"ice\"}}",
    "{\"type\":\"hello\",\"version\":\"2\",\"body\":{\"type\":\"ice\"}}",
    "{\"type\":\"hello\",\"version\":2}",
    "{\"type\":\"hello\",\"version\":2,\"body\":{\"version\":2}}",
  };
  static const guint8 binary[] = { '{', '}', 0, 0xff };
  g_autoptr (Peer) good = peer_connect ("good", "garbage");

  /* The last case is a binary frame. */
  for (guint i = 0; i <= G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SigClient) c = open_socket ();

      g_test_message ("case %u: %s", i, i < G_N_ELEMENTS (cases) ? cases[i] : "(binary)");
      if (i < G_N_ELEMENTS (cases))
        sig_client_send_text (c, cases[i]);
      else
        soup_websocket_connection_send_binary (c->ws, binary, sizeof binary);
      expect_bad (c);
    }
  assert_unharmed (good, NULL);
}

/* After `connect`, garbage ends the socket, not the participant: the
 * SDK resumes with `sync` after a close it did not ask for. */
static void
test_garbage_after_connect (void)
{
  static const char *const cases[] = {
    "this is {not json",
    "{\"type\":\"dance\"}",
    "{\"type\":\"hello\",\"version\":2,\"body\":{\"type\":\"ice\"}}",
  };
  g_autoptr (Peer) good = peer_connect ("good", "garbage-after");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Peer) offender = peer_connect ("garbler", "garbage-after");
      g_autoptr (SigClient) resumed = NULL;
      g_autofree char *sync = NULL;
      g_autofree char *disconnect = NULL;
      g_autoptr (JsonObject) synced = NULL;

      g_test_message ("case %u: %s", i, cases[i]);
      sig_client_send_text (offender->c, cases[i]);
      expect_bad (offender->c);
      assert_unharmed (good, NULL);
      g_assert_null (take_body (good->c, "update", announces_gone, offender->c->sid, 0));
      g_assert_true (rest_lists (good->c->room_sid, offender->c->sid));

      resumed = open_socket ();
      sync = g_strdup_printf ("{\"type\":\"sync\",\"version\":2,\"session\":\"%s\","
                              "\"token\":\"%s\",\"participant\":{\"revision\":2,"
                              "\"tracks\":[]}}",
                              offender->session, offender->token);
      send_hello (resumed, sync);
      synced = wait_body (resumed, "synced");
      g_assert_cmpstr (str (json_object_get_object_member (synced, "participant"), "sid"),
                       ==, offender->c->sid);
      /* Leaving for good: `disconnect`, and the server closes. */
      disconnect
          = g_strdup_printf ("{\"type\":\"disconnect\",\"version\":2,\"session\":\"%s\"}",
                             offender->session);
      send_msg (resumed, disconnect);
      sig_client_expect_close (resumed, SOUP_WEBSOCKET_CLOSE_NORMAL, WAIT_MS);
      assert_unharmed (good, offender->c->sid);
    }
}

/* ---- RSP refusals ---------------------------------------------------------- */

static void
test_unknown_rsp_type (void)
{
  g_autoptr (Peer) good = peer_connect ("good", "unknown-type");
  g_autoptr (Peer) offender = peer_connect ("offender", "unknown-type");
  g_autoptr (SigClient) early = open_socket ();
  g_autoptr (SigClient) early_update = open_socket ();
  g_autofree char *token = test_daemon_token (daemon_, "early", "unknown-type");
  g_autofree char *ice = g_strdup_printf ("{\"type\":\"ice\",\"token\":\"%s\"}", token);
  g_autofree char *dance = g_strdup_printf (
      "{\"type\":\"dance\",\"version\":2,\"session\":\"%s\"}", offender->session);
  g_autoptr (JsonObject) iced = NULL;

  send_msg (offender->c, dance);
  expect_error (offender->c, 53004, "dance", SOUP_WEBSOCKET_CLOSE_NORMAL);
  assert_unharmed (good, offender->c->sid);

  /* Before `connect`, in `hello` or after `iced`: RSP `error` too. */
  send_hello (early, "{\"type\":\"dance\"}");
  expect_error (early, 53004, "connect", SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_assert_true (sig_client_has (early, "welcome"));
  send_hello (early_update, ice);
  iced = wait_body (early_update, "iced");
  send_msg (early_update, "{\"type\":\"update\",\"version\":2,\"session\":\"SE0\","
                          "\"participant\":{\"revision\":1,\"tracks\":[]}}");
  expect_error (early_update, 53004, "“update” before “connect”",
                SOUP_WEBSOCKET_CLOSE_NORMAL);
  assert_unharmed (good, NULL);
}

static void
test_revision_backwards (void)
{
  g_autoptr (Peer) good = peer_connect ("good", "revisions");
  g_autoptr (Peer) offender = peer_connect ("offender", "revisions");
  g_autofree char *id = await_create_offer (offender);
  PcDescription offer = { id, "offer" };
  PcDescription closed = { id, "close" };
  g_autoptr (JsonObject) relayed = NULL;
  g_autoptr (JsonObject) gone = NULL;
  JsonObject *desc;

  /* create-offer carries revision 1: the offer is 2, and reaches the
   * peer under the same id and revision. */
  send_offer (offender, id, 2, SDP);
  relayed = take_body (good->c, "update", has_description, &offer, WAIT_MS);
  g_assert_nonnull (relayed);
  desc = json_object_get_object_member (pc_entry (relayed, id), "description");
  g_assert_cmpint (json_object_get_int_member (desc, "revision"), ==, 2);
  g_assert_cmpstr (str (desc, "sdp"), ==, SDP);

  send_offer (offender, id, 1, SDP);
  expect_error (offender->c, 53004, "revision", SOUP_WEBSOCKET_CLOSE_NORMAL);
  /* The peer's end of the pair is closed as the offender leaves. */
  gone = take_body (good->c, "update", has_description, &closed, WAIT_MS);
  g_assert_nonnull (gone);
  g_assert_null (take_body (good->c, "update", has_description, &offer, 0));
  assert_unharmed (good, offender->c->sid);
}

/* Cumulative lists: a shorter list under a higher revision is a new list
 * (no error); what was relayed before is not relayed again. Over 64
 * candidates in one list is refused. */
static void
test_ice_lists (void)
{
  g_autoptr (Peer) good = peer_connect ("good", "ice");
  g_autoptr (Peer) offender = peer_connect ("offender", "ice");
  g_autofree char *id = await_create_offer (offender);
  PcDescription offer = { id, "offer" };
  g_autoptr (JsonObject) relayed = NULL;
  JsonObject *ice = NULL;
  JsonArray *list;

  send_offer (offender, id, 2, SDP);
  relayed = take_body (good->c, "update", has_description, &offer, WAIT_MS);
  g_assert_nonnull (relayed);

  /* Two candidates, then a list of one new one: three at the peer. */
  send_ice (offender, id, 1, 2, 1);
  send_ice (offender, id, 3, 1, 2);
  for (guint n = 0; n < 3; n++)
    {
      g_clear_pointer (&relayed, json_object_unref);
      relayed = take_body (good->c, "update", has_ice, id, WAIT_MS);
      g_assert_nonnull (relayed);
      ice = json_object_get_object_member (pc_entry (relayed, id), "ice");
      g_assert_cmpstr (str (ice, "ufrag"), ==, "u");
      g_assert_cmpuint (
          json_array_get_length (json_object_get_array_member (ice, "candidates")), ==,
          n + 1);
    }
  list = json_object_get_array_member (ice, "candidates");
  g_assert_nonnull (strstr (str (json_array_get_object_element (list, 2), "candidate"),
                            "candidate:3 "));

  /* A list that shrank to what the peer has: nothing new, no error. */
  send_ice (offender, id, 1, 1, 3);
  peer_roundtrip (offender);
  assert_no_error (offender->c);
  peer_roundtrip (good);
  g_assert_cmpuint (drop_updates (good->c, has_ice, id), ==, 0);

  send_ice (offender, id, 100, 65, 4);
  expect_error (offender->c, 53004, "64", SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_assert_cmpuint (drop_updates (good->c, has_ice, id), ==, 0);
  assert_unharmed (good, offender->c->sid);
}

static void
test_unknown_peer_connection (void)
{
  static const PcDescription any_offer = { NULL, "offer" };
  g_autoptr (Peer) good = peer_connect ("good", "unknown-pc");

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (Peer) offender = peer_connect ("offender", "unknown-pc");
      g_autofree char *id = await_create_offer (offender);

      if (i == 0)
        send_offer (offender, "never-offered", 2, SDP);
      else
        send_ice (offender, "never-offered", 1, 1, 1);
      expect_error (offender->c, 53004, "never-offered", SOUP_WEBSOCKET_CLOSE_NORMAL);
      g_assert_null (take_body (good->c, "update", has_description, &any_offer, 0));
      g_assert_cmpuint (drop_updates (good->c, has_ice, id), ==, 0);
      assert_unharmed (good, offender->c->sid);
    }
}

static void
test_bad_tokens (void)
{
  g_autoptr (Peer) good = peer_connect ("good", "tokens");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  /* Expired two minutes ago: beyond the 30 s clock skew. */
  g_autofree char *payload = g_strdup_printf (
      "{\"jti\":\"" TEST_API_KEY "-%" G_GINT64_FORMAT "\",\"iss\":\"" TEST_API_KEY
      "\",\"sub\":\"" TEST_ACCOUNT_SID "\",\"iat\":%" G_GINT64_FORMAT
      ",\"exp\":%" G_GINT64_FORMAT ",\"grants\":{\"identity\":\"mallory\","
      "\"video\":{\"room\":\"tokens\"}}}",
      now, now - 3720, now - 120);
  g_autofree char *expired = sig_make_jwt (TEST_API_SECRET, payload);
  g_autofree char *forged = convoke_access_token_create (
      TEST_API_KEY, "not-the-secret", TEST_ACCOUNT_SID, "mallory", "tokens", 3600);
  g_autofree char *other_room = test_daemon_token (daemon_, "mallory", "elsewhere");
  struct
  {
    const char *type;
    const char *token; /* NULL: none */
    int code;
  } cases[] = {
    { "ice", "not.a.jwt", 20101 }, { "ice", forged, 20107 },
    { "ice", NULL, 20101 },        { "connect", expired, 20104 },
    { "connect", forged, 20107 },  { "connect", other_room, 20106 },
    { "connect", NULL, 20101 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SigClient) c = open_socket ();
      g_autofree char *token = cases[i].token != NULL
                                   ? g_strdup_printf (",\"token\":\"%s\"", cases[i].token)
                                   : g_strdup ("");
      g_autofree char *body = g_strdup_printf (
          "{\"type\":\"%s\",\"version\":2,\"name\":\"tokens\",\"participant\":"
          "{\"revision\":1,\"tracks\":[]},\"peer_connections\":[]%s}",
          cases[i].type, token);

      g_test_message ("case %u: %s, error %d", i, cases[i].type, cases[i].code);
      send_hello (c, body);
      expect_error (c, cases[i].code, NULL, SOUP_WEBSOCKET_CLOSE_NORMAL);
    }
  assert_unharmed (good, NULL);
  /* Nobody joined, even for a moment. */
  g_assert_cmpuint (drop_updates (good->c, lists_participants, NULL), ==, 0);
}

static void
test_unknown_sync_session (void)
{
  g_autoptr (Peer) good = peer_connect ("good", "sync");
  g_autofree char *token = test_daemon_token (daemon_, "stranger", "sync");
  g_autofree char *unknown = g_strdup_printf (
      "{\"type\":\"sync\",\"version\":2,\"session\":"
      "\"SE00000000000000000000000000000000\","
      "\"token\":\"%s\",\"participant\":{\"revision\":1,\"tracks\":[]}}",
      token);
  g_autofree char *hijack = g_strdup_printf (
      "{\"type\":\"sync\",\"version\":2,\"session\":\"%s\",\"token\":\"%s\","
      "\"participant\":{\"revision\":9,\"tracks\":[]}}",
      good->session, token);
  g_autoptr (SigClient) c = open_socket ();
  g_autoptr (SigClient) thief = open_socket ();

  send_hello (c, unknown);
  expect_error (c, 53001, "SE00000000000000000000000000000000",
                SOUP_WEBSOCKET_CLOSE_NORMAL);
  /* Someone else's session with one's own token: refused, and the session
   * stays its owner's. */
  send_hello (thief, hijack);
  expect_error (thief, 20106, NULL, SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_assert_null (take_body (good->c, "synced", NULL, NULL, 0));
  assert_unharmed (good, NULL);
}

/* The same identity in two rooms: its first socket may not take the
 * second session over. Before, that left the first session tied to no
 * socket, and its participant never left. */
static void
test_second_session_on_socket (void)
{
  g_autoptr (Peer) good = peer_connect ("good", "two-a");
  g_autoptr (Peer) first = peer_connect ("twice", "two-a");
  g_autoptr (Peer) second = peer_connect ("twice", "two-b");
  g_autofree char *takeover = g_strdup_printf (
      "{\"type\":\"sync\",\"version\":2,\"session\":\"%s\",\"token\":\"%s\","
      "\"participant\":{\"revision\":5,\"tracks\":[]}}",
      second->session, second->token);

  send_msg (first->c, takeover);
  expect_error (first->c, 53004, first->session, SOUP_WEBSOCKET_CLOSE_NORMAL);
  /* The socket's own participant left, and the room saw it go. */
  assert_unharmed (good, first->c->sid);
  /* The other session is still its own socket's. */
  assert_unharmed (second, NULL);
}

/* ---- the connection's limits ------------------------------------------------ */

static void
test_too_large (void)
{
  g_autoptr (Peer) good = peer_connect ("good", "too-large");
  g_autoptr (Peer) offender = peer_connect ("offender", "too-large");
  g_autofree char *id = await_create_offer (offender);
  g_autofree char *padding = g_strnfill (1024 * 1024, 'x');
  g_autofree char *sdp = g_strdup_printf (SDP "a=x-padding:%s\r\n", padding);
  static const PcDescription any_offer = { NULL, "offer" };

  send_offer (offender, id, 2, sdp);
  expect_error (offender->c, 53009, "max-message-size", SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  g_assert_null (take_body (good->c, "update", has_description, &any_offer, 0));
  assert_unharmed (good, offender->c->sid);
}

static void
test_flood (void)
{
  g_autoptr (Peer) good = peer_connect ("good", "flood");
  g_autoptr (Peer) offender = peer_connect ("offender", "flood");
  SigClient *c = offender->c;
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = test_deadline (12000);
  guint rate_errors = 0;
  guint sent = 0;
  JsonObject *error;

  /* Four times the allowed rate until the server gives up; the default
   * context keeps running, so `good` reads and answers pings. */
  while (!c->closed && g_get_monotonic_time () < deadline)
    {
      if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN
          && sent < (guint) ((g_get_monotonic_time () - start) * 4 * RATE
                             / G_USEC_PER_SEC))
        {
          sig_client_send_text (c, "{\"type\":\"heartbeat\"}");
          sent++;
        }
      g_main_context_iteration (NULL, FALSE);
      while ((error = take_body (c, "error", NULL, NULL, 0)) != NULL)
        {
          g_assert_cmpint (json_object_get_int_member (error, "code"), ==, 53010);
          rate_errors++;
          json_object_unref (error);
        }
      g_usleep (2000);
    }
  g_assert_cmpuint (rate_errors, >=, 2);
  g_assert_false (sig_client_has (c, "bad"));
  sig_client_expect_close (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, 0);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 4 * G_USEC_PER_SEC);
  assert_unharmed (good, offender->c->sid);
}

int
main (int argc, char **argv)
{
  static const struct
  {
    const char *name;
    GTestFunc func;
  } tests[] = {
    { "garbage-before-connect", test_garbage_before_connect },
    { "garbage-after-connect", test_garbage_after_connect },
    { "unknown-rsp-type", test_unknown_rsp_type },
    { "revision-backwards", test_revision_backwards },
    { "ice-lists", test_ice_lists },
    { "unknown-peer-connection", test_unknown_peer_connection },
    { "bad-tokens", test_bad_tokens },
    { "unknown-sync-session", test_unknown_sync_session },
    { "second-session-on-socket", test_second_session_on_socket },
    { "too-large", test_too_large },
    { "flood", test_flood },
  };
  int status;

  g_test_init (&argc, &argv, NULL);
  daemon_ = test_daemon_start (config_text, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *path
          = g_strconcat ("/signaling/tcmp-bad-input/", tests[i].name, NULL);

      g_test_add_func (path, tests[i].func);
    }
  status = g_test_run ();
  g_assert_true (test_daemon_alive (daemon_));
  test_daemon_stop (daemon_);
  return status;
}
