// The AWS-IoT-tutorial shape of an ESP32 sketch: certificates uploaded to SPIFFS (Tools > ESP32 Sketch Data Upload)
// and handed to WiFiClientSecure with loadCACert / loadCertificate / loadPrivateKey(Stream&, size). Broker, client id
// and topic come from arduino_secrets.h (sketches/README.md); the files are the scenario's `files:` (or data/).
// Lines starting "RIG: " are the rig's, as in the probe.
#include <WiFi.h>
#include <WiFiClientSecure.h>
#include <PubSubClient.h>
#include "SPIFFS.h"
#include "arduino_secrets.h"

WiFiClientSecure espClient;
PubSubClient client(espClient);
unsigned long lastAttempt = 0;
bool everAttempted = false;

// Loads one file with the given loader; prints what happened as the tutorials do.
bool loadFile(const char* path, bool (WiFiClientSecure::*load)(Stream&, size_t)) {
  File f = SPIFFS.open(path, "r");
  if (!f) {
    Serial.printf("Failed to open %s\n", path);
    return false;
  }
  bool ok = (espClient.*load)(f, f.size());
  Serial.printf("%s %s (%u bytes)\n", path, ok ? "loaded" : "not loaded", (unsigned)f.size());
  f.close();
  return ok;
}

void setup() {
  Serial.begin(115200);
  Serial.print("Connecting to ");
  Serial.println(SECRET_SSID);
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println();
  Serial.print("WiFi connected, IP address: ");
  Serial.println(WiFi.localIP());

  if (!SPIFFS.begin(true)) {
    Serial.println("An Error has occurred while mounting SPIFFS");
    return;
  }
  loadFile("/ca.crt", &WiFiClientSecure::loadCACert);
  if (SPIFFS.exists("/client.crt")) loadFile("/client.crt", &WiFiClientSecure::loadCertificate);
  if (SPIFFS.exists("/client.key")) loadFile("/client.key", &WiFiClientSecure::loadPrivateKey);
  client.setServer(SECRET_BROKER, SECRET_PORT);
}

void reconnect() {
  Serial.print("Attempting MQTT connection...");
  if (client.connect(SECRET_CLIENT_ID)) {
    Serial.println("connected");
    Serial.println("RIG: connected");
    if (client.publish(SECRET_TOPIC "/up", "hello from " SECRET_CLIENT_ID)) Serial.println("RIG: published");
    else Serial.println("RIG: publish failed");
    return;
  }
  char text[128] = "";
  int tls = espClient.lastError(text, sizeof(text));
  Serial.print("failed, rc=");
  Serial.print(client.state());
  Serial.println(" try again in 5 seconds");
  Serial.printf("RIG: connect fail state=%d tls=%d text=\"%s\"\n", client.state(), tls, text);
}

void loop() {
  if (!client.connected()) {
    if (!everAttempted || millis() - lastAttempt >= 5000) {
      everAttempted = true;
      lastAttempt = millis();
      reconnect();
    }
    delay(10);
    return;
  }
  client.loop();
}
