#include "NTPClient.h"

#include <string.h>

void NTPClient::begin(unsigned int port) {
  port_ = port;
  udp_->begin(port_);
  udpSetup_ = true;
}

void NTPClient::end() {
  udp_->stop();
  udpSetup_ = false;
}

void NTPClient::setRandomPort(unsigned int minValue, unsigned int maxValue) {
  randomSeed(analogRead(0));
  port_ = (unsigned int)random(minValue, maxValue);
}

bool NTPClient::update() {
  if (lastUpdate_ != 0 && millis() - lastUpdate_ < interval_) return false;
  if (!udpSetup_ || port_ != NTP_DEFAULT_LOCAL_PORT) begin(port_);
  return forceUpdate();
}

bool NTPClient::forceUpdate() {
  while (udp_->parsePacket() != 0) udp_->flush();  // drop stale answers
  sendRequest();
  int waited = 0;
  int size = 0;
  do {
    delay(10);
    size = udp_->parsePacket();
    if (waited > 100) return false;  // about a second without an answer
    waited++;
  } while (size == 0);
  lastUpdate_ = millis() - 10 * (unsigned long)(waited + 1);
  udp_->read(packet_, NTP_PACKET_SIZE);
  unsigned long secs1900 = (unsigned long)packet_[40] << 24 | (unsigned long)packet_[41] << 16 |
                           (unsigned long)packet_[42] << 8 | packet_[43];
  currentEpoch_ = secs1900 - SEVENZYYEARS;
  return true;
}

unsigned long NTPClient::getEpochTime() const {
  return (unsigned long)timeOffset_ + currentEpoch_ + (millis() - lastUpdate_) / 1000;
}

String NTPClient::getFormattedTime() const {
  unsigned long t = getEpochTime();
  char buf[12];
  snprintf(buf, sizeof buf, "%02lu:%02lu:%02lu", (t % 86400L) / 3600, (t % 3600) / 60, t % 60);
  return String(buf);
}

void NTPClient::sendRequest() {
  memset(packet_, 0, NTP_PACKET_SIZE);
  packet_[0] = 0xE3;  // LI 3 (unsynchronised), version 4, mode 3 (client)
  packet_[2] = 6;
  packet_[3] = 0xEC;
  packet_[12] = 49;
  packet_[13] = 0x4E;
  packet_[14] = 49;
  packet_[15] = 52;
  if (server_) udp_->beginPacket(server_, 123);
  else udp_->beginPacket(serverIP_, 123);
  udp_->write(packet_, NTP_PACKET_SIZE);
  udp_->endPacket();
}
