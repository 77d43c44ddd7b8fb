/* The daemon's configuration: a GKeyFile parsed and validated into a
 * read-only, reference-counted ConvokeConfig.
 *
 * A reload builds a new ConvokeConfig and swaps it in only when it is
 * valid; rooms keep a reference to the room type they were created with,
 * so a reload never changes a room in progress.
 *
 * docs/configuration.md documents every key.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONVOKE_CONFIG_ERROR (g_quark_from_static_string ("convoke-config-error"))

typedef enum
{
  CONVOKE_CONFIG_ERROR_SYNTAX,        /* not a key file */
  CONVOKE_CONFIG_ERROR_UNKNOWN_GROUP, /* e.g. [sever] */
  CONVOKE_CONFIG_ERROR_UNKNOWN_KEY,   /* e.g. [server] lisen= */
  CONVOKE_CONFIG_ERROR_INVALID_VALUE, /* wrong type or out of range */
  CONVOKE_CONFIG_ERROR_MISSING_KEY,   /* e.g. [type:x] without module= */
  CONVOKE_CONFIG_ERROR_REFERENCE,     /* names a type/module that does not exist */
} ConvokeConfigErrorCode;

/* One [type:NAME] group. Immutable once loaded; shared by reference. */
typedef struct
{
  gatomicrefcount ref;
  char *name;            /* "group", "peer-to-peer", "webinar", … */
  char *module;          /* topology module name: "group", "mesh", … */
  guint max_participants;
  gboolean recording;
  guint max_bitrate;     /* bits/s REMB cap for SFU publishers; 0 = none */
  GHashTable *options;   /* every key of the group, for modules: char* → char* */
} ConvokeRoomType;

ConvokeRoomType *convoke_room_type_ref (ConvokeRoomType *type);
void convoke_room_type_unref (ConvokeRoomType *type);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeRoomType, convoke_room_type_unref)

typedef struct
{
  gatomicrefcount ref;

  char *origin;          /* file path, or "<embedded default>" */

  /* [server] */
  char *listen_host;     /* default 127.0.0.1 */
  guint listen_port;     /* default 7880; 0 = any free port */
  char *public_url;      /* NULL: derived from listen */
  gboolean dev_tokens;   /* GET /dev/token exists (unsafe in production) */
  guint max_body_size;   /* bytes, REST request bodies */
  char *web_root;        /* directory served at / (the web client) */
  guint header_timeout;  /* seconds to send a request's headers (and idle keep-alive) */
  guint body_timeout;    /* seconds to send a request's body */
  guint max_unauthenticated_connections;

  /* [auth] */
  char *api_key;
  char *api_secret;
  char *account_sid;
  gboolean secret_generated; /* TRUE when no api-secret was configured */

  /* [media] */
  guint port_min, port_max;  /* 0,0 = any */
  char *stun_server;         /* stun:host:port, or NULL */
  gboolean worker_turn;      /* media workers allocate TURN relays from [turn] */
  char *worker_user;         /* the user a root daemon's workers become */
  guint worker_pool;         /* workers started ahead per module, 0: none */
  gboolean worker_fork_server; /* workers forked from a fork server, not executed */

  /* [turn] */
  char **turn_urls;          /* NULL-terminated, may be NULL */
  char *turn_secret;
  guint turn_ttl;            /* seconds */

  /* [rooms] */
  char *default_type;
  guint empty_room_timeout;  /* minutes, Twilio's unit */
  guint unused_room_timeout; /* minutes */
  gboolean auto_create;

  /* [signaling] */
  guint max_message_size;    /* bytes */
  guint max_messages_per_second;
  guint keepalive_interval;  /* seconds */

  /* [modules] */
  char *module_dir;

  /* [recording] */
  char *recording_dir;
  char *recording_public_key;

  /* [cluster] (docs/cluster.md): cluster mode is on when cluster_redis is
   * set. */
  char *cluster_redis;          /* the URL as written, or NULL */
  char *cluster_redis_host;
  guint cluster_redis_port;     /* default 6379 */
  guint cluster_redis_db;       /* default 0 */
  char *cluster_node_id;        /* default: the host's name */
  char *cluster_node_url;       /* how other nodes reach this one; NULL: the base URL */
  char *cluster_region;         /* a label, or NULL */
  char *cluster_placement_region; /* place new rooms only on nodes of this region */
  guint cluster_heartbeat_ttl;  /* seconds; default 10 */

  GHashTable *types;        /* name → ConvokeRoomType* */
  GHashTable *named_rooms;  /* unique name → type name */
} ConvokeConfig;

/* The embedded default config (data/convoke.conf). */
const char *convoke_config_default_data (void);

ConvokeConfig *convoke_config_load_data (const char *data, gssize length,
                                         const char *origin, GError **error);
ConvokeConfig *convoke_config_load_file (const char *path, GError **error);
/* Reads a config file as convoke_config_load_file() does: only a regular
 * file (not /dev/zero, a FIFO or a directory) of at most 1 MiB, never
 * waiting for a writer. *@contents is NUL-terminated; free it with g_free. */
gboolean convoke_config_read_file (const char *path, char **contents, gsize *length,
                                   GError **error);
ConvokeConfig *convoke_config_load_default (GError **error);

ConvokeConfig *convoke_config_ref (ConvokeConfig *config);
void convoke_config_unref (ConvokeConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeConfig, convoke_config_unref)

/* NULL when there is no such type. */
ConvokeRoomType *convoke_config_lookup_type (ConvokeConfig *config, const char *name);
/* The configured type name of [room:NAME], or NULL when not a named room. */
const char *convoke_config_named_room_type (ConvokeConfig *config, const char *unique_name);

/* The configured room type names, sorted, joined with ", " (for errors
 * that list what would have been valid). */
char *convoke_config_list_type_names (ConvokeConfig *config);

/* "http://127.0.0.1:7880" style base URL (public-url if set). */
char *convoke_config_base_url (ConvokeConfig *config, guint actual_port);

G_END_DECLS
