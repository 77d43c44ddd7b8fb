/* A topology module for test-registry: it records every call the registry
 * makes into it, so the test can assert on the order of create, admit,
 * joined, left and destroy.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <convoke/topology.h>

/* One line per call, "event argument". The test reads it through
 * g_module_symbol() on the handle the loader holds. */
G_MODULE_EXPORT GString *registrytest_log;

static const ConvokeCoreApi *core;

static void
log_event (const char *event, const char *argument)
{
  g_string_append_printf (registrytest_log, "%s %s\n", event, argument);
}

static gboolean
registrytest_init (const ConvokeCoreApi *api, GError **error)
{
  core = api;
  /* Each test's module set initialises the module again. */
  if (registrytest_log != NULL)
    g_string_free (registrytest_log, TRUE);
  registrytest_log = g_string_new (NULL);
  return TRUE;
}

static gboolean
registrytest_room_create (ConvokeRoom *room, gpointer *room_data, GError **error)
{
  const char *name = core->room_get_name (room);

  /* Lets a test see a module refusal propagate out of create_room(). */
  if (g_str_has_prefix (name, "refuse-"))
    {
      g_set_error (error, core->error_quark (), 53114, "room %s refused by the module",
                   name);
      return FALSE;
    }
  *room_data = g_strdup (name);
  log_event ("create", name);
  return TRUE;
}

static void
registrytest_room_destroy (ConvokeRoom *room, gpointer room_data)
{
  log_event ("destroy", room_data);
  g_free (room_data);
}

static gboolean
registrytest_admit (ConvokeRoom *room, gpointer room_data,
                    ConvokeParticipant *participant, GError **error)
{
  const char *identity = core->participant_get_identity (participant);

  if (g_str_has_prefix (identity, "banned-"))
    {
      g_set_error (error, core->error_quark (), 53200, "identity %s is banned", identity);
      return FALSE;
    }
  return TRUE;
}

static void
registrytest_joined (ConvokeRoom *room, gpointer room_data,
                     ConvokeParticipant *participant)
{
  log_event ("joined", core->participant_get_identity (participant));
}

static void
registrytest_left (ConvokeRoom *room, gpointer room_data, ConvokeParticipant *participant)
{
  log_event ("left", core->participant_get_identity (participant));
}

static gboolean
registrytest_handle_message (ConvokeRoom *room, gpointer room_data,
                             ConvokeParticipant *from, const char *type,
                             JsonObject *message, GError **error)
{
  if (g_str_equal (type, "echo"))
    {
      core->participant_send (from, message);
      return TRUE;
    }
  g_set_error (error, core->error_quark (), 53004, "unknown message type %s", type);
  return FALSE;
}

static const ConvokeTopologyModule registrytest_module = {
  CONVOKE_TOPOLOGY_MODULE_INIT,
  .name = "registrytest",
  .description = "records the registry's calls (tests only)",
  .client_topology = "mesh",
  .needs_media_worker = FALSE,
  .module_init = registrytest_init,
  .room_create = registrytest_room_create,
  .room_destroy = registrytest_room_destroy,
  .participant_admit = registrytest_admit,
  .participant_joined = registrytest_joined,
  .participant_left = registrytest_left,
  .handle_message = registrytest_handle_message,
};

CONVOKE_TOPOLOGY_MODULE_EXPORT const ConvokeTopologyModule *
convoke_topology_module_entry (void)
{
  return &registrytest_module;
}
