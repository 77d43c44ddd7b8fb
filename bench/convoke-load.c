/* convoke-load: a load generator for SFUs. It joins publishers and
 * subscribers to Convoke group rooms (or Janus VideoRoom rooms), replays
 * pre-encoded VP8 and Opus RTP from the publishers, counts what the
 * subscribers receive without decoding it, and reports packets, losses,
 * NACKs, join latency and the server's CPU and memory as one JSON object
 * and one line of text. docs/benchmarks.md explains every figure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/gst.h>
#include <stdio.h>

#include "i18n.h"
#include "srtp-openssl.h"
#include "load-report.h"
#include "load-run.h"

static void
participant_free (gpointer data)
{
  LoadParticipant *p = data;

  g_clear_pointer (&p->peer, load_peer_free);
  g_clear_pointer (&p->recv_peer, load_peer_free);
  if (p->driver_data_free != NULL)
    p->driver_data_free (p->driver_data);
  g_clear_pointer (&p->mid_sources, g_hash_table_unref);
  g_free (p->server_id);
  g_free (p->name);
  g_free (p);
}

/* The command line for the report, before option parsing consumes it,
 * without the API secret. */
static char *
command_line (int argc, char **argv)
{
  GString *text = g_string_new (NULL);

  for (int i = 0; i < argc; i++)
    {
      gboolean secret_follows = i > 0 && g_strcmp0 (argv[i - 1], "--api-secret") == 0;

      if (i > 0)
        g_string_append_c (text, ' ');
      if (secret_follows)
        g_string_append (text, "SECRET");
      else if (g_str_has_prefix (argv[i], "--api-secret="))
        g_string_append (text, "--api-secret=SECRET");
      else
        g_string_append (text, argv[i]);
    }
  return g_string_free (text, FALSE);
}

