/* convoke-client: joins a Convoke room, publishes test (or given) audio and
 * video, decodes every remote track and reports what it received.
 * docs/convoke-client.md documents the options and the stats file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>

#include "access-token.h"
#include "convoke-client-media.h"
#include "convoke-client-session.h"
#include "convoke-client-stats.h"
#include "i18n.h"
#include "srtp-openssl.h"
#include "twilio-error.h"

#define DEFAULT_URL "http://127.0.0.1:7880"
#define DEFAULT_TOKEN_TTL 3600
#define STATS_INTERVAL_MS 500

enum
{
  EXIT_USAGE = 2,
};

typedef struct
{
  /* options */
  char *url;
  char *token;
  char *room;
  char *identity;
  char *api_key;
  char *api_secret;
  char *account_sid;
  int token_ttl;
  char *video_source;
  char *audio_source;
  gboolean no_audio;
  gboolean no_video;
  char *stats_path;
  int duration;
  gboolean relay_only;
  int latency_ms;
  gboolean no_trickle;
  char **ice_addresses;
  gboolean quiet;
  gboolean version;
  char *data_track;
  int data_every_ms;

  /* run time */
  guint64 data_sent;
  GMainLoop *loop;
  GstPipeline *pipeline;
  ConvokeClientSession *session;
  ConvokeClientStats *stats;
  GPtrArray *decoders; /* ConvokeDecoder* */
  int exit_status;
  gboolean stopping;
} Client;

static void G_GNUC_PRINTF (2, 3) say (Client *client, const char *format, ...)
{
  va_list args;

  if (client->quiet)
    return;
  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
}

static void
write_stats (Client *client)
{
  g_autoptr (GError) error = NULL;

  if (client->stats_path == NULL)
    return;
  if (!convoke_client_stats_write (client->stats, client->stats_path, &error))
    g_printerr ("convoke-client: %s\n", error->message);
}

/* A problem with one message, peer connection or track: the run goes on,
 * but standard error and the stats file both say what went wrong. The
 * periodic write carries it, so a burst of warnings (a server may send
 * many non-fatal errors) costs no burst of file rewrites. */
static void
warn (Client *client, const GError *error)
{
  g_printerr (_ ("convoke-client: warning: %s (%d)\n"), error->message, error->code);
  convoke_client_stats_add_warning (client->stats, error->code, error->message);
}

static gboolean
on_stats_timer (gpointer user_data)
{
  write_stats (user_data);
  return G_SOURCE_CONTINUE;
}

/* Ends the run: leaves the room if joined; the session's "closed" quits
 * the loop. */
static void
stop (Client *client)
{
  if (client->stopping)
    return;
  client->stopping = TRUE;
  convoke_client_session_leave (client->session);
}

