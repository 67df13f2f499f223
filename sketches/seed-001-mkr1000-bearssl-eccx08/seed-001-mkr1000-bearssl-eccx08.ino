// Seed 001 (arduino.stackexchange.com, "MKR1000 self-signed certificate mosquitto"): the poster's sketch as
// he meant it (the post's stray ''' markers removed, the missing closing brace of loop() added), trimmed
// only of what cannot matter. Secrets, the client certificate PEM and the broker address are
// arduino_secrets.h SECRET_* placeholders (sketches/README.md). Lines marked [rig] are additions.
// The bug: BearSSLClient(WiFiClient&) trusts only ArduinoBearSSL's built-in roots, never a private CA.
#include <PubSubClient.h>
#include <WiFi101.h>
#include <ArduinoBearSSL.h>
#include <ArduinoECCX08.h>
#include <ArduinoJson.h>
#include <OneWire.h>
#include <DallasTemperature.h>
#include "arduino_secrets.h"
#define ONE_WIRE_BUS 2

OneWire oneWire(ONE_WIRE_BUS);
DallasTemperature sensors(&oneWire);
String temp;

const char* ssid = SECRET_SSID;
const char* password = SECRET_PASS;
const char* certificate  = SECRET_CLIENT_CERT;
const char* mqtt_server = SECRET_BROKER;

WiFiClient espClient;
BearSSLClient espClient1(espClient);
PubSubClient client(espClient1);
long lastMsg = 0;
char msg[100];
long long int Node_ID = 44;
int value = 0;
int i= 0;
long int tempint;

unsigned long getTime()
{
  // get the current time from the WiFi module
  return WiFi.getTime();
}

void setup_wifi()
{  delay(10);
  // We start by connecting to a WiFi network
  while (!Serial);
  if (!ECCX08.begin())
  {
    Serial.println("No ECCX08 present!");
    while (1);
  }
  ArduinoBearSSL.onGetTime(getTime);
  espClient1.setEccSlot(SECRET_ECC_SLOT, certificate);
  Serial.print("Connecting to ");
  Serial.println(ssid);
  WiFi.begin(ssid, password);
  while (WiFi.status() != WL_CONNECTED)
  {
    delay(500);
    Serial.print(".");
  }
  randomSeed(micros());
  Serial.println("");
  Serial.println("WiFi connected");
  Serial.println("IP address: ");
  Serial.println(WiFi.localIP());
}

void callback(char* topic, byte* payload, unsigned int length)
{
  Serial.print("Message arrived [");
  Serial.print(topic);
  Serial.print("] ");
  for (int i = 0; i < length; i++)
  {
    Serial.print((char)payload[i]);
  }
  Serial.println();
}

void reconnect()
{
  // Loop until we're reconnected
  while (!client.connected()) {
    Serial.print("Attempting MQTT connection...");
    // Create a random client ID
    String clientId = "Client-";
    clientId += String(random(0xffff), HEX);
    // Attempt to connect
    if (client.connect(clientId.c_str())) {
      Serial.println("connected");
      Serial.println("RIG: connected");  // [rig]
      // Once connected, publish an announcement...
      client.publish(SECRET_TOPIC "/up", "hello vinit");
      // ... and resubscribe
      client.subscribe(SECRET_TOPIC "/cmd");
    } else {
      Serial.print("failed, rc=");
      Serial.print(client.state());
      Serial.println(" try again in 5 seconds");
      Serial.print("RIG: connect fail state=");  // [rig]
      Serial.print(client.state());              // [rig]
      Serial.print(" tls=");                     // [rig]
      Serial.println(espClient1.errorCode());    // [rig]
      // Wait 5 seconds before retrying
      delay(5000);
    }
  }
}

void setup()
{
  Serial.begin(115200);

  setup_wifi();
  Serial.println("Dallas temp started");
  sensors.begin();
  client.setServer(mqtt_server, SECRET_PORT);
  client.setCallback(callback);
  // Start the serial terminal
}

void loop()
{
  i=++i;
  if (!client.connected())
  {
    reconnect();
  }
  client.loop();

  sensors.requestTemperatures();

  long now = millis();
  StaticJsonDocument<400> doc;
  doc["ID"] = Node_ID;
  doc["RN"] = i;
  doc["Temp"] = sensors.getTempCByIndex(0);

  Serial.println();
  serializeJsonPretty(doc,msg);
  Serial.println("Sending message to MQTT topic..");
  Serial.println(msg);
  client.publish(SECRET_TOPIC "/up", msg);
}
