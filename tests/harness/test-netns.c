/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-netns.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "test-daemon.h"

#define NETNS_PREFIX "cvk"

struct _TestLink
{
  guint index;
  char *client_netns;
  char *hop_netns;
  char *server_address;
  char *client_address;
  GSubprocess *hop;
  GOutputStream *hop_control;
};

static gboolean
run_tool (const char *tool, GError **error, const char *first, va_list args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, (char *) tool);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &out, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_autofree char *command = g_strjoinv (" ", (char **) argv->pdata);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", command,
                   g_strstrip (err));
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_ip (GError **error, const char *first, ...)
{
  va_list args;
  gboolean ok;

  va_start (args, first);
  ok = run_tool ("ip", error, first, args);
  va_end (args);
  return ok;
}

static gboolean
run_ethtool (GError **error, const char *first, ...)
{
  va_list args;
  gboolean ok;

  va_start (args, first);
  ok = run_tool ("ethtool", error, first, args);
  va_end (args);
  return ok;
}

#define ETHTOOL(...)                                                                     \
  G_STMT_START                                                                           \
  {                                                                                      \
    g_autoptr (GError) ethtool_error_ = NULL;                                            \
    if (!run_ethtool (&ethtool_error_, __VA_ARGS__, NULL))                               \
      g_error ("%s", ethtool_error_->message);                                           \
  }                                                                                      \
  G_STMT_END

#define IP(...)                                                                          \
  G_STMT_START                                                                           \
  {                                                                                      \
    g_autoptr (GError) ip_error_ = NULL;                                                 \
    if (!run_ip (&ip_error_, __VA_ARGS__, NULL))                                         \
      g_error ("%s", ip_error_->message);                                                \
  }                                                                                      \
  G_STMT_END

gboolean
test_netns_supported (char **why)
{
  g_autofree char *ip = g_find_program_in_path ("ip");
  g_autofree char *ethtool = g_find_program_in_path ("ethtool");

  if (geteuid () != 0)
    {
      *why = g_strdup ("network namespaces need root");
      return FALSE;
    }
  if (ip == NULL)
    {
      *why = g_strdup ("the ip command (iproute2) is not installed");
      return FALSE;
    }
  if (ethtool == NULL)
    {
      *why = g_strdup ("the ethtool command is not installed");
      return FALSE;
    }
  *why = NULL;
  return TRUE;
}

/* Namespaces "cvkPID-…" whose test process is gone. */
static void
remove_stale_namespaces (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/run/netns", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      const char *digits = name + strlen (NETNS_PREFIX);
      char *end = NULL;
      guint64 pid;

      if (!g_str_has_prefix (name, NETNS_PREFIX) || !g_ascii_isdigit (*digits))
        continue;
      pid = g_ascii_strtoull (digits, &end, 10);
      if (*end != '-' || pid == 0 || pid > G_MAXINT)
        continue;
      if (kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;
      g_test_message ("removing network namespace %s of a test that is gone", name);
      run_ip (NULL, "netns", "delete", name, NULL);
    }
}

void
test_netns_isolate (void)
{
  remove_stale_namespaces ();
  if (unshare (CLONE_NEWNET) != 0)
    g_error ("unshare(CLONE_NEWNET): %s", g_strerror (errno));
  IP ("link", "set", "lo", "up");
}

/* What veth would otherwise leave to the far end's hardware, which the
 * hop is not: large GSO frames (over the link's MTU) and TCP/UDP
 * checksums left unfilled (a frame the hop copies out keeps the
 * placeholder, and the receiver drops it as corrupt). */
static void
no_offload (const char *netns, const char *device)
{
  if (netns == NULL)
    {
      IP ("link", "set", "dev", device, "gso_max_size", "1500", "gso_max_segs", "1");
      ETHTOOL ("-K", device, "tx", "off", "tso", "off", "gso", "off");
    }
  else
    {
      IP ("-n", netns, "link", "set", "dev", device, "gso_max_size", "1500",
          "gso_max_segs", "1");
      IP ("netns", "exec", netns, "ethtool", "-K", device, "tx", "off", "tso", "off", "gso",
          "off");
    }
}

static void
wait_hop_ready (TestLink *link)
{
  GInputStream *out = g_subprocess_get_stdout_pipe (link->hop);
  g_autoptr (GDataInputStream) lines = g_data_input_stream_new (out);
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;

  /* The hop prints one line and nothing more: a blocking read is fine,
   * and its death ends it with EOF. */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (lines), FALSE);
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "ready");
}

