/* GstConvokeBin: what convokesrc and convokesink share. Both are bins that
 * join a Convoke room as one participant through libconvoke-client
 * (core/client/): the room properties (gstconvokeelement-properties.c), a
 * private thread that runs the client session, and the messages they post
 * about it (gstconvokebusmessages.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "convoke-client-session.h"

G_BEGIN_DECLS

#define GST_TYPE_CONVOKE_BIN (gst_convoke_bin_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstConvokeBin, gst_convoke_bin, GST, CONVOKE_BIN, GstBin)

/* Subclasses' hooks. All of them run on the session thread, where every
 * signal of @session is emitted too. */
struct _GstConvokeBinClass
{
  GstBinClass parent_class;

  /* A new session, not connected yet: connect to its signals, add the
   * tracks that are known already. */
  void (*session_created) (GstConvokeBin *self, ConvokeClientSession *session);
  /* The session is over (left, refused or lost) and is about to be
   * freed; its signals have been disconnected. */
  void (*session_finished) (GstConvokeBin *self, ConvokeClientSession *session);
  /* Whether the session may connect now; NULL means always. A subclass
   * that says FALSE calls gst_convoke_bin_connect() itself later. */
  gboolean (*ready_to_connect) (GstConvokeBin *self);

  gpointer padding[4];
};

/* Joins the room with the element's settings, once per run; from any
 * thread. Nothing happens before READY→PAUSED or after PAUSED→READY. */
void gst_convoke_bin_connect (GstConvokeBin *self);

/* The current session with a reference, or NULL outside PAUSED/PLAYING. */
ConvokeClientSession *gst_convoke_bin_ref_session (GstConvokeBin *self);

/* Stops @element, a child the element added, and takes it out of the
 * bin if it is still in it; the caller keeps its own reference. */
void gst_convoke_bin_remove_element (GstConvokeBin *self, GstElement *element);

/* @text (an identity, say) as material for a pad name that a gst-launch
 * line can refer to: every byte but ASCII letters and digits becomes '_'.
 * Free with g_free(). */
char *gst_convoke_bin_sanitize_name (const char *text);

G_END_DECLS
