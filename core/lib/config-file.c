/* Loads and validates the daemon's key file (docs/configuration.md).
 *
 * Validation is strict on purpose: an unknown group or key is an error, so
 * a typo such as "[rooms] empty-room-timout" fails loudly at start or
 * reload instead of leaving the default silently in force. Every error
 * names the file, the group and the key.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-config"

#include "config-file.h"
#include "config-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convoke-resources.h"
#include "i18n.h"
#include "sid.h"
#include "untrusted-text.h"

#define DEFAULT_RESOURCE_PATH "/org/convoke/convoke.conf"
#define EMBEDDED_ORIGIN "<embedded default>"

#define TYPE_GROUP_PREFIX "type:"
#define ROOM_GROUP_PREFIX "room:"

/* Twilio's limits for EmptyRoomTimeout/UnusedRoomTimeout and UniqueName. */
/* Each waiting worker holds about 20 MiB. */
#define WORKER_POOL_MAX 16
#define ROOM_TIMEOUT_MAX_MINUTES 60
#define UNIQUE_NAME_MAX_LENGTH 128
#define MAX_PARTICIPANTS_LIMIT 1000
/* The shipped, fully commented file is about 10 KB. */
#define MAX_CONFIG_FILE_SIZE (1024 * 1024)
/* An HMAC key shorter than this is guessable; Twilio's are 32 characters. */
#define API_SECRET_MIN_LENGTH 16

typedef struct
{
  const char *name;
  const char *module;
  guint max_participants;
} BuiltinType;

static const BuiltinType builtin_types[] = {
  { "group", "group", 50 },
  { "group-small", "group", 4 },
  { "peer-to-peer", "mesh", 10 },
  { "go", "mesh", 2 },
};

typedef struct
{
  const char *group;
  const char *const *keys;
} GroupSchema;

static const char *const server_keys[]
    = { "listen",         "public-url",    "dev-tokens",
        "max-body-size",  "web-root",      "header-timeout",
        "body-timeout",   "max-unauthenticated-connections", NULL };
static const char *const auth_keys[] = { "api-key", "api-secret", "account-sid", NULL };
static const char *const media_keys[]
    = { "port-range", "stun-server", "worker-turn", "worker-user", "worker-pool",
        "worker-fork-server", NULL };
static const char *const turn_keys[] = { "urls", "secret", "ttl", NULL };
static const char *const rooms_keys[] = { "default-type", "empty-room-timeout",
                                          "unused-room-timeout", "auto-create", NULL };
static const char *const signaling_keys[]
    = { "max-message-size", "max-messages-per-second", "keepalive-interval", NULL };
static const char *const modules_keys[] = { "dir", NULL };
static const char *const recording_keys[] = { "dir", "public-key", NULL };
static const char *const cluster_keys[]
    = { "redis", "node-id", "node-url", "region", "placement-region", "heartbeat-ttl", NULL };
static const char *const room_keys[] = { "type", NULL };

static const GroupSchema fixed_groups[] = {
  { "server", server_keys },   { "auth", auth_keys },
  { "media", media_keys },     { "turn", turn_keys },
  { "rooms", rooms_keys },     { "signaling", signaling_keys },
  { "modules", modules_keys }, { "recording", recording_keys },
  { "cluster", cluster_keys },
};

/* ---- reference counting ------------------------------------------------ */

ConvokeRoomType *
convoke_room_type_ref (ConvokeRoomType *type)
{
  g_atomic_ref_count_inc (&type->ref);
  return type;
}

void
convoke_room_type_unref (ConvokeRoomType *type)
{
  if (type == NULL || !g_atomic_ref_count_dec (&type->ref))
    return;
  g_free (type->name);
  g_free (type->module);
  g_clear_pointer (&type->options, g_hash_table_unref);
  g_free (type);
}

static ConvokeRoomType *
room_type_new (const char *name, const char *module, guint max_participants)
{
  ConvokeRoomType *type = g_new0 (ConvokeRoomType, 1);

  g_atomic_ref_count_init (&type->ref);
  type->name = g_strdup (name);
  type->module = g_strdup (module);
  type->max_participants = max_participants;
  type->options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return type;
}

