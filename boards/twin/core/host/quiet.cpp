// Which of the board's TCP connections could still bring something, asked by virtual time (clock.cpp) before it
// skips. A connection in a conversation (bytes unacknowledged, a send not yet answered, a receive whose flight
// may go on) can: board time then follows real time, so a reply comes as it would and a timeout fires only after
// that much time with no data. A connection at rest (the peer answered, then silence) can only bring what a third
// party sends, which nothing times by the board's clock. The kernel's TCP_INFO says when each side last sent, so
// no write path needs hooks. One bound stays: a broker drops a client silent for 1.5x its keepalive
// (mosquitto), a real-time rule; the MQTT libraries report their keepalive and no skip makes a silence that long.
// The MQTT libraries also say when the broker has handled everything they sent (mqttConnectionRests): a reply on
// loopback often comes within the send's jiffy, and a QoS 0 PUBLISH waits for the broker's delayed ACK, so the
// kernel's stamps alone would hold the board in real time for kAfterSendMs after every exchange. After packets
// nothing answers (a QoS 0 PUBLISH), a few times the slowest answer the connection got is enough for the broker to
// have read them, and to have closed the connection over one, if it would.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <vector>

#include "twin_world.h"

namespace {
// glibc's tcp_info ends at tcpi_total_retrans; the kernel's (include/uapi/linux/tcp.h, Linux 4.6+) goes on with the
// data segment counters, at the same offsets in 64-bit and -m32 builds (its 64-bit fields are 8-aligned there).
struct TcpInfo {
  tcp_info base;
  uint64_t pacingRate, maxPacingRate, bytesAcked, bytesReceived;
  uint32_t segsOut, segsIn, notsentBytes, minRtt, dataSegsIn, dataSegsOut;
};
static_assert(offsetof(TcpInfo, dataSegsIn) == 152 && offsetof(TcpInfo, dataSegsOut) == 156, "kernel tcp_info");

struct Conn {
  uint64_t lastSendBoardUs;  // board time of the last send seen
  uint64_t lastSendRealMs;   // real time of the same send
  uint32_t hintIn;           // data segments in when an MQTT library last said a connection rests
  bool rests;                // the MQTT library said the broker handled all it sent, as of restOut and restIn
  uint32_t restOut, restIn;
  bool unansweredOnly;       // since the last answer the library sent only packets nothing answers (some of them
                             // maybe before restOut: a QoS 0 PUBLISH right after a SUBSCRIBE)
  uint32_t answerMs;         // the slowest answer the library read on this connection (real ms)
  uint32_t outSeen;          // data segments out at the look that first saw the latest send
  uint32_t inAtOutSeen;      // data segments in at that look: more since then came after that send
};
std::mutex g_mu;
std::map<int, Conn> g_conns;
std::atomic<uint32_t> g_keepAliveS{0};
std::atomic<int> g_handshakes{0};  // ReplyAwaited holders: TLS handshakes in progress
std::atomic<int> g_mqttDue{0};     // MQTT libraries with an answer due

// A reply to what the board sent comes within this on loopback on a host with time to spare; the rest of a flight
// follows its first bytes within the second. A reply the board's TLS or MQTT library says it awaits is waited for
// longer (kAwaitedReplyMs): a loaded host can take more.
const uint32_t kAfterSendMs = 200;
const uint32_t kAfterRecvMs = 20;
// After packets nothing answers: this many times the slowest answer, plus two jiffies (TCP_INFO's unit, 4 ms at
// HZ=250), at least kMinUnansweredMs and at most kAfterSendMs.
const uint32_t kUnansweredFactor = 3;
const uint32_t kMinUnansweredMs = 20;
const uint64_t kKeepAliveMarginUs = 1000000;
// While a reply is awaited, a connection that moved within this much real time may still bring it: a loaded host
// (a CI machine compiling beside the broker) can keep the broker from answering a TLS flight or an MQTT packet for
// far longer than kAfterSendMs, or split a flight that long. Seen: a mutual-TLS handshake timed out in board time
// under CI load (test/forum, "Unknown error code." instead of connected). A peer silent this long is not answering.
const uint32_t kAwaitedReplyMs = 3000;

uint64_t realMs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

bool canStillReceive(uint8_t state) {
  return state == TCP_ESTABLISHED || state == TCP_SYN_SENT || state == TCP_SYN_RECV || state == TCP_FIN_WAIT1 ||
         state == TCP_FIN_WAIT2;
}

bool readInfo(int fd, TcpInfo& t, bool& counted) {
  t = TcpInfo{};
  socklen_t len = sizeof t;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &t, &len) != 0) return false;
  counted = len >= offsetof(TcpInfo, dataSegsOut) + sizeof t.dataSegsOut;
  return true;
}

uint32_t unansweredQuietMs(const Conn& c) {
  return std::min(kAfterSendMs, std::max(kMinUnansweredMs, kUnansweredFactor * c.answerMs + 8));
}

