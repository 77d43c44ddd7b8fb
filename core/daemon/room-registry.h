/* The daemon's room state: every room (in progress and ended) and every
 * participant that ever joined one. Single-threaded: only the main loop
 * touches it.
 *
 * REST, signaling, status callbacks and metrics all work through this API.
 * The registry emits GObject signals on every state change so that status
 * callbacks and metrics need no hooks inside the room logic.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "config-file.h"
#include "module-loader.h"

G_BEGIN_DECLS

typedef enum
{
  CONVOKE_ROOM_IN_PROGRESS,
  CONVOKE_ROOM_COMPLETED,
  CONVOKE_ROOM_FAILED,
} ConvokeRoomStatus;

typedef enum
{
  CONVOKE_PARTICIPANT_CONNECTED,
  CONVOKE_PARTICIPANT_DISCONNECTED,
} ConvokeParticipantStatus;

typedef struct _ConvokeRoom ConvokeRoom;
typedef struct _ConvokeParticipant ConvokeParticipant;
typedef struct _ConvokeTrack ConvokeTrack;
/* A room's media worker process (worker-supervisor.h). */
typedef struct _ConvokeWorkerHandle ConvokeWorkerHandle;

/* How the core reaches a participant's signaling connection. The
 * signaling server implements it; tests can implement it too. */
typedef struct
{
  void (*send) (gpointer transport, JsonObject *message);
  /* Close the connection after sending an error with @code/@reason. */
  void (*close) (gpointer transport, int code, const char *reason);
  /* The client's `trickle` flag from `join`; may be NULL (TRUE). */
  gboolean (*get_trickle) (gpointer transport);
  /* Whether the client takes m-lines that go inactive and come back with
   * other media (ConvokeCoreApi.participant_get_reuses_mlines); may be
   * NULL (FALSE). */
  gboolean (*get_reuses_mlines) (gpointer transport);
  /* An opt-in flag from `join` (ConvokeCoreApi.participant_get_join_flag);
   * may be NULL (FALSE). */
  gboolean (*get_join_flag) (gpointer transport, const char *feature);
} ConvokeParticipantTransport;

struct _ConvokeTrack
{
  char *sid;            /* MT + 32 hex */
  char *name;
  char *kind;           /* "audio", "video" or "data" */
  gboolean enabled;
  GDateTime *date_created;
  /* The client's own id for it: the a=msid track id of the m-line it
   * sends it on (the SDK's track id; convoke.js's MediaStreamTrack id), or
   * NULL when the client did not say. */
  char *client_id;
};

struct _ConvokeParticipant
{
  gatomicrefcount ref;
  char *sid;            /* PA + 32 hex */
  char *identity;
  ConvokeRoom *room;    /* weak: rooms outlive their participants */
  ConvokeParticipantStatus status;
  GDateTime *start_time;
  GDateTime *end_time;  /* NULL while connected */
  GDateTime *date_updated;
  GPtrArray *published_tracks; /* ConvokeTrack* */
  GPtrArray *subscriptions; /* ConvokeSubscription* (room-participants.h) */

  const ConvokeParticipantTransport *transport_vtable;
  gpointer transport;   /* NULL once disconnected */
};

struct _ConvokeRoom
{
  gatomicrefcount ref;
  char *sid;            /* RM + 32 hex */
  char *unique_name;
  ConvokeRoomType *type;        /* the type the room runs with */
  char *pending_type;           /* a reload changed [room:NAME] type=; applies next start */
  const ConvokeLoadedModule *module;
  gpointer module_data;
  ConvokeRoomStatus status;
  char *failure_reason;         /* set when status is FAILED */
  guint max_participants;
  guint empty_room_timeout;     /* minutes */
  guint unused_room_timeout;    /* minutes */
  gboolean record_participants_on_connect;
  char *status_callback;        /* URL or NULL */
  char *status_callback_method; /* "POST" or "GET" */
  GDateTime *date_created;
  GDateTime *date_updated;
  GDateTime *end_time;
  gboolean ever_joined;
  guint timeout_source;         /* empty/unused room timer */
  guint64 callback_sequence;    /* SequenceNumber of status callbacks */
  GPtrArray *participants;      /* every participant ever, in join order */
  ConvokeWorkerHandle *worker;  /* NULL when none */
  struct _ConvokeRoomRegistry *registry;
};

#define CONVOKE_TYPE_ROOM_REGISTRY (convoke_room_registry_get_type ())
G_DECLARE_FINAL_TYPE (ConvokeRoomRegistry, convoke_room_registry, CONVOKE, ROOM_REGISTRY,
                      GObject)

/* Signals (all run on the main loop):
 *   "room-created"             (ConvokeRoom *room)
 *   "room-ended"               (ConvokeRoom *room)   completed or failed
 *   "participant-connected"    (ConvokeParticipant *participant)
 *   "participant-disconnected" (ConvokeParticipant *participant)
 *   "track-added"              (ConvokeParticipant *participant, ConvokeTrack *track)
 *   "track-removed"            (ConvokeParticipant *participant, ConvokeTrack *track)
 *   "track-updated"            (ConvokeParticipant *participant, ConvokeTrack *track)
 *                              the track was enabled or disabled (muted)
 *   "subscriptions-changed"    (ConvokeParticipant *subscriber)
 *                              what the subscriber receives changed
 */

ConvokeRoomRegistry *convoke_room_registry_new (ConvokeConfig *config,
                                                ConvokeModuleSet *modules);