static gboolean
on_unix_signal (gpointer user_data)
{
  Client *client = user_data;

  /* A second signal means "now". */
  if (client->stopping)
    g_main_loop_quit (client->loop);
  stop (client);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration_elapsed (gpointer user_data)
{
  stop (user_data);
  return G_SOURCE_REMOVE;
}

/* ---- session events ---------------------------------------------------- */

static void
on_joined (ConvokeClientSession *session, Client *client)
{
  convoke_client_stats_set_joined (client->stats,
                                   convoke_client_session_get_identity (session),
                                   convoke_client_session_get_participant_sid (session),
                                   convoke_client_session_get_room_sid (session),
                                   convoke_client_session_get_room_name (session),
                                   convoke_client_session_get_topology (session),
                                   convoke_client_session_get_join_time (session));
  say (client, _ ("joined room %s (%s) as %s (%s), topology %s"),
       convoke_client_session_get_room_name (session),
       convoke_client_session_get_room_sid (session),
       convoke_client_session_get_identity (session),
       convoke_client_session_get_participant_sid (session),
       convoke_client_session_get_topology (session));
  write_stats (client);
}

static void
on_participant_connected (ConvokeClientSession *session, const char *sid,
                          const char *identity, Client *client)
{
  convoke_client_stats_participant_connected (client->stats, sid, identity);
  say (client, _ ("participant connected: %s (%s)"), identity, sid);
}

static void
on_participant_disconnected (ConvokeClientSession *session, const char *sid,
                             const char *identity, Client *client)
{
  convoke_client_stats_participant_disconnected (client->stats, sid);
  say (client, _ ("participant disconnected: %s (%s)"), identity, sid);
  write_stats (client);
}

static void
on_track_added (ConvokeClientSession *session, ConvokeRemoteTrack *track, Client *client)
{
  ConvokeTrackStats *stats = convoke_client_stats_track (
      client->stats, convoke_remote_track_get_participant_sid (track),
      convoke_remote_track_get_participant_identity (track),
      convoke_remote_track_get_kind (track),
      convoke_remote_track_get_connection_created (track));
  g_autoptr (GError) error = NULL;
  ConvokeDecoder *decoder
      = convoke_decoder_attach (GST_BIN (client->pipeline), track, stats, &error);

  if (decoder == NULL)
    {
      warn (client, error);
      return;
    }
  g_ptr_array_add (client->decoders, decoder);
  say (client, _ ("receiving %s from %s (%s)"), convoke_remote_track_get_kind (track),
       convoke_remote_track_get_participant_identity (track),
       convoke_remote_track_get_participant_sid (track));
}

static void
on_track_removed (ConvokeClientSession *session, ConvokeRemoteTrack *track,
                  Client *client)
{
  ConvokeTrackStats *stats = convoke_client_stats_track (
      client->stats, convoke_remote_track_get_participant_sid (track),
      convoke_remote_track_get_participant_identity (track),
      convoke_remote_track_get_kind (track),
      convoke_remote_track_get_connection_created (track));

  convoke_client_stats_track_active (client->stats, stats, FALSE);
  for (guint i = 0; i < client->decoders->len; i++)
    {
      if (convoke_decoder_is_for (g_ptr_array_index (client->decoders, i), track))
        {
          /* The array's free function detaches it. */
          g_ptr_array_remove_index_fast (client->decoders, i);
          break;
        }
    }
  say (client, _ ("stopped receiving %s from %s (%s)"),
       convoke_remote_track_get_kind (track),
       convoke_remote_track_get_participant_identity (track),
       convoke_remote_track_get_participant_sid (track));
}

static void
on_warning (ConvokeClientSession *session, GError *error, Client *client)
{
  warn (client, error);
}

static void
on_error (ConvokeClientSession *session, GError *error, Client *client)
{
  g_printerr ("convoke-client: %s (%d)\n", error->message, error->code);
  convoke_client_stats_set_error (client->stats, error->code, error->message);
  client->exit_status = EXIT_FAILURE;
}

static void
on_closed (ConvokeClientSession *session, Client *client)
{
  convoke_client_stats_set_status (
      client->stats, client->exit_status == EXIT_SUCCESS ? "left" : "failed");
  g_main_loop_quit (client->loop);
}

/* ---- the pipeline ------------------------------------------------------ */

static gboolean
is_inside (GstObject *object, GstObject *ancestor)
{
  for (GstObject *o = object; o != NULL; o = GST_OBJECT_PARENT (o))
    if (o == ancestor)
      return TRUE;
  return FALSE;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  Client *client = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GstElement) video = NULL;
  g_autoptr (GstElement) audio = NULL;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  gst_message_parse_error (message, &error, &debug);
  path = gst_object_get_path_string (GST_MESSAGE_SRC (message));
  video = gst_bin_get_by_name (GST_BIN (client->pipeline), "video-source");
  audio = gst_bin_get_by_name (GST_BIN (client->pipeline), "audio-source");

  /* A broken local source ends the run; a failure inside one peer
   * connection or one decoder affects only that stream. */
  if ((video && is_inside (GST_MESSAGE_SRC (message), GST_OBJECT (video)))
      || (audio && is_inside (GST_MESSAGE_SRC (message), GST_OBJECT (audio))))
    {
      g_printerr (_ ("convoke-client: the media source failed: %s (%s)\n"),
                  error->message, path);
      convoke_client_stats_set_error (client->stats, CONVOKE_ERROR_TRACK_INVALID,
                                      error->message);
      client->exit_status = EXIT_FAILURE;
      stop (client);
    }
  else
    g_printerr (_ ("convoke-client: warning: %s (%s)\n"), error->message, path);
  return G_SOURCE_CONTINUE;
}

