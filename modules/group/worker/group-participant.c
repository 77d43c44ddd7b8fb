/* A participant of a group room, worker side: its transport, its
 * offer/answer exchanges and what the router sends it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-recording.h"
#include "group-media-room.h"

#include "convokerouter-pads.h"
#include "i18n.h"
#include "twilio-error.h"

#define GST_CAT_DEFAULT group_media_debug

static void participant_try_offer (GroupParticipant *participant);

static void
participant_send_local_description (GroupParticipant *participant, const char *sdp_type,
                                    GPtrArray *media, const char *setup)
{
  GroupTransport *transport = participant->transport;
  g_autofree char *ufrag = NULL, *pwd = NULL, *sdp = NULL;
  g_autoptr (JsonObject) event = json_object_new ();
  GPtrArray *candidates = group_transport_get_local_candidates (transport);
  GroupLocalDescription description = {
    .session_id = group_session_get_id (participant->session),
    .session_version = group_session_next_version (participant->session),
    .fingerprint = participant->room->fingerprint,
    .setup = setup,
    .trickle = participant->trickle,
    .candidates = candidates,
    .end_of_candidates = group_transport_is_gathering_done (transport),
    .media = media,
  };

  group_transport_get_local_credentials (transport, &ufrag, &pwd);
  description.ice_ufrag = ufrag;
  description.ice_pwd = pwd;
  sdp = group_local_description_write (&description);

  participant->description_sent = TRUE;
  participant->end_of_candidates_sent |= description.end_of_candidates;

  json_object_set_string_member (event, "event", "local-description");
  json_object_set_string_member (event, "participant", participant->sid);
  json_object_set_string_member (event, "sdp_type", sdp_type);
  json_object_set_string_member (event, "sdp", sdp);
  group_media_room_send_event (participant->room, event);
}

static void
participant_send_candidate (GroupParticipant *participant, const char *candidate)
{
  g_autoptr (JsonObject) event = json_object_new ();
  guint index = 0;
  const char *mid = group_session_get_bundle_mid (participant->session, &index);

  json_object_set_string_member (event, "event", "local-candidate");
  json_object_set_string_member (event, "participant", participant->sid);
  json_object_set_string_member (event, "candidate", candidate);
  json_object_set_int_member (event, "sdpMLineIndex", index);
  if (mid != NULL)
    json_object_set_string_member (event, "sdpMid", mid);
  group_media_room_send_event (participant->room, event);
}

/* The tracks @participant should receive: every other participant's
 * published audio and video, in join order. */
static GPtrArray *
room_sources_for (GroupMediaRoom *room, GroupParticipant *participant)
{
  GPtrArray *sources
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_source_free);

  for (guint i = 0; i < room->order->len; i++)
    {
      GroupParticipant *other = g_ptr_array_index (room->order, i);

      if (other == participant || other->failed)
        continue;
      for (guint k = 0; k < other->published->len; k++)
        {
          GroupSource *source = g_ptr_array_index (other->published, k);

          g_ptr_array_add (sources, group_source_new_track (source->publisher, source->kind,
                                                            source->track,
                                                            source->msid_track));
        }
    }
  return sources;
}

/* Tells the daemon what the participant receives now: each live slot
 * its answer accepted, by publisher and kind (docs/worker-protocol.md,
 * `subscribed-tracks`). The whole list every time, so the worker keeps no
 * record of what it reported. @mlines NULL: it receives nothing. */
static void
participant_report_subscriptions (GroupParticipant *participant, GPtrArray *mlines)
{
  g_autoptr (JsonObject) event = json_object_new ();
  JsonArray *tracks = json_array_new ();

  /* Whatever its m-lines say, a participant whose media failed gets none. */
  if (participant->failed)
    mlines = NULL;
  for (guint i = 0; mlines != NULL && i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);
      JsonObject *track;

      if (mline->role != GROUP_MLINE_SLOT || !mline->remote_receives || !mline->live
          || mline->source == NULL)
        continue;
      track = json_object_new ();
      json_object_set_string_member (track, "publisher", mline->source);
      json_object_set_string_member (track, "kind", mline->kind);
      json_array_add_object_element (tracks, track);
    }
  if (!participant->failed)
    group_data_list_subscriptions (participant, tracks);
  json_object_set_string_member (event, "event", "subscribed-tracks");
  json_object_set_string_member (event, "participant", participant->sid);
  json_object_set_array_member (event, "tracks", tracks);
  group_media_room_send_event (participant->room, event);
}

