// Seed 000 (arduino.stackexchange.com/questions/68502): the poster's sketch, trimmed only of what cannot
// matter (LED pin handling). Secrets and the pasted CA PEM are arduino_secrets.h SECRET_* placeholders
// (sketches/README.md). Lines marked [rig] are additions so the rig can read the outcome; nothing else changed.
// The bug it shows: the broker is found by mDNS ("home") but then given to PubSubClient as an IPAddress, so
// WiFiClientSecure checks the certificate against the dotted quad, not against "home".
#include <WiFi.h>
#include <WiFiClientSecure.h>
#include <PubSubClient.h>
#include <ESPmDNS.h>
#include "arduino_secrets.h"

/* change it with your ssid-password */
const char* ssid = SECRET_SSID;
const char* password = SECRET_PASS;
/* this is the MDNS name of PC where you installed MQTT Server */
const char* serverHostname = SECRET_BROKER;

const char* ca_cert = SECRET_CA_CERT;

/* create an instance of WiFiClientSecure */
WiFiClientSecure espClient;
PubSubClient client(espClient);

/* topics */
#define COUNTER_TOPIC    SECRET_TOPIC "/up"
#define LED_TOPIC     SECRET_TOPIC "/cmd" /* 1=on, 0=off */

long lastMsg = 0;
char msg[20];
int counter = 0;

void receivedCallback(char* topic, byte* payload, unsigned int length) {
  Serial.print("Message received: ");
  Serial.println(topic);

  Serial.print("payload: ");
  for (int i = 0; i < length; i++) {
    Serial.print((char)payload[i]);
  }
  Serial.println();
}

void mqttconnect() {
  /* Loop until reconnected */
  while (!client.connected()) {
    Serial.print("MQTT connecting ...");
    /* client ID */
    String clientId = SECRET_CLIENT_ID;
    /* connect now */
    if (client.connect(clientId.c_str(), SECRET_MQTT_USER, SECRET_MQTT_PASS)) {
      Serial.println("connected");
      Serial.println("RIG: connected");  // [rig]
      /* subscribe topic */
      client.subscribe(LED_TOPIC);
    } else {
      Serial.print("failed, status code =");
      Serial.print(client.state());
      Serial.println("try again in 5 seconds");
      char text[100] = "";                                            // [rig]
      int tls = espClient.lastError(text, sizeof(text));              // [rig]
      Serial.printf("RIG: connect fail state=%d tls=%d text=\"%s\"\n", client.state(), tls, text);  // [rig]
      /* Wait 5 seconds before retrying */
      delay(5000);
    }
  }
}

void setup() {
  Serial.begin(9600);
  // We start by connecting to a WiFi network
  Serial.println();
  Serial.print("Connecting to ");
  Serial.println(ssid);

  WiFi.begin(ssid, password);

  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }

  Serial.println("");
  Serial.println("WiFi connected");
  Serial.println("IP address: ");
  Serial.println(WiFi.localIP());
  /*setup MDNS for ESP32 */
  if (!MDNS.begin("esp32")) {
      Serial.println("Error setting up MDNS responder!");
      while(1) {
          delay(1000);
      }
  }
  /* get the IP address of server by MDNS name */
  Serial.println("mDNS responder started");
  IPAddress serverIp = MDNS.queryHost(serverHostname);
  Serial.print("IP address of server: ");
  Serial.println(serverIp.toString());
  /* set SSL/TLS certificate */
  espClient.setCACert(ca_cert);
  /* configure the MQTT server with IPaddress and port */
  client.setServer(serverIp, SECRET_PORT);
  /* this receivedCallback function will be invoked
  when client received subscribed topic */
  client.setCallback(receivedCallback);

}
void loop() {
  /* if client was disconnected then try to reconnect again */
  if (!client.connected()) {
    mqttconnect();
  }
  /* this function will listen for incomming
  subscribed topic-process-invoke receivedCallback */
  client.loop();
  /* we increase counter every 3 secs
  we count until 3 secs reached to avoid blocking program if using delay()*/
  long now = millis();
  if (now - lastMsg > 3000) {
    lastMsg = now;
    if (counter < 100) {
      counter++;
      snprintf (msg, 20, "%d", counter);
      /* publish the message */
      client.publish(COUNTER_TOPIC, msg);
    }else {
      counter = 0;
    }
  }
}
