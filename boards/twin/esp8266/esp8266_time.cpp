// Board clock for the ESP8266 twin. SNTP answers (world ntp=true) about a second after configTime(),
// like a real board on a LAN; with ntp=false the clock keeps counting from 1970 (seconds since boot).
#include "esp8266_time.h"

#include <stdio.h>
#include <stdlib.h>

#include "twin_world.h"

namespace {
bool g_sntpStarted = false;
uint64_t g_sntpStartMs = 0;
bool g_factDone = false;
const uint64_t kSntpDelayMs = 1000;

void startSntp() {
  g_sntpStarted = true;
  g_sntpStartMs = twin::millisSinceBoot();
}
}  // namespace

#undef time
time_t twin_esp8266_time(time_t* out) {
  if (g_sntpStarted && !twin::clockSynced() && twin::millisSinceBoot() - g_sntpStartMs >= kSntpDelayMs) {
    if (twin::ntpReachable()) {
      twin::setClockSynced(true);
      twin::fact("sntp:synced");
    } else if (!g_factDone) {
      g_factDone = true;
      twin::fact("sntp:unreachable");
    }
  }
  time_t now = (time_t)twin::boardEpochNow();
  if (out) *out = now;
  return now;
}

void configTime(int timezone_sec, int daylightOffset_sec, const char*, const char*, const char*) {
  // The core turns the offsets into a POSIX TZ string; localtime_r() then applies it.
  char tz[32];
  int off = -(timezone_sec + daylightOffset_sec);  // POSIX sign is inverted
  snprintf(tz, sizeof tz, "<%+03d>%d", -off / 3600, off / 3600);
  setenv("TZ", tz, 1);
  tzset();
  startSntp();
}

void configTime(const char* tz, const char*, const char*, const char*) {
  configTZ(tz);
  startSntp();
}

void configTZ(const char* tz) {
  if (tz) { setenv("TZ", tz, 1); tzset(); }
}
