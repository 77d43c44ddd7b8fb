/* One participant's data channels in a group room's worker: a GstBin with
 * the SCTP association that runs over the participant's DTLS connection
 * (`sctpdec` and `sctpenc`, the elements webrtcbin uses), and the data
 * channel protocol on top of it (DCEP, group-dcep.h).
 *
 * Link the transport's `data_src` to the bin's `sink` pad and its `src`
 * pad to the transport's `data_sink`, then call group_sctp_start() once
 * DTLS is connected and a data m-line is negotiated: SCTP packets sent
 * before DTLS is up would be lost, and the association would wait a whole
 * retransmission timeout.
 *
 * Threads. Everything but the signals' delivery happens off the main
 * context: what the participant sends is read in sctpdec's streaming
 * threads (one per stream, as sctpdec makes them), and what we send goes
 * through one sender thread of the bin's own, in the order it was asked
 * for, so that a subscriber whose SCTP window is full (sctpenc then waits)
 * never blocks the main context or another participant. What waits for
 * that thread is bounded (GROUP_SCTP_MAX_QUEUED bytes); beyond it
 * messages are dropped and counted.
 *
 * Signals, all emitted on the main context given at creation:
 *   "connected"      ()   the association is up: channels may be opened
 *   "channel-opened" (guint stream, gpointer info)  the participant opened
 *                    a channel (const GroupDataChannelInfo *, valid
 *                    during the emission); it was acknowledged already
 *   "channel-closed" (guint stream)  the participant closed a channel, of
 *                    its own or of ours (it reset the stream)
 *   "message"        (guint stream, gboolean binary, GBytes *payload)
 *   "failed"         (const char *message)  the association failed; the
 *                    bin keeps its children's errors to itself, as
 *                    GroupTransport does
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "group-dcep.h"
#include "group-sdp.h"

G_BEGIN_DECLS

/* At most this many bytes of messages wait for the sender thread. */
#define GROUP_SCTP_MAX_QUEUED (4 * 1024 * 1024)
/* Channels the participant may have open at once, its own and ours: a
 * stream costs sctpdec a thread. */
#define GROUP_SCTP_MAX_CHANNELS 64

#define GROUP_TYPE_SCTP (group_sctp_get_type ())
G_DECLARE_FINAL_TYPE (GroupSctp, group_sctp, GROUP, SCTP, GstBin)

GroupSctp *group_sctp_new (const char *name, GMainContext *context);
/* Starts the association towards the participant's a=sctp-port. The DTLS
 * role says which stream ids are ours (RFC 8832 section 6: the DTLS client
 * takes even ones). Later calls are ignored. */
void group_sctp_start (GroupSctp *self, guint remote_port, gboolean dtls_client);
gboolean group_sctp_is_started (GroupSctp *self);
/* Whether the association is up. */
gboolean group_sctp_is_connected (GroupSctp *self);

/* Opens a channel of ours with @info's settings; returns its stream, or
 * -1 when the participant has GROUP_SCTP_MAX_CHANNELS open. Messages may
 * be sent on it at once. */
gint group_sctp_open_channel (GroupSctp *self, const GroupDataChannelInfo *info);
/* Closes a channel of ours, or refuses one of the participant's. */
void group_sctp_close_channel (GroupSctp *self, guint stream);
/* Sends one message on @stream with @info's reliability and ordering.
 * Returns FALSE when it was dropped because too much waits already. */
gboolean group_sctp_send (GroupSctp *self, guint stream, const GroupDataChannelInfo *info,
                          gboolean binary, GBytes *payload);
/* Messages dropped so far because the sender was too far behind. */
guint64 group_sctp_get_dropped (GroupSctp *self);

/* Stops signals and the sender; call before removing the bin from its
 * pipeline. */
void group_sctp_shutdown (GroupSctp *self);

G_END_DECLS
