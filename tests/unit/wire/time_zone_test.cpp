#include "wire/time_zone.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace e6data::wire {
namespace {

constexpr int32_t kHour = 3600;

// Instants come from the C library's timegm, so test expectations do not share date arithmetic
// with the code under test.
int64_t utc(int64_t year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  std::tm tm{};
  tm.tm_year = static_cast<int>(year - 1900);
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

std::shared_ptr<const TimeZone> system_zone(std::string_view name) {
  return TimeZoneDatabase::system().find(name);
}

int32_t system_offset(std::string_view name, int64_t t) {
  const auto zone = system_zone(name);
  EXPECT_NE(zone, nullptr) << name;
  return zone ? zone->utc_offset_at(t) : INT32_MIN;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// ----- hand-built TZif ------------------------------------------------------------------------

struct TestType {
  int32_t utoff;
  bool is_dst;
};

void put_be32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

void put_be64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

void put_header(std::string& out, char version, uint32_t leap, uint32_t times, uint32_t types,
                uint32_t chars) {
  out += "TZif";
  out.push_back(version);
  out.append(15, '\0');
  put_be32(out, 0);  // isutcnt
  put_be32(out, 0);  // isstdcnt
  put_be32(out, leap);
  put_be32(out, times);
  put_be32(out, types);
  put_be32(out, chars);
}

// Version '2'+ files get a minimal v1 block (as RFC 8536 permits) followed by the real 64-bit
// data and the footer; version '\0' files carry the data in the 32-bit block only.
std::string build_tzif(const std::vector<TestType>& types,
                       const std::vector<std::pair<int64_t, uint8_t>>& transitions,
                       std::string_view footer, char version = '2', uint32_t leap_count = 0) {
  const std::string chars("ABC\0", 4);
  std::string out;
  auto put_data = [&](int time_size) {
    for (const auto& [at, index] : transitions) {
      if (time_size == 8) {
        put_be64(out, static_cast<uint64_t>(at));
      } else {
        put_be32(out, static_cast<uint32_t>(at));
      }
    }
    for (const auto& transition : transitions) out.push_back(static_cast<char>(transition.second));
    for (const TestType& type : types) {
      put_be32(out, static_cast<uint32_t>(type.utoff));
      out.push_back(type.is_dst ? 1 : 0);
      out.push_back(0);
    }
    out += chars;
    for (uint32_t i = 0; i < leap_count; ++i) {
      if (time_size == 8) {
        put_be64(out, 78796800 + i);
      } else {
        put_be32(out, 78796800 + i);
      }
      put_be32(out, i + 1);
    }
  };
  const auto n_times = static_cast<uint32_t>(transitions.size());
  const auto n_types = static_cast<uint32_t>(types.size());
  if (version == '\0') {
    put_header(out, version, leap_count, n_times, n_types, 4);
    put_data(4);
    return out;
  }
  put_header(out, version, 0, 0, 1, 4);
  put_be32(out, 0);
  out.push_back(0);
  out.push_back(0);
  out += chars;
  put_header(out, version, leap_count, n_times, n_types, 4);
  put_data(8);
  out += "\n";
  out += footer;
  out += "\n";
  return out;
}

// Header field offsets inside the *second* header of a v2 blob built above.
constexpr std::size_t kSecondHeader = 44 + 6 + 4;
constexpr std::size_t kTimeCountField = 32;
constexpr std::size_t kTypeCountField = 36;

void patch_be32(std::string& blob, std::size_t at, uint32_t value) {
  std::string bytes;
  put_be32(bytes, value);
  blob.replace(at, 4, bytes);
}

// ----- C library reference --------------------------------------------------------------------

// Sets an environment variable for one scope. Tests run single-threaded, so the C library's
// unsynchronised environment functions are safe here.
class ScopedEnv {
 public:
  ScopedEnv(const char* variable, const std::string& value) : variable_(variable) {
    if (const char* old = std::getenv(variable_)) saved_ = std::string(old);  // NOLINT
    setenv(variable_, value.c_str(), 1);                                      // NOLINT
    tzset();
  }
  ~ScopedEnv() {
    if (saved_) {
      setenv(variable_, saved_->c_str(), 1);  // NOLINT
    } else {
      unsetenv(variable_);  // NOLINT
    }
    tzset();
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* variable_;
  std::optional<std::string> saved_;
};

int32_t libc_offset(int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  std::tm tm{};
  if (localtime_r(&tt, &tm) == nullptr) return INT32_MIN;
  return static_cast<int32_t>(tm.tm_gmtoff);
}

// Samples [from, to) with the given stride; wherever the C library's offset changes between two
// samples, bisects to the exact change and checks both sides, so transitions are compared to
// the second. Returns the number of mismatches (reporting the first few).
template <typename OffsetFn>
int compare_with_libc(const std::string& label, OffsetFn ours, int64_t from, int64_t to,
                      int64_t stride) {
  int mismatches = 0;
  auto check = [&](int64_t t) {
    const int32_t expected = libc_offset(t);
    const int32_t actual = ours(t);
    if (expected != actual) {
      if (++mismatches <= 5) {
        ADD_FAILURE() << label << " at " << t << ": libc " << expected << ", ours " << actual;
      }
    }
  };
  int64_t previous = from;
  int32_t previous_offset = libc_offset(from);
  check(from);
  for (int64_t t = from + stride; t < to; t += stride) {
    const int32_t offset = libc_offset(t);
    check(t);
    if (offset != previous_offset) {
      int64_t low = previous;  // libc_offset(low) == previous_offset
      int64_t high = t;        // libc_offset(high) != previous_offset
      while (high - low > 1) {
        const int64_t mid = low + (high - low) / 2;
        (libc_offset(mid) == previous_offset ? low : high) = mid;
      }
      check(low);
      check(high);
    }
    previous = t;
    previous_offset = offset;
  }
  return mismatches;
}

// ----- temporary tz directory -----------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tz_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  void write(const std::string& relative, const std::string& contents) const {
    const std::filesystem::path full = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary) << contents;
  }

 private:
  std::string path_;
};

// ===== fixed offsets ==========================================================================

TEST(FixedOffset, AcceptsSignedHoursAndMinutes) {
  EXPECT_EQ(parse_fixed_offset("+05:30"), 5 * kHour + 30 * 60);
  EXPECT_EQ(parse_fixed_offset("-08:00"), -8 * kHour);
  EXPECT_EQ(parse_fixed_offset("+00:00"), 0);
  EXPECT_EQ(parse_fixed_offset("-00:00"), 0);
  EXPECT_EQ(parse_fixed_offset("+18:00"), 18 * kHour);
  EXPECT_EQ(parse_fixed_offset("-18:00"), -18 * kHour);
  EXPECT_EQ(parse_fixed_offset("+14:45"), 14 * kHour + 45 * 60);
  EXPECT_EQ(parse_fixed_offset("-17:59"), -(17 * kHour + 59 * 60));
}

TEST(FixedOffset, AcceptsZAndUtc) {
  EXPECT_EQ(parse_fixed_offset("Z"), 0);
  EXPECT_EQ(parse_fixed_offset("UTC"), 0);
}

TEST(FixedOffset, RejectsMalformedOrOutOfRange) {
  for (const std::string_view text :
       {"+19:00",  "+18:01",    "-18:30", "15:30",  "+5:30",  "+05:60", "+05:5",
        "+0530",   "05:30",     "utc",    "z",      "Utc",    "",       " +05:30",
        "+05:30 ", "+05:30:00", "++5:30", "+05-30", "-0a:00", "UTC+5",  "GMT"}) {
    EXPECT_EQ(parse_fixed_offset(text), std::nullopt) << '"' << text << '"';
  }
}

// ===== system tz database =====================================================================

TEST(TimeZone, KolkataIsPlusFiveThirty) {
  EXPECT_EQ(system_offset("Asia/Kolkata", utc(2024, 3, 15, 12)), 5 * kHour + 30 * 60);
  EXPECT_EQ(system_offset("Asia/Kolkata", utc(2024, 10, 1)), 5 * kHour + 30 * 60);
}

TEST(TimeZone, LosAngelesSummerAndWinter) {
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(2024, 6, 20, 19)), -7 * kHour);
  // 2023-12-31T16:00 local is 2024-01-01T00:00Z.
  EXPECT_EQ(utc(2024, 1, 1), 1704067200);
  EXPECT_EQ(system_offset("America/Los_Angeles", 1704067200), -8 * kHour);
}

