// Lifecycle probe (esp8266): the esp8266-bearssl-pubsub probe plus what scenarios that unfold need (scenarios/lifecycle/).
// Builds unchanged for a real board (arduino-cli) and for the twin; configuration in arduino_secrets.h.
// Knobs (client.config): SECRET_RECONNECT 0 = connect() once, as forum sketches that call it only in setup() do
//   (they never come back after the broker restarts); 1 (default) = retry every 5 s in loop(), as PubSubClient's
//   mqtt_reconnect_nonblocking example at v2.8 does. SECRET_KEEPALIVE = setKeepAlive() seconds (default 15).
//   SECRET_RETRY_SIGNED_LONG 1 = time the retries as that example does, with a signed long (fails past 2^31 ms).
// Session knobs (lifecycle-persistent-session): SECRET_CLEAN_SESSION (default 1, what connect(id) and
//   connect(id, user, pass) send: PubSubClient.cpp:165-171 at v2.8 pass cleanSession=1), SECRET_SUB_QOS (0|1, the
//   subscription's QoS), SECRET_RANDOM_ID 1 = a random id suffix at every connect, as PubSubClient's mqtt_esp8266
//   example at v2.8 makes one in reconnect() (examples/mqtt_esp8266/mqtt_esp8266.ino:85-87), SECRET_SLEEP_MS > 0 =
//   a sleep cycle: SECRET_AWAKE_MS after connecting, "RIG: going offline for <ms> ms", disconnect(), the radio
//   quiet for that long, "RIG: awake", connect again.
// Lines: "RIG: connection lost state=<n>" when a connection ends; a serial command "state" answers
// "RIG: state=<n> connected=<0|1>", "millis" answers "RIG: millis=<n> up=<ms
// connected, 0 if not>". Lines starting "RIG: " are parsed by the rig.
#include <ESP8266WiFi.h>
#include <WiFiClientSecure.h>
#include <PubSubClient.h>
#include <time.h>
#include "arduino_secrets.h"
#ifndef SECRET_RECONNECT
#define SECRET_RECONNECT 1
#endif
#ifndef SECRET_KEEPALIVE
#define SECRET_KEEPALIVE 15
#endif
#ifndef SECRET_RETRY_SIGNED_LONG
#define SECRET_RETRY_SIGNED_LONG 0
#endif
#ifndef SECRET_CLEAN_SESSION
#define SECRET_CLEAN_SESSION 1
#endif
#ifndef SECRET_SUB_QOS
#define SECRET_SUB_QOS 0
#endif
#ifndef SECRET_RANDOM_ID
#define SECRET_RANDOM_ID 0
#endif
#ifndef SECRET_SLEEP_MS
#define SECRET_SLEEP_MS 0
#endif
#ifndef SECRET_AWAKE_MS
#define SECRET_AWAKE_MS 3000
#endif

BearSSL::WiFiClientSecure net;
PubSubClient mqtt(net);
#ifdef SECRET_CA_CERT
BearSSL::X509List caList(SECRET_CA_CERT);
#endif
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
BearSSL::X509List clientChain(SECRET_CLIENT_CERT);
BearSSL::PrivateKey clientKey(SECRET_CLIENT_KEY);
#endif
unsigned long lastAttempt = 0;
bool everTried = false;
long lastReconnectAttempt = 0;
unsigned long connectedAt = 0;  // millis() when the current connection was made

// Whether 5 s have passed since the last attempt. The default subtracts unsigned longs, which stays right across
// millis()'s wrap at 2^32 ms (49.7 days). SECRET_RETRY_SIGNED_LONG is PubSubClient's mqtt_reconnect_nonblocking
// example at v2.8 (lines 27, 53-58): a signed long, set to 0 once connected. Past 2^31 ms (24.8 days) `now` is
// negative, so now - 0 > 5000 fails until millis() wraps: a board that loses its broker then retries no more for up
// to 24.8 days (the Arduino millis() reference: "Even signed long may encounter errors").
bool retryDue() {
#if SECRET_RETRY_SIGNED_LONG
  long now = millis();
  if (now - lastReconnectAttempt > 5000) {
    lastReconnectAttempt = now;
    return true;
  }
  return false;
#else
  return (unsigned long)(millis() - lastAttempt) >= 5000;
#endif
}

void onMessage(char* topic, byte* payload, unsigned int length) {
  static char text[257];
  unsigned int n = length < sizeof(text) - 1 ? length : sizeof(text) - 1;
  memcpy(text, payload, n);
  text[n] = 0;
  Serial.print("RIG: echo ");
  Serial.println(text);
  mqtt.publish(SECRET_TOPIC "/echo", text);
}

