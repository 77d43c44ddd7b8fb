/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "worker-turn.h"

#include "ice-servers.h"

char *
convoke_worker_turn_identity (const char *room_sid)
{
  /* The TURN REST API user name is "<expiry>:<identity>"; a room sid has
   * no ':' that would confuse the split. */
  return g_strconcat ("worker-", room_sid, NULL);
}

JsonObject *
convoke_worker_turn_message (ConvokeConfig *config, const char *room_sid, gint64 now)
{
  JsonObject *message = json_object_new ();
  JsonObject *options = json_object_new ();

  json_object_set_string_member (message, "type", "set-options");
  if (config->worker_turn && config->turn_urls != NULL && config->turn_secret != NULL)
    {
      g_autofree char *identity = convoke_worker_turn_identity (room_sid);
      g_autofree char *servers = g_strjoinv (";", config->turn_urls);
      g_autofree char *username = g_strdup_printf (
          "%" G_GINT64_FORMAT ":%s", now + (gint64) config->turn_ttl, identity);
      g_autofree char *password = convoke_turn_password (config->turn_secret, username);

      json_object_set_string_member (options, "turn-servers", servers);
      json_object_set_string_member (options, "turn-username", username);
      json_object_set_string_member (options, "turn-password", password);
    }
  else
    {
      json_object_set_null_member (options, "turn-servers");
      json_object_set_null_member (options, "turn-username");
      json_object_set_null_member (options, "turn-password");
    }
  json_object_set_object_member (message, "options", options);
  return message;
}

guint
convoke_worker_turn_refresh_ms (ConvokeConfig *config)
{
  const char *text = g_getenv ("CONVOKE_WORKER_TURN_REFRESH_MS");
  guint64 value;

  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &value, NULL))
    return (guint) value;
  /* ttl is at least 60 s (config validation): at least 30 s apart. */
  return config->turn_ttl * 1000 / 2;
}
