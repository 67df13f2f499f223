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
// The rig tells a burst of lines (a failure and its explanation) from the next by 120 ms of silence
// (rig/runner/settle.ts QUIET_MS), which virtual time would skip in no time. So before a skip that takes the board
// that long past its last serial write, the twin says where the burst ended (fact "idle <n> <lines>": burst end n,
// after that many serial lines) and waits until the rig, having read those lines, answers "resume <n>"
// (control.cpp) or stops it: the rig judges each burst whole, at once. A world without `answersBursts` (a test
// driving the twin itself) gets no answer: a burst ends only after a second of board silence (WiFi dots stay
// free), and the twin waits 150 ms of real time there, longer than the rig's 120 ms of silence.
uint64_t burstGapUs() { return twin::world().answersBursts ? 120000 : 1000000; }
uint64_t burstWaitUs() { return twin::world().answersBursts ? 1000000 : 150000; }
uint64_t g_pausedAfterUs = 0;  // the serial write the last burst end followed
uint64_t g_linesAtIdle = 0;    // serial lines written when the last burst end was announced
uint64_t g_idleCount = 0;      // burst ends announced
uint64_t g_resumedTo = 0;      // the last burst end the rig let the board go past
bool g_holding = false;        // a thread waits at a burst end: no other may skip meanwhile

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

// Announces a burst end and waits (g_mu held by `lk`) until the rig resumes the board past it, or at most
// burstWaitUs().
void holdAtBurstEnd(std::unique_lock<std::mutex>& lk) {
  const uint64_t n = ++g_idleCount;
  twin::fact("idle %llu %llu", (unsigned long long)n, (unsigned long long)twin::serialLinesWritten());
  g_holding = true;
  g_cv.wait_for(lk, std::chrono::microseconds(burstWaitUs()), [n] { return g_resumedTo >= n; });
  g_holding = false;
  g_cv.notify_all();
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
      if (jump > 0 && !g_holding && lastLine != g_pausedAfterUs && now + jump >= lastLine + burstGapUs()) {
        g_pausedAfterUs = lastLine;
        // The rig judges lines: a burst that only added to an unfinished line (WiFi's dots) gives it nothing new
        // to read, so it is not announced (a round trip through the rig's thread per dot, measured).
        const uint64_t lines = twin::serialLinesWritten();
        if (lines != g_linesAtIdle || g_idleCount == 0) {
          g_linesAtIdle = lines;
          holdAtBurstEnd(lk);
          continue;
        }
      }
      if (jump > 0 && !g_holding) {
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

void resumeAfterIdle(uint64_t n) {
  {
    std::lock_guard<std::mutex> lk(g_mu);
    if (n > g_resumedTo) g_resumedTo = n;
  }
  g_cv.notify_all();
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