void setClock() {
  configTime(0, 0, "pool.ntp.org", "time.nist.gov");
  Serial.print("Waiting for NTP time sync: ");
  time_t now = time(nullptr);
  unsigned long start = millis();
  // Give up after 15 s like many sketches do; the clock then stays near 1970 (TLS says 54).
  while (now < 1700000000 && millis() - start < 15000) {
    delay(500);
    Serial.print(".");
    now = time(nullptr);
  }
  Serial.println("");
  Serial.print("Current time: ");
  Serial.print(ctime(&now));
}

void setup() {
  Serial.begin(115200);
  Serial.println();
  Serial.print("Connecting to ");
  Serial.println(SECRET_SSID);
  WiFi.mode(WIFI_STA);
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println("");
  Serial.print("WiFi connected, IP address: ");
  Serial.println(WiFi.localIP());
  setClock();

#if SECRET_INSECURE
  net.setInsecure();
#elif defined(SECRET_CA_CERT)
  net.setTrustAnchors(&caList);
#endif
  net.setX509Time(time(nullptr));
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
  if (clientKey.isEC()) net.setClientECCert(&clientChain, &clientKey, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN, BR_KEYTYPE_EC);
  else net.setClientRSACert(&clientChain, &clientKey);
#endif

#if SECRET_BROKER_IS_IP
  IPAddress brokerIp;
  brokerIp.fromString(SECRET_BROKER);
  mqtt.setServer(brokerIp, SECRET_PORT);
#else
  mqtt.setServer(SECRET_BROKER, SECRET_PORT);
#endif
  mqtt.setCallback(onMessage);
  mqtt.setKeepAlive(SECRET_KEEPALIVE);
}

// The connection as the session knobs ask: the 8-argument connect() is the one that takes cleanSession.
bool connectMqtt(const char* user, const char* pass) {
  String id = SECRET_CLIENT_ID;
#if SECRET_RANDOM_ID
  id += "-";
  id += String(random(0xffff), HEX);
#endif
  return mqtt.connect(id.c_str(), user, pass, NULL, 0, false, NULL, SECRET_CLEAN_SESSION);
}

#if SECRET_SLEEP_MS
// The forum's sleep cycle: disconnect() before esp_deep_sleep_start() / ESP.deepSleep(). The twin has no deep
// sleep, so the board stays quiet for SECRET_SLEEP_MS with delay() and then connects again as setup() does after a
// wake-up. disconnect() sends DISCONNECT and stops the socket (PubSubClient.cpp disconnect() at v2.8).
void offlineCycle() {
  Serial.print("RIG: going offline for ");
  Serial.print(SECRET_SLEEP_MS);
  Serial.println(" ms");
  mqtt.disconnect();
  delay(SECRET_SLEEP_MS);
  Serial.println("RIG: awake");
}
#endif

void tryConnect() {
  Serial.print("Attempting MQTT connection...");
  const char* user = SECRET_MQTT_USER;
  bool ok = user[0] ? connectMqtt(SECRET_MQTT_USER, SECRET_MQTT_PASS) : connectMqtt(NULL, NULL);
  if (ok) {
    Serial.println("connected");
    connectedAt = millis();
    Serial.println("RIG: connected");
    mqtt.subscribe(SECRET_TOPIC "/cmd", SECRET_SUB_QOS);
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

bool wasConnected = false;
String command;

// Serial commands from the rig's writeSerial steps, one per line.
void serialCommands() {
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\r') continue;
    if (c != '\n') {
      if (command.length() < 64) command += c;
      continue;
    }
    if (command == "state") {
      Serial.print("RIG: state=");
      Serial.print(mqtt.state());
      Serial.print(" connected=");
      Serial.println(mqtt.connected() ? 1 : 0);
    } else if (command == "millis") {
      unsigned long now = millis();
      Serial.print("RIG: millis=");
      Serial.print(now);
      Serial.print(" up=");
      Serial.println(mqtt.connected() ? now - connectedAt : 0UL);
    }
    command = "";
  }
}

void loop() {
  serialCommands();
  if (!mqtt.connected()) {
    if (wasConnected) {
      wasConnected = false;
      Serial.print("RIG: connection lost state=");
      Serial.println(mqtt.state());
    }
    if (!everTried || (SECRET_RECONNECT && retryDue())) {
      everTried = true;
      lastAttempt = millis();
      tryConnect();
      if (mqtt.connected()) lastReconnectAttempt = 0;
    }
    delay(10);
    return;
  }
  wasConnected = true;
  mqtt.loop();
#if SECRET_SLEEP_MS
  if (millis() - connectedAt >= SECRET_AWAKE_MS) {
    offlineCycle();
    wasConnected = false;
    everTried = false;  // connect at once, as setup() does after a wake-up
  }
#endif
}
