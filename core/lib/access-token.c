/* Twilio-compatible access tokens (JWT HS256).
 *
 * Tokens arrive from unauthenticated clients, so every step refuses with a
 * distinct Twilio code and a message that names what was wrong, and the
 * untrusted strings quoted in those messages are shortened and cleaned.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "access-token.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "i18n.h"
#include "untrusted-json.h"
#include "untrusted-text.h"
#include "twilio-error.h"

/* Far above any real token (a few hundred bytes) yet small enough that a
 * hostile client cannot make us decode megabytes. */
#define MAX_TOKEN_LENGTH 16384
/* Untrusted strings quoted in error messages are cut to this many
 * characters so that logs and error bodies stay readable. */
#define MAX_QUOTED_CHARS 64

#define HS256_DIGEST_LENGTH 32

/* NumericDate claims must lie between the epoch and the last second of
 * year 9999, the range GDateTime can show. Anything else is not a date a
 * token issuer meant: G_MININT64 would overflow the expiry arithmetic,
 * and json-glib turns integers beyond 64 bits into negative or huge ones,
 * which this range refuses too. */
#define MAX_NUMERIC_DATE G_GINT64_CONSTANT (253402300799)

void
convoke_access_token_free (ConvokeAccessToken *token)
{
  if (token == NULL)
    return;
  g_free (token->identity);
  g_free (token->room);
  g_free (token->issuer);
  g_free (token->subject);
  g_free (token);
}

/* JWT uses the URL-safe alphabet without padding (RFC 7515 §2). */
static char *
base64url_encode (const guchar *data, gsize length)
{
  char *text = g_base64_encode (data, length);
  char *end = text + strlen (text);

  while (end > text && end[-1] == '=')
    *--end = '\0';
  for (char *p = text; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }
  return text;
}

/* g_base64_decode() silently skips characters outside its alphabet, which
 * would let two different strings carry the same signature; check the
 * alphabet and the length first. Accepts padded and unpadded input. */
static GBytes *
base64url_decode (const char *text, gsize length)
{
  g_autoptr (GString) standard = NULL;
  gsize data_length = length;
  gsize padding = 0;
  guchar *data;
  gsize decoded_length;

  while (data_length > 0 && text[data_length - 1] == '=' && padding < 2)
    {
      data_length--;
      padding++;
    }
  if (data_length == 0 || data_length % 4 == 1)
    return NULL;
  if (padding > 0 && (data_length + padding) % 4 != 0)
    return NULL;

  standard = g_string_sized_new (data_length + 3);
  for (gsize i = 0; i < data_length; i++)
    {
      char c = text[i];

      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (!g_ascii_isalnum (c))
        return NULL;
      g_string_append_c (standard, c);
    }
  while (standard->len % 4 != 0)
    g_string_append_c (standard, '=');

  data = g_base64_decode (standard->str, &decoded_length);
  return g_bytes_new_take (data, decoded_length);
}

static void
hs256 (const char *secret, const char *data, gsize length,
       guint8 digest[HS256_DIGEST_LENGTH])
{
  g_autoptr (GHmac) hmac
      = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  gsize digest_length = HS256_DIGEST_LENGTH;

  g_hmac_update (hmac, (const guchar *) data, length);
  g_hmac_get_digest (hmac, digest, &digest_length);
  g_assert (digest_length == HS256_DIGEST_LENGTH);
}

/* Time taken must not depend on where the first differing byte is, or an
 * attacker could forge a signature one byte at a time. */
