/* convoke-test-impair: a userspace Ethernet hop that impairs a link.
 *
 * This kernel has no sch_netem, so the network tests build delay, jitter,
 * loss and a capped rate here: the program runs in a network namespace of
 * its own between two veth interfaces, reads every frame arriving on one
 * (an AF_PACKET socket, in promiscuous mode) and sends it out of the other
 * after the impairment of that direction. Nothing else is in between: the
 * two ends see each other as on one Ethernet segment (ARP included).
 *
 *   convoke-test-impair A-IFACE B-IFACE [SETTING…]
 *
 * A SETTING is `DIR:KEY=VALUE`, DIR being `up` (frames from A to B), `down`
 * (B to A) or `both`; KEY one of
 *   loss    percent of frames dropped at random (0–100, fractions allowed)
 *   delay   one-way delay, ms
 *   jitter  ms: each frame's delay is uniform in [delay − jitter,
 *           delay + jitter]; frames never overtake each other, so a
 *           frame may wait for its predecessor (no reordering)
 *   rate    kbit/s of the link, 0 for no cap; a frame waits its turn
 *   queue   ms of frames the capped link queues before it drops (tail drop)
 *   seed    the random seed (both directions), for reproducible losses
 * The same settings, one per line, on standard input change a running hop
 * (the tests lift a cap that way). It prints `ready` on standard output
 * once both interfaces are open, and its counters on standard error when a
 * SIGTERM or the end of standard input stops it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FRAME 65536
#define MTU_FRAME 1518 /* 1500 bytes of payload, Ethernet header, a VLAN tag */

typedef struct
{
  double loss_percent;
  guint delay_ms;
  guint jitter_ms;
  guint rate_kbps;
  guint queue_ms;
} Impairment;

typedef struct
{
  gint64 release_us;
  gsize length;
  guint8 data[];
} Frame;

typedef struct
{
  const char *name;
  int in_fd, out_fd;
  Impairment impairment;
  GQueue frames;
  gint64 last_release_us; /* no frame leaves before the one ahead of it */
  gint64 link_free_us;    /* when the capped link can start the next frame */
  guint64 forwarded, lost, queue_dropped, oversize;
} Direction;

static volatile sig_atomic_t stop_requested;

static void
on_sigterm (int signum)
{
  (void) signum;
  stop_requested = 1;
}

static int
open_interface (const char *name)
{
  struct sockaddr_ll address = { 0 };
  struct packet_mreq membership = { 0 };
  int fd = socket (AF_PACKET, SOCK_RAW, htons (ETH_P_ALL));
  int size = 4 * 1024 * 1024;

  if (fd < 0)
    g_error ("socket(AF_PACKET): %s", g_strerror (errno));
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons (ETH_P_ALL);
  address.sll_ifindex = (int) if_nametoindex (name);
  if (address.sll_ifindex == 0)
    g_error ("no interface %s", name);
  if (bind (fd, (struct sockaddr *) &address, sizeof (address)) < 0)
    g_error ("bind(%s): %s", name, g_strerror (errno));
  /* The far end's frames are addressed to the other end's MAC, not ours. */
  membership.mr_ifindex = address.sll_ifindex;
  membership.mr_type = PACKET_MR_PROMISC;
  if (setsockopt (fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, sizeof (membership))
      < 0)
    g_error ("promiscuous mode on %s: %s", name, g_strerror (errno));
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof (size));
  setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof (size));
  return fd;
}

