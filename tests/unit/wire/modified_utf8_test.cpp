#include "wire/modified_utf8.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "e6data/errors.hpp"

namespace e6data::wire {
namespace {

TEST(ModifiedUtf8, AcceptsJavaNulAndSurrogatePairs) {
  EXPECT_EQ(modified_utf8_to_utf8(std::string("a\xC0\x80z", 4), 0), std::string("a\0z", 3));
  // U+1F600 as CESU-8: ED A0 BD ED B8 80.
  EXPECT_EQ(modified_utf8_to_utf8("\xED\xA0\xBD\xED\xB8\x80", 0), "\xF0\x9F\x98\x80");
}

TEST(ModifiedUtf8, AcceptsStandardUtf8AndRawNul) {
  EXPECT_EQ(modified_utf8_to_utf8("h\xC3\xA9llo \xF0\x9F\x98\x80", 0),
            "h\xC3\xA9llo \xF0\x9F\x98\x80");
  EXPECT_EQ(modified_utf8_to_utf8(std::string("\0", 1), 0), std::string("\0", 1));
}

TEST(ModifiedUtf8, RefusesInvalidSequencesAtTheirOffset) {
  struct Case {
    std::string bytes;
    std::size_t offset;
  };
  const Case cases[] = {
      {"ab\xFF", 2},            // invalid byte
      {"a\xC1\xBF", 1},         // overlong 2-byte
      {"\xE0\x80\xAF", 0},      // overlong 3-byte
      {"\xF0\x80\x80\xAF", 0},  // overlong 4-byte
      {"x\xED\xA0\xBD", 1},     // high surrogate without its pair
      {"\xED\xB8\x80", 0},      // lone low surrogate
      {"\xC3", 0},              // truncated
      {"\xE2\x82", 0},          // truncated
      {"\x80", 0},              // stray continuation
      {"\xF4\x90\x80\x80", 0},  // above U+10FFFF
  };
  for (const auto& c : cases) {
    try {
      modified_utf8_to_utf8(c.bytes, 100);
      ADD_FAILURE() << "accepted " << ::testing::PrintToString(c.bytes);
    } catch (const DecodeError& e) {
      EXPECT_EQ(e.offset(), 100 + c.offset) << e.what();
    }
  }
}

TEST(ModifiedUtf8, WriterProducesWhatJavaWrites) {
  EXPECT_EQ(utf8_to_modified_utf8(std::string("a\0", 2)), "a\xC0\x80");
  EXPECT_EQ(utf8_to_modified_utf8("\xF0\x9F\x98\x80"), "\xED\xA0\xBD\xED\xB8\x80");
  EXPECT_THROW(utf8_to_modified_utf8("\xFF"), std::invalid_argument);
}

TEST(ModifiedUtf8, RandomCodePointsRoundTrip) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text;
    for (int i = 0; i < 8; ++i) {
      std::uint32_t cp = static_cast<std::uint32_t>(rng() % 0x110000);
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0x41;
      if (cp < 0x80) {
        text += static_cast<char>(cp);
      } else if (cp < 0x800) {
        text += static_cast<char>(0xC0 | (cp >> 6));
        text += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        text += static_cast<char>(0xE0 | (cp >> 12));
        text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        text += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        text += static_cast<char>(0xF0 | (cp >> 18));
        text += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        text += static_cast<char>(0x80 | (cp & 0x3F));
      }
    }
    ASSERT_TRUE(is_valid_utf8(text));
    EXPECT_EQ(modified_utf8_to_utf8(utf8_to_modified_utf8(text), 0), text);
  }
}

TEST(Utf8, ValidatorAgreesWithTheStrictRules) {
  EXPECT_TRUE(is_valid_utf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));      // Java's NUL is not standard UTF-8
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(is_valid_utf8("a\xFF"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
}

}  // namespace
}  // namespace e6data::wire
