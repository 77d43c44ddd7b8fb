/* convokectl's REST client: a synchronous libsoup session that speaks to
 * one convoked with HTTP Basic auth and turns Twilio error bodies into
 * GErrors.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _CtlClient CtlClient;

/* @url: the daemon's base URL ("http://127.0.0.1:7880", may carry a path
 * prefix when behind a proxy). @api_key and @api_secret may be NULL when
 * only unauthenticated calls are made. */
CtlClient *ctl_client_new (const char *url, const char *api_key, const char *api_secret,
                           GError **error);
void ctl_client_free (CtlClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlClient, ctl_client_free)

/* "/v1/Rooms/<escaped room>/Participants" from NULL-terminated segments,
 * each percent-encoded so that any room name or sid is one segment. */
char *ctl_client_path (const char *first_segment, ...) G_GNUC_NULL_TERMINATED;

/* Sends one request. @form: NULL-terminated key, value, … pairs, sent as
 * the query string for GET and as a form body otherwise; may be NULL.
 * Returns the raw body of a 2xx answer. Errors: CONVOKE_ERROR with the
 * Twilio code and message from the server's error body, or G_IO_ERROR
 * naming the URL that could not be reached or the HTTP status. */
GBytes *ctl_client_request (CtlClient *client, const char *method, const char *path,
                            const char *const *form, GError **error);

/* ctl_client_request() and parses the body, which must be a JSON object. */
JsonNode *ctl_client_request_json (CtlClient *client, const char *method,
                                   const char *path, const char *const *form,
                                   GBytes **body_out, GError **error);

/* GETs a Twilio list resource and follows meta.next_page_url; returns
 * every element of @list_key across the pages. */
JsonArray *ctl_client_list_all (CtlClient *client, const char *path,
                                const char *const *form, const char *list_key,
                                GError **error);

G_END_DECLS