// At rest by the MQTT library's word: nothing sent since, or only packets nothing answers, all gone out and sent
// long enough ago (unansweredQuietMs); and what came since is not the start of a flight. (Not "acknowledged": a
// peer that answers nothing acknowledges only by its delayed ACK, up to 200 ms later, though loopback delivered
// the bytes at once.)
bool restsByLibrary(const Conn& c, const TcpInfo& t, bool counted) {
  if (!counted || !c.rests || t.base.tcpi_state != TCP_ESTABLISHED) return false;
  if (c.unansweredOnly) {
    if (t.notsentBytes > 0 || t.base.tcpi_last_data_sent < unansweredQuietMs(c)) return false;
  } else if (t.dataSegsOut != c.restOut) {
    return false;
  }
  return t.dataSegsIn == c.restIn || t.base.tcpi_last_data_recv >= kAfterRecvMs;
}

// A handshake's engine reads all that came and still waits: the peer owes the rest of its flight. An MQTT answer is
// owed until the library reads it; bytes waiting unread mean it came (the library reads it when the sketch lets it).
bool replyAwaited(int fd, const tcp_info& ti) {
  if (g_handshakes.load() > 0 && std::min(ti.tcpi_last_data_sent, ti.tcpi_last_data_recv) < kAwaitedReplyMs)
    return true;
  if (g_mqttDue.load() <= 0 || ti.tcpi_last_data_sent >= kAwaitedReplyMs) return false;
  int unread = 0;
  return ioctl(fd, FIONREAD, &unread) == 0 && unread == 0;
}

// Data came after the board's last send. The stamps count in jiffies (4 ms at HZ=250), and a reply on loopback often
// lands in the send's own jiffy (sent == recv: a TLS alert's reply, measured): the segment counters say it came
// when it came after a look that had seen the send already.
bool answeredSince(const Conn& c, const TcpInfo& t, bool counted) {
  if (t.base.tcpi_last_data_recv < t.base.tcpi_last_data_sent) return true;
  return counted && t.dataSegsIn != c.inAtOutSeen;
}

// How far board time may jump for this connection (0: not at all).
uint64_t connSkipUs(int fd, Conn& c, const TcpInfo& t, bool counted, uint64_t boardNowUs) {
  const tcp_info& ti = t.base;
  if (!canStillReceive(ti.tcpi_state)) return std::numeric_limits<uint64_t>::max();
  const uint64_t sentAt = realMs() - ti.tcpi_last_data_sent;
  if (sentAt > c.lastSendRealMs + 4) {  // a send since the last look (TCP_INFO counts in jiffies)
    c.lastSendRealMs = sentAt;
    c.lastSendBoardUs = boardNowUs - (uint64_t)ti.tcpi_last_data_sent * 1000u;
  }
  if (counted && t.dataSegsOut != c.outSeen) {
    c.outSeen = t.dataSegsOut;
    c.inAtOutSeen = t.dataSegsIn;
  }
  if (replyAwaited(fd, ti)) return 0;
  if (!restsByLibrary(c, t, counted)) {
    if (ti.tcpi_state != TCP_ESTABLISHED || ti.tcpi_unacked > 0) return 0;
    if (answeredSince(c, t, counted) ? ti.tcpi_last_data_recv < kAfterRecvMs : ti.tcpi_last_data_sent < kAfterSendMs)
      return 0;
  }
  const uint32_t ka = g_keepAliveS.load();
  if (ka == 0) return std::numeric_limits<uint64_t>::max();
  const uint64_t horizon = c.lastSendBoardUs + (uint64_t)ka * 1500000u - kKeepAliveMarginUs;
  return boardNowUs >= horizon ? 0 : horizon - boardNowUs;
}
}  // namespace

