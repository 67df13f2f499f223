// The twin's view of the outside world, for board folders and libraries: DNS, port mapping, TCP, clock, core
// version, debug level and the facts side channel. Read once from the JSON file named by env RIG_TWIN_WORLD
// (schema: rig/twin/world.ts). Implemented in world.cpp, net.cpp and clock.cpp.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "IPAddress.h"
#include "twin_serial.h"

namespace twin {
// Dotted quad parsed; names looked up in the world's DNS map (case-insensitive); unknown -> false.
bool resolve(const char* host, IPAddress& out);
// Logical broker port -> real port (identity if unmapped).
uint16_t mapPort(uint16_t logical);
// Connected, blocking fd >= 0, or -errno. Applies mapPort() itself (mapping twice is harmless:
// real ports are not logical ones), so board code may pass the sketch's port as is. A dotted quad listed in the
// world's hosts (a LAN address) is routed to the address it maps to.
int tcpConnect(const IPAddress& ip, uint16_t port, uint32_t timeoutMs);
// send() for a TLS client's record writes. A peer that rejects a handshake flight writes its alert and resets the
// connection, often before the twin (a fast host, loopback) has written the rest of its flight: the write then
// fails while the alert waits unread. A board's stack took those writes before the reset reached it (the reference
// output is the alert, e.g. mbedTLS -30592 for a missing client certificate), so while the peer's last bytes are
// unread such a write counts as sent and the client goes on to read them. A reset with nothing unread is -1
// (ECONNRESET), as before.
ssize_t sendBeforeReset(int fd, const void* buf, size_t len);
// Does configTime()/SNTP get a time? (Also: is the network's NTP server answering, for WiFiUDP to port 123.)
bool ntpReachable();
// millis() when setup() starts, and the board time WiFi takes to come up (world bootMs, wifiConnectMs).
uint32_t bootMs();
uint32_t wifiConnectMs();
// The board's DHCP address from the world, else `fallback` (the board folder's own default).
IPAddress localIP(const IPAddress& fallback);
// Folder holding the flash file system's files (SPIFFS/LittleFS), "" when the board has none uploaded.
const char* flashDir();
// The world's `module` settings (a WiFi module's TLS, rig/boards/modules.ts): "" when absent.
bool hasModule();
const char* moduleSetting(const char* key);
// How the board's TLS library was built (world "tls", rig/scenario/tls-build.ts): a field as text, or nullptr when the
// scenario and profile leave it at the build's default; lists are comma-separated (tlsListHas: true when unset).
const char* tlsOption(const char* key);
long tlsInt(const char* key, long fallback);
bool tlsBool(const char* key, bool fallback);
bool tlsListHas(const char* key, const char* item);
// WiFi association as board time: begin() starts it; until it is done, delay() passes board time without
// waiting (nothing outside the board can happen before its network is up), so boot logs show a board's timestamps.
void wifiBegin();
bool wifiConnecting();
bool wifiUp();
// Moves the board clock forward without waiting (pending waits see the new time).
void fastForward(uint64_t ms);
// The calendar jumps to `epoch` (s) and runs on from there: the board's time() and the network's (NTP) both, as
// if that much time had passed (the rig's clock step, through control.cpp).
void setCalendar(int64_t epoch);
// One control line from the rig (stdin after "go"): "advance <ms>", "calendar <epoch>", "resume <n>".
// Implemented in control.cpp.
bool controlLine(const char* line);
// The rig read burst end n (the fact "idle <n> <lines>", clock.cpp): the board may go on past it.
void resumeAfterIdle(uint64_t n);
// Virtual time (clock.cpp, quiet.cpp; off with the world's realTime): a board thread other than the sketch's
// (esp-mqtt's task) holds a BoardTask while it runs, so the clock skips only when every board thread waits.
struct BoardTask {
  BoardTask();
  ~BoardTask();
};
// Waits up to `ms` of board time for `fd` to be readable (a socket read with a timeout); true when it is.
bool waitReadable(int fd, uint32_t ms);
// tcpConnect() watches every connection it opens: virtual time skips only while all of them are quiet.
void watchConnection(int fd);
// How far board time may jump now without a watched connection missing anything (0: not at all).
uint64_t quietSkipUs(uint64_t boardNowUs);
// An MQTT client sent CONNECT with this keepalive: the broker drops it after 1.5x that of silence, in real time,
// so virtual time never skips a silence that long.
void keepAliveSent(uint16_t seconds);
// An MQTT library's own view of its connection, which TCP_INFO cannot give: the library just read a packet, and the
// broker has answered the last packet that gets an answer (brokers handle a connection's packets in order, so it
// has handled all before it), with no answer still due. The connection then rests until the board sends again
// (quiet.cpp). answerMs: the slowest answer the library has read on it, real ms from its send. unansweredTail: it
// also sent packets nothing answers after that one (a QoS 0 PUBLISH right after a SUBSCRIBE): the rest then waits
// a few times answerMs after the last send, for the broker to have read them.
void mqttConnectionRests(uint32_t answerMs, bool unansweredTail);
// The library wrote a packet nothing answers (a QoS 0 PUBLISH, a PUBACK) with no answer due: the resting
// connection stays at rest once the broker has surely read it (quiet.cpp). mqttAnswerDue(): it wrote one that is
// answered, so no connection rests by its word until that answer comes.
void mqttUnansweredSend();
void mqttAnswerDue();
// Held by a TLS client for its handshake: the peer owes the board its flights, so while a connection moved within
// the last seconds virtual time follows real time, however long a loaded host keeps the peer from answering
// (quiet.cpp; MqttAnswers does the same for an MQTT answer due). Only a peer that silent lets the clock skip.
class ReplyAwaited {
 public:
  ReplyAwaited();
  ~ReplyAwaited();
  ReplyAwaited(const ReplyAwaited&) = delete;
  ReplyAwaited& operator=(const ReplyAwaited&) = delete;
};
// What an MQTT library tells virtual time (mqttConnectionRests): the packets it wrote, the answers it read.
class MqttAnswers {
 public:
  MqttAnswers() = default;
  MqttAnswers(const MqttAnswers& other);
  MqttAnswers& operator=(const MqttAnswers& other);
  ~MqttAnswers();
  // After the library wrote a packet with this fixed-header byte (the broker answers CONNECT, SUBSCRIBE,
  // UNSUBSCRIBE, PINGREQ, PUBREL and a QoS 1 or 2 PUBLISH).
  void sent(uint8_t header);
  // After it read a packet with this fixed-header byte from the broker.
  void read(uint8_t header);
  // The connection closed: nothing is due.
  void reset();

