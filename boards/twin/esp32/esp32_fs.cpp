// SPIFFS and LittleFS for the ESP32 twin (esp32/SPIFFS.h, esp32/LittleFS.h).
#include <string.h>

#include "LittleFS.h"
#include "SPIFFS.h"
#include "twin_world.h"

fs::SPIFFSFS SPIFFS;
fs::LittleFSFS LittleFS;

namespace {
// A partition with no image was never formatted: mounting it fails unless the sketch asks to format it.
bool mountable(bool formatOnFail) {
  if (*twin::flashDir() || formatOnFail) return true;
  return false;
}
}  // namespace

bool fs::SPIFFSFS::begin(bool formatOnFail, const char*, uint8_t, const char*) {
  if (!mountable(formatOnFail)) return false;
  return FS::begin();
}
size_t fs::SPIFFSFS::usedBytes() { return twin::flash::usedBytes(); }

bool fs::LittleFSFS::begin(bool formatOnFail, const char*, uint8_t, const char*) {
  if (!mountable(formatOnFail)) return false;
  return FS::begin();
}
size_t fs::LittleFSFS::usedBytes() { return twin::flash::usedBytes(); }
