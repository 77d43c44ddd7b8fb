/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "stun-message.h"

#include <string.h>

#define STUN_ATTR_HEADER_LEN 4
#define STUN_INTEGRITY_LEN 20

struct _TestStunBuilder
{
  GByteArray *bytes;
  gboolean sealed; /* MESSAGE-INTEGRITY added */
};

static guint16
read_u16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static guint32
read_u32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
write_u16 (guint8 *p, guint16 value)
{
  p[0] = value >> 8;
  p[1] = value & 0xff;
}

static gsize
padded (gsize len)
{
  return (len + 3) & ~(gsize) 3;
}

TestStunBuilder *
test_stun_builder_new (guint16 type)
{
  TestStunBuilder *b = g_new0 (TestStunBuilder, 1);
  guint8 header[STUN_HEADER_LEN] = { 0 };

  write_u16 (header, type);
  header[4] = STUN_MAGIC_COOKIE >> 24;
  header[5] = (STUN_MAGIC_COOKIE >> 16) & 0xff;
  header[6] = (STUN_MAGIC_COOKIE >> 8) & 0xff;
  header[7] = STUN_MAGIC_COOKIE & 0xff;
  for (int i = 8; i < STUN_HEADER_LEN; i++)
    header[i] = g_random_int_range (0, 256);
  b->bytes = g_byte_array_new ();
  g_byte_array_append (b->bytes, header, sizeof header);
  return b;
}

static void
update_length (TestStunBuilder *b, gsize extra)
{
  write_u16 (b->bytes->data + 2, (guint16) (b->bytes->len - STUN_HEADER_LEN + extra));
}

void
test_stun_builder_add (TestStunBuilder *b, guint16 attr, const void *value, gsize len)
{
  guint8 header[STUN_ATTR_HEADER_LEN];
  static const guint8 zeros[3] = { 0 };

  g_assert_false (b->sealed);
  g_assert_cmpuint (len, <=, G_MAXUINT16);
  write_u16 (header, attr);
  write_u16 (header + 2, (guint16) len);
  g_byte_array_append (b->bytes, header, sizeof header);
  g_byte_array_append (b->bytes, value, len);
  g_byte_array_append (b->bytes, zeros, padded (len) - len);
  update_length (b, 0);
}

void
test_stun_builder_add_string (TestStunBuilder *b, guint16 attr, const char *value)
{
  test_stun_builder_add (b, attr, value, strlen (value));
}

static void
hmac_sha1 (const guint8 *key, gsize key_len, const guint8 *data, gsize len,
           guint8 digest[STUN_INTEGRITY_LEN])
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, key, key_len);
  gsize digest_len = STUN_INTEGRITY_LEN;

  g_hmac_update (hmac, data, len);
  g_hmac_get_digest (hmac, digest, &digest_len);
}

void
test_stun_builder_add_integrity (TestStunBuilder *b, const guint8 *key, gsize key_len)
{
  guint8 digest[STUN_INTEGRITY_LEN];

  /* The HMAC covers the header with a length that already counts the
   * MESSAGE-INTEGRITY attribute (RFC 5389 section 15.4). */
  update_length (b, STUN_ATTR_HEADER_LEN + STUN_INTEGRITY_LEN);
  hmac_sha1 (key, key_len, b->bytes->data, b->bytes->len, digest);
  test_stun_builder_add (b, STUN_ATTR_MESSAGE_INTEGRITY, digest, sizeof digest);
  b->sealed = TRUE;
}

const guint8 *
test_stun_builder_transaction_id (TestStunBuilder *b)
{
  return b->bytes->data + 8;
}

GBytes *
test_stun_builder_end (TestStunBuilder *b)
{
  GBytes *bytes = g_byte_array_free_to_bytes (b->bytes);

  g_free (b);
  return bytes;
}

void
test_stun_long_term_key (const char *username, const char *realm, const char *password,
                         guint8 key[16])
{
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  gsize len = 16;

  g_checksum_update (md5, (const guchar *) username, -1);
  g_checksum_update (md5, (const guchar *) ":", 1);
  g_checksum_update (md5, (const guchar *) realm, -1);
  g_checksum_update (md5, (const guchar *) ":", 1);
  g_checksum_update (md5, (const guchar *) password, -1);
  g_checksum_get_digest (md5, key, &len);
}

/* Calls @func for each attribute until it returns FALSE. Returns FALSE
 * when the attributes do not fill the body exactly. */
static gboolean
foreach_attribute (const guint8 *data, gsize len,
                   gboolean (*func) (guint16 attr, const guint8 *value, gsize value_len,
                                     gsize offset, gpointer user_data),
                   gpointer user_data)
{
  gsize offset = STUN_HEADER_LEN;

  while (offset < len)
    {
      guint16 attr, value_len;

      if (len - offset < STUN_ATTR_HEADER_LEN)
        return FALSE;
      attr = read_u16 (data + offset);
      value_len = read_u16 (data + offset + 2);
      if (padded (value_len) > len - offset - STUN_ATTR_HEADER_LEN)
        return FALSE;
      if (func != NULL
          && !func (attr, data + offset + STUN_ATTR_HEADER_LEN, value_len, offset,
                    user_data))
        return TRUE;
      offset += STUN_ATTR_HEADER_LEN + padded (value_len);
    }
  return offset == len;
}

