/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ice-servers.h"

#include <string.h>

char *
convoke_turn_password (const char *secret, const char *username)
{
  g_autoptr (GHmac) hmac = NULL;
  guint8 digest[20];
  gsize digest_len = sizeof digest;

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);

  hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *)secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *)username, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  return g_base64_encode (digest, digest_len);
}

static void
add_urls (JsonBuilder *b, const char *const *urls)
{
  json_builder_set_member_name (b, "urls");
  json_builder_begin_array (b);
  for (const char *const *u = urls; *u; u++)
    json_builder_add_string_value (b, *u);
  json_builder_end_array (b);
}

JsonNode *
convoke_ice_servers_for (ConvokeConfig *config, const char *identity, gint64 now)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (identity != NULL, NULL);

  json_builder_begin_array (b);

  if (config->stun_server != NULL && *config->stun_server != '\0')
    {
      const char *urls[] = { config->stun_server, NULL };

      json_builder_begin_object (b);
      add_urls (b, urls);
      json_builder_end_object (b);
    }

  if (config->turn_urls != NULL && config->turn_urls[0] != NULL)
    {
      json_builder_begin_object (b);
      add_urls (b, (const char *const *)config->turn_urls);
      /* Without a shared secret there is nothing to derive credentials
       * from: the entry then describes a TURN server without auth. */
      if (config->turn_secret != NULL && *config->turn_secret != '\0')
        {
          g_autofree char *username = g_strdup_printf (
              "%" G_GINT64_FORMAT ":%s", now + (gint64)config->turn_ttl, identity);
          g_autofree char *password
              = convoke_turn_password (config->turn_secret, username);

          json_builder_set_member_name (b, "username");
          json_builder_add_string_value (b, username);
          json_builder_set_member_name (b, "credential");
          json_builder_add_string_value (b, password);
        }
      json_builder_end_object (b);
    }

  json_builder_end_array (b);
  return json_builder_get_root (b);
}
