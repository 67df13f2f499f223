// See SSLClient.h. Control flow and texts follow the library's src/SSLClient.cpp (connect, m_start_ssl,
// m_run_until, m_update_engine, m_print_br_error); the engine setup is its src/TLS12_only_profile.c.
#include "SSLClient.h"

#include <stdio.h>
#include <string.h>

#include "bearssl_errors.h"
#include "twin_world.h"

namespace {
// TLS12_only_profile.c: TLS 1.2 only, (EC)DHE/ECDH suites, no plain RSA key exchange.
const uint16_t kSuites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,       BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,       BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    BR_TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256,        BR_TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256,        BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256,
};

void initTls12Only(br_ssl_client_context* cc, br_x509_minimal_context* xc, const br_x509_trust_anchor* tas, size_t num,
                   unsigned long validationTime) {
  br_ssl_client_zero(cc);
  br_ssl_engine_set_versions(&cc->eng, BR_TLS12, BR_TLS12);
  br_ssl_engine_set_prf_sha256(&cc->eng, &br_tls12_sha256_prf);
  br_ssl_engine_set_hash(&cc->eng, br_sha224_ID, &br_sha224_vtable);
  br_ssl_engine_set_hash(&cc->eng, br_sha256_ID, &br_sha256_vtable);
  br_ssl_engine_set_hash(&cc->eng, br_sha384_ID, &br_sha384_vtable);
  br_ssl_engine_set_hash(&cc->eng, br_sha512_ID, &br_sha512_vtable);
  br_ssl_engine_set_suites(&cc->eng, kSuites, sizeof kSuites / sizeof kSuites[0]);
  br_ssl_engine_set_rsavrfy(&cc->eng, &br_rsa_i15_pkcs1_vrfy);
  br_ssl_engine_set_ec(&cc->eng, &br_ec_prime_i15);
  br_ssl_engine_set_ecdsa(&cc->eng, &br_ecdsa_i15_vrfy_asn1);
  br_ssl_engine_set_cbc(&cc->eng, &br_sslrec_in_cbc_vtable, &br_sslrec_out_cbc_vtable);
  br_ssl_engine_set_gcm(&cc->eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
  br_ssl_engine_set_default_chapol(&cc->eng);
  br_ssl_engine_set_aes_cbc(&cc->eng, &br_aes_small_cbcenc_vtable, &br_aes_small_cbcdec_vtable);
  br_ssl_engine_set_aes_ctr(&cc->eng, &br_aes_small_ctr_vtable);
  br_ssl_engine_set_ghash(&cc->eng, &br_ghash_ctmul32);
  memset(xc, 0, sizeof *xc);
  br_x509_minimal_init(xc, &br_sha256_vtable, tas, num);
  // The build time, not the clock: days since year 0 and seconds of that day.
  br_x509_minimal_set_time(xc, (uint32_t)(validationTime / 86400UL + 719528UL), (uint32_t)(validationTime % 86400UL));
  br_x509_minimal_set_rsa(xc, br_ssl_engine_get_rsavrfy(&cc->eng));
  br_x509_minimal_set_ecdsa(xc, br_ssl_engine_get_ec(&cc->eng), br_ssl_engine_get_ecdsa(&cc->eng));
  br_x509_minimal_set_hash(xc, br_sha224_ID, &br_sha224_vtable);
  br_x509_minimal_set_hash(xc, br_sha256_ID, &br_sha256_vtable);
  br_x509_minimal_set_hash(xc, br_sha384_ID, &br_sha384_vtable);
  br_x509_minimal_set_hash(xc, br_sha512_ID, &br_sha512_vtable);
  br_ssl_engine_set_x509(&cc->eng, &xc->vtable);
}

}  // namespace

unsigned long SSLClient::buildTime(const char* date, const char* time) {
  static const char* months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char mon[4] = {0};
  int day = 1, year = 1970, h = 0, m = 0, s = 0;
  sscanf(date, "%3s %d %d", mon, &day, &year);
  sscanf(time, "%d:%d:%d", &h, &m, &s);
  const char* at = strstr(months, mon);
  int month = at ? (int)(at - months) / 3 + 1 : 1;
  // Days since 1970-01-01 (civil calendar).
  int y = year - (month <= 2 ? 1 : 0);
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  long days = era * 146097 + doe - 719468;
  return (unsigned long)(days * 86400L + h * 3600L + m * 60L + s);
}

