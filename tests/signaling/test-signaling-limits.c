/* Bad input and the per-connection limits, against a real convoked with
 * small limits: each offence gets its documented error and close code,
 * and two other participants of the same room keep exchanging messages
 * afterwards.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "signaling-test-client.h"

/* Deadlines are base figures, scaled by the harness (test-time.h). */
#define WAIT_MS 5000
#define MAX_MESSAGE_SIZE 1024
#define RATE 5
#define KEEPALIVE 1

static TestDaemon *daemon_;
/* Two bystanders in room "bad" that must never notice an offender. */
static SigClient *witness_x;
static SigClient *witness_y;

static const char *config_text = "[rooms]\n"
                                 "default-type=peer-to-peer\n"
                                 "auto-create=true\n"
                                 "[type:peer-to-peer]\n"
                                 "module=mesh\n"
                                 "max-participants=10\n"
                                 "[signaling]\n"
                                 "max-message-size=1024\n"
                                 "max-messages-per-second=5\n"
                                 "keepalive-interval=1\n";

static void
assert_witnesses_unharmed (void)
{
  sig_client_check_relay (witness_x, witness_y, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
  sig_client_sync (witness_y);
  g_assert_false (sig_client_has (witness_x, "error"));
  g_assert_false (sig_client_has (witness_y, "error"));
  g_assert_false (witness_x->closed);
  g_assert_false (witness_y->closed);
}

typedef struct
{
  SigClient *observer;
  const char *sid;
} GoneWait;

static gboolean
saw_disconnect_of (gpointer data)
{
  GoneWait *w = data;

  for (GList *l = w->observer->received.head; l != NULL; l = l->next)
    {
      JsonObject *message = l->data;

      if (g_strcmp0 (json_object_get_string_member_with_default (message, "type", ""),
                     "participant-disconnected")
              == 0
          && g_strcmp0 (
                 json_object_get_string_member (
                     json_object_get_object_member (message, "participant"), "sid"),
                 w->sid)
                 == 0)
        return TRUE;
    }
  return FALSE;
}

/* Joined offenders also announce themselves; drop that noise. */
static void
forget_presence (void)
{
  JsonObject *message;

  for (SigClient **w = (SigClient *[]){ witness_x, witness_y, NULL }; *w; w++)
    {
      while ((message = sig_client_wait_for (*w, "participant-connected", 0)) != NULL)
        json_object_unref (message);
      while ((message = sig_client_wait_for (*w, "participant-disconnected", 0)) != NULL)
        json_object_unref (message);
    }
}

/* @text from a joined participant gets a non-fatal @code; the offender
 * can go on afterwards, and so can everyone else. */
static void
refused_but_open (const char *text, int code, const char *in_message,
                  gboolean check_witnesses)
{
  SigClient *offender = sig_client_new_joined (daemon_, "offender", "bad");
  g_autoptr (JsonObject) error = NULL;

  sig_client_send_text (offender, text);
  error = sig_client_expect_error (offender, code, WAIT_MS);
  if (in_message != NULL)
    g_assert_nonnull (
        strstr (json_object_get_string_member (error, "message"), in_message));
  sig_client_sync (offender);
  g_assert_false (offender->closed);
  if (check_witnesses)
    assert_witnesses_unharmed ();
  sig_client_free (offender);
  forget_presence ();
}

static void
expect_refused_but_open (const char *text, int code, const char *in_message)
{
  refused_but_open (text, code, in_message, TRUE);
}

static void
test_not_json (void)
{
  expect_refused_but_open ("this is {not json", 53004, NULL);
  expect_refused_but_open ("[1,2,3]", 53004, NULL);
  expect_refused_but_open ("{\"id\":1}", 53004, "type");
  expect_refused_but_open ("{\"type\":42}", 53004, "type");
}

static void
test_deep_nesting (void)
{
  g_autoptr (GString) deep = g_string_new ("{\"type\":\"ping\",\"x\":");

  for (int i = 0; i < 400; i++)
    g_string_append_c (deep, '[');
  for (int i = 0; i < 400; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  g_assert_cmpuint (deep->len, <=, MAX_MESSAGE_SIZE);
  expect_refused_but_open (deep->str, 53004, NULL);
}

/* Odd but well-framed input: every case is answered with 53004 and
 * nothing else happens. */
static void
test_garbage (void)
{
  static const char *const cases[] = {
    "",
    "null",
    "\"just a string\"",
    "{\"type\":null}",
    "{\"type\":\"\"}",
    "{\"type\":\"ping\\u0000\"}",
    "{\"type\":[\"ping\"]}",
    "{\"type\":\"offer\",\"to\":123,\"sdp\":\"v=0\"}",
    "{\"type\":\"offer\",\"to\":\"PA\",\"sdp\":{\"v\":0}}",
    "{\"type\":\"candidate\",\"to\":[],\"candidate\":1}",
    "{\"type\":\"offer\",\"to\":\"\\ud800\",\"sdp\":\"v=0\"}",
    "{\"type\":\"offer\",\"to\":\"PA1\",\"sdp\":\"\\udfff\"}",
    "{\"\\ud800\":1,\"type\":\"ping\"}",
    "{\"type\":\"track-published\",\"track\":\"camera\"}",
    "{\"type\":\"track-published\",\"track\":{\"kind\":[1]}}",
    "{\"type\":\"track-published\",\"track\":{\"kind\":\"video\",\"name\":5}}",
    "{\"type\":\"track-unpublished\",\"track\":{\"sid\":null}}",
    "{\"type\":\"join\",\"token\":{}}",
    "{\"type\":\"ping\"} trailing",
    "{\"type\":\"ping\",}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: %s", i, cases[i]);
      /* The witnesses' own rate budget would not last a check per case. */
      refused_but_open (cases[i], 53004, NULL, FALSE);
    }
  assert_witnesses_unharmed ();
}

static void
test_unknown_type (void)
{
  expect_refused_but_open ("{\"type\":\"dance\",\"id\":5}", 53004, "dance");
}

static void
test_missing_member (void)
{
  g_autofree char *no_sdp
      = g_strdup_printf ("{\"type\":\"offer\",\"to\":\"%s\"}", witness_y->sid);

  expect_refused_but_open (no_sdp, 53004, "sdp");
  expect_refused_but_open ("{\"type\":\"offer\",\"sdp\":\"v=0\"}", 53004, "to");
}

static void
test_unknown_sid (void)
{
  expect_refused_but_open (
      "{\"type\":\"offer\",\"to\":\"PA0123456789abcdef0123456789abcdef\","
      "\"sdp\":\"v=0\"}",
      53004, "PA0123456789abcdef0123456789abcdef");
}

static void
test_other_room_sid (void)
{
  SigClient *elsewhere = sig_client_new_joined (daemon_, "elsewhere", "bad-other");
  g_autofree char *offer = g_strdup_printf (
      "{\"type\":\"offer\",\"to\":\"%s\",\"sdp\":\"v=0\"}", elsewhere->sid);

  expect_refused_but_open (offer, 53004, elsewhere->sid);
  sig_client_sync (elsewhere);
  g_assert_false (sig_client_has (elsewhere, "offer"));
  sig_client_free (elsewhere);
}

static void
test_binary_frame (void)
{
  SigClient *offender = sig_client_new_joined (daemon_, "binary", "bad");
  static const guint8 bytes[] = { '{', '}', 0, 0xff };

  soup_websocket_connection_send_binary (offender->ws, bytes, sizeof bytes);
  json_object_unref (sig_client_expect_error (offender, 53004, WAIT_MS));
  sig_client_sync (offender);
  assert_witnesses_unharmed ();
  sig_client_free (offender);
  forget_presence ();
}

static void
test_offer_before_join (void)
{
  SigClient *c = sig_client_connect (daemon_);
  g_autoptr (JsonObject) error = NULL;
  g_autofree char *offer = g_strdup_printf (
      "{\"type\":\"offer\",\"id\":\"early\",\"to\":\"%s\",\"sdp\":\"v=0\"}",
      witness_y->sid);
  g_autofree char *token = test_daemon_token (daemon_, "late", "bad");
  g_autoptr (JsonObject) joined = NULL;

  sig_client_send_text (c, offer);
  error = sig_client_expect_error (c, 53004, WAIT_MS);
  g_assert_cmpstr (json_object_get_string_member (error, "id"), ==, "early");
  g_assert_false (sig_client_has (witness_y, "offer"));
  /* Still allowed to join afterwards. */
  joined = sig_client_join (c, token, NULL);
  assert_witnesses_unharmed ();
  sig_client_free (c);
  forget_presence ();
}

static void
test_join_without_token (void)
{
  SigClient *c = sig_client_connect (daemon_);

  sig_client_send_text (c, "{\"type\":\"join\",\"id\":1,\"room\":\"bad\"}");
  json_object_unref (sig_client_expect_error (c, 20101, WAIT_MS));
  sig_client_expect_close (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, WAIT_MS);
  assert_witnesses_unharmed ();
  sig_client_free (c);
}

static void
test_too_large (void)
{
  SigClient *offender = sig_client_new_joined (daemon_, "big", "bad");
  SigClient *huge = sig_client_new_joined (daemon_, "huge", "bad");
  g_autofree char *padding = g_strnfill (MAX_MESSAGE_SIZE + 500, 'x');
  g_autofree char *big = g_strdup_printf ("{\"type\":\"ping\",\"pad\":\"%s\"}", padding);
  g_autofree char *padding2 = g_strnfill (5 * MAX_MESSAGE_SIZE, 'x');
  g_autofree char *bigger
      = g_strdup_printf ("{\"type\":\"ping\",\"pad\":\"%s\"}", padding2);
  GoneWait gone = { witness_x, NULL };

  sig_client_send_text (offender, big);
  json_object_unref (sig_client_expect_error (offender, 53009, WAIT_MS));
  sig_client_expect_close (offender, SOUP_WEBSOCKET_CLOSE_TOO_BIG, WAIT_MS);
  gone.sid = offender->sid;
  g_assert_true (test_wait_until (saw_disconnect_of, &gone, WAIT_MS));

  /* Far over the limit: refused from the frame header, before any of it
   * is buffered; the rest of the frame is read and dropped, so the close
   * is as clean as for the smaller offence. */
  sig_client_send_text (huge, bigger);
  json_object_unref (sig_client_expect_error (huge, 53009, WAIT_MS));
  sig_client_expect_close (huge, SOUP_WEBSOCKET_CLOSE_TOO_BIG, WAIT_MS);
  gone.sid = huge->sid;
  g_assert_true (test_wait_until (saw_disconnect_of, &gone, WAIT_MS));

  assert_witnesses_unharmed ();
  sig_client_free (huge);
  sig_client_free (offender);
  forget_presence ();
}

static void
test_flood (void)
{
  SigClient *offender = sig_client_new_joined (daemon_, "flooder", "bad");
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = test_deadline (12000);
  gboolean saw_rate_error = FALSE;
  guint pongs = 0;
  guint sent = 0;
  JsonObject *message;

  /* Four times the allowed rate, until the server gives up on us. The
   * main context keeps running so that the witnesses answer pings. */
  while (!offender->closed && g_get_monotonic_time () < deadline)
    {
      /* The server's close frame may already be in (state CLOSING) while
       * "closed" has not come yet. */
      if (soup_websocket_connection_get_state (offender->ws) == SOUP_WEBSOCKET_STATE_OPEN
          && sent < (guint)((g_get_monotonic_time () - start) * 4 * RATE / G_USEC_PER_SEC))
        {
          sig_client_send_text (offender, "{\"type\":\"ping\"}");
          sent++;
        }
      g_main_context_iteration (NULL, FALSE);
      while ((message = sig_client_wait_for (offender, "error", 0)) != NULL)
        {
          g_assert_cmpint (json_object_get_int_member (message, "code"), ==, 53010);
          saw_rate_error = TRUE;
          json_object_unref (message);
        }
      while ((message = sig_client_wait_for (offender, "pong", 0)) != NULL)
        {
          pongs++;
          json_object_unref (message);
        }
      g_usleep (2000);
    }

  g_assert_true (saw_rate_error);
  sig_client_expect_close (offender, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, 0);
  /* Closed after about 5 s of flooding, not at once... */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 4 * G_USEC_PER_SEC);
  /* ...and within budget, some got through: the burst plus the rate. */
  g_assert_cmpuint (pongs, >=, 2 * RATE);
  g_assert_cmpuint (pongs, <, sent);

  assert_witnesses_unharmed ();
  sig_client_free (offender);
  forget_presence ();
}

