/* Fuzz target: access tokens (core/lib/access-token.c).
 *
 * The first input byte picks the mode, the rest is the token material:
 *
 * - bit 0 clear: the rest is a whole JWT, verified as a client sent it.
 *   This exercises the splitting, base64url and JSON decoding, the header
 *   checks and the issuer check; mutations almost never get past the
 *   signature.
 * - bit 0 set: the rest is "HEADER-JSON\nPAYLOAD-JSON". The target encodes
 *   and signs them with the server's secret, as a client holding a key
 *   would, so the fuzzer reaches what comes after the signature: the time
 *   claims and the grants.
 * - bit 1: verify for the room "fuzz-room" instead of any room.
 *
 * Besides the sanitizers, it checks the function's contract: a token that
 * passes has a non-empty identity, the right issuer and, for a room, that
 * room (or none); a refusal is a CONVOKE_ERROR with a 2010x code.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access-token.h"
#include "fuzz-common.h"
#include "twilio-error.h"

#define API_KEY "SK00000000000000000000000000000001"
#define API_SECRET "fuzz-secret-0123456789abcdef"
#define ROOM "fuzz-room"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

static char *
base64url (const char *data, gsize length)
{
  char *text = g_base64_encode ((const guchar *) data, length);
  char *end = text + strlen (text);

  while (end > text && end[-1] == '=')
    *--end = '\0';
  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  return text;
}

/* HEADER-JSON\nPAYLOAD-JSON → a JWT signed with API_SECRET. */
static char *
sign (const char *material)
{
  const char *newline = strchr (material, '\n');
  g_autofree char *header = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *signing_input = NULL;
  g_autofree char *signature = NULL;
  g_autoptr (GHmac) hmac = NULL;
  guint8 digest[32];
  gsize digest_length = sizeof digest;

  if (newline == NULL)
    return NULL;
  header = base64url (material, newline - material);
  payload = base64url (newline + 1, strlen (newline + 1));
  signing_input = g_strconcat (header, ".", payload, NULL);
  hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) API_SECRET, strlen (API_SECRET));
  g_hmac_update (hmac, (const guchar *) signing_input, -1);
  g_hmac_get_digest (hmac, digest, &digest_length);
  signature = base64url ((const char *) digest, digest_length);
  return g_strconcat (signing_input, ".", signature, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *material = NULL;
  g_autofree char *jwt = NULL;
  g_autoptr (ConvokeAccessToken) token = NULL;
  g_autoptr (GError) error = NULL;
  const char *room;
  guint8 mode;

  if (size < 1)
    return 0;
  mode = data[0];
  material = fuzz_strndup (data + 1, size - 1);
  room = (mode & 2) ? ROOM : NULL;
  if (mode & 1)
    {
      jwt = sign (material);
      if (jwt == NULL)
        return 0;
    }
  else
    jwt = g_steal_pointer (&material);

  token = convoke_access_token_verify (jwt, API_KEY, API_SECRET, room, 5, &error);
  if (token != NULL)
    {
      if (error != NULL || token->identity == NULL || token->identity[0] == '\0'
          || g_strcmp0 (token->issuer, API_KEY) != 0
          || (room != NULL && token->room != NULL && strcmp (token->room, room) != 0))
        abort ();
    }
  else if (error == NULL || error->domain != CONVOKE_ERROR || error->code < 20101
           || error->code > 20107 || !g_utf8_validate (error->message, -1, NULL))
    {
      g_autofree char *shown = error ? g_strescape (error->message, NULL) : NULL;

      fprintf (stderr, "bad refusal: %d \"%s\"\n", error ? error->code : 0,
               shown ? shown : "(no error)");
      abort ();
    }
  return 0;
}