void
group_participant_report_subscriptions (GroupParticipant *participant)
{
  participant_report_subscriptions (
      participant, group_session_has_negotiated (participant->session)
                       ? group_session_get_mlines (participant->session)
                       : NULL);
}

/* Sets the extmap-@id field of @payload (when @id is not 0) to @uri. */
static void
payload_set_extension (GstStructure *payload, guint id, const char *uri)
{
  g_autofree char *field = NULL;

  if (payload == NULL || id == 0)
    return;
  field = g_strdup_printf ("extmap-%u", id);
  gst_structure_set (payload, field, G_TYPE_STRING, uri, NULL);
}

/* The simulcast layers the participant sends on @mline, a video m-line
 * it publishes on, told to the router: their SSRCs (a=ssrc-group:SIM) or
 * their RIDs and the header extensions that carry them, on the media
 * (@payload) and retransmission (@rtx_payload, may be NULL) payload
 * types. */
static void
participant_sync_simulcast (GroupParticipant *participant, const GroupMLine *mline,
                            GstStructure *payload, GstStructure *rtx_payload)
{
  const GroupMLineSimulcast *simulcast = &mline->simulcast;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) rids = NULL;
  gboolean ok;

  if (simulcast->n_layers > 0 && simulcast->rids[0][0] == '\0')
    for (guint i = 0; i < simulcast->n_layers; i++)
      if (simulcast->ssrcs[i] != 0)
        g_signal_emit_by_name (participant->room->router, "set-track-layer",
                               participant->sid, simulcast->ssrcs[i],
                               simulcast->rtx_ssrcs[i], mline->publish_track, i, &ok);
  for (guint i = 0; i < simulcast->n_layers && simulcast->rids[i][0] != '\0'; i++)
    g_strv_builder_add (builder, simulcast->rids[i]);
  rids = g_strv_builder_end (builder);
  /* Also without RIDs, so that the m-line's old ones are forgotten. */
  g_signal_emit_by_name (participant->room->router, "set-track-rids", participant->sid,
                         mline->publish_track, mline->mid, rids, &ok);
  if (rids[0] == NULL)
    return;
  payload_set_extension (payload, simulcast->extensions.mid, GROUP_MID_URI);
  payload_set_extension (payload, simulcast->extensions.rid, GROUP_RID_URI);
  payload_set_extension (rtx_payload, simulcast->extensions.mid, GROUP_MID_URI);
  payload_set_extension (rtx_payload, simulcast->extensions.repaired_rid,
                         GROUP_REPAIRED_RID_URI);
}

