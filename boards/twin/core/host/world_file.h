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
};

const World& world();
}  // namespace twin