static void
test_join_deadline (void)
{
  SigClient *c = sig_client_connect (daemon_);
  gint64 start = g_get_monotonic_time ();
  g_autoptr (JsonObject) error = NULL;

  /* keepalive-interval=1 makes the join deadline 3 s. */
  error = sig_client_expect_error (c, 53002, 6000);
  sig_client_expect_close (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, WAIT_MS);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC);
  assert_witnesses_unharmed ();
  sig_client_free (c);
}

static void
test_keepalive (void)
{
  g_autoptr (GMainContext) dead_context = g_main_context_new ();
  SigClient *dead = sig_client_connect_on (daemon_, dead_context);
  SigClient *idle = sig_client_new_joined (daemon_, "idle", "bad");
  g_autofree char *token = test_daemon_token (daemon_, "dead", "bad");
  g_autoptr (JsonObject) joined = sig_client_join (dead, token, NULL);
  GoneWait dead_gone = { witness_x, dead->sid };
  GoneWait idle_gone = { witness_x, idle->sid };
  gint64 start = g_get_monotonic_time ();
  g_autoptr (JsonObject) error = NULL;

  g_assert_cmpint (json_object_get_int_member (joined, "keepalive_interval"), ==,
                   KEEPALIVE);

  /* From here on, nothing runs `dead`'s context: it neither sends nor
   * answers pings. `idle` sends nothing either, but its WebSocket stack
   * answers pings, which counts as alive. */
  g_assert_true (test_wait_until (saw_disconnect_of, &dead_gone, 8000));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC);
  /* The upper bound is a deadline (scaled); the lower one is the
   * daemon's own timing and stays. */
  g_assert_cmpint (g_get_monotonic_time () - start, <=,
                   (gint64) test_scaled_ms (6000) * G_TIME_SPAN_MILLISECOND);
  dead_gone.observer = witness_y;
  g_assert_true (test_wait_until (saw_disconnect_of, &dead_gone, WAIT_MS));

  /* idle, silent for two more seconds, is still there: an observation
   * window, not scaled. */
  test_watch_for (saw_disconnect_of, &idle_gone, 2000);
  g_assert_false (saw_disconnect_of (&idle_gone));
  g_assert_false (idle->closed);
  sig_client_sync (idle);

  /* What the dead client would have read, had it been listening. */
  error = sig_client_expect_error (dead, 53002, WAIT_MS);
  sig_client_expect_close (dead, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, 8000);

  assert_witnesses_unharmed ();
  sig_client_free (idle);
  sig_client_free (dead);
  forget_presence ();
}

