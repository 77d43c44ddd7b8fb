/* convokesrc: joins a Convoke room and exposes what the other participants
 * publish, one sometimes pad per remote track. See the element
 * documentation in the .c file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gstconvokebin.h"

G_BEGIN_DECLS

typedef enum
{
  GST_CONVOKE_SRC_OUTPUT_RTP,
  GST_CONVOKE_SRC_OUTPUT_ENCODED,
} GstConvokeSrcOutput;

#define GST_TYPE_CONVOKE_SRC_OUTPUT (gst_convoke_src_output_get_type ())
GType gst_convoke_src_output_get_type (void);

#define GST_TYPE_CONVOKE_SRC (gst_convoke_src_get_type ())
G_DECLARE_FINAL_TYPE (GstConvokeSrc, gst_convoke_src, GST, CONVOKE_SRC, GstConvokeBin)

GST_ELEMENT_REGISTER_DECLARE (convokesrc);

G_END_DECLS
