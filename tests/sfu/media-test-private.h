/* Private to the media test harness: media-test-room.c (the fake worker
 * host) and media-test-client.c (the webrtcbin clients).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "media-test-client.h"

G_BEGIN_DECLS

/* The module sees this only as an opaque handle. */
struct _ConvokeWorker
{
  MediaRoom *room;
};

struct _MediaRoom
{
  ConvokeWorker worker;
  GThread *main_thread; /* the module may call the API on it only */
  GstPipeline *pipeline;
  gpointer worker_data;
  GHashTable *options;
  GQueue events; /* JsonObject*, delivered from an idle source */
  guint deliver_source;
  GHashTable *clients; /* sid → MediaClient* (borrowed from all_clients) */
  GPtrArray *all_clients;
  GPtrArray *errors;
  GPtrArray *speakers; /* char*: dominant-speaker events */
  GHashTable *quality; /* sid → level + 1 */
  GHashTable *last_description;
  GHashTable *tracks_started;
  GHashTable *subscriptions; /* sid → its latest subscribed-tracks, see below */
};

struct _MediaClient
{
  MediaRoom *room;
  char *sid;
  MediaClientFlags flags;
  GstElement *pipeline;
  GstElement *webrtc;
  gboolean left;
  gboolean offer_outstanding; /* its own offer awaits the server's answer */
  gboolean answer_waits;      /* no trickle: the answer waits for gathering */

  GMutex lock; /* the tables below are read and written on streaming threads */
  GHashTable *mid_publisher;
  GHashTable *video_frames;
  GHashTable *audio_buffers;
  GHashTable *first_frame;
  GHashTable *video_received; /* publisher → MediaVideoReceived* */
  gint64 connected_us;
};

/* The last RTP packet a client received on one publisher's video slot,
 * before depayloading: what a NACK names. */
typedef struct
{
  GstPad *pad; /* webrtcbin's source pad of the slot (a reference) */
  guint32 ssrc;
  guint16 last_seq;
  gboolean seen;
} MediaVideoReceived;

/* Events the worker sent about the client. */
void media_client_handle_event (MediaClient *client, JsonObject *event);
/* Stops its pipeline; nothing it queued for the main loop runs after. */
void media_client_stop (MediaClient *client);
void media_client_free (MediaClient *client);

G_END_DECLS
