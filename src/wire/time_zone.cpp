#include "wire/time_zone.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace e6data::wire {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
// 400 Gregorian years; 146097 days is a multiple of 7, so weekdays repeat with the calendar.
constexpr int64_t kDaysPer400Years = 146097;
constexpr int64_t kSecondsPer400Years = kDaysPer400Years * kSecondsPerDay;
constexpr int32_t kMaxFixedOffsetSeconds = 18 * 3600;
constexpr std::size_t kMaxZoneNameLength = 255;
// Real TZif files are a few KiB; anything far larger is not a zone we want to hold in memory.
constexpr int64_t kMaxTzifFileBytes = 1 << 20;
constexpr std::string_view kDefaultZoneDirectory = "/usr/share/zoneinfo";

int64_t floor_div(int64_t a, int64_t b) noexcept {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t floor_mod(int64_t a, int64_t b) noexcept {
  return a - floor_div(a, b) * b;
}

bool is_leap_year(int64_t year) noexcept {
  return (year % 4 == 0) && ((year % 100 != 0) || (year % 400 == 0));
}

int64_t days_in_month(int64_t year, int32_t month) noexcept {
  static constexpr std::array<int8_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (month == 2 && is_leap_year(year)) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// Days since 1970-01-01 of a proleptic Gregorian date. Counting from March 1 puts the leap day
// at the end of a "shifted year", which makes the day-of-year formula uniform.
int64_t days_from_civil(int64_t year, int32_t month, int32_t day) noexcept {
  const int64_t shifted_year = month <= 2 ? year - 1 : year;
  const int64_t era = floor_div(shifted_year, 400);
  const int64_t year_of_era = shifted_year - era * 400;                 // [0, 399]
  const int64_t shifted_month = month > 2 ? month - 3 : month + 9;      // March = 0
  const int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;  // [0, 365]
  const int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
  // 719468 = days from 0000-03-01 to 1970-01-01.
  return era * kDaysPer400Years + day_of_era - 719468;
}

// Calendar year containing the given day (days since 1970-01-01).
int64_t year_from_days(int64_t days) noexcept {
  const int64_t shifted = days + 719468;
  const int64_t era = floor_div(shifted, kDaysPer400Years);
  const int64_t day_of_era = shifted - era * kDaysPer400Years;  // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t shifted_month = (5 * day_of_year + 2) / 153;  // March = 0
  const int64_t year = era * 400 + year_of_era;
  return shifted_month >= 10 ? year + 1 : year;  // January and February belong to the next year
}

// 0 = Sunday; 1970-01-01 was a Thursday.
int64_t weekday_from_days(int64_t days) noexcept {
  return floor_mod(days + 4, 7);
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Cursor over a POSIX TZ string. Every failure names the offending string so a bad footer in a
// zone file is diagnosable from the exception text alone.
class TzStringParser {
 public:
  explicit TzStringParser(std::string_view text) : text_(text) {}

  bool at_end() const noexcept { return pos_ >= text_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }
  bool consume(char c) noexcept {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
  }

  [[noreturn]] void fail(std::string_view what) const {
    throw std::invalid_argument("invalid POSIX TZ string \"" + std::string(text_) +
                                "\": " + std::string(what));
  }

  // std or dst designation: at least three letters, or "<...>" with letters, digits, '+', '-'.
  void skip_name() {
    std::size_t length = 0;
    if (consume('<')) {
      while (!at_end() && peek() != '>') {
        const char c = peek();
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-') fail("bad character in <name>");
        ++pos_;
        ++length;
      }
      if (!consume('>')) fail("unterminated <name>");
    } else {
      while (is_alpha(peek())) {
        ++pos_;
        ++length;
      }
    }
    if (length < 3) fail("zone designation shorter than three characters");
  }

  int32_t parse_number(int32_t max_digits, int32_t max_value, std::string_view what) {
    int32_t value = 0;
    int32_t digits = 0;
    while (is_digit(peek()) && digits < max_digits) {
      value = value * 10 + (peek() - '0');
      ++pos_;
      ++digits;
    }
    if (digits == 0) fail(std::string("expected digits for ") + std::string(what));
    if (is_digit(peek())) fail(std::string("too many digits in ") + std::string(what));
    if (value > max_value) fail(std::string(what) + " out of range");
    return value;
  }

  // [+-]hh[:mm[:ss]] as a signed number of seconds.
  int32_t parse_signed_time(int32_t max_hours, std::string_view what) {
    int32_t sign = 1;
    if (consume('-')) {
      sign = -1;
    } else {
      consume('+');
    }
    const int32_t digits_for_hours = max_hours >= 100 ? 3 : 2;
    int32_t seconds = parse_number(digits_for_hours, max_hours, what) * 3600;
    if (consume(':')) {
      seconds += parse_number(2, 59, what) * 60;
      if (consume(':')) seconds += parse_number(2, 59, what);
    }
    return sign * seconds;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

int32_t read_be32(const unsigned char* p) noexcept {
  const uint32_t value =
      (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  return static_cast<int32_t>(value);
}

int64_t read_be64(const unsigned char* p) noexcept {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | p[i];
  return static_cast<int64_t>(value);
}

struct TzifCounts {
  uint32_t isut = 0;
  uint32_t isstd = 0;
  uint32_t leap = 0;
  uint32_t time = 0;
  uint32_t type = 0;
  uint32_t chars = 0;
};

constexpr std::size_t kTzifHeaderBytes = 44;

// Bounds-checked reader over TZif bytes; all errors carry the zone name.
class TzifReader {
 public:
  TzifReader(std::string_view name, std::string_view bytes) : name_(name), bytes_(bytes) {}

  [[noreturn]] void fail(std::string_view what) const {
    throw std::invalid_argument("invalid TZif data for zone \"" + std::string(name_) +
                                "\": " + std::string(what));
  }

  std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  std::size_t position() const noexcept { return pos_; }

  const unsigned char* take(std::size_t count) {
    if (count > remaining()) fail("truncated");
    const auto* p = reinterpret_cast<const unsigned char*>(bytes_.data() + pos_);
    pos_ += count;
    return p;
  }

  // Returns the header's version byte (0 for version 1) and counts.
  std::pair<char, TzifCounts> read_header() {
    if (remaining() < kTzifHeaderBytes) fail("truncated header");
    const unsigned char* p = take(kTzifHeaderBytes);
    if (p[0] != 'T' || p[1] != 'Z' || p[2] != 'i' || p[3] != 'f') fail("missing TZif magic");
    const char version = static_cast<char>(p[4]);
    if (version != '\0' && (version < '2' || version > '4')) fail("unsupported TZif version");
    TzifCounts counts;
    counts.isut = static_cast<uint32_t>(read_be32(p + 20));
    counts.isstd = static_cast<uint32_t>(read_be32(p + 24));
    counts.leap = static_cast<uint32_t>(read_be32(p + 28));
    counts.time = static_cast<uint32_t>(read_be32(p + 32));
    counts.type = static_cast<uint32_t>(read_be32(p + 36));
    counts.chars = static_cast<uint32_t>(read_be32(p + 40));
    if (counts.type == 0) fail("typecnt is zero");
    if (counts.type > 256) fail("typecnt exceeds 256");
    if (counts.chars == 0) fail("charcnt is zero");
    if (counts.isut != 0 && counts.isut != counts.type) fail("isutcnt differs from typecnt");
    if (counts.isstd != 0 && counts.isstd != counts.type) fail("isstdcnt differs from typecnt");
    return {version, counts};
  }

  // Size of a data block described by `counts`; 64-bit arithmetic so 32-bit counts cannot wrap.
  static uint64_t data_block_bytes(const TzifCounts& counts, uint64_t time_size) noexcept {
    return uint64_t{counts.time} * time_size + counts.time + uint64_t{counts.type} * 6 +
           counts.chars + uint64_t{counts.leap} * (time_size + 4) + counts.isstd + counts.isut;
  }

  void require_data_block(const TzifCounts& counts, uint64_t time_size) const {
    if (data_block_bytes(counts, time_size) > remaining()) {
      fail("header counts exceed the data size");
    }
  }

 private:
  std::string_view name_;
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

constexpr std::array<std::string_view, 4> kNonZoneNames = {"posixrules", "localtime", "posix",
                                                           "right"};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Fixed offsets

std::optional<int32_t> parse_fixed_offset(std::string_view zone) {
  if (zone == "Z" || zone == "UTC") return 0;
  if (zone.size() != 6) return std::nullopt;
  if ((zone[0] != '+' && zone[0] != '-') || zone[3] != ':') return std::nullopt;
  if (!is_digit(zone[1]) || !is_digit(zone[2]) || !is_digit(zone[4]) || !is_digit(zone[5])) {
    return std::nullopt;
  }
  const int32_t hours = (zone[1] - '0') * 10 + (zone[2] - '0');
  const int32_t minutes = (zone[4] - '0') * 10 + (zone[5] - '0');
  if (hours > 18 || minutes > 59) return std::nullopt;
  const int32_t seconds = hours * 3600 + minutes * 60;
  if (seconds > kMaxFixedOffsetSeconds) return std::nullopt;
  return zone[0] == '-' ? -seconds : seconds;
}

// ---------------------------------------------------------------------------------------------
// POSIX TZ rules

PosixTzRule PosixTzRule::parse(std::string_view text) {
  TzStringParser parser(text);
  if (text.empty()) parser.fail("empty");
  PosixTzRule rule;
  parser.skip_name();
  // POSIX offsets count hours west of UTC; we store seconds east.
  rule.std_offset_ = -parser.parse_signed_time(24, "standard offset");
  if (parser.at_end()) return rule;

  parser.skip_name();
  rule.has_dst_ = true;
  rule.dst_offset_ = rule.std_offset_ + 3600;  // POSIX default: one hour ahead of standard
  if (!parser.at_end() && parser.peek() != ',') {
    rule.dst_offset_ = -parser.parse_signed_time(24, "daylight offset");
  }

  auto parse_date = [&parser](TransitionRule& out) {
    if (parser.consume('J')) {
      out.kind = DateKind::kJulianNoLeap;
      out.day = parser.parse_number(3, 365, "Julian day");
      if (out.day < 1) parser.fail("Julian day must be 1..365");
    } else if (parser.consume('M')) {
      out.kind = DateKind::kMonthWeekDay;
      out.month = parser.parse_number(2, 12, "month");
      if (out.month < 1) parser.fail("month must be 1..12");
      if (!parser.consume('.')) parser.fail("expected '.' after month");
      out.week = parser.parse_number(1, 5, "week");
      if (out.week < 1) parser.fail("week must be 1..5");
      if (!parser.consume('.')) parser.fail("expected '.' after week");
      out.day = parser.parse_number(1, 6, "weekday");
    } else {
      out.kind = DateKind::kZeroBasedDay;
      out.day = parser.parse_number(3, 365, "day");
    }
    out.time = 7200;  // POSIX default 02:00:00
    // RFC 8536 section 3.3.1 extends the hour range to -167..167.
    if (parser.consume('/')) out.time = parser.parse_signed_time(167, "transition time");
  };

  if (parser.consume(',')) {
    parse_date(rule.dst_start_);
    if (!parser.consume(',')) parser.fail("expected ',' before DST end rule");
    parse_date(rule.dst_end_);
  } else {
    // No rule given: the traditional US default, as C libraries use when posixrules is absent.
    rule.dst_start_ = TransitionRule{DateKind::kMonthWeekDay, 0, 3, 2, 7200};
    rule.dst_end_ = TransitionRule{DateKind::kMonthWeekDay, 0, 11, 1, 7200};
  }
  if (!parser.at_end()) parser.fail("unexpected trailing characters");
  return rule;
}

// Days since 1970-01-01 of the local date on which the rule fires in `year`.
int64_t PosixTzRule::rule_day(const TransitionRule& rule, int64_t year) noexcept {
  const int64_t jan1 = days_from_civil(year, 1, 1);
  switch (rule.kind) {
    case DateKind::kJulianNoLeap: {
      // February 29 is skipped, so days from March on shift by one in leap years.
      const int64_t skip_leap_day = (is_leap_year(year) && rule.day >= 60) ? 1 : 0;
      return jan1 + rule.day - 1 + skip_leap_day;
    }
    case DateKind::kZeroBasedDay:
      return jan1 + rule.day;
    case DateKind::kMonthWeekDay: {
      const int64_t first = days_from_civil(year, rule.month, 1);
      const int64_t first_match = first + floor_mod(rule.day - weekday_from_days(first), 7);
      int64_t day = first_match + 7 * int64_t{rule.week - 1};
      // Week 5 means "last"; it may overshoot the month by a week.
      if (day >= first + days_in_month(year, rule.month)) day -= 7;
      return day;
    }
  }
  return jan1;
}

int32_t PosixTzRule::utc_offset_at(int64_t utc_seconds) const noexcept {
  if (!has_dst_) return std_offset_;
  // Reduce into [1970, 2370) so the arithmetic below stays small for any int64 input.
  const int64_t cycles = floor_div(utc_seconds, kSecondsPer400Years);
  const int64_t t = utc_seconds - cycles * kSecondsPer400Years;
  const int64_t year = year_from_days(floor_div(t + std_offset_, kSecondsPerDay));

  // Transitions of the neighbouring years as well: rule times outside 0..24h (and the offsets
  // themselves) can move a transition across a year boundary.
  struct Event {
    int64_t at;
    bool dst_after;
  };
  std::array<Event, 6> events{};
  std::size_t n = 0;
  for (int64_t y = year - 1; y <= year + 1; ++y) {
    // The start time is in standard local time, the end time in daylight local time.
    events[n++] = {rule_day(dst_start_, y) * kSecondsPerDay + dst_start_.time - std_offset_, true};
    events[n++] = {rule_day(dst_end_, y) * kSecondsPerDay + dst_end_.time - dst_offset_, false};
  }
  // On a tie the DST start wins, so rules like "0/0,J365/25" mean daylight time all year.
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.at != b.at ? a.at < b.at : (!a.dst_after && b.dst_after);
  });
  bool in_dst = !events.front().dst_after;
  for (const Event& event : events) {
    if (event.at > t) break;
    in_dst = event.dst_after;
  }
  return in_dst ? dst_offset_ : std_offset_;
}

// ---------------------------------------------------------------------------------------------
// TZif

std::shared_ptr<const TimeZone> TimeZone::parse_tzif(std::string_view name,
                                                     std::string_view bytes) {
  TzifReader reader(name, bytes);
  auto [version, counts] = reader.read_header();
  uint64_t time_size = 4;
  if (version != '\0') {
    // Skip the version-1 block; the 64-bit block after the second header supersedes it.
    reader.require_data_block(counts, 4);
    reader.take(static_cast<std::size_t>(TzifReader::data_block_bytes(counts, 4)));
    auto [version2, counts2] = reader.read_header();
    if (version2 != version) reader.fail("second header version differs from the first");
    counts = counts2;
    time_size = 8;
  }
  reader.require_data_block(counts, time_size);
  if (counts.leap != 0) {
    reader.fail("leap-second records are not supported (transition times would not be POSIX)");
  }

  std::shared_ptr<TimeZone> zone(new TimeZone());
  zone->name_ = std::string(name);

  const unsigned char* times = reader.take(counts.time * time_size);
  const unsigned char* indices = reader.take(counts.time);
  const unsigned char* types = reader.take(std::size_t{counts.type} * 6);
  reader.take(counts.chars);  // abbreviations are not needed for offsets
  const unsigned char* isstd = reader.take(counts.isstd);
  const unsigned char* isut = reader.take(counts.isut);

  std::vector<int32_t> type_offsets(counts.type);
  for (uint32_t i = 0; i < counts.type; ++i) {
    const unsigned char* type = types + std::size_t{i} * 6;
    const int32_t utoff = read_be32(type);
    // RFC 8536: -2^31 is forbidden (its negation overflows).
    if (utoff == INT32_MIN) reader.fail("time type has utoff -2^31");
    if (type[4] > 1) reader.fail("time type isdst is not 0 or 1");
    if (type[5] >= counts.chars) reader.fail("time type abbreviation index out of range");
    type_offsets[i] = utoff;
  }
  for (uint32_t i = 0; i < counts.isstd; ++i) {
    if (isstd[i] > 1) reader.fail("standard/wall indicator is not 0 or 1");
  }
  for (uint32_t i = 0; i < counts.isut; ++i) {
    if (isut[i] > 1) reader.fail("UT/local indicator is not 0 or 1");
  }

  zone->transition_times_.reserve(counts.time);
  zone->offsets_after_.reserve(counts.time);
  for (uint32_t i = 0; i < counts.time; ++i) {
    const unsigned char* p = times + std::size_t{i} * time_size;
    const int64_t at = time_size == 8 ? read_be64(p) : int64_t{read_be32(p)};
    if (!zone->transition_times_.empty() && at <= zone->transition_times_.back()) {
      reader.fail("transition times are not strictly ascending");
    }
    if (indices[i] >= counts.type) reader.fail("transition type index out of range");
    zone->transition_times_.push_back(at);
    zone->offsets_after_.push_back(type_offsets[indices[i]]);
  }
  zone->initial_offset_ = type_offsets[0];

  if (version != '\0') {
    // Versions 2+ always end with "\n<TZ string>\n" (possibly empty); a missing footer means
    // the file was cut short.
    if (reader.remaining() == 0) reader.fail("missing footer");
    const unsigned char* newline = reader.take(1);
    if (*newline != '\n') reader.fail("footer does not start with a newline");
    const std::string_view rest = bytes.substr(reader.position());
    const std::size_t end = rest.find('\n');
    if (end == std::string_view::npos) reader.fail("footer is not newline-terminated");
    const std::string_view footer = rest.substr(0, end);
    if (!footer.empty()) {
      try {
        zone->footer_rule_ = PosixTzRule::parse(footer);
      } catch (const std::invalid_argument& error) {
        reader.fail(error.what());
      }
    }
  }
  return zone;
}

int32_t TimeZone::utc_offset_at(int64_t utc_seconds) const noexcept {
  if (transition_times_.empty() || utc_seconds > transition_times_.back()) {
    // RFC 8536: after the last transition (or with none at all) the footer rule governs when
    // present; otherwise the last transition's type (or type 0) stays in force.
    if (footer_rule_) return footer_rule_->utc_offset_at(utc_seconds);
    return transition_times_.empty() ? initial_offset_ : offsets_after_.back();
  }
  const auto next =
      std::upper_bound(transition_times_.begin(), transition_times_.end(), utc_seconds);
  if (next == transition_times_.begin()) return initial_offset_;
  return offsets_after_[static_cast<std::size_t>(next - transition_times_.begin()) - 1];
}

// ---------------------------------------------------------------------------------------------
// Database

TimeZoneDatabase::TimeZoneDatabase(std::string directory) : directory_(std::move(directory)) {
  if (directory_.empty()) {
    // Read once here, never on the decode path; the library itself never writes the environment.
    const char* env = std::getenv("TZDIR");  // NOLINT(concurrency-mt-unsafe)
    directory_ =
        (env != nullptr && *env != '\0') ? std::string(env) : std::string(kDefaultZoneDirectory);
  }
}

TimeZoneDatabase& TimeZoneDatabase::system() {
  static TimeZoneDatabase instance;
  return instance;
}

bool TimeZoneDatabase::is_acceptable_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxZoneNameLength) return false;
  // A whitelist also excludes NUL, backslashes and anything a shell or path could interpret.
  for (const char c : name) {
    if (!is_alpha(c) && !is_digit(c) && c != '/' && c != '_' && c != '-' && c != '+' && c != '.') {
      return false;
    }
  }
  if (name.front() == '/') return false;
  std::size_t start = 0;
  bool first = true;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    const std::string_view component = name.substr(start, slash - start);
    if (component.empty() || component == "." || component == "..") return false;
    // posix/ and right/ are whole-database copies, posixrules and localtime are not zones.
    const bool is_last = slash == name.size();
    for (const std::string_view bad : kNonZoneNames) {
      if (component == bad && (first || is_last)) return false;
    }
    first = false;
    start = slash + 1;
  }
  return true;
}

std::shared_ptr<const TimeZone> TimeZoneDatabase::load(std::string_view name) const {
  const std::string path = directory_ + "/" + std::string(name);
  // O_NONBLOCK so a FIFO planted in the directory cannot block the decoder in open().
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return nullptr;
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) return nullptr;
  if (info.st_size < static_cast<off_t>(kTzifHeaderBytes) || info.st_size > kMaxTzifFileBytes) {
    return nullptr;
  }
  std::string bytes(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = ::read(fd, bytes.data() + filled, bytes.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    filled += static_cast<std::size_t>(got);
  }
  bytes.resize(filled);
  if (bytes.compare(0, 4, "TZif") != 0) return nullptr;
  try {
    return TimeZone::parse_tzif(name, bytes);
  } catch (const std::invalid_argument&) {
    return nullptr;
  }
}

std::shared_ptr<const TimeZone> TimeZoneDatabase::find(std::string_view name) {
  if (!is_acceptable_name(name)) return nullptr;
  {
    std::shared_lock lock(mutex_);
    if (const auto it = zones_.find(name); it != zones_.end()) return it->second;
    if (misses_.find(name) != misses_.end()) return nullptr;
  }
  // Load outside the lock; if two threads race, the first insert wins and both use it.
  std::shared_ptr<const TimeZone> zone = load(name);
  std::unique_lock lock(mutex_);
  if (zone) return zones_.try_emplace(std::string(name), std::move(zone)).first->second;
  // Dropping the whole miss set when full is crude but bounded, and misses are cheap to redo.
  if (misses_.size() >= kMaxCachedMisses) misses_.clear();
  misses_.emplace(name);
  return nullptr;
}

std::size_t TimeZoneDatabase::cached_miss_count() const {
  std::shared_lock lock(mutex_);
  return misses_.size();
}

std::optional<int32_t> zone_offset_at(std::string_view zone, int64_t utc_seconds,
                                      TimeZoneDatabase& db) {
  if (const std::optional<int32_t> fixed = parse_fixed_offset(zone)) return fixed;
  const std::shared_ptr<const TimeZone> named = db.find(zone);
  if (!named) return std::nullopt;
  return named->utc_offset_at(utc_seconds);
}

}  // namespace e6data::wire
