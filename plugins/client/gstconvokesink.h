/* convokesink: joins a Convoke room and publishes what reaches its request
 * pads, one track per pad. See the element documentation in the .c file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gstconvokebin.h"

G_BEGIN_DECLS

#define GST_TYPE_CONVOKE_SINK (gst_convoke_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstConvokeSink, gst_convoke_sink, GST, CONVOKE_SINK, GstConvokeBin)

GST_ELEMENT_REGISTER_DECLARE (convokesink);

G_END_DECLS
