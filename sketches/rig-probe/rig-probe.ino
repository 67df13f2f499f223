// The rig's board check (`rig boards --check`): a board that runs prints this banner once a second, so the rig
// knows it was flashed, boots and talks over its serial port. No WiFi, no TLS: only the board itself.
#include "arduino_secrets.h"

#ifndef RIG_PROBE_BOARD
#define RIG_PROBE_BOARD "unknown"
#endif

void setup() {
  Serial.begin(115200);
}

void loop() {
  Serial.print("RIG-PROBE ready board=");
  Serial.println(RIG_PROBE_BOARD);
  delay(1000);
}
