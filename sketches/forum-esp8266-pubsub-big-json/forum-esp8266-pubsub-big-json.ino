// "publish() returns false for my JSON": an ESP8266 publishing a ~300-byte ArduinoJson-style document with
// PubSubClient. 2.6/2.7 hold 128 bytes, 2.8 256, and a `#define MQTT_MAX_PACKET_SIZE` in the sketch does not reach
// the library's own code. Options (arduino_secrets.h, from the scenario's client.config): SECRET_DEFINE_IN_SKETCH
// (the forum's first advice), SECRET_BUFFER_SIZE (setBufferSize(), 2.8 only). "RIG: " lines as in the probe.
#include "arduino_secrets.h"
#ifdef SECRET_DEFINE_IN_SKETCH
#define MQTT_MAX_PACKET_SIZE 512
#endif
#include <ESP8266WiFi.h>
#include <PubSubClient.h>
#include <time.h>

BearSSL::WiFiClientSecure net;
PubSubClient mqtt(net);
#ifdef SECRET_CA_CERT
BearSSL::X509List ca(SECRET_CA_CERT);
#endif
unsigned long lastAttempt = 0;
bool everTried = false;
char payload[400];

const char* orNull(const char* s) { return s[0] ? s : nullptr; }

void setup() {
  Serial.begin(115200);
  Serial.println();
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println();
  configTime(0, 0, "pool.ntp.org");
  while (time(nullptr) < 1700000000) delay(100);
#ifdef SECRET_CA_CERT
  net.setTrustAnchors(&ca);
#endif
  net.setX509Time(time(nullptr));
  mqtt.setServer(SECRET_BROKER, SECRET_PORT);
#if defined(SECRET_BUFFER_SIZE) && SECRET_BUFFER_SIZE > 0
  mqtt.setBufferSize(SECRET_BUFFER_SIZE);
#endif
  // What serializeJson(doc, payload) makes of ten sensor readings.
  int n = snprintf(payload, sizeof(payload), "{\"device\":\"%s\",\"fw\":\"1.4.2\",\"readings\":[", SECRET_CLIENT_ID);
  for (int i = 0; i < 10; i++)
    n += snprintf(payload + n, sizeof(payload) - n, "%s{\"sensor\":\"t%d\",\"value\":%d.%d}", i ? "," : "", i, 20 + i, i);
  snprintf(payload + n, sizeof(payload) - n, "]}");
  Serial.printf("Payload: %u bytes\n", (unsigned)strlen(payload));
}

void tryConnect() {
  Serial.print("Attempting MQTT connection...");
  if (mqtt.connect(SECRET_CLIENT_ID, orNull(SECRET_MQTT_USER), orNull(SECRET_MQTT_PASS))) {
    Serial.println("connected");
    Serial.println("RIG: connected");
    if (mqtt.publish(SECRET_TOPIC "/up", payload)) Serial.println("RIG: published");
    else Serial.println("RIG: publish failed");
    return;
  }
  char err[256];
  int tls = net.getLastSSLError(err, sizeof(err));
  Serial.print("failed, rc=");
  Serial.println(mqtt.state());
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
