// WiFiNINA (arduino-libraries/WiFiNINA) for the MKR WiFi 1010 / Nano 33 IoT twin: the same host-side WiFi as the
// MKR1000's WiFi101 (associated after the world's WiFi time, plain TCP WiFiClient), and WiFiSSLClient = the TLS
// inside the NINA-W102 firmware (nina-fw: ESP-IDF + mbedTLS), modelled from boards/twin/modules/nina-w102.yaml
// (module_tls.h). WiFi.firmwareVersion() is the modelled firmware.
#pragma once
#include "WiFi101.h"
