// Twin process entry: opens the serial pseudo-terminal, waits for the rig's "go", then runs setup()/loop().
// Protocol (rig/twin/launch.ts): stdout "PTY <slave path>\n"; stdin "go\n" starts the board; stdin EOF ends it.
// RIG_TWIN_SERIAL=stdio skips the pty and the wait (serial on stdout), for manual runs.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "Arduino.h"

namespace {
int g_serialOut = -1;  // pty master (or stdout)
int g_serialIn = -1;   // pty master (or -1)
int g_serialSlave = -1;  // our own hold on the pty's slave side: what the rig has not read yet is queued there
int g_peek = -1;       // one byte read ahead by peek()

int openPty(std::string& slavePath, int& slaveFd) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) return -1;
  const char* name = ptsname(master);
  if (!name) return -1;
  slavePath = name;
  // Holding the slave open keeps output queued (and master reads from failing with EIO) while the rig reopens the port.
  slaveFd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slaveFd < 0) return -1;
  termios t;
  tcgetattr(slaveFd, &t);
  cfmakeraw(&t);
  cfsetspeed(&t, B115200);
  tcsetattr(slaveFd, TCSANOW, &t);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  return master;
}

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

// The board runs until the rig closes our stdin (or signals us).
void* stdinWatcher(void*) {
  char buf[64];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR)) _exit(0);
  }
  return nullptr;
}

uint8_t g_pins[256];
}  // namespace

namespace twin {
void serialWrite(const uint8_t* data, size_t len) {
  // Nobody reading (port closed or slow): wait once like a full UART FIFO, then drop output without
  // waiting again until a write gets through, so a closed port never slows the board down.
  static bool dropping = false;
  while (len > 0 && g_serialOut >= 0) {
    ssize_t n = write(g_serialOut, data, len);
    if (n > 0) { data += n; len -= (size_t)n; dropping = false; continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && !dropping) {
      pollfd p{g_serialOut, POLLOUT, 0};
      if (poll(&p, 1, 200) > 0) continue;
      dropping = true;
    }
    return;
  }
}

void serialDrain(uint32_t timeoutMs) {
  // Closing the master (process exit) discards what the slave side still holds, so wait until the rig read it.
  // The kernel hands pty writes to the slave side from a work queue: an empty queue counts after a short settle.
  const uint32_t settleMs = 20;
  for (uint32_t waited = 5; g_serialSlave >= 0 && waited <= timeoutMs; waited += 5) {
    usleep(5000);
    int pending = 0;
    if (ioctl(g_serialSlave, FIONREAD, &pending) != 0) return;
    if (pending == 0 && waited >= settleMs) return;
  }
}
}  // namespace twin

HardwareSerial Serial;

void HardwareSerial::begin(unsigned long baud) {
  baud_ = baud;
  twin::fact("serial-baud:%lu", baud);
}

int HardwareSerial::read() {
  if (g_peek >= 0) { int c = g_peek; g_peek = -1; return c; }
  if (g_serialIn < 0) return -1;
  uint8_t c;
  return ::read(g_serialIn, &c, 1) == 1 ? c : -1;
}
int HardwareSerial::peek() {
  if (g_peek < 0) g_peek = read();
  return g_peek;
}
int HardwareSerial::available() {
  if (g_peek >= 0) return 1;
  if (g_serialIn < 0) return 0;
  pollfd p{g_serialIn, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) return 0;
  return peek() >= 0 ? 1 : 0;
}
size_t HardwareSerial::write(uint8_t c) { twin::serialWrite(&c, 1); return 1; }
size_t HardwareSerial::write(const uint8_t* buf, size_t size) { twin::serialWrite(buf, size); return size; }

unsigned long millis() { return (unsigned long)twin::millisSinceBoot(); }
unsigned long micros() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  static const uint64_t start = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u - twin::millisSinceBoot() * 1000u;
  return (unsigned long)((uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u - start);
}
void delay(unsigned long ms) {
  timespec ts{(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}
void delayMicroseconds(unsigned int us) {
  timespec ts{0, (long)us * 1000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}
void yield() {}

void pinMode(uint8_t, uint8_t) {}
void digitalWrite(uint8_t pin, uint8_t val) { g_pins[pin] = val ? HIGH : LOW; }
int digitalRead(uint8_t pin) { return g_pins[pin]; }
int analogRead(uint8_t) { return 0; }
void analogWrite(uint8_t pin, int val) { g_pins[pin] = val ? HIGH : LOW; }
void attachInterrupt(uint8_t, void (*)(void), int) {}
void detachInterrupt(uint8_t) {}
unsigned long pulseIn(uint8_t, uint8_t, unsigned long) { return 0; }
void tone(uint8_t, unsigned int, unsigned long) {}
void noTone(uint8_t) {}
void noInterrupts() {}
void interrupts() {}

long random(long howbig) { return howbig <= 0 ? 0 : ::random() % howbig; }
long random(long howsmall, long howbig) { return howsmall >= howbig ? howsmall : howsmall + random(howbig - howsmall); }
void randomSeed(unsigned long seed) { if (seed) srandom((unsigned)seed); }
long map(long x, long in_min, long in_max, long out_min, long out_max) {
  return in_max == in_min ? out_min : (x - in_min) * (out_max - out_min) / (in_max - in_min) + out_min;
}

int main() {
  // A dead rig must not leave boards running. (No getppid()==1 check: inside a bwrap pid namespace the
  // parent really is pid 1; bwrap --die-with-parent covers that case.)
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGPIPE, SIG_IGN);          // a peer closing a socket is an error code on a board, not a crash
  setvbuf(stdout, nullptr, _IOLBF, 0);
  twin::millisSinceBoot();           // start the board clock
  twin::coreVersion();               // read (and validate) the world file before anything starts

  const char* mode = getenv("RIG_TWIN_SERIAL");
  if (mode && strcmp(mode, "stdio") == 0) {
    g_serialOut = 1;
  } else {
    std::string slavePath;
    int slaveFd = -1;
    int master = openPty(slavePath, slaveFd);
    g_serialSlave = slaveFd;
    if (master < 0) { fprintf(stderr, "twin: cannot open a pseudo-terminal: %s\n", strerror(errno)); return 70; }
    g_serialOut = g_serialIn = master;
    printf("PTY %s\n", slavePath.c_str());
    fflush(stdout);
    if (!waitForGo()) return 0;
    pthread_t t;
    pthread_create(&t, nullptr, stdinWatcher, nullptr);
    pthread_detach(t);
  }
  setup();
  for (;;) {
    uint64_t before = twin::millisSinceBoot();
    loop();
    // A real loopTask spins; on a shared host an idle loop() would burn a core, so nap when it returned at once.
    if (twin::millisSinceBoot() == before) delay(1);
  }
}
