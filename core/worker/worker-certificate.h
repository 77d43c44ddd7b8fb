/* The DTLS certificate a room worker uses (docs/worker-protocol.md):
 * handed over by the daemon through an inherited pipe, or generated here
 * when the daemon has none yet.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest PEM accepted from --certificate-fd. */
#define CONVOKE_CERTIFICATE_MAX_PEM 65536

/* A new self-signed RSA-2048 certificate valid for 30 days, followed by
 * its private key (PKCS#8), as one PEM string. */
char *convoke_worker_certificate_generate (GError **error);

/* Reads @fd to EOF and closes it. The text must hold a certificate and
 * the private key that matches it. */
char *convoke_worker_certificate_read_fd (int fd, GError **error);

/* Checks that @pem holds a certificate and its matching private key. */
gboolean convoke_worker_certificate_validate (const char *pem, GError **error);

G_END_DECLS
