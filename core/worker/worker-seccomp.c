/* The worker's system call allow-list (docs/security.md, "seccomp").
 *
 * The list was found by running the media, browser, recording and TURN
 * suites, plain and with AddressSanitizer, with every call trapped and
 * logged. Anything else is trapped: the SIGSYS handler below writes what
 * was refused to stderr (the daemon logs the worker's output) and the
 * worker dies of SIGSYS, which fails its room and only its room.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "convoke-worker"

#include "worker-sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <linux/sockios.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#include "i18n.h"

/* Calls with no argument worth checking. Names unknown to this
 * architecture are skipped. */
static const char *const allowed_calls[] = {
  /* memory */
  "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "membarrier",
  /* threads, time, scheduling */
  "futex", "futex_waitv", "set_robust_list", "get_robust_list", "rseq",
  "set_tid_address", "gettid", "getpid", "getppid", "sched_yield",
  "sched_getaffinity", "sched_getparam", "sched_getscheduler", "sched_getattr",
  "sched_setattr", "sched_get_priority_min", "sched_get_priority_max",
  "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
  "time", "getrusage", "times", "getrandom", "uname", "sysinfo", "arch_prctl",
  "exit", "exit_group", "restart_syscall",
  /* identity, read only */
  "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
  /* signals */
  "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "sigaltstack",
  /* descriptors */
  "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64",
  "pwritev", "pwritev2", "close", "close_range", "dup", "dup2", "dup3", "fcntl",
  "lseek", "fstat", "fstatfs", "fsync", "fdatasync", "ftruncate", "fadvise64",
  "pipe", "pipe2", "eventfd2", "timerfd_create", "timerfd_settime", "timerfd_gettime",
  "poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl", "epoll_wait",
  "epoll_pwait", "epoll_pwait2",
  /* the file system, read only (open and openat are below) */
  "stat", "lstat", "newfstatat", "statx", "statfs", "access", "faccessat",
  "faccessat2", "readlink", "readlinkat", "getdents64", "getcwd", "umask",
  /* sockets of the allowed kinds (socket and socketpair are below) */
  "bind", "connect", "listen", "accept4", "getsockname", "getpeername", "setsockopt",
  "getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
  "shutdown",
};

/* Calls refused with an error rather than a kill: libraries probe for
 * them and fall back to an allowed one. */
static const struct
{
  const char *name;
  int error;
} refused_calls[] = {
  { "clone3", ENOSYS },  /* glibc then uses clone, whose flags are checked */
  { "openat2", ENOSYS }, /* its flags are out of a filter's reach */
};

/* What the SIGSYS handler writes. Prepared before the filter is in place:
 * nothing in a signal handler may allocate or translate. */
static char *refused_prefix;    /* "convoke-room-worker: room RM…: the sandbox refused " */
static char *refused_suffix;    /* "; the room's worker stops\n" */

static const struct
{
  int number;
  const char *name;
} call_names[] = {
#define NAME(call) { SYS_##call, #call }
  NAME (execve), NAME (execveat), NAME (ptrace), NAME (socket), NAME (socketpair),
  NAME (openat), NAME (clone), NAME (kill), NAME (tgkill), NAME (ioctl), NAME (prctl),
  NAME (unlinkat), NAME (renameat), NAME (mkdirat), NAME (setuid), NAME (mount),
  NAME (process_vm_readv), NAME (prlimit64), NAME (memfd_create),
#ifdef SYS_open /* x86-64 only, like the three below */
  NAME (open), NAME (creat), NAME (fork), NAME (vfork),
#endif
#undef NAME
};

static size_t
format_number (char *out, unsigned long value, unsigned base)
{
  char digits[24];
  size_t n = 0, length;

  do
    digits[n++] = "0123456789abcdef"[value % base];
  while ((value /= base) != 0);
  for (length = 0; length < n; length++)
    out[length] = digits[n - 1 - length];
  return length;
}

static size_t
append (char *out, const char *text)
{
  size_t length = strlen (text);

  memcpy (out, text, length);
  return length;
}

static void
write_all (const char *text)
{
  size_t length = strlen (text);

  while (length > 0)
    {
      ssize_t written = write (STDERR_FILENO, text, length);

      if (written <= 0)
        return;
      text += written;
      length -= (size_t) written;
    }
}

/* The first three arguments of the trapped call, where we know the
 * registers. */
