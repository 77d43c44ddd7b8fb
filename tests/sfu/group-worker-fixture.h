/* A convoke-room-worker started directly, without a daemon, for the
 * worker host tests: its control socket, its output and its exit.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "control-channel.h"
#include "test-time.h"

G_BEGIN_DECLS

#define GROUP_TEST_ROOM_SID "RM0123456789abcdef0123456789abcdef"
/* A deadline, as a base figure: group_spin_until scales it. */
#define GROUP_TEST_TIMEOUT_MS 20000
#define NOBODY 65534
/* What convoked passes a worker when it runs as root (tests run as
 * nobody, which every Debian system has). */
#define GROUP_WORKER_USER_ARGS ((const char *const[]){ "--uid", "65534", "--gid", "65534", NULL })

typedef struct
{
  GSubprocess *process;
  ConvokeControlChannel *channel;
  GPtrArray *messages; /* JsonObject*, every line received */
  GString *output;     /* the worker's stdout and stderr */
  ConvokeLineReader *stdout_reader;
  ConvokeLineReader *stderr_reader;
  int raw_fd; /* a dup of our end, for writing bytes the channel would refuse */
  gboolean closed;
  gboolean exited;
} GroupWorker;

/* The first message received after index *@from whose `type` is @type and,
 * when @event is not NULL, whose body's `event` is @event. Fails the test
 * after TIMEOUT_MS. */
typedef struct
{
  GroupWorker *w;
  const char *type;
  const char *event;
  guint from;
  JsonObject *found;
} GroupWorkerWait;

/* The build dir holding libconvoke-topology-grouptest.so. */
const char *group_test_module_dir (void);
/* A GSubprocessLauncher child setup: become nobody (we are root). */
void group_become_nobody (gpointer user_data);

/* An @argv_extra that starts with --pooled starts a pooled worker, without
 * --room-sid. Otherwise: */
/* Starts the worker with @argv_extra after the required options (and,
 * when we are root, GROUP_WORKER_USER_ARGS). @pem, when not NULL, goes
 * through --certificate-fd 4. @registry_dir, when not NULL, holds its
 * GStreamer registry. */
GroupWorker *group_worker_start_full (const char *const *argv_extra, const char *pem,
                                      const char *registry_dir);
/* The same with another worker program and module directory (NULL: the
 * build tree's). */
GroupWorker *group_worker_start_program (const char *program, const char *module_dir,
                                         const char *const *argv_extra, const char *pem,
                                         const char *registry_dir);
GroupWorker *group_worker_start (const char *const *argv_extra, const char *pem);
/* Kills the worker if it still runs. */
void group_worker_free (GroupWorker *w);

/* Iterates the default main context until @cond or @timeout_ms (a
 * deadline: a base figure, scaled by test_deadline). */
void group_spin_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms);
/* Waits for the process to end; its exit status, -1 for a signal. */
int group_worker_wait_exit (GroupWorker *w);
/* Sends one JSON line (parsed first, so it must be valid). */
void group_worker_send (GroupWorker *w, const char *json);
/* A GroupWorkerWait condition for group_spin_until(). */
gboolean group_worker_wait_cond (gpointer data);
/* The first message of @type (and module @event) since the start; fails
 * the test after GROUP_TEST_TIMEOUT_MS. */
JsonObject *group_worker_wait_message (GroupWorker *w, const char *type,
                                       const char *event);
/* The body of the first module event @event. */
JsonObject *group_worker_wait_event (GroupWorker *w, const char *event);
/* Waits until the worker's stdout or stderr showed @text. */
void group_worker_wait_output (GroupWorker *w, const char *text);
guint group_worker_count_messages (GroupWorker *w, const char *type);
/* Asks the test module for worker option @key; NULL when unset. */
const char *group_worker_ask_option (GroupWorker *w, const char *key);

G_END_DECLS
