#include "wire/chunk_decoder.hpp"

#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "wire/thrift_binary_reader.hpp"
#include "wire/value_format.hpp"

namespace e6data::wire {
namespace {

using detail::BoolArray;
using detail::ColumnData;

// Thrift's `byte` is a signed i8 on the wire: sign-extend it without going through `signed char`.
std::int64_t thrift_i8(std::uint8_t byte) {
  return byte < 0x80 ? std::int64_t{byte} : std::int64_t{byte} - 0x100;
}

// Data union member ids (e6x_vector.thrift `Data`).
enum Member : int {
  kNoMember = 0,
  kBoolData = 1,
  kInt32Data = 2,
  kInt64Data = 3,
  kDateData = 4,
  kFloat32Data = 5,
  kFloat64Data = 6,
  kVarcharData = 7,
  kBoolConstantData = 8,
  kDateConstantData = 9,
  kNullConstantData = 10,
  kNumericConstantData = 11,
  kNumericDecimalConstantData = 12,
  kTemporalIntervalConstantData = 13,
  kTimeConstantData = 14,
  kVarcharConstantData = 15,
  kTimeData = 16,
  kDecimal128Data = 17,
  kNumericDecimal128ConstantData = 18,
};

const char* member_name(int id) {
  static constexpr const char* kNames[] = {"none",
                                           "boolData",
                                           "int32Data",
                                           "int64Data",
                                           "dateData",
                                           "float32Data",
                                           "float64Data",
                                           "varcharData",
                                           "boolConstantData",
                                           "dateConstantData",
                                           "nullConstantData",
                                           "numericConstantData",
                                           "numericDecimalConstantData",
                                           "temporalIntervalConstantData",
                                           "timeConstantData",
                                           "varcharConstantData",
                                           "timeData",
                                           "decimal128Data",
                                           "numericDecimal128ConstantData"};
  return id >= 0 && id <= 18 ? kNames[id] : "unknown";
}

// The Data union's member, read but not yet checked against the vector that carries it.
// Views point into the input, which outlives decoding.
struct Staged {
  int member = kNoMember;
  std::size_t offset = 0;  // of the Data field, for messages
  bool has_data = false;   // the member struct's field 1 was present
  // list members
  std::size_t count = 0;
  BoolArray bools;
  detail::ValueVector<std::int32_t> int32s;
  detail::ValueVector<std::int64_t> int64s;
  detail::ValueVector<double> doubles;
  std::vector<std::string_view> strings;  // varchar or decimal128 list entries
  bool has_zones = false;
  std::vector<std::string_view> zones;
  // constant members
  bool bool_value = false;
  std::int64_t int_value = 0;
  double double_value = 0;
  std::string_view string_value;
  std::optional<std::string_view> zone_value;
  std::int32_t scale = 0;  // 0 when absent
};

struct StagedVector {
  std::size_t offset = 0;
  std::optional<std::int32_t> size;
  std::optional<std::int32_t> type;
  std::size_t type_offset = 0;
  std::optional<BoolArray> null_set;
  std::optional<Staged> data;
  bool constant = false;
  std::string_view zone_offset;
  std::string_view format;
};

[[noreturn]] void fail_at(const std::string& message, std::size_t offset) {
  throw DecodeError(message, offset);
}

// ---- Thrift structure -> staging ---------------------------------------------------------------

void read_bool_list(ThriftBinaryReader& r, BoolArray& out, const char* what) {
  const std::size_t n = r.read_list_header(TType::kBool, what);
  out = BoolArray(n, BoolArray::Uninitialized{});
  r.read_bool_values(n, out.data(), what);  // fills all n, or throws
}

void read_string_list(ThriftBinaryReader& r, std::vector<std::string_view>& out, const char* what) {
  const std::size_t n = r.read_list_header(TType::kString, what);
  out.clear();
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(r.read_binary(what));
}

// Reads the payload struct of member `id` into `s`.
void read_member(ThriftBinaryReader& r, int id, Staged& s) {
  for (;;) {
    const FieldHeader f = r.read_field_header();
    if (f.type == TType::kStop) return;
    if (f.id == 1) {
      s.has_data = true;
      switch (id) {
        case kBoolData:
          ThriftBinaryReader::expect_field_type(f, TType::kList, "BoolData.data");
          read_bool_list(r, s.bools, "BoolData.data");
          s.count = s.bools.size();
          break;
        case kInt32Data:
          ThriftBinaryReader::expect_field_type(f, TType::kList, "Int32Data.data");
          s.count = r.read_list_header(TType::kI32, "Int32Data.data");
          s.int32s.resize(s.count);
          r.read_i32_values(s.count, s.int32s.data());
          break;
        case kInt64Data:
        case kDateData:
          ThriftBinaryReader::expect_field_type(f, TType::kList, "Int64Data.data");
          s.count = r.read_list_header(TType::kI64, member_name(id));
          s.int64s.resize(s.count);
          r.read_i64_values(s.count, s.int64s.data());
          break;
        case kTimeData:
          ThriftBinaryReader::expect_field_type(f, TType::kList, "TimeData.data");
          s.count = r.read_list_header(TType::kI64, "TimeData.data");
          s.int64s.resize(s.count);
          r.read_i64_values(s.count, s.int64s.data());
          break;
        case kFloat32Data:
        case kFloat64Data:
          ThriftBinaryReader::expect_field_type(f, TType::kList, member_name(id));
          s.count = r.read_list_header(TType::kDouble, member_name(id));
          s.doubles.resize(s.count);
          r.read_double_values(s.count, s.doubles.data());
          break;
        case kVarcharData:
        case kDecimal128Data:
          ThriftBinaryReader::expect_field_type(f, TType::kList, member_name(id));
          read_string_list(r, s.strings, member_name(id));
          s.count = s.strings.size();
          break;
        case kBoolConstantData:
          ThriftBinaryReader::expect_field_type(f, TType::kBool, "BoolConstantData.data");
          s.bool_value = r.read_bool("BoolConstantData.data");
          break;
        case kDateConstantData:
        case kNumericConstantData:
        case kTimeConstantData:
          ThriftBinaryReader::expect_field_type(f, TType::kI64, member_name(id));
          s.int_value = r.read_i64(member_name(id));
          break;
        case kNullConstantData:
        case kTemporalIntervalConstantData:
          ThriftBinaryReader::expect_field_type(f, TType::kByte, member_name(id));
          s.int_value = thrift_i8(r.read_byte(member_name(id)));
          break;
        case kNumericDecimalConstantData:
          ThriftBinaryReader::expect_field_type(f, TType::kDouble, member_name(id));
          s.double_value = r.read_double(member_name(id));
          break;
        case kVarcharConstantData:
        case kNumericDecimal128ConstantData:
          ThriftBinaryReader::expect_field_type(f, TType::kString, member_name(id));
          s.string_value = r.read_binary(member_name(id));
          break;
        default:
          r.skip(f.type);
      }
    } else if (f.id == 2 && id == kTimeData) {
      ThriftBinaryReader::expect_field_type(f, TType::kList, "TimeData.zoneData");
      read_string_list(r, s.zones, "TimeData.zoneData");
      s.has_zones = true;
    } else if (f.id == 2 && id == kTimeConstantData) {
      ThriftBinaryReader::expect_field_type(f, TType::kString, "TimeConstantData.zoneData");
      s.zone_value = r.read_binary("TimeConstantData.zoneData");
    } else if (f.id == 2 && (id == kDecimal128Data || id == kNumericDecimal128ConstantData)) {
      ThriftBinaryReader::expect_field_type(f, TType::kI32, "Decimal128 scale");
      s.scale = r.read_i32("Decimal128 scale");
    } else {
      r.skip(f.type);
    }
  }
}

// Data is a union: exactly one member.
Staged read_data(ThriftBinaryReader& r, std::size_t data_offset) {
  Staged s;
  s.offset = data_offset;
  for (;;) {
    const FieldHeader f = r.read_field_header();
    if (f.type == TType::kStop) break;
    if (f.id >= 1 && f.id <= 18) {
      ThriftBinaryReader::expect_field_type(f, TType::kStruct, member_name(f.id));
      if (s.member != kNoMember) {
        fail_at(std::string("Data union has two members: ") + member_name(s.member) + " and " +
                    member_name(f.id),
                f.offset);
      }
      s.member = f.id;
      read_member(r, f.id, s);
    } else {
      r.skip(f.type);
    }
  }
  if (s.member == kNoMember) fail_at("Data union has no member set", data_offset);
  return s;
}

StagedVector read_vector(ThriftBinaryReader& r) {
  StagedVector v;
  v.offset = r.offset();
  for (;;) {
    const FieldHeader f = r.read_field_header();
    if (f.type == TType::kStop) return v;
    switch (f.id) {
      case 1:
        ThriftBinaryReader::expect_field_type(f, TType::kI32, "Vector.size");
        v.size = r.read_i32("Vector.size");
        break;
      case 2:
        ThriftBinaryReader::expect_field_type(f, TType::kI32, "Vector.vectorType");
        v.type_offset = f.offset;
        v.type = r.read_i32("Vector.vectorType");
        break;
      case 3: {
        ThriftBinaryReader::expect_field_type(f, TType::kList, "Vector.nullSet");
        BoolArray nulls;
        read_bool_list(r, nulls, "Vector.nullSet");
        v.null_set = std::move(nulls);
        break;
      }
      case 4:
        ThriftBinaryReader::expect_field_type(f, TType::kStruct, "Vector.data");
        v.data = read_data(r, f.offset);
        break;
      case 5:
        ThriftBinaryReader::expect_field_type(f, TType::kBool, "Vector.isConstantVector");
        v.constant = r.read_bool("Vector.isConstantVector");
        break;
      case 6:
        ThriftBinaryReader::expect_field_type(f, TType::kString, "Vector.zoneOffset");
        v.zone_offset = r.read_binary("Vector.zoneOffset");
        break;
      case 7:
        ThriftBinaryReader::expect_field_type(f, TType::kString, "Vector.format");
        v.format = r.read_binary("Vector.format");
        break;
      default:
        r.skip(f.type);
    }
  }
}

// ---- staging -> checked column ------------------------------------------------------------------

struct MemberRule {
  int values;    // member of a non-constant vector
  int constant;  // member of a constant vector
};

MemberRule member_rule(VectorType type) {
  switch (type) {
    case VectorType::kLong:
      return {kInt64Data, kNumericConstantData};
    case VectorType::kInteger:
      return {kInt32Data, kNumericConstantData};
    case VectorType::kDouble:
      return {kFloat64Data, kNumericDecimalConstantData};
    case VectorType::kFloat:
      return {kFloat32Data, kNumericDecimalConstantData};
    case VectorType::kBoolean:
      return {kBoolData, kBoolConstantData};
    case VectorType::kString:
    case VectorType::kArray:
    case VectorType::kMap:
    case VectorType::kStruct:
    case VectorType::kBinary:
      return {kVarcharData, kVarcharConstantData};
    case VectorType::kDate:
      return {kDateData, kDateConstantData};
    case VectorType::kDateTime:
    case VectorType::kTimestamp:
    case VectorType::kTimestampTz:
      return {kTimeData, kTimeConstantData};
    case VectorType::kDecimal128:
      return {kDecimal128Data, kNumericDecimal128ConstantData};
    case VectorType::kNull:
    case VectorType::kInt96:
      break;
  }
  return {kNoMember, kNoMember};
}

std::string describe(std::size_t column, VectorType type) {
  return "vector " + std::to_string(column) + " (" + std::string(to_string(type)) + ")";
}

// 16-byte big-endian two's complement.
int128 decode_decimal(std::string_view bytes) {
  uint128 v = 0;
  for (const char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return static_cast<int128>(v);
}

// Copies string entries into one buffer; rows past the list hold empty strings.
void store_strings(const std::vector<std::string_view>& entries, std::size_t rows,
                   ColumnData& out) {
  std::size_t total = 0;
  for (const auto s : entries) total += s.size();
  if (total > std::numeric_limits<std::uint32_t>::max()) {
    throw DecodeError("string data of one column exceeds 4 GiB", 0);
  }
  out.bytes.reserve(total);
  out.offsets.reserve(rows + 1);
  out.offsets.push_back(0);
  for (const auto s : entries) {
    out.bytes.append(s);
    out.offsets.push_back(static_cast<std::uint32_t>(out.bytes.size()));
  }
  out.offsets.resize(rows + 1, static_cast<std::uint32_t>(out.bytes.size()));
}

class ColumnAssembler {
 public:
  ColumnAssembler(StagedVector& staged, std::size_t index, std::int64_t rows,
                  TimeZoneDatabase& zones)
      : v_(staged), index_(index), rows_(static_cast<std::size_t>(rows)), zones_(zones) {}

  ColumnData assemble() {
    const auto type_id = *v_.type;
    const auto type = vector_type_from_id(type_id);
    if (!type) {
      fail_at("vector " + std::to_string(index_) + ": vectorType " + std::to_string(type_id) +
                  " is not in the VectorType enum",
              v_.type_offset);
    }
    out_.type = *type;
    out_.size = static_cast<std::int64_t>(rows_);
    out_.constant = v_.constant;
    out_.zone_offset = std::string(v_.zone_offset);
    out_.format = std::string(v_.format);
    if (out_.type == VectorType::kInt96) {
      fail_at(describe(index_, out_.type) + ": unsupported vector type INT96", v_.type_offset);
    }
    // NULL vectors: every row is null; nullSet and data are not read.
    if (out_.type == VectorType::kNull) return std::move(out_);

    take_null_set();
    if (!v_.data) fail_at(describe(index_, out_.type) + ": missing data", v_.offset);
    Staged& d = *v_.data;
    const MemberRule rule = member_rule(out_.type);
    const int expected = v_.constant ? rule.constant : rule.values;
    if (d.member != expected) {
      fail_at(describe(index_, out_.type) + (v_.constant ? " (constant)" : "") + ": data carries " +
                  member_name(d.member) + ", expected " + member_name(expected),
              d.offset);
    }
    if (v_.constant) {
      assemble_constant(d);
    } else {
      assemble_values(d);
    }
    return std::move(out_);
  }

 private:
  void take_null_set() {
    if (!v_.null_set) fail_at(describe(index_, out_.type) + ": missing nullSet", v_.offset);
    const std::size_t n = v_.null_set->size();
    // Non-constant: one entry per row. Constant: one entry for all rows, or one per row.
    const bool ok = v_.constant ? (n == 1 || n == rows_) : n == rows_;
    if (!ok) {
      fail_at(describe(index_, out_.type) + ": nullSet has " + std::to_string(n) +
                  " entries, expected " +
                  (v_.constant ? "1 or " + std::to_string(rows_) : std::to_string(rows_)),
              v_.offset);
    }
    out_.nulls = std::move(*v_.null_set);
  }

  bool row_null(std::size_t row) const {
    return out_.nulls.size() == 1 ? out_.nulls[0] : out_.nulls[row];
  }
  bool any_non_null() const {
    for (std::size_t i = 0; i < out_.nulls.size(); ++i) {
      if (!out_.nulls[i]) return true;
    }
    return false;
  }

  void require_data(const Staged& d) const {
    if (!d.has_data) {
      fail_at(describe(index_, out_.type) + ": " + member_name(d.member) + " has no data field",
              d.offset);
    }
  }

  // A data list has at most one entry per row; rows past its end must be null.
  void check_list_length(std::size_t count, const Staged& d, const char* what) const {
    if (count > rows_) {
      fail_at(describe(index_, out_.type) + ": " + what + " has " + std::to_string(count) +
                  " entries for " + std::to_string(rows_) + " rows",
              d.offset);
    }
    for (std::size_t row = count; row < rows_; ++row) {
      if (!row_null(row)) {
        fail_at(describe(index_, out_.type) + ": row " + std::to_string(row) + " is not null but " +
                    what + " has only " + std::to_string(count) + " entries",
                d.offset);
      }
    }
  }

  void assemble_values(Staged& d) {
    require_data(d);
    check_list_length(d.count, d, member_name(d.member));
    switch (d.member) {
      case kBoolData:
        out_.bools = std::move(d.bools);
        out_.bools.resize(rows_);
        break;
      case kInt32Data:
        out_.int32s = std::move(d.int32s);
        out_.int32s.resize(rows_, 0);  // rows past the list are null: zero, not garbage
        break;
      case kInt64Data:
      case kDateData:
        out_.int64s = std::move(d.int64s);
        out_.int64s.resize(rows_, 0);
        break;
      case kTimeData:
        out_.int64s = std::move(d.int64s);
        out_.int64s.resize(rows_, 0);
        if (out_.type == VectorType::kTimestampTz) assemble_zones(d);
        break;
      case kFloat32Data:
      case kFloat64Data:
        out_.doubles = std::move(d.doubles);
        out_.doubles.resize(rows_, 0.0);
        break;
      case kVarcharData:
        store_strings(d.strings, rows_, out_);
        break;
      case kDecimal128Data:
        out_.decimal_scale = d.scale;
        check_scale(d);
        out_.decimals.assign(rows_, 0);
        for (std::size_t row = 0; row < d.strings.size(); ++row) {
          if (row_null(row)) continue;  // placeholders at null rows are not interpreted
          out_.decimals[row] = checked_decimal(d.strings[row], d, row);
        }
        break;
      default:
        break;
    }
  }

  void assemble_constant(Staged& d) {
    const bool used = any_non_null();
    // An all-null constant may omit the value; one that applies to a row must carry it.
    if (!d.has_data && used) require_data(d);
    switch (d.member) {
      case kBoolConstantData:
        out_.bools = BoolArray(1);
        out_.bools[0] = d.bool_value;
        break;
      case kNumericConstantData:
        if (out_.type == VectorType::kInteger) {
          if (used && (d.int_value < std::numeric_limits<std::int32_t>::min() ||
                       d.int_value > std::numeric_limits<std::int32_t>::max())) {
            fail_at(describe(index_, out_.type) + ": constant " + std::to_string(d.int_value) +
                        " does not fit in 32 bits",
                    d.offset);
          }
          out_.int32s.assign(1, static_cast<std::int32_t>(d.int_value));
        } else {
          out_.int64s.assign(1, d.int_value);
        }
        break;
      case kDateConstantData:
      case kTimeConstantData:
        out_.int64s.assign(1, d.int_value);
        if (out_.type == VectorType::kTimestampTz) {
          out_.zone_index.assign(1, -1);
          if (d.zone_value && used) out_.zone_index[0] = intern_zone(*d.zone_value, d.offset, 0);
        }
        break;
      case kNumericDecimalConstantData:
        out_.doubles.assign(1, d.double_value);
        break;
      case kVarcharConstantData:
        store_strings({d.string_value}, 1, out_);
        break;
      case kNumericDecimal128ConstantData:
        out_.decimal_scale = d.scale;
        check_scale(d);
        out_.decimals.assign(1, 0);
        if (used) out_.decimals[0] = checked_decimal(d.string_value, d, 0);
        break;
      default:
        break;
    }
  }

  void check_scale(const Staged& d) const {
    // Formatting is exact and plain (no exponent), so an absurd scale from hostile bytes would
    // make every printed value that long; real DECIMAL128 scales are 0..38.
    if (d.scale < -kMaxDecimalScale || d.scale > kMaxDecimalScale) {
      fail_at(describe(index_, out_.type) + ": decimal scale " + std::to_string(d.scale) +
                  " is outside the supported range -" + std::to_string(kMaxDecimalScale) + ".." +
                  std::to_string(kMaxDecimalScale),
              d.offset);
    }
  }

  int128 checked_decimal(std::string_view bytes, const Staged& d, std::size_t row) const {
    if (bytes.size() != 16) {
      fail_at(describe(index_, out_.type) + ": row " + std::to_string(row) +
                  ": decimal128 value must be 16 bytes, has " + std::to_string(bytes.size()),
              d.offset);
    }
    return decode_decimal(bytes);
  }

  void assemble_zones(const Staged& d) {
    if (!d.has_zones) return;  // no zoneData: every row is UTC (zone_index stays empty)
    out_.zone_index.assign(rows_, -1);
    check_list_length(d.zones.size(), d, "TimeData.zoneData");
    for (std::size_t row = 0; row < d.zones.size(); ++row) {
      if (row_null(row)) continue;
      out_.zone_index[row] = intern_zone(d.zones[row], d.offset, row);
    }
  }

  // Validates a zone once per distinct string and returns its index in out_.zones.
  std::int32_t intern_zone(std::string_view zone, std::size_t offset, std::size_t row) {
    if (auto it = zone_ids_.find(zone); it != zone_ids_.end()) return it->second;
    detail::ZoneEntry entry;
    entry.name = std::string(zone);
    if (auto fixed = parse_fixed_offset(zone)) {
      entry.fixed = true;
      entry.fixed_offset_seconds = *fixed;
    } else if (auto tz = zones_.find(zone)) {
      entry.tz = std::move(tz);
    } else {
      fail_at(describe(index_, out_.type) + ": row " + std::to_string(row) + ": zone \"" +
                  printable(zone) +
                  "\" is neither +HH:MM/-HH:MM (at most 18:00), Z, UTC nor a tz database name",
              offset);
    }
    const auto id = static_cast<std::int32_t>(out_.zones.size());
    out_.zones.push_back(std::move(entry));
    zone_ids_.emplace(zone, id);
    return id;
  }

  static std::string printable(std::string_view s) {
    std::string out;
    for (const char c : s.substr(0, 64)) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
        out += c;
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\x";
        out += kHex[u >> 4];
        out += kHex[u & 15];
      }
    }
    if (s.size() > 64) out += "...";
    return out;
  }

