// Lifecycle probe (mkr1000): the mkr1000-bearssl-pubsub probe plus what scenarios that unfold need (scenarios/lifecycle/).
// Builds unchanged for a real board (arduino-cli) and for the twin; configuration in arduino_secrets.h.
// Knobs (client.config): SECRET_RECONNECT 0 = connect() once, as forum sketches that call it only in setup() do
//   (they never come back after the broker restarts); 1 (default) = retry every 5 s in loop(), as PubSubClient's
//   mqtt_reconnect_nonblocking example at v2.8 does. SECRET_KEEPALIVE = setKeepAlive() seconds (default 15).
//   SECRET_RETRY_SIGNED_LONG 1 = time the retries as that example does, with a signed long (fails past 2^31 ms).
// Session knobs (lifecycle-persistent-session): SECRET_CLEAN_SESSION (default 1, what connect(id) and
//   connect(id, user, pass) send: PubSubClient.cpp:165-171 at v2.8 pass cleanSession=1), SECRET_SUB_QOS (0|1, the
//   subscription's QoS), SECRET_RANDOM_ID 1 = a random id suffix at every connect, as PubSubClient's mqtt_esp8266
//   example at v2.8 makes one in reconnect() (examples/mqtt_esp8266/mqtt_esp8266.ino:85-87), SECRET_SLEEP_MS > 0 =
//   a sleep cycle: SECRET_AWAKE_MS after connecting, "RIG: going offline for <ms> ms", disconnect(), the radio
//   quiet for that long, "RIG: awake", connect again.
// Lines: "RIG: connection lost state=<n>" when a connection ends; a serial command "state" answers
// "RIG: state=<n> connected=<0|1>", "millis" answers "RIG: millis=<n> up=<ms
// connected, 0 if not>". Lines starting "RIG: " are parsed by the rig.
#include <SPI.h>
#include <WiFi101.h>
#include <ArduinoBearSSL.h>
#include <ArduinoECCX08.h>
#include <PubSubClient.h>
#include "arduino_secrets.h"
#ifndef SECRET_RECONNECT
#define SECRET_RECONNECT 1
#endif
#ifndef SECRET_KEEPALIVE
#define SECRET_KEEPALIVE 15
#endif
#ifndef SECRET_RETRY_SIGNED_LONG
#define SECRET_RETRY_SIGNED_LONG 0
#endif
#ifndef SECRET_CLEAN_SESSION
#define SECRET_CLEAN_SESSION 1
#endif
#ifndef SECRET_SUB_QOS
#define SECRET_SUB_QOS 0
#endif
#ifndef SECRET_RANDOM_ID
#define SECRET_RANDOM_ID 0
#endif
#ifndef SECRET_SLEEP_MS
#define SECRET_SLEEP_MS 0
#endif
#ifndef SECRET_AWAKE_MS
#define SECRET_AWAKE_MS 3000
#endif

WiFiClient wifi;
#ifdef SECRET_CA_CERT
br_x509_trust_anchor caAnchor;
BearSSLClient tls(wifi, &caAnchor, 1);
#else
BearSSLClient tls(wifi);
#endif
PubSubClient mqtt(tls);
unsigned long lastAttempt = 0;
bool everTried = false;
long lastReconnectAttempt = 0;
unsigned long connectedAt = 0;  // millis() when the current connection was made

// Whether 5 s have passed since the last attempt. The default subtracts unsigned longs, which stays right across
// millis()'s wrap at 2^32 ms (49.7 days). SECRET_RETRY_SIGNED_LONG is PubSubClient's mqtt_reconnect_nonblocking
// example at v2.8 (lines 27, 53-58): a signed long, set to 0 once connected. Past 2^31 ms (24.8 days) `now` is
// negative, so now - 0 > 5000 fails until millis() wraps: a board that loses its broker then retries no more for up
// to 24.8 days (the Arduino millis() reference: "Even signed long may encounter errors").
bool retryDue() {
#if SECRET_RETRY_SIGNED_LONG
  long now = millis();
  if (now - lastReconnectAttempt > 5000) {
    lastReconnectAttempt = now;
    return true;
  }
  return false;
#else
  return (unsigned long)(millis() - lastAttempt) >= 5000;
#endif
}

unsigned long getTime() {
  return WiFi.getTime();
}