static gboolean
trapped_arguments (void *context, unsigned long args[3])
{
  ucontext_t *uc = context;

#if defined(__x86_64__)
  args[0] = (unsigned long) uc->uc_mcontext.gregs[REG_RDI];
  args[1] = (unsigned long) uc->uc_mcontext.gregs[REG_RSI];
  args[2] = (unsigned long) uc->uc_mcontext.gregs[REG_RDX];
  return TRUE;
#elif defined(__aarch64__)
  for (int i = 0; i < 3; i++)
    args[i] = uc->uc_mcontext.regs[i];
  return TRUE;
#else
  (void) uc;
  (void) args;
  return FALSE;
#endif
}

/* "system call 257 (openat, flags 01101)": what a reader of the log
 * needs to tell which rule refused it. */
static size_t
describe_call (char *line, long number, gboolean have_arguments,
               const unsigned long args[3])
{
  const char *name = NULL;
  size_t n = append (line, "system call ");

  n += format_number (line + n, (unsigned long) number, 10);
  for (size_t i = 0; i < G_N_ELEMENTS (call_names); i++)
    if (call_names[i].number == number)
      name = call_names[i].name;
  if (name == NULL)
    return n;
  n += append (line + n, " (");
  n += append (line + n, name);
  if (have_arguments && number == SYS_socket)
    {
      n += append (line + n, ", family ");
      n += format_number (line + n, args[0], 10);
      n += append (line + n, ", type ");
      n += format_number (line + n, args[1], 10);
    }
  else if (have_arguments && (number == SYS_ioctl || number == SYS_prctl))
    {
      n += append (line + n, number == SYS_ioctl ? ", request 0x" : ", option ");
      n += format_number (line + n, number == SYS_ioctl ? args[1] : args[0],
                          number == SYS_ioctl ? 16 : 10);
    }
  else if (have_arguments && (number == SYS_openat
#ifdef SYS_open
                              || number == SYS_open
#endif
                              ))
    {
      n += append (line + n, ", flags 0");
      n += format_number (line + n, number == SYS_openat ? args[2] : args[1], 8);
    }
  n += append (line + n, ")");
  return n;
}

static void
on_sigsys (int signal_number, siginfo_t *info, void *context)
{
  char line[160];
  unsigned long args[3] = { 0 };
  gboolean have_arguments = trapped_arguments (context, args);
  struct sigaction fatal = { .sa_handler = SIG_DFL };

  line[describe_call (line, info->si_syscall, have_arguments, args)] = '\0';
  write_all (refused_prefix);
  write_all (line);
  write_all (refused_suffix);

  /* The call did not run. Die of the signal, so that the daemon's log
   * says "Bad system call"; it is delivered when this handler returns. */
  sigaction (signal_number, &fatal, NULL);
  kill (getpid (), signal_number);
}

static gboolean
fail_seccomp (GError **error, const char *step, int result)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _ ("The worker's system call filter could not be set up: %s failed: %s"),
               step, g_strerror (-result));
  return FALSE;
}

