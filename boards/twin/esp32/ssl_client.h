// The twin's ssl_client for WiFiClientSecure, on Debian mbedTLS 2.28, reproducing arduino-esp32's
// libraries/WiFiClientSecure/src/ssl_client.cpp behaviour as written down in
// docs/tls-esp32.md (own code; line numbers in the log lines are the board's).
#pragma once
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/asn1.h>
#include <mbedtls/x509_crt.h>
#include <stddef.h>
#include <stdint.h>

#include "IPAddress.h"

// The board build's input buffer, watched on the way in (tls_build.cpp): record headers as they arrive.
struct esp32_record_guard {
  mbedtls_net_context* net = nullptr;
  unsigned char hdr[5];
  size_t have = 0;         // header bytes seen of the current record
  size_t bodyLeft = 0;     // body bytes still to pass of the current record
  bool ccsSeen = false;    // the peer's ChangeCipherSpec: later records are encrypted
  bool encrypted = false;
};

struct sslclient_context {
  int socket = -1;
  mbedtls_net_context net;
  mbedtls_ssl_context ssl_ctx;
  mbedtls_ssl_config ssl_conf;
  mbedtls_ctr_drbg_context drbg_ctx;
  mbedtls_entropy_context entropy_ctx;
  mbedtls_x509_crt ca_cert;
  mbedtls_x509_crt client_cert;
  mbedtls_pk_context client_key;
  unsigned long handshake_timeout = 120000;
  uint32_t ignoredFlags = 0;  // date flags the twin cleared (a board never checks dates)
  bool handshakeStarted = false;  // start_ssl_client got as far as the handshake (3.x: ssl_starttls_handshake)
  bool live = false;          // mbedTLS structures initialised
  char hostname[256] = {0};   // name given to mbedtls_ssl_set_hostname (for the verify callback)
  int buildError = 0;         // what the board's TLS build fails a peer certificate with (tls_build.cpp), or 0
  esp32_record_guard guard;
};

void ssl_init(sslclient_context* ssl);
// Returns the socket (>= 0) or a negative mbedTLS / -1 error, printing the board's log lines.
int start_ssl_client(sslclient_context* ssl, const IPAddress& ip, uint32_t port, const char* hostname, int timeoutMs,
                     const char* rootCA, bool useRootCABundle, const char* cliCert, const char* cliKey,
                     const char* pskIdent, const char* psKey, bool insecure, const char** alpnProtos);
void stop_ssl_socket(sslclient_context* ssl);
int data_to_read(sslclient_context* ssl);
int send_ssl_data(sslclient_context* ssl, const uint8_t* data, size_t len);
int get_ssl_receive(sslclient_context* ssl, uint8_t* data, int length);
// The board's cipher suites and certificate checks (no date checks; IP SANs from core 3.1) on ssl->ssl_conf,
// after mbedtls_ssl_config_defaults. Shared with the esp-mqtt / esp-tls emulation.
void esp32_board_tls_config(sslclient_context* ssl);
// mbedtls_strerror as built for the board: no NET_C strings (docs/tls-esp32.md §4).
void esp32_strerror(int err, char* buf, size_t size);
// Defined in esp_bignum.cpp next to the board's mbedtls_mpi_exp_mod (RSA accelerator limit); calling it keeps that
// object in the link, since an archive member is only linked when something refers to it.
void esp32_hw_mpi_link();