/* Swaps in a reloaded config. Rooms in progress keep their type; a named
 * room whose configured type changed gets pending_type set. */
void convoke_room_registry_set_config (ConvokeRoomRegistry *self, ConvokeConfig *config);
ConvokeConfig *convoke_room_registry_get_config (ConvokeRoomRegistry *self);
/* The warm worker pool new rooms take their worker from (worker-pool.h);
 * borrowed, NULL (the default) starts every worker cold. */
struct _ConvokeWorkerPool;
void convoke_room_registry_set_worker_pool (ConvokeRoomRegistry *self,
                                            struct _ConvokeWorkerPool *pool);
struct _ConvokeWorkerPool *convoke_room_registry_get_worker_pool (ConvokeRoomRegistry *self);

typedef struct
{
  const char *unique_name;    /* NULL: the room's sid is used */
  const char *type;           /* NULL: named room's configured type, else default-type */
  gint max_participants;      /* <0: the type's limit */
  gint empty_room_timeout;    /* <0: config default (minutes) */
  gint unused_room_timeout;   /* <0: config default (minutes) */
  gboolean record_participants_on_connect;
  gboolean record_set;        /* FALSE: the type's recording= decides */
  const char *status_callback;
  const char *status_callback_method;
  /* NULL: a new one. Cluster mode (cluster.h) claims the room's name in
   * Redis under its sid before the room exists. */
  const char *sid;
} ConvokeRoomCreateParams;

#define CONVOKE_ROOM_CREATE_PARAMS_INIT                                          \
  { NULL, NULL, -1, -1, -1, FALSE, FALSE, NULL, NULL, NULL }

/* Creates a room. Errors (CONVOKE_ERROR): 53113 exists, 53108 unknown type,
 * 53107 max participants out of range, 53117 recording not supported. */
ConvokeRoom *convoke_room_registry_create_room (ConvokeRoomRegistry *self,
                                                const ConvokeRoomCreateParams *params,
                                                GError **error);

/* An in-progress room by sid or unique name, or any room by sid. */
ConvokeRoom *convoke_room_registry_lookup (ConvokeRoomRegistry *self, const char *sid_or_name);

/* Rooms newest first, filtered; either filter may be NULL. */
GPtrArray *convoke_room_registry_list (ConvokeRoomRegistry *self, const char *status,
                                       const char *unique_name);

/* Ends the room: disconnects everyone, stops its worker.
 * @status is COMPLETED or FAILED (with @reason). */
void convoke_room_registry_end_room (ConvokeRoomRegistry *self, ConvokeRoom *room,
                                     ConvokeRoomStatus status, const char *reason);

/* Adds a connected participant after the token was checked. Creates the
 * room when the name is a named room or auto-create is on. Enforces
 * max-participants (53105), duplicate identity (the older one is
 * disconnected with 53205, as Twilio does) and the module's admit(). */
ConvokeParticipant *convoke_room_registry_join (ConvokeRoomRegistry *self,
                                                const char *room_name,
                                                const char *identity,
                                                const ConvokeParticipantTransport *vtable,
                                                gpointer transport, GError **error);

/* The participant left or its connection dropped. Idempotent. */
void convoke_room_registry_leave (ConvokeRoomRegistry *self, ConvokeParticipant *participant);

/* Kick through REST: closes the connection with 53216, then leaves. */
void convoke_room_registry_kick (ConvokeRoomRegistry *self, ConvokeParticipant *participant);

ConvokeParticipant *convoke_room_find_participant (ConvokeRoom *room, const char *sid_or_identity,
                                                   gboolean connected_only);
guint convoke_room_count_connected (ConvokeRoom *room);

/* A message from a participant that the core did not handle: goes to the
 * room's module. */
gboolean convoke_room_registry_dispatch (ConvokeRoomRegistry *self,
                                         ConvokeParticipant *from, const char *type,
                                         JsonObject *message, GError **error);

/* Track bookkeeping (track-published / track-unpublished notices). */
ConvokeTrack *convoke_participant_add_track (ConvokeParticipant *participant,
                                             const char *name, const char *kind);
/* The same, with the client's own id for the track (ConvokeTrack.client_id),
 * known before anyone is told of it. */
ConvokeTrack *convoke_participant_add_client_track (ConvokeParticipant *participant,
                                                    const char *name, const char *kind,
                                                    const char *client_id);
gboolean convoke_participant_remove_track (ConvokeParticipant *participant,
                                           const char *track_sid);
/* Enables or disables (mutes) one of the participant's tracks; emits
 * "track-updated" when that changed something. */
void convoke_participant_set_track_enabled (ConvokeParticipant *participant,
                                            ConvokeTrack *track, gboolean enabled);

const char *convoke_room_status_to_string (ConvokeRoomStatus status);
const char *convoke_participant_status_to_string (ConvokeParticipantStatus status);

ConvokeRoom *convoke_room_ref (ConvokeRoom *room);
void convoke_room_unref (ConvokeRoom *room);
ConvokeParticipant *convoke_participant_ref (ConvokeParticipant *participant);
void convoke_participant_unref (ConvokeParticipant *participant);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeRoom, convoke_room_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeParticipant, convoke_participant_unref)

void convoke_participant_send (ConvokeParticipant *participant, JsonObject *message);
void convoke_participant_send_error (ConvokeParticipant *participant, int code,
                                     const char *message);

G_END_DECLS
