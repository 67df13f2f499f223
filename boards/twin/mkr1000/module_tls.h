// The TLS inside a WiFi module's firmware (WINC1500 for WiFi101, NINA-W102 for WiFiNINA), modelled: WiFiSSLClient
// of both libraries is this client. It does what the world's `module` settings say (from the module's table,
// boards/twin/modules/<module>.yaml, via rig/boards/modules.ts) on mbedTLS 2.28, and nothing else: the suites the
// firmware offers, the protocol versions, SNI, the name check, the answer to a CertificateRequest, the DH size limit,
// and the root store uploaded with the firmware updater. What the sketch sees is the libraries': connect() returns
// 0 and there is no error code. Facts: module:<name> <firmware>, module-tls:<mbedtls ret>, module-tls-flags:0x<hex>,
// module-roots:<n>|factory, module-dhe-too-large:<bits>, module-no-certificate-answer, tls-ciphersuite:<name>.
#pragma once
#include <stdint.h>

#include <string>

#include "Client.h"
#include "IPAddress.h"

namespace twin {
struct ModuleTlsState;

class ModuleTlsClient : public Client {
 public:
  ModuleTlsClient();
  ModuleTlsClient(const ModuleTlsClient&) = delete;
  ModuleTlsClient& operator=(const ModuleTlsClient&) = delete;
  ~ModuleTlsClient() override;

  int connect(IPAddress ip, uint16_t port) override;
  int connect(const char* host, uint16_t port) override;
  size_t write(uint8_t c) override { return write(&c, 1); }
  size_t write(const uint8_t* buf, size_t size) override;
  using Print::write;
  int available() override;
  int read() override;
  int read(uint8_t* buf, size_t size) override;
  int peek() override;
  void flush() override {}
  void stop() override;
  uint8_t connected() override;
  operator bool() override { return connected(); }

 private:
  int open(const IPAddress& ip, uint16_t port, const char* host);
  bool fill();
  ModuleTlsState* s_;
};

// The modelled module's firmware ("" when the world models none): WiFi.firmwareVersion() on both libraries.
const char* moduleFirmware();
}  // namespace twin