static gboolean
parse_options (int *argc, char ***argv, LoadOptions *options, GError **error)
{
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &options->server,
      N_ ("convoke or janus (default convoke)"), N_ ("NAME") },
    { "url", 0, 0, G_OPTION_ARG_STRING, &options->url,
      N_ ("Convoke's http://HOST:PORT, or Janus's ws://HOST:PORT"), N_ ("URL") },
    { "api-key", 0, 0, G_OPTION_ARG_STRING, &options->api_key,
      N_ ("Convoke [auth] api-key"), N_ ("KEY") },
    { "api-secret", 0, 0, G_OPTION_ARG_STRING, &options->api_secret,
      N_ ("Convoke [auth] api-secret"), N_ ("SECRET") },
    { "account-sid", 0, 0, G_OPTION_ARG_STRING, &options->account_sid,
      N_ ("Convoke [auth] account-sid"), N_ ("SID") },
    { "room-type", 0, 0, G_OPTION_ARG_STRING, &options->room_type,
      N_ ("Convoke room type (default group)"), N_ ("TYPE") },
    { "ice-address", 0, 0, G_OPTION_ARG_STRING, &options->ice_address,
      N_ ("Local address to gather ICE candidates on (default 127.0.0.1)"),
      N_ ("ADDRESS") },
    { "rooms", 0, 0, G_OPTION_ARG_INT, &options->rooms, N_ ("Rooms (default 1)"),
      N_ ("N") },
    { "publishers", 0, 0, G_OPTION_ARG_INT, &options->publishers,
      N_ ("Publishers per room, sending audio and video (default 2)"), N_ ("N") },
    { "subscribers", 0, 0, G_OPTION_ARG_INT, &options->subscribers,
      N_ ("Receive-only participants per room (default 0)"), N_ ("N") },
    { "join-interval", 0, 0, G_OPTION_ARG_INT, &options->join_interval_ms,
      N_ ("Milliseconds between joins (default 100)"), N_ ("MS") },
    { "setup-timeout", 0, 0, G_OPTION_ARG_INT, &options->setup_timeout_s,
      N_ ("Seconds to wait for every stream to flow (default 30)"), N_ ("S") },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &options->warmup_s,
      N_ ("Seconds between setup and measuring (default 2)"), N_ ("S") },
    { "duration", 0, 0, G_OPTION_ARG_INT, &options->duration_s,
      N_ ("Seconds measured (default 10)"), N_ ("S") },
    { "server-pid", 0, 0, G_OPTION_ARG_INT, &options->server_pid,
      N_ ("convoked's or janus's process id, for CPU and memory"), N_ ("PID") },
    { "label", 0, 0, G_OPTION_ARG_STRING, &options->label, N_ ("Name of the scenario"),
      N_ ("TEXT") },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &options->json_path,
      N_ ("Write the report there too"), N_ ("FILE") },
    { "clip", 0, 0, G_OPTION_ARG_FILENAME, &options->clip_path,
      N_ ("Replay this clip; encode and save it there when it does not exist"),
      N_ ("FILE") },
    { "answer-passive", 0, 0, G_OPTION_ARG_NONE, &options->dtls_passive,
      N_ ("Answer offers with a=setup:passive (the server starts DTLS) instead of "
          "active"),
      NULL },
    { "ready-file", 0, 0, G_OPTION_ARG_FILENAME, &options->ready_path,
      N_ ("Create this file when the measured window starts (for profilers)"),
      N_ ("FILE") },
    { "room-start", 0, 0, G_OPTION_ARG_INT, &options->room_start,
      N_ ("Convoke: measure starting N group rooms at once instead"), N_ ("N") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);

  options->rooms = 1;
  options->publishers = 2;
  options->join_interval_ms = 100;
  options->setup_timeout_s = 30;
  options->warmup_s = 2;
  options->duration_s = 10;
  g_option_context_set_summary (
      context,
      _ ("Joins publishers and subscribers to SFU rooms, replays pre-encoded VP8 "
         "and Opus, and reports what the server forwarded and what it cost."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  if (options->server == NULL)
    options->server = g_strdup ("convoke");
  if (options->room_type == NULL)
    options->room_type = g_strdup ("group");
  if (options->ice_address == NULL)
    options->ice_address = g_strdup ("127.0.0.1");
  if (g_strcmp0 (options->server, "convoke") != 0
      && g_strcmp0 (options->server, "janus") != 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--server must be convoke or janus, not “%s”"), options->server);
      return FALSE;
    }
  if (options->url == NULL || options->server_pid <= 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--url and --server-pid are required"));
      return FALSE;
    }
  if (g_str_equal (options->server, "convoke")
      && (options->api_key == NULL || options->api_secret == NULL
          || options->account_sid == NULL))
    {
      g_set_error (
          error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          _ ("--api-key, --api-secret and --account-sid are required for Convoke"));
      return FALSE;
    }
  if (options->rooms < 1 || options->rooms > 100 || options->publishers < 0
      || options->publishers > 50 || options->subscribers < 0
      || options->subscribers > 500 || options->publishers + options->subscribers < 1
      || options->duration_s < 1 || options->duration_s > 600 || options->warmup_s < 0
      || options->setup_timeout_s < 1 || options->join_interval_ms < 0
      || options->room_start < 0 || options->room_start > 200)
    {
      g_set_error (
          error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          _ ("Out of range: --rooms 1–100, --publishers 0–50, --subscribers 0–500 "
             "(at least one participant), --duration 1–600, --room-start 0–200"));
      return FALSE;
    }
  return TRUE;
}

static LoadClip *
obtain_clip (const char *path, GError **error)
{
  LoadClipParams params = LOAD_CLIP_PARAMS_DEFAULT;
  g_autoptr (LoadClip) clip = NULL;

  if (path != NULL && g_file_test (path, G_FILE_TEST_EXISTS))
    return load_clip_load (path, error);
  clip = load_clip_encode (&params, error);
  if (clip != NULL && path != NULL && !load_clip_save (clip, path, error))
    return NULL;
  return g_steal_pointer (&clip);
}

static void
add_participants (LoadRun *run)
{
  const LoadOptions *options = run->options;

  for (int r = 0; r < options->rooms; r++)
    {
      g_ptr_array_add (run->room_names, g_strdup_printf ("bench-%s-%d", run->run_id, r));
      for (int i = 0; i < options->publishers + options->subscribers; i++)
        {
          LoadParticipant *p = g_new0 (LoadParticipant, 1);

          p->run = run;
          p->room = (guint) r;
          p->index = (guint) i;
          p->publisher = i < options->publishers;
          p->name = g_strdup_printf ("r%d-%s%d", r, p->publisher ? "pub" : "sub",
                                     p->publisher ? i : i - options->publishers);
          p->expected_streams
              = 2u * (guint) (options->publishers - (p->publisher ? 1 : 0));
          if (run->driver == &load_janus_driver)
            p->mid_sources
                = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_ptr_array_add (run->participants, p);
        }
    }
}

typedef struct
{
  LoadRun *run;
  guint next;
  guint source;
} JoinSchedule;

static gboolean
join_next (gpointer data)
{
  JoinSchedule *schedule = data;
  LoadRun *run = schedule->run;

  if (schedule->next >= run->participants->len)
    {
      schedule->source = 0;
      return G_SOURCE_REMOVE;
    }
  run->driver->start_participant (
      run, g_ptr_array_index (run->participants, schedule->next++));
  return G_SOURCE_CONTINUE;
}

static gboolean
all_complete (gpointer data)
{
  LoadRun *run = data;

  return load_run_count_complete (run) == run->participants->len;
}

static int
write_report (LoadRun *run, JsonNode *report)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *summary = load_report_summary (json_node_get_object (report));
  g_autoptr (GError) error = NULL;

  json_generator_set_root (generator, report);
  json_generator_set_pretty (generator, TRUE);
  if (run->options->json_path != NULL
      && !json_generator_to_file (generator, run->options->json_path, &error))
    {
      g_printerr (_ ("convoke-load: could not write %s: %s\n"), run->options->json_path,
                  error->message);
      return 1;
    }
  g_print ("%s\n", summary);
  return 0;
}

