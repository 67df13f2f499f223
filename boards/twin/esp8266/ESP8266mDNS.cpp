#include "ESP8266mDNS.h"
MDNSResponder MDNS;
