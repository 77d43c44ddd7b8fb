/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sid.h"

#include <string.h>

char *
convoke_sid_new (const char *prefix)
{
  GString *s = g_string_new (prefix);

  /* g_random_int() is seeded from /dev/urandom; sids name resources, they
   * are not secrets, so this is enough. */
  for (int i = 0; i < 4; i++)
    g_string_append_printf (s, "%08x", g_random_int ());
  return g_string_free (s, FALSE);
}

gboolean
convoke_sid_is_valid (const char *sid, const char *prefix)
{
  size_t plen;

  if (sid == NULL || prefix == NULL)
    return FALSE;
  plen = strlen (prefix);
  if (strlen (sid) != plen + 32 || strncmp (sid, prefix, plen) != 0)
    return FALSE;
  for (const char *p = sid + plen; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

char *
convoke_format_date (GDateTime *when)
{
  g_autoptr (GDateTime) utc = NULL;

  if (when == NULL)
    return NULL;
  utc = g_date_time_to_utc (when);
  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
}
