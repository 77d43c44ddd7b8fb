/* Simulcast in session descriptions: the two forms clients offer, and our
 * answer to the RID form (docs/group-media.md, "Simulcast").
 *
 * What is malformed is left out rather than refused: a client whose
 * simulcast lines we cannot read still publishes, with one layer.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-sdp-private.h"

#include <string.h>

/* RFC 8851: rid-id = 1*(ALPHA / DIGIT / "-" / "_"). */
static gboolean
rid_is_valid (const char *rid, gsize length)
{
  if (length == 0 || length > GROUP_MAX_RID_LENGTH)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (rid[i]) && rid[i] != '-' && rid[i] != '_')
      return FALSE;
  return TRUE;
}

/* "ID[/DIRECTION] URI[ ATTRIBUTES]": the id of the extension @uri, or 0.
 * One-byte header ids only (RFC 8285: 1–14), which is what browsers
 * offer for these. */
static guint
extmap_id (const char *value, const char *uri)
{
  char *end = NULL;
  guint64 id = g_ascii_strtoull (value, &end, 10);
  const char *space;
  gsize uri_length = strlen (uri);

  if (end == value || (*end != ' ' && *end != '/') || id < 1 || id > 14)
    return 0;
  space = strchr (end, ' ');
  if (space == NULL || strncmp (space + 1, uri, uri_length) != 0
      || (space[1 + uri_length] != '\0' && space[1 + uri_length] != ' '))
    return 0;
  return (guint) id;
}

/* Whether @media has "a=rid:@rid send". */
static gboolean
has_send_rid (const GstSDPMedia *media, const char *rid)
{
  gsize length = strlen (rid);

  for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
    {
      const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);

      if (g_strcmp0 (attribute->key, "rid") == 0 && attribute->value != NULL
          && strncmp (attribute->value, rid, length) == 0
          && g_str_has_prefix (attribute->value + length, " send")
          && (attribute->value[length + 5] == '\0'
              || attribute->value[length + 5] == ' '))
        return TRUE;
    }
  return FALSE;
}

/* "a=simulcast:send q;h;f" (RFC 8853 section 5.1, possibly with a recv
 * part too): the first alternative of each send stream, in order. */
static void
parse_rids (GroupRemoteMedia *remote, const GstSDPMedia *media, const char *value)
{
  g_auto (GStrv) parts = g_strsplit (value, " ", -1);
  g_auto (GStrv) streams = NULL;
  guint n = 0;

  for (guint i = 0; parts[i] != NULL && parts[i + 1] != NULL; i++)
    if (g_str_equal (parts[i], "send"))
      {
        streams = g_strsplit (parts[i + 1], ";", -1);
        break;
      }
  if (streams == NULL)
    return;
  for (guint i = 0; streams[i] != NULL && n < GROUP_MAX_SIMULCAST_LAYERS; i++)
    {
      const char *rid = streams[i];
      gsize length;
      gboolean duplicate = FALSE;

      if (*rid == '~') /* paused: it may start later */
        rid++;
      length = strcspn (rid, ",");
      if (!rid_is_valid (rid, length))
        continue;
      remote->rids[n] = g_strndup (rid, length);
      for (guint j = 0; j < n; j++)
        duplicate |= g_str_equal (remote->rids[j], remote->rids[n]);
      if (duplicate || !has_send_rid (media, remote->rids[n]))
        {
          g_clear_pointer (&remote->rids[n], g_free);
          continue;
        }
      n++;
    }
  if (n < 2)
    {
      for (guint i = 0; i < n; i++)
        g_clear_pointer (&remote->rids[i], g_free);
      n = 0;
    }
  remote->n_layers = n;
}

/* "a=ssrc-group:SIM 1 2 3", lowest layer first, each layer's RTX SSRC
 * from "a=ssrc-group:FID LAYER RTX". */
