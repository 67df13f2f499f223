// ESP8266mDNS (LEAmDNS): the twin answers nothing on the network; begin() succeeds so sketches proceed.
#pragma once
#include "Arduino.h"

namespace esp8266 { namespace MDNSImplementation {
class MDNSResponder {
 public:
  bool begin(const char* hostname) { (void)hostname; return true; }
  bool begin(const String& hostname) { return begin(hostname.c_str()); }
  bool addService(const char*, const char*, uint16_t) { return true; }
  bool update() { return true; }
  void end() {}
  int queryService(const char*, const char*) { return 0; }  // no answers on the twin's network
  IPAddress IP(int) { return IPAddress(); }
  uint16_t port(int) { return 0; }
  String hostname(int) { return String(); }
};
}}  // namespace esp8266::MDNSImplementation
using MDNSResponder = esp8266::MDNSImplementation::MDNSResponder;
extern MDNSResponder MDNS;