ConvokeConfig *
convoke_config_ref (ConvokeConfig *config)
{
  g_atomic_ref_count_inc (&config->ref);
  return config;
}

void
convoke_config_unref (ConvokeConfig *config)
{
  if (config == NULL || !g_atomic_ref_count_dec (&config->ref))
    return;
  g_free (config->origin);
  g_free (config->listen_host);
  g_free (config->public_url);
  g_free (config->web_root);
  g_free (config->api_key);
  /* The secret may sit in freed heap memory otherwise. */
  if (config->api_secret != NULL)
    memset (config->api_secret, 0, strlen (config->api_secret));
  g_free (config->api_secret);
  g_free (config->account_sid);
  g_free (config->stun_server);
  g_free (config->worker_user);
  g_strfreev (config->turn_urls);
  g_free (config->turn_secret);
  g_free (config->default_type);
  g_free (config->module_dir);
  g_free (config->recording_dir);
  g_free (config->recording_public_key);
  g_free (config->cluster_redis);
  g_free (config->cluster_redis_host);
  g_free (config->cluster_node_id);
  g_free (config->cluster_node_url);
  g_free (config->cluster_region);
  g_free (config->cluster_placement_region);
  g_clear_pointer (&config->types, g_hash_table_unref);
  g_clear_pointer (&config->named_rooms, g_hash_table_unref);
  g_free (config);
}

static ConvokeConfig *
config_new_with_defaults (const char *origin)
{
  ConvokeConfig *config = g_new0 (ConvokeConfig, 1);

  g_atomic_ref_count_init (&config->ref);
  config->origin = g_strdup (origin);
  config->listen_host = g_strdup ("127.0.0.1");
  config->listen_port = 7880;
  config->max_body_size = 65536;
  config->header_timeout = 10;
  config->body_timeout = 30;
  config->max_unauthenticated_connections = 256;
  config->turn_ttl = 3600;
  config->worker_user = g_strdup ("convoke-worker");
  config->worker_pool = 1;
  config->worker_fork_server = TRUE;
  config->default_type = g_strdup ("group");
  config->empty_room_timeout = 5;
  config->unused_room_timeout = 5;
  config->auto_create = TRUE;
  config->max_message_size = 65536;
  config->max_messages_per_second = 50;
  config->keepalive_interval = 10;
  config->cluster_heartbeat_ttl = 10;
  config->types = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) convoke_room_type_unref);
  config->named_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (gsize i = 0; i < G_N_ELEMENTS (builtin_types); i++)
    {
      const BuiltinType *b = &builtin_types[i];
      ConvokeRoomType *type = room_type_new (b->name, b->module, b->max_participants);

      g_hash_table_insert (type->options, g_strdup ("module"), g_strdup (b->module));
      g_hash_table_insert (type->options, g_strdup ("max-participants"),
                           g_strdup_printf ("%u", b->max_participants));
      g_hash_table_insert (config->types, type->name, type);
    }
  return config;
}

/* ---- the fixed groups -------------------------------------------------- */

static gboolean
load_server (const Loader *l, GError **error)
{
  ConvokeConfig *c = l->config;

  return config_read_listen (l, error) && config_read_public_url (l, error)
         && config_read_bool (l, "server", "dev-tokens", &c->dev_tokens, error)
         && config_read_uint (l, "server", "max-body-size", 1024, 1 << 30,
                              _ ("a size in bytes from 1024 to 1073741824"),
                              &c->max_body_size, error)
         && config_read_path (l, "server", "web-root", &c->web_root, error)
         && config_read_uint (l, "server", "header-timeout", 1, 3600,
                              _ ("a number of seconds from 1 to 3600"),
                              &c->header_timeout, error)
         && config_read_uint (l, "server", "body-timeout", 1, 3600,
                              _ ("a number of seconds from 1 to 3600"), &c->body_timeout,
                              error)
         && config_read_uint (l, "server", "max-unauthenticated-connections", 1, 1000000,
                              _ ("a whole number from 1 to 1000000"),
                              &c->max_unauthenticated_connections, error);
}

