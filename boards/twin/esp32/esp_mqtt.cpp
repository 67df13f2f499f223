// esp-mqtt + esp-tls behaviour for the twin (see mqtt_client.h). The MQTT client runs in its own thread,
// like the esp-mqtt FreeRTOS task, and calls the sketch's event handlers from there.
// Log lines (docs/tls-esp32.md §5, docs/upstream-sources.md §2): tags and texts of the IDF the imitated core is built on,
// from its version row (boards/twin/versions/esp32.yaml, espTls.*); only E lines are printed, because the Arduino
// core's prebuilt IDF logs at Error level.
#include "mqtt_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "idf_pk.h"
#include "tls_build.h"
#include "ssl_client.h"
#include "twin_world.h"

const char* MQTT_EVENTS = "MQTT_EVENTS";

namespace {
using twin::esp32::idfLog;

// esp-tls error codes (ESP_ERR_ESP_TLS_BASE 0x8000 + n, esp_tls_errors.h).
const int kErrCannotResolve = 0x8001, kErrConnectHost = 0x8004, kErrSslSetup = 0x800D, kErrCrtParse = 0x800B,
          kErrHandshake = 0x8010, kErrPkParse = 0x800F;

struct Handler { int event; esp_event_handler_t fn; void* arg; };

std::string str(const char* s) { return s ? s : ""; }

using twin::rowInt;
using twin::rowStr;
// esp-tls's mbedTLS half logs as "esp-tls-mbedtls" since IDF 4.3, "esp-tls" before; the transport and MQTT tags
// changed case in IDF 5 (espTls.tlsTag / transportTag / mqttTag).
const char* tagTlsMbedtls() { return rowStr("espTls.tlsTag"); }
const char* tagMqtt() { return rowStr("espTls.mqttTag"); }
// A row format that is "" means this IDF does not print that line.
bool has(const char* key) { return *rowStr(key) != '\0'; }

// strerror() of the lwIP errno the board's socket reports for a failed connect (newlib texts).
const char* boardSocketError(int linuxErrno) {
  switch (linuxErrno) {
    case ECONNREFUSED:
    case ECONNRESET: return "Connection reset by peer";  // lwIP reports a refused connect as a reset (104)
    case EHOSTUNREACH:
    case ENETUNREACH: return "Host is unreachable";
    default: return strerror(linuxErrno);
  }
}
// esp-tls's lines when the client certificate or key does not parse (set_pki_context, then its callers). IDF 3.3
// (cores 1.0.x): esp_tls.c:307 / :314 at v3.3.5 ("-0x%x\n\n", tag esp-tls), create_ssl_handle's failure logged at
// Debug only. IDF 4.4 (2.0.x) / 5.3 (3.x): esp_tls_mbedtls.c :358 / :381, :717, :82 at v4.4.7 (:410 "of public cert" /
// :447, :887, :110 at v5.3.2), then esp_tls.c:422 at v4.4.7 (:502 at v5.3.2).
// ESP_ERR_MBEDTLS_PK_PARSE_KEY_FAILED / _X509_CRT_PARSE_FAILED: 0x8019 / 0x8015 since IDF 4.4 (esp_tls_errors.h:38 / :34
// at v4.4.7, :46 / :42 at v5.3.2); the twin's older numbering (0x800F / 0x800B, IDF 4.1-4.3) for cores 1.0.x.
int esp_tls_pki_error(bool key) {
  if (twin::coreVersionCode() < 200) return key ? kErrPkParse : kErrCrtParse;
  return key ? 0x8019 : 0x8015;
}

void esp_tls_pki_failed(int ret, bool key) {
  if (twin::coreVersionCode() < 200) {
    idfLog('E', "esp-tls", key ? "mbedtls_pk_parse_keyfile returned -0x%x\n\n" : "mbedtls_x509_crt_parse returned -0x%x\n\n", -ret);
    return;
  }
  const bool idf5 = twin::coreVersionCode() >= 300;
  const char* crt = idf5 ? "mbedtls_x509_crt_parse of public cert returned -0x%04X" : "mbedtls_x509_crt_parse returned -0x%04X";
  idfLog('E', "esp-tls-mbedtls", key ? "mbedtls_pk_parse_keyfile returned -0x%04X" : crt, -ret);
  idfLog('E', "esp-tls-mbedtls", "Failed to set client pki context");
  idfLog('E', "esp-tls-mbedtls", "Failed to set client configurations, returned [0x%04X] (%s)", esp_tls_pki_error(key),
         key ? "ESP_ERR_MBEDTLS_PK_PARSE_KEY_FAILED" : "ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED");
  idfLog('E', "esp-tls", "create_ssl_handle failed");
}
}  // namespace

