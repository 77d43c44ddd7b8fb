/* convoke-load --room-start N: what starting a group room costs. N rooms
 * are created at once (POST /v1/Rooms), one participant joins each, and
 * the room counts as started when the server's first offer arrives: only
 * a running worker writes one. Then the workers' memory and CPU are read
 * while they idle with that one participant (no media).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <string.h>

#include "i18n.h"
#include "load-convoke.h"
#include "load-proc.h"
#include "load-report.h"

#define START_TIMEOUT_MS 60000
#define IDLE_SETTLE_MS 1000

typedef struct
{
  LoadRun *run;
  guint index;
  char *name;
  char *sid;
  SoupWebsocketConnection *ws;
  gint64 post_us, created_us, join_us, joined_us, offer_us;
  gboolean failed;
  gboolean ending; /* we end the room: its closing error is expected */
} StartingRoom;

static void
starting_room_clear (gpointer data)
{
  StartingRoom *room = data;

  if (room->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (room->ws, room);
      if (soup_websocket_connection_get_state (room->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (room->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&room->ws);
    }
  g_free (room->name);
  g_free (room->sid);
}

/* Each asynchronous call holds a reference: an answer may come after the
 * benchmark gave up waiting. */
static void
starting_room_release (gpointer data)
{
  g_rc_box_release_full (data, starting_room_clear);
}

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *data, gpointer user_data)
{
  StartingRoom *room = user_data;
  g_autoptr (JsonObject) message = load_ws_parse (room->run, room->name, data);
  const char *kind;

  if (message == NULL)
    return;
  kind = json_object_get_string_member_with_default (message, "type", "");
  if (g_str_equal (kind, "joined") && room->joined_us == 0)
    room->joined_us = g_get_monotonic_time ();
  else if (g_str_equal (kind, "offer") && room->offer_us == 0)
    room->offer_us = g_get_monotonic_time ();
  else if (g_str_equal (kind, "error") && !room->ending)
    {
      room->failed = TRUE;
      load_run_error (
          room->run, _ ("%s: error %" PRId64 ": %s"), room->name,
          json_object_get_int_member_with_default (message, "code", 0),
          json_object_get_string_member_with_default (message, "message", ""));
    }
}

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartingRoom *room = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) join = json_object_new ();
  g_autofree char *token = NULL;

  room->ws
      = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (room->ws == NULL)
    {
      room->failed = TRUE;
      load_run_error (room->run, _ ("%s: signaling connection: %s"), room->name,
                      error->message);
      starting_room_release (room);
      return;
    }
  g_signal_connect (room->ws, "message", G_CALLBACK (on_message), room);
  token = load_convoke_token (room->run, room->name, room->name);
  json_object_set_string_member (join, "type", "join");
  json_object_set_string_member (join, "token", token);
  json_object_set_string_member (join, "room", room->name);
  json_object_set_string_member (join, "client", "convoke-load");
  room->join_us = g_get_monotonic_time ();
  load_ws_send (room->ws, join);
  starting_room_release (room);
}

static void
on_room_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartingRoom *room = user_data;
  g_autoptr (JsonObject) created
      = load_convoke_rest_finish (room->run, SOUP_SESSION (source), result, room->name);
  g_autofree char *url = NULL;
  g_autoptr (SoupMessage) message = NULL;
  const char *protocols[] = { "convoke-signaling-1", NULL };

  room->created_us = g_get_monotonic_time ();
  if (created == NULL)
    {
      room->failed = TRUE;
      starting_room_release (room);
      return;
    }
  room->sid
      = g_strdup (json_object_get_string_member_with_default (created, "sid", NULL));
  url = load_convoke_signaling_url (room->run);
  message = soup_message_new ("GET", url);
  soup_session_websocket_connect_async (room->run->session, message, NULL,
                                        (char **) protocols, G_PRIORITY_DEFAULT, NULL,
                                        on_ws_connected, g_rc_box_acquire (room));
  starting_room_release (room);
}

static gboolean
all_started (gpointer data)
{
  GPtrArray *rooms = data;

  for (guint i = 0; i < rooms->len; i++)
    {
      StartingRoom *room = g_ptr_array_index (rooms, i);

      if (!room->failed && room->offer_us == 0)
        return FALSE;
    }
  return TRUE;
}

