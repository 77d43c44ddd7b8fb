/* Test helper: captures what crosses a TURN relay's ports on loopback
 * (dumpcap, from Debian's tshark package) and reads the UDP datagrams
 * back (tshark), then takes apart what is inside them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "turn-server.h"

G_BEGIN_DECLS

typedef struct _RelayCapture RelayCapture;

typedef struct
{
  guint16 src_port;
  guint16 dst_port;
  GBytes *payload; /* the UDP payload, as sent */
} CapturedDatagram;

/* Starts capturing UDP to and from @turn's listening port and relay port
 * range into a pcap file in @dir, and waits until dumpcap captures. */
RelayCapture *relay_capture_start (TestTurnServer *turn, const char *dir);
/* Stops dumpcap and returns every captured datagram, in order
 * (CapturedDatagram*, freed with the array). */
GPtrArray *relay_capture_stop (RelayCapture *capture);

/* What a relay carries between its client and a peer, out of its TURN
 * framing: datagrams on the listening port are unwrapped (ChannelData,
 * Send and Data indications; NULL for TURN's own requests), datagrams
 * between relay ports are the application data itself. */
GBytes *relay_capture_application_data (TestTurnServer *turn,
                                        const CapturedDatagram *datagram);

/* RFC 7983's first-byte demultiplexing of what ICE carries. */
typedef enum
{
  RELAYED_OTHER,
  RELAYED_STUN,
  RELAYED_DTLS,
  RELAYED_RTP,
  RELAYED_RTCP,
} RelayedKind;

RelayedKind relayed_kind (GBytes *data);

G_END_DECLS
