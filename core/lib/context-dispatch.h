/* Handing work to the thread that runs a GMainContext: the one idiom for
 * every thread hop in Convoke (streaming threads to a worker's main loop,
 * a caller's thread to a private session thread, a call into webrtcbin
 * deferred until it returns).
 *
 * Not g_main_context_invoke(): that calls @func at once, on the calling
 * thread, whenever the calling thread owns @context or can acquire it as
 * its thread-default context. The global default context is the
 * thread-default of every thread that pushed none, so a GStreamer
 * streaming thread would run the callback itself whenever no main loop
 * holds the context (before the loop starts, after it stopped), and any
 * call made from the owning thread would re-enter the caller. An idle
 * source never runs on the calling thread, and idle sources of one
 * priority dispatch in the order they were attached, so what is handed
 * over keeps its order.
 *
 * Inline, so that code which includes the core's headers without linking
 * libconvoke-core (the in-tree group module) uses the same one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs @func (@data) once on @context's thread, at G_PRIORITY_DEFAULT,
 * from any thread, never before this returns; then @destroy (@data) when
 * not NULL. @func should return G_SOURCE_REMOVE. Since: 0.1 */
static inline void
convoke_context_dispatch (GMainContext *context, GSourceFunc func, gpointer data,
                          GDestroyNotify destroy)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "convoke-context-dispatch");
  g_source_attach (source, context);
  g_source_unref (source);
}

G_END_DECLS
