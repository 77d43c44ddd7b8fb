/* convokerouter: forwards RTP between the participants of a group room
 * without decoding it. See the element documentation in the .c file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_CONVOKE_ROUTER (gst_convoke_router_get_type ())
G_DECLARE_FINAL_TYPE (GstConvokeRouter, gst_convoke_router, GST, CONVOKE_ROUTER,
                      GstElement)

GST_ELEMENT_REGISTER_DECLARE (convokerouter);

G_END_DECLS