namespace twin {
void watchConnection(int fd) {
  std::lock_guard<std::mutex> lk(g_mu);
  g_conns[fd] = Conn{microsSinceBoot(), realMs(), 0, false, 0, 0, false, 0, 0, 0};
}

// The library just read an answer on one of the board's open connections: the only one, or the only one that
// received data since a library last said this (its answer came since: it was still due then). With several
// candidates nothing is marked, and the kernel's stamps decide.
void mqttConnectionRests(uint32_t answerMs, bool unansweredTail) {
  std::lock_guard<std::mutex> lk(g_mu);
  struct Seen {
    Conn* conn;
    TcpInfo info;
    bool receivedSince;
  };
  std::vector<Seen> open;
  for (auto& [fd, c] : g_conns) {
    TcpInfo t;
    bool counted = false;
    if (!readInfo(fd, t, counted) || !counted || t.base.tcpi_state != TCP_ESTABLISHED) continue;
    open.push_back({&c, t, t.dataSegsIn != c.hintIn});
    c.hintIn = t.dataSegsIn;
  }
  Seen* pick = open.size() == 1 ? &open[0] : nullptr;
  int received = 0;
  for (Seen& s : open)
    if (open.size() > 1 && s.receivedSince && ++received == 1) pick = &s;
  if (!pick || received > 1) return;
  pick->conn->rests = true;
  pick->conn->restOut = pick->info.dataSegsOut;
  pick->conn->restIn = pick->info.dataSegsIn;
  pick->conn->unansweredOnly = unansweredTail;
  pick->conn->answerMs = std::max(pick->conn->answerMs, answerMs);
}

// Marked on the one connection that rests by a library's word; with several, on none (the stamps decide).
void mqttUnansweredSend() {
  std::lock_guard<std::mutex> lk(g_mu);
  Conn* resting = nullptr;
  int n = 0;
  for (auto& [fd, c] : g_conns)
    if (c.rests && ++n == 1) resting = &c;
  if (n == 1) resting->unansweredOnly = true;
}

void mqttAnswerDue() {
  std::lock_guard<std::mutex> lk(g_mu);
  for (auto& [fd, c] : g_conns) c.unansweredOnly = false;
}

void keepAliveSent(uint16_t seconds) { g_keepAliveS = seconds; }

ReplyAwaited::ReplyAwaited() { ++g_handshakes; }
ReplyAwaited::~ReplyAwaited() { --g_handshakes; }

uint64_t quietSkipUs(uint64_t boardNowUs) {
  std::lock_guard<std::mutex> lk(g_mu);
  uint64_t limit = std::numeric_limits<uint64_t>::max();
  for (auto it = g_conns.begin(); it != g_conns.end();) {
    TcpInfo t;
    bool counted = false;
    if (!readInfo(it->first, t, counted)) {
      it = g_conns.erase(it);  // closed by the board (or the number now names something else)
      continue;
    }
    limit = std::min(limit, connSkipUs(it->first, it->second, t, counted, boardNowUs));
    if (limit == 0) break;
    ++it;
  }
  return limit;
}
}  // namespace twin

// Packet types by their upper nibble (MQTT 3.1.1, 2.2.1).
namespace {
bool isAnswered(uint8_t header) {
  switch (header & 0xF0) {
    case 0x10:  // CONNECT
    case 0x60:  // PUBREL
    case 0x80:  // SUBSCRIBE
    case 0xA0:  // UNSUBSCRIBE
    case 0xC0:  // PINGREQ
      return true;
    case 0x30:  // PUBLISH: at QoS 1 or 2
      return (header & 0x06) != 0;
    default:
      return false;
  }
}

bool isAnswer(uint8_t header) {
  switch (header & 0xF0) {
    case 0x20:  // CONNACK
    case 0x40:  // PUBACK
    case 0x50:  // PUBREC
    case 0x70:  // PUBCOMP
    case 0x90:  // SUBACK
    case 0xB0:  // UNSUBACK
    case 0xD0:  // PINGRESP
      return true;
    default:
      return false;
  }
}
}  // namespace

namespace twin {
// A copy starts uncounted and counts itself by its own state, so every instance adds or removes only its own mark.
MqttAnswers::MqttAnswers(const MqttAnswers& other) { *this = other; }
MqttAnswers& MqttAnswers::operator=(const MqttAnswers& other) {
  if (this == &other) return *this;
  const bool mine = awaiting_;
  sent_ = other.sent_;
  handled_ = other.handled_;
  for (int i = 0; i < kMaxDue; i++) {
    due_[i] = other.due_[i];
    dueAtMs_[i] = other.dueAtMs_[i];
  }
  slowestMs_ = other.slowestMs_;
  dueCount_ = other.dueCount_;
  overflow_ = other.overflow_;
  awaiting_ = mine;
  syncAwaiting();
  return *this;
}
MqttAnswers::~MqttAnswers() {
  if (awaiting_) --g_mqttDue;
}

void MqttAnswers::syncAwaiting() {
  const bool due = dueCount_ > 0;
  if (due == awaiting_) return;
  awaiting_ = due;
  if (due) ++g_mqttDue;
  else --g_mqttDue;
}

void MqttAnswers::sent(uint8_t header) {
  ++sent_;
  if (!isAnswered(header)) {
    if (dueCount_ == 0 && !overflow_) mqttUnansweredSend();
    return;
  }
  mqttAnswerDue();
  if (dueCount_ == kMaxDue) {
    overflow_ = true;
    return;
  }
  dueAtMs_[dueCount_] = realMs();
  due_[dueCount_++] = sent_;
  syncAwaiting();
}

void MqttAnswers::read(uint8_t header) {
  if (!isAnswer(header) || dueCount_ == 0) return;
  handled_ = due_[0];  // answers come in the order of what they answer
  slowestMs_ = std::max(slowestMs_, (uint32_t)(realMs() - dueAtMs_[0]));
  for (int i = 1; i < dueCount_; i++) {
    due_[i - 1] = due_[i];
    dueAtMs_[i - 1] = dueAtMs_[i];
  }
  dueCount_--;
  syncAwaiting();
  // What was sent after the packet just answered is all unanswered (else an answer would still be due).
  if (dueCount_ == 0 && !overflow_) mqttConnectionRests(slowestMs_, handled_ != sent_);
}

void MqttAnswers::reset() {
  sent_ = handled_ = 0;
  dueCount_ = 0;
  slowestMs_ = 0;
  overflow_ = false;
  syncAwaiting();
}
}  // namespace twin