TEST(TimeZone, LosAngelesTransitionsAtTheExactSecond) {
  // 2024-03-10 02:00 PST = 10:00Z; 2024-11-03 02:00 PDT = 09:00Z.
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(2024, 3, 10, 10) - 1), -8 * kHour);
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(2024, 3, 10, 10)), -7 * kHour);
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(2024, 11, 3, 9) - 1), -7 * kHour);
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(2024, 11, 3, 9)), -8 * kHour);
}

TEST(TimeZone, LondonIsUtcAtChristmas) {
  EXPECT_EQ(system_offset("Europe/London", utc(2024, 12, 25, 12)), 0);
  EXPECT_EQ(system_offset("Europe/London", utc(2024, 7, 1)), kHour);
}

TEST(TimeZone, EstIsMinusFive) {
  EXPECT_EQ(system_offset("EST", utc(2024, 7, 1)), -5 * kHour);
  EXPECT_EQ(system_offset("EST", utc(2024, 1, 1)), -5 * kHour);
}

TEST(TimeZone, SydneyWinterAndSummer) {
  EXPECT_EQ(system_offset("Australia/Sydney", utc(2024, 6, 15)), 10 * kHour);
  EXPECT_EQ(system_offset("Australia/Sydney", utc(2024, 1, 15)), 11 * kHour);
}

