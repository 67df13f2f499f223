// libraries/SPIFFS (arduino-esp32): SPIFFS.begin() mounts the scenario's flash files. A board with no file system
// image never formatted its partition: begin(false) fails there, begin(true) formats it (empty).
#pragma once
#include "FS.h"

namespace fs {
class SPIFFSFS : public FS {
 public:
  SPIFFSFS() : FS(true, false) {}
  bool begin(bool formatOnFail = false, const char* basePath = "/spiffs", uint8_t maxOpenFiles = 10,
             const char* partitionLabel = nullptr);
  bool format() { return FS::format(); }
  size_t totalBytes() { return 1374476; }  // the default partition table's 1.5 MB SPIFFS, as a DevKit reports it
  size_t usedBytes();
  void end() { FS::end(); }
};
}  // namespace fs

extern fs::SPIFFSFS SPIFFS;