static gboolean
add_local_track (Client *client, const char *kind, const char *raw_source, GError **error)
{
  g_autoptr (GstCaps) caps = NULL;
  GstElement *source = convoke_client_media_make_source (kind, raw_source, &caps, error);

  if (source == NULL)
    return FALSE;
  return convoke_client_session_add_track (
      client->session, g_str_equal (kind, "video") ? "camera" : "microphone", kind,
      source, caps, error);
}

/* ICE on a loopback server only works from loopback candidates (libnice
 * pins host candidates to their interface), so a loopback URL implies
 * --ice-address 127.0.0.1. */
static char **
default_ice_addresses (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri ? g_uri_get_host (uri) : NULL;
  g_autoptr (GInetAddress) address = NULL;
  char *loopback[] = { (char *) "127.0.0.1", NULL };

  if (host == NULL)
    return NULL;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return g_strdupv (loopback);
  address = g_inet_address_new_from_string (host);
  if (address != NULL && g_inet_address_get_is_loopback (address))
    {
      char *own[] = { (char *) host, NULL };

      return g_strdupv (own);
    }
  return NULL;
}

/* ---- start-up ---------------------------------------------------------- */

static gboolean
parse_options (Client *client, int *argc, char ***argv, GError **error)
{
  const GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &client->url,
      /* Spelled out: xgettext cannot see through DEFAULT_URL. */
      N_ ("The server's base URL (default http://127.0.0.1:7880)"), N_ ("URL") },
    { "token", 0, 0, G_OPTION_ARG_STRING, &client->token,
      N_ ("An access token (JWT) to join with"), N_ ("TOKEN") },
    { "room", 0, 0, G_OPTION_ARG_STRING, &client->room,
      N_ ("The room's unique name or sid"), N_ ("NAME") },
    { "identity", 0, 0, G_OPTION_ARG_STRING, &client->identity,
      N_ ("Mint a token for this identity (needs --api-key and --api-secret)"),
      N_ ("IDENTITY") },
    { "api-key", 0, 0, G_OPTION_ARG_STRING, &client->api_key,
      N_ ("API key to mint the token with (default: $CONVOKE_API_KEY)"), N_ ("KEY") },
    { "api-secret", 0, 0, G_OPTION_ARG_STRING, &client->api_secret,
      N_ ("API secret to sign the token with (default: $CONVOKE_API_SECRET)"),
      N_ ("SECRET") },
    { "account-sid", 0, 0, G_OPTION_ARG_STRING, &client->account_sid,
      N_ ("Account sid for the token (default: $CONVOKE_ACCOUNT_SID)"), N_ ("SID") },
    { "token-ttl", 0, 0, G_OPTION_ARG_INT, &client->token_ttl,
      N_ ("Lifetime of a minted token (default 3600)"), N_ ("SECONDS") },
    { "video-source", 0, 0, G_OPTION_ARG_STRING, &client->video_source,
      N_ ("gst-launch fragment producing raw video (default: a 320x240 15 fps test "
          "pattern)"),
      N_ ("PIPELINE") },
    { "audio-source", 0, 0, G_OPTION_ARG_STRING, &client->audio_source,
      N_ ("gst-launch fragment producing raw audio (default: a test tone)"),
      N_ ("PIPELINE") },
    { "no-audio", 0, 0, G_OPTION_ARG_NONE, &client->no_audio, N_ ("Publish no audio"),
      NULL },
    { "no-video", 0, 0, G_OPTION_ARG_NONE, &client->no_video, N_ ("Publish no video"),
      NULL },
    { "stats-json", 0, 0, G_OPTION_ARG_FILENAME, &client->stats_path,
      N_ ("Write statistics to FILE every 0.5 s and at exit"), N_ ("FILE") },
    { "duration", 0, 0, G_OPTION_ARG_INT, &client->duration,
      N_ ("Leave after SECONDS (default: run until interrupted)"), N_ ("SECONDS") },
    { "latency", 0, 0, G_OPTION_ARG_INT, &client->latency_ms,
      N_ ("Jitter buffer latency in ms (default 200): long enough for a lost packet to "
          "come back, about the round trip + jitter + 50 ms"),
      N_ ("MS") },
    { "relay-only", 0, 0, G_OPTION_ARG_NONE, &client->relay_only,
      N_ ("Send media through TURN relays only"), NULL },
    { "no-trickle", 0, 0, G_OPTION_ARG_NONE, &client->no_trickle,
      N_ ("Put ICE candidates in the SDP instead of trickling them"), NULL },
    { "ice-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &client->ice_addresses,
      N_ ("Gather ICE candidates on ADDRESS only; repeatable (default: 127.0.0.1 for a "
          "loopback URL, else every interface)"),
      N_ ("ADDRESS") },
    { "data-track", 0, 0, G_OPTION_ARG_STRING, &client->data_track,
      N_ ("Publish a data track named NAME; messages others send on theirs are counted in "
          "--stats-json"),
      N_ ("NAME") },
    { "data-every", 0, 0, G_OPTION_ARG_INT, &client->data_every_ms,
      N_ ("Send “IDENTITY:N” (N = 0, 1, …) on the --data-track every MS ms once it is "
          "open"),
      N_ ("MS") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &client->quiet, N_ ("Print only errors"),
      NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &client->version, N_ ("Print the version"),
      NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = g_option_context_new (_ ("- join a Convoke room and exchange media"));

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (client->version)
    return TRUE;

  if (client->latency_ms < 0 || client->latency_ms > 10000)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--latency must be 0 to 10000 ms, not %d"), client->latency_ms);
      return FALSE;
    }
  if (client->data_every_ms != 0 && (client->data_track == NULL || client->data_every_ms < 10))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--data-every needs --data-track and at least 10 ms, not %d"),
                   client->data_every_ms);
      return FALSE;
    }
  if (client->url == NULL)
    client->url = g_strdup (DEFAULT_URL);
  if (client->api_key == NULL)
    client->api_key = g_strdup (g_getenv ("CONVOKE_API_KEY"));
  if (client->api_secret == NULL)
    client->api_secret = g_strdup (g_getenv ("CONVOKE_API_SECRET"));
  if (client->account_sid == NULL)
    client->account_sid = g_strdup (g_getenv ("CONVOKE_ACCOUNT_SID"));
  if (client->token == NULL && client->identity == NULL)
    {
      g_set_error_literal (
          error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
          _ ("give --token, or --identity with --api-key and --api-secret"));
      return FALSE;
    }
  if (client->token == NULL && (client->api_key == NULL || client->api_secret == NULL))
    {
      g_set_error (
          error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
          _ ("--identity %s needs --api-key and --api-secret (or $CONVOKE_API_KEY "
             "and $CONVOKE_API_SECRET) to mint a token"),
          client->identity);
      return FALSE;
    }
  if (client->token == NULL && client->account_sid == NULL)
    {
      g_set_error (
          error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
          _ ("--identity %s needs --account-sid (or $CONVOKE_ACCOUNT_SID): a token "
             "names the account it belongs to"),
          client->identity);
      return FALSE;
    }
  if (client->duration < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--duration %d: must be 0 or more seconds"), client->duration);
      return FALSE;
    }
  if (client->token_ttl <= 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--token-ttl %d: must be 1 or more seconds"), client->token_ttl);
      return FALSE;
    }
  if (client->ice_addresses == NULL)
    client->ice_addresses = default_ice_addresses (client->url);
  return TRUE;
}

