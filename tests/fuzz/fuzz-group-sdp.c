/* Fuzz target: what the group module does with a client's session
 * descriptions (modules/group/common/group-sdp.c, modules/group/worker/group-session.c): parse and
 * check the SDP, then negotiate it against the participant's m-lines, and
 * write our own description from the result.
 *
 * Input: up to 8 SDP texts separated by lines holding only "%%". The
 * first byte is not SDP: bit 0 picks the room's video codec (VP8 or
 * H.264), bits 1 to 7 say, for SDP number 1 to 7 after the first, whether
 * it answers an offer of ours (set) or is a new client offer (clear); the
 * first SDP is always a client offer, as when a browser joins and
 * publishes. A server offer carries two publishers' audio and video, so
 * offers grow slots as they do in a room.
 *
 * Checks, besides the sanitizers: a refusal is 53403 (bad description) or
 * 53404 (no supported codec) and leaves the session usable; every description we write from
 * the client's input parses back with our own parser (what we send
 * must be valid SDP, whatever the client sent).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <convoke/topology.h>
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "group-session.h"
#include "twilio-error.h"

#define MAX_DESCRIPTIONS 8
#define FINGERPRINT                                                                      \
  "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:" \
  "66:77:88:99"

static GroupCodec *opus, *vp8, *h264;
static GRegex *separator;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init_logging ();
  gst_init (NULL, NULL);
  /* The room codecs of modules/group/worker/group-worker.c. */
  opus = group_codec_new (111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
  vp8 = group_codec_new (96, "VP8", 90000, 0, NULL);
  h264 = group_codec_new (
      102, "H264", 90000, 0,
      "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  separator = g_regex_new ("^%%\\r?$\\n?", G_REGEX_MULTILINE | G_REGEX_RAW, 0, NULL);
  return 0;
}

static void
check_refusal (const GError *error)
{
  if (error == NULL || error->domain != CONVOKE_TOPOLOGY_ERROR
      || (error->code != CONVOKE_ERROR_SDP_SERVER_REMOTE
          && error->code != CONVOKE_ERROR_SDP_NO_SUPPORTED_CODEC)
      || !g_utf8_validate (error->message, -1, NULL))
    {
      fprintf (stderr, "unexpected refusal: %s %d: %s\n",
               error ? g_quark_to_string (error->domain) : "(no error)",
               error ? error->code : 0, error ? error->message : "");
      abort ();
    }
}

/* Writes our description of @media as the worker does and parses it back. */
static void
write_and_reparse (GroupSession *session, GPtrArray *media, const char *setup)
{
  g_autoptr (GPtrArray) candidates = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GroupRemoteDescription) reparsed = NULL;
  g_autofree char *text = NULL;
  GroupLocalDescription description = {
    .session_id = group_session_get_id (session),
    .session_version = group_session_next_version (session),
    .ice_ufrag = "fuzz",
    .ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz",
    .fingerprint = FINGERPRINT,
    .setup = setup,
    .trickle = TRUE,
    .candidates = candidates,
    .end_of_candidates = TRUE,
    .media = media,
  };

  g_ptr_array_add (candidates, "candidate:1 1 UDP 2013266431 127.0.0.1 40000 typ host");
  text = group_local_description_write (&description);
  reparsed = group_remote_description_parse (text, &error);
  if (reparsed == NULL)
    {
      fprintf (stderr, "our own description does not parse: %s\n%s\n", error->message,
               text);
      abort ();
    }
  if (reparsed->media->len != media->len)
    abort ();
}

static GPtrArray *
server_sources (void)
{
  GPtrArray *sources = g_ptr_array_new_with_free_func ((GDestroyNotify) group_source_free);

  g_ptr_array_add (sources, group_source_new ("PA00000000000000000000000000000001", "audio"));
  g_ptr_array_add (sources, group_source_new ("PA00000000000000000000000000000001", "video"));
  g_ptr_array_add (sources, group_source_new ("PA00000000000000000000000000000002", "video"));
  return sources;
}

static void
negotiate (GroupSession *session, const char *sdp, gboolean is_answer)
{
  g_autoptr (GroupRemoteDescription) remote = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sources = server_sources ();

  if (is_answer && group_session_is_stable (session))
    {
      g_autoptr (GPtrArray) offer = group_session_create_offer (session, sources);

      write_and_reparse (session, offer, "actpass");
    }

  remote = group_remote_description_parse (sdp, &error);
  if (remote == NULL)
    {
      check_refusal (error);
      return;
    }
  if (is_answer)
    {
      if (!group_session_apply_answer (session, remote, &error))
        {
          check_refusal (error);
          /* What the worker does when the client's answer is refused: it
           * fails the participant; here, just withdraw the offer. */
          group_session_rollback (session);
          return;
        }
    }
  else
    {
      g_autoptr (GPtrArray) answer = NULL;

      if (!group_session_is_stable (session))
        group_session_rollback (session);
      answer = group_session_apply_offer (session, remote, &error);
      if (answer == NULL)
        {
          check_refusal (error);
          return;
        }
      write_and_reparse (session, answer, "passive");
    }

  /* What the worker asks next: routing and trickled candidates. */
  group_session_set_live (session, sources);
  group_session_publishes (session, "audio");
  group_session_publishes (session, "video");
  group_session_get_bundle_mid (session, NULL);
  group_session_knows_mline (session, 0, NULL);
  group_session_knows_mline (session, -1, "0");
  group_session_knows_mline (session, 1000, "no-such-mid");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) parts = NULL;
  g_autoptr (GroupSession) session = NULL;
  guint8 flags;

  if (size < 1)
    return 0;
  flags = data[0];
  text = fuzz_strndup (data + 1, size - 1);
  parts = g_regex_split (separator, text, 0);
  session = group_session_new (opus, (flags & 1) ? h264 : vp8);

  for (guint i = 0; parts[i] != NULL && i < MAX_DESCRIPTIONS; i++)
    negotiate (session, parts[i], i > 0 && (flags >> i) & 1);
  return 0;
}