TEST(TimeZone, EtcGmtPlusFiveIsMinusFive) {
  // The Etc/ names use the POSIX sign convention: GMT+5 is five hours *behind* UTC.
  EXPECT_EQ(system_offset("Etc/GMT+5", utc(2024, 7, 1)), -5 * kHour);
  EXPECT_EQ(system_offset("Etc/GMT-14", utc(2024, 7, 1)), 14 * kHour);
}

TEST(TimeZone, LosAngelesUsesFooterRuleAfterLastTransition) {
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(2100, 7, 4)), -7 * kHour);
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(2100, 1, 4)), -8 * kHour);
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(12000, 7, 15)), -7 * kHour);
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(12000, 1, 15)), -8 * kHour);
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(294000, 7, 15)), -7 * kHour);
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(294000, 1, 15)), -8 * kHour);
}

TEST(TimeZone, SydneyUsesFooterRuleFarInTheFuture) {
  EXPECT_EQ(system_offset("Australia/Sydney", utc(12000, 6, 15)), 10 * kHour);
  EXPECT_EQ(system_offset("Australia/Sydney", utc(12000, 1, 15)), 11 * kHour);
  EXPECT_EQ(system_offset("Australia/Sydney", utc(294000, 6, 15)), 10 * kHour);
  EXPECT_EQ(system_offset("Australia/Sydney", utc(294000, 1, 15)), 11 * kHour);
}

TEST(TimeZone, FarFutureInstantsAtInt64MicrosecondLimit) {
  // INT64_MAX microseconds is year ~294247; both ends of the caller's range must work.
  const int64_t max_seconds = INT64_MAX / 1000000;
  const int64_t min_seconds = INT64_MIN / 1000000;
  const auto zone = system_zone("America/Los_Angeles");
  ASSERT_NE(zone, nullptr);
  const int32_t at_max = zone->utc_offset_at(max_seconds);
  EXPECT_TRUE(at_max == -7 * kHour || at_max == -8 * kHour) << at_max;
  EXPECT_EQ(zone->utc_offset_at(min_seconds), -(7 * kHour + 52 * 60 + 58));
  // The evaluator is exact for any int64, not just the caller's range.
  const int32_t at_int64_max = zone->utc_offset_at(INT64_MAX);
  EXPECT_TRUE(at_int64_max == -7 * kHour || at_int64_max == -8 * kHour) << at_int64_max;
  EXPECT_EQ(zone->utc_offset_at(INT64_MIN), -(7 * kHour + 52 * 60 + 58));
}

TEST(TimeZone, BeforeFirstTransitionUsesLocalMeanTime) {
  EXPECT_EQ(system_offset("America/Los_Angeles", utc(1850, 6, 1)), -(7 * kHour + 52 * 60 + 58));
  EXPECT_EQ(system_offset("Asia/Kolkata", utc(1850, 6, 1)), 5 * kHour + 53 * 60 + 28);
  EXPECT_EQ(system_offset("Europe/London", utc(1800, 1, 1)), -75);
}

TEST(TimeZone, SymlinkedAliasResolves) {
  EXPECT_EQ(system_offset("US/Pacific", utc(2024, 6, 20)), -7 * kHour);
  EXPECT_EQ(system_offset("UTC", utc(2024, 6, 20)), 0);
}

TEST(TimeZoneDatabase, RejectsUnsafeOrUnknownNames) {
  auto& db = TimeZoneDatabase::system();
  for (const std::string_view name : {"../etc/passwd",
                                      "/etc/passwd",
                                      "Asia/../Asia/Kolkata",
                                      "./Asia/Kolkata",
                                      "Asia//Kolkata",
                                      "Asia/Kolkata/",
                                      "Asia\\Kolkata",
                                      "zone.tab",
                                      "zone1970.tab",
                                      "tzdata.zi",
                                      "leapseconds",
                                      "posixrules",
                                      "localtime",
                                      "posix/Asia/Kolkata",
                                      "right/UTC",
                                      "Asia/kolkata",
                                      "asia/Kolkata",
                                      "NotA/Zone",
                                      "Asia",
                                      "",
                                      "utc",
                                      "Asia/Kolkata ",
                                      " Asia/Kolkata",
                                      "Asia/Kolkata\n"}) {
    EXPECT_EQ(db.find(name), nullptr) << '"' << name << '"';
  }
  EXPECT_EQ(db.find(std::string_view("Asia/Kolkata\0x", 14)), nullptr);
  EXPECT_EQ(db.find(std::string(256, 'A')), nullptr);
}