struct esp_mqtt_client {
  twin_mqtt_config cfg{};
  std::string uri, host, path, clientId, user, pass, lwtTopic, lwtMsg, ca, cert, key, keyPassword, commonName;
  bool hasUser = false, hasPass = false, hasCa = false, hasCert = false, hasKey = false, hasLwt = false;
  uint16_t port = 1883;
  bool tls = false;
  std::vector<Handler> handlers;
  std::thread worker;
  std::atomic<bool> running{false};
  std::atomic<bool> connected{false};
  std::recursive_mutex io;  // the connection: written by the sketch's task, read by the MQTT task
  sslclient_context ssl;
  int fd = -1;
  uint16_t nextId = 0;
  unsigned long lastOut = 0;
  esp_mqtt_error_codes_t err{};
  bool lastReadClosed = false;  // the last readExact() failed because the transport closed (not a timeout)
  twin::MqttAnswers answers;   // what virtual time learns of the broker's answers (guarded by io)

  void dispatch(esp_mqtt_event_id_t id, esp_mqtt_event_t ev = {}) {
    ev.event_id = id;
    ev.client = this;
    ev.user_context = cfg.user_context;
    ev.error_handle = &err;
    if (cfg.event_handle) cfg.event_handle(&ev);
    for (const Handler& h : handlers)
      if (h.event == MQTT_EVENT_ANY || h.event == id) h.fn(h.arg, MQTT_EVENTS, id, &ev);
  }

  bool parseUri() {
    std::string u = uri;
    if (u.empty()) {
      tls = cfg.transport == MQTT_TRANSPORT_OVER_SSL || cfg.transport == MQTT_TRANSPORT_OVER_WSS;
      port = (uint16_t)(cfg.port ? cfg.port : tls ? 8883 : 1883);
      return !host.empty();
    }
    size_t s = u.find("://");
    if (s == std::string::npos) return false;
    std::string scheme = u.substr(0, s);
    tls = scheme == "mqtts" || scheme == "wss";
    std::string rest = u.substr(s + 3);
    size_t slash = rest.find('/');
    if (slash != std::string::npos) { path = rest.substr(slash); rest = rest.substr(0, slash); }
    size_t at = rest.rfind('@');
    if (at != std::string::npos) rest = rest.substr(at + 1);
    size_t colon = rest.rfind(':');
    host = colon == std::string::npos ? rest : rest.substr(0, colon);
    port = colon == std::string::npos ? (uint16_t)(cfg.port ? cfg.port : tls ? 8883 : 1883) : (uint16_t)atoi(rest.c_str() + colon + 1);
    return !host.empty();
  }

  void closeConnection() {
    std::lock_guard<std::recursive_mutex> lock(io);
    connected = false;
    answers.reset();
    if (tls) {
      stop_ssl_socket(&ssl);
    } else if (fd >= 0) {
      close(fd);
    }
    fd = -1;
  }

