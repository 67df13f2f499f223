// The board's network on the host: names from the world's hosts map, logical ports mapped to the broker's real
// ones, and blocking TCP sockets (WiFiClient and the boards' TLS clients sit on these).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "twin_world.h"
#include "world_file.h"

namespace twin {

bool resolve(const char* host, IPAddress& out) {
  if (!host) return false;
  if (out.fromString(host)) return true;
  const auto& hosts = world().hosts;
  auto it = hosts.find(host);
  if (it == hosts.end()) {
    // DNS names are case-insensitive.
    for (auto i = hosts.begin(); i != hosts.end(); ++i)
      if (strcasecmp(i->first.c_str(), host) == 0) { it = i; break; }
  }
  if (it == hosts.end()) return false;
  return out.fromString(it->second.c_str());
}

uint16_t mapPort(uint16_t logical) {
  const auto& ports = world().ports;
  auto it = ports.find(logical);
  return it == ports.end() ? logical : it->second;
}

// The board's network: a dotted quad listed in the world's hosts (the broker's address on the user's LAN,
// e.g. 192.168.0.52) is routed to where the rig's broker really listens. The board still sees and checks
// the address it was given; only the TCP destination moves.
static IPAddress route(const IPAddress& ip) {
  const auto& hosts = world().hosts;
  auto it = hosts.find(ip.toString().c_str());
  IPAddress to;
  if (it != hosts.end() && to.fromString(it->second.c_str())) return to;
  return ip;
}

int tcpConnect(const IPAddress& target, uint16_t port, uint32_t timeoutMs) {
  const IPAddress ip = route(target);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(mapPort(port));
  memcpy(&sa.sin_addr.s_addr, ip.raw(), 4);
  int rc = ::connect(fd, (sockaddr*)&sa, sizeof sa);
  if (rc < 0 && errno != EINPROGRESS) { int e = errno; close(fd); return -e; }
  if (rc < 0) {
    pollfd pfd{fd, POLLOUT, 0};
    int pr = poll(&pfd, 1, (int)timeoutMs);
    if (pr == 0) { close(fd); return -ETIMEDOUT; }
    if (pr < 0) { int e = errno; close(fd); return -e; }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) { close(fd); return -err; }
  }
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  watchConnection(fd);
  return fd;
}

ssize_t sendBeforeReset(int fd, const void* buf, size_t len) {
  ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
  if (n >= 0 || (errno != ECONNRESET && errno != EPIPE)) return n;
  int unread = 0;
  if (ioctl(fd, FIONREAD, &unread) == 0 && unread > 0) return (ssize_t)len;
  errno = ECONNRESET;
  return -1;
}

}  // namespace twin
