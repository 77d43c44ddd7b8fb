/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fuzz-common.h"

#include <stdio.h>
#include <stdlib.h>

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                 gpointer user_data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    {
      /* Print it, then abort: libFuzzer saves the input that got here. */
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      fflush (stderr);
      abort ();
    }
  if (g_getenv ("FUZZ_VERBOSE") != NULL)
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

void
fuzz_init_logging (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

char *
fuzz_strndup (const uint8_t *data, size_t size)
{
  return g_strndup ((const char *) data, size);
}

static gboolean
fuzz_on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
fuzz_iterate_until (gboolean (*done) (gpointer), gpointer user_data, guint timeout_ms)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add (timeout_ms, fuzz_on_deadline, &expired);

  while (!done (user_data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (deadline);
  return done (user_data);
}