TestStunMessage *
test_stun_message_parse (const guint8 *data, gsize len)
{
  TestStunMessage *msg;

  if (len < STUN_HEADER_LEN || (data[0] & 0xC0) != 0
      || read_u32 (data + 4) != STUN_MAGIC_COOKIE
      || (gsize) read_u16 (data + 2) + STUN_HEADER_LEN != len || len % 4 != 0
      || !foreach_attribute (data, len, NULL, NULL))
    return NULL;
  msg = g_new0 (TestStunMessage, 1);
  msg->bytes = g_bytes_new (data, len);
  msg->type = read_u16 (data);
  memcpy (msg->transaction_id, data + 8, sizeof msg->transaction_id);
  return msg;
}

void
test_stun_message_free (TestStunMessage *msg)
{
  if (msg == NULL)
    return;
  g_bytes_unref (msg->bytes);
  g_free (msg);
}

typedef struct
{
  guint16 wanted;
  const guint8 *value;
  gsize len;
  gsize offset;
} FindAttribute;

static gboolean
find_one (guint16 attr, const guint8 *value, gsize value_len, gsize offset,
          gpointer user_data)
{
  FindAttribute *find = user_data;

  if (attr != find->wanted)
    return TRUE;
  find->value = value;
  find->len = value_len;
  find->offset = offset;
  return FALSE;
}

static gboolean
find_attribute (const TestStunMessage *msg, FindAttribute *find)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (msg->bytes, &len);

  foreach_attribute (data, len, find_one, find);
  return find->value != NULL;
}

const guint8 *
test_stun_message_find (const TestStunMessage *msg, guint16 attr, gsize *len)
{
  FindAttribute find = { .wanted = attr };

  if (!find_attribute (msg, &find))
    return NULL;
  if (len != NULL)
    *len = find.len;
  return find.value;
}

char *
test_stun_message_get_string (const TestStunMessage *msg, guint16 attr)
{
  gsize len = 0;
  const guint8 *value = test_stun_message_find (msg, attr, &len);

  return value ? g_strndup ((const char *) value, len) : NULL;
}

guint
test_stun_message_get_error_code (const TestStunMessage *msg, char **reason)
{
  gsize len = 0;
  const guint8 *value = test_stun_message_find (msg, STUN_ATTR_ERROR_CODE, &len);

  if (value == NULL || len < 4)
    return 0;
  if (reason != NULL)
    *reason = g_strndup ((const char *) value + 4, len - 4);
  return (value[2] & 0x07) * 100 + value[3];
}

GInetSocketAddress *
test_stun_message_get_xor_address (const TestStunMessage *msg, guint16 attr)
{
  gsize len = 0;
  const guint8 *value = test_stun_message_find (msg, attr, &len);
  guint8 mask[16];
  guint8 address[16];
  gsize address_len;
  g_autoptr (GInetAddress) inet = NULL;
  guint16 port;

  if (value == NULL || len < 8)
    return NULL;
  address_len = value[1] == 0x01 ? 4 : value[1] == 0x02 ? 16 : 0;
  if (address_len == 0 || len < 4 + address_len)
    return NULL;
  /* IPv4 is masked with the cookie; IPv6 with the cookie and the
   * transaction id (RFC 5389 section 15.2). */
  mask[0] = STUN_MAGIC_COOKIE >> 24;
  mask[1] = (STUN_MAGIC_COOKIE >> 16) & 0xff;
  mask[2] = (STUN_MAGIC_COOKIE >> 8) & 0xff;
  mask[3] = STUN_MAGIC_COOKIE & 0xff;
  memcpy (mask + 4, msg->transaction_id, sizeof msg->transaction_id);
  port = read_u16 (value + 2) ^ (STUN_MAGIC_COOKIE >> 16);
  for (gsize i = 0; i < address_len; i++)
    address[i] = value[4 + i] ^ mask[i];
  inet = g_inet_address_new_from_bytes (address, address_len == 4 ? G_SOCKET_FAMILY_IPV4
                                                                  : G_SOCKET_FAMILY_IPV6);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, port));
}

gboolean
test_stun_message_check_integrity (const TestStunMessage *msg, const guint8 *key,
                                   gsize key_len)
{
  FindAttribute find = { .wanted = STUN_ATTR_MESSAGE_INTEGRITY };
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (msg->bytes, &len);
  g_autofree guint8 *covered = NULL;
  guint8 digest[STUN_INTEGRITY_LEN];

  if (!find_attribute (msg, &find) || find.len != STUN_INTEGRITY_LEN)
    return FALSE;
  /* What followed MESSAGE-INTEGRITY (FINGERPRINT) is left out of the
   * length the HMAC saw. */
  covered = g_memdup2 (data, find.offset);
  write_u16 (covered + 2, (guint16) (find.offset + STUN_ATTR_HEADER_LEN
                                     + STUN_INTEGRITY_LEN - STUN_HEADER_LEN));
  hmac_sha1 (key, key_len, covered, find.offset, digest);
  return memcmp (digest, find.value, sizeof digest) == 0;
}

GBytes *
test_turn_unwrap_application_data (const guint8 *data, gsize len)
{
  g_autoptr (TestStunMessage) msg = NULL;
  const guint8 *value;
  gsize value_len = 0;

  /* ChannelData: channel numbers 0x4000-0x7FFF, then the data length. */
  if (len >= 4 && (data[0] & 0xC0) == 0x40)
    {
      guint16 data_len = read_u16 (data + 2);

      return data_len <= len - 4 ? g_bytes_new (data + 4, data_len) : NULL;
    }
  msg = test_stun_message_parse (data, len);
  if (msg == NULL
      || (msg->type != TURN_SEND_INDICATION && msg->type != TURN_DATA_INDICATION))
    return NULL;
  value = test_stun_message_find (msg, STUN_ATTR_DATA, &value_len);
  return value ? g_bytes_new (value, value_len) : NULL;
}
