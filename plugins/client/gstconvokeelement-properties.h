/* The properties that say where and as whom convokesrc and convokesink
 * join (url, room, identity, token, api-key, api-secret, account-sid,
 * ice-servers, relay-only): their GParamSpecs, with the documentation
 * gst-inspect-1.0 shows, and how they read and write a
 * GstConvokeSettings. GstConvokeBin installs them once for both
 * elements.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

#include "gstconvokeelement-settings.h"

G_BEGIN_DECLS

/* How many properties gst_convoke_settings_install_properties()
 * installs. */
#define GST_CONVOKE_SETTINGS_N_PROPERTIES 9

/* Installs the properties on @klass with the ids @first_prop_id to
 * @first_prop_id + GST_CONVOKE_SETTINGS_N_PROPERTIES - 1. */
void gst_convoke_settings_install_properties (GObjectClass *klass, guint first_prop_id);

/* The properties' defaults, in @settings that holds nothing yet. */
void gst_convoke_settings_init_defaults (GstConvokeSettings *settings);

/* GObjectClass.set_property and get_property for the properties that
 * gst_convoke_settings_install_properties() installed from
 * @first_prop_id: FALSE, leaving everything alone, when @prop_id is not
 * one of them. The caller holds whatever lock guards @settings. */
gboolean gst_convoke_settings_set_property (GstConvokeSettings *settings,
                                            guint first_prop_id, guint prop_id,
                                            const GValue *value);
gboolean gst_convoke_settings_get_property (const GstConvokeSettings *settings,
                                            guint first_prop_id, guint prop_id,
                                            GValue *value);

G_END_DECLS
