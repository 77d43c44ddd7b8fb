/* Cluster mode: a client may connect to any node (docs/cluster.md). The
 * node it reached routes its join; when the room is on another node, it
 * relays the client's WebSocket there, frame for frame, and stays out
 * of the room: the hosting node sees an ordinary signaling connection,
 * checks the token again, and its worker's ICE candidates take the
 * media straight to it. Both the native protocol and the Twilio SDK's
 * go through, so twilio-video.js needs no redirect support.
 *
 * Threads: main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cluster.h"
#include "signaling-connection.h"

G_BEGIN_DECLS

/* The room is on this node (created here, its name claimed, when it did
 * not exist and may be created), or @error says why the join fails. */
typedef void (*ConvokeClusterJoinDone) (ConvokeSignalingConnection *conn, const GError *error,
                                        gpointer user_data);

typedef struct
{
  /* The room the client asked for: a unique name or a sid. */
  const char *room_name;
  /* The connection came from another node: never relay it again. */
  gboolean forwarded;
  /* Whether a join may create the room (auto-create, or a named room). */
  gboolean may_create;
  /* Where the hosting node serves this protocol ("/v1/Signaling" or
   * "/signaling"), the subprotocol to ask for (or NULL), and the text
   * sent to it before the client's later frames. */
  const char *path;
  const char *subprotocol;
  const char *first_frame;
  /* The hosting node's first frame of that kind is dropped: the client
   * got this node's (TCMP's `welcome`). NULL: nothing is dropped. */
  const char *drop_first_type;
} ConvokeClusterJoin;

/* Pauses @conn's input, then either calls @done (and resumes input after
 * it) or relays @conn to the room's node (@done is then never called,
 * and @destroy frees @user_data). */
void convoke_cluster_route_join (ConvokeCluster *cluster, ConvokeRoomRegistry *registry,
                                 ConvokeSignalingConnection *conn,
                                 const ConvokeClusterJoin *join, ConvokeClusterJoinDone done,
                                 gpointer user_data, GDestroyNotify destroy);

/* Relays @conn to @node_url at once (a resumed SDK session); @conn's
 * input must be paused once by the caller, which the relay resumes. */
void convoke_cluster_relay (ConvokeCluster *cluster, ConvokeSignalingConnection *conn,
                            const char *node_url, const ConvokeClusterJoin *join);

G_END_DECLS
