#include "WiFiClient.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "twin_world.h"

// A board whose network module buffers what it sends defines this to return true (MKR1000: the WINC1500 takes
// the bytes and returns at once). A reset by the peer then surfaces on the receive side, as a closed socket,
// after the bytes the module already received (a TLS alert, say) have been read.
bool twinBoardSendIsBuffered() __attribute__((weak));
static bool sendIsBuffered() { return twinBoardSendIsBuffered && twinBoardSendIsBuffered(); }

int WiFiClient::connect(IPAddress ip, uint16_t port) {
  stop();
  int fd = twin::tcpConnect(ip, port, connectTimeoutMs_);
  if (fd < 0) {
    lastErrno_ = -fd;
    twin::fact("tcp-errno:%d", lastErrno_);
    return 0;
  }
  lastErrno_ = 0;
  fd_ = fd;
  return 1;
}

// A board may define this to resolve like its core does (and print its DNS failure line).
int twinBoardHostByName(const char* host, IPAddress& out) __attribute__((weak));

int WiFiClient::connect(const char* host, uint16_t port) {
  IPAddress ip;
  bool ok = twinBoardHostByName ? twinBoardHostByName(host, ip) == 1 : twin::resolve(host, ip);
  if (!ok) {
    lastErrno_ = 0;
    twin::fact("dns-failed:%s", host ? host : "");
    return 0;
  }
  return connect(ip, port);
}

// A board's WiFi round trip to its broker takes milliseconds; a host's loopback answers in microseconds. So that
// code polling available() right after a write sees what a board sees (nothing yet: PubSubClient 2.8's loop() with
// keepAlive 0 sends PINGREQ and finds it outstanding on the next call), an answer is hidden for one round trip.
static const uint64_t kAirRoundTripUs = 1000;

size_t WiFiClient::write(const uint8_t* buf, size_t size) {
  if (fd_ < 0 || size == 0) return 0;
  lastWriteUs_ = twin::microsSinceBoot();
  size_t done = 0;
  while (done < size) {
    ssize_t n = send(fd_, buf + done, size - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 && sendIsBuffered()) {
      // The module took the bytes; keep the socket so what was already received stays readable.
      return (errno == EPIPE || errno == ECONNRESET) ? size : 0;
    }
    if (n <= 0) { stop(); break; }
    done += (size_t)n;
  }
  return done;
}

int WiFiClient::available() {
  if (fd_ < 0) return 0;
  if (lastWriteUs_ != 0 && twin::microsSinceBoot() - lastWriteUs_ < kAirRoundTripUs) return 0;
  int n = 0;
  if (ioctl(fd_, FIONREAD, &n) < 0) return 0;
  return n;
}

int WiFiClient::read() {
  uint8_t c;
  return read(&c, 1) == 1 ? c : -1;
}

int WiFiClient::read(uint8_t* buf, size_t size) {
  if (fd_ < 0) return -1;
  ssize_t n = recv(fd_, buf, size, MSG_DONTWAIT);
  if (n > 0) return (int)n;
  const bool again = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  if (n == 0 || (sendIsBuffered() && !again)) stop();
  return -1;
}

int WiFiClient::peek() {
  if (fd_ < 0) return -1;
  uint8_t c;
  return recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 1 ? c : -1;
}

void WiFiClient::stop() {
  if (fd_ >= 0) { close(fd_); fd_ = -1; }
}

uint8_t WiFiClient::connected() {
  if (fd_ < 0) return 0;
  uint8_t c;
  ssize_t n = recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK);
  if (n > 0) return 1;
  if (n == 0) return 0;  // peer closed and nothing left to read
  return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 1 : 0;
}

WiFiClient::operator bool() {
  return sendIsBuffered() ? fd_ >= 0 : connected() != 0;
}
