// The host platform (core/host/): the board clock, the world's names and ports behind WiFiClient, the facts
// file, and Serial reaching a pipe or a pseudo-terminal.
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "Arduino.h"
#include "WiFiClient.h"
#include "check.h"
#include "twin_serial.h"
#include "twin_world.h"

namespace {
const int64_t kEpoch = 1700000000;

struct Env {
  int listener = -1;
  uint16_t port = 0;
  std::string facts;
};

int listenLoopback(uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (fd < 0 || bind(fd, (sockaddr*)&sa, len) != 0 || listen(fd, 4) != 0) return -1;
  getsockname(fd, (sockaddr*)&sa, &len);
  port = ntohs(sa.sin_port);
  return fd;
}

// A world file as the rig writes it (rig/twin/world.ts), set before anything reads the world.
const Env& env() {
  static Env e = [] {
    Env out;
    out.listener = listenLoopback(out.port);
    char dir[] = "/tmp/twin-host-test-XXXXXX";
    std::string base = mkdtemp(dir) ? dir : "/tmp";
    out.facts = base + "/facts.txt";
    std::string world = base + "/world.json";
    std::ofstream(world) << "{\"hosts\": {\"raspberry\": \"127.0.0.1\", \"192.168.0.52\": \"127.0.0.1\"},"
                         << " \"ports\": {\"8883\": " << out.port << "}, \"ntp\": false, \"epoch\": " << kEpoch
                         << ", \"coreVersion\": \"1.0.6\", \"debugLevel\": 3, \"factsFile\": \"" << out.facts
                         << "\"}\n";
    setenv("RIG_TWIN_WORLD", world.c_str(), 1);
    return out;
  }();
  return e;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Reads what is there within `ms` (polling); the test decides whether it is enough.
std::string readFor(int fd, size_t want, int ms) {
  std::string out;
  char buf[256];
  while (out.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, (size_t)n);
  }
  return out;
}

int acceptFor(int listener, int ms) {
  pollfd p{listener, POLLIN, 0};
  return poll(&p, 1, ms) > 0 ? accept(listener, nullptr, nullptr) : -1;
}

// The board connects to "raspberry" (the world's broker); returns the broker side's socket, or -1.
int connectToBroker(WiFiClient& c) {
  CHECK_EQ(c.connect("raspberry", 8883), 1);
  int peer = acceptFor(env().listener, 5000);
  CHECK(peer >= 0);
  return peer;
}

void sleepRealMs(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, nullptr);
}

// Reads `n` bytes from the board's side, waiting on board time as a library does.
std::string readOnBoard(WiFiClient& c, size_t n) {
  std::string got;
  for (int i = 0; i < 5000 && got.size() < n; i++) {
    int ch = c.read();
    if (ch >= 0) got += (char)ch;
    else delay(1);
  }
  return got;
}
}  // namespace

TEST(millis_and_micros_are_monotonic_and_delay_waits) {
  env();
  unsigned long lastMs = millis(), lastUs = micros();
  for (int i = 0; i < 200; i++) {
    delayMicroseconds(100);
    unsigned long ms = millis(), us = micros();
    if (ms < lastMs || us < lastUs) check::fail(__FILE__, __LINE__, "a clock went backwards");
    lastMs = ms;
    lastUs = us;
  }
  unsigned long before = millis();
  CHECK(micros() / 1000 >= before);  // one boot clock behind both
  delay(25);
  CHECK(millis() - before >= 25);
}

TEST(world_names_ports_and_versions) {
  env();
  IPAddress ip;
  CHECK(twin::resolve("raspberry", ip));
  CHECK_EQ(ip.toString(), "127.0.0.1");
  CHECK(twin::resolve("RaspBerry", ip));  // DNS names are case-insensitive
  CHECK(twin::resolve("10.1.2.3", ip));
  CHECK_EQ(ip.toString(), "10.1.2.3");
  CHECK(!twin::resolve("nowhere.local", ip));
  CHECK_EQ(twin::mapPort(8883), env().port);
  CHECK_EQ(twin::mapPort(1883), 1883);
  CHECK_EQ(twin::coreVersion(), "1.0.6");
  CHECK_EQ(twin::coreVersionCode(), 100);
  CHECK_EQ(twin::debugLevel(), 3);
  CHECK(twin::compareVersion("1.0.10", "1.0.9") > 0);
  CHECK(twin::compareVersion("2.0.17", "3.1.2") < 0);
  CHECK(!twin::ntpReachable());
}

