/* Every room and participant of the daemon, and the rules that move them
 * between states: creation, join, leave, the empty/unused room timers and
 * the end of a room.
 *
 * Rooms are never freed while the registry lives, so borrowed ConvokeRoom
 * pointers stay valid for REST, signaling and modules; only their status
 * changes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-registry"

#include "room-registry.h"
#include "room-registry-private.h"

#include <string.h>

#include "i18n.h"
#include "sid.h"
#include "twilio-error.h"
#include "worker-pool.h"
#include "worker-supervisor.h"

#define UNIQUE_NAME_MAX_LENGTH 128
#define ROOM_TIMEOUT_MAX_MINUTES 60
#define MINUTE_MS 60000

struct _ConvokeRoomRegistry
{
  GObject parent_instance;

  ConvokeConfig *config;
  ConvokeModuleSet *modules;  /* borrowed from the daemon */
  ConvokeWorkerPool *worker_pool; /* borrowed from the daemon; NULL: cold starts */
  GPtrArray *rooms;           /* every room, oldest first; owns a reference */
  GHashTable *by_sid;         /* sid → room (borrowed) */
  GHashTable *active_by_name; /* unique name → in-progress room (borrowed) */
  guint minute_ms;            /* length of one "minute" of room timeouts */
};

guint convoke_room_registry_signals[N_SIGNALS];

G_DEFINE_TYPE (ConvokeRoomRegistry, convoke_room_registry, G_TYPE_OBJECT)

/* ---- rooms as values ---------------------------------------------------- */

ConvokeRoom *
convoke_room_ref (ConvokeRoom *room)
{
  g_atomic_ref_count_inc (&room->ref);
  return room;
}

void
convoke_room_unref (ConvokeRoom *room)
{
  /* No timer can be pending here: a pending timer holds a reference. */
  if (room == NULL || !g_atomic_ref_count_dec (&room->ref))
    return;
  g_free (room->sid);
  g_free (room->unique_name);
  g_clear_pointer (&room->type, convoke_room_type_unref);
  g_free (room->pending_type);
  g_free (room->failure_reason);
  g_free (room->status_callback);
  g_free (room->status_callback_method);
  g_clear_pointer (&room->date_created, g_date_time_unref);
  g_clear_pointer (&room->date_updated, g_date_time_unref);
  g_clear_pointer (&room->end_time, g_date_time_unref);
  g_clear_pointer (&room->participants, g_ptr_array_unref);
  g_free (room);
}

const char *
convoke_room_status_to_string (ConvokeRoomStatus status)
{
  switch (status)
    {
    case CONVOKE_ROOM_IN_PROGRESS:
      return "in-progress";
    case CONVOKE_ROOM_COMPLETED:
      return "completed";
    case CONVOKE_ROOM_FAILED:
      return "failed";
    }
  g_return_val_if_reached ("failed");
}

const char *
convoke_participant_status_to_string (ConvokeParticipantStatus status)
{
  return status == CONVOKE_PARTICIPANT_CONNECTED ? "connected" : "disconnected";
}

void
convoke_registry_touch (GDateTime **date_updated)
{
  g_clear_pointer (date_updated, g_date_time_unref);
  *date_updated = g_date_time_new_now_utc ();
}

/* ---- timers ------------------------------------------------------------ */

static gboolean
room_timeout_cb (gpointer data)
{
  ConvokeRoom *room = data;

  room->timeout_source = 0;
  if (room->status == CONVOKE_ROOM_IN_PROGRESS
      && convoke_room_count_connected (room) == 0)
    {
      g_debug ("room %s: %s timeout, ending it", room->sid,
               room->ever_joined ? "empty-room" : "unused-room");
      convoke_room_registry_end_room (room->registry, room, CONVOKE_ROOM_COMPLETED, NULL);
    }
  return G_SOURCE_REMOVE;
}

void
convoke_room_arm_timeout (ConvokeRoom *room, guint minutes)
{
  guint64 ms = (guint64) minutes * room->registry->minute_ms;

  g_clear_handle_id (&room->timeout_source, g_source_remove);
  room->timeout_source = g_timeout_add_full (
      G_PRIORITY_DEFAULT, (guint) MIN (ms, G_MAXUINT), room_timeout_cb,
      convoke_room_ref (room), (GDestroyNotify) convoke_room_unref);
}

