// Forum reproductions on MKR1000 with WiFiSSLClient: TLS runs inside the WINC1500 firmware against the roots
// flashed into the module (firmware updater), so the sketch sets no CA, and a failure shows only as
// connect() == 0 / PubSubClient state -2. The twin models the WINC1500 (boards/twin/modules/winc1500.yaml).
// Settings: arduino_secrets.h (sketches/README.md). Lines starting "RIG: " are for the rig.
#include <WiFi101.h>
#include <PubSubClient.h>
#include "arduino_secrets.h"

WiFiSSLClient net;
PubSubClient client(net);
unsigned long lastAttempt = 0;
bool attempted = false;

const char* orNull(const char* s) { return (s && s[0]) ? s : NULL; }

void setup() {
  Serial.begin(115200);
  while (!Serial && millis() < 5000) {}
  Serial.print("Connecting to ");
  Serial.println(SECRET_SSID);
  while (WiFi.begin(SECRET_SSID, SECRET_PASS) != WL_CONNECTED) delay(5000);
  Serial.println("WiFi connected");
  client.setServer(SECRET_BROKER, SECRET_PORT);
}

void loop() {
  if (!client.connected()) {
    if (!attempted || millis() - lastAttempt >= 5000) {
      attempted = true;
      lastAttempt = millis();
      Serial.print("Attempting to MQTT broker: ");
      Serial.println(SECRET_BROKER);
      if (client.connect(SECRET_CLIENT_ID, orNull(SECRET_MQTT_USER), orNull(SECRET_MQTT_PASS))) {
        Serial.println("RIG: connected");
        client.publish(SECRET_TOPIC "/up", "hello");
      } else {
        Serial.println(".");
        Serial.print("RIG: connect fail state=");
        Serial.print(client.state());
        Serial.println(" tls=0");
      }
    }
    return;
  }
  client.loop();
}