TEST(board_wall_clock_starts_in_1970_until_synced) {
  env();
  CHECK(twin::boardEpochNow() < 1000000);
  twin::setClockSynced(true);
  CHECK(twin::boardEpochNow() >= kEpoch);
  twin::setClockSynced(false);
}

TEST(wifi_client_reaches_the_broker_by_name_and_by_lan_address) {
  const Env& e = env();
  WiFiClient c;
  int peer = connectToBroker(c);
  CHECK_EQ(c.write((const uint8_t*)"hello", 5), 5u);
  CHECK_EQ(readFor(peer, 5, 5000), "hello");
  CHECK_EQ(write(peer, "pong", 4), 4);
  CHECK_EQ(readOnBoard(c, 4), "pong");
  CHECK(c.connected());
  close(peer);
  for (int i = 0; i < 500 && c.connected(); i++) delay(10);
  CHECK(!c.connected());
  // A LAN address the world lists is routed to the broker; the board keeps the address it was given.
  WiFiClient lan;
  CHECK_EQ(lan.connect(IPAddress(192, 168, 0, 52), 8883), 1);
  int peer2 = acceptFor(e.listener, 5000);
  CHECK(peer2 >= 0);
  if (peer2 >= 0) close(peer2);
}

// Virtual time (the world has no realTime): a wait nothing can interrupt passes without waiting; a wait for a
// reply the board asked for follows real time, so a late answer still comes before the board's timeout.
TEST(virtual_time_skips_quiet_waits_and_waits_for_replies) {
  env();
  unsigned long before = millis();
  delay(3600000UL);  // an hour with no connection: would hang the test on real time
  CHECK(millis() - before >= 3600000UL);
  WiFiClient c;
  int peer = connectToBroker(c);
  CHECK_EQ(c.write((const uint8_t*)"ping", 4), 4u);
  CHECK_EQ(readFor(peer, 4, 5000), "ping");
  // The peer answers a little later in real time; a 5 s board timeout must not fire before it does.
  std::thread late([peer] {
    sleepRealMs(60);
    (void)!write(peer, "pong", 4);
  });
  unsigned long start = millis();
  bool got = false;
  while (!got && millis() - start < 5000) {
    if (c.available()) got = true;
    else delay(1);
  }
  late.join();
  CHECK(got);
  // Answered and then silent: the connection is at rest, and a long wait skips again.
  CHECK_EQ(c.read(), 'p');
  before = millis();
  delay(600000UL);
  CHECK(millis() - before >= 600000UL);
  // fastForward moves the clock for everyone, and setCalendar sets the board's date from now on.
  before = millis();
  twin::fastForward(1234);
  CHECK(millis() - before >= 1234);
  twin::setCalendar(kEpoch + 100);
  CHECK(twin::boardEpochNow() >= kEpoch + 100 && twin::boardEpochNow() < kEpoch + 110);
  // The rig's "millis <value>" (a wrap scenario's clock step): millis() moves on to it; one already passed is refused.
  const uint64_t target = twin::millisSinceBoot() + 60000;
  CHECK(twin::controlLine(("millis " + std::to_string(target)).c_str()));
  CHECK(twin::millisSinceBoot() >= target && twin::millisSinceBoot() < target + 1000);
  CHECK(!twin::controlLine("millis 5"));
  twin::setClockSynced(false);
  close(peer);
}