SSLClient::SSLClient(Client& client, const br_x509_trust_anchor* tas, size_t num, int analog_pin, DebugLevel debug,
                     unsigned long validationTime)
    : m_client(client), m_analog_pin(analog_pin), m_debug(debug) {
  setTimeout(30 * 1000);
  memset(m_iobuf, 0, sizeof m_iobuf);
  initTls12Only(&m_sslctx, &m_x509ctx, tas, num, validationTime);
  br_ssl_engine_set_buffer(&m_sslctx.eng, m_iobuf, sizeof m_iobuf, sizeof m_iobuf <= BR_SSL_BUFSIZE_MONO ? 0 : 1);
}

int SSLClient::connect(IPAddress ip, uint16_t port) {
  const char* func_name = "connect";
  if (m_client.connected()) {
    m_error("Cannot have two connections at the same time! Please create another SSLClient instance.", func_name);
    return -1;
  }
  m_write_idx = 0;
  m_warn("Using a raw IP Address for an SSL connection bypasses some important verification steps. You should use a domain name (www.google.com) whenever possible.", func_name);
  if (!m_client.connect(ip, port)) {
    m_error("Failed to connect using m_client. Are you connected to the internet?", func_name);
    setWriteError(SSL_CLIENT_CONNECT_FAIL);
    return 0;
  }
  m_info("Base client connected!", func_name);
  return m_start_ssl(nullptr);
}

int SSLClient::connect(const char* host, uint16_t port) {
  const char* func_name = "connect";
  if (m_client.connected()) {
    m_error("Cannot have two connections at the same time! Please create another SSLClient instance.", func_name);
    return -1;
  }
  m_info("Client not connected, continuing...", func_name);
  m_write_idx = 0;
  if (!m_client.connect(host, port)) {
    m_error("Failed to connect using m_client. Are you connected to the internet?", func_name);
    setWriteError(SSL_CLIENT_CONNECT_FAIL);
    return 0;
  }
  m_info("Base client connected!", func_name);
  return m_start_ssl(host);
}

int SSLClient::m_start_ssl(const char* host) {
  const char* func_name = "m_start_ssl";
  twin::ReplyAwaited handshaking;  // twin: virtual time waits for the broker's flights (not in the library)
  setWriteError(SSL_OK);
  // 16 analogRead()s seed the RNG on the board; the twin's pins read 0, so host randomness is mixed in.
  uint8_t seeds[32];
  for (size_t i = 0; i < sizeof seeds; i++) seeds[i] = (uint8_t)(i < 16 ? analogRead(m_analog_pin) : random(0, 256));
  br_ssl_engine_inject_entropy(&m_sslctx.eng, seeds, sizeof seeds);
  if (!br_ssl_client_reset(&m_sslctx, host, 1)) {
    m_error("Reset of bearSSL failed (is bearssl setup properly?)", func_name);
    m_print_br_error(br_ssl_engine_last_error(&m_sslctx.eng), SSL_ERROR);
    setWriteError(SSL_BR_CONNECT_FAIL);
    return 0;
  }
  twin::fact("tls-name:%s", host ? host : "");
  if (m_run_until(BR_SSL_SENDAPP) < 0) {
    m_error("Failed to initlalize the SSL layer", func_name);  // sic
    int err = br_ssl_engine_last_error(&m_sslctx.eng);
    twin::fact("bearssl:%d", err);
    m_print_br_error((unsigned)err, SSL_ERROR);
    return 0;
  }
  m_info("Connection successful!", func_name);
  m_is_connected = true;
  return 1;
}

int SSLClient::m_run_until(unsigned target) {
  const char* func_name = "m_run_until";
  const unsigned long start = millis();
  for (;;) {
    unsigned state = m_update_engine();
    if (state == BR_SSL_CLOSED || getWriteError() != SSL_OK) return -1;
    if (millis() - start > getTimeout()) {
      m_error("SSL internals timed out! This could be an internal error, bad data sent from the server, or data being discarded due to a buffer overflow. If you are using Ethernet, did you modify the library properly (see README)?", func_name);
      setWriteError(SSL_BR_WRITE_ERROR);
      stop();
      return -1;
    }
    if ((state & target) || (target == 0 && state == 0)) return 0;
    if ((state & BR_SSL_RECVAPP) && (target & BR_SSL_SENDAPP)) {
      size_t len;
      if (br_ssl_engine_recvapp_buf(&m_sslctx.eng, &len) != nullptr) {
        m_write_idx = 0;
        m_warn("Discarded unread data to favor a write operation", func_name);
        br_ssl_engine_recvapp_ack(&m_sslctx.eng, len);
        continue;
      }
      m_error("SSL engine state is RECVAPP, however the buffer was null! (This is a problem with BearSSL internals)", func_name);
      setWriteError(SSL_BR_WRITE_ERROR);
      stop();
      return -1;
    }
    if ((state & BR_SSL_SENDAPP) && (target & BR_SSL_RECVAPP)) br_ssl_engine_flush(&m_sslctx.eng, 0);
  }
}

