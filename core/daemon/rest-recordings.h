/* /v1/Recordings and /v1/Rooms/{RoomSid}/Recordings: Twilio's
 * video.v1.recording and video.v1.room.room_recording resources, backed by
 * recording-store.c. docs/recording.md is the contract.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "rest-private.h"

G_BEGIN_DECLS

/* Requests whose first segment is "Recordings". */
void convoke_rest_handle_recordings (ConvokeRestRequest *req);
/* Requests under /v1/Rooms/{RoomSid}/Recordings. */
void convoke_rest_handle_room_recordings (ConvokeRestRequest *req, ConvokeRoom *room);

G_END_DECLS
