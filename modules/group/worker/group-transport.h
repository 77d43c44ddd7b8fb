/* One participant's media transport in a group room's worker: a GstBin
 * with a NiceAgent (one stream, one component: BUNDLE and rtcp-mux),
 * `nicesrc ! GroupSrtpReceiver` (group-srtp-receiver.h) for what the
 * participant sends, and `dtlssrtpdec` and `dtlssrtpenc ! nicesink` for
 * the DTLS handshake and the data channel; beside the bin, a
 * GroupSrtpSender (group-srtp-sender.h) for the media it receives
 * (group_transport_get_sender()). The SRTP elements take the
 * keys DTLS exported from dtlssrtpdec's dtlsdec and dtlssrtpenc's
 * srtpenc.
 *
 * Ghost pads: `rtp_src`, `rtcp_src` (decrypted packets from the
 * participant); `data_src` and `data_sink`, the DTLS application data
 * both ways (SCTP packets, group-sctp.h). Link `data_src` before the bin starts: an
 * unlinked one would fail the whole receive path.
 *
 * The bin keeps its children's errors to itself: an ERROR message from
 * inside becomes the "failed" signal, so one participant's broken DTLS
 * never reaches the pipeline's bus and never ends the room.
 *
 * Signals, all emitted on the main context given at creation:
 *   "local-candidate" (const char *candidate)   "candidate:…"
 *   "gathering-done"  ()
 *   "connected"       ()   DTLS keys set, peer certificate checked
 *   "failed"          (const char *message)   ICE, DTLS or element failure
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include "group-srtp-sender.h"

G_BEGIN_DECLS

#define GROUP_TYPE_TRANSPORT (group_transport_get_type ())
G_DECLARE_FINAL_TYPE (GroupTransport, group_transport, GROUP, TRANSPORT, GstBin)

typedef struct
{
  GMainContext *context;
  /* Local IP addresses to gather host candidates on. */
  const char *const *addresses;
  guint port_min, port_max; /* 0, 0: any */
  const char *stun_host;    /* NULL: no server-reflexive candidates */
  guint stun_port;
  /* GroupTurnServer* to allocate a relay on, with these credentials
   * (group-turn.h); NULL or empty: no relayed candidates. */
  const GPtrArray *turn_servers;
  const char *turn_username;
  const char *turn_password;
  /* Certificate and private key for dtlssrtpdec's "pem", or NULL for the
   * process-wide one the DTLS elements generate. */
  const char *pem;
} GroupTransportConfig;

/* Creates the transport: elements linked, the encoder held back. Errors
 * name the bad address. */
GroupTransport *group_transport_new (const char *name, const GroupTransportConfig *config,
                                     GError **error);
/* Starts gathering local candidates ("local-candidate", then
 * "gathering-done"); connect to the signals first. Fails (53006) when the
 * port range has no free port. */
gboolean group_transport_gather (GroupTransport *self, GError **error);

/* Stops signals and brings the elements down; call before removing the
 * bin from its pipeline. */
void group_transport_shutdown (GroupTransport *self);

/* What sends the media for the participant: a GroupSrtpSender, with its
 * `rtp_sink` and `rtcp_sink` pads (packets for the participant, protected
 * with the keys DTLS gave; it drops what comes before them, and the
 * router pushes nothing before the "connected" signal anyway). It is not
 * a child of the bin: add it to the bin of the elements that feed it (the
 * router's) and link their pads to it directly, since a ghost pad would
 * cost one more pad push, with its locks and references, per packet and
 * subscriber. group_transport_shutdown() stops it; remove it from its bin
 * after. Transfer none. */
GroupSrtpSender *group_transport_get_sender (GroupTransport *self);

void group_transport_get_local_credentials (GroupTransport *self, char **ufrag,
                                            char **pwd);
/* "candidate:…" strings gathered so far. */
GPtrArray *group_transport_get_local_candidates (GroupTransport *self);
gboolean group_transport_is_gathering_done (GroupTransport *self);

/* The ICE role, before the first remote description is applied. */
void group_transport_set_controlling (GroupTransport *self, gboolean controlling);

/* The remote side's ICE credentials and DTLS fingerprint, from an offer
 * (@offer) or an answer. New credentials in a later offer restart ICE
 * (new local credentials: read them again for the answer); in an answer,
 * or with another fingerprint, they are refused with 53403. */
gboolean group_transport_set_remote (GroupTransport *self, const char *ufrag,
                                     const char *pwd, const char *fingerprint_hash,
                                     const char *fingerprint, gboolean offer,
                                     GError **error);
/* "candidate:…" or "a=candidate:…". Component 2 and mDNS (.local)
 * candidates are ignored; malformed ones are an error (53403). */
gboolean group_transport_add_remote_candidate (GroupTransport *self,
                                               const char *candidate, GError **error);
void group_transport_remote_gathering_done (GroupTransport *self);

/* The DTLS role from the negotiated a=setup. The first call decides;
 * later ones are ignored. */
void group_transport_set_dtls_client (GroupTransport *self, gboolean client);
/* Whether the role was decided, and which it is. */
gboolean group_transport_get_dtls_role (GroupTransport *self, gboolean *client);

/* "AB:CD:…" (SHA-256 of the DER) of the PEM certificate in @pem. */
char *group_certificate_fingerprint (const char *pem, GChecksumType type, GError **error);

G_END_DECLS
