// ESP8266 with BearSSL whose clock comes from NTPClient, not configTime(): setX509Time(timeClient.getEpochTime())
// before the TLS connect, the broker's CA as a trust anchor. Where NTP is blocked, getEpochTime() is the seconds
// since boot and BearSSL calls every certificate "expired or not yet valid". arduino_secrets.h as in the probe.
#include <ESP8266WiFi.h>
#include <NTPClient.h>
#include <WiFiUdp.h>
#include <PubSubClient.h>
#include "arduino_secrets.h"

WiFiUDP ntpUDP;
NTPClient timeClient(ntpUDP, "pool.ntp.org", 0, 60000);
BearSSL::WiFiClientSecure net;
PubSubClient mqtt(net);
#ifdef SECRET_CA_CERT
BearSSL::X509List ca(SECRET_CA_CERT);
#endif
unsigned long lastAttempt = 0;
bool everTried = false;

void setup() {
  Serial.begin(115200);
  Serial.println();
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println();
  Serial.print("IP address: ");
  Serial.println(WiFi.localIP());

  timeClient.begin();
  // The forum's `while(!timeClient.update()) timeClient.forceUpdate();` never ends without NTP: give up after two.
  for (int i = 0; i < 2 && !timeClient.update(); i++) {
    Serial.println("NTP update failed");
    timeClient.forceUpdate();
  }
  Serial.print("Time: ");
  Serial.println(timeClient.getFormattedTime());
  net.setX509Time(timeClient.getEpochTime());
#ifdef SECRET_CA_CERT
  net.setTrustAnchors(&ca);
#endif
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
  Serial.println(mqtt.state());
  Serial.print("SSL error: ");
  Serial.println(err);
  Serial.printf("RIG: connect fail state=%d tls=%d text=\"%s\"\n", mqtt.state(), tls, err);
}

void loop() {
  timeClient.update();
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
