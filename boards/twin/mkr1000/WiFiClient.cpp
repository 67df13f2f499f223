#include "WiFiClient.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "twin_world.h"

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

int WiFiClient::connect(const char* host, uint16_t port) {
  IPAddress ip;
  if (!twin::resolve(host, ip)) {
    twin::fact("dns-failed:%s", host ? host : "");
    return 0;
  }
  return connect(ip, port);
}

size_t WiFiClient::write(const uint8_t* buf, size_t size) {
  if (fd_ < 0 || size == 0) return 0;
  size_t done = 0;
  while (done < size) {
    ssize_t n = send(fd_, buf + done, size - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The module accepted the bytes; the reset shows up on the receive side (see header). Keep the socket
      // so data already received stays readable.
      if (errno == EPIPE || errno == ECONNRESET) return size;
      return 0;
    }
    done += (size_t)n;
  }
  return done;
}

int WiFiClient::available() {
  if (fd_ < 0) return 0;
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
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) stop();
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
  if (n == 0) return 0;
  return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 1 : 0;
}
