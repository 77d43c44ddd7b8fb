/* The data channel establishment protocol as the group worker reads and
 * writes it (modules/group/worker/group-dcep.c, RFC 8832).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <convoke/topology.h>

#include "group-dcep.h"
#include "twilio-error.h"

/* What Chromium sends for createDataChannel ("chat", {ordered: false,
 * maxRetransmits: 3}) with protocol "p". */
static const guint8 chromium_open[]
    = { 0x03, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00,
        0x04, 0x00, 0x01, 'c',  'h',  'a',  't',  'p' };

static void
test_parse_open (void)
{
  g_autoptr (GroupDataChannelInfo) info = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (
      group_dcep_parse (chromium_open, sizeof (chromium_open), &info, &error), ==,
      GROUP_DCEP_MESSAGE_OPEN);
  g_assert_no_error (error);
  g_assert_cmpstr (info->label, ==, "chat");
  g_assert_cmpstr (info->protocol, ==, "p");
  g_assert_cmpuint (info->channel_type, ==, 0x81);
  g_assert_false (group_data_channel_info_ordered (info));
  g_assert_cmpuint (info->priority, ==, 256);
  g_assert_cmpuint (info->reliability, ==, 3);
}

static void
test_round_trip (void)
{
  g_autoptr (GroupDataChannelInfo) info = group_data_channel_info_new (
      GROUP_DCEP_PARTIAL_RELIABLE_TIMED, 512, 1500, "cursor ✓", "PA0123");
  g_autoptr (GroupDataChannelInfo) back = NULL;
  g_autoptr (GBytes) open = group_dcep_write_open (info);
  g_autoptr (GBytes) ack = group_dcep_write_ack ();
  gsize size;
  const guint8 *data = g_bytes_get_data (open, &size);

  g_assert_cmpint (group_dcep_parse (data, size, &back, NULL), ==,
                   GROUP_DCEP_MESSAGE_OPEN);
  g_assert_cmpstr (back->label, ==, "cursor ✓");
  g_assert_cmpstr (back->protocol, ==, "PA0123");
  g_assert_cmpuint (back->channel_type, ==, GROUP_DCEP_PARTIAL_RELIABLE_TIMED);
  g_assert_cmpuint (back->priority, ==, 512);
  g_assert_cmpuint (back->reliability, ==, 1500);
  data = g_bytes_get_data (ack, &size);
  g_assert_cmpint (group_dcep_parse (data, size, &back, NULL), ==,
                   GROUP_DCEP_MESSAGE_ACK);
}

/* Every malformed message is refused with a reason, never read past its
 * end. */
static void
test_refuses_bad_input (void)
{
  guint8 bad[sizeof (chromium_open)];
  g_autoptr (GroupDataChannelInfo) info = NULL;
  guint8 long_label[12 + 2000]
      = { 0x03, 0x00, 0, 0, 0, 0, 0, 0, 2000 >> 8, 2000 & 0xff, 0, 0 };

  struct
  {
    gsize offset;
    guint8 value;
    const char *why;
  } cases[] = {
    { 0, 0x04, "neither" },      /* unknown message type */
    { 1, 0x03, "channel type" }, /* unknown channel type */
    { 9, 0x05, "add up" },       /* label longer than the message */
    { 11, 0x00, "add up" },      /* bytes left over */
    { 12, 0xff, "label is not UTF-8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      memcpy (bad, chromium_open, sizeof (bad));
      bad[cases[i].offset] = cases[i].value;
      g_assert_cmpint (group_dcep_parse (bad, sizeof (bad), &info, &error), ==,
                       GROUP_DCEP_MESSAGE_INVALID);
      g_assert_null (info);
      g_assert_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_TRACK_INVALID);
      g_assert_nonnull (strstr (error->message, cases[i].why));
    }
  for (gsize size = 0; size < sizeof (chromium_open); size++)
    g_assert_cmpint (group_dcep_parse (chromium_open, size, &info, NULL), ==,
                     GROUP_DCEP_MESSAGE_INVALID);
  memset (long_label + 12, 'a', 2000);
  g_assert_cmpint (group_dcep_parse (long_label, sizeof (long_label), &info, NULL), ==,
                   GROUP_DCEP_MESSAGE_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sfu/dcep/parse-open", test_parse_open);
  g_test_add_func ("/sfu/dcep/round-trip", test_round_trip);
  g_test_add_func ("/sfu/dcep/refuses-bad-input", test_refuses_bad_input);
  return g_test_run ();
}
