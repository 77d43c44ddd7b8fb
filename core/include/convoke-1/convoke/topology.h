/* Convoke topology module API, version 1.
 *
 * A topology module decides how media flows in the rooms of the types that
 * the config gives it: who may join, what happens to the signaling
 * messages participants send, and whether the room needs a media worker
 * process (and, inside that worker, which GStreamer pipeline it runs).
 *
 * A module is a shared object that exports one function,
 * convoke_topology_module_entry(), returning a ConvokeTopologyModule.
 * Fill the descriptor with CONVOKE_TOPOLOGY_MODULE_INIT() so that fields
 * added by later minor versions stay zeroed and the module keeps working.
 *
 * The module never links against the daemon: everything it may ask of the
 * core comes through the ConvokeCoreApi table handed to module_init(), and,
 * inside a worker process, the ConvokeWorkerApi table handed to
 * worker_setup().
 *
 * All callbacks run on the daemon's (or worker's) main thread.
 *
 * Versioning: abi_version and struct_size are the first two fields of every
 * table here and stay there forever, so that either side can check them
 * before reading anything else. A change that moves, removes or retypes a
 * field bumps CONVOKE_TOPOLOGY_ABI_VERSION, and the loader then refuses
 * older modules. A compatible addition keeps the ABI version: a module
 * callback takes one of the reserved[] slots (a module that leaves it NULL
 * keeps working), a core function is appended to ConvokeCoreApi (check it
 * with CONVOKE_CORE_API_HAS() before calling it).
 *
 * Objects passed to callbacks (rooms, participants, JsonObjects) are
 * borrowed: valid for the duration of the call unless said otherwise. Keep
 * a room or participant pointer only between the callbacks that announce
 * its arrival and its departure (room_create/room_destroy,
 * participant_joined/participant_left).
 *
 * See docs/writing-a-topology-module.md and modules/example/.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <gst/gst.h>
#include <gmodule.h>

G_BEGIN_DECLS

/* Bumped when a change breaks modules built against an older header.
 * The loader refuses a module whose abi_version differs. */
#define CONVOKE_TOPOLOGY_ABI_VERSION 1

/* The symbol every module exports. */
#define CONVOKE_TOPOLOGY_ENTRY_SYMBOL "convoke_topology_module_entry"

typedef struct _ConvokeRoom ConvokeRoom;               /* opaque, owned by the core */
typedef struct _ConvokeParticipant ConvokeParticipant; /* opaque, owned by the core */
typedef struct _ConvokeWorker ConvokeWorker;           /* opaque, inside a worker */

/* Error domain for module refusals. The code is a Twilio error code
 * (e.g. 53105 "room full") that is passed on to the participant. It is the
 * same quark as the core's own error domain and as core->error_quark(). */
#define CONVOKE_TOPOLOGY_ERROR (convoke_topology_error_quark_from_core ())

/* What the daemon offers a module. Every function may be called only from
 * the main thread. Strings returned are owned by the core and live as long
 * as the object they describe. */