/* ---- ending rooms ------------------------------------------------------ */

void
convoke_room_registry_end_room (ConvokeRoomRegistry *self, ConvokeRoom *room,
                                ConvokeRoomStatus status, const char *reason)
{
  g_autoptr (ConvokeRoom) hold = NULL;
  int code;

  g_return_if_fail (CONVOKE_IS_ROOM_REGISTRY (self));
  g_return_if_fail (status != CONVOKE_ROOM_IN_PROGRESS);
  if (room->status != CONVOKE_ROOM_IN_PROGRESS)
    return;

  hold = convoke_room_ref (room);
  /* Set first: everything below may re-enter (a worker dying while it is
   * stopped, a transport close calling leave) and must see an ended room. */
  room->status = status;
  g_clear_handle_id (&room->timeout_source, g_source_remove);
  if (room->unique_name != NULL
      && g_hash_table_lookup (self->active_by_name, room->unique_name) == room)
    g_hash_table_remove (self->active_by_name, room->unique_name);
  if (status == CONVOKE_ROOM_FAILED)
    {
      g_free (room->failure_reason);
      room->failure_reason = g_strdup (reason != NULL ? reason : _ ("Room failed"));
      g_message ("room %s (%s) failed: %s", room->sid, room->unique_name,
                 room->failure_reason);
    }

  code = status == CONVOKE_ROOM_FAILED ? CONVOKE_ERROR_ROOM_MEDIA_FAILED
                                       : CONVOKE_ERROR_ROOM_COMPLETED;
  for (guint i = 0; i < room->participants->len; i++)
    convoke_participant_close (self, g_ptr_array_index (room->participants, i), code,
                               status == CONVOKE_ROOM_FAILED ? room->failure_reason
                                                             : _ ("Room completed"));

  if (room->module != NULL && room->module->vtable->room_destroy != NULL)
    room->module->vtable->room_destroy (room, room->module_data);
  room->module_data = NULL;
  if (room->worker != NULL)
    convoke_worker_stop (g_steal_pointer (&room->worker));

  g_clear_pointer (&room->pending_type, g_free);
  room->end_time = g_date_time_new_now_utc ();
  convoke_registry_touch (&room->date_updated);
  g_debug ("room %s (%s) ended: %s", room->sid, room->unique_name,
           convoke_room_status_to_string (status));
  g_signal_emit (self, convoke_room_registry_signals[SIGNAL_ROOM_ENDED], 0, room);
}

/* ---- creating rooms ---------------------------------------------------- */

static gboolean
check_unique_name (const char *name, GError **error)
{
  /* A name shaped like a sid would be shadowed by the room of that sid. */
  if (*name == '\0' || strchr (name, '/') != NULL || !g_utf8_validate (name, -1, NULL)
      || convoke_sid_is_valid (name, CONVOKE_SID_ROOM))
    {
      g_set_error (
          error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_NAME_INVALID,
          _ ("Room name “%s” is invalid: it must be non-empty UTF-8 without “/”, "
             "and not a room sid"),
          g_utf8_validate (name, -1, NULL) ? name : "?");
      return FALSE;
    }
  if (strlen (name) > UNIQUE_NAME_MAX_LENGTH)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_NAME_TOO_LONG,
                   _ ("Room name is %u bytes long; the limit is %d"),
                   (guint) strlen (name), UNIQUE_NAME_MAX_LENGTH);
      return FALSE;
    }
  return TRUE;
}

static gboolean
resolve_timeout (gint requested, guint configured, const char *field, guint *out,
                 GError **error)
{
  if (requested < 0)
    {
      *out = configured;
      return TRUE;
    }
  if (requested < 1 || requested > ROOM_TIMEOUT_MAX_MINUTES)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_TIMEOUT_OUT_OF_RANGE,
                   _ ("%s %d is out of range: it must be from 1 to %d minutes"), field,
                   requested, ROOM_TIMEOUT_MAX_MINUTES);
      return FALSE;
    }
  *out = (guint) requested;
  return TRUE;
}

