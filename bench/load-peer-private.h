/* The inside of a LoadPeer, shared by load-peer.c (pipeline, counting)
 * and load-peer-sdp.c (descriptions).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "group-transport.h"
#include "load-peer.h"

G_BEGIN_DECLS

#define LOAD_PEER_ERROR (g_quark_from_static_string ("load-peer-error"))

typedef struct
{
  char *mid;
  char *msid; /* stream id */
} RemoteSsrc;

struct _LoadPeer
{
  char *name;
  LoadSender *sender;
  LoadPeerCallbacks callbacks;
  gpointer user_data;

  GstElement *pipeline;
  GroupTransport *transport;
  GstElement *rtp_out, *rtcp_out; /* appsrc */
  guint32 ssrc[LOAD_N_KINDS];     /* what we send with, if we do */
  guint32 rtcp_ssrc;
  guint64 session_id, session_version;
  gboolean remote_applied;
  gboolean answer_passive; /* answer a=setup:passive instead of active */
  gboolean gathered;
  gint connected; /* atomic: read on streaming threads */
  gboolean failed;

  /* Negotiated sending: payload type per kind, -1 when not sending. */
  int send_pt[LOAD_N_KINDS];
  LoadStream *streams[LOAD_N_KINDS]; /* atomic: the RTCP probe reads them */

  /* Everything below under @lock (streaming threads write it). */
  GMutex lock;
  int pt_kind[128];         /* -1 unknown, else LoadKind */
  GHashTable *remote_ssrcs; /* SSRC → RemoteSsrc* */
  GHashTable *rx;           /* SSRC → RxState* */
  LoadRtcpStats rtcp;
};

typedef struct
{
  LoadRxStream stats;
  guint64 max_ext; /* highest extended sequence number */
  guint64 base_ext;
} RxState;

/* The process-wide DTLS certificate's SHA-256 fingerprint, or NULL with
 * @error set. */
const char *load_peer_local_fingerprint (GError **error);

G_END_DECLS
