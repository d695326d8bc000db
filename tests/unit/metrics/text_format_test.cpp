#include "metrics/text_format.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "e6data/errors.hpp"
#include "metrics/prometheus_checker.hpp"

namespace e6data::metrics {
namespace {

TEST(TextFormat, MapsOpenTelemetryNamesTheUsualWay) {
  EXPECT_EQ(prometheus_name("db.client.operation.duration", "s"),
            "db_client_operation_duration_seconds");
  EXPECT_EQ(prometheus_name("db.client.connection.count", "{connection}"),
            "db_client_connection_count");
  EXPECT_EQ(prometheus_name("e6data.strategy.recoveries_456", "1"),
            "e6data_strategy_recoveries_456");
  EXPECT_EQ(prometheus_name("a..b-c", ""), "a_b_c");
  EXPECT_EQ(prometheus_name("2x", ""), "_2x");
  EXPECT_EQ(prometheus_name("wait_seconds", "s"), "wait_seconds");  // suffix not repeated
  EXPECT_EQ(prometheus_name("size", "By"), "size_bytes");
}

TEST(TextFormat, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(format_value(3), "3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(HUGE_VAL), "+Inf");
  EXPECT_EQ(format_value(-HUGE_VAL), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(TextFormat, RendersCountersWithTotalAndHistogramsCumulatively) {
  Histogram h(std::vector<double>{0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(3);
  std::vector<Family> families;
  families.push_back({"x.events", "1", Kind::kCounter, "Events.", {{{{"k", "v"}}, 7, {}}}});
  families.push_back({"x.wait", "s", Kind::kHistogram, "Waits.", {{{}, 0, h.snapshot()}}});
  const std::string text = render_text(families);
  EXPECT_EQ(text,
            "# HELP x_events_total Events.\n"
            "# TYPE x_events_total counter\n"
            "x_events_total{k=\"v\"} 7\n"
            "# HELP x_wait_seconds Waits.\n"
            "# TYPE x_wait_seconds histogram\n"
            "x_wait_seconds_bucket{le=\"0.1\"} 1\n"
            "x_wait_seconds_bucket{le=\"1\"} 2\n"
            "x_wait_seconds_bucket{le=\"+Inf\"} 3\n"
            "x_wait_seconds_sum 3.55\n"
            "x_wait_seconds_count 3\n");
  EXPECT_EQ(testing::check_prometheus_text(text), std::vector<std::string>{});
}

TEST(TextFormat, EscapesHelpAndLabelValues) {
  std::vector<Family> families;
  families.push_back(
      {"g", "", Kind::kGauge, "back\\slash\nnewline", {{{{"pool", "a\"b\\c\nd"}}, 1, {}}}});
  const std::string text = render_text(families);
  EXPECT_NE(text.find("# HELP g back\\\\slash\\nnewline\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{pool=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
  EXPECT_EQ(testing::check_prometheus_text(text), std::vector<std::string>{});
}

TEST(TextFormat, MergesFamiliesOfOneNameAndOrdersSeries) {
  std::vector<Family> families;
  families.push_back({"c", "", Kind::kGauge, "C.", {{{{"pool", "b"}}, 2, {}}}});
  families.push_back({"c", "", Kind::kGauge, "C.", {{{{"pool", "a"}}, 1, {}}}});
  const std::string text = render_text(families);
  EXPECT_EQ(text, "# HELP c C.\n# TYPE c gauge\nc{pool=\"a\"} 1\nc{pool=\"b\"} 2\n");
}

TEST(TextFormat, RefusesDuplicateSeriesBadLabelsAndMixedKinds) {
  std::vector<Family> twice;
  twice.push_back({"c", "", Kind::kGauge, "C.", {{{{"pool", "a"}}, 1, {}}}});
  twice.push_back({"c", "", Kind::kGauge, "C.", {{{{"pool", "a"}}, 2, {}}}});
  EXPECT_THROW(render_text(twice), UsageError);
  std::vector<Family> bad_label;
  bad_label.push_back({"c", "", Kind::kGauge, "C.", {{{{"a.b", "x"}}, 1, {}}}});
  EXPECT_THROW(render_text(bad_label), UsageError);
  std::vector<Family> le;
  le.push_back({"c", "", Kind::kGauge, "C.", {{{{"le", "x"}}, 1, {}}}});
  EXPECT_THROW(render_text(le), UsageError);
  std::vector<Family> mixed;
  mixed.push_back({"c", "", Kind::kGauge, "C.", {{{}, 1, {}}}});
  mixed.push_back({"c", "", Kind::kHistogram, "C.", {{{{"x", "y"}}, 0, {}}}});
  EXPECT_THROW(render_text(mixed), UsageError);
}

TEST(TextFormat, AFamilyWithoutSeriesIsLeftOut) {
  std::vector<Family> families;
  families.push_back({"empty", "", Kind::kGauge, "Nothing.", {}});
  EXPECT_EQ(render_text(families), "");
}

}  // namespace
}  // namespace e6data::metrics
