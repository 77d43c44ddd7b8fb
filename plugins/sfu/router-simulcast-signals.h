/* convokerouter's simulcast action signals (set-track-layer,
 * set-track-rids, set-slot-layer) and the bandwidth-estimation property
 * that chooses layers too, kept beside the element's other
 * signals' documentation style but in a file of their own. They call the
 * routing table (router-table.h), which does its own locking.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "router-table.h"

G_BEGIN_DECLS

/* Once, from the element's class_init. */
void router_simulcast_signals_install (GType type);
/* The bandwidth-estimation property, as @prop_id: the element's own
 * set_property/get_property handle it. */
void router_simulcast_property_install (GObjectClass *object_class, guint prop_id,
                                        gboolean default_value);

/* The routing table of the convokerouter @router (gstconvokerouter.c). */
RouterTable *gst_convoke_router_get_table (GstElement *router);

G_END_DECLS
