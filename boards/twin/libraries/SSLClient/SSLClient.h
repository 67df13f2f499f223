// SSLClient (OPEnSLab-OSU/SSLClient, BearSSL on the MCU over any Arduino Client) for the twin: the library's
// public API and its serial lines, written for the twin from src/SSLClient.h, src/SSLClient.cpp and
// src/TLS12_only_profile.c (m_print_prefix: "(SSLClient)(<level>)(<function>): ", m_print_br_error's texts),
// on the host's BearSSL. Not emulated: the SAMD stack/heap checks (freeMemory, RESET), session caching.
#pragma once
#include <bearssl/bearssl.h>

#include "Arduino.h"
#include "Client.h"

class SSLClient : public Client {
 public:
  enum Error {
    SSL_OK = 0,
    SSL_CLIENT_CONNECT_FAIL,
    SSL_BR_CONNECT_FAIL,
    SSL_CLIENT_WRTIE_ERROR,  // sic, the library's name
    SSL_BR_WRITE_ERROR,
    SSL_INTERNAL_ERROR,
    SSL_OUT_OF_MEMORY
  };
  enum DebugLevel { SSL_NONE = 0, SSL_ERROR = 1, SSL_WARN = 2, SSL_INFO = 3 };

  // Inline so __DATE__/__TIME__ are the sketch's build time: on the board the library is compiled with the
  // sketch, and its TLS 1.2 profile validates certificates at that moment (time_macros.h), not at run time.
  explicit SSLClient(Client& client, const br_x509_trust_anchor* trust_anchors, const size_t trust_anchors_num,
                     const int analog_pin, const size_t max_sessions = 1, const DebugLevel debug = SSL_WARN)
      : SSLClient(client, trust_anchors, trust_anchors_num, analog_pin, debug, buildTime(__DATE__, __TIME__)) {
    (void)max_sessions;
  }

  int connect(IPAddress ip, uint16_t port) override;
  int connect(const char* host, uint16_t port) override;
  size_t write(const uint8_t* buf, size_t size) override;
  size_t write(uint8_t b) override { return write(&b, 1); }
  int available() override;
  int read(uint8_t* buf, size_t size) override;
  int read() override {
    uint8_t v;
    return read(&v, 1) > 0 ? v : -1;
  }
  int peek() override;
  void flush() override;
  void stop() override;
  uint8_t connected() override;
  operator bool() override { return connected() > 0; }
  Client& getClient() { return m_client; }

  /** Seconds since 1970 (UTC) of a __DATE__ / __TIME__ pair. */
  static unsigned long buildTime(const char* date, const char* time);

 private:
  SSLClient(Client& client, const br_x509_trust_anchor* tas, size_t num, int analog_pin, DebugLevel debug,
            unsigned long validationTime);
  bool m_soft_connected(const char* func_name);
  int m_start_ssl(const char* host);
  int m_run_until(unsigned target);
  unsigned m_update_engine();
  void m_print_prefix(const char* func_name, DebugLevel level) const;
  void m_print_ssl_error(int ssl_error, DebugLevel level) const;
  void m_print_br_error(unsigned br_error_code, DebugLevel level) const;
  template <typename T>
  void m_print(const T str, const char* func_name, DebugLevel level) const {
    if (level > m_debug || !Serial) return;
    m_print_prefix(func_name, level);
    Serial.println(str);
  }
  template <typename T>
  void m_info(const T str, const char* f) const { m_print(str, f, SSL_INFO); }
  template <typename T>
  void m_warn(const T str, const char* f) const { m_print(str, f, SSL_WARN); }
  template <typename T>
  void m_error(const T str, const char* f) const { m_print(str, f, SSL_ERROR); }

  Client& m_client;
  const int m_analog_pin;
  const DebugLevel m_debug;
  bool m_is_connected = false;
  br_ssl_client_context m_sslctx;
  br_x509_minimal_context m_x509ctx;
  // The library's default: one 2 KB buffer for both directions (BearSSL asks the server for 1 KB records).
  unsigned char m_iobuf[2048];
  size_t m_write_idx = 0;
};