static gboolean
load_auth (const Loader *l, GError **error)
{
  ConvokeConfig *c = l->config;

  if (!config_read_string (l, "auth", "api-key", &c->api_key, error)
      || !config_read_string (l, "auth", "api-secret", &c->api_secret, error)
      || !config_read_string (l, "auth", "account-sid", &c->account_sid, error))
    return FALSE;
  /* Empty means "not set", so the annotated default may show the keys. */
  if (c->api_key && *c->api_key == '\0')
    g_clear_pointer (&c->api_key, g_free);
  if (c->api_secret && *c->api_secret == '\0')
    g_clear_pointer (&c->api_secret, g_free);
  if (c->account_sid && *c->account_sid == '\0')
    g_clear_pointer (&c->account_sid, g_free);

  /* The key is the user half of HTTP Basic auth, where ':' splits. */
  if (c->api_key != NULL
      && (strpbrk (c->api_key, ": \t") != NULL || strlen (c->api_key) > 64))
    return config_fail (
        l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "auth", "api-key",
        _ ("expected up to 64 characters without “:” or spaces, got “%s”"), c->api_key);
  /* Never echo the secret itself. */
  if (c->api_secret != NULL && strlen (c->api_secret) < API_SECRET_MIN_LENGTH)
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "auth",
                        "api-secret", _ ("expected at least %d characters, got %d"),
                        API_SECRET_MIN_LENGTH, (int) strlen (c->api_secret));
  if (c->account_sid != NULL
      && !convoke_sid_is_valid (c->account_sid, CONVOKE_SID_ACCOUNT))
    return config_fail (
        l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "auth", "account-sid",
        _ ("expected “AC” followed by 32 hexadecimal digits, got “%s”"), c->account_sid);
  if (c->api_secret != NULL && c->api_key == NULL)
    return config_fail (
        l, error, CONVOKE_CONFIG_ERROR_MISSING_KEY, "auth", "api-key",
        _ ("required when api-secret is set (it is the token issuer and the "
           "REST user name)"));
  return TRUE;
}

static gboolean
load_media_and_turn (const Loader *l, GError **error)
{
  ConvokeConfig *c = l->config;

  if (!config_read_port_range (l, error) || !config_read_stun_server (l, error)
      || !config_read_bool (l, "media", "worker-turn", &c->worker_turn, error)
      || !config_read_bool (l, "media", "worker-fork-server", &c->worker_fork_server, error)
      || !config_read_string (l, "media", "worker-user", &c->worker_user, error)
      || !config_read_uint (l, "media", "worker-pool", 0, WORKER_POOL_MAX,
                            _ ("a number of workers from 0 to 16"), &c->worker_pool,
                            error)
      || !config_read_turn_urls (l, error)
      || !config_read_string (l, "turn", "secret", &c->turn_secret, error)
      || !config_read_uint (l, "turn", "ttl", 60, 7 * 86400,
                            _ ("a number of seconds from 60 to 604800"), &c->turn_ttl,
                            error))
    return FALSE;
  if (*c->worker_user == '\0' || g_str_equal (c->worker_user, "root"))
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, "media",
                        "worker-user",
                        _ ("expected an unprivileged user name, got “%s”"), c->worker_user);
  if (c->turn_secret != NULL && *c->turn_secret == '\0')
    g_clear_pointer (&c->turn_secret, g_free);
  if (c->turn_urls != NULL && c->turn_secret == NULL)
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_MISSING_KEY, "turn", "secret",
                        _ ("required when urls is set (coturn's static-auth-secret)"));
  /* Accepting it without a relay would leave workers behind NAT
   * unreachable while the file claims otherwise. */
  if (c->worker_turn && c->turn_urls == NULL)
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_MISSING_KEY, "media",
                        "worker-turn",
                        _ ("true needs TURN servers to relay through: set [turn] urls "
                           "and secret"));
  return TRUE;
}