// An MQTT library's word (twin::MqttAnswers): once the broker has answered a packet sent after all the others, the
// connection rests at once, though the kernel's stamps cannot yet tell the answer came after the send. A QoS 0
// PUBLISH after it (nothing answers it) ends the rest for a few times the slowest answer (not the stamps' 200 ms),
// and a broker that closes the connection over it within that time is seen; a SUBSCRIBE ends it until its SUBACK.
TEST(an_mqtt_librarys_answers_tell_virtual_time_the_connection_rests) {
  WiFiClient c;
  int peer = connectToBroker(c);
  twin::MqttAnswers answers;
  const uint8_t connect[] = {0x10, 0x02, 0x00, 0x00};  // enough of a CONNECT for the broker side of this test
  CHECK_EQ(c.write(connect, sizeof connect), sizeof connect);
  answers.sent(connect[0]);
  CHECK_EQ(readFor(peer, 4, 5000).size(), 4u);
  CHECK_EQ(write(peer, "\x20\x02\x00\x00", 4), 4);  // CONNACK
  CHECK_EQ(readOnBoard(c, 4).size(), 4u);
  answers.read(0x20);
  CHECK(twin::quietSkipUs(twin::microsSinceBoot()) > 0);
  const uint8_t publish[] = {0x30, 0x03, 0x00, 0x01, 't'};  // QoS 0: no answer
  CHECK_EQ(c.write(publish, sizeof publish), sizeof publish);
  answers.sent(publish[0]);
  CHECK_EQ(twin::quietSkipUs(twin::microsSinceBoot()), 0u);  // the broker may still close the connection over it
  CHECK_EQ(readFor(peer, sizeof publish, 5000).size(), sizeof publish);
  sleepRealMs(90);  // a fast CONNACK: 20 ms (the stamps alone would hold it for 200 ms)
  CHECK(twin::quietSkipUs(twin::microsSinceBoot()) > 0);
  // SUBSCRIBE and at once a QoS 0 PUBLISH (a sketch's usual start): nothing rests while the SUBACK is due; after
  // it, the PUBLISH sent before it is all that is left, and the rest waits for the broker to have read it.
  const uint8_t subscribe[] = {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x00};
  CHECK_EQ(c.write(subscribe, sizeof subscribe), sizeof subscribe);
  answers.sent(subscribe[0]);
  CHECK_EQ(c.write(publish, sizeof publish), sizeof publish);
  answers.sent(publish[0]);
  CHECK_EQ(readFor(peer, sizeof subscribe + sizeof publish, 5000).size(), sizeof subscribe + sizeof publish);
  sleepRealMs(90);
  CHECK_EQ(twin::quietSkipUs(twin::microsSinceBoot()), 0u);  // its SUBACK is due
  CHECK_EQ(write(peer, "\x90\x03\x00\x01\x00", 5), 5);
  CHECK_EQ(readOnBoard(c, 5).size(), 5u);
  answers.read(0x90);
  sleepRealMs(30);
  CHECK(twin::quietSkipUs(twin::microsSinceBoot()) > 0);
  // A broker that drops the client over its next QoS 0 PUBLISH: the close comes within the wait, and the board
  // sees it (a connection the peer closed brings nothing more, so waits may skip again).
  CHECK_EQ(c.write(publish, sizeof publish), sizeof publish);
  answers.sent(publish[0]);
  CHECK_EQ(twin::quietSkipUs(twin::microsSinceBoot()), 0u);
  CHECK_EQ(readFor(peer, sizeof publish, 5000).size(), sizeof publish);
  close(peer);
  for (int i = 0; i < 500 && c.connected(); i++) delay(10);
  CHECK(!c.connected());
}

