// cores/esp8266/FS.h for the twin: fs::File, fs::Dir, fs::FS over the board's flash (core/host/twin_fs.h) and the
// SPIFFS instance (deprecated in core 3.x but still there). SPIFFS names are taken as written: "ca.crt" and
// "/ca.crt" are two different files.
#pragma once
#include "twin_fs.h"

using fs::Dir;
using fs::File;
using fs::FS;
using fs::FSInfo;
using fs::SeekCur;
using fs::SeekEnd;
using fs::SeekMode;
using fs::SeekSet;

extern fs::FS SPIFFS;
