/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "group-session-private.h"

#include <convoke/topology.h>

#include "i18n.h"
#include "twilio-error.h"

int
group_session_kind_index (const char *kind)
{
  return g_strcmp0 (kind, "video") == 0 ? 1 : 0;
}

gboolean
group_session_is_media_kind (const char *kind)
{
  return g_strcmp0 (kind, "audio") == 0 || g_strcmp0 (kind, "video") == 0;
}

GroupSource *
group_source_new (const char *publisher, const char *kind)
{
  return group_source_new_track (publisher, kind, NULL, NULL);
}

GroupSource *
group_source_new_track (const char *publisher, const char *kind, const char *track,
                        const char *msid_track)
{
  GroupSource *source = g_new0 (GroupSource, 1);

  source->publisher = g_strdup (publisher);
  source->kind = g_strdup (kind);
  source->track = g_strdup (track);
  source->msid_track = g_strdup (msid_track);
  return source;
}

void
group_source_free (GroupSource *source)
{
  if (source == NULL)
    return;
  g_free (source->publisher);
  g_free (source->kind);
  g_free (source->track);
  g_free (source->msid_track);
  g_free (source);
}

static void
mline_free (gpointer data)
{
  GroupMLine *mline = data;

  g_free (mline->kind);
  g_free (mline->mid);
  g_free (mline->rejected_proto);
  g_free (mline->rejected_formats);
  group_codec_free (mline->codec);
  g_free (mline->source);
  g_free (mline->track);
  g_free (mline->msid_track);
  g_free (mline->publish_track);
  g_free (mline->publish_msid);
  g_free (mline);
}

static GroupMLine *
mline_copy (const GroupMLine *mline)
{
  GroupMLine *copy = g_memdup2 (mline, sizeof (*mline));

  copy->kind = g_strdup (mline->kind);
  copy->mid = g_strdup (mline->mid);
  copy->rejected_proto = g_strdup (mline->rejected_proto);
  copy->rejected_formats = g_strdup (mline->rejected_formats);
  copy->codec = mline->codec ? group_codec_copy (mline->codec) : NULL;
  copy->source = g_strdup (mline->source);
  copy->track = g_strdup (mline->track);
  copy->msid_track = g_strdup (mline->msid_track);
  copy->publish_track = g_strdup (mline->publish_track);
  copy->publish_msid = g_strdup (mline->publish_msid);
  return copy;
}

GPtrArray *
group_mlines_copy (GPtrArray *mlines)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (mline_free);

  for (guint i = 0; i < mlines->len; i++)
    g_ptr_array_add (copy, mline_copy (g_ptr_array_index (mlines, i)));
  return copy;
}

GroupSession *
group_session_new (const GroupCodec *audio, const GroupCodec *video)
{
  GroupSession *session = g_new0 (GroupSession, 1);

  /* RFC 3264: a number that fits a signed 64-bit integer. */
  session->id = ((guint64) g_random_int () << 31) ^ g_random_int ();
  session->codecs[0] = group_codec_copy (audio);
  session->codecs[1] = group_codec_copy (video);
  session->mlines = g_ptr_array_new_with_free_func (mline_free);
  return session;
}

void
group_session_free (GroupSession *session)
{
  if (session == NULL)
    return;
  group_codec_free (session->codecs[0]);
  group_codec_free (session->codecs[1]);
  g_ptr_array_unref (session->mlines);
  g_clear_pointer (&session->pending, g_ptr_array_unref);
  g_free (session);
}

void
group_session_set_reuse (GroupSession *session, gboolean reuse)
{
  session->reuse = reuse;
}

gboolean
group_session_is_stable (GroupSession *session)
{
  return session->pending == NULL;
}

gboolean
group_session_has_negotiated (GroupSession *session)
{
  return session->negotiated;
}

GPtrArray *
group_session_get_mlines (GroupSession *session)
{
  return session->mlines;
}

static GPtrArray *
latest_mlines (GroupSession *session)
{
  return session->pending ? session->pending : session->mlines;
}

static gboolean
sources_contain (GPtrArray *sources, const char *publisher, const char *kind,
                 const char *track)
{
  for (guint i = 0; i < sources->len; i++)
    {
      GroupSource *source = g_ptr_array_index (sources, i);

      if (g_strcmp0 (source->publisher, publisher) == 0
          && g_strcmp0 (source->kind, kind) == 0 && g_strcmp0 (source->track, track) == 0)
        return TRUE;
    }
  return FALSE;
}

static GroupMLine *
find_slot (GPtrArray *mlines, const char *publisher, const char *kind, const char *track)
{
  for (guint i = 0; i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);

      if (mline->role == GROUP_MLINE_SLOT && g_strcmp0 (mline->source, publisher) == 0
          && g_strcmp0 (mline->kind, kind) == 0 && g_strcmp0 (mline->track, track) == 0)
        return mline;
    }
  return NULL;
}