static gboolean
apply_setting (Direction *up, Direction *down, GRand *rand, const char *setting,
               GError **error)
{
  g_auto (GStrv) dir_rest = g_strsplit (setting, ":", 2);
  g_auto (GStrv) key_value = NULL;
  Direction *targets[2] = { NULL, NULL };
  char *end = NULL;
  double value;

  if (g_strv_length (dir_rest) != 2)
    goto bad;
  key_value = g_strsplit (dir_rest[1], "=", 2);
  if (g_strv_length (key_value) != 2)
    goto bad;
  if (g_str_equal (dir_rest[0], "up") || g_str_equal (dir_rest[0], "both"))
    targets[0] = up;
  if (g_str_equal (dir_rest[0], "down") || g_str_equal (dir_rest[0], "both"))
    targets[1] = down;
  if (targets[0] == NULL && targets[1] == NULL)
    goto bad;
  value = g_ascii_strtod (key_value[1], &end);
  if (end == key_value[1] || *end != '\0' || value < 0 || value > G_MAXUINT32)
    goto bad;
  if (g_str_equal (key_value[0], "seed"))
    {
      g_rand_set_seed (rand, (guint32) value);
      return TRUE;
    }
  for (guint i = 0; i < 2; i++)
    {
      Impairment *impairment = targets[i] ? &targets[i]->impairment : NULL;

      if (impairment == NULL)
        continue;
      if (g_str_equal (key_value[0], "loss") && value <= 100)
        impairment->loss_percent = value;
      else if (g_str_equal (key_value[0], "delay"))
        impairment->delay_ms = (guint) value;
      else if (g_str_equal (key_value[0], "jitter"))
        impairment->jitter_ms = (guint) value;
      else if (g_str_equal (key_value[0], "rate"))
        impairment->rate_kbps = (guint) value;
      else if (g_str_equal (key_value[0], "queue"))
        impairment->queue_ms = (guint) value;
      else
        goto bad;
    }
  return TRUE;

bad:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "bad setting “%s” (DIR:KEY=VALUE, DIR up/down/both, KEY "
               "loss/delay/jitter/rate/queue/seed)",
               setting);
  return FALSE;
}

static void
receive_frame (Direction *direction, GRand *rand)
{
  guint8 buffer[MAX_FRAME];
  struct sockaddr_ll from;
  socklen_t from_length = sizeof (from);
  const Impairment *impairment = &direction->impairment;
  gint64 now = g_get_monotonic_time ();
  gint64 delay_us, release;
  ssize_t length;
  Frame *frame;

  length = recvfrom (direction->in_fd, buffer, sizeof (buffer), MSG_DONTWAIT,
                     (struct sockaddr *) &from, &from_length);
  if (length <= 0)
    return;
  /* What this hop sent out of the interface comes back as outgoing. */
  if (from.sll_pkttype == PACKET_OUTGOING)
    return;
  if (length > MTU_FRAME)
    {
      /* A GSO super-frame: the ends must not offload (see test-netns.c). */
      direction->oversize++;
      return;
    }
  if (impairment->loss_percent > 0
      && g_rand_double_range (rand, 0, 100) < impairment->loss_percent)
    {
      direction->lost++;
      return;
    }

  delay_us = (gint64) impairment->delay_ms * 1000;
  if (impairment->jitter_ms > 0)
    delay_us += g_rand_int_range (rand, -(gint32) impairment->jitter_ms * 1000,
                                  (gint32) impairment->jitter_ms * 1000 + 1);
  release = MAX (now + MAX (delay_us, 0), direction->last_release_us);
  if (impairment->rate_kbps > 0)
    {
      /* The queue is measured from when the frame reaches the capped link
       * (after its delay), not from the previous frame's release: that
       * one already includes the queue, which then never looked full and
       * grew without bound. */
      gint64 arrival = now + MAX (delay_us, 0);
      gint64 start = MAX (arrival, direction->link_free_us);

      if (start - arrival > (gint64) impairment->queue_ms * 1000)
        {
          direction->queue_dropped++;
          return;
        }
      /* bits / (kbit/s) = ms; the frame leaves once it is on the wire. */
      direction->link_free_us = start + (gint64) length * 8 * 1000 / impairment->rate_kbps;
      release = MAX (release, direction->link_free_us);
    }
  direction->last_release_us = release;

  frame = g_malloc (sizeof (Frame) + (gsize) length);
  frame->release_us = release;
  frame->length = (gsize) length;
  memcpy (frame->data, buffer, (gsize) length);
  g_queue_push_tail (&direction->frames, frame);
}

/* Sends what is due; returns the µs until the next frame is, or -1. */
static gint64
send_due (Direction *direction, gint64 now)
{
  Frame *frame;

  while ((frame = g_queue_peek_head (&direction->frames)) != NULL)
    {
      if (frame->release_us > now)
        return frame->release_us - now;
      g_queue_pop_head (&direction->frames);
      if (send (direction->out_fd, frame->data, frame->length, 0) == (ssize_t) frame->length)
        direction->forwarded++;
      else
        direction->queue_dropped++;
      g_free (frame);
    }
  return -1;
}

