// The world file (env RIG_TWIN_WORLD, schema in rig/twin/world.ts) and the services built on it.
// The JSON reader is deliberately tiny: objects, strings, numbers, booleans, null (arrays are skipped).
#include "twin_world.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <string>

// Values baked in by the generated sketch unit (rig/twin/build.ts); the world file overrides them.
extern "C" const char* twin_build_core_version() __attribute__((weak));
extern "C" int twin_build_debug_level() __attribute__((weak));

namespace twin {
namespace {

struct World {
  std::map<std::string, std::string> hosts;
  std::map<uint16_t, uint16_t> ports;
  bool ntp = true;
  int64_t epoch = -1;
  std::string coreVersion;
  int debugLevel = -1;
  std::string factsFile;
};

[[noreturn]] void worldError(const char* path, const std::string& what) {
  fprintf(stderr, "twin: world file %s: %s\n", path, what.c_str());
  exit(78);
}

// Minimal JSON scanner over the whole file.
struct Reader {
  const char* p;
  const char* path;
  void ws() { while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++; }
  void expect(char c) { ws(); if (*p != c) worldError(path, std::string("expected '") + c + "' near: " + std::string(p, strnlen(p, 20))); p++; }
  std::string str() {
    ws();
    if (*p != '"') worldError(path, "expected a string near: " + std::string(p, strnlen(p, 20)));
    p++;
    std::string out;
    while (*p && *p != '"') {
      if (*p == '\\') {
        p++;
        switch (*p) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'u': { unsigned v = 0; sscanf(p + 1, "%4x", &v); out += (char)(v < 0x80 ? v : '?'); p += 4; break; }
          default: out += *p;
        }
        if (*p) p++;
      } else {
        out += *p++;
      }
    }
    if (*p != '"') worldError(path, "unterminated string");
    p++;
    return out;
  }
  // Returns the scalar as text (strings unquoted); "{"/"[" values are skipped and return "".
  std::string scalar() {
    ws();
    if (*p == '"') return str();
    if (*p == '{' || *p == '[') { skipNested(); return ""; }
    const char* b = p;
    while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
    return std::string(b, p);
  }
  void skipNested() {
    int depth = 0;
    do {
      if (*p == '"') { str(); continue; }
      if (*p == '{' || *p == '[') depth++;
      else if (*p == '}' || *p == ']') depth--;
      else if (!*p) worldError(path, "unbalanced brackets");
      p++;
    } while (depth > 0);
  }
  template <typename F> void object(F&& onKey) {
    expect('{');
    ws();
    if (*p == '}') { p++; return; }
    for (;;) {
      std::string key = str();
      expect(':');
      onKey(key);
      ws();
      if (*p == ',') { p++; continue; }
      expect('}');
      return;
    }
  }
};

long long toInt(const char* path, const std::string& field, const std::string& v) {
  char* end = nullptr;
  long long n = strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end) worldError(path, "field " + field + " must be an integer, got '" + v + "'");
  return n;
}

World load() {
  World w;
  const char* path = getenv("RIG_TWIN_WORLD");
  if (!path || !*path) return w;  // no world: dotted quads only, identity ports, build-time versions
  FILE* f = fopen(path, "rb");
  if (!f) worldError(path, strerror(errno));
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  fclose(f);
  Reader r{text.c_str(), path};
  r.object([&](const std::string& key) {
    if (key == "hosts") {
      r.object([&](const std::string& name) { w.hosts[name] = r.scalar(); });
    } else if (key == "ports") {
      r.object([&](const std::string& logical) {
        long long real = toInt(path, "ports." + logical, r.scalar());
        w.ports[(uint16_t)toInt(path, "ports key", logical)] = (uint16_t)real;
      });
    } else if (key == "ntp") {
      std::string v = r.scalar();
      if (v != "true" && v != "false") worldError(path, "field ntp must be a boolean");
      w.ntp = v == "true";
    } else if (key == "epoch") {
      std::string v = r.scalar();
      if (v != "null") w.epoch = toInt(path, "epoch", v);
    } else if (key == "coreVersion") {
      w.coreVersion = r.scalar();
    } else if (key == "debugLevel") {
      w.debugLevel = (int)toInt(path, "debugLevel", r.scalar());
    } else if (key == "factsFile") {
      w.factsFile = r.scalar();
    } else {
      r.scalar();  // unknown fields are the TypeScript schema's business
    }
  });
  return w;
}

const World& world() {
  static const World w = load();
  return w;
}

struct Clock {
  timespec start;
  Clock() { clock_gettime(CLOCK_MONOTONIC, &start); }
};
const Clock& bootClock() {
  static const Clock c;
  return c;
}

bool g_clockSynced = false;  // written only from the sketch thread
}  // namespace

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
  return fd;
}

bool ntpReachable() { return world().ntp; }
int64_t fixedEpoch() { return world().epoch; }

uint64_t millisSinceBoot() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const timespec& s = bootClock().start;
  return (uint64_t)(now.tv_sec - s.tv_sec) * 1000u + (uint64_t)((now.tv_nsec - s.tv_nsec) / 1000000);
}

const char* coreVersion() {
  if (!world().coreVersion.empty()) return world().coreVersion.c_str();
  if (twin_build_core_version) return twin_build_core_version();
  return "0.0.0";
}

int debugLevel() {
  if (world().debugLevel >= 0) return world().debugLevel;
  if (twin_build_debug_level) return twin_build_debug_level();
  return 0;
}

void fact(const char* fmt, ...) {
  static int fd = -2;
  if (fd == -2) {
    const std::string& file = world().factsFile;
    fd = file.empty() ? -1 : open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  }
  if (fd < 0) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  // One write() per fact so lines never interleave; the rig may read the file at any time.
  ssize_t w = write(fd, line, (size_t)n);
  (void)w;
}

void setClockSynced(bool synced) { g_clockSynced = synced; }
bool clockSynced() { return g_clockSynced; }

int64_t boardEpochNow() {
  if (!g_clockSynced) return (int64_t)(millisSinceBoot() / 1000);
  if (fixedEpoch() >= 0) return fixedEpoch() + (int64_t)(millisSinceBoot() / 1000);
  return (int64_t)::time(nullptr);
}

int compareVersion(const char* a, const char* b) {
  while (*a || *b) {
    long x = strtol(a, const_cast<char**>(&a), 10);
    long y = strtol(b, const_cast<char**>(&b), 10);
    if (x != y) return x < y ? -1 : 1;
    while (*a && (*a < '0' || *a > '9')) a++;
    while (*b && (*b < '0' || *b > '9')) b++;
  }
  return 0;
}

int coreVersionCode() {
  int major = 0, minor = 0;
  sscanf(coreVersion(), "%d.%d", &major, &minor);
  return major * 100 + minor;
}

}  // namespace twin
