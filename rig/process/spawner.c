// The rig's spawner (rig/process/spawner.ts): a small long-lived process that forks the rig's children for it.
// Forking copies the parent's page tables; from the rig's ~150 MB Node process that cost ~5-20 ms of its one
// thread per child (measured), from this ~1 MB process well under one. The rig signals its children itself (it
// knows their pids). Protocol, on the rig's pipes:
//   requests on stdin, each a 4-byte little-endian length then the body:
//     S id\0 stdin(0|1)\0 cwd\0 argc\0 argv...\0 envc\0 env...\0   spawn
//   events on stdout, one line each:  R (ready, once) | P id pid | E id errno | X id code signal (code -1: signal)
// The child's stdio are Unix stream connections to the rig's socket (argv[1]), each opened by the child before
// exec and starting with a 5-byte header: the id (uint32 LE) and the stream (0 stdin, 1 stdout, 2 stderr).
// When stdin ends (the rig is gone) or the rig's death signals this process (PR_SET_PDEATHSIG), every child that
// is still running is killed with its process group.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 4096
#define MAX_REQUEST (4 * 1024 * 1024)

extern char** environ;

struct child {
  pid_t pid;
  uint32_t id;
};
static struct child kids[MAX_CHILDREN];
static int nkids;
static const char* sock_path;
static pid_t spawner;

static void kill_all(void) {
  for (int i = 0; i < nkids; i++) {
    kill(-kids[i].pid, SIGKILL);
    kill(kids[i].pid, SIGKILL);
  }
}

static void emit(const char* line) {
  size_t n = strlen(line);
  for (const char* p = line; n > 0;) {
    ssize_t w = write(1, p, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {  // the rig is gone
      kill_all();
      _exit(0);
    }
    p += w;
    n -= (size_t)w;
  }
}

static void emit_event(char kind, uint32_t id, long a, long b) {
  char line[64];
  if (kind == 'X') snprintf(line, sizeof line, "X %u %ld %ld\n", id, a, b);
  else snprintf(line, sizeof line, "%c %u %ld\n", kind, id, a);
  emit(line);
}

static int read_all(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    p += r;
    n -= (size_t)r;
  }
  return 1;
}

// In the child: one stdio stream as a connection to the rig, or -1.
static int connect_stream(uint32_t id, int stream) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {0};
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, sock_path, sizeof a.sun_path - 1);
  if (s < 0 || connect(s, (struct sockaddr*)&a, sizeof a) < 0) return -1;
  unsigned char h[5] = {id & 0xff, (id >> 8) & 0xff, (id >> 16) & 0xff, id >> 24, (unsigned char)stream};
  if (write(s, h, sizeof h) != (ssize_t)sizeof h) return -1;
  return s;
}

// In the child: stdio, a session of its own, default signals, then exec. Failures go to `report` as errno.
static void run_child(uint32_t id, int pipe_stdin, const char* cwd, char** argv, char** env, int report) {
  int in = pipe_stdin ? connect_stream(id, 0) : open("/dev/null", O_RDONLY);
  int out = connect_stream(id, 1);
  int err = connect_stream(id, 2);
  int e;
  if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) goto fail;
  // Nothing of this process but stdio and the report pipe (close-on-exec) reaches the program.
  close_range(3, (unsigned)report - 1, 0);
  close_range((unsigned)report + 1, ~0U, 0);
  setsid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // this spawner gone means the rig is gone
  if (getppid() != spawner) _exit(127);  // it went before the line above
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (*cwd && chdir(cwd) < 0) goto fail;
  if (env) environ = env;
  execvp(argv[0], argv);
fail:
  e = errno;
  (void)!write(report, &e, sizeof e);
  _exit(127);
}

// Splits a request body into its \0-terminated fields.
static char** fields(char* body, size_t n, int* count) {
  int k = 0;
  for (size_t i = 0; i < n; i++)
    if (body[i] == '\0') k++;
  char** f = calloc((size_t)k + 1, sizeof *f);
  if (!f) return NULL;
  char* p = body;
  for (int i = 0; i < k; i++) {
    f[i] = p;
    p += strlen(p) + 1;
  }
  *count = k;
  return f;
}

static void spawn_one(char** f, int nf) {
  if (nf < 5) return;
  uint32_t id = (uint32_t)strtoul(f[0], NULL, 10);
  int argc = atoi(f[3]);
  if (argc < 1 || 4 + argc >= nf || nkids == MAX_CHILDREN) {
    emit_event('E', id, E2BIG, 0);
    return;
  }
  char** argv = calloc((size_t)argc + 1, sizeof *argv);
  memcpy(argv, f + 4, (size_t)argc * sizeof *argv);
  int envc = atoi(f[4 + argc]);
  char** env = calloc((size_t)envc + 1, sizeof *env);
  for (int i = 0; i < envc && 5 + argc + i < nf; i++) env[i] = f[5 + argc + i];
  // The child writes its errno here if it cannot exec; end of file means it did.
  int report[2];
  int e = 0;
  pid_t pid = -1;
  if (pipe2(report, O_CLOEXEC) < 0) e = errno;
  else if ((pid = fork()) == 0) run_child(id, f[1][0] == '1', f[2], argv, env, report[1]);
  if (pid < 0 && !e) e = errno;
  if (pid > 0) {
    close(report[1]);
    if (read_all(report[0], (char*)&e, sizeof e)) waitpid(pid, NULL, 0);
    close(report[0]);
  }
  free(argv);
  free(env);
  if (e) {
    emit_event('E', id, e, 0);
    return;
  }
  kids[nkids++] = (struct child){pid, id};
  emit_event('P', id, pid, 0);
}

static void reap(void) {
  int status;
  pid_t w;
  while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < nkids; i++) {
      if (kids[i].pid != w) continue;
      long code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      long sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      emit_event('X', kids[i].id, code, sig);
      kids[i] = kids[--nkids];
      break;
    }
  }
}

// One request from stdin; 0 when stdin ended.
static int take_request(void) {
  unsigned char len[4];
  if (!read_all(0, (char*)len, 4)) return 0;
  size_t n = len[0] | (len[1] << 8) | (len[2] << 16) | ((size_t)len[3] << 24);
  if (n < 1 || n > MAX_REQUEST) return 0;
  char* body = malloc(n + 1);
  if (!body || !read_all(0, body, n)) return 0;
  body[n] = '\0';
  int nf = 0;
  char** f = fields(body + 1, n - 1, &nf);
  if (f && body[0] == 'S') spawn_one(f, nf);
  free(f);
  free(body);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spawner SOCKET RIG-PID\n");
    return 64;
  }
  sock_path = argv[1];
  spawner = getpid();
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != (pid_t)atol(argv[2])) return 0;  // the rig died before the line above
  emit("R\n");
  for (;;) {
    struct pollfd p[2] = {{0, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(p, 2, -1) < 0 && errno != EINTR) break;
    if (p[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo != SIGCHLD) break;
      reap();
    }
    if ((p[0].revents & (POLLIN | POLLHUP)) && !take_request()) break;
  }
  kill_all();
  // Reap them, so none lingers as a zombie for whoever inherits it; SIGALRM ends a wait on one stuck in the kernel.
  alarm(2);
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
  }
  return 0;
}
