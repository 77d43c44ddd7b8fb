/* Janus's WebSocket API (subprotocol janus-protocol) for convoke-load: one
 * WebSocket carrying one Janus session, requests matched to their answers
 * by transaction, and keepalives.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "load-run.h"

G_BEGIN_DECLS

typedef struct _JanusConn JanusConn;
typedef void (*JanusReply) (JanusConn *conn, JsonObject *reply, gpointer data);

/* One WebSocket and one Janus session. */
struct _JanusConn
{
  LoadRun *run;
  char *who;
  SoupWebsocketConnection *ws;
  GCancellable *cancellable;
  gint64 session_id;
  GHashTable *transactions; /* transaction → Pending* */
  guint keepalive_source;
  guint next_transaction;
  gboolean closing;
  gint64 create_us;                               /* the session's create was sent */
  void (*ready) (JanusConn *conn, gpointer data); /* session created */
  void (*event) (JanusConn *conn, JsonObject *message, gpointer data);
  gpointer data;
};

typedef struct
{
  JanusReply reply;
  gpointer data;
} Pending;

/* Connects to the run's --url and creates a session; @ready then runs. */
void janus_conn_open (JanusConn *conn, LoadRun *run, const char *who);
/* Destroys the session and closes the WebSocket (idempotent). */
void janus_conn_close (JanusConn *conn);
/* Closes and frees what the connection holds (not @conn itself). */
void janus_conn_clear (JanusConn *conn);
/* Sends @message with a new transaction (and the session id); @reply
 * gets the answer (for asynchronous requests, the event after the ack). */
void janus_conn_send (JanusConn *conn, JsonObject *message, JanusReply reply,
                      gpointer data);
/* {"janus":"message","handle_id":…,"body":…[,"jsep":{type, sdp, trickle:false}]} */
void janus_conn_plugin_message (JanusConn *conn, gint64 handle, JsonObject *body,
                                const char *jsep_type, const char *sdp, JanusReply reply,
                                gpointer data);
/* Attaches a VideoRoom handle; @reply gets the answer (see janus_reply_id). */
void janus_conn_attach (JanusConn *conn, JanusReply reply, gpointer data);

/* {"janus": @janus}, to fill in and send. */
JsonObject *janus_message (const char *janus);
/* The plugin's data in an answer, or NULL with the error recorded. */
JsonObject *janus_plugin_data (JanusConn *conn, JsonObject *reply, const char *what);
/* The id a "success" answer carries (session, handle), or 0 with the error
 * recorded. */
gint64 janus_reply_id (JanusConn *conn, JsonObject *reply, const char *what);
/* A member of the given type, or NULL: Janus leaves members out freely. */
JsonObject *janus_object_member (JsonObject *object, const char *name);
JsonArray *janus_array_member (JsonObject *object, const char *name);

G_END_DECLS