TEST(TimeZoneDatabase, NameSyntaxCheckNeedsNoFiles) {
  EXPECT_TRUE(TimeZoneDatabase::is_acceptable_name("America/Argentina/Buenos_Aires"));
  EXPECT_TRUE(TimeZoneDatabase::is_acceptable_name("Etc/GMT+5"));
  EXPECT_TRUE(TimeZoneDatabase::is_acceptable_name("America/Port-au-Prince"));
  EXPECT_TRUE(TimeZoneDatabase::is_acceptable_name(std::string(255, 'A')));
  EXPECT_FALSE(TimeZoneDatabase::is_acceptable_name(std::string(256, 'A')));
  EXPECT_FALSE(TimeZoneDatabase::is_acceptable_name(".."));
  EXPECT_FALSE(TimeZoneDatabase::is_acceptable_name("a/../b"));
  EXPECT_FALSE(TimeZoneDatabase::is_acceptable_name("a/b/.."));
  EXPECT_FALSE(TimeZoneDatabase::is_acceptable_name("a:b"));
  EXPECT_FALSE(TimeZoneDatabase::is_acceptable_name("Europe/posixrules"));
}

TEST(TimeZoneDatabase, CachesHitsAsTheSameObject) {
  auto& db = TimeZoneDatabase::system();
  const auto first = db.find("Europe/Paris");
  const auto second = db.find("Europe/Paris");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(first->name(), "Europe/Paris");
}

TEST(TimeZoneDatabase, ConcurrentLookupsAgree) {
  TimeZoneDatabase db;
  const std::vector<std::string> names = {"Asia/Tokyo", "Europe/Berlin", "Nope/Nope",
                                          "America/Chicago", "../x"};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int thread = 0; thread < 4; ++thread) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        const std::string& name = names[static_cast<std::size_t>(i) % names.size()];
        const auto zone = db.find(name);
        const bool should_exist =
            name.find('/') != std::string::npos && name != "Nope/Nope" && name != "../x";
        if ((zone != nullptr) != should_exist) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(db.find("Asia/Tokyo").get(), db.find("Asia/Tokyo").get());
}

TEST(TimeZoneDatabase, UsesGivenDirectoryAndRejectsNonTzifFiles) {
  TempDir dir;
  dir.write("Test/Plus3", build_tzif({{3 * kHour, false}}, {}, "<+03>-3"));
  dir.write("Test/Text", "this is not a TZif file, just text\n");
  dir.write("Test/Short", "TZif");
  dir.write("Test/Corrupt", "TZif2" + std::string(100, '\xff'));
  ASSERT_EQ(mkfifo((dir.path() + "/Test/Fifo").c_str(), 0600), 0);
  TimeZoneDatabase db(dir.path());
  EXPECT_EQ(db.directory(), dir.path());
  const auto zone = db.find("Test/Plus3");
  ASSERT_NE(zone, nullptr);
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 1, 1)), 3 * kHour);
  EXPECT_EQ(db.find("Test/Text"), nullptr);
  EXPECT_EQ(db.find("Test/Short"), nullptr);
  EXPECT_EQ(db.find("Test/Corrupt"), nullptr);
  EXPECT_EQ(db.find("Test/Fifo"), nullptr);  // must not block either
  EXPECT_EQ(db.find("Test"), nullptr);       // a directory
  EXPECT_EQ(db.find("America/Los_Angeles"), nullptr);
}

TEST(TimeZoneDatabase, EmptyDirectoryMeansTzdirEnvironmentVariable) {
  TempDir dir;
  dir.write("Only/Here", build_tzif({{-(3 * kHour + 30 * 60), false}}, {}, "<-0330>3:30"));
  TimeZoneDatabase db = [&] {
    ScopedEnv env("TZDIR", dir.path());
    return TimeZoneDatabase("");
  }();
  EXPECT_EQ(db.directory(), dir.path());
  const auto zone = db.find("Only/Here");
  ASSERT_NE(zone, nullptr);
  EXPECT_EQ(zone->utc_offset_at(0), -(3 * kHour + 30 * 60));
}

TEST(TimeZoneDatabase, MissCacheIsBounded) {
  TempDir dir;
  TimeZoneDatabase db(dir.path());
  for (int i = 0; i < 3000; ++i) {
    EXPECT_EQ(db.find("Missing/Zone" + std::to_string(i)), nullptr);
    ASSERT_LE(db.cached_miss_count(), TimeZoneDatabase::kMaxCachedMisses);
  }
  EXPECT_GT(db.cached_miss_count(), 0u);
  // Names rejected on syntax never reach the cache.
  const std::size_t before = db.cached_miss_count();
  EXPECT_EQ(db.find("../etc/passwd"), nullptr);
  EXPECT_EQ(db.cached_miss_count(), before);
}

TEST(TimeZoneDatabase, MissIsCachedEvenIfFileAppearsLater) {
  TempDir dir;
  TimeZoneDatabase db(dir.path());
  EXPECT_EQ(db.find("Late/Zone"), nullptr);
  dir.write("Late/Zone", build_tzif({{kHour, false}}, {}, "<+01>-1"));
  EXPECT_EQ(db.find("Late/Zone"), nullptr);
  TimeZoneDatabase fresh(dir.path());
  EXPECT_NE(fresh.find("Late/Zone"), nullptr);
}

// ===== zone_offset_at =========================================================================

