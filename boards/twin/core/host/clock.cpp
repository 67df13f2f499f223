// The board's clocks on the host. Board time = real time since boot (bootBoard(), else the first call) plus the
// board time passed without waiting: the core's boot time, WiFi association, and, on virtual time (the default;
// world `realTime: true` turns it off), every timed wait whose end nothing outside the board can change.
//
// Virtual time, like a simulator's event queue: every board thread that waits (delay(), yield(), the core's
// waits) files its wake-up time; when all of them wait and the board's connections are quiet (quiet.cpp: no
// conversation in flight, so nothing can arrive), the clock jumps to the earliest wake-up instead of sleeping.
// Otherwise the wait sleeps, and board time follows real time: a socket read waits for the broker as it would.
#include <errno.h>
#include <poll.h>
#include <time.h>

#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <set>

#include "Common.h"
#include "twin_world.h"
#include "world_file.h"

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
std::atomic<uint64_t> g_forwardUs{0};  // board time passed without waiting
std::atomic<int64_t> g_calendar{-1};   // the calendar at boot after a clock step (setCalendar), -1 = not set
std::atomic<int64_t> g_hostEpochAtBoot{0};
bool g_wifiBegun = false;
uint64_t g_wifiDueMs = 0;

// The scheduler: board threads not waiting, and the wake-up times of those that wait.
std::mutex g_mu;
std::condition_variable g_cv;
int g_running = 1;  // the sketch's own thread
std::multiset<uint64_t> g_wakeUps;
const uint64_t kSliceUs = 2000;  // how often a real-time wait looks again whether the board went quiet
// The rig tells a burst of lines (a failure and its explanation) from the next by 120 ms of real silence
// (rig/runner/settle.ts QUIET_MS). A board that printed and then stays silent for a second of board time pauses
// that long in real time once, so the rig sees where its burst ended; shorter waits (WiFi dots) stay free.
const uint64_t kBurstGapUs = 1000000;
const uint64_t kBurstPauseUs = 150000;
uint64_t g_pausedAfterUs = 0;  // the serial write the last pause followed

uint64_t realUsSinceStart() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const timespec& s = bootClock().start;
  return (uint64_t)(now.tv_sec - s.tv_sec) * 1000000u + (uint64_t)((now.tv_nsec - s.tv_nsec) / 1000);
}

bool virtualTime() { return !twin::world().realTime; }

