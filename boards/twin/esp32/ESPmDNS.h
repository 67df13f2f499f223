// ESPmDNS (libraries/ESPmDNS subset): queries answer from the world's DNS map ("name" or "name.local").
#pragma once
#include "Arduino.h"

class MDNSResponder {
 public:
  bool begin(const char* hostName) { (void)hostName; return true; }
  void end() {}
  bool addService(const char*, const char*, uint16_t) { return true; }
  bool addService(const String&, const String&, uint16_t) { return true; }
  void setInstanceName(const char*) {}
  IPAddress queryHost(const char* host, uint32_t timeout = 2000);
  IPAddress queryHost(const String& host, uint32_t timeout = 2000) { return queryHost(host.c_str(), timeout); }
  int queryService(const char*, const char*) { return 0; }
};
extern MDNSResponder MDNS;
