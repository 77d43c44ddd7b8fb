/* What group-transport.c and group-transport-dtls.c share: the
 * GroupTransport's fields and the calls between the ICE side and the DTLS
 * side. Not for the rest of the module; group-transport.h is the API.
 *
 * Threads: as group-transport.h says, everything runs on the transport's
 * main context unless a function says "from any thread".
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <nice/agent.h>

#include "group-srtp-receiver.h"
#include "group-srtp-sender.h"
#include "group-transport.h"

G_BEGIN_DECLS

/* BUNDLE and rtcp-mux: one ICE component carries everything. */
#define COMPONENT_ID 1

GST_DEBUG_CATEGORY_EXTERN (group_transport_debug);

struct _GroupTransport
{
  GstBin parent;

  /* Under the object lock: released on whichever thread libnice reports
   * the connection. Holds outgoing packets until ICE can send them. */
  gulong send_hold_probe;

  /* Everything below is touched on @context only. */
  GMainContext *context;
  NiceAgent *agent;
  guint stream_id;
  GstElement *nicesrc, *dec, *enc, *nicesink;
  /* dtlssrtpenc's srtpenc and dtlssrtpdec's dtlsdec, which give the keys
   * DTLS exported (media goes through @sender and @receiver; the receiver
   * is a child of the bin, the sender is not, and this holds a reference
   * to it). All four are set at creation, then read-only. */
  GstElement *srtpenc, *dtlsdec;
  GroupSrtpSender *sender;
  GroupSrtpReceiver *receiver;
  guint port_min, port_max;
  GPtrArray *local_candidates;
  guint relays_requested; /* TURN servers given to the agent */
  guint relayed_candidates;
  gboolean gathering_done;
  char *remote_ufrag;
  guint ice_restarts;
  char *remote_fingerprint_hash;
  char *remote_fingerprint;
  gboolean dtls_role_decided;
  gboolean dtls_client;
  gboolean ice_connected;
  gboolean enc_started;
  gulong dec_hold_probe; /* holds incoming DTLS until the encoder runs */
  gboolean connected;
  gboolean failed;
  gboolean shut_down;
};

/* group-transport.c */

/* Emits "failed" once, unless shut down. */
void group_transport_fail (GroupTransport *self, const char *message);
/* The same, from any thread: goes through the main context. */
void group_transport_fail_async (GroupTransport *self, const char *message);
/* Emits "connected": the keys are set and the peer's certificate checked. */
void group_transport_emit_connected (GroupTransport *self);

/* group-transport-dtls.c */

/* Finds the elements inside dtlssrtpenc and dtlssrtpdec that hold the
 * exported keys, connects to their key signals, locks the encoder until
 * group_transport_dtls_maybe_start() and holds the DTLS input and output
 * until ICE connects. @name names the transport in errors. */
gboolean group_transport_dtls_setup (GroupTransport *self, const char *name,
                                     GError **error);
/* Starts dtlssrtpenc once the DTLS role is known and, as client, once ICE
 * has connected. */
void group_transport_dtls_maybe_start (GroupTransport *self);
/* Lets nicesink send the DTLS flights held so far: ICE has a pair. From
 * any thread. */
void group_transport_dtls_release_sender (GroupTransport *self);

G_END_DECLS