/* A vacant slot of @kind, or NULL. */
static GroupMLine *
find_vacant_slot (GPtrArray *mlines, const char *kind)
{
  for (guint i = 0; i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);

      if (mline->role == GROUP_MLINE_SLOT && mline->vacant && !mline->remote_sends
          && g_strcmp0 (mline->kind, kind) == 0)
        return mline;
    }
  return NULL;
}

gboolean
group_session_carries (GroupSession *session, GPtrArray *sources)
{
  GPtrArray *mlines = latest_mlines (session);

  for (guint i = 0; i < sources->len; i++)
    {
      GroupSource *source = g_ptr_array_index (sources, i);

      if (group_session_is_media_kind (source->kind)
          && find_slot (mlines, source->publisher, source->kind, source->track) == NULL)
        return FALSE;
    }
  return TRUE;
}

gboolean
group_session_needs_offer (GroupSession *session, GPtrArray *sources)
{
  if (session->want_data && group_mlines_find_data (latest_mlines (session)) == NULL)
    return TRUE;
  GPtrArray *mlines = latest_mlines (session);

  if (!group_session_carries (session, sources))
    return TRUE;
  /* With reuse, slots of publishers that left go vacant in an offer. */
  for (guint i = 0; session->reuse && i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);

      if (mline->role == GROUP_MLINE_SLOT && !mline->vacant && !mline->remote_sends
          && !sources_contain (sources, mline->source, mline->kind, mline->track))
        return TRUE;
    }
  return FALSE;
}

static gboolean
mlines_set_live (GPtrArray *mlines, GPtrArray *sources)
{
  gboolean changed = FALSE;

  for (guint i = 0; i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);
      gboolean live;

      if (mline->role != GROUP_MLINE_SLOT)
        continue;
      live = sources_contain (sources, mline->source, mline->kind, mline->track);
      changed |= live != mline->live;
      mline->live = live;
    }
  return changed;
}

gboolean
group_session_set_live (GroupSession *session, GPtrArray *sources)
{
  if (session->pending != NULL)
    mlines_set_live (session->pending, sources);
  return mlines_set_live (session->mlines, sources);
}

GPtrArray *
group_session_list_published (GroupSession *session, const char *publisher)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) group_source_free);

  for (guint i = 0; i < session->mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (session->mlines, i);

      if ((mline->role == GROUP_MLINE_PUBLISH || mline->role == GROUP_MLINE_SLOT)
          && mline->remote_sends)
        g_ptr_array_add (list, group_source_new_track (publisher, mline->kind,
                                                       mline->publish_track,
                                                       mline->publish_msid));
    }
  return list;
}

gboolean
group_session_publishes (GroupSession *session, const char *kind)
{
  for (guint i = 0; i < session->mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (session->mlines, i);

      if (mline->role == GROUP_MLINE_PUBLISH && g_strcmp0 (mline->kind, kind) == 0)
        return mline->remote_sends;
    }
  return FALSE;
}

const char *
group_session_get_bundle_mid (GroupSession *session, guint *index)
{
  GPtrArray *mlines = latest_mlines (session);

  for (guint i = 0; i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);

      if (mline->role != GROUP_MLINE_REJECTED)
        {
          if (index != NULL)
            *index = i;
          return mline->mid;
        }
    }
  return NULL;
}

gboolean
group_session_knows_mline (GroupSession *session, gint index, const char *mid)
{
  GPtrArray *mlines = latest_mlines (session);

  if (mlines->len == 0 || (index < 0 && mid == NULL))
    return FALSE;
  if (index >= 0 && (guint) index >= mlines->len)
    return FALSE;
  if (mid != NULL)
    {
      if (index >= 0)
        return g_strcmp0 (((GroupMLine *) g_ptr_array_index (mlines, index))->mid, mid)
               == 0;
      for (guint i = 0; i < mlines->len; i++)
        if (g_strcmp0 (((GroupMLine *) g_ptr_array_index (mlines, i))->mid, mid) == 0)
          return TRUE;
      return FALSE;
    }
  return TRUE;
}

GroupMLine *
group_mlines_find_data (GPtrArray *mlines)
{
  for (guint i = 0; i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);

      if (mline->role == GROUP_MLINE_DATA)
        return mline;
    }
  return NULL;
}

void
group_session_want_data (GroupSession *session)
{
  session->want_data = TRUE;
}