TEST(ZoneOffsetAt, ResolvesFixedAndNamedZones) {
  const int64_t t = utc(2024, 6, 20, 12);
  EXPECT_EQ(zone_offset_at("+05:30", t), 5 * kHour + 30 * 60);
  EXPECT_EQ(zone_offset_at("-00:00", t), 0);
  EXPECT_EQ(zone_offset_at("Z", t), 0);
  EXPECT_EQ(zone_offset_at("UTC", t), 0);
  EXPECT_EQ(zone_offset_at("Asia/Kolkata", t), 5 * kHour + 30 * 60);
  EXPECT_EQ(zone_offset_at("America/Los_Angeles", t), -7 * kHour);
  EXPECT_EQ(zone_offset_at("Etc/GMT+5", t), -5 * kHour);
  EXPECT_EQ(zone_offset_at("EST", t), -5 * kHour);
}

TEST(ZoneOffsetAt, InvalidZonesYieldNullopt) {
  const int64_t t = utc(2024, 6, 20, 12);
  for (const std::string_view zone :
       {"utc", "", "+19:00", "+18:01", "15:30", "+5:30", "+05:60", "Asia/kolkata", "NotA/Zone",
        "../etc/passwd", "/etc/passwd", "zone.tab", "posixrules"}) {
    EXPECT_EQ(zone_offset_at(zone, t), std::nullopt) << '"' << zone << '"';
  }
}

// ===== parse_tzif =============================================================================

TEST(TimeZoneParse, RejectsGarbage) {
  EXPECT_THROW(TimeZone::parse_tzif("x", ""), std::invalid_argument);
  EXPECT_THROW(TimeZone::parse_tzif("x", "TZif"), std::invalid_argument);
  EXPECT_THROW(TimeZone::parse_tzif("x", "not a tzif file at all, but long enough to be a header"),
               std::invalid_argument);
  EXPECT_THROW(TimeZone::parse_tzif("x", std::string(200, '\0')), std::invalid_argument);
  std::string random_tail = "TZif2";
  for (int i = 0; i < 300; ++i) random_tail.push_back(static_cast<char>((i * 73 + 11) & 0xff));
  EXPECT_THROW(TimeZone::parse_tzif("x", random_tail), std::invalid_argument);
}

TEST(TimeZoneParse, EveryTruncationOfARealFileThrows) {
  const std::string bytes = read_file("/usr/share/zoneinfo/America/Los_Angeles");
  ASSERT_GT(bytes.size(), 100u);
  ASSERT_NE(TimeZone::parse_tzif("America/Los_Angeles", bytes), nullptr);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_THROW(TimeZone::parse_tzif("America/Los_Angeles", bytes.substr(0, length)),
                 std::invalid_argument)
        << "length " << length;
  }
}

TEST(TimeZoneParse, ErrorMessageNamesTheZone) {
  try {
    TimeZone::parse_tzif("Bad/Zone", "TZif");
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("Bad/Zone"), std::string::npos) << error.what();
  }
}

TEST(TimeZoneParse, HugeCountsAreRejectedBeforeAllocation) {
  std::string blob = build_tzif({{0, false}}, {}, "UTC0");
  // Claim four billion transitions in the 64-bit block; the file is a few dozen bytes.
  patch_be32(blob, kSecondHeader + kTimeCountField, 0xFFFFFFFFu);
  EXPECT_THROW(TimeZone::parse_tzif("x", blob), std::invalid_argument);
  std::string v1_blob = build_tzif({{0, false}}, {}, "UTC0");
  patch_be32(v1_blob, kTimeCountField, 0xFFFFFFF0u);
  EXPECT_THROW(TimeZone::parse_tzif("x", v1_blob), std::invalid_argument);
}

TEST(TimeZoneParse, RejectsStructuralErrors) {
  const std::vector<TestType> types = {{0, false}, {kHour, true}};
  // Type index out of range.
  EXPECT_THROW(TimeZone::parse_tzif("x", build_tzif(types, {{100, 2}}, "")), std::invalid_argument);
  // Transitions not ascending.
  EXPECT_THROW(TimeZone::parse_tzif("x", build_tzif(types, {{100, 1}, {100, 0}}, "")),
               std::invalid_argument);
  // utoff of -2^31 is forbidden.
  EXPECT_THROW(TimeZone::parse_tzif("x", build_tzif({{INT32_MIN, false}}, {}, "")),
               std::invalid_argument);
  // Zero types.
  std::string no_types = build_tzif({{0, false}}, {}, "");
  patch_be32(no_types, kSecondHeader + kTypeCountField, 0);
  EXPECT_THROW(TimeZone::parse_tzif("x", no_types), std::invalid_argument);
  // Unknown version byte.
  std::string bad_version = build_tzif({{0, false}}, {}, "");
  bad_version[4] = '1';
  EXPECT_THROW(TimeZone::parse_tzif("x", bad_version), std::invalid_argument);
  // Malformed footer.
  EXPECT_THROW(TimeZone::parse_tzif("x", build_tzif(types, {}, "PST8PDT,M3.2.0")),
               std::invalid_argument);
  // Footer without its terminating newline.
  std::string unterminated = build_tzif(types, {}, "UTC0");
  unterminated.pop_back();
  EXPECT_THROW(TimeZone::parse_tzif("x", unterminated), std::invalid_argument);
  // Leap-second data ("right/" zones) is not POSIX time.
  EXPECT_THROW(TimeZone::parse_tzif("x", build_tzif(types, {}, "UTC0", '2', 2)),
               std::invalid_argument);
}

