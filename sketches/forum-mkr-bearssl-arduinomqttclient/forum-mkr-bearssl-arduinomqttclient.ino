// ArduinoBearSSL#71 (forum.arduino.cc "MQTTS with Arduino MKR WiFi 1010"): ArduinoMqttClient over ArduinoBearSSL's
// BearSSLClient, the shape of ArduinoMqttClient's WiFiSimpleSender example with the TLS client swapped in, as
// the reporter describes it ("The MqttClient object is derived from BearSSLClient"). The example's board
// switch picks WiFiNINA on a MKR WiFi 1010 and WiFi101 on the MKR1000 (the twin); BearSSLClient runs on the
// SAMD21 either way. With SECRET_CA_CERT the broker's CA becomes a trust anchor (the thread's later answer,
// `brssl ta`, done at start-up with BearSSL's decoders); without it BearSSLClient has only its built-in
// roots, whatever certificates were uploaded to the WiFi module. Settings from arduino_secrets.h
// (sketches/README.md); lines marked [rig] are additions for the rig, and the example's `while (1);` after a
// failed connect is a retry every 5 s, as in the library's WiFiSimpleSenderReconnect example.
#include <ArduinoBearSSL.h>
#include <ArduinoMqttClient.h>
#if defined(ARDUINO_SAMD_MKRWIFI1010) || defined(ARDUINO_SAMD_NANO_33_IOT)
#include <WiFiNINA.h>
#elif defined(ARDUINO_SAMD_MKR1000)
#include <WiFi101.h>
#endif
#include "arduino_secrets.h"

char ssid[] = SECRET_SSID;
char pass[] = SECRET_PASS;

WiFiClient wifiClient;
#ifdef SECRET_CA_CERT
br_x509_trust_anchor TAs[1];
BearSSLClient sslClient(wifiClient, TAs, 1);
#else
BearSSLClient sslClient(wifiClient);
#endif
MqttClient mqttClient(sslClient);

const char broker[] = SECRET_BROKER;
int        port     = SECRET_PORT;
const char topic[]  = SECRET_TOPIC "/up";
unsigned long lastAttempt = 0;
bool attempted = false;

unsigned long getTime() {
  return WiFi.getTime();
}

#ifdef SECRET_CA_CERT
// [rig] What `brssl ta ca.crt > MyTAs.h` writes, made at start-up from the PEM.
unsigned char taDer[2048];
size_t taDerLen = 0;
unsigned char taDn[512];
size_t taDnLen = 0;
unsigned char taKey1[520];
unsigned char taKey2[8];
void appendDer(void*, const void* data, size_t len) {  // [rig]
  if (taDerLen + len <= sizeof(taDer)) { memcpy(taDer + taDerLen, data, len); taDerLen += len; }
}
void appendDn(void*, const void* data, size_t len) {  // [rig]
  if (taDnLen + len <= sizeof(taDn)) { memcpy(taDn + taDnLen, data, len); taDnLen += len; }
}
bool makeTrustAnchor(const char* pem) {  // [rig]
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
  br_x509_decoder_push(&dc, taDer, taDerLen);
  br_x509_pkey* pk = br_x509_decoder_get_pkey(&dc);
  if (pk == NULL || pk->key_type != BR_KEYTYPE_RSA) return false;
  memcpy(taKey1, pk->key.rsa.n, pk->key.rsa.nlen);
  memcpy(taKey2, pk->key.rsa.e, pk->key.rsa.elen);
  TAs[0].dn.data = taDn;
  TAs[0].dn.len = taDnLen;
  TAs[0].flags = BR_X509_TA_CA;
  TAs[0].pkey.key_type = BR_KEYTYPE_RSA;
  TAs[0].pkey.key.rsa.n = taKey1;
  TAs[0].pkey.key.rsa.nlen = pk->key.rsa.nlen;
  TAs[0].pkey.key.rsa.e = taKey2;
  TAs[0].pkey.key.rsa.elen = pk->key.rsa.elen;
  return true;
}
#endif

void setup() {
  Serial.begin(9600);
  while (!Serial) {
    ;
  }
#ifdef SECRET_CA_CERT
  if (!makeTrustAnchor(SECRET_CA_CERT)) Serial.println("trust anchor could not be made");  // [rig]
#endif
  ArduinoBearSSL.onGetTime(getTime);

  Serial.print("Attempting to connect to WPA SSID: ");
  Serial.println(ssid);
  while (WiFi.begin(ssid, pass) != WL_CONNECTED) {
    Serial.print(".");
    delay(5000);
  }
  Serial.println("You're connected to the network");
  Serial.println();
  mqttClient.setId(SECRET_CLIENT_ID);
}

void tryConnect() {
  Serial.print("Attempting to connect to the MQTT broker: ");
  Serial.println(broker);
  if (!mqttClient.connect(broker, port)) {
    Serial.print("MQTT connection failed! Error code = ");
    Serial.println(mqttClient.connectError());
    // [rig] state= is connectError() (-2: the TLS client did not connect), tls= BearSSLClient's errorCode().
    Serial.print("RIG: connect fail state=");  // [rig]
    Serial.print(mqttClient.connectError());   // [rig]
    Serial.print(" tls=");                      // [rig]
    Serial.println(sslClient.errorCode());      // [rig]
    return;
  }
  Serial.println("You're connected to the MQTT broker!");
  Serial.println();
  Serial.println("RIG: connected");  // [rig]
  mqttClient.beginMessage(topic);
  mqttClient.print("hello");
  mqttClient.endMessage();
}

void loop() {
  if (!mqttClient.connected()) {
    if (!attempted || millis() - lastAttempt >= 5000) {
      attempted = true;
      lastAttempt = millis();
      tryConnect();
    }
    return;
  }
  mqttClient.poll();
}