gboolean
group_session_get_data (GroupSession *session, guint *sctp_port,
                        guint64 *max_message_size)
{
  const GroupMLine *mline
      = session->negotiated ? group_mlines_find_data (session->mlines) : NULL;

  if (mline == NULL || mline->sctp_port == 0)
    return FALSE;
  if (sctp_port != NULL)
    *sctp_port = mline->sctp_port;
  if (max_message_size != NULL)
    *max_message_size = mline->max_message_size;
  return TRUE;
}

guint64
group_session_get_id (GroupSession *session)
{
  return session->id;
}

guint64
group_session_next_version (GroupSession *session)
{
  return ++session->version;
}

static char *
unique_mid (GPtrArray *mlines)
{
  for (guint n = mlines->len;; n++)
    {
      g_autofree char *mid = g_strdup_printf ("%u", n);
      gboolean taken = FALSE;

      for (guint i = 0; i < mlines->len && !taken; i++)
        taken = g_strcmp0 (((GroupMLine *) g_ptr_array_index (mlines, i))->mid, mid) == 0;
      if (!taken)
        return g_steal_pointer (&mid);
    }
}

static guint32
unique_ssrc (GPtrArray *mlines)
{
  for (;;)
    {
      guint32 ssrc = g_random_int ();
      gboolean taken = ssrc == 0;

      for (guint i = 0; i < mlines->len && !taken; i++)
        {
          const GroupMLine *mline = g_ptr_array_index (mlines, i);

          taken = mline->ssrc == ssrc || mline->rtx_ssrc == ssrc;
        }
      if (!taken)
        return ssrc;
    }
}

GroupMLine *
group_mline_new (GroupMLineRole role, const char *kind, char *mid,
                 const GroupCodec *codec)
{
  GroupMLine *mline = g_new0 (GroupMLine, 1);

  mline->role = role;
  mline->kind = g_strdup (kind);
  mline->mid = mid;
  mline->codec = codec ? group_codec_copy (codec) : NULL;
  return mline;
}

/* RID simulcast the client sends on @mline: its layers and extensions,
 * in our answer and in our later offers alike (an offer without them
 * would make Chromium stop all but one layer). */
static void
local_media_simulcast (GroupLocalMedia *media, const GroupMLine *mline)
{
  const GroupMLineSimulcast *simulcast = &mline->simulcast;

  if (!mline->remote_sends || simulcast->n_layers == 0 || simulcast->rids[0][0] == '\0')
    return;
  media->rids = g_new0 (char *, simulcast->n_layers + 1);
  for (guint i = 0; i < simulcast->n_layers; i++)
    media->rids[i] = g_strdup (simulcast->rids[i]);
  media->extensions = simulcast->extensions;
}

/* The m-line as we describe it: in an offer we receive on every PUBLISH
 * m-line; in an answer only where the participant sends. */
static GroupLocalMedia *
local_media_for (const GroupMLine *mline, gboolean offer)
{
  GroupLocalMedia *media = group_local_media_new ();

  media->kind = g_strdup (mline->kind);
  media->mid = g_strdup (mline->mid);
  switch (mline->role)
    {
    case GROUP_MLINE_DATA:
      break;
    case GROUP_MLINE_REJECTED:
      media->rejected = TRUE;
      media->rejected_proto = g_strdup (mline->rejected_proto);
      media->rejected_formats = g_strdup (mline->rejected_formats);
      break;
    case GROUP_MLINE_PUBLISH:
      media->codec = group_codec_copy (mline->codec);
      media->direction = offer || mline->remote_sends ? GROUP_DIRECTION_RECVONLY
                                                      : GROUP_DIRECTION_INACTIVE;
      /* Audio levels, for the dominant speaker: offered on every audio
       * uplink, answered where the client offered them. */
      if (g_str_equal (mline->kind, "audio"))
        media->audio_level_id = mline->audio_level_id != 0 ? mline->audio_level_id
                                : offer                    ? GROUP_AUDIO_LEVEL_ID
                                                           : 0;
      local_media_simulcast (media, mline);
      break;
    case GROUP_MLINE_SLOT:
      media->codec = group_codec_copy (mline->codec);
      if (mline->vacant)
        {
          media->direction = mline->remote_sends && !offer ? GROUP_DIRECTION_RECVONLY
                                                           : GROUP_DIRECTION_INACTIVE;
          break;
        }
      /* Live or not, always the same in our offers (see group-session.h). */
      if (offer || mline->remote_receives)
        {
          /* sendrecv once the client sends on it too (group-session.h). */
          media->direction
              = mline->remote_sends ? GROUP_DIRECTION_SENDRECV : GROUP_DIRECTION_SENDONLY;
          media->ssrc = mline->ssrc;
          media->rtx_ssrc = mline->rtx_ssrc;
          media->msid_stream = g_strdup (mline->source);
          media->msid_track = mline->msid_track != NULL
                                  ? g_strdup (mline->msid_track)
                                  : g_strdup_printf ("%s-%s", mline->source, mline->kind);
          media->cname = g_strdup (mline->source);
        }
      else
        media->direction
            = mline->remote_sends ? GROUP_DIRECTION_RECVONLY : GROUP_DIRECTION_INACTIVE;
      break;
    }
  return media;
}