  // The esp-tls / tcp-transport connect. Returns false after printing the board's lines and filling err.
  bool openTransport() {
    err = {};
    auto fail = [&](int espErr, bool tlsLine) {
      err.error_type = MQTT_ERROR_TYPE_TCP_TRANSPORT;
      err.esp_tls_last_esp_err = espErr;
      twin::fact("esp-tls-err:0x%x", espErr);
      if (tlsLine) idfLog('E', "esp-tls", "%s", rowStr("espTls.openFailedText"));
      // transport_ssl.c: ssl_connect prints the bare text, tcp_connect (mqtt://) adds the esp-tls error in decimal.
      if (tls) idfLog('E', rowStr("espTls.transportTag"), "%s", rowStr("espTls.transportTlsText"));
      else idfLog('E', rowStr("espTls.transportTag"), rowStr("espTls.transportTcpFormat"), espErr);
      idfLog('E', tagMqtt(), "Error transport connect");
      closeConnection();
      return false;
    };
    IPAddress ip;
    if (!twin::resolve(host.c_str(), ip)) {
      idfLog('E', "esp-tls", rowStr("espTls.dnsFormat"), host.c_str());
      twin::fact("dns-failed:%s", host.c_str());
      return fail(kErrCannotResolve, tls);
    }
    int timeout = cfg.network_timeout_ms > 0 ? cfg.network_timeout_ms : 10000;
    int s = twin::tcpConnect(ip, port, (uint32_t)timeout);
    if (s < 0) {
      // esp_tls.c esp_tcp_connect: non-blocking connect, select(), then SO_ERROR (IDF v4.4.7 :320-:339).
      const int sockFd = (int)rowInt("espTls.socketFd");
      twin::fact("tcp-errno:%d", -s);
      if (-s == ETIMEDOUT) {
        if (has("espTls.timeoutFormat")) idfLog('E', "esp-tls", rowStr("espTls.timeoutFormat"), sockFd);
        err.esp_transport_sock_errno = 0;
        return fail((int)rowInt("espTls.timeoutCode"), tls);
      }
      if (has("espTls.connectErrorFormat")) idfLog('E', "esp-tls", rowStr("espTls.connectErrorFormat"), sockFd, boardSocketError(-s));
      err.esp_transport_sock_errno = (-s == ECONNREFUSED) ? 104 : -s;  // lwIP reports a reset
      return fail(kErrConnectHost, tls);
    }
    if (!tls) { fd = s; return true; }

    ssl_init(&ssl);
    ssl.socket = s;
    ssl.net.fd = s;
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
    static const char* pers = "esp-tls";
    int ret = mbedtls_ctr_drbg_seed(&ssl.drbg_ctx, mbedtls_entropy_func, &ssl.entropy_ctx, (const unsigned char*)pers, strlen(pers));
    if (ret == 0) ret = mbedtls_ssl_config_defaults(&ssl.ssl_conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) { err.esp_tls_stack_err = ret; return fail(kErrSslSetup, true); }
    esp32_board_tls_config(&ssl);
    if (hasCa) {
      ret = esp32_crt_parse(&ssl.ca_cert, (const unsigned char*)ca.c_str(), ca.size() + 1);
      if (ret < 0) {
        idfLog('E', tagTlsMbedtls(), rowStr("espTls.caParseFormat"), -ret);
        err.esp_tls_stack_err = ret;
        return fail(kErrCrtParse, true);
      }
      mbedtls_ssl_conf_ca_chain(&ssl.ssl_conf, &ssl.ca_cert, nullptr);
      mbedtls_ssl_conf_authmode(&ssl.ssl_conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else if (cfg.crt_bundle || cfg.use_global_ca_store) {
      fprintf(stderr, "twin: esp-tls CA bundle / global CA store is not emulated\n");
      mbedtls_ssl_conf_authmode(&ssl.ssl_conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else {
      // esp-tls refuses to connect without any server verification (IDF v4.4.7 esp_tls_mbedtls.c:660, v5.3.2 :787).
      if (has("espTls.noVerifyText")) idfLog('E', tagTlsMbedtls(), "%s", rowStr("espTls.noVerifyText"));
      twin::fact("tls-no-trust");
      return fail(kErrSslSetup, true);
    }
    if (hasCert && hasKey) {
      ret = esp32_crt_parse(&ssl.client_cert, (const unsigned char*)cert.c_str(), cert.size() + 1);
      if (ret < 0) {
        esp_tls_pki_failed(ret, false);
        err.esp_tls_stack_err = ret;
        return fail(esp_tls_pki_error(false), true);
      }
      // esp-tls set_pki_context: the key with its password, by the IDF build's mbedTLS (no DES, idf_pk.h).
      // No password is NULL, 0 (esp-tls's cfg is zeroed), which mbedTLS tells from an empty one.
      const unsigned char* pwd = keyPassword.empty() ? nullptr : (const unsigned char*)keyPassword.data();
      ret = esp32_pk_parse_key(&ssl.client_key, (const unsigned char*)key.c_str(), key.size() + 1, pwd, keyPassword.size());
      if (ret < 0) {
        esp_tls_pki_failed(ret, true);
        err.esp_tls_stack_err = ret;
        twin::fact("mbedtls:%d", ret);
        return fail(esp_tls_pki_error(true), true);
      }
      mbedtls_ssl_conf_own_cert(&ssl.ssl_conf, &ssl.client_cert, &ssl.client_key);
    }
    mbedtls_ssl_conf_rng(&ssl.ssl_conf, mbedtls_ctr_drbg_random, &ssl.drbg_ctx);
    if ((ret = mbedtls_ssl_setup(&ssl.ssl_ctx, &ssl.ssl_conf)) != 0) { err.esp_tls_stack_err = ret; return fail(kErrSslSetup, true); }
    if (!cfg.skip_cert_common_name_check) {
      // esp-tls checks the configured common_name, else the host from the URI (a dotted quad stays text).
      const std::string& name = commonName.empty() ? host : commonName;
      snprintf(ssl.hostname, sizeof ssl.hostname, "%s", name.c_str());
      twin::fact("tls-name:%s", name.c_str());
      mbedtls_ssl_set_hostname(&ssl.ssl_ctx, name.c_str());
    }
    esp32_build_set_bio(&ssl);
    unsigned long start = millis();
    twin::ReplyAwaited handshaking;
    while ((ret = mbedtls_ssl_handshake(&ssl.ssl_ctx)) != 0) {
      if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
        ret = esp32_build_result(&ssl, ret);
        idfLog('E', tagTlsMbedtls(), rowStr("espTls.handshakeFormat"), -ret);
        // A certificate the build cannot parse fails before any verification: no flags.
        uint32_t flags = ssl.buildError ? 0 : mbedtls_ssl_get_verify_result(&ssl.ssl_ctx);
        err.esp_tls_stack_err = ret;
        if (hasCa && flags != 0xFFFFFFFFu && flags != 0) {
          err.esp_tls_cert_verify_flags = (int)flags;
          twin::fact("mbedtls-flags:0x%x", flags);
          idfLog('I', tagTlsMbedtls(), "Failed to verify peer certificate!");
        }
        if (ssl.ignoredFlags) twin::fact("mbedtls-ignored-flags:0x%x", ssl.ignoredFlags);
        twin::fact("mbedtls:%d", ret);
        return fail(kErrHandshake, true);
      }
      if (millis() - start > (unsigned long)timeout) {
        twin::fact("tls-handshake-timeout");
        return fail(kErrHandshake, true);
      }
      delay(2);
    }
    if (ssl.ignoredFlags) twin::fact("mbedtls-ignored-flags:0x%x", ssl.ignoredFlags);
    twin::fact("tls-ciphersuite:%s", mbedtls_ssl_get_ciphersuite(&ssl.ssl_ctx));
    return true;
  }

  // Raw transport I/O. readSome returns >0 bytes, 0 if nothing yet, <0 on a closed or failed connection.
  int readSome(uint8_t* buf, size_t n) {
    std::lock_guard<std::recursive_mutex> lock(io);
    if (tls) {
      if (!ssl.live) return -1;
      int r = mbedtls_ssl_read(&ssl.ssl_ctx, buf, n);
      if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
      return r == 0 ? -1 : r;
    }
    if (fd < 0) return -1;
    ssize_t r = recv(fd, buf, n, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return r == 0 ? -1 : (int)r;
  }
  bool writeAll(const uint8_t* buf, size_t n) {
    std::lock_guard<std::recursive_mutex> lock(io);
    while (n > 0) {
      int w;
      if (tls) {
        if (!ssl.live) return false;
        w = mbedtls_ssl_write(&ssl.ssl_ctx, buf, n);
        if (w == MBEDTLS_ERR_SSL_WANT_READ || w == MBEDTLS_ERR_SSL_WANT_WRITE) { delay(1); continue; }
      } else {
        if (fd < 0) return false;
        w = (int)send(fd, buf, n, MSG_NOSIGNAL);
      }
      if (w <= 0) return false;
      buf += w; n -= (size_t)w;
    }
    lastOut = millis();
    return true;
  }
  bool readExact(uint8_t* buf, size_t n, unsigned long deadlineMs) {
    unsigned long start = millis();
    while (n > 0) {
      int r = readSome(buf, n);
      if (r < 0) { lastReadClosed = true; return false; }
      if (r == 0) {
        if (!running || millis() - start > deadlineMs) return false;
        delay(2);
        continue;
      }
      buf += r; n -= (size_t)r;
    }
    return true;
  }
  // Reads one packet: type byte and body. False on timeout/closed.
  bool readPacket(uint8_t& type, std::string& body, unsigned long deadlineMs) {
    if (!readExact(&type, 1, deadlineMs)) return false;
    return readRest(type, body, deadlineMs);
  }
  // Reads the rest of a packet whose type byte came (remaining length, body) and tells virtual time its answer came.
  bool readRest(uint8_t type, std::string& body, unsigned long deadlineMs) {
    uint8_t b;
    uint32_t len = 0, mul = 1;
    for (int i = 0; i < 4; i++) {
      if (!readExact(&b, 1, deadlineMs)) return false;
      len += (b & 127) * mul;
      mul <<= 7;
      if (!(b & 128)) break;
    }
    body.resize(len);
    if (len > 0 && !readExact((uint8_t*)&body[0], len, deadlineMs)) return false;
    std::lock_guard<std::recursive_mutex> lock(io);
    answers.read(type);
    return true;
  }
  static void putLen(std::string& out, size_t len) {
    do { uint8_t d = len & 127; len >>= 7; if (len) d |= 128; out += (char)d; } while (len);
  }
  static void putStr(std::string& out, const std::string& s) {
    out += (char)(s.size() >> 8); out += (char)(s.size() & 0xff); out += s;
  }
  bool sendPacket(uint8_t type, const std::string& body) {
    std::string p(1, (char)type);
    putLen(p, body.size());
    p += body;
    std::lock_guard<std::recursive_mutex> lock(io);
    const bool whole = writeAll((const uint8_t*)p.data(), p.size());
    answers.sent(type);
    return whole;
  }

  bool mqttConnect() {
    std::string body;
    putStr(body, "MQTT");
    body += (char)4;
    uint8_t flags = cfg.disable_clean_session ? 0 : 0x02;
    if (hasLwt) flags |= (uint8_t)(0x04 | ((cfg.lwt_qos & 3) << 3) | (cfg.lwt_retain ? 0x20 : 0));
    if (hasUser) flags |= 0x80;
    if (hasPass) flags |= 0x40;
    body += (char)flags;
    int ka = cfg.keepalive > 0 ? cfg.keepalive : 120;
    body += (char)(ka >> 8); body += (char)(ka & 0xff);
    twin::keepAliveSent((uint16_t)ka);
    putStr(body, clientId);
    if (hasLwt) { putStr(body, lwtTopic); putStr(body, lwtMsg); }
    if (hasUser) putStr(body, user);
    if (hasPass) putStr(body, pass);
    // Twin side channel: the id the broker will log, so the rig can tell this board's messages from others'.
    twin::fact("mqtt-client-id:%s", clientId.c_str());
    if (!sendPacket(0x10, body)) return false;
    uint8_t type; std::string ack;
    int timeout = cfg.network_timeout_ms > 0 ? cfg.network_timeout_ms : 10000;
    // esp-mqtt esp_mqtt_connect(): mqtt_message_receive() is -1 when the transport closed, 0 on a timeout.
    lastReadClosed = false;
    if (!readPacket(type, ack, (unsigned long)timeout)) {
      if (has("espTls.receiveFormat")) idfLog('E', tagMqtt(), rowStr("espTls.receiveFormat"), "esp_mqtt_connect", lastReadClosed ? -1 : 0);
      idfLog('E', tagMqtt(), "MQTT connect failed");
      return false;
    }
    if ((type & 0xF0) != 0x20 || ack.size() < 2) {
      if (has("espTls.invalidTypeFormat"))
        idfLog('E', tagMqtt(), rowStr("espTls.invalidTypeFormat"), type >> 4, (int)ack.size() + 2);
      idfLog('E', tagMqtt(), "MQTT connect failed");
      return false;
    }
    int rc = (uint8_t)ack[1];
    if (rc != 0) {
      err.error_type = MQTT_ERROR_TYPE_CONNECTION_REFUSED;
      err.connect_return_code = (esp_mqtt_connect_return_code_t)rc;
      twin::fact("esp-mqtt-connack:%d", rc);
      idfLog('E', tagMqtt(), "MQTT connect failed");
      return false;
    }
    return true;
  }

  void handle(uint8_t type, std::string& body) {
    esp_mqtt_event_t ev{};
    switch (type & 0xF0) {
      case 0x30: {  // PUBLISH
        int qos = (type >> 1) & 3;
        size_t tl = ((uint8_t)body[0] << 8) | (uint8_t)body[1];
        size_t pos = 2 + tl;
        if (qos > 0) {
          ev.msg_id = ((uint8_t)body[pos] << 8) | (uint8_t)body[pos + 1];
          pos += 2;
        }
        ev.topic = &body[2];
        ev.topic_len = (int)tl;
        ev.data = &body[pos];
        ev.data_len = ev.total_data_len = (int)(body.size() - pos);
        ev.qos = qos;
        ev.retain = type & 1;
        dispatch(MQTT_EVENT_DATA, ev);
        if (qos == 1) sendPacket(0x40, std::string{(char)(ev.msg_id >> 8), (char)(ev.msg_id & 0xff)});
        break;
      }
      case 0x40: ev.msg_id = ((uint8_t)body[0] << 8) | (uint8_t)body[1]; dispatch(MQTT_EVENT_PUBLISHED, ev); break;
      case 0x90: ev.msg_id = ((uint8_t)body[0] << 8) | (uint8_t)body[1]; ev.data = &body[2]; ev.data_len = (int)body.size() - 2; dispatch(MQTT_EVENT_SUBSCRIBED, ev); break;
      case 0xB0: ev.msg_id = ((uint8_t)body[0] << 8) | (uint8_t)body[1]; dispatch(MQTT_EVENT_UNSUBSCRIBED, ev); break;
      default: break;  // PINGRESP and others
    }
  }

  void run() {
    while (running) {
      dispatch(MQTT_EVENT_BEFORE_CONNECT);
      bool ok = openTransport();
      if (ok && !mqttConnect()) { closeConnection(); ok = false; }
      if (!ok) {
        if (err.error_type != MQTT_ERROR_TYPE_NONE) dispatch(MQTT_EVENT_ERROR);
        dispatch(MQTT_EVENT_DISCONNECTED);
      } else {
        connected = true;
        twin::fact("esp-mqtt:connected");
        lastOut = millis();
        dispatch(MQTT_EVENT_CONNECTED);
        int ka = cfg.keepalive > 0 ? cfg.keepalive : 120;
        while (running) {
          uint8_t type; std::string body;
          int r = readSome(&type, 1);
          if (r < 0) break;
          if (r == 0) {
            if (millis() - lastOut > (unsigned long)ka * 1000UL / 2 && !sendPacket(0xC0, "")) break;
            delay(5);
            continue;
          }
          if (!readRest(type, body, 10000)) break;  // the rest of the packet follows its first byte
          handle(type, body);
        }
        closeConnection();
        if (running) dispatch(MQTT_EVENT_DISCONNECTED);
      }
      if (!running || cfg.disable_auto_reconnect) break;
      int wait = cfg.reconnect_timeout_ms > 0 ? cfg.reconnect_timeout_ms : 10000;
      for (int t = 0; t < wait && running; t += 10) delay(10);
    }
  }
};

esp_mqtt_client_handle_t twin_esp_mqtt_client_init(const twin_mqtt_config* c) {
  auto* m = new esp_mqtt_client();
  m->cfg = *c;
  m->uri = str(c->uri); m->host = str(c->host);
  m->clientId = c->client_id ? c->client_id : "ESP32_245000";  // IDF default "ESP32_%CHIPID%"
  // mqtt_msg.c sends a user name / password only when set and non-empty.
  m->hasUser = c->username && *c->username; m->user = str(c->username);
  m->hasPass = c->password && *c->password; m->pass = str(c->password);
  m->hasLwt = c->lwt_topic != nullptr; m->lwtTopic = str(c->lwt_topic); m->lwtMsg = str(c->lwt_msg);
  m->hasCa = c->cert_pem != nullptr; m->ca = str(c->cert_pem);
  m->hasCert = c->client_cert_pem != nullptr; m->cert = str(c->client_cert_pem);
  m->hasKey = c->client_key_pem != nullptr; m->key = str(c->client_key_pem);
  // esp-mqtt hands the password to esp-tls only when both pointer and length are set (mqtt_client.c:523 at
  // espressif/esp-mqtt bb9c8af, IDF v4.4.7; :576 at cac1552, IDF v5.3.2): a password without its length is none.
  if (c->client_key_password && c->client_key_password_len > 0)
    m->keyPassword.assign(c->client_key_password, (size_t)c->client_key_password_len);
  m->commonName = str(c->common_name);
  if (!m->parseUri()) {
    idfLog('E', tagMqtt(), "Error parse uri = %s", m->uri.c_str());
    delete m;
    return nullptr;
  }
  return m;
}

esp_err_t esp_mqtt_client_start(esp_mqtt_client_handle_t c) {
  if (!c || c->running) return ESP_FAIL;
  c->running = true;
  // Virtual time waits for this task too, counted from before it starts until run() returns.
  auto task = std::make_shared<twin::BoardTask>();
  c->worker = std::thread([c, task] { c->run(); });
  return ESP_OK;
}
esp_err_t esp_mqtt_client_stop(esp_mqtt_client_handle_t c) {
  if (!c || !c->running) return ESP_FAIL;
  c->running = false;
  if (c->worker.joinable()) c->worker.join();
  c->closeConnection();
  return ESP_OK;
}
esp_err_t esp_mqtt_client_destroy(esp_mqtt_client_handle_t c) {
  if (!c) return ESP_FAIL;
  if (c->running) esp_mqtt_client_stop(c);
  delete c;
  return ESP_OK;
}
esp_err_t esp_mqtt_client_reconnect(esp_mqtt_client_handle_t c) { return c ? ESP_OK : ESP_FAIL; }
esp_err_t esp_mqtt_client_disconnect(esp_mqtt_client_handle_t c) {
  if (!c || !c->connected) return ESP_FAIL;
  c->sendPacket(0xE0, "");
  c->closeConnection();
  return ESP_OK;
}
esp_err_t esp_mqtt_client_set_uri(esp_mqtt_client_handle_t c, const char* uri) {
  if (!c || !uri) return ESP_FAIL;
  c->uri = uri;
  return c->parseUri() ? ESP_OK : ESP_FAIL;
}
esp_err_t esp_mqtt_client_register_event(esp_mqtt_client_handle_t c, esp_mqtt_event_id_t event, esp_event_handler_t fn, void* arg) {
  if (!c || !fn) return ESP_FAIL;
  c->handlers.push_back({event, fn, arg});
  return ESP_OK;
}
int esp_mqtt_client_publish(esp_mqtt_client_handle_t c, const char* topic, const char* data, int len, int qos, int retain) {
  if (!c || !topic || !c->connected) return -1;  // the twin keeps no outbox while disconnected
  if (len == 0 && data) len = (int)strlen(data);
  std::string body;
  esp_mqtt_client::putStr(body, topic);
  int id = 0;
  if (qos > 0) {
    std::lock_guard<std::recursive_mutex> lock(c->io);
    if (++c->nextId == 0) c->nextId = 1;
    id = c->nextId;
    body += (char)(id >> 8); body += (char)(id & 0xff);
  }
  if (data && len > 0) body.append(data, (size_t)len);
  return c->sendPacket((uint8_t)(0x30 | ((qos & 3) << 1) | (retain ? 1 : 0)), body) ? id : -1;
}
int esp_mqtt_client_enqueue(esp_mqtt_client_handle_t c, const char* topic, const char* data, int len, int qos, int retain, bool) {
  return esp_mqtt_client_publish(c, topic, data, len, qos, retain);
}
int esp_mqtt_client_subscribe(esp_mqtt_client_handle_t c, const char* topic, int qos) {
  if (!c || !topic || !c->connected) return -1;
  std::string body;
  int id;
  {
    std::lock_guard<std::recursive_mutex> lock(c->io);
    if (++c->nextId == 0) c->nextId = 1;
    id = c->nextId;
  }
  body += (char)(id >> 8); body += (char)(id & 0xff);
  esp_mqtt_client::putStr(body, topic);
  body += (char)(qos & 3);
  return c->sendPacket(0x82, body) ? id : -1;
}
int esp_mqtt_client_unsubscribe(esp_mqtt_client_handle_t c, const char* topic) {
  if (!c || !topic || !c->connected) return -1;
  std::string body;
  int id;
  {
    std::lock_guard<std::recursive_mutex> lock(c->io);
    if (++c->nextId == 0) c->nextId = 1;
    id = c->nextId;
  }
  body += (char)(id >> 8); body += (char)(id & 0xff);
  esp_mqtt_client::putStr(body, topic);
  return c->sendPacket(0xA2, body) ? id : -1;
}
