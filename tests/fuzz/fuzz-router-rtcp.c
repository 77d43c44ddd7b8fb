/* Fuzz target: the RTCP (and RTP) a participant sends convokerouter
 * (plugins/sfu/router-table.c, router-table-rtcp.c, router-rtp.c,
 * router-rtcp.c), driven through the routing table the element wraps.
 *
 * Each input starts a fresh table in the state of a two-person room: A and
 * B each publish opus (PT 111, with RFC 6464 audio levels as extension 1,
 * and the dominant speaker and network quality on) and VP8 (PT 96) or
 * H.264 (PT 102), each
 * receives the other's audio and video on two slots, and both are sending,
 * so that sender reports are forwarded, PLI/FIR reach the publisher, and
 * NACKs are answered from the retransmission cache. The input is a
 * sequence of records:
 *
 *   byte 0       operation (below, modulo 8)
 *   bytes 1-2    length N, big-endian (cut to what is left)
 *   N bytes      the packet
 *
 *   0: RTP from A        1: RTP from B
 *   2: RTCP from A       3: RTCP from B
 *   4: the periodic tick (receiver reports, REMB, postponed PLIs),
 *      N×1 ms later
 *   5: B stops or starts sending (first packet byte odd: sending)
 *   6: B's video slot moves to the other publisher or back
 *   7: A leaves the room and comes back with no streams
 *
 * Time advances 5 ms per record. Besides the sanitizers, every packet the
 * table hands back must be valid: RTCP towards RTCP pads, RTP towards RTP
 * pads, and only pads of a participant in the room.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/rtp/rtp.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "router-table.h"

GST_DEBUG_CATEGORY (gst_convoke_router_debug);

#define SLOT_AUDIO_OF_A 0xB0000001u
#define SLOT_VIDEO_OF_A 0xB0000002u
#define SLOT_AUDIO_OF_B 0xA0000001u
#define SLOT_VIDEO_OF_B 0xA0000002u

static GstCaps *payloads;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init_logging ();
  gst_init (NULL, NULL);
  GST_DEBUG_CATEGORY_INIT (gst_convoke_router_debug, "convokerouter", 0, "fuzz");
  payloads = gst_caps_from_string (
      "application/x-rtp, media=audio, payload=111, clock-rate=48000, "
      "encoding-name=OPUS, extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level; "
      "application/x-rtp, media=video, payload=96, clock-rate=90000, "
      "encoding-name=VP8; "
      "application/x-rtp, media=video, payload=102, clock-rate=90000, "
      "encoding-name=H264");
  if (payloads == NULL)
    abort ();
  return 0;
}

typedef struct
{
  const char *id;
  RouterParticipant *participant;
  GstPad *pads[CONVOKE_ROUTER_N_PADS];
} Member;

static void
member_join (RouterTable *table, Member *member, const char *id)
{
  static const GstPadDirection directions[CONVOKE_ROUTER_N_PADS]
      = { GST_PAD_SINK, GST_PAD_SINK, GST_PAD_SRC, GST_PAD_SRC };

  member->id = id;
  member->participant = router_table_ensure_participant (table, id);
  if (!router_table_set_payloads (table, id, payloads))
    abort ();
  for (guint kind = 0; kind < CONVOKE_ROUTER_N_PADS; kind++)
    {
      member->pads[kind] = gst_object_ref_sink (gst_pad_new (NULL, directions[kind]));
      router_table_attach_pad (table, member->participant, kind, member->pads[kind]);
    }
}

static void
member_leave (RouterTable *table, Member *member, GArray *events)
{
  for (guint kind = 0; kind < CONVOKE_ROUTER_N_PADS; kind++)
    {
      router_table_detach_pad (table, member->participant, kind, member->pads[kind]);
      gst_clear_object (&member->pads[kind]);
    }
  router_table_remove_participant (table, member->id, events);
  g_clear_pointer (&member->participant, router_participant_unref);
}

/* Every packet must go to a pad of a member, and be what that pad
 * carries. */
