// The flash store and fs::File / fs::FS (twin_fs.h). Files come from the world's flashDir (one host file per flash
// path, "/certs/ca.crt" → <flashDir>/certs/ca.crt), read once; everything after that happens in memory.
#include "twin_fs.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "twin_world.h"

namespace twin {
namespace flash {
namespace {

using Store = std::map<std::string, std::shared_ptr<fs::FileData>>;

void loadDir(Store& store, const std::string& host, const std::string& rel) {
  DIR* d = opendir(host.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string hp = host + "/" + name;
    struct stat st;
    if (stat(hp.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      loadDir(store, hp, rel + "/" + name);
      continue;
    }
    FILE* f = fopen(hp.c_str(), "rb");
    if (!f) continue;
    auto data = std::make_shared<fs::FileData>();
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) data->bytes.append(buf, n);
    fclose(f);
    store[rel + "/" + name] = data;
  }
  closedir(d);
}

Store& store() {
  static Store s = [] {
    Store out;
    if (*twin::flashDir()) loadDir(out, twin::flashDir(), "");
    return out;
  }();
  return s;
}

}  // namespace

std::shared_ptr<fs::FileData> find(const std::string& path) {
  auto it = store().find(path);
  return it == store().end() ? nullptr : it->second;
}
std::shared_ptr<fs::FileData> create(const std::string& path) {
  auto data = std::make_shared<fs::FileData>();
  store()[path] = data;
  return data;
}
bool erase(const std::string& path) { return store().erase(path) > 0; }
bool move(const std::string& from, const std::string& to) {
  auto it = store().find(from);
  if (it == store().end()) return false;
  store()[to] = it->second;
  store().erase(from);
  return true;
}
std::vector<std::string> list(const std::string& folder) {
  std::string prefix = folder.empty() || folder.back() != '/' ? folder + "/" : folder;
  std::vector<std::string> out;
  for (auto& kv : store())
    if (kv.first.compare(0, prefix.size(), prefix) == 0 || prefix == "/") out.push_back(kv.first);
  return out;
}
size_t usedBytes() {
  size_t n = 0;
  for (auto& kv : store()) n += kv.second->bytes.size();
  return n;
}
void format() { store().clear(); }

}  // namespace flash
}  // namespace twin

namespace fs {

File::File(const std::string& path, std::shared_ptr<FileData> data, bool writable, bool append)
    : path_(path), data_(std::move(data)), writable_(writable) {
  if (append) pos_ = data_->bytes.size();
}

File File::directory(const std::string& path) {
  File f;
  f.path_ = path;
  f.isDir_ = true;
  return f;
}

size_t File::write(const uint8_t* buf, size_t size) {
  if (!data_ || !writable_) return 0;
  std::string& b = data_->bytes;
  if (pos_ > b.size()) b.resize(pos_);
  b.replace(pos_, std::min(size, b.size() - pos_), (const char*)buf, size);
  pos_ += size;
  return size;
}

int File::available() { return data_ && pos_ < data_->bytes.size() ? (int)(data_->bytes.size() - pos_) : 0; }
int File::read() { return available() ? (uint8_t)data_->bytes[pos_++] : -1; }
int File::peek() { return available() ? (uint8_t)data_->bytes[pos_] : -1; }

int File::read(uint8_t* buf, size_t size) {
  size_t n = std::min(size, (size_t)available());
  if (n) memcpy(buf, data_->bytes.data() + pos_, n);
  pos_ += n;
  return (int)n;
}

size_t File::readBytes(char* buffer, size_t length) { return (size_t)read((uint8_t*)buffer, length); }

bool File::seek(uint32_t pos, SeekMode mode) {
  if (!data_) return false;
  size_t base = mode == SeekSet ? 0 : mode == SeekCur ? pos_ : data_->bytes.size();
  if (base + pos > data_->bytes.size()) return false;
  pos_ = base + pos;
  return true;
}

const char* File::name() const {
  size_t slash = path_.rfind('/');
  return slash == std::string::npos ? path_.c_str() : path_.c_str() + slash + 1;
}

File File::openNextFile(const char* mode) {
  if (!isDir_) return File();
  std::vector<std::string> files = twin::flash::list(path_);
  if (next_ >= files.size()) return File();
  const std::string& p = files[next_++];
  bool w = mode && (mode[0] == 'w' || mode[0] == 'a' || strchr(mode, '+'));
  return File(p, twin::flash::find(p), w, mode && mode[0] == 'a');
}

size_t Dir::fileSize() const {
  auto d = valid() ? twin::flash::find(paths_[at_]) : nullptr;
  return d ? d->bytes.size() : 0;
}
File Dir::openFile(const char* mode) const {
  if (!valid()) return File();
  const std::string& p = paths_[at_];
  bool w = mode && (mode[0] == 'w' || mode[0] == 'a' || strchr(mode, '+'));
  return File(p, mode && mode[0] == 'w' ? twin::flash::create(p) : twin::flash::find(p), w, mode && mode[0] == 'a');
}

bool FS::format() {
  twin::flash::format();
  return true;
}
bool FS::info(FSInfo& info) {
  if (!mounted_) return false;
  info = FSInfo();
  info.totalBytes = 957314;  // what a NodeMCU's 1 MB SPIFFS reports
  info.usedBytes = twin::flash::usedBytes();
  return true;
}
Dir FS::openDir(const char* path) {
  std::string k = key(path);
  return Dir(k.empty() ? std::vector<std::string>() : twin::flash::list(k));
}

std::string FS::key(const char* path) const {
  if (!path || !mounted_) return "";  // before begin() nothing is mounted
  std::string p = path;
  if (leadingSlash_ && (p.empty() || p[0] != '/')) return "";  // the ESP32 VFS refuses it
  if (normalize_ && (p.empty() || p[0] != '/')) p = "/" + p;
  return p;
}

File FS::open(const char* path, const char* mode, bool create) {
  std::string k = key(path);
  if (k.empty()) return File();
  const char* m = mode ? mode : "r";
  bool write = m[0] == 'w' || m[0] == 'a' || strchr(m, '+');
  auto data = twin::flash::find(k);
  if (!data && (k == "/" || !twin::flash::list(k).empty())) return File::directory(k);
  if (m[0] == 'w') data = twin::flash::create(k);
  else if (!data && (m[0] == 'a' || create)) data = twin::flash::create(k);
  if (!data) return File();
  return File(k, data, write, m[0] == 'a');
}

bool FS::exists(const char* path) {
  std::string k = key(path);
  return !k.empty() && (twin::flash::find(k) != nullptr || !twin::flash::list(k).empty());
}
bool FS::remove(const char* path) {
  std::string k = key(path);
  return !k.empty() && twin::flash::erase(k);
}
bool FS::rename(const char* from, const char* to) {
  std::string a = key(from), b = key(to);
  return !a.empty() && !b.empty() && twin::flash::move(a, b);
}

}  // namespace fs
