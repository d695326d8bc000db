// Logging: the program owns the configuration, and changing it while other threads log is safe
// (the first wave swapped spdlog's sink vectors under running loggers: a data race and a crash).
#include "log/logger.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace e6data::log {
namespace {

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("e6data-logger-" + std::to_string(::getpid()) + "-" + name);
}

int count_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) ++n;
  return n;
}

TEST(Logger, ReconfiguringWhileThreadsLogLosesNothingAndRacesNothing) {
  const auto a = temp_file("a.log");
  const auto b = temp_file("b.log");
  std::filesystem::remove(a);
  std::filesystem::remove(b);
  LogOptions to_a;
  to_a.output = a.string();
  LogOptions to_b;
  to_b.output = b.string();
  configure(to_a);

  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  std::latch start(kThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto logger = get(t % 2 == 0 ? "e6data" : "e6data.strategy");
      start.arrive_and_wait();
      for (int i = 0; i < kLines; ++i) {
        event(logger, spdlog::level::info, "line", {{"thread", std::to_string(t)}});
      }
    });
  }
  start.arrive_and_wait();
  for (int k = 0; k < 200; ++k) configure(k % 2 == 0 ? to_b : to_a);
  for (auto& th : threads) th.join();
  configure(LogOptions{});  // back to stderr: the files are complete now
  EXPECT_EQ(count_lines(a) + count_lines(b), kThreads * kLines) << "every line in one file";
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

TEST(Logger, TheEnvironmentsSettingsNeverOverrideTheProgramsOwn) {
  const auto mine = temp_file("mine.log");
  const auto theirs = temp_file("theirs.log");
  std::filesystem::remove(mine);
  std::filesystem::remove(theirs);
  LogOptions program;
  program.output = mine.string();
  configure(program);
  LogOptions library;
  library.output = theirs.string();
  configure_unless_configured(library);
  event(get("e6data"), spdlog::level::warn, "kept", {});
  configure(LogOptions{});
  EXPECT_EQ(count_lines(mine), 1);
  EXPECT_FALSE(std::filesystem::exists(theirs));
  std::filesystem::remove(mine);
}

TEST(Logger, OffSilencesEveryLoggerThatInheritsIt) {
  const auto path = temp_file("off.log");
  std::filesystem::remove(path);
  LogOptions off;
  off.level = "off";
  off.output = path.string();
  configure(off);
  event(get("e6data"), spdlog::level::critical, "silent", {});
  event(get("e6data.strategy"), spdlog::level::critical, "silent", {});
  event(get("e6data.grpc"), spdlog::level::critical, "silent", {});
  configure(LogOptions{});
  EXPECT_EQ(count_lines(path), 0);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace e6data::log
