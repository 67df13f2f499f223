// The rig's control channel into a running twin: lines on the twin's stdin after "go" (main.cpp's stdin watcher
// hands them here). Each applied command is acknowledged as a fact "control-ok <line>" (an unknown one as
// "control-bad <line>"), which the rig waits for. Commands: "advance <ms>" (millis() moves on without waiting),
// "millis <value>" (millis() moves on, without waiting, until it reads that value: a wrap scenario starts 20 s before
// 2^32; refused when board time is already past it), "calendar <epoch>" (the wall clock jumps there), "resume <n>"
// (the rig read burst end n: clock.cpp).
#include <stdlib.h>
#include <string.h>

#include "twin_world.h"

namespace twin {
bool controlLine(const char* line) {
  char* end = nullptr;
  bool ok = false;
  if (strncmp(line, "advance ", 8) == 0) {
    unsigned long long ms = strtoull(line + 8, &end, 10);
    ok = end != line + 8 && *end == '\0';
    if (ok) fastForward((uint64_t)ms);
  } else if (strncmp(line, "millis ", 7) == 0) {
    unsigned long long target = strtoull(line + 7, &end, 10);
    uint64_t now = millisSinceBoot();
    ok = end != line + 7 && *end == '\0' && target >= now;
    if (ok) fastForward((uint64_t)target - now);
  } else if (strncmp(line, "calendar ", 9) == 0) {
    long long epoch = strtoll(line + 9, &end, 10);
    ok = end != line + 9 && *end == '\0' && epoch >= 0;
    if (ok) setCalendar((int64_t)epoch);
  } else if (strncmp(line, "resume ", 7) == 0) {
    unsigned long long n = strtoull(line + 7, &end, 10);
    ok = end != line + 7 && *end == '\0';
    if (ok) resumeAfterIdle((uint64_t)n);
  }
  fact("control-%s %s", ok ? "ok" : "bad", line);
  return ok;
}
}  // namespace twin
