// The world file as read once (host/world.cpp); internal to the host platform.
#pragma once
#include <stdint.h>

#include <map>
#include <string>

namespace twin {
struct World {
  std::map<std::string, std::string> hosts;
  std::map<uint16_t, uint16_t> ports;
  bool ntp = true;
  int64_t epoch = -1;
  std::string coreVersion;
  int debugLevel = -1;
  std::string factsFile;
  int64_t bootMs = 0;         // millis() when setup() starts
  int64_t wifiConnectMs = 0;  // board time WiFi takes to associate and get its lease
  std::string localIP;        // the board's DHCP address ("" = the board folder's fallback)
  std::string flashDir;       // the flash file system's files ("" = an empty file system)
  bool realTime = false;      // waits sleep in real time (no virtual time, clock.cpp)
  bool answersBursts = false;  // the rig answers each burst end ("idle" fact) with "resume" (clock.cpp)
  std::map<std::string, std::string> module;  // a WiFi module's TLS settings (rig/boards/modules.ts), flat
  std::map<std::string, std::string> tls;  // how the board's TLS library was built (rig/scenario/tls-build.ts)
};

const World& world();
}  // namespace twin
