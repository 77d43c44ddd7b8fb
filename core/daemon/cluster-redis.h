/* One connection to the cluster's Redis (docs/cluster.md), on the main
 * loop through hiredis's GLib adapter, that reconnects by itself.
 *
 * Threads: main loop only. Ownership: replies belong to hiredis and live
 * only for the duration of the callback; copy what you keep.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

#define CONVOKE_TYPE_REDIS (convoke_redis_get_type ())
G_DECLARE_FINAL_TYPE (ConvokeRedis, convoke_redis, CONVOKE, REDIS, GObject)

/* Signals (main loop):
 *   "connected"     ()  the connection is up and its database selected
 *   "disconnected"  ()  it went down (or an attempt failed after being
 *                       up); it is retried with back-off from 100 ms to 2 s
 */

/* Called once per command: @reply is NULL when the connection went down
 * before the answer came, or is closing. */
typedef void (*ConvokeRedisReplyFunc) (ConvokeRedis *redis, redisReply *reply,
                                       gpointer user_data);

/* Starts connecting at once. */
ConvokeRedis *convoke_redis_new (const char *host, guint port, guint db);
gboolean convoke_redis_is_connected (ConvokeRedis *self);
/* "HOST:PORT", for messages. */
const char *convoke_redis_get_address (ConvokeRedis *self);

/* Sends a command built from @argv (binary-safe: nothing is parsed or
 * quoted). Returns FALSE without calling @callback when the connection is
 * down. @callback may be NULL. */
gboolean convoke_redis_command (ConvokeRedis *self, ConvokeRedisReplyFunc callback,
                                gpointer user_data, guint argc, const char *const *argv);
/* The same with the words as arguments, NULL-terminated. */
gboolean convoke_redis_commandv (ConvokeRedis *self, ConvokeRedisReplyFunc callback,
                                 gpointer user_data, ...) G_GNUC_NULL_TERMINATED;

/* Writes out what is queued (briefly blocking, for a daemon that is
 * leaving), then drops the connection: commands still waiting for an
 * answer get a NULL reply now, and nothing reconnects. */
void convoke_redis_close (ConvokeRedis *self);

/* Reply helpers: NULL-safe. */
gboolean convoke_redis_reply_is_error (redisReply *reply);
/* The string of a STRING/STATUS reply, else NULL (borrowed). */
const char *convoke_redis_reply_string (redisReply *reply);

G_END_DECLS
