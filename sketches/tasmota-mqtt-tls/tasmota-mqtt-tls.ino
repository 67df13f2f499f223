// A firmware personality, not a user's sketch: Tasmota's MQTT TLS client as a report from a Tasmota device shows it,
// written from Tasmota's documented behaviour (own code). What it imitates, from arendst/Tasmota:
// - tasmota/tasmota_xdrv_driver/xdrv_02_9_mqtt.ino MqttReconnect()/MqttConnected()/MqttDisconnected(): the log lines
//   "MQT: Attempting connection...", "MQT: Connected", "MQT: TLS connection error: %d" (tlsClient->getLastError(),
//   BearSSL's engine error: 296 = 256 + alert 40, a received handshake_failure) and
//   "MQT: Connect failed to %s:%d, rc %d. Retry in %d sec" (PubSubClient's state), retrying every 10 s (MqttRetry);
// - lib/lib_ssl/tls_mini/src/WiFiClientSecureLightBearSSL.cpp: TLS 1.2 only and one suite; with the scenario's
//   build "tls: { preset: tasmota }" the twin's BearSSL also has Tasmota's BR_MAX_RSA_SIZE 2048 and that suite;
// - CA validation (USE_MQTT_TLS_CA_CERT): the trust anchor is built in (here SECRET_CA_CERT), the name is not
//   checked beyond the chain;
// - or, with SetOption132 1 (SECRET_TLS_USE_FINGERPRINT), public-key fingerprint validation (tasmota_tls_light.h):
//   MqttFingerprint1/2 (SECRET_FINGERPRINT1/2, "AA BB .." as the command takes them, strtol per byte as
//   CmndMqttFingerprint does; defaults from tasmota/my_user_config.h: 00.. auto-learn and DA 39 .. = sha1("")), a slot
//   of all 00 learns the first key it meets, all FF accepts any; after a connection "MQT: Fingerprint learned: %s"
//   (MqttReconnect); a mismatch fails the handshake with engine error 1. Learned values live until reset here (Tasmota
//   saves them to flash).
// Log lines carry Tasmota's "HH:MM:SS.mmm " prefix, here from uptime (a device before NTP shows the same).
#include <ESP8266WiFi.h>
#include <WiFiClientSecure.h>
#include <PubSubClient.h>
#include <time.h>
#include "arduino_secrets.h"
#include "tasmota_tls_light.h"

#ifndef SECRET_TLS_USE_FINGERPRINT
#define SECRET_TLS_USE_FINGERPRINT 0
#endif
#ifndef SECRET_FINGERPRINT1
#define SECRET_FINGERPRINT1 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
#endif
#ifndef SECRET_FINGERPRINT2
#define SECRET_FINGERPRINT2 "DA 39 A3 EE 5E 6B 4B 0D 32 55 BF EF 95 60 18 90 AF D8 07 09"
#endif

TasmotaTlsClient tls;
uint8_t fingerprint[2][20];  // Settings->mqtt_fingerprint
PubSubClient mqtt(tls);
#ifdef SECRET_CA_CERT
BearSSL::X509List anchors(SECRET_CA_CERT);
#endif
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
BearSSL::X509List clientChain(SECRET_CLIENT_CERT);
BearSSL::PrivateKey clientKey(SECRET_CLIENT_KEY);
#endif
const int kRetrySeconds = 10;  // Settings->mqtt_retry default (MQTT_RETRY_SECS)
unsigned long nextAttempt = 0;
bool tried = false;

