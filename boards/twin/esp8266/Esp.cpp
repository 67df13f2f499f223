#include "Esp.h"

#include <stdlib.h>
#include <unistd.h>

#include "Arduino.h"
#include "twin_world.h"

EspClass ESP;

String EspClass::getCoreVersion() {
  String v(twin::coreVersion());
  v.replace(".", "_");
  return v;
}
String EspClass::getFullVersion() { return String("SDK:") + getSdkVersion() + "/Core:" + twin::coreVersion(); }
void EspClass::restart() {
  twin::fact("esp-restart");
  _exit(0);
}
void EspClass::deepSleep(uint64_t us) {
  delay((unsigned long)(us / 1000));
  restart();
}
