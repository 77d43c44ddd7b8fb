/* The DTLS side of a group room participant's transport: when the
 * handshake may start, what is held until then, and where the keys it
 * exports go (group-transport-private.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <convoke/topology.h>
#include <string.h>

#include "context-dispatch.h"
#include "group-srtp-receiver.h"
#include "group-srtp-sender.h"
#include "group-transport-private.h"
#include "i18n.h"
#include "twilio-error.h"

#define GST_CAT_DEFAULT group_transport_debug

static GstPadProbeReturn
hold_packets (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_OK; /* the BLOCK type does the holding */
}

/* Holds, rather than drops, what reaches @element's sink pad until
 * release_sink_pad(): a lost DTLS flight is only resent a second later. */
static gulong
hold_sink_pad (GstElement *element)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (element, "sink");

  return gst_pad_add_probe (sink,
                            GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER
                                | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                            hold_packets, NULL, NULL);
}

static void
release_sink_pad (GstElement *element, gulong probe)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (element, "sink");

  gst_pad_remove_probe (sink, probe);
}

/* A browser sends its ClientHello as soon as ICE connects, which can be
 * before the worker has applied its answer and started dtlssrtpenc. If
 * dtlssrtpdec sees the ClientHello then, OpenSSL fails the connection
 * for good ("ssl_read_internal:uninitialized"). So the decoder's input is
 * held until the encoder is running. Only DTLS can arrive that early:
 * libnice consumes STUN itself, and SRTP needs the handshake first. */
static void
release_decoder (GroupTransport *self)
{
  if (self->dec_hold_probe == 0)
    return;
  release_sink_pad (self->dec, self->dec_hold_probe);
  self->dec_hold_probe = 0;
}

/* Until the component has a selected pair, libnice drops whatever nicesink
 * gives it. Chromium sends its ClientHello as soon as its own check
 * succeeds, which is often before ours does: the server's first flight
 * was then lost, and OpenSSL resent it a second later (doubling at each
 * further loss). So outgoing packets are held until ICE connects. This
 * blocks only the encoder's thread: STUN goes on in nicesrc's. From any
 * thread. */
void
group_transport_dtls_release_sender (GroupTransport *self)
{
  gulong probe;

  GST_OBJECT_LOCK (self);
  probe = self->send_hold_probe;
  self->send_hold_probe = 0;
  GST_OBJECT_UNLOCK (self);
  if (probe != 0)
    release_sink_pad (self->nicesink, probe);
}

/* dtlssrtpenc reads is-client when it leaves READY. As DTLS server it can
 * start at once; as client it must wait for ICE, or its ClientHello is
 * sent into the void. */
void
group_transport_dtls_maybe_start (GroupTransport *self)
{
  if (!self->dtls_role_decided || self->enc_started || self->shut_down)
    return;
  if (self->dtls_client && !self->ice_connected)
    return;
  self->enc_started = TRUE;
  GST_DEBUG_OBJECT (self, "starting DTLS as %s", self->dtls_client ? "client" : "server");
  gst_element_set_locked_state (self->enc, FALSE);
  gst_element_sync_state_with_parent (self->enc);
  release_decoder (self);
}

static GChecksumType
checksum_type_for_hash (const char *hash)
{
  if (g_strcmp0 (hash, "sha-1") == 0)
    return G_CHECKSUM_SHA1;
  if (g_strcmp0 (hash, "sha-384") == 0)
    return G_CHECKSUM_SHA384;
  if (g_strcmp0 (hash, "sha-512") == 0)
    return G_CHECKSUM_SHA512;
  return G_CHECKSUM_SHA256;
}

static gboolean
keys_set_on_context (gpointer data)
{
  GroupTransport *self = data;
  g_autofree char *peer_pem = NULL;
  g_autofree char *peer_fingerprint = NULL;
  g_autoptr (GError) error = NULL;

  if (self->shut_down || self->failed || self->connected)
    return G_SOURCE_REMOVE;

  /* DTLS accepted any certificate; only the SDP fingerprint ties it to the
   * participant who signalled. */
  g_object_get (self->dec, "peer-pem", &peer_pem, NULL);
  if (peer_pem != NULL && self->remote_fingerprint != NULL)
    peer_fingerprint = group_certificate_fingerprint (
        peer_pem, checksum_type_for_hash (self->remote_fingerprint_hash), &error);
  if (peer_fingerprint == NULL
      || g_ascii_strcasecmp (peer_fingerprint, self->remote_fingerprint) != 0)
    {
      group_transport_fail (self, _ ("The peer's DTLS certificate does not match the "
                               "a=fingerprint of its session description"));
      return G_SOURCE_REMOVE;
    }
  group_transport_emit_connected (self);
  return G_SOURCE_REMOVE;
}

/* The largest #GstConvokeRouter:retransmission-cache-size: a NACK can name
 * a packet that far back. */
#define ROUTER_MAX_RETRANSMISSION_CACHE 8192

/* dtlssrtpenc has just given its srtpenc the keys of the handshake; the
 * sender takes them from there. The router answers a NACK by sending the
 * cached packet again with the sequence number the subscriber saw, which
 * is what RFC 4585 clients without RTX expect: the sender lets such a
 * repeat of an index through (libsrtp2 refuses it by default, which once
 * ended a participant's media at the first NACK). That is safe because a
 * repeat carries the same payload (the cached packet, rewritten the same
 * way), so no keystream is reused on other plaintext; its window reaches
 * back as far as the router's cache. */