void addLog(const char* fmt, ...) {
  char line[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  unsigned long ms = millis();
  Serial.printf("%02lu:%02lu:%02lu.%03lu %s\n", (ms / 3600000) % 24, (ms / 60000) % 60, (ms / 1000) % 60, ms % 1000, line);
}

void parseFingerprint(const char* text, uint8_t out[20]) {
  char* p = const_cast<char*>(text);
  for (int i = 0; i < 20; i++) out[i] = (uint8_t)strtol(p, &p, 16);
}

bool monoValue(const uint8_t f[20], uint8_t v) {
  for (int i = 0; i < 20; i++)
    if (f[i] != v) return false;
  return true;
}

void toHex(const uint8_t* in, char* out) {  // ToHex_P(.., ' '): "0123456789ABCDEF" pairs, space between (support.ino)
  for (int i = 0; i < 20; i++) sprintf(out + 3 * i, i < 19 ? "%02X " : "%02X", in[i]);
}

void setup() {
  Serial.begin(115200);
  parseFingerprint(SECRET_FINGERPRINT1, fingerprint[0]);
  parseFingerprint(SECRET_FINGERPRINT2, fingerprint[1]);
  WiFi.mode(WIFI_STA);
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) delay(100);
  addLog("WIF: Connected");
  configTime(0, 0, "pool.ntp.org");
  time_t now = time(nullptr);
  unsigned long start = millis();
  while (now < 1700000000 && millis() - start < 10000) {
    delay(100);
    now = time(nullptr);
  }
  tls.setSSLVersion(BR_TLS12, BR_TLS12);
  static const uint16_t suite[] = {BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
  tls.setCiphers(suite, 1);
#ifdef SECRET_CA_CERT
  if (!SECRET_TLS_USE_FINGERPRINT) tls.setTrustAnchors(&anchors);
  tls.setX509Time(now);
#else
  tls.setInsecure();
#endif
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
  tls.setClientECCert(&clientChain, &clientKey, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN, BR_KEYTYPE_EC);
#endif
  mqtt.setServer(SECRET_BROKER, SECRET_PORT);
}

// MqttReconnect after a connection: a slot marked for learning takes the key met, unless the other slot holds it.
void learnFingerprint(bool learn1, bool learn2) {
  const uint8_t* recv = tls.getRecvPubKeyFingerprint();
  char text[64];
  toHex(recv, text);
  bool learned = false;
  if (learn1 && memcmp(recv, fingerprint[1], 20) != 0) {
    memcpy(fingerprint[0], recv, 20);
    learned = true;
  }
  if (learn2 && memcmp(recv, fingerprint[0], 20) != 0) {
    memcpy(fingerprint[1], recv, 20);
    learned = true;
  }
  if (learned) addLog("MQT: Fingerprint learned: %s", text);
}

void reconnect() {
  addLog("MQT: Attempting connection...");
  bool learn1 = false, learn2 = false;
  if (SECRET_TLS_USE_FINGERPRINT) {
    learn1 = monoValue(fingerprint[0], 0x00);
    learn2 = monoValue(fingerprint[1], 0x00);
    bool any = learn1 || learn2 || monoValue(fingerprint[0], 0xff) || monoValue(fingerprint[1], 0xff);
    tls.setPubKeyFingerprint(fingerprint[0], fingerprint[1], any);
  }
  const char* user = SECRET_MQTT_USER;
  bool ok = user[0] ? mqtt.connect(SECRET_CLIENT_ID, SECRET_MQTT_USER, SECRET_MQTT_PASS) : mqtt.connect(SECRET_CLIENT_ID);
  if (ok) {
    if (SECRET_TLS_USE_FINGERPRINT) learnFingerprint(learn1, learn2);
    addLog("MQT: Connected");
    mqtt.publish(SECRET_TOPIC "/up", "hello from " SECRET_CLIENT_ID);
    return;
  }
  addLog("MQT: TLS connection error: %d", tls.getLastError());
  addLog("MQT: Connect failed to %s:%d, rc %d. Retry in %d sec", SECRET_BROKER, SECRET_PORT, mqtt.state(), kRetrySeconds);
}

void loop() {
  if (!mqtt.connected()) {
    if (!tried || millis() >= nextAttempt) {
      tried = true;
      nextAttempt = millis() + kRetrySeconds * 1000UL;
      reconnect();
    }
    delay(10);
    return;
  }
  mqtt.loop();
}
