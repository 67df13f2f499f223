// The Arduino API the boards' cores share (shapes of ArduinoCore-API's api/ headers); what the platform provides
// (time, pins, Serial) is declared here and implemented in core/host/. Nothing here knows about Linux.
#pragma once
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgmspace.h"
#include "stdlib_noniso.h"
#include "WString.h"
#include "Printable.h"
#include "Print.h"
#include "Stream.h"
#include "IPAddress.h"
#include "Client.h"
#include "Server.h"
#include "Udp.h"
#include "HardwareSerial.h"
// A board's own additions (ESP object, logs, configTime, pin names such as its LED_BUILTIN) from its folder.
#if __has_include(<twin_board.h>)
#include <twin_board.h>
#endif

#include "Common.h"
