/* Fuzz target: the REST API's request decoding and parameter checks
 * (core/daemon/rest-server.c, rest-rooms.c, rest-participants.c,
 * rest-recordings.c, rest-tokens.c): query strings, form bodies, paths.
 *
 * The input is up to 4 requests separated by lines holding only "%%",
 * each "METHOD TARGET" on its first line and the form body (POST only)
 * after it, for example
 *
 *   POST /v1/Rooms
 *   UniqueName=standup&Type=go&MaxParticipants=2
 *   %%
 *   GET /v1/Rooms?Status=in-progress&PageSize=1
 *
 * (the line break before "%%" belongs to the separator, not the body)
 * They go, with the daemon's credentials and Content-Type
 * application/x-www-form-urlencoded, to a ConvokeDaemon in this process
 * (fuzz-daemon.c); the rooms they create are ended after each input. A
 * TARGET not starting with '/' is taken as relative to /v1/. Bytes that
 * cannot appear in an HTTP request line are %-escaped.
 *
 * The daemon must answer every request with a status line and never with
 * 500 (an internal error is a bug, whatever the client sent).
 *
 * A request whose decoded query or body has a StatusCallback is not sent:
 * the daemon would call that URL, and a fuzzer must not reach any host.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "fuzz-daemon.h"

#define MAX_REQUESTS 4

static GRegex *separator;
static char *authorization;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *credentials = NULL;

  fuzz_init_logging ();
  separator = g_regex_new ("^%%\\r?$\\n?", G_REGEX_MULTILINE | G_REGEX_RAW, 0, NULL);
  credentials = g_base64_encode ((const guchar *) FUZZ_API_KEY ":" FUZZ_API_SECRET,
                                 strlen (FUZZ_API_KEY ":" FUZZ_API_SECRET));
  authorization = g_strconcat ("Basic ", credentials, NULL);
  return 0;
}

/* Whether decoding @form as the daemon does yields a StatusCallback. */
static gboolean
names_callback (const char *form)
{
  g_autoptr (GHashTable) params = NULL;

  if (form == NULL || *form == '\0')
    return FALSE;
  params = g_uri_parse_params (form, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  return params != NULL && g_hash_table_contains (params, "StatusCallback");
}

static void
append_escaped (GString *out, const char *target)
{
  if (*target != '/')
    g_string_append (out, "/v1/");
  for (const guchar *p = (const guchar *) target; *p != '\0'; p++)
    {
      if (*p <= 0x20 || *p >= 0x7f || *p == '#')
        g_string_append_printf (out, "%%%02X", *p);
      else
        g_string_append_c (out, *p);
    }
}

static void
send_request (char *text)
{
  const char *newline;
  gsize length = strlen (text);

  /* The newline before a "%%" line separates, it is not part of the body. */
  if (length > 0 && text[length - 1] == '\n')
    text[--length] = '\0';
  if (length > 0 && text[length - 1] == '\r')
    text[--length] = '\0';
  newline = strchr (text, '\n');
  g_autofree char *first_line = g_strndup (text, newline ? newline - text : strlen (text));
  const char *body = newline ? newline + 1 : "";
  const char *space = strchr (first_line, ' ');
  g_autofree char *method = NULL;
  g_autoptr (GString) target = g_string_new (NULL);
  g_autoptr (GString) request = g_string_new (NULL);
  g_autoptr (GByteArray) response = NULL;
  const char *query;
  gboolean post;
  guint status;

  method = g_strndup (first_line, space ? (gsize) (space - first_line) : 0);
  if (*method == '\0' || strspn (method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen (method))
    {
      g_free (method);
      method = g_strdup ("GET");
    }
  post = strcmp (method, "POST") == 0;
  append_escaped (target, space ? space + 1 : first_line);

  query = strchr (target->str, '?');
  if (names_callback (query ? query + 1 : NULL) || (post && names_callback (body)))
    return;

  g_string_append_printf (request,
                          "%s %s HTTP/1.1\r\n"
                          "Host: 127.0.0.1:7880\r\n"
                          "Authorization: %s\r\n"
                          "Connection: close\r\n",
                          method, target->str, authorization);
  if (post)
    g_string_append_printf (request,
                            "Content-Type: application/x-www-form-urlencoded\r\n"
                            "Content-Length: %zu\r\n\r\n%s",
                            strlen (body), body);
  else
    g_string_append (request, "\r\n");

  response = fuzz_daemon_exchange (request->str, request->len, 5000);
  status = fuzz_http_status (response);
  if (status == 0 || status >= 500)
    {
      fprintf (stderr, "request:\n%s\nresponse (%u):\n%.*s\n", request->str, status,
               (int) MIN (response->len, 2000), (const char *) response->data);
      abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_strndup (data, size);
  g_auto (GStrv) requests = g_regex_split (separator, text, 0);

  for (guint i = 0; requests[i] != NULL && i < MAX_REQUESTS; i++)
    send_request (requests[i]);
  fuzz_daemon_reset ();
  return 0;
}
