// Time-zone support for decoding TIMESTAMP_TZ values.
//
// The engine sends TIMESTAMP_TZ as epoch microseconds (UTC) plus a zone string per row. Decoding
// needs (a) to decide whether the zone string is acceptable and (b) the zone's true UTC offset at
// that instant. Fixed offsets are handled by parse_fixed_offset(); named zones are read from the
// system tz database (TZif files, RFC 8536) through TimeZoneDatabase.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace e6data::wire {

// Offset of a fixed-offset zone string, in seconds east of UTC. Accepted forms are exactly
// "+HH:MM" / "-HH:MM" (HH <= 18, MM <= 59, |offset| <= 18:00, matching Java's ZoneOffset range),
// "Z" and "UTC". Returns nullopt for anything else; such text may still be a tz database name.
std::optional<int32_t> parse_fixed_offset(std::string_view zone);

// The periodic rule from a TZif v2+ footer, i.e. a POSIX TZ string such as
// "PST8PDT,M3.2.0,M11.1.0". Exposed so it can be tested on its own; most callers only need
// TimeZone.
class PosixTzRule {
 public:
  // Throws std::invalid_argument when `text` is not a valid POSIX TZ string (with the RFC 8536
  // extensions: rule times from -167 to 167 hours). An empty string is rejected too; TZif
  // footers that are empty simply have no rule.
  static PosixTzRule parse(std::string_view text);

  // Seconds east of UTC at the instant. Exact for every int64 input: the Gregorian calendar (and
  // its weekdays) repeats every 400 years, so the instant is first reduced into one cycle.
  int32_t utc_offset_at(int64_t utc_seconds) const noexcept;

  int32_t standard_offset() const noexcept { return std_offset_; }
  bool has_dst() const noexcept { return has_dst_; }

 private:
  enum class DateKind : uint8_t {
    kJulianNoLeap,  // "Jn": 1..365, February 29 is never counted
    kZeroBasedDay,  // "n": 0..365, February 29 counted in leap years
    kMonthWeekDay,  // "Mm.w.d"
  };
  struct TransitionRule {
    DateKind kind = DateKind::kMonthWeekDay;
    int32_t day = 0;      // n for the Julian forms, d (weekday, 0 = Sunday) for Mm.w.d
    int32_t month = 0;    // 1..12, Mm.w.d only
    int32_t week = 0;     // 1..5, Mm.w.d only (5 = last)
    int32_t time = 7200;  // seconds after local midnight; may be negative or exceed a day
  };

  static int64_t rule_day(const TransitionRule& rule, int64_t year) noexcept;

  int32_t std_offset_ = 0;  // seconds east of UTC
  int32_t dst_offset_ = 0;
  bool has_dst_ = false;
  TransitionRule dst_start_;
  TransitionRule dst_end_;
};

// An immutable zone loaded from TZif data.
class TimeZone {
 public:
  // Parses TZif bytes (versions 1 to 4). Throws std::invalid_argument with a clear message on
  // malformed data. Leap-second ("right/") data is rejected because its transition times are not
  // POSIX seconds. Header counts are checked against the input size before anything is sized
  // from them.
  static std::shared_ptr<const TimeZone> parse_tzif(std::string_view name, std::string_view bytes);

  const std::string& name() const noexcept { return name_; }

  // Seconds east of UTC at the instant. Before the first transition this is time type 0
  // (RFC 8536); after the last one it is the footer rule when present. Never throws; exact for
  // every int64 input.
  int32_t utc_offset_at(int64_t utc_seconds) const noexcept;

 private:
  TimeZone() = default;

  std::string name_;
  std::vector<int64_t> transition_times_;  // strictly ascending
  std::vector<int32_t> offsets_after_;     // offset in force from the matching transition on
  int32_t initial_offset_ = 0;             // time type 0
  std::optional<PosixTzRule> footer_rule_;
};

// Thread-safe cache of zones by name, loaded from a tz database directory.
class TimeZoneDatabase {
 public:
  // Misses are cached to keep bad zone strings from hitting the file system on every row, but
  // only this many, so hostile input cannot grow the cache without limit.
  static constexpr std::size_t kMaxCachedMisses = 1024;

  // `directory` "" means $TZDIR when set and non-empty, else /usr/share/zoneinfo.
  explicit TimeZoneDatabase(std::string directory = {});

  TimeZoneDatabase(const TimeZoneDatabase&) = delete;
  TimeZoneDatabase& operator=(const TimeZoneDatabase&) = delete;

  // Process-wide instance, created on first use.
  static TimeZoneDatabase& system();

  const std::string& directory() const noexcept { return directory_; }

  // The zone, or nullptr when `name` is not a safe tz name or no valid TZif file exists for it.
  std::shared_ptr<const TimeZone> find(std::string_view name);

  // Number of cached misses; never exceeds kMaxCachedMisses. For tests and diagnostics.
  std::size_t cached_miss_count() const;

  // Whether `name` is syntactically acceptable as a tz database name (no file access): non-empty,
  // at most 255 bytes, only [A-Za-z0-9._+-/], relative, no empty/"."/".." components, and not one
  // of the installation artefacts that are not zones (posixrules, localtime, posix/, right/).
  static bool is_acceptable_name(std::string_view name) noexcept;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };

  std::shared_ptr<const TimeZone> load(std::string_view name) const;

  std::string directory_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const TimeZone>, StringHash, std::equal_to<>>
      zones_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> misses_;
};

// Offset (seconds east of UTC) of any valid zone string, fixed or named, at the instant; nullopt
// when the zone string is invalid or names no zone in `db`.
std::optional<int32_t> zone_offset_at(std::string_view zone, int64_t utc_seconds,
                                      TimeZoneDatabase& db = TimeZoneDatabase::system());

}  // namespace e6data::wire
