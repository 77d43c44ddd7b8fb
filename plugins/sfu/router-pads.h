/* The request pads of convokerouter: their templates, which participant
 * and which kind of traffic each pad stands for (from its name,
 * recv_rtp_sink_ID and so on), what they answer to events and queries,
 * and pushing onto them the packets the routing table produced.
 *
 * What arrives on a sink pad is the element's business: it passes its
 * chain function to router_pads_request().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "router-table.h"

G_BEGIN_DECLS

/* Adds the four request pad templates to @klass; once, from class_init. */
void router_pads_class_init (GstElementClass *klass);

/* GstElementClass.request_new_pad of a router whose routing state is
 * @table. The pad is attached to the participant its name identifies,
 * which is created unless it exists; a sink pad gets @chain. NULL, with a
 * warning, when @name does not name a participant or the pad exists. */
GstPad *router_pads_request (GstElement *element, RouterTable *table,
                             GstPadTemplate *templ, const char *name,
                             GstPadChainFunction chain);

/* GstElementClass.release_pad: detaches @pad from its participant, waits
 * for pushes onto it that are under way and removes it. */
void router_pads_release (GstElement *element, RouterTable *table, GstPad *pad);

ConvokeRouterPad router_pad_get_kind (GstPad *pad);

/* The participant @pad belongs to, borrowed; NULL once it is released. */
RouterParticipant *router_pad_get_participant (GstPad *pad);

/* The arrays a sink pad's chain function fills and empties, kept with
 * the pad so that no packet allocates them. A pad's chain function runs
 * on one thread at a time (the pad's stream lock), so they need no lock;
 * the chain function must leave them empty. */
typedef struct
{
  GArray *pushes; /* RouterPush */
  GArray *events; /* RouterStreamEvent */
} RouterPadScratch;

/* @pad's scratch arrays, borrowed; NULL for a source pad. */
RouterPadScratch *router_pad_get_scratch (GstPad *pad);

/* Pushes each RouterPush of @pushes, from any thread, without holding a
 * lock of the table, and empties the array. The first push onto a pad
 * (and the first after it was reactivated) starts its stream. */
void router_pads_push (GstElement *element, GArray *pushes);

/* When @buffer, a packet entering a recv_rtp pad, arrived: its
 * CONVOKE_ROUTER_ARRIVAL_CAPS meta (convokerouter-pads.h), or now, in
 * g_get_monotonic_time() µs. */
gint64 router_pad_arrival_time (GstBuffer *buffer);

G_END_DECLS
