// ESP8266 mutual TLS with the certificates in LittleFS (uploaded with the LittleFS Data Upload tool), PEM or DER
// files read into BearSSL::X509List / PrivateKey; the clock from configTime(). Broker, client id and topic come from
// arduino_secrets.h (sketches/README.md); the files are the scenario's `files:`. "RIG: " lines as in the probe.
#include <ESP8266WiFi.h>
#include <LittleFS.h>
#include <PubSubClient.h>
#include <time.h>
#include "arduino_secrets.h"

BearSSL::WiFiClientSecure net;
PubSubClient mqtt(net);
BearSSL::X509List* trust = nullptr;
BearSSL::X509List* chain = nullptr;
BearSSL::PrivateKey* key = nullptr;
unsigned long lastAttempt = 0;
bool everTried = false;
uint8_t buf[4096];

// The whole file into buf; 0 when it is missing.
size_t readFile(const char* path) {
  File f = LittleFS.open(path, "r");
  if (!f) {
    Serial.printf("Failed to open %s\n", path);
    return 0;
  }
  size_t n = f.read(buf, sizeof(buf));
  f.close();
  Serial.printf("Read %s: %u bytes\n", path, (unsigned)n);
  return n;
}

void setup() {
  Serial.begin(115200);
  Serial.println();
  WiFi.mode(WIFI_STA);
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println();
  Serial.print("WiFi connected, IP address: ");
  Serial.println(WiFi.localIP());

  configTime(0, 0, "pool.ntp.org", "time.nist.gov");
  time_t now = time(nullptr);
  while (now < 8 * 3600 * 2) {
    delay(500);
    now = time(nullptr);
  }
  Serial.print("Current time: ");
  Serial.print(ctime(&now));

  if (!LittleFS.begin()) {
    Serial.println("Failed to mount file system");
    return;
  }
  size_t n = readFile("/ca.crt");
  if (n) trust = new BearSSL::X509List(buf, n);
  n = readFile("/client.crt");
  if (n) chain = new BearSSL::X509List(buf, n);
  n = readFile("/client.key");
  if (n) key = new BearSSL::PrivateKey(buf, n);
  if (trust) net.setTrustAnchors(trust);
  if (chain && key) net.setClientRSACert(chain, key);
  net.setX509Time(time(nullptr));
  mqtt.setServer(SECRET_BROKER, SECRET_PORT);
}

void tryConnect() {
  Serial.print("Attempting MQTT connection...");
  if (mqtt.connect(SECRET_CLIENT_ID)) {
    Serial.println("connected");
    Serial.println("RIG: connected");
    if (mqtt.publish(SECRET_TOPIC "/up", "hello from " SECRET_CLIENT_ID)) Serial.println("RIG: published");
    else Serial.println("RIG: publish failed");
    return;
  }
  char err[256];
  int tls = net.getLastSSLError(err, sizeof(err));
  Serial.print("failed, rc=");
  Serial.print(mqtt.state());
  Serial.println(" try again in 5 seconds");
  Serial.print("SSL error: ");
  Serial.println(err);
  Serial.printf("RIG: connect fail state=%d tls=%d text=\"%s\"\n", mqtt.state(), tls, err);
}

void loop() {
  if (!mqtt.connected()) {
    if (!everTried || millis() - lastAttempt >= 5000) {
      everTried = true;
      lastAttempt = millis();
      tryConnect();
    }
    delay(10);
    return;
  }
  mqtt.loop();
}