static gboolean
load_rooms_and_signaling (const Loader *l, GError **error)
{
  ConvokeConfig *c = l->config;
  g_autofree char *minutes = g_strdup_printf (
      _ ("a whole number of minutes from 1 to %d"), ROOM_TIMEOUT_MAX_MINUTES);

  return config_read_string (l, "rooms", "default-type", &c->default_type, error)
         && config_read_uint (l, "rooms", "empty-room-timeout", 1,
                              ROOM_TIMEOUT_MAX_MINUTES, minutes, &c->empty_room_timeout,
                              error)
         && config_read_uint (l, "rooms", "unused-room-timeout", 1,
                              ROOM_TIMEOUT_MAX_MINUTES, minutes, &c->unused_room_timeout,
                              error)
         && config_read_bool (l, "rooms", "auto-create", &c->auto_create, error)
         && config_read_uint (l, "signaling", "max-message-size", 1024, 16 << 20,
                              _ ("a size in bytes from 1024 to 16777216"),
                              &c->max_message_size, error)
         && config_read_uint (l, "signaling", "max-messages-per-second", 1, 10000,
                              _ ("a whole number from 1 to 10000"),
                              &c->max_messages_per_second, error)
         && config_read_uint (l, "signaling", "keepalive-interval", 1, 3600,
                              _ ("a number of seconds from 1 to 3600"),
                              &c->keepalive_interval, error)
         && config_read_path (l, "modules", "dir", &c->module_dir, error)
         && config_read_path (l, "recording", "dir", &c->recording_dir, error)
         && config_read_path (l, "recording", "public-key", &c->recording_public_key,
                              error);
}

/* ---- [type:NAME] and [room:NAME] --------------------------------------- */

static gboolean
load_type (const Loader *l, const char *group, GError **error)
{
  const char *name = group + strlen (TYPE_GROUP_PREFIX);
  ConvokeRoomType *builtin = g_hash_table_lookup (l->config->types, name);
  g_autoptr (ConvokeRoomType) type = NULL;
  g_auto (GStrv) keys = NULL;
  g_autofree char *module = NULL;

  if (!config_is_simple_name (name, 64))
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, group, NULL,
                        _ ("a type name is 1 to 64 letters, digits, “-”, “_” or “.”"));

  /* Redefining a built-in type starts from the built-in values, so
   * "[type:group] max-participants=20" needs no module= line. */
  type = room_type_new (name, builtin ? builtin->module : NULL,
                        builtin ? builtin->max_participants : 50);
  if (builtin != NULL)
    {
      GHashTableIter iter;
      gpointer k, v;

      type->recording = builtin->recording;
      type->max_bitrate = builtin->max_bitrate;
      g_hash_table_iter_init (&iter, builtin->options);
      while (g_hash_table_iter_next (&iter, &k, &v))
        g_hash_table_insert (type->options, g_strdup (k), g_strdup (v));
    }

  if (!config_read_string (l, group, "module", &module, error))
    return FALSE;
  if (module != NULL)
    {
      if (!config_is_simple_name (module, 64) || strchr (module, '.') != NULL)
        return config_fail (
            l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, group, "module",
            _ ("expected a module name (letters, digits, “-”, “_”), got “%s”"), module);
      g_free (type->module);
      type->module = g_steal_pointer (&module);
    }
  if (type->module == NULL)
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_MISSING_KEY, group, "module",
                        _ ("every room type needs a topology module, e.g. module=group"));

  if (!config_read_uint (l, group, "max-participants", 1, MAX_PARTICIPANTS_LIMIT,
                         _ ("a whole number from 1 to 1000"), &type->max_participants,
                         error)
      || !config_read_bool (l, group, "recording", &type->recording, error)
      || !config_read_uint (l, group, "max-bitrate", 0, G_MAXUINT,
                            _ ("a bit rate in bits per second (0 for none)"),
                            &type->max_bitrate, error))
    return FALSE;

  /* Modules read their own keys through room_get_option(). */
  keys = g_key_file_get_keys (l->keys, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *value = NULL;

      if (!config_read_string (l, group, keys[i], &value, error))
        return FALSE;
      g_hash_table_insert (type->options, g_strdup (keys[i]), g_steal_pointer (&value));
    }
  g_hash_table_insert (type->options, g_strdup ("module"), g_strdup (type->module));

  {
    ConvokeRoomType *done = g_steal_pointer (&type);
    /* replace, not insert: the key belongs to the value it replaces. */
    g_hash_table_replace (l->config->types, done->name, done);
  }
  return TRUE;
}

