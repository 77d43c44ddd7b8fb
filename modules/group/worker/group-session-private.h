/* Internal to the group worker's session bookkeeping, shared by
 * group-session.c (the m-lines, our offers) and group-session-remote.c
 * (what the client's answers and offers change).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "group-session.h"

G_BEGIN_DECLS

struct _GroupSession
{
  guint64 id;
  guint64 version;
  GroupCodec *codecs[2]; /* audio, video: payload types for new m-lines */
  GPtrArray *mlines;     /* negotiated */
  GPtrArray *pending;    /* our outstanding offer, or NULL */
  gboolean negotiated;
  gboolean reuse;     /* group_session_set_reuse() */
  gboolean want_data; /* group_session_want_data() */
};

/* 0 for audio, 1 for video: the index into GroupSession.codecs. */
int group_session_kind_index (const char *kind);
gboolean group_session_is_media_kind (const char *kind);
/* Takes @mid; copies @codec (may be NULL). */
GroupMLine *group_mline_new (GroupMLineRole role, const char *kind, char *mid,
                             const GroupCodec *codec);
GPtrArray *group_mlines_copy (GPtrArray *mlines);
/* The DATA m-line of @mlines, or NULL. */
GroupMLine *group_mlines_find_data (GPtrArray *mlines);
/* The m-lines as we describe them (GroupLocalMedia*). */
GPtrArray *group_mlines_describe (GPtrArray *mlines, gboolean offer);

G_END_DECLS
