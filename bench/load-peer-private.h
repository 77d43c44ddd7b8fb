/* The inside of a LoadPeer, shared by load-peer.c (pipeline, counting)
 * and load-peer-sdp.c (descriptions).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "group-transport.h"
#include "load-peer.h"
#include "load-receiver.h"

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
  /* RFC 4588: the payload type each RTX payload type repairs (-1: not
   * RTX), and each remote RTX SSRC's media SSRC (a=ssrc-group:FID). */
  int rtx_apt[128];
  GHashTable *rtx_ssrcs;
  GHashTable *remote_ssrcs; /* SSRC → RemoteSsrc* */
  GHashTable *rx;           /* SSRC → RxState* */
  LoadRtcpStats rtcp;
  gint64 last_rr_us;
};

typedef struct
{
  LoadRxStream stats;
  guint64 max_ext; /* highest extended sequence number */
  guint64 base_ext;
  LoadReceiver *receiver; /* video only: NACKs, key frame requests, frames played */
  /* For receiver reports: the last SR's NTP time (middle 32 bits) and
   * when it came, and the counts at the previous report. */
  guint32 last_sr_ntp;
  gint64 last_sr_us;
  guint64 expected_prior, received_prior;
} RxState;

/* The process-wide DTLS certificate's SHA-256 fingerprint, or NULL with
 * @error set. */
const char *load_peer_local_fingerprint (GError **error);

G_END_DECLS
