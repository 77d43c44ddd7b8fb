/* Access tokens: what convoke_access_token_create() produces, and every
 * way convoke_access_token_verify() refuses a token, each with its own
 * Twilio code.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-glib/json-glib.h>
#include <string.h>

#include "access-token.h"
#include "twilio-error.h"
#include "twilio-token-vectors.h"

#define KEY "SK11111111111111111111111111111111"
#define SECRET "s3cret-for-tests"
#define ACCOUNT "AC22222222222222222222222222222222"
#define SKEW 60

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* The test's own base64url, written from RFC 4648 §5 with GLib, so that
 * crafted tokens do not depend on the encoder under test. */
static char *
b64url (const void *data, gsize length, gboolean padded)
{
  char *text = g_base64_encode (data, length);

  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  if (!padded)
    {
      char *eq = strchr (text, '=');
      if (eq)
        *eq = '\0';
    }
  return text;
}

/* Builds a token from raw header and payload JSON, signed with @secret
 * (or with an empty signature when @secret is NULL). */
static char *
craft_full (const char *header_json, const char *payload_json, const char *secret,
            gboolean padded)
{
  g_autofree char *h = b64url (header_json, strlen (header_json), padded);
  g_autofree char *p = b64url (payload_json, strlen (payload_json), padded);
  g_autofree char *input = g_strconcat (h, ".", p, NULL);
  g_autofree char *sig = NULL;

  if (secret != NULL)
    {
      g_autoptr (GHmac) hmac
          = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *)secret, strlen (secret));
      guint8 digest[32];
      gsize len = sizeof digest;

      g_hmac_update (hmac, (const guchar *)input, strlen (input));
      g_hmac_get_digest (hmac, digest, &len);
      sig = b64url (digest, len, padded);
    }
  return g_strconcat (input, ".", sig ? sig : "", NULL);
}

static const char *const good_header
    = "{\"typ\":\"JWT\",\"alg\":\"HS256\",\"cty\":\"twilio-fpa;v=1\"}";

