#include "ESPmDNS.h"
#include "twin_world.h"

MDNSResponder MDNS;

IPAddress MDNSResponder::queryHost(const char* host, uint32_t timeout) {
  IPAddress ip;
  String local = String(host) + ".local";
  if (twin::resolve(host, ip) || twin::resolve(local.c_str(), ip)) return ip;
  // A real query waits for its timeout and returns 0.0.0.0.
  delay(timeout);
  twin::fact("mdns-failed:%s", host);
  return IPAddress();
}
