/* Running convokectl from tests, and reading what it printed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "test-daemon.h"

G_BEGIN_DECLS

typedef struct
{
  int status; /* exit status */
  char *out;  /* stdout */
  char *err;  /* stderr */
} CtlResult;

void ctl_result_free (CtlResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlResult, ctl_result_free)

/* Runs $CONVOKECTL with @argv (NULL-terminated, without the program) in a
 * clean environment: LC_ALL=C.UTF-8, no LANG, LANGUAGE or CONVOKE_*
 * variable except the NULL-terminated NAME, VALUE pairs of @env. The
 * default main context keeps running meanwhile, so servers and sockets of
 * the test stay served. */
CtlResult *ctl_run_env (const char *const *env, const char *const *argv);

/* With CONVOKE_URL and the credentials of @d (may be NULL: none) and
 * LANGUAGE=@language (may be NULL: none). */
CtlResult *run_ctlv (TestDaemon *d, const char *language, const char *const *argv);
#define run_ctl(d, ...) run_ctlv ((d), NULL, (const char *const[]){ __VA_ARGS__, NULL })

void assert_contains (const char *haystack, const char *needle);
void assert_not_contains (const char *haystack, const char *needle);

/* @text parsed; it must be a JSON object. */
JsonNode *parse_json (const char *text);

/* The line of @table that contains @needle; fails the test when none does. */
char *table_line (const char *table, const char *needle);

/* Terminal columns before @at in @line (wide characters count 2). */
glong display_column (const char *line, const char *at);

G_END_DECLS