typedef struct
{
  guint32 abi_version;
  guint32 struct_size;

  /* Rooms */
  const char *(*room_get_sid) (ConvokeRoom *room);
  /* The room's UniqueName (its sid when it was created without one). */
  const char *(*room_get_name) (ConvokeRoom *room);
  /* The [type:NAME] the room was created with; config reloads do not
   * change it for a room in progress. */
  const char *(*room_get_type) (ConvokeRoom *room);
  guint (*room_get_max_participants) (ConvokeRoom *room);
  /* A per-type option from the config's [type:NAME] group, or NULL. */
  const char *(*room_get_option) (ConvokeRoom *room, const char *key);
  /* Connected participants, in join order. Free the list (not the items)
   * with g_list_free(). */
  GList *(*room_list_participants) (ConvokeRoom *room);
  /* A connected participant by sid (never by identity), or NULL. */
  ConvokeParticipant *(*room_find_participant) (ConvokeRoom *room, const char *sid);

  /* Participants */
  const char *(*participant_get_sid) (ConvokeParticipant *participant);
  const char *(*participant_get_identity) (ConvokeParticipant *participant);
  /* Sends one signaling message to the participant. The core adds nothing
   * to the object except where docs/signaling.md says so. @message stays
   * the caller's; the core serialises it before returning. Sending to a
   * participant that has left does nothing. */
  void (*participant_send) (ConvokeParticipant *participant, JsonObject *message);
  /* Sends an `error` message carrying a Twilio code. */
  void (*participant_send_error) (ConvokeParticipant *participant, int code,
                                  const char *message);
  /* Disconnects the participant with a Twilio code and reason: the
   * participant leaves (participant_left() runs before this returns), then
   * gets an `error` message and its connection is closed. Not for use in
   * participant_admit(): refuse there instead. */
  void (*participant_disconnect) (ConvokeParticipant *participant, int code,
                                  const char *reason);

  /* Media worker (only for modules with needs_media_worker). The message is
   * delivered to the module's worker_handle_message() in the room's worker
   * process. Returns FALSE with @error set (53119) when the room has no
   * running worker. */
  gboolean (*worker_send) (ConvokeRoom *room, JsonObject *message, GError **error);

  /* The error domain for refusals (CONVOKE_TOPOLOGY_ERROR). */
  GQuark (*error_quark) (void);

  /* Later compatible additions go here, after every v1 member. Check each
   * with CONVOKE_CORE_API_HAS() before calling it. */

  /* Since 1.1. The `trickle` flag the participant's client sent in `join`
   * (docs/signaling.md): FALSE for a client that wants every candidate
   * inside the SDP. TRUE for participants that did not join over
   * signaling, and once the participant has left. */
  gboolean (*participant_get_trickle) (ConvokeParticipant *participant);
  /* Since 1.1. Publishes a track on the participant's behalf, for media
   * the module learns of by itself (an SFU seeing the participant's RTP)
   * when the client does not announce it with `track-published`. It is
   * listed by REST (PublishedTracks), reported to status callbacks
   * (track-added) and announced to the other participants
   * (`track-published`), like an announced one. @kind is "audio", "video"
   * or "data"; @name may be NULL (the track is then named by its sid).
   * Returns the new track's sid, valid until the track is unpublished or
   * the participant leaves; NULL when nothing was published: the
   * participant is not connected, @kind or @name is not valid (@name must
   * differ from the participant's other tracks'), or the participant
   * already publishes a track of @kind, announced or not, so the same
   * media is never listed twice. */
  const char *(*participant_publish_track) (ConvokeParticipant *participant,
                                            const char *name, const char *kind);
  /* Since 1.1. Unpublishes one of the participant's tracks, by sid (the
   * other participants get `track-unpublished`). FALSE when it has no
   * such track. Tracks are unpublished by themselves when the participant
   * leaves. */
  gboolean (*participant_unpublish_track) (ConvokeParticipant *participant,
                                           const char *track_sid);

  /* Since 1.2. Records that @subscriber now receives @publisher's media
   * of @kind ("audio", "video" or "data"): a module that forwards media
   * (an SFU) calls it once the subscriber's peer connection has accepted
   * the m-line that carries it. REST lists the subscription
   * (…/SubscribedTracks) as the publisher's track of @kind (the earliest
   * published, when it has several) whenever it has one, so the module
   * need not know track sids, and media whose track is published only
   * later (see participant_publish_track) is listed from then on.
   * Returns TRUE when the subscription exists (also when it already
   * did); FALSE when nothing was recorded: either participant is not
   * connected, they are the same participant or in different rooms, or
   * @kind is not valid. The core drops a participant's subscriptions
   * when it leaves, and everyone's subscriptions to it as a publisher. */
  gboolean (*participant_subscribe_track) (ConvokeParticipant *subscriber,
                                           ConvokeParticipant *publisher,
                                           const char *kind);
  /* Since 1.2. Ends what participant_subscribe_track() recorded: the
   * subscriber no longer receives that media. FALSE when there was no
   * such subscription. */
  gboolean (*participant_unsubscribe_track) (ConvokeParticipant *subscriber,
                                             ConvokeParticipant *publisher,
                                             const char *kind);

  /* Since 1.3. Whether the participant's client can take a re-offer in
   * which an m-line goes inactive and later carries other media under a
   * new a=msid (browsers can; GStreamer 1.22's webrtcbin cannot change an
   * m-line's direction). A module that reuses the m-lines of departed
   * publishers may do so for this participant only. FALSE when the client
   * did not say, and once the participant has left. */
  gboolean (*participant_get_reuses_mlines) (ConvokeParticipant *participant);

  /* Since 1.4. Whether the participant's client opted in to @feature with
   * `"FEATURE": true` in its `join`: "dominant_speaker" or
   * "network_quality" (docs/signaling.md). FALSE for other names, when
   * the client did not say, for participants that did not join over
   * signaling, and once the participant has left. */
  gboolean (*participant_get_join_flag) (ConvokeParticipant *participant,
                                         const char *feature);
} ConvokeCoreApi;