static ConvokeRoomType *
resolve_type (ConvokeRoomRegistry *self, const ConvokeRoomCreateParams *params,
              GError **error)
{
  const char *name = params->type;
  ConvokeRoomType *type;

  if (name == NULL)
    name = convoke_config_named_room_type (self->config, params->unique_name);
  if (name == NULL)
    name = self->config->default_type;
  type = convoke_config_lookup_type (self->config, name);
  if (type == NULL)
    {
      g_autofree char *known = convoke_config_list_type_names (self->config);

      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_TYPE_INVALID,
                   _ ("Room type “%s” is not configured; the types are: %s"), name,
                   known);
    }
  return type;
}

ConvokeRoom *
convoke_room_registry_create_room (ConvokeRoomRegistry *self,
                                   const ConvokeRoomCreateParams *params, GError **error)
{
  g_autoptr (ConvokeRoom) room = NULL;
  ConvokeRoomType *type;
  const ConvokeLoadedModule *module;
  guint max_participants, empty_timeout, unused_timeout;
  gboolean record;

  g_return_val_if_fail (CONVOKE_IS_ROOM_REGISTRY (self), NULL);
  g_return_val_if_fail (params != NULL, NULL);

  if (params->unique_name != NULL)
    {
      if (!check_unique_name (params->unique_name, error))
        return NULL;
      if (g_hash_table_contains (self->active_by_name, params->unique_name))
        {
          g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_EXISTS,
                       _ ("Room “%s” already exists"), params->unique_name);
          return NULL;
        }
    }
  type = resolve_type (self, params, error);
  if (type == NULL)
    return NULL;
  module = convoke_module_set_lookup (self->modules, type->module);
  if (module == NULL)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_TYPE_INVALID,
                   _ ("Room type “%s” needs topology module “%s”, which is not loaded"),
                   type->name, type->module);
      return NULL;
    }

  max_participants = type->max_participants;
  if (params->max_participants >= 0)
    {
      if (params->max_participants < 1
          || (guint) params->max_participants > type->max_participants)
        {
          g_set_error (
              error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MAX_PARTICIPANTS_OUT_OF_RANGE,
              _ ("MaxParticipants %d is out of range: rooms of type “%s” allow 1 to %u"),
              params->max_participants, type->name, type->max_participants);
          return NULL;
        }
      max_participants = (guint) params->max_participants;
    }
  if (!resolve_timeout (params->empty_room_timeout, self->config->empty_room_timeout,
                        "EmptyRoomTimeout", &empty_timeout, error)
      || !resolve_timeout (params->unused_room_timeout, self->config->unused_room_timeout,
                           "UnusedRoomTimeout", &unused_timeout, error))
    return NULL;
  record = params->record_set ? params->record_participants_on_connect : type->recording;
  if (record && !module->vtable->needs_media_worker)
    {
      g_set_error (error, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_RECORDING_NOT_SUPPORTED,
                   _ ("Rooms of type “%s” cannot record: media never passes through the "
                      "server"),
                   type->name);
      return NULL;
    }

  room = g_new0 (ConvokeRoom, 1);
  g_atomic_ref_count_init (&room->ref);
  room->sid = params->sid != NULL ? g_strdup (params->sid) : convoke_sid_new (CONVOKE_SID_ROOM);
  room->unique_name = g_strdup (params->unique_name ? params->unique_name : room->sid);
  room->type = convoke_room_type_ref (type);
  room->module = module;
  room->status = CONVOKE_ROOM_IN_PROGRESS;
  room->max_participants = max_participants;
  room->empty_room_timeout = empty_timeout;
  room->unused_room_timeout = unused_timeout;
  room->record_participants_on_connect = record;
  room->status_callback = g_strdup (params->status_callback);
  room->status_callback_method = g_strdup (
      params->status_callback_method ? params->status_callback_method : "POST");
  room->date_created = g_date_time_new_now_utc ();
  room->date_updated = g_date_time_ref (room->date_created);
  room->participants
      = g_ptr_array_new_with_free_func ((GDestroyNotify) convoke_participant_unref);
  room->registry = self;

  /* The worker comes first: room_create() may already talk to it. */
  if (module->vtable->needs_media_worker)
    {
      room->worker = convoke_worker_pool_start_room (self->worker_pool, self, room, error);
      if (room->worker == NULL)
        {
          g_prefix_error (error, _ ("Cannot start the media worker of room “%s”: "),
                          room->unique_name);
          return NULL;
        }
    }
  if (module->vtable->room_create != NULL
      && !module->vtable->room_create (room, &room->module_data, error))
    {
      if (room->worker != NULL)
        convoke_worker_stop (g_steal_pointer (&room->worker));
      return NULL;
    }

  g_ptr_array_add (self->rooms, convoke_room_ref (room));
  g_hash_table_insert (self->by_sid, room->sid, room);
  g_hash_table_insert (self->active_by_name, room->unique_name, room);
  convoke_room_arm_timeout (room, room->unused_room_timeout);
  g_debug ("room %s (%s) created, type %s", room->sid, room->unique_name, type->name);
  g_signal_emit (self, convoke_room_registry_signals[SIGNAL_ROOM_CREATED], 0, room);
  return room; /* borrowed: the registry keeps its reference */
}

