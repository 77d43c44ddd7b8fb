/* convokectl's subcommands and what they share.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "config-file.h"
#include "ctl-client.h"

G_BEGIN_DECLS

/* Exit statuses, documented in docs/convokectl.md. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAILED 1 /* the server refused, could not be reached, bad file */
#define CTL_EXIT_USAGE 2  /* unknown command or option, missing argument */

/* The global options, after defaults were applied. */
typedef struct
{
  char *url;
  char *api_key;
  char *api_secret;
  char *account_sid; /* NULL: not configured */
  char *config_path;
  gboolean json;
  ConvokeConfig *config; /* loaded from --config, or NULL */
} CtlGlobals;

/* Runs one command. @args: its positional arguments only. */
typedef int (*CtlCommandFunc) (CtlGlobals *globals, char **args);

typedef struct
{
  const char *group;           /* "rooms" */
  const char *verb;            /* "list" */
  const char *arguments;       /* positional arguments for --help, e.g. "ROOM" */
  const char *summary;         /* N_() */
  const GOptionEntry *entries; /* NULL-terminated; may be NULL */
  guint min_args;
  guint max_args;
  CtlCommandFunc run;
  /* Frees the values GOption stored for @entries; may be NULL. */
  void (*clear) (void);
} CtlCommand;

extern const CtlCommand ctl_room_commands[];  /* rooms …, participants … */
extern const CtlCommand ctl_local_commands[]; /* token …, config … */
extern const CtlCommand ctl_recording_commands[]; /* recordings … (ctl-recordings.c) */

/* Whether the API key and secret are known; else an error saying where
 * to give them. */
gboolean ctl_globals_check_credentials (CtlGlobals *globals, GError **error);

/* Connects to the server named by the globals; fails with a message that
 * says which credential is missing. */
CtlClient *ctl_globals_connect (CtlGlobals *globals, GError **error);

/* Prints "convokectl: MESSAGE (CODE)" for Twilio errors, else
 * "convokectl: MESSAGE", plus a hint for authentication failures.
 * Returns CTL_EXIT_FAILED. */
int ctl_report_error (const GError *error);

/* Prints "convokectl: MESSAGE" and returns CTL_EXIT_USAGE. */
int ctl_usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
