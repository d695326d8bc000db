#include "e6data/options.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/option_fields.hpp"
#include "e6data/errors.hpp"
#include "log/logger.hpp"

namespace e6data {
namespace {

using Variables = std::map<std::string, std::string>;

ConnectionOptions from_variables(const Variables& variables, std::vector<ConfigIssue>* issues) {
  return ConnectionOptions::from_env(EnvironmentReader::from_map(variables), issues);
}

// The message of the UsageError that from_uri throws; fails the test when it does not throw.
std::string uri_error(std::string_view uri) {
  try {
    ConnectionOptions::from_uri(uri);
  } catch (const UsageError& error) {
    return error.what();
  }
  ADD_FAILURE() << "from_uri accepted " << uri;
  return {};
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string seconds_text(std::chrono::seconds value) {
  return std::to_string(value.count());
}

std::string decimal_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

ConnectionOptions usable_options() {
  ConnectionOptions options;
  options.host = "cluster.example.com";
  options.username = "alice@example.com";
  options.password = "token-123";
  return options;
}

// ---------------------------------------------------------------------------------------------
// Every E6DATA_* variable: default when unset, a valid value, clamping, garbage.

struct EnvCase {
  std::string variable;
  std::function<std::string(const ConnectionOptions&)> read;  // the field, as text
  std::string default_value;
  std::string valid_text;
  std::string valid_value;
  std::string out_of_range_text;  // empty: the variable has no range
  std::string clamped_value;
  std::string garbage_text;  // empty: every text is accepted
};

// Test names and failure messages show the variable, not the case's raw bytes.
void PrintTo(const EnvCase& c, std::ostream* out) {
  *out << c.variable;
}

const std::vector<EnvCase>& env_cases() {
  using O = const ConnectionOptions&;
  static const std::vector<EnvCase> kCases = {
      {"E6DATA_HOST", [](O o) { return o.host; }, "", "e6.example.com", "e6.example.com", "", "",
       "two words"},
      {"E6DATA_PORT", [](O o) { return std::to_string(o.port); }, "80", "443", "443", "70000",
       "65535", "eighty"},
      {"E6DATA_USERNAME", [](O o) { return o.username; }, "", "bob@example.com", "bob@example.com",
       "", "", "bob\nadmin"},
      {"E6DATA_PASSWORD", [](O o) { return o.password; }, "", "tok:en/@%", "tok:en/@%", "", "",
       "sekrit\x01value"},
      {"E6DATA_CATALOG", [](O o) { return o.catalog; }, "", "sales", "sales", "", "", ""},
      {"E6DATA_DATABASE", [](O o) { return o.database; }, "", "q1", "q1", "", "", ""},
      {"E6DATA_CLUSTER_NAME", [](O o) { return o.cluster_name; }, "", "Prod-1", "Prod-1", "", "",
       "prod\t1"},
      {"E6DATA_CLUSTER_UUID", [](O o) { return o.cluster_name; }, "", "c0ffee", "c0ffee", "", "",
       "c0\rffee"},
      {"E6DATA_SECURE", [](O o) { return std::string(o.secure ? "true" : "false"); }, "false",
       "YES", "true", "", "", "sometimes"},
      {"E6DATA_AUTO_RESUME", [](O o) { return std::string(o.auto_resume ? "true" : "false"); },
       "true", "off", "false", "", "", "2"},
      {"E6DATA_AUTO_RESUME_TIMEOUT", [](O o) { return seconds_text(o.auto_resume_timeout); }, "300",
       "45", "45", "100000", "86400", "5m"},
      {"E6DATA_STRATEGY_CACHE_TIMEOUT", [](O o) { return seconds_text(o.strategy.cache_timeout); },
       "300", "900", "900", "10", "60", "long"},
      {"E6DATA_STRATEGY_DETECTION_TIMEOUT",
       [](O o) { return seconds_text(o.strategy.detection_timeout); }, "30", "60", "60", "500",
       "120", "1.5"},
      {"E6DATA_STRATEGY_VALIDATION",
       [](O o) { return std::string(o.strategy.validation ? "true" : "false"); }, "true", "0",
       "false", "", "", "nope"},
      {"E6DATA_STRATEGY_SHARED_STATE", [](O o) { return o.strategy.shared_state; }, "",
       "e6data-strategy", "e6data-strategy", "", "", "/dev/shm/x"},
      {"E6DATA_STRATEGY_DETECTION_ORDER", [](O o) { return o.strategy.detection_order; },
       "blue,green", "green,blue", "green,blue", "", "", "red,blue"},
      {"E6DATA_MAX_RETRY_ATTEMPTS", [](O o) { return std::to_string(o.retry.max_attempts); }, "5",
       "3", "3", "20", "10", "three"},
      {"E6DATA_RETRY_BACKOFF_FACTOR",
       [](O o) { return decimal_text(o.retry.backoff_factor.count()); }, "0.2", "1.5", "1.5",
       "0.01", "0.1", "fast"},
      {"E6DATA_KEEPALIVE_TIME_MS", [](O o) { return std::to_string(o.grpc.keepalive_time_ms); },
       "30000", "15000", "15000", "0", "1", "15s"},
      {"E6DATA_KEEPALIVE_TIMEOUT_MS",
       [](O o) { return std::to_string(o.grpc.keepalive_timeout_ms); }, "60000", "20000", "20000",
       "99999999999", "2147483647", "0x10"},
      {"E6DATA_MAX_RECEIVE_MSG_LENGTH",
       [](O o) { return std::to_string(o.grpc.max_receive_message_length); }, "-1", "1048576",
       "1048576", "-5", "-1", "1MB"},
      {"E6DATA_MAX_SEND_MSG_LENGTH",
       [](O o) { return std::to_string(o.grpc.max_send_message_length); }, "314572800", "1024",
       "1024", "4294967296", "2147483647", "lots"},
      {"E6DATA_PREPARE_TIMEOUT", [](O o) { return seconds_text(o.grpc.prepare_timeout); }, "600",
       "120", "120", "0", "1", "ten"},
      {"E6DATA_CALL_TIMEOUT", [](O o) { return seconds_text(o.call_timeout); }, "60", "5", "5", "0",
       "1", "soon"},
      {"E6DATA_CLEANUP_TIMEOUT", [](O o) { return std::to_string(o.cleanup_timeout.count()); },
       "2000", "250", "250", "700000", "600000", "2s"},
      {"E6DATA_STRING_LITERALS", [](O o) { return o.string_literals; }, "", "backslash",
       "backslash", "", "", "mysql"},
      {"E6DATA_RESULT_BATCH_V2", [](O o) { return o.result_batch_v2; }, "auto", "off", "off", "",
       "", "v3"},
      {"E6DATA_DOWNLOAD_AHEAD", [](O o) { return std::to_string(o.download_ahead); }, "2", "0", "0",
       "65", "64", "two"},
      {"E6DATA_DOWNLOAD_AHEAD_BYTES", [](O o) { return std::to_string(o.download_ahead_bytes); },
       "67108864", "1048576", "1048576", "100", "1024", "64MiB"},
      {"E6DATA_LOG_LEVEL", [](O o) { return std::string(to_string(o.logging.level)); }, "INFO",
       "debug", "DEBUG", "", "", "loud"},
      {"E6DATA_STRATEGY_LOG_LEVEL",
       [](O o) { return std::string(to_string(o.logging.strategy_level)); }, "INFO", "Warn",
       "WARNING", "", "", "verbose"},
      {"E6DATA_GRPC_LOG_LEVEL", [](O o) { return std::string(to_string(o.logging.grpc_level)); },
       "WARNING", "ERROR", "ERROR", "", "", "5"},
      {"E6DATA_LOG_FORMAT", [](O o) { return std::string(to_string(o.logging.format)); }, "text",
       "JSON", "json", "", "", "xml"},
      {"E6DATA_LOG_OUTPUT", [](O o) { return o.logging.output; }, "stderr", "/tmp/e6.log",
       "/tmp/e6.log", "", "", ""},
      {"E6DATA_STRATEGY_CACHE_SIZE",
       [](O o) { return std::to_string(o.cache.strategy_cache_size); }, "1", "4", "4", "0", "1",
       "one"},
      {"E6DATA_QUERY_MAPPING_CACHE_SIZE",
       [](O o) { return std::to_string(o.cache.query_mapping_cache_size); }, "1000", "50", "50",
       "-7", "1", "1k"},
      {"E6DATA_CACHE_CLEANUP_INTERVAL", [](O o) { return seconds_text(o.cache.cleanup_interval); },
       "300", "60", "60", "0", "1", "hourly"},
      {"E6DATA_CACHE_TTL", [](O o) { return seconds_text(o.cache.ttl); }, "300", "600", "600", "-1",
       "1", "300s"},
      {"E6DATA_MAX_CONNECTIONS", [](O o) { return std::to_string(o.pool.max_connections); }, "10",
       "25", "25", "0", "1", "many"},
      {"E6DATA_MIN_CONNECTIONS", [](O o) { return std::to_string(o.pool.min_connections); }, "1",
       "0", "0", "-3", "0", "few"},
      {"E6DATA_CONNECTION_TIMEOUT", [](O o) { return seconds_text(o.pool.connection_timeout); },
       "30", "5", "5", "0", "1", "soon"},
      {"E6DATA_IDLE_TIMEOUT", [](O o) { return seconds_text(o.pool.idle_timeout); }, "300", "30",
       "30", "999999", "86400", "2.5"},
      {"E6DATA_MAX_LIFETIME", [](O o) { return seconds_text(o.pool.max_lifetime); }, "3600", "7200",
       "7200", "9999999", "604800", "forever"},
  };
  return kCases;
}

class EnvironmentVariable : public testing::TestWithParam<EnvCase> {};

TEST_P(EnvironmentVariable, UsesDefaultWhenUnset) {
  const EnvCase& c = GetParam();
  std::vector<ConfigIssue> issues;
  EXPECT_EQ(c.read(from_variables({}, &issues)), c.default_value);
  EXPECT_EQ(c.read(ConnectionOptions{}), c.default_value);
  EXPECT_TRUE(issues.empty());
}

TEST_P(EnvironmentVariable, ReadsValidValue) {
  const EnvCase& c = GetParam();
  std::vector<ConfigIssue> issues;
  EXPECT_EQ(c.read(from_variables({{c.variable, c.valid_text}}, &issues)), c.valid_value);
  EXPECT_TRUE(issues.empty()) << issues.front().message;
}

TEST_P(EnvironmentVariable, IgnoresBlankValue) {
  const EnvCase& c = GetParam();
  std::vector<ConfigIssue> issues;
  EXPECT_EQ(c.read(from_variables({{c.variable, "  "}}, &issues)), c.default_value);
  EXPECT_TRUE(issues.empty());
}

// Only the variables with a range, and only those that can be unparsable: no skipped tests.
std::vector<EnvCase> env_cases_where(bool (*keep)(const EnvCase&)) {
  std::vector<EnvCase> kept;
  for (const EnvCase& c : env_cases()) {
    if (keep(c)) kept.push_back(c);
  }
  return kept;
}

class BoundedEnvironmentVariable : public testing::TestWithParam<EnvCase> {};
class CheckedEnvironmentVariable : public testing::TestWithParam<EnvCase> {};

TEST_P(BoundedEnvironmentVariable, ClampsOutOfRangeWithWarning) {
  const EnvCase& c = GetParam();
  std::vector<ConfigIssue> issues;
  EXPECT_EQ(c.read(from_variables({{c.variable, c.out_of_range_text}}, &issues)), c.clamped_value);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, ConfigIssue::Severity::kWarning);
  EXPECT_EQ(issues[0].variable, c.variable);
  EXPECT_TRUE(contains(issues[0].message, c.variable)) << issues[0].message;
  EXPECT_TRUE(contains(issues[0].message, c.out_of_range_text)) << issues[0].message;
  EXPECT_TRUE(contains(issues[0].message, "out of range [")) << issues[0].message;
}

TEST_P(CheckedEnvironmentVariable, FallsBackToDefaultOnGarbage) {
  const EnvCase& c = GetParam();
  std::vector<ConfigIssue> issues;
  EXPECT_EQ(c.read(from_variables({{c.variable, c.garbage_text}}, &issues)), c.default_value);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, ConfigIssue::Severity::kError);
  EXPECT_EQ(issues[0].variable, c.variable);
  EXPECT_TRUE(contains(issues[0].message, c.variable)) << issues[0].message;
  if (c.variable == "E6DATA_PASSWORD") {
    EXPECT_FALSE(contains(issues[0].message, "sekrit")) << issues[0].message;
    EXPECT_TRUE(contains(issues[0].message, "value hidden")) << issues[0].message;
  }
}

// E6DATA_PORT -> "Port": gtest parameter names read like the rest of the test names.
std::string case_name(const testing::TestParamInfo<EnvCase>& info) {
  std::string name;
  bool upper = true;
  for (char c : info.param.variable.substr(std::string("E6DATA_").size())) {
    if (c == '_') {
      upper = true;
      continue;
    }
    name += upper ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    upper = false;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(All, EnvironmentVariable, testing::ValuesIn(env_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(WithRange, BoundedEnvironmentVariable,
                         testing::ValuesIn(env_cases_where([](const EnvCase& c) {
                           return !c.out_of_range_text.empty();
                         })),
                         case_name);
INSTANTIATE_TEST_SUITE_P(WithSyntax, CheckedEnvironmentVariable,
                         testing::ValuesIn(env_cases_where([](const EnvCase& c) {
                           return !c.garbage_text.empty();
                         })),
                         case_name);

TEST(EnvironmentVariable, OnlyFreeTextVariablesLackGarbageCases) {
  std::set<std::string> free_text;
  for (const EnvCase& c : env_cases()) {
    if (c.garbage_text.empty()) free_text.insert(c.variable);
  }
  EXPECT_EQ(free_text,
            (std::set<std::string>{"E6DATA_CATALOG", "E6DATA_DATABASE", "E6DATA_LOG_OUTPUT"}));
}

TEST(EnvironmentVariable, TableCoversEveryVariableTheLibraryReads) {
  std::set<std::string> read_by_library;
  for (const config::OptionField& field : config::option_fields()) {
    if (!field.env.empty()) read_by_library.emplace(field.env);
    if (!field.env_alias.empty()) read_by_library.emplace(field.env_alias);
  }
  std::set<std::string> tested;
  for (const EnvCase& c : env_cases()) tested.insert(c.variable);
  EXPECT_EQ(tested, read_by_library);
  EXPECT_EQ(tested.size(), 43u);
}

TEST(EnvironmentVariable, AcceptsEveryBooleanSpelling) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "Yes", "on", "ON", " true\n"}) {
    EXPECT_TRUE(from_variables({{"E6DATA_SECURE", yes}}, nullptr).secure) << yes;
  }
  for (const char* no : {"false", "False", "0", "no", "NO", "off", "Off"}) {
    EXPECT_FALSE(from_variables({{"E6DATA_AUTO_RESUME", no}}, nullptr).auto_resume) << no;
  }
}

TEST(EnvironmentVariable, ClampsIntegersTooLargeForSixtyFourBits) {
  std::vector<ConfigIssue> issues;
  const auto options = from_variables({{"E6DATA_PORT", "99999999999999999999999"},
                                       {"E6DATA_MIN_CONNECTIONS", "-99999999999999999999999"}},
                                      &issues);
  EXPECT_EQ(options.port, 65535);
  EXPECT_EQ(options.pool.min_connections, 0);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].severity, ConfigIssue::Severity::kWarning);
  EXPECT_EQ(issues[1].severity, ConfigIssue::Severity::kWarning);
}