static void
append_ms (GArray *values, gint64 from_us, gint64 to_us)
{
  double ms;

  if (from_us == 0 || to_us == 0)
    return;
  ms = (double) (to_us - from_us) / 1000.0;
  g_array_append_val (values, ms);
}

static JsonNode *
build_report (LoadRun *run, GPtrArray *rooms, guint64 daemon_rss_before_kib)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GArray) create_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) join_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) offer_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) total_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) rss_kib = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) hwm_kib = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) pss_kib = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) uss_kib = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) cpu_s = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GPtrArray) sids = g_ptr_array_new ();
  g_autoptr (GArray) pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_autoptr (GPtrArray) roles = g_ptr_array_new ();
  guint started = 0;

  for (guint i = 0; i < rooms->len; i++)
    {
      StartingRoom *room = g_ptr_array_index (rooms, i);

      append_ms (create_ms, room->post_us, room->created_us);
      append_ms (join_ms, room->join_us, room->joined_us);
      append_ms (offer_ms, room->joined_us, room->offer_us);
      append_ms (total_ms, room->post_us, room->offer_us);
      started += room->offer_us != 0;
      g_ptr_array_add (sids, room->sid);
    }
  load_convoke_worker_processes (run, sids, pids, roles);
  for (guint i = 0; i < pids->len; i++)
    {
      pid_t pid = g_array_index (pids, pid_t, i);
      double rss = (double) load_proc_status_kib (pid, "VmRSS");
      double hwm = (double) load_proc_status_kib (pid, "VmHWM");
      double pss = (double) load_proc_smaps_kib (pid, "Pss");
      double uss = (double) load_proc_private_kib (pid);
      double cpu = 0.0;

      g_array_append_val (rss_kib, rss);
      g_array_append_val (hwm_kib, hwm);
      g_array_append_val (pss_kib, pss);
      g_array_append_val (uss_kib, uss);
      if (load_proc_cpu_seconds (pid, &cpu))
        g_array_append_val (cpu_s, cpu);
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "label");
  json_builder_add_string_value (builder, run->options->label ? run->options->label : "");
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, "convoke");
  json_builder_set_member_name (builder, "command");
  json_builder_add_string_value (builder,
                                 run->options->command ? run->options->command : "");
  json_builder_set_member_name (builder, "rooms");
  json_builder_add_int_value (builder, rooms->len);
  json_builder_set_member_name (builder, "rooms_started");
  json_builder_add_int_value (builder, started);
  json_builder_set_member_name (builder, "workers_found");
  json_builder_add_int_value (builder, pids->len);
  load_report_add_distribution (builder, "post_to_created_ms", create_ms);
  load_report_add_distribution (builder, "join_to_joined_ms", join_ms);
  load_report_add_distribution (builder, "joined_to_offer_ms", offer_ms);
  load_report_add_distribution (builder, "post_to_offer_ms", total_ms);
  load_report_add_distribution (builder, "worker_rss_kib", rss_kib);
  load_report_add_distribution (builder, "worker_hwm_kib", hwm_kib);
  load_report_add_distribution (builder, "worker_pss_kib", pss_kib);
  load_report_add_distribution (builder, "worker_private_kib", uss_kib);
  load_report_add_distribution (builder, "worker_cpu_s", cpu_s);
  /* What the first worker's RSS is made of, mapping by mapping (the
   * largest; bench/report groups them). */
  if (pids->len > 0)
    {
      g_autoptr (GHashTable) by_mapping
          = load_proc_rss_by_mapping (g_array_index (pids, pid_t, 0));
      g_autoptr (GList) paths = g_hash_table_get_keys (by_mapping);

      json_builder_set_member_name (builder, "worker_rss_by_mapping_kib");
      json_builder_begin_object (builder);
      for (GList *l = paths; l != NULL; l = l->next)
        {
          json_builder_set_member_name (builder, l->data);
          json_builder_add_int_value (
              builder, GPOINTER_TO_UINT (g_hash_table_lookup (by_mapping, l->data)));
        }
      json_builder_end_object (builder);
    }
  json_builder_set_member_name (builder, "daemon_rss_before_kib");
  json_builder_add_int_value (builder, (gint64) daemon_rss_before_kib);
  json_builder_set_member_name (builder, "daemon_rss_kib");
  json_builder_add_int_value (
      builder, (gint64) load_proc_status_kib (run->options->server_pid, "VmRSS"));
  json_builder_set_member_name (builder, "errors");
  json_builder_add_int_value (builder, run->error_count);
  json_builder_set_member_name (builder, "first_errors");
  json_builder_begin_array (builder);
  for (guint i = 0; i < run->errors->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (run->errors, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static double
member_p (JsonObject *report, const char *name, const char *which)
{
  JsonObject *object = json_object_get_object_member (report, name);

  return object ? json_object_get_double_member_with_default (object, which, -1.0) : -1.0;
}

int
load_room_start_main (LoadRun *run)
{
  const LoadOptions *options = run->options;
  g_autoptr (GPtrArray) rooms = g_ptr_array_new_with_free_func (starting_room_release);
  g_autoptr (GPtrArray) sids = g_ptr_array_new ();
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (GError) error = NULL;
  guint64 daemon_rss_before = load_proc_status_kib (options->server_pid, "VmRSS");
  JsonObject *object;

  for (int i = 0; i < options->room_start; i++)
    {
      StartingRoom *room = g_rc_box_new0 (StartingRoom);
      char *text;
      g_autoptr (GBytes) form = NULL;
      g_autoptr (SoupMessage) message = NULL;

      room->run = run;
      room->index = (guint) i;
      room->name = g_strdup_printf ("bench-start-%s-%d", run->run_id, i);
      g_ptr_array_add (rooms, room);
      text
          = soup_form_encode ("UniqueName", room->name, "Type", options->room_type, NULL);
      form = g_bytes_new_take (text, strlen (text));
      message = load_convoke_rest_message (run, "POST", "/v1/Rooms", form);
      if (message == NULL)
        {
          g_printerr (_ ("convoke-load: --url “%s” is not a usable http:// URL\n"),
                      options->url);
          return 2;
        }
      room->post_us = g_get_monotonic_time ();
      soup_session_send_and_read_async (run->session, message, G_PRIORITY_DEFAULT, NULL,
                                        on_room_created, g_rc_box_acquire (room));
    }
  if (!load_run_wait (all_started, rooms, START_TIMEOUT_MS))
    load_run_error (run, _ ("Not every room started within %d s"),
                    START_TIMEOUT_MS / 1000);
  load_run_sleep (IDLE_SETTLE_MS);
  report = build_report (run, rooms, daemon_rss_before);

  for (guint i = 0; i < rooms->len; i++)
    {
      StartingRoom *room = g_ptr_array_index (rooms, i);

      room->ending = TRUE;
      if (room->sid != NULL)
        g_ptr_array_add (sids, room->sid);
    }
  load_convoke_end_rooms (run, sids);

  object = json_node_get_object (report);
  json_generator_set_root (generator, report);
  json_generator_set_pretty (generator, TRUE);
  if (options->json_path != NULL
      && !json_generator_to_file (generator, options->json_path, &error))
    {
      g_printerr (_ ("convoke-load: could not write %s: %s\n"), options->json_path,
                  error->message);
      return 1;
    }
  g_print (
      "convoke room start %s: %" G_GINT64_FORMAT "/%d rooms started, POST→offer p50 "
      "%.0f ms p95 %.0f ms max %.0f ms, idle worker RSS p50 %.1f MiB (sum %.1f MiB), "
      "private p50 %.1f MiB, PSS p50 %.1f MiB, worker CPU to start p50 %.3f s\n",
      options->label ? options->label : "",
      json_object_get_int_member (object, "rooms_started"), options->room_start,
      member_p (object, "post_to_offer_ms", "p50"),
      member_p (object, "post_to_offer_ms", "p95"),
      member_p (object, "post_to_offer_ms", "max"),
      member_p (object, "worker_rss_kib", "p50") / 1024.0,
      member_p (object, "worker_rss_kib", "sum") / 1024.0,
      member_p (object, "worker_private_kib", "p50") / 1024.0,
      member_p (object, "worker_pss_kib", "p50") / 1024.0,
      member_p (object, "worker_cpu_s", "p50"));
  return run->error_count > 0 ? 1 : 0;
}