static gboolean
digest_equal (const guint8 *a, const guint8 *b, gsize length)
{
  guint8 diff = 0;

  for (gsize i = 0; i < length; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

static char *
to_json (JsonBuilder *builder)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

char *
convoke_access_token_create (const char *api_key, const char *api_secret,
                             const char *account_sid, const char *identity,
                             const char *room, guint ttl)
{
  g_autoptr (JsonBuilder) header = json_builder_new ();
  g_autoptr (JsonBuilder) payload = json_builder_new ();
  g_autofree char *header_json = NULL;
  g_autofree char *payload_json = NULL;
  g_autofree char *header_b64 = NULL;
  g_autofree char *payload_b64 = NULL;
  g_autofree char *signature_b64 = NULL;
  g_autofree char *jti = NULL;
  g_autofree char *signing_input = NULL;
  guint8 digest[HS256_DIGEST_LENGTH];
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (api_key != NULL && api_secret != NULL, NULL);
  g_return_val_if_fail (account_sid != NULL, NULL);
  g_return_val_if_fail (identity != NULL && g_utf8_validate (identity, -1, NULL), NULL);
  g_return_val_if_fail (room == NULL || g_utf8_validate (room, -1, NULL), NULL);

  json_builder_begin_object (header);
  json_builder_set_member_name (header, "typ");
  json_builder_add_string_value (header, "JWT");
  json_builder_set_member_name (header, "alg");
  json_builder_add_string_value (header, "HS256");
  json_builder_set_member_name (header, "cty");
  json_builder_add_string_value (header, "twilio-fpa;v=1");
  json_builder_end_object (header);

  /* Same claims, and jti form, as Twilio's helper libraries. */
  jti = g_strdup_printf ("%s-%" G_GINT64_FORMAT, api_key, now);
  json_builder_begin_object (payload);
  json_builder_set_member_name (payload, "jti");
  json_builder_add_string_value (payload, jti);
  json_builder_set_member_name (payload, "iss");
  json_builder_add_string_value (payload, api_key);
  json_builder_set_member_name (payload, "sub");
  json_builder_add_string_value (payload, account_sid);
  json_builder_set_member_name (payload, "iat");
  json_builder_add_int_value (payload, now);
  json_builder_set_member_name (payload, "exp");
  json_builder_add_int_value (payload, now + ttl);
  json_builder_set_member_name (payload, "grants");
  json_builder_begin_object (payload);
  json_builder_set_member_name (payload, "identity");
  json_builder_add_string_value (payload, identity);
  json_builder_set_member_name (payload, "video");
  json_builder_begin_object (payload);
  if (room != NULL)
    {
      json_builder_set_member_name (payload, "room");
      json_builder_add_string_value (payload, room);
    }
  json_builder_end_object (payload);
  json_builder_end_object (payload);
  json_builder_end_object (payload);

  header_json = to_json (header);
  payload_json = to_json (payload);
  header_b64 = base64url_encode ((const guchar *) header_json, strlen (header_json));
  payload_b64 = base64url_encode ((const guchar *) payload_json, strlen (payload_json));
  signing_input = g_strconcat (header_b64, ".", payload_b64, NULL);
  hs256 (api_secret, signing_input, strlen (signing_input), digest);
  signature_b64 = base64url_encode (digest, sizeof digest);

  return g_strconcat (signing_input, ".", signature_b64, NULL);
}

typedef enum
{
  ESCAPES_OK,
  ESCAPES_NUL,
  ESCAPES_UNPAIRED_SURROGATE,
} EscapesVerdict;

/* The value of the four hex digits at @text, or -1. */
static int
hex4 (const char *text)
{
  int value = 0;

  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (text[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/* Checks the \uXXXX escapes of the JSON @text. json-glib decodes \u0000,
 * and the C string it hands out then ends there: an identity
 * "alice\u0000x" would be read as "alice", taking over the real alice's
 * session. An unpaired surrogate (\ud800 alone) decodes to bytes that are
 * not UTF-8, and json-glib quotes them in its own errors. Outside strings
 * a backslash is not JSON at all, and the parser refuses it. */
static EscapesVerdict
check_json_escapes (const char *text, gsize length)
{
  for (gsize i = 0; i + 1 < length; i++)
    {
      int unit;

      if (text[i] != '\\')
        continue;
      /* Whatever it is, the escaped character is not the start of another
       * escape: in \\u0000 the backslash is escaped and "u0000" is text. */
      i++;
      if (text[i] != 'u' || length - i < 5 || (unit = hex4 (text + i + 1)) < 0)
        continue;
      i += 4;
      if (unit == 0)
        return ESCAPES_NUL;
      if (unit >= 0xdc00 && unit <= 0xdfff)
        return ESCAPES_UNPAIRED_SURROGATE;
      if (unit >= 0xd800 && unit <= 0xdbff)
        {
          int low;

          if (length - i < 7 || text[i + 1] != '\\' || text[i + 2] != 'u'
              || (low = hex4 (text + i + 3)) < 0xdc00 || low > 0xdfff)
            return ESCAPES_UNPAIRED_SURROGATE;
          i += 6;
        }
    }
  return ESCAPES_OK;
}

/* Decodes one base64url part and parses it as a JSON object. @which_error
 * is the already-translated message prefix naming the part. */
static JsonObject *
decode_json_part (const char *part, const char *which_error, GError **error)
{
  g_autoptr (GBytes) bytes = base64url_decode (part, strlen (part));
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) json_error = NULL;
  gconstpointer data;
  gsize size;
  JsonNode *root;

  if (bytes == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID, "%s: %s",
                   which_error, _ ("not valid base64url"));
      return NULL;
    }
  data = g_bytes_get_data (bytes, &size);
  /* No claim has a use for either, and both would make two different
   * tokens read as the same identity, room or issuer. */
  switch (check_json_escapes ((const char *) data, size))
    {
    case ESCAPES_NUL:
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID, "%s: %s",
                   which_error,
                   _ ("a string in it contains a NUL character (\\u0000), which no "
                      "claim may hold"));
      return NULL;
    case ESCAPES_UNPAIRED_SURROGATE:
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID, "%s: %s",
                   which_error,
                   _ ("a string in it is not valid UTF-8: it escapes half of a UTF-16 "
                      "surrogate pair (such as \\ud800) alone"));
      return NULL;
    case ESCAPES_OK:
      break;
    }
  if (!json_parser_load_from_data (parser, data, size, &json_error))
    {
      /* json-glib quotes the text it choked on, which came from a client. */
      g_autofree char *valid = g_utf8_make_valid (json_error->message, -1);
      g_autofree char *quoted = convoke_quote_untrusted (valid, 2 * MAX_QUOTED_CHARS);

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID, "%s: %s",
                   which_error, quoted);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID, "%s: %s",
                   which_error, _ ("not a JSON object"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* A NumericDate claim (RFC 7519 §2), in whole seconds from the epoch to
 * MAX_NUMERIC_DATE. Returns FALSE with @error when the claim is there but
 * is not such a number; *present tells whether it is there. */
static gboolean
get_time_claim (JsonObject *payload, const char *name, gint64 *value, gboolean *present,
                GError **error)
{
  JsonNode *node = json_object_get_member (payload, name);
  GType type;
  gboolean in_range;

  *present = FALSE;
  if (node == NULL)
    return TRUE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type == G_TYPE_INT64)
    {
      gint64 seconds = json_node_get_int (node);

      in_range = seconds >= 0 && seconds <= MAX_NUMERIC_DATE;
      if (in_range)
        *value = seconds;
    }
  else if (type == G_TYPE_DOUBLE)
    {
      /* RFC 7519 allows fractions; the checks below count whole seconds. */
      double seconds = json_node_get_double (node);

      in_range = seconds >= 0 && seconds <= (double) MAX_NUMERIC_DATE;
      if (in_range)
        *value = (gint64) seconds;
    }
  else
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID,
                   _ ("Access token claim “%s” is not a number of seconds"), name);
      return FALSE;
    }
  if (!in_range)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID,
                   _ ("Access token claim “%s” is not a date: it must be a number of "
                      "seconds from 0 (1970) to %lld (the end of year 9999)"),
                   name, (long long) MAX_NUMERIC_DATE);
      return FALSE;
    }
  *present = TRUE;
  return TRUE;
}

