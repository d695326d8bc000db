// Golden outputs of every `e6data-cli query --format`: CSV quoting (RFC 4180), NULL versus the
// empty string, exact decimals and timestamps as the connector renders them, JSON types.

#include "result_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "wire/column_builder.hpp"

namespace e6data::cli {
namespace {

using wire::BatchBuilder;
using wire::ColumnBuilder;

const std::vector<ColumnInfo> kColumns = {
    {"id", "LONG", "", ""},      {"name", "STRING", "", ""},        {"price", "DECIMAL128", "", ""},
    {"at", "TIMESTAMP", "", ""}, {"local", "TIMESTAMP_TZ", "", ""}, {"ratio", "DOUBLE", "", ""},
    {"ok", "BOOLEAN", "", ""}};

// Three rows: plain values; values that need quoting or escaping; NULLs and extremes.
Batch sample() {
  ColumnBuilder id(VectorType::kLong);
  id.append_int64(1);
  id.append_int64(-9007199254740993);  // beyond 2^53: must stay exact in JSON
  id.append_null();
  ColumnBuilder name(VectorType::kString);
  name.append_bytes("plain");
  name.append_bytes("a,\"b\"\nc\td\\e|f");
  name.append_bytes("");
  ColumnBuilder price(VectorType::kDecimal128);
  price.set_decimal_scale(2);
  price.append_decimal(1234567);
  price.append_decimal(static_cast<int128>(-1));  // -0.01
  price.append_null();
  ColumnBuilder at(VectorType::kTimestamp);
  at.append_int64(1700000000123456);
  at.append_int64(0);
  at.append_null();
  ColumnBuilder local(VectorType::kTimestampTz);
  local.append_timestamp_tz(0, "Asia/Kolkata");
  local.append_timestamp_tz(1700000000000000, "Asia/Kolkata");
  local.append_null();
  ColumnBuilder ratio(VectorType::kDouble);
  ratio.append_double(0.1);
  ratio.append_double(std::nan(""));
  ratio.append_null();
  ColumnBuilder ok(VectorType::kBoolean);
  ok.append_bool(true);
  ok.append_bool(false);
  ok.append_null();
  BatchBuilder batch;
  batch.add_column(std::move(id).finish());
  batch.add_column(std::move(name).finish());
  batch.add_column(std::move(price).finish());
  batch.add_column(std::move(at).finish());
  batch.add_column(std::move(local).finish());
  batch.add_column(std::move(ratio).finish());
  batch.add_column(std::move(ok).finish());
  return std::move(batch).finish();
}

std::string render(OutputFormat format, std::optional<std::string> null_text = std::nullopt) {
  std::ostringstream out;
  auto writer = make_result_writer({format, std::move(null_text)}, out);
  writer->begin(kColumns);
  write_batch(*writer, sample());
  writer->end();
  return out.str();
}

TEST(ResultWriter, CsvQuotesPerRfc4180AndTellsNullFromEmpty) {
  EXPECT_EQ(
      render(OutputFormat::kCsv),
      "id,name,price,at,local,ratio,ok\r\n"
      "1,plain,12345.67,2023-11-14T22:13:20.123456Z,1970-01-01T05:30:00.000000+05:30[Asia/Kolkata],"
      "0.1,true\r\n"
      "-9007199254740993,\"a,\"\"b\"\"\nc\td\\e|f\",-0.01,1970-01-01T00:00:00.000000Z,"
      "2023-11-15T03:43:20.000000+05:30[Asia/Kolkata],nan,false\r\n"
      ",\"\",,,,,\r\n");
}

TEST(ResultWriter, CsvNullTextIsConfigurableAndAStringEqualToItIsQuoted) {
  std::ostringstream out;
  auto writer = make_result_writer({OutputFormat::kCsv, "NULL"}, out);
  writer->begin({{"s", "STRING", "", ""}});
  writer->row({Cell{Cell::Kind::kNull, ""}});
  writer->row({Cell{Cell::Kind::kString, "NULL"}});
  writer->end();
  EXPECT_EQ(out.str(), "s\r\nNULL\r\n\"NULL\"\r\n");
}

TEST(ResultWriter, TsvEscapesSeparatorsAndWritesNullAsBackslashN) {
  EXPECT_EQ(render(OutputFormat::kTsv),
            "id\tname\tprice\tat\tlocal\tratio\tok\n"
            "1\tplain\t12345.67\t2023-11-14T22:13:20.123456Z\t"
            "1970-01-01T05:30:00.000000+05:30[Asia/Kolkata]\t0.1\ttrue\n"
            "-9007199254740993\ta,\"b\"\\nc\\td\\\\e|f\t-0.01\t1970-01-01T00:00:00.000000Z\t"
            "2023-11-15T03:43:20.000000+05:30[Asia/Kolkata]\tnan\tfalse\n"
            "\\N\t\t\\N\t\\N\t\\N\t\\N\t\\N\n");
  EXPECT_EQ(render(OutputFormat::kTsv, "-").substr(render(OutputFormat::kTsv, "-").rfind("\n-")),
            "\n-\t\t-\t-\t-\t-\t-\n");
}

TEST(ResultWriter, JsonTypesNumbersBooleansNullAndKeepsDecimalsExactAsStrings) {
  EXPECT_EQ(
      render(OutputFormat::kJson),
      "[\n"
      "{\"id\":1,\"name\":\"plain\",\"price\":\"12345.67\",\"at\":\"2023-11-14T22:13:20."
      "123456Z\",\"local\":\"1970-01-01T05:30:00.000000+05:30[Asia/Kolkata]\",\"ratio\":0.1,"
      "\"ok\":true},\n"
      "{\"id\":-9007199254740993,\"name\":\"a,\\\"b\\\"\\nc\\td\\\\e|f\",\"price\":\"-0.01\","
      "\"at\":\"1970-01-01T00:00:00.000000Z\",\"local\":\"2023-11-15T03:43:20.000000+05:30[Asia/"
      "Kolkata]\",\"ratio\":\"nan\",\"ok\":false},\n"
      "{\"id\":null,\"name\":\"\",\"price\":null,\"at\":null,\"local\":null,\"ratio\":null,"
      "\"ok\":null}\n"
      "]\n");
}

TEST(ResultWriter, JsonOfAnEmptyResultIsAnEmptyArray) {
  std::ostringstream out;
  auto writer = make_result_writer({OutputFormat::kJson, std::nullopt}, out);
  writer->begin(kColumns);
  writer->end();
  EXPECT_EQ(out.str(), "[]\n");
}

TEST(ResultWriter, JsonLinesWritesOneObjectPerRow) {
  const std::string out = render(OutputFormat::kJsonl);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  EXPECT_EQ(out.substr(0, out.find('\n')),
            "{\"id\":1,\"name\":\"plain\",\"price\":\"12345.67\",\"at\":\"2023-11-14T22:13:20."
            "123456Z\",\"local\":\"1970-01-01T05:30:00.000000+05:30[Asia/Kolkata]\",\"ratio\":0.1,"
            "\"ok\":true}");
}

TEST(ResultWriter, JsonStringsReplaceInvalidUtf8AndEscapeControlCharacters) {
  std::ostringstream out;
  write_json_string(out, std::string("ok \xc3\xa9 bad \xff end \x01", 17));
  EXPECT_EQ(out.str(), "\"ok \xc3\xa9 bad \\ufffd end \\u0001\"");
}

TEST(ResultWriter, TableAlignsNumbersRightAndShowsNull) {
  std::ostringstream out;
  auto writer = make_result_writer({OutputFormat::kTable, std::nullopt}, out);
  writer->begin({{"n", "LONG", "", ""}, {"s", "STRING", "", ""}});
  writer->row({Cell{Cell::Kind::kNumber, "5"}, Cell{Cell::Kind::kString, "a\nb"}});
  writer->row({Cell{Cell::Kind::kNumber, "1234"}, Cell{}});
  writer->end();
  EXPECT_EQ(out.str(),
            "    n | s\n"
            "------+------\n"
            "    5 | a\\nb\n"
            " 1234 | NULL\n"
            "(2 rows)\n");
}

TEST(ResultWriter, VerticalWritesOneRecordPerRow) {
  std::ostringstream out;
  auto writer = make_result_writer({OutputFormat::kVertical, "(null)"}, out);
  writer->begin({{"id", "LONG", "", ""}, {"name", "STRING", "", ""}});
  writer->row({Cell{Cell::Kind::kNumber, "1"}, Cell{}});
  writer->end();
  EXPECT_EQ(out.str(),
            "-[ RECORD 1 ]-\n"
            "id   | 1\n"
            "name | (null)\n"
            "(1 row)\n");
}

TEST(ResultWriter, MarkdownEscapesPipesAndMarksNumericColumns) {
  std::ostringstream out;
  auto writer = make_result_writer({OutputFormat::kMarkdown, std::nullopt}, out);
  writer->begin({{"id", "LONG", "", ""}, {"text", "STRING", "", ""}});
  writer->row({Cell{Cell::Kind::kNumber, "7"}, Cell{Cell::Kind::kString, "a|b"}});
  writer->end();
  EXPECT_EQ(out.str(),
            "| id  | text |\n"
            "| --: | ---- |\n"
            "|   7 | a\\|b |\n");
}

TEST(ResultWriter, FormatNamesRoundTrip) {
  for (const auto& name : output_format_names()) EXPECT_TRUE(parse_output_format(name)) << name;
  EXPECT_FALSE(parse_output_format("xml"));
}

}  // namespace
}  // namespace e6data::cli
