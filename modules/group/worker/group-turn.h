/* TURN servers for the worker's own ICE agents ([media] worker-turn): the
 * worker options turn-servers, turn-username and turn-password, which the
 * daemon sends over the control socket and renews before they expire
 * (docs/worker-protocol.md, docs/turn.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GROUP_TURN_UDP, /* turn:…, turn:…?transport=udp */
  GROUP_TURN_TCP, /* turn:…?transport=tcp */
  GROUP_TURN_TLS, /* turns:… */
} GroupTurnTransport;

typedef struct
{
  char *address; /* numeric: libnice takes no host names */
  guint16 port;
  GroupTurnTransport transport;
  char *url; /* as configured, for logs */
} GroupTurnServer;

/* Parses ";"-separated turn:/turns: URIs and resolves their hosts (a host
 * name blocks for the lookup; numeric addresses do not). A URI that does
 * not parse or resolve is skipped with a message naming it, so one bad
 * server leaves the others usable. Returns an array of GroupTurnServer*. */
GPtrArray *group_turn_servers_parse (const char *text, const char *room_sid);

typedef struct
{
  char *text;         /* the turn-servers option the array was parsed from */
  GPtrArray *servers; /* GroupTurnServer* */
} GroupTurnCache;

/* The servers for @text, parsed again only when it changed. */
const GPtrArray *group_turn_cache_get (GroupTurnCache *cache, const char *text,
                                       const char *room_sid);
void group_turn_cache_clear (GroupTurnCache *cache);

G_END_DECLS