  StagedVector& v_;
  std::size_t index_;
  std::size_t rows_;
  TimeZoneDatabase& zones_;
  ColumnData out_;
  std::unordered_map<std::string_view, std::int32_t> zone_ids_;
};

}  // namespace

Batch ChunkDecoder::decode(std::string_view payload) const {
  auto batch = std::make_shared<detail::BatchData>();
  // A zero-length payload is the end of results.
  if (payload.empty()) return Batch(std::move(batch));

  ThriftBinaryReader r(payload);
  std::optional<std::int32_t> size;
  std::optional<std::vector<StagedVector>> vectors;
  std::size_t vectors_offset = 0;
  for (;;) {
    const FieldHeader f = r.read_field_header();
    if (f.type == TType::kStop) break;
    if (f.id == 1) {
      ThriftBinaryReader::expect_field_type(f, TType::kI32, "Chunk.size");
      size = r.read_i32("Chunk.size");
    } else if (f.id == 2) {
      ThriftBinaryReader::expect_field_type(f, TType::kList, "Chunk.vectors");
      vectors_offset = f.offset;
      const std::size_t n = r.read_list_header(TType::kStruct, "Chunk.vectors");
      std::vector<StagedVector> staged;
      staged.reserve(n);
      for (std::size_t i = 0; i < n; ++i) staged.push_back(read_vector(r));
      vectors = std::move(staged);
    } else {
      r.skip(f.type);
    }
  }
  // Bytes after the Chunk's final stop are ignored.

  if (!size) fail_at("Chunk.size is missing", 0);
  if (*size < 0) fail_at("Chunk.size is negative (" + std::to_string(*size) + ")", 0);
  if (!vectors) {
    if (*size == 0) return Batch(std::move(batch));
    fail_at("Chunk.vectors is missing although Chunk.size is " + std::to_string(*size), 0);
  }
  for (std::size_t i = 0; i < vectors->size(); ++i) {
    const StagedVector& v = (*vectors)[i];
    if (!v.size) fail_at("vector " + std::to_string(i) + ": Vector.size is missing", v.offset);
    if (*v.size != *size) {
      fail_at("vector " + std::to_string(i) + ": Vector.size " + std::to_string(*v.size) +
                  " differs from Chunk.size " + std::to_string(*size),
              v.offset);
    }
    if (!v.type) fail_at("vector " + std::to_string(i) + ": vectorType is missing", v.offset);
  }
  if (options_.expected_columns && vectors->size() != *options_.expected_columns &&
      !(*size == 0 && vectors->empty())) {
    fail_at("the chunk has " + std::to_string(vectors->size()) +
                " vectors but the result metadata has " +
                std::to_string(*options_.expected_columns) + " fields",
            vectors_offset);
  }

  batch->rows = *size;
  batch->columns.reserve(vectors->size());
  for (std::size_t i = 0; i < vectors->size(); ++i) {
    batch->columns.push_back(ColumnAssembler((*vectors)[i], i, *size, *zones_).assemble());
  }
  return Batch(std::move(batch));
}

}  // namespace e6data::wire
