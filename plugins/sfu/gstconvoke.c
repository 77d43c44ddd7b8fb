/* The `convoke` GStreamer plugin: the elements a group room's media
 * worker runs (convokerouter, and convokerecorder and convokecryptsink
 * when it records). It holds no WebRTC client: convokesrc and convokesink
 * are the `convokeclient` plugin (plugins/client/). One line per element
 * below.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "build-config.h"

#include <gst/gst.h>

#include "gstconvokerouter.h"
#include "gstconvokecryptsink.h"
#include "gstconvokerecorder.h"

#define PACKAGE "convoke"
#define GST_PACKAGE_NAME "Convoke"
#define GST_PACKAGE_ORIGIN "Convoke"

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = FALSE;

  ok |= GST_ELEMENT_REGISTER (convokerouter, plugin);
  ok |= GST_ELEMENT_REGISTER (convokecryptsink, plugin);
  ok |= GST_ELEMENT_REGISTER (convokerecorder, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, convoke,
                   "The media worker's elements of Convoke group rooms", plugin_init,
                   PACKAGE_VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
