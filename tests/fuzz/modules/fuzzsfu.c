/* "fuzzsfu": the group module's stand-in in fuzz-tcmp's daemon
 * (docs/fuzzing.md). A topology module with client_topology "sfu" and no
 * media worker, so that the SDK front end's paths for rooms with a media
 * server (the "server" peer connection of rsp-peer-connection.c, the
 * subscriptions rsp-state.c reads from the server's SDP) run without
 * GStreamer. It answers as the group module does after its worker's round
 * trip, from an idle callback, using the client's own words:
 *
 * - an offer to "server" is answered with its own SDP (so the SDP the
 *   session reads back for a=ice-ufrag and a=msid is the fuzzer's), then
 *   one ICE candidate and the end of candidates; the sender's audio and
 *   video m-lines are published as its tracks (as the group module does
 *   when their media starts); and every other participant gets an offer
 *   from "server" that sends it everyone's audio and video
 *   (a=msid:<publisher sid> <publisher sid>-<kind>), as the worker offers
 *   whenever what a subscriber receives changes, and again when someone
 *   leaves;
 * - an answer to "server" subscribes the sender to everyone's audio and
 *   video (the core then emits "subscriptions-changed");
 * - an offer whose SDP holds "a=fuzz-error:CODE" gets an `error` with
 *   CODE instead, and one with "a=fuzz-disconnect:CODE" disconnects its
 *   sender with CODE, as the group module does after a media failure;
 * - candidates are taken; anything else, or not addressed to "server",
 *   is refused with 53004, as the group module does.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <convoke/topology.h>
#include <string.h>

#define INVALID_MESSAGE 53004

static const ConvokeCoreApi *core;

typedef enum
{
  REPLY_SEND,
  REPLY_ERROR,
  REPLY_DISCONNECT,
  REPLY_OFFER_OTHERS,
  REPLY_SUBSCRIBE,
} ReplyKind;

typedef struct
{
  ReplyKind kind;
  /* sid; NULL for REPLY_OFFER_OTHERS after someone left: everyone */
  char *participant;
  JsonObject *message; /* REPLY_SEND */
  int code;            /* REPLY_ERROR, REPLY_DISCONNECT */
} Reply;

typedef struct
{
  ConvokeRoom *room;
  GQueue replies; /* Reply* */
  guint idle;
  /* room_destroy() ran while the idle callback was running: it frees. */
  gboolean dispatching;
  gboolean destroyed;
} FuzzRoom;

static void
reply_free (Reply *reply)
{
  g_free (reply->participant);
  g_clear_pointer (&reply->message, json_object_unref);
  g_free (reply);
}

static void
fuzz_room_free (FuzzRoom *data)
{
  g_clear_handle_id (&data->idle, g_source_remove);
  g_queue_clear_full (&data->replies, (GDestroyNotify) reply_free);
  g_free (data);
}

/* The offer the media server would make @subscriber: every other
 * participant's audio and video, each in an m-line of its own. */
static JsonObject *
build_offer (ConvokeRoom *room, ConvokeParticipant *subscriber)
{
  static const char *const kinds[] = { "audio", "video" };
  g_autoptr (GString) sdp = g_string_new ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                          "a=ice-ufrag:fzsf\r\na=ice-pwd:fuzzsfufuzzsfufuzzsfufu\r\n");
  GList *participants = core->room_list_participants (room);
  JsonObject *message = json_object_new ();
  guint mid = 0;

  for (GList *l = participants; l != NULL; l = l->next)
    {
      const char *sid = core->participant_get_sid (l->data);

      if (l->data == subscriber)
        continue;
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        g_string_append_printf (sdp,
                                "m=%s 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
                                "a=mid:%u\r\na=sendonly\r\na=msid:%s %s-%s\r\n",
                                kinds[k], mid++, sid, sid, kinds[k]);
    }
  g_list_free (participants);
  json_object_set_string_member (message, "type", "offer");
  json_object_set_string_member (message, "from", "server");
  json_object_set_string_member (message, "sdp", sdp->str);
  return message;
}

static void
run_reply (FuzzRoom *data, Reply *reply)
{
  ConvokeParticipant *participant
      = reply->participant != NULL ? core->room_find_participant (data->room,
                                                                  reply->participant)
                                   : NULL;
  GList *participants;

  if (participant == NULL && reply->participant != NULL)
    return; /* left meanwhile */
  switch (reply->kind)
    {
    case REPLY_SEND:
      core->participant_send (participant, reply->message);
      break;
    case REPLY_ERROR:
      core->participant_send_error (participant, reply->code, "fuzzsfu: a=fuzz-error");
      break;
    case REPLY_DISCONNECT:
      core->participant_disconnect (participant, reply->code, "fuzzsfu: a=fuzz-disconnect");
      break;
    case REPLY_OFFER_OTHERS:
    case REPLY_SUBSCRIBE:
      participants = core->room_list_participants (data->room);
      for (GList *l = participants; l != NULL; l = l->next)
        {
          if (l->data == participant)
            continue;
          if (reply->kind == REPLY_SUBSCRIBE)
            {
              core->participant_subscribe_track (participant, l->data, "audio");
              core->participant_subscribe_track (participant, l->data, "video");
            }
          else
            {
              g_autoptr (JsonObject) offer = build_offer (data->room, l->data);

              core->participant_send (l->data, offer);
            }
        }
      g_list_free (participants);
      break;
    }
}

static gboolean
on_idle (gpointer user_data)
{
  FuzzRoom *data = user_data;
  Reply *reply;

  data->idle = 0;
  data->dispatching = TRUE;
  while (!data->destroyed && (reply = g_queue_pop_head (&data->replies)) != NULL)
    {
      run_reply (data, reply);
      reply_free (reply);
    }
  data->dispatching = FALSE;
  if (data->destroyed)
    fuzz_room_free (data);
  return G_SOURCE_REMOVE;
}

