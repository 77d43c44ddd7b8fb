/* Text that came from a client or a token, made safe to quote in an
 * error message or a log line.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @text (any bytes; what is not UTF-8 becomes U+FFFD) cut to @max_chars
 * characters, with "…" when cut, and every control character replaced by
 * "?", so a hostile value can neither flood, forge nor corrupt a log line,
 * a terminal or a WebSocket close reason (which must be UTF-8). */
char *convoke_quote_untrusted (const char *text, glong max_chars);

G_END_DECLS