#ifdef SECRET_CA_CERT
// Static storage for the decoded CA (DER, DN and key); sizes fit RSA-4096 / P-521 roots.
unsigned char caDer[2048];
size_t caDerLen = 0;
unsigned char caDn[512];
size_t caDnLen = 0;
unsigned char caKey1[520];
unsigned char caKey2[8];

void appendDer(void* ctx, const void* data, size_t len) {
  (void)ctx;
  if (caDerLen + len <= sizeof(caDer)) { memcpy(caDer + caDerLen, data, len); caDerLen += len; }
}
void appendDn(void* ctx, const void* data, size_t len) {
  (void)ctx;
  if (caDnLen + len <= sizeof(caDn)) { memcpy(caDn + caDnLen, data, len); caDnLen += len; }
}

bool loadCaAnchor(const char* pem) {
  br_pem_decoder_context pc;
  br_pem_decoder_init(&pc);
  size_t len = strlen(pem);
  bool done = false;
  while (len > 0 && !done) {
    size_t n = br_pem_decoder_push(&pc, pem, len);
    pem += n;
    len -= n;
    switch (br_pem_decoder_event(&pc)) {
      case BR_PEM_BEGIN_OBJ: br_pem_decoder_setdest(&pc, appendDer, NULL); break;
      case BR_PEM_END_OBJ: done = true; break;
      case BR_PEM_ERROR: return false;
    }
  }
  if (!done) return false;
  br_x509_decoder_context dc;
  br_x509_decoder_init(&dc, appendDn, NULL);
  br_x509_decoder_push(&dc, caDer, caDerLen);
  br_x509_pkey* pk = br_x509_decoder_get_pkey(&dc);
  if (pk == NULL) return false;
  caAnchor.dn.data = caDn;
  caAnchor.dn.len = caDnLen;
  caAnchor.flags = BR_X509_TA_CA;
  caAnchor.pkey.key_type = pk->key_type;
  if (pk->key_type == BR_KEYTYPE_RSA) {
    if (pk->key.rsa.nlen > sizeof(caKey1) || pk->key.rsa.elen > sizeof(caKey2)) return false;
    memcpy(caKey1, pk->key.rsa.n, pk->key.rsa.nlen);
    memcpy(caKey2, pk->key.rsa.e, pk->key.rsa.elen);
    caAnchor.pkey.key.rsa.n = caKey1;
    caAnchor.pkey.key.rsa.nlen = pk->key.rsa.nlen;
    caAnchor.pkey.key.rsa.e = caKey2;
    caAnchor.pkey.key.rsa.elen = pk->key.rsa.elen;
  } else {
    if (pk->key.ec.qlen > sizeof(caKey1)) return false;
    memcpy(caKey1, pk->key.ec.q, pk->key.ec.qlen);
    caAnchor.pkey.key.ec.curve = pk->key.ec.curve;
    caAnchor.pkey.key.ec.q = caKey1;
    caAnchor.pkey.key.ec.qlen = pk->key.ec.qlen;
  }
  return true;
}
#endif

void onMessage(char* topic, byte* payload, unsigned int length) {
  static char text[257];
  unsigned int n = length < sizeof(text) - 1 ? length : sizeof(text) - 1;
  memcpy(text, payload, n);
  text[n] = 0;
  Serial.print("RIG: echo ");
  Serial.println(text);
  mqtt.publish(SECRET_TOPIC "/echo", text);
}

void setup() {
  Serial.begin(115200);
  while (!Serial);
  if (!ECCX08.begin()) {
    Serial.println("No ECCX08 present!");
    while (1);
  }
#ifdef SECRET_CA_CERT
  if (!loadCaAnchor(SECRET_CA_CERT)) Serial.println("CA certificate could not be decoded");
#endif
  ArduinoBearSSL.onGetTime(getTime);
#if defined(SECRET_ECC_SLOT) && defined(SECRET_CLIENT_CERT)
  tls.setEccSlot(SECRET_ECC_SLOT, SECRET_CLIENT_CERT);
#elif defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
  tls.setKey(SECRET_CLIENT_KEY, SECRET_CLIENT_CERT);
#endif
#if SECRET_INSECURE
  tls.setInsecure(BearSSLClient::SNI::Insecure);  // drops SNI and the name check only
#endif
  Serial.print("Attempting to connect to SSID: ");
  Serial.println(SECRET_SSID);
  while (WiFi.begin(SECRET_SSID, SECRET_PASS) != WL_CONNECTED) {
    Serial.print(".");
    delay(5000);
  }
  Serial.println("You're connected to the network");
#if SECRET_BROKER_IS_IP
  IPAddress brokerIp;
  brokerIp.fromString(SECRET_BROKER);
  mqtt.setServer(brokerIp, SECRET_PORT);
#else
  mqtt.setServer(SECRET_BROKER, SECRET_PORT);
#endif
  mqtt.setCallback(onMessage);
  mqtt.setKeepAlive(SECRET_KEEPALIVE);
}

