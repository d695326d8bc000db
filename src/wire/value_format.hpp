// Canonical text forms for values decoded from e6data result batches.
//
// Every function here produces one exact, locale-independent spelling so that
// decoded output can be compared byte for byte with other clients. The
// append_* variants write straight into a caller-owned buffer because these
// run once per printed value (millions per result set); the returning
// variants are thin conveniences over them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace e6data::wire {

__extension__ using int128 = __int128;  // __extension__ keeps -Wpedantic quiet.
__extension__ using uint128 = unsigned __int128;

// Largest |scale| format_decimal accepts. Bounds the zero padding we emit so a
// corrupt scale cannot make us allocate gigabytes.
inline constexpr int32_t kMaxDecimalScale = 1000;

// Exactly what Python 3's repr() prints for a float: shortest round-trip
// digits; fixed notation when the decimal exponent x of d.ddd x 10^x satisfies
// -4 <= x < 16 (always with a '.' and at least one fraction digit), otherwise
// scientific ("1e+16", "5e-324", "1.7976931348623157e+308"). Specials print as
// "nan" (sign ignored), "inf", "-inf", "0.0", "-0.0".
std::string format_double_repr(double v);
void append_double_repr(std::string& out, double v);

// "YYYY-MM-DD" in the proleptic Gregorian calendar for the UTC day containing
// epoch_us (microseconds since 1970-01-01T00:00:00Z, floor semantics). Years
// 0..9999 print as 4 digits, later years as '+' and all digits ("+10000"),
// negative years as '-' and at least 4 digits ("-0001"). Valid for every
// int64 input.
std::string format_date(int64_t epoch_us);
void append_date(std::string& out, int64_t epoch_us);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, always six fraction digits). Year rules
// as for format_date. Valid for every int64 input.
std::string format_timestamp_utc(int64_t epoch_us);
void append_timestamp_utc(std::string& out, int64_t epoch_us);

// Local wall time at UTC + offset_seconds, followed by the offset as "+HH:MM"
// or "-HH:MM", or "+HH:MM:SS" when the offset has a seconds part. A zero
// offset prints "+00:00". Valid for every int64 instant and every int32
// offset (offsets beyond +-99h print more than two hour digits).
std::string format_timestamp_at_offset(int64_t epoch_us, int32_t offset_seconds);
void append_timestamp_at_offset(std::string& out, int64_t epoch_us, int32_t offset_seconds);

// Decimal digits with a leading '-' for negatives; handles INT128_MIN.
std::string format_int128(int128 v);
void append_int128(std::string& out, int128 v);

// The exact value unscaled x 10^-scale in plain notation with exactly
// max(scale, 0) digits after the point: (12300, 2) -> "123.00",
// (5, -2) -> "500", (-1, 3) -> "-0.001", (0, -2) -> "0".
// Precondition: |scale| <= kMaxDecimalScale. Debug builds assert it; release
// builds clamp scale into that range so output size stays bounded.
std::string format_decimal(int128 unscaled, int32_t scale);
void append_decimal(std::string& out, int128 unscaled, int32_t scale);

// Lower-case hex of every byte ("00ff10"), as BINARY values are shown.
std::string format_hex(std::string_view bytes);
void append_hex(std::string& out, std::string_view bytes);

}  // namespace e6data::wire
