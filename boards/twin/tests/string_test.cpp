// String (WString.h): what sketches build topics, payloads and log lines with.
#include "Arduino.h"
#include "check.h"

TEST(concat_of_text_numbers_and_flash_strings) {
  String s = "a";
  s += 1;
  s += 'b';
  s += F("-flash");
  CHECK_EQ(s, "a1b-flash");
  CHECK(s.concat(" more"));
  CHECK(!s.concat((const char*)nullptr));
  CHECK_EQ(s, "a1b-flash more");
  CHECK_EQ(String("v=") + 42 + "!", "v=42!");
  CHECK_EQ("x" + String(1), "x1");
  CHECK_EQ(String("t=") + 21.5, "t=21.50");
  CHECK_EQ(s.length(), 14u);
}

TEST(numbers_in_bases_as_the_boards_print_them) {
  CHECK_EQ(String(255, HEX), "ff");
  CHECK_EQ(String(5, BIN), "101");
  CHECK_EQ(String(-42), "-42");
  // A board's int and long are 32 bits: the two's complement has eight digits, not the host's sixteen.
  CHECK_EQ(String(-1, HEX), "ffffffff");
  CHECK_EQ(String(-1L, HEX), "ffffffff");
  CHECK_EQ(String(-1LL, HEX), "ffffffffffffffff");
  CHECK_EQ(String(4294967295UL), "4294967295");
}

TEST(floats_with_decimals_as_dtostrf_formats_them) {
  CHECK_EQ(String(1.5f), "1.50");
  CHECK_EQ(String(-2.5, 1), "-2.5");
  CHECK_EQ(String(0.125f, 2), "0.13");  // the ESP cores' dtostrf adds half a digit; printf would say 0.12
  CHECK_EQ(String(5.0f, 0), " 5");      // width decimals + 2, as the cores' String(float)
  CHECK_EQ(String(3.14159, 4), "3.1416");
}

TEST(index_of_and_last_index_of) {
  String s = "hello, hello";
  CHECK_EQ(s.indexOf('l'), 2);
  CHECK_EQ(s.indexOf("lo", 4), 10);
  CHECK_EQ(s.indexOf('z'), -1);
  CHECK_EQ(s.indexOf("hello", 100), -1);
  CHECK_EQ(s.lastIndexOf('h'), 7);
  CHECK_EQ(s.lastIndexOf("ll"), 9);
}

TEST(substring_clamps_and_swaps_like_the_cores) {
  String s = "abcdef";
  CHECK_EQ(s.substring(2), "cdef");
  CHECK_EQ(s.substring(1, 3), "bc");
  CHECK_EQ(s.substring(3, 1), "bc");
  CHECK_EQ(s.substring(4, 100), "ef");
  CHECK_EQ(s.substring(10), "");
  CHECK_EQ(s, "abcdef");
}

TEST(to_int_and_to_float_read_a_leading_number) {
  CHECK_EQ(String("123abc").toInt(), 123L);
  CHECK_EQ(String("  -42").toInt(), -42L);
  CHECK_EQ(String("abc").toInt(), 0L);
  CHECK_EQ(String("").toInt(), 0L);
  CHECK_EQ(String("3.5").toFloat(), 3.5f);
}

TEST(replace_text_and_characters) {
  String a = "aaaa";
  a.replace("aa", "b");
  CHECK_EQ(a, "bb");
  String b = "a.b.c";
  b.replace(".", "::");
  CHECK_EQ(b, "a::b::c");
  b.replace(':', '-');
  CHECK_EQ(b, "a--b--c");
  String c = "same";
  c.replace("", "x");
  CHECK_EQ(c, "same");
}

TEST(c_str_stays_valid_until_the_string_changes) {
  String s = "hello";
  const char* p = s.c_str();
  String copy = s;
  (void)s.indexOf('l');
  (void)s.substring(1);
  (void)s.equals(copy);
  CHECK(p == s.c_str());
  CHECK_EQ(p, "hello");
  s += " world";
  CHECK_EQ(s.c_str(), "hello world");
  CHECK_EQ(strlen(s.c_str()), 11u);
  s.remove(5);
  CHECK_EQ(s.c_str(), "hello");
  CHECK_EQ(copy.c_str(), "hello");
  String empty;
  CHECK(empty.c_str() != nullptr);
  CHECK_EQ(empty.c_str(), "");
}

TEST(compare_trim_case_and_prefixes) {
  String s = "  MQTT Broker \r\n";
  s.trim();
  CHECK_EQ(s, "MQTT Broker");
  CHECK(s.startsWith("MQTT"));
  CHECK(s.endsWith("Broker"));
  CHECK(s.equalsIgnoreCase("mqtt broker"));
  s.toLowerCase();
  CHECK_EQ(s, "mqtt broker");
  CHECK(String("a") < String("b"));
  CHECK(String("x") == "x");
  CHECK(String("x") != "y");
}
