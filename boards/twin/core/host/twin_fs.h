// The board's flash file system for the ESP cores' FS API (cores/esp32/FS.h, cores/esp8266/FS.h: fs::File, fs::FS):
// the files the scenario put in flash (the world's flashDir, read on first use), kept in memory; writes stay in the
// twin's memory like a board's flash stays on the board. One store serves SPIFFS and LittleFS: a board has one
// file system image. The boards' SPIFFS.h / LittleFS.h / FS.h add their own begin() and naming rules.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <memory>
#include <string>
#include <vector>

#include "Stream.h"
#include "WString.h"

namespace fs {

enum SeekMode { SeekSet = 0, SeekCur = 1, SeekEnd = 2 };

struct FileData {
  std::string bytes;
};

class File : public Stream {
 public:
  File() = default;
  File(const std::string& path, std::shared_ptr<FileData> data, bool writable, bool append);
  // A directory handle (openNextFile() walks what is under it).
  static File directory(const std::string& path);

  size_t write(uint8_t c) override { return write(&c, 1); }
  size_t write(const uint8_t* buf, size_t size) override;
  using Print::write;
  int available() override;
  int read() override;
  int peek() override;
  void flush() override {}
  int read(uint8_t* buf, size_t size);
  size_t readBytes(char* buffer, size_t length) override;
  bool seek(uint32_t pos, SeekMode mode);
  bool seek(uint32_t pos) { return seek(pos, SeekSet); }
  size_t position() const { return pos_; }
  size_t size() const { return data_ ? data_->bytes.size() : 0; }
  void close() { data_.reset(); isDir_ = false; }
  operator bool() const { return data_ != nullptr || isDir_; }
  // ESP32 2.0 and ESP8266: the name without its folder; path() / fullName(): with it.
  const char* name() const;
  const char* path() const { return path_.c_str(); }
  const char* fullName() const { return path_.c_str(); }
  bool isFile() const { return data_ != nullptr; }
  bool isDirectory() const { return isDir_; }
  File openNextFile(const char* mode = "r");
  void rewindDirectory() { next_ = 0; }
  time_t getLastWrite() { return 0; }
  time_t getCreationTime() { return 0; }

 private:
  std::string path_;
  std::shared_ptr<FileData> data_;
  size_t pos_ = 0;
  bool writable_ = false;
  bool isDir_ = false;
  size_t next_ = 0;
};

// ESP8266: FS::info() (cores/esp8266/FS.h). A 4 MB NodeMCU's default 1 MB file system.
struct FSInfo {
  size_t totalBytes = 0;
  size_t usedBytes = 0;
  size_t blockSize = 8192;
  size_t pageSize = 256;
  size_t maxOpenFiles = 5;
  size_t maxPathLength = 32;
};

// ESP8266: FS::openDir() walks the files under a folder.
class Dir {
 public:
  Dir() = default;
  explicit Dir(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  bool next() { return ++at_ < (long)paths_.size(); }
  bool rewind() { at_ = -1; return true; }
  String fileName() const { return valid() ? String(paths_[at_].c_str()) : String(); }
  size_t fileSize() const;
  time_t fileTime() { return 0; }
  bool isFile() const { return valid(); }
  bool isDirectory() const { return false; }
  File openFile(const char* mode) const;

 private:
  bool valid() const { return at_ >= 0 && at_ < (long)paths_.size(); }
  std::vector<std::string> paths_;
  long at_ = -1;
};

class FS {
 public:
  // `leadingSlash`: paths must start with '/' (ESP32's VFS); `normalize`: "ca.crt" and "/ca.crt" are one file
  // (LittleFS); otherwise a name is taken as written (ESP8266 SPIFFS: "ca.crt" and "/ca.crt" are two files).
  FS(bool leadingSlash, bool normalize) : leadingSlash_(leadingSlash), normalize_(normalize) {}
  File open(const char* path, const char* mode = "r", bool create = false);
  File open(const String& path, const char* mode = "r", bool create = false) { return open(path.c_str(), mode, create); }
  bool exists(const char* path);
  bool exists(const String& path) { return exists(path.c_str()); }
  bool remove(const char* path);
  bool remove(const String& path) { return remove(path.c_str()); }
  bool rename(const char* from, const char* to);
  bool rename(const String& from, const String& to) { return rename(from.c_str(), to.c_str()); }
  bool mkdir(const char*) { return true; }
  bool mkdir(const String&) { return true; }
  bool rmdir(const char*) { return true; }
  bool rmdir(const String&) { return true; }
  // ESP8266's fs::FS (SPIFFS, LittleFS): begin() formats an empty partition by default (FSConfig autoFormat).
  bool begin() { mounted_ = true; return true; }
  void end() { mounted_ = false; }
  bool format();
  bool info(FSInfo& info);
  Dir openDir(const char* path);
  Dir openDir(const String& path) { return openDir(path.c_str()); }

 protected:
  std::string key(const char* path) const;
  bool mounted_ = false;

 private:
  bool leadingSlash_;
  bool normalize_;
};

}  // namespace fs

namespace twin {
namespace flash {
// The store: path ("/ca.crt") → bytes. Loaded from the world's flashDir on first use.
std::shared_ptr<fs::FileData> find(const std::string& path);
std::shared_ptr<fs::FileData> create(const std::string& path);
bool erase(const std::string& path);
bool move(const std::string& from, const std::string& to);
// Paths in the store under a folder ("/" for all), sorted.
std::vector<std::string> list(const std::string& folder);
size_t usedBytes();
void format();
}  // namespace flash
}  // namespace twin