/* A payload with the given times (0 = omit nbf) and room (NULL = none). */
static char *
payload_json (const char *iss, const char *identity, const char *room, gint64 nbf,
              gint64 exp)
{
  g_autoptr (GString) s = g_string_new ("{");

  g_string_append_printf (s, "\"jti\":\"%s-1\",\"iss\":\"%s\",\"sub\":\"" ACCOUNT "\",",
                          iss, iss);
  if (nbf != 0)
    g_string_append_printf (s, "\"nbf\":%" G_GINT64_FORMAT ",", nbf);
  g_string_append_printf (s, "\"exp\":%" G_GINT64_FORMAT ",\"grants\":{", exp);
  if (identity != NULL)
    g_string_append_printf (s, "\"identity\":\"%s\",", identity);
  if (room != NULL)
    g_string_append_printf (s, "\"video\":{\"room\":\"%s\"}}}", room);
  else
    g_string_append (s, "\"video\":{}}}");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
craft (const char *identity, const char *room, gint64 nbf, gint64 exp)
{
  g_autofree char *payload = payload_json (KEY, identity, room, nbf, exp);

  return craft_full (good_header, payload, SECRET, FALSE);
}

/* Asserts that @jwt is refused with @code and that the message contains
 * @needle (when not NULL) and is valid UTF-8. */
static void
assert_refused (const char *jwt, const char *room, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeAccessToken) token
      = convoke_access_token_verify (jwt, KEY, SECRET, room, SKEW, &error);

  g_assert_null (token);
  g_assert_error (error, CONVOKE_ERROR, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_test_message ("%d: %s", error->code, error->message);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("message “%s” does not contain “%s”", error->message, needle);
}

static ConvokeAccessToken *
assert_accepted (const char *jwt, const char *room)
{
  g_autoptr (GError) error = NULL;
  ConvokeAccessToken *token
      = convoke_access_token_verify (jwt, KEY, SECRET, room, SKEW, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

static JsonObject *
decode_part (const char *jwt, guint index)
{
  g_auto (GStrv) parts = g_strsplit (jwt, ".", -1);
  g_autoptr (GString) b64 = NULL;
  g_autofree guchar *data = NULL;
  gsize len;
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  g_assert_null (strchr (parts[index], '='));
  b64 = g_string_new (parts[index]);
  g_strdelimit (b64->str, "-", '+');
  g_strdelimit (b64->str, "_", '/');
  while (b64->len % 4)
    g_string_append_c (b64, '=');
  data = g_base64_decode (b64->str, &len);
  g_assert_true (json_parser_load_from_data (parser, (const char *)data, len, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_create_format (void)
{
  gint64 before = now_seconds ();
  g_autofree char *jwt
      = convoke_access_token_create (KEY, SECRET, ACCOUNT, "alice", "standup", 600);
  g_autoptr (JsonObject) header = decode_part (jwt, 0);
  g_autoptr (JsonObject) payload = decode_part (jwt, 1);
  JsonObject *grants;
  gint64 iat;
  g_autofree char *jti = NULL;

  g_assert_cmpstr (json_object_get_string_member (header, "typ"), ==, "JWT");
  g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, "HS256");
  g_assert_cmpstr (json_object_get_string_member (header, "cty"), ==, "twilio-fpa;v=1");
  g_assert_cmpuint (json_object_get_size (header), ==, 3);

  iat = json_object_get_int_member (payload, "iat");
  g_assert_cmpint (iat, >=, before);
  g_assert_cmpint (iat, <=, now_seconds ());
  jti = g_strdup_printf ("%s-%" G_GINT64_FORMAT, KEY, iat);
  g_assert_cmpstr (json_object_get_string_member (payload, "jti"), ==, jti);
  g_assert_cmpstr (json_object_get_string_member (payload, "iss"), ==, KEY);
  g_assert_cmpstr (json_object_get_string_member (payload, "sub"), ==, ACCOUNT);
  g_assert_cmpint (json_object_get_int_member (payload, "exp"), ==, iat + 600);
  grants = json_object_get_object_member (payload, "grants");
  g_assert_cmpstr (json_object_get_string_member (grants, "identity"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (grants, "video"), "room"),
                   ==, "standup");
}

static void
test_create_verify (void)
{
  g_autofree char *jwt
      = convoke_access_token_create (KEY, SECRET, ACCOUNT, "alice", "standup", 600);
  g_autofree char *any
      = convoke_access_token_create (KEY, SECRET, ACCOUNT, "bob", NULL, 60);
  g_autoptr (ConvokeAccessToken) token = assert_accepted (jwt, "standup");
  g_autoptr (ConvokeAccessToken) unscoped = assert_accepted (jwt, NULL);
  g_autoptr (ConvokeAccessToken) any_room = assert_accepted (any, "whatever");

  g_assert_cmpstr (token->identity, ==, "alice");
  g_assert_cmpstr (token->room, ==, "standup");
  g_assert_cmpstr (token->issuer, ==, KEY);
  g_assert_cmpstr (token->subject, ==, ACCOUNT);
  g_assert_cmpint (token->expires, >=, now_seconds () + 590);
  g_assert_cmpstr (unscoped->room, ==, "standup");
  g_assert_cmpstr (any_room->identity, ==, "bob");
  g_assert_null (any_room->room);
}

static void
test_padded_accepted (void)
{
  /* 'alice' and an identity of another length make at least one part
   * need padding. */
  for (guint n = 1; n <= 3; n++)
    {
      g_autofree char *identity = g_strnfill (n, 'x');
      g_autofree char *payload
          = payload_json (KEY, identity, NULL, 0, now_seconds () + 60);
      g_autofree char *jwt = craft_full (good_header, payload, SECRET, TRUE);
      g_autoptr (ConvokeAccessToken) token = assert_accepted (jwt, NULL);

      g_assert_cmpstr (token->identity, ==, identity);
    }
}

static void
test_expired (void)
{
  g_autofree char *long_ago = craft ("alice", NULL, 0, now_seconds () - 3600);
  g_autofree char *within_skew = craft ("alice", NULL, 0, now_seconds () - SKEW / 2);
  g_autoptr (ConvokeAccessToken) ok = assert_accepted (within_skew, NULL);

  assert_refused (long_ago, NULL, CONVOKE_ERROR_TOKEN_EXPIRED, "expired");
}

static void
test_not_yet_valid (void)
{
  g_autofree char *later
      = craft ("alice", NULL, now_seconds () + 3600, now_seconds () + 7200);
  g_autofree char *within_skew
      = craft ("alice", NULL, now_seconds () + SKEW / 2, now_seconds () + 7200);
  g_autoptr (ConvokeAccessToken) ok = assert_accepted (within_skew, NULL);

  assert_refused (later, NULL, CONVOKE_ERROR_TOKEN_NOT_YET_VALID, "not valid before");
}

static void
test_bad_signature (void)
{
  gint64 exp = now_seconds () + 600;
  g_autofree char *payload = payload_json (KEY, "alice", NULL, 0, exp);
  g_autofree char *other_secret
      = craft_full (good_header, payload, "not-the-secret", FALSE);
  g_autofree char *unsigned_jwt = craft_full (good_header, payload, NULL, FALSE);
  g_autofree char *flipped = craft ("alice", NULL, 0, exp);
  g_autofree char *short_sig = NULL;
  g_autofree char *forged_payload = NULL;
  char *last = flipped + strlen (flipped) - 2;

  *last = (*last == 'A') ? 'B' : 'A';
  assert_refused (other_secret, NULL, CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID, "signature");
  assert_refused (flipped, NULL, CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID, "signature");
  assert_refused (unsigned_jwt, NULL, CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID, "signature");

  /* A valid signature for another payload. */
  {
    g_autofree char *good = craft ("alice", NULL, 0, exp);
    g_autofree char *evil_payload = payload_json (KEY, "mallory", NULL, 0, exp);
    g_autofree char *evil = craft_full (good_header, evil_payload, NULL, FALSE);

    forged_payload = g_strconcat (evil, strrchr (good, '.') + 1, NULL);
    assert_refused (forged_payload, NULL, CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID, NULL);
  }

  short_sig = g_strndup (other_secret, strlen (other_secret) - 5);
  assert_refused (short_sig, NULL, CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID, "32");
}

static void
test_wrong_room (void)
{
  g_autofree char *jwt = craft ("alice", "standup", 0, now_seconds () + 600);
  g_autoptr (ConvokeAccessToken) ok = assert_accepted (jwt, "standup");

  assert_refused (jwt, "retro", CONVOKE_ERROR_TOKEN_GRANTS_INVALID, "“standup”");
  assert_refused (jwt, "retro", CONVOKE_ERROR_TOKEN_GRANTS_INVALID, "“retro”");
}

static void
test_wrong_issuer (void)
{
  g_autofree char *payload = payload_json ("SK99999999999999999999999999999999", "alice",
                                           NULL, 0, now_seconds () + 600);
  g_autofree char *jwt = craft_full (good_header, payload, SECRET, FALSE);
  g_autofree char *no_iss = craft_full (
      good_header, "{\"exp\":9999999999,\"grants\":{\"identity\":\"a\"}}", SECRET, FALSE);

  assert_refused (jwt, NULL, CONVOKE_ERROR_TOKEN_ISSUER_INVALID,
                  "SK99999999999999999999999999999999");
  assert_refused (no_iss, NULL, CONVOKE_ERROR_TOKEN_ISSUER_INVALID, "iss");
}

static void
test_algorithms_refused (void)
{
  g_autofree char *payload = payload_json (KEY, "alice", NULL, 0, now_seconds () + 600);
  struct
  {
    const char *header;
    const char *needle;
  } cases[] = {
    { "{\"typ\":\"JWT\",\"alg\":\"none\"}", "“none”" },
    { "{\"typ\":\"JWT\",\"alg\":\"HS512\"}", "“HS512”" },
    { "{\"typ\":\"JWT\",\"alg\":\"RS256\"}", "“RS256”" },
    { "{\"typ\":\"JWT\",\"alg\":\"hs256\"}", "“hs256”" },
    { "{\"typ\":\"JWT\"}", "alg" },
    { "{\"typ\":\"JWT\",\"alg\":256}", "alg" },
    { "{\"typ\":\"JWS\",\"alg\":\"HS256\"}", "“JWS”" },
    { "{\"alg\":\"\\u0001\\u0002x\"}", "“??x”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      /* Signed with the right secret: the header alone is what is wrong. */
      g_autofree char *signed_jwt = craft_full (cases[i].header, payload, SECRET, FALSE);
      g_autofree char *unsigned_jwt = craft_full (cases[i].header, payload, NULL, FALSE);

      assert_refused (signed_jwt, NULL, CONVOKE_ERROR_TOKEN_HEADER_INVALID,
                      cases[i].needle);
      assert_refused (unsigned_jwt, NULL, CONVOKE_ERROR_TOKEN_HEADER_INVALID,
                      cases[i].needle);
    }
}

static void
test_truncated (void)
{
  g_autofree char *jwt = craft ("alice", NULL, 0, now_seconds () + 600);
  g_autofree char *two_parts = g_strndup (jwt, strrchr (jwt, '.') - jwt);
  g_autofree char *one_part = g_strndup (jwt, strchr (jwt, '.') - jwt);
  g_autofree char *mid_payload = g_strndup (jwt, strchr (jwt, '.') - jwt + 10);

  assert_refused (two_parts, NULL, CONVOKE_ERROR_TOKEN_INVALID, "2");
  assert_refused (one_part, NULL, CONVOKE_ERROR_TOKEN_INVALID, "1");
  assert_refused (mid_payload, NULL, CONVOKE_ERROR_TOKEN_INVALID, NULL);
}

static void
test_garbage (void)
{
  g_autofree char *huge = g_strnfill (100000, 'a');
  g_autofree char *array_header = craft_full ("[1,2]", "{}", SECRET, FALSE);
  g_autofree char *text_header = craft_full ("hello", "{}", SECRET, FALSE);
  g_autofree char *array_payload = craft_full (good_header, "[]", SECRET, FALSE);
  g_autofree char *null_payload = craft_full (good_header, "null", SECRET, FALSE);
  g_autofree char *no_exp
      = craft_full (good_header, "{\"iss\":\"" KEY "\",\"grants\":{\"identity\":\"a\"}}",
                    SECRET, FALSE);
  g_autofree char *string_exp = craft_full (
      good_header,
      "{\"iss\":\"" KEY "\",\"exp\":\"soon\",\"grants\":{\"identity\":\"a\"}}", SECRET,
      FALSE);
  const char *const invalid[] = { "",
                                  ".",
                                  "..",
                                  "...",
                                  "not a jwt",
                                  "a.b.c",
                                  "!!.b.c",
                                  "eyJ.eyJ.eyJ",
                                  "e$J.e$J.sig",
                                  "=.=.=",
                                  "eyJhbGciOiJIUzI1NiJ9.\xff\xfe.abc" };

  assert_refused (NULL, NULL, CONVOKE_ERROR_TOKEN_INVALID, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    assert_refused (invalid[i], NULL, CONVOKE_ERROR_TOKEN_INVALID, NULL);
  assert_refused (huge, NULL, CONVOKE_ERROR_TOKEN_INVALID, "100000");
  assert_refused (array_header, NULL, CONVOKE_ERROR_TOKEN_INVALID, "header");
  assert_refused (text_header, NULL, CONVOKE_ERROR_TOKEN_INVALID, "header");
  assert_refused (array_payload, NULL, CONVOKE_ERROR_TOKEN_INVALID, "payload");
  assert_refused (null_payload, NULL, CONVOKE_ERROR_TOKEN_INVALID, "payload");
  assert_refused (no_exp, NULL, CONVOKE_ERROR_TOKEN_INVALID, "exp");
  assert_refused (string_exp, NULL, CONVOKE_ERROR_TOKEN_INVALID, "exp");
}

static void
test_grants_refused (void)
{
  g_autofree char *no_identity = craft (NULL, NULL, 0, now_seconds () + 600);
  g_autofree char *empty_identity = craft ("", NULL, 0, now_seconds () + 600);
  g_autofree char *grants_string = craft_full (
      good_header, "{\"iss\":\"" KEY "\",\"exp\":9999999999,\"grants\":\"all\"}", SECRET,
      FALSE);
  g_autofree char *video_string
      = craft_full (good_header,
                    "{\"iss\":\"" KEY
                    "\",\"exp\":9999999999,\"grants\":{\"identity\":\"a\",\"video\":1}}",
                    SECRET, FALSE);

  assert_refused (no_identity, NULL, CONVOKE_ERROR_TOKEN_GRANTS_INVALID, "identity");
  assert_refused (empty_identity, NULL, CONVOKE_ERROR_TOKEN_GRANTS_INVALID, "identity");
  assert_refused (grants_string, NULL, CONVOKE_ERROR_TOKEN_GRANTS_INVALID, "grants");
  assert_refused (video_string, NULL, CONVOKE_ERROR_TOKEN_GRANTS_INVALID, "video");
}

/* A validly signed token whose strings hold a NUL: json-glib cuts the C
 * string there, so "al\u0000ice" used to join as "al", the identity of
 * another user, who was then disconnected (53205). Unpaired surrogate
 * escapes decode to bytes that are not UTF-8. Both are refused in any
 * string of the header or the payload, member names included. */
static void
test_nul_and_invalid_utf8 (void)
{
  gint64 exp = now_seconds () + 600;
  struct
  {
    const char *identity; /* JSON text, escapes as written */
    const char *room;
    const char *needle;
  } payload_cases[] = {
    { "al\\u0000ice", NULL, "NUL" },   { "alice\\u0000", NULL, "NUL" },
    { "\\u0000alice", NULL, "NUL" },   { "alice", "standup\\u0000evil", "NUL" },
    { "al\\ud800ice", NULL, "UTF-8" }, { "al\\udc00ice", NULL, "UTF-8" },
    { "alice\\ud83d", NULL, "UTF-8" }, { "alice", "stand\\udfffup", "UTF-8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (payload_cases); i++)
    {
      g_autofree char *jwt
          = craft (payload_cases[i].identity, payload_cases[i].room, 0, exp);

      assert_refused (jwt, NULL, CONVOKE_ERROR_TOKEN_INVALID, payload_cases[i].needle);
      assert_refused (jwt, NULL, CONVOKE_ERROR_TOKEN_INVALID, "payload");
    }

  /* The issuer compared with the API key, an unused claim, a member name,
   * and the header's algorithm. */
  {
    g_autofree char *nul_issuer
        = craft_full (good_header,
                      "{\"iss\":\"" KEY
                      "\\u0000x\",\"exp\":9999999999,\"grants\":{\"identity\":\"a\"}}",
                      SECRET, FALSE);
    g_autofree char *nul_jti
        = craft_full (good_header,
                      "{\"jti\":\"\\u0000\",\"iss\":\"" KEY
                      "\",\"exp\":9999999999,\"grants\":{\"identity\":\"a\"}}",
                      SECRET, FALSE);
    g_autofree char *surrogate_name
        = craft_full (good_header,
                      "{\"\\ud800\":1,\"iss\":\"" KEY
                      "\",\"exp\":9999999999,\"grants\":{\"identity\":\"a\"}}",
                      SECRET, FALSE);
    g_autofree char *payload = payload_json (KEY, "alice", NULL, 0, exp);
    g_autofree char *nul_alg = craft_full ("{\"typ\":\"JWT\",\"alg\":\"HS256\\u0000\"}",
                                           payload, SECRET, FALSE);
    g_autofree char *surrogate_alg
        = craft_full ("{\"typ\":\"JWT\",\"alg\":\"\\udbff\"}", payload, SECRET, FALSE);

    assert_refused (nul_issuer, NULL, CONVOKE_ERROR_TOKEN_INVALID, "NUL");
    assert_refused (nul_jti, NULL, CONVOKE_ERROR_TOKEN_INVALID, "NUL");
    assert_refused (surrogate_name, NULL, CONVOKE_ERROR_TOKEN_INVALID, "UTF-8");
    assert_refused (nul_alg, NULL, CONVOKE_ERROR_TOKEN_INVALID, "header");
    assert_refused (surrogate_alg, NULL, CONVOKE_ERROR_TOKEN_INVALID, "header");
  }

  /* What is not a NUL stays accepted: an escaped backslash before
   * "u0000", and a surrogate pair (U+1F600). */
  {
    g_autofree char *backslash = craft ("al\\\\u0000ice", NULL, 0, exp);
    g_autofree char *pair = craft ("alice\\ud83d\\ude00", NULL, 0, exp);
    g_autoptr (ConvokeAccessToken) a = assert_accepted (backslash, NULL);
    g_autoptr (ConvokeAccessToken) b = assert_accepted (pair, NULL);

    g_assert_cmpstr (a->identity, ==, "al\\u0000ice");
    g_assert_cmpstr (b->identity, ==, "alice\xf0\x9f\x98\x80");
  }
}

/* A payload with @claims (JSON members, comma-separated) and a valid
 * identity, signed. */
static char *
craft_claims (const char *claims)
{
  g_autofree char *payload = g_strdup_printf (
      "{\"iss\":\"" KEY "\",%s,\"grants\":{\"identity\":\"alice\"}}", claims);

  return craft_full (good_header, payload, SECRET, FALSE);
}

/* exp, nbf and iat must be dates: from 0 to the end of year 9999. An exp
 * of G_MININT64 overflowed the expiry arithmetic (a UBSan abort; the
 * plain build took the token as never expiring). json-glib wraps
 * integers beyond 64 bits, which lands them out of range too. */
static void
test_time_claims_range (void)
{
  /* One clock reading for every claim and the final check: read twice,
   * a second boundary between the readings fails the test (it did, once,
   * under ASan in CI). */
  const gint64 now = now_seconds ();
  g_autofree char *later = g_strdup_printf ("%" G_GINT64_FORMAT, now + 600);
  g_autofree char *earlier = g_strdup_printf ("%" G_GINT64_FORMAT, now - 10);
  const char *bad_dates[] = {
    "-9223372036854775808",
    "9223372036854775807",
    "-1",
    "253402300800",
    "9223372036854775808",
    "18446744073709551616",
    "-1e300",
    "1e300",
    "-0.5",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad_dates); i++)
    {
      g_autofree char *exp_claim = g_strdup_printf ("\"exp\":%s", bad_dates[i]);
      g_autofree char *nbf_claim
          = g_strdup_printf ("\"exp\":%s,\"nbf\":%s", later, bad_dates[i]);
      g_autofree char *iat_claim
          = g_strdup_printf ("\"exp\":%s,\"iat\":%s", later, bad_dates[i]);
      g_autofree char *bad_exp = craft_claims (exp_claim);
      g_autofree char *bad_nbf = craft_claims (nbf_claim);
      g_autofree char *bad_iat = craft_claims (iat_claim);

      g_test_message ("date %s", bad_dates[i]);
      assert_refused (bad_exp, NULL, CONVOKE_ERROR_TOKEN_INVALID, "“exp” is not a date");
      assert_refused (bad_nbf, NULL, CONVOKE_ERROR_TOKEN_INVALID, "“nbf” is not a date");
      assert_refused (bad_iat, NULL, CONVOKE_ERROR_TOKEN_INVALID, "“iat” is not a date");
    }

  {
    g_autofree char *string_iat_claim
        = g_strdup_printf ("\"exp\":%s,\"iat\":\"now\"", later);
    g_autofree char *string_iat = craft_claims (string_iat_claim);
    g_autofree char *good_claims = g_strdup_printf (
        "\"exp\":%s.75,\"nbf\":%s.5,\"iat\":%s", later, earlier, earlier);
    g_autofree char *good = craft_claims (good_claims);
    g_autofree char *last_second = craft_claims ("\"exp\":253402300799,\"iat\":0");
    g_autoptr (ConvokeAccessToken) token = assert_accepted (good, NULL);
    g_autoptr (ConvokeAccessToken) far = assert_accepted (last_second, NULL);

    assert_refused (string_iat, NULL, CONVOKE_ERROR_TOKEN_INVALID, "iat");
    g_assert_cmpint (token->expires, ==, now + 600);
    g_assert_cmpint (far->expires, ==, G_GINT64_CONSTANT (253402300799));
  }
}

/* Tokens made the way Twilio's Python helper library makes them. */
static void
test_twilio_helper_vectors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeAccessToken) room_token = NULL;
  g_autoptr (ConvokeAccessToken) region_token = NULL;
  g_autoptr (ConvokeAccessToken) wrong_secret = NULL;
  g_autoptr (ConvokeAccessToken) expired = NULL;

  room_token = convoke_access_token_verify (TWILIO_VECTOR_ROOM, TWILIO_API_KEY,
                                            TWILIO_API_SECRET, "standup", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_token->identity, ==, "alice");
  g_assert_cmpstr (room_token->room, ==, "standup");
  g_assert_cmpstr (room_token->issuer, ==, TWILIO_API_KEY);
  g_assert_cmpstr (room_token->subject, ==, TWILIO_ACCOUNT_SID);
  g_assert_cmpint (room_token->expires, ==, TWILIO_VALID_UNTIL);

  region_token
      = convoke_access_token_verify (TWILIO_VECTOR_REGION_NON_ASCII, TWILIO_API_KEY,
                                     TWILIO_API_SECRET, "any-room", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (region_token->identity, ==, "zo\u00eb");
  g_assert_null (region_token->room);

  wrong_secret = convoke_access_token_verify (TWILIO_VECTOR_ROOM, TWILIO_API_KEY, SECRET,
                                              "standup", 0, &error);
  g_assert_null (wrong_secret);
  g_assert_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID);
  g_clear_error (&error);

  expired = convoke_access_token_verify (TWILIO_VECTOR_EXPIRED, TWILIO_API_KEY,
                                         TWILIO_API_SECRET, "standup", SKEW, &error);
  g_assert_null (expired);
  g_assert_error (error, CONVOKE_ERROR, CONVOKE_ERROR_TOKEN_EXPIRED);
  g_assert_nonnull (strstr (error->message, "2023-11-14T23:13:20Z"));
}

/* Random single-byte changes to a valid token must be refused, never
 * crash, and never yield a token. */
static void
test_mutations (void)
{
  g_autofree char *jwt = craft ("alice", "standup", 0, now_seconds () + 600);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20101);
  gsize len = strlen (jwt);

  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *copy = g_strdup (jwt);
      gsize at = g_rand_int_range (rand, 0, len);
      char byte = (char)g_rand_int_range (rand, 1, 256);
      g_autoptr (GError) error = NULL;
      g_autoptr (ConvokeAccessToken) token = NULL;

      if (copy[at] == byte)
        continue;
      copy[at] = byte;
      token = convoke_access_token_verify (copy, KEY, SECRET, "standup", SKEW, &error);
      /* Flipping only the spare low bits of the last base64 character
       * decodes to the same signature bytes; that is not a forgery. */
      if (token != NULL)
        {
          g_assert_cmpuint (at, ==, len - 1);
          continue;
        }
      g_assert_nonnull (error);
      g_assert_true (error->domain == CONVOKE_ERROR);
      g_assert_cmpint (error->code, >=, CONVOKE_ERROR_TOKEN_INVALID);
      g_assert_cmpint (error->code, <=, CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/access-token/create/format", test_create_format);
  g_test_add_func ("/access-token/create/verify", test_create_verify);
  g_test_add_func ("/access-token/padded-accepted", test_padded_accepted);
  g_test_add_func ("/access-token/twilio-helper-vectors", test_twilio_helper_vectors);
  g_test_add_func ("/access-token/refused/expired", test_expired);
  g_test_add_func ("/access-token/refused/not-yet-valid", test_not_yet_valid);
  g_test_add_func ("/access-token/refused/bad-signature", test_bad_signature);
  g_test_add_func ("/access-token/refused/wrong-room", test_wrong_room);
  g_test_add_func ("/access-token/refused/wrong-issuer", test_wrong_issuer);
  g_test_add_func ("/access-token/refused/algorithms", test_algorithms_refused);
  g_test_add_func ("/access-token/refused/truncated", test_truncated);
  g_test_add_func ("/access-token/refused/garbage", test_garbage);
  g_test_add_func ("/access-token/refused/grants", test_grants_refused);
  g_test_add_func ("/access-token/refused/mutations", test_mutations);
  g_test_add_func ("/access-token/refused/nul-and-invalid-utf8",
                   test_nul_and_invalid_utf8);
  g_test_add_func ("/access-token/refused/time-claims-range", test_time_claims_range);

  return g_test_run ();
}