static Reply *
queue_reply (FuzzRoom *data, ReplyKind kind, ConvokeParticipant *participant)
{
  Reply *reply = g_new0 (Reply, 1);

  reply->kind = kind;
  reply->participant
      = participant != NULL ? g_strdup (core->participant_get_sid (participant)) : NULL;
  g_queue_push_tail (&data->replies, reply);
  if (data->idle == 0 && !data->dispatching)
    data->idle = g_idle_add (on_idle, data);
  return reply;
}

static void
queue_send (FuzzRoom *data, ConvokeParticipant *participant, JsonObject *message)
{
  queue_reply (data, REPLY_SEND, participant)->message = message;
}

/* The Twilio code after @marker in @sdp (5 digits), or 0. */
static int
marker_code (const char *sdp, const char *marker)
{
  const char *found = strstr (sdp, marker);

  return found != NULL ? (int) CLAMP (g_ascii_strtoll (found + strlen (marker), NULL, 10),
                                      0, 99999)
                       : 0;
}

static void
answer_offer (FuzzRoom *data, ConvokeParticipant *from, const char *sdp)
{
  JsonObject *answer, *candidate, *end;
  int code;

  if ((code = marker_code (sdp, "a=fuzz-error:")) != 0)
    {
      queue_reply (data, REPLY_ERROR, from)->code = code;
      return;
    }
  if ((code = marker_code (sdp, "a=fuzz-disconnect:")) != 0)
    {
      queue_reply (data, REPLY_DISCONNECT, from)->code = code;
      return;
    }

  answer = json_object_new ();
  json_object_set_string_member (answer, "type", "answer");
  json_object_set_string_member (answer, "from", "server");
  json_object_set_string_member (answer, "sdp", sdp);
  queue_send (data, from, answer);
  candidate = json_object_new ();
  json_object_set_string_member (candidate, "type", "candidate");
  json_object_set_string_member (candidate, "from", "server");
  json_object_set_string_member (candidate, "candidate",
                                 "candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host");
  json_object_set_string_member (candidate, "sdpMid", "0");
  json_object_set_int_member (candidate, "sdpMLineIndex", 0);
  queue_send (data, from, candidate);
  end = json_object_new ();
  json_object_set_string_member (end, "type", "candidate");
  json_object_set_string_member (end, "from", "server");
  json_object_set_string_member (end, "candidate", "");
  queue_send (data, from, end);

  /* NULL when the client announced a track of that kind itself. */
  if (strstr (sdp, "m=audio ") != NULL)
    core->participant_publish_track (from, NULL, "audio");
  if (strstr (sdp, "m=video ") != NULL)
    core->participant_publish_track (from, NULL, "video");
  queue_reply (data, REPLY_OFFER_OTHERS, from);
}

static gboolean
fuzzsfu_module_init (const ConvokeCoreApi *api, GError **error)
{
  core = api;
  return TRUE;
}

static gboolean
fuzzsfu_room_create (ConvokeRoom *room, gpointer *room_data, GError **error)
{
  FuzzRoom *data = g_new0 (FuzzRoom, 1);

  data->room = room;
  g_queue_init (&data->replies);
  *room_data = data;
  return TRUE;
}

static void
fuzzsfu_room_destroy (ConvokeRoom *room, gpointer room_data)
{
  FuzzRoom *data = room_data;

  if (data->dispatching)
    data->destroyed = TRUE;
  else
    fuzz_room_free (data);
}

static void
fuzzsfu_participant_left (ConvokeRoom *room, gpointer room_data,
                          ConvokeParticipant *participant)
{
  FuzzRoom *data = room_data;

  /* The others stop receiving it: a new offer for everyone left. */
  queue_reply (data, REPLY_OFFER_OTHERS, NULL);
}

static gboolean
fuzzsfu_handle_message (ConvokeRoom *room, gpointer room_data, ConvokeParticipant *from,
                        const char *type, JsonObject *message, GError **error)
{
  FuzzRoom *data = room_data;
  const char *to = json_object_get_string_member_with_default (message, "to", NULL);
  const char *sdp = json_object_get_string_member_with_default (message, "sdp", NULL);

  if (g_strcmp0 (to, "server") != 0
      || (!g_str_equal (type, "offer") && !g_str_equal (type, "answer")
          && !g_str_equal (type, "candidate")))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, INVALID_MESSAGE,
                   "fuzzsfu: a “%s” to “%s”", type, to != NULL ? to : "");
      return FALSE;
    }
  if (g_str_equal (type, "offer") && sdp != NULL)
    answer_offer (data, from, sdp);
  else if (g_str_equal (type, "answer"))
    queue_reply (data, REPLY_SUBSCRIBE, from);
  return TRUE;
}

static const ConvokeTopologyModule fuzzsfu_module = {
  CONVOKE_TOPOLOGY_MODULE_INIT,
  .name = "fuzzsfu",
  .description = "fuzz-tcmp's stand-in for the group module: answers and offers like a "
                 "media server, without one",
  .client_topology = "sfu",
  .needs_media_worker = FALSE,
  .module_init = fuzzsfu_module_init,
  .room_create = fuzzsfu_room_create,
  .room_destroy = fuzzsfu_room_destroy,
  .participant_left = fuzzsfu_participant_left,
  .handle_message = fuzzsfu_handle_message,
};

CONVOKE_TOPOLOGY_MODULE_EXPORT const ConvokeTopologyModule *
convoke_topology_module_entry (void)
{
  return &fuzzsfu_module;
}