static void
participant_sync_router (GroupParticipant *participant)
{
  GroupMediaRoom *room = participant->room;
  GPtrArray *mlines = group_session_get_mlines (participant->session);
  g_autoptr (GstCaps) payloads = gst_caps_new_empty ();
  g_autoptr (GHashTable) active = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer ssrc;
  gboolean ok;

  for (guint i = 0; i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);

      if ((mline->role == GROUP_MLINE_PUBLISH
           || (mline->role == GROUP_MLINE_SLOT && mline->remote_sends))
          && mline->codec != NULL)
        {
          g_autofree char *encoding = g_ascii_strup (mline->codec->encoding, -1);
          GstStructure *payload, *rtx_payload = NULL;

          /* Which track its SSRCs are, so that a second video (a screen
           * share) is not taken for a restarted camera. */
          if (mline->remote_ssrc != 0)
            g_signal_emit_by_name (room->router, "set-track-ssrc", participant->sid,
                                   mline->remote_ssrc, mline->remote_rtx_ssrc,
                                   mline->publish_track, &ok);
          payload = gst_structure_new (
              "application/x-rtp", "payload", G_TYPE_INT, mline->codec->pt, "media",
              G_TYPE_STRING, mline->kind, "encoding-name", G_TYPE_STRING, encoding,
              "clock-rate", G_TYPE_INT, (gint) mline->codec->clock_rate, NULL);
          /* Where its audio levels are, for the dominant speaker. */
          if (mline->audio_level_id != 0)
            {
              g_autofree char *field
                  = g_strdup_printf ("extmap-%u", mline->audio_level_id);

              gst_structure_set (payload, field, G_TYPE_STRING, GROUP_AUDIO_LEVEL_URI,
                                 NULL);
            }
          /* Its retransmissions: the router restores the original packets. */
          if (mline->codec->rtx_pt >= 0)
            rtx_payload = gst_structure_new (
                "application/x-rtp", "payload", G_TYPE_INT, mline->codec->rtx_pt, "media",
                G_TYPE_STRING, mline->kind, "encoding-name", G_TYPE_STRING, "RTX",
                "clock-rate", G_TYPE_INT, (gint) mline->codec->clock_rate, "apt",
                G_TYPE_INT, mline->codec->pt, NULL);
          if (g_str_equal (mline->kind, "video"))
            participant_sync_simulcast (participant, mline, payload, rtx_payload);
          gst_caps_append_structure (payloads, payload);
          if (rtx_payload != NULL)
            gst_caps_append_structure (payloads, rtx_payload);
        }
      if (mline->role == GROUP_MLINE_SLOT && mline->remote_receives)      if (mline->role == GROUP_MLINE_SLOT && mline->remote_receives)
        {
          /* A slot that is not live stays in the router, idle, so that its
           * sequence numbers and timestamps continue if its publisher
           * publishes again. */
          g_signal_emit_by_name (room->router, "set-slot", participant->sid, mline->ssrc,
                                 mline->kind, mline->codec->pt,
                                 mline->live ? mline->source : NULL, &ok);
          g_signal_emit_by_name (room->router, "set-slot-track", participant->sid,
                                 mline->ssrc, mline->track, &ok);
          /* Answers to its NACKs go as RTX when it accepted RTX, else as
           * the packet again. */
          g_signal_emit_by_name (room->router, "set-slot-rtx", participant->sid, mline->ssrc,
                                 mline->codec->rtx_pt >= 0 ? mline->rtx_ssrc : 0,
                                 mline->codec->rtx_pt, &ok);
          g_hash_table_add (active, GUINT_TO_POINTER (mline->ssrc));
        }
    }
  g_signal_emit_by_name (room->router, "set-payloads", participant->sid, payloads, &ok);

  g_hash_table_iter_init (&iter, participant->router_slots);
  while (g_hash_table_iter_next (&iter, &ssrc, NULL))
    if (!g_hash_table_contains (active, ssrc))
      g_signal_emit_by_name (room->router, "remove-slot", participant->sid,
                             GPOINTER_TO_UINT (ssrc), &ok);
  g_hash_table_remove_all (participant->router_slots);
  g_hash_table_iter_init (&iter, active);
  while (g_hash_table_iter_next (&iter, &ssrc, NULL))
    g_hash_table_add (participant->router_slots, ssrc);
  participant_report_subscriptions (participant, mlines);
}

/* After every completed exchange: route what was agreed, and when the
 * participant started or stopped publishing, have everyone else offered
 * the change. */
static void
participant_negotiated (GroupParticipant *participant)
{
  GroupMediaRoom *room = participant->room;
  g_autoptr (GPtrArray) published
      = group_session_list_published (participant->session, participant->sid);
  gboolean changed = published->len != participant->published->len;

  participant_sync_router (participant);
  group_data_participant_update (participant);
  for (guint k = 0; !changed && k < published->len; k++)
    {
      GroupSource *now = g_ptr_array_index (published, k);
      GroupSource *before = g_ptr_array_index (participant->published, k);

      changed = g_strcmp0 (now->kind, before->kind) != 0
                || g_strcmp0 (now->track, before->track) != 0
                || g_strcmp0 (now->msid_track, before->msid_track) != 0;
    }
  if (changed)
    {
      g_ptr_array_unref (participant->published);
      participant->published = g_steal_pointer (&published);
    }
  if (changed)
    for (guint i = 0; i < room->order->len; i++)
      {
        GroupParticipant *other = g_ptr_array_index (room->order, i);

        if (other != participant)
          group_participant_request_offer (other);
      }
  /* What it should receive may have changed while it was negotiating. */
  group_participant_request_offer (participant);
}

static gboolean
offer_idle (gpointer data)
{
  GroupParticipant *participant = data;

  participant->offer_source = 0;
  participant_try_offer (participant);
  return G_SOURCE_REMOVE;
}

