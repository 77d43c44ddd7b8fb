/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-dcep.h"

#include <string.h>

#include <convoke/topology.h>

#include "i18n.h"
#include "twilio-error.h"

#define DCEP_OPEN 0x03
#define DCEP_ACK 0x02
#define DCEP_OPEN_HEADER 12

GroupDataChannelInfo *
group_data_channel_info_new (guint8 channel_type, guint16 priority, guint32 reliability,
                             const char *label, const char *protocol)
{
  GroupDataChannelInfo *info = g_new0 (GroupDataChannelInfo, 1);

  info->channel_type = channel_type;
  info->priority = priority;
  info->reliability = reliability;
  info->label = g_strdup (label ? label : "");
  info->protocol = g_strdup (protocol ? protocol : "");
  return info;
}

GroupDataChannelInfo *
group_data_channel_info_copy (const GroupDataChannelInfo *info)
{
  return group_data_channel_info_new (info->channel_type, info->priority,
                                      info->reliability, info->label, info->protocol);
}

void
group_data_channel_info_free (GroupDataChannelInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->label);
  g_free (info->protocol);
  g_free (info);
}

static gboolean
known_channel_type (guint8 type)
{
  switch (type & ~GROUP_DCEP_UNORDERED)
    {
    case GROUP_DCEP_RELIABLE:
    case GROUP_DCEP_PARTIAL_RELIABLE_REXMIT:
    case GROUP_DCEP_PARTIAL_RELIABLE_TIMED:
      return TRUE;
    default:
      return FALSE;
    }
}

/* A label (@label) or protocol: checked, then copied with a terminating
 * NUL. */
static char *
read_string (const guint8 *data, guint16 length, gboolean label, GError **error)
{
  if (length > GROUP_DCEP_MAX_STRING)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   label ? _ ("The data channel's label is %u bytes long; at most %u are "
                              "allowed")
                         : _ ("The data channel's protocol is %u bytes long; at most %u "
                              "are allowed"),
                   length, GROUP_DCEP_MAX_STRING);
      return NULL;
    }
  if (!g_utf8_validate_len ((const char *) data, length, NULL))
    {
      g_set_error_literal (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                           label ? _ ("The data channel's label is not UTF-8")
                                 : _ ("The data channel's protocol is not UTF-8"));
      return NULL;
    }
  return g_strndup ((const char *) data, length);
}

GroupDcepMessage
group_dcep_parse (const guint8 *data, gsize size, GroupDataChannelInfo **info,
                  GError **error)
{
  guint16 label_length, protocol_length;
  g_autofree char *label = NULL, *protocol = NULL;

  *info = NULL;
  if (size == 1 && data[0] == DCEP_ACK)
    return GROUP_DCEP_MESSAGE_ACK;
  if (size < DCEP_OPEN_HEADER || data[0] != DCEP_OPEN)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("A data channel control message of %u bytes is neither "
                      "DATA_CHANNEL_OPEN nor DATA_CHANNEL_ACK"),
                   (guint) MIN (size, G_MAXUINT));
      return GROUP_DCEP_MESSAGE_INVALID;
    }
  if (!known_channel_type (data[1]))
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("DATA_CHANNEL_OPEN has the unknown channel type 0x%02x"), data[1]);
      return GROUP_DCEP_MESSAGE_INVALID;
    }
  label_length = (guint16) (data[8] << 8 | data[9]);
  protocol_length = (guint16) (data[10] << 8 | data[11]);
  if (size != (gsize) DCEP_OPEN_HEADER + label_length + protocol_length)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_TRACK_INVALID,
                   _ ("DATA_CHANNEL_OPEN is %u bytes long, but its lengths add up to %u"),
                   (guint) MIN (size, G_MAXUINT),
                   DCEP_OPEN_HEADER + label_length + protocol_length);
      return GROUP_DCEP_MESSAGE_INVALID;
    }
  label = read_string (data + DCEP_OPEN_HEADER, label_length, TRUE, error);
  if (label == NULL)
    return GROUP_DCEP_MESSAGE_INVALID;
  protocol = read_string (data + DCEP_OPEN_HEADER + label_length, protocol_length, FALSE,
                          error);
  if (protocol == NULL)
    return GROUP_DCEP_MESSAGE_INVALID;

  *info = group_data_channel_info_new (data[1], (guint16) (data[2] << 8 | data[3]),
                                       (guint32) data[4] << 24 | (guint32) data[5] << 16
                                           | (guint32) data[6] << 8 | data[7],
                                       label, protocol);
  /* The parameter means nothing on a reliable channel (RFC 8832 5.1). */
  if (((*info)->channel_type & ~GROUP_DCEP_UNORDERED) == GROUP_DCEP_RELIABLE)
    (*info)->reliability = 0;
  return GROUP_DCEP_MESSAGE_OPEN;
}

GBytes *
group_dcep_write_open (const GroupDataChannelInfo *info)
{
  gsize label_length = MIN (strlen (info->label), GROUP_DCEP_MAX_STRING);
  gsize protocol_length = MIN (strlen (info->protocol), GROUP_DCEP_MAX_STRING);
  gsize size = DCEP_OPEN_HEADER + label_length + protocol_length;
  guint8 *data = g_malloc (size);

  data[0] = DCEP_OPEN;
  data[1] = info->channel_type;
  data[2] = info->priority >> 8;
  data[3] = info->priority & 0xff;
  data[4] = info->reliability >> 24;
  data[5] = (info->reliability >> 16) & 0xff;
  data[6] = (info->reliability >> 8) & 0xff;
  data[7] = info->reliability & 0xff;
  data[8] = (guint8) (label_length >> 8);
  data[9] = label_length & 0xff;
  data[10] = (guint8) (protocol_length >> 8);
  data[11] = protocol_length & 0xff;
  memcpy (data + DCEP_OPEN_HEADER, info->label, label_length);
  memcpy (data + DCEP_OPEN_HEADER + label_length, info->protocol, protocol_length);
  return g_bytes_new_take (data, size);
}

GBytes *
group_dcep_write_ack (void)
{
  static const guint8 ack[] = { DCEP_ACK };

  return g_bytes_new_static (ack, sizeof (ack));
}
