/* Between the parts of group-sdp: group-sdp.c reads and writes whole
 * descriptions, group-sdp-simulcast.c the simulcast lines of an m-line.
 * No state, no locking.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/sdp/sdp.h>

#include "group-sdp.h"

G_BEGIN_DECLS

/* The simulcast layers and extension ids of a remote m-line. */
void group_sdp_parse_simulcast (GroupRemoteMedia *remote, const GstSDPMedia *media);
/* The simulcast lines and extension ids @local answers with, if any. */
void group_sdp_write_simulcast (GstSDPMedia *sdp_media, const GroupLocalMedia *local);

G_END_DECLS
