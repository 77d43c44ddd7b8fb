/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "twilio-error.h"

guint
convoke_error_http_status (int code)
{
  switch (code)
    {
    case CONVOKE_ERROR_AUTHENTICATION:
    case CONVOKE_ERROR_TOKEN_INVALID:
    case CONVOKE_ERROR_TOKEN_HEADER_INVALID:
    case CONVOKE_ERROR_TOKEN_ISSUER_INVALID:
    case CONVOKE_ERROR_TOKEN_EXPIRED:
    case CONVOKE_ERROR_TOKEN_NOT_YET_VALID:
    case CONVOKE_ERROR_TOKEN_GRANTS_INVALID:
    case CONVOKE_ERROR_TOKEN_SIGNATURE_INVALID:
      return 401;
    case CONVOKE_ERROR_NOT_FOUND:
    case CONVOKE_ERROR_ROOM_NOT_FOUND:
    case CONVOKE_ERROR_PARTICIPANT_NOT_FOUND:
      return 404;
    case CONVOKE_ERROR_ROOM_EXISTS:
      return 409;
    case CONVOKE_ERROR_REQUEST_TOO_LARGE:
    case CONVOKE_ERROR_SIGNALING_MESSAGE_TOO_LARGE:
      return 413;
    case CONVOKE_ERROR_TOO_MANY_REQUESTS:
    case CONVOKE_ERROR_SIGNALING_RATE:
      return 429;
    case CONVOKE_ERROR_INTERNAL:
      return 500;
    case CONVOKE_ERROR_SERVICE_UNAVAILABLE:
      return 503;
    default:
      return 400;
    }
}

JsonNode *
convoke_error_to_json (int code, const char *message, guint http_status)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *more_info = g_strdup_printf ("https://www.twilio.com/docs/errors/%d", code);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "more_info");
  json_builder_add_string_value (b, more_info);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, http_status ? http_status : convoke_error_http_status (code));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
