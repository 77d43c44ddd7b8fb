/* convokecryptsink: writes a byte stream to a file encrypted to a public
 * key, so that no plaintext reaches the disk. See the element
 * documentation in the .c file and docs/recording.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_CONVOKE_CRYPT_SINK (gst_convoke_crypt_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstConvokeCryptSink, gst_convoke_crypt_sink, GST,
                      CONVOKE_CRYPT_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (convokecryptsink);

G_END_DECLS
