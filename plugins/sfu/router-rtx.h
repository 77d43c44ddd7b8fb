/* RFC 4588 retransmission packets ("rtx" payload type, an SSRC of their
 * own): the first two bytes of the payload carry the original sequence
 * number (OSN), the rest is the original payload.
 *
 * Pure functions on buffers, no state and no locking.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtp/rtp.h>

G_BEGIN_DECLS

/* @original sent again as RTX packet @rtx_seq of @rtx_ssrc: same marker,
 * timestamp and CSRCs, payload type @rtx_pt, the OSN, then the original
 * payload. */
GstBuffer *router_rtx_wrap (GstRTPBuffer *original, guint32 rtx_ssrc, guint8 rtx_pt,
                            guint16 rtx_seq);
/* The original packet inside @rtx, as stream @media_ssrc with payload type
 * @media_pt; NULL when @rtx has no OSN (a padding-only packet, which
 * senders use to probe bandwidth). */
GstBuffer *router_rtx_unwrap (GstRTPBuffer *rtx, guint32 media_ssrc, guint8 media_pt);

G_END_DECLS