static char *
format_unix_time (gint64 seconds)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (seconds);

  if (when == NULL)
    return g_strdup_printf ("%" G_GINT64_FORMAT, seconds);
  return g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");
}

static gboolean
check_header (JsonObject *header, GError **error)
{
  const char *alg = convoke_json_get_string (header, "alg");
  const char *typ = convoke_json_get_string (header, "typ");

  if (alg == NULL)
    {
      g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_HEADER_INVALID,
                           _ ("Access token header has no “alg” string"));
      return FALSE;
    }
  /* Accepting anything else is how "alg":"none" and HS/RS confusion
   * attacks work. */
  if (strcmp (alg, "HS256") != 0)
    {
      g_autofree char *quoted = convoke_quote_untrusted (alg, MAX_QUOTED_CHARS);

      g_set_error (
          error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_HEADER_INVALID,
          _ ("Access token algorithm “%s” is not allowed; only HS256 is accepted"),
          quoted);
      return FALSE;
    }
  if (typ != NULL && strcmp (typ, "JWT") != 0)
    {
      g_autofree char *quoted = convoke_quote_untrusted (typ, MAX_QUOTED_CHARS);

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_HEADER_INVALID,
                   _ ("Access token type “%s” is not allowed; expected JWT"), quoted);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_signature (const char *signing_input, gsize signing_input_length,
                 const char *signature_part, const char *api_secret, GError **error)
{
  g_autoptr (GBytes) signature = NULL;
  guint8 expected[HS256_DIGEST_LENGTH];
  gconstpointer data = NULL;
  gsize size = 0;

  if (*signature_part != '\0')
    signature = base64url_decode (signature_part, strlen (signature_part));
  if (signature != NULL)
    data = g_bytes_get_data (signature, &size);
  if (signature == NULL || size != HS256_DIGEST_LENGTH)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID,
                   _ ("Access token signature is not a base64url HS256 digest (%zu bytes "
                      "decoded, 32 expected)"),
                   size);
      return FALSE;
    }
  hs256 (api_secret, signing_input, signing_input_length, expected);
  if (!digest_equal (expected, data, HS256_DIGEST_LENGTH))
    {
      g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID,
                           _ ("Access token signature does not match: it was not signed "
                              "with this server's API secret"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_times (JsonObject *payload, guint clock_skew, gint64 *expires, GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 nbf = 0;
  gint64 iat = 0;
  gboolean present, iat_present;

  if (!get_time_claim (payload, "exp", expires, &present, error))
    return FALSE;
  /* A token without exp would be valid forever. */
  if (!present)
    {
      g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID,
                           _ ("Access token has no “exp” claim"));
      return FALSE;
    }
  if (now > *expires && now - *expires > (gint64) clock_skew)
    {
      g_autofree char *when = format_unix_time (*expires);

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_EXPIRED,
                   _ ("Access token expired at %s (%lld seconds ago)"), when,
                   (long long) (now - *expires));
      return FALSE;
    }

  if (!get_time_claim (payload, "nbf", &nbf, &present, error))
    return FALSE;
  /* iat only informs (RFC 7519 §4.1.6), but a malformed one is a sign of
   * a broken issuer, refused like a malformed exp. */
  if (!get_time_claim (payload, "iat", &iat, &iat_present, error))
    return FALSE;
  if (present && nbf > now && nbf - now > (gint64) clock_skew)
    {
      g_autofree char *when = format_unix_time (nbf);

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_NOT_YET_VALID,
                   _ ("Access token is not valid before %s (%lld seconds from now)"),
                   when, (long long) (nbf - now));
      return FALSE;
    }
  return TRUE;
}

