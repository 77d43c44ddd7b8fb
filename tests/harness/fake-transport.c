/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-transport.h"

static void
fake_send (gpointer transport, JsonObject *message)
{
  TestFakeTransport *t = transport;
  g_autoptr (JsonNode) node = NULL;

  if (t->sent == NULL)
    return;
  node = json_node_init_object (json_node_alloc (), message);
  g_ptr_array_add (t->sent, json_to_string (node, FALSE));
}

static void
fake_close (gpointer transport, int code, const char *reason)
{
  TestFakeTransport *t = transport;

  t->closes++;
  t->close_code = code;
  g_free (t->close_reason);
  t->close_reason = g_strdup (reason);
}

static gboolean
fake_get_trickle (gpointer transport)
{
  return ((TestFakeTransport *) transport)->trickle;
}

const ConvokeParticipantTransport test_fake_transport_vtable = {
  .send = fake_send,
  .close = fake_close,
};

const ConvokeParticipantTransport test_fake_transport_trickle_vtable = {
  .send = fake_send,
  .close = fake_close,
  .get_trickle = fake_get_trickle,
};

void
test_fake_transport_init (TestFakeTransport *transport)
{
  transport->sent = g_ptr_array_new_with_free_func (g_free);
}

void
test_fake_transport_clear (TestFakeTransport *transport)
{
  g_clear_pointer (&transport->sent, g_ptr_array_unref);
  g_clear_pointer (&transport->close_reason, g_free);
}

TestFakeTransport *
test_fake_transport_new (void)
{
  TestFakeTransport *transport = g_new0 (TestFakeTransport, 1);

  test_fake_transport_init (transport);
  return transport;
}

void
test_fake_transport_free (TestFakeTransport *transport)
{
  test_fake_transport_clear (transport);
  g_free (transport);
}
