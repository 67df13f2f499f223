// Serial on the host: a pty master (or the descriptors serialAttach() was given) behind HardwareSerial.
#include <errno.h>
#include <atomic>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "HardwareSerial.h"
#include "twin_serial.h"
#include "twin_world.h"

namespace {
int g_serialOut = -1;    // pty master (or stdout, or a pipe)
int g_serialIn = -1;     // pty master (or -1)
int g_serialSlave = -1;  // our own hold on the pty's slave side: what the rig has not read yet is queued there
int g_peek = -1;         // one byte read ahead by peek()
}  // namespace

namespace twin {
bool serialOpenPty(std::string& slavePath) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return false;
  const char* name = grantpt(master) == 0 && unlockpt(master) == 0 ? ptsname(master) : nullptr;
  // Holding the slave open keeps output queued (and master reads from failing with EIO) while the rig reopens the port.
  int slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
  if (slave < 0) {
    int e = errno;
    close(master);
    errno = e;
    return false;
  }
  slavePath = name;
  termios t;
  tcgetattr(slave, &t);
  cfmakeraw(&t);
  cfsetspeed(&t, B115200);
  tcsetattr(slave, TCSANOW, &t);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  g_serialSlave = slave;
  g_serialOut = g_serialIn = master;
  // A sketch that ends with exit() (twin tests do) lets the rig read its last lines, which closing the pty would drop:
  // on virtual time its delay() before exit() no longer gives the rig that time.
  atexit([] { serialDrain(2000); });
  return true;
}

void serialAttach(int outFd, int inFd) {
  g_serialOut = outFd;
  g_serialIn = inFd;
  g_serialSlave = -1;
  g_peek = -1;
}

std::atomic<uint64_t> g_lastWriteUs{0};
uint64_t serialLastWriteUs() { return g_lastWriteUs.load(); }
std::atomic<uint64_t> g_linesWritten{0};
uint64_t serialLinesWritten() { return g_linesWritten.load(); }

void serialWrite(const uint8_t* data, size_t len) {
  g_lastWriteUs = microsSinceBoot();
  // Nobody reading (port closed or slow): wait once like a full UART FIFO, then drop output without
  // waiting again until a write gets through, so a closed port never slows the board down.
  static bool dropping = false;
  while (len > 0 && g_serialOut >= 0) {
    ssize_t n = write(g_serialOut, data, len);
    if (n > 0) {
      for (ssize_t i = 0; i < n; i++) g_linesWritten += data[i] == '\n';
      data += n;
      len -= (size_t)n;
      dropping = false;
      continue;
    }
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
  if (g_peek >= 0) {
    int c = g_peek;
    g_peek = -1;
    return c;
  }
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
size_t HardwareSerial::write(uint8_t c) {
  twin::serialWrite(&c, 1);
  return 1;
}
size_t HardwareSerial::write(const uint8_t* buf, size_t size) {
  twin::serialWrite(buf, size);
  return size;
}