// A loaded host can keep the broker from answering for longer than the stamps' 200 ms (a CI machine compiling
// beside it): while a TLS handshake runs (twin::ReplyAwaited) or an MQTT answer is due, the clock does not skip
// until the peer has been silent for seconds; a due answer that came and waits unread lets it skip again.
TEST(a_reply_awaited_holds_the_clock_while_a_slow_peer_may_still_answer) {
  WiFiClient c;
  int peer = connectToBroker(c);
  {
    twin::ReplyAwaited handshaking;
    CHECK_EQ(c.write((const uint8_t*)"hello", 5), 5u);
    CHECK_EQ(readFor(peer, 5, 5000), "hello");
    sleepRealMs(300);
    CHECK_EQ(twin::quietSkipUs(twin::microsSinceBoot()), 0u);
    sleepRealMs(3000);  // silent for seconds: not answering
    CHECK(twin::quietSkipUs(twin::microsSinceBoot()) > 0);
  }
  twin::MqttAnswers answers;
  const uint8_t connect[] = {0x10, 0x02, 0x00, 0x00};
  CHECK_EQ(c.write(connect, sizeof connect), sizeof connect);
  answers.sent(connect[0]);
  CHECK_EQ(readFor(peer, 4, 5000).size(), 4u);
  sleepRealMs(300);
  CHECK_EQ(twin::quietSkipUs(twin::microsSinceBoot()), 0u);  // its CONNACK is due
  {
    twin::MqttAnswers copy = answers;  // a copy counts its own due answer, and its end takes only that back
  }
  CHECK_EQ(twin::quietSkipUs(twin::microsSinceBoot()), 0u);
  CHECK_EQ(write(peer, "\x20\x02\x00\x00", 4), 4);
  sleepRealMs(40);
  CHECK(twin::quietSkipUs(twin::microsSinceBoot()) > 0);  // it came: unread until the sketch lets the library read
  CHECK_EQ(readOnBoard(c, 4).size(), 4u);
  answers.read(0x20);
  CHECK(twin::quietSkipUs(twin::microsSinceBoot()) > 0);
  close(peer);
}

// A reply on loopback often lands in the jiffy of the send it answers (TCP_INFO's stamps count in jiffies): equal
// stamps cannot say which came first, and alone would hold the board for 200 ms after a TLS peer's flight (an
// abandoned handshake, a sketch that never reads the rest). A look that saw the send already, then more data
// segments in, says the data came after it: the connection rests once the peer has been silent 20 ms.
TEST(a_reply_in_the_jiffy_of_its_send_counts_as_an_answer) {
  WiFiClient c;
  int peer = connectToBroker(c);
  CHECK_EQ(c.write((const uint8_t*)"hello", 5), 5u);
  CHECK_EQ(twin::quietSkipUs(twin::microsSinceBoot()), 0u);  // just sent: an answer may come
  CHECK_EQ(readFor(peer, 5, 5000), "hello");
  CHECK_EQ(write(peer, "flight", 6), 6);  // within microseconds of the send: most often the same jiffy
  sleepRealMs(40);
  CHECK(twin::quietSkipUs(twin::microsSinceBoot()) > 0);  // left unread, as a failed handshake leaves it
  close(peer);
}

