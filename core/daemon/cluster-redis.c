/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-cluster"
#include "cluster-redis.h"

#include <string.h>

#include <hiredis/adapters/glib.h>

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000

struct _ConvokeRedis
{
  GObject parent;
  char *host;
  guint port;
  guint db;
  char *address;
  redisAsyncContext *ac; /* NULL while down */
  GSource *source;       /* the adapter's, for @ac */
  gboolean connected;    /* connected and database selected */
  guint retry_source;
  guint retry_ms;
  /* The adapter's own cleanup, wrapped by cleanup_source(). */
  void (*adapter_cleanup) (void *data);
};

enum
{
  SIGNAL_CONNECTED,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConvokeRedis, convoke_redis, G_TYPE_OBJECT)

typedef struct
{
  ConvokeRedis *self; /* a reference, so a late answer finds it alive */
  ConvokeRedisReplyFunc callback;
  gpointer user_data;
} PendingCommand;

static void connect_now (ConvokeRedis *self);

static gboolean
retry_cb (gpointer data)
{
  ConvokeRedis *self = data;

  self->retry_source = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (ConvokeRedis *self)
{
  if (self->retry_source != 0)
    return;
  self->retry_source = g_timeout_add (self->retry_ms, retry_cb, self);
  self->retry_ms = MIN (self->retry_ms * 2, RETRY_MAX_MS);
}

static void
forget_context (ConvokeRedis *self)
{
  gboolean was_connected = self->connected;

  self->ac = NULL;
  self->connected = FALSE;
  if (was_connected)
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0);
}

/* hiredis 0.14 frees its context as soon as the connection fails, also
 * from inside redisAsyncHandleWrite(), and calls this last. The adapter's
 * dispatch would then go on to redisAsyncHandleRead() on the freed
 * context if the same poll reported it readable too; clearing the
 * reported events stops it. The source goes with its context (GLib keeps
 * it alive until a dispatch in progress returns). */
static void
cleanup_source (void *data)
{
  RedisSource *source = data;
  ConvokeRedis *self = source->ac->data;

  self->adapter_cleanup (data);
  source->poll_fd.revents = 0;
  if (self->source == (GSource *) source)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
}

static void
on_select (redisAsyncContext *ac, void *r, void *privdata)
{
  ConvokeRedis *self = privdata;
  redisReply *reply = r;

  if (self->ac != ac || reply == NULL)
    return;
  if (convoke_redis_reply_is_error (reply))
    {
      g_warning ("Redis at %s refused database %u: %s", self->address, self->db,
                 reply->str);
      redisAsyncDisconnect (ac);
      return;
    }
  self->connected = TRUE;
  self->retry_ms = RETRY_MIN_MS;
  g_message ("cluster: connected to Redis at %s (database %u)", self->address, self->db);
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
}

static void
on_connect (const redisAsyncContext *ac, int status)
{
  ConvokeRedis *self = ac->data;
  g_autofree char *db = NULL;

  if (status != REDIS_OK)
    {
      /* hiredis frees @ac after this returns. */
      g_debug ("cluster: cannot connect to Redis at %s: %s", self->address, ac->errstr);
      forget_context (self);
      schedule_retry (self);
      return;
    }
  db = g_strdup_printf ("%u", self->db);
  redisAsyncCommand ((redisAsyncContext *) ac, on_select, self, "SELECT %s", db);
}

static void
on_disconnect (const redisAsyncContext *ac, int status)
{
  ConvokeRedis *self = ac->data;

  if (self->connected)
    g_warning ("cluster: lost the connection to Redis at %s%s%s", self->address,
               status != REDIS_OK ? ": " : "", status != REDIS_OK ? ac->errstr : "");
  forget_context (self);
  schedule_retry (self);
}