/* ---- finding rooms ----------------------------------------------------- */

ConvokeRoom *
convoke_room_registry_lookup (ConvokeRoomRegistry *self, const char *sid_or_name)
{
  ConvokeRoom *room;

  g_return_val_if_fail (CONVOKE_IS_ROOM_REGISTRY (self), NULL);
  if (sid_or_name == NULL)
    return NULL;
  room = g_hash_table_lookup (self->by_sid, sid_or_name);
  if (room == NULL)
    room = g_hash_table_lookup (self->active_by_name, sid_or_name);
  return room;
}

/* The array holds borrowed pointers (no element free function): rooms live
 * as long as the registry. */
GPtrArray *
convoke_room_registry_list (ConvokeRoomRegistry *self, const char *status,
                            const char *unique_name)
{
  GPtrArray *result = g_ptr_array_new ();

  g_return_val_if_fail (CONVOKE_IS_ROOM_REGISTRY (self), result);
  for (guint i = self->rooms->len; i > 0; i--)
    {
      ConvokeRoom *room = g_ptr_array_index (self->rooms, i - 1);

      if (status != NULL
          && !g_str_equal (status, convoke_room_status_to_string (room->status)))
        continue;
      if (unique_name != NULL && g_strcmp0 (unique_name, room->unique_name) != 0)
        continue;
      g_ptr_array_add (result, room);
    }
  return result;
}

/* ---- configuration ----------------------------------------------------- */

void
convoke_room_registry_set_config (ConvokeRoomRegistry *self, ConvokeConfig *config)
{
  g_autoptr (ConvokeConfig) old = NULL;

  g_return_if_fail (CONVOKE_IS_ROOM_REGISTRY (self));
  g_return_if_fail (config != NULL);
  old = g_steal_pointer (&self->config);
  self->config = convoke_config_ref (config);

  for (guint i = 0; i < self->rooms->len; i++)
    {
      ConvokeRoom *room = g_ptr_array_index (self->rooms, i);
      const char *before = convoke_config_named_room_type (old, room->unique_name);
      const char *after = convoke_config_named_room_type (config, room->unique_name);

      /* Only an edit of [room:NAME] type= makes a type pending; a room that
       * REST created with an explicit Type keeps it otherwise. */
      if (room->status != CONVOKE_ROOM_IN_PROGRESS || g_strcmp0 (before, after) == 0)
        continue;
      g_clear_pointer (&room->pending_type, g_free);
      if (after != NULL && !g_str_equal (after, room->type->name))
        room->pending_type = g_strdup (after);
      convoke_registry_touch (&room->date_updated);
      g_debug ("room %s (%s): pending type %s", room->sid, room->unique_name,
               room->pending_type ? room->pending_type : "(none)");
    }
}

ConvokeConfig *
convoke_room_registry_get_config (ConvokeRoomRegistry *self)
{
  g_return_val_if_fail (CONVOKE_IS_ROOM_REGISTRY (self), NULL);
  return self->config;
}