/* Fills @token's identity and room from the grants. */
static gboolean
check_grants (JsonObject *payload, const char *room, ConvokeAccessToken *token,
              GError **error)
{
  JsonNode *grants_node = json_object_get_member (payload, "grants");
  JsonObject *grants;
  JsonNode *video_node;
  const char *identity;

  if (grants_node == NULL || !JSON_NODE_HOLDS_OBJECT (grants_node))
    {
      g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_GRANTS_INVALID,
                           _ ("Access token has no “grants” object"));
      return FALSE;
    }
  grants = json_node_get_object (grants_node);
  identity = convoke_json_get_string (grants, "identity");
  if (identity == NULL || *identity == '\0')
    {
      g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_GRANTS_INVALID,
                           _ ("Access token has no “grants.identity” string"));
      return FALSE;
    }

  video_node = json_object_get_member (grants, "video");
  if (video_node != NULL && !JSON_NODE_HOLDS_NULL (video_node))
    {
      JsonObject *video;
      JsonNode *room_node;

      if (!JSON_NODE_HOLDS_OBJECT (video_node))
        {
          g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_GRANTS_INVALID,
                               _ ("Access token “grants.video” is not an object"));
          return FALSE;
        }
      video = json_node_get_object (video_node);
      room_node = json_object_get_member (video, "room");
      if (room_node != NULL && !JSON_NODE_HOLDS_NULL (room_node))
        {
          const char *granted = convoke_json_get_string (video, "room");

          if (granted == NULL)
            {
              g_set_error_literal (
                  error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_GRANTS_INVALID,
                  _ ("Access token “grants.video.room” is not a string"));
              return FALSE;
            }
          token->room = g_strdup (granted);
        }
    }

  if (room != NULL && token->room != NULL && strcmp (room, token->room) != 0)
    {
      g_autofree char *quoted_granted
          = convoke_quote_untrusted (token->room, MAX_QUOTED_CHARS);
      g_autofree char *quoted_room = convoke_quote_untrusted (room, MAX_QUOTED_CHARS);

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_GRANTS_INVALID,
                   _ ("Access token grants room “%s”, not room “%s”"), quoted_granted,
                   quoted_room);
      return FALSE;
    }
  token->identity = g_strdup (identity);
  return TRUE;
}