TEST(TimeZoneParse, VersionOneFileUsesLastTypeAfterTransitions) {
  const std::string blob = build_tzif({{-5 * kHour, false}, {-4 * kHour, true}},
                                      {{1000, 1}, {2000, 0}, {3000, 1}}, "", '\0');
  const auto zone = TimeZone::parse_tzif("V1/Zone", blob);
  EXPECT_EQ(zone->name(), "V1/Zone");
  EXPECT_EQ(zone->utc_offset_at(999), -5 * kHour);
  EXPECT_EQ(zone->utc_offset_at(1000), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(1999), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(2000), -5 * kHour);
  EXPECT_EQ(zone->utc_offset_at(3000), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(3000, 1, 1)), -4 * kHour);
}

TEST(TimeZoneParse, EmptyFooterKeepsLastTransitionType) {
  const auto zone = TimeZone::parse_tzif(
      "x", build_tzif({{kHour, false}, {2 * kHour, false}}, {{utc(2000, 1, 1), 1}}, ""));
  EXPECT_EQ(zone->utc_offset_at(utc(1999, 1, 1)), kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2500, 1, 1)), 2 * kHour);
}

TEST(TimeZoneParse, TransitionsThenFooterRule) {
  // Type 0 applies before the first transition, the table up to the last, the rule after it.
  const auto zone = TimeZone::parse_tzif(
      "x", build_tzif({{-(5 * kHour + 17 * 60), false}, {-5 * kHour, false}, {-4 * kHour, true}},
                      {{utc(1900, 1, 1), 1}, {utc(2000, 4, 2, 7), 2}, {utc(2000, 10, 29, 6), 1}},
                      "EST5EDT,M4.1.0,M10.5.0"));
  EXPECT_EQ(zone->utc_offset_at(utc(1850, 1, 1)), -(5 * kHour + 17 * 60));
  EXPECT_EQ(zone->utc_offset_at(utc(1950, 7, 1)), -5 * kHour);  // table, no DST yet
  EXPECT_EQ(zone->utc_offset_at(utc(2000, 7, 1)), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2000, 10, 29, 6)), -5 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2000, 12, 1)), -5 * kHour);  // rule says standard too
  EXPECT_EQ(zone->utc_offset_at(utc(2001, 7, 1)), -4 * kHour);   // rule
  // 2001: first Sunday of April is the 1st (07:00Z), last Sunday of October the 28th (06:00Z).
  EXPECT_EQ(zone->utc_offset_at(utc(2001, 4, 1, 7) - 1), -5 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2001, 4, 1, 7)), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2001, 10, 28, 6) - 1), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2001, 10, 28, 6)), -5 * kHour);
}

// ===== POSIX TZ footer rules ==================================================================

TEST(PosixRule, FooterOnlyBlobEvaluatesRule) {
  // Zero transitions: every instant is governed by the footer, independent of system files.
  const auto zone =
      TimeZone::parse_tzif("x", build_tzif({{-5 * kHour, false}}, {}, "EST5EDT,M3.2.0,M11.1.0"));
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 7, 1)), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 1, 15)), -5 * kHour);
  // 2024-03-10 02:00 EST = 07:00Z; 2024-11-03 02:00 EDT = 06:00Z.
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 3, 10, 7) - 1), -5 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 3, 10, 7)), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 11, 3, 6) - 1), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 11, 3, 6)), -5 * kHour);
  // Before 1970 and far away in both directions.
  EXPECT_EQ(zone->utc_offset_at(utc(1900, 7, 1)), -4 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(-5000, 1, 1)), -5 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(294000, 7, 1)), -4 * kHour);
}

TEST(PosixRule, SouthernHemisphereRule) {
  const auto zone = TimeZone::parse_tzif(
      "x", build_tzif({{10 * kHour, false}}, {}, "AEST-10AEDT,M10.1.0,M4.1.0/3"));
  // 2024-04-07 03:00 AEDT = 2024-04-06 16:00Z; 2024-10-06 02:00 AEST = 2024-10-05 16:00Z.
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 4, 6, 16) - 1), 11 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 4, 6, 16)), 10 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 10, 5, 16) - 1), 10 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 10, 5, 16)), 11 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2024, 12, 31, 23, 59, 59)), 11 * kHour);
  EXPECT_EQ(zone->utc_offset_at(utc(2025, 1, 1)), 11 * kHour);
}

