/* Pipeline dumps (GET /v1/Rooms/{Sid}/Pipeline): the `dump-pipeline`
 * request to a room's worker, its answer, and its timeout.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-supervisor-private.h"

#include "i18n.h"
#include "twilio-error.h"

#define DUMP_TIMEOUT_MS 5000

void
convoke_worker_fail_dumps (ConvokeWorkerHandle *worker)
{
  g_autoptr (GList) tasks = g_hash_table_get_values (worker->dumps);

  /* The table frees only its keys; the tasks are ours now. */
  g_hash_table_remove_all (worker->dumps);
  for (GList *l = tasks; l != NULL; l = l->next)
    {
      g_autoptr (GTask) task = l->data;

      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                               _ ("The media worker of room %s exited"),
                               worker->room->sid);
    }
}

void
convoke_worker_take_pipeline (ConvokeWorkerHandle *worker, JsonObject *message)
{
  gint64 id = json_object_get_int_member_with_default (message, "id", -1);
  const char *data = json_object_get_string_member_with_default (message, "data", NULL);
  const char *error = json_object_get_string_member_with_default (message, "error", NULL);
  g_autoptr (GTask) task = g_hash_table_lookup (worker->dumps, &id);

  if (task == NULL)
    return; /* timed out already */
  /* The table frees only its keys: @task now holds the table's reference. */
  g_hash_table_remove (worker->dumps, &id);
  if (data != NULL)
    g_task_return_pointer (task, g_strdup (data), g_free);
  else
    g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_INVALID_PARAMETER, "%s",
                             error != NULL ? error : _ ("The worker sent no pipeline"));
}

typedef struct
{
  ConvokeWorkerHandle *worker;
  gint64 id;
  guint timeout_source;
} DumpRequest;

static void
dump_request_free (DumpRequest *request)
{
  g_clear_handle_id (&request->timeout_source, g_source_remove);
  convoke_worker_unref (request->worker);
  g_free (request);
}

static gboolean
dump_on_timeout (gpointer user_data)
{
  DumpRequest *request = user_data;
  g_autoptr (GTask) task = g_hash_table_lookup (request->worker->dumps, &request->id);

  request->timeout_source = 0;
  if (task == NULL)
    return G_SOURCE_REMOVE;
  /* The table frees only its keys: @task now holds the table's reference,
   * which keeps the task (and @request, its data) alive until we return. */
  g_hash_table_remove (request->worker->dumps, &request->id);
  g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_INTERNAL,
                           _ ("The media worker of room %s did not send its pipeline "
                              "within %d s"),
                           request->worker->room->sid, DUMP_TIMEOUT_MS / 1000);
  return G_SOURCE_REMOVE;
}

void
convoke_worker_dump_pipeline_async (ConvokeWorkerHandle *worker, const char *format,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, callback, user_data);
  g_autoptr (JsonObject) request = NULL;
  DumpRequest *pending;
  gint64 *key;

  g_task_set_source_tag (task, convoke_worker_dump_pipeline_async);
  if (format == NULL)
    format = "dot";
  if (!g_str_equal (format, "dot") && !g_str_equal (format, "text"))
    {
      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_INVALID_PARAMETER,
                               _ ("Format “%s” is invalid: expected “dot” or “text”"),
                               format);
      return;
    }
  if (worker == NULL || !worker->running || worker->stop_requested
      || worker->channel == NULL)
    {
      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                               _ ("The media worker of room %s is not running"),
                               worker != NULL ? worker->room->sid : "?");
      return;
    }

  pending = g_new0 (DumpRequest, 1);
  pending->worker = convoke_worker_ref (worker);
  pending->id = ++worker->next_dump_id;
  g_task_set_task_data (task, pending, (GDestroyNotify) dump_request_free);

  request = json_object_new ();
  json_object_set_string_member (request, "type", "dump-pipeline");
  json_object_set_int_member (request, "id", pending->id);
  json_object_set_string_member (request, "format", format);
  if (!convoke_control_channel_send (worker->channel, request))
    {
      g_task_return_new_error (task, CONVOKE_ERROR, CONVOKE_ERROR_ROOM_MEDIA_FAILED,
                               _ ("The control socket of the media worker of room %s is "
                                  "closed"),
                               worker->room->sid);
      return;
    }
  pending->timeout_source = g_timeout_add (DUMP_TIMEOUT_MS, dump_on_timeout, pending);
  key = g_new (gint64, 1);
  *key = pending->id;
  g_hash_table_insert (worker->dumps, key, g_object_ref (task));
}

char *
convoke_worker_dump_pipeline_finish (ConvokeWorkerHandle *worker, GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                            == convoke_worker_dump_pipeline_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