/* TRUE when @core is recent enough to have @member (a function added after
 * ABI 1.0). Every member up to error_quark is always present. */
#define CONVOKE_CORE_API_HAS(core, member)                                               \
  ((core)->struct_size >= G_STRUCT_OFFSET (ConvokeCoreApi, member) + sizeof ((core)->member))

/* What a worker process offers the module running inside it. */
typedef struct
{
  guint32 abi_version;
  guint32 struct_size;

  const char *(*worker_get_room_sid) (ConvokeWorker *worker);
  /* A worker option (docs/worker-protocol.md), NULL when unset. Some
   * change while the worker runs (fresh TURN credentials arrive in a
   * `set-options` control message), so read an option when you need it
   * and copy what you keep: the string is valid only until the worker's
   * main loop runs again. */
  const char *(*worker_get_option) (ConvokeWorker *worker, const char *key);
  /* Sends a message to the module's worker_event() in the daemon. */
  void (*worker_send_event) (ConvokeWorker *worker, JsonObject *event);
  /* Ends the worker: the room is marked failed with @reason. */
  void (*worker_fail) (ConvokeWorker *worker, const char *reason);
} ConvokeWorkerApi;

typedef struct
{
  /* Must be CONVOKE_TOPOLOGY_ABI_VERSION; set by CONVOKE_TOPOLOGY_MODULE_INIT. */
  guint32 abi_version;
  /* sizeof (ConvokeTopologyModule) as the module saw it; the loader refuses
   * a descriptor smaller than ABI 1's. */
  guint32 struct_size;

  /* Short name used by `[type:NAME] module=`; must match the file name
   * (libconvoke-topology-NAME.so). */
  const char *name;
  const char *description;
  /* What a client must build: "mesh" (one peer connection per remote
   * participant) or "sfu" (one peer connection to the media server). */
  const char *client_topology;
  /* TRUE when each room needs its own convoke-room-worker process. */
  gboolean needs_media_worker;

  /* Daemon side. Only module_init and room_create are required (and
   * worker_setup when needs_media_worker is TRUE); every other callback may
   * be NULL.
   *
   * module_init runs once, when the daemon loads the module; keep @core.
   * Returning FALSE (with @error) refuses the module: the daemon logs it
   * and room types using it cannot be created. module_shutdown runs once
   * when the daemon exits, after every room of the module was destroyed. */
  gboolean (*module_init) (const ConvokeCoreApi *core, GError **error);
  void (*module_shutdown) (void);

  /* A room of one of the module's types was created (REST or auto-create).
   * Store per-room state in *@room_data. Returning FALSE (with @error in
   * CONVOKE_TOPOLOGY_ERROR) refuses the room and its creator gets the
   * error. room_destroy runs when the room ends, after participant_left()
   * for everyone still in it. */
  gboolean (*room_create) (ConvokeRoom *room, gpointer *room_data, GError **error);
  void (*room_destroy) (ConvokeRoom *room, gpointer room_data);

  /* Admit or refuse a participant. Set @error in CONVOKE_TOPOLOGY_ERROR
   * with a Twilio code and return FALSE to refuse. The core has already
   * checked the token and max-participants. */
  gboolean (*participant_admit) (ConvokeRoom *room, gpointer room_data,
                                 ConvokeParticipant *participant, GError **error);
  void (*participant_joined) (ConvokeRoom *room, gpointer room_data,
                              ConvokeParticipant *participant);
  void (*participant_left) (ConvokeRoom *room, gpointer room_data,
                            ConvokeParticipant *participant);

  /* A signaling message the core does not handle itself (offer, answer,
   * candidate, and any type the module defines). Return FALSE with @error
   * (a Twilio code in CONVOKE_TOPOLOGY_ERROR) to have the core send an
   * `error` message to the sender only. When handle_message is NULL such
   * messages get error 53004. */
  gboolean (*handle_message) (ConvokeRoom *room, gpointer room_data,
                              ConvokeParticipant *from, const char *type,
                              JsonObject *message, GError **error);

  /* An event the room's worker sent with worker_send_event(). */
  void (*worker_event) (ConvokeRoom *room, gpointer room_data, JsonObject *event);
  /* The worker exited or crashed; the core marks the room failed next. */
  void (*worker_lost) (ConvokeRoom *room, gpointer room_data, const char *reason);

  /* Worker side: called inside convoke-room-worker. */
  gboolean (*worker_setup) (ConvokeWorker *worker, const ConvokeWorkerApi *api,
                            GstPipeline *pipeline, gpointer *worker_data,
                            GError **error);
  void (*worker_handle_message) (ConvokeWorker *worker, gpointer worker_data,
                                 JsonObject *message);
  void (*worker_teardown) (ConvokeWorker *worker, gpointer worker_data);

  /* Worker side, optional (since 1.1, in the first reserved slot): called
   * once in a pooled worker, before it has a room, so neither options nor
   * a room sid exist yet. Load here what every room's first participant
   * would otherwise wait for (GStreamer plugins, process-wide caches that
   * need nothing of the room). Leave no element, thread
   * or room state behind: the room's worker_setup() comes later, after
   * `assign`. */
  void (*worker_warm_up) (void);

  /* Worker side, optional (since 1.2, in the second reserved slot): the
   * GStreamer plugins the worker half makes elements from, by plugin name
   * (the "Plugin Details: Name" of gst-inspect-1.0, such as "nice" or
   * "coreelements"), NULL-terminated; elements that those make inside
   * themselves count too. When set, the daemon starts the module's
   * workers with GST_PLUGIN_LOADING_WHITELIST naming them, and a registry
   * cache of their own: GStreamer then keeps only these plugins' features
   * in memory (about 1 MiB less heap per worker with Debian's plugin set)
   * and gst_init() reads less. An element of a plugin left out cannot be
   * made in the worker. NULL: every installed plugin, as before. */
  const char *const *worker_plugins;

  /* Room for later minor versions; keep zeroed. */
  gpointer reserved[6];
} ConvokeTopologyModule;

