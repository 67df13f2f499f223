// Non-blocking helpers ArduinoBearSSL adds to its bundled BearSSL (src/bearssl/ssl_io.c:188-243) and that
// Debian's libbearssl 0.6 lacks. Own implementation of the same contract.
#pragma once
#include <bearssl/bearssl.h>

// Bytes of application data readable now (pumps pending records without waiting); <0 when closed/failed.
int br_sslio_read_available(br_sslio_context* cc);
// Copies up to len readable bytes without consuming them; <0 when closed/failed, 0 when nothing yet.
int br_sslio_peek(br_sslio_context* cc, void* dst, size_t len);