/* Changes within one main loop iteration (several joins, a join and a
 * leave) end up in one offer. */
void
group_participant_request_offer (GroupParticipant *participant)
{
  GSource *source;

  participant->offer_wanted = TRUE;
  if (participant->offer_source != 0)
    return;
  source = g_idle_source_new ();
  g_source_set_callback (source, offer_idle, participant, NULL);
  participant->offer_source = g_source_attach (source, participant->room->context);
  g_source_unref (source);
}

static void
participant_try_offer (GroupParticipant *participant)
{
  g_autoptr (GPtrArray) sources = NULL;
  g_autoptr (GPtrArray) media = NULL;

  /* Never two offers in flight, never one across a held answer, and a
   * non-trickle client needs every candidate in the SDP. */
  if (!participant->offer_wanted || participant->failed
      || !group_session_is_stable (participant->session)
      || participant->held_answer != NULL
      || (!participant->trickle
          && !group_transport_is_gathering_done (participant->transport)))
    return;

  sources = room_sources_for (participant->room, participant);
  participant->offer_wanted = FALSE;
  /* A publisher that stopped or left needs no offer: its slots keep their
   * m-lines (group-session.h) and only stop being routed; unless they can
   * go vacant for others to take over. */
  if (group_session_has_negotiated (participant->session)
      && !group_session_needs_offer (participant->session, sources))
    {
      if (group_session_set_live (participant->session, sources))
        participant_sync_router (participant);
      return;
    }
  media = group_session_create_offer (participant->session, sources);
  participant_send_local_description (participant, "offer", media, "actpass");
}

static void
participant_send_held_answer (GroupParticipant *participant)
{
  g_autoptr (GPtrArray) media = g_steal_pointer (&participant->held_answer);
  g_autofree char *setup = g_steal_pointer (&participant->held_answer_setup);

  participant_send_local_description (participant, "answer", media, setup);
}

static void
on_local_candidate (GroupTransport *transport, const char *candidate, gpointer user_data)
{
  GroupParticipant *participant = user_data;

  /* Candidates found before the first description are in its SDP. */
  if (!participant->description_sent || !participant->trickle)
    return;
  participant_send_candidate (participant, candidate);
}

static void
on_gathering_done (GroupTransport *transport, gpointer user_data)
{
  GroupParticipant *participant = user_data;

  if (participant->trickle && participant->description_sent
      && !participant->end_of_candidates_sent)
    {
      participant->end_of_candidates_sent = TRUE;
      participant_send_candidate (participant, "");
    }
  if (participant->held_answer != NULL)
    participant_send_held_answer (participant);
  participant_try_offer (participant);
}

static void
on_connected (GroupTransport *transport, gpointer user_data)
{
  GroupParticipant *participant = user_data;
  g_autoptr (JsonObject) event = json_object_new ();
  gboolean ok;

  g_signal_emit_by_name (participant->room->router, "set-sending", participant->sid, TRUE,
                         &ok);
  participant->dtls_connected = TRUE;
  group_data_participant_update (participant);
  json_object_set_string_member (event, "event", "connected");
  json_object_set_string_member (event, "participant", participant->sid);
  group_media_room_send_event (participant->room, event);
}

static void
on_failed (GroupTransport *transport, const char *message, gpointer user_data)
{
  GroupParticipant *participant = user_data;
  gboolean ok;

  if (participant->failed)
    return;
  participant->failed = TRUE;
  g_signal_emit_by_name (participant->room->router, "set-sending", participant->sid,
                         FALSE, &ok);
  group_media_room_send_error (participant->room, participant->sid,
                               CONVOKE_ERROR_MEDIA_CONNECTION_FAILED, message);
  participant_report_subscriptions (participant, NULL);
  /* What it published will not come: the others' slots for it go idle. */
  if (participant->published->len > 0)
    for (guint i = 0; i < participant->room->order->len; i++)
      {
        GroupParticipant *other = g_ptr_array_index (participant->room->order, i);

        if (other != participant)
          group_participant_request_offer (other);
      }
}

