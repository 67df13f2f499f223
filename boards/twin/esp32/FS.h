// cores/esp32/FS.h for the twin: fs::File and fs::FS over the board's flash (core/host/twin_fs.h). Paths start
// with '/' (the ESP32 VFS refuses others).
#pragma once
#include "twin_fs.h"

#define FILE_READ "r"
#define FILE_WRITE "w"
#define FILE_APPEND "a"

using fs::File;
using fs::FS;
using fs::SeekCur;
using fs::SeekEnd;
using fs::SeekMode;
using fs::SeekSet;