/* ---- GObject ----------------------------------------------------------- */

static guint
timeout_unit_from_environment (void)
{
  const char *value = g_getenv ("CONVOKE_TIMEOUT_UNIT_MS");
  guint64 ms;

  if (value == NULL)
    return MINUTE_MS;
  if (!g_ascii_string_to_unsigned (value, 10, 1, MINUTE_MS, &ms, NULL))
    {
      g_warning (
          "CONVOKE_TIMEOUT_UNIT_MS=%s is not a number of milliseconds from 1 to %d; "
          "using %d",
          value, MINUTE_MS, MINUTE_MS);
      return MINUTE_MS;
    }
  return (guint) ms;
}

static void
convoke_room_registry_dispose (GObject *object)
{
  ConvokeRoomRegistry *self = CONVOKE_ROOM_REGISTRY (object);

  /* Timers hold room references and would fire into a dead registry. */
  for (guint i = 0; self->rooms != NULL && i < self->rooms->len; i++)
    {
      ConvokeRoom *room = g_ptr_array_index (self->rooms, i);
      g_clear_handle_id (&room->timeout_source, g_source_remove);
    }
  G_OBJECT_CLASS (convoke_room_registry_parent_class)->dispose (object);
}

static void
convoke_room_registry_finalize (GObject *object)
{
  ConvokeRoomRegistry *self = CONVOKE_ROOM_REGISTRY (object);

  g_clear_pointer (&self->active_by_name, g_hash_table_unref);
  g_clear_pointer (&self->by_sid, g_hash_table_unref);
  g_clear_pointer (&self->rooms, g_ptr_array_unref);
  g_clear_pointer (&self->config, convoke_config_unref);
  G_OBJECT_CLASS (convoke_room_registry_parent_class)->finalize (object);
}

static void
convoke_room_registry_class_init (ConvokeRoomRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = convoke_room_registry_dispose;
  object_class->finalize = convoke_room_registry_finalize;

  convoke_room_registry_signals[SIGNAL_ROOM_CREATED]
      = g_signal_new ("room-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                      NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  convoke_room_registry_signals[SIGNAL_ROOM_ENDED]
      = g_signal_new ("room-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  convoke_room_registry_signals[SIGNAL_PARTICIPANT_CONNECTED] = g_signal_new (
      "participant-connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  convoke_room_registry_signals[SIGNAL_PARTICIPANT_DISCONNECTED] = g_signal_new (
      "participant-disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  convoke_room_registry_signals[SIGNAL_TRACK_ADDED]
      = g_signal_new ("track-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                      NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  convoke_room_registry_signals[SIGNAL_TRACK_REMOVED]
      = g_signal_new ("track-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                      NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  convoke_room_registry_signals[SIGNAL_TRACK_UPDATED]
      = g_signal_new ("track-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                      NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  convoke_room_registry_signals[SIGNAL_SUBSCRIPTIONS_CHANGED] = g_signal_new (
      "subscriptions-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
      NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
convoke_room_registry_init (ConvokeRoomRegistry *self)
{
  self->rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) convoke_room_unref);
  self->by_sid = g_hash_table_new (g_str_hash, g_str_equal);
  self->active_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->minute_ms = timeout_unit_from_environment ();
}

ConvokeRoomRegistry *
convoke_room_registry_new (ConvokeConfig *config, ConvokeModuleSet *modules)
{
  ConvokeRoomRegistry *self;

  g_return_val_if_fail (config != NULL, NULL);
  self = g_object_new (CONVOKE_TYPE_ROOM_REGISTRY, NULL);
  self->config = convoke_config_ref (config);
  self->modules = modules;
  return self;
}

void
convoke_room_registry_set_worker_pool (ConvokeRoomRegistry *self, ConvokeWorkerPool *pool)
{
  g_return_if_fail (CONVOKE_IS_ROOM_REGISTRY (self));
  self->worker_pool = pool;
}

ConvokeWorkerPool *
convoke_room_registry_get_worker_pool (ConvokeRoomRegistry *self)
{
  g_return_val_if_fail (CONVOKE_IS_ROOM_REGISTRY (self), NULL);
  return self->worker_pool;
}