static void
read_control (int fd, GString *pending, Direction *up, Direction *down, GRand *rand,
              gboolean *eof)
{
  char chunk[512];
  ssize_t length = read (fd, chunk, sizeof (chunk));
  char *newline;

  if (length <= 0)
    {
      *eof = TRUE;
      return;
    }
  g_string_append_len (pending, chunk, length);
  while ((newline = strchr (pending->str, '\n')) != NULL)
    {
      g_autofree char *line = g_strndup (pending->str, newline - pending->str);
      g_auto (GStrv) settings = g_strsplit_set (g_strstrip (line), " \t", -1);
      g_autoptr (GError) error = NULL;

      g_string_erase (pending, 0, newline - pending->str + 1);
      for (guint i = 0; settings[i] != NULL; i++)
        if (*settings[i] != '\0' && !apply_setting (up, down, rand, settings[i], &error))
          {
            g_printerr ("convoke-test-impair: %s\n", error->message);
            g_clear_error (&error);
          }
    }
}

static void
print_counters (const Direction *direction)
{
  g_printerr ("convoke-test-impair %s: forwarded %" G_GUINT64_FORMAT ", lost %" G_GUINT64_FORMAT
              ", dropped by the queue %" G_GUINT64_FORMAT ", oversize %" G_GUINT64_FORMAT "\n",
              direction->name, direction->forwarded, direction->lost,
              direction->queue_dropped, direction->oversize);
}

int
main (int argc, char **argv)
{
  Direction up = { .name = "up" }, down = { .name = "down" };
  g_autoptr (GRand) rand = g_rand_new ();
  g_autoptr (GString) pending = g_string_new (NULL);
  gboolean eof = FALSE;

  if (argc < 3)
    {
      g_printerr ("usage: %s A-IFACE B-IFACE [DIR:KEY=VALUE…]\n", argv[0]);
      return 2;
    }
  /* A test that dies must not leave a hop holding its namespace. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  signal (SIGTERM, on_sigterm);
  signal (SIGINT, on_sigterm);
  up.impairment.queue_ms = down.impairment.queue_ms = 200;
  for (int i = 3; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;

      if (!apply_setting (&up, &down, rand, argv[i], &error))
        {
          g_printerr ("convoke-test-impair: %s\n", error->message);
          return 2;
        }
    }
  up.in_fd = down.out_fd = open_interface (argv[1]);
  down.in_fd = up.out_fd = open_interface (argv[2]);
  g_print ("ready\n");
  fflush (stdout);

  while (!stop_requested && !eof)
    {
      struct pollfd fds[3] = { { up.in_fd, POLLIN, 0 },
                               { down.in_fd, POLLIN, 0 },
                               { STDIN_FILENO, POLLIN, 0 } };
      gint64 now = g_get_monotonic_time ();
      gint64 wait_up = send_due (&up, now), wait_down = send_due (&down, now);
      gint64 wait_us = wait_up < 0 ? wait_down
                       : wait_down < 0 ? wait_up
                                       : MIN (wait_up, wait_down);
      /* Round up: waking early would only spin. */
      int timeout_ms = wait_us < 0 ? 1000 : (int) ((wait_us + 999) / 1000);

      if (poll (fds, 3, timeout_ms) < 0 && errno != EINTR)
        g_error ("poll: %s", g_strerror (errno));
      if (fds[0].revents & POLLIN)
        for (guint i = 0; i < 64; i++)
          receive_frame (&up, rand);
      if (fds[1].revents & POLLIN)
        for (guint i = 0; i < 64; i++)
          receive_frame (&down, rand);
      if (fds[2].revents & (POLLIN | POLLHUP))
        read_control (STDIN_FILENO, pending, &up, &down, rand, &eof);
    }
  print_counters (&up);
  print_counters (&down);
  g_queue_clear_full (&up.frames, g_free);
  g_queue_clear_full (&down.frames, g_free);
  close (up.in_fd);
  close (down.in_fd);
  return 0;
}
