// SPIFFS and LittleFS instances for the ESP8266 twin (esp8266/FS.h, esp8266/LittleFS.h). Both begin() with the
// core's default autoFormat, so an empty partition mounts (empty).
#include "FS.h"
#include "LittleFS.h"

fs::FS SPIFFS(false, false);
fs::FS LittleFS(false, true);
