/* gst-inspect-1.0 on the convoke plugin: the elements are there, with the
 * properties, pad templates and signals docs/gstreamer.md promises.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gst-launch-runner.h"

#include <string.h>

/* A property line of gst-inspect-1.0: two spaces, the name, padding, ":". */
static gboolean
lists_property (const char *out, const char *name)
{
  g_autofree char *escaped = g_regex_escape_string (name, -1);
  g_autofree char *regex = g_strdup_printf ("(?m)^  %s +: ", escaped);

  return g_regex_match_simple (regex, out, 0, 0);
}

static char *
inspect (const char *what)
{
  const char *args[] = { what, NULL };
  int status = -1;
  char *out = gst_inspect (args, &status);

  g_assert_cmpint (status, ==, 0);
  return out;
}

/* The media worker's plugin holds no WebRTC client: the client bins are
 * a plugin of their own. */
static void
test_plugin_lists_elements (void)
{
  g_autofree char *sfu = inspect ("convoke");
  g_autofree char *client = inspect ("convokeclient");

  g_assert_nonnull (strstr (sfu, "convokerouter: "));
  g_assert_nonnull (strstr (sfu, "convokerecorder: "));
  g_assert_nonnull (strstr (sfu, "convokecryptsink: "));
  g_assert_null (strstr (sfu, "convokesink"));
  g_assert_null (strstr (sfu, "convokesrc"));
  g_assert_nonnull (strstr (client, "libgstconvokeclient.so"));
  g_assert_nonnull (strstr (client, "convokesink: Convoke room sink"));
  g_assert_nonnull (strstr (client, "convokesrc: Convoke room source"));
  g_assert_null (strstr (client, "convokerouter"));
}

static const char *const shared_properties[]
    = { "url",        "room",        "identity",    "token",      "api-key",
        "api-secret", "account-sid", "ice-servers", "relay-only", NULL };

static void
test_convokesrc (void)
{
  g_autofree char *out = inspect ("convokesrc");

  for (guint i = 0; shared_properties[i] != NULL; i++)
    g_assert_true (lists_property (out, shared_properties[i]));
  g_assert_true (lists_property (out, "output"));
  g_assert_nonnull (strstr (out, "Enum \"GstConvokeSrcOutput\" Default: 1, \"encoded\""));
  g_assert_nonnull (strstr (out, "(0): rtp "));
  g_assert_nonnull (strstr (out, "String. Default: \"http://127.0.0.1:7880\""));
  g_assert_nonnull (strstr (out, "SRC template: 'src_%s'"));
  g_assert_nonnull (strstr (out, "Availability: Sometimes"));
  g_assert_nonnull (strstr (out, "\"participant-connected\""));
  g_assert_nonnull (strstr (out, "\"participant-disconnected\""));
  g_assert_nonnull (strstr (out, "Source/Network/WebRTC"));
  /* The sink's request pads are not the source's. */
  g_assert_null (strstr (out, "audio_%u"));
}

static void
test_convokesink (void)
{
  g_autofree char *out = inspect ("convokesink");

  for (guint i = 0; shared_properties[i] != NULL; i++)
    g_assert_true (lists_property (out, shared_properties[i]));
  g_assert_false (lists_property (out, "output"));
  g_assert_nonnull (strstr (out, "SINK template: 'audio_%u'"));
  g_assert_nonnull (strstr (out, "SINK template: 'video_%u'"));
  g_assert_nonnull (strstr (out, "Availability: On request"));
  g_assert_nonnull (strstr (out, "video/x-vp8"));
  g_assert_nonnull (strstr (out, "audio/x-opus"));
  g_assert_nonnull (strstr (out, "application/x-rtp"));
  g_assert_nonnull (strstr (out, "Sink/Network/WebRTC"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_launch_init ();

  g_test_add_func ("/plugin/inspect/elements", test_plugin_lists_elements);
  g_test_add_func ("/plugin/inspect/convokesrc", test_convokesrc);
  g_test_add_func ("/plugin/inspect/convokesink", test_convokesink);
  return g_test_run ();
}
