// libraries/LittleFS (arduino-esp32 2.0+): the same flash as SPIFFS (a board has one file system image).
#pragma once
#include "FS.h"

namespace fs {
class LittleFSFS : public FS {
 public:
  LittleFSFS() : FS(true, false) {}
  bool begin(bool formatOnFail = false, const char* basePath = "/littlefs", uint8_t maxOpenFiles = 10,
             const char* partitionLabel = "spiffs");
  bool format() { return FS::format(); }
  size_t totalBytes() { return 1441792; }
  size_t usedBytes();
  void end() { FS::end(); }
};
}  // namespace fs

extern fs::LittleFSFS LittleFS;