/* Text as it came; binary messages as their size. */
static void
on_data_message (ConvokeClientSession *session, const char *participant, const char *label,
                 GBytes *data, gboolean binary, Client *client)
{
  g_autofree char *text
      = binary ? g_strdup_printf ("(%" G_GSIZE_FORMAT " bytes)", g_bytes_get_size (data))
               : g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data));

  convoke_client_stats_data_message (client->stats, participant, label, text);
}

/* --data-every: the next numbered message, once a channel is open. */
static gboolean
on_data_timer (gpointer user_data)
{
  Client *client = user_data;
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = NULL;

  if (client->session == NULL || client->stopping)
    return G_SOURCE_CONTINUE;
  text = g_strdup_printf ("%s:%" G_GUINT64_FORMAT,
                          convoke_client_session_get_identity (client->session)
                              ? convoke_client_session_get_identity (client->session)
                              : "",
                          client->data_sent);
  bytes = g_bytes_new (text, strlen (text));
  if (convoke_client_session_send_data (client->session, client->data_track, bytes, FALSE,
                                        NULL))
    client->data_sent++;
  return G_SOURCE_CONTINUE;
}

static gboolean
start (Client *client, GError **error)
{
  g_autoptr (GstBus) bus = NULL;
  g_autofree char *token = NULL;
  g_autoptr (GError) srtp_error = NULL;

  /* This process owns its SRTP sessions, so it may swap libsrtp2's crypto
   * for all of them (the convokesrc/convokesink elements, living in
   * someone else's process, leave that choice to the application). */
  if (!convoke_srtp_use_openssl (&srtp_error))
    g_printerr ("convoke-client: %s\n", srtp_error->message);
  client->pipeline = GST_PIPELINE (gst_pipeline_new ("convoke-client"));
  bus = gst_pipeline_get_bus (client->pipeline);
  gst_bus_add_watch (bus, on_bus_message, client);

  client->session = convoke_client_session_new (GST_BIN (client->pipeline));
  g_object_set (client->session, "trickle", !client->no_trickle, "relay-only",
                client->relay_only, "local-addresses", client->ice_addresses, "latency",
                (guint) client->latency_ms, NULL);
  g_signal_connect (client->session, "joined", G_CALLBACK (on_joined), client);
  g_signal_connect (client->session, "participant-connected",
                    G_CALLBACK (on_participant_connected), client);
  g_signal_connect (client->session, "participant-disconnected",
                    G_CALLBACK (on_participant_disconnected), client);
  g_signal_connect (client->session, "track-added", G_CALLBACK (on_track_added), client);
  g_signal_connect (client->session, "track-removed", G_CALLBACK (on_track_removed),
                    client);
  g_signal_connect (client->session, "data-message", G_CALLBACK (on_data_message), client);
  g_signal_connect (client->session, "warning", G_CALLBACK (on_warning), client);
  g_signal_connect (client->session, "error", G_CALLBACK (on_error), client);
  if (client->data_track != NULL
      && !convoke_client_session_add_data_track (client->session, client->data_track, error))
    return FALSE;
  g_signal_connect (client->session, "closed", G_CALLBACK (on_closed), client);

  if (!client->no_video
      && !add_local_track (client, "video",
                           client->video_source ? client->video_source
                                                : CONVOKE_CLIENT_DEFAULT_VIDEO_SOURCE,
                           error))
    return FALSE;
  if (!client->no_audio
      && !add_local_track (client, "audio",
                           client->audio_source ? client->audio_source
                                                : CONVOKE_CLIENT_DEFAULT_AUDIO_SOURCE,
                           error))
    return FALSE;
  if (gst_element_set_state (GST_ELEMENT (client->pipeline), GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error_literal (
          error, CONVOKE_ERROR, CONVOKE_ERROR_TRACK_INVALID,
          _ ("the media pipeline does not start; check --video-source and "
             "--audio-source"));
      return FALSE;
    }

  if (client->token != NULL)
    token = g_strdup (client->token);
  else
    token = convoke_access_token_create (client->api_key, client->api_secret,
                                         client->account_sid, client->identity,
                                         client->room, (guint) client->token_ttl);
  return convoke_client_session_connect (client->session, client->url, token,
                                         client->room, error);
}

static void
client_clear (Client *client)
{
  if (client->pipeline != NULL)
    gst_element_set_state (GST_ELEMENT (client->pipeline), GST_STATE_NULL);
  g_clear_pointer (&client->decoders, g_ptr_array_unref);
  g_clear_object (&client->session);
  if (client->pipeline != NULL)
    {
      g_autoptr (GstBus) bus = gst_pipeline_get_bus (client->pipeline);

      gst_bus_remove_watch (bus);
    }
  gst_clear_object (&client->pipeline);
  g_clear_pointer (&client->stats, convoke_client_stats_free);
  g_clear_pointer (&client->loop, g_main_loop_unref);
  g_free (client->url);
  g_free (client->token);
  g_free (client->room);
  g_free (client->identity);
  g_free (client->api_key);
  g_free (client->api_secret);
  g_free (client->account_sid);
  g_free (client->video_source);
  g_free (client->audio_source);
  g_free (client->stats_path);
  g_strfreev (client->ice_addresses);
  g_free (client->data_track);
}

int
main (int argc, char **argv)
{
  Client client = { .token_ttl = DEFAULT_TOKEN_TTL,
                    .latency_ms = CONVOKE_CLIENT_DEFAULT_LATENCY_MS,
                    .exit_status = EXIT_SUCCESS };
  g_autoptr (GError) error = NULL;

  convoke_i18n_init ();
  if (!parse_options (&client, &argc, &argv, &error))
    {
      g_printerr ("convoke-client: %s\n", error->message);
      client_clear (&client);
      return EXIT_USAGE;
    }
  if (client.version)
    {
      printf ("convoke-client %s\n", PACKAGE_VERSION);
      client_clear (&client);
      return EXIT_SUCCESS;
    }

  client.loop = g_main_loop_new (NULL, FALSE);
  client.stats = convoke_client_stats_new ();
  /* A stats file that cannot be written is a usage error, found now
   * rather than every half second later. */
  if (client.stats_path != NULL
      && !convoke_client_stats_write (client.stats, client.stats_path, &error))
    {
      g_printerr (_ ("convoke-client: --stats-json: %s\n"), error->message);
      client_clear (&client);
      return EXIT_USAGE;
    }
  client.decoders
      = g_ptr_array_new_with_free_func ((GDestroyNotify) convoke_decoder_detach);
  g_unix_signal_add (SIGINT, on_unix_signal, &client);
  g_unix_signal_add (SIGTERM, on_unix_signal, &client);

  if (!start (&client, &error))
    {
      g_printerr ("convoke-client: %s\n", error->message);
      convoke_client_stats_set_status (client.stats, "failed");
      convoke_client_stats_set_error (client.stats, error->code, error->message);
      write_stats (&client);
      client_clear (&client);
      return EXIT_FAILURE;
    }
  if (client.stats_path != NULL)
    g_timeout_add (STATS_INTERVAL_MS, on_stats_timer, &client);
  if (client.duration > 0)
    g_timeout_add_seconds (client.duration, on_duration_elapsed, &client);
  if (client.data_track != NULL && client.data_every_ms > 0)
    g_timeout_add (client.data_every_ms, on_data_timer, &client);

  g_main_loop_run (client.loop);

  write_stats (&client);
  client_clear (&client);
  return client.exit_status;
}