void sleepUs(uint64_t us) {
  timespec ts{(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

// Waits until board time `due` (µs), or until `fd` is readable when fd >= 0; true when fd became readable.
bool waitUntil(uint64_t due, int fd) {
  std::unique_lock<std::mutex> lk(g_mu);
  auto me = g_wakeUps.insert(due);
  g_running--;
  bool readable = false;
  for (;;) {
    uint64_t now = twin::microsSinceBoot();
    if (now >= due) break;
    if (g_running == 0 && *g_wakeUps.begin() == due) {
      // Everyone waits and this wait ends first: skip what no connection can interrupt.
      uint64_t jump = std::min(due - now, twin::quietSkipUs(now));
      const uint64_t lastLine = twin::serialLastWriteUs();
      if (jump > 0 && lastLine != g_pausedAfterUs && now + jump >= lastLine + kBurstGapUs) {
        g_pausedAfterUs = lastLine;
        lk.unlock();
        sleepUs(kBurstPauseUs);
        lk.lock();
        continue;
      }
      if (jump > 0) {
        g_forwardUs += jump;
        g_cv.notify_all();
        continue;
      }
    }
    uint64_t slice = std::min<uint64_t>(due - now, kSliceUs);
    if (fd >= 0) {
      lk.unlock();
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, (int)((slice + 999) / 1000));
      lk.lock();
      if (r > 0) {
        readable = true;
        break;
      }
    } else {
      g_cv.wait_for(lk, std::chrono::microseconds(slice));
    }
  }
  g_wakeUps.erase(me);
  g_running++;
  g_cv.notify_all();
  return readable;
}
}  // namespace

namespace twin {
uint64_t microsSinceBoot() { return realUsSinceStart() + g_forwardUs.load(); }
uint64_t millisSinceBoot() { return microsSinceBoot() / 1000u; }

void bootBoard() {
  // Reset: the clock starts when the board does (after the rig opened its port), at the core's own boot time.
  clock_gettime(CLOCK_MONOTONIC, &bootClock().start);
  timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  g_hostEpochAtBoot = (int64_t)wall.tv_sec;
  g_forwardUs = (uint64_t)bootMs() * 1000u;
}

void fastForward(uint64_t ms) {
  {
    std::lock_guard<std::mutex> lk(g_mu);
    g_forwardUs += ms * 1000u;
  }
  g_cv.notify_all();  // pending waits (delay deadlines, socket timeouts) see the new time
}

// A clock step (the rig's `calendar` control line, or a test): the board's time() and the network's (NTP) both
// jump to `epoch` and run on with board time from there, as if that much time had passed.
void setCalendar(int64_t epoch) { g_calendar = epoch - (int64_t)(millisSinceBoot() / 1000); }

BoardTask::BoardTask() {
  std::lock_guard<std::mutex> lk(g_mu);
  g_running++;
}
BoardTask::~BoardTask() {
  {
    std::lock_guard<std::mutex> lk(g_mu);
    g_running--;
  }
  g_cv.notify_all();
}

bool waitReadable(int fd, uint32_t ms) {
  if (!virtualTime()) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, (int)ms) > 0;
  }
  return waitUntil(microsSinceBoot() + (uint64_t)ms * 1000u, fd);
}

void wifiBegin() {
  g_wifiBegun = true;
  g_wifiDueMs = millisSinceBoot() + wifiConnectMs();
}
bool wifiConnecting() { return g_wifiBegun && millisSinceBoot() < g_wifiDueMs; }
bool wifiUp() { return g_wifiBegun && !wifiConnecting(); }

int64_t networkEpochNow() {
  // On the board's time line: the calendar the rig set, the world's date or the host's at boot, plus board time.
  int64_t base = g_calendar.load();
  if (base < 0) base = fixedEpoch() >= 0 ? fixedEpoch() : g_hostEpochAtBoot.load();
  if (base == 0) {
    timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    return (int64_t)wall.tv_sec;  // before bootBoard() (unit tests)
  }
  return base + (int64_t)(millisSinceBoot() / 1000);
}

void setClockSynced(bool synced) { g_clockSynced = synced; }
bool clockSynced() { return g_clockSynced; }

int64_t boardEpochNow() {
  if (!g_clockSynced && g_calendar.load() < 0) return (int64_t)(millisSinceBoot() / 1000);
  return networkEpochNow();
}
}  // namespace twin

unsigned long millis() { return (unsigned long)twin::millisSinceBoot(); }
unsigned long micros() { return (unsigned long)twin::microsSinceBoot(); }
void delay(unsigned long ms) {
  if (virtualTime()) {
    waitUntil(twin::microsSinceBoot() + (uint64_t)ms * 1000u, -1);
    return;
  }
  // Real time: while WiFi associates nothing outside the board can happen, so board time passes without waiting.
  if (twin::wifiConnecting()) {
    twin::fastForward(ms);
    return;
  }
  sleepUs((uint64_t)ms * 1000u);
}
void delayMicroseconds(unsigned int us) {
  if (virtualTime()) {
    waitUntil(twin::microsSinceBoot() + us, -1);
    return;
  }
  sleepUs(us);
}
// A board's yield() lets its system tasks run for a moment: on virtual time 100 µs of board time, so a sketch
// spinning on millis() with yield() reaches its deadline without spinning in real time.
void yield() {
  if (virtualTime()) waitUntil(twin::microsSinceBoot() + 100, -1);
}