/* The value of convoke_errors_total for signaling and @code, or 0. */
static guint64
signaling_error_count (const char *metrics, int code)
{
  g_autofree char *needle = g_strdup_printf (
      "convoke_errors_total{surface=\"signaling\",code=\"%d\"} ", code);
  const char *found = strstr (metrics, needle);

  return found != NULL ? g_ascii_strtoull (found + strlen (needle), NULL, 10) : 0;
}

/* Runs last: every refusal above was counted. */
static void
test_errors_counted (void)
{
  g_autoptr (GBytes) body = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpuint (test_http (daemon_, "GET", "/metrics", TRUE, NULL, NULL, &body), ==,
                    200);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_assert_cmpuint (signaling_error_count (text, 53004), >=, 30);
  g_assert_cmpuint (signaling_error_count (text, 53009), ==, 2);
  g_assert_cmpuint (signaling_error_count (text, 53010), >=, 2);
  g_assert_cmpuint (signaling_error_count (text, 20101), ==, 1);
  g_assert_cmpuint (signaling_error_count (text, 53002), ==, 2);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  daemon_ = test_daemon_start (config_text, NULL);
  witness_x = sig_client_new_joined (daemon_, "witness-x", "bad");
  witness_y = sig_client_new_joined (daemon_, "witness-y", "bad");
  forget_presence ();

  g_test_add_func ("/signaling/limits/not-json", test_not_json);
  g_test_add_func ("/signaling/limits/deep-nesting", test_deep_nesting);
  g_test_add_func ("/signaling/limits/garbage", test_garbage);
  g_test_add_func ("/signaling/limits/unknown-type", test_unknown_type);
  g_test_add_func ("/signaling/limits/missing-member", test_missing_member);
  g_test_add_func ("/signaling/limits/unknown-sid", test_unknown_sid);
  g_test_add_func ("/signaling/limits/other-room-sid", test_other_room_sid);
  g_test_add_func ("/signaling/limits/binary-frame", test_binary_frame);
  g_test_add_func ("/signaling/limits/offer-before-join", test_offer_before_join);
  g_test_add_func ("/signaling/limits/join-without-token", test_join_without_token);
  g_test_add_func ("/signaling/limits/too-large", test_too_large);
  g_test_add_func ("/signaling/limits/flood", test_flood);
  g_test_add_func ("/signaling/limits/join-deadline", test_join_deadline);
  g_test_add_func ("/signaling/limits/keepalive", test_keepalive);
  g_test_add_func ("/signaling/limits/errors-counted", test_errors_counted);

  status = g_test_run ();
  sig_client_free (witness_y);
  sig_client_free (witness_x);
  test_daemon_stop (daemon_);
  return status;
}
