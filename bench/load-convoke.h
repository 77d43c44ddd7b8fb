/* Convoke's REST API and signaling, as convoke-load uses them.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "load-run.h"

G_BEGIN_DECLS

/* A request to the daemon's REST API with Basic auth; @form is
 * application/x-www-form-urlencoded or NULL. NULL when the URL is bad. */
SoupMessage *load_convoke_rest_message (LoadRun *run, const char *method,
                                        const char *path, GBytes *form);
/* The answer's JSON object when its status is 2xx; else NULL with the
 * failure recorded under @what. */
JsonObject *load_convoke_rest_finish (LoadRun *run, SoupSession *session,
                                      GAsyncResult *result, const char *what);
char *load_convoke_signaling_url (LoadRun *run);
char *load_convoke_token (LoadRun *run, const char *identity, const char *room);

/* Ends rooms (Status=completed) and waits for the answers. */
void load_convoke_end_rooms (LoadRun *run, GPtrArray *room_sids);
/* The daemon's worker processes for these rooms. */
void load_convoke_worker_processes (LoadRun *run, GPtrArray *room_sids, GArray *pids,
                                    GPtrArray *roles);

G_END_DECLS
