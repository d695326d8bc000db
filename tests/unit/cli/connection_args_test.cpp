// Where connection settings come from: URI, E6DATA_* environment, flags, token sources.

#include "connection_args.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "e6data/strategy.hpp"
#include "exit_codes.hpp"

namespace e6data::cli {
namespace {

using Variables = std::map<std::string, std::string>;

const Variables kEnv = {{"E6DATA_HOST", "env-host"},
                        {"E6DATA_PORT", "1111"},
                        {"E6DATA_USERNAME", "env-user"},
                        {"E6DATA_PASSWORD", "env-secret-token"},
                        {"E6DATA_CATALOG", "env-catalog"}};

ConnectionOptions resolve(const ConnectionArgs& args, const Variables& env,
                          const PasswordPrompt& prompt = nullptr) {
  std::vector<std::string> warnings;
  return resolve_connection(args, EnvironmentReader::from_map(env), prompt, warnings);
}

std::string usage_message(const ConnectionArgs& args, const Variables& env,
                          const PasswordPrompt& prompt = nullptr) {
  try {
    resolve(args, env, prompt);
  } catch (const UsageFailure& e) {
    return e.message;
  }
  return "(no error)";
}

TEST(ConnectionArgs, TheEnvironmentAloneIsEnough) {
  const auto o = resolve({}, kEnv);
  EXPECT_EQ(o.host, "env-host");
  EXPECT_EQ(o.port, 1111);
  EXPECT_EQ(o.username, "env-user");
  EXPECT_EQ(o.password, "env-secret-token");
  EXPECT_EQ(o.catalog, "env-catalog");
}

TEST(ConnectionArgs, AnEnvironmentValueNotOfItsTypeIsAUsageErrorNamingIt) {
  Variables env = kEnv;
  env["E6DATA_PORT"] = "abc";
  const std::string message = usage_message({}, env);
  EXPECT_NE(message.find("E6DATA_PORT=\"abc\" is not an integer"), std::string::npos) << message;
  EXPECT_EQ(message.find("using the default"), std::string::npos) << message;
  // Out of range is not an error: clamped, with a warning.
  env["E6DATA_PORT"] = "99999";
  std::vector<std::string> warnings;
  const auto o = resolve_connection({}, EnvironmentReader::from_map(env), nullptr, warnings);
  EXPECT_EQ(o.port, 65535);
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("E6DATA_PORT"), std::string::npos) << warnings[0];
}

TEST(ConnectionArgs, TheUriWinsOverTheEnvironmentWhichFillsTheRest) {
  ConnectionArgs args;
  args.uri = "e6data://uri-user@uri-host:2222/uri-catalog";
  const auto o = resolve(args, kEnv);
  EXPECT_EQ(o.host, "uri-host");
  EXPECT_EQ(o.port, 2222);
  EXPECT_EQ(o.username, "uri-user");
  EXPECT_EQ(o.catalog, "uri-catalog");
  EXPECT_EQ(o.password, "env-secret-token");
}

TEST(ConnectionArgs, FlagsWinOverBothEvenWhenTheyRepeatADefault) {
  ConnectionArgs args;
  args.uri = "e6data://uri-user@uri-host:2222";
  args.host = "flag-host";
  args.port = 80;  // the default value: fill_from_env alone could not tell it was given
  args.user = "flag-user";
  const auto o = resolve(args, kEnv);
  EXPECT_EQ(o.host, "flag-host");
  EXPECT_EQ(o.port, 80);
  EXPECT_EQ(o.username, "flag-user");
}

TEST(ConnectionArgs, PasswordFileWinsAndLosesItsLineEnd) {
  const auto path =
      std::filesystem::temp_directory_path() / ("e6data-cli-token-" + std::to_string(::getpid()));
  std::ofstream(path) << "file-token\r\n";
  ConnectionArgs args;
  args.password_file = path.string();
  EXPECT_EQ(resolve(args, kEnv).password, "file-token");
  std::filesystem::remove(path);
  EXPECT_NE(usage_message(args, kEnv).find("No such file"), std::string::npos);
  args.password_file = std::filesystem::temp_directory_path().string();
  EXPECT_NE(usage_message(args, kEnv).find("is a directory"), std::string::npos);
}

TEST(ConnectionArgs, PromptsOnlyWhenNoTokenIsConfigured) {
  Variables env = kEnv;
  int asked = 0;
  const PasswordPrompt prompt = [&](const std::string&) -> std::optional<std::string> {
    ++asked;
    return "typed-token";
  };
  EXPECT_EQ(resolve({}, env, prompt).password, "env-secret-token");
  EXPECT_EQ(asked, 0);
  env.erase("E6DATA_PASSWORD");
  EXPECT_EQ(resolve({}, env, prompt).password, "typed-token");
  EXPECT_EQ(asked, 1);
  ConnectionArgs no_prompt;
  no_prompt.no_prompt = true;
  EXPECT_NE(usage_message(no_prompt, env, prompt).find("no access token"), std::string::npos);
  EXPECT_EQ(asked, 1);
  const PasswordPrompt nobody = [](const std::string&) { return std::optional<std::string>(); };
  EXPECT_NE(usage_message({}, env, nobody).find("E6DATA_PASSWORD"), std::string::npos);
}

TEST(ConnectionArgs, ProblemsAreNamedAndNeverContainTheToken) {
  Variables env = kEnv;
  env.erase("E6DATA_HOST");
  EXPECT_NE(usage_message({}, env).find("no host"), std::string::npos);
  ConnectionArgs bad_uri;
  bad_uri.uri = "e6data://user:uri-secret-token@host:99999";
  const std::string message = usage_message(bad_uri, kEnv);
  EXPECT_NE(message.find("bad connection URI"), std::string::npos);
  EXPECT_EQ(message.find("uri-secret-token"), std::string::npos) << message;
  ConnectionArgs bad_host;
  bad_host.host = "a b";
  const std::string invalid = usage_message(bad_host, kEnv);
  EXPECT_NE(invalid.find("host"), std::string::npos);
  EXPECT_EQ(invalid.find("env-secret-token"), std::string::npos) << invalid;
}

// Commands that only name an endpoint (strategy clear/apply-pending) need no user or token and
// never ask for one.
TEST(ConnectionArgs, AnEndpointNeedsNoCredentials) {
  std::vector<std::string> warnings;
  ConnectionArgs args;
  args.cluster_name = "Prod";
  const auto env = EnvironmentReader::from_map({{"E6DATA_HOST", "h.example"},
                                                {"E6DATA_PORT", "443"},
                                                {"E6DATA_STRATEGY_SHARED_STATE", "workers"}});
  const ConnectionOptions o = resolve_endpoint(args, env, warnings);
  EXPECT_EQ(o.host, "h.example");
  EXPECT_EQ(o.port, 443);
  EXPECT_EQ(o.cluster_name, "Prod");
  EXPECT_EQ(o.strategy.shared_state, "workers");
  EXPECT_EQ(strategy_endpoint(o), "h.example:443/prod");
  try {
    resolve_endpoint({}, EnvironmentReader::from_map({}), warnings);
    ADD_FAILURE() << "no host";
  } catch (const UsageFailure& e) {
    EXPECT_NE(e.message.find("no host"), std::string::npos) << e.message;
  }
  try {
    resolve_endpoint({},
                     EnvironmentReader::from_map(
                         {{"E6DATA_HOST", "h"}, {"E6DATA_STRATEGY_SHARED_STATE", "a/b"}}),
                     warnings);
    ADD_FAILURE() << "a shared state name with '/'";
  } catch (const UsageFailure& e) {
    EXPECT_NE(e.message.find("E6DATA_STRATEGY_SHARED_STATE"), std::string::npos) << e.message;
  }
}

TEST(ConnectionArgs, RecognisesUris) {
  EXPECT_TRUE(looks_like_uri("e6data://h"));
  EXPECT_TRUE(looks_like_uri("e6datas://h:443"));
  EXPECT_FALSE(looks_like_uri("select 'e6data://h'"));
}

}  // namespace
}  // namespace e6data::cli
