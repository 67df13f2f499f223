// Board hook: each board folder may shadow this header (included at the end of Arduino.h).
#pragma once