static gboolean
load_named_room (const Loader *l, const char *group, GError **error)
{
  const char *name = group + strlen (ROOM_GROUP_PREFIX);
  g_autofree char *type = NULL;

  if (*name == '\0' || strlen (name) > UNIQUE_NAME_MAX_LENGTH
      || strchr (name, '/') != NULL || convoke_sid_is_valid (name, CONVOKE_SID_ROOM))
    return config_fail (
        l, error, CONVOKE_CONFIG_ERROR_INVALID_VALUE, group, NULL,
        _ ("a room name is 1 to 128 characters without “/” and is not a room sid"));
  if (!config_read_string (l, group, "type", &type, error))
    return FALSE;
  if (type == NULL || *type == '\0')
    return config_fail (l, error, CONVOKE_CONFIG_ERROR_MISSING_KEY, group, "type",
                        _ ("a named room needs a room type, e.g. type=group"));
  g_hash_table_replace (l->config->named_rooms, g_strdup (name), g_steal_pointer (&type));
  return TRUE;
}

/* ---- structure --------------------------------------------------------- */

static int
compare_strings (gconstpointer a, gconstpointer b, gpointer data)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

char *
convoke_config_list_type_names (ConvokeConfig *config)
{
  guint n_names;
  g_autofree const char **names
      = (const char **) g_hash_table_get_keys_as_array (config->types, &n_names);

  g_qsort_with_data (names, n_names, sizeof (char *), compare_strings, NULL);
  return g_strjoinv (", ", (char **) names);
}

static gboolean
check_keys (const Loader *l, const char *group, const char *const *allowed,
            GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (l->keys, group, NULL, NULL);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (!g_strv_contains (allowed, keys[i]))
      {
        g_autofree char *expected = g_strjoinv (", ", (char **) allowed);
        return config_fail (l, error, CONVOKE_CONFIG_ERROR_UNKNOWN_KEY, group, keys[i],
                            _ ("unknown key; this group has: %s"), expected);
      }
  return TRUE;
}

/* GKeyFile checks that values are UTF-8, but not group and key names: a
 * room named in Latin-1 would pass here and be refused by the registry
 * (and the REST API) as invalid, and every message quoting it would carry
 * the bad bytes. The name is shown with U+FFFD in their place. */