static gboolean
participant_link_router (GroupParticipant *participant, GError **error)
{
  GroupMediaRoom *room = participant->room;
  /* The pad each router pad links to: a ghost pad of the GroupTransport
   * for what the participant sends, a pad of its GroupSrtpSender, a
   * sibling of the router, for what it receives. */
  static const char *const transport_pads[CONVOKE_ROUTER_N_PADS] = {
    [CONVOKE_ROUTER_PAD_RECV_RTP] = "rtp_src",
    [CONVOKE_ROUTER_PAD_RECV_RTCP] = "rtcp_src",
    [CONVOKE_ROUTER_PAD_SEND_RTP] = "rtp_sink",
    [CONVOKE_ROUTER_PAD_SEND_RTCP] = "rtcp_sink",
  };
  GstElement *sender = GST_ELEMENT (group_transport_get_sender (participant->transport));

  for (ConvokeRouterPad kind = 0; kind < CONVOKE_ROUTER_N_PADS; kind++)
    {
      g_autofree char *name
          = g_strconcat (convoke_router_pad_prefix (kind), participant->sid, NULL);
      g_autoptr (GstPad) transport_pad = NULL;
      GstPad *router_pad;
      GstPadLinkReturn link;

      router_pad = gst_element_request_pad_simple (room->router, name);
      participant->router_pads[kind] = router_pad;
      transport_pad = gst_element_get_static_pad (
          CONVOKE_ROUTER_PAD_IS_SINK (kind) ? GST_ELEMENT (participant->transport) : sender,
          transport_pads[kind]);
      if (router_pad == NULL || transport_pad == NULL)
        link = GST_PAD_LINK_REFUSED;
      else if (CONVOKE_ROUTER_PAD_IS_SINK (kind))
        link = gst_pad_link (transport_pad, router_pad);
      else
        link = gst_pad_link (router_pad, transport_pad);
      if (link != GST_PAD_LINK_OK)
        {
          g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                       _ ("Could not link the transport of %s to the router pad %s"),
                       participant->sid, name);
          return FALSE;
        }
    }
  return TRUE;
}

GroupParticipant *
group_participant_add (GroupMediaRoom *room, const char *sid, const char *identity,
                       gboolean trickle, GError **error)
{
  GroupParticipant *participant;
  GroupTransportConfig config = {
    .context = room->context,
    .addresses = (const char *const *) room->addresses,
    .port_min = room->port_min,
    .port_max = room->port_max,
    .stun_host = room->stun_host,
    .stun_port = room->stun_port,
    .pem = room->pem,
  };
  g_autoptr (GroupTransport) transport = NULL;

  /* Read at each join: the daemon renews the credentials while the room
   * lives ([media] worker-turn). */
  config.turn_username = room->api->worker_get_option (room->worker, "turn-username");
  config.turn_password = room->api->worker_get_option (room->worker, "turn-password");
  config.turn_servers = group_turn_cache_get (
      &room->turn_cache, room->api->worker_get_option (room->worker, "turn-servers"),
      room->api->worker_get_room_sid (room->worker));
  transport = group_transport_new (sid, &config, error);

  if (transport == NULL)
    return NULL;

  participant = g_new0 (GroupParticipant, 1);
  participant->room = room;
  participant->sid = g_strdup (sid);
  participant->trickle = trickle;
  participant->transport = g_steal_pointer (&transport);
  participant->session = group_session_new (room->audio_codec, room->video_codec);
  participant->router_slots = g_hash_table_new (NULL, NULL);
  participant->published
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_source_free);
  g_hash_table_insert (room->participants, participant->sid, participant);
  g_ptr_array_add (room->order, participant);

  g_signal_connect (participant->transport, "local-candidate",
                    G_CALLBACK (on_local_candidate), participant);
  g_signal_connect (participant->transport, "gathering-done",
                    G_CALLBACK (on_gathering_done), participant);
  g_signal_connect (participant->transport, "connected", G_CALLBACK (on_connected),
                    participant);
  g_signal_connect (participant->transport, "failed", G_CALLBACK (on_failed),
                    participant);

  gst_bin_add_many (GST_BIN (room->pipeline), GST_ELEMENT (participant->transport),
                    GST_ELEMENT (group_transport_get_sender (participant->transport)), NULL);
  if (!participant_link_router (participant, error)
      || !group_data_participant_added (participant, error)
      || !gst_element_sync_state_with_parent (
          GST_ELEMENT (group_transport_get_sender (participant->transport)))
      || !gst_element_sync_state_with_parent (GST_ELEMENT (participant->transport))
      || !group_transport_gather (participant->transport, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                     _ ("Could not start the media transport of %s"), sid);
      group_participant_remove (participant, FALSE);
      return NULL;
    }

  GST_DEBUG_OBJECT (room->pipeline, "room %s: %s (%s) added, %s",
                    room->api->worker_get_room_sid (room->worker), sid,
                    identity ? identity : "no identity",
                    trickle ? "trickle" : "no trickle");
  group_participant_request_offer (participant);
  return participant;
}