/* Starts a descriptor with the version fields set:
 *
 *   static const ConvokeTopologyModule module = {
 *     CONVOKE_TOPOLOGY_MODULE_INIT,
 *     .name = "example",
 *     ...
 *   };
 */
#define CONVOKE_TOPOLOGY_MODULE_INIT                                                   \
  .abi_version = CONVOKE_TOPOLOGY_ABI_VERSION, .struct_size = sizeof (ConvokeTopologyModule)

/* The entry point's type. */
typedef const ConvokeTopologyModule *(*ConvokeTopologyEntryFunc) (void);

/* Gives the entry point default visibility, so that it is exported even
 * when the module is built with -fvisibility=hidden (as it should be). */
#define CONVOKE_TOPOLOGY_MODULE_EXPORT G_MODULE_EXPORT

/* The entry point every module defines, declared here so that modules
 * built with -Wmissing-prototypes need no declaration of their own:
 *
 *   CONVOKE_TOPOLOGY_MODULE_EXPORT const ConvokeTopologyModule *
 *   convoke_topology_module_entry (void)
 *   {
 *     return &module;
 *   }
 *
 * It must return the same pointer every time, to static data. */
CONVOKE_TOPOLOGY_MODULE_EXPORT const ConvokeTopologyModule *
convoke_topology_module_entry (void);

/* The error quark, computed from its name by GLib so that modules need no
 * link-time symbol from the daemon. Equivalent to core->error_quark():
 * g_set_error (error, CONVOKE_TOPOLOGY_ERROR, 53105, ...). */
#define convoke_topology_error_quark_from_core() (g_quark_from_static_string ("convoke-topology-error"))

G_END_DECLS
