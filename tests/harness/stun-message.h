/* Test helper: just enough STUN (RFC 5389) and TURN (RFC 5766) to talk to
 * coturn by hand and to take apart what crosses a relay.
 *
 * Written independently of libnice on purpose: the tests check the
 * credentials Convoke hands out against coturn, and what the clients'
 * libnice puts on the wire, so they must not share libnice's code.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_HEADER_LEN 20

/* Message types (method | class). */
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_SUCCESS 0x0101
#define TURN_ALLOCATE_REQUEST 0x0003
#define TURN_ALLOCATE_SUCCESS 0x0103
#define TURN_ALLOCATE_ERROR 0x0113
#define TURN_REFRESH_REQUEST 0x0004
#define TURN_REFRESH_SUCCESS 0x0104
#define TURN_SEND_INDICATION 0x0016
#define TURN_DATA_INDICATION 0x0017

/* Attributes. */
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_LIFETIME 0x000D
#define STUN_ATTR_XOR_PEER_ADDRESS 0x0012
#define STUN_ATTR_DATA 0x0013
#define STUN_ATTR_REALM 0x0014
#define STUN_ATTR_NONCE 0x0015
#define STUN_ATTR_XOR_RELAYED_ADDRESS 0x0016
#define STUN_ATTR_REQUESTED_TRANSPORT 0x0019
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020

typedef struct _TestStunBuilder TestStunBuilder;

/* A request or indication of @type with a random transaction id. */
TestStunBuilder *test_stun_builder_new (guint16 type);
void test_stun_builder_add (TestStunBuilder *b, guint16 attr, const void *value,
                            gsize len);
void test_stun_builder_add_string (TestStunBuilder *b, guint16 attr, const char *value);
/* Appends MESSAGE-INTEGRITY keyed with @key (for the long-term mechanism:
 * test_stun_long_term_key()); nothing may be added after it. */
void test_stun_builder_add_integrity (TestStunBuilder *b, const guint8 *key,
                                      gsize key_len);
/* Frees @b and returns the encoded message. */
GBytes *test_stun_builder_end (TestStunBuilder *b);
const guint8 *test_stun_builder_transaction_id (TestStunBuilder *b);

/* MD5(username ":" realm ":" password), RFC 5389 section 15.4. */
void test_stun_long_term_key (const char *username, const char *realm,
                              const char *password, guint8 key[16]);

/* A parsed message; attribute values point into the message's bytes. */
typedef struct
{
  GBytes *bytes;
  guint16 type;
  guint8 transaction_id[12];
} TestStunMessage;

/* NULL when @data is not a well-formed STUN message (header, magic cookie,
 * length, attribute framing). */
TestStunMessage *test_stun_message_parse (const guint8 *data, gsize len);
void test_stun_message_free (TestStunMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestStunMessage, test_stun_message_free)

/* The first attribute @attr, or NULL. */
const guint8 *test_stun_message_find (const TestStunMessage *msg, guint16 attr,
                                      gsize *len);
/* A string attribute (USERNAME, REALM, NONCE), or NULL. */
char *test_stun_message_get_string (const TestStunMessage *msg, guint16 attr);
/* ERROR-CODE as a number (401, 438, …), or 0. */
guint test_stun_message_get_error_code (const TestStunMessage *msg, char **reason);
/* An XOR-*-ADDRESS attribute (IPv4 or IPv6), or NULL. */
GInetSocketAddress *test_stun_message_get_xor_address (const TestStunMessage *msg,
                                                       guint16 attr);
/* TRUE when MESSAGE-INTEGRITY is present and matches @key. */
gboolean test_stun_message_check_integrity (const TestStunMessage *msg, const guint8 *key,
                                            gsize key_len);

/* What a TURN relay carries for its client, taken out of its framing:
 * the data of a ChannelData message (RFC 5766 section 11.4) or of a
 * Send/Data indication's DATA attribute. NULL when @data is neither (for
 * example an Allocate or a Binding request). */
GBytes *test_turn_unwrap_application_data (const guint8 *data, gsize len);

G_END_DECLS