unsigned SSLClient::m_update_engine() {
  const char* func_name = "m_update_engine";
  for (;;) {
    unsigned state = br_ssl_engine_current_state(&m_sslctx.eng);
    if (state & BR_SSL_CLOSED) return state;
    if (state & BR_SSL_SENDREC) {
      size_t len;
      unsigned char* buf = br_ssl_engine_sendrec_buf(&m_sslctx.eng, &len);
      int wlen = (int)m_client.write(buf, len);
      if (wlen <= 0) {
        if (m_client.getWriteError() || !m_client.connected()) {
          m_error("Error writing to m_client", func_name);
          m_error(m_client.getWriteError(), func_name);
          setWriteError(SSL_CLIENT_WRTIE_ERROR);
        }
        stop();
        return 0;
      }
      br_ssl_engine_sendrec_ack(&m_sslctx.eng, (size_t)wlen);
      continue;
    }
    if (m_write_idx > 0) {
      if (!(state & BR_SSL_SENDAPP)) {
        m_error("Error m_write_idx > 0 but the ssl engine is not ready for data", func_name);
        setWriteError(SSL_BR_WRITE_ERROR);
        stop();
        return 0;
      }
      size_t alen;
      unsigned char* buf = br_ssl_engine_sendapp_buf(&m_sslctx.eng, &alen);
      if (alen == 0 || buf == nullptr) {
        m_error("Engine set write flag but returned null buffer", func_name);
        setWriteError(SSL_BR_WRITE_ERROR);
        stop();
        return 0;
      }
      if (alen < m_write_idx) {
        m_error("Alen is less than m_write_idx", func_name);
        setWriteError(SSL_INTERNAL_ERROR);
        stop();
        return 0;
      }
      br_ssl_engine_sendapp_ack(&m_sslctx.eng, m_write_idx);
      m_write_idx = 0;
      continue;
    }
    if (state & BR_SSL_RECVREC) {
      size_t len;
      unsigned char* buf = br_ssl_engine_recvrec_buf(&m_sslctx.eng, &len);
      const int avail = m_client.available();
      if (avail > 0 && (size_t)avail >= len) {
        int rlen = m_client.read(buf, len);
        if (rlen <= 0) {
          m_error("Error reading bytes from m_client. Write Error: ", func_name);
          m_error(m_client.getWriteError(), func_name);
          setWriteError(SSL_CLIENT_WRTIE_ERROR);
          stop();
          return 0;
        }
        br_ssl_engine_recvrec_ack(&m_sslctx.eng, (size_t)rlen);
        continue;
      }
      delay(10);  // the library naps here so the network chip is not polled to death
      return state;
    }
    return state;
  }
}

bool SSLClient::m_soft_connected(const char* func_name) {
  if (getWriteError()) {
    m_error("Cannot operate if the write error is not reset: ", func_name);
    m_print_ssl_error(getWriteError(), SSL_ERROR);
    return false;
  }
  if (!m_is_connected || br_ssl_engine_current_state(&m_sslctx.eng) == BR_SSL_CLOSED) {
    m_error("Cannot operate on a closed SSL connection.", func_name);
    int error = br_ssl_engine_last_error(&m_sslctx.eng);
    if (error != BR_ERR_OK) m_print_br_error((unsigned)error, SSL_ERROR);
    return false;
  }
  return true;
}

size_t SSLClient::write(const uint8_t* buf, size_t size) {
  const char* func_name = "write";
  if (!m_soft_connected(func_name) || !buf || !size) return 0;
  size_t alen;
  unsigned char* br_buf = br_ssl_engine_sendapp_buf(&m_sslctx.eng, &alen);
  size_t cur = 0;
  bool overflow = false;
  while (cur < size) {
    if (m_write_idx == 0) {
      if (m_run_until(BR_SSL_SENDAPP) < 0) {
        m_error("Failed while waiting for the engine to enter BR_SSL_SENDAPP", func_name);
        return 0;
      }
      br_buf = br_ssl_engine_sendapp_buf(&m_sslctx.eng, &alen);
    }
    const size_t n = m_write_idx + (size - cur) > alen ? alen - m_write_idx : size - cur;
    memcpy(br_buf + m_write_idx, buf + cur, n);
    if (m_write_idx + n == alen || overflow) {
      br_ssl_engine_sendapp_ack(&m_sslctx.eng, m_write_idx + n);
      m_write_idx = 0;
      overflow = true;
    } else {
      m_write_idx += n;
    }
    cur += n;
  }
  return size;
}