 private:
  static const int kMaxDue = 16;
  uint32_t sent_ = 0;     // packets written
  uint32_t handled_ = 0;  // the last of them the broker has handled, as its answers say
  uint32_t due_[kMaxDue] = {};  // packets whose answer has not been read, oldest first
  uint64_t dueAtMs_[kMaxDue] = {};  // real time each was written
  uint32_t slowestMs_ = 0;          // the slowest answer read so far
  int dueCount_ = 0;
  bool overflow_ = false;  // more answers due than kept: never rests until reset()
  bool awaiting_ = false;  // counted among the replies awaited (an answer is due)
  void syncAwaiting();
};
uint64_t microsSinceBoot();
// The board starts (main.cpp, right before setup()): millis() restarts at the world's bootMs.
void bootBoard();
// The network's wall clock (what an NTP server answers): the world's fixed date plus uptime, or the host's time.
int64_t networkEpochNow();
// Board clock fixed at this epoch (plus time since boot), or -1 (use the host clock once synced).
int64_t fixedEpoch();
uint64_t millisSinceBoot();
// e.g. "2.0.17", "1.0.6", "3.1.2"
const char* coreVersion();
// ESP32 Core Debug Level 0..5.
int debugLevel();
// Twin-only side channel (NOT serial): one raw fact per line in the world's factsFile.
void fact(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Board wall clock in seconds: 0-based (1970) until clockSynced(), then fixedEpoch()+uptime or host time.
int64_t boardEpochNow();
void setClockSynced(bool synced);
bool clockSynced();
// Major.minor of coreVersion() as a number, e.g. "2.0.17" -> 200, "1.0.6" -> 100, "3.1.2" -> 301.
int coreVersionCode();
// Compare version strings: <0, 0, >0.
int compareVersion(const char* a, const char* b);

// The row of the board family's version table (boards/twin/versions/<family>.yaml) that covers coreVersion():
// printed lines and behaviour of that release, by "a.b.c" key (a missing key stops the twin, exit 78).
const char* rowId();
const char* rowStr(const char* key);
long rowInt(const char* key);
bool rowBool(const char* key);
}  // namespace twin
