/* Shared by the recording tests: RSA key pairs made on the spot, and
 * reading a recording back with GStreamer to see what it holds.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Writes NAME.pem (private, PKCS#8) and NAME.pub.pem (SubjectPublicKeyInfo)
 * into @dir for a new RSA key of @bits; returns the private key's path and
 * sets *@public_path. */
char *recording_test_make_keys (const char *dir, const char *name, guint bits,
                                char **public_path);

typedef struct
{
  char *media_type;       /* of the demuxed stream: "video/x-vp8", "audio/x-opus", … */
  guint buffers;          /* demuxed frames */
  GstClockTime first_pts; /* of the first demuxed frame */
  GstClockTime duration;  /* last frame's end minus the first frame's start */
  gboolean first_is_keyframe;
  guint decoded; /* frames or audio buffers out of the decoder */
  char *error;   /* the first error either pass hit, or NULL */
} RecordingInfo;

void recording_info_clear (RecordingInfo *info);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RecordingInfo, recording_info_clear)

/* Demuxes @path (Matroska) and decodes it. Errors (an unreadable file, a
 * decoder error) land in info->error; the counts say how far it got. */
void recording_test_read (const char *path, RecordingInfo *info);

/* Decrypts @path with @private_key into a new file beside it; returns its
 * path. The decryption's error, if any, is put in *@error (a truncated
 * file still yields its path). */
char *recording_test_decrypt (const char *path, const char *private_key, GError **error);

/* Whether @haystack contains @needle. */
gboolean recording_test_contains (GBytes *haystack, const char *needle);

G_END_DECLS