void
group_participant_remove (GroupParticipant *participant, gboolean notify_others)
{
  GroupMediaRoom *room = participant->room;
  gboolean ok;

  g_clear_handle_id (&participant->offer_source, g_source_remove);
  group_recording_participant_left (room->recording, participant->sid);
  g_signal_handlers_disconnect_by_data (participant->transport, participant);

  /* The order matters: the router stops choosing the participant's pads,
   * its elements stop (no more packets from it), then the pads go. */
  g_signal_emit_by_name (room->router, "remove-participant", participant->sid, &ok);
  group_data_participant_removed (participant);
  group_transport_shutdown (participant->transport);
  for (guint i = 0; i < G_N_ELEMENTS (participant->router_pads); i++)
    if (participant->router_pads[i] != NULL)
      {
        gst_element_release_request_pad (room->router, participant->router_pads[i]);
        gst_clear_object (&participant->router_pads[i]);
      }
  gst_bin_remove_many (GST_BIN (room->pipeline), GST_ELEMENT (participant->transport),
                       GST_ELEMENT (group_transport_get_sender (participant->transport)),
                       NULL);

  g_ptr_array_remove (room->order, participant);
  g_hash_table_steal (room->participants, participant->sid);
  if (notify_others && participant->published->len > 0)
    for (guint i = 0; i < room->order->len; i++)
      group_participant_request_offer (g_ptr_array_index (room->order, i));

  gst_clear_object (&participant->transport);
  group_session_free (participant->session);
  g_hash_table_unref (participant->router_slots);
  g_ptr_array_unref (participant->published);
  g_clear_pointer (&participant->held_answer, g_ptr_array_unref);
  g_free (participant->held_answer_setup);
  g_free (participant->sid);
  g_free (participant);
}

/* ICE and DTLS parameters of a description, applied to the transport. */
static gboolean
participant_apply_transport (GroupParticipant *participant,
                             const GroupRemoteDescription *remote, gboolean offer,
                             GError **error)
{
  GroupTransport *transport = participant->transport;

  if (remote->ice_ufrag == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("The session description has no accepted m-line"));
      return FALSE;
    }
  return group_transport_set_remote (transport, remote->ice_ufrag, remote->ice_pwd,
                                     remote->fingerprint_hash, remote->fingerprint, offer,
                                     error);
}

static void
participant_apply_candidates (GroupParticipant *participant,
                              const GroupRemoteDescription *remote)
{
  for (guint i = 0; i < remote->candidates->len; i++)
    {
      g_autoptr (GError) error = NULL;

      /* One bad candidate among good ones must not spoil the description. */
      if (!group_transport_add_remote_candidate (
              participant->transport, g_ptr_array_index (remote->candidates, i), &error))
        GST_DEBUG_OBJECT (participant->transport, "%s: %s", participant->sid,
                          error->message);
    }
  if (remote->end_of_candidates)
    group_transport_remote_gathering_done (participant->transport);
}

static gboolean
participant_apply_answer (GroupParticipant *participant,
                          const GroupRemoteDescription *remote, GError **error)
{
  if (group_session_is_stable (participant->session))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
                   _ ("Got an answer, but the server has no offer outstanding"));
      return FALSE;
    }
  if (!participant_apply_transport (participant, remote, FALSE, error)
      || !group_session_apply_answer (participant->session, remote, error))
    return FALSE;
  /* We offered actpass: "active" makes us the DTLS server. */
  group_transport_set_dtls_client (participant->transport,
                                   g_strcmp0 (remote->setup, "passive") == 0);
  participant_apply_candidates (participant, remote);
  participant_negotiated (participant);
  return TRUE;
}

