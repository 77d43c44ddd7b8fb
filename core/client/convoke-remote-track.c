/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "convoke-remote-track.h"

struct _ConvokeRemoteTrack
{
  GObject parent_instance;

  char *participant_sid;
  char *participant_identity;
  char *kind;
  char *mid;
  GstPad *pad;
  gint64 connection_created;
};

G_DEFINE_TYPE (ConvokeRemoteTrack, convoke_remote_track, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PARTICIPANT_SID,
  PROP_PARTICIPANT_IDENTITY,
  PROP_KIND,
  PROP_MID,
  PROP_PAD,
  PROP_CONNECTION_CREATED,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

ConvokeRemoteTrack *
convoke_remote_track_new (const char *participant_sid, const char *participant_identity,
                          const char *kind, const char *mid, GstPad *pad,
                          gint64 connection_created)
{
  return g_object_new (CONVOKE_TYPE_REMOTE_TRACK, "participant-sid", participant_sid,
                       "participant-identity", participant_identity, "kind", kind, "mid",
                       mid, "pad", pad, "connection-created", connection_created, NULL);
}

const char *
convoke_remote_track_get_participant_sid (ConvokeRemoteTrack *self)
{
  g_return_val_if_fail (CONVOKE_IS_REMOTE_TRACK (self), NULL);
  return self->participant_sid;
}

const char *
convoke_remote_track_get_participant_identity (ConvokeRemoteTrack *self)
{
  g_return_val_if_fail (CONVOKE_IS_REMOTE_TRACK (self), NULL);
  return self->participant_identity;
}

const char *
convoke_remote_track_get_kind (ConvokeRemoteTrack *self)
{
  g_return_val_if_fail (CONVOKE_IS_REMOTE_TRACK (self), NULL);
  return self->kind;
}

const char *
convoke_remote_track_get_mid (ConvokeRemoteTrack *self)
{
  g_return_val_if_fail (CONVOKE_IS_REMOTE_TRACK (self), NULL);
  return self->mid;
}

GstPad *
convoke_remote_track_get_pad (ConvokeRemoteTrack *self)
{
  g_return_val_if_fail (CONVOKE_IS_REMOTE_TRACK (self), NULL);
  return self->pad;
}

gint64
convoke_remote_track_get_connection_created (ConvokeRemoteTrack *self)
{
  g_return_val_if_fail (CONVOKE_IS_REMOTE_TRACK (self), 0);
  return self->connection_created;
}

static void
convoke_remote_track_get_property (GObject *object, guint prop_id, GValue *value,
                                   GParamSpec *pspec)
{
  ConvokeRemoteTrack *self = CONVOKE_REMOTE_TRACK (object);

  switch (prop_id)
    {
    case PROP_PARTICIPANT_SID:
      g_value_set_string (value, self->participant_sid);
      break;
    case PROP_PARTICIPANT_IDENTITY:
      g_value_set_string (value, self->participant_identity);
      break;
    case PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case PROP_MID:
      g_value_set_string (value, self->mid);
      break;
    case PROP_PAD:
      g_value_set_object (value, self->pad);
      break;
    case PROP_CONNECTION_CREATED:
      g_value_set_int64 (value, self->connection_created);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
convoke_remote_track_set_property (GObject *object, guint prop_id, const GValue *value,
                                   GParamSpec *pspec)
{
  ConvokeRemoteTrack *self = CONVOKE_REMOTE_TRACK (object);

  switch (prop_id)
    {
    case PROP_PARTICIPANT_SID:
      self->participant_sid = g_value_dup_string (value);
      break;
    case PROP_PARTICIPANT_IDENTITY:
      self->participant_identity = g_value_dup_string (value);
      break;
    case PROP_KIND:
      self->kind = g_value_dup_string (value);
      break;
    case PROP_MID:
      self->mid = g_value_dup_string (value);
      break;
    case PROP_PAD:
      self->pad = g_value_dup_object (value);
      break;
    case PROP_CONNECTION_CREATED:
      self->connection_created = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
convoke_remote_track_finalize (GObject *object)
{
  ConvokeRemoteTrack *self = CONVOKE_REMOTE_TRACK (object);

  g_free (self->participant_sid);
  g_free (self->participant_identity);
  g_free (self->kind);
  g_free (self->mid);
  gst_clear_object (&self->pad);
  G_OBJECT_CLASS (convoke_remote_track_parent_class)->finalize (object);
}

static void
convoke_remote_track_init (ConvokeRemoteTrack *self)
{
}

static void
convoke_remote_track_class_init (ConvokeRemoteTrackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags
      = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = convoke_remote_track_get_property;
  object_class->set_property = convoke_remote_track_set_property;
  object_class->finalize = convoke_remote_track_finalize;

  properties[PROP_PARTICIPANT_SID] = g_param_spec_string (
      "participant-sid", "Participant sid", "The publisher's sid", NULL, flags);
  properties[PROP_PARTICIPANT_IDENTITY]
      = g_param_spec_string ("participant-identity", "Participant identity",
                             "The publisher's identity", NULL, flags);
  properties[PROP_KIND]
      = g_param_spec_string ("kind", "Kind", "\"audio\" or \"video\"", NULL, flags);
  properties[PROP_MID] = g_param_spec_string (
      "mid", "Media id", "The SDP media id it arrives on", NULL, flags);
  properties[PROP_PAD] = g_param_spec_object ("pad", "Pad", "The pad carrying its RTP",
                                              GST_TYPE_PAD, flags);
  properties[PROP_CONNECTION_CREATED]
      = g_param_spec_int64 ("connection-created", "Connection created",
                            "Monotonic time (µs) when its peer connection was created", 0,
                            G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}
