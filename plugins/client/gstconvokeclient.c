/* The `convokeclient` GStreamer plugin: convokesrc and convokesink, bins
 * that join a Convoke room as a participant through libconvoke-client
 * (webrtcbin). A plugin of its own, apart from the media worker's
 * elements (plugins/sfu/), so that a worker never loads the client. One
 * line per element below.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "build-config.h"

#include <gst/gst.h>

#include "gstconvokesink.h"
#include "gstconvokesrc.h"

#define PACKAGE "convoke"
#define GST_PACKAGE_NAME "Convoke"
#define GST_PACKAGE_ORIGIN "Convoke"

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = FALSE;

  ok |= GST_ELEMENT_REGISTER (convokesink, plugin);
  ok |= GST_ELEMENT_REGISTER (convokesrc, plugin);
  return ok;
}

/* The description is the `convoke` plugin's: gst-inspect-1.0 shows the
 * elements as they were before the plugin was split in two. */
GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, convokeclient,
                   "Join Convoke rooms as a participant (convokesrc, convokesink)",
                   plugin_init, PACKAGE_VERSION, "LGPL", GST_PACKAGE_NAME,
                   GST_PACKAGE_ORIGIN)