TestLink *
test_link_new (guint index, const char *const *settings)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                   | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  TestLink *link = g_new0 (TestLink, 1);
  g_autofree char *server_if = g_strdup_printf ("s%u", index);
  g_autofree char *hop_a = g_strdup_printf ("ha%u", index);
  g_autofree char *hop_b = g_strdup_printf ("hb%u", index);
  g_autofree char *client_if = g_strdup_printf ("c%u", index);
  g_autofree char *server_cidr = NULL, *client_cidr = NULL;

  g_assert_cmpuint (index, >=, 1);
  g_assert_cmpuint (index, <=, 250);
  link->index = index;
  link->client_netns = g_strdup_printf (NETNS_PREFIX "%d-c%u", (int) getpid (), index);
  link->hop_netns = g_strdup_printf (NETNS_PREFIX "%d-h%u", (int) getpid (), index);
  link->server_address = g_strdup_printf ("10.77.%u.1", index);
  link->client_address = g_strdup_printf ("10.77.%u.2", index);
  server_cidr = g_strdup_printf ("%s/24", link->server_address);
  client_cidr = g_strdup_printf ("%s/24", link->client_address);

  IP ("netns", "add", link->client_netns);
  IP ("netns", "add", link->hop_netns);
  IP ("-n", link->client_netns, "link", "set", "lo", "up");
  /* Server side ↔ hop, then hop ↔ client. */
  IP ("link", "add", server_if, "type", "veth", "peer", "name", hop_a);
  IP ("link", "set", hop_a, "netns", link->hop_netns);
  IP ("-n", link->hop_netns, "link", "add", hop_b, "type", "veth", "peer", "name",
      client_if);
  IP ("-n", link->hop_netns, "link", "set", client_if, "netns", link->client_netns);
  IP ("addr", "add", server_cidr, "dev", server_if);
  IP ("-n", link->client_netns, "addr", "add", client_cidr, "dev", client_if);
  no_offload (NULL, server_if);
  no_offload (link->client_netns, client_if);
  /* IPv4 only. An IPv6 link-local address would finish duplicate address
   * detection about a second after "up", and Chromium aborts whatever it
   * is loading when an address appears (net::ERR_NETWORK_CHANGED): the far
   * page's first navigation failed that way. */
  IP ("link", "set", "dev", server_if, "addrgenmode", "none");
  IP ("-n", link->client_netns, "link", "set", "dev", client_if, "addrgenmode", "none");
  IP ("-n", link->hop_netns, "link", "set", "dev", hop_a, "addrgenmode", "none");
  IP ("-n", link->hop_netns, "link", "set", "dev", hop_b, "addrgenmode", "none");
  IP ("link", "set", server_if, "up");
  IP ("-n", link->client_netns, "link", "set", client_if, "up");
  IP ("-n", link->hop_netns, "link", "set", hop_a, "up");
  IP ("-n", link->hop_netns, "link", "set", hop_b, "up");

  /* A = the client's side, so that "up" is what the client sends. */
  g_ptr_array_add (argv, g_strdup ("ip"));
  g_ptr_array_add (argv, g_strdup ("netns"));
  g_ptr_array_add (argv, g_strdup ("exec"));
  g_ptr_array_add (argv, g_strdup (link->hop_netns));
  g_ptr_array_add (argv, g_strdup (test_program ("CONVOKE_TEST_IMPAIR")));
  g_ptr_array_add (argv, g_strdup (hop_b));
  g_ptr_array_add (argv, g_strdup (hop_a));
  for (guint i = 0; settings != NULL && settings[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (settings[i]));
  g_ptr_array_add (argv, NULL);
  link->hop = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                            &error);
  g_assert_no_error (error);
  link->hop_control = g_subprocess_get_stdin_pipe (link->hop);
  wait_hop_ready (link);
  return link;
}

void
test_link_set (TestLink *link, const char *settings)
{
  g_autofree char *line = g_strconcat (settings, "\n", NULL);
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (link->hop_control, line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (link->hop_control, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("link %u: %s", link->index, settings);
}

const char *
test_link_server_address (TestLink *link)
{
  return link->server_address;
}

const char *
test_link_client_address (TestLink *link)
{
  return link->client_address;
}

char **
test_link_wrap_argv (TestLink *link, const char *const *argv)
{
  GPtrArray *wrapped = g_ptr_array_new ();

  g_ptr_array_add (wrapped, g_strdup ("ip"));
  g_ptr_array_add (wrapped, g_strdup ("netns"));
  g_ptr_array_add (wrapped, g_strdup ("exec"));
  g_ptr_array_add (wrapped, g_strdup (link->client_netns));
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (wrapped, g_strdup (argv[i]));
  g_ptr_array_add (wrapped, NULL);
  return (char **) g_ptr_array_free (wrapped, FALSE);
}

void
test_link_free (TestLink *link)
{
  if (link == NULL)
    return;
  if (link->hop != NULL)
    {
      /* End of input stops it cleanly; it prints its counters to our
       * stderr, which the test log keeps. */
      g_output_stream_close (link->hop_control, NULL, NULL);
      g_subprocess_wait (link->hop, NULL, NULL);
      g_clear_object (&link->hop);
    }
  /* Deleting a namespace destroys the veths inside it, and their peers. */
  run_ip (NULL, "netns", "delete", link->client_netns, NULL);
  run_ip (NULL, "netns", "delete", link->hop_netns, NULL);
  g_free (link->client_netns);
  g_free (link->hop_netns);
  g_free (link->server_address);
  g_free (link->client_address);
  g_free (link);
}