static gboolean
check_utf8_names (const Loader *l, const char *group, GError **error)
{
  g_auto (GStrv) keys = NULL;

  if (!g_utf8_validate (group, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (group, -1);

      return config_fail (l, error, CONVOKE_CONFIG_ERROR_SYNTAX, shown, NULL,
                          _ ("the group name is not valid UTF-8 (U+FFFD marks the bad "
                             "bytes); the file must be UTF-8"));
    }
  keys = g_key_file_get_keys (l->keys, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (!g_utf8_validate (keys[i], -1, NULL))
      {
        g_autofree char *shown = g_utf8_make_valid (keys[i], -1);

        return config_fail (l, error, CONVOKE_CONFIG_ERROR_SYNTAX, group, shown,
                            _ ("the key name is not valid UTF-8 (U+FFFD marks the bad "
                               "bytes); the file must be UTF-8"));
      }
  return TRUE;
}

static gboolean
check_structure (const Loader *l, GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (l->keys, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *group = groups[i];
      gboolean known = FALSE;

      if (!check_utf8_names (l, group, error))
        return FALSE;

      for (gsize j = 0; j < G_N_ELEMENTS (fixed_groups) && !known; j++)
        if (g_str_equal (group, fixed_groups[j].group))
          {
            if (!check_keys (l, group, fixed_groups[j].keys, error))
              return FALSE;
            known = TRUE;
          }
      if (g_str_has_prefix (group, ROOM_GROUP_PREFIX))
        {
          if (!check_keys (l, group, room_keys, error))
            return FALSE;
          known = TRUE;
        }
      /* [type:NAME] takes any key: the rest belong to the module. */
      if (!known && !g_str_has_prefix (group, TYPE_GROUP_PREFIX))
        return config_fail (
            l, error, CONVOKE_CONFIG_ERROR_UNKNOWN_GROUP, group, NULL,
            _ ("unknown group; expected server, auth, media, turn, rooms, "
               "signaling, modules, recording, type:NAME or room:NAME"));
    }
  return TRUE;
}

static gboolean
check_references (const Loader *l, GError **error)
{
  ConvokeConfig *c = l->config;
  g_autofree const char **rooms = NULL;
  guint n_rooms;

  if (g_hash_table_lookup (c->types, c->default_type) == NULL)
    {
      g_autofree char *known = convoke_config_list_type_names (c);
      return config_fail (l, error, CONVOKE_CONFIG_ERROR_REFERENCE, "rooms",
                          "default-type", _ ("no room type “%s”; the types are: %s"),
                          c->default_type, known);
    }

  /* Sorted, so that the first bad room reported is the same every time. */
  rooms = (const char **) g_hash_table_get_keys_as_array (c->named_rooms, &n_rooms);
  g_qsort_with_data (rooms, n_rooms, sizeof (char *), compare_strings, NULL);
  for (guint i = 0; i < n_rooms; i++)
    {
      const char *type = g_hash_table_lookup (c->named_rooms, rooms[i]);

      if (g_hash_table_lookup (c->types, type) == NULL)
        {
          g_autofree char *group = g_strconcat (ROOM_GROUP_PREFIX, rooms[i], NULL);
          g_autofree char *known = convoke_config_list_type_names (c);
          return config_fail (l, error, CONVOKE_CONFIG_ERROR_REFERENCE, group, "type",
                              _ ("no room type “%s”; the types are: %s"), type, known);
        }
    }
  return TRUE;
}

static char *
random_hex (gsize n_bytes)
{
  g_autofree guint8 *bytes = g_malloc (n_bytes);
  GString *hex = g_string_sized_new (n_bytes * 2);

  /* A secret needs the kernel's CSPRNG; GRand is not one. */
  if (getrandom (bytes, n_bytes, 0) != (gssize) n_bytes)
    g_error ("getrandom() failed: %s", g_strerror (errno));
  for (gsize i = 0; i < n_bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}

static void
fill_credentials (ConvokeConfig *c)
{
  if (c->api_secret == NULL)
    {
      c->secret_generated = TRUE;
      c->api_secret = random_hex (16);
      if (c->api_key == NULL)
        {
          g_autofree char *hex = random_hex (16);

          c->api_key = g_strconcat (CONVOKE_SID_API_KEY, hex, NULL);
        }
    }
  if (c->account_sid == NULL)
    {
      /* Derived from the key, so that a configured key keeps one account
       * sid across restarts without another key to set. */
      g_autofree char *digest
          = g_compute_checksum_for_string (G_CHECKSUM_SHA256, c->api_key, -1);
      digest[32] = '\0';
      c->account_sid = g_strconcat (CONVOKE_SID_ACCOUNT, digest, NULL);
    }
}

ConvokeConfig *
convoke_config_load_data (const char *data, gssize length, const char *origin,
                          GError **error)
{
  g_autoptr (GKeyFile) keys = g_key_file_new ();
  g_autoptr (ConvokeConfig) config = NULL;
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) groups = NULL;
  g_autofree char *base_dir = NULL;
  Loader l;

  g_return_val_if_fail (data != NULL, NULL);
  if (origin == NULL)
    origin = EMBEDDED_ORIGIN;
  if (!g_key_file_load_from_data (keys, data, length, G_KEY_FILE_NONE, &local))
    {
      /* GKeyFile quotes the offending line as it is, bytes that are not
       * UTF-8 included. */
      g_autofree char *reason = convoke_quote_untrusted (local->message, 200);

      g_set_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_SYNTAX, "%s: %s",
                   origin, reason);
      return NULL;
    }

  config = config_new_with_defaults (origin);
  if (g_str_equal (origin, EMBEDDED_ORIGIN))
    base_dir = g_get_current_dir ();
  else
    {
      /* `convoked -c convoke.conf` names a file in the current directory;
       * paths in it are resolved against an absolute directory, which
       * g_canonicalize_filename() requires. */
      g_autofree char *dir = g_path_get_dirname (origin);

      base_dir = g_canonicalize_filename (dir, NULL);
    }
  l = (Loader){ keys, origin, base_dir, config };

  if (!check_structure (&l, error) || !load_server (&l, error) || !load_auth (&l, error)
      || !load_media_and_turn (&l, error) || !load_rooms_and_signaling (&l, error)
      || !config_read_cluster (&l, error))
    return NULL;

  groups = g_key_file_get_groups (keys, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], TYPE_GROUP_PREFIX)
        && !load_type (&l, groups[i], error))
      return NULL;
  for (guint i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], ROOM_GROUP_PREFIX)
        && !load_named_room (&l, groups[i], error))
      return NULL;
  if (!check_references (&l, error))
    return NULL;

  fill_credentials (config);
  return g_steal_pointer (&config);
}