// A peer that rejects what the board sent writes its last words and resets the connection (mosquitto after "peer
// did not return a certificate"); the board's next write of its flight then fails on the host while those words
// wait unread. sendBeforeReset counts that write as sent, so a TLS client reads the alert as the board does; a reset
// with nothing left to read stays an error.
namespace {
int resetAfter(int peer, const char* lastWords) {
  if (lastWords) (void)!write(peer, lastWords, strlen(lastWords));
  linger hard{1, 0};  // close with RST, as a peer with unread data does
  setsockopt(peer, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  return close(peer);
}
}  // namespace

TEST(a_write_the_peers_reset_overtook_counts_as_sent_while_its_last_words_wait) {
  const Env& e = env();
  int fd = twin::tcpConnect(IPAddress(127, 0, 0, 1), e.port, 5000);
  CHECK(fd >= 0);
  int peer = acceptFor(e.listener, 5000);
  CHECK(peer >= 0);
  CHECK_EQ(twin::sendBeforeReset(fd, "flight-1", 8), 8);
  CHECK_EQ(readFor(peer, 8, 5000), "flight-1");
  resetAfter(peer, "ALERT");
  sleepRealMs(20);
  CHECK_EQ(send(fd, "flight-2", 8, MSG_NOSIGNAL), -1);  // what plain send() says: the reset
  CHECK_EQ(twin::sendBeforeReset(fd, "flight-3", 8), 8);  // the alert is still there to read
  char got[16] = {};
  CHECK_EQ(recv(fd, got, sizeof got, 0), 5);
  CHECK_EQ(std::string(got, 5), "ALERT");
  close(fd);
  // Reset with nothing to read: the error stays.
  fd = twin::tcpConnect(IPAddress(127, 0, 0, 1), e.port, 5000);
  CHECK(fd >= 0);
  peer = acceptFor(e.listener, 5000);
  CHECK(peer >= 0);
  CHECK_EQ(twin::sendBeforeReset(fd, "flight-1", 8), 8);
  CHECK_EQ(readFor(peer, 8, 5000), "flight-1");
  resetAfter(peer, nullptr);
  sleepRealMs(20);
  CHECK_EQ(twin::sendBeforeReset(fd, "flight-2", 8), -1);
  CHECK_EQ(errno, ECONNRESET);
  close(fd);
}

TEST(unknown_names_and_serial_baud_become_facts) {
  const Env& e = env();
  WiFiClient c;
  CHECK_EQ(c.connect("nowhere.local", 8883), 0);
  Serial.begin(115200);
  std::string facts = readFile(e.facts);
  CHECK(facts.find("dns-failed:nowhere.local\n") != std::string::npos);
  CHECK(facts.find("serial-baud:115200\n") != std::string::npos);
}

TEST(serial_writes_reach_a_pipe_and_reads_come_from_one) {
  int out[2], in[2];
  CHECK(pipe(out) == 0 && pipe(in) == 0);
  fcntl(in[0], F_SETFL, O_NONBLOCK);
  twin::serialAttach(out[1], in[0]);
  Serial.print("abc");
  Serial.println(42);
  CHECK_EQ(readFor(out[0], 7, 2000), "abc42\r\n");
  CHECK_EQ(write(in[1], "7 go\n", 5), 5);
  Serial.setTimeout(200);
  CHECK_EQ(Serial.parseInt(), 7L);
  CHECK_EQ(Serial.readStringUntil('\n'), " go");
  twin::serialAttach(-1, -1);
  for (int fd : {out[0], out[1], in[0], in[1]}) close(fd);
}

// A burst end is announced (fact "idle <n> <lines>") when the board goes quiet after writing, but only when it wrote
// a line since the last one: the rig judges whole lines, and WiFi's dots give it nothing new to read.
TEST(a_burst_end_is_announced_only_after_new_lines) {
  const Env& e = env();
  int out[2];
  CHECK(pipe(out) == 0);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  twin::serialAttach(out[1], -1);
  auto idles = [&e] {
    std::string facts = readFile(e.facts);
    size_t n = 0;
    for (size_t at = facts.find("idle "); at != std::string::npos; at = facts.find("idle ", at + 1)) n++;
    return n;
  };
  const size_t before = idles();
  Serial.println("Connecting");
  delay(2000);
  CHECK_EQ(idles(), before + 1);
  for (int i = 0; i < 2; i++) {
    Serial.print(".");
    delay(2000);
  }
  CHECK_EQ(idles(), before + 1);
  Serial.println();
  delay(2000);
  CHECK_EQ(idles(), before + 2);
  twin::serialAttach(-1, -1);
  close(out[0]);
  close(out[1]);
}

TEST(serial_writes_reach_the_pseudo_terminal_byte_for_byte) {
  std::string path;
  CHECK(twin::serialOpenPty(path));
  int rig = open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);  // what the rig's serialport opens
  CHECK(rig >= 0);
  if (rig < 0) return;
  Serial.print("line one\r\n\x01\xff");
  CHECK_EQ(readFor(rig, 12, 2000), std::string("line one\r\n\x01\xff"));
  CHECK_EQ(write(rig, "Z", 1), 1);
  int c = -1;
  for (int i = 0; i < 200 && c < 0; i++) {
    if (Serial.available()) c = Serial.read();
    else delay(5);
  }
  CHECK_EQ(c, (int)'Z');
  close(rig);
}
