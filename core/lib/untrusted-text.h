/* Text that came from a client or a token, made safe to quote in an
 * error message or a log line.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @text (valid UTF-8) cut to @max_chars characters, with "…" when cut,
 * and every control character replaced by "?", so a hostile value can
 * neither flood nor forge a log line or a terminal. */
char *convoke_quote_untrusted (const char *text, glong max_chars);

G_END_DECLS