static int
run_load (LoadRun *run)
{
  const LoadOptions *options = run->options;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_autoptr (GPtrArray) roles = g_ptr_array_new ();
  g_auto (LoadRunSnapshot) start = { 0 };
  g_auto (LoadRunSnapshot) end = { 0 };
  g_autoptr (JsonNode) report = NULL;
  JoinSchedule schedule = { run, 0, 0 };
  gint64 first_join;
  double setup_s;

  add_participants (run);
  if (!run->driver->prepare (run, &error))
    {
      g_printerr (_ ("convoke-load: %s\n"), error->message);
      run->driver->finish (run);
      return 1;
    }

  first_join = g_get_monotonic_time ();
  join_next (&schedule);
  schedule.source
      = g_timeout_add ((guint) MAX (options->join_interval_ms, 1), join_next, &schedule);
  if (!load_run_wait (all_complete, run, (guint) options->setup_timeout_s * 1000))
    load_run_error (
        run, _ ("Only %u of %u participants received every stream within %d s"),
        load_run_count_complete (run), run->participants->len, options->setup_timeout_s);
  setup_s = (double) (g_get_monotonic_time () - first_join) / 1e6;
  g_clear_handle_id (&schedule.source, g_source_remove);
  load_run_sleep ((guint) options->warmup_s * 1000);

  run->driver->server_processes (run, pids, roles);
  load_run_snapshot_take (run, pids, &start);
  if (options->ready_path != NULL
      && !g_file_set_contents (options->ready_path, "", 0, &error))
    {
      load_run_error (run, _ ("Could not create --ready-file %s: %s"),
                      options->ready_path, error->message);
      g_clear_error (&error);
    }
  load_run_sleep ((guint) options->duration_s * 1000);
  load_run_snapshot_take (run, pids, &end);
  report = load_report_build (run, pids, roles, &start, &end, setup_s);

  for (guint i = 0; i < run->participants->len; i++)
    run->driver->stop_participant (run, g_ptr_array_index (run->participants, i));
  load_run_sleep (300);
  run->driver->finish (run);
  if (write_report (run, report) != 0)
    return 1;
  /* The report is written either way; the status says whether to trust it. */
  return run->error_count > 0 ? 1 : 0;
}

int
main (int argc, char **argv)
{
  LoadOptions options = { 0 };
  g_autoptr (GError) error = NULL;
  LoadRun run = { 0 };
  int status;

  convoke_i18n_init ();
  options.command = command_line (argc, argv);
  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("convoke-load: %s\n", error->message);
      return 2;
    }
  gst_init (&argc, &argv);
  /* The load generator's own SRTP as cheap as the server's, so that it
   * takes less of the machine the servers are measured on. */
  if (!convoke_srtp_use_openssl (&error))
    {
      g_printerr ("convoke-load: %s\n", error->message);
      g_clear_error (&error);
    }

  run.options = &options;
  run.driver
      = g_str_equal (options.server, "janus") ? &load_janus_driver : &load_convoke_driver;
  run.run_id = g_strdup_printf ("%08x", g_random_int ());
  run.participants = g_ptr_array_new_with_free_func (participant_free);
  run.room_names = g_ptr_array_new_with_free_func (g_free);
  run.errors = g_ptr_array_new_with_free_func (g_free);
  run.peer_hooks = g_ptr_array_new_with_free_func (g_free);
  run.session = soup_session_new_with_options ("timeout", 30, "idle-timeout", 0, NULL);

  if (options.room_start == 0)
    {
      run.clip = obtain_clip (options.clip_path, &error);
      if (run.clip == NULL)
        {
          g_printerr (_ ("convoke-load: the clip: %s\n"), error->message);
          return 1;
        }
      run.sender = load_sender_new (run.clip);
      status = run_load (&run);
    }
  else if (run.driver != &load_convoke_driver)
    {
      g_printerr (_ ("convoke-load: --room-start measures Convoke only\n"));
      status = 2;
    }
  else
    status = load_room_start_main (&run);

  /* Peers first (they stop their streams in the sender), then the sender. */
  g_ptr_array_unref (run.participants);
  g_clear_pointer (&run.sender, load_sender_free);
  g_clear_pointer (&run.clip, load_clip_free);
  g_object_unref (run.session);
  g_ptr_array_unref (run.room_names);
  g_ptr_array_unref (run.errors);
  g_ptr_array_unref (run.peer_hooks);
  g_free (run.run_id);
  return status;
}
