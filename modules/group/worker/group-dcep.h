/* The WebRTC data channel establishment protocol (DCEP, RFC 8832): the
 * DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK messages both ends of an SCTP
 * association send on a stream to open a data channel on it, and the
 * payload protocol identifiers (PPIDs) of what data channels carry
 * (RFC 8831 section 8).
 *
 * Pure parsing and writing, no GStreamer: group-sctp.c feeds it what
 * sctpdec receives. Every field comes from the client and is checked.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 8831 section 8: PPIDs. */
#define GROUP_PPID_DCEP 50
#define GROUP_PPID_STRING 51
#define GROUP_PPID_BINARY 53
#define GROUP_PPID_STRING_EMPTY 56
#define GROUP_PPID_BINARY_EMPTY 57

/* RFC 8832 section 5.1: the channel type byte. The low bits say how
 * partially reliable it is (the reliability parameter is then a number of
 * retransmissions, or a lifetime in ms); the high bit, unordered. */
#define GROUP_DCEP_RELIABLE 0x00
#define GROUP_DCEP_PARTIAL_RELIABLE_REXMIT 0x01
#define GROUP_DCEP_PARTIAL_RELIABLE_TIMED 0x02
#define GROUP_DCEP_UNORDERED 0x80

/* Labels and protocols longer than this are refused: RFC 8832 allows
 * 65535 bytes, browsers limit them to 65535 too, and nothing a room needs
 * comes close. */
#define GROUP_DCEP_MAX_STRING 1024

typedef struct
{
  guint8 channel_type;
  guint16 priority;
  guint32 reliability; /* retransmissions or ms; 0 for reliable channels */
  char *label;         /* UTF-8, may be empty */
  char *protocol;      /* UTF-8, may be empty */
} GroupDataChannelInfo;

GroupDataChannelInfo *group_data_channel_info_new (guint8 channel_type, guint16 priority,
                                                   guint32 reliability, const char *label,
                                                   const char *protocol);
GroupDataChannelInfo *group_data_channel_info_copy (const GroupDataChannelInfo *info);
void group_data_channel_info_free (GroupDataChannelInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GroupDataChannelInfo, group_data_channel_info_free)

static inline gboolean
group_data_channel_info_ordered (const GroupDataChannelInfo *info)
{
  return (info->channel_type & GROUP_DCEP_UNORDERED) == 0;
}

typedef enum
{
  GROUP_DCEP_MESSAGE_INVALID,
  GROUP_DCEP_MESSAGE_OPEN,
  GROUP_DCEP_MESSAGE_ACK,
} GroupDcepMessage;

/* What a DCEP message (PPID 50) is. An OPEN fills @info (freed by the
 * caller); a malformed message, an unknown channel type, a label or
 * protocol that is not UTF-8 or longer than GROUP_DCEP_MAX_STRING is
 * INVALID, with @error saying why. */
GroupDcepMessage group_dcep_parse (const guint8 *data, gsize size,
                                   GroupDataChannelInfo **info, GError **error);

/* A DATA_CHANNEL_OPEN for @info, and a DATA_CHANNEL_ACK. */
GBytes *group_dcep_write_open (const GroupDataChannelInfo *info);
GBytes *group_dcep_write_ack (void);

G_END_DECLS