// The connection as the session knobs ask: the 8-argument connect() is the one that takes cleanSession.
bool connectMqtt(const char* user, const char* pass) {
  String id = SECRET_CLIENT_ID;
#if SECRET_RANDOM_ID
  id += "-";
  id += String(random(0xffff), HEX);
#endif
  return mqtt.connect(id.c_str(), user, pass, NULL, 0, false, NULL, SECRET_CLEAN_SESSION);
}

#if SECRET_SLEEP_MS
// The forum's sleep cycle: disconnect() before esp_deep_sleep_start() / ESP.deepSleep(). The twin has no deep
// sleep, so the board stays quiet for SECRET_SLEEP_MS with delay() and then connects again as setup() does after a
// wake-up. disconnect() sends DISCONNECT and stops the socket (PubSubClient.cpp disconnect() at v2.8).
void offlineCycle() {
  Serial.print("RIG: going offline for ");
  Serial.print(SECRET_SLEEP_MS);
  Serial.println(" ms");
  mqtt.disconnect();
  delay(SECRET_SLEEP_MS);
  Serial.println("RIG: awake");
}
#endif

void tryConnect() {
  Serial.print("Attempting MQTT connection...");
  const char* user = SECRET_MQTT_USER;
  bool ok = user[0] ? connectMqtt(SECRET_MQTT_USER, SECRET_MQTT_PASS) : connectMqtt(NULL, NULL);
  if (ok) {
    Serial.println("connected");
    connectedAt = millis();
    Serial.println("RIG: connected");
    mqtt.subscribe(SECRET_TOPIC "/cmd", SECRET_SUB_QOS);
    if (mqtt.publish(SECRET_TOPIC "/up", "hello from " SECRET_CLIENT_ID)) Serial.println("RIG: published");
    else Serial.println("RIG: publish failed");
    return;
  }
  Serial.print("failed, rc=");
  Serial.print(mqtt.state());
  Serial.println(" try again in 5 seconds");
  // ArduinoBearSSL has no error text: errorCode() is the raw br_ssl_engine_last_error().
  Serial.print("RIG: connect fail state=");
  Serial.print(mqtt.state());
  Serial.print(" tls=");
  Serial.print(tls.errorCode());
  Serial.println(" text=\"\"");
}

bool wasConnected = false;
String command;

// Serial commands from the rig's writeSerial steps, one per line.
void serialCommands() {
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\r') continue;
    if (c != '\n') {
      if (command.length() < 64) command += c;
      continue;
    }
    if (command == "state") {
      Serial.print("RIG: state=");
      Serial.print(mqtt.state());
      Serial.print(" connected=");
      Serial.println(mqtt.connected() ? 1 : 0);
    } else if (command == "millis") {
      unsigned long now = millis();
      Serial.print("RIG: millis=");
      Serial.print(now);
      Serial.print(" up=");
      Serial.println(mqtt.connected() ? now - connectedAt : 0UL);
    }
    command = "";
  }
}

void loop() {
  serialCommands();
  if (!mqtt.connected()) {
    if (wasConnected) {
      wasConnected = false;
      Serial.print("RIG: connection lost state=");
      Serial.println(mqtt.state());
    }
    if (!everTried || (SECRET_RECONNECT && retryDue())) {
      everTried = true;
      lastAttempt = millis();
      tryConnect();
      if (mqtt.connected()) lastReconnectAttempt = 0;
    }
    delay(10);
    return;
  }
  wasConnected = true;
  mqtt.loop();
#if SECRET_SLEEP_MS
  if (millis() - connectedAt >= SECRET_AWAKE_MS) {
    offlineCycle();
    wasConnected = false;
    everTried = false;  // connect at once, as setup() does after a wake-up
  }
#endif
}