#define ADD(action, call, ...)                                                          \
  do                                                                                     \
    {                                                                                    \
      int add_result                                                                     \
          = seccomp_rule_add (ctx, action, SCMP_SYS (call), __VA_ARGS__);                \
      if (add_result != 0)                                                               \
        return fail_seccomp (error, "seccomp_rule_add (" #call ")", add_result);         \
    }                                                                                    \
  while (0)

/* Calls allowed with some arguments only. */
static gboolean
add_argument_rules (scmp_filter_ctx ctx, gboolean allow_file_writes, GError **error)
{
  const scmp_datum_t write_flags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
  const scmp_datum_t pid = (scmp_datum_t) getpid ();
  /* Reading a descriptor's state, and the interface queries libnice
   * makes (index and name of an interface, its address list). */
  static const scmp_datum_t ioctls[]
      = { FIONREAD,     FIONBIO,     FIOCLEX,     FIONCLEX,     TCGETS,
          SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR };
  static const scmp_datum_t prctls[] = { PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE,
                                         PR_CAPBSET_READ, PR_GET_NO_NEW_PRIVS };

  /* Files: read only, unless this room records. */
  if (allow_file_writes)
    {
      ADD (SCMP_ACT_ALLOW, open, 0);
      ADD (SCMP_ACT_ALLOW, openat, 0);
    }
  else
    {
      ADD (SCMP_ACT_ALLOW, open, 1, SCMP_A1 (SCMP_CMP_MASKED_EQ, write_flags, 0));
      ADD (SCMP_ACT_ALLOW, openat, 1, SCMP_A2 (SCMP_CMP_MASKED_EQ, write_flags, 0));
    }

  /* Sockets: UDP and TCP over IPv4 and IPv6 (ICE, TURN, DNS), Unix (the
   * control socket, nscd). Every other family, and raw sockets, kill. */
  ADD (SCMP_ACT_ALLOW, socket, 1, SCMP_A0 (SCMP_CMP_EQ, AF_UNIX));
  ADD (SCMP_ACT_ALLOW, socketpair, 1, SCMP_A0 (SCMP_CMP_EQ, AF_UNIX));
  for (guint family = 0; family < 2; family++)
    for (guint type = 0; type < 2; type++)
      ADD (SCMP_ACT_ALLOW, socket, 2,
           SCMP_A0 (SCMP_CMP_EQ, family == 0 ? AF_INET : AF_INET6),
           /* SOCK_NONBLOCK and SOCK_CLOEXEC may be or'ed in */
           SCMP_A1 (SCMP_CMP_MASKED_EQ, 0xf, type == 0 ? SOCK_DGRAM : SOCK_STREAM));
  /* The one exception: libnice lists the host's addresses with
   * getifaddrs() for every candidate it makes, and media does not flow
   * without it. A NETLINK_ROUTE socket of a process without
   * CAP_NET_ADMIN can read the interface and route tables, and change
   * nothing; any other netlink protocol kills. */
  ADD (SCMP_ACT_ALLOW, socket, 3, SCMP_A0 (SCMP_CMP_EQ, AF_NETLINK),
       SCMP_A1 (SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW), SCMP_A2 (SCMP_CMP_EQ, NETLINK_ROUTE));

  /* Threads, never processes. */
  ADD (SCMP_ACT_ALLOW, clone, 1, SCMP_A0 (SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));

  /* Signals to itself only (raise, abort, GLib's wakeups). */
  ADD (SCMP_ACT_ALLOW, kill, 1, SCMP_A0 (SCMP_CMP_EQ, pid));
  ADD (SCMP_ACT_ALLOW, tgkill, 1, SCMP_A0 (SCMP_CMP_EQ, pid));

  /* Reading limits, never raising them. */
  ADD (SCMP_ACT_ALLOW, prlimit64, 1, SCMP_A2 (SCMP_CMP_EQ, 0));
  ADD (SCMP_ACT_ALLOW, getrlimit, 0);

  for (guint i = 0; i < G_N_ELEMENTS (ioctls); i++)
    ADD (SCMP_ACT_ALLOW, ioctl, 1, SCMP_A1 (SCMP_CMP_EQ, ioctls[i]));
  for (guint i = 0; i < G_N_ELEMENTS (prctls); i++)
    ADD (SCMP_ACT_ALLOW, prctl, 1, SCMP_A0 (SCMP_CMP_EQ, prctls[i]));
  return TRUE;
}

gboolean
convoke_worker_seccomp_install (const char *room_sid, gboolean allow_file_writes,
                                GError **error)
{
  struct sigaction on_trap = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
  scmp_filter_ctx ctx;
  gboolean ok;
  int result;

  g_free (refused_prefix);
  g_free (refused_suffix);
  refused_prefix = g_strdup_printf (_ ("convoke-room-worker: room %s: the sandbox refused "),
                                    room_sid);
  refused_suffix = g_strdup_printf ("%s\n", _ ("; the room's worker stops"));
  sigemptyset (&on_trap.sa_mask);
  if (sigaction (SIGSYS, &on_trap, NULL) != 0)
    return fail_seccomp (error, "sigaction (SIGSYS)", -errno);

  ctx = seccomp_init (SCMP_ACT_TRAP);
  if (ctx == NULL)
    return fail_seccomp (error, "seccomp_init", -ENOMEM);
  /* Every thread: GLib and GStreamer have started some by now. */
  result = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  ok = result == 0 || fail_seccomp (error, "seccomp_attr_set (TSYNC)", result);
  for (guint i = 0; ok && i < G_N_ELEMENTS (allowed_calls); i++)
    {
      int number = seccomp_syscall_resolve_name (allowed_calls[i]);

      if (number == __NR_SCMP_ERROR)
        continue;
      result = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, number, 0);
      ok = result == 0 || fail_seccomp (error, allowed_calls[i], result);
    }
  for (guint i = 0; ok && i < G_N_ELEMENTS (refused_calls); i++)
    {
      int number = seccomp_syscall_resolve_name (refused_calls[i].name);

      if (number == __NR_SCMP_ERROR)
        continue;
      result = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (refused_calls[i].error), number, 0);
      ok = result == 0 || fail_seccomp (error, refused_calls[i].name, result);
    }
  ok = ok && add_argument_rules (ctx, allow_file_writes, error);
  if (ok)
    {
      result = seccomp_load (ctx);
      ok = result == 0 || fail_seccomp (error, "seccomp_load", result);
    }
  seccomp_release (ctx);
  return ok;
}
