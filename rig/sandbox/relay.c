// The inside end of the rig's network relay (rig/sandbox/relay.ts). A sandbox with its own network namespace has
// only a loopback interface: this listens on 127.0.0.1:PORT for each PORT=SOCKET argument, forwards every
// connection to the Unix socket SOCKET (whose outside end the rig connects to the broker, and nothing else), then
// runs the program after "--" and exits as it exits (the same code, or the same signal).
//   relay 8883=/rig/net/8883.sock [...] -- /rig/bin/twin
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PORTS 32

static pid_t child = -1;

static void forward(int sig) {
  if (child > 0) kill(child, sig);
}

// SIGCHLD only interrupts ppoll(), so the relay exits the moment its program does (not at the next poll timeout).
static void child_ended(int sig) { (void)sig; }

static int write_all(int fd, const char* p, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 0;
    p += w;
    n -= w;
  }
  return 1;
}

// One connection, in its own process: bytes both ways, each direction closed on its own (half-close kept).
static void shuttle(int a, int b) {
  char buf[16384];
  int open[2] = {1, 1};
  int fds[2] = {a, b};
  while (open[0] || open[1]) {
    struct pollfd p[2] = {{open[0] ? a : -1, POLLIN, 0}, {open[1] ? b : -1, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; i++) {
      if (!open[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        shutdown(fds[1 - i], SHUT_WR);
        open[i] = 0;
        continue;
      }
      if (!write_all(fds[1 - i], buf, n)) _exit(0);
    }
  }
  _exit(0);
}

static int listen_on(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) < 0 || listen(s, 16) < 0) {
    fprintf(stderr, "relay: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
    exit(71);
  }
  return s;
}

static void accept_one(int l, const char* path) {
  int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) return;
  // Without it, a record written while the program's ACK of the last one is delayed waits ~40 ms (Nagle): the
  // broker's TLS flight came in pieces and its last piece arrived 45 ms late (measured). Timing only, no byte changes.
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {0};
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  if (u < 0 || connect(u, (struct sockaddr*)&a, sizeof a) < 0) {
    close(c);  // the rig's end is gone: the connection is refused, as a stopped broker refuses it
    if (u >= 0) close(u);
    return;
  }
  pid_t p = fork();
  if (p == 0) shuttle(c, u);
  close(c);
  close(u);
}

static void exit_like(int status) {
  if (WIFEXITED(status)) exit(WEXITSTATUS(status));
  int sig = WTERMSIG(status);
  signal(sig, SIG_DFL);
  sigset_t all;
  sigemptyset(&all);
  sigaddset(&all, sig);
  sigprocmask(SIG_UNBLOCK, &all, NULL);
  kill(getpid(), sig);
  exit(128 + sig);
}

int main(int argc, char** argv) {
  int listeners[MAX_PORTS];
  const char* paths[MAX_PORTS];
  int n = 0, i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    char* eq = strchr(argv[i], '=');
    if (!eq || n == MAX_PORTS) {
      fprintf(stderr, "relay: bad argument %s (PORT=SOCKET)\n", argv[i]);
      return 64;
    }
    *eq = '\0';
    listeners[n] = listen_on(atoi(argv[i]));
    paths[n++] = eq + 1;
  }
  if (i + 1 >= argc) {
    fprintf(stderr, "usage: relay PORT=SOCKET... -- PROGRAM [ARG...]\n");
    return 64;
  }
  // SIGCHLD stays blocked except inside ppoll(): one that comes between waitpid() and ppoll() is not lost.
  sigset_t chld, before, open_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &before);
  open_mask = before;
  sigdelset(&open_mask, SIGCHLD);
  struct sigaction sa = {0};
  sa.sa_handler = child_ended;
  sigaction(SIGCHLD, &sa, NULL);
  child = fork();
  if (child == 0) {
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &before, NULL);
    execv(argv[i + 1], argv + i + 1);
    fprintf(stderr, "relay: cannot run %s: %s\n", argv[i + 1], strerror(errno));
    _exit(127);
  }
  signal(SIGTERM, forward);
  signal(SIGINT, forward);
  signal(SIGHUP, forward);
  struct pollfd p[MAX_PORTS];
  for (;;) {
    int status;
    pid_t w;
    while ((w = waitpid(-1, &status, WNOHANG)) > 0)
      if (w == child) exit_like(status);
    for (int k = 0; k < n; k++) p[k] = (struct pollfd){listeners[k], POLLIN, 0};
    const struct timespec tick = {0, 100 * 1000 * 1000};
    if (ppoll(p, (nfds_t)n, &tick, &open_mask) <= 0) continue;
    for (int k = 0; k < n; k++)
      if (p[k].revents & POLLIN) accept_one(listeners[k], paths[k]);
  }
}
