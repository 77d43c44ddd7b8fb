/* /v1/Tokens: Twilio's Network Traversal Service token (api.v2010's
 * account.token), minted from [turn] with the TURN REST API scheme that
 * coturn's use-auth-secret checks. Nothing is stored: the credentials are
 * derived from the shared secret, so coturn can verify them alone.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rest-tokens.h"

#include <string.h>

#include "i18n.h"
#include "ice-servers.h"
#include "sid.h"
#include "twilio-error.h"

/* Twilio prints this resource's dates in RFC 2822 ("Fri, 01 May 2020
 * 01:42:57 +0000"), unlike the Video API. libsoup's HTTP date has the same
 * locale-independent day and month names; only the zone is spelled GMT. */
static char *
format_rfc2822 (GDateTime *when)
{
  g_autofree char *http_date = soup_date_time_to_string (when, SOUP_DATE_HTTP);

  if (g_str_has_suffix (http_date, " GMT"))
    http_date[strlen (http_date) - strlen (" GMT")] = '\0';
  return g_strconcat (http_date, " +0000", NULL);
}

/* One RTCIceServer per URL, as Twilio lists them: "url" (the deprecated
 * singular that older SDKs read) and "urls" hold the same string. STUN
 * entries carry no credentials at all, so they can be handed to
 * RTCPeerConnection as they are. */
static void
add_ice_server (JsonBuilder *b, const char *url, const char *username,
                const char *credential)
{
  json_builder_begin_object (b);
  convoke_rest_add_string (b, "url", url);
  convoke_rest_add_string (b, "urls", url);
  if (username != NULL)
    {
      convoke_rest_add_string (b, "username", username);
      convoke_rest_add_string (b, "credential", credential);
    }
  json_builder_end_object (b);
}

static JsonNode *
token_to_json (ConvokeConfig *config, GDateTime *now, guint ttl)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *date = format_rfc2822 (now);
  g_autofree char *ttl_text = g_strdup_printf ("%u", ttl);
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;
  gboolean has_turn = config->turn_urls != NULL && config->turn_secret != NULL;

  if (has_turn)
    {
      /* The part after the colon only has to tell tokens apart in coturn's
       * logs: coturn checks the expiry before it and the HMAC over all. */
      g_autofree char *nonce = convoke_sid_new ("");

      username = g_strdup_printf ("%" G_GINT64_FORMAT ":%s",
                                  g_date_time_to_unix (now) + (gint64) ttl, nonce);
      password = convoke_turn_password (config->turn_secret, username);
    }

  json_builder_begin_object (b);
  convoke_rest_add_string (b, "account_sid", config->account_sid);
  convoke_rest_add_string (b, "date_created", date);
  convoke_rest_add_string (b, "date_updated", date);
  json_builder_set_member_name (b, "ice_servers");
  json_builder_begin_array (b);
  if (config->stun_server != NULL && *config->stun_server != '\0')
    add_ice_server (b, config->stun_server, NULL, NULL);
  for (char **url = has_turn ? config->turn_urls : NULL; url != NULL && *url != NULL;
       url++)
    add_ice_server (b, *url, username, password);
  json_builder_end_array (b);
  convoke_rest_add_string (b, "password", password);
  /* A string, as in Twilio's responses. */
  convoke_rest_add_string (b, "ttl", ttl_text);
  convoke_rest_add_string (b, "username", username);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
create_token (ConvokeRestRequest *req)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  gint64 ttl = req->config->turn_ttl;

  if (!convoke_rest_param_int (req, req->form, "Ttl", 1, CONVOKE_REST_TOKEN_TTL_MAX,
                               CONVOKE_ERROR_INVALID_PARAMETER, &ttl))
    return;
  /* Twilio answers 201 Created: each POST makes a new token. */
  convoke_rest_reply_json (req, SOUP_STATUS_CREATED,
                           token_to_json (req->config, now, (guint) ttl));
}

void
convoke_rest_handle_tokens (ConvokeRestRequest *req)
{
  if (req->n_segments != 1)
    {
      /* Tokens are not stored, so there is nothing to fetch by name. */
      convoke_rest_reply_not_found (req,
                                    _ ("No resource at %s: tokens can only be created "
                                       "(POST /v1/Tokens)"),
                                    req->path);
      return;
    }
  if (g_strcmp0 (req->method, SOUP_METHOD_POST) != 0)
    {
      convoke_rest_reply_method_not_allowed (req, "POST");
      return;
    }
  create_token (req);
}
