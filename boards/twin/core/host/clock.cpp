// The board's clocks on the host: millis()/micros() from CLOCK_MONOTONIC since boot (the first call), delay() as
// a sleep, and the wall clock a board has (1970 + uptime until SNTP or configTime() syncs it).
#include <errno.h>
#include <time.h>

#include "Common.h"
#include "twin_world.h"

namespace {
struct Clock {
  timespec start;
  Clock() { clock_gettime(CLOCK_MONOTONIC, &start); }
};
const Clock& bootClock() {
  static const Clock c;
  return c;
}

bool g_clockSynced = false;  // written only from the sketch thread

void sleepFor(time_t sec, long nsec) {
  timespec ts{sec, nsec};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}
}  // namespace

namespace twin {
uint64_t millisSinceBoot() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const timespec& s = bootClock().start;
  return (uint64_t)(now.tv_sec - s.tv_sec) * 1000u + (uint64_t)((now.tv_nsec - s.tv_nsec) / 1000000);
}

void setClockSynced(bool synced) { g_clockSynced = synced; }
bool clockSynced() { return g_clockSynced; }

int64_t boardEpochNow() {
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
  return (unsigned long)((uint64_t)(now.tv_sec - s.tv_sec) * 1000000u + (uint64_t)((now.tv_nsec - s.tv_nsec) / 1000));
}
void delay(unsigned long ms) { sleepFor((time_t)(ms / 1000), (long)(ms % 1000) * 1000000L); }
void delayMicroseconds(unsigned int us) { sleepFor((time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L); }
void yield() {}
