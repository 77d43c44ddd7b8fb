/* convokerecorder: writes one RTP track to a Matroska file without
 * transcoding, optionally encrypted. See the element documentation in the
 * .c file and docs/recording.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_CONVOKE_RECORDER (gst_convoke_recorder_get_type ())
G_DECLARE_FINAL_TYPE (GstConvokeRecorder, gst_convoke_recorder, GST, CONVOKE_RECORDER,
                      GstBin)

GST_ELEMENT_REGISTER_DECLARE (convokerecorder);

G_END_DECLS
