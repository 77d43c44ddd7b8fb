/* Twilio-compatible access tokens: JWT HS256 signed with the api-secret.
 *
 * Header {"typ":"JWT","alg":"HS256","cty":"twilio-fpa;v=1"}; payload
 * {"jti":"<key>-<ts>","iss":"<api-key>","sub":"<account-sid>","iat","nbf"?,
 *  "exp","grants":{"identity":"…","video":{"room":"…"}}}.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Tokens use CONVOKE_ERROR with the 2010x codes from twilio-error.h, so
 * each refusal is distinct: malformed (20101), header/algorithm (20102),
 * issuer (20103), expired (20104), not yet valid (20105), grants/room
 * (20106), signature (20107). */

typedef struct
{
  char *identity;
  char *room;          /* NULL: any room */
  char *issuer;        /* api key */
  char *subject;       /* account sid */
  gint64 expires;      /* unix seconds */
} ConvokeAccessToken;

void convoke_access_token_free (ConvokeAccessToken *token);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeAccessToken, convoke_access_token_free)

/* Mints a token valid for @ttl seconds from now. @room may be NULL. */
char *convoke_access_token_create (const char *api_key, const char *api_secret,
                                   const char *account_sid, const char *identity,
                                   const char *room, guint ttl);

/* Validates @jwt: signature (constant time), alg, exp/nbf with
 * @clock_skew seconds of leeway, iss == @api_key, and, when @room is not
 * NULL, that the grant allows that room. */
ConvokeAccessToken *convoke_access_token_verify (const char *jwt, const char *api_key,
                                                 const char *api_secret, const char *room,
                                                 guint clock_skew, GError **error);

G_END_DECLS