static void
check_pushes (GArray *pushes, Member *members, guint n_members)
{
  for (guint i = 0; i < pushes->len; i++)
    {
      RouterPush *push = &g_array_index (pushes, RouterPush, i);
      gboolean found = FALSE;

      for (guint m = 0; m < n_members && !found; m++)
        {
          if (push->pad == members[m].pads[CONVOKE_ROUTER_PAD_SEND_RTCP])
            {
              found = TRUE;
              if (!gst_rtcp_buffer_validate (push->buffer))
                abort ();
            }
          else if (push->pad == members[m].pads[CONVOKE_ROUTER_PAD_SEND_RTP])
            {
              GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

              found = TRUE;
              if (!gst_rtp_buffer_map (push->buffer, GST_MAP_READ, &rtp))
                abort ();
              gst_rtp_buffer_unmap (&rtp);
            }
        }
      if (!found)
        abort ();
    }
  g_array_set_size (pushes, 0);
}

/* gst_buffer_new_memdup() refuses 0 bytes; an empty packet is still a
 * packet to drop. */
static GstBuffer *
packet_buffer (const uint8_t *packet, size_t length)
{
  return length > 0 ? gst_buffer_new_memdup (packet, length) : gst_buffer_new ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  RouterTable *table = router_table_new (NULL);
  g_autoptr (GArray) pushes = router_pushes_new ();
  g_autoptr (GArray) events = router_stream_events_new ();
  Member members[2] = { { 0 } };
  Member *a = &members[0], *b = &members[1];
  gint64 now_us = g_get_monotonic_time ();
  gboolean b_video_from_a = TRUE;
  size_t offset = 0;

  router_table_set_max_bitrate (table, 1000000);
  router_table_set_dominant_speaker (table, TRUE);
  router_table_set_network_quality (table, TRUE);
  router_table_set_retransmission_cache_size (table, 64);
  member_join (table, a, "PA00000000000000000000000000000001");
  member_join (table, b, "PA00000000000000000000000000000002");
  router_table_set_slot (table, b->id, SLOT_AUDIO_OF_A, "audio", 111, a->id, pushes);
  router_table_set_slot (table, b->id, SLOT_VIDEO_OF_A, "video", 96, a->id, pushes);
  router_table_set_slot (table, a->id, SLOT_AUDIO_OF_B, "audio", 111, b->id, pushes);
  router_table_set_slot (table, a->id, SLOT_VIDEO_OF_B, "video", -1, b->id, pushes);
  router_table_set_sending (table, a->id, TRUE, pushes);
  router_table_set_sending (table, b->id, TRUE, pushes);
  check_pushes (pushes, members, 2);

  while (offset + 3 <= size)
    {
      guint8 op = data[offset] % 8;
      size_t length = MIN ((size_t) ((data[offset + 1] << 8) | data[offset + 2]),
                           size - offset - 3);
      const uint8_t *packet = data + offset + 3;
      g_autoptr (GstBuffer) buffer = NULL;

      offset += 3 + length;
      now_us += 5000;
      switch (op)
        {
        case 0:
        case 1:
          buffer = packet_buffer (packet, length);
          router_table_handle_rtp (table, members[op].participant, buffer, now_us, pushes,
                                   events);
          break;
        case 2:
        case 3:
          buffer = packet_buffer (packet, length);
          router_table_handle_rtcp (table, members[op - 2].participant, buffer, now_us,
                                    pushes, events);
          break;
        case 4:
          now_us += (gint64) length * 1000;
          router_table_tick (table, now_us, pushes, events);
          break;
        case 5:
          router_table_set_sending (table, b->id, length > 0 && (packet[0] & 1), pushes);
          break;
        case 6:
          b_video_from_a = !b_video_from_a;
          router_table_set_slot (table, b->id, SLOT_VIDEO_OF_A, "video", 96,
                                 b_video_from_a ? a->id : b->id, pushes);
          break;
        case 7:
          member_leave (table, a, events);
          member_join (table, a, "PA00000000000000000000000000000001");
          router_table_set_sending (table, a->id, TRUE, pushes);
          break;
        }
      check_pushes (pushes, members, 2);
      g_array_set_size (events, 0);
    }

  {
    GstStructure *stats = router_table_get_stats (table);

    gst_structure_free (stats);
  }
  member_leave (table, a, events);
  member_leave (table, b, events);
  router_table_free (table);
  return 0;
}
