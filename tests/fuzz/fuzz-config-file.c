/* Fuzz target: the daemon's config file (core/lib/config-file.c and
 * config-values.c), as `convoked -c FILE` and a reload read it.
 *
 * The input is the file's contents. A config that loads must be usable:
 * its default room type and every named room's type resolve, and the
 * accessors the daemon calls at start-up work on it. A refusal must be a
 * CONVOKE_CONFIG_ERROR whose message is valid UTF-8 (it is logged and,
 * for a reload, shown by convokectl).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "config-file.h"
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (ConvokeConfig) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *names = NULL;
  g_autofree char *base_url = NULL;
  GHashTableIter iter;
  gpointer key, value;

  /* A path that does not exist: relative paths in the file resolve
   * against its directory and nothing there is read. */
  config = convoke_config_load_data ((const char *) data, size,
                                     "/nonexistent/convoke-fuzz/convoke.conf", &error);
  if (config == NULL)
    {
      if (error == NULL || error->domain != CONVOKE_CONFIG_ERROR
          || !g_utf8_validate (error->message, -1, NULL))
        {
          g_autofree char *shown = error ? g_strescape (error->message, NULL) : NULL;

          fprintf (stderr, "bad refusal: \"%s\"\n", shown ? shown : "(no error)");
          abort ();
        }
      return 0;
    }
  if (error != NULL)
    abort ();

  if (convoke_config_lookup_type (config, config->default_type) == NULL)
    abort ();
  g_hash_table_iter_init (&iter, config->named_rooms);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (convoke_config_lookup_type (config, value) == NULL
        || convoke_config_named_room_type (config, key) != value)
      abort ();
  g_hash_table_iter_init (&iter, config->types);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      ConvokeRoomType *type = value;

      if (type->module == NULL || g_strcmp0 (type->name, key) != 0)
        abort ();
    }
  names = convoke_config_list_type_names (config);
  base_url = convoke_config_base_url (config, 7880);
  if (config->api_key == NULL || config->api_secret == NULL || config->account_sid == NULL
      || !g_utf8_validate (names, -1, NULL))
    abort ();
  return 0;
}
