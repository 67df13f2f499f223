// The twin's view of the outside world: DNS, port mapping, clock, core version and debug level.
// Read once from the JSON file named by env RIG_TWIN_WORLD (schema: rig/twin/world.ts).
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "IPAddress.h"

namespace twin {
  // Dotted quad parsed; names looked up in the world's DNS map; unknown -> false.
  bool resolve(const char* host, IPAddress& out);
  // Logical broker port -> real port (identity if unmapped).
  uint16_t mapPort(uint16_t logical);
  // Connected, blocking fd >= 0, or -errno. Applies mapPort() itself (mapping twice is harmless:
  // real ports are not logical ones), so board code may pass the sketch's port as is.
  int tcpConnect(const IPAddress& ip, uint16_t port, uint32_t timeoutMs);
  // Does configTime()/SNTP get a time?
  bool ntpReachable();
  // Board clock fixed at this epoch (plus time since boot), or -1 (use the host clock once synced).
  int64_t fixedEpoch();
  uint64_t millisSinceBoot();
  // e.g. "2.0.17", "1.0.6", "3.1.2"
  const char* coreVersion();
  // ESP32 Core Debug Level 0..5.
  int debugLevel();
  // Twin-only side channel (NOT serial): one raw fact per line in the world's factsFile.
  void fact(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

  // --- additions beyond the agreed contract (for board folders) ---
  // Bytes to the serial port (the pty); core log lines use this too so they interleave like UART0.
  void serialWrite(const uint8_t* data, size_t len);
  // Waits (at most timeoutMs) until the rig has read everything written to the serial port; before an exit.
  void serialDrain(uint32_t timeoutMs);
  // Board wall clock in seconds: 0-based (1970) until clockSynced(), then fixedEpoch()+uptime or host time.
  int64_t boardEpochNow();
  void setClockSynced(bool synced);
  bool clockSynced();
  // Major.minor of coreVersion() as a number, e.g. "2.0.17" -> 200, "1.0.6" -> 100, "3.1.2" -> 301.
  int coreVersionCode();
  // Compare version strings: <0, 0, >0.
  int compareVersion(const char* a, const char* b);
}
