// PubSubClient over a plain WiFiClient pointed at a TLS listener: the other way a broker logs "wrong version
// number" (the MQTT CONNECT bytes read as a TLS record header), as the forum corpus notes for espduino#36.
// Settings from arduino_secrets.h (sketches/README.md); "RIG: " lines are for the rig.
#include <ESP8266WiFi.h>
#include <PubSubClient.h>
#include "arduino_secrets.h"

WiFiClient espClient;
PubSubClient client(espClient);
unsigned long lastAttempt = 0;
bool attempted = false;

void reconnect() {
  Serial.print("Attempting MQTT connection...");
  if (client.connect(SECRET_CLIENT_ID)) {
    Serial.println("connected");
    Serial.println("RIG: connected");
    client.publish(SECRET_TOPIC "/up", "hello");
    return;
  }
  Serial.print("failed, rc=");
  Serial.print(client.state());
  Serial.println(" try again in 5 seconds");
  Serial.printf("RIG: connect fail state=%d tls=0\n", client.state());
}

void setup() {
  Serial.begin(115200);
  WiFi.mode(WIFI_STA);
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) delay(500);
  Serial.println("WiFi connected");
  client.setServer(SECRET_BROKER, SECRET_PORT);
}

void loop() {
  if (!client.connected()) {
    if (!attempted || millis() - lastAttempt >= 5000) {
      attempted = true;
      lastAttempt = millis();
      reconnect();
    }
    delay(10);
    return;
  }
  client.loop();
}
