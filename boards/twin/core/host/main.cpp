// Twin process entry: opens the serial pseudo-terminal, waits for the rig's "go", then runs setup()/loop().
// Protocol (rig/twin/launch.ts): stdout "PTY <slave path>\n"; stdin "go\n" starts the board; further stdin lines
// are control commands (control.cpp); stdin EOF ends it.
// RIG_TWIN_SERIAL=stdio skips the pty and the wait (serial on stdout), for manual runs.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>

#include "Common.h"
#include "twin_serial.h"
#include "twin_world.h"

namespace {
// Waits for a line "go" on stdin; false when stdin ends first.
bool waitForGo() {
  std::string line;
  char c;
  for (;;) {
    ssize_t n = read(0, &c, 1);
    if (n <= 0) return false;
    if (c == '\n') {
      if (line == "go" || line == "go\r") return true;
      line.clear();
    } else {
      line += c;
    }
  }
}

// The board runs until the rig closes our stdin (or signals us); lines before that are control commands.
void* stdinWatcher(void*) {
  char buf[64];
  std::string line;
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR)) _exit(0);
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] != '\n') {
        if (line.size() < 256) line += buf[i];
        continue;
      }
      twin::controlLine(line.c_str());
      line.clear();
    }
  }
  return nullptr;
}
}  // namespace

int main() {
  // A dead rig must not leave boards running. (No getppid()==1 check: inside a bwrap pid namespace the
  // parent really is pid 1; bwrap --die-with-parent covers that case.)
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGPIPE, SIG_IGN);  // a peer closing a socket is an error code on a board, not a crash
  setvbuf(stdout, nullptr, _IOLBF, 0);
  twin::millisSinceBoot();  // start the board clock
  twin::coreVersion();      // read (and validate) the world file before anything starts

  const char* mode = getenv("RIG_TWIN_SERIAL");
  if (mode && strcmp(mode, "stdio") == 0) {
    twin::serialAttach(1, -1);
  } else {
    std::string slavePath;
    if (!twin::serialOpenPty(slavePath)) {
      fprintf(stderr, "twin: cannot open a pseudo-terminal: %s\n", strerror(errno));
      return 70;
    }
    printf("PTY %s\n", slavePath.c_str());
    fflush(stdout);
    if (!waitForGo()) return 0;
    pthread_t t;
    pthread_create(&t, nullptr, stdinWatcher, nullptr);
    pthread_detach(t);
  }
  twin::bootBoard();
  setup();
  for (;;) {
    uint64_t before = twin::millisSinceBoot();
    loop();
    // A real loopTask spins; on a shared host an idle loop() would burn a core, so nap when it returned at once.
    if (twin::millisSinceBoot() == before) delay(1);
  }
}
