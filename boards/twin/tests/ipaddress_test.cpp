// IPAddress (IPAddress.h): parsing a broker address, printing it, comparing it.
#include "Arduino.h"
#include "check.h"

TEST(from_string_parses_a_dotted_quad) {
  IPAddress ip;
  CHECK(ip.fromString("192.168.0.52"));
  CHECK_EQ(ip[0], 192);
  CHECK_EQ(ip[3], 52);
  CHECK_EQ(ip.toString(), "192.168.0.52");
  CHECK(ip.fromString(String("10.0.0.1")));
  CHECK_EQ(ip.toString(), "10.0.0.1");
}

TEST(from_string_rejects_what_is_not_four_numbers_and_keeps_the_old_value) {
  IPAddress ip(1, 2, 3, 4);
  const char* bad[] = {"256.1.1.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "1..2.3", "", "1.2.3.4 ", "raspberry"};
  for (const char* b : bad) {
    if (ip.fromString(b)) check::fail(__FILE__, __LINE__, std::string("accepted ") + check::show(b));
  }
  CHECK_EQ(ip.toString(), "1.2.3.4");
}

TEST(equality_and_the_raw_32_bit_value) {
  CHECK(IPAddress(10, 0, 0, 1) == IPAddress(10, 0, 0, 1));
  CHECK(IPAddress(10, 0, 0, 1) != IPAddress(10, 0, 0, 2));
  const uint8_t raw[4] = {10, 0, 0, 1};
  CHECK(IPAddress(10, 0, 0, 1) == raw);
  // Network byte order in memory, as on the (little-endian) boards.
  CHECK_EQ((uint32_t)IPAddress(1, 2, 3, 4), 0x04030201u);
  CHECK(IPAddress(192, 168, 0, 1) == IPAddress((uint32_t)0x0100A8C0));
  CHECK(!IPAddress().isSet());
  CHECK(IPAddress(127, 0, 0, 1).isSet());
}

TEST(prints_itself_and_joins_strings) {
  IPAddress ip(172, 17, 0, 1);
  CHECK_EQ(String("broker ") + ip.toString(), "broker 172.17.0.1");
}
