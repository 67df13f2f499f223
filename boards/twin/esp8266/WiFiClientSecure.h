// What WiFiClientSecure means depends on the release (boards/twin/versions/esp8266.yaml sketchDefines): axTLS's
// client in 2.4.x (TWIN_ESP8266_AXTLS_DEFAULT; 2.4.0/2.4.1 have no BearSSL at all), BearSSL's from 2.5.0 (axTLS
// still there behind USING_AXTLS), BearSSL's only from 3.0.0 (TWIN_ESP8266_NO_AXTLS). axTLS is a model.
#pragma once
#ifndef TWIN_ESP8266_NO_BEARSSL
#include "WiFiClientSecureBearSSL.h"
#endif
#ifndef TWIN_ESP8266_NO_AXTLS
#include "WiFiClientSecureAxTLS.h"
#endif
#if !defined(TWIN_ESP8266_NO_AXTLS) && (defined(TWIN_ESP8266_AXTLS_DEFAULT) || defined(USING_AXTLS))
using namespace axTLS;
#else
using namespace BearSSL;
#endif