static void
parse_sim_group (GroupRemoteMedia *remote, const GstSDPMedia *media, const char *value)
{
  g_auto (GStrv) ssrcs = g_strsplit (value, " ", -1);
  guint n = 0;

  for (guint i = 1; ssrcs[i] != NULL && n < GROUP_MAX_SIMULCAST_LAYERS; i++)
    {
      guint64 ssrc;

      if (!g_ascii_string_to_unsigned (ssrcs[i], 10, 1, G_MAXUINT32, &ssrc, NULL))
        return;
      remote->layer_ssrcs[n++] = (guint32) ssrc;
    }
  if (n < 2)
    return;
  remote->n_layers = n;
  for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
    {
      const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);
      g_auto (GStrv) fid = NULL;
      guint64 layer_ssrc, rtx_ssrc;

      if (g_strcmp0 (attribute->key, "ssrc-group") != 0 || attribute->value == NULL
          || !g_str_has_prefix (attribute->value, "FID "))
        continue;
      fid = g_strsplit (attribute->value, " ", -1);
      if (g_strv_length (fid) != 3
          || !g_ascii_string_to_unsigned (fid[1], 10, 1, G_MAXUINT32, &layer_ssrc, NULL)
          || !g_ascii_string_to_unsigned (fid[2], 10, 1, G_MAXUINT32, &rtx_ssrc, NULL))
        continue;
      for (guint i = 0; i < n; i++)
        if (remote->layer_ssrcs[i] == layer_ssrc)
          remote->layer_rtx_ssrcs[i] = (guint32) rtx_ssrc;
    }
}

void
group_sdp_parse_simulcast (GroupRemoteMedia *remote, const GstSDPMedia *media)
{
  const char *simulcast = gst_sdp_media_get_attribute_val (media, "simulcast");

  for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
    {
      const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);
      guint id;

      if (g_strcmp0 (attribute->key, "extmap") != 0 || attribute->value == NULL)
        continue;
      if ((id = extmap_id (attribute->value, GROUP_MID_URI)) != 0)
        remote->extensions.mid = id;
      else if ((id = extmap_id (attribute->value, GROUP_RID_URI)) != 0)
        remote->extensions.rid = id;
      else if ((id = extmap_id (attribute->value, GROUP_REPAIRED_RID_URI)) != 0)
        remote->extensions.repaired_rid = id;
    }

  if (simulcast != NULL)
    parse_rids (remote, media, simulcast);
  if (remote->n_layers > 0)
    return;
  for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
    {
      const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);

      if (g_strcmp0 (attribute->key, "ssrc-group") == 0 && attribute->value != NULL
          && g_str_has_prefix (attribute->value, "SIM "))
        {
          parse_sim_group (remote, media, attribute->value);
          break;
        }
    }
}

static void
add_extmap (GstSDPMedia *sdp_media, guint id, const char *uri)
{
  g_autofree char *value = NULL;

  if (id == 0)
    return;
  value = g_strdup_printf ("%u %s", id, uri);
  gst_sdp_media_add_attribute (sdp_media, "extmap", value);
}

void
group_sdp_write_simulcast (GstSDPMedia *sdp_media, const GroupLocalMedia *local)
{
  g_autoptr (GString) simulcast = NULL;

  add_extmap (sdp_media, local->extensions.mid, GROUP_MID_URI);
  add_extmap (sdp_media, local->extensions.rid, GROUP_RID_URI);
  add_extmap (sdp_media, local->extensions.repaired_rid, GROUP_REPAIRED_RID_URI);
  if (local->rids == NULL || local->rids[0] == NULL)
    return;
  simulcast = g_string_new ("recv ");
  for (guint i = 0; local->rids[i] != NULL; i++)
    {
      g_autofree char *rid = g_strdup_printf ("%s recv", local->rids[i]);

      gst_sdp_media_add_attribute (sdp_media, "rid", rid);
      g_string_append_printf (simulcast, "%s%s", i > 0 ? ";" : "", local->rids[i]);
    }
  gst_sdp_media_add_attribute (sdp_media, "simulcast", simulcast->str);
}
