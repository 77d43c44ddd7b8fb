/* What convokesrc and convokesink join a room with: their properties'
 * values, checked and turned into what the client session needs. Kept
 * apart from the elements so that tests can call it directly.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The properties, as set. */
typedef struct
{
  char *url;
  char *room;
  char *identity;
  char *token;
  char *api_key;
  char *api_secret;
  char *account_sid;
  char *ice_servers;
  gboolean relay_only;
} GstConvokeSettings;

void gst_convoke_settings_clear (GstConvokeSettings *settings);
void gst_convoke_settings_copy (const GstConvokeSettings *from, GstConvokeSettings *to);

/* What one run (READY→PAUSED to PAUSED→READY) joins with. */
typedef struct
{
  char *url;
  char *room;            /* NULL: the token names it */
  char *token;           /* given, or minted */
  char *stun_server;     /* "stun://host:port" from ice-servers, or NULL */
  GStrv turn_servers;    /* "turn(s)://user:password@host:port", never NULL */
  GStrv local_addresses; /* where ICE gathers; NULL: every interface */
} GstConvokeRun;

/* Checks @settings and makes a run of them: the URL must be http(s) or
 * ws(s) with a host, every ice-servers entry a STUN or TURN URI (with
 * credentials), and there must be a token or what it takes to mint one.
 * NULL with @error (GST_RESOURCE_ERROR_SETTINGS, a message that names
 * the property and the value) otherwise. */
GstConvokeRun *gst_convoke_run_new (const GstConvokeSettings *settings, GError **error);
void gst_convoke_run_free (GstConvokeRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstConvokeRun, gst_convoke_run_free)

G_END_DECLS