int SSLClient::available() {
  const char* func_name = "available";
  if (!m_soft_connected(func_name)) return 0;
  unsigned state = m_update_engine();
  if (state == 0) {
    m_error("SSL engine failed to update.", func_name);
  } else if (state & BR_SSL_RECVAPP) {
    size_t alen;
    br_ssl_engine_recvapp_buf(&m_sslctx.eng, &alen);
    return (int)alen;
  } else if (state == BR_SSL_CLOSED) {
    m_info("Engine closed after update", func_name);
  } else if (state & BR_SSL_SENDAPP) {
    br_ssl_engine_flush(&m_sslctx.eng, 0);
  }
  return 0;
}

int SSLClient::read(uint8_t* buf, size_t size) {
  if (available() <= 0 || !size) return -1;
  size_t alen;
  unsigned char* br_buf = br_ssl_engine_recvapp_buf(&m_sslctx.eng, &alen);
  const size_t n = size > alen ? alen : size;
  if (buf) memcpy(buf, br_buf, n);
  br_ssl_engine_recvapp_ack(&m_sslctx.eng, n);
  return (int)n;
}

int SSLClient::peek() {
  if (available() <= 0) return -1;
  size_t alen;
  return br_ssl_engine_recvapp_buf(&m_sslctx.eng, &alen)[0];
}

void SSLClient::flush() {
  if (m_write_idx > 0 && m_run_until(BR_SSL_RECVAPP) < 0) m_error("Could not flush write buffer!", "flush");
}

void SSLClient::stop() {
  br_ssl_engine_close(&m_sslctx.eng);
  const unsigned state = br_ssl_engine_current_state(&m_sslctx.eng);
  while (getWriteError() == SSL_OK && m_is_connected && state != BR_SSL_CLOSED && state != 0 &&
         m_run_until(BR_SSL_SENDAPP | BR_SSL_RECVAPP) == 0) {
    size_t len;
    if (br_ssl_engine_recvapp_buf(&m_sslctx.eng, &len) != nullptr) br_ssl_engine_recvapp_ack(&m_sslctx.eng, len);
  }
  m_client.flush();
  m_client.stop();
  m_is_connected = false;
}

uint8_t SSLClient::connected() {
  const char* func_name = "connected";
  const bool c_con = m_client.connected();
  const bool br_con = br_ssl_engine_current_state(&m_sslctx.eng) != BR_SSL_CLOSED && m_is_connected;
  const bool wr_ok = getWriteError() == 0;
  if (br_con && !c_con) {
    if (m_client.getWriteError()) {
      m_error("Socket was unexpectedly interrupted. m_client error: ", func_name);
      m_error(m_client.getWriteError(), func_name);
      setWriteError(SSL_CLIENT_WRTIE_ERROR);
    } else {
      m_warn("Socket was dropped unexpectedly (this can be an alternative to closing the connection)", func_name);
    }
    m_is_connected = false;
    stop();
  } else if (!wr_ok) {
    m_error("Not connected because write error is set", func_name);
    m_print_ssl_error(getWriteError(), SSL_ERROR);
  }
  return c_con && br_con;
}

void SSLClient::m_print_prefix(const char* func_name, DebugLevel level) const {
  Serial.print("(SSLClient)");
  switch (level) {
    case SSL_INFO: Serial.print("(SSL_INFO)"); break;
    case SSL_WARN: Serial.print("(SSL_WARN)"); break;
    case SSL_ERROR: Serial.print("(SSL_ERROR)"); break;
    default: Serial.print("(Unknown level)");
  }
  Serial.print("(");
  Serial.print(func_name);
  Serial.print("): ");
}

void SSLClient::m_print_ssl_error(int ssl_error, DebugLevel level) const {
  if (level > m_debug) return;
  m_print_prefix("m_print_ssl_error", level);
  switch (ssl_error) {
    case SSL_OK: Serial.println("SSL_OK"); break;
    case SSL_CLIENT_CONNECT_FAIL: Serial.println("SSL_CLIENT_CONNECT_FAIL"); break;
    case SSL_BR_CONNECT_FAIL: Serial.println("SSL_BR_CONNECT_FAIL"); break;
    case SSL_CLIENT_WRTIE_ERROR: Serial.println("SSL_CLIENT_WRITE_FAIL"); break;
    case SSL_BR_WRITE_ERROR: Serial.println("SSL_BR_WRITE_ERROR"); break;
    case SSL_INTERNAL_ERROR: Serial.println("SSL_INTERNAL_ERROR"); break;
    case SSL_OUT_OF_MEMORY: Serial.println("SSL_OUT_OF_MEMORY"); break;
  }
}

void SSLClient::m_print_br_error(unsigned br_error_code, DebugLevel level) const {
  if (level > m_debug) return;
  m_print_prefix("m_print_br_error", level);
  Serial.println(twin::bearsslErrorText((int)br_error_code));
}
