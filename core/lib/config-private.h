/* Shared by the config loader's files; not an API.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config-file.h"

G_BEGIN_DECLS

/* What one load is working on; errors are built from it. */
typedef struct
{
  GKeyFile *keys;
  const char *origin;
  char *base_dir; /* relative paths in the file are relative to this */
  ConvokeConfig *config;
} Loader;

/* Sets @error to "ORIGIN: [GROUP] KEY: DETAIL" (or "ORIGIN: [GROUP]:
 * DETAIL" when @key is NULL) and returns FALSE. */
gboolean config_fail (const Loader *l, GError **error, ConvokeConfigErrorCode code,
                      const char *group, const char *key, const char *format, ...)
    G_GNUC_PRINTF (6, 7);

/* Each reader leaves *out alone when the key is absent, and fails with an
 * error naming the file, group and key when the value is wrong. */
gboolean config_read_string (const Loader *l, const char *group, const char *key,
                             char **out, GError **error);
gboolean config_read_uint (const Loader *l, const char *group, const char *key,
                           guint64 min, guint64 max, const char *expected, guint *out,
                           GError **error);
gboolean config_read_bool (const Loader *l, const char *group, const char *key,
                           gboolean *out, GError **error);
/* Relative paths are resolved against Loader.base_dir. */
gboolean config_read_path (const Loader *l, const char *group, const char *key,
                           char **out, GError **error);
gboolean config_is_simple_name (const char *name, gsize max_length);

gboolean config_read_listen (const Loader *l, GError **error);
gboolean config_read_public_url (const Loader *l, GError **error);
gboolean config_read_port_range (const Loader *l, GError **error);
gboolean config_read_stun_server (const Loader *l, GError **error);
gboolean config_read_turn_urls (const Loader *l, GError **error);
/* config-cluster.c */
gboolean config_read_cluster (const Loader *l, GError **error);

G_END_DECLS
