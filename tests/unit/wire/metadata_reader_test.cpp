#include "wire/metadata_reader.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "e6data/errors.hpp"
#include "wire/metadata_writer.hpp"

namespace e6data::wire {
namespace {

TEST(MetadataReader, ReadsTheDocumentedExample) {
  // 0000000000000001 00000001 0005 "value" 0004 "LONG" 0000 0000
  const std::string bytes("\0\0\0\0\0\0\0\x01\0\0\0\x01\0\x05value\0\x04LONG\0\0\0\0", 29);
  const ResultSchema schema = read_result_metadata(bytes);
  EXPECT_EQ(schema.row_count, 1);
  ASSERT_EQ(schema.columns.size(), 1u);
  EXPECT_EQ(schema.columns[0], (ColumnInfo{"value", "LONG", "", ""}));
}

TEST(MetadataReader, RefusesAFieldCountTheInputCannotHold) {
  const std::string bytes("\0\0\0\0\0\0\0\0\x7f\xff\xff\xff", 12);
  try {
    read_result_metadata(bytes);
    FAIL();
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.offset(), 8u);
    EXPECT_NE(std::string(e.what()).find("2147483647"), std::string::npos);
  }
}

TEST(MetadataReader, ReportsWhereTheInputEnds) {
  ResultSchema schema{42, {{"id", "LONG", "", ""}, {"name", "STRING", "UTC", "fmt"}}};
  const std::string bytes = write_result_metadata(schema);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_THROW(read_result_metadata(bytes.substr(0, cut)), DecodeError) << cut;
  }
  EXPECT_EQ(read_result_metadata(bytes + "trailing"), schema);
}

TEST(MetadataWriter, RoundTripsUnicodeAndNul) {
  ResultSchema schema{
      -1, {{std::string("a\0b", 3), "STRING", "", ""}, {"\xF0\x9F\x98\x80", "LONG", "", ""}}};
  EXPECT_EQ(read_result_metadata(write_result_metadata(schema)), schema);
}

TEST(MetadataWriter, RefusesStringsLongerThanJavaAllows) {
  ResultSchema schema{0, {{std::string(65536, 'x'), "LONG", "", ""}}};
  EXPECT_THROW(write_result_metadata(schema), std::invalid_argument);
  schema.columns[0].name = std::string(65535, 'x');
  EXPECT_EQ(read_result_metadata(write_result_metadata(schema)), schema);
}

}  // namespace
}  // namespace e6data::wire
