// The board's clocks on the host: millis()/micros() from CLOCK_MONOTONIC since boot (bootBoard(), else the first
// call) plus board time passed without waiting (the core's boot time, WiFi association), delay() as a sleep, and the
// wall clock a board has (1970 + uptime until SNTP or configTime() syncs it).
#include <errno.h>
#include <time.h>

#include <atomic>

#include "Common.h"
#include "twin_world.h"

namespace {
struct Clock {
  timespec start;
  Clock() { clock_gettime(CLOCK_MONOTONIC, &start); }
};
Clock& bootClock() {
  static Clock c;
  return c;
}

bool g_clockSynced = false;  // written only from the sketch thread
std::atomic<uint64_t> g_forwardMs{0};  // board time passed without waiting (boot, WiFi association)
std::atomic<int64_t> g_calendarEpoch{-1};  // set by setCalendar(), -1 = not set
std::atomic<uint64_t> g_calendarAtMs{0};
bool g_wifiBegun = false;
uint64_t g_wifiDueMs = 0;

uint64_t realMsSinceStart() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const timespec& s = bootClock().start;
  return (uint64_t)(now.tv_sec - s.tv_sec) * 1000u + (uint64_t)((now.tv_nsec - s.tv_nsec) / 1000000);
}

void sleepFor(time_t sec, long nsec) {
  timespec ts{sec, nsec};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}
}  // namespace

namespace twin {
uint64_t millisSinceBoot() { return realMsSinceStart() + g_forwardMs.load(); }

void bootBoard() {
  // Reset: the clock starts when the board does (after the rig opened its port), at the core's own boot time.
  clock_gettime(CLOCK_MONOTONIC, &bootClock().start);
  g_forwardMs = bootMs();
}

void fastForward(uint64_t ms) { g_forwardMs += ms; }

void wifiBegin() {
  g_wifiBegun = true;
  g_wifiDueMs = millisSinceBoot() + wifiConnectMs();
}
bool wifiConnecting() { return g_wifiBegun && millisSinceBoot() < g_wifiDueMs; }
bool wifiUp() { return g_wifiBegun && !wifiConnecting(); }

void setCalendar(int64_t epoch) {
  g_calendarAtMs = millisSinceBoot();
  g_calendarEpoch = epoch;
}

static int64_t calendarNow() { return g_calendarEpoch.load() + (int64_t)((millisSinceBoot() - g_calendarAtMs) / 1000); }

int64_t networkEpochNow() {
  if (g_calendarEpoch.load() >= 0) return calendarNow();
  if (fixedEpoch() >= 0) return fixedEpoch() + (int64_t)(millisSinceBoot() / 1000);
  return (int64_t)::time(nullptr);
}

void setClockSynced(bool synced) { g_clockSynced = synced; }
bool clockSynced() { return g_clockSynced; }

int64_t boardEpochNow() {
  if (g_calendarEpoch.load() >= 0) return calendarNow();
  if (!g_clockSynced) return (int64_t)(millisSinceBoot() / 1000);
  if (fixedEpoch() >= 0) return fixedEpoch() + (int64_t)(millisSinceBoot() / 1000);
  return (int64_t)::time(nullptr);
}
}  // namespace twin

unsigned long millis() { return (unsigned long)twin::millisSinceBoot(); }
unsigned long micros() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const timespec& s = bootClock().start;
  uint64_t us = (uint64_t)(now.tv_sec - s.tv_sec) * 1000000u + (uint64_t)((now.tv_nsec - s.tv_nsec) / 1000);
  return (unsigned long)(us + g_forwardMs.load() * 1000u);
}
void delay(unsigned long ms) {
  // While WiFi associates, nothing outside the board can happen: let board time pass without waiting.
  if (twin::wifiConnecting()) {
    twin::fastForward(ms);
    return;
  }
  sleepFor((time_t)(ms / 1000), (long)(ms % 1000) * 1000000L);
}
void delayMicroseconds(unsigned int us) { sleepFor((time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L); }
void yield() {}