GPtrArray *
group_mlines_describe (GPtrArray *mlines, gboolean offer)
{
  GPtrArray *list
      = g_ptr_array_new_with_free_func ((GDestroyNotify) group_local_media_free);

  for (guint i = 0; i < mlines->len; i++)
    g_ptr_array_add (list, local_media_for (g_ptr_array_index (mlines, i), offer));
  return list;
}

GPtrArray *
group_session_create_offer (GroupSession *session, GPtrArray *sources)
{
  GPtrArray *mlines;

  g_clear_pointer (&session->pending, g_ptr_array_unref);
  mlines = session->pending = group_mlines_copy (session->mlines);

  if (mlines->len == 0)
    {
      g_ptr_array_add (mlines, group_mline_new (GROUP_MLINE_PUBLISH, "audio",
                                                unique_mid (mlines), session->codecs[0]));
      g_ptr_array_add (mlines, group_mline_new (GROUP_MLINE_PUBLISH, "video",
                                                unique_mid (mlines), session->codecs[1]));
    }

  if (session->want_data && group_mlines_find_data (mlines) == NULL)
    g_ptr_array_add (mlines, group_mline_new (GROUP_MLINE_DATA, "application",
                                              unique_mid (mlines), NULL));

  mlines_set_live (mlines, sources);
  for (guint s = 0; s < sources->len; s++)
    {
      GroupSource *source = g_ptr_array_index (sources, s);
      GroupMLine *slot;

      if (!group_session_is_media_kind (source->kind)
          || find_slot (mlines, source->publisher, source->kind, source->track))
        continue;
      /* A vacant slot the client has accepted as such (it is vacant in the
       * negotiated m-lines this offer copied) is taken over. */
      slot = session->reuse ? find_vacant_slot (mlines, source->kind) : NULL;
      if (slot != NULL)
        {
          slot->vacant = FALSE;
          slot->remote_receives = FALSE;
          g_clear_pointer (&slot->msid_track, g_free);
          g_clear_pointer (&slot->track, g_free);
          slot->source = g_strdup (source->publisher);
          slot->track = g_strdup (source->track);
          if (source->track != NULL)
            slot->msid_track
                = source->msid_track != NULL
                      ? g_strdup (source->msid_track)
                      : g_strdup_printf ("%s-%s", source->publisher, source->track);
          slot->ssrc = 0;
          slot->rtx_ssrc = 0;
          slot->ssrc = unique_ssrc (mlines);
          slot->rtx_ssrc = unique_ssrc (mlines);
          slot->live = TRUE;
          continue;
        }
      slot = group_mline_new (GROUP_MLINE_SLOT, source->kind, unique_mid (mlines),
                              session->codecs[group_session_kind_index (source->kind)]);
      slot->source = g_strdup (source->publisher);
      slot->track = g_strdup (source->track);
      /* A publisher's first of a kind keeps "<sid>-<kind>" (what clients
       * have always seen); any other track is announced under the
       * publisher's own id for it, so that an SDK subscriber can tie it to
       * the publication (docs/twilio-video-sdk.md). */
      if (source->track != NULL)
        slot->msid_track
            = source->msid_track != NULL
                  ? g_strdup (source->msid_track)
                  : g_strdup_printf ("%s-%s", source->publisher, source->track);
      slot->ssrc = unique_ssrc (mlines);
      g_ptr_array_add (mlines, slot);
      /* Drawn after the slot is in the list, so that it differs from
       * @ssrc too; used once the codec has an rtx_pt. */
      slot->rtx_ssrc = unique_ssrc (mlines);
      slot->live = TRUE;
    }

  /* Slots of publishers that left go vacant (after the new sources took
   * the older vacant ones: the client has not accepted these yet). A slot
   * the client sends on stays: it is its uplink too. */
  for (guint i = 0; session->reuse && i < mlines->len; i++)
    {
      GroupMLine *mline = g_ptr_array_index (mlines, i);

      if (mline->role == GROUP_MLINE_SLOT && !mline->live && !mline->vacant
          && !mline->remote_sends)
        {
          mline->vacant = TRUE;
          g_clear_pointer (&mline->source, g_free);
          g_clear_pointer (&mline->track, g_free);
          g_clear_pointer (&mline->msid_track, g_free);
        }
    }

  return group_mlines_describe (mlines, TRUE);
}

void
group_session_rollback (GroupSession *session)
{
  g_clear_pointer (&session->pending, g_ptr_array_unref);
}
