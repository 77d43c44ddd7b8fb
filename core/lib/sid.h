/* Twilio-style resource identifiers: a two-letter prefix and 32 hex digits.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONVOKE_SID_ROOM "RM"
#define CONVOKE_SID_PARTICIPANT "PA"
#define CONVOKE_SID_TRACK "MT"
#define CONVOKE_SID_RECORDING "RT"
#define CONVOKE_SID_ACCOUNT "AC"
#define CONVOKE_SID_API_KEY "SK"

/* A new random sid such as "RM" + 32 lowercase hex digits. */
char *convoke_sid_new (const char *prefix);
/* TRUE when @sid is @prefix followed by exactly 32 hex digits. */
gboolean convoke_sid_is_valid (const char *sid, const char *prefix);

/* ISO 8601 in UTC with a Z and no fraction, as Twilio prints dates. */
char *convoke_format_date (GDateTime *when);

G_END_DECLS
