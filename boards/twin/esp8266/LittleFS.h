// libraries/LittleFS (esp8266 core 2.7+): the board's flash; a leading '/' is optional ("ca.crt" is "/ca.crt").
#pragma once
#include "FS.h"

extern fs::FS LittleFS;
