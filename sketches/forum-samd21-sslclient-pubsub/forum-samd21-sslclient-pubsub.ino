// SSLClient#35 / #7: PubSubClient over OPEnSLab-OSU SSLClient (BearSSL on the SAMD21) with trust anchors
// generated from a certificate by pycert_bearssl, the shape of SSLClient's EthernetMQTT example. The reporters
// used a W5500 (EthernetLarge's EthernetClient) under SSLClient; here the MKR1000's WiFi101 WiFiClient is the
// base client: SSLClient does the same TLS on the MCU over either. Configured through arduino_secrets.h
// (sketches/README.md). Lines marked [rig] are additions for the rig.
#include <SPI.h>
#include <WiFi101.h>
#include <SSLClient.h>
#include <PubSubClient.h>
#include "arduino_secrets.h"

// [rig] pycert_bearssl turns SECRET_CA_CERT into a trust anchor offline; here BearSSL's own decoders do it at
// start-up, with the flag pycert_bearssl gives every anchor (BR_X509_TA_CA), whatever certificate it came from.
br_x509_trust_anchor TAs[1];
const size_t TAs_NUM = 1;
unsigned char taDer[2048];
size_t taDerLen = 0;
unsigned char taDn[512];
size_t taDnLen = 0;
unsigned char taKey1[520];
unsigned char taKey2[8];

void appendDer(void* ctx, const void* data, size_t len) {  // [rig]
  (void)ctx;
  if (taDerLen + len <= sizeof(taDer)) { memcpy(taDer + taDerLen, data, len); taDerLen += len; }
}
void appendDn(void* ctx, const void* data, size_t len) {  // [rig]
  (void)ctx;
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
  if (pk == NULL) return false;
  TAs[0].dn.data = taDn;
  TAs[0].dn.len = taDnLen;
  TAs[0].flags = BR_X509_TA_CA;
  TAs[0].pkey.key_type = pk->key_type;
  if (pk->key_type == BR_KEYTYPE_RSA) {
    memcpy(taKey1, pk->key.rsa.n, pk->key.rsa.nlen);
    memcpy(taKey2, pk->key.rsa.e, pk->key.rsa.elen);
    TAs[0].pkey.key.rsa.n = taKey1;
    TAs[0].pkey.key.rsa.nlen = pk->key.rsa.nlen;
    TAs[0].pkey.key.rsa.e = taKey2;
    TAs[0].pkey.key.rsa.elen = pk->key.rsa.elen;
  } else {
    memcpy(taKey1, pk->key.ec.q, pk->key.ec.qlen);
    TAs[0].pkey.key.ec.curve = pk->key.ec.curve;
    TAs[0].pkey.key.ec.q = taKey1;
    TAs[0].pkey.key.ec.qlen = pk->key.ec.qlen;
  }
  return true;
}

const int rand_pin = 20;  // A5 on the MKR boards, left unconnected: SSLClient seeds its RNG from it
WiFiClient base;
SSLClient sslClient(base, TAs, TAs_NUM, rand_pin);
PubSubClient client(sslClient);
unsigned long lastAttempt = 0;
bool attempted = false;

void callback(char* topic, byte* payload, unsigned int length) {
  Serial.print("Message arrived [");
  Serial.print(topic);
  Serial.println("]");
}

void reconnect() {
  // #7's log has no line of its own before SSLClient's: nothing is printed before connect().
  if (client.connect(SECRET_CLIENT_ID)) {
    Serial.println("[MQTT](OK!)");
    Serial.println("RIG: connected");                                            // [rig]
    if (client.publish(SECRET_TOPIC "/up", "hello")) Serial.println("RIG: published");  // [rig]
    client.subscribe(SECRET_TOPIC "/cmd");
    return;
  }
  Serial.print("[MQTT](KO!): ");
  Serial.println(client.state());
  // [rig] SSLClient keeps BearSSL's error to itself (it only prints it): tls= is its getWriteError().
  Serial.print("RIG: connect fail state=");  // [rig]
  Serial.print(client.state());               // [rig]
  Serial.print(" tls=");                      // [rig]
  Serial.println(sslClient.getWriteError());  // [rig]
}

void setup() {
  Serial.begin(115200);
  while (!Serial);
  if (!makeTrustAnchor(SECRET_CA_CERT)) Serial.println("trust anchor could not be made");  // [rig]
  pinMode(rand_pin, INPUT);
  Serial.print("Attempting to connect to SSID: ");
  Serial.println(SECRET_SSID);
  while (WiFi.begin(SECRET_SSID, SECRET_PASS) != WL_CONNECTED) {
    Serial.print(".");
    delay(5000);
  }
  client.setServer(SECRET_BROKER, SECRET_PORT);
  client.setCallback(callback);
}

void loop() {
  if (!client.connected()) {
    if (!attempted || millis() - lastAttempt >= 5000) {
      attempted = true;
      lastAttempt = millis();
      reconnect();
    }
    return;
  }
  client.loop();
}