TEST(PosixRule, NegativeAndOverlongRuleTimes) {
  // Nuuk: DST starts on the last Sunday of March at -1:00 local (Saturday 23:00 -02).
  const PosixTzRule nuuk = PosixTzRule::parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  // 2024: last Sundays are March 31 and October 27; both transitions fall at 01:00Z.
  EXPECT_EQ(nuuk.utc_offset_at(utc(2024, 3, 31, 1) - 1), -2 * kHour);
  EXPECT_EQ(nuuk.utc_offset_at(utc(2024, 3, 31, 1)), -kHour);
  EXPECT_EQ(nuuk.utc_offset_at(utc(2024, 10, 27, 1) - 1), -kHour);
  EXPECT_EQ(nuuk.utc_offset_at(utc(2024, 10, 27, 1)), -2 * kHour);

  // RFC 8536's example of daylight time all year round.
  const PosixTzRule all_year = PosixTzRule::parse("EST5EDT,0/0,J365/25");
  for (const int64_t t : {utc(2023, 1, 1), utc(2023, 12, 31, 23), utc(2024, 1, 1, 5),
                          utc(2024, 2, 29), utc(2024, 12, 31, 12), utc(12000, 6, 1)}) {
    EXPECT_EQ(all_year.utc_offset_at(t), -4 * kHour) << t;
  }

  // A rule time beyond 24 hours moves the transition to a later day.
  const PosixTzRule late = PosixTzRule::parse("AAA0BBB,M3.2.0/50,M10.2.0/-30");
  // 2024: second Sunday of March is the 10th; +50h = Tuesday 12th 02:00Z.
  EXPECT_EQ(late.utc_offset_at(utc(2024, 3, 12, 2) - 1), 0);
  EXPECT_EQ(late.utc_offset_at(utc(2024, 3, 12, 2)), kHour);
  // Second Sunday of October is the 13th; -30h in BBB (+1) = Friday 11th 17:00Z.
  EXPECT_EQ(late.utc_offset_at(utc(2024, 10, 11, 17) - 1), kHour);
  EXPECT_EQ(late.utc_offset_at(utc(2024, 10, 11, 17)), 0);
}

TEST(PosixRule, JulianDayForms) {
  // Jn never counts February 29: J60 is always March 1.
  const PosixTzRule julian = PosixTzRule::parse("AAA0BBB,J60/0,J300/0");
  EXPECT_EQ(julian.utc_offset_at(utc(2024, 3, 1) - 1), 0);
  EXPECT_EQ(julian.utc_offset_at(utc(2024, 3, 1)), kHour);
  EXPECT_EQ(julian.utc_offset_at(utc(2023, 3, 1) - 1), 0);
  EXPECT_EQ(julian.utc_offset_at(utc(2023, 3, 1)), kHour);
  // Zero-based n counts February 29: day 59 is Feb 29 in 2024 and March 1 in 2023.
  const PosixTzRule zero_based = PosixTzRule::parse("AAA0BBB,59/0,300/0");
  EXPECT_EQ(zero_based.utc_offset_at(utc(2024, 2, 29) - 1), 0);
  EXPECT_EQ(zero_based.utc_offset_at(utc(2024, 2, 29)), kHour);
  EXPECT_EQ(zero_based.utc_offset_at(utc(2023, 3, 1) - 1), 0);
  EXPECT_EQ(zero_based.utc_offset_at(utc(2023, 3, 1)), kHour);
}

TEST(PosixRule, QuotedNamesAndMinuteOffsets) {
  EXPECT_EQ(PosixTzRule::parse("<+0530>-5:30").utc_offset_at(0), 5 * kHour + 30 * 60);
  EXPECT_EQ(PosixTzRule::parse("<-03>3").utc_offset_at(0), -3 * kHour);
  EXPECT_EQ(PosixTzRule::parse("IST-5:30").utc_offset_at(0), 5 * kHour + 30 * 60);
  EXPECT_EQ(PosixTzRule::parse("<+0545>-05:45:00").utc_offset_at(0), 5 * kHour + 45 * 60);
  EXPECT_EQ(PosixTzRule::parse("LMT+0:52:58").utc_offset_at(0), -(52 * 60 + 58));
  EXPECT_FALSE(PosixTzRule::parse("<-03>3").has_dst());
  const PosixTzRule chatham = PosixTzRule::parse("<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45");
  EXPECT_TRUE(chatham.has_dst());
  EXPECT_EQ(chatham.standard_offset(), 12 * kHour + 45 * 60);
  EXPECT_EQ(chatham.utc_offset_at(utc(2024, 7, 1)), 12 * kHour + 45 * 60);
  EXPECT_EQ(chatham.utc_offset_at(utc(2024, 1, 1)), 13 * kHour + 45 * 60);
  // Explicit DST offset rather than the one-hour default.
  const PosixTzRule troll = PosixTzRule::parse("<+00>0<+02>-2,M3.5.0/1,M10.5.0/3");
  EXPECT_EQ(troll.utc_offset_at(utc(2024, 7, 1)), 2 * kHour);
  EXPECT_EQ(troll.utc_offset_at(utc(2024, 1, 1)), 0);
  // Negative DST (Irish winter time is the "daylight" period).
  const PosixTzRule dublin = PosixTzRule::parse("IST-1GMT0,M10.5.0,M3.5.0/1");
  EXPECT_EQ(dublin.utc_offset_at(utc(2024, 7, 1)), kHour);
  EXPECT_EQ(dublin.utc_offset_at(utc(2024, 1, 1)), 0);
}

