/* convokectl token … and config …: commands that need no server.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "access-token.h"
#include "ctl-commands.h"
#include "ctl-output.h"
#include "i18n.h"

/* Twilio's default token lifetime, and the longest it accepts. */
#define DEFAULT_TTL 3600
#define MAX_TTL 86400
/* Convoke does not check a token's subject; Twilio's helpers require
 * one, so a token made without an account sid still carries a valid one. */
#define PLACEHOLDER_ACCOUNT_SID "AC00000000000000000000000000000000"

static char *token_identity;
static char *token_room;
static int token_ttl = DEFAULT_TTL;
static char *token_account_sid;

static void
clear_options (void)
{
  g_clear_pointer (&token_identity, g_free);
  g_clear_pointer (&token_room, g_free);
  g_clear_pointer (&token_account_sid, g_free);
}

static const char *
account_sid (CtlGlobals *globals)
{
  if (token_account_sid != NULL)
    return token_account_sid;
  if (globals->account_sid != NULL)
    return globals->account_sid;
  return PLACEHOLDER_ACCOUNT_SID;
}

static void
print_token_json (const char *token, const char *identity, const char *room,
                  gint64 expires)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, identity);
  json_builder_set_member_name (builder, "room");
  if (room != NULL)
    json_builder_add_string_value (builder, room);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "expires");
  json_builder_add_int_value (builder, expires);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

static int
run_token_create (CtlGlobals *globals, char **args)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  gint64 expires;

  if (token_identity == NULL || *token_identity == '\0')
    return ctl_usage_error (_ ("token create needs --identity"));
  if (token_ttl < 1 || token_ttl > MAX_TTL)
    return ctl_usage_error (_ ("--ttl %d is out of range: use 1 to %d seconds"),
                            token_ttl, MAX_TTL);
  if (token_room != NULL && *token_room == '\0')
    return ctl_usage_error (
        _ ("--room must not be empty; leave it out to allow any room"));
  if (!ctl_globals_check_credentials (globals, &error))
    return ctl_usage_error ("%s", error->message);

  expires = g_get_real_time () / G_USEC_PER_SEC + token_ttl;
  token = convoke_access_token_create (globals->api_key, globals->api_secret,
                                       account_sid (globals), token_identity, token_room,
                                       (guint)token_ttl);
  if (globals->json)
    print_token_json (token, token_identity, token_room, expires);
  else
    printf ("%s\n", token);
  return CTL_EXIT_OK;
}

static void
print_check_json (const char *file, const GError *error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "file");
  json_builder_add_string_value (builder, file);
  json_builder_set_member_name (builder, "valid");
  json_builder_add_boolean_value (builder, error == NULL);
  json_builder_set_member_name (builder, "error");
  if (error != NULL)
    json_builder_add_string_value (builder, error->message);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

static int
run_config_check (CtlGlobals *globals, char **args)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConvokeConfig) config = convoke_config_load_file (args[0], &error);

  if (globals->json)
    print_check_json (args[0], error);
  if (config == NULL)
    {
      if (!globals->json)
        g_printerr ("convokectl: %s\n", error->message);
      return CTL_EXIT_FAILED;
    }
  if (!globals->json)
    {
      /* TRANSLATORS: the config file's path. */
      printf (_ ("%s: OK"), args[0]);
      printf ("\n");
    }
  return CTL_EXIT_OK;
}

static const GOptionEntry token_create_entries[] = {
  { "identity", 0, 0, G_OPTION_ARG_STRING, &token_identity,
    N_ ("The participant's identity (required)"), N_ ("ID") },
  { "room", 0, 0, G_OPTION_ARG_STRING, &token_room,
    N_ ("Only allow this room (default: any room)"), N_ ("NAME") },
  { "ttl", 0, 0, G_OPTION_ARG_INT, &token_ttl,
    N_ ("Seconds the token stays valid (default 3600, at most 86400)"), N_ ("SECONDS") },
  { "account-sid", 0, 0, G_OPTION_ARG_STRING, &token_account_sid,
    N_ ("Account sid for the token's subject (default: --config's [auth] account-sid)"),
    N_ ("SID") },
  { NULL },
};

const CtlCommand ctl_local_commands[] = {
  { "token", "create", "",
    N_ ("Mint an access token locally with the API key and secret"), token_create_entries,
    0, 0, run_token_create, clear_options },
  { "config", "check", N_ ("FILE"), N_ ("Validate a convoked config file"), NULL, 1, 1,
    run_config_check, NULL },
  { NULL },
};
