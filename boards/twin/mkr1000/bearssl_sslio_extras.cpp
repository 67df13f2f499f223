#include "bearssl_sslio_extras.h"

#include <string.h>

// Exported by libbearssl (src/inner.h), not declared in its public headers; ssl_io.c uses it the same way.
extern "C" void br_ssl_engine_fail(br_ssl_engine_context* cc, int err);

// One non-blocking pass: flush outgoing records, feed what the transport has, stop when app data is ready
// or the transport has nothing (its low_read returns 0 for "no data yet", as BearSSLClient::clientRead does).
int br_sslio_read_available(br_sslio_context* cc) {
  br_ssl_engine_context* eng = cc->engine;
  for (;;) {
    unsigned st = br_ssl_engine_current_state(eng);
    if (st & BR_SSL_CLOSED) return -1;
    if (st & BR_SSL_SENDREC) {
      size_t len;
      unsigned char* buf = br_ssl_engine_sendrec_buf(eng, &len);
      int w = cc->low_write(cc->write_context, buf, len);
      if (w < 0) { br_ssl_engine_fail(eng, BR_ERR_IO); return -1; }
      if (w > 0) br_ssl_engine_sendrec_ack(eng, (size_t)w);
      continue;
    }
    if (st & BR_SSL_RECVAPP) {
      size_t len;
      br_ssl_engine_recvapp_buf(eng, &len);
      return (int)len;
    }
    if (st & BR_SSL_RECVREC) {
      size_t len;
      unsigned char* buf = br_ssl_engine_recvrec_buf(eng, &len);
      int r = cc->low_read(cc->read_context, buf, len);
      if (r < 0) { br_ssl_engine_fail(eng, BR_ERR_IO); return -1; }
      if (r == 0) return 0;
      br_ssl_engine_recvrec_ack(eng, (size_t)r);
      continue;
    }
    return 0;
  }
}

int br_sslio_peek(br_sslio_context* cc, void* dst, size_t len) {
  if (len == 0) return 0;
  int avail = br_sslio_read_available(cc);
  if (avail <= 0) return avail;
  size_t alen;
  unsigned char* buf = br_ssl_engine_recvapp_buf(cc->engine, &alen);
  if (alen > len) alen = len;
  memcpy(dst, buf, alen);
  return (int)alen;
}