TEST(PosixRule, MissingRuleDefaultsToUsRules) {
  const PosixTzRule rule = PosixTzRule::parse("EST5EDT");
  EXPECT_EQ(rule.utc_offset_at(utc(2024, 7, 1)), -4 * kHour);
  EXPECT_EQ(rule.utc_offset_at(utc(2024, 1, 1)), -5 * kHour);
}

TEST(PosixRule, RejectsMalformedStrings) {
  for (const std::string_view text : {"",
                                      "EST",
                                      "E5",
                                      "5",
                                      "<AB>5",
                                      "<AB",
                                      "<A$B>5",
                                      "EST25",
                                      "EST5x",
                                      "EST5:60",
                                      "EST5EDT,M13.1.0,M11.1.0",
                                      "EST5EDT,M0.1.0,M11.1.0",
                                      "EST5EDT,M3.6.0,M11.1.0",
                                      "EST5EDT,M3.0.0,M11.1.0",
                                      "EST5EDT,M3.2.7,M11.1.0",
                                      "EST5EDT,J0,J100",
                                      "EST5EDT,366,1",
                                      "EST5EDT,M3.2.0",
                                      "EST5EDT,M3.2.0/168,M11.1.0",
                                      "EST5EDT,M3.2.0,M11.1.0,",
                                      "EST5EDT,M3.2,M11.1.0",
                                      "EST5EDT4x",
                                      ":America/New_York",
                                      "EST5EDT,M3.2.0/,M11.1.0"}) {
    EXPECT_THROW(PosixTzRule::parse(text), std::invalid_argument) << '"' << text << '"';
  }
}

// ===== cross-checks against the C library =====================================================

TEST(PosixRule, MatchesCLibraryForPosixTzStrings) {
  const std::vector<std::string> rules = {
      "PST8PDT,M3.2.0,M11.1.0",
      "AEST-10AEDT,M10.1.0,M4.1.0/3",
      "IST-1GMT0,M10.5.0,M3.5.0/1",
      "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
      "<-04>4<-03>,M9.1.6/24,M4.1.6/24",
      "CET-1CEST,M3.5.0,M10.5.0/3",
      "<+0330>-3:30",
      "AAA3BBB,J60/1,J300/1",
      "AAA-3BBB,59/1,300/1",
      "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
  };
  for (const std::string& text : rules) {
    const PosixTzRule rule = PosixTzRule::parse(text);
    ScopedEnv env("TZ", text);
    // From 1970 only: glibc evaluates POSIX rules wrongly for earlier years.
    EXPECT_EQ(compare_with_libc(
                  text, [&](int64_t t) { return rule.utc_offset_at(t); }, utc(1970, 1, 1),
                  utc(2400, 1, 1), 5 * 86400 + 3607),
              0);
    EXPECT_EQ(compare_with_libc(
                  text, [&](int64_t t) { return rule.utc_offset_at(t); }, utc(293990, 1, 1),
                  utc(294000, 1, 1), 86400 + 3607),
              0);
  }
}

TEST(TimeZone, MatchesCLibraryForSystemZones) {
  const std::vector<std::string> zones = {
      "America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "America/Santiago",
      "America/St_Johns",    "America/Nuuk",     "America/Havana",    "Europe/London",
      "Europe/Dublin",       "Europe/Moscow",    "Africa/Casablanca", "Asia/Kolkata",
      "Asia/Tehran",         "Asia/Gaza",        "Australia/Sydney",  "Australia/Lord_Howe",
      "Pacific/Chatham",     "Pacific/Apia",     "Antarctica/Troll",  "Etc/GMT+5",
  };
  for (const std::string& name : zones) {
    const auto zone = system_zone(name);
    ASSERT_NE(zone, nullptr) << name;
    ScopedEnv env("TZ", name);
    auto ours = [&](int64_t t) { return zone->utc_offset_at(t); };
    EXPECT_EQ(
        compare_with_libc(name, ours, utc(1970, 1, 1), utc(2037, 12, 31), 86400 + 12 * 3600 + 7),
        0);
    EXPECT_EQ(compare_with_libc(name, ours, utc(1900, 1, 1), utc(1970, 1, 1), 9 * 86400 + 7), 0);
    EXPECT_EQ(compare_with_libc(name, ours, utc(2037, 12, 31), utc(2400, 1, 1), 9 * 86400 + 7), 0);
  }
}

}  // namespace
}  // namespace e6data::wire
