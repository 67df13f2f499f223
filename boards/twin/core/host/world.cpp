// The world file (env RIG_TWIN_WORLD, schema in rig/twin/world.ts), the facts file and the core version.
// The JSON reader is deliberately tiny: objects, strings, numbers, booleans, null (arrays are skipped).
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "twin_world.h"
#include "world_file.h"
#include "json_reader.h"

// Values baked in by the generated sketch unit (rig/twin/build.ts); the world file overrides them.
extern "C" const char* twin_build_core_version() __attribute__((weak));
extern "C" int twin_build_debug_level() __attribute__((weak));

namespace twin {
namespace {

[[noreturn]] void worldError(const char* path, const std::string& what) { jsonError("world file", path, what); }

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
  JsonReader r{text.c_str(), "world file", path};
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
    } else if (key == "bootMs") {
      w.bootMs = toInt(path, "bootMs", r.scalar());
    } else if (key == "wifiConnectMs") {
      w.wifiConnectMs = toInt(path, "wifiConnectMs", r.scalar());
    } else if (key == "localIP") {
      w.localIP = r.scalar();
    } else if (key == "realTime") {
      std::string v = r.scalar();
      if (v != "true" && v != "false") worldError(path, "field realTime must be a boolean");
      w.realTime = v == "true";
    } else if (key == "answersBursts") {
      std::string v = r.scalar();
      if (v != "true" && v != "false") worldError(path, "field answersBursts must be a boolean");
      w.answersBursts = v == "true";
    } else if (key == "flashDir") {
      w.flashDir = r.scalar();
    } else if (key == "module") {
      r.object([&](const std::string& name) { w.module[name] = r.scalar(); });
    } else if (key == "tls") {
      r.object([&](const std::string& name) { w.tls[name] = r.scalar(); });
    } else {
      r.scalar();  // unknown fields are the TypeScript schema's business
    }
  });
  return w;
}

}  // namespace

const World& world() {
  static const World w = load();
  return w;
}

bool ntpReachable() { return world().ntp; }
uint32_t bootMs() { return (uint32_t)world().bootMs; }
uint32_t wifiConnectMs() { return (uint32_t)world().wifiConnectMs; }
const char* flashDir() { return world().flashDir.c_str(); }
bool hasModule() { return !world().module.empty(); }
const char* moduleSetting(const char* key) {
  auto it = world().module.find(key);
  return it == world().module.end() ? "" : it->second.c_str();
}

const char* tlsOption(const char* key) {
  auto it = world().tls.find(key);
  return it == world().tls.end() ? nullptr : it->second.c_str();
}

long tlsInt(const char* key, long fallback) {
  const char* v = tlsOption(key);
  return v && *v ? strtol(v, nullptr, 10) : fallback;
}

bool tlsBool(const char* key, bool fallback) {
  const char* v = tlsOption(key);
  return v ? strcmp(v, "true") == 0 : fallback;
}

bool tlsListHas(const char* key, const char* item) {
  const char* v = tlsOption(key);
  if (!v) return true;  // not configured: the build has everything its default has
  size_t n = strlen(item);
  for (const char* p = v; *p;) {
    const char* end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, item, n) == 0) return true;
    if (!end) break;
    p = end + 1;
  }
  return false;
}

IPAddress localIP(const IPAddress& fallback) {
  IPAddress ip;
  if (!world().localIP.empty() && ip.fromString(world().localIP.c_str())) return ip;
  return fallback;
}
int64_t fixedEpoch() { return world().epoch; }

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
