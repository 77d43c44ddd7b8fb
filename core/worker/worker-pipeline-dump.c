/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-pipeline-dump.h"

static void
append_indent (GString *out, guint depth)
{
  for (guint i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

/* A pad's peer as "element:pad". A ghost pad's inside end belongs to the
 * ghost pad, not to an element, so whatever the parent is gets named. */
static void
append_peer (GString *out, GstPad *pad)
{
  g_autoptr (GstPad) peer = gst_pad_get_peer (pad);
  g_autoptr (GstObject) parent = NULL;

  if (peer == NULL)
    {
      g_string_append (out, "(unlinked)");
      return;
    }
  parent = gst_object_get_parent (GST_OBJECT (peer));
  g_string_append_printf (out, "%s:%s", parent != NULL ? GST_OBJECT_NAME (parent) : "?",
                          GST_OBJECT_NAME (peer));
}

#define REDACTED "redacted"

/* Caps fields whose value is key material, such as srtp-key. */
static gboolean
is_key_field (const char *name)
{
  return g_str_has_suffix (name, "-key") || g_str_equal (name, "key");
}

static gboolean
redact_field (GQuark field, GValue *value, gpointer user_data)
{
  if (is_key_field (g_quark_to_string (field)))
    {
      g_value_unset (value);
      g_value_init (value, G_TYPE_STRING);
      g_value_set_static_string (value, REDACTED);
    }
  return TRUE;
}

static GstCaps *
redact_caps (GstCaps *caps)
{
  GstCaps *copy = gst_caps_copy (caps);

  for (guint i = 0; i < gst_caps_get_size (copy); i++)
    gst_structure_map_in_place (gst_caps_get_structure (copy, i), redact_field, NULL);
  return copy;
}

static void
append_pad (GString *out, GstPad *pad, guint depth)
{
  g_autoptr (GstCaps) current = gst_pad_get_current_caps (pad);
  g_autoptr (GstCaps) caps = current != NULL ? redact_caps (current) : NULL;
  gboolean sink = GST_PAD_DIRECTION (pad) == GST_PAD_SINK;

  append_indent (out, depth);
  g_string_append_printf (out, "%s %s %s ", sink ? "sink" : "src", GST_OBJECT_NAME (pad),
                          sink ? "<-" : "->");
  append_peer (out, pad);
  if (caps != NULL)
    {
      g_autofree char *text = gst_caps_to_string (caps);

      g_string_append_printf (out, " (%s)", text);
    }
  g_string_append_c (out, '\n');
}

static gint
compare_by_name (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (GST_OBJECT_NAME (*(GstObject **) a),
                    GST_OBJECT_NAME (*(GstObject **) b));
}

/* Iterators can resync when the graph changes under them; the dump is a
 * snapshot, so collecting into an array and sorting keeps it stable. */
static GPtrArray *
collect (GstIterator *it)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (gst_object_unref);
  GValue item = G_VALUE_INIT;
  gboolean done = FALSE;

  while (!done)
    {
      switch (gst_iterator_next (it, &item))
        {
        case GST_ITERATOR_OK:
          g_ptr_array_add (items, g_value_dup_object (&item));
          g_value_reset (&item);
          break;
        case GST_ITERATOR_RESYNC:
          g_ptr_array_set_size (items, 0);
          gst_iterator_resync (it);
          break;
        case GST_ITERATOR_ERROR:
        case GST_ITERATOR_DONE:
          done = TRUE;
          break;
        }
    }
  g_value_unset (&item);
  gst_iterator_free (it);
  g_ptr_array_sort (items, compare_by_name);
  return items;
}

static void
append_element (GString *out, GstElement *element, guint depth)
{
  g_autoptr (GPtrArray) pads = collect (gst_element_iterate_pads (element));
  GstState current = GST_STATE_VOID_PENDING, pending = GST_STATE_VOID_PENDING;

  gst_element_get_state (element, &current, &pending, 0);
  append_indent (out, depth);
  g_string_append_printf (out, "%s %s [%s", G_OBJECT_TYPE_NAME (element),
                          GST_ELEMENT_NAME (element),
                          gst_element_state_get_name (current));
  if (pending != GST_STATE_VOID_PENDING)
    g_string_append_printf (out, "->%s", gst_element_state_get_name (pending));
  g_string_append (out, "]\n");

  for (guint i = 0; i < pads->len; i++)
    append_pad (out, g_ptr_array_index (pads, i), depth + 1);

  if (GST_IS_BIN (element))
    {
      g_autoptr (GPtrArray) children
          = collect (gst_bin_iterate_elements (GST_BIN (element)));

      for (guint i = 0; i < children->len; i++)
        append_element (out, g_ptr_array_index (children, i), depth + 1);
    }
}

char *
convoke_pipeline_dump_text (GstBin *bin)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (GST_IS_BIN (bin), NULL);

  append_element (out, GST_ELEMENT (bin), 0);
  return g_string_free (out, FALSE);
}

char *
convoke_pipeline_dump_dot (GstBin *bin)
{
  /* The DOT writer prints caps as "srtp-key: 0011…" (cut short, but still
   * most of the key) and properties as "name=value", up to a length. Dumps
   * are rare, so the patterns are compiled per call. */
  g_autoptr (GRegex) key_value = g_regex_new (
      "\\b([A-Za-z0-9_-]*-key|key)(: |=|=\\(buffer\\))[0-9A-Fa-f]+\\b(\\.\\.\\.)?", 0, 0,
      NULL);
  g_autoptr (GRegex) private_key
      = g_regex_new ("-----BEGIN ([A-Z ]*)PRIVATE KEY-----[^\"]*", 0, 0, NULL);
  g_autofree char *dot = NULL;
  g_autofree char *without_keys = NULL;

  g_return_val_if_fail (GST_IS_BIN (bin), NULL);

  dot = gst_debug_bin_to_dot_data (bin, GST_DEBUG_GRAPH_SHOW_ALL);
  without_keys = g_regex_replace (key_value, dot, -1, 0, "\\1\\2" REDACTED, 0, NULL);
  return g_regex_replace_literal (private_key, without_keys, -1, 0,
                                  "-----BEGIN PRIVATE KEY----- " REDACTED, 0, NULL);
}