gboolean
convoke_config_read_file (const char *path, char **contents, gsize *length,
                          GError **error)
{
  g_autofree char *data = NULL;
  struct stat st;
  gsize size = 0;
  int fd;

  /* O_NONBLOCK: opening a FIFO with no writer would wait forever. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_SYNTAX,
                   _ ("Cannot read configuration file %s: %s"), path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* /dev/zero never ends and a FIFO may never end either; a config file
   * is a regular file of a few kilobytes. */
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_SYNTAX,
                   _ ("Cannot read configuration file %s: it is not a regular file"),
                   path);
      close (fd);
      return FALSE;
    }
  /* The size may grow while it is read (an editor saving in place), so
   * the limit is enforced on what is read, not only on what fstat says. */
  data = g_malloc (MAX_CONFIG_FILE_SIZE + 2);
  while (size <= MAX_CONFIG_FILE_SIZE)
    {
      ssize_t n = read (fd, data + size, MAX_CONFIG_FILE_SIZE + 1 - size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_SYNTAX,
                       _ ("Cannot read configuration file %s: %s"), path,
                       g_strerror (saved_errno));
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      size += (gsize) n;
    }
  close (fd);
  if (size > MAX_CONFIG_FILE_SIZE)
    {
      g_set_error (error, CONVOKE_CONFIG_ERROR, CONVOKE_CONFIG_ERROR_SYNTAX,
                   _ ("Cannot read configuration file %s: it is larger than %u bytes, "
                      "which no configuration needs"),
                   path, (guint) MAX_CONFIG_FILE_SIZE);
      return FALSE;
    }
  data[size] = '\0';
  *contents = g_steal_pointer (&data);
  if (length != NULL)
    *length = size;
  return TRUE;
}

ConvokeConfig *
convoke_config_load_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!convoke_config_read_file (path, &contents, &length, error))
    return NULL;
  return convoke_config_load_data (contents, length, path, error);
}

const char *
convoke_config_default_data (void)
{
  static GBytes *data;

  if (g_once_init_enter (&data))
    {
      /* Naming the resource pulls its object file out of the static
       * library, which is what registers it. */
      GBytes *bytes
          = g_resource_lookup_data (convoke_get_resource (), DEFAULT_RESOURCE_PATH,
                                    G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_assert (bytes != NULL);
      g_once_init_leave (&data, bytes);
    }
  /* GResource data is always NUL-terminated. */
  return g_bytes_get_data (data, NULL);
}

ConvokeConfig *
convoke_config_load_default (GError **error)
{
  return convoke_config_load_data (convoke_config_default_data (), -1, EMBEDDED_ORIGIN,
                                   error);
}

ConvokeRoomType *
convoke_config_lookup_type (ConvokeConfig *config, const char *name)
{
  if (name == NULL)
    return NULL;
  return g_hash_table_lookup (config->types, name);
}

const char *
convoke_config_named_room_type (ConvokeConfig *config, const char *unique_name)
{
  if (unique_name == NULL)
    return NULL;
  return g_hash_table_lookup (config->named_rooms, unique_name);
}

char *
convoke_config_base_url (ConvokeConfig *config, guint actual_port)
{
  const char *host = config->listen_host;

  if (config->public_url != NULL)
    return g_strdup (config->public_url);
  /* A wildcard address is where the daemon listens, not where it can be
   * reached; loopback is. */
  if (g_str_equal (host, "0.0.0.0") || g_str_equal (host, "localhost"))
    host = "127.0.0.1";
  else if (g_str_equal (host, "::"))
    host = "::1";
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%u", host, actual_port);
  return g_strdup_printf ("http://%s:%u", host, actual_port);
}