ConvokeAccessToken *
convoke_access_token_verify (const char *jwt, const char *api_key, const char *api_secret,
                             const char *room, guint clock_skew, GError **error)
{
  g_autoptr (ConvokeAccessToken) token = NULL;
  g_auto (GStrv) parts = NULL;
  g_autoptr (JsonObject) header = NULL;
  g_autoptr (JsonObject) payload = NULL;
  const char *issuer;
  const char *subject;
  gsize jwt_length;
  guint n_parts;

  g_return_val_if_fail (api_key != NULL && api_secret != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (jwt == NULL || *jwt == '\0')
    {
      g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID,
                           _ ("Access token is empty"));
      return NULL;
    }
  jwt_length = strlen (jwt);
  if (jwt_length > MAX_TOKEN_LENGTH)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID,
                   _ ("Access token is %zu bytes long; the limit is %u"), jwt_length,
                   (guint) MAX_TOKEN_LENGTH);
      return NULL;
    }
  parts = g_strsplit (jwt, ".", 4);
  n_parts = g_strv_length (parts);
  if (n_parts != 3)
    {
      if (n_parts > 3)
        g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID,
                             _ ("Access token is malformed: it has more than 3 "
                                "dot-separated parts"));
      else
        g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_INVALID,
                     _ ("Access token is malformed: it has %u dot-separated parts, "
                        "3 expected"),
                     n_parts);
      return NULL;
    }

  header = decode_json_part (parts[0], _ ("Access token header is malformed"), error);
  if (header == NULL || !check_header (header, error))
    return NULL;
  payload = decode_json_part (parts[1], _ ("Access token payload is malformed"), error);
  if (payload == NULL)
    return NULL;

  /* The issuer names the key whose secret signed the token, so a token
   * for another key is reported as such rather than as a bad signature. */
  issuer = convoke_json_get_string (payload, "iss");
  if (issuer == NULL)
    {
      g_set_error_literal (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_ISSUER_INVALID,
                           _ ("Access token has no “iss” claim"));
      return NULL;
    }
  if (strcmp (issuer, api_key) != 0)
    {
      g_autofree char *quoted = convoke_quote_untrusted (issuer, MAX_QUOTED_CHARS);

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_ISSUER_INVALID,
                   _ ("Access token issuer “%s” is not this server's API key"), quoted);
      return NULL;
    }

  /* parts[0] and parts[1] are the first bytes of @jwt, with the dot. */
  if (!check_signature (jwt, strlen (parts[0]) + 1 + strlen (parts[1]), parts[2],
                        api_secret, error))
    return NULL;

  token = g_new0 (ConvokeAccessToken, 1);
  if (!check_times (payload, clock_skew, &token->expires, error))
    return NULL;
  if (!check_grants (payload, room, token, error))
    return NULL;

  subject = convoke_json_get_string (payload, "sub");
  token->issuer = g_strdup (issuer);
  token->subject = g_strdup (subject);
  return g_steal_pointer (&token);
}