static gboolean
give_sender_keys (GroupTransport *self, GError **error)
{
  g_autoptr (GBytes) key = NULL;
  GroupSrtpCipher cipher;
  GroupSrtpAuth auth;

  return group_srtp_read_key (self->srtpenc, "key", "rtp-cipher", "rtp-auth", &cipher, &auth,
                              &key, error)
         && group_srtp_sender_set_key (self->sender, cipher, auth, key,
                                       ROUTER_MAX_RETRANSMISSION_CACHE, error);
}

/* The receiver's replay window: a browser's packets can arrive this far
 * out of order on a lossy path without being taken for replays. */
#define RECEIVE_REPLAY_WINDOW 1024

/* Emitted by dtlsdec on the thread that completed the handshake, which
 * is nicesrc's (the receiver passes DTLS on synchronously): the key is
 * in place before the next packet is read. */
static void
on_decoder_key (GstElement *dtlsdec, gpointer user_data)
{
  GroupTransport *self = user_data;
  g_autoptr (GBytes) key = NULL;
  g_autoptr (GError) error = NULL;
  GroupSrtpCipher cipher;
  GroupSrtpAuth auth;

  if (!group_srtp_read_key (dtlsdec, "decoder-key", "srtp-cipher", "srtp-auth", &cipher, &auth,
                            &key, &error)
      || !group_srtp_receiver_set_key (self->receiver, cipher, auth, key,
                                       RECEIVE_REPLAY_WINDOW, &error))
    group_transport_fail_async (self, error->message);
}

/* Emitted on a DTLS thread. The sender gets its keys here, before
 * "connected": the router pushes nothing to this participant before. */
static void
on_key_set (GstElement *enc, gpointer user_data)
{
  GroupTransport *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!give_sender_keys (self, &error))
    {
      group_transport_fail_async (self, error->message);
      return;
    }
  convoke_context_dispatch (self->context, keys_set_on_context, g_object_ref (self),
                            g_object_unref);
}

/* The child of @bin made by @factory_name: dtlssrtpenc's srtpenc and
 * dtlssrtpdec's dtlsdec are where DTLS puts the keys it exported, and
 * only there can the sender and receiver read them. */
static GstElement *
find_child (GstElement *bin, const char *factory_name)
{
  g_autoptr (GstIterator) children = gst_bin_iterate_elements (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  GstElement *found = NULL;

  while (found == NULL && gst_iterator_next (children, &item) == GST_ITERATOR_OK)
    {
      GstElement *child = g_value_get_object (&item);
      GstElementFactory *factory = gst_element_get_factory (child);

      if (factory != NULL && g_strcmp0 (GST_OBJECT_NAME (factory), factory_name) == 0)
        found = child;
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return found;
}

gboolean
group_transport_dtls_setup (GroupTransport *self, const char *name, GError **error)
{
  self->srtpenc = find_child (self->enc, "srtpenc");
  self->dtlsdec = find_child (self->dec, "dtlsdec");
  if (self->srtpenc == NULL || self->dtlsdec == NULL)
    {
      g_set_error (error, CONVOKE_TOPOLOGY_ERROR, CONVOKE_ERROR_INTERNAL,
                   _ ("The DTLS elements of %s have no srtpenc or dtlsdec inside, so "
                      "no SRTP key can be read"),
                   name);
      return FALSE;
    }
  g_signal_connect (self->dtlsdec, "on-key-received", G_CALLBACK (on_decoder_key), self);
  gst_element_set_locked_state (self->enc, TRUE);
  self->dec_hold_probe = hold_sink_pad (self->dec);
  self->send_hold_probe = hold_sink_pad (self->nicesink);
  g_signal_connect (self->enc, "on-key-set", G_CALLBACK (on_key_set), self);
  return TRUE;
}

void
group_transport_set_dtls_client (GroupTransport *self, gboolean client)
{
  if (self->dtls_role_decided)
    return;
  self->dtls_role_decided = TRUE;
  self->dtls_client = client;
  g_object_set (self->enc, "is-client", client, NULL);
  group_transport_dtls_maybe_start (self);
}

gboolean
group_transport_get_dtls_role (GroupTransport *self, gboolean *client)
{
  if (client != NULL)
    *client = self->dtls_client;
  return self->dtls_role_decided;
}

char *
group_certificate_fingerprint (const char *pem, GChecksumType type, GError **error)
{
  static const char end_marker[] = "-----END CERTIFICATE-----";
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GByteArray) der = NULL;
  g_autoptr (GChecksum) checksum = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  const char *end = strstr (pem, end_marker);
  guint8 digest[64];
  gsize digest_len = sizeof (digest);

  /* Only the certificate: its private key, when there is one, is not
   * needed here and may be of a type the TLS backend cannot load. */
  certificate = g_tls_certificate_new_from_pem (
      pem, end ? (gssize) (end - pem + strlen (end_marker)) : -1, error);
  if (certificate == NULL)
    return NULL;
  g_object_get (certificate, "certificate", &der, NULL);
  checksum = g_checksum_new (type);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &digest_len);
  for (gsize i = 0; i < digest_len; i++)
    g_string_append_printf (text, i ? ":%02X" : "%02X", digest[i]);
  return g_string_free (g_steal_pointer (&text), FALSE);
}
