/* What convoke-client measured, for --stats-json: per remote participant
 * and track kind, decoded frames, received bytes and first-frame
 * latency, plus the client's own join status, error and warnings.
 *
 * Counters are updated from GStreamer streaming threads; everything else
 * from the main thread. docs/convoke-client.md describes the file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _ConvokeClientStats ConvokeClientStats;
/* The counters of one remote participant's tracks of one kind; owned by
 * the ConvokeClientStats and valid as long as it is. */
typedef struct _ConvokeTrackStats ConvokeTrackStats;

ConvokeClientStats *convoke_client_stats_new (void);
void convoke_client_stats_free (ConvokeClientStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvokeClientStats, convoke_client_stats_free)

/* "connecting", "joined", "left" or "failed". */
void convoke_client_stats_set_status (ConvokeClientStats *stats, const char *status);
void convoke_client_stats_set_error (ConvokeClientStats *stats, int code,
                                     const char *message);
/* A non-fatal problem, as printed with "warning:" on standard error. */
void convoke_client_stats_add_warning (ConvokeClientStats *stats, int code,
                                       const char *message);
void convoke_client_stats_set_joined (ConvokeClientStats *stats, const char *identity,
                                      const char *participant_sid, const char *room_sid,
                                      const char *room_name, const char *topology,
                                      gint64 join_time);

void convoke_client_stats_participant_connected (ConvokeClientStats *stats,
                                                 const char *sid, const char *identity);
void convoke_client_stats_participant_disconnected (ConvokeClientStats *stats,
                                                    const char *sid);

/* The counters for @participant_sid's @kind tracks, created on first use.
 * @connection_created: g_get_monotonic_time() when the peer connection
 * that carries them was created. */
ConvokeTrackStats *convoke_client_stats_track (ConvokeClientStats *stats,
                                               const char *participant_sid,
                                               const char *identity, const char *kind,
                                               gint64 connection_created);
void convoke_client_stats_track_active (ConvokeClientStats *stats,
                                        ConvokeTrackStats *track, gboolean active);

/* A data message from @participant_sid on its data track @label (text, or
 * binary shown as its size). The first MAX_DATA_MESSAGES of each track
 * are listed in the file, all are counted. */
void convoke_client_stats_data_message (ConvokeClientStats *stats,
                                        const char *participant_sid, const char *label,
                                        const char *text);

/* From streaming threads. */
void convoke_track_stats_add_bytes (ConvokeTrackStats *track, gsize bytes);
void convoke_track_stats_add_decoded (ConvokeTrackStats *track);
guint64 convoke_track_stats_get_decoded (ConvokeTrackStats *track);

JsonNode *convoke_client_stats_to_json (ConvokeClientStats *stats);
/* Writes the JSON to @path atomically (g_file_set_contents). */
gboolean convoke_client_stats_write (ConvokeClientStats *stats, const char *path,
                                     GError **error);

G_END_DECLS