TEST(EnvironmentVariable, ExplainsFractionalWholeSeconds) {
  std::vector<ConfigIssue> issues;
  from_variables({{"E6DATA_CACHE_TTL", "1.5"}}, &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_TRUE(contains(issues[0].message, "whole number of seconds")) << issues[0].message;
}

TEST(EnvironmentVariable, RejectsNonFiniteBackoff) {
  for (const char* text : {"nan", "inf", "-inf", "1e999"}) {
    std::vector<ConfigIssue> issues;
    const auto options = from_variables({{"E6DATA_RETRY_BACKOFF_FACTOR", text}}, &issues);
    EXPECT_DOUBLE_EQ(options.retry.backoff_factor.count(), 0.2) << text;
    ASSERT_EQ(issues.size(), 1u) << text;
    EXPECT_EQ(issues[0].severity, ConfigIssue::Severity::kError) << text;
  }
}

TEST(EnvironmentVariable, QuotesOddBytesInMessages) {
  std::vector<ConfigIssue> issues;
  from_variables({{"E6DATA_PORT", "80\nFAKE LOG LINE"}}, &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_FALSE(contains(issues[0].message, "\n")) << issues[0].message;
}

TEST(EnvironmentVariable, ReportsEveryProblemAtOnce) {
  std::vector<ConfigIssue> issues;
  from_variables({{"E6DATA_PORT", "0"},
                  {"E6DATA_SECURE", "maybe"},
                  {"E6DATA_MAX_RETRY_ATTEMPTS", "50"},
                  {"E6DATA_LOG_FORMAT", "yaml"}},
                 &issues);
  std::set<std::string> variables;
  for (const ConfigIssue& issue : issues) variables.insert(issue.variable);
  EXPECT_EQ(variables, (std::set<std::string>{"E6DATA_PORT", "E6DATA_SECURE",
                                              "E6DATA_MAX_RETRY_ATTEMPTS", "E6DATA_LOG_FORMAT"}));
}

TEST(EnvironmentVariable, ClusterNameWinsOverClusterUuid) {
  std::vector<ConfigIssue> issues;
  const auto options = from_variables(
      {{"E6DATA_CLUSTER_NAME", "by-name"}, {"E6DATA_CLUSTER_UUID", "by-uuid"}}, &issues);
  EXPECT_EQ(options.cluster_name, "by-name");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, ConfigIssue::Severity::kWarning);
  EXPECT_EQ(issues[0].variable, "E6DATA_CLUSTER_UUID");

  issues.clear();
  from_variables({{"E6DATA_CLUSTER_NAME", "same"}, {"E6DATA_CLUSTER_UUID", "same"}}, &issues);
  EXPECT_TRUE(issues.empty());
}

// Without a list of issues the environment is read loudly: a value not of its type is a
// UsageError naming every such variable (never a secret), not a silent default.
TEST(EnvironmentVariable, WithoutIssueListAValueNotOfItsTypeIsAUsageError) {
  try {
    (void)from_variables({{"E6DATA_PORT", "abc"},
                          {"E6DATA_SECURE", "maybe"},
                          {"E6DATA_PASSWORD", "sekrit\x01value"},
                          {"E6DATA_HOST", "h"}},
                         nullptr);
    FAIL() << "E6DATA_PORT=abc was accepted";
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_TRUE(contains(message, "E6DATA_PORT=\"abc\"")) << message;
    EXPECT_TRUE(contains(message, "E6DATA_SECURE")) << message;
    EXPECT_TRUE(contains(message, "E6DATA_PASSWORD (value hidden)")) << message;
    EXPECT_FALSE(contains(message, "sekrit")) << message;
    EXPECT_FALSE(contains(message, "using the default")) << message;
  }
  // Valid values pass as before.
  const auto options = from_variables({{"E6DATA_PORT", "443"}, {"E6DATA_HOST", "h"}}, nullptr);
  EXPECT_EQ(options.port, 443);
  EXPECT_EQ(options.host, "h");
}

// ... and a value out of range is clamped with a WARN line naming the variable and the value used.
TEST(EnvironmentVariable, WithoutIssueListOutOfRangeIsClampedWithAWarning) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("e6data-config-warn-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  log::LogOptions to_file;
  to_file.output = path.string();
  log::configure(to_file);
  const auto options = from_variables({{"E6DATA_PORT", "99999"}}, nullptr);
  log::configure(log::LogOptions{});
  EXPECT_EQ(options.port, 65535);
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(contains(text, "warn")) << text;
  EXPECT_TRUE(contains(text, "E6DATA_PORT=\"99999\"")) << text;
  EXPECT_TRUE(contains(text, "using 65535")) << text;
  std::filesystem::remove(path);
}

TEST(EnvironmentVariable, AUriWhereAHostIsExpectedSaysSo) {
  std::vector<ConfigIssue> issues;
  const auto options = from_variables({{"E6DATA_HOST", "e6data://me@h.example:443/c"}}, &issues);
  EXPECT_EQ(options.host, "");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_TRUE(contains(issues[0].message, "is a URI, not a host name")) << issues[0].message;
  ConnectionOptions in_code;
  in_code.host = "grpc://h.example";
  in_code.username = "u";
  const auto problems = in_code.validate();
  EXPECT_TRUE(std::any_of(problems.begin(), problems.end(), [](const std::string& p) {
    return contains(p, "is a URI");
  })) << (problems.empty() ? std::string("no problem found") : problems[0]);
}

// ---------------------------------------------------------------------------------------------
// EnvironmentReader

TEST(EnvironmentReader, ProcessReadsRealEnvironment) {
  // A name no other test or process uses, so tests may run in parallel.
  const std::string name = "E6DATA_CPP_OPTIONS_TEST_" + std::to_string(::getpid());
  ASSERT_EQ(::setenv(name.c_str(), "from-the-process", 1), 0);
  const EnvironmentReader reader = EnvironmentReader::process();
  EXPECT_EQ(reader.get(name), "from-the-process");
  ASSERT_EQ(::unsetenv(name.c_str()), 0);
  EXPECT_EQ(reader.get(name), std::nullopt);
}

TEST(EnvironmentReader, FromMapSeesOnlyItsVariables) {
  const auto reader = EnvironmentReader::from_map({{"E6DATA_HOST", "h"}});
  EXPECT_EQ(reader.get("E6DATA_HOST"), "h");
  EXPECT_EQ(reader.get("PATH"), std::nullopt);
}

TEST(EnvironmentReader, UsesInjectedLookup) {
  std::vector<std::string> asked;
  const EnvironmentReader reader([&asked](const std::string& name) -> std::optional<std::string> {
    asked.push_back(name);
    if (name == "E6DATA_MAX_CONNECTIONS") return "3";
    return std::nullopt;
  });
  EXPECT_EQ(ConnectionOptions::from_env(reader).pool.max_connections, 3);
  EXPECT_GE(asked.size(), 36u);
}

TEST(EnvironmentReader, RejectsEmptyLookup) {
  EXPECT_THROW(EnvironmentReader(EnvironmentReader::Lookup{}), UsageError);
}

// ---------------------------------------------------------------------------------------------
// Precedence: code and URI > environment > defaults

TEST(ConnectionOptions, CodeWinsOverEnvironment) {
  ConnectionOptions options;
  options.host = "from-code";
  options.retry.max_attempts = 2;
  options.fill_from_env(EnvironmentReader::from_map(
      {{"E6DATA_HOST", "from-env"}, {"E6DATA_MAX_RETRY_ATTEMPTS", "7"}, {"E6DATA_PORT", "9000"}}));
  EXPECT_EQ(options.host, "from-code");
  EXPECT_EQ(options.retry.max_attempts, 2);
  EXPECT_EQ(options.port, 9000);
}

TEST(ConnectionOptions, UriWinsOverEnvironment) {
  auto options = ConnectionOptions::from_uri(
      "e6data://uri-user:uri-token@uri-host:1234/uri-catalog?max-retry-attempts=3&secure=true");
  std::vector<ConfigIssue> issues;
  options.fill_from_env(EnvironmentReader::from_map({{"E6DATA_HOST", "env-host"},
                                                     {"E6DATA_PORT", "5678"},
                                                     {"E6DATA_USERNAME", "env-user"},
                                                     {"E6DATA_PASSWORD", "env-token"},
                                                     {"E6DATA_CATALOG", "env-catalog"},
                                                     {"E6DATA_DATABASE", "env-database"},
                                                     {"E6DATA_MAX_RETRY_ATTEMPTS", "9"},
                                                     {"E6DATA_CACHE_TTL", "42"}}),
                        &issues);
  EXPECT_EQ(options.host, "uri-host");
  EXPECT_EQ(options.port, 1234);
  EXPECT_EQ(options.username, "uri-user");
  EXPECT_EQ(options.password, "uri-token");
  EXPECT_EQ(options.catalog, "uri-catalog");
  EXPECT_EQ(options.database, "env-database");  // not in the URI
  EXPECT_EQ(options.retry.max_attempts, 3);
  EXPECT_EQ(options.cache.ttl, std::chrono::seconds(42));
  EXPECT_TRUE(issues.empty());
}

TEST(ConnectionOptions, EnvironmentWinsOverDefaults) {
  const auto options = from_variables({{"E6DATA_IDLE_TIMEOUT", "77"}}, nullptr);
  EXPECT_EQ(options.pool.idle_timeout, std::chrono::seconds(77));
  ConnectionOptions expected;
  expected.pool.idle_timeout = std::chrono::seconds(77);
  EXPECT_EQ(options, expected);
}

TEST(ConnectionOptions, FieldSetToItsDefaultCanBeFilled) {
  // The documented limit of "fill what is still at its default".
  ConnectionOptions options;
  options.secure = false;
  options.fill_from_env(EnvironmentReader::from_map({{"E6DATA_SECURE", "true"}}));
  EXPECT_TRUE(options.secure);
}

// ---------------------------------------------------------------------------------------------
// URIs

TEST(ConnectionOptions, ParsesFullUri) {
  const auto options = ConnectionOptions::from_uri(
      "e6data://alice%40example.com:s3cr3t@db.example.com:443/sales/q1"
      "?cluster-name=Prod&secure=true&auto-resume=false&max-retry-attempts=3"
      "&retry-backoff-factor=0.5&log-level=debug&prepare-timeout=120&ca-certificate=%2Fetc%2Fca.pem"
      "&max-receive-msg-length=-1&strategy-shared-state=e6-state&debug=on");
  EXPECT_EQ(options.username, "alice@example.com");
  EXPECT_EQ(options.password, "s3cr3t");
  EXPECT_EQ(options.host, "db.example.com");
  EXPECT_EQ(options.port, 443);
  EXPECT_EQ(options.catalog, "sales");
  EXPECT_EQ(options.database, "q1");
  EXPECT_EQ(options.cluster_name, "Prod");
  EXPECT_TRUE(options.secure);
  EXPECT_FALSE(options.auto_resume);
  EXPECT_EQ(options.retry.max_attempts, 3);
  EXPECT_DOUBLE_EQ(options.retry.backoff_factor.count(), 0.5);
  EXPECT_EQ(options.logging.level, LogLevel::kDebug);
  EXPECT_EQ(options.grpc.prepare_timeout, std::chrono::seconds(120));
  EXPECT_EQ(options.ca_certificate, "/etc/ca.pem");
  EXPECT_EQ(options.grpc.max_receive_message_length, -1);
  EXPECT_EQ(options.strategy.shared_state, "e6-state");
  EXPECT_TRUE(options.debug);
}

TEST(ConnectionOptions, ParsesMinimalUri) {
  ConnectionOptions expected;
  expected.host = "localhost";
  EXPECT_EQ(ConnectionOptions::from_uri("e6data://localhost"), expected);
}

TEST(ConnectionOptions, DecodesPercentEncodedToken) {
  const auto options =
      ConnectionOptions::from_uri("e6data://me:p%40ss%3Aw%2Frd%25%3F%23+x@host:50051/c/d");
  EXPECT_EQ(options.username, "me");
  EXPECT_EQ(options.password, "p@ss:w/rd%?#+x");
  EXPECT_EQ(options.host, "host");
  EXPECT_EQ(options.port, 50051);
}

TEST(ConnectionOptions, KeepsRawColonAndAtInToken) {
  // Only the first ':' splits user from token, and the last '@' ends the user-info.
  const auto options = ConnectionOptions::from_uri("e6data://me:a:b@c@host");
  EXPECT_EQ(options.password, "a:b@c");
  EXPECT_EQ(options.host, "host");
}

TEST(ConnectionOptions, DecodesPercentEncodedPath) {
  const auto options = ConnectionOptions::from_uri("e6data://host/my%20catalog/db%2F1");
  EXPECT_EQ(options.catalog, "my catalog");
  EXPECT_EQ(options.database, "db/1");
}

TEST(ConnectionOptions, ParsesIpv6Host) {
  auto options = ConnectionOptions::from_uri("e6data://u:t@[::1]:50051/c");
  EXPECT_EQ(options.host, "::1");
  EXPECT_EQ(options.port, 50051);
  EXPECT_EQ(options.catalog, "c");
  options = ConnectionOptions::from_uri("e6data://[2001:db8::7]");
  EXPECT_EQ(options.host, "2001:db8::7");
  EXPECT_EQ(options.port, 80);
}

TEST(ConnectionOptions, RejectsUnbracketedOrBrokenIpv6) {
  EXPECT_TRUE(contains(uri_error("e6data://::1:50051"), "brackets"));
  EXPECT_TRUE(contains(uri_error("e6data://[::1:50051"), "']'"));
  EXPECT_TRUE(contains(uri_error("e6data://[::1]50051"), "after the IPv6"));
  EXPECT_TRUE(contains(uri_error("e6data://[not-ip]:1"), "not an IPv6"));
}

TEST(ConnectionOptions, SecureSchemeImpliesSecure) {
  EXPECT_TRUE(ConnectionOptions::from_uri("e6datas://host").secure);
  EXPECT_TRUE(ConnectionOptions::from_uri("E6DATAS://host").secure);
  EXPECT_TRUE(ConnectionOptions::from_uri("e6datas://host?secure=true").secure);
  EXPECT_FALSE(ConnectionOptions::from_uri("e6data://host").secure);
  EXPECT_TRUE(contains(uri_error("e6datas://host?secure=false"), "e6datas://"));
}

TEST(ConnectionOptions, AcceptsClusterUuidAlias) {
  EXPECT_EQ(ConnectionOptions::from_uri("e6data://h?cluster-uuid=abc").cluster_name, "abc");
  EXPECT_EQ(ConnectionOptions::from_uri("e6data://h?cluster_uuid=abc").cluster_name, "abc");
  EXPECT_EQ(ConnectionOptions::from_uri("e6data://h?cluster_name=abc").cluster_name, "abc");
  EXPECT_TRUE(contains(uri_error("e6data://h?cluster-name=a&cluster-uuid=b"), "repeats"));
}

TEST(ConnectionOptions, AcceptsSnakeCaseAndUpperCaseKeys) {
  const auto options = ConnectionOptions::from_uri(
      "e6data://h?AUTO_RESUME=no&Max-Connections=4&grpc_prepare_timeout=9");
  EXPECT_FALSE(options.auto_resume);
  EXPECT_EQ(options.pool.max_connections, 4);
  EXPECT_EQ(options.grpc.prepare_timeout, std::chrono::seconds(9));
}

TEST(ConnectionOptions, RejectsBadPort) {
  for (const char* uri : {"e6data://host:0", "e6data://host:65536", "e6data://host:abc",
                          "e6data://host:", "e6data://host:-1", "e6data://host:+80",
                          "e6data://host:99999999999999999999999"}) {
    EXPECT_TRUE(contains(uri_error(uri), "port")) << uri;
  }
  EXPECT_EQ(ConnectionOptions::from_uri("e6data://host:65535").port, 65535);
  EXPECT_EQ(ConnectionOptions::from_uri("e6data://host:1").port, 1);
}

TEST(ConnectionOptions, RejectsUnknownKeyNamingIt) {
  const std::string message = uri_error("e6data://host?colour=blue");
  EXPECT_TRUE(contains(message, "\"colour\"")) << message;
  EXPECT_FALSE(contains(message, "blue")) << message;
  EXPECT_TRUE(contains(uri_error("e6data://host?password=x"), "\"password\""));
  EXPECT_TRUE(contains(uri_error("e6data://host?host=x"), "\"host\""));
}

TEST(ConnectionOptions, RejectsRepeatedOrValuelessKeys) {
  EXPECT_TRUE(contains(uri_error("e6data://host?secure=true&secure=true"), "repeats"));
  EXPECT_TRUE(contains(uri_error("e6data://host?secure"), "no value"));
}

TEST(ConnectionOptions, RejectsBadQueryValuesInsteadOfClamping) {
  EXPECT_TRUE(contains(uri_error("e6data://h?max-retry-attempts=20"), "out of range [1, 10]"));
  EXPECT_TRUE(contains(uri_error("e6data://h?secure=maybe"), "not a boolean"));
  EXPECT_TRUE(contains(uri_error("e6data://h?log-format=xml"), "log format"));
  EXPECT_TRUE(contains(uri_error("e6data://h?cache-ttl=1.5"), "whole number"));
  EXPECT_TRUE(contains(uri_error("e6data://h?strategy-shared-state=a%2Fb"), "'/'"));
}

TEST(ConnectionOptions, RejectsMissingHost) {
  for (const char* uri : {"e6data://", "e6data://u:t@", "e6data://:50051", "e6data:///cat",
                          "e6data://u:t@:1/c", "e6data://?secure=true"}) {
    EXPECT_TRUE(contains(uri_error(uri), "host is missing")) << uri;
  }
}

TEST(ConnectionOptions, RejectsWrongScheme) {
  for (const char* uri : {"http://host", "host:80", "", "e6data:/host", "grpc://host"}) {
    EXPECT_TRUE(contains(uri_error(uri), "e6data://")) << uri;
  }
}

TEST(ConnectionOptions, IgnoresTrailingSlashes) {
  EXPECT_EQ(ConnectionOptions::from_uri("e6data://host/").catalog, "");
  auto options = ConnectionOptions::from_uri("e6data://host/cat/");
  EXPECT_EQ(options.catalog, "cat");
  EXPECT_EQ(options.database, "");
  options = ConnectionOptions::from_uri("e6data://host/cat/db//?secure=1");
  EXPECT_EQ(options.catalog, "cat");
  EXPECT_EQ(options.database, "db");
  EXPECT_TRUE(options.secure);
}

TEST(ConnectionOptions, AllowsEmptyCatalogAndDatabase) {
  auto options = ConnectionOptions::from_uri("e6data://host//db");
  EXPECT_EQ(options.catalog, "");
  EXPECT_EQ(options.database, "db");
  options = ConnectionOptions::from_uri("e6data://host:9/?cluster-name=c");
  EXPECT_EQ(options.catalog, "");
  EXPECT_EQ(options.database, "");
  EXPECT_EQ(options.cluster_name, "c");
  EXPECT_EQ(ConnectionOptions::from_uri("e6data://host?&&secure=on&").secure, true);
}

TEST(ConnectionOptions, RejectsTooManyPathSegments) {
  EXPECT_TRUE(contains(uri_error("e6data://host/a/b/c"), "/catalog/database"));
}

TEST(ConnectionOptions, RejectsBadPercentEscapes) {
  EXPECT_TRUE(contains(uri_error("e6data://us%zzer:t@h"), "user name"));
  EXPECT_TRUE(contains(uri_error("e6data://h/%4"), "catalog"));
  EXPECT_TRUE(contains(uri_error("e6data://h?secure=%"), "secure"));
}

TEST(ConnectionOptions, ReportsEveryUriProblemAtOnce) {
  const std::string message =
      uri_error("e6data://host:0/a/b/c?colour=1&max-retry-attempts=99&log-level=loud");
  for (const char* part :
       {"port", "/catalog/database", "colour", "max-retry-attempts", "log-level"}) {
    EXPECT_TRUE(contains(message, part)) << part << " missing from: " << message;
  }
}

TEST(ConnectionOptions, UriErrorsNeverContainToken) {
  const std::string token = "TOPSECRETtoken";
  for (const std::string& uri : std::vector<std::string>{
           "e6data://u:" + token + "@host:bad",
           "e6data://u:" + token + "@",
           "e6data://u:" + token + "@host?colour=1",
           "e6data://u:" + token + "%zz@host",
           "e6data://u:TOP/SECRETtoken@host",
           "e6data://u:TOP?SECRETtoken@host",
           "e6data://u:TOP#SECRETtoken@host",
           "e6data://u:TOPSECRETtoken/a/b/c",
           "e6data://u:" + token + "@[::1",
           "e6data://u:" + token + "@::1:5",
           "e6data://u:" + token + "@host/a/b/c#frag",
           "e6data:/u:" + token + "@host",
       }) {
    const std::string message = uri_error(uri);
    EXPECT_FALSE(message.empty()) << uri;
    EXPECT_FALSE(contains(message, "SECRET")) << message;
  }
}

// ---------------------------------------------------------------------------------------------
// validate()

TEST(ConnectionOptions, ValidateListsMissingRequiredFields) {
  const auto problems = ConnectionOptions{}.validate();
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_TRUE(contains(problems[0], "host"));
  EXPECT_TRUE(contains(problems[1], "username"));
  EXPECT_TRUE(contains(problems[2], "password"));
}

TEST(ConnectionOptions, ValidateAcceptsUsableOptions) {
  EXPECT_TRUE(usable_options().validate().empty());
  auto options = usable_options();
  options.secure = true;
  options.ca_certificate = "\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  EXPECT_TRUE(options.validate().empty());
}

TEST(ConnectionOptions, ValidateListsSeveralProblemsAtOnce) {
  ConnectionOptions options = usable_options();
  options.host.clear();
  options.port = 0;
  options.retry.max_attempts = 11;
  options.retry.backoff_factor = std::chrono::duration<double>(5.0);
  options.strategy.cache_timeout = std::chrono::seconds(5);
  options.pool.min_connections = 20;
  options.pool.max_connections = 5;
  options.secure = true;
  options.ca_certificate = "/definitely/not/a/ca.pem";
  options.logging.output.clear();
  const auto problems = options.validate();
  for (const char* field :
       {"host", "port", "retry.max_attempts", "retry.backoff_factor", "strategy.cache_timeout",
        "pool.min_connections", "ca_certificate", "logging.output"}) {
    bool found = false;
    for (const auto& problem : problems) found = found || problem.starts_with(field);
    EXPECT_TRUE(found) << field << " not reported";
  }
  EXPECT_EQ(problems.size(), 8u);
}

TEST(ConnectionOptions, ValidateNamesRangeOfEveryBoundedField) {
  for (const config::OptionField& field : config::option_fields()) {
    if (field.kind != config::FieldKind::kInteger) continue;
    ConnectionOptions options = usable_options();
    field.set(options, field.min - 1);
    const auto problems = options.validate();
    ASSERT_FALSE(problems.empty()) << field.path;
    EXPECT_TRUE(problems[0].starts_with(std::string(field.path) + " is ")) << problems[0];
    EXPECT_TRUE(contains(problems[0], config::format_range(field))) << problems[0];
  }
}

TEST(ConnectionOptions, ValidateChecksCaCertificate) {
  ConnectionOptions options = usable_options();
  options.ca_certificate = "-----BEGIN CERTIFICATE-----";
  ASSERT_EQ(options.validate().size(), 1u);
  EXPECT_TRUE(contains(options.validate()[0], "secure is false"));

  options.secure = true;
  EXPECT_TRUE(options.validate().empty());

  const auto path = std::filesystem::temp_directory_path() /
                    ("e6data_options_test_ca_" + std::to_string(::getpid()) + ".pem");
  std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n";
  options.ca_certificate = path.string();
  EXPECT_TRUE(options.validate().empty());
  std::filesystem::remove(path);
  ASSERT_EQ(options.validate().size(), 1u);
  EXPECT_TRUE(contains(options.validate()[0], "neither an existing file nor PEM"));
}

TEST(ConnectionOptions, ValidateChecksCharacters) {
  ConnectionOptions options = usable_options();
  options.host = "host:443";
  options.password = "line\nbreak-SECRET";
  options.strategy.shared_state = "../escape";
  const auto problems = options.validate();
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_TRUE(problems[0].starts_with("host contains ':'"));
  EXPECT_TRUE(problems[1].starts_with("password contains"));
  EXPECT_TRUE(problems[2].starts_with("strategy.shared_state contains '/'"));
  for (const auto& problem : problems) EXPECT_FALSE(contains(problem, "SECRET")) << problem;
  options = usable_options();
  options.host = "::1";  // IPv6 addresses are stored without brackets
  EXPECT_TRUE(options.validate().empty());
}

// ---------------------------------------------------------------------------------------------
// The printer

TEST(ConnectionOptionsPrinter, MasksPassword) {
  ConnectionOptions options = usable_options();
  options.password = "hunter2";
  const std::string text = to_string(options);
  EXPECT_FALSE(contains(text, "hunter2")) << text;
  EXPECT_TRUE(contains(text, "password=***")) << text;
  EXPECT_TRUE(contains(text, "host=\"cluster.example.com\"")) << text;
  EXPECT_TRUE(contains(text, "username=\"alice@example.com\"")) << text;
  EXPECT_TRUE(contains(text, "retry.backoff_factor=0.2s")) << text;
  EXPECT_TRUE(contains(text, "logging.grpc_level=WARNING")) << text;
}

TEST(ConnectionOptionsPrinter, ShowsNoneForEmptyPassword) {
  EXPECT_TRUE(contains(to_string(ConnectionOptions{}), "password=(none)"));
}

TEST(ConnectionOptionsPrinter, NeverShowsHostilePasswords) {
  const std::vector<std::string> passwords = {
      "\"}, password=plain-HOSTILE",
      "ZZ***HOSTILE",
      "HOSTILE\nsecond line",
      "p@ss:w/rd%HOSTILE",
      std::string("nul\0HOSTILE", 11),
      "HOSTILE-\xc3\xbc-utf8",
      std::string(10000, 'H') + "HOSTILE",
  };
  for (const std::string& password : passwords) {
    ConnectionOptions options = usable_options();
    options.password = password;
    std::ostringstream out;
    out << options;
    EXPECT_FALSE(contains(out.str(), "HOSTILE")) << out.str().substr(0, 200);
    EXPECT_FALSE(contains(out.str(), password));
    for (const auto& problem : options.validate()) EXPECT_FALSE(contains(problem, "HOSTILE"));
  }
}

TEST(ConnectionOptionsPrinter, EscapesControlCharacters) {
  ConnectionOptions options;
  options.username = "a\nb\x01";
  const std::string text = to_string(options);
  EXPECT_FALSE(contains(text, "\n"));
  EXPECT_TRUE(contains(text, "username=\"a\\nb\\x01\"")) << text;
}

TEST(ConnectionOptionsPrinter, SummarisesPemCertificate) {
  ConnectionOptions options;
  options.ca_certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const std::string text = to_string(options);
  EXPECT_TRUE(contains(text, "ca_certificate=(PEM, 59 bytes)")) << text;
  options.ca_certificate = "/etc/ssl/ca.pem";
  EXPECT_TRUE(contains(to_string(options), "ca_certificate=\"/etc/ssl/ca.pem\""));
}

TEST(ConnectionOptionsPrinter, PrintsEveryFieldOnOneLine) {
  const std::string text = to_string(usable_options());
  EXPECT_TRUE(text.starts_with("ConnectionOptions{host="));
  EXPECT_TRUE(text.ends_with("}"));
  for (const config::OptionField& field : config::option_fields()) {
    EXPECT_TRUE(contains(text, std::string(field.path) + "=")) << field.path;
  }
}

}  // namespace
}  // namespace e6data
