/* One benchmark run of convoke-load: R rooms, each with P publishers
 * (audio + video, and receiving everyone else) and S subscribers
 * (receiving only), driven against one server through a LoadDriver
 * (Convoke's signaling protocol, or Janus VideoRoom's API).
 *
 * Everything here runs on the default main context.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sys/types.h>

#include "load-clip.h"
#include "load-peer.h"
#include "load-sender.h"

G_BEGIN_DECLS

typedef struct
{
  char *server; /* "convoke" or "janus" */
  char *url;    /* convoke: http://HOST:PORT; janus: ws://HOST:PORT */
  char *api_key, *api_secret, *account_sid; /* convoke */
  char *room_type;                          /* convoke */
  char *ice_address;
  int rooms, publishers, subscribers;
  int join_interval_ms;
  int setup_timeout_s, warmup_s, duration_s;
  int server_pid;
  char *label;
  char *json_path;
  char *clip_path;
  char *ready_path;
  char *command;         /* the command line, for the report */
  int room_start;        /* convoke: measure the start of this many rooms instead */
  gboolean dtls_passive; /* answer a=setup:passive */
} LoadOptions;

typedef struct _LoadRun LoadRun;
typedef struct _LoadParticipant LoadParticipant;

struct _LoadParticipant
{
  LoadRun *run;
  guint room, index;
  gboolean publisher;
  char *name;
  char *server_id;     /* Convoke participant sid, Janus feed id */
  LoadPeer *peer;      /* Convoke: the only one; Janus: the publishing one */
  LoadPeer *recv_peer; /* Janus: the subscribing one */
  gint64 join_us;      /* first message: Convoke join, Janus create */
  gint64 recv_join_us; /* Janus: subscriber join sent; Convoke: join_us */
  /* Set-up milestones of the (first) receiving peer connection, for the
   * report's timeline: the server's offer (Janus: its SDP) arrived, our
   * answer went out, DTLS keys were set. */
  gint64 offer_us, answer_us, connected_us;
  GHashTable *mid_sources; /* Janus: subscriber mid → feed id */
  guint expected_streams;
  gboolean left;
  gpointer driver_data;
  GDestroyNotify driver_data_free;
};

typedef struct
{
  const char *name;
  /* Before any participant: rooms. Spins the main context itself. */
  gboolean (*prepare) (LoadRun *run, GError **error);
  void (*start_participant) (LoadRun *run, LoadParticipant *participant);
  /* Leaves; the participant's peers are freed by the run afterwards. */
  void (*stop_participant) (LoadRun *run, LoadParticipant *participant);
  /* After every participant left: ends rooms. Spins the main context. */
  void (*finish) (LoadRun *run);
  /* The server processes whose CPU and memory are measured, each with a
   * role ("daemon", "worker", "janus"). */
  void (*server_processes) (LoadRun *run, GArray *pids, GPtrArray *roles);
} LoadDriver;

struct _LoadRun
{
  const LoadOptions *options;
  const LoadDriver *driver;
  gpointer driver_data;
  LoadClip *clip;
  LoadSender *sender;
  SoupSession *session;
  char *run_id;
  GPtrArray *participants; /* LoadParticipant* */
  GPtrArray *room_names;   /* char*, one per room */
  GPtrArray *peer_hooks;   /* callbacks of every peer, freed with the run */
  GPtrArray *errors;       /* char*: what failed, first ones */
  guint error_count;
};

extern const LoadDriver load_convoke_driver;
extern const LoadDriver load_janus_driver;

/* Spins the default main context until @done(@data) or @timeout_ms. */
gboolean load_run_wait (gboolean (*done) (gpointer), gpointer data, guint timeout_ms);
void load_run_sleep (guint ms);

/* Records a failure (logged; the first ones are kept for the report). */
void load_run_error (LoadRun *run, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Creates a peer for @participant with the run's sender and ICE address;
 * @connected runs once DTLS is up. Failures are recorded. */
LoadPeer *load_run_new_peer (LoadRun *run, LoadParticipant *participant,
                             const char *suffix, void (*gathered) (LoadPeer *, gpointer),
                             void (*connected) (LoadPeer *, gpointer));

/* JSON over a WebSocket: sends @object as one text frame. */
void load_ws_send (SoupWebsocketConnection *connection, JsonObject *object);
/* The message's JSON object, or NULL (the error is recorded). */
JsonObject *load_ws_parse (LoadRun *run, const char *who, GBytes *message);

/* The room start benchmark (convoke only). */
int load_room_start_main (LoadRun *run);

G_END_DECLS
