// Which of the board's TCP connections could still bring something, asked by virtual time (clock.cpp) before it
// skips. A connection in a conversation (bytes unacknowledged, a send not yet answered, a receive whose flight
// may go on) can: board time then follows real time, so a reply comes as it would and a timeout fires only after
// that much time with no data. A connection at rest (the peer answered, then silence) can only bring what a third
// party sends, which nothing times by the board's clock. The kernel's TCP_INFO says when each side last sent, so
// no write path needs hooks. One bound stays: a broker drops a client silent for 1.5x its keepalive
// (mosquitto), a real-time rule; the MQTT libraries report their keepalive and no skip makes a silence that long.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include <atomic>
#include <limits>
#include <map>
#include <mutex>

#include "twin_world.h"

namespace {
struct Conn {
  uint64_t lastSendBoardUs;  // board time of the last send seen
  uint64_t lastSendRealMs;   // real time of the same send
};
std::mutex g_mu;
std::map<int, Conn> g_conns;
std::atomic<uint32_t> g_keepAliveS{0};

// A reply to what the board sent (TLS flight, CONNACK, SUBACK, PUBACK) comes within this on loopback, even on a
// loaded host; the rest of a flight follows its first bytes within the second.
const uint32_t kAfterSendMs = 200;
const uint32_t kAfterRecvMs = 20;
const uint64_t kKeepAliveMarginUs = 1000000;

uint64_t realMs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

bool canStillReceive(uint8_t state) {
  return state == TCP_ESTABLISHED || state == TCP_SYN_SENT || state == TCP_SYN_RECV || state == TCP_FIN_WAIT1 ||
         state == TCP_FIN_WAIT2;
}

// How far board time may jump for this connection (0: not at all).
uint64_t connSkipUs(Conn& c, const tcp_info& ti, uint64_t boardNowUs) {
  if (!canStillReceive(ti.tcpi_state)) return std::numeric_limits<uint64_t>::max();
  const uint64_t sentAt = realMs() - ti.tcpi_last_data_sent;
  if (sentAt > c.lastSendRealMs + 4) {  // a send since the last look (TCP_INFO counts in jiffies)
    c.lastSendRealMs = sentAt;
    c.lastSendBoardUs = boardNowUs - (uint64_t)ti.tcpi_last_data_sent * 1000u;
  }
  if (ti.tcpi_state != TCP_ESTABLISHED || ti.tcpi_unacked > 0) return 0;
  const bool answered = ti.tcpi_last_data_recv < ti.tcpi_last_data_sent;
  if (answered ? ti.tcpi_last_data_recv < kAfterRecvMs : ti.tcpi_last_data_sent < kAfterSendMs) return 0;
  const uint32_t ka = g_keepAliveS.load();
  if (ka == 0) return std::numeric_limits<uint64_t>::max();
  const uint64_t horizon = c.lastSendBoardUs + (uint64_t)ka * 1500000u - kKeepAliveMarginUs;
  return boardNowUs >= horizon ? 0 : horizon - boardNowUs;
}
}  // namespace

namespace twin {
void watchConnection(int fd) {
  std::lock_guard<std::mutex> lk(g_mu);
  g_conns[fd] = Conn{microsSinceBoot(), realMs()};
}

void keepAliveSent(uint16_t seconds) { g_keepAliveS = seconds; }

uint64_t quietSkipUs(uint64_t boardNowUs) {
  std::lock_guard<std::mutex> lk(g_mu);
  uint64_t limit = std::numeric_limits<uint64_t>::max();
  for (auto it = g_conns.begin(); it != g_conns.end();) {
    tcp_info ti{};
    socklen_t len = sizeof ti;
    if (getsockopt(it->first, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) {
      it = g_conns.erase(it);  // closed by the board (or the number now names something else)
      continue;
    }
    limit = std::min(limit, connSkipUs(it->second, ti, boardNowUs));
    if (limit == 0) break;
    ++it;
  }
  return limit;
}
}  // namespace twin