static void
connect_now (ConvokeRedis *self)
{
  redisAsyncContext *ac = redisAsyncConnect (self->host, (int) self->port);

  if (ac == NULL || ac->err != 0)
    {
      g_debug ("cluster: cannot connect to Redis at %s: %s", self->address,
               ac != NULL ? ac->errstr : "out of memory");
      if (ac != NULL)
        redisAsyncFree (ac);
      schedule_retry (self);
      return;
    }
  ac->data = self;
  self->ac = ac;
  self->source = redis_source_new (ac);
  self->adapter_cleanup = ac->ev.cleanup;
  ac->ev.cleanup = cleanup_source;
  g_source_attach (self->source, NULL);
  /* After the adapter: setting the connect callback arms its write
   * watch. */
  redisAsyncSetConnectCallback (ac, on_connect);
  redisAsyncSetDisconnectCallback (ac, on_disconnect);
}

static void
convoke_redis_finalize (GObject *object)
{
  ConvokeRedis *self = CONVOKE_REDIS (object);

  /* Pending commands hold a reference on us: none is left. */
  convoke_redis_close (self);
  g_free (self->host);
  g_free (self->address);
  G_OBJECT_CLASS (convoke_redis_parent_class)->finalize (object);
}

static void
convoke_redis_class_init (ConvokeRedisClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = convoke_redis_finalize;
  signals[SIGNAL_CONNECTED] = g_signal_new ("connected", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);
  signals[SIGNAL_DISCONNECTED] = g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 0);
}

static void
convoke_redis_init (ConvokeRedis *self)
{
  self->retry_ms = RETRY_MIN_MS;
}

ConvokeRedis *
convoke_redis_new (const char *host, guint port, guint db)
{
  ConvokeRedis *self = g_object_new (CONVOKE_TYPE_REDIS, NULL);

  self->host = g_strdup (host);
  self->port = port;
  self->db = db;
  self->address = strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                             : g_strdup_printf ("%s:%u", host, port);
  connect_now (self);
  return self;
}

void
convoke_redis_close (ConvokeRedis *self)
{
  redisAsyncContext *ac = self->ac;
  int done = 0;

  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (ac == NULL)
    return;
  /* A few hundred bytes at most (the node's goodbye): bounded to 100 ms. */
  for (int i = 0; self->connected && i < 100; i++)
    {
      if (redisBufferWrite (&ac->c, &done) != REDIS_OK || done)
        break;
      g_usleep (1000);
    }
  ac->onDisconnect = NULL;
  self->connected = FALSE;
  self->ac = NULL;
  redisAsyncFree (ac);
}

gboolean
convoke_redis_is_connected (ConvokeRedis *self)
{
  return self->connected;
}

const char *
convoke_redis_get_address (ConvokeRedis *self)
{
  return self->address;
}

static void
on_reply (redisAsyncContext *ac, void *reply, void *privdata)
{
  PendingCommand *pending = privdata;

  if (pending->callback != NULL)
    pending->callback (pending->self, reply, pending->user_data);
  g_object_unref (pending->self);
  g_free (pending);
}

gboolean
convoke_redis_command (ConvokeRedis *self, ConvokeRedisReplyFunc callback,
                       gpointer user_data, guint argc, const char *const *argv)
{
  g_autofree size_t *lengths = g_new (size_t, argc);
  PendingCommand *pending;

  if (!self->connected)
    return FALSE;
  for (guint i = 0; i < argc; i++)
    lengths[i] = strlen (argv[i]);
  pending = g_new0 (PendingCommand, 1);
  pending->self = g_object_ref (self);
  pending->callback = callback;
  pending->user_data = user_data;
  if (redisAsyncCommandArgv (self->ac, on_reply, pending, (int) argc,
                             (const char **) argv, lengths)
      != REDIS_OK)
    {
      g_object_unref (pending->self);
      g_free (pending);
      return FALSE;
    }
  return TRUE;
}

gboolean
convoke_redis_commandv (ConvokeRedis *self, ConvokeRedisReplyFunc callback,
                        gpointer user_data, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *word;
  va_list args;

  va_start (args, user_data);
  while ((word = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) word);
  va_end (args);
  return convoke_redis_command (self, callback, user_data, argv->len,
                                (const char *const *) argv->pdata);
}

gboolean
convoke_redis_reply_is_error (redisReply *reply)
{
  return reply == NULL || reply->type == REDIS_REPLY_ERROR;
}

const char *
convoke_redis_reply_string (redisReply *reply)
{
  if (reply != NULL
      && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS))
    return reply->str;
  return NULL;
}
