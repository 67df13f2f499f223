// WiFiUDP on the host (WiFiUdp.h): a non-blocking UDP socket for ordinary datagrams, the world's clock for NTP.
#include "WiFiUdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "Common.h"
#include "twin_world.h"

namespace {
const uint16_t kNtpPort = 123;
const unsigned long kNtpRoundTripMs = 25;
const uint32_t kNtpEpochOffset = 2208988800UL;  // 1900 → 1970

void putU32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) b[at + i] = (char)(v >> (24 - 8 * i));
}

// RFC 5905 server reply to a client request: mode 4, stratum 2, the world's time in the receive and transmit
// timestamps, the request's transmit timestamp as originate.
std::string ntpReply(const std::string& request) {
  std::string r(48, '\0');
  uint8_t vn = request.empty() ? 4 : (uint8_t)((request[0] >> 3) & 7);
  r[0] = (char)((vn << 3) | 4);
  r[1] = 2;
  r[2] = request.size() > 2 ? request[2] : 6;
  r[3] = (char)0xEC;
  uint32_t secs = (uint32_t)(twin::networkEpochNow() + kNtpEpochOffset);
  putU32(r, 16, secs - 60);  // reference: the last time the server synced
  if (request.size() >= 48) r.replace(24, 8, request, 40, 8);
  putU32(r, 32, secs);
  putU32(r, 40, secs);
  return r;
}
}  // namespace

int WiFiUDP::socketFd() {
  if (fd_ >= 0) return fd_;
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ >= 0) {
    // Many twins run at once: the sketch's local port (NTPClient's 1337) is not bound on the host.
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    bind(fd_, (sockaddr*)&sa, sizeof sa);
  }
  return fd_;
}

uint8_t WiFiUDP::begin(uint16_t) { return socketFd() >= 0 ? 1 : 0; }

void WiFiUDP::stop() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  rx_.clear();
  rxPos_ = 0;
  ntpReply_.clear();
}

int WiFiUDP::beginPacket(IPAddress ip, uint16_t port) {
  txIP_ = ip;
  txPort_ = port;
  tx_.clear();
  txOpen_ = true;
  return 1;
}

int WiFiUDP::beginPacket(const char* host, uint16_t port) {
  IPAddress ip;
  // pool.ntp.org and friends resolve on any network the board is on; other names come from the world's DNS.
  if (!twin::resolve(host, ip)) {
    if (port != kNtpPort) return 0;
    ip = IPAddress(162, 159, 200, 1);
  }
  return beginPacket(ip, port);
}

size_t WiFiUDP::write(const uint8_t* buf, size_t size) {
  if (!txOpen_) return 0;
  tx_.append((const char*)buf, size);
  return size;
}

int WiFiUDP::endPacket() {
  if (!txOpen_) return 0;
  txOpen_ = false;
  if (txPort_ == kNtpPort) {
    if (twin::ntpReachable()) {
      ntpReply_ = ntpReply(tx_);
      ntpDueMs_ = millis() + kNtpRoundTripMs;
      ntpFrom_ = txIP_;
    }
    return 1;  // sent; whether anything answers is the network's business
  }
  int fd = socketFd();
  if (fd < 0) return 0;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(txPort_);
  memcpy(&sa.sin_addr.s_addr, txIP_.raw(), 4);
  return sendto(fd, tx_.data(), tx_.size(), 0, (sockaddr*)&sa, sizeof sa) == (ssize_t)tx_.size() ? 1 : 0;
}

int WiFiUDP::parsePacket() {
  rx_.clear();
  rxPos_ = 0;
  if (!ntpReply_.empty() && (long)(millis() - ntpDueMs_) >= 0) {
    rx_.swap(ntpReply_);
    remoteIP_ = ntpFrom_;
    remotePort_ = kNtpPort;
    return (int)rx_.size();
  }
  if (fd_ < 0) return 0;
  char buf[1500];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, (sockaddr*)&from, &len);
  if (n <= 0) return 0;
  rx_.assign(buf, (size_t)n);
  remoteIP_ = IPAddress((const uint8_t*)&from.sin_addr.s_addr);
  remotePort_ = ntohs(from.sin_port);
  return (int)n;
}

int WiFiUDP::read() { return available() > 0 ? (uint8_t)rx_[rxPos_++] : -1; }
int WiFiUDP::peek() { return available() > 0 ? (uint8_t)rx_[rxPos_] : -1; }
int WiFiUDP::read(unsigned char* buf, size_t len) {
  size_t n = len < (size_t)available() ? len : (size_t)available();
  memcpy(buf, rx_.data() + rxPos_, n);
  rxPos_ += n;
  return (int)n;
}
void WiFiUDP::flush() {
  rx_.clear();
  rxPos_ = 0;
}