static gboolean
participant_apply_offer (GroupParticipant *participant,
                         const GroupRemoteDescription *remote, GError **error)
{
  GroupTransport *transport = participant->transport;
  g_autoptr (GPtrArray) answer = NULL;
  gboolean dtls_client = FALSE;

  if (participant->held_answer != NULL)
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
          _ ("Got an offer while the answer to the previous one is not sent yet"));
      return FALSE;
    }
  if (!participant_apply_transport (participant, remote, TRUE, error))
    return FALSE;
  /* The client's offer crossed ours: the server gives way, and offers
   * again once this exchange is done. */
  if (!group_session_is_stable (participant->session))
    {
      group_session_rollback (participant->session);
      participant->offer_wanted = TRUE;
    }
  if (!group_session_has_negotiated (participant->session))
    group_transport_set_controlling (transport, FALSE);

  answer = group_session_apply_offer (participant->session, remote, error);
  if (answer == NULL)
    return FALSE;

  /* The first exchange decides the DTLS role; we prefer being the server
   * (passive), which never waits for ICE before it can answer. */
  if (!group_transport_get_dtls_role (transport, &dtls_client))
    {
      dtls_client = g_strcmp0 (remote->setup, "passive") == 0;
      group_transport_set_dtls_client (transport, dtls_client);
    }
  participant_apply_candidates (participant, remote);

  participant->held_answer = g_steal_pointer (&answer);
  participant->held_answer_setup = g_strdup (dtls_client ? "active" : "passive");
  if (participant->trickle || group_transport_is_gathering_done (transport))
    participant_send_held_answer (participant);
  participant_negotiated (participant);
  return TRUE;
}

gboolean
group_participant_apply_description (GroupParticipant *participant, const char *sdp_type,
                                     const char *sdp, GError **error)
{
  g_autoptr (GroupRemoteDescription) remote = NULL;

  if (g_strcmp0 (sdp_type, "offer") != 0 && g_strcmp0 (sdp_type, "answer") != 0)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                   _ ("sdp_type is “%s”; it must be “offer” or “answer”"),
                   sdp_type ? sdp_type : "");
      return FALSE;
    }
  remote = group_remote_description_parse (sdp, error);
  if (remote == NULL)
    return FALSE;
  if (g_str_equal (sdp_type, "answer"))
    return participant_apply_answer (participant, remote, error);
  return participant_apply_offer (participant, remote, error);
}

gboolean
group_participant_add_candidate (GroupParticipant *participant, const char *candidate,
                                 gint mline_index, const char *mid, GError **error)
{
  if (*candidate == '\0')
    {
      group_transport_remote_gathering_done (participant->transport);
      return TRUE;
    }
  if (!group_session_knows_mline (participant->session, mline_index, mid))
    {
      g_set_error (
          error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SDP_SERVER_REMOTE,
          _ ("The candidate names an unknown m-line (sdpMLineIndex %d, sdpMid %s)"),
          mline_index, mid ? mid : _ ("none"));
      return FALSE;
    }
  return group_transport_add_remote_candidate (participant->transport, candidate, error);
}

gboolean
group_participant_set_video_layer (GroupParticipant *participant, const char *publisher,
                                   const char *track, guint layer, GError **error)
{
  GPtrArray *mlines = group_session_get_mlines (participant->session);
  gboolean found = FALSE, ok = FALSE;

  for (guint i = 0; i < mlines->len && !found; i++)
    {
      const GroupMLine *mline = g_ptr_array_index (mlines, i);
      g_autofree char *msid_track = NULL;

      if (mline->role != GROUP_MLINE_SLOT || g_strcmp0 (mline->kind, "video") != 0
          || mline->vacant || !mline->remote_receives
          || g_strcmp0 (mline->source, publisher) != 0)
        continue;
      /* The track id the slot is announced with (group-session.c). */
      msid_track = mline->msid_track != NULL
                       ? g_strdup (mline->msid_track)
                       : g_strdup_printf ("%s-%s", mline->source, mline->kind);
      if (track != NULL && g_strcmp0 (track, msid_track) != 0)
        continue;
      found = TRUE;
      g_signal_emit_by_name (participant->room->router, "set-slot-layer",
                             participant->sid, mline->ssrc, layer, &ok);
    }
  if (!found)
    g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_SIGNALING_INVALID_MESSAGE,
                 _ ("No video of “%s” with track id “%s” is sent to you"), publisher,
                 track != NULL ? track : "");
  return found;
}
